//! A supervisor's review at a checkpoint (`/s/{token}`): each step of the trainee's plan with
//! what the trainee reported, a 1–5 rating of how far the supervisor has seen it applied with a
//! comment, and whether the report holds. Read into the same body
//! `POST /api/v1/supervisor-links/{token}` takes; the link works once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use serde_json::{Map, Value, json};

use super::{Errors, Limited, Page, field, form_fields};
use crate::checkpoints::{Checkpoint, SupervisedCheckpoint, SupervisorAnswer};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::http::json::read_value;
use crate::links::{Closed, Gone};
use crate::texts::Text;

fn path_of(token: &str) -> String {
    format!("/s/{token}")
}

/// What a supervisor's token opens: the form, or why not.
enum Opened {
    Form(Box<SupervisedCheckpoint>),
    Gone(Gone),
}

fn opened(conn: &mut crate::db::DbConnection, token: &str, english: bool) -> crate::error::ApiResult<Opened> {
    if let Some(gone) = Checkpoint::supervisor_link_gone(conn, token)? {
        return Ok(Opened::Gone(gone));
    }
    Checkpoint::by_supervisor_link(conn, token, english).map(|form| Opened::Form(Box::new(form)))
}

/// The review form, the thanks once answered, or why the link opens neither.
#[get("/s/{token}")]
pub async fn open(
    limited: Limited,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
    raw: web::Path<String>,
) -> HttpResponse {
    let path = path_of(&raw);
    let token = match page.admit(&config, &path, limited, None, &raw) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let english = page.english();
    match db.run(move |conn| opened(conn, &token, english)).await {
        Ok(Opened::Form(supervised)) => show_form(&page, &config, &path, &supervised, &[], &Errors::default()),
        Ok(Opened::Gone(gone)) => show_gone(&page, &config, &path, gone),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The review, checked as the JSON operation checks it.
#[post("/s/{token}")]
pub async fn answer(
    limited: Limited,
    req: HttpRequest,
    page: Page,
    db: web::Data<Db>,
    config: web::Data<PagesConfig>,
    raw: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let path = path_of(&raw);
    let token = match page.admit(&config, &path, limited, Some(&req), &raw) {
        Ok(token) => token,
        Err(refused) => return *refused,
    };
    let fields = form_fields(&body);
    let english = page.english();
    let posted = {
        let fields = fields.clone();
        db.write(move |conn| {
            let Opened::Form(supervised) = opened(conn, &token, english)? else {
                return Ok(None);
            };
            let result = read_value::<SupervisorAnswer>(answer_body(&supervised, &fields)).and_then(|answer| {
                Checkpoint::answer_by_supervisor(conn, &crate::effects::trainee_link(), &token, answer)
            });
            super::refused(supervised, result)
        })
        .await
    };
    match posted {
        Ok(None) => page.see_other(&path),
        Ok(Some((supervised, error))) => {
            let errors = page.errors(&error, |field| {
                let parts: Vec<&str> = field.split('/').collect();
                match parts.as_slice() {
                    ["confirmed"] => Some(("confirmed".to_owned(), page.t(Text::ConfirmQuestion).to_owned())),
                    ["comment"] => Some(("comment".to_owned(), page.t(Text::SupervisorComment).to_owned())),
                    ["ratings", n, rest @ ..] => {
                        let item = supervised.items.get(n.parse::<usize>().ok()?)?;
                        let id = if rest.first() == Some(&"comment") {
                            format!("comment-{}", item.number)
                        } else {
                            format!("rating-{}", item.number)
                        };
                        Some((id, item.indicator.clone()))
                    }
                    _ => None,
                }
            });
            super::unprocessable(show_form(&page, &config, &path, &supervised, &fields, &errors))
        }
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The body the JSON operation takes: one rating per step, in the plan's order, the
/// confirmation when chosen, and the comments given.
fn answer_body(supervised: &SupervisedCheckpoint, fields: &[(String, String)]) -> Value {
    let ratings: Vec<Value> = supervised
        .items
        .iter()
        .map(|item| {
            let mut entry = Map::new();
            entry.insert("item".to_owned(), json!(item.number));
            if let Some(value) = field(fields, &format!("rating-{}", item.number)) {
                entry.insert(
                    "rating".to_owned(),
                    value.parse::<i64>().map_or_else(|_| json!(value), |n| json!(n)),
                );
            }
            if let Some(value) = field(fields, &format!("comment-{}", item.number)) {
                entry.insert("comment".to_owned(), json!(value));
            }
            Value::Object(entry)
        })
        .collect();
    let mut body = Map::new();
    body.insert("ratings".to_owned(), Value::Array(ratings));
    match field(fields, "confirmed") {
        Some("true") => body.insert("confirmed".to_owned(), json!(true)),
        Some("false") => body.insert("confirmed".to_owned(), json!(false)),
        _ => None,
    };
    if let Some(comment) = field(fields, "comment") {
        body.insert("comment".to_owned(), json!(comment));
    }
    Value::Object(body)
}

fn show_form(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    supervised: &SupervisedCheckpoint,
    values: &[(String, String)],
    errors: &Errors,
) -> HttpResponse {
    let typed = |name: &str| field(values, name).unwrap_or("").to_owned();
    let error_line = |id: &str| page.error_line(errors, id);
    let months = supervised.months.to_string();
    let main = html! {
        p.caption { (supervised.program_title) " · " (supervised.cohort_name) }
        h1 { (page.t(Text::SupervisorTitle)) }
        p { (page.fill(Text::SupervisorIntro, &[("trainee", &supervised.trainee_name), ("months", &months)])) }
        @if let Some(plan) = &supervised.plan_title { h2 { (plan) } }
        form method="post" action={ (page.href(path)) "#errors" } novalidate {
            @for item in &supervised.items {
                @let number = item.number.to_string();
                @let rating_id = format!("rating-{number}");
                @let comment_id = format!("comment-{number}");
                section.step aria-labelledby={ "step-" (number) } {
                    h3 #{ "step-" (number) } { (page.fill(Text::PlanItemHeading, &[("number", &number)])) ": " (item.indicator) }
                    p.hint { (page.t(Text::Baseline)) " " (item.baseline) " · " (page.t(Text::Target)) " " (item.target) " · " (page.date(item.due_on)) }
                    p {
                        @match &item.progress_label {
                            Some(label) => (page.fill(Text::ReportedProgress, &[("progress", label)])),
                            None => (page.t(Text::NotReportedYet)),
                        }
                        @if let Some(evidence) = &item.evidence { " – " (evidence) }
                    }
                    div.field.invalid[errors.of(&rating_id).is_some()] {
                        fieldset aria-describedby=[errors.of(&rating_id).map(|_| format!("{rating_id}-error"))] {
                            legend { (page.t(Text::ObservedApplication)) }
                            @if let Some(line) = error_line(&rating_id) { (line) }
                            @for (n, value) in supervised.rating_values.iter().enumerate() {
                                @let id = if n == 0 { rating_id.clone() } else { format!("{rating_id}-{n}") };
                                @let sent = value.value.to_string();
                                div.choice {
                                    input #(id) type="radio" name=(rating_id) value=(sent) checked[typed(&rating_id) == sent];
                                    label for=(id) { (value.value) " – " (value.label) }
                                }
                            }
                        }
                    }
                    div.field.invalid[errors.of(&comment_id).is_some()] {
                        label for=(comment_id) { (page.t(Text::Comment)) " " span.mark { (page.t(Text::OptionalMark)) } }
                        @if let Some(line) = error_line(&comment_id) { (line) }
                        textarea #(comment_id) name=(comment_id) rows="2" { (typed(&comment_id)) }
                    }
                }
            }
            @if let Some(barriers) = &supervised.barriers {
                p { strong { (page.t(Text::Barriers)) } " " (barriers) }
            }
            div.field.invalid[errors.of("confirmed").is_some()] {
                fieldset aria-describedby=[errors.of("confirmed").map(|_| "confirmed-error")] {
                    legend { (page.t(Text::ConfirmQuestion)) }
                    @if let Some(line) = error_line("confirmed") { (line) }
                    div.choice {
                        input #confirmed type="radio" name="confirmed" value="true" checked[typed("confirmed") == "true"];
                        label for="confirmed" { (page.t(Text::ConfirmYes)) }
                    }
                    div.choice {
                        input #confirmed-no type="radio" name="confirmed" value="false" checked[typed("confirmed") == "false"];
                        label for="confirmed-no" { (page.t(Text::ConfirmNo)) }
                    }
                }
            }
            div.field.invalid[errors.of("comment").is_some()] {
                label for="comment" { (page.t(Text::SupervisorComment)) " " span.mark { (page.t(Text::OptionalMark)) } }
                @if let Some(line) = error_line("comment") { (line) }
                textarea #comment name="comment" rows="3" { (typed("comment")) }
            }
            button.button type="submit" { (page.t(Text::SendReview)) }
        }
    };
    page.render(
        StatusCode::OK,
        config,
        path,
        page.t(Text::SupervisorTitle),
        errors,
        main,
    )
}

fn show_gone(page: &Page, config: &PagesConfig, path: &str, gone: Gone) -> HttpResponse {
    match gone {
        Gone::Used => {
            let title = page.t(Text::ReviewedTitle);
            let main = html! { div.panel { h1 { (title) } } };
            page.render(StatusCode::OK, config, path, title, &Errors::default(), main)
        }
        Gone::Replaced => page.closed(config, path, Closed::Replaced),
        Gone::Unknown => page.closed(config, path, Closed::Unknown),
    }
}
