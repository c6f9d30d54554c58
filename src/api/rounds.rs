//! `GET /api/v1/rounds/{id}/results`: a round's figures, in JSON, CSV or a workbook.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::config::EvaluationConfig;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Auth, Readers};
use crate::http::export::{self, FormatParams};
use crate::http::json::Query;
use crate::ids::RoundId;
use crate::reports::OFFERED;
use crate::rounds::results::{self, RoundResults};
use crate::tabular::Table;

/// The results of a round: per item and per dimension the count, mean, median, distribution and
/// top-two-box share; the response rate; the text answers (never with names in an anonymous
/// round). For a knowledge test (a questionnaire with scored items), `scores`: the most points,
/// the mean score, per item the difficulty (share correct), each trainee's score in an
/// identified round, and for a post-test naming its pre-test, the means before and after and
/// Hake's normalised gain of the means, `(mean_post − mean_pre) / (max − mean_pre)`, per item and
/// overall (null when the pre-test's mean is full marks: undefined).
///
/// As CSV (`?format=csv`) one row per item, with the scored items' points, difficulty, means
/// and gain; as a workbook (`?format=xlsx`) that sheet and, for an identified test, a sheet of
/// the trainees' scores.
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
    params(RoundId, FormatParams),
    responses(
        (status = 200, description = "The results", content(
            (RoundResults = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        crate::openapi::ReadErrors,
    )
)]
#[get("/rounds/{id}/results")]
pub async fn round_results(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    req: HttpRequest,
    settings: web::Data<EvaluationConfig>,
    id: web::Path<RoundId>,
    format: Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req, &OFFERED)?;
    let (id, min_group) = (id.into_inner(), settings.min_anonymous_group);
    let results = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            results::results(conn, &signed.caller, id, min_group)
        })
        .await?;
    let items = Table::of_records(&results.item_rows()).map_err(ApiError::internal)?;
    let trainees = results
        .scores
        .as_ref()
        .filter(|s| !s.trainees.is_empty())
        .map(|s| Table::of_records(&s.trainees))
        .transpose()
        .map_err(ApiError::internal)?;
    let mut sheets: Vec<(&str, &Table)> = vec![("Items", &items)];
    if let Some(trainees) = &trainees {
        sheets.push(("Trainees", trainees));
    }
    export::report(chosen, &format!("round-{id}-results"), &results, &sheets)
}
