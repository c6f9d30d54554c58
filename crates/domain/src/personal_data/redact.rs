//! The rewrites of JSON documents that hold a person's values among others ([`super::Erase::Json`]):
//! each returns the document with those values replaced by [`ERASED`] (or emptied), keeping its
//! shape, or `None` when nothing in it is left to erase.

use serde_json::{Map, Value};

use super::{ERASED, Reach, Scope};

/// Fields of an audit event whose values say nothing about who the person is, and which reports
/// and the trail's reader still need: kept by an erasure.
const KEPT_FIELDS: [&str; 20] = [
    "status",
    "state",
    "gender",
    "province",
    "organisation",
    "language",
    "kind",
    "category",
    "currency",
    "reporting_currency",
    "wave",
    "anonymity",
    "respondent",
    "supervisor_status",
    "recipient_role",
    "erased_at",
    "cohort_year",
    "entry_date",
    "due_on",
    "months",
];

/// Fields of an audit event that retention erases: contact details and free text.
const RETAINED_FIELDS: [&str; 16] = [
    "email",
    "phone",
    "recipient_email",
    "supervisor_name",
    "supervisor_position",
    "supervisor_email",
    "title",
    "problem",
    "items",
    "reason",
    "review_comments",
    "answers",
    "progress",
    "barriers",
    "review_note",
    "decline_reason",
];

/// `erase` applied to every value (not stopping at the first that changed); whether any changed.
fn every<'a>(values: impl Iterator<Item = &'a mut Value>, erase: fn(&mut Value) -> bool) -> bool {
    let mut changed = false;
    for value in values {
        changed |= erase(value);
    }
    changed
}

/// Every string inside `value` replaced by [`ERASED`]; whether anything changed.
fn erase_strings(value: &mut Value) -> bool {
    match value {
        Value::String(text) if text != ERASED => {
            *text = ERASED.to_owned();
            true
        }
        Value::Array(values) => every(values.iter_mut(), erase_strings),
        Value::Object(fields) => every(fields.values_mut(), erase_strings),
        _ => false,
    }
}

/// A birth year (anywhere inside `value`) made the first year of its decade.
fn to_decade(value: &mut Value) -> bool {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(year) if year % 10 != 0 => {
                *value = Value::from(year / 10 * 10);
                true
            }
            _ => false,
        },
        Value::Array(values) => every(values.iter_mut(), to_decade),
        Value::Object(fields) => every(fields.values_mut(), to_decade),
        _ => false,
    }
}

fn parse_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(fields)) => Some(fields),
        _ => None,
    }
}

/// An audit event's `{field: {before, after}}`: on request every value but those of
/// [`KEPT_FIELDS`] (and a birth year, to its decade); at retention the values of
/// [`RETAINED_FIELDS`]. The fields stay, so the trail still shows that and when each changed.
pub fn audit_changes(text: &str, _: Option<&str>, _: &Scope, reach: Reach) -> Option<String> {
    let mut fields = parse_object(text)?;
    let mut changed = false;
    for (field, value) in &mut fields {
        let field = field.as_str();
        changed |= match reach {
            Reach::Request if field == "birth_year" => to_decade(value),
            Reach::Request if KEPT_FIELDS.contains(&field) => false,
            Reach::Request => erase_strings(value),
            Reach::Retention if RETAINED_FIELDS.contains(&field) => erase_strings(value),
            Reach::Retention => false,
        };
    }
    changed.then(|| Value::Object(fields).to_string())
}

/// A saved attendance sheet's event, `{enrollment_id: {before, after}}` with each mark's status
/// and note: the notes of the scope's enrolments erased, everyone else's left as they are.
pub fn attendance_sheet(text: &str, _: Option<&str>, scope: &Scope, _: Reach) -> Option<String> {
    let mut fields = parse_object(text)?;
    let mut changed = false;
    for (enrollment, value) in &mut fields {
        let ours = enrollment
            .parse::<i64>()
            .is_ok_and(|id| scope.enrollments.contains(&id));
        if !ours {
            continue;
        }
        for side in ["before", "after"] {
            if let Some(Value::Object(mark)) = value.get_mut(side)
                && let Some(note) = mark.get_mut("note")
            {
                changed |= erase_strings(note);
            }
        }
    }
    changed.then(|| Value::Object(fields).to_string())
}

