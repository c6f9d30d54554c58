//! Action plans: what each trainee will change at home after the course, one plan per enrolment.
//!
//! ```text
//! draft ─> submitted ─> approved ─> in_progress ─┬─> completed
//!   ^          │            └────────────────────┼─> partially_completed  (with a reason)
//!   └──────────┘ sent back with comments         └─> abandoned            (with a reason)
//! ```
//!
//! The trainee drafts and submits it through a single-use link, or an officer enters it. An
//! officer, or a liaison of a partner in the programme, approves it or sends it back. Approval
//! schedules its follow-up checkpoints (`checkpoints`).

mod input;

pub use input::{ActionPlanFilters, CreateActionPlan, PlanContent, PlanDraft, PlanItem, UpdateActionPlan};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::actor::Event;
use crate::audit::{Actor, Entity};
use crate::cohorts::Cohort;
use crate::db::{DbConnection, Lookup};
use crate::error::illegal_transition;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{ActionPlanId, CohortId, EnrollmentId, TraineeId, text_enum};
use crate::links::{self, LinkKey};
use crate::mail::{self, compose, compose::Addressee, compose::Course};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{self, AnyVersion, Change, Create, Expect, List, Record, Store, Trail, keyed_by_id};
use crate::schema::{action_plans, cohorts, enrollments, programs, trainees};
use crate::statuses::SEATED;
use crate::users::Role;

text_enum!(
    /// Where an action plan stands.
    PlanStatus {
        /// Being written (by the trainee through the link, or an officer).
        Draft,
        /// Waiting for approval.
        Submitted,
        /// Approved: its checkpoints are scheduled.
        Approved,
        /// Under way.
        InProgress,
        /// Done.
        Completed,
        /// Partly done (with a reason).
        PartiallyCompleted,
        /// Given up (with a reason).
        Abandoned,
    }
);

impl PlanStatus {
    /// The states this one may move to.
    pub fn next(self) -> &'static [PlanStatus] {
        use PlanStatus::*;
        match self {
            Draft => &[Submitted],
            Submitted => &[Approved, Draft],
            Approved => &[InProgress, Completed, PartiallyCompleted, Abandoned],
            InProgress => &[Completed, PartiallyCompleted, Abandoned],
            Completed | PartiallyCompleted | Abandoned => &[],
        }
    }

    /// Whether the plan was approved at some point (approved or after).
    pub fn approved(self) -> bool {
        !matches!(self, PlanStatus::Draft | PlanStatus::Submitted)
    }
}

/// A trainee's action plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActionPlan {
    /// Id.
    pub id: ActionPlanId,
    /// The trainee's enrolment.
    pub enrollment_id: EnrollmentId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// Its title.
    pub title: Option<String>,
    /// The problem it addresses at the trainee's home organisation.
    pub problem: Option<String>,
    /// Its items, numbered from 1 in this order.
    pub items: Vec<PlanItem>,
    /// Where it stands.
    pub status: PlanStatus,
    /// Why it was partially completed or abandoned.
    pub reason: Option<String>,
    /// The reviewer's comments (what to change, when sent back).
    pub review_comments: Option<String>,
    /// Who approved it, by email.
    pub approved_by: Option<String>,
    /// When it was approved (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<NaiveDateTime>,
    /// Whether the trainee has a working link to write it (a draft whose link was issued).
    pub link_open: bool,
    /// The trainee's supervisor at home, asked at each checkpoint through a link of their own to
    /// rate each item's application and confirm the trainee's report.
    pub supervisor_name: Option<String>,
    /// The supervisor's position.
    pub supervisor_position: Option<String>,
    /// The supervisor's email: staff only (a partner's liaison reads `null`: the supervisor is
    /// no party to the programme, so their contact stays with the training department).
    pub supervisor_email: Option<String>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// What the trainee's current link is made from (never shown: the link is a bearer secret).
    #[serde(skip)]
    link_nonce: Option<String>,
    /// Whose plan it is (for the record of what a liaison read; the enrolment names them).
    #[serde(skip)]
    trainee_id: TraineeId,
}

