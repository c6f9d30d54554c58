//! A trainee's questionnaire (`/r/{token}`): every question with its prompt, its scale's words
//! and whether it must be answered; answer, or decline with a reason. The answers go through the
//! same domain function as `POST /api/v1/responses/{token}`, so they are checked and stored the
//! same way; afterwards the link shows what was recorded, and when.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::{Markup, html};
use serde_json::Value;

use super::{Errors, Limited, Page, field, form_fields};
use crate::config::PagesConfig;
use crate::db::Db;
use crate::error::ApiError;
use crate::instruments::{Answers, ItemKind};
use crate::invitations::{self, AnswerReceipt, Decline, InvitationStatus, Questionnaire, ShownItem};
use crate::links::Opened;
use crate::texts::Text;

fn path_of(token: &str) -> String {
    format!("/r/{token}")
}

/// The questionnaire, the receipt, or why the link opens neither.
#[get("/r/{token}")]
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
    match db.run(move |conn| invitations::page(conn, &token, english)).await {
        Ok(Opened::Form(questionnaire)) => show_form(&page, &config, &path, &questionnaire, &[], &Errors::default()),
        Ok(Opened::Done(receipt)) => show_receipt(&page, &config, &path, &receipt),
        Ok(Opened::Closed(closed)) => page.closed(&config, &path, closed),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The answers, checked as the JSON operation checks them: recorded and answered with a redirect
/// to the receipt, or the form again with every value kept and each problem next to its question.
#[post("/r/{token}")]
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
            let Opened::Form(questionnaire) = invitations::page(conn, &token, english)? else {
                // Used, expired or replaced meanwhile: the link's page says which.
                return Ok(None);
            };
            let answers = answers_from(&questionnaire.items, &fields);
            let result = invitations::submit_by_link(conn, &crate::effects::trainee_link(), &token, answers);
            super::refused(questionnaire, result)
        })
        .await
    };
    match posted {
        Ok(None) => page.see_other(&path),
        Ok(Some((questionnaire, error))) => {
            let errors = page.errors(&error, |field| {
                let key = field.strip_prefix("answers/")?;
                let key = key.split('/').next().unwrap_or(key);
                let item = questionnaire.items.iter().find(|i| i.key == key)?;
                Some((format!("q-{key}"), item.prompt.clone()))
            });
            super::unprocessable(show_form(&page, &config, &path, &questionnaire, &fields, &errors))
        }
        Err(error) => page.failed(&config, &path, error),
    }
}

/// Decline, with the reason if one was given.
#[post("/r/{token}/decline")]
pub async fn decline(
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
    let decline = Decline {
        reason: field(&fields, "reason").map(str::to_owned),
    };
    if let Err(error) = validator::Validate::validate(&decline) {
        let error = ApiError::Validation(crate::error::field_errors(&error));
        return match db.run(move |conn| invitations::page(conn, &token, false)).await {
            Ok(Opened::Form(questionnaire)) => {
                let errors = page.errors(&error, |_| {
                    Some(("reason".to_owned(), page.t(Text::DeclineReason).to_owned()))
                });
                super::unprocessable(show_form(&page, &config, &path, &questionnaire, &fields, &errors))
            }
            _ => page.see_other(&path),
        };
    }
    let declined = db
        .write(move |conn| invitations::decline_by_link(conn, &crate::effects::trainee_link(), &token, decline))
        .await;
    match declined {
        // Declined, or no longer open to decline: the link's page says which.
        Ok(()) | Err(ApiError::NotFound(_)) => page.see_other(&path),
        Err(error) => page.failed(&config, &path, error),
    }
}

