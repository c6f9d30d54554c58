//! Follow-up checkpoints: at 3, 6 and 12 months after a cohort ends (or as its programme's
//! schedule says), the trainee reports each item of the approved action plan through a
//! single-use link, or an officer records it (at a follow-up event, a session, when there was
//! one); an officer then verifies or disputes the report.
//!
//! ```text
//! scheduled ─> submitted ─┬─> verified
//!     ^                    └─> disputed ──(a new link)──┘
//! ```
//!
//! When it falls: a cohort's end date known to the day counts from that day (the same day N
//! months later, or the month's last day when that month is shorter); an end date known only to
//! the month or the year counts from the end of that month or year, and the checkpoint falls on
//! the last day of the month N months later (a cohort that ended in September 2024 reports at 3
//! months by 31 December 2024).
//!
//! When the plan names the trainee's supervisor, each checkpoint also asks the supervisor, through
//! a link of their own, to rate the items' application and confirm the report (`supervisors`).

pub mod schedule;
pub mod summary;
pub mod supervisors;

use supervisors::Supervision;
pub use supervisors::{
    ItemRating, RatingValue, SupervisedCheckpoint, SupervisedItem, SupervisorAnswer, SupervisorReview, SupervisorStatus,
};

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::action_plans::ActionPlan;
use crate::audit::{Actor, Entity};
use crate::cohorts::Cohort;
use crate::dates::{DatePrecision, PartialDate};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{ActionPlanId, CheckpointId, CohortId, EnrollmentId, ProgramId, SessionId, TraineeId, text_enum};
use crate::links::{self, LinkKey};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{self, AnyVersion, Expect, Record, Store, Trail, keyed_by_id};
use crate::schema::{action_plans, checkpoints, cohorts, enrollments, program_partners, sessions, trainees};

text_enum!(
    /// Where a checkpoint stands, as stored. The API shows, and filters by, [`FollowUpState`]:
    /// the same, with a scheduled checkpoint split by its due date.
    CheckpointStatus {
        /// Waiting for the trainee's report.
        Scheduled,
        /// Reported; waiting for verification.
        Submitted,
        /// Verified by an officer.
        Verified,
        /// Disputed by an officer; a new link lets the trainee report again.
        Disputed,
    }
);

text_enum!(
    /// Where a checkpoint stands today, as its `status` shows and `?status=` filters: a report
    /// awaited (upcoming, due or overdue, by its due date), or the report's state.
    FollowUpState {
        /// Scheduled, due more than 30 days from today.
        Upcoming,
        /// Scheduled, due within the next 30 days (today included).
        Due,
        /// Scheduled, and its due date has passed.
        Overdue,
        /// Reported; waiting for verification.
        Submitted,
        /// Verified.
        Verified,
        /// Disputed.
        Disputed,
    }
);

text_enum!(
    /// How far an item has come.
    Progress {
        /// Not started.
        NotStarted,
        /// Under way, on time.
        OnTrack,
        /// Under way, late.
        Delayed,
        /// Reached its target.
        Achieved,
        /// Given up.
        Dropped,
    }
);

/// A report on one item of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemProgress {
    /// The item's number in the plan, from 1.
    #[schema(minimum = 1, example = 1)]
    pub item: i32,
    /// How far it has come.
    pub progress: Progress,
    /// What shows it.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub evidence: Option<String>,
    /// Links to documents that show it (http or https).
    #[serde(default)]
    #[validate(length(max = 20))]
    pub links: Vec<String>,
}

/// A trainee's report at a checkpoint: every item of the plan, once.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// One entry per item of the plan.
    #[validate(length(min = 1, max = 50), nested)]
    pub progress: Vec<ItemProgress>,
    /// What stood in the way.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub barriers: Option<String>,
}

/// A report an officer records for the trainee, at a follow-up event when there was one.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedReport {
    /// One entry per item of the plan.
    #[validate(length(min = 1, max = 50), nested)]
    pub progress: Vec<ItemProgress>,
    /// What stood in the way.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub barriers: Option<String>,
    /// The session it was given at (a later cohort's, or a seminar's).
    pub session_id: Option<SessionId>,
}

text_enum!(
    /// An officer's finding on a report.
    Finding {
        /// The report holds.
        Verified,
        /// The report does not hold; the trainee may report again through a new link.
        Disputed,
    }
);

