//! `GET /api/v1/rounds/{id}/results`: a round's figures.

use actix_web::{HttpResponse, get, web};

use crate::config::EvaluationConfig;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Readers};
use crate::ids::RoundId;
use crate::rounds::results::{self, RoundResults};

/// The results of a round: per item and per dimension the count, mean, median, distribution and
/// top-two-box share; the response rate; the text answers (never with names in an anonymous
/// round).
///
/// An anonymous round releases its figures and texts once: when it has closed (by an officer, or
/// when its `closes_at` has passed) with at least `TPMS_MIN_ANONYMOUS_GROUP` (5) responses. Until
/// then, and for ever with fewer responses, it shows only its response rate (`withheld: true`,
/// with `withheld_because`). Figures that moved while it was open could be read before and after
/// one named trainee submitted, and would give that trainee's answers; a closed round takes no
/// more answers, so the released figures never move.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(RoundId),
    responses((status = 200, description = "The results", body = RoundResults), crate::openapi::ReadErrors)
)]
#[get("/rounds/{id}/results")]
pub async fn round_results(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    settings: web::Data<EvaluationConfig>,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let (id, min_group) = (id.into_inner(), settings.min_anonymous_group);
    let results = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            results::results(conn, &signed.caller, id, min_group)
        })
        .await?;
    Ok(HttpResponse::Ok().json(results))
}
