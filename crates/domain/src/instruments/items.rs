//! The items of a questionnaire, and how an answer is checked against them.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::ids::text_enum;

text_enum!(
    /// What kind of answer an item takes.
    ItemKind {
        /// A whole number between the item's `scale.min` and `scale.max` (a Likert scale).
        Scale,
        /// One of the item's options, by `value`.
        SingleChoice,
        /// A list of the item's options, by `value`, each at most once.
        MultiChoice,
        /// Any number.
        Number,
        /// Free text, up to 10,000 characters.
        Text,
        /// `true` or `false`.
        YesNo,
    }
);

/// The bounds of a scale item, with the words at each end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// The lowest value.
    #[schema(example = 1)]
    pub min: i32,
    /// The highest value (more than `min`, at most 100 values in all).
    #[schema(example = 5)]
    pub max: i32,
    /// What the lowest value means, in English.
    #[schema(example = "Strongly disagree")]
    pub min_label: Option<String>,
    /// What the lowest value means, in Vietnamese.
    #[schema(example = "Hoàn toàn không đồng ý")]
    pub min_label_vi: Option<String>,
    /// What the highest value means, in English.
    #[schema(example = "Strongly agree")]
    pub max_label: Option<String>,
    /// What the highest value means, in Vietnamese.
    #[schema(example = "Hoàn toàn đồng ý")]
    pub max_label_vi: Option<String>,
}

/// One option of a choice item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What an answer sends (stable across revisions, like an item's key).
    #[schema(example = "too_short")]
    pub value: String,
    /// The option in English.
    #[schema(example = "Too short")]
    pub label: String,
    /// The option in Vietnamese.
    #[schema(example = "Quá ngắn")]
    pub label_vi: String,
}

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable key: the same key in two revisions asks the same question, so results compare
    /// across revisions and years. Lower case letters, digits and `_`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "relevance")]
    pub key: String,
    /// The question in English.
    #[schema(example = "The content was relevant to my work at home.")]
    pub prompt: String,
    /// The question in Vietnamese.
    #[schema(example = "Nội dung phù hợp với công việc của tôi.")]
    pub prompt_vi: String,
    /// What kind of answer it takes.
    pub kind: ItemKind,
    /// For a `scale` item: its bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    /// For a choice item: its options (at least two, distinct values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Whether an answer must be given.
    #[serde(default = "yes")]
    pub required: bool,
    /// What the item measures, so that results group by it: `content`, `lecturers`,
    /// `relevance`, `logistics`, `overall`, or a criterion of a rubric.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "relevance")]
    pub dimension: Option<String>,
    /// For a knowledge test (a `learning` questionnaire): how the item is scored. Only a
    /// `single_choice`, `multi_choice` or `number` item is scored; staff read it, a trainee's
    /// link never shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
}

/// How a knowledge-test item is scored: all or nothing, `points` for a right answer and 0 for
/// a wrong one or none.
///
/// - `single_choice`: right when the answer is the one option in `correct`.
/// - `multi_choice`: right when the options chosen are exactly the set in `correct` (no
///   partial credit: one missing or one extra option scores 0), so that ticking every box never
///   earns anything.
/// - `number`: right when the answer lies in `min..=max` (both inclusive; give the same value
///   twice for an exact answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Points a right answer earns, 1 to 100.
    #[schema(minimum = 1, maximum = 100, example = 1)]
    pub points: i32,
    /// For a choice item: the right option's value (one for `single_choice`, one or more for
    /// `multi_choice`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["b"]))]
    pub correct: Vec<String>,
    /// For a `number` item: the lowest right answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// For a `number` item: the highest right answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Item {
    /// The points a right answer earns; none when the item is not scored.
    pub fn points(&self) -> Option<i32> {
        self.scoring.as_ref().map(|s| s.points)
    }

    /// The points `answer` earns (none given: 0); none when the item is not scored. The rule is
    /// [`Scoring`]'s: all or nothing.
    pub fn score(&self, answer: Option<&Value>) -> Option<i32> {
        let scoring = self.scoring.as_ref()?;
        let answer = answer.filter(|v| !v.is_null());
        let right = match (self.kind, answer) {
            (_, None) => false,
            (ItemKind::SingleChoice, Some(value)) => value
                .as_str()
                .is_some_and(|v| scoring.correct.len() == 1 && scoring.correct[0] == v),
            (ItemKind::MultiChoice, Some(value)) => value.as_array().is_some_and(|chosen| {
                let chosen: HashSet<&str> = chosen.iter().filter_map(Value::as_str).collect();
                let correct: HashSet<&str> = scoring.correct.iter().map(String::as_str).collect();
                chosen == correct
            }),
            (ItemKind::Number, Some(value)) => match (value.as_f64(), scoring.min, scoring.max) {
                (Some(v), Some(min), Some(max)) => min <= v && v <= max,
                _ => false,
            },
            _ => false,
        };
        Some(if right { scoring.points } else { 0 })
    }
}

