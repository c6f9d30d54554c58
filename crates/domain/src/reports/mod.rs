//! Reports for people who work in spreadsheets: each answers one question in one request, in
//! JSON, CSV or an Excel workbook, says when its data was read and echoes its filters.
//!
//! - [`overview`]: per programme (or partner, year, country), planned against actual: cohorts,
//!   seats, completion, attendance, evaluation and follow-up figures.
//! - [`origins`]: enrolments and trainees counted by where they came from (province,
//!   organisation as it was when they enrolled, gender, birth decade, ...).
//! - [`attendance`]: a cohort's trainees × sessions, with the rate of each.
//! - [`record`]: everything a trainee did, cohort by cohort.
//! - [`transfers`]: what partners' liaisons (abroad) were given of trainees' personal data, per
//!   partner and country, for the transfer dossier.
//!
//! What a liaison sees is limited here as in the lists: its partner's programmes only, and of
//! their enrolments only the seated ones, so no total carries another partner's figures.

pub mod attendance;
pub mod origins;
pub mod overview;
pub mod record;
pub mod transfers;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::cohorts::CohortStatus;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, ProgramId};
use crate::schema::{cohorts, program_partners, programs};
use crate::tabular::Format;

/// Which programmes and cohorts a report covers: filters shared by the reports over many cohorts.
///
/// The years' bounds are [`crate::dates::YEARS`]; the OpenAPI attributes take only literals, so
/// they repeat them (a unit test below holds them together).
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct Scope {
    /// Only this programme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<ProgramId>,
    /// Only programmes this partner takes part in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<PartnerId>,
    /// Only this cohort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort_id: Option<CohortId>,
    /// Only cohorts starting in this year or later (a year dates may have: 1900 to 2199).
    #[validate(range(min = crate::dates::FIRST_YEAR, max = crate::dates::LAST_YEAR))]
    #[param(minimum = 1900, maximum = 2199)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_from: Option<i32>,
    /// Only cohorts starting in this year or earlier (1900 to 2199).
    #[validate(range(min = crate::dates::FIRST_YEAR, max = crate::dates::LAST_YEAR))]
    #[param(minimum = 1900, maximum = 2199)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_to: Option<i32>,
}

impl Scope {
    /// 400 `invalid_query` when the year range is empty.
    pub fn check(&self) -> ApiResult<()> {
        match (self.year_from, self.year_to) {
            (Some(from), Some(to)) if from > to => Err(ApiError::bad_request(
                "invalid_query",
                format!("year_from ({from}) is after year_to ({to}); swap them"),
            )),
            _ => Ok(()),
        }
    }

    /// The programmes in scope that `caller` may see, by code.
    pub fn programs(&self, conn: &mut DbConnection, caller: &Caller) -> ApiResult<Vec<ProgramInScope>> {
        let mut query = programs::table
            .select((
                programs::id,
                programs::code,
                programs::title,
                programs::planned_trainees,
                programs::planned_cohorts,
            ))
            .order_by(programs::code.asc())
            .into_boxed();
        if let Some(id) = self.program_id {
            query = query.filter(programs::id.eq(id));
        }
        for partner in [self.partner_id, caller.liaison_partner()].into_iter().flatten() {
            query = query.filter(
                programs::id.eq_any(
                    program_partners::table
                        .filter(program_partners::partner_id.eq(partner))
                        .select(program_partners::program_id),
                ),
            );
        }
        if let Some(cohort) = self.cohort_id {
            query = query.filter(
                programs::id.eq_any(
                    cohorts::table
                        .filter(cohorts::id.eq(cohort))
                        .select(cohorts::program_id),
                ),
            );
        }
        Ok(query.load(conn)?)
    }

    /// The cohorts in scope of `programs` (from [`Scope::programs`]), by start date.
    pub fn cohorts(&self, conn: &mut DbConnection, programs: &[ProgramInScope]) -> ApiResult<Vec<CohortInScope>> {
        let ids: Vec<ProgramId> = programs.iter().map(|p| p.id).collect();
        let mut query = cohorts::table
            .filter(cohorts::program_id.eq_any(ids))
            .select((
                cohorts::id,
                cohorts::program_id,
                cohorts::code,
                cohorts::name,
                cohorts::status,
                cohorts::start_date,
                cohorts::end_date,
            ))
            .order_by((cohorts::start_date.asc(), cohorts::id.asc()))
            .into_boxed();
        if let Some(id) = self.cohort_id {
            query = query.filter(cohorts::id.eq(id));
        }
        let found: Vec<CohortInScope> = query.load(conn)?;
        Ok(found
            .into_iter()
            .filter(|cohort| self.covers_year(cohort.year()))
            .collect())
    }

    fn covers_year(&self, year: Option<i32>) -> bool {
        if self.year_from.is_none() && self.year_to.is_none() {
            return true;
        }
        year.is_some_and(|year| {
            self.year_from.is_none_or(|from| year >= from) && self.year_to.is_none_or(|to| year <= to)
        })
    }
}

/// A programme a report covers.
#[derive(Debug, Clone, Queryable)]
pub struct ProgramInScope {
    /// Id.
    pub id: ProgramId,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Trainees planned.
    pub planned_trainees: Option<i32>,
    /// Cohorts planned.
    pub planned_cohorts: Option<i32>,
}

/// A cohort a report covers.
#[derive(Debug, Clone, Queryable)]
pub struct CohortInScope {
    /// Id.
    pub id: CohortId,
    /// Its programme.
    pub program_id: ProgramId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: CohortStatus,
    /// First day.
    pub start_date: Option<NaiveDate>,
    /// Last day.
    pub end_date: Option<NaiveDate>,
}

impl CohortInScope {
    /// The year it started, when known.
    pub fn year(&self) -> Option<i32> {
        self.start_date.map(|d| d.year())
    }
}

/// The representations every report offers.
pub const OFFERED: [Format; 3] = [Format::Json, Format::Csv, Format::Xlsx];

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

    #[test]
    fn the_documented_years_are_those_dates_may_have() {
        let mut checked = 0;
        for parameter in super::Scope::into_params(|| None) {
            let value = serde_json::to_value(&parameter).unwrap_or_default();
            if value["name"].as_str().is_some_and(|n| n.starts_with("year_")) {
                let bound = |name: &str| value["schema"][name].as_f64();
                assert_eq!(bound("minimum"), Some(f64::from(crate::dates::FIRST_YEAR)), "{value}");
                assert_eq!(bound("maximum"), Some(f64::from(crate::dates::LAST_YEAR)), "{value}");
                checked += 1;
            }
        }
        assert_eq!(checked, 2, "year_from and year_to");
    }
}
