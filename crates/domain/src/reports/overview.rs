//! Programme overview: per programme (or partner, year of the cohorts, country of the partner),
//! what was planned against what ran: cohorts, seats, completions, waitlist, completion and
//! attendance rates, evaluation response rate and top-two-box share, follow-up outcomes.
//!
//! Every figure is read per cohort and summed per group, from indexed or kept-up-to-date rows:
//! enrolments counted through their `(cohort_id, status)` index, attendance from
//! `cohort_attendance` (kept by every save of a sheet), invitations and follow-ups through their
//! cohort's rounds and enrolments.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CohortInScope, ProgramInScope, Scope};
use crate::access::Caller;
use crate::cohorts::CohortStatus;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, ProgramId, text_enum};
use crate::ratio::share;
use crate::rounds::{Respondent, Wave};
use crate::schema::{cohort_attendance, enrollments, evaluation_rounds, invitations, partners, program_partners};
use crate::statuses::EnrollmentStatus;
use crate::statuses::InvitationStatus;

text_enum!(
    /// What the overview's rows are.
    OverviewGroup {
        /// One row per programme.
        Program,
        /// One row per partner (a programme with several partners counts under each).
        Partner,
        /// One row per year the cohorts started in.
        Year,
        /// One row per country of the programmes' partners.
        Country,
    }
);

/// The overview's own parameter.
#[derive(Debug, Clone, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// What each row is: `program` (default), `partner`, `year` or `country`.
    pub group_by: Option<OverviewGroup>,
}

/// The figures of one group.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OverviewRow {
    /// The programme's or partner's code, the year, or the country code.
    pub key: Option<String>,
    /// The programme's title, the partner's name, or the key again.
    pub label: Option<String>,
    /// Programmes counted.
    pub programs: i64,
    /// Cohorts the programmes planned; none when grouped by year.
    pub planned_cohorts: Option<i64>,
    /// Cohorts recorded.
    pub cohorts: i64,
    /// Cohorts under way or completed.
    pub cohorts_run: i64,
    /// Trainees the programmes planned; none when grouped by year.
    pub planned_trainees: Option<i64>,
    /// Trainees holding a seat: enrolled, completed or not completed.
    pub seated: i64,
    /// Completed.
    pub completed: i64,
    /// Did not complete.
    pub did_not_complete: i64,
    /// On a waitlist now; always 0 for a partner's liaison, who learns only of the trainees
    /// holding a seat.
    pub waitlisted: i64,
    /// `completed / (completed + did_not_complete)`, 0 to 1.
    pub completion_rate: Option<f64>,
    /// `(present + late) / (marks − excused)` over every session, 0 to 1.
    pub attendance_rate: Option<f64>,
    /// Trainees' questionnaires answered over those sent, 0 to 1.
    pub evaluation_response_rate: Option<f64>,
    /// Share of scale answers in the two highest values, in post-course trainee questionnaires
    /// (anonymous rounds under the minimum group left out), 0 to 1.
    pub evaluation_top_two_box: Option<f64>,
    /// The mean post-test score, as a share of each test's points (0 to 1), over every response
    /// to the cohorts' knowledge post-tests (trainees' post rounds of questionnaires with scored
    /// items; anonymous rounds whose results are withheld left out).
    pub post_test_score: Option<f64>,
    /// Hake's normalised gain of the group's means, on scores as shares of each test's points:
    /// `(post − pre) / (1 − pre)`, over the post-tests paired with a pre-test whose figures
    /// show, each mean over every response; none without such a pair, or when the pre-tests'
    /// mean is already full marks (undefined).
    pub knowledge_gain: Option<f64>,
    /// Share of action plans (not drafts) approved, 0 to 1.
    pub plans_approved_share: Option<f64>,
    /// Share of approved plans' items achieved by the 6-month follow-up, 0 to 1.
    pub items_achieved_by_6_months: Option<f64>,
    /// The same by 12 months.
    pub items_achieved_by_12_months: Option<f64>,
}

/// The overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: chrono::NaiveDateTime,
    /// The filters it was read with.
    pub filters: OverviewFilters,
    /// One row per group, by key.
    pub rows: Vec<OverviewRow>,
    /// The whole scope once (not the sum of the rows: a programme with two partners is in two
    /// partner rows, once here).
    pub totals: OverviewRow,
}

