//! Certificates: a completed enrolment's number (as the enrolment shows it) and a verification
//! code printed beside it. Anyone holding both can ask, without signing in, whether the
//! certificate is genuine and still valid; officers can revoke one, with a reason, and reissue a
//! revoked one (after the holder's name was corrected, say): the same number with a new code, so
//! the copy printed before no longer verifies. A cohort's certificates are one list, to print.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::cohorts::Cohort;
use crate::dates::{DatePrecision, PartialDate};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, text_enum};
use crate::mail::{self, compose, compose::Addressee, compose::Course};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{self, Expect, Record, Store, Trail};
use crate::schema::{certificates, cohorts, enrollments, programs, trainees};

/// A certificate as officers see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Queryable)]
pub struct Certificate {
    /// The completed enrolment.
    pub enrollment_id: EnrollmentId,
    /// The certificate number.
    #[schema(example = "JICA-YL/C3/00042")]
    pub number: String,
    /// The verification code printed beside the number.
    #[schema(example = "7KQ2-M9XD-4TPA")]
    pub code: String,
    /// When it was issued (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
    /// When it was revoked (UTC), if it was.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// Increases with every change.
    pub version: i32,
}

/// What verification asks.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The certificate number, as printed.
    #[param(min_length = 1, max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(min = 1, max = 100))]
    pub number: String,
    /// The verification code, as printed (dashes and case do not matter).
    #[param(min_length = 1, max_length = 40, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(min = 1, max = 40))]
    pub code: String,
}

/// What verification answers: only what the certificate itself shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// `valid`, `revoked`, or `unknown` (no certificate has this number and code).
    #[schema(example = "valid")]
    pub status: String,
    /// The holder's full name; none once the holder's personal data was erased.
    pub trainee_name: Option<String>,
    /// Whether the holder's personal data was erased on request: the certificate may still be
    /// valid, but the name it bore is no longer held.
    pub holder_erased: bool,
    /// The programme's title.
    pub program_title: Option<String>,
    /// The cohort's name.
    pub cohort_name: Option<String>,
    /// The day it was issued.
    pub issued_on: Option<NaiveDate>,
    /// The day it was revoked.
    pub revoked_on: Option<NaiveDate>,
}

/// Why a certificate is revoked.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// Why, for the record and for whoever verifies it.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "Issued in error: the trainee did not attend the final week."
    )]
    pub reason: String,
}