#[derive(Debug, Queryable)]
struct PlanRow {
    id: ActionPlanId,
    enrollment_id: EnrollmentId,
    title: Option<String>,
    problem: Option<String>,
    items: String,
    status: PlanStatus,
    reason: Option<String>,
    review_comments: Option<String>,
    approved_by: Option<String>,
    approved_at: Option<NaiveDateTime>,
    link_nonce: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    supervisor_name: Option<String>,
    supervisor_position: Option<String>,
    supervisor_email: Option<String>,
    cohort_id: CohortId,
    trainee_name: String,
    trainee_id: TraineeId,
}

#[diesel::dsl::auto_type(no_type_alias)]
fn rows() -> _ {
    action_plans::table
        .inner_join(enrollments::table.inner_join(trainees::table))
        .select((
            action_plans::id,
            action_plans::enrollment_id,
            action_plans::title,
            action_plans::problem,
            action_plans::items,
            action_plans::status,
            action_plans::reason,
            action_plans::review_comments,
            action_plans::approved_by,
            action_plans::approved_at,
            action_plans::link_nonce,
            action_plans::created_at,
            action_plans::updated_at,
            action_plans::version,
            action_plans::supervisor_name,
            action_plans::supervisor_position,
            action_plans::supervisor_email,
            enrollments::cohort_id,
            trainees::full_name,
            trainees::id,
        ))
}

impl TryFrom<PlanRow> for ActionPlan {
    type Error = ApiError;
    fn try_from(row: PlanRow) -> ApiResult<ActionPlan> {
        Ok(ActionPlan {
            id: row.id,
            enrollment_id: row.enrollment_id,
            cohort_id: row.cohort_id,
            trainee_name: row.trainee_name,
            title: row.title,
            problem: row.problem,
            items: serde_json::from_str(&row.items).map_err(ApiError::internal)?,
            status: row.status,
            reason: row.reason,
            review_comments: row.review_comments,
            approved_by: row.approved_by,
            approved_at: row.approved_at,
            link_open: row.link_nonce.is_some() && row.status == PlanStatus::Draft,
            supervisor_name: row.supervisor_name,
            supervisor_position: row.supervisor_position,
            supervisor_email: row.supervisor_email,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            link_nonce: row.link_nonce,
            trainee_id: row.trainee_id,
        })
    }
}

impl ActionPlan {
    /// What this plan, as shown, gives of its trainee: the name, and the plan itself (its
    /// title, problem, items and supervisor) once anything of it is written.
    fn disclosed(&self) -> crate::disclosures::Disclosed {
        use crate::disclosures::{Disclosed, PersonalField as F};
        let written = self.title.is_some()
            || self.problem.is_some()
            || !self.items.is_empty()
            || self.supervisor_name.is_some()
            || self.review_comments.is_some();
        Disclosed::of(
            self.trainee_id,
            &[
                (F::FullName, Some(self.trainee_name.as_str())),
                (F::ActionPlan, written.then_some("written")),
            ],
        )
    }
}

fn link_message(plan: ActionPlanId, nonce: &str) -> String {
    format!("tpms-action-plan/{plan}/{nonce}")
}

/// The path of a plan's link made from `nonce` (the same link as when it was issued), for a
/// reminder that carries it again.
pub fn link_path(key: &LinkKey, plan: ActionPlanId, nonce: &str) -> ApiResult<String> {
    Ok(links::path_of("plan-links", &key.token_of(&link_message(plan, nonce))?))
}

