//! Pages for people without accounts: a trainee's questionnaire (`/r/{token}`), action plan
//! (`/p/{token}`) and follow-up report (`/c/{token}`), a supervisor's review (`/s/{token}`), and
//! certificate verification (`/verify`).
//! Each personal link the API hands an officer carries the page's address as `page_url`; the JSON
//! operations under `/api/v1/` stay as they are for API clients.
//!
//! Server-rendered HTML ([`maud`]) that needs no JavaScript: a form posts, and is answered either
//! by a redirect to the link's page (which then shows the receipt) or by the form again with every
//! value kept, an error summary linking to each field, and each message above its field. The
//! words come from the catalogue (`crate::texts`, Vietnamese unless `?lang=en` or the browser
//! prefers English); a problem's words from `crate::messages`, as the JSON links word them.
//!
//! Every page is answered with [`Page::render`], which sets what keeps a token in the path safe
//! (see [`security_headers`]); a form's post must come from this site ([`same_site`]). The same
//! per-address and per-link limits as the JSON links apply ([`Throttled`]).

pub mod checkpoint;
pub mod consents;
pub mod plan;
pub mod questionnaire;
pub mod supervisor;
pub mod verify;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use maud::{DOCTYPE, Markup, html};

use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::{ApiError, FieldError};
use crate::http::public::Throttled;
use crate::links::Closed;
use crate::messages::Lang;
use crate::texts::{Text, format};

/// The routes of the pages, outside `/api/v1` and outside the OpenAPI document (they answer
/// HTML, for people; `docs/api-conventions.md` describes them).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(stylesheet)
        .service(questionnaire::open)
        .service(questionnaire::answer)
        .service(questionnaire::decline)
        .service(plan::open)
        .service(plan::save)
        .service(checkpoint::open)
        .service(checkpoint::report)
        .service(supervisor::open)
        .service(supervisor::answer)
        .service(verify::verify)
        .service(consents::list)
        .service(consents::withdraw)
        .service(certificate);
}

/// The one stylesheet, from this origin (the policy allows no inline style): small enough to
/// keep every page under 50 KiB with it, and cached for a day.
const STYLESHEET: &str = include_str!("pages.css");

#[get("/assets/pages.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STYLESHEET)
}

/// A trainee's certificate as the PDF to print, through any of their own links (`/r/`, `/p/`,
/// `/c/` + `/certificate`), in the page's language.
#[get("/{kind:[rpc]}/{token}/certificate")]
async fn certificate(
    limited: Limited,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
    raw: web::Path<(String, String)>,
) -> HttpResponse {
    let (kind, raw) = raw.into_inner();
    let path = format!("/{kind}/{raw}");
    let token = match page.admit(&config, &path, limited, None, &raw) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let content = db
        .run(move |conn| {
            let enrollment = crate::checkpoints::trainee_of_link(conn, &token)?
                .ok_or_else(|| ApiError::NotFound("no such link".to_owned()))?;
            crate::certificates::CertificateContent::printable(conn, enrollment)
        })
        .await;
    let response = match content {
        Ok(content) => crate::documents::certificate_response(content, &config.public_url, page.lang).await,
        Err(error) => Err(error),
    };
    match response {
        Ok(mut pdf) => {
            security_headers(&mut pdf);
            pdf
        }
        // No certificate (or a revoked one): the link's page says what it holds.
        Err(ApiError::NotFound(_) | ApiError::Conflict { .. }) => page.see_other(&path),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// Whether `path` is the page of a trainee's own link (`/r/`, `/p/` or `/c/` and the token, no
/// more), which offers the trainee's consents.
fn is_trainee_link(path: &str) -> bool {
    ["/r/", "/p/", "/c/"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|token| !token.is_empty() && !token.contains('/'))
    })
}

/// The headers every page is answered with. The token is in the path, so: no referrer (a link
/// on the page must not carry it away), no cache (a shared computer's back button), no indexing;
/// the policy lets the page load only this origin's stylesheet and images, run no script at all,
/// post forms only here, and sit in no frame.
pub fn security_headers(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
}

