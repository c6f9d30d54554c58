//! Certificate verification as a page (`/verify`): a form for the number and the code printed on
//! a certificate, and the answer (valid, revoked and when, or unknown), as
//! `GET /api/v1/certificates/verify` gives it, under the same limits. The certificate's QR code
//! opens this page with both filled in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use maud::html;
use validator::Validate;

use super::{Errors, Limited, Page, field};
use crate::certificates::{Certificate, Verification, VerifyQuery};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::ApiError;
use crate::texts::Text;

const PATH: &str = "/verify";

/// The form, and the answer when a number and a code were given.
#[get("/verify")]
pub async fn verify(
    limited: Limited,
    req: HttpRequest,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
) -> HttpResponse {
    if let Err(error) = limited {
        return page.failed(&config, PATH, error);
    }
    let fields = super::form_fields(req.query_string().as_bytes());
    let (number, code) = (field(&fields, "number"), field(&fields, "code"));
    let asked = number.is_some() || code.is_some();
    let query = VerifyQuery {
        number: number.unwrap_or_default().to_owned(),
        code: code.unwrap_or_default().to_owned(),
    };
    let (answer, errors) = if !asked {
        (None, Errors::default())
    } else if let Err(invalid) = query.validate() {
        let error = ApiError::Validation(crate::error::field_errors(&invalid));
        let errors = page.errors(&error, |field| match field {
            "number" => Some(("number".to_owned(), page.t(Text::CertificateNumber).to_owned())),
            _ => Some(("code".to_owned(), page.t(Text::VerificationCode).to_owned())),
        });
        (None, errors)
    } else {
        match db.run(move |conn| Certificate::verify(conn, &query)).await {
            Ok(answer) => (Some(answer), Errors::default()),
            Err(error) => return page.failed(&config, PATH, error),
        }
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    show(&page, &config, &fields, answer.as_ref(), &errors, status)
}

fn show(
    page: &Page,
    config: &PagesConfig,
    values: &[(String, String)],
    answer: Option<&Verification>,
    errors: &Errors,
    status: StatusCode,
) -> HttpResponse {
    let typed = |name: &str| field(values, name).unwrap_or("").to_owned();
    let error_line = |id: &str| page.error_line(errors, id);
    let main = html! {
        h1 { (page.t(Text::VerifyTitle)) }
        @if let Some(answer) = answer {
            @let (class, heading) = match answer.status.as_str() {
                "valid" => ("panel", page.t(Text::VerifyValid).to_owned()),
                "revoked" => ("panel warning", page.fill(Text::VerifyRevoked, &[("date", &answer.revoked_on.map(|d| page.date(d)).unwrap_or_default())])),
                _ => ("panel warning", page.t(Text::VerifyUnknown).to_owned()),
            };
            div class=(class) role="status" {
                h2 { (heading) }
                @if answer.status == "unknown" {
                    p { (page.t(Text::VerifyUnknownBody)) }
                } @else {
                    dl.summary {
                        @if let Some(name) = &answer.trainee_name { div { dt { (page.t(Text::Holder)) } dd { (name) } } }
                        @if let Some(program) = &answer.program_title { div { dt { (page.t(Text::ProgramLabel)) } dd { (program) } } }
                        @if let Some(cohort) = &answer.cohort_name { div { dt { (page.t(Text::CohortLabel)) } dd { (cohort) } } }
                        @if let Some(issued) = answer.issued_on { div { dt { (page.t(Text::IssuedOn)) } dd { (page.date(issued)) } } }
                    }
                }
            }
        }
        p { (page.t(Text::VerifyIntro)) }
        form method="get" action="/verify" novalidate {
            @if page.english() { input type="hidden" name="lang" value="en"; }
            div.field.invalid[errors.of("number").is_some()] {
                label for="number" { (page.t(Text::CertificateNumber)) }
                @if let Some(line) = error_line("number") { (line) }
                input #number type="text" name="number" value=(typed("number")) autocomplete="off" spellcheck="false";
            }
            div.field.invalid[errors.of("code").is_some()] {
                label for="code" { (page.t(Text::VerificationCode)) }
                p.hint #code-hint { (page.t(Text::VerificationCodeHint)) }
                @if let Some(line) = error_line("code") { (line) }
                input #code type="text" name="code" value=(typed("code")) autocomplete="off" spellcheck="false" aria-describedby="code-hint";
            }
            button.button type="submit" { (page.t(Text::VerifyButton)) }
        }
    };
    page.render(status, config, PATH, page.t(Text::VerifyTitle), errors, main)
}