/// A plan's content must be whole before it is submitted: 422 naming what is missing.
fn check_whole(plan: &ActionPlan) -> ApiResult<()> {
    let mut errors = Vec::new();
    if plan.title.is_none() {
        errors.push(FieldError::new(
            "title",
            "required",
            "is required before the plan is submitted",
        ));
    }
    if plan.problem.is_none() {
        errors.push(FieldError::new(
            "problem",
            "required",
            "is required before the plan is submitted: the problem it addresses",
        ));
    }
    if plan.items.is_empty() {
        errors.push(FieldError::new(
            "items",
            "required",
            "must hold at least one item before the plan is submitted",
        ));
    }
    errors.extend(supervisor_errors(plan));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A supervisor is named by name: a position or an email alone names nobody to ask.
fn supervisor_errors(plan: &ActionPlan) -> Vec<FieldError> {
    let described = plan.supervisor_position.is_some() || plan.supervisor_email.is_some();
    if described && plan.supervisor_name.is_none() {
        vec![FieldError::new(
            "supervisor_name",
            "required",
            "is required with the supervisor's position or email",
        )]
    } else {
        Vec::new()
    }
}

/// 422 when the plan describes a supervisor without naming them.
fn check_supervisor(plan: &ActionPlan) -> ApiResult<()> {
    let errors = supervisor_errors(plan);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl ActionPlan {
    /// A new single-use link for the trainee to write this draft; any earlier link stops working.
    /// Answers with the plan, the link and its page's address.
    pub fn issue_link(
        conn: &mut DbConnection,
        actor: &Actor,
        id: ActionPlanId,
        expect: &impl Expect,
    ) -> ApiResult<(ActionPlan, String, Option<String>)> {
        let plan = resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("a link was issued to the trainee"),
            |_, plan: &ActionPlan| {
                if plan.status != PlanStatus::Draft {
                    return Err(ApiError::conflict(
                        "not_a_draft",
                        format!(
                            "action plan {id} is {}; a trainee writes only a draft (send it back first)",
                            plan.status
                        ),
                    ));
                }
                Ok(ActionPlan {
                    link_nonce: Some(links::nonce()),
                    link_open: true,
                    ..plan.clone()
                })
            },
        )?;
        let nonce = plan
            .link_nonce
            .as_deref()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a draft's link was issued but not stored")))?;
        let key = LinkKey::load(conn)?;
        let path = links::path_of("plan-links", &key.token_of(&link_message(id, nonce))?);
        let page_url = key.page_url(&path);
        let course = Course::of(conn, plan.cohort_id)?;
        let to = Addressee::of_enrollment(conn, plan.enrollment_id)?;
        let mail = compose::plan_link(&course, &to, &key.page_or_path(&path));
        mail::enqueue(conn, vec![mail], &key.mail_domain())?;
        Ok((plan, path, page_url))
    }

    /// What a trainee's link opens: the plan and the programme's and cohort's titles, the
    /// programme's in Vietnamese where it has one, unless `english` (as a questionnaire's link).
    pub fn by_link(conn: &mut DbConnection, token: &str, english: bool) -> ApiResult<LinkedPlan> {
        let (id, _) = plan_of_link(conn, token)?;
        let plan = ActionPlan::find(conn, id)?;
        let (program_title, cohort_name) = titles_for_trainee(conn, plan.cohort_id, english)?;
        Ok(LinkedPlan {
            language: if english { "en" } else { "vi" }.to_owned(),
            program_title,
            cohort_name,
            title: plan.title,
            problem: plan.problem,
            items: plan.items,
            review_comments: plan.review_comments,
        })
    }

    /// What a trainee's plan link opens for its page: the plan to write while it is a draft, the
    /// plan as sent once submitted (with where it stands), or why the link opens neither.
    pub fn page(
        conn: &mut DbConnection,
        token: &str,
        english: bool,
    ) -> ApiResult<links::Opened<LinkedPlan, (LinkedPlan, PlanStatus, NaiveDateTime)>> {
        let found: Option<ActionPlanId> = action_plans::table
            .filter(action_plans::link_hash.eq(links::hash(token)))
            .select(action_plans::id)
            .lookup(conn)?;
        let Some(id) = found else {
            return Ok(links::Opened::Closed(links::closed(conn, token)?));
        };
        let plan = ActionPlan::find(conn, id)?;
        let (status, updated_at) = (plan.status, plan.updated_at);
        let (program_title, cohort_name) = titles_for_trainee(conn, plan.cohort_id, english)?;
        let linked = LinkedPlan {
            language: if english { "en" } else { "vi" }.to_owned(),
            program_title,
            cohort_name,
            title: plan.title,
            problem: plan.problem,
            items: plan.items,
            review_comments: plan.review_comments,
        };
        Ok(if status == PlanStatus::Draft {
            links::Opened::Form(linked)
        } else {
            links::Opened::Done((linked, status, updated_at))
        })
    }

    /// The trainee saves what they have written so far through the link, which keeps working:
    /// each part given replaces the stored one, nothing is checked as a whole, and the plan
    /// stays a draft. Saving the same draft twice changes nothing.
    pub fn save_draft_by_link(conn: &mut DbConnection, actor: &Actor, token: &str, draft: PlanDraft) -> ApiResult<()> {
        let (id, nonce) = plan_of_link(conn, token)?;
        resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Because("the trainee saved a draft"),
            |_, current: &ActionPlan| {
                if current.link_nonce.as_ref() != Some(&nonce) || current.status != PlanStatus::Draft {
                    return Err(links::gone());
                }
                Ok(ActionPlan {
                    title: draft.title.clone().or_else(|| current.title.clone()),
                    problem: draft.problem.clone().or_else(|| current.problem.clone()),
                    items: draft.items.clone(),
                    ..current.clone()
                })
            },
        )
        .map(|_| ())
    }

    /// The trainee writes and submits the plan through the link, which then stops working.
    pub fn submit_by_link(conn: &mut DbConnection, actor: &Actor, token: &str, content: PlanContent) -> ApiResult<()> {
        let (id, nonce) = plan_of_link(conn, token)?;
        resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Audited,
            |_, current: &ActionPlan| {
                // The link must still be this plan's when the plan is stored: not replaced or used
                // by a request that got there first.
                if current.link_nonce.as_ref() != Some(&nonce) {
                    return Err(links::gone());
                }
                let next = ActionPlan {
                    title: Some(content.title.clone()),
                    problem: Some(content.problem.clone()),
                    items: content.items.clone(),
                    supervisor_name: content.supervisor_name.clone(),
                    supervisor_position: content.supervisor_position.clone(),
                    supervisor_email: content.supervisor_email.clone(),
                    status: PlanStatus::Submitted,
                    // The nonce stays: the link now shows the plan as sent, and opens it again
                    // if the plan is sent back.
                    link_open: false,
                    ..current.clone()
                };
                check_whole(&next)?;
                Ok(next)
            },
        )
        .map(|_| ())
    }

    /// A follow-up report on this plan arrived: an approved plan is now under way.
    pub fn report_arrived(conn: &mut DbConnection, actor: &Actor, id: ActionPlanId) -> ApiResult<ActionPlan> {
        resource::act(
            conn,
            actor,
            id,
            &AnyVersion,
            Trail::Because("its first follow-up report arrived"),
            |_, plan: &ActionPlan| {
                Ok(match plan.status {
                    PlanStatus::Approved => ActionPlan {
                        status: PlanStatus::InProgress,
                        ..plan.clone()
                    },
                    _ => plan.clone(),
                })
            },
        )
    }
}

