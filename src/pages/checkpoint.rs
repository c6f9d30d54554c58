//! A trainee's follow-up report (`/c/{token}`): each step of the plan with its target, how far it
//! has come, what shows it, and what holds the plan back. Read into the same body
//! `POST /api/v1/checkpoint-links/{token}` takes; afterwards the link shows the report as recorded.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use serde_json::{Map, Value, json};

use super::{Errors, Limited, Page, field, form_fields};
use crate::checkpoints::{Checkpoint, LinkedCheckpoint, Report};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::http::json::read_value;
use crate::links::Opened;
use crate::texts::Text;

fn path_of(token: &str) -> String {
    format!("/c/{token}")
}

/// The report form, the report as recorded, or why the link opens neither.
#[get("/c/{token}")]
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
    let page = page.with_certificate(&db, &token).await;
    let english = page.english();
    match db.run(move |conn| Checkpoint::page(conn, &token, english)).await {
        Ok(Opened::Form(linked)) => show_form(&page, &config, &path, &linked, &[], &Errors::default()),
        Ok(Opened::Done((linked, checkpoint))) => show_receipt(&page, &config, &path, &linked, &checkpoint),
        Ok(Opened::Closed(closed)) => page.closed(&config, &path, closed),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The report, checked as the JSON operation checks it.
#[post("/c/{token}")]
pub async fn report(
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
            let Opened::Form(linked) = Checkpoint::page(conn, &token, english)? else {
                return Ok(None);
            };
            let result = read_value::<Report>(report_body(&linked, &fields))
                .and_then(|report| Checkpoint::report_by_link(conn, &crate::effects::trainee_link(), &token, report));
            super::refused(linked, result)
        })
        .await
    };
    match posted {
        Ok(None) => page.see_other(&path),
        Ok(Some((linked, error))) => {
            let errors = page.errors(&error, |field| {
                let parts: Vec<&str> = field.split('/').collect();
                match parts.as_slice() {
                    ["barriers"] => Some(("barriers".to_owned(), page.t(Text::Barriers).to_owned())),
                    ["progress", n, rest @ ..] => {
                        let item = linked.items.get(n.parse::<usize>().ok()?)?;
                        let id = if rest.first() == Some(&"evidence") {
                            format!("evidence-{}", item.number)
                        } else {
                            format!("progress-{}", item.number)
                        };
                        Some((id, item.indicator.clone()))
                    }
                    _ => None,
                }
            });
            super::unprocessable(show_form(&page, &config, &path, &linked, &fields, &errors))
        }
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The body the JSON operation takes: one entry per step, in the plan's order, with its
/// progress and evidence when given (a step left blank is named by the check).
fn report_body(linked: &LinkedCheckpoint, fields: &[(String, String)]) -> Value {
    let progress: Vec<Value> = linked
        .items
        .iter()
        .map(|item| {
            let mut entry = Map::new();
            entry.insert("item".to_owned(), json!(item.number));
            if let Some(value) = field(fields, &format!("progress-{}", item.number)) {
                entry.insert("progress".to_owned(), json!(value));
            }
            if let Some(value) = field(fields, &format!("evidence-{}", item.number)) {
                entry.insert("evidence".to_owned(), json!(value));
            }
            Value::Object(entry)
        })
        .collect();
    let mut body = Map::new();
    body.insert("progress".to_owned(), Value::Array(progress));
    if let Some(barriers) = field(fields, "barriers") {
        body.insert("barriers".to_owned(), json!(barriers));
    }
    Value::Object(body)
}

fn show_form(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    linked: &LinkedCheckpoint,
    values: &[(String, String)],
    errors: &Errors,
) -> HttpResponse {
    let months = linked.months.to_string();
    let title = page.fill(Text::CheckpointTitle, &[("months", &months)]);
    let typed = |name: &str| field(values, name).unwrap_or("").to_owned();
    let error_line = |id: &str| page.error_line(errors, id);
    let main = html! {
        p.caption { (linked.program_title) " · " (linked.cohort_name) }
        h1 { (title) }
        p { (page.fill(Text::CheckpointIntro, &[("date", &page.date(linked.due_on))])) }
        @if let Some(plan) = &linked.plan_title { h2 { (plan) } }
        form method="post" action={ (page.href(path)) "#errors" } novalidate {
            @for item in &linked.items {
                @let number = item.number.to_string();
                @let progress_id = format!("progress-{number}");
                @let evidence_id = format!("evidence-{number}");
                section.step aria-labelledby={ "step-" (number) } {
                    h3 #{ "step-" (number) } { (page.fill(Text::PlanItemHeading, &[("number", &number)])) ": " (item.indicator) }
                    p.hint { (page.t(Text::Baseline)) " " (item.baseline) " · " (page.t(Text::Target)) " " (item.target) " · " (page.date(item.due_on)) }
                    div.field.invalid[errors.of(&progress_id).is_some()] {
                        fieldset aria-describedby=[errors.of(&progress_id).map(|_| format!("{progress_id}-error"))] {
                            legend { (page.t(Text::Progress)) }
                            @if let Some(line) = error_line(&progress_id) { (line) }
                            @for (n, value) in linked.progress_values.iter().enumerate() {
                                @let id = if n == 0 { progress_id.clone() } else { format!("{progress_id}-{n}") };
                                @let sent = value.value.to_string();
                                div.choice {
                                    input #(id) type="radio" name=(progress_id) value=(sent) checked[typed(&progress_id) == sent];
                                    label for=(id) { (value.label) }
                                }
                            }
                        }
                    }
                    div.field.invalid[errors.of(&evidence_id).is_some()] {
                        label for=(evidence_id) { (page.t(Text::Evidence)) " " span.mark { (page.t(Text::OptionalMark)) } }
                        p.hint #{ (evidence_id) "-hint" } { (page.t(Text::EvidenceHint)) }
                        @if let Some(line) = error_line(&evidence_id) { (line) }
                        textarea #(evidence_id) name=(evidence_id) rows="3" aria-describedby={ (evidence_id) "-hint" } { (typed(&evidence_id)) }
                    }
                }
            }
            div.field.invalid[errors.of("barriers").is_some()] {
                label for="barriers" { (page.t(Text::Barriers)) " " span.mark { (page.t(Text::OptionalMark)) } }
                p.hint #barriers-hint { (page.t(Text::BarriersHint)) }
                @if let Some(line) = error_line("barriers") { (line) }
                textarea #barriers name="barriers" rows="4" aria-describedby="barriers-hint" { (typed("barriers")) }
            }
            button.button type="submit" { (page.t(Text::SendReport)) }
        }
    };
    page.render(StatusCode::OK, config, path, &title, errors, main)
}

fn show_receipt(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    linked: &LinkedCheckpoint,
    checkpoint: &Checkpoint,
) -> HttpResponse {
    let label = |value: &crate::checkpoints::Progress| {
        linked
            .progress_values
            .iter()
            .find(|v| &v.value == value)
            .map_or_else(|| value.to_string(), |v| v.label.clone())
    };
    let main = html! {
        p.caption { (linked.program_title) " · " (linked.cohort_name) }
        div.panel {
            h1 { (page.t(Text::ReportedTitle)) }
            @if let Some(at) = checkpoint.submitted_at { p { (page.recorded_at(Text::RecordedAt, at)) } }
        }
        p { (page.t(Text::ReportedNext)) }
        dl.summary {
            @for entry in &checkpoint.progress {
                @let item = linked.items.iter().find(|i| i.number == entry.item);
                div {
                    dt { (page.fill(Text::PlanItemHeading, &[("number", &entry.item.to_string())])) @if let Some(item) = item { ": " (item.indicator) } }
                    dd { (label(&entry.progress)) @if let Some(evidence) = &entry.evidence { " – " (evidence) } }
                }
            }
            @if let Some(barriers) = &checkpoint.barriers {
                div { dt { (page.t(Text::Barriers)) } dd { (barriers) } }
            }
        }
    };
    page.render(
        StatusCode::OK,
        config,
        path,
        page.t(Text::ReportedTitle),
        &Errors::default(),
        main,
    )
}
