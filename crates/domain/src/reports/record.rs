//! A trainee's record: every cohort they were in, with the attendance rate, the result, the
//! certificate, the questionnaires answered and the action plan with its follow-ups. What an
//! officer prints when the trainee is nominated again.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::action_plans::PlanStatus;
use crate::attendance::AttendanceSummary;
use crate::checkpoints::CheckpointStatus;
use crate::cohorts::CohortStatus;
use crate::costs::{CostView, TraineeCosts};
use crate::dates::{DatePrecision, PartialDate};
use crate::db::DbConnection;
use crate::enrollments::{EnrollmentStatus, Origin};
use crate::error::ApiResult;
use crate::ids::{CohortId, EnrollmentId, ProgramId};
use crate::resource::Record;
use crate::schema::{
    action_plans, certificates, checkpoints, cohorts, enrollments, invitations, program_partners, programs,
};
use crate::statuses::InvitationStatus;
use crate::trainees::Trainee;

/// One cohort of the trainee's.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordLine {
    /// The enrolment.
    pub enrollment_id: EnrollmentId,
    /// The programme.
    pub program_id: ProgramId,
    /// Its code.
    pub program_code: String,
    /// Its title.
    pub program_title: String,
    /// The cohort.
    pub cohort_id: CohortId,
    /// Its code.
    pub cohort_code: String,
    /// Its name.
    pub cohort_name: String,
    /// Its status.
    pub cohort_status: CohortStatus,
    /// When it started, as precisely as known (`2026-05` for a month).
    pub start_date: Option<PartialDate>,
    /// When it ended, as precisely as known.
    pub end_date: Option<PartialDate>,
    /// Where the trainee worked when enrolled.
    pub origin: Origin,
    /// The result: the enrolment's status.
    pub status: EnrollmentStatus,
    /// Attendance.
    pub attendance: AttendanceSummary,
    /// The certificate's number, if one was issued and not revoked.
    pub certificate_number: Option<String>,
    /// Questionnaires sent to the trainee.
    pub questionnaires_sent: i64,
    /// Questionnaires they answered.
    pub questionnaires_answered: i64,
    /// Their score in the cohort's identified knowledge post-tests, as a share of the test's
    /// points (0 to 1; the mean when there are several); none when they took none, and for a
    /// partner's liaison (trainees' answers are the training department's).
    pub post_test_score: Option<f64>,
    /// Their own normalised gain from the pre-test to the post-test, `(post − pre) / (max −
    /// pre)` (the mean when there are several pairs); none without both scores, when the
    /// pre-test was full marks (undefined), and for a partner's liaison.
    pub knowledge_gain: Option<f64>,
    /// Their action plan's status, if they have one.
    pub action_plan: Option<PlanStatus>,
    /// Follow-up checkpoints of the plan.
    pub follow_ups: i64,
    /// Follow-up checkpoints reported (submitted or verified).
    pub follow_ups_reported: i64,
    /// Their own costs in this cohort (an airfare, per diems); `null` when none were recorded, or
    /// for a liaison whose partner does not fund the programme with trainees' data shared.
    pub costs: Option<TraineeCosts>,
}

/// The record.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraineeRecord {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: chrono::NaiveDateTime,
    /// The trainee, as now.
    pub trainee: Trainee,
    /// Their cohorts, latest first.
    pub cohorts: Vec<RecordLine>,
}

#[derive(Debug, Queryable)]
struct Enrolment {
    id: EnrollmentId,
    status: EnrollmentStatus,
    origin: Origin,
    program_id: ProgramId,
    program_code: String,
    program_title: String,
    cohort_id: CohortId,
    cohort_code: String,
    cohort_name: String,
    cohort_status: CohortStatus,
    start_date: Option<NaiveDate>,
    start_precision: Option<DatePrecision>,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
}