/// The programme's title and the cohort's name as a trainee's link shows them: the programme's
/// title in Vietnamese where it has one (the English one otherwise), or in English when asked.
pub fn titles_for_trainee(conn: &mut DbConnection, cohort: CohortId, english: bool) -> ApiResult<(String, String)> {
    let (title, title_vi, cohort_name): (String, Option<String>, String) = cohorts::table
        .inner_join(programs::table)
        .filter(cohorts::id.eq(cohort))
        .select((programs::title, programs::title_vi, cohorts::name))
        .first(conn)?;
    let program_title = match title_vi {
        Some(vi) if !english => vi,
        _ => title,
    };
    Ok((program_title, cohort_name))
}

/// The path of a draft's current link, recomputed from its nonce (the same link as when it was
/// issued); `None` for a plan with no working link.
fn current_link(key: &LinkKey, plan: &ActionPlan) -> ApiResult<Option<String>> {
    match (&plan.link_nonce, plan.status) {
        (Some(nonce), PlanStatus::Draft) => Ok(Some(links::path_of(
            "plan-links",
            &key.token_of(&link_message(plan.id, nonce))?,
        ))),
        _ => Ok(None),
    }
}

/// A seated trainee's plan and, while it is a draft, the link to send them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanLink {
    /// The plan.
    pub plan_id: ActionPlanId,
    /// The trainee's enrolment.
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// Where the plan stands.
    pub status: PlanStatus,
    /// The trainee's link to write it (a draft only; a plan past the draft has none).
    #[schema(example = "/api/v1/plan-links/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub link: Option<String>,
    /// The page the link opens in a browser, under `TPMS_PUBLIC_URL` (a path of 46 characters,
    /// short enough for an SMS): what to send the person.
    #[schema(example = "https://tpms.example.gov.vn/r/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub page_url: Option<String>,
}