/// An officer's finding on a submitted report.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// `verified` or `disputed`.
    pub finding: Finding,
    /// Why (required when disputed).
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// A follow-up checkpoint of an action plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Checkpoint {
    /// Id.
    pub id: CheckpointId,
    /// The plan.
    pub plan_id: ActionPlanId,
    /// The trainee's enrolment.
    pub enrollment_id: EnrollmentId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// Months after the cohort's end.
    pub months: i32,
    /// When the report is due.
    pub due_on: NaiveDate,
    /// Where it stands today: `upcoming`, `due` (within 30 days) or `overdue` while its report is
    /// awaited, then `submitted`, `verified` or `disputed`. The follow-up list's `?status=`
    /// filters by the same values.
    #[serde(rename = "status")]
    pub state: FollowUpState,
    /// Where it stands as stored (a report awaited is `scheduled`, whatever its due date): what
    /// the rules of its moves read; the API shows `state`.
    #[serde(skip)]
    pub status: CheckpointStatus,
    /// The report, one entry per item.
    pub progress: Vec<ItemProgress>,
    /// What stood in the way.
    pub barriers: Option<String>,
    /// The follow-up event (session) it was reported at.
    pub session_id: Option<SessionId>,
    /// When it was reported (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<NaiveDateTime>,
    /// Who verified or disputed it, by email.
    pub reviewed_by: Option<String>,
    /// When (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<NaiveDateTime>,
    /// The reviewer's note.
    pub review_note: Option<String>,
    /// For officers' lists: the trainee's link while a report is awaited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The page the link opens in a browser, under `TPMS_PUBLIC_URL` (a path of 46 characters,
    /// short enough for an SMS): what to send the person.
    #[schema(example = "https://tpms.example.gov.vn/r/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub page_url: Option<String>,
    /// Where the supervisor's side stands: `none` (no supervisor asked), `awaited` (a link is
    /// open), `confirmed` or `not_confirmed` (answered). The follow-up list's
    /// `?supervisor_status=` filters by the same values.
    pub supervisor_status: SupervisorStatus,
    /// The supervisor's latest answer: each item's rating and whether the report was confirmed.
    pub supervisor_review: Option<SupervisorReview>,
    /// For officers (the list, and a reissue's answer): the supervisor's link while open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervisor_link: Option<String>,
    /// The page the supervisor's link opens in a browser, under `TPMS_PUBLIC_URL`: what to send
    /// the supervisor.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://tpms.example.gov.vn/s/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub supervisor_page_url: Option<String>,
    /// Increases with every change.
    pub version: i32,
    /// What the current link is made from (never shown: the link is a bearer secret); a new one
    /// is a new link.
    #[serde(skip)]
    link_nonce: Option<String>,
    /// What the supervisor's open link is made from (never shown, as `link_nonce`).
    #[serde(skip)]
    supervisor_nonce: Option<String>,
    /// When it last changed.
    #[serde(skip)]
    updated_at: NaiveDateTime,
    /// Whose checkpoint it is (for the record of what a liaison read; the enrolment names them).
    #[serde(skip)]
    trainee_id: TraineeId,
}

#[derive(Debug, Queryable)]
struct CheckpointRow {
    id: CheckpointId,
    plan_id: ActionPlanId,
    months: i32,
    due_on: NaiveDate,
    status: CheckpointStatus,
    progress: String,
    barriers: Option<String>,
    session_id: Option<SessionId>,
    submitted_at: Option<NaiveDateTime>,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
    review_note: Option<String>,
    link_nonce: Option<String>,
    version: i32,
    updated_at: NaiveDateTime,
    supervisor_status: SupervisorStatus,
    enrollment_id: EnrollmentId,
    cohort_id: CohortId,
    trainee_name: String,
    trainee_id: TraineeId,
}

#[diesel::dsl::auto_type(no_type_alias)]
fn rows() -> _ {
    checkpoints::table
        .inner_join(action_plans::table.inner_join(enrollments::table.inner_join(trainees::table)))
        .select((
            checkpoints::id,
            checkpoints::plan_id,
            checkpoints::months,
            checkpoints::due_on,
            checkpoints::status,
            checkpoints::progress,
            checkpoints::barriers,
            checkpoints::session_id,
            checkpoints::submitted_at,
            checkpoints::reviewed_by,
            checkpoints::reviewed_at,
            checkpoints::review_note,
            checkpoints::link_nonce,
            checkpoints::version,
            checkpoints::updated_at,
            checkpoints::supervisor_status,
            action_plans::enrollment_id,
            enrollments::cohort_id,
            trainees::full_name,
            trainees::id,
        ))
}

/// How many days ahead a scheduled checkpoint counts as due.
const DUE_WITHIN_DAYS: i64 = 30;

fn state(status: CheckpointStatus, due_on: NaiveDate, today: NaiveDate) -> FollowUpState {
    match status {
        CheckpointStatus::Scheduled if due_on < today => FollowUpState::Overdue,
        CheckpointStatus::Scheduled if (due_on - today).num_days() <= DUE_WITHIN_DAYS => FollowUpState::Due,
        CheckpointStatus::Scheduled => FollowUpState::Upcoming,
        CheckpointStatus::Submitted => FollowUpState::Submitted,
        CheckpointStatus::Verified => FollowUpState::Verified,
        CheckpointStatus::Disputed => FollowUpState::Disputed,
    }
}

impl Checkpoint {
    /// What this checkpoint gives of its trainee: the name, and their follow-up (the report,
    /// what stood in the way, the supervisor's answer) once there is any.
    fn disclosed(&self) -> crate::disclosures::Disclosed {
        use crate::disclosures::{Disclosed, PersonalField as F};
        let reported = !self.progress.is_empty() || self.barriers.is_some() || self.supervisor_review.is_some();
        Disclosed::of(
            self.trainee_id,
            &[
                (F::FullName, Some(self.trainee_name.as_str())),
                (F::FollowUp, reported.then_some("reported")),
            ],
        )
    }
}

fn link_message(id: CheckpointId, nonce: &str) -> String {
    format!("tpms-checkpoint/{id}/{nonce}")
}

