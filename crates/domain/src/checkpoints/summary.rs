//! Follow-up figures for a cohort or a programme: plans by state, checkpoints by state, items by
//! their latest reported progress, and the outcome figures reports use.

use crate::ratio::share;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CheckpointStatus, FollowUpState, ItemProgress, Progress, SupervisorStatus, state};
use crate::access::Caller;
use crate::action_plans::PlanStatus;
use crate::cohorts::Cohort;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{ActionPlanId, CohortId, ProgramId};
use crate::programs::Program;
use crate::resource::Record;
use crate::schema::{action_plans, checkpoints, cohorts, enrollments};

/// The follow-up figures of a cohort or a programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpSummary {
    /// Plans, by state.
    pub plans: BTreeMap<String, i64>,
    /// Checkpoints, by state today (`upcoming`, `due`, `overdue`, `submitted`, `verified`,
    /// `disputed`).
    pub checkpoints: BTreeMap<String, i64>,
    /// Items of approved plans, by their latest reported progress (`not_reported` when no
    /// report on them was accepted yet).
    pub items: BTreeMap<String, i64>,
    /// Share of plans (not drafts) that were approved, 0 to 1.
    pub plans_approved_share: Option<f64>,
    /// Share of the items of approved plans reported `achieved` at a checkpoint of at most
    /// 6 months (submitted or verified), 0 to 1.
    pub items_achieved_by_6_months: Option<f64>,
    /// The same, by 12 months.
    pub items_achieved_by_12_months: Option<f64>,
    /// Median days from the cohort's end to the first report of an achieved item, over the
    /// plans that have one.
    pub median_days_to_first_achievement: Option<f64>,
    /// Checkpoints, by where their supervisor's side stands (`none`, `awaited`, `confirmed`,
    /// `not_confirmed`).
    pub supervisors: BTreeMap<String, i64>,
    /// Share of the reports a supervisor answered on that the supervisor confirmed, 0 to 1
    /// (none while no supervisor has answered).
    pub reports_confirmed_by_supervisor_share: Option<f64>,
}

/// A cohort's figures, for a caller who may see it.
pub fn of_cohort(conn: &mut DbConnection, caller: &Caller, cohort: CohortId) -> ApiResult<FollowUpSummary> {
    Cohort::find_visible(conn, caller, cohort)?;
    summarise(conn, &[cohort])
}

/// A programme's figures (all its cohorts), for a caller who may see it.
pub fn of_program(conn: &mut DbConnection, caller: &Caller, program: ProgramId) -> ApiResult<FollowUpSummary> {
    Program::find_visible(conn, caller, program)?;
    let cohorts: Vec<CohortId> = cohorts::table
        .filter(cohorts::program_id.eq(program))
        .select(cohorts::id)
        .load(conn)?;
    summarise(conn, &cohorts)
}

/// The figures of `cohorts` together, for a report that chose them (and checked who may see
/// them).
pub fn of_cohorts(conn: &mut DbConnection, cohorts: &[CohortId]) -> ApiResult<FollowUpSummary> {
    summarise(conn, cohorts)
}

