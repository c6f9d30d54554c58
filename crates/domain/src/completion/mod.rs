//! A cohort's completion: the rule a trainee must meet (attendance, rounds answered, the
//! partner's assessment), and the run that applies it to every enrolled trainee at once,
//! issuing certificates to those who completed. A dry run says who would complete and why
//! not, and changes nothing.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::cohorts::{Cohort, CohortStatus};
use crate::db::{DbConnection, Lookup};
use crate::enrollments::{Enrollment, EnrollmentStatus, UpdateEnrollment};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, RoundId};
use crate::resource::{self, AnyVersion, Expect, Record, Store, Trail};
use crate::rounds::{Anonymity, Respondent, Round};
use crate::schema::{completion_rules, enrollments, evaluation_rounds, invitations, responses, trainees};
use crate::statuses::InvitationStatus;

/// What a trainee of a cohort must meet to complete it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CompletionRule {
    /// The cohort.
    pub cohort_id: CohortId,
    /// The lowest attendance rate (0 to 1) that completes; none: attendance does not count.
    pub min_attendance_rate: Option<f64>,
    /// Rounds of the cohort each trainee must have answered (trainees' rounds), or been assessed
    /// in (partners' and officers' rounds).
    pub required_rounds: Vec<RoundId>,
    /// The lowest mean of the scale answers of the trainee's assessments in the cohort's
    /// partner and officer rounds; none: assessments do not count.
    pub min_assessment_mean: Option<f64>,
    /// The lowest score (a share of the test's points, 0 to 1) the trainee must reach in each of
    /// the cohort's identified post-test rounds (`wave: post`, a questionnaire with scored
    /// items); none: tests do not count. An anonymous round's scores belong to nobody, so they
    /// never count.
    pub min_post_test_score: Option<f64>,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

fn rate(value: f64) -> Result<(), ValidationError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("out_of_range").with_message("a share from 0 to 1, e.g. 0.8 for 80 %".into()))
    }
}

/// A cohort's completion rule, as a whole.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCompletionRule {
    /// The lowest attendance rate (0 to 1) that completes.
    #[validate(custom(function = "rate"))]
    #[schema(minimum = 0, maximum = 1, example = 0.8)]
    pub min_attendance_rate: Option<f64>,
    /// Rounds of the cohort each trainee must have answered or been assessed in.
    #[serde(default)]
    #[validate(length(max = 50))]
    pub required_rounds: Vec<RoundId>,
    /// The lowest assessment mean that completes.
    #[schema(example = 3.0)]
    pub min_assessment_mean: Option<f64>,
    /// The lowest post-test score that completes, as a share (0 to 1) of the test's points.
    #[validate(custom(function = "rate"))]
    #[schema(minimum = 0, maximum = 1, example = 0.6)]
    pub min_post_test_score: Option<f64>,
}

/// Whether to change anything.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CompletionQuery {
    /// `true`: only say who would complete and why not.
    #[serde(default)]
    pub dry_run: bool,
}

/// One trainee's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraineeOutcome {
    /// The enrolment.
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// `completed` or `did_not_complete`.
    pub outcome: EnrollmentStatus,
    /// Each rule not met, as a sentence.
    pub reasons: Vec<String>,
    /// The certificate number, once completed (not in a dry run).
    pub certificate_number: Option<String>,
}

/// What a completion run decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionRun {
    /// The cohort.
    pub cohort_id: CohortId,
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
    /// Trainees who complete.
    pub completed: i64,
    /// Trainees who do not.
    pub did_not_complete: i64,
    /// Every enrolled trainee, by enrolment.
    pub trainees: Vec<TraineeOutcome>,
}

#[derive(Queryable)]
struct RuleRow {
    cohort_id: CohortId,
    min_attendance_rate: Option<f64>,
    required_rounds: String,
    min_assessment_mean: Option<f64>,
    updated_at: NaiveDateTime,
    version: i32,
    min_post_test_score: Option<f64>,
}

impl Record for CompletionRule {
    type Key = CohortId;
    const ENTITY: Entity = Entity::CompletionRule;
    const NOUN: &'static str = "completion rule";

    fn key(&self) -> CohortId {
        self.cohort_id
    }
    fn audit_id(&self) -> i64 {
        self.cohort_id.0
    }
    fn version(&self) -> i32 {
        self.version
    }
    fn stamp(&mut self, version: i32, at: Option<NaiveDateTime>) {
        self.version = version;
        if let Some(at) = at {
            self.updated_at = at;
        }
    }