impl CheckpointRow {
    /// The checkpoint, with its supervisor's side (`supervision`, stored apart) and, for an
    /// officer (`key`), the links to send.
    fn shown(self, key: Option<&LinkKey>, supervision: Supervision) -> ApiResult<Checkpoint> {
        let today = crate::clock::now().date();
        let link = match (key, &self.link_nonce, self.status) {
            // A disputed checkpoint's link was spent on the report it disputes; it gets a new one.
            (Some(key), Some(nonce), CheckpointStatus::Scheduled) => Some(links::path_of(
                "checkpoint-links",
                &key.token_of(&link_message(self.id, nonce))?,
            )),
            _ => None,
        };
        let supervisor_link = match (key, &supervision.nonce) {
            (Some(key), Some(nonce)) => Some(supervisors::link_path(key, self.id, nonce)?),
            _ => None,
        };
        Ok(Checkpoint {
            id: self.id,
            plan_id: self.plan_id,
            enrollment_id: self.enrollment_id,
            cohort_id: self.cohort_id,
            trainee_name: self.trainee_name,
            trainee_id: self.trainee_id,
            months: self.months,
            due_on: self.due_on,
            status: self.status,
            state: state(self.status, self.due_on, today),
            progress: serde_json::from_str(&self.progress).map_err(ApiError::internal)?,
            barriers: self.barriers,
            session_id: self.session_id,
            submitted_at: self.submitted_at,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            review_note: self.review_note,
            page_url: link.as_deref().and_then(|l| key.and_then(|k| k.page_url(l))),
            link,
            supervisor_status: self.supervisor_status,
            supervisor_review: supervision.review,
            supervisor_page_url: supervisor_link.as_deref().and_then(|l| key.and_then(|k| k.page_url(l))),
            supervisor_link,
            version: self.version,
            link_nonce: self.link_nonce,
            supervisor_nonce: supervision.nonce,
            updated_at: self.updated_at,
        })
    }
}

/// The day a checkpoint `months` after a cohort's `end` falls on (see the module's comment).
pub fn due_on(end: &PartialDate, months: u32) -> Option<NaiveDate> {
    match end.precision {
        DatePrecision::Day => end.first_day.checked_add_months(Months::new(months)),
        DatePrecision::Month | DatePrecision::Year => {
            let last = end.last_day();
            let first_of_target =
                NaiveDate::from_ymd_opt(last.year(), last.month(), 1)?.checked_add_months(Months::new(months))?;
            first_of_target.checked_add_months(Months::new(1))?.pred_opt()
        }
    }
}

/// Schedule the checkpoints of a plan just approved, from its cohort's end: 409 when the cohort's
/// end date is not known.
pub fn schedule(conn: &mut DbConnection, plan: &ActionPlan) -> ApiResult<()> {
    let cohort = Cohort::find(conn, plan.cohort_id)?;
    let Some(end) = cohort.end_date else {
        return Err(ApiError::conflict(
            "no_end_date",
            format!(
                "cohort {} has no end date, so its follow-ups cannot be scheduled; set its end_date first",
                cohort.code
            ),
        ));
    };
    let months = schedule::months_of(conn, cohort.program_id)?;
    let key = LinkKey::load(conn)?;
    let now = crate::clock::now();
    for m in months {
        let due = due_on(&end, m).ok_or_else(|| ApiError::internal(anyhow::anyhow!("a due date out of range")))?;
        let id: CheckpointId = diesel::insert_into(checkpoints::table)
            .values((
                checkpoints::plan_id.eq(plan.id),
                checkpoints::months.eq(i32::try_from(m).unwrap_or(i32::MAX)),
                checkpoints::due_on.eq(due),
                checkpoints::status.eq(CheckpointStatus::Scheduled),
                checkpoints::progress.eq("[]"),
                checkpoints::created_at.eq(now),
                checkpoints::updated_at.eq(now),
                checkpoints::version.eq(1),
            ))
            .returning(checkpoints::id)
            .get_result(conn)?;
        set_link(conn, &key, id)?;
        if plan.supervisor_name.is_some() {
            supervisors::issue_first(conn, &key, id, now)?;
        }
    }
    Ok(())
}

/// One checkpoint as shown, with its supervisor's side; its links for an officer (`key`).
fn one(conn: &mut DbConnection, id: CheckpointId, key: Option<&LinkKey>) -> ApiResult<Checkpoint> {
    let row = rows()
        .filter(checkpoints::id.eq(id))
        .lookup::<CheckpointRow>(conn)?
        .ok_or_else(|| ApiError::not_found("checkpoint", id))?;
    let supervision = supervisors::of(conn, &[id])?.remove(&id).unwrap_or_default();
    row.shown(key, supervision)
}

/// One checkpoint with the links to send, its trainee's and its supervisor's (while open), for a
/// reminder that carries them again.
pub fn with_links(conn: &mut DbConnection, key: &LinkKey, id: CheckpointId) -> ApiResult<Checkpoint> {
    one(conn, id, Some(key))
}

fn set_link(conn: &mut DbConnection, key: &LinkKey, id: CheckpointId) -> ApiResult<()> {
    let nonce = links::nonce();
    diesel::update(checkpoints::table.find(id))
        .set((
            checkpoints::link_nonce.eq(&nonce),
            checkpoints::link_hash.eq(link_hash(key, id, Some(&nonce))?),
        ))
        .execute(conn)?;
    Ok(())
}

/// The stored hash of the link a nonce makes, if any.
fn link_hash(key: &LinkKey, id: CheckpointId, nonce: Option<&str>) -> ApiResult<Option<String>> {
    nonce
        .map(|nonce| Ok(links::hash(&key.token_of(&link_message(id, nonce))?)))
        .transpose()
}

impl Record for Checkpoint {
    type Key = CheckpointId;
    const ENTITY: Entity = Entity::Checkpoint;
    const NOUN: &'static str = "checkpoint";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: CheckpointId) -> ApiResult<Checkpoint> {
        one(conn, id, None)
    }

    /// A liaison sees the checkpoints of its partner's cohorts.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: CheckpointId) -> ApiResult<Checkpoint> {
        let checkpoint = Checkpoint::find(conn, id)?;
        if caller.liaison_partner().is_some() && Cohort::find_visible(conn, caller, checkpoint.cohort_id).is_err() {
            return Err(ApiError::not_found("checkpoint", id));
        }
        crate::disclosures::record(conn, caller, "follow_ups", [checkpoint.disclosed()])?;
        Ok(checkpoint)
    }
}