/// Every seated trainee's plan of a cohort, with the links to send.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortPlanLinks {
    /// The cohort.
    pub cohort_id: CohortId,
    /// Plans this request started (drafts for seated trainees who had none).
    pub created: i64,
    /// Drafts this request gave a link (those that had none).
    pub links_issued: i64,
    /// One per seated trainee, by enrolment.
    pub plans: Vec<PlanLink>,
}

/// Give every seated trainee of a cohort an action plan and the link to write it, in one
/// transaction: a trainee with no plan gets an empty draft, a draft with no link gets one, each
/// audited as its own request would be. Idempotent: a draft that has a link keeps it (the same
/// link is answered again, so links already sent keep working), and a plan past the draft is
/// listed without a link, so running it again changes nothing and answers the same links. The
/// cohort is locked first, so two runs at once do not both start a trainee's plan.
pub fn links_for_cohort(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    cohort: CohortId,
) -> ApiResult<CohortPlanLinks> {
    Cohort::find_visible(conn, caller, cohort)?;
    crate::db::dialect::lock_cohort(conn, cohort)?;
    let seated: Vec<EnrollmentId> = enrollments::table
        .filter(enrollments::cohort_id.eq(cohort))
        .filter(enrollments::status.eq_any(SEATED))
        .order(enrollments::id)
        .select(enrollments::id)
        .load(conn)?;
    let planned: Vec<(EnrollmentId, ActionPlanId)> = action_plans::table
        .inner_join(enrollments::table)
        .filter(enrollments::cohort_id.eq(cohort))
        .select((action_plans::enrollment_id, action_plans::id))
        .load(conn)?;
    let planned: std::collections::HashMap<EnrollmentId, ActionPlanId> = planned.into_iter().collect();
    let key = LinkKey::load(conn)?;
    let (mut created, mut links_issued) = (0, 0);
    let mut plans = Vec::with_capacity(seated.len());
    for enrollment in seated {
        let plan = match planned.get(&enrollment) {
            Some(id) => ActionPlan::find(conn, *id)?,
            None => {
                created += 1;
                let new = CreateActionPlan {
                    enrollment_id: enrollment,
                    title: None,
                    problem: None,
                    items: Vec::new(),
                    supervisor_name: None,
                    supervisor_position: None,
                    supervisor_email: None,
                };
                resource::create::<ActionPlan>(conn, actor, cohort, new)?
            }
        };
        let plan = if plan.status == PlanStatus::Draft && plan.link_nonce.is_none() {
            links_issued += 1;
            ActionPlan::issue_link(conn, actor, plan.id, &AnyVersion)?.0
        } else {
            plan
        };
        plans.push(PlanLink {
            plan_id: plan.id,
            enrollment_id: plan.enrollment_id,
            page_url: current_link(&key, &plan)?.and_then(|l| key.page_url(&l)),
            link: current_link(&key, &plan)?,
            trainee_name: plan.trainee_name,
            status: plan.status,
        });
    }
    Ok(CohortPlanLinks {
        cohort_id: cohort,
        created,
        links_issued,
        plans,
    })
}

/// The plan a trainee's link opens, and the nonce its link was made from; 404 for a link that
/// was used or replaced.
fn plan_of_link(conn: &mut DbConnection, token: &str) -> ApiResult<(ActionPlanId, String)> {
    let found: Option<(ActionPlanId, Option<String>)> = action_plans::table
        .filter(action_plans::link_hash.eq(links::hash(token)))
        .filter(action_plans::status.eq(PlanStatus::Draft))
        .select((action_plans::id, action_plans::link_nonce))
        .lookup(conn)?;
    match found {
        Some((id, Some(nonce))) => Ok((id, nonce)),
        _ => Err(links::gone()),
    }
}

/// The stored hash of the link a nonce makes.
fn link_hash(conn: &mut DbConnection, id: ActionPlanId, nonce: &str) -> ApiResult<String> {
    Ok(links::hash(&LinkKey::load(conn)?.token_of(&link_message(id, nonce))?))
}