/// The most points `items` can earn: the sum of the scored items' points; none when no item is
/// scored (the questionnaire is not a test).
pub fn max_score(items: &[Item]) -> Option<i64> {
    let scored: Vec<i64> = items.iter().filter_map(Item::points).map(i64::from).collect();
    (!scored.is_empty()).then(|| scored.iter().sum())
}

/// Every problem with the scoring of `items`, named by pointer (`#/items/2/scoring/correct`).
/// `test` is whether the questionnaire is a knowledge test (`purpose: learning`), the only kind
/// whose items are scored.
pub fn check_scoring(items: &[Item], test: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(scoring) = &item.scoring else { continue };
        let at = |field: &str| format!("items/{i}/scoring{field}");
        if !test {
            errors.push(FieldError::new(
                &at(""),
                "not_allowed",
                "only a knowledge test (purpose: learning) has scored items",
            ));
            continue;
        }
        if !(1..=100).contains(&scoring.points) {
            errors.push(FieldError::new(
                &at("/points"),
                "out_of_range",
                "a whole number from 1 to 100",
            ));
        }
        let options: HashSet<&str> = item.options.iter().map(|o| o.value.as_str()).collect();
        let correct: HashSet<&str> = scoring.correct.iter().map(String::as_str).collect();
        let choices_ok = correct.len() == scoring.correct.len() && correct.iter().all(|c| options.contains(c));
        let ranged = scoring.min.is_some() || scoring.max.is_some();
        match item.kind {
            ItemKind::SingleChoice | ItemKind::MultiChoice => {
                let single = item.kind == ItemKind::SingleChoice;
                if !choices_ok || scoring.correct.is_empty() || (single && scoring.correct.len() != 1) {
                    errors.push(FieldError::new(
                        &at("/correct"),
                        "invalid",
                        if single {
                            "the value of the one right option"
                        } else {
                            "the values of the right options, each once"
                        },
                    ));
                }
                if ranged {
                    errors.push(FieldError::new(
                        &at("/min"),
                        "not_allowed",
                        "only a number item has a range",
                    ));
                }
            }
            ItemKind::Number => {
                match (scoring.min, scoring.max) {
                    (Some(min), Some(max)) if min.is_finite() && max.is_finite() && min <= max => {}
                    _ => errors.push(FieldError::new(
                        &at("/max"),
                        "invalid",
                        "a number item is scored by its accepted range: min and max, min at most max",
                    )),
                }
                if !scoring.correct.is_empty() {
                    errors.push(FieldError::new(
                        &at("/correct"),
                        "not_allowed",
                        "only a choice item has right options",
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                &at(""),
                "not_allowed",
                "only single_choice, multi_choice and number items are scored",
            )),
        }
    }
    errors
}

fn yes() -> bool {
    true
}

const MAX_ITEMS: usize = 200;
const MAX_TEXT: usize = 10_000;

fn is_key(value: &str) -> bool {
    let mut chars = value.chars();
    value.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every problem with a questionnaire's items, each named by pointer (`#/items/2/key`).
pub fn check_items(items: &[Item]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if items.is_empty() {
        errors.push(FieldError::new(
            "items",
            "required",
            "a questionnaire needs at least one item",
        ));
    }
    if items.len() > MAX_ITEMS {
        errors.push(FieldError::new(
            "items",
            "too_long",
            format!("at most {MAX_ITEMS} items"),
        ));
    }
    let mut keys = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("items/{i}/{field}");
        if !is_key(&item.key) {
            errors.push(FieldError::new(
                &at("key"),
                "invalid_format",
                "lower case letters, digits and _, starting with a letter, at most 64",
            ));
        } else if !keys.insert(item.key.as_str()) {
            errors.push(FieldError::new(
                &at("key"),
                "duplicate",
                format!("key {} is used by an earlier item", item.key),
            ));
        }
        for (field, text) in [("prompt", &item.prompt), ("prompt_vi", &item.prompt_vi)] {
            if text.trim().is_empty() || text.chars().count() > 2_000 {
                errors.push(FieldError::new(&at(field), "invalid_length", "1 to 2,000 characters"));
            }
        }
        if let Some(dimension) = &item.dimension
            && !is_key(dimension)
        {
            errors.push(FieldError::new(
                &at("dimension"),
                "invalid_format",
                "lower case letters, digits and _, such as relevance",
            ));
        }
        match (item.kind, &item.scale) {
            (ItemKind::Scale, None) => errors.push(FieldError::new(
                &at("scale"),
                "required",
                "a scale item needs its min and max",
            )),
            (ItemKind::Scale, Some(scale))
                if scale.max <= scale.min || i64::from(scale.max) - i64::from(scale.min) >= 100 =>
            {
                errors.push(FieldError::new(
                    &at("scale"),
                    "out_of_range",
                    "max must be above min, with at most 100 values",
                ))
            }
            (ItemKind::Scale, Some(_)) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                &at("scale"),
                "not_allowed",
                "only a scale item has bounds",
            )),
            (_, None) => {}
        }
        let choice = matches!(item.kind, ItemKind::SingleChoice | ItemKind::MultiChoice);
        if choice {
            let values: HashSet<&str> = item.options.iter().map(|o| o.value.as_str()).collect();
            if item.options.len() < 2 || item.options.len() > 100 || values.len() != item.options.len() {
                errors.push(FieldError::new(
                    &at("options"),
                    "invalid",
                    "a choice item needs 2 to 100 options with distinct values",
                ));
            }
            let sized = |text: &str, most: usize| !text.trim().is_empty() && text.chars().count() <= most;
            for (j, option) in item.options.iter().enumerate() {
                if !sized(&option.value, 100) || !sized(&option.label, 500) || !sized(&option.label_vi, 500) {
                    errors.push(FieldError::new(
                        &at(&format!("options/{j}")),
                        "invalid_length",
                        "a value of 1 to 100 characters, and labels of 1 to 500",
                    ));
                }
            }
        } else if !item.options.is_empty() {
            errors.push(FieldError::new(
                &at("options"),
                "not_allowed",
                "only a choice item has options",
            ));
        }
    }
    errors
}