impl Store for Checkpoint {
    /// The supervisor's links change with the row: a new supervisor nonce ends the open link
    /// (used, when this change brings the supervisor's answer; replaced otherwise) and opens one.
    fn store(&self, conn: &mut DbConnection, current: &Checkpoint) -> ApiResult<Option<Checkpoint>> {
        let key = LinkKey::load(conn)?;
        let hash = link_hash(&key, self.id, self.link_nonce.as_deref())?;
        let updated = diesel::update(
            checkpoints::table
                .find(self.id)
                .filter(checkpoints::version.eq(current.version)),
        )
        .set((
            checkpoints::status.eq(self.status),
            checkpoints::progress.eq(serde_json::to_string(&self.progress).map_err(ApiError::internal)?),
            checkpoints::barriers.eq(&self.barriers),
            checkpoints::session_id.eq(self.session_id),
            checkpoints::submitted_at.eq(self.submitted_at),
            checkpoints::reviewed_by.eq(&self.reviewed_by),
            checkpoints::reviewed_at.eq(self.reviewed_at),
            checkpoints::review_note.eq(&self.review_note),
            checkpoints::link_nonce.eq(&self.link_nonce),
            checkpoints::link_hash.eq(hash),
            checkpoints::supervisor_status.eq(self.supervisor_status),
            checkpoints::updated_at.eq(self.updated_at),
            checkpoints::version.eq(self.version),
        ))
        .execute(conn)?;
        if updated != 1 {
            return Ok(None);
        }
        // Only once this write holds the row: a request that lost the race must not record it.
        if let Some(old) = current
            .link_nonce
            .as_deref()
            .filter(|&old| self.link_nonce.as_deref() != Some(old))
            && self.link_nonce.is_some()
            && let Some(old_hash) = link_hash(&key, self.id, Some(old))?
        {
            links::replaced(conn, &old_hash)?;
        }
        if self.supervisor_nonce != current.supervisor_nonce {
            if current.supervisor_nonce.is_some() {
                let answer = self
                    .supervisor_review
                    .as_ref()
                    .filter(|_| self.supervisor_review != current.supervisor_review);
                supervisors::close(conn, self.id, answer, self.updated_at)?;
            }
            if let Some(nonce) = &self.supervisor_nonce {
                supervisors::open(conn, &key, self.id, nonce, self.updated_at)?;
            }
        }
        Checkpoint::find(conn, self.id).map(Some)
    }

    /// The first report on an approved plan puts the plan under way (the plan's own move, in
    /// [`ActionPlan::report_arrived`]).
    fn after_change(
        conn: &mut DbConnection,
        actor: &Actor,
        before: &Checkpoint,
        after: Checkpoint,
    ) -> ApiResult<Checkpoint> {
        if after.status == CheckpointStatus::Submitted && before.status != CheckpointStatus::Submitted {
            ActionPlan::report_arrived(conn, actor, after.plan_id)?;
        }
        Ok(after)
    }
}

impl Checkpoint {
    /// A checkpoint with its current links (the trainee's and the supervisor's), for an officer
    /// to send.
    pub fn with_link(conn: &mut DbConnection, id: CheckpointId) -> ApiResult<Checkpoint> {
        let key = LinkKey::load(conn)?;
        one(conn, id, Some(&key))
    }

