//! Certificates: an officer reads, revokes or reissues one, or lists a cohort's to print them;
//! anyone verifies one, without signing in.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::certificates::{
    Certificate, CertificateContent, CertificateFilters, CohortCertificate, Revoke, Verification, VerifyQuery,
};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::documents;
use crate::enrollments::Enrollment;
use crate::error::ApiResult;
use crate::http::auth::{Auth, Readers, Staff};
use crate::http::export::{self, ListFormatParams};
use crate::http::json::{Body, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::precondition::IfMatch;
use crate::http::public::{Language, Throttled};
use crate::ids::{CohortId, EnrollmentId};
use crate::messages::Lang;
use crate::resource::Record;

/// A cohort's certificates with their numbers and verification codes, in enrolment order: one
/// list to print them from (`?status=valid` for those that stand), as JSON pages or as CSV.
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(CohortId, CertificateFilters, PageParams, ListFormatParams),
    responses(
        (status = 200, description = "A page of certificates, or every matching one as CSV", content(
            (Page<CohortCertificate> = "application/json"),
            (String = "text/csv"),
        )),
        crate::openapi::ListErrors,
    )
)]
#[get("/cohorts/{id}/certificates")]
pub async fn list_cohort_certificates(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    req: HttpRequest,
    id: web::Path<CohortId>,
    filters: Query<CertificateFilters>,
    page: web::Query<PageParams>,
    format: web::Query<ListFormatParams>,
) -> ApiResult<HttpResponse> {
    let chosen = format.choose(&req)?;
    let paging = page.into_inner().paging()?;
    let (id, filters) = (id.into_inner(), filters.0);
    export::list_response(
        db,
        &req,
        chosen,
        "certificates",
        paging,
        move |conn| auth.check(conn).map(|signed| signed.caller),
        move |conn, caller, paging| crate::certificates::of_cohort(conn, caller, id, &filters, paging),
    )
    .await
}

/// The media types a certificate is answered in: the record (the default), or the page to print.
const CERTIFICATE_TYPES: [&str; 2] = ["application/json", "application/pdf"];

/// The certificate of a completed enrolment with its verification code; with
/// `Accept: application/pdf`, the A4 certificate to print (Vietnamese, or `?lang=en`), with a QR
/// code of the page that verifies it. A revoked certificate is not printed: 409
/// `certificate_revoked`, with the day.
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer", "reporter"])),
    params(EnrollmentId, Language),
    responses(
        (status = 200, description = "The certificate, or with `Accept: application/pdf` the certificate to print (`Content-Disposition: inline`)", content(
            (Certificate = "application/json"),
            (String = "application/pdf"),
        )),
        crate::openapi::PrintErrors,
    )
)]
#[get("/enrollments/{id}/certificate")]
pub async fn get_certificate(
    auth: Auth<Readers>,
    db: web::Data<Db>,
    pages: web::Data<PagesConfig>,
    req: HttpRequest,
    id: web::Path<EnrollmentId>,
    lang: Query<Language>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let lang = if lang.0.english()? { Lang::En } else { Lang::Vi };
    // Any `Accept` that does not rank PDF first (none, `*/*`, JSON, or a type not offered) keeps
    // the JSON this operation has always answered.
    let pdf = export::accepted(&req, &CERTIFICATE_TYPES) == Some(1);
    if !pdf {
        let certificate = db
            .run(move |conn| {
                let signed = auth.check(conn)?;
                Enrollment::find_visible(conn, &signed.caller, id)?;
                Certificate::find(conn, id)
            })
            .await?;
        let mut response = crate::http::ok_with_etag(&certificate, certificate.version);
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(response);
    }
    let content = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            Enrollment::find_visible(conn, &signed.caller, id)?;
            CertificateContent::printable(conn, id)
        })
        .await?;
    documents::certificate_response(content, &pages.public_url, lang).await
}

/// Revoke a certificate, with the reason: verification then answers `revoked`.
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer"])),
    params(EnrollmentId, crate::openapi::IfMatchHeader),
    request_body = Revoke,
    responses((status = 200, description = "The certificate, revoked", body = Certificate, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/enrollments/{id}/certificate/revocation")]
pub async fn revoke_certificate(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<EnrollmentId>,
    if_match: IfMatch,
    body: Body<Revoke>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let certificate = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Certificate::revoke(conn, &signed.actor, id, &if_match, body.get()?.reason)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&certificate, certificate.version))
}

/// Reissue a revoked certificate, after what it misstated was corrected (the holder's name, say):
/// it stands again under the same number, with a new verification code and issue date, so the
/// copy printed before no longer verifies (`unknown`). 409 `not_revoked` for one that stands.
#[utoipa::path(
    tag = "completion",
    security(("bearer_auth" = ["admin", "officer"])),
    params(EnrollmentId, crate::openapi::IfMatchHeader),
    responses((status = 200, description = "The certificate, reissued", body = Certificate, headers(("ETag" = String, description = "Its new version"))), crate::openapi::ChangeErrors)
)]
#[post("/enrollments/{id}/certificate/reissue")]
pub async fn reissue_certificate(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<EnrollmentId>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let certificate = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            Enrollment::find_visible(conn, &signed.caller, id)?;
            Certificate::reissue(conn, &signed.actor, id, &if_match)
        })
        .await?;
    Ok(crate::http::ok_with_etag(&certificate, certificate.version))
}

/// Whether a certificate number and its verification code are genuine, and whether the
/// certificate still stands: only the holder's name, the programme, the cohort and the dates.
/// No sign-in; limited per address.
#[utoipa::path(
    tag = "completion",
    params(VerifyQuery),
    responses((status = 200, description = "`valid`, `revoked` or `unknown`", body = Verification), crate::openapi::PublicErrors)
)]
#[get("/certificates/verify")]
pub async fn verify_certificate(_: Throttled, db: web::Data<Db>, query: Query<VerifyQuery>) -> ApiResult<HttpResponse> {
    let query = query.0;
    let verification = db.run(move |conn| Certificate::verify(conn, &query)).await?;
    Ok(HttpResponse::Ok().json(verification))
}
