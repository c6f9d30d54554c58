//! Retention: a programme may keep its trainees' free-text answers, plans' free text and contact
//! details for a set number of months after each cohort's end (`programs.retention_months`; none
//! by default). Past it, they are erased by the same code as an erasure on request
//! ([`super::apply`] with [`Reach::Retention`]): run by the schedule (`reminders::Job::Retention`)
//! and by `tpms retention run [--dry-run]`.
//!
//! A cohort is due once `retention_months` have passed since the last day of its end date (a
//! month's or a year's last day when only that is known). Its enrolments' free text goes then; a
//! trainee's own contact details (email, phone, their mail's address) go only once every cohort
//! they were in is due, since a later cohort may still need to reach them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Months, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::{Change, Reach, Scope, apply};
use crate::actor::Actor;
use crate::audit::{self, Entity, Event};
use crate::dates::{DatePrecision, PartialDate};
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::CohortId;
use crate::schema::{cohorts, enrollments, programs};

/// One cohort whose retention period has passed, and what its erasure changes (or would).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueCohort {
    /// The cohort.
    pub cohort_id: CohortId,
    /// `PROGRAMME/COHORT` codes.
    pub code: String,
    /// The day from which its data is erased.
    pub erase_from: NaiveDate,
    /// What is erased, table by table.
    pub changes: Vec<Change>,
}

/// What a retention run erased, or in a dry run would erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionRun {
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// The day it ran for.
    pub as_of: NaiveDate,
    /// Each due cohort with something left to erase.
    pub cohorts: Vec<DueCohort>,
}

impl RetentionRun {
    /// Rows changed (or to change) in all.
    pub fn rows(&self) -> i64 {
        self.cohorts.iter().flat_map(|c| &c.changes).map(|c| c.rows).sum()
    }
}

/// A cohort with its end and its programme's retention: id, programme code, cohort code, end date
/// and its precision, months kept.
type EndedCohort = (
    CohortId,
    String,
    String,
    Option<NaiveDate>,
    Option<DatePrecision>,
    Option<i32>,
);

/// The actor retention's changes are audited as.
pub fn actor() -> Actor {
    Actor {
        name: "retention".to_owned(),
        request_id: None,
        // Retention raises no events: erasing text sets nothing off.
        reactions: |_, _, _| Ok(()),
    }
}

/// Erase what retention reaches in every cohort due on `today`; with `dry_run`, only list it. Each
/// cohort that had something erased gets one audit event listing what, so the trail says when
/// and why its data went.
pub fn run(conn: &mut DbConnection, actor: &Actor, today: NaiveDate, dry_run: bool) -> ApiResult<RetentionRun> {
    let rows: Vec<EndedCohort> = cohorts::table
        .inner_join(programs::table)
        .filter(programs::retention_months.is_not_null())
        .filter(cohorts::end_date.is_not_null())
        .order(cohorts::id)
        .select((
            cohorts::id,
            programs::code,
            cohorts::code,
            cohorts::end_date,
            cohorts::end_precision,
            programs::retention_months,
        ))
        .load(conn)?;
    let mut due: BTreeMap<CohortId, (String, NaiveDate)> = BTreeMap::new();
    for (id, program, cohort, end, precision, months) in rows {
        let (Some(end), Some(months)) = (end, months) else {
            continue;
        };
        let last = PartialDate::from_columns(end, precision.unwrap_or(DatePrecision::Day)).last_day();
        let Some(from) = last.checked_add_months(Months::new(u32::try_from(months).unwrap_or(0))) else {
            continue;
        };
        if from <= today {
            due.insert(id, (format!("{program}/{cohort}"), from));
        }
    }
    let due_ids: Vec<CohortId> = due.keys().copied().collect();
    // Every enrolment of every trainee placed in a due cohort, to tell whose cohorts are all due.
    let people: Vec<crate::ids::TraineeId> = enrollments::table
        .filter(enrollments::cohort_id.eq_any(&due_ids))
        .select(enrollments::trainee_id)
        .distinct()
        .load(conn)?;
    let placed: Vec<(i64, i64, CohortId)> = enrollments::table
        .filter(enrollments::trainee_id.eq_any(&people))
        .order(enrollments::id)
        .select((enrollments::id, enrollments::trainee_id, enrollments::cohort_id))
        .load::<(crate::ids::EnrollmentId, crate::ids::TraineeId, CohortId)>(conn)?
        .into_iter()
        .map(|(e, t, c)| (e.0, t.0, c))
        .collect();
    let mut not_all_due: BTreeSet<i64> = BTreeSet::new();
    for (_, trainee, cohort) in &placed {
        if !due.contains_key(cohort) {
            not_all_due.insert(*trainee);
        }
    }
    // Each trainee's own contact details are erased with the first of their due cohorts, so that
    // a dry run does not count them twice.
    let mut assigned: BTreeSet<i64> = BTreeSet::new();
    let mut report = RetentionRun {
        dry_run,
        as_of: today,
        cohorts: Vec::new(),
    };
    for (cohort, (code, from)) in &due {
        let mut scope = Scope::default();
        for (enrollment, trainee, of) in &placed {
            if of != cohort {
                continue;
            }
            scope.enrollments.push(*enrollment);
            if !not_all_due.contains(trainee) && assigned.insert(*trainee) {
                scope.trainees.push(*trainee);
            }
        }
        let changes = apply(conn, &scope, Reach::Retention, dry_run)?;
        if changes.is_empty() {
            continue;
        }
        if !dry_run {
            let erased = serde_json::json!({ "retention": changes });
            audit::record(
                conn,
                actor,
                Event::changed(Entity::Cohort, cohort.0, &serde_json::json!({}), &erased).because(
                    "retention period after the cohort's end has passed: free text and contact details erased",
                ),
            )?;
        }
        report.cohorts.push(DueCohort {
            cohort_id: *cohort,
            code: code.clone(),
            erase_from: *from,
            changes,
        });
    }
    Ok(report)
}
