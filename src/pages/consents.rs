//! A trainee's consents (`/{r|p|c}/{token}/consents`), reached from any of their own links: each
//! use of their personal data they agreed to, when, and whether it stands; a button withdraws one
//! (Decree 13/2023/ND-CP: a consent is shown to its subject and withdrawable, save the
//! department's own reporting, a legal duty). The withdrawal is the one officers record through
//! `POST /api/v1/trainees/{id}/consents/{consent_id}/withdrawal`, made by the trainee's own word.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;

use super::{Errors, Limited, Page};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::ApiError;
use crate::ids::ConsentId;
use crate::texts::Text;
use crate::trainees::consents::{Consent, ConsentPurpose, ShownConsent};

/// The link's own page (`/p/{token}`) and its consents page.
fn paths_of(kind: &str, token: &str) -> (String, String) {
    let link = format!("/{kind}/{token}");
    let consents = format!("{link}/consents");
    (link, consents)
}

/// The trainee's consents, or why the link opens none.
#[get("/{kind:[rpc]}/{token}/consents")]
pub async fn list(
    limited: Limited,
    req: HttpRequest,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
    raw: web::Path<(String, String)>,
) -> HttpResponse {
    let (kind, raw) = raw.into_inner();
    let (link, path) = paths_of(&kind, &raw);
    let token = match page.admit(&config, &path, limited, None, &raw) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let withdrawn = req.query_string().split('&').any(|pair| pair == "withdrawn=1");
    let shown = db
        .run(move |conn| match crate::checkpoints::trainee_of_link(conn, &token)? {
            Some(enrollment) => Consent::shown_to_trainee(conn, enrollment).map(Some),
            None => Ok(None),
        })
        .await;
    match shown {
        Ok(Some(consents)) => show(&page, &config, &link, &path, &consents, withdrawn),
        Ok(None) => page.closed(&config, &path, crate::links::Closed::Unknown),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// Withdraw one consent, then back to the list (which shows it withdrawn). A consent withdrawn
/// already, or one that cannot be, changes nothing: the list shows where it stands.
#[post("/{kind:[rpc]}/{token}/consents/{consent_id}/withdrawal")]
pub async fn withdraw(
    limited: Limited,
    req: HttpRequest,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
    raw: web::Path<(String, String, i64)>,
) -> HttpResponse {
    let (kind, raw, consent) = raw.into_inner();
    let (_, path) = paths_of(&kind, &raw);
    let token = match page.admit(&config, &path, limited, Some(&req), &raw) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let withdrawn = db
        .write(move |conn| {
            let Some(enrollment) = crate::checkpoints::trainee_of_link(conn, &token)? else {
                return Ok(None);
            };
            let actor = crate::effects::trainee_link();
            Consent::withdraw_by_trainee(conn, &actor, enrollment, ConsentId(consent)).map(Some)
        })
        .await;
    match withdrawn {
        Ok(Some(_)) => page.see_other_with(&path, "withdrawn=1"),
        Ok(None) => page.closed(&config, &path, crate::links::Closed::Unknown),
        Err(ApiError::Conflict { .. }) => page.see_other(&path),
        Err(error) => page.failed(&config, &path, error),
    }
}

fn purpose_of(page: &Page, consent: &ShownConsent) -> String {
    match consent.purpose {
        ConsentPurpose::PartnerContacts => page.fill(
            Text::ConsentPartnerContacts,
            &[("partner", consent.partner.as_deref().unwrap_or("—"))],
        ),
        ConsentPurpose::FollowUp => page.t(Text::ConsentFollowUp).to_owned(),
        ConsentPurpose::DepartmentReporting => page.t(Text::ConsentDepartmentReporting).to_owned(),
    }
}

fn show(
    page: &Page,
    config: &PagesConfig,
    link: &str,
    path: &str,
    consents: &[ShownConsent],
    withdrawn: bool,
) -> HttpResponse {
    let day = |at: chrono::NaiveDateTime| crate::texts::format::instant(at, page.lang).0;
    let main = html! {
        h1 { (page.t(Text::ConsentsTitle)) }
        @if withdrawn {
            div.notice role="status" { p { (page.t(Text::ConsentWithdrawnNotice)) } }
        }
        p { (page.t(Text::ConsentsIntro)) }
        @if consents.is_empty() {
            p { (page.t(Text::ConsentsNone)) }
        }
        @for consent in consents {
            section.consent aria-labelledby={ "consent-" (consent.id.0) } {
                h2 #{ "consent-" (consent.id.0) } { (purpose_of(page, consent)) }
                p { (page.fill(Text::ConsentGivenOn, &[("date", &day(consent.given_at))])) }
                @if let Some(at) = consent.withdrawn_at {
                    p { strong { (page.fill(Text::ConsentWithdrawnOn, &[("date", &day(at))])) } }
                } @else if !consent.withdrawable {
                    p.hint { (page.t(Text::ConsentRequired)) }
                } @else {
                    form method="post" action=(page.href(&format!("{path}/{}/withdrawal", consent.id.0))) {
                        button.button.secondary type="submit" { (page.t(Text::WithdrawConsent)) }
                    }
                }
            }
        }
        p { a href=(page.href(link)) { (page.t(Text::BackToYourPage)) } }
    };
    page.render(
        StatusCode::OK,
        config,
        path,
        page.t(Text::ConsentsTitle),
        &Errors::default(),
        main,
    )
}