/// The filters an overview echoes.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewFilters {
    /// What each row is.
    pub group_by: OverviewGroup,
    /// Which programmes and cohorts.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Counts per cohort, summed into groups.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    seated: i64,
    completed: i64,
    did_not_complete: i64,
    waitlisted: i64,
    attended: i64,
    counted_marks: i64,
    invited: i64,
    submitted: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.seated += other.seated;
        self.completed += other.completed;
        self.did_not_complete += other.did_not_complete;
        self.waitlisted += other.waitlisted;
        self.attended += other.attended;
        self.counted_marks += other.counted_marks;
        self.invited += other.invited;
        self.submitted += other.submitted;
    }
}

/// The overview of `scope` for `caller`.
pub fn overview(
    conn: &mut DbConnection,
    caller: &Caller,
    scope: Scope,
    params: OverviewParams,
    min_group: u16,
) -> ApiResult<Overview> {
    let data_as_of = crate::clock::now();
    let group_by = params.group_by.unwrap_or(OverviewGroup::Program);
    let programs = scope.programs(conn, caller)?;
    let cohorts = scope.cohorts(conn, &programs)?;
    let ids: Vec<CohortId> = cohorts.iter().map(|c| c.id).collect();
    let counts = counts(conn, caller, &ids)?;
    let (top_two, tests) = evaluation_figures(conn, caller, &ids, min_group)?;

    // Which groups each programme and each cohort belongs to.
    let partners = partners_of(conn, &programs)?;
    let mut groups: BTreeMap<Option<String>, Group> = BTreeMap::new();
    for program in &programs {
        let keys: Vec<(Option<String>, Option<String>)> = match group_by {
            OverviewGroup::Program => vec![(Some(program.code.clone()), Some(program.title.clone()))],
            OverviewGroup::Partner => labelled(partners.get(&program.id), |p| (p.code.clone(), p.name.clone())),
            OverviewGroup::Country => labelled(partners.get(&program.id), |p| (p.country.clone(), p.country.clone())),
            OverviewGroup::Year => Vec::new(),
        };
        for key in keys {
            let group = groups
                .entry(key.0.clone())
                .or_insert_with(|| Group::labelled(key.1.clone()));
            group.add_program(program);
            for cohort in cohorts.iter().filter(|c| c.program_id == program.id) {
                group.add_cohort(cohort);
            }
        }
    }
    if group_by == OverviewGroup::Year {
        for cohort in &cohorts {
            let year = cohort.year().map(|y| y.to_string());
            let group = groups.entry(year.clone()).or_insert_with(|| Group::labelled(year));
            group.programs.insert(cohort.program_id);
            group.add_cohort(cohort);
        }
    }
    let mut rows = Vec::with_capacity(groups.len());
    for (key, group) in groups {
        let planned = group_by != OverviewGroup::Year;
        rows.push(group.row(conn, key, planned, &counts, &top_two, &tests)?);
    }
    let mut all = Group::labelled(Some("total".to_owned()));
    for program in &programs {
        all.add_program(program);
    }
    for cohort in &cohorts {
        all.add_cohort(cohort);
    }
    let totals = all.row(conn, Some("total".to_owned()), true, &counts, &top_two, &tests)?;
    Ok(Overview {
        data_as_of,
        filters: OverviewFilters { group_by, scope },
        rows,
        totals,
    })
}

/// The keys a programme files under, from its partners; one unknown key when it has none.
fn labelled(
    partners: Option<&Vec<PartnerOf>>,
    key: impl Fn(&PartnerOf) -> (String, String),
) -> Vec<(Option<String>, Option<String>)> {
    let keys: BTreeSet<(String, String)> = partners.into_iter().flatten().map(key).collect();
    if keys.is_empty() {
        return vec![(None, None)];
    }
    keys.into_iter().map(|(k, l)| (Some(k), Some(l))).collect()
}

#[derive(Debug, Default)]
struct Group {
    label: Option<String>,
    programs: BTreeSet<ProgramId>,
    planned_cohorts: Option<i64>,
    planned_trainees: Option<i64>,
    cohorts: Vec<CohortId>,
    cohorts_run: i64,
}

impl Group {
    fn labelled(label: Option<String>) -> Self {
        Self {
            label,
            ..Self::default()
        }
    }

    fn add_program(&mut self, program: &ProgramInScope) {
        if self.programs.insert(program.id) {
            let add = |sum: Option<i64>, more: Option<i32>| match (sum, more) {
                (None, None) => None,
                (sum, more) => Some(sum.unwrap_or(0) + i64::from(more.unwrap_or(0))),
            };
            self.planned_cohorts = add(self.planned_cohorts, program.planned_cohorts);
            self.planned_trainees = add(self.planned_trainees, program.planned_trainees);
        }
    }

    fn add_cohort(&mut self, cohort: &CohortInScope) {
        self.cohorts.push(cohort.id);
        if matches!(cohort.status, CohortStatus::InProgress | CohortStatus::Completed) {
            self.cohorts_run += 1;
        }
    }

