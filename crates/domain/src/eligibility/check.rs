//! Each nominee of a cohort against its criteria. The figures a criterion needs are known only
//! to the year (a birth year, the year service began), so a criterion that the day of the year
//! would decide is `unknown`, never a failure: someone born in 1981 is 44 or 45 on a cohort's
//! start date in 2026, which meets an age limit of 45, fails one of 43 and leaves one of 44 open.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::EligibilityCriteria;
use crate::access::Caller;
use crate::cohorts::{Cohort, Nominations};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, TraineeId, text_enum};
use crate::resource::Record;
use crate::schema::{enrollments, trainees};
use crate::statuses::{DECIDING, EnrollmentStatus};
use crate::trainees::languages::LanguageCertificate;

text_enum!(
    /// A criterion of a cohort's eligibility.
    Criterion {
        /// The fewest years in service.
        ServiceYears,
        /// The greatest age on the start date.
        Age,
        /// An accepted position level.
        PositionLevel,
        /// A certificate in the required language (and score).
        Language,
        /// Nominated by the deadline.
        NominationDeadline,
    }
);

text_enum!(
    /// What one criterion says of a nominee.
    Verdict {
        /// Met.
        Met,
        /// Not met.
        Failed,
        /// The trainee's data cannot decide it (missing, or known only to the year).
        Unknown,
    }
);

text_enum!(
    /// What the criteria say of a nominee, together.
    Eligibility {
        /// Every criterion met.
        Eligible,
        /// At least one criterion failed.
        NotEligible,
        /// None failed, but at least one cannot be decided from the trainee's data.
        Unknown,
    }
);

/// One criterion, checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    /// The criterion.
    pub criterion: Criterion,
    /// Met, failed or unknown.
    pub verdict: Verdict,
    /// What was found, as a sentence.
    pub reason: String,
}

/// A nominee, with what a decision on the nomination needs and no more.
#[derive(Debug, Serialize, ToSchema)]
pub struct Nominee {
    /// The enrolment (send it to accept or decline).
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// Their organisation when nominated.
    pub organisation: Option<String>,
    /// Their position when nominated.
    pub position: Option<String>,
    /// Their position level.
    pub position_level: Option<String>,
    /// `nominated` (undecided), `accepted` or `declined`.
    pub status: EnrollmentStatus,
    /// What the criteria say, together.
    pub eligibility: Eligibility,
    /// Each criterion failed or unknown, as a sentence (empty when eligible).
    pub reasons: Vec<String>,
    /// Every criterion the cohort states, checked.
    pub checks: Vec<Check>,
}

/// The nominees of a cohort against its criteria.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityReport {
    /// The cohort.
    pub cohort_id: CohortId,
    /// The criteria checked.
    pub criteria: EligibilityCriteria,
    /// Nominees meeting every criterion.
    pub eligible: i64,
    /// Nominees failing at least one.
    pub not_eligible: i64,
    /// Nominees failing none, with at least one undecided.
    pub unknown: i64,
    /// The nominations by the decision on them.
    pub nominations: Nominations,
    /// Every nominee (nominated, accepted or declined), by enrolment.
    pub nominees: Vec<Nominee>,
}

/// What a nominee's checks read of the trainee.
#[derive(Queryable)]
struct NomineeRow {
    enrollment_id: EnrollmentId,
    trainee_id: TraineeId,
    status: EnrollmentStatus,
    nominated_at: NaiveDateTime,
    organisation: Option<String>,
    position: Option<String>,
    trainee_name: String,
    birth_year: Option<i32>,
    service_start_year: Option<i32>,
    position_level: Option<String>,
}