    /// A new link for a checkpoint awaiting a report (scheduled or disputed); the old one stops
    /// working. A disputed checkpoint goes back to scheduled. Answers with the new link.
    ///
    /// When the plan names a supervisor, the supervisor is asked too, unless already asked: an
    /// open supervisor link is kept (the link the supervisor holds keeps working), and one who
    /// answered is asked again only about a disputed report, which the trainee now writes again.
    /// A supervisor named after the checkpoint was scheduled thus gets a link here too.
    pub fn reissue(
        conn: &mut DbConnection,
        actor: &Actor,
        id: CheckpointId,
        expect: &impl Expect,
    ) -> ApiResult<Checkpoint> {
        resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("a new link was issued"),
            |conn, before: &Checkpoint| {
                if !matches!(before.status, CheckpointStatus::Scheduled | CheckpointStatus::Disputed) {
                    return Err(ApiError::conflict(
                        "already_reported",
                        format!("checkpoint {id} is {}; no report is awaited", before.status),
                    ));
                }
                let plan = ActionPlan::find(conn, before.plan_id)?;
                let ask_supervisor = plan.supervisor_name.is_some()
                    && before.supervisor_nonce.is_none()
                    && (before.supervisor_review.is_none() || before.status == CheckpointStatus::Disputed);
                let mut next = Checkpoint {
                    status: CheckpointStatus::Scheduled,
                    link_nonce: Some(links::nonce()),
                    ..before.clone()
                };
                if ask_supervisor {
                    next.supervisor_nonce = Some(links::nonce());
                    next.supervisor_status = SupervisorStatus::Awaited;
                }
                Ok(next)
            },
        )?;
        Checkpoint::with_link(conn, id)
    }

    /// A new link for the supervisor the plan names; the open one, if any, stops working. 409
    /// when the plan names no supervisor, or when the supervisor has answered and no new report
    /// is awaited (a disputed report's new link asks the supervisor again). Answers with the new
    /// link.
    pub fn reissue_supervisor_link(
        conn: &mut DbConnection,
        actor: &Actor,
        id: CheckpointId,
        expect: &impl Expect,
    ) -> ApiResult<Checkpoint> {
        resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("a new link was issued to the supervisor"),
            |conn, before: &Checkpoint| {
                let plan = ActionPlan::find(conn, before.plan_id)?;
                if plan.supervisor_name.is_none() {
                    return Err(ApiError::conflict(
                        "no_supervisor",
                        format!(
                            "action plan {} names no supervisor; name one on the plan first",
                            plan.id
                        ),
                    ));
                }
                if before.supervisor_nonce.is_none() && before.supervisor_review.is_some() {
                    return Err(ApiError::conflict(
                        "supervisor_answered",
                        format!("the supervisor has already answered at checkpoint {id}"),
                    ));
                }
                Ok(Checkpoint {
                    supervisor_nonce: Some(links::nonce()),
                    supervisor_status: SupervisorStatus::Awaited,
                    ..before.clone()
                })
            },
        )?;
        Checkpoint::with_link(conn, id)
    }

    /// What a supervisor's link opens: the trainee, the plan's items with the trainee's report
    /// when there is one, and the rating scale, in Vietnamese unless `english`.
    pub fn by_supervisor_link(conn: &mut DbConnection, token: &str, english: bool) -> ApiResult<SupervisedCheckpoint> {
        let (id, _) = supervisors::open_link(conn, token)??;
        let checkpoint = Checkpoint::find(conn, id)?;
        let plan = ActionPlan::find(conn, checkpoint.plan_id)?;
        let (program_title, cohort_name) = crate::action_plans::titles_for_trainee(conn, plan.cohort_id, english)?;
        let reported = supervisors::has_report(checkpoint.status);
        let mut progress: std::collections::HashMap<i32, ItemProgress> = if reported {
            checkpoint.progress.iter().map(|p| (p.item, p.clone())).collect()
        } else {
            std::collections::HashMap::new()
        };
        Ok(SupervisedCheckpoint {
            language: if english { "en" } else { "vi" }.to_owned(),
            trainee_name: checkpoint.trainee_name,
            program_title,
            cohort_name,
            plan_title: plan.title,
            checkpoint_label: supervisors::checkpoint_label(checkpoint.months, english),
            months: checkpoint.months,
            due_on: checkpoint.due_on,
            reported,
            barriers: if reported { checkpoint.barriers } else { None },
            items: plan
                .items
                .into_iter()
                .zip(1..)
                .map(|(item, number)| {
                    let report = progress.remove(&number);
                    SupervisedItem {
                        number,
                        indicator: item.indicator,
                        baseline: item.baseline,
                        target: item.target,
                        due_on: item.due_on,
                        progress: report.as_ref().map(|r| r.progress),
                        progress_label: report.as_ref().map(|r| r.progress.label(english).to_owned()),
                        evidence: report.and_then(|r| r.evidence),
                    }
                })
                .collect(),
            rating_values: supervisors::scale(english),
        })
    }

    /// Why a supervisor's token opens nothing (`None` while it works): for a page that tells the
    /// supervisor whether to ask for a new link. The API answers every case with the same 404.
    pub fn supervisor_link_gone(conn: &mut DbConnection, token: &str) -> ApiResult<Option<links::Gone>> {
        Ok(supervisors::open_link(conn, token)?.err())
    }

    /// The supervisor's answer through the link, which then stops working.
    pub fn answer_by_supervisor(
        conn: &mut DbConnection,
        actor: &Actor,
        token: &str,
        answer: SupervisorAnswer,
    ) -> ApiResult<()> {
        let (id, nonce) = supervisors::open_link(conn, token)??;
        resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Audited,
            |conn, current: &Checkpoint| {
                // The link must still be the open one when the answer is stored: not replaced or used
                // by a request that got there first.
                if current.supervisor_nonce.as_ref() != Some(&nonce) {
                    return Err(links::gone());
                }
                let plan = ActionPlan::find(conn, current.plan_id)?;
                supervisors::check_answer(&plan, &answer)?;
                let mut ratings = answer.ratings.clone();
                ratings.sort_by_key(|r| r.item);
                Ok(Checkpoint {
                    supervisor_status: if answer.confirmed {
                        SupervisorStatus::Confirmed
                    } else {
                        SupervisorStatus::NotConfirmed
                    },
                    supervisor_review: Some(SupervisorReview {
                        confirmed: answer.confirmed,
                        ratings,
                        comment: answer.comment.clone(),
                        submitted_at: crate::clock::now(),
                    }),
                    supervisor_nonce: None,
                    ..current.clone()
                })
            },
        )
        .map(|_| ())
    }

    /// What a trainee's checkpoint link opens: everything a report form needs, from this answer
    /// alone (each item with the number to report it under, and the progress values with their
    /// labels), in Vietnamese unless `english`.
    pub fn by_link(conn: &mut DbConnection, token: &str, english: bool) -> ApiResult<LinkedCheckpoint> {
        let (checkpoint, plan) = by_token(conn, token)?;
        linked(conn, &checkpoint, plan, english)
    }

    /// What a trainee's checkpoint link opens for its page: the report form while a report is
    /// awaited, the report as recorded once it was sent (by the trainee, or by an officer at a
    /// follow-up event), or why the link opens neither.
    pub fn page(
        conn: &mut DbConnection,
        token: &str,
        english: bool,
    ) -> ApiResult<links::Opened<LinkedCheckpoint, (LinkedCheckpoint, Checkpoint)>> {
        let found: Option<CheckpointId> = checkpoints::table
            .filter(checkpoints::link_hash.eq(links::hash(token)))
            .select(checkpoints::id)
            .lookup(conn)?;
        let Some(id) = found else {
            return Ok(links::Opened::Closed(links::closed(conn, token)?));
        };
        let checkpoint = Checkpoint::find(conn, id)?;
        let plan = ActionPlan::find(conn, checkpoint.plan_id)?;
        let linked = linked(conn, &checkpoint, plan, english)?;
        Ok(if checkpoint.status == CheckpointStatus::Scheduled {
            links::Opened::Form(linked)
        } else {
            links::Opened::Done((linked, checkpoint))
        })
    }

    /// The trainee's report through the link, which then stops working.
    pub fn report_by_link(conn: &mut DbConnection, actor: &Actor, token: &str, report: Report) -> ApiResult<()> {
        let (checkpoint, plan) = by_token(conn, token)?;
        // The link still opens this checkpoint when the report is stored: the same nonce, still
        // awaiting a report (a link replaced or used meanwhile is refused as such).
        let nonce = checkpoint.link_nonce.clone();
        resource::act(
            conn,
            actor,
            checkpoint.id,
            &AnyVersion,
            Trail::Audited,
            |_, current: &Checkpoint| {
                if current.link_nonce != nonce || current.status != CheckpointStatus::Scheduled {
                    return Err(links::gone());
                }
                reported(current, &plan, report.clone(), None)
            },
        )
        .map(|_| ())
    }

    /// An officer records the trainee's report (at a follow-up event, `session`).
    pub fn report_by_officer(
        conn: &mut DbConnection,
        actor: &Actor,
        id: CheckpointId,
        expect: &impl Expect,
        report: RecordedReport,
    ) -> ApiResult<Checkpoint> {
        if let Some(session) = report.session_id {
            let exists: bool = diesel::select(diesel::dsl::exists(sessions::table.find(session))).get_result(conn)?;
            if !exists {
                return Err(ApiError::invalid(
                    "session_id",
                    "not_found",
                    format!("there is no session {session}"),
                ));
            }
        }
        let session = report.session_id;
        let report = Report {
            progress: report.progress,
            barriers: report.barriers,
        };
        resource::act(conn, actor, id, expect, Trail::Audited, |conn, current: &Checkpoint| {
            if !matches!(current.status, CheckpointStatus::Scheduled | CheckpointStatus::Disputed) {
                return Err(ApiError::conflict(
                    "already_reported",
                    format!(
                        "checkpoint {id} is {}; verify or dispute the report instead",
                        current.status
                    ),
                ));
            }
            let plan = ActionPlan::find(conn, current.plan_id)?;
            reported(current, &plan, report.clone(), session)
        })
    }

    /// An officer's finding on a submitted report.
    pub fn review(
        conn: &mut DbConnection,
        actor: &Actor,
        id: CheckpointId,
        expect: &impl Expect,
        review: Review,
    ) -> ApiResult<Checkpoint> {
        if review.finding == Finding::Disputed && review.note.is_none() {
            return Err(ApiError::invalid(
                "note",
                "required",
                "is required to say why the report is disputed",
            ));
        }
        resource::act(conn, actor, id, expect, Trail::Audited, |_, before: &Checkpoint| {
            if before.status != CheckpointStatus::Submitted {
                return Err(ApiError::conflict(
                    "not_submitted",
                    format!(
                        "checkpoint {id} is {}; only a submitted report is verified or disputed",
                        before.status
                    ),
                ));
            }
            Ok(Checkpoint {
                status: match review.finding {
                    Finding::Verified => CheckpointStatus::Verified,
                    Finding::Disputed => CheckpointStatus::Disputed,
                },
                reviewed_by: Some(actor.name.clone()),
                reviewed_at: Some(crate::clock::now()),
                review_note: review.note.clone(),
                ..before.clone()
            })
        })
    }
}