/// Answers by item key: the answers to the questionnaire's free-text items (`items`, the
/// context) replaced by [`ERASED`]; scores, numbers and choices stay, so results count as before.
pub fn answers(text: &str, items: Option<&str>, _: &Scope, _: Reach) -> Option<String> {
    let mut answers = parse_object(text)?;
    let items: Vec<Value> = items
        .and_then(|items| serde_json::from_str(items).ok())
        .unwrap_or_default();
    let free_text: Vec<&str> = items
        .iter()
        .filter(|item| item.get("kind").and_then(Value::as_str) == Some("text"))
        .filter_map(|item| item.get("key").and_then(Value::as_str))
        .collect();
    let mut changed = false;
    for (key, value) in &mut answers {
        if free_text.contains(&key.as_str()) {
            changed |= erase_strings(value);
        }
    }
    changed.then(|| Value::Object(answers).to_string())
}

/// A plan's items: indicator, baseline and target replaced by [`ERASED`]; each item's due date
/// stays (the follow-up schedule counts by it).
pub fn plan_items(text: &str, _: Option<&str>, _: &Scope, _: Reach) -> Option<String> {
    let mut items: Vec<Value> = serde_json::from_str(text).ok()?;
    let mut changed = false;
    for item in &mut items {
        if let Value::Object(fields) = item {
            for (field, value) in fields.iter_mut() {
                if field != "due_on" {
                    changed |= erase_strings(value);
                }
            }
        }
    }
    changed.then(|| Value::Array(items).to_string())
}

/// A checkpoint's report: each item's evidence and links emptied; how far it came stays (the
/// outcome figures count it).
pub fn progress(text: &str, _: Option<&str>, _: &Scope, _: Reach) -> Option<String> {
    let mut items: Vec<Value> = serde_json::from_str(text).ok()?;
    let mut changed = false;
    for item in &mut items {
        if let Value::Object(fields) = item {
            if fields.get("evidence").is_some_and(|e| !e.is_null()) {
                fields.insert("evidence".to_owned(), Value::Null);
                changed = true;
            }
            if fields
                .get("links")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
            {
                fields.insert("links".to_owned(), Value::Array(Vec::new()));
                changed = true;
            }
        }
    }
    changed.then(|| Value::Array(items).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_event_keeps_its_fields_and_the_counted_values_but_not_the_name() {
        let event = r#"{"full_name":{"before":null,"after":"Lê Văn Tám"},"province":{"before":null,"after":"Huế"},"birth_year":{"before":null,"after":1987}}"#;
        let erased = audit_changes(event, None, &Scope::default(), Reach::Request).expect("changed");
        let erased: Value = serde_json::from_str(&erased).expect("json");
        assert_eq!(erased["full_name"]["after"], ERASED);
        assert_eq!(erased["province"]["after"], "Huế");
        assert_eq!(erased["birth_year"]["after"], 1980);
        assert_eq!(
            audit_changes(&erased.to_string(), None, &Scope::default(), Reach::Request),
            None
        );
    }

    #[test]
    fn only_free_text_answers_are_erased() {
        let items = r#"[{"key":"relevance","kind":"scale"},{"key":"comments","kind":"text"},{"key":"mode","kind":"single_choice"}]"#;
        let erased = answers(
            r#"{"relevance":4,"comments":"Tôi là Tám","mode":"online"}"#,
            Some(items),
            &Scope::default(),
            Reach::Retention,
        )
        .expect("changed");
        assert_eq!(erased, r#"{"comments":"[erased]","mode":"online","relevance":4}"#);
    }
}