/// What a trainee sees through a plan link.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedPlan {
    /// The language of the titles shown: `vi` (the default) or `en` (`?lang=en`).
    pub language: String,
    /// The programme's title: in Vietnamese where the programme has one (in English otherwise),
    /// or in English with `?lang=en`.
    pub program_title: String,
    /// The cohort's name.
    pub cohort_name: String,
    /// The plan's title so far.
    pub title: Option<String>,
    /// The problem so far.
    pub problem: Option<String>,
    /// The items so far.
    pub items: Vec<PlanItem>,
    /// What the reviewer asked to change, when it was sent back.
    pub review_comments: Option<String>,
}

impl Record for ActionPlan {
    type Key = ActionPlanId;
    const ENTITY: Entity = Entity::ActionPlan;
    const NOUN: &'static str = "action plan";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ActionPlanId) -> ApiResult<ActionPlan> {
        rows()
            .filter(action_plans::id.eq(id))
            .lookup::<PlanRow>(conn)?
            .ok_or_else(|| ApiError::not_found("action plan", id))?
            .try_into()
    }

    /// A liaison sees the plans of its partner's cohorts, as [`Record::shown_to`] shows them.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: ActionPlanId) -> ApiResult<ActionPlan> {
        let plan = ActionPlan::find(conn, id)?;
        if caller.liaison_partner().is_some() && Cohort::find_visible(conn, caller, plan.cohort_id).is_err() {
            return Err(ApiError::not_found("action plan", id));
        }
        let plan = plan.shown_to(caller);
        crate::disclosures::record(conn, caller, "action_plans", [plan.disclosed()])?;
        Ok(plan)
    }

    /// A partner's liaison approves plans and needs who supervises the trainee (name and
    /// position), not how to reach them: the supervisor's email is the training department's, as
    /// a trainee's own email is unless a programme shares it (`Trainee::seen_by`). Changes reload
    /// the plan with `find_for_change`, so the hidden email is never written back.
    fn shown_to(mut self, caller: &Caller) -> ActionPlan {
        if caller.liaison_partner().is_some() {
            self.supervisor_email = None;
        }
        self
    }
}

impl Create for ActionPlan {
    type New = CreateActionPlan;
    type Parent = CohortId;
    const CREATED: &'static str = "Created, as a draft";

    fn insert(conn: &mut DbConnection, cohort: CohortId, new: CreateActionPlan) -> ApiResult<ActionPlan> {
        Cohort::find(conn, cohort)?;
        let seated: Option<EnrollmentId> = enrollments::table
            .filter(enrollments::id.eq(new.enrollment_id))
            .filter(enrollments::cohort_id.eq(cohort))
            .filter(enrollments::status.eq_any(SEATED))
            .select(enrollments::id)
            .lookup(conn)?;
        if seated.is_none() {
            return Err(ApiError::invalid(
                "enrollment_id",
                "not_seated",
                format!(
                    "enrolment {} is not a seated trainee of cohort {cohort}",
                    new.enrollment_id
                ),
            ));
        }
        let described = new.supervisor_position.is_some() || new.supervisor_email.is_some();
        if described && new.supervisor_name.is_none() {
            return Err(ApiError::invalid(
                "supervisor_name",
                "required",
                "is required with the supervisor's position or email",
            ));
        }
        let now = crate::clock::now();
        let id: ActionPlanId = diesel::insert_into(action_plans::table)
            .values((
                action_plans::enrollment_id.eq(new.enrollment_id),
                action_plans::supervisor_name.eq(&new.supervisor_name),
                action_plans::supervisor_position.eq(&new.supervisor_position),
                action_plans::supervisor_email.eq(&new.supervisor_email),
                action_plans::title.eq(&new.title),
                action_plans::problem.eq(&new.problem),
                action_plans::items.eq(serde_json::to_string(&new.items).map_err(ApiError::internal)?),
                action_plans::status.eq(PlanStatus::Draft),
                action_plans::created_at.eq(now),
                action_plans::updated_at.eq(now),
                action_plans::version.eq(1),
            ))
            .returning(action_plans::id)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e)
                    .naming_duplicate(|| format!("enrolment {} already has an action plan", new.enrollment_id))
            })?;
        ActionPlan::find(conn, id)
    }
}

