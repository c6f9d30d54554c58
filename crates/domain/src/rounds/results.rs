//! A round's results, computed in the service: per item and per dimension the count, mean,
//! median, distribution and top-two-box share; the response rate; text answers.
//!
//! An anonymous round releases its figures and texts once, when it has closed (by an officer, or
//! when its `closes_at` passed) with at least the configured minimum of answers; until then only
//! the response rate shows. Figures that moved while it was open could be read before and after
//! one named trainee submitted (the invitations say who has), and the difference would be that
//! trainee's answers. Once closed, no answer can be added, so the figures never move again.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::scores::TestScores;
use super::{Anonymity, Respondent, Round, RoundStatus};
use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::RoundId;
use crate::instruments::{Answers, Item, ItemKind};
use crate::resource::Record;
use crate::schema::{enrollments, invitations, responses, trainees};
use crate::statuses::InvitationStatus;
use crate::statuses::SEATED;

/// Who was asked and who answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseRate {
    /// Asked: trainees invited, or for an assessment, trainees seated.
    pub invited: i64,
    /// Answered.
    pub submitted: i64,
    /// Said they would not answer.
    pub declined: i64,
    /// `submitted / invited`, from 0 to 1; none when nobody was asked.
    pub rate: Option<f64>,
}

/// The figures of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    /// The item's key.
    pub key: String,
    /// The question, in English.
    pub prompt: String,
    /// What kind of answer it takes.
    pub kind: ItemKind,
    /// What it measures.
    pub dimension: Option<String>,
    /// How many answered it.
    pub count: i64,
    /// For `scale` and `number` items: the mean.
    pub mean: Option<f64>,
    /// For `scale` and `number` items: the median.
    pub median: Option<f64>,
    /// How many gave each answer (each scale value, option or yes/no); a multi-choice answer
    /// counts once per option chosen.
    pub distribution: BTreeMap<String, i64>,
    /// For `scale` items: the share of answers in the two highest values, from 0 to 1.
    pub top_two_box: Option<f64>,
}

/// The figures of one dimension: its scale items together.
#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionResult {
    /// The dimension.
    pub dimension: String,
    /// Scale answers counted.
    pub count: i64,
    /// Their mean.
    pub mean: Option<f64>,
}

/// One text answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextAnswer {
    /// The item's key.
    pub key: String,
    /// What was written.
    pub text: String,
    /// Who it is by or about; never in an anonymous round.
    pub trainee_name: Option<String>,
}

/// The results of a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundResults {
    /// The round.
    pub round_id: RoundId,
    /// Whether answers are anonymous.
    pub anonymity: Anonymity,
    /// Who was asked and who answered.
    pub response_rate: ResponseRate,
    /// Responses counted.
    pub responses: i64,
    /// True when an anonymous round is not closed yet or has fewer responses than `min_group`:
    /// then `items`, `dimensions` and `text_answers` are empty, so that nobody can tell who said
    /// what. The response rate always shows.
    pub withheld: bool,
    /// Why the figures are withheld, and when they will show; none when they show.
    pub withheld_because: Option<String>,
    /// The fewest responses an anonymous round shows figures for.
    pub min_group: i64,
    /// Per item, in the questionnaire's order.
    pub items: Vec<ItemResult>,
    /// Per dimension, by name.
    pub dimensions: Vec<DimensionResult>,
    /// The text answers.
    pub text_answers: Vec<TextAnswer>,
    /// For a knowledge test (a questionnaire with scored items): the scores, and for a
    /// post-test paired with its pre-test, the gain; none for other questionnaires, and when
    /// the figures are withheld.
    pub scores: Option<TestScores>,
}