/// The nominees of `cohort` checked against its criteria. A liaison reads them only for a
/// programme whose nominations its partner reviews (404 otherwise, as for a cohort it may not
/// see).
pub fn report(conn: &mut DbConnection, caller: &Caller, cohort: CohortId) -> ApiResult<EligibilityReport> {
    let seen = Cohort::find_visible(conn, caller, cohort)?;
    if let Some(partner) = caller.liaison_partner()
        && !crate::programs::partners::reviews_nominations(conn, partner, seen.program_id)?
    {
        return Err(ApiError::not_found("cohort", cohort));
    }
    // Read again as staff: the counts by decision are what the liaison came for.
    let cohort = Cohort::find(conn, cohort)?;
    let criteria = EligibilityCriteria::find(conn, cohort.id)?;
    let rows: Vec<NomineeRow> = enrollments::table
        .inner_join(trainees::table)
        .filter(enrollments::cohort_id.eq(cohort.id))
        .filter(enrollments::status.eq_any(DECIDING))
        .order(enrollments::id)
        .select((
            enrollments::id,
            enrollments::trainee_id,
            enrollments::status,
            enrollments::created_at,
            enrollments::organisation,
            enrollments::position,
            trainees::full_name,
            trainees::birth_year,
            trainees::service_start_year,
            trainees::position_level,
        ))
        .load(conn)?;
    let mut certificates: HashMap<TraineeId, Vec<LanguageCertificate>> = HashMap::new();
    if let Some(language) = &criteria.language {
        let ids: Vec<TraineeId> = rows.iter().map(|r| r.trainee_id).collect();
        for certificate in LanguageCertificate::of_trainees(conn, &ids, language)? {
            certificates
                .entry(certificate.trainee_id)
                .or_default()
                .push(certificate);
        }
    }
    let start = cohort.start_date.map(|d| d.first_day);
    let (mut eligible, mut not_eligible, mut unknown) = (0, 0, 0);
    let mut disclosed = Vec::with_capacity(rows.len());
    let nominees = rows
        .into_iter()
        .map(|row| {
            let held = certificates.remove(&row.trainee_id).unwrap_or_default();
            let checks = checks(&criteria, start, &row, &held);
            let eligibility = if checks.iter().any(|c| c.verdict == Verdict::Failed) {
                not_eligible += 1;
                Eligibility::NotEligible
            } else if checks.iter().any(|c| c.verdict == Verdict::Unknown) {
                unknown += 1;
                Eligibility::Unknown
            } else {
                eligible += 1;
                Eligibility::Eligible
            };
            disclosed.push(nominee_disclosed(&row, &checks));
            Nominee {
                enrollment_id: row.enrollment_id,
                trainee_name: row.trainee_name,
                organisation: row.organisation,
                position: row.position,
                position_level: row.position_level,
                status: row.status,
                eligibility,
                reasons: checks
                    .iter()
                    .filter(|c| c.verdict != Verdict::Met)
                    .map(|c| c.reason.clone())
                    .collect(),
                checks,
            }
        })
        .collect();
    crate::disclosures::record(conn, caller, "nominees", disclosed)?;
    Ok(EligibilityReport {
        cohort_id: cohort.id,
        criteria,
        eligible,
        not_eligible,
        unknown,
        nominations: cohort.nominations.unwrap_or_default(),
        nominees,
    })
}

/// What a nominee's line gives of them: the name, organisation and position, and how they stand
/// against the criteria (which tell their age, years of service, position level or language
/// certificates) when the cohort states any.
fn nominee_disclosed(row: &NomineeRow, checks: &[Check]) -> crate::disclosures::Disclosed {
    use crate::disclosures::{Disclosed, PersonalField as F};
    Disclosed::of(
        row.trainee_id,
        &[
            (F::FullName, Some(row.trainee_name.as_str())),
            (F::Organisation, row.organisation.as_deref()),
            (F::Position, row.position.as_deref()),
            (F::Position, row.position_level.as_deref()),
            (F::Eligibility, (!checks.is_empty()).then_some("checked")),
        ],
    )
}

fn check(criterion: Criterion, verdict: Verdict, reason: String) -> Check {
    Check {
        criterion,
        verdict,
        reason,
    }
}

/// Every criterion `criteria` states, for one nominee, in the order of [`Criterion`].
fn checks(
    criteria: &EligibilityCriteria,
    start: Option<NaiveDate>,
    row: &NomineeRow,
    certificates: &[LanguageCertificate],
) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(min) = criteria.min_service_years {
        checks.push(service_years(min, start, row.service_start_year));
    }
    if let Some(max) = criteria.max_age {
        checks.push(age(max, start, row.birth_year));
    }
    if !criteria.position_levels.is_empty() {
        checks.push(position_level(&criteria.position_levels, row.position_level.as_deref()));
    }
    if let Some(language) = &criteria.language {
        checks.push(language_check(criteria, language, certificates));
    }
    if let Some(deadline) = criteria.nomination_deadline {
        let day = row.nominated_at.date();
        checks.push(if day <= deadline {
            check(
                Criterion::NominationDeadline,
                Verdict::Met,
                format!("nominated on {day}, by the deadline {deadline}"),
            )
        } else {
            check(
                Criterion::NominationDeadline,
                Verdict::Failed,
                format!("nominated on {day}, after the deadline {deadline}"),
            )
        });
    }
    checks
}

/// Whole years from `since` to a day of `year`: `year - since` once the anniversary has passed,
/// one fewer before it; which, a year alone cannot say.
fn years_between(since: i32, year: i32) -> (i32, i32) {
    ((year - since - 1).max(0), (year - since).max(0))
}

fn service_years(min: i32, start: Option<NaiveDate>, since: Option<i32>) -> Check {
    let c = Criterion::ServiceYears;
    let Some(start) = start else {
        return check(
            c,
            Verdict::Unknown,
            "the cohort has no start date to count years in service to".into(),
        );
    };
    let Some(since) = since else {
        return check(
            c,
            Verdict::Unknown,
            format!("the year service began is not recorded; the cohort asks {min} years in service"),
        );
    };
    let (least, most) = years_between(since, start.year());
    if least >= min {
        check(
            c,
            Verdict::Met,
            format!("at least {least} years in service (since {since}); the cohort asks {min}"),
        )
    } else if most < min {
        check(
            c,
            Verdict::Failed,
            format!("at most {most} years in service (since {since}); the cohort asks {min}"),
        )
    } else {
        check(
            c,
            Verdict::Unknown,
            format!("{least} or {most} years in service (since {since}, the day not recorded); the cohort asks {min}"),
        )
    }
}