/// Whether a form's post comes from a page of this site. A browser since 2020 says so in
/// `Sec-Fetch-Site`, which decides; one that does not names the page's origin in `Origin`, which
/// must be this site's. The pages send no referrer, so a browser may send `Origin: null` for
/// their own form: that, and a client that sends neither header (curl, an old browser), are let
/// through, since it is not a page of another site that names itself. A post from another site
/// is refused, so no other page can answer in a trainee's name with a link it learnt.
pub fn same_site(req: &HttpRequest, config: &PagesConfig) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => true,
        Some(origin) => {
            let info = req.connection_info();
            let own = format!("{}://{}", info.scheme(), info.host());
            origin == own || origin == config.public_url.as_str()
        }
    }
}

/// The language a page is shown in, and whether it was chosen on the page (`?lang=`), so that
/// its links and forms keep it.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The language.
    pub lang: Lang,
    chosen: bool,
    /// Whether the trainee whose link this is holds a certificate that stands: the page then
    /// offers it to print ([`Page::with_certificate`]).
    certificate: bool,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let chosen = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, _)| name == "lang")
            .and_then(|(_, value)| match value.as_ref() {
                "vi" => Some(Lang::Vi),
                "en" => Some(Lang::En),
                _ => None,
            });
        let lang = chosen.unwrap_or_else(|| {
            Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        });
        ready(Ok(Page {
            lang,
            chosen: chosen.is_some(),
            certificate: false,
        }))
    }
}

/// A form's rejected fields, in the order the page shows them: each field's id on the page, the
/// line of the error summary (naming the field), and the message above the field.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldMessage>);

/// One rejected field of a form.
#[derive(Debug)]
pub struct FieldMessage {
    /// The input's id (the summary links to it).
    pub id: String,
    /// The summary's line: the field's label and the message.
    pub summary: String,
    /// The message shown above the field.
    pub message: String,
}

impl Errors {
    /// The message for the field with this id, if it has one.
    pub fn of(&self, id: &str) -> Option<&str> {
        self.0.iter().find(|e| e.id == id).map(|e| e.message.as_str())
    }

    /// Whether the form was rejected.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

impl Page {
    /// The page of a trainee's own link, offering their certificate when they hold one that
    /// stands (a lookup that fails only leaves the offer out).
    pub async fn with_certificate(mut self, db: &Db, token: &str) -> Page {
        let token = token.to_owned();
        self.certificate = db
            .run(move |conn| {
                Ok(match crate::checkpoints::trainee_of_link(conn, &token)? {
                    Some(enrollment) => crate::certificates::stands(conn, enrollment)?,
                    None => false,
                })
            })
            .await
            .unwrap_or(false);
        self
    }

    /// A fixed text in the page's language.
    pub fn t(&self, key: Text) -> &'static str {
        key.get(self.lang)
    }

    /// A fixed text with its placeholders filled.
    pub fn fill(&self, key: Text, values: &[(&str, &str)]) -> String {
        key.fill(self.lang, values)
    }

    /// Whether the page is in English.
    pub fn english(&self) -> bool {
        self.lang == Lang::En
    }

    /// `path` as the page's links and forms point to it: with `?lang=` when the language was
    /// chosen on the page.
    pub fn href(&self, path: &str) -> String {
        if self.chosen {
            format!("{path}?lang={}", self.lang.tag())
        } else {
            path.to_owned()
        }
    }

    /// A day, as the page's language writes it.
    pub fn date(&self, day: chrono::NaiveDate) -> String {
        format::date(day, self.lang)
    }

    /// "Recorded at 14:30 on 20/9/2024", for an instant in UTC.
    pub fn recorded_at(&self, key: Text, at: chrono::NaiveDateTime) -> String {
        let (date, time) = format::instant(at, self.lang);
        self.fill(key, &[("date", &date), ("time", &time)])
    }