    fn row(
        &self,
        conn: &mut DbConnection,
        key: Option<String>,
        planned: bool,
        counts: &HashMap<CohortId, Counts>,
        top_two: &HashMap<CohortId, (i64, i64)>,
        tests: &HashMap<CohortId, Tests>,
    ) -> ApiResult<OverviewRow> {
        let mut sum = Counts::default();
        let (mut top, mut scale) = (0, 0);
        let mut test = Tests::default();
        for cohort in &self.cohorts {
            sum += counts.get(cohort).copied().unwrap_or_default();
            if let Some(t) = tests.get(cohort) {
                test += *t;
            }
            if let Some((t, s)) = top_two.get(cohort) {
                top += t;
                scale += s;
            }
        }
        let follow_ups = crate::checkpoints::summary::of_cohorts(conn, &self.cohorts)?;
        Ok(OverviewRow {
            label: self.label.clone(),
            key,
            programs: self.programs.len() as i64,
            planned_cohorts: self.planned_cohorts.filter(|_| planned),
            cohorts: self.cohorts.len() as i64,
            cohorts_run: self.cohorts_run,
            planned_trainees: self.planned_trainees.filter(|_| planned),
            seated: sum.seated,
            completed: sum.completed,
            did_not_complete: sum.did_not_complete,
            waitlisted: sum.waitlisted,
            completion_rate: share(sum.completed, sum.completed + sum.did_not_complete),
            attendance_rate: share(sum.attended, sum.counted_marks),
            evaluation_response_rate: share(sum.submitted, sum.invited),
            evaluation_top_two_box: share(top, scale),
            post_test_score: test.post_score(),
            knowledge_gain: test.gain(),
            plans_approved_share: follow_ups.plans_approved_share,
            items_achieved_by_6_months: follow_ups.items_achieved_by_6_months,
            items_achieved_by_12_months: follow_ups.items_achieved_by_12_months,
        })
    }
}

/// A partner of a programme.
#[derive(Debug, Clone, Queryable)]
struct PartnerOf {
    program_id: ProgramId,
    code: String,
    name: String,
    country: String,
}

fn partners_of(conn: &mut DbConnection, programs: &[ProgramInScope]) -> ApiResult<HashMap<ProgramId, Vec<PartnerOf>>> {
    let ids: Vec<ProgramId> = programs.iter().map(|p| p.id).collect();
    let found: Vec<PartnerOf> = program_partners::table
        .inner_join(partners::table)
        .filter(program_partners::program_id.eq_any(ids))
        .select((
            program_partners::program_id,
            partners::code,
            partners::name,
            partners::country,
        ))
        .load(conn)?;
    let mut by_program: HashMap<ProgramId, Vec<PartnerOf>> = HashMap::new();
    for partner in found {
        by_program.entry(partner.program_id).or_default().push(partner);
    }
    Ok(by_program)
}

