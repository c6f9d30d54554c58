//! A trainee's action plan (`/p/{token}`): the problem, and steps each with an indicator, a
//! baseline, a target and a due date. Save a draft and come back with the same link; add or
//! remove a step without JavaScript; submit. A plan sent back opens again with the officer's
//! comments. The form is read into the same body `POST /api/v1/plan-links/{token}` takes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Datelike;
use maud::html;
use serde_json::{Map, Value, json};

use super::{Errors, Limited, Page, field, form_fields};
use crate::action_plans::{ActionPlan, LinkedPlan, PlanContent, PlanDraft};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::json::read_value;
use crate::links::Opened;
use crate::texts::Text;

/// The most steps a plan takes (as the JSON body's `maxItems`).
const MOST_STEPS: usize = 50;

fn path_of(token: &str) -> String {
    format!("/p/{token}")
}

/// The plan to write, the plan as sent, or why the link opens neither.
#[get("/p/{token}")]
pub async fn open(
    limited: Limited,
    req: HttpRequest,
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
    let saved = req.query_string().split('&').any(|pair| pair == "saved=1");
    let page = page.with_certificate(&db, &token).await;
    let english = page.english();
    match db.run(move |conn| ActionPlan::page(conn, &token, english)).await {
        Ok(Opened::Form(plan)) => {
            let values = stored_values(&plan);
            show_form(&page, &config, &path, &plan, &values, saved, &Errors::default())
        }
        Ok(Opened::Done((plan, _, at))) => show_receipt(&page, &config, &path, &plan, at),
        Ok(Opened::Closed(closed)) => page.closed(&config, &path, closed),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// What a post of the form asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Save,
    Submit,
    Add,
    Remove,
}

/// Save the draft, submit the plan, or add or remove a step (which saves nothing: the form comes
/// back with every value and one step more or less).
#[post("/p/{token}")]
pub async fn save(
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
    let mut fields = form_fields(&body);
    let action = match field(&fields, "action") {
        Some("submit") => Action::Submit,
        Some("add") => Action::Add,
        Some("remove") => Action::Remove,
        _ => Action::Save,
    };
    let steps = steps_in(&fields);
    let english = page.english();
    let body = plan_body(&fields, steps);
    let outcome = db
        .write(move |conn| {
            let Opened::Form(plan) = ActionPlan::page(conn, &token, english)? else {
                return Ok((None, None));
            };
            let actor = crate::effects::trainee_link();
            let result = match action {
                Action::Add | Action::Remove => Ok(()),
                Action::Save => read_value::<PlanDraft>(body)
                    .and_then(|draft| ActionPlan::save_draft_by_link(conn, &actor, &token, draft)),
                Action::Submit => read_value::<PlanContent>(body)
                    .and_then(|content| ActionPlan::submit_by_link(conn, &actor, &token, content)),
            };
            match result {
                Ok(()) => Ok((Some(plan), None)),
                Err(error @ ApiError::Validation(_)) => Ok((Some(plan), Some(error))),
                Err(error) => Err(error),
            }
        })
        .await;
    match outcome {
        // Used or replaced meanwhile: the link's page says which.
        Ok((None, _)) => page.see_other(&path),
        Ok((Some(plan), None)) => match action {
            Action::Save => page.see_other_with(&path, "saved=1"),
            Action::Submit => page.see_other(&path),
            Action::Add | Action::Remove => {
                let count = if action == Action::Add {
                    (steps + 1).min(MOST_STEPS)
                } else {
                    steps.saturating_sub(1).max(1)
                };
                set_count(&mut fields, count);
                show_form(&page, &config, &path, &plan, &fields, false, &Errors::default())
            }
        },
        Ok((Some(plan), Some(error))) => {
            let errors = page.errors(&error, |field| field_of(&page, field));
            super::unprocessable(show_form(&page, &config, &path, &plan, &fields, false, &errors))
        }
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The input a problem's field is shown at, with its label.
fn field_of(page: &Page, field: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = field.split('/').collect();
    match parts.as_slice() {
        ["title"] => Some(("title".to_owned(), page.t(Text::PlanName).to_owned())),
        ["problem"] => Some(("problem".to_owned(), page.t(Text::PlanProblem).to_owned())),
        ["items", n, name, ..] => {
            let number = n.parse::<usize>().ok()? + 1;
            let step = page.fill(Text::PlanItemHeading, &[("number", &number.to_string())]);
            let (id, label) = match *name {
                "indicator" => ("indicator", Text::Indicator),
                "baseline" => ("baseline", Text::Baseline),
                "target" => ("target", Text::Target),
                _ => ("due-day", Text::DueOn),
            };
            Some((format!("items-{n}-{id}"), format!("{step}, {}", page.t(label))))
        }
        ["items", ..] => Some(("items-0-indicator".to_owned(), page.t(Text::Indicator).to_owned())),
        _ => None,
    }
}

/// How many step rows the form shows (its `steps` field, at least 1).
fn steps_in(fields: &[(String, String)]) -> usize {
    field(fields, "steps")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MOST_STEPS)
}

fn set_count(fields: &mut Vec<(String, String)>, count: usize) {
    fields.retain(|(name, _)| name != "steps");
    fields.push(("steps".to_owned(), count.to_string()));
}

/// The body the JSON operation takes, from the form: a blank field is left out (so that the
/// check says it is required), a step left wholly blank is not a step, and a due date's day,
/// month and year become `YYYY-MM-DD` (or stay as typed, for the check to name).
fn plan_body(fields: &[(String, String)], steps: usize) -> Value {
    let mut body = Map::new();
    for name in ["title", "problem"] {
        if let Some(value) = field(fields, name) {
            body.insert(name.to_owned(), json!(value));
        }
    }
    let mut items = Vec::new();
    for n in 0..steps {
        let get = |name: &str| field(fields, &format!("items-{n}-{name}"));
        let parts = ["indicator", "baseline", "target", "due-day", "due-month", "due-year"];
        if parts.iter().all(|name| get(name).is_none()) {
            continue;
        }
        let mut item = Map::new();
        for name in ["indicator", "baseline", "target"] {
            if let Some(value) = get(name) {
                item.insert(name.to_owned(), json!(value));
            }
        }
        let (day, month, year) = (get("due-day"), get("due-month"), get("due-year"));
        if day.is_some() || month.is_some() || year.is_some() {
            let numbers = (
                day.and_then(|d| d.parse::<u32>().ok()),
                month.and_then(|m| m.parse::<u32>().ok()),
                year.and_then(|y| y.parse::<i32>().ok()),
            );
            let due = match numbers {
                (Some(d), Some(m), Some(y)) => format!("{y:04}-{m:02}-{d:02}"),
                _ => format!("{}/{}/{}", day.unwrap_or(""), month.unwrap_or(""), year.unwrap_or("")),
            };
            item.insert("due_on".to_owned(), json!(due));
        }
        items.push(Value::Object(item));
    }
    body.insert("items".to_owned(), Value::Array(items));
    Value::Object(body)
}

/// The form's values from the plan as stored.
fn stored_values(plan: &LinkedPlan) -> Vec<(String, String)> {
    let mut values = Vec::new();
    if let Some(title) = &plan.title {
        values.push(("title".to_owned(), title.clone()));
    }
    if let Some(problem) = &plan.problem {
        values.push(("problem".to_owned(), problem.clone()));
    }
    for (n, item) in plan.items.iter().enumerate() {
        let mut put = |name: &str, value: String| values.push((format!("items-{n}-{name}"), value));
        put("indicator", item.indicator.clone());
        put("baseline", item.baseline.clone());
        put("target", item.target.clone());
        put("due-day", item.due_on.day().to_string());
        put("due-month", item.due_on.month().to_string());
        put("due-year", item.due_on.year().to_string());
    }
    values.push(("steps".to_owned(), plan.items.len().max(1).to_string()));
    values
}

fn show_form(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    plan: &LinkedPlan,
    values: &[(String, String)],
    saved: bool,
    errors: &Errors,
) -> HttpResponse {
    let typed = |name: &str| field(values, name).unwrap_or("").to_owned();
    let steps = steps_in(values);
    let error_line = |id: &str| page.error_line(errors, id);
    let described = |id: &str| errors.of(id).map(|_| format!("{id}-error"));
    let text_field = |id: &str, label: Text, hint: Text, wide: bool| {
        html! {
            div.field.invalid[errors.of(id).is_some()] {
                label for=(id) { (page.t(label)) }
                p.hint id={ (id) "-hint" } { (page.t(hint)) }
                @if let Some(line) = error_line(id) { (line) }
                @if wide {
                    textarea #(id) name=(id) rows="5" aria-describedby={ (id) "-hint" @if let Some(d) = described(id) { " " (d) } } { (typed(id)) }
                } @else {
                    input #(id) type="text" name=(id) value=(typed(id)) aria-describedby={ (id) "-hint" @if let Some(d) = described(id) { " " (d) } };
                }
            }
        }
    };
    let main = html! {
        p.caption { (plan.program_title) " · " (plan.cohort_name) }
        h1 { (page.t(Text::PlanTitle)) }
        @if saved {
            div.notice role="status" { p { (page.t(Text::DraftSaved)) } }
        }
        @if let Some(comments) = &plan.review_comments {
            div.notice {
                h2 { (page.t(Text::PlanSentBack)) }
                p.pre { (comments) }
            }
        }
        p { (page.t(Text::PlanIntro)) }
        form method="post" action={ (page.href(path)) "#errors" } novalidate {
            input type="hidden" name="steps" value=(steps);
            (text_field("title", Text::PlanName, Text::PlanNameHint, false))
            (text_field("problem", Text::PlanProblem, Text::PlanProblemHint, true))
            @for n in 0..steps {
                @let number = (n + 1).to_string();
                fieldset.step {
                    legend { (page.fill(Text::PlanItemHeading, &[("number", &number)])) }
                    (text_field(&format!("items-{n}-indicator"), Text::Indicator, Text::IndicatorHint, false))
                    (text_field(&format!("items-{n}-baseline"), Text::Baseline, Text::BaselineHint, false))
                    (text_field(&format!("items-{n}-target"), Text::Target, Text::TargetHint, false))
                    @let day_id = format!("items-{n}-due-day");
                    @let hint_id = format!("items-{n}-due-hint");
                    fieldset.date.invalid[errors.of(&day_id).is_some()] role="group" aria-describedby={ (hint_id) @if let Some(d) = described(&day_id) { " " (d) } } {
                        legend { (page.t(Text::DueOn)) }
                        p.hint #(hint_id) { (page.t(Text::DateHint)) }
                        @if let Some(line) = error_line(&day_id) { (line) }
                        @for (part, label, width) in [("due-day", Text::Day, "2"), ("due-month", Text::Month, "2"), ("due-year", Text::Year, "4")] {
                            @let id = format!("items-{n}-{part}");
                            div.date-part {
                                label for=(id) { (page.t(label)) }
                                input #(id) class={ "w" (width) } type="text" inputmode="numeric" name=(id) value=(typed(&id));
                            }
                        }
                    }
                }
            }
            div.actions {
                @if steps < MOST_STEPS { button.button.secondary type="submit" name="action" value="add" { (page.t(Text::AddItem)) } }
                @if steps > 1 { button.button.secondary type="submit" name="action" value="remove" { (page.t(Text::RemoveItem)) } }
            }
            p.hint { (page.t(Text::SaveDraftHint)) }
            div.actions {
                button.button type="submit" name="action" value="submit" { (page.t(Text::SubmitPlan)) }
                button.button.secondary type="submit" name="action" value="save" { (page.t(Text::SaveDraft)) }
            }
        }
    };
    page.render(StatusCode::OK, config, path, page.t(Text::PlanTitle), errors, main)
}

fn show_receipt(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    plan: &LinkedPlan,
    at: chrono::NaiveDateTime,
) -> HttpResponse {
    let main = html! {
        p.caption { (plan.program_title) " · " (plan.cohort_name) }
        div.panel {
            h1 { (page.t(Text::PlanSubmittedTitle)) }
            p { (page.recorded_at(Text::RecordedAt, at)) }
        }
        p { (page.t(Text::PlanSubmittedNext)) }
        @if let Some(title) = &plan.title { h2 { (title) } }
        @if let Some(problem) = &plan.problem { p.pre { (problem) } }
        dl.summary {
            @for (n, item) in plan.items.iter().enumerate() {
                div {
                    dt { (page.fill(Text::PlanItemHeading, &[("number", &(n + 1).to_string())])) ": " (item.indicator) }
                    dd { (item.baseline) " → " (item.target) " (" (page.date(item.due_on)) ")" }
                }
            }
        }
    };
    page.render(
        StatusCode::OK,
        config,
        path,
        page.t(Text::PlanSubmittedTitle),
        &Errors::default(),
        main,
    )
}
