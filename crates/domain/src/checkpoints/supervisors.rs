//! The supervisor's side of a checkpoint: when the plan names the trainee's supervisor at home,
//! each checkpoint also gives the supervisor a single-use link to rate each item's observed
//! application (1 to 5, with a comment) and to confirm, or not, the trainee's report.
//!
//! Every link issued is a row of `supervisor_links` (only the token's hash is stored): the open
//! one (`issued`), answered ones (`used`, with the answer and its `supervisor_ratings`) and those a
//! newer link `replaced`. Keeping the spent rows lets the domain tell a used link from a replaced
//! one and from one that never existed ([`links::Gone`]), although the API answers all three
//! alike. Where the supervisor's side stands is kept on the checkpoint itself
//! (`checkpoints.supervisor_status`), written with the links, so that the officer's list filters by
//! it and the summaries count it without reading the links.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{CheckpointStatus, Progress};
use crate::action_plans::ActionPlan;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{CheckpointId, text_enum};
use crate::links::{self, Gone, LinkKey};
use crate::schema::{checkpoints, supervisor_links, supervisor_ratings};

text_enum!(
    /// Where the supervisor's side of a checkpoint stands, as its `supervisor_status` shows and
    /// the follow-up list's `?supervisor_status=` filters.
    SupervisorStatus {
        /// No supervisor was asked: the plan names none (or named one only after the checkpoint
        /// was scheduled, until an officer issues the link).
        None,
        /// The supervisor's link is open: an answer is awaited.
        Awaited,
        /// The supervisor answered and confirmed the trainee's report.
        Confirmed,
        /// The supervisor answered and did not confirm the trainee's report.
        NotConfirmed,
    }
);

text_enum!(
    /// Where one supervisor link stands, as stored.
    LinkState {
        /// Open: it works until answered or replaced.
        Issued,
        /// Answered.
        Used,
        /// A newer link was issued in its place.
        Replaced,
    }
);

/// A supervisor's rating of one item of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRating {
    /// The item's number in the plan, from 1.
    #[schema(minimum = 1, example = 1)]
    pub item: i32,
    /// How far the supervisor sees it applied at work: 1 (not at all) to 5 (fully).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub rating: i32,
    /// What the supervisor saw.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub comment: Option<String>,
}

/// What a supervisor sends through the link: every item of the plan rated once, and whether the
/// trainee's report holds.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisorAnswer {
    /// One rating per item of the plan.
    #[validate(length(min = 1, max = 50), nested)]
    pub ratings: Vec<ItemRating>,
    /// Whether the supervisor confirms the trainee's report.
    pub confirmed: bool,
    /// Anything else the supervisor wants to say.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub comment: Option<String>,
}

/// A supervisor's answer at a checkpoint, as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SupervisorReview {
    /// Whether the supervisor confirmed the trainee's report.
    pub confirmed: bool,
    /// Each item's rating, by item.
    pub ratings: Vec<ItemRating>,
    /// The supervisor's comment.
    pub comment: Option<String>,
    /// When it was answered (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: NaiveDateTime,
}

/// The supervisor's side of one checkpoint, as stored apart from its row: the open link's nonce
/// and the latest answer.
#[derive(Debug, Clone, Default)]
pub(super) struct Supervision {
    pub(super) nonce: Option<String>,
    pub(super) review: Option<SupervisorReview>,
}

/// The message a supervisor link's token is the HMAC of: its own kind, so that it never equals
/// the trainee's link of the same checkpoint.
pub(super) fn link_message(id: CheckpointId, nonce: &str) -> String {
    format!("tpms-supervisor/{id}/{nonce}")
}

/// The path of a supervisor link.
pub(super) fn link_path(key: &LinkKey, id: CheckpointId, nonce: &str) -> ApiResult<String> {
    Ok(links::path_of(
        "supervisor-links",
        &key.token_of(&link_message(id, nonce))?,
    ))
}