    /// The rule of a cohort: the stored one, or at version 0 one that asks nothing. 404 when the
    /// cohort does not exist.
    fn find(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<CompletionRule> {
        let cohort = Cohort::find(conn, cohort)?;
        let row: Option<RuleRow> = completion_rules::table.find(cohort.id).lookup(conn)?;
        match row {
            Some(row) => Ok(CompletionRule {
                cohort_id: row.cohort_id,
                min_attendance_rate: row.min_attendance_rate,
                required_rounds: serde_json::from_str(&row.required_rounds).map_err(ApiError::internal)?,
                min_assessment_mean: row.min_assessment_mean,
                min_post_test_score: row.min_post_test_score,
                updated_at: row.updated_at,
                version: row.version,
            }),
            None => Ok(CompletionRule {
                cohort_id: cohort.id,
                min_attendance_rate: None,
                required_rounds: Vec::new(),
                min_assessment_mean: None,
                min_post_test_score: None,
                updated_at: cohort.updated_at,
                version: 0,
            }),
        }
    }

    /// A liaison sees the rules of its partner's cohorts.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, cohort: CohortId) -> ApiResult<CompletionRule> {
        Cohort::find_visible(conn, caller, cohort)?;
        CompletionRule::find(conn, cohort)
    }
}

impl Store for CompletionRule {
    /// A cohort's first rule is inserted; a later one replaces it.
    fn store(&self, conn: &mut DbConnection, current: &CompletionRule) -> ApiResult<Option<CompletionRule>> {
        let rounds = serde_json::to_string(&self.required_rounds).map_err(ApiError::internal)?;
        let written = if current.version == 0 {
            diesel::insert_into(completion_rules::table)
                .values((
                    completion_rules::cohort_id.eq(self.cohort_id),
                    completion_rules::min_attendance_rate.eq(self.min_attendance_rate),
                    completion_rules::required_rounds.eq(&rounds),
                    completion_rules::min_assessment_mean.eq(self.min_assessment_mean),
                    completion_rules::min_post_test_score.eq(self.min_post_test_score),
                    completion_rules::updated_at.eq(self.updated_at),
                    completion_rules::version.eq(self.version),
                ))
                .execute(conn)
                .or_else(crate::db::nothing_if_taken)?
        } else {
            diesel::update(
                completion_rules::table
                    .find(self.cohort_id)
                    .filter(completion_rules::version.eq(current.version)),
            )
            .set((
                completion_rules::min_attendance_rate.eq(self.min_attendance_rate),
                completion_rules::required_rounds.eq(&rounds),
                completion_rules::min_assessment_mean.eq(self.min_assessment_mean),
                completion_rules::min_post_test_score.eq(self.min_post_test_score),
                completion_rules::updated_at.eq(self.updated_at),
                completion_rules::version.eq(self.version),
            ))
            .execute(conn)?
        };
        Ok((written == 1).then(|| self.clone()))
    }
}