impl Progress {
    /// Every value, in the order a form offers them.
    pub const ALL: [Progress; 5] = [
        Progress::NotStarted,
        Progress::OnTrack,
        Progress::Delayed,
        Progress::Achieved,
        Progress::Dropped,
    ];

    /// What a trainee reads for the value, in Vietnamese unless `english`.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Progress::NotStarted, false) => "Chưa bắt đầu",
            (Progress::NotStarted, true) => "Not started",
            (Progress::OnTrack, false) => "Đang thực hiện, đúng tiến độ",
            (Progress::OnTrack, true) => "Under way, on time",
            (Progress::Delayed, false) => "Đang thực hiện, chậm tiến độ",
            (Progress::Delayed, true) => "Under way, late",
            (Progress::Achieved, false) => "Đã đạt mục tiêu",
            (Progress::Achieved, true) => "Target reached",
            (Progress::Dropped, false) => "Đã dừng thực hiện",
            (Progress::Dropped, true) => "Given up",
        }
    }
}

/// An item of the plan as a report form shows it: with the number to report it under.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberedItem {
    /// The number to send as `progress[].item`, from 1 in the plan's order.
    #[schema(minimum = 1, example = 1)]
    pub number: i32,
    /// What will be measured.
    pub indicator: String,
    /// Where it stood.
    pub baseline: String,
    /// Where it should be.
    pub target: String,
    /// By when.
    pub due_on: NaiveDate,
}