/// The record of trainee `id`, for a caller who may see them (a liaison: only the cohorts of
/// its partner's programmes, and only those the trainee held a seat in).
pub fn record(conn: &mut DbConnection, caller: &Caller, id: crate::ids::TraineeId) -> ApiResult<TraineeRecord> {
    let data_as_of = crate::clock::now();
    let trainee = Trainee::find_visible(conn, caller, id)?;
    let mut query = enrollments::table
        .inner_join(cohorts::table.inner_join(programs::table))
        .filter(enrollments::trainee_id.eq(id))
        .select((
            enrollments::id,
            enrollments::status,
            (enrollments::organisation, enrollments::position, enrollments::province),
            programs::id,
            programs::code,
            programs::title,
            cohorts::id,
            cohorts::code,
            cohorts::name,
            cohorts::status,
            cohorts::start_date,
            cohorts::start_precision,
            cohorts::end_date,
            cohorts::end_precision,
        ))
        .order((cohorts::start_date.desc(), enrollments::id.desc()))
        .into_boxed();
    if let Some(partner) = caller.liaison_partner() {
        query = query
            .filter(
                cohorts::program_id.eq_any(
                    program_partners::table
                        .filter(program_partners::partner_id.eq(partner))
                        .select(program_partners::program_id),
                ),
            )
            .filter(enrollments::status.eq_any(crate::statuses::SEATED));
    }
    let found: Vec<Enrolment> = query.load(conn)?;
    let ids: Vec<EnrollmentId> = found.iter().map(|e| e.id).collect();
    let mut attendance = crate::attendance::summaries(conn, &ids)?;
    let certificates: HashMap<EnrollmentId, String> = certificates::table
        .filter(certificates::enrollment_id.eq_any(&ids))
        .filter(certificates::revoked_at.is_null())
        .select((certificates::enrollment_id, certificates::number))
        .load(conn)?
        .into_iter()
        .collect();
    let mut sent: HashMap<EnrollmentId, (i64, i64)> = HashMap::new();
    let invited: Vec<(EnrollmentId, InvitationStatus, i64)> = invitations::table
        .filter(invitations::enrollment_id.eq_any(&ids))
        .group_by((invitations::enrollment_id, invitations::status))
        .select((
            invitations::enrollment_id,
            invitations::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (enrollment, status, n) in invited {
        let entry = sent.entry(enrollment).or_default();
        entry.0 += n;
        if status == InvitationStatus::Submitted {
            entry.1 += n;
        }
    }
    let plans: HashMap<EnrollmentId, PlanStatus> = action_plans::table
        .filter(action_plans::enrollment_id.eq_any(&ids))
        .select((action_plans::enrollment_id, action_plans::status))
        .load(conn)?
        .into_iter()
        .collect();
    let mut follow_ups: HashMap<EnrollmentId, (i64, i64)> = HashMap::new();
    let checked: Vec<(EnrollmentId, CheckpointStatus, i64)> = checkpoints::table
        .inner_join(action_plans::table)
        .filter(action_plans::enrollment_id.eq_any(&ids))
        .group_by((action_plans::enrollment_id, checkpoints::status))
        .select((
            action_plans::enrollment_id,
            checkpoints::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (enrollment, status, n) in checked {
        let entry = follow_ups.entry(enrollment).or_default();
        entry.0 += n;
        if matches!(status, CheckpointStatus::Submitted | CheckpointStatus::Verified) {
            entry.1 += n;
        }
    }
    let tests = if caller.liaison_partner().is_some() {
        HashMap::new()
    } else {
        let cohort_ids: Vec<CohortId> = found.iter().map(|e| e.cohort_id).collect();
        test_scores(conn, &cohort_ids)?
    };
    let mut costs = crate::costs::of_enrollments(conn, &ids)?;
    let mut shown_costs: HashMap<ProgramId, bool> = HashMap::new();
    for program in found.iter().map(|e| e.program_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = shown_costs.entry(program) {
            let view = CostView::of(conn, caller, program).ok();
            slot.insert(view.is_some_and(CostView::shows_trainee_lines));
        }
    }
    let cohorts = found
        .into_iter()
        .map(|e| {
            let (questionnaires_sent, questionnaires_answered) = sent.get(&e.id).copied().unwrap_or_default();
            let (follow_ups, follow_ups_reported) = follow_ups.get(&e.id).copied().unwrap_or_default();
            let (post_test_score, knowledge_gain) = tests.get(&e.id).map_or((None, None), TraineeTests::figures);
            RecordLine {
                enrollment_id: e.id,
                program_id: e.program_id,
                program_code: e.program_code,
                program_title: e.program_title,
                cohort_id: e.cohort_id,
                cohort_code: e.cohort_code,
                cohort_name: e.cohort_name,
                cohort_status: e.cohort_status,
                start_date: partial(e.start_date, e.start_precision),
                end_date: partial(e.end_date, e.end_precision),
                origin: e.origin,
                status: e.status,
                attendance: attendance.remove(&e.id).unwrap_or_default(),
                certificate_number: certificates.get(&e.id).cloned(),
                questionnaires_sent,
                questionnaires_answered,
                post_test_score,
                knowledge_gain,
                action_plan: plans.get(&e.id).copied(),
                follow_ups,
                follow_ups_reported,
                costs: if shown_costs.get(&e.program_id) == Some(&true) {
                    costs.remove(&e.id)
                } else {
                    None
                },
            }
        })
        .collect::<Vec<RecordLine>>();
    // The trainee's own fields were recorded as read by `find_visible`; the cohorts' details
    // (where they worked then, attendance, results, plan, follow-up, costs) are recorded here,
    // as one row for the record.
    crate::disclosures::record(conn, caller, "trainee_records", disclosed(id, &cohorts))?;
    Ok(TraineeRecord {
        data_as_of,
        trainee,
        cohorts,
    })
}

/// What the cohorts of a trainee's record give of them, all lines together: none without a line.
fn disclosed(trainee: crate::ids::TraineeId, lines: &[RecordLine]) -> Option<crate::disclosures::Disclosed> {
    use crate::disclosures::{Disclosed, PersonalField as F};
    if lines.is_empty() {
        return None;
    }
    let mut fields = vec![F::Attendance, F::Results];
    for line in lines {
        let origin = Disclosed::of(
            trainee,
            &[
                (F::Organisation, line.origin.organisation.as_deref()),
                (F::Position, line.origin.position.as_deref()),
                (F::Province, line.origin.province.as_deref()),
            ],
        );
        fields.extend(origin.fields);
        if line.action_plan.is_some() {
            fields.push(F::ActionPlan);
        }
        if line.follow_ups_reported > 0 {
            fields.push(F::FollowUp);
        }
        if line.costs.is_some() {
            fields.push(F::Costs);
        }
    }
    Some(Disclosed { trainee, fields })
}

/// One trainee's post-test shares and gains in a cohort.
#[derive(Debug, Default)]
struct TraineeTests {
    scores: Vec<f64>,
    gains: Vec<f64>,
}

impl TraineeTests {
    #[expect(clippy::cast_precision_loss, reason = "a handful of tests")]
    fn figures(&self) -> (Option<f64>, Option<f64>) {
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        (mean(&self.scores), mean(&self.gains))
    }
}

/// Per enrolment, the scores in the identified knowledge post-tests of `cohorts`, and the gains
/// from their pre-tests (identified ones only: an anonymous score belongs to nobody).
fn test_scores(conn: &mut DbConnection, cohorts: &[CohortId]) -> ApiResult<HashMap<EnrollmentId, TraineeTests>> {
    use crate::rounds::{Respondent, Round, Wave, scores};
    use crate::schema::evaluation_rounds;
    let rounds: Vec<Round> = evaluation_rounds::table
        .filter(evaluation_rounds::cohort_id.eq_any(cohorts))
        .filter(evaluation_rounds::respondent.eq(Respondent::Trainee))
        .filter(evaluation_rounds::wave.eq(Wave::Post))
        .load(conn)?;
    let mut found: HashMap<EnrollmentId, TraineeTests> = HashMap::new();
    for round in rounds {
        let Some((max, posts)) = scores::by_trainee(conn, &round)? else {
            continue;
        };
        let pres = match round.pre_round_id {
            Some(pre) => {
                let pre = Round::find(conn, pre)?;
                scores::by_trainee(conn, &pre)?.map(|(_, s)| s)
            }
            None => None,
        };
        #[expect(clippy::cast_precision_loss, reason = "scores far below 2^52")]
        for (enrollment, score) in posts {
            let entry = found.entry(enrollment).or_default();
            entry.scores.push(score as f64 / max as f64);
            if let Some(pre) = pres.as_ref().and_then(|p| p.get(&enrollment)) {
                entry.gains.extend(scores::gain(*pre as f64, score as f64, max as f64));
            }
        }
    }
    Ok(found)
}

/// A date as stored (its first day and how much of it is known), shown at its own precision.
fn partial(first_day: Option<NaiveDate>, precision: Option<DatePrecision>) -> Option<PartialDate> {
    first_day.map(|day| PartialDate::from_columns(day, precision.unwrap_or(DatePrecision::Day)))
}
