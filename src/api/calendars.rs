//! Calendars: a cohort's sessions as an iCalendar file for those who may see the cohort, and a
//! seated trainee's private feed, which a calendar app reads without signing in.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, post, web};

use crate::calendar_feeds::CalendarFeed;
use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::auth::{Auth, ProgramReaders, Staff};
use crate::http::public::{LinkToken, Throttled};
use crate::ids::{CohortId, EnrollmentId};
use crate::links::LinkKey;
use crate::sessions::calendar::uid_domain;

/// The media type every calendar is answered in.
const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// A cohort's sessions as an iCalendar file (RFC 5545, `METHOD:PUBLISH`), to import into a
/// calendar app: each timed session on its venue's clock (`DTSTART;TZID=Asia/Tokyo`, with the
/// zone's `VTIMEZONE`), each session known to the day but not the hour as an all-day event, with
/// its title, venue and description. A session's `UID` stays the same and its `SEQUENCE` (its
/// version) rises with every change, so importing again updates the events. A session known
/// only to the month is left out. Whoever may list the cohort's sessions may read it.
#[utoipa::path(
    tag = "sessions",
    security(("bearer_auth" = ["admin", "officer", "reporter", "liaison"])),
    params(CohortId),
    responses(
        (status = 200, description = "The cohort's calendar (`Content-Disposition: attachment`)", content(
            (String = "text/calendar"),
        )),
        crate::openapi::ReadErrors,
    )
)]
#[get("/cohorts/{id}/calendar.ics")]
pub async fn cohort_calendar(
    auth: Auth<ProgramReaders>,
    db: web::Data<Db>,
    pages: web::Data<PagesConfig>,
    id: web::Path<CohortId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let domain = uid_domain(pages.public_url.as_str());
    let ics = db
        .run(move |conn| {
            let signed = auth.check(conn)?;
            crate::sessions::calendar::cohort_calendar(conn, &signed.caller, id, &domain)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, TEXT_CALENDAR))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"cohort-{id}.ics\""),
        ))
        .body(ics))
}

/// A seated trainee's calendar feed: the address to subscribe to (`feed_url`, under
/// `TPMS_PUBLIC_URL`), made the first time it is asked for and the same every time after. 409
/// `not_seated` for an enrolment that holds no seat.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = ["admin", "officer"])),
    params(EnrollmentId),
    responses((status = 200, description = "The feed", body = CalendarFeed), crate::openapi::WriteErrors)
)]
#[post("/enrollments/{id}/calendar-feed")]
pub async fn issue_calendar_feed(
    auth: Auth<Staff>,
    db: web::Data<Db>,
    id: web::Path<EnrollmentId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let feed = db
        .write(move |conn| {
            let signed = auth.check(conn)?;
            let key = LinkKey::load(conn)?;
            crate::calendar_feeds::issue(conn, &signed.caller, &signed.actor, &key, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(feed))
}

/// The calendar a trainee's feed opens: their cohort's sessions, as the cohort's calendar has
/// them. No sign-in (a calendar app reads it); limited per address and per feed. 404 for an
/// unknown feed, and for a trainee who no longer holds a seat, which the problem says.
#[utoipa::path(
    tag = "links",
    params(LinkToken),
    responses(
        (status = 200, description = "The trainee's cohort's calendar", content((String = "text/calendar"))),
        crate::openapi::PublicErrors,
    )
)]
#[get("/calendar-feeds/{token}")]
pub async fn open_calendar_feed(
    _: Throttled,
    db: web::Data<Db>,
    pages: web::Data<PagesConfig>,
    token: web::Path<LinkToken>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner().checked()?;
    feed_response(db, &pages, token).await
}

/// The same calendar at the feed's short address (`/f/{token}.ics`, what `feed_url` names), which
/// calendar apps subscribe to; outside `/api/v1` and the OpenAPI document, like the pages of the
/// other personal links.
#[get("/f/{token}")]
pub async fn subscribe_calendar_feed(
    _: Throttled,
    db: web::Data<Db>,
    pages: web::Data<PagesConfig>,
    raw: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let raw = raw.into_inner();
    let token = LinkToken::of(raw.strip_suffix(".ics").unwrap_or(&raw)).checked()?;
    feed_response(db, &pages, token).await
}

/// The feed's calendar, answered so that nothing on the way keeps it or the address in it.
async fn feed_response(db: web::Data<Db>, pages: &PagesConfig, token: String) -> ApiResult<HttpResponse> {
    let domain = uid_domain(pages.public_url.as_str());
    let ics = db
        .run(move |conn| crate::calendar_feeds::calendar(conn, &token, &domain))
        .await?;
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, TEXT_CALENDAR))
        .body(ics);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}