fn summarise(conn: &mut DbConnection, cohorts: &[CohortId]) -> ApiResult<FollowUpSummary> {
    let plans: Vec<(ActionPlanId, PlanStatus, String, CohortId)> = action_plans::table
        .inner_join(enrollments::table)
        .filter(enrollments::cohort_id.eq_any(cohorts))
        .select((
            action_plans::id,
            action_plans::status,
            action_plans::items,
            enrollments::cohort_id,
        ))
        .load(conn)?;
    let ids: Vec<ActionPlanId> = plans.iter().map(|p| p.0).collect();
    type Row = (
        ActionPlanId,
        i32,
        NaiveDate,
        CheckpointStatus,
        String,
        Option<chrono::NaiveDateTime>,
        SupervisorStatus,
    );
    let points: Vec<Row> = checkpoints::table
        .filter(checkpoints::plan_id.eq_any(&ids))
        .order((checkpoints::plan_id, checkpoints::months))
        .select((
            checkpoints::plan_id,
            checkpoints::months,
            checkpoints::due_on,
            checkpoints::status,
            checkpoints::progress,
            checkpoints::submitted_at,
            checkpoints::supervisor_status,
        ))
        .load(conn)?;
    // Each plan's cohort's last day, in one query over the cohorts that have plans.
    let with_plans: std::collections::BTreeSet<CohortId> = plans.iter().map(|p| p.3).collect();
    let ends: HashMap<CohortId, NaiveDate> = cohorts::table
        .filter(cohorts::id.eq_any(with_plans))
        .select((cohorts::id, cohorts::end_date, cohorts::end_precision))
        .load::<(CohortId, Option<NaiveDate>, Option<crate::dates::DatePrecision>)>(conn)?
        .into_iter()
        .filter_map(|(id, day, precision)| {
            let end =
                crate::dates::PartialDate::from_columns(day?, precision.unwrap_or(crate::dates::DatePrecision::Day));
            Some((id, end.last_day()))
        })
        .collect();
    let mut points_of: HashMap<ActionPlanId, Vec<&Row>> = HashMap::new();
    for point in &points {
        points_of.entry(point.0).or_default().push(point);
    }

    let today = crate::clock::now().date();
    let mut by_plan_state = BTreeMap::new();
    let mut by_checkpoint_state = BTreeMap::new();
    let mut by_item = BTreeMap::new();
    let (mut submitted_plans, mut approved_plans) = (0, 0);
    let (mut items_total, mut by_6, mut by_12) = (0, 0, 0);
    let mut days_to_first = Vec::new();
    for (id, status, items, cohort) in &plans {
        *by_plan_state.entry(status.to_string()).or_insert(0) += 1;
        if *status != PlanStatus::Draft {
            submitted_plans += 1;
        }
        if !status.approved() {
            continue;
        }
        approved_plans += 1;
        let count: usize = serde_json::from_str::<Vec<serde_json::Value>>(items)
            .map_err(ApiError::internal)?
            .len();
        items_total += count;
        let mut latest: HashMap<i32, Progress> = HashMap::new();
        let (mut achieved_6, mut achieved_12) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        let mut first_achievement: Option<NaiveDate> = None;
        for (_, months, _, point_status, progress, submitted_at, _) in points_of.get(id).into_iter().flatten().copied()
        {
            if !matches!(point_status, CheckpointStatus::Submitted | CheckpointStatus::Verified) {
                continue;
            }
            let progress: Vec<ItemProgress> = serde_json::from_str(progress).map_err(ApiError::internal)?;
            for entry in &progress {
                latest.insert(entry.item, entry.progress);
                if entry.progress == Progress::Achieved {
                    if *months <= 6 {
                        achieved_6.insert(entry.item);
                    }
                    if *months <= 12 {
                        achieved_12.insert(entry.item);
                    }
                    if let Some(at) = submitted_at {
                        first_achievement = Some(first_achievement.map_or(at.date(), |d| d.min(at.date())));
                    }
                }
            }
        }
        by_6 += achieved_6.len();
        by_12 += achieved_12.len();
        for item in 1..=i32::try_from(count).unwrap_or(i32::MAX) {
            let key = latest.get(&item).map_or("not_reported".to_owned(), ToString::to_string);
            *by_item.entry(key).or_insert(0) += 1;
        }
        if let (Some(first), Some(end)) = (first_achievement, ends.get(cohort)) {
            #[expect(clippy::cast_precision_loss, reason = "days fit")]
            days_to_first.push((first - *end).num_days() as f64);
        }
    }
    let mut by_supervisor = BTreeMap::new();
    let (mut confirmed, mut answered) = (0_i64, 0_i64);
    for (_, _, due_on, status, _, _, supervisor) in &points {
        let state: FollowUpState = state(*status, *due_on, today);
        *by_checkpoint_state.entry(state.to_string()).or_insert(0) += 1;
        *by_supervisor.entry(supervisor.to_string()).or_insert(0) += 1;
        match supervisor {
            SupervisorStatus::Confirmed => (confirmed, answered) = (confirmed + 1, answered + 1),
            SupervisorStatus::NotConfirmed => answered += 1,
            SupervisorStatus::None | SupervisorStatus::Awaited => {}
        }
    }
    days_to_first.sort_by(f64::total_cmp);
    let median = match days_to_first.len() {
        0 => None,
        n if n % 2 == 1 => Some(days_to_first[n / 2]),
        n => Some((days_to_first[n / 2 - 1] + days_to_first[n / 2]) / 2.0),
    };
    Ok(FollowUpSummary {
        plans: by_plan_state,
        checkpoints: by_checkpoint_state,
        items: by_item,
        plans_approved_share: share(approved_plans, submitted_plans),
        items_achieved_by_6_months: share(by_6, items_total),
        items_achieved_by_12_months: share(by_12, items_total),
        median_days_to_first_achievement: median,
        supervisors: by_supervisor,
        reports_confirmed_by_supervisor_share: share(confirmed, answered),
    })
}

/// Per cohort, the items of approved plans reported `achieved` at a checkpoint of at most
/// `months` (submitted or verified): what a cost report divides by for its cost per item achieved.
pub fn items_achieved_by(
    conn: &mut DbConnection,
    cohorts: &[CohortId],
    months: i32,
) -> ApiResult<HashMap<CohortId, i64>> {
    let mut achieved: HashMap<CohortId, i64> = HashMap::new();
    // Well under either database's limit on bound values.
    for chunk in cohorts.chunks(5_000) {
        // The plans are joined, not listed: a chunk of cohorts may hold more plans than a
        // statement may bind values.
        let reports: Vec<(ActionPlanId, PlanStatus, CohortId, String)> = checkpoints::table
            .inner_join(action_plans::table.inner_join(enrollments::table))
            .filter(enrollments::cohort_id.eq_any(chunk))
            .filter(checkpoints::months.le(months))
            .filter(checkpoints::status.eq_any([CheckpointStatus::Submitted, CheckpointStatus::Verified]))
            .select((
                checkpoints::plan_id,
                action_plans::status,
                enrollments::cohort_id,
                checkpoints::progress,
            ))
            .load(conn)?;
        let mut items: std::collections::HashSet<(ActionPlanId, i32)> = std::collections::HashSet::new();
        let mut cohort_of: HashMap<ActionPlanId, CohortId> = HashMap::new();
        for (plan, status, cohort, progress) in reports {
            if !status.approved() {
                continue;
            }
            cohort_of.insert(plan, cohort);
            let progress: Vec<ItemProgress> = serde_json::from_str(&progress).map_err(ApiError::internal)?;
            for entry in progress.iter().filter(|e| e.progress == Progress::Achieved) {
                items.insert((plan, entry.item));
            }
        }
        for (plan, _) in items {
            if let Some(cohort) = cohort_of.get(&plan) {
                *achieved.entry(*cohort).or_default() += 1;
            }
        }
    }
    Ok(achieved)
}