    /// The messages of a rejected form. `field` takes a problem's field (`answers/relevance`) and
    /// names the input's id and label (`q-relevance`, the question), or `None` for a field the
    /// page does not show (its message then goes to the summary alone, linked to the form).
    pub fn errors(&self, error: &ApiError, field: impl Fn(&str) -> Option<(String, String)>) -> Errors {
        let mut errors: Vec<FieldMessage> = error
            .field_errors()
            .iter()
            .map(|e: &FieldError| {
                let message = capitalised(&e.detail_in(self.lang));
                match field(e.field()) {
                    Some((id, label)) => FieldMessage {
                        summary: format!("{}: {}", label.trim_end_matches(['?', ':']), e.detail_in(self.lang)),
                        id,
                        message,
                    },
                    None => FieldMessage {
                        id: "form".to_owned(),
                        summary: message.clone(),
                        message,
                    },
                }
            })
            .collect();
        if errors.is_empty() {
            // A refusal that names no field (a conflict): still said, at the top.
            errors.push(FieldMessage {
                id: "form".to_owned(),
                summary: error.to_string(),
                message: error.to_string(),
            });
        }
        Errors(errors)
    }

    /// A whole page: the header with the language switch, `main`, and the footer with whom to
    /// ask for help. `path` is the page's own path, which the switch links to in the other
    /// language.
    pub fn render(
        &self,
        status: StatusCode,
        config: &PagesConfig,
        path: &str,
        title: &str,
        errors: &Errors,
        main: Markup,
    ) -> HttpResponse {
        let (other, other_name) = match self.lang {
            Lang::Vi => (Lang::En, "English"),
            Lang::En => (Lang::Vi, "Tiếng Việt"),
        };
        let contact = config.contact.as_deref().unwrap_or(self.t(Text::HelpFallback));
        let markup = html! {
            (DOCTYPE)
            html lang=(self.lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    meta name="robots" content="noindex, nofollow";
                    title {
                        @if errors.any() { (self.t(Text::ErrorTitlePrefix)) }
                        (title) " – " (self.t(Text::ServiceName))
                    }
                    link rel="stylesheet" href="/assets/pages.css";
                }
                body {
                    a.skip href="#main" { (self.t(Text::SkipToContent)) }
                    header.site {
                        div.wrap {
                            span.service { (self.t(Text::ServiceName)) }
                            nav aria-label=(self.t(Text::LanguageSwitch)) {
                                a href={ (path) "?lang=" (other.tag()) } lang=(other.tag()) hreflang=(other.tag()) { (other_name) }
                            }
                        }
                    }
                    main #main .wrap {
                        @if errors.any() {
                            div.error-summary #errors role="alert" tabindex="-1" aria-labelledby="errors-title" {
                                h2 #errors-title { (self.t(Text::ErrorSummaryTitle)) }
                                ul {
                                    @for error in &errors.0 {
                                        li { a href={ "#" (error.id) } { (error.summary) } }
                                    }
                                }
                            }
                        }
                        (main)
                        @if self.certificate {
                            p.certificate { a href=(self.href(&format!("{path}/certificate"))) { (self.t(Text::CertificateLink)) } }
                        }
                        @if is_trainee_link(path) {
                            p.consents { a href=(self.href(&format!("{path}/consents"))) { (self.t(Text::ConsentsLink)) } }
                        }
                    }
                    footer.wrap {
                        @if crate::links::is_link(path) { p { (self.t(Text::PersonalLinkNote)) } }
                        p { (self.fill(Text::HelpContact, &[("contact", contact)])) }
                    }
                }
            }
        };
        let mut response = HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_LANGUAGE, self.lang.tag()))
            .body(markup.into_string());
        security_headers(&mut response);
        response
    }

    /// The page of a link that no longer opens its form: what happened, and whom to ask.
    pub fn closed(&self, config: &PagesConfig, path: &str, closed: Closed) -> HttpResponse {
        let (status, title, body) = match closed {
            Closed::Expired => (StatusCode::GONE, Text::ExpiredTitle, Text::ExpiredBody),
            Closed::Replaced => (StatusCode::GONE, Text::ReplacedTitle, Text::ReplacedBody),
            Closed::Unknown => (StatusCode::NOT_FOUND, Text::UnknownTitle, Text::UnknownBody),
        };
        self.message(config, path, status, title, self.t(body))
    }

    /// A page of a title and one paragraph.
    fn message(&self, config: &PagesConfig, path: &str, status: StatusCode, title: Text, body: &str) -> HttpResponse {
        let title = self.t(title);
        self.render(
            status,
            config,
            path,
            title,
            &Errors::default(),
            html! { h1 { (title) } p { (body) } },
        )
    }

    /// The page for a request the page cannot serve: too many requests (429, with
    /// `Retry-After`), a link that cannot be one (404), or a failure (500, logged).
    pub fn failed(&self, config: &PagesConfig, path: &str, error: ApiError) -> HttpResponse {
        match error {
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                let seconds = retry_after_secs.to_string();
                let body = self.fill(Text::TooManyBody, &[("seconds", &seconds)]);
                let mut response = self.message(config, path, StatusCode::TOO_MANY_REQUESTS, Text::TooManyTitle, &body);
                if let Ok(value) = HeaderValue::from_str(&seconds) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            ApiError::NotFound(_) => self.closed(config, path, Closed::Unknown),
            other => {
                tracing::error!(error = %other, "a page failed");
                self.message(
                    config,
                    path,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Text::ServerErrorTitle,
                    self.t(Text::ServerErrorBody),
                )
            }
        }
    }

    /// The page for a form posted from another site (403).
    pub fn cross_site(&self, config: &PagesConfig, path: &str) -> HttpResponse {
        self.message(
            config,
            path,
            StatusCode::FORBIDDEN,
            Text::CrossSiteTitle,
            self.t(Text::CrossSiteBody),
        )
    }

    /// After a form was taken: back to the link's page (which shows the receipt, or the form
    /// as saved), so that reloading it sends nothing twice.
    pub fn see_other(&self, path: &str) -> HttpResponse {
        redirect(self.href(path))
    }

    /// Like [`Page::see_other`], to `path` with `query` (`saved=1`), and the language if it was
    /// chosen on the page.
    pub fn see_other_with(&self, path: &str, query: &str) -> HttpResponse {
        match self.href("").strip_prefix('?') {
            Some(lang) => redirect(format!("{path}?{query}&{lang}")),
            None => redirect(format!("{path}?{query}")),
        }
    }
}