impl Store for ActionPlan {
    /// A plan that left the draft state has no working link.
    fn store(&self, conn: &mut DbConnection, current: &ActionPlan) -> ApiResult<Option<ActionPlan>> {
        let nonce = self.link_nonce.as_deref();
        let hash = nonce.map(|nonce| link_hash(conn, self.id, nonce)).transpose()?;
        let updated = diesel::update(
            action_plans::table
                .find(self.id)
                .filter(action_plans::version.eq(current.version)),
        )
        .set((
            action_plans::title.eq(&self.title),
            action_plans::problem.eq(&self.problem),
            action_plans::items.eq(serde_json::to_string(&self.items).map_err(ApiError::internal)?),
            action_plans::status.eq(self.status),
            action_plans::reason.eq(&self.reason),
            action_plans::review_comments.eq(&self.review_comments),
            action_plans::approved_at.eq(self.approved_at),
            action_plans::link_nonce.eq(nonce),
            action_plans::link_hash.eq(hash),
            action_plans::supervisor_name.eq(&self.supervisor_name),
            action_plans::supervisor_position.eq(&self.supervisor_position),
            action_plans::supervisor_email.eq(&self.supervisor_email),
            action_plans::updated_at.eq(self.updated_at),
            action_plans::version.eq(self.version),
        ))
        .execute(conn)?;
        // A link given to the trainee (a new one, or the plan sent back to them) starts the wait
        // before they are reminded to submit it (`reminders`).
        let given = nonce.is_some()
            && self.status == PlanStatus::Draft
            && (current.link_nonce.as_deref() != nonce || current.status != PlanStatus::Draft);
        if updated == 1 && given {
            diesel::update(action_plans::table.find(self.id))
                .set(action_plans::link_issued_at.eq(self.updated_at))
                .execute(conn)?;
        }
        // Only once this write holds the row: a request that lost the race must not record it.
        if updated == 1
            && let Some(old) = current
                .link_nonce
                .as_deref()
                .filter(|&old| nonce.is_some_and(|new| new != old))
        {
            let old_hash = link_hash(conn, self.id, old)?;
            links::replaced(conn, &old_hash)?;
        }
        (updated == 1).then(|| ActionPlan::find(conn, self.id)).transpose()
    }

    /// Approval records who approved and schedules the checkpoints.
    fn after_change(
        conn: &mut DbConnection,
        actor: &Actor,
        before: &ActionPlan,
        after: ActionPlan,
    ) -> ApiResult<ActionPlan> {
        if before.status == after.status {
            return Ok(after);
        }
        if before.status == PlanStatus::Submitted && after.status == PlanStatus::Draft {
            // Sent back: the trainee hears why, and opens the same link again.
            let key = LinkKey::load(conn)?;
            if let Some(path) = current_link(&key, &after)? {
                let course = Course::of(conn, after.cohort_id)?;
                let to = Addressee::of_enrollment(conn, after.enrollment_id)?;
                let link = key.page_or_path(&path);
                let mail = compose::plan_returned(&course, &to, after.review_comments.as_deref(), &link);
                mail::enqueue(conn, vec![mail], &key.mail_domain())?;
            }
        }
        match after.status {
            PlanStatus::Approved => {
                diesel::update(action_plans::table.find(after.id))
                    .set(action_plans::approved_by.eq(&actor.name))
                    .execute(conn)?;
                actor.raise(conn, Event::PlanApproved { plan: after.id })?;
                ActionPlan::find(conn, after.id)
            }
            _ => Ok(after),
        }
    }
}

impl Change for ActionPlan {
    type Change = UpdateActionPlan;

    /// Outside a request, with no caller to ask about (no such path exists today), the change is
    /// made as an officer would make it.
    fn patched(&self, conn: &mut DbConnection, change: UpdateActionPlan) -> ApiResult<ActionPlan> {
        let officer = Caller::Staff {
            id: crate::ids::UserId(0),
            role: crate::access::StaffRole::Officer,
        };
        self.patched_for(conn, &officer, change)
    }