/// The answers a posted form gives, as the JSON operation takes them: a scale's or a number's
/// value as a number when it reads as one (a decimal comma too), `true`/`false` for yes/no, the
/// options ticked as a list; a blank field is no answer. What does not read as its kind is sent
/// as typed, so that the check names it.
fn answers_from(items: &[ShownItem], fields: &[(String, String)]) -> Answers {
    let mut answers = Answers::new();
    for item in items {
        let value = match item.kind {
            ItemKind::MultiChoice => {
                let ticked: Vec<Value> = fields
                    .iter()
                    .filter(|(name, value)| *name == item.key && !value.trim().is_empty())
                    .map(|(_, value)| Value::String(value.trim().to_owned()))
                    .collect();
                (!ticked.is_empty()).then_some(Value::Array(ticked))
            }
            ItemKind::Scale | ItemKind::Number => field(fields, &item.key).map(|text| {
                let number = text.replace(',', ".");
                number
                    .parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| {
                        number
                            .parse::<f64>()
                            .ok()
                            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                    })
                    .unwrap_or_else(|| Value::String(text.to_owned()))
            }),
            ItemKind::YesNo => field(fields, &item.key).map(|text| match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            }),
            ItemKind::SingleChoice | ItemKind::Text => {
                field(fields, &item.key).map(|text| Value::String(text.to_owned()))
            }
        };
        if let Some(value) = value {
            answers.insert(item.key.clone(), value);
        }
    }
    answers
}

fn heading(program: &str, cohort: &str, title: &str) -> Markup {
    html! {
        p.caption { (program) " · " (cohort) }
        h1 { (title) }
    }
}