/// A value a report may give an item, with what the trainee reads for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressValue {
    /// What to send as `progress[].progress`.
    pub value: Progress,
    /// What to show, in the page's language.
    #[schema(example = "Đang thực hiện, đúng tiến độ")]
    pub label: String,
}

/// What a trainee sees through a checkpoint link: all a report form needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedCheckpoint {
    /// The language of the titles and labels: `vi` (the default) or `en` (`?lang=en`).
    pub language: String,
    /// The programme's title: in Vietnamese where the programme has one (in English otherwise),
    /// or in English with `?lang=en`.
    pub program_title: String,
    /// The cohort's name.
    pub cohort_name: String,
    /// The plan's title.
    pub plan_title: Option<String>,
    /// Months after the cohort's end.
    pub months: i32,
    /// When the report is due.
    pub due_on: NaiveDate,
    /// The plan's items, each with its number; the report gives each exactly once.
    pub items: Vec<NumberedItem>,
    /// The values an item's `progress` may take, in order, with their labels.
    pub progress_values: Vec<ProgressValue>,
}

fn by_token(conn: &mut DbConnection, token: &str) -> ApiResult<(Checkpoint, ActionPlan)> {
    // The nonce is read with the hash it matched (see `report_by_link`): the link a request
    // opened is the one it must still be when the report is stored.
    let (id, nonce): (CheckpointId, Option<String>) = checkpoints::table
        .filter(checkpoints::link_hash.eq(links::hash(token)))
        .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
        .select((checkpoints::id, checkpoints::link_nonce))
        .lookup(conn)?
        .ok_or_else(links::gone)?;
    let checkpoint = Checkpoint {
        link_nonce: nonce,
        ..Checkpoint::find(conn, id)?
    };
    let plan = ActionPlan::find(conn, checkpoint.plan_id)?;
    Ok((checkpoint, plan))
}

