//! `POST /api/v1/instruments/{id}/revisions`: draft the next revision of a questionnaire.

use actix_web::{HttpResponse, post, web};

use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Staff};
use crate::ids::InstrumentId;
use crate::instruments::Instrument;

/// Draft the next revision of a questionnaire: a copy of this one under the same code, with the
/// next revision number, to edit and publish. Answers to earlier revisions stay with them.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer_auth" = ["admin", "officer"])),
    params(InstrumentId),
    responses((status = 201, description = "The new draft revision", body = Instrument, headers(("Location" = String, description = "The new revision's URL"), ("ETag" = String, description = "Its version"))), crate::openapi::WriteErrors)
)]
#[post("/instruments/{id}/revisions")]
pub async fn revise_instrument(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<InstrumentId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let draft = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Instrument::revise(conn, &signed.actor, id)
        })
        .await?;
    Ok(crate::http::created(
        format!("/api/v1/instruments/{}", draft.id),
        &draft,
        draft.version,
    ))
}