/// Seats, attendance and questionnaires of each cohort. A liaison's counts leave out what it
/// may not see of an enrolment (nominations, the waitlist, withdrawals).
fn counts(conn: &mut DbConnection, caller: &Caller, cohorts: &[CohortId]) -> ApiResult<HashMap<CohortId, Counts>> {
    let mut counts: HashMap<CohortId, Counts> = HashMap::new();
    for chunk in cohorts.chunks(CHUNK) {
        let statuses: Vec<(CohortId, EnrollmentStatus, i64)> = enrollments::table
            .filter(enrollments::cohort_id.eq_any(chunk))
            .group_by((enrollments::cohort_id, enrollments::status))
            .select((enrollments::cohort_id, enrollments::status, diesel::dsl::count_star()))
            .load(conn)?;
        for (cohort, status, n) in statuses {
            let c = counts.entry(cohort).or_default();
            match status {
                EnrollmentStatus::Enrolled => c.seated += n,
                EnrollmentStatus::Completed => {
                    c.seated += n;
                    c.completed += n;
                }
                EnrollmentStatus::DidNotComplete => {
                    c.seated += n;
                    c.did_not_complete += n;
                }
                EnrollmentStatus::Waitlisted if caller.liaison_partner().is_none() => c.waitlisted += n,
                _ => {}
            }
        }
        let marks: Vec<(CohortId, i64, i64, i64, i64)> = cohort_attendance::table
            .filter(cohort_attendance::cohort_id.eq_any(chunk))
            .select((
                cohort_attendance::cohort_id,
                cohort_attendance::present,
                cohort_attendance::late,
                cohort_attendance::absent,
                cohort_attendance::excused,
            ))
            .load(conn)?;
        for (cohort, present, late, absent, _excused) in marks {
            let c = counts.entry(cohort).or_default();
            c.attended += present + late;
            c.counted_marks += present + late + absent;
        }
        let sent: Vec<(CohortId, InvitationStatus, i64)> = invitations::table
            .inner_join(evaluation_rounds::table)
            .filter(evaluation_rounds::cohort_id.eq_any(chunk))
            .group_by((evaluation_rounds::cohort_id, invitations::status))
            .select((
                evaluation_rounds::cohort_id,
                invitations::status,
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        for (cohort, status, n) in sent {
            let c = counts.entry(cohort).or_default();
            c.invited += n;
            if status == InvitationStatus::Submitted {
                c.submitted += n;
            }
        }
    }
    Ok(counts)
}

/// Ids per query of a long list, well under either database's limit on bound values.
const CHUNK: usize = 5_000;

/// A cohort's knowledge-test figures, summed as shares of each test's points.
#[derive(Debug, Clone, Copy, Default)]
struct Tests {
    /// Over every post-test: the sum of the responses' shares, and their count.
    post_sum: f64,
    post_count: i64,
    /// Over the post-tests paired with a pre-test that shows: the same for both tests.
    paired_post_sum: f64,
    paired_post_count: i64,
    paired_pre_sum: f64,
    paired_pre_count: i64,
}

impl std::ops::AddAssign for Tests {
    fn add_assign(&mut self, other: Tests) {
        self.post_sum += other.post_sum;
        self.post_count += other.post_count;
        self.paired_post_sum += other.paired_post_sum;
        self.paired_post_count += other.paired_post_count;
        self.paired_pre_sum += other.paired_pre_sum;
        self.paired_pre_count += other.paired_pre_count;
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
impl Tests {
    fn post_score(&self) -> Option<f64> {
        (self.post_count > 0).then(|| self.post_sum / self.post_count as f64)
    }

    fn gain(&self) -> Option<f64> {
        if self.paired_post_count == 0 || self.paired_pre_count == 0 {
            return None;
        }
        let pre = self.paired_pre_sum / self.paired_pre_count as f64;
        let post = self.paired_post_sum / self.paired_post_count as f64;
        crate::rounds::scores::gain(pre, post, 1.0)
    }

    /// Add one post-test round's scores.
    fn add(&mut self, scores: &crate::rounds::scores::TestScores) {
        let max = scores.max_score as f64;
        let Some(post) = scores.mean_post else { return };
        self.post_sum += post / max * scores.scored as f64;
        self.post_count += scores.scored;
        if let (Some(pre), Some(pre_count)) = (scores.mean_pre, scores.pre_scored) {
            self.paired_post_sum += post / max * scores.scored as f64;
            self.paired_post_count += scores.scored;
            self.paired_pre_sum += pre / max * pre_count as f64;
            self.paired_pre_count += pre_count;
        }
    }
}

/// Per cohort, scale answers in the top two values and all scale answers, and the knowledge
/// tests' scores, over its closed post-course trainee rounds whose results may be shown.
#[expect(clippy::type_complexity, reason = "two maps by cohort, each read once")]
fn evaluation_figures(
    conn: &mut DbConnection,
    caller: &Caller,
    cohorts: &[CohortId],
    min_group: u16,
) -> ApiResult<(HashMap<CohortId, (i64, i64)>, HashMap<CohortId, Tests>)> {
    let mut found: HashMap<CohortId, (i64, i64)> = HashMap::new();
    let mut tests: HashMap<CohortId, Tests> = HashMap::new();
    for chunk in cohorts.chunks(CHUNK) {
        let rounds: Vec<(crate::ids::RoundId, CohortId)> = evaluation_rounds::table
            .filter(evaluation_rounds::cohort_id.eq_any(chunk))
            .filter(evaluation_rounds::respondent.eq(Respondent::Trainee))
            .filter(evaluation_rounds::wave.eq(Wave::Post))
            .select((evaluation_rounds::id, evaluation_rounds::cohort_id))
            .load(conn)?;
        for (round, cohort) in rounds {
            let results = crate::rounds::results::results(conn, caller, round, min_group)?;
            if let Some(scores) = &results.scores {
                tests.entry(cohort).or_default().add(scores);
            }
            let entry = found.entry(cohort).or_default();
            for item in results
                .items
                .iter()
                .filter(|i| i.kind == crate::instruments::ItemKind::Scale)
            {
                let top = item.top_two_box.map_or(0.0, |t| t * item.count as f64).round() as i64;
                entry.0 += top;
                entry.1 += item.count;
            }
        }
    }
    Ok((found, tests))
}