impl CompletionRule {
    /// Set a cohort's rule as a whole (audited); 422 naming each required round that is not the
    /// cohort's.
    pub fn set(
        conn: &mut DbConnection,
        caller: &Caller,
        actor: &Actor,
        cohort: CohortId,
        expect: &impl Expect,
        new: SetCompletionRule,
    ) -> ApiResult<CompletionRule> {
        Cohort::find_visible(conn, caller, cohort)?;
        let mut errors = Vec::new();
        for (i, round) in new.required_rounds.iter().enumerate() {
            let ours: Option<RoundId> = evaluation_rounds::table
                .filter(evaluation_rounds::id.eq(round))
                .filter(evaluation_rounds::cohort_id.eq(cohort))
                .select(evaluation_rounds::id)
                .lookup(conn)?;
            if ours.is_none() {
                errors.push(crate::error::FieldError::new(
                    &format!("required_rounds/{i}"),
                    "not_in_cohort",
                    format!("round {round} is not a round of cohort {cohort}"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        resource::act(
            conn,
            actor,
            cohort,
            expect,
            Trail::Audited,
            |_, before: &CompletionRule| {
                Ok(CompletionRule {
                    min_attendance_rate: new.min_attendance_rate,
                    required_rounds: new.required_rounds.clone(),
                    min_assessment_mean: new.min_assessment_mean,
                    min_post_test_score: new.min_post_test_score,
                    ..before.clone()
                })
            },
        )
    }
}

/// Decide, for every enrolled trainee of a cohort, whether it completes; unless `dry_run`, apply
/// it, each move audited and each completion issuing its certificate, in one transaction.
pub fn run(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    cohort: CohortId,
    dry_run: bool,
) -> ApiResult<CompletionRun> {
    let rule = CompletionRule::find_visible(conn, caller, cohort)?;
    if !dry_run {
        check_under_way(&Cohort::find(conn, cohort)?)?;
    }
    let enrolled: Vec<(EnrollmentId, String)> = enrollments::table
        .inner_join(trainees::table)
        .filter(enrollments::cohort_id.eq(cohort))
        .filter(enrollments::status.eq(EnrollmentStatus::Enrolled))
        .order(enrollments::id)
        .select((enrollments::id, trainees::full_name))
        .load(conn)?;
    let ids: Vec<EnrollmentId> = enrolled.iter().map(|(id, _)| *id).collect();
    let attendance = crate::attendance::summaries(conn, &ids)?;
    let rounds: Vec<Round> = evaluation_rounds::table
        .filter(evaluation_rounds::cohort_id.eq(cohort))
        .load(conn)?;
    let answered = answered_rounds(conn, &rule.required_rounds, &rounds)?;
    let means = if rule.min_assessment_mean.is_some() {
        crate::rounds::results::assessment_means(conn, &rounds)?
    } else {
        BTreeMap::new()
    };
    let tests = if rule.min_post_test_score.is_some() {
        post_test_scores(conn, &rounds)?
    } else {
        Vec::new()
    };
    let mut outcomes = Vec::with_capacity(enrolled.len());
    // Per enrolment, the reasons a partner's liaison may not read: who did not answer an
    // anonymous round is known only to the training department (the invitations are staff's).
    let mut private: BTreeMap<EnrollmentId, Vec<String>> = BTreeMap::new();
    for (id, name) in enrolled {
        let mut reasons = Vec::new();
        if let Some(min) = rule.min_attendance_rate {
            match attendance.get(&id).and_then(|a| a.rate) {
                Some(rate) if rate >= min => {}
                Some(rate) => reasons.push(format!(
                    "attended {:.0} % of sessions; the rule asks {:.0} %",
                    rate * 100.0,
                    min * 100.0
                )),
                None => reasons.push("no attendance is recorded".to_owned()),
            }
        }
        for round in &rule.required_rounds {
            if !answered.contains(&(*round, id)) {
                let found = rounds.iter().find(|r| r.id == *round);
                let title = found.map_or(String::new(), |r| r.title.clone());
                let reason = format!("has not answered, or been assessed in, round {round} ({title})");
                if found.is_some_and(|r| r.anonymity == Anonymity::Anonymous) {
                    private.entry(id).or_default().push(reason.clone());
                }
                reasons.push(reason);
            }
        }
        if let Some(min) = rule.min_assessment_mean {
            match means.get(&id) {
                Some(mean) if *mean >= min => {}
                Some(mean) => reasons.push(format!("assessed at {mean:.2} on average; the rule asks {min:.2}")),
                None => reasons.push("has no assessment".to_owned()),
            }
        }
        if let Some(min) = rule.min_post_test_score {
            if tests.is_empty() {
                reasons.push(
                    "the cohort has no identified post-test round (a post round of a questionnaire with scored items) to read a score from"
                        .to_owned(),
                );
            }
            for (round, max, scores) in &tests {
                match scores.get(&id) {
                    Some(score) => {
                        let share = crate::ratio::share(*score, *max).unwrap_or(0.0);
                        if share < min {
                            // A trainee's own answers in a trainees' round are the training
                            // department's (a liaison reads no trainees' answers), so their score
                            // is one of the reasons a partner does not read.
                            let reason = format!(
                                "scored {score} of {max} ({:.0} %) in post-test round {} ({}); the rule asks {:.0} %",
                                share * 100.0,
                                round.id,
                                round.title,
                                min * 100.0
                            );
                            private.entry(id).or_default().push(reason.clone());
                            reasons.push(reason);
                        }
                    }
                    None => reasons.push(format!("has not taken post-test round {} ({})", round.id, round.title)),
                }
            }
        }
        let outcome = if reasons.is_empty() {
            EnrollmentStatus::Completed
        } else {
            EnrollmentStatus::DidNotComplete
        };
        outcomes.push(TraineeOutcome {
            enrollment_id: id,
            trainee_name: name,
            outcome,
            reasons,
            certificate_number: None,
        });
    }
    if !dry_run {
        for outcome in &mut outcomes {
            let hidden = private.get(&outcome.enrollment_id);
            let change = UpdateEnrollment {
                status: Some(outcome.outcome),
                notes: None,
                // Why the rules gave this outcome, kept on the enrolment as why it ended.
                reason: (!outcome.reasons.is_empty()).then(|| outcome.reasons.join("; ")),
                partner_reason: hidden.map(|hidden| partner_reason(&outcome.reasons, hidden)),
            };
            let after = crate::resource::change::<Enrollment>(conn, actor, outcome.enrollment_id, &AnyVersion, change)?;
            outcome.certificate_number = after.certificate_number;
        }
    }
    let completed = outcomes
        .iter()
        .filter(|o| o.outcome == EnrollmentStatus::Completed)
        .count();
    Ok(CompletionRun {
        cohort_id: cohort,
        dry_run,
        completed: i64::try_from(completed).unwrap_or(i64::MAX),
        did_not_complete: i64::try_from(outcomes.len() - completed).unwrap_or(i64::MAX),
        trainees: outcomes,
    })
}

/// The reasons a trainee did not complete as a partner's liaison reads them: without those it
/// may not know (`hidden`), and when nothing else is left, only that the rule was not met.
fn partner_reason(reasons: &[String], hidden: &[String]) -> String {
    let shared: Vec<&str> = reasons
        .iter()
        .filter(|r| !hidden.contains(r))
        .map(String::as_str)
        .collect();
    if shared.is_empty() {
        "did not meet the cohort's completion rule; the training department can say why".to_owned()
    } else {
        shared.join("; ")
    }
}

/// A cohort's trainees complete it once its training is under way or over: a run on a cohort
/// still planned or taking enrolments would end every seat before the course was given, and a
/// cancelled one was never given. A dry run is allowed at any time (it changes nothing).
fn check_under_way(cohort: &Cohort) -> ApiResult<()> {
    match cohort.status {
        CohortStatus::InProgress | CohortStatus::Completed => Ok(()),
        CohortStatus::Cancelled => Err(ApiError::conflict(
            "cohort_not_underway",
            format!(
                "cohort {} was cancelled, so none of its trainees can complete it",
                cohort.code
            ),
        )),
        status => Err(ApiError::conflict(
            "cohort_not_underway",
            format!(
                "cohort {} is still {status}: move it to in_progress (or completed) before running completion; \
                 a dry run (`?dry_run=true`) shows the outcomes meanwhile",
                cohort.code
            ),
        )),
    }
}

/// A post-test round, its most points, and each trainee's score in it.
type PostTest = (Round, i64, BTreeMap<EnrollmentId, i64>);

/// The cohort's identified post-test rounds trainees answer, each with its most points and each
/// trainee's score. An anonymous post-test is left out: its scores belong to nobody.
fn post_test_scores(conn: &mut DbConnection, rounds: &[Round]) -> ApiResult<Vec<PostTest>> {
    let mut tests = Vec::new();
    for round in rounds
        .iter()
        .filter(|r| r.respondent == Respondent::Trainee && r.wave == crate::rounds::Wave::Post)
    {
        if let Some((max, scores)) = crate::rounds::scores::by_trainee(conn, round)? {
            tests.push((round.clone(), max, scores));
        }
    }
    Ok(tests)
}

/// Which (round, enrolment) pairs of the required rounds are answered: by the trainee's
/// invitation in trainees' rounds (anonymous ones too: taking part is recorded, not the
/// answers), by a response about the trainee in the others.
fn answered_rounds(
    conn: &mut DbConnection,
    required: &[RoundId],
    rounds: &[Round],
) -> ApiResult<HashSet<(RoundId, EnrollmentId)>> {
    let mut answered = HashSet::new();
    for round in rounds.iter().filter(|r| required.contains(&r.id)) {
        let enrollments: Vec<EnrollmentId> = if round.respondent == Respondent::Trainee {
            invitations::table
                .filter(invitations::round_id.eq(round.id))
                .filter(invitations::status.eq(InvitationStatus::Submitted))
                .select(invitations::enrollment_id)
                .load(conn)?
        } else {
            responses::table
                .filter(responses::round_id.eq(round.id))
                .select(responses::enrollment_id)
                .load::<Option<EnrollmentId>>(conn)?
                .into_iter()
                .flatten()
                .collect()
        };
        answered.extend(enrollments.into_iter().map(|e| (round.id, e)));
    }
    Ok(answered)
}