/// 422 naming each entry that is not one report per item of the plan.
fn check_report(plan: &ActionPlan, report: &Report) -> ApiResult<()> {
    let mut errors = Vec::new();
    let items = i32::try_from(plan.items.len()).unwrap_or(i32::MAX);
    let mut seen = std::collections::BTreeSet::new();
    for (i, entry) in report.progress.iter().enumerate() {
        if !(1..=items).contains(&entry.item) {
            errors.push(FieldError::new(
                &format!("progress/{i}/item"),
                "not_in_plan",
                format!("the plan has items 1 to {items}"),
            ));
        } else if !seen.insert(entry.item) {
            errors.push(FieldError::new(
                &format!("progress/{i}/item"),
                "duplicate",
                format!("item {} is reported twice", entry.item),
            ));
        }
        for (j, link) in entry.links.iter().enumerate() {
            if crate::validate::web_url(link).is_err() {
                errors.push(FieldError::new(
                    &format!("progress/{i}/links/{j}"),
                    "invalid_url",
                    "an http or https address",
                ));
            }
        }
    }
    for item in 1..=items {
        if !seen.contains(&item) {
            errors.push(FieldError::new(
                "progress",
                "missing_item",
                format!("item {item} of the plan is not reported"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `before` with `report` recorded (checked against the plan's items): submitted, and its link
/// spent.
fn reported(
    before: &Checkpoint,
    plan: &ActionPlan,
    report: Report,
    session: Option<SessionId>,
) -> ApiResult<Checkpoint> {
    check_report(plan, &report)?;
    let mut progress = report.progress;
    progress.sort_by_key(|p| p.item);
    Ok(Checkpoint {
        status: CheckpointStatus::Submitted,
        progress,
        barriers: report.barriers,
        session_id: session,
        submitted_at: Some(crate::clock::now()),
        // The nonce stays: the spent link's page shows what was recorded through it.
        link: None,
        page_url: None,
        ..before.clone()
    })
}

/// Filters for the officer's list of follow-ups.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct FollowUpFilters {
    /// Only checkpoints in this state today.
    pub status: Option<FollowUpState>,
    /// Only checkpoints due before this day.
    pub due_before: Option<NaiveDate>,
    /// Only checkpoints of this programme's cohorts.
    pub program_id: Option<ProgramId>,
    /// Only checkpoints of this cohort.
    pub cohort_id: Option<CohortId>,
    /// Only checkpoints whose supervisor's side stands so (`awaited`: links still unanswered).
    pub supervisor_status: Option<SupervisorStatus>,
}

/// The follow-ups list: checkpoints by due date. Staff see every cohort's, each awaited one with
/// its link to resend (and the supervisor's, while open); a partner's liaison (who approves the
/// plans) sees those of its partner's programmes' cohorts only, without links (a link is the
/// trainee's or the supervisor's key, sent by an officer).
pub fn follow_ups(
    conn: &mut DbConnection,
    caller: &Caller,
    filters: FollowUpFilters,
    paging: Paging,
) -> ApiResult<Slice<Checkpoint>> {
    let today = crate::clock::now().date();
    let soon = today + chrono::Duration::days(DUE_WITHIN_DAYS);
    let partner = caller.liaison_partner();
    let query = || {
        let mut query = rows().into_boxed();
        if let Some(partner) = partner {
            let programs = program_partners::table
                .filter(program_partners::partner_id.eq(partner))
                .select(program_partners::program_id);
            let partners_cohorts = cohorts::table
                .filter(cohorts::program_id.eq_any(programs))
                .select(cohorts::id);
            query = query.filter(enrollments::cohort_id.eq_any(partners_cohorts));
        }
        match filters.status {
            Some(FollowUpState::Overdue) => {
                query = query
                    .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
                    .filter(checkpoints::due_on.lt(today));
            }
            Some(FollowUpState::Due) => {
                query = query
                    .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
                    .filter(checkpoints::due_on.ge(today))
                    .filter(checkpoints::due_on.le(soon));
            }
            Some(FollowUpState::Upcoming) => {
                query = query
                    .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
                    .filter(checkpoints::due_on.gt(soon));
            }
            Some(FollowUpState::Submitted) => query = query.filter(checkpoints::status.eq(CheckpointStatus::Submitted)),
            Some(FollowUpState::Verified) => query = query.filter(checkpoints::status.eq(CheckpointStatus::Verified)),
            Some(FollowUpState::Disputed) => query = query.filter(checkpoints::status.eq(CheckpointStatus::Disputed)),
            None => {}
        }
        if let Some(before) = filters.due_before {
            query = query.filter(checkpoints::due_on.lt(before));
        }
        if let Some(supervisor) = filters.supervisor_status {
            query = query.filter(checkpoints::supervisor_status.eq(supervisor));
        }
        if let Some(cohort) = filters.cohort_id {
            query = query.filter(enrollments::cohort_id.eq(cohort));
        }
        if let Some(program) = filters.program_id {
            let of_program = cohorts::table
                .filter(cohorts::program_id.eq(program))
                .select(cohorts::id);
            query = query.filter(enrollments::cohort_id.eq_any(of_program));
        }
        query
    };
    let keys = Keyset::by(list::ascending("due_on", checkpoints::due_on, |r: &CheckpointRow| {
        r.due_on
    }))
    .then(list::ascending("id", checkpoints::id, |r: &CheckpointRow| r.id));
    let key = if partner.is_some() {
        None
    } else {
        Some(LinkKey::load(conn)?)
    };
    list::page(conn, query, &keys, &paging)?.try_with(|rows| {
        let ids: Vec<CheckpointId> = rows.iter().map(|r| r.id).collect();
        let mut supervision = supervisors::of(conn, &ids)?;
        let shown = rows
            .into_iter()
            .map(|r| {
                let side = supervision.remove(&r.id).unwrap_or_default();
                r.shown(key.as_ref(), side)
            })
            .collect::<ApiResult<Vec<Checkpoint>>>()?;
        crate::disclosures::record(conn, caller, "follow_ups", shown.iter().map(Checkpoint::disclosed))?;
        Ok(shown)
    })
}

/// The enrolment a trainee's own link belongs to (a questionnaire's, a plan's or a checkpoint's,
/// used or not), for what the trainee may fetch through any of them: their certificate.
pub fn trainee_of_link(conn: &mut DbConnection, token: &str) -> ApiResult<Option<EnrollmentId>> {
    let hash = links::hash(token);
    let invited: Option<EnrollmentId> = crate::schema::invitations::table
        .filter(crate::schema::invitations::token_hash.eq(&hash))
        .select(crate::schema::invitations::enrollment_id)
        .lookup(conn)?;
    if invited.is_some() {
        return Ok(invited);
    }
    let planned: Option<EnrollmentId> = action_plans::table
        .filter(action_plans::link_hash.eq(&hash))
        .select(action_plans::enrollment_id)
        .lookup(conn)?;
    if planned.is_some() {
        return Ok(planned);
    }
    Ok(checkpoints::table
        .inner_join(action_plans::table)
        .filter(checkpoints::link_hash.eq(&hash))
        .select(action_plans::enrollment_id)
        .lookup(conn)?)
}

/// A checkpoint as its trainee's link shows it: everything a report form needs.
fn linked(
    conn: &mut DbConnection,
    checkpoint: &Checkpoint,
    plan: ActionPlan,
    english: bool,
) -> ApiResult<LinkedCheckpoint> {
    let (program_title, cohort_name) = crate::action_plans::titles_for_trainee(conn, plan.cohort_id, english)?;
    Ok(LinkedCheckpoint {
        language: if english { "en" } else { "vi" }.to_owned(),
        program_title,
        cohort_name,
        plan_title: plan.title,
        months: checkpoint.months,
        due_on: checkpoint.due_on,
        items: plan
            .items
            .into_iter()
            .zip(1..)
            .map(|(item, number)| NumberedItem {
                number,
                indicator: item.indicator,
                baseline: item.baseline,
                target: item.target,
                due_on: item.due_on,
            })
            .collect(),
        progress_values: Progress::ALL
            .iter()
            .map(|&value| ProgressValue {
                value,
                label: value.label(english).to_owned(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(first_day: &str, precision: DatePrecision) -> PartialDate {
        PartialDate::from_columns(first_day.parse().expect("a date"), precision)
    }

    #[test]
    fn a_month_precision_end_counts_from_the_end_of_that_month() {
        let september = end("2024-09-01", DatePrecision::Month);
        assert_eq!(due_on(&september, 3), "2024-12-31".parse().ok());
        assert_eq!(due_on(&september, 6), "2025-03-31".parse().ok());
        assert_eq!(due_on(&september, 12), "2025-09-30".parse().ok());
    }

    #[test]
    fn a_day_precision_end_counts_from_that_day_clamped_to_shorter_months() {
        assert_eq!(
            due_on(&end("2024-11-30", DatePrecision::Day), 3),
            "2025-02-28".parse().ok()
        );
        assert_eq!(
            due_on(&end("2024-09-17", DatePrecision::Day), 6),
            "2025-03-17".parse().ok()
        );
        assert_eq!(
            due_on(&end("2023-01-01", DatePrecision::Year), 3),
            "2024-03-31".parse().ok()
        );
    }
}