/// Twelve characters from an alphabet without look-alikes, in three groups: 60 bits.
fn verification_code() -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 12];
    #[expect(clippy::expect_used, reason = "no safe way to continue without randomness")]
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn normalised(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Record for Certificate {
    type Key = EnrollmentId;
    const ENTITY: Entity = Entity::Certificate;
    const NOUN: &'static str = "certificate";

    fn key(&self) -> EnrollmentId {
        self.enrollment_id
    }
    fn audit_id(&self) -> i64 {
        self.enrollment_id.0
    }
    fn version(&self) -> i32 {
        self.version
    }
    /// A certificate keeps no time of its last change: its revocation has its own.
    fn stamp(&mut self, version: i32, _: Option<NaiveDateTime>) {
        self.version = version;
    }

    /// The certificate of an enrolment, or 404.
    fn find(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<Certificate> {
        certificates::table
            .find(enrollment)
            .lookup(conn)?
            .ok_or_else(|| ApiError::NotFound(format!("enrolment {enrollment} has no certificate")))
    }
}

impl Store for Certificate {
    fn store(&self, conn: &mut DbConnection, current: &Certificate) -> ApiResult<Option<Certificate>> {
        let updated = diesel::update(
            certificates::table
                .find(self.enrollment_id)
                .filter(certificates::version.eq(current.version)),
        )
        .set((
            certificates::code.eq(&self.code),
            certificates::issued_at.eq(self.issued_at),
            certificates::revoked_at.eq(self.revoked_at),
            certificates::revoked_reason.eq(&self.revoked_reason),
            certificates::version.eq(self.version),
        ))
        .execute(conn)?;
        Ok((updated == 1).then(|| self.clone()))
    }
}

impl Certificate {
    /// Issue certificate `number` to an enrolment that has just completed (audited), unless it has
    /// one.
    pub fn issue(conn: &mut DbConnection, actor: &Actor, enrollment: EnrollmentId, number: &str) -> ApiResult<()> {
        let exists: bool =
            diesel::select(diesel::dsl::exists(certificates::table.find(enrollment))).get_result(conn)?;
        if exists {
            return Ok(());
        }
        diesel::insert_into(certificates::table)
            .values((
                certificates::enrollment_id.eq(enrollment),
                certificates::number.eq(number),
                certificates::code.eq(verification_code()),
                certificates::issued_at.eq(crate::clock::now()),
                certificates::version.eq(1),
            ))
            .execute(conn)?;
        let issued = Certificate::find(conn, enrollment)?;
        audit::record(conn, actor, Event::created(Entity::Certificate, enrollment.0, &issued))?;
        let key = crate::links::LinkKey::load(conn)?;
        let to = Addressee::of_enrollment(conn, enrollment)?;
        let cohort: CohortId = enrollments::table
            .find(enrollment)
            .select(enrollments::cohort_id)
            .get_result(conn)?;
        let course = Course::of(conn, cohort)?;
        let verify = key.verify_url(&issued.number, &issued.code);
        let mail = compose::certificate(&course, &to, &issued.number, &issued.code, &verify);
        mail::enqueue(conn, vec![mail], &key.mail_domain())?;
        Ok(())
    }

    /// Revoke a certificate, with the reason (audited); 409 when it already is.
    pub fn revoke(
        conn: &mut DbConnection,
        actor: &Actor,
        enrollment: EnrollmentId,
        expect: &impl Expect,
        reason: String,
    ) -> ApiResult<Certificate> {
        resource::act(
            conn,
            actor,
            enrollment,
            expect,
            Trail::Audited,
            |_, before: &Certificate| {
                if before.revoked_at.is_some() {
                    return Err(ApiError::conflict(
                        "already_revoked",
                        format!("certificate {} is already revoked", before.number),
                    ));
                }
                Ok(Certificate {
                    revoked_at: Some(crate::clock::now()),
                    revoked_reason: Some(reason.clone()),
                    ..before.clone()
                })
            },
        )
    }

    /// Reissue a revoked certificate (audited): it stands again, under the same number, with a new
    /// verification code and issued now, so the copy printed before (with the name or detail that
    /// was corrected) no longer verifies. 409 `not_revoked` for one that stands: revoke it first,
    /// saying why, so the trail holds the reason for the new copy.
    pub fn reissue(
        conn: &mut DbConnection,
        actor: &Actor,
        enrollment: EnrollmentId,
        expect: &impl Expect,
    ) -> ApiResult<Certificate> {
        resource::act(
            conn,
            actor,
            enrollment,
            expect,
            Trail::Because("reissued after its revocation"),
            |_, before: &Certificate| {
                if before.revoked_at.is_none() {
                    return Err(ApiError::conflict(
                        "not_revoked",
                        format!(
                            "certificate {} stands; revoke it first, with the reason (a corrected name, say), \
                             then reissue it",
                            before.number
                        ),
                    ));
                }
                Ok(Certificate {
                    code: verification_code(),
                    issued_at: crate::clock::now(),
                    revoked_at: None,
                    revoked_reason: None,
                    ..before.clone()
                })
            },
        )
    }

    /// Whether a number and code belong to a certificate, and what it says.
    pub fn verify(conn: &mut DbConnection, query: &VerifyQuery) -> ApiResult<Verification> {
        type Found = (
            String,
            NaiveDateTime,
            Option<NaiveDateTime>,
            (String, Option<NaiveDateTime>),
            String,
            String,
        );
        let found: Option<Found> = certificates::table
            .inner_join(
                enrollments::table
                    .inner_join(trainees::table)
                    .inner_join(cohorts::table.inner_join(programs::table)),
            )
            .filter(certificates::number.eq(query.number.trim()))
            .select((
                certificates::code,
                certificates::issued_at,
                certificates::revoked_at,
                (trainees::full_name, trainees::erased_at),
                programs::title,
                cohorts::name,
            ))
            .lookup(conn)?;
        let unknown = Verification {
            status: "unknown".to_owned(),
            trainee_name: None,
            holder_erased: false,
            program_title: None,
            cohort_name: None,
            issued_on: None,
            revoked_on: None,
        };
        let Some((code, issued_at, revoked_at, (trainee, erased_at), program, cohort)) = found else {
            return Ok(unknown);
        };
        if normalised(&code) != normalised(&query.code) {
            return Ok(unknown);
        }
        Ok(Verification {
            status: if revoked_at.is_some() { "revoked" } else { "valid" }.to_owned(),
            // An erased holder's certificate still verifies, without the name it bore.
            trainee_name: erased_at.is_none().then_some(trainee),
            holder_erased: erased_at.is_some(),
            program_title: Some(program),
            cohort_name: Some(cohort),
            issued_on: Some(issued_at.date()),
            revoked_on: revoked_at.map(|at| at.date()),
        })
    }
}

/// Everything a printed certificate shows, read in one query: the holder, the programme (both
/// titles, for either language), the cohort and its dates, and the certificate's own number,
/// code and dates.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateContent {
    /// The completed enrolment.
    pub enrollment_id: EnrollmentId,
    /// The holder's full name, as the trainee's record has it now (as verification shows it).
    pub trainee_name: String,
    /// The programme's title (English, or as the programme is known).
    pub program_title: String,
    /// The programme's Vietnamese title, where it has one.
    pub program_title_vi: Option<String>,
    /// The cohort's name.
    pub cohort_name: String,
    /// The cohort's first day, or only its month or year.
    pub cohort_start: Option<PartialDate>,
    /// The cohort's last day, or only its month or year.
    pub cohort_end: Option<PartialDate>,
    /// The certificate number.
    pub number: String,
    /// The verification code printed beside the number.
    pub code: String,
    /// When it was issued (UTC).
    pub issued_at: NaiveDateTime,
    /// When it was revoked (UTC), if it was.
    pub revoked_at: Option<NaiveDateTime>,
}

/// One row of [`CertificateContent`]'s query, before the dates meet their precisions.
type ContentRow = (
    (String, String, NaiveDateTime, Option<NaiveDateTime>),
    String,
    (String, Option<String>),
    (
        String,
        Option<NaiveDate>,
        Option<DatePrecision>,
        Option<NaiveDate>,
        Option<DatePrecision>,
    ),
);

impl CertificateContent {
    /// What the certificate of an enrolment shows, revoked or not; 404 when it has none.
    pub fn of(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<CertificateContent> {
        let row: Option<ContentRow> = certificates::table
            .inner_join(
                enrollments::table
                    .inner_join(trainees::table)
                    .inner_join(cohorts::table.inner_join(programs::table)),
            )
            .filter(certificates::enrollment_id.eq(enrollment))
            .select((
                (
                    certificates::number,
                    certificates::code,
                    certificates::issued_at,
                    certificates::revoked_at,
                ),
                trainees::full_name,
                (programs::title, programs::title_vi),
                (
                    cohorts::name,
                    cohorts::start_date,
                    cohorts::start_precision,
                    cohorts::end_date,
                    cohorts::end_precision,
                ),
            ))
            .lookup(conn)?;
        let ((number, code, issued_at, revoked_at), trainee_name, (program_title, program_title_vi), cohort) =
            row.ok_or_else(|| ApiError::NotFound(format!("enrolment {enrollment} has no certificate")))?;
        let (cohort_name, start, start_precision, end, end_precision) = cohort;
        // A date stored without its precision predates the column: it was a whole day.
        let date = |day: Option<NaiveDate>, precision: Option<DatePrecision>| {
            day.map(|d| PartialDate::from_columns(d, precision.unwrap_or(DatePrecision::Day)))
        };
        Ok(CertificateContent {
            enrollment_id: enrollment,
            trainee_name,
            program_title,
            program_title_vi,
            cohort_name,
            cohort_start: date(start, start_precision),
            cohort_end: date(end, end_precision),
            number,
            code,
            issued_at,
            revoked_at,
        })
    }

    /// What to print for an enrolment: 404 when it has no certificate, 409 `certificate_revoked`
    /// (naming the day) when its certificate was revoked, since a printed copy would then claim
    /// what verification denies.
    pub fn printable(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<CertificateContent> {
        let content = CertificateContent::of(conn, enrollment)?;
        if let Some(revoked_at) = content.revoked_at {
            return Err(ApiError::conflict(
                "certificate_revoked",
                format!(
                    "certificate {} was revoked on {}, so it cannot be printed; reissue it once what it \
                     misstated is corrected",
                    content.number,
                    revoked_at.date().format("%Y-%m-%d")
                ),
            ));
        }
        Ok(content)
    }
}

/// Whether the enrolment has a certificate that stands (issued, not revoked): what a trainee's
/// page offers to print.
pub fn stands(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<bool> {
    let revoked: Option<Option<NaiveDateTime>> = certificates::table
        .find(enrollment)
        .select(certificates::revoked_at)
        .lookup(conn)?;
    Ok(matches!(revoked, Some(None)))
}

text_enum!(
    /// Whether a certificate stands.
    CertificateStatus {
        /// Issued and not revoked.
        Valid,
        /// Revoked.
        Revoked,
    }
);

/// Filters for a cohort's certificates.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CertificateFilters {
    /// Only certificates that stand (`valid`, to print) or that were revoked.
    #[param(inline)]
    pub status: Option<CertificateStatus>,
}

/// A certificate of a cohort, with what is printed on it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Queryable)]
pub struct CohortCertificate {
    /// The completed enrolment.
    pub enrollment_id: EnrollmentId,
    /// The holder's full name, as the trainee's record has it now (as verification shows it).
    pub trainee_name: String,
    /// The certificate number.
    #[schema(example = "JICA-YL/C3/00042")]
    pub number: String,
    /// The verification code printed beside the number.
    #[schema(example = "7KQ2-M9XD-4TPA")]
    pub code: String,
    /// When it was issued (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
    /// When it was revoked (UTC), if it was.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// A cohort's certificates with their codes, in enrolment order: one list to print from. 404 for
/// a cohort the caller may not see.
pub fn of_cohort(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort: CohortId,
    filters: &CertificateFilters,
    paging: Paging,
) -> ApiResult<Slice<CohortCertificate>> {
    Cohort::find_visible(conn, caller, cohort)?;
    let status = filters.status;
    let query = || {
        let mut query = certificates::table
            .inner_join(enrollments::table.inner_join(trainees::table))
            .filter(enrollments::cohort_id.eq(cohort))
            .select((
                certificates::enrollment_id,
                trainees::full_name,
                certificates::number,
                certificates::code,
                certificates::issued_at,
                certificates::revoked_at,
                certificates::revoked_reason,
            ))
            .into_boxed();
        match status {
            Some(CertificateStatus::Valid) => query = query.filter(certificates::revoked_at.is_null()),
            Some(CertificateStatus::Revoked) => query = query.filter(certificates::revoked_at.is_not_null()),
            None => {}
        }
        query
    };
    let keys = Keyset::by(list::ascending(
        "enrollment_id",
        certificates::enrollment_id,
        |c: &CohortCertificate| c.enrollment_id,
    ));
    list::page(conn, query, &keys, &paging)
}
