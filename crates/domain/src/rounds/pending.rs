//! The assessments still to make: for each round that partners (or officers) answer and that takes
//! answers now, each seated trainee of its cohort whom nobody has assessed in it yet. A partner's
//! liaison sees those of its partner's programmes' rounds that partners answer; an officer, every
//! round partners or officers answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Respondent, RoundStatus};
use crate::access::Caller;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, EnrollmentId, RoundId, TraineeId};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::schema::{cohorts, enrollments, evaluation_rounds, program_partners, responses, trainees};
use crate::statuses::SEATED;

/// A trainee still to be assessed in an open round.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Queryable)]
pub struct PendingAssessment {
    /// The round to record it in (`POST /api/v1/rounds/{id}/responses`).
    pub round_id: RoundId,
    /// The round's title.
    pub round_title: String,
    /// Who answers the round: `partner` or `officer`.
    pub respondent: Respondent,
    /// When the round stops taking answers (UTC), if it does.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<NaiveDateTime>,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The cohort's name.
    pub cohort_name: String,
    /// The trainee's enrolment, to send as `enrollment_id`.
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// The trainee (for the record of what a liaison read; the enrolment names them).
    #[serde(skip)]
    pub(crate) trainee_id: TraineeId,
}

/// Filters for the assessments still to make.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PendingFilters {
    /// Only this round's.
    pub round_id: Option<RoundId>,
    /// Only this cohort's rounds'.
    pub cohort_id: Option<CohortId>,
}

/// The assessments `caller` still has to make, by round then enrolment.
pub fn pending(
    conn: &mut DbConnection,
    caller: &Caller,
    filters: &PendingFilters,
    paging: Paging,
) -> ApiResult<Slice<PendingAssessment>> {
    let now = crate::clock::now();
    let partner = caller.liaison_partner();
    let filters = filters.clone();
    let query = || {
        let mut query = evaluation_rounds::table
            .inner_join(cohorts::table.on(cohorts::id.eq(evaluation_rounds::cohort_id)))
            .inner_join(enrollments::table.on(enrollments::cohort_id.eq(evaluation_rounds::cohort_id)))
            .inner_join(trainees::table.on(trainees::id.eq(enrollments::trainee_id)))
            .left_join(
                responses::table.on(responses::round_id
                    .eq(evaluation_rounds::id)
                    .and(responses::enrollment_id.eq(enrollments::id.nullable()))),
            )
            .filter(responses::id.nullable().is_null())
            .filter(evaluation_rounds::status.eq(RoundStatus::Open))
            .filter(
                evaluation_rounds::opens_at
                    .is_null()
                    .or(evaluation_rounds::opens_at.le(now)),
            )
            .filter(
                evaluation_rounds::closes_at
                    .is_null()
                    .or(evaluation_rounds::closes_at.gt(now)),
            )
            .filter(enrollments::status.eq_any(SEATED))
            .select((
                evaluation_rounds::id,
                evaluation_rounds::title,
                evaluation_rounds::respondent,
                evaluation_rounds::closes_at,
                evaluation_rounds::cohort_id,
                cohorts::name,
                enrollments::id,
                trainees::full_name,
                trainees::id,
            ))
            .into_boxed();
        query = match partner {
            Some(partner) => {
                let programs = program_partners::table
                    .filter(program_partners::partner_id.eq(partner))
                    .select(program_partners::program_id);
                query
                    .filter(evaluation_rounds::respondent.eq(Respondent::Partner))
                    .filter(cohorts::program_id.eq_any(programs))
            }
            None => query.filter(evaluation_rounds::respondent.eq_any([Respondent::Partner, Respondent::Officer])),
        };
        if let Some(round) = filters.round_id {
            query = query.filter(evaluation_rounds::id.eq(round));
        }
        if let Some(cohort) = filters.cohort_id {
            query = query.filter(evaluation_rounds::cohort_id.eq(cohort));
        }
        query
    };
    let keys = Keyset::by(list::ascending(
        "round_id",
        evaluation_rounds::id,
        |p: &PendingAssessment| p.round_id,
    ))
    .then(list::ascending(
        "enrollment_id",
        enrollments::id,
        |p: &PendingAssessment| p.enrollment_id,
    ));
    list::page(conn, query, &keys, &paging)?.try_with(|rows| {
        use crate::disclosures::{Disclosed, PersonalField as F};
        crate::disclosures::record(
            conn,
            caller,
            "assessments",
            rows.iter()
                .map(|p| Disclosed::of(p.trainee_id, &[(F::FullName, Some(p.trainee_name.as_str()))])),
        )?;
        Ok(rows)
    })
}