/// The results of round `id`, for a caller who may see it.
pub fn results(conn: &mut DbConnection, caller: &Caller, id: RoundId, min_group: u16) -> ApiResult<RoundResults> {
    let round = Round::find_visible(conn, caller, id)?;
    let instrument = round.instrument(conn)?;
    let anonymous = round.anonymity == Anonymity::Anonymous;
    let rows: Vec<(String, Option<String>)> = responses::table
        .left_join(enrollments::table)
        .left_join(trainees::table.on(trainees::id.nullable().eq(enrollments::trainee_id.nullable())))
        .filter(responses::round_id.eq(id))
        .select((responses::answers, trainees::full_name.nullable()))
        .load(conn)?;
    let mut answered = Vec::with_capacity(rows.len());
    for (answers, name) in rows {
        let answers: Answers = serde_json::from_str(&answers).map_err(ApiError::internal)?;
        answered.push((answers, if anonymous { None } else { name }));
    }
    let responses = i64::try_from(answered.len()).unwrap_or(i64::MAX);
    let response_rate = rate(conn, &round, responses)?;
    let min_group = i64::from(min_group);
    // `Round::find` reads a round whose closing time has passed as closed.
    let withheld_because = withheld_because(&round, responses, min_group);
    let withheld = withheld_because.is_some();
    let (items, dimensions, text_answers) = if withheld {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        figures(&instrument.items, &answered)
    };
    let scores = if withheld {
        None
    } else {
        super::scores::of_round(conn, &round, &instrument, min_group)?
    };
    Ok(RoundResults {
        round_id: id,
        anonymity: round.anonymity,
        response_rate,
        responses,
        withheld,
        withheld_because,
        min_group,
        items,
        dimensions,
        text_answers,
        scores,
    })
}

/// Why an anonymous round's figures are withheld (not closed, or fewer than `min_group`
/// responses); none for an identified round, or once they may show.
pub(super) fn withheld_because(round: &Round, responses: i64, min_group: i64) -> Option<String> {
    if round.anonymity != Anonymity::Anonymous {
        None
    } else if round.status != RoundStatus::Closed {
        Some(format!(
            "round {} is anonymous and still {}: its figures and texts show once it has closed, so that they never change after one person answers",
            round.id, round.status
        ))
    } else if responses < min_group {
        Some(format!(
            "round {} is anonymous and has {responses} responses, fewer than {min_group}: figures of a smaller group could tell who said what",
            round.id
        ))
    } else {
        None
    }
}

fn rate(conn: &mut DbConnection, round: &Round, responses: i64) -> ApiResult<ResponseRate> {
    let (invited, submitted, declined) = if round.respondent == Respondent::Trainee {
        let statuses: Vec<(InvitationStatus, i64)> = invitations::table
            .filter(invitations::round_id.eq(round.id))
            .group_by(invitations::status)
            .select((invitations::status, diesel::dsl::count_star()))
            .load(conn)?;
        let of = |s: InvitationStatus| statuses.iter().filter(|(t, _)| *t == s).map(|(_, n)| n).sum::<i64>();
        (
            statuses.iter().map(|(_, n)| n).sum(),
            of(InvitationStatus::Submitted),
            of(InvitationStatus::Declined),
        )
    } else {
        let seated: i64 = enrollments::table
            .filter(enrollments::cohort_id.eq(round.cohort_id))
            .filter(enrollments::status.eq_any(SEATED))
            .count()
            .get_result(conn)?;
        (seated, responses, 0)
    };
    Ok(ResponseRate {
        invited,
        submitted,
        declined,
        rate: crate::ratio::share(submitted, invited),
    })
}

type Figures = (Vec<ItemResult>, Vec<DimensionResult>, Vec<TextAnswer>);