fn age(max: i32, start: Option<NaiveDate>, born: Option<i32>) -> Check {
    let c = Criterion::Age;
    let Some(start) = start else {
        return check(
            c,
            Verdict::Unknown,
            "the cohort has no start date to count age on".into(),
        );
    };
    let Some(born) = born else {
        return check(
            c,
            Verdict::Unknown,
            format!("the birth year is not recorded; the cohort takes trainees up to {max}"),
        );
    };
    let (least, most) = years_between(born, start.year());
    if most <= max {
        check(
            c,
            Verdict::Met,
            format!("at most {most} on the start date (born {born}); the cohort takes up to {max}"),
        )
    } else if least > max {
        check(
            c,
            Verdict::Failed,
            format!("at least {least} on the start date (born {born}); the cohort takes up to {max}"),
        )
    } else {
        check(
            c,
            Verdict::Unknown,
            format!(
                "{least} or {most} on the start date (born {born}, the day not recorded); the cohort takes up to {max}"
            ),
        )
    }
}

fn position_level(accepted: &[String], level: Option<&str>) -> Check {
    let c = Criterion::PositionLevel;
    let list = accepted.join(", ");
    let Some(level) = level else {
        return check(
            c,
            Verdict::Unknown,
            format!("the position level is not recorded; the cohort takes {list}"),
        );
    };
    let key = crate::text::key(level);
    if accepted.iter().any(|a| crate::text::key(a) == key) {
        check(
            c,
            Verdict::Met,
            format!("position level {level} is one the cohort takes"),
        )
    } else {
        check(
            c,
            Verdict::Failed,
            format!("position level {level} is not one the cohort takes ({list})"),
        )
    }
}

fn language_check(criteria: &EligibilityCriteria, language: &str, certificates: &[LanguageCertificate]) -> Check {
    let c = Criterion::Language;
    let Some(test) = &criteria.language_test else {
        return match certificates.first() {
            Some(held) => check(
                c,
                Verdict::Met,
                format!("holds a {language} certificate ({} {})", held.test, held.score),
            ),
            None => check(c, Verdict::Unknown, format!("no {language} certificate is recorded")),
        };
    };
    let asked = match criteria.min_language_score {
        Some(min) => format!("{test} {min}"),
        None => test.clone(),
    };
    let in_test: Vec<&LanguageCertificate> = certificates.iter().filter(|h| &h.test == test).collect();
    let best = in_test.iter().copied().max_by(|a, b| a.score.total_cmp(&b.score));
    match (best, criteria.min_language_score) {
        (Some(best), Some(min)) if best.score < min => check(
            c,
            Verdict::Failed,
            format!(
                "best {test} score {} ({}); the cohort asks {asked}",
                best.score, best.taken_on
            ),
        ),
        (Some(best), _) => check(
            c,
            Verdict::Met,
            format!("{test} {} ({}); the cohort asks {asked}", best.score, best.taken_on),
        ),
        (None, _) if certificates.is_empty() => check(
            c,
            Verdict::Unknown,
            format!("no {language} certificate is recorded; the cohort asks {asked}"),
        ),
        (None, _) => {
            let others: Vec<String> = certificates.iter().map(|h| format!("{} {}", h.test, h.score)).collect();
            check(
                c,
                Verdict::Unknown,
                format!(
                    "holds {} but no {test} score; the cohort asks {asked}",
                    others.join(", ")
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 3, 1)
    }

    #[test]
    fn an_age_known_to_the_year_meets_fails_or_leaves_a_limit_open() {
        // Born in 1981: 44 or 45 on 1 March 2026.
        assert_eq!(age(45, start(), Some(1981)).verdict, Verdict::Met);
        assert_eq!(age(44, start(), Some(1981)).verdict, Verdict::Unknown);
        assert_eq!(age(43, start(), Some(1981)).verdict, Verdict::Failed);
        assert_eq!(age(45, start(), None).verdict, Verdict::Unknown);
        assert_eq!(age(45, None, Some(1981)).verdict, Verdict::Unknown);
    }

    #[test]
    fn years_in_service_count_whole_years_to_the_start_date() {
        // Since 2021: 4 or 5 years on 1 March 2026.
        assert_eq!(service_years(5, start(), Some(2020)).verdict, Verdict::Met);
        assert_eq!(service_years(5, start(), Some(2021)).verdict, Verdict::Unknown);
        assert_eq!(service_years(5, start(), Some(2022)).verdict, Verdict::Failed);
    }

    #[test]
    fn position_levels_compare_without_case_or_diacritics() {
        let accepted = ["Chuyên viên chính".to_owned()];
        assert_eq!(
            position_level(&accepted, Some("CHUYEN VIEN CHINH")).verdict,
            Verdict::Met
        );
        assert_eq!(position_level(&accepted, Some("Chuyên viên")).verdict, Verdict::Failed);
        assert_eq!(position_level(&accepted, None).verdict, Verdict::Unknown);
    }
}
