//! A trainee's consents: the standard list, record and read are in the route table (`app.rs`);
//! here the one step that is not one of those, a withdrawal.

use actix_web::{HttpResponse, post, web};

use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Staff};
use crate::http::precondition::IfMatch;
use crate::ids::{ConsentId, TraineeId};
use crate::trainees::consents::Consent;

/// The path of one consent: the trainee's id and the consent's (documented once, here).
#[derive(Debug, serde::Deserialize)]
pub struct ConsentPath {
    /// The trainee.
    id: TraineeId,
    /// The consent.
    consent_id: ConsentId,
}

impl utoipa::IntoParams for ConsentPath {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![
            crate::ids::id_parameter("id", "Trainee id"),
            crate::ids::id_parameter("consent_id", "Consent id"),
        ]
    }
}

/// Withdraw a consent, as the trainee asked (on paper, by mail): it stops counting at the next
/// request (a partner's liaison no longer reads the contact details it covered), and stays in the
/// list with the time it was withdrawn. 409 `not_withdrawable` for the department's own reporting
/// (a legal duty), 409 `already_withdrawn` for one withdrawn before.
#[utoipa::path(
    tag = "trainees",
    security(("bearer_auth" = ["admin", "officer"])),
    params(ConsentPath, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The consent, withdrawn", body = Consent, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/trainees/{id}/consents/{consent_id}/withdrawal")]
pub async fn withdraw_consent(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    path: web::Path<ConsentPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let ConsentPath { id, consent_id } = path.into_inner();
    let key = (id, consent_id);
    let consent = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Consent::withdraw(conn, &signed.caller, &signed.actor, key, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&consent, consent.version))
}