/// The answers to a questionnaire, by item key.
pub type Answers = BTreeMap<String, Value>;

/// Every problem with `answers` to `items`, named by pointer (`#/answers/relevance`): an answer
/// of the wrong type or out of range, a choice not among the options, an unknown key, a
/// required item left out. An answer of `null` counts as none.
pub fn check_answers(items: &[Item], answers: &Answers) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let at = |key: &str| format!("answers/{key}");
    for key in answers.keys() {
        if !items.iter().any(|i| &i.key == key) {
            errors.push(FieldError::new(
                &at(key),
                "unknown_item",
                format!("the questionnaire has no item {key}"),
            ));
        }
    }
    for item in items {
        let answer = answers.get(&item.key).filter(|v| !v.is_null());
        let Some(answer) = answer else {
            if item.required {
                errors.push(FieldError::new(
                    &at(&item.key),
                    "required",
                    "this item must be answered",
                ));
            }
            continue;
        };
        if let Err((code, detail)) = check_answer(item, answer) {
            errors.push(FieldError::new(&at(&item.key), code, detail));
        }
    }
    errors
}

fn check_answer(item: &Item, answer: &Value) -> Result<(), (&'static str, String)> {
    let option = |value: &Value| {
        value
            .as_str()
            .is_some_and(|v| item.options.iter().any(|o| o.value == v))
    };
    let values = || {
        item.options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match item.kind {
        ItemKind::Scale => {
            let scale = item
                .scale
                .as_ref()
                .ok_or(("invalid", "the item has no scale".to_owned()))?;
            match answer.as_i64() {
                Some(v) if (i64::from(scale.min)..=i64::from(scale.max)).contains(&v) => Ok(()),
                Some(_) => Err((
                    "out_of_range",
                    format!("a whole number from {} to {}", scale.min, scale.max),
                )),
                None => Err((
                    "invalid_type",
                    format!("a whole number from {} to {}", scale.min, scale.max),
                )),
            }
        }
        ItemKind::SingleChoice if option(answer) => Ok(()),
        ItemKind::SingleChoice => Err(("not_an_option", format!("one of: {}", values()))),
        ItemKind::MultiChoice => {
            let list = answer
                .as_array()
                .ok_or(("invalid_type", format!("a list of: {}", values())))?;
            let distinct: HashSet<&str> = list.iter().filter_map(Value::as_str).collect();
            if list.iter().all(option) && distinct.len() == list.len() {
                Ok(())
            } else {
                Err(("not_an_option", format!("each at most once, among: {}", values())))
            }
        }
        ItemKind::Number if answer.is_number() => Ok(()),
        ItemKind::Number => Err(("invalid_type", "a number".to_owned())),
        // The same rules as free text anywhere else (a plan's notes), so that a comment shows
        // staff what was typed: no NUL or other control character, no direction override.
        ItemKind::Text => match answer.as_str() {
            Some(text) => crate::validate::answer_text(text, MAX_TEXT).map_err(|e| {
                let code = match e.code.as_ref() {
                    "blank" => "blank",
                    "too_long" => "too_long",
                    "control_characters" => "control_characters",
                    _ => "bidi_control",
                };
                (code, e.message.map_or_else(|| "text".to_owned(), |m| m.into_owned()))
            }),
            None => Err(("invalid_type", "text".to_owned())),
        },
        ItemKind::YesNo if answer.is_boolean() => Ok(()),
        ItemKind::YesNo => Err(("invalid_type", "true or false".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scale_item() -> Item {
        serde_json::from_value(json!({
            "key": "relevance", "prompt": "Relevant?", "prompt_vi": "Phù hợp?", "kind": "scale",
            "scale": {"min": 1, "max": 5}, "dimension": "relevance"
        }))
        .expect("an item")
    }

    #[test]
    fn a_scale_answer_must_be_a_whole_number_in_range() {
        let items = [scale_item()];
        let answers = |v: Value| Answers::from([("relevance".to_owned(), v)]);
        assert!(check_answers(&items, &answers(json!(5))).is_empty());
        assert_eq!(check_answers(&items, &answers(json!(6)))[0].code, "out_of_range");
        assert_eq!(check_answers(&items, &answers(json!("5")))[0].code, "invalid_type");
        assert_eq!(check_answers(&items, &Answers::new())[0].pointer, "#/answers/relevance");
    }

    #[test]
    fn a_scored_item_earns_its_points_all_or_nothing() {
        let item = |kind: &str, scoring: Value| -> Item {
            serde_json::from_value(json!({
                "key": "q", "prompt": "Q?", "prompt_vi": "Q?", "kind": kind, "scoring": scoring,
                "options": if kind == "number" { json!([]) } else { json!([
                    {"value": "a", "label": "A", "label_vi": "A"}, {"value": "b", "label": "B", "label_vi": "B"},
                    {"value": "c", "label": "C", "label_vi": "C"}
                ]) }
            }))
            .expect("an item")
        };
        let multi = item("multi_choice", json!({"points": 3, "correct": ["a", "c"]}));
        assert_eq!(multi.score(Some(&json!(["c", "a"]))), Some(3), "any order");
        assert_eq!(multi.score(Some(&json!(["a"]))), Some(0), "one missing");
        assert_eq!(multi.score(Some(&json!(["a", "b", "c"]))), Some(0), "one extra");
        assert_eq!(multi.score(None), Some(0), "none given");
        let single = item("single_choice", json!({"points": 2, "correct": ["b"]}));
        assert_eq!(
            (single.score(Some(&json!("b"))), single.score(Some(&json!("a")))),
            (Some(2), Some(0))
        );
        let number = item("number", json!({"points": 1, "min": 9.5, "max": 10.5}));
        let scores: Vec<Option<i32>> = [9.4, 9.5, 10.5, 10.6]
            .iter()
            .map(|v| number.score(Some(&json!(v))))
            .collect();
        assert_eq!(scores, [Some(0), Some(1), Some(1), Some(0)], "both bounds included");
        assert_eq!(
            scale_item().score(Some(&json!(5))),
            None,
            "an unscored item has no score"
        );
        assert_eq!(max_score(&[multi, single, number, scale_item()]), Some(6));
    }

    #[test]
    fn duplicate_keys_and_unbounded_scales_are_named() {
        let mut second = scale_item();
        second.scale = None;
        let errors = check_items(&[scale_item(), second]);
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["#/items/1/key", "#/items/1/scale"]);
    }
}
