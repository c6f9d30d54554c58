//! Knowledge tests (Kirkpatrick's level 2): the scores of a round whose questionnaire has scored
//! items, and the gain from a pre-test to its post-test.
//!
//! - **A score** is the sum of the points of the items answered right (`instruments::Scoring`:
//!   all or nothing per item, a multi-choice item right only on the exact set); an item left out
//!   scores 0. The most a response can score (`max_score`) is the sum of the scored items' points.
//! - **Means** are over every response of a round (in a pre-test and a post-test alike, whoever
//!   answered only one of them still counts in that one), so that an anonymous pair, whose
//!   answers cannot be matched, gives the same figures an identified one would.
//! - **The gain** is Hake's normalised gain of the class means: `(mean_post − mean_pre) /
//!   (max − mean_pre)`, the share of what the cohort could still learn that it learnt, per item
//!   (with the item's points as `max`) and overall. It is the gain of the means, not the mean of
//!   each trainee's gain, which is undefined for every trainee who scored full marks before and
//!   so would leave them out. When `mean_pre = max` nothing was left to learn and the gain is
//!   undefined: `null`, with `gain_note` saying so. It can be negative.
//! - **A trainee's gain** (identified pre- and post-tests only) is the same formula on their own
//!   two scores, and `null` when they answered only one test or scored full marks before.
//!
//! An anonymous round's scores show only as cohort figures, and only once its results are
//! released (closed, with the minimum group): the post-test's gain also waits for the pre-test's
//! release when that one is anonymous.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::results::{mean, withheld_because};
use super::{Anonymity, Round, Wave};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{EnrollmentId, RoundId};
use crate::instruments::{Answers, Instrument, Item};
use crate::resource::Record;
use crate::schema::{enrollments, responses, trainees};

/// The figures of one scored item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemScore {
    /// The item's key.
    pub key: String,
    /// The points a right answer earns.
    pub points: i32,
    /// Its difficulty: the share of this round's responses that answered it right, 0 to 1 (a
    /// response that left it out counts as wrong); none without responses.
    pub share_correct: Option<f64>,
    /// The mean points earned on it in the pre-test.
    pub mean_pre: Option<f64>,
    /// The mean points earned on it in the post-test.
    pub mean_post: Option<f64>,
    /// `(mean_post − mean_pre) / (points − mean_pre)`; none without both tests, or when the
    /// pre-test's mean is already full marks (nothing left to gain: undefined).
    pub gain: Option<f64>,
}

/// One trainee's score, in an identified round.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraineeScore {
    /// The enrolment.
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: Option<String>,
    /// Their score in this round.
    pub score: i64,
    /// For a post-test: their score in the pre-test, when that one is identified and they
    /// answered it.
    pub pre_score: Option<i64>,
    /// For a post-test: `(score − pre_score) / (max_score − pre_score)`; none without a pre-test
    /// score, or when it was full marks.
    pub gain: Option<f64>,
}

/// The scores of a knowledge test's round.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestScores {
    /// The most a response can score: the sum of the scored items' points.
    pub max_score: i64,
    /// Responses scored.
    pub scored: i64,
    /// The mean score of this round's responses.
    pub mean_score: Option<f64>,
    /// For a post-test: the pre-test round it is compared with.
    pub pre_round_id: Option<RoundId>,
    /// For a post-test: the responses scored in its pre-test, when they may show.
    pub pre_scored: Option<i64>,
    /// The pre-test's mean score (this round's own, for a pre-test).
    pub mean_pre: Option<f64>,
    /// The post-test's mean score (this round's own, for a post-test).
    pub mean_post: Option<f64>,
    /// Hake's normalised gain of the means: `(mean_post − mean_pre) / (max_score − mean_pre)`;
    /// none when not both means are known, or when `mean_pre = max_score` (undefined).
    pub gain: Option<f64>,
    /// Why `gain` is none, for a post-test.
    pub gain_note: Option<String>,
    /// Per scored item, in the questionnaire's order.
    pub items: Vec<ItemScore>,
    /// Each trainee's score, in an identified round (none in an anonymous one).
    pub trainees: Vec<TraineeScore>,
}

