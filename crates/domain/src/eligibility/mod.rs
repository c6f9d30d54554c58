//! Eligibility: what a cohort asks of its nominees (`/api/v1/cohorts/{id}/eligibility-criteria`),
//! and each nominee checked against it (`/api/v1/cohorts/{id}/eligibility`), the way the
//! completion dry run checks enrolled trainees: every criterion met, failed or `unknown` (the
//! trainee's data cannot decide it: no birth year, a score in another test), with a sentence each.
//! Nothing here changes an enrolment: an officer, or the partner that reviews the programme's
//! nominations, decides with it (`enrollments`).

mod check;

pub use check::{Check, Criterion, Eligibility, EligibilityReport, Nominee, Verdict, report};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::cohorts::Cohort;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::CohortId;
use crate::resource::{self, Expect, Record, Store, Trail};
use crate::schema::eligibility_criteria;

/// What a cohort asks of its nominees. A criterion left empty asks nothing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EligibilityCriteria {
    /// The cohort.
    pub cohort_id: CohortId,
    /// The fewest whole years in service on the cohort's start date, counted from the trainee's
    /// `service_start_year`.
    pub min_service_years: Option<i32>,
    /// The greatest age on the cohort's start date, from the trainee's `birth_year`.
    pub max_age: Option<i32>,
    /// The position levels the cohort takes, in the department's words, compared with the
    /// trainee's `position_level` ignoring case and diacritics; empty: any.
    pub position_levels: Vec<String>,
    /// The language a nominee must hold a certificate in (ISO 639-1).
    #[schema(example = "en")]
    pub language: Option<String>,
    /// The test whose score counts (with `min_language_score`); none: any certificate in the
    /// language will do.
    #[schema(example = "IELTS")]
    pub language_test: Option<String>,
    /// The lowest score in `language_test` that qualifies.
    #[schema(example = 6.5)]
    pub min_language_score: Option<f64>,
    /// The last day (UTC) a nomination counts: one made later fails this criterion.
    pub nomination_deadline: Option<NaiveDate>,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`. 0: never set.
    pub version: i32,
}

fn levels(levels: &[String]) -> Result<(), ValidationError> {
    for level in levels {
        crate::validate::name(level)?;
    }
    match crate::validate::first_repeat(&levels.iter().map(|l| crate::text::key(l)).collect::<Vec<_>>()) {
        Some(dup) => Err(ValidationError::new("duplicate").with_message(format!("names `{dup}` twice").into())),
        None => Ok(()),
    }
}

/// A cohort's criteria, as a whole.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEligibilityCriteria {
    /// The fewest whole years in service on the start date.
    #[validate(range(min = 0, max = 60))]
    #[schema(minimum = 0, maximum = 60, example = 3)]
    pub min_service_years: Option<i32>,
    /// The greatest age on the start date.
    #[validate(range(min = 15, max = 100))]
    #[schema(minimum = 15, maximum = 100, example = 45)]
    pub max_age: Option<i32>,
    /// The accepted position levels; empty or left out: any.
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "levels"))]
    #[schema(max_items = 50)]
    pub position_levels: Vec<String>,
    /// The language a nominee must hold a certificate in (ISO 639-1, lower case).
    #[validate(custom(function = "crate::trainees::languages::language_code"))]
    #[schema(pattern = "^[a-z]{2}$", example = "en")]
    pub language: Option<String>,
    /// The test whose score counts; needs `language`.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "IELTS")]
    pub language_test: Option<String>,
    /// The lowest score in `language_test`; needs `language_test`.
    #[validate(custom(function = "crate::trainees::languages::valid_score"))]
    #[schema(minimum = 0, maximum = 10000, example = 6.5)]
    pub min_language_score: Option<f64>,
    /// The last day (UTC) a nomination counts.
    pub nomination_deadline: Option<NaiveDate>,
}

#[derive(Queryable)]
struct CriteriaRow {
    cohort_id: CohortId,
    min_service_years: Option<i32>,
    max_age: Option<i32>,
    position_levels: String,
    language: Option<String>,
    language_test: Option<String>,
    min_language_score: Option<f64>,
    nomination_deadline: Option<NaiveDate>,
    updated_at: NaiveDateTime,
    version: i32,
}

impl EligibilityCriteria {
    /// Whether it asks anything at all.
    pub fn is_empty(&self) -> bool {
        self.min_service_years.is_none()
            && self.max_age.is_none()
            && self.position_levels.is_empty()
            && self.language.is_none()
            && self.nomination_deadline.is_none()
    }
}

impl Record for EligibilityCriteria {
    type Key = CohortId;
    const ENTITY: Entity = Entity::EligibilityCriteria;
    const NOUN: &'static str = "eligibility criteria";

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

    /// The criteria of a cohort: the stored ones, or at version 0 none. 404 when the cohort does
    /// not exist.
    fn find(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<Self> {
        let cohort = Cohort::find(conn, cohort)?;
        let row: Option<CriteriaRow> = eligibility_criteria::table.find(cohort.id).lookup(conn)?;
        Ok(match row {
            Some(row) => EligibilityCriteria {
                cohort_id: row.cohort_id,
                min_service_years: row.min_service_years,
                max_age: row.max_age,
                position_levels: serde_json::from_str(&row.position_levels).map_err(ApiError::internal)?,
                language: row.language,
                language_test: row.language_test,
                min_language_score: row.min_language_score,
                nomination_deadline: row.nomination_deadline,
                updated_at: row.updated_at,
                version: row.version,
            },
            None => EligibilityCriteria {
                cohort_id: cohort.id,
                min_service_years: None,
                max_age: None,
                position_levels: Vec::new(),
                language: None,
                language_test: None,
                min_language_score: None,
                nomination_deadline: None,
                updated_at: cohort.updated_at,
                version: 0,
            },
        })
    }

    /// A liaison reads the criteria of its partner's cohorts.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, cohort: CohortId) -> ApiResult<Self> {
        Cohort::find_visible(conn, caller, cohort)?;
        Self::find(conn, cohort)
    }
}

impl Store for EligibilityCriteria {
    /// A cohort's first criteria are inserted; later ones replace them.
    fn store(&self, conn: &mut DbConnection, current: &Self) -> ApiResult<Option<Self>> {
        let levels = serde_json::to_string(&self.position_levels).map_err(ApiError::internal)?;
        let values = (
            eligibility_criteria::min_service_years.eq(self.min_service_years),
            eligibility_criteria::max_age.eq(self.max_age),
            eligibility_criteria::position_levels.eq(&levels),
            eligibility_criteria::language.eq(&self.language),
            eligibility_criteria::language_test.eq(&self.language_test),
            eligibility_criteria::min_language_score.eq(self.min_language_score),
            eligibility_criteria::nomination_deadline.eq(self.nomination_deadline),
            eligibility_criteria::updated_at.eq(self.updated_at),
            eligibility_criteria::version.eq(self.version),
        );
        let written = if current.version == 0 {
            diesel::insert_into(eligibility_criteria::table)
                .values((eligibility_criteria::cohort_id.eq(self.cohort_id), values))
                .execute(conn)
                .or_else(crate::db::nothing_if_taken)?
        } else {
            diesel::update(
                eligibility_criteria::table
                    .find(self.cohort_id)
                    .filter(eligibility_criteria::version.eq(current.version)),
            )
            .set(values)
            .execute(conn)?
        };
        Ok((written == 1).then(|| self.clone()))
    }
}

impl EligibilityCriteria {
    /// Set a cohort's criteria as a whole (audited). 422 for a test without its language, or a
    /// score without its test.
    pub fn set(
        conn: &mut DbConnection,
        caller: &Caller,
        actor: &Actor,
        cohort: CohortId,
        expect: &impl Expect,
        new: SetEligibilityCriteria,
    ) -> ApiResult<Self> {
        Cohort::find_visible(conn, caller, cohort)?;
        let mut errors = Vec::new();
        if new.language_test.is_some() && new.language.is_none() {
            errors.push(FieldError::new(
                "language_test",
                "needs_language",
                "name the `language` the test is of",
            ));
        }
        if new.min_language_score.is_some() && new.language_test.is_none() {
            errors.push(FieldError::new(
                "min_language_score",
                "needs_test",
                "name the `language_test` the score is in: scores of different tests do not compare",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        resource::act(conn, actor, cohort, expect, Trail::Audited, |_, before: &Self| {
            Ok(EligibilityCriteria {
                min_service_years: new.min_service_years,
                max_age: new.max_age,
                position_levels: new.position_levels.clone(),
                language: new.language.clone(),
                language_test: new.language_test.clone(),
                min_language_score: new.min_language_score,
                nomination_deadline: new.nomination_deadline,
                ..before.clone()
            })
        })
    }
}