/// The supervisor's side of each of `ids`, in two queries whatever their number (a page of the
/// officer's list).
pub(super) fn of(conn: &mut DbConnection, ids: &[CheckpointId]) -> ApiResult<HashMap<CheckpointId, Supervision>> {
    type LinkRow = (
        i64,
        CheckpointId,
        LinkState,
        Option<String>,
        Option<bool>,
        Option<String>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<LinkRow> = supervisor_links::table
        .filter(supervisor_links::checkpoint_id.eq_any(ids))
        .filter(supervisor_links::status.eq_any([LinkState::Issued, LinkState::Used]))
        .order(supervisor_links::id)
        .select((
            supervisor_links::id,
            supervisor_links::checkpoint_id,
            supervisor_links::status,
            supervisor_links::link_nonce,
            supervisor_links::confirmed,
            supervisor_links::comment,
            supervisor_links::submitted_at,
        ))
        .load(conn)?;
    let mut found: HashMap<CheckpointId, Supervision> = HashMap::new();
    // The latest answer of each checkpoint, by its link's id (rows come in id order).
    let mut answered: HashMap<CheckpointId, i64> = HashMap::new();
    for (link, checkpoint, state, nonce, confirmed, comment, submitted_at) in rows {
        let entry = found.entry(checkpoint).or_default();
        match (state, confirmed, submitted_at) {
            (LinkState::Issued, _, _) => entry.nonce = nonce,
            (LinkState::Used, Some(confirmed), Some(submitted_at)) => {
                entry.review = Some(SupervisorReview {
                    confirmed,
                    ratings: Vec::new(),
                    comment,
                    submitted_at,
                });
                answered.insert(checkpoint, link);
            }
            _ => {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "supervisor link {link} is used but holds no answer"
                )));
            }
        }
    }
    let by_link: HashMap<i64, CheckpointId> = answered.iter().map(|(c, l)| (*l, *c)).collect();
    if by_link.is_empty() {
        // Most checkpoints of a page are unanswered: no query for ratings none of them has.
        return Ok(found);
    }
    let ratings: Vec<(i64, i32, i32, Option<String>)> = supervisor_ratings::table
        .filter(supervisor_ratings::link_id.eq_any(by_link.keys().copied().collect::<Vec<_>>()))
        .order((supervisor_ratings::link_id, supervisor_ratings::item))
        .select((
            supervisor_ratings::link_id,
            supervisor_ratings::item,
            supervisor_ratings::rating,
            supervisor_ratings::comment,
        ))
        .load(conn)?;
    for (link, item, rating, comment) in ratings {
        if let Some(review) = by_link
            .get(&link)
            .and_then(|c| found.get_mut(c))
            .and_then(|s| s.review.as_mut())
        {
            review.ratings.push(ItemRating { item, rating, comment });
        }
    }
    Ok(found)
}