/// One response's points on each scored item (in the questionnaire's order), and whose it is.
struct Scored {
    enrollment: Option<EnrollmentId>,
    name: Option<String>,
    points: Vec<i32>,
}

impl Scored {
    fn total(&self) -> i64 {
        self.points.iter().map(|p| i64::from(*p)).sum()
    }
}

/// The scored items of a test, in order.
fn scored_items(instrument: &Instrument) -> Vec<&Item> {
    instrument.items.iter().filter(|i| i.scoring.is_some()).collect()
}

/// Every response of `round`, scored on `items` (matched by key: an equivalent revision's items
/// have the same keys and points).
fn scored(conn: &mut DbConnection, round: RoundId, items: &[&Item]) -> ApiResult<Vec<Scored>> {
    let rows: Vec<(Option<EnrollmentId>, String, Option<String>)> = responses::table
        .left_join(enrollments::table)
        .left_join(trainees::table.on(trainees::id.nullable().eq(enrollments::trainee_id.nullable())))
        .filter(responses::round_id.eq(round))
        .select((
            responses::enrollment_id,
            responses::answers,
            trainees::full_name.nullable(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(enrollment, answers, name)| {
            let answers: Answers = serde_json::from_str(&answers).map_err(ApiError::internal)?;
            Ok(Scored {
                enrollment,
                name,
                points: items
                    .iter()
                    .map(|item| item.score(answers.get(&item.key)).unwrap_or(0))
                    .collect(),
            })
        })
        .collect()
}

/// `(post − pre) / (max − pre)`; none when `pre` is already `max` (undefined).
pub fn gain(pre: f64, post: f64, max: f64) -> Option<f64> {
    (max - pre > f64::EPSILON).then(|| (post - pre) / (max - pre))
}

#[expect(clippy::cast_precision_loss, reason = "scores and counts far below 2^52")]
fn as_f64(value: i64) -> f64 {
    value as f64
}

/// The scores of `round`, asking `instrument`, whose own figures may show; none when the
/// questionnaire has no scored item.
pub fn of_round(
    conn: &mut DbConnection,
    round: &Round,
    instrument: &Instrument,
    min_group: i64,
) -> ApiResult<Option<TestScores>> {
    let Some(max_score) = instrument.max_score() else {
        return Ok(None);
    };
    let items = scored_items(instrument);
    let ours = scored(conn, round.id, &items)?;
    let totals: Vec<f64> = ours.iter().map(|s| as_f64(s.total())).collect();
    let mean_score = mean(&totals);
    let item_means = |all: &[Scored]| -> Vec<Option<f64>> {
        (0..items.len())
            .map(|i| mean(&all.iter().map(|s| f64::from(s.points[i])).collect::<Vec<_>>()))
            .collect()
    };
    let our_item_means = item_means(&ours);

    // The pre-test, for a post-test that names one and may show it.
    let mut pre: Option<Vec<Scored>> = None;
    let mut gain_note = None;
    if round.wave == Wave::Post {
        match round.pre_round_id {
            None => gain_note = Some("no pre-test round is named (pre_round_id)".to_owned()),
            Some(pre_id) => {
                let pre_round = Round::find(conn, pre_id)?;
                // Scored with its own revision's items (their right answers may be worded
                // apart), in this test's order: equivalent revisions score the same keys.
                let asked = pre_round.instrument(conn)?;
                let pre_items: Vec<&Item> = items
                    .iter()
                    .filter_map(|item| asked.items.iter().find(|i| i.key == item.key && i.scoring.is_some()))
                    .collect();
                if pre_items.len() != items.len() {
                    return Err(ApiError::internal(anyhow::anyhow!(
                        "round {} and its pre-test {pre_id} do not score the same items",
                        round.id
                    )));
                }
                let pre_scores = scored(conn, pre_id, &pre_items)?;
                let count = i64::try_from(pre_scores.len()).unwrap_or(i64::MAX);
                match withheld_because(&pre_round, count, min_group) {
                    Some(why) => gain_note = Some(format!("the pre-test's figures are withheld: {why}")),
                    None if pre_scores.is_empty() => {
                        gain_note = Some(format!("pre-test round {pre_id} has no response"))
                    }
                    None => pre = Some(pre_scores),
                }
            }
        }
    }
    let pre_item_means = pre.as_deref().map(item_means);
    let mean_pre = match (&pre, round.wave) {
        (Some(pre), _) => mean(&pre.iter().map(|s| as_f64(s.total())).collect::<Vec<_>>()),
        (None, Wave::Pre) => mean_score,
        _ => None,
    };
    let mean_post = if round.wave == Wave::Post { mean_score } else { None };
    let gain_of_means = match (mean_pre, mean_post) {
        (Some(pre), Some(post)) => {
            let g = gain(pre, post, as_f64(max_score));
            if g.is_none() {
                gain_note = Some(
                    "the pre-test's mean is already full marks: nothing was left to gain, so the gain is undefined"
                        .to_owned(),
                );
            }
            g
        }
        (None, Some(_)) if gain_note.is_none() => {
            gain_note = Some("this round has no response".to_owned());
            None
        }
        _ => None,
    };

    let scored_count = i64::try_from(ours.len()).unwrap_or(i64::MAX);
    let item_scores = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let points = item.points().unwrap_or(0);
            let right = ours.iter().filter(|s| s.points[i] > 0).count();
            let item_pre = match (round.wave, &pre_item_means) {
                (_, Some(means)) => means[i],
                (Wave::Pre, None) => our_item_means[i],
                _ => None,
            };
            let item_post = if round.wave == Wave::Post {
                our_item_means[i]
            } else {
                None
            };
            ItemScore {
                key: item.key.clone(),
                points,
                share_correct: crate::ratio::share(right, ours.len()),
                mean_pre: item_pre,
                mean_post: item_post,
                gain: item_pre
                    .zip(item_post)
                    .and_then(|(pre, post)| gain(pre, post, f64::from(points))),
            }
        })
        .collect();

    let trainees = if round.anonymity == Anonymity::Anonymous {
        Vec::new()
    } else {
        let pre_by_trainee: BTreeMap<EnrollmentId, i64> = pre
            .iter()
            .flatten()
            .filter_map(|s| s.enrollment.map(|e| (e, s.total())))
            .collect();
        let mut list: Vec<TraineeScore> = ours
            .iter()
            .filter_map(|s| {
                let enrollment = s.enrollment?;
                let score = s.total();
                let pre_score = pre_by_trainee.get(&enrollment).copied();
                Some(TraineeScore {
                    enrollment_id: enrollment,
                    trainee_name: s.name.clone(),
                    score,
                    pre_score,
                    gain: pre_score.and_then(|p| gain(as_f64(p), as_f64(score), as_f64(max_score))),
                })
            })
            .collect();
        list.sort_by_key(|t| t.enrollment_id);
        list
    };
    Ok(Some(TestScores {
        max_score,
        scored: scored_count,
        mean_score,
        pre_round_id: if round.wave == Wave::Post {
            round.pre_round_id
        } else {
            None
        },
        pre_scored: pre.as_ref().map(|p| i64::try_from(p.len()).unwrap_or(i64::MAX)),
        mean_pre,
        mean_post,
        gain: gain_of_means,
        gain_note: if round.wave == Wave::Post && gain_of_means.is_none() {
            gain_note
        } else {
            None
        },
        items: item_scores,
        trainees,
    }))
}

/// Each trainee's score in an identified test round, with the test's most points; none for a
/// round whose questionnaire is not a test or that is anonymous (its scores belong to nobody).
pub fn by_trainee(conn: &mut DbConnection, round: &Round) -> ApiResult<Option<(i64, BTreeMap<EnrollmentId, i64>)>> {
    if round.anonymity == Anonymity::Anonymous {
        return Ok(None);
    }
    let instrument = round.instrument(conn)?;
    let Some(max) = instrument.max_score() else {
        return Ok(None);
    };
    let items = scored_items(&instrument);
    let scores = scored(conn, round.id, &items)?
        .into_iter()
        .filter_map(|s| s.enrollment.map(|e| (e, s.total())))
        .collect();
    Ok(Some((max, scores)))
}