/// 303 to `location`, which holds a token: no referrer.
fn redirect(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

impl Page {
    /// The token of a link page's request, or the page that refuses it: past the public limits
    /// (429), a post from another site (403, when `post` is the request of a form's post), or a
    /// path that cannot hold a token (the unknown-link page).
    pub fn admit(
        &self,
        config: &PagesConfig,
        path: &str,
        limited: Limited,
        post: Option<&HttpRequest>,
        raw: &str,
    ) -> Result<String, Box<HttpResponse>> {
        if let Err(error) = limited {
            return Err(Box::new(self.failed(config, path, error)));
        }
        if post.is_some_and(|req| !same_site(req, config)) {
            return Err(Box::new(self.cross_site(config, path)));
        }
        token(raw).ok_or_else(|| Box::new(self.closed(config, path, Closed::Unknown)))
    }

    /// The message above a rejected field (`{id}-error`, which the field's `aria-describedby`
    /// names), if it has one.
    pub fn error_line(&self, errors: &Errors, id: &str) -> Option<Markup> {
        errors.of(id).map(|message| {
            html! { p.error-message id={ (id) "-error" } { span.visually-hidden { (self.t(Text::ErrorPrefix)) " " } (message) } }
        })
    }
}

/// What a form's post became, inside its write: `None` when the domain took it, the form's
/// content and the problem when its check refused it (shown again, [`unprocessable`]), and any
/// other failure as it is.
pub fn refused<F>(form: F, result: crate::error::ApiResult<()>) -> crate::error::ApiResult<Option<(F, ApiError)>> {
    match result {
        Ok(()) => Ok(None),
        Err(error @ ApiError::Validation(_)) => Ok(Some((form, error))),
        Err(error) => Err(error),
    }
}

/// A form shown again with its problems: 422.
pub fn unprocessable(mut response: HttpResponse) -> HttpResponse {
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// A link's token from the path, or the unknown-link page's reason when it cannot be one.
pub fn token(raw: &str) -> Option<String> {
    let well_formed = raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| raw.to_owned())
}

/// A request within the public limits, or the error that refuses it (shown as a page).
pub type Limited = Result<Throttled, ApiError>;

/// A posted form's fields, in order (a field may repeat: checkboxes).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of a field, trimmed; `None` when absent or blank.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A message as a sentence: its first letter capitalised ("Là bắt buộc" for "là bắt buộc").
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