fn figures(items: &[Item], answered: &[(Answers, Option<String>)]) -> Figures {
    let mut results = Vec::with_capacity(items.len());
    let mut by_dimension: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut texts = Vec::new();
    for item in items {
        let given: Vec<(&Value, &Option<String>)> = answered
            .iter()
            .filter_map(|(answers, name)| answers.get(&item.key).filter(|v| !v.is_null()).map(|v| (v, name)))
            .collect();
        let numbers: Vec<f64> = given.iter().filter_map(|(v, _)| v.as_f64()).collect();
        let mut distribution = BTreeMap::new();
        for (value, name) in &given {
            match value {
                Value::Array(chosen) => {
                    for choice in chosen.iter().filter_map(Value::as_str) {
                        *distribution.entry(choice.to_owned()).or_insert(0) += 1;
                    }
                }
                Value::String(text) if item.kind == ItemKind::Text => texts.push(TextAnswer {
                    key: item.key.clone(),
                    text: text.clone(),
                    trainee_name: (*name).clone(),
                }),
                Value::String(choice) => *distribution.entry(choice.clone()).or_insert(0) += 1,
                other if item.kind != ItemKind::Number => *distribution.entry(other.to_string()).or_insert(0) += 1,
                _ => {}
            }
        }
        let numeric = matches!(item.kind, ItemKind::Scale | ItemKind::Number);
        let top_two_box = item.scale.as_ref().and_then(|scale| {
            let top = numbers.iter().filter(|v| **v >= f64::from(scale.max - 1)).count();
            crate::ratio::share(top, numbers.len())
        });
        if item.kind == ItemKind::Scale
            && let Some(dimension) = &item.dimension
        {
            by_dimension.entry(dimension.clone()).or_default().extend(&numbers);
        }
        results.push(ItemResult {
            key: item.key.clone(),
            prompt: item.prompt.clone(),
            kind: item.kind,
            dimension: item.dimension.clone(),
            count: i64::try_from(given.len()).unwrap_or(i64::MAX),
            mean: if numeric { mean(&numbers) } else { None },
            median: if numeric { median(numbers) } else { None },
            distribution,
            top_two_box,
        });
    }
    let dimensions = by_dimension
        .into_iter()
        .map(|(dimension, values)| DimensionResult {
            dimension,
            count: i64::try_from(values.len()).unwrap_or(i64::MAX),
            mean: mean(&values),
        })
        .collect();
    (results, dimensions, texts)
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
pub(super) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// The mean of the scale answers of each trainee's assessments in `rounds` (partner or officer
/// rounds): the figure a completion rule's `min_assessment_mean` is compared with.
pub fn assessment_means(
    conn: &mut DbConnection,
    rounds: &[Round],
) -> ApiResult<BTreeMap<crate::ids::EnrollmentId, f64>> {
    let mut values: BTreeMap<crate::ids::EnrollmentId, Vec<f64>> = BTreeMap::new();
    for round in rounds.iter().filter(|r| r.respondent != Respondent::Trainee) {
        let scales: Vec<String> = round
            .instrument(conn)?
            .items
            .into_iter()
            .filter(|i| i.kind == ItemKind::Scale)
            .map(|i| i.key)
            .collect();
        let rows: Vec<(Option<crate::ids::EnrollmentId>, String)> = responses::table
            .filter(responses::round_id.eq(round.id))
            .select((responses::enrollment_id, responses::answers))
            .load(conn)?;
        for (enrollment, answers) in rows {
            let Some(enrollment) = enrollment else { continue };
            let answers: Answers = serde_json::from_str(&answers).map_err(ApiError::internal)?;
            let entry = values.entry(enrollment).or_default();
            entry.extend(scales.iter().filter_map(|k| answers.get(k).and_then(Value::as_f64)));
        }
    }
    Ok(values
        .into_iter()
        .filter_map(|(e, v)| mean(&v).map(|m| (e, m)))
        .collect())
}

/// One item of a round's results as a row of its CSV or workbook: the figures of
/// [`ItemResult`] (without the distribution) and, for a scored item, its difficulty and gain,
/// so that the department sees which questions of its tests are too easy or too hard.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRow {
    /// The item's key.
    pub key: String,
    /// The question, in English.
    pub prompt: String,
    /// What kind of answer it takes.
    pub kind: ItemKind,
    /// What it measures.
    pub dimension: Option<String>,
    /// How many answered it.
    pub count: i64,
    /// For `scale` and `number` items: the mean.
    pub mean: Option<f64>,
    /// For `scale` and `number` items: the median.
    pub median: Option<f64>,
    /// For `scale` items: the share in the two highest values.
    pub top_two_box: Option<f64>,
    /// For a scored item: the points a right answer earns.
    pub points: Option<i32>,
    /// For a scored item: its difficulty, the share of responses that answered it right.
    pub share_correct: Option<f64>,
    /// For a scored item: the mean points in the pre-test.
    pub mean_pre: Option<f64>,
    /// For a scored item: the mean points in the post-test.
    pub mean_post: Option<f64>,
    /// For a scored item: its normalised gain (none when undefined).
    pub gain: Option<f64>,
}

impl RoundResults {
    /// The rows of the results' export: one per item, in the questionnaire's order (none while
    /// the figures are withheld).
    pub fn item_rows(&self) -> Vec<ItemRow> {
        self.items
            .iter()
            .map(|item| {
                let scored = self
                    .scores
                    .as_ref()
                    .and_then(|s| s.items.iter().find(|i| i.key == item.key));
                ItemRow {
                    key: item.key.clone(),
                    prompt: item.prompt.clone(),
                    kind: item.kind,
                    dimension: item.dimension.clone(),
                    count: item.count,
                    mean: item.mean,
                    median: item.median,
                    top_two_box: item.top_two_box,
                    points: scored.map(|s| s.points),
                    share_correct: scored.and_then(|s| s.share_correct),
                    mean_pre: scored.and_then(|s| s.mean_pre),
                    mean_post: scored.and_then(|s| s.mean_post),
                    gain: scored.and_then(|s| s.gain),
                }
            })
            .collect()
    }
}