/// Open a new link for checkpoint `id` made from `nonce` (the caller ended any open one first).
pub(super) fn open(
    conn: &mut DbConnection,
    key: &LinkKey,
    id: CheckpointId,
    nonce: &str,
    at: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(supervisor_links::table)
        .values((
            supervisor_links::checkpoint_id.eq(id),
            supervisor_links::status.eq(LinkState::Issued),
            supervisor_links::link_hash.eq(links::hash(&key.token_of(&link_message(id, nonce))?)),
            supervisor_links::link_nonce.eq(nonce),
            supervisor_links::issued_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Give checkpoint `id`, just scheduled, its first supervisor link.
pub(super) fn issue_first(
    conn: &mut DbConnection,
    key: &LinkKey,
    id: CheckpointId,
    at: NaiveDateTime,
) -> ApiResult<()> {
    open(conn, key, id, &links::nonce(), at)?;
    diesel::update(checkpoints::table.find(id))
        .set(checkpoints::supervisor_status.eq(SupervisorStatus::Awaited))
        .execute(conn)?;
    Ok(())
}

/// End the open link of checkpoint `id`: answered with `review` (its ratings stored with it), or
/// replaced by a newer one.
pub(super) fn close(
    conn: &mut DbConnection,
    id: CheckpointId,
    review: Option<&SupervisorReview>,
    at: NaiveDateTime,
) -> ApiResult<()> {
    let open = supervisor_links::table
        .filter(supervisor_links::checkpoint_id.eq(id))
        .filter(supervisor_links::status.eq(LinkState::Issued));
    let Some(review) = review else {
        diesel::update(open)
            .set((
                supervisor_links::status.eq(LinkState::Replaced),
                supervisor_links::link_nonce.eq(None::<String>),
                supervisor_links::ended_at.eq(at),
            ))
            .execute(conn)?;
        return Ok(());
    };
    let link: i64 = diesel::update(open)
        .set((
            supervisor_links::status.eq(LinkState::Used),
            supervisor_links::link_nonce.eq(None::<String>),
            supervisor_links::confirmed.eq(review.confirmed),
            supervisor_links::comment.eq(&review.comment),
            supervisor_links::submitted_at.eq(review.submitted_at),
            supervisor_links::ended_at.eq(at),
        ))
        .returning(supervisor_links::id)
        .get_result(conn)?;
    // One statement per rating: multi-row inserts do not compile for both backends (stack notes).
    for rating in &review.ratings {
        diesel::insert_into(supervisor_ratings::table)
            .values((
                supervisor_ratings::link_id.eq(link),
                supervisor_ratings::item.eq(rating.item),
                supervisor_ratings::rating.eq(rating.rating),
                supervisor_ratings::comment.eq(&rating.comment),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The checkpoint a supervisor's token opens and the nonce its link was made from, or why it
/// opens nothing.
pub(super) fn open_link(conn: &mut DbConnection, token: &str) -> ApiResult<Result<(CheckpointId, String), Gone>> {
    let found: Option<(CheckpointId, LinkState, Option<String>)> = supervisor_links::table
        .filter(supervisor_links::link_hash.eq(links::hash(token)))
        .select((
            supervisor_links::checkpoint_id,
            supervisor_links::status,
            supervisor_links::link_nonce,
        ))
        .lookup(conn)?;
    Ok(match found {
        Some((id, LinkState::Issued, Some(nonce))) => Ok((id, nonce)),
        Some((_, LinkState::Used, _)) => Err(Gone::Used),
        Some((_, LinkState::Replaced | LinkState::Issued, _)) => Err(Gone::Replaced),
        None => Err(Gone::Unknown),
    })
}

/// 422 naming each rating that is not one per item of the plan.
pub(super) fn check_answer(plan: &ActionPlan, answer: &SupervisorAnswer) -> ApiResult<()> {
    let mut errors = Vec::new();
    let items = i32::try_from(plan.items.len()).unwrap_or(i32::MAX);
    let mut seen = BTreeSet::new();
    for (i, entry) in answer.ratings.iter().enumerate() {
        if !(1..=items).contains(&entry.item) {
            errors.push(
                FieldError::new(
                    &format!("ratings/{i}/item"),
                    "not_in_plan",
                    format!("the plan has items 1 to {items}"),
                )
                .with("items", items),
            );
        } else if !seen.insert(entry.item) {
            errors.push(FieldError::new(
                &format!("ratings/{i}/item"),
                "duplicate",
                format!("item {} is rated twice", entry.item),
            ));
        }
    }
    for item in 1..=items {
        if !seen.contains(&item) {
            errors.push(
                FieldError::new(
                    "ratings",
                    "unrated_item",
                    format!("item {item} of the plan is not rated"),
                )
                .with("item", item),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A value of the rating scale, with what the supervisor reads for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingValue {
    /// What to send as `ratings[].rating`.
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub value: i32,
    /// What to show, in the page's language.
    #[schema(example = "Áp dụng phần lớn")]
    pub label: String,
}

/// The rating scale, 1 to 5, with its labels in Vietnamese unless `english`.
pub(super) fn scale(english: bool) -> Vec<RatingValue> {
    let labels: [(&str, &str); 5] = [
        ("Chưa áp dụng", "Not applied"),
        ("Áp dụng rất ít", "Slightly applied"),
        ("Áp dụng một phần", "Partly applied"),
        ("Áp dụng phần lớn", "Largely applied"),
        ("Áp dụng đầy đủ", "Fully applied"),
    ];
    labels
        .iter()
        .zip(1..)
        .map(|((vi, en), value)| RatingValue {
            value,
            label: if english { en } else { vi }.to_string(),
        })
        .collect()
}

/// An item of the plan as a supervisor's form shows it: with the number to rate it under and what
/// the trainee reported on it, if the trainee has reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisedItem {
    /// The number to send as `ratings[].item`, from 1 in the plan's order.
    #[schema(minimum = 1, example = 1)]
    pub number: i32,
    /// What will be measured.
    pub indicator: String,
    /// Where it stood.
    pub baseline: String,
    /// Where it should be.
    pub target: String,
    /// By when.
    pub due_on: chrono::NaiveDate,
    /// What the trainee reported (none before the report).
    pub progress: Option<Progress>,
    /// The same, as the supervisor reads it.
    pub progress_label: Option<String>,
    /// What the trainee said shows it.
    pub evidence: Option<String>,
}

/// What a supervisor sees through the link: all a rating form needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisedCheckpoint {
    /// The language of the titles and labels: `vi` (the default) or `en` (`?lang=en`).
    pub language: String,
    /// The trainee's full name.
    pub trainee_name: String,
    /// The programme's title: in Vietnamese where the programme has one (in English otherwise),
    /// or in English with `?lang=en`.
    pub program_title: String,
    /// The cohort's name.
    pub cohort_name: String,
    /// The plan's title.
    pub plan_title: Option<String>,
    /// The checkpoint, as the form names it ("3 tháng sau khóa học", "3 months after the course").
    pub checkpoint_label: String,
    /// Months after the cohort's end.
    pub months: i32,
    /// When the trainee's report is due.
    pub due_on: chrono::NaiveDate,
    /// Whether the trainee has reported (the items then carry the report).
    pub reported: bool,
    /// What the trainee said stood in the way.
    pub barriers: Option<String>,
    /// The plan's items, each with its number; the answer rates each exactly once.
    pub items: Vec<SupervisedItem>,
    /// The values a rating may take, 1 to 5, with their labels.
    pub rating_values: Vec<RatingValue>,
}

/// How a form names a checkpoint.
pub(super) fn checkpoint_label(months: i32, english: bool) -> String {
    match (english, months) {
        (true, 1) => "1 month after the course".to_owned(),
        (true, m) => format!("{m} months after the course"),
        (false, m) => format!("{m} tháng sau khóa học"),
    }
}

/// Whether a report stands to be shown to the supervisor: submitted or verified (a disputed one
/// is being written again).
pub(super) fn has_report(status: CheckpointStatus) -> bool {
    matches!(status, CheckpointStatus::Submitted | CheckpointStatus::Verified)
}