    /// A liaison only approves or sends back a submitted plan: writing a plan, or any other move,
    /// is not a liaison's to do at all (403), whatever state the plan is in.
    fn patched_for(&self, _: &mut DbConnection, caller: &Caller, change: UpdateActionPlan) -> ApiResult<ActionPlan> {
        let mut next = self.clone();
        let edits = change.title.is_some() || change.problem.is_some() || change.items.is_some();
        let names_supervisor = change.names_supervisor();
        let liaison = caller.role() == Role::Liaison;
        if liaison && (edits || names_supervisor) {
            return Err(ApiError::Forbidden(
                "a liaison approves a plan or sends it back with comments; the trainee or an officer writes it"
                    .to_owned(),
            ));
        }
        if liaison
            && let Some(status) = change.status
            && !matches!(status, PlanStatus::Approved | PlanStatus::Draft)
        {
            return Err(ApiError::Forbidden(format!(
                "a liaison approves a submitted plan (`approved`) or sends it back (`draft`); an officer moves it to {status}"
            )));
        }
        if edits && self.status != PlanStatus::Draft {
            return Err(ApiError::conflict(
                "not_a_draft",
                format!(
                    "action plan {} is {}; its content changes only while it is a draft (send it back first)",
                    self.id, self.status
                ),
            ));
        }
        next.title = change.title.or(next.title);
        next.problem = change.problem.or(next.problem);
        next.items = change.items.unwrap_or(next.items);
        next.review_comments = change.review_comments.clone().or(next.review_comments);
        // The supervisor may change in any state: the person changes, not what was approved.
        if names_supervisor {
            if let Some(name) = change.supervisor_name.clone() {
                next.supervisor_name = name;
            }
            if let Some(position) = change.supervisor_position.clone() {
                next.supervisor_position = position;
            }
            if let Some(email) = change.supervisor_email.clone() {
                next.supervisor_email = email;
            }
            check_supervisor(&next)?;
        }
        if let Some(status) = change.status
            && status != self.status
        {
            if !self.status.next().contains(&status) {
                return Err(illegal_transition(
                    &format!("action plan {}", self.id),
                    self.status,
                    status,
                    self.status.next(),
                ));
            }
            match status {
                PlanStatus::Submitted => check_whole(&next)?,
                PlanStatus::Draft if change.review_comments.is_none() => {
                    return Err(ApiError::invalid(
                        "review_comments",
                        "required",
                        "is required to say what to change when sending a plan back",
                    ));
                }
                PlanStatus::PartiallyCompleted | PlanStatus::Abandoned if change.reason.is_none() => {
                    return Err(ApiError::invalid(
                        "reason",
                        "required",
                        format!("is required to say why the plan is {status}"),
                    ));
                }
                _ => {}
            }
            if status == PlanStatus::Approved {
                next.approved_at = Some(crate::clock::now());
            }
            if status == PlanStatus::Draft {
                // Sent back: the trainee's link opens the plan again, with the comments (a plan
                // that never had a link gets one).
                next.link_nonce = next.link_nonce.or_else(|| Some(links::nonce()));
                next.link_open = true;
            }
            next.reason = change.reason.or(next.reason);
            next.status = status;
        }
        Ok(next)
    }
}

impl List for ActionPlan {
    const NOUNS: &'static str = "action plans";
    type Filters = ActionPlanFilters;
    type Parent = CohortId;

    /// In the order they were created.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        cohort: CohortId,
        filters: ActionPlanFilters,
        paging: Paging,
    ) -> ApiResult<Slice<ActionPlan>> {
        Cohort::find_visible(conn, caller, cohort)?;
        let query = || {
            let mut query = rows().into_boxed().filter(enrollments::cohort_id.eq(cohort));
            if let Some(status) = filters.status {
                query = query.filter(action_plans::status.eq(status));
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", action_plans::id, |r: &PlanRow| r.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            let plans = rows
                .into_iter()
                .map(|row| ActionPlan::try_from(row).map(|plan| plan.shown_to(caller)))
                .collect::<ApiResult<Vec<ActionPlan>>>()?;
            crate::disclosures::record(conn, caller, "action_plans", plans.iter().map(ActionPlan::disclosed))?;
            Ok(plans)
        })
    }
}