fn show_form(
    page: &Page,
    config: &PagesConfig,
    path: &str,
    questionnaire: &Questionnaire,
    values: &[(String, String)],
    errors: &Errors,
) -> HttpResponse {
    let typed = |name: &str| field(values, name).unwrap_or("");
    let ticked = |name: &str, value: &str| values.iter().any(|(n, v)| n == name && v == value);
    let main = html! {
        (heading(&questionnaire.program_title, &questionnaire.cohort_name, &questionnaire.title))
        p { @if questionnaire.anonymous { (page.t(Text::AnonymousNote)) } @else { (page.t(Text::NamedNote)) } }
        form method="post" action={ (page.href(path)) "#errors" } novalidate {
            @for item in &questionnaire.items {
                @let id = format!("q-{}", item.key);
                @let error = errors.of(&id);
                @let mark = if item.required { page.t(Text::RequiredMark) } else { page.t(Text::OptionalMark) };
                div.field.invalid[error.is_some()] {
                    @match item.kind {
                        ItemKind::Text | ItemKind::Number => {
                            label for=(id) { (item.prompt) " " span.mark { (mark) } }
                            @if let Some(line) = page.error_line(errors, &id) { (line) }
                            @if item.kind == ItemKind::Text {
                                textarea #(id) name=(item.key) rows="4" aria-describedby=[error.map(|_| format!("{id}-error"))] { (typed(&item.key)) }
                            } @else {
                                input #(id) .short type="text" inputmode="decimal" name=(item.key) value=(typed(&item.key))
                                    aria-describedby=[error.map(|_| format!("{id}-error"))];
                            }
                        }
                        _ => {
                            fieldset aria-describedby=[error.map(|_| format!("{id}-error"))] {
                                legend { (item.prompt) " " span.mark { (mark) } }
                                @if let (Some(min), Some(max)) = (item.min, item.max) {
                                    @if item.min_label.is_some() || item.max_label.is_some() {
                                        p.hint {
                                            @if let Some(label) = &item.min_label { (min) " = " (label) }
                                            @if item.min_label.is_some() && item.max_label.is_some() { " · " }
                                            @if let Some(label) = &item.max_label { (max) " = " (label) }
                                        }
                                    }
                                }
                                @if item.kind == ItemKind::MultiChoice { p.hint { (page.t(Text::ChooseAll)) } }
                                @if let Some(line) = page.error_line(errors, &id) { (line) }
                                div.choices.inline[item.kind == ItemKind::Scale] {
                                    @for (n, (value, label)) in choices(page, item).into_iter().enumerate() {
                                        @let input_id = if n == 0 { id.clone() } else { format!("{id}-{n}") };
                                        div.choice {
                                            @if item.kind == ItemKind::MultiChoice {
                                                input #(input_id) type="checkbox" name=(item.key) value=(value) checked[ticked(&item.key, &value)];
                                            } @else {
                                                input #(input_id) type="radio" name=(item.key) value=(value) checked[ticked(&item.key, &value)];
                                            }
                                            label for=(input_id) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            button.button type="submit" { (page.t(Text::SendAnswers)) }
        }
        section.decline aria-labelledby="decline-title" {
            h2 #decline-title { (page.t(Text::DeclineHeading)) }
            p { (page.t(Text::DeclineHint)) }
            form method="post" action={ (page.href(&format!("{path}/decline"))) "#errors" } novalidate {
                @let error = errors.of("reason");
                div.field.invalid[error.is_some()] {
                    label for="reason" { (page.t(Text::DeclineReason)) " " span.mark { (page.t(Text::OptionalMark)) } }
                    @if let Some(line) = page.error_line(errors, "reason") { (line) }
                    textarea #reason name="reason" rows="2" aria-describedby=[error.map(|_| "reason-error")] { (typed("reason")) }
                }
                button.button.secondary type="submit" { (page.t(Text::DeclineButton)) }
            }
        }
    };
    page.render(StatusCode::OK, config, path, &questionnaire.title, errors, main)
}

/// An item's choices, as (value sent, label shown): a scale's numbers, yes and no, or its options.
fn choices(page: &Page, item: &ShownItem) -> Vec<(String, String)> {
    match item.kind {
        ItemKind::Scale => match (item.min, item.max) {
            (Some(min), Some(max)) => (min..=max).map(|n| (n.to_string(), n.to_string())).collect(),
            _ => Vec::new(),
        },
        ItemKind::YesNo => vec![
            ("true".to_owned(), page.t(Text::Yes).to_owned()),
            ("false".to_owned(), page.t(Text::No).to_owned()),
        ],
        _ => item
            .options
            .iter()
            .map(|o| (o.value.clone(), o.label.clone()))
            .collect(),
    }
}

/// What an answer reads as on the receipt: an option's label, yes or no, the number or text.
fn shown_answer(page: &Page, item: &ShownItem, value: &Value) -> String {
    let label_of = |v: &str| {
        item.options
            .iter()
            .find(|o| o.value == v)
            .map_or_else(|| v.to_owned(), |o| o.label.clone())
    };
    match value {
        Value::Bool(true) => page.t(Text::Yes).to_owned(),
        Value::Bool(false) => page.t(Text::No).to_owned(),
        Value::String(text) => label_of(text),
        Value::Array(values) => values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), label_of))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() != 0.0)
            .map_or_else(|| n.to_string(), |f| crate::texts::format::number(f, 2, page.lang)),
        other => other.to_string(),
    }
}

fn show_receipt(page: &Page, config: &PagesConfig, path: &str, receipt: &AnswerReceipt) -> HttpResponse {
    let questionnaire = &receipt.questionnaire;
    let declined = receipt.status == InvitationStatus::Declined;
    let title = if declined {
        page.t(Text::DeclinedTitle)
    } else {
        page.t(Text::AnsweredTitle)
    };
    let main = html! {
        p.caption { (questionnaire.program_title) " · " (questionnaire.cohort_name) }
        div.panel {
            h1 { (title) }
            p { (page.recorded_at(Text::RecordedAt, receipt.at)) }
        }
        @if declined {
            @if let Some(reason) = &receipt.decline_reason { p { (page.fill(Text::DeclinedReason, &[("reason", reason)])) } }
            p { (page.t(Text::DeclinedAfter)) }
        } @else if let Some(answers) = &receipt.answers {
            h2 { (page.t(Text::YourAnswers)) ": " (questionnaire.title) }
            dl.summary {
                @for item in &questionnaire.items {
                    div {
                        dt { (item.prompt) }
                        dd { @match answers.get(&item.key) {
                            Some(value) => (shown_answer(page, item, value)),
                            None => (page.t(Text::NotAnswered)),
                        } }
                    }
                }
            }
        } @else {
            p { (page.t(Text::AnsweredAnonymous)) }
        }
    };
    page.render(StatusCode::OK, config, path, title, &Errors::default(), main)
}
