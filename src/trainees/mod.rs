//! Trainees: the officials sent for training, found by name, organisation or position with or
//! without Vietnamese diacritics ([`search`]).
//!
//! Types and queries live here; the HTTP handlers in [`handlers`].

pub mod handlers;
pub mod search;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, TraineeId, text_enum};
use crate::schema::{cohorts, enrollments, program_partners, trainee_terms, trainees};

text_enum!(
    /// A trainee's gender, as they state it.
    Gender { Female, Male, Other }
);

/// Enrolment statuses that let a liaison see the trainee: enrolled now, or enrolled once and
/// finished either way. Applicants, waitlisted and withdrawn trainees stay private to staff.
pub const LIAISON_VISIBLE_STATUSES: [&str; 3] = ["enrolled", "completed", "did_not_complete"];

/// Earliest birth year accepted.
pub const BIRTH_YEAR_MIN: i32 = 1900;
/// Latest birth year accepted.
pub const BIRTH_YEAR_MAX: i32 = 2030;

/// A trainee.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, ToSchema)]
pub struct Trainee {
    /// Id.
    pub id: TraineeId,
    /// Full name as written, e.g. `Nguyễn Thị Bích Dung`.
    #[schema(example = "Nguyễn Thị Bích Dung")]
    pub full_name: String,
    /// Gender.
    pub gender: Option<Gender>,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// Position held, e.g. `Chuyên viên chính`.
    pub position: Option<String>,
    /// The organisation the trainee works for, e.g. `Bộ Nội vụ`.
    pub organisation: Option<String>,
    /// Province or city.
    pub province: Option<String>,
    /// Email, as written; unique regardless of case.
    pub email: Option<String>,
    #[serde(skip)]
    pub(crate) email_key: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

/// A new trainee.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainee {
    /// Full name as written.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Nguyễn Thị Bích Dung")]
    pub full_name: String,
    /// Gender.
    pub gender: Option<Gender>,
    /// Year of birth.
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(minimum = 1900, maximum = 2030)]
    pub birth_year: Option<i32>,
    /// Position held.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub position: Option<String>,
    /// Organisation.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<String>,
    /// Province or city.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub province: Option<String>,
    /// Email, unique regardless of case.
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320, example = "dung.ntb@moha.gov.vn")]
    pub email: Option<String>,
    /// Phone number.
    #[validate(custom(function = "crate::validate::phone"))]
    #[schema(pattern = r"^\+?[0-9 ().-]{6,32}$", example = "+84 24 3825 1234")]
    pub phone: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A change to a trainee: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrainee {
    /// Full name as written.
    #[serde(default, deserialize_with = "crate::http::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub full_name: Option<String>,
    /// Gender; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<Gender>)]
    pub gender: Option<Option<Gender>>,
    /// Year of birth; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(range(min = BIRTH_YEAR_MIN, max = BIRTH_YEAR_MAX))]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2030)]
    pub birth_year: Option<Option<i32>>,
    /// Position; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub position: Option<Option<String>>,
    /// Organisation; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub organisation: Option<Option<String>>,
    /// Province or city; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub province: Option<Option<String>>,
    /// Email, unique regardless of case; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(value_type = Option<String>, max_length = 320)]
    pub email: Option<Option<String>>,
    /// Phone number; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::phone"))]
    #[schema(value_type = Option<String>, pattern = r"^\+?[0-9 ().-]{6,32}$")]
    pub phone: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

/// Every stored column but the id.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = trainees, treat_none_as_null = true)]
struct TraineeFields {
    full_name: String,
    gender: Option<Gender>,
    birth_year: Option<i32>,
    position: Option<String>,
    organisation: Option<String>,
    province: Option<String>,
    email: Option<String>,
    email_key: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl TraineeFields {
    fn of(t: &Trainee) -> Self {
        Self {
            full_name: t.full_name.clone(),
            gender: t.gender,
            birth_year: t.birth_year,
            position: t.position.clone(),
            organisation: t.organisation.clone(),
            province: t.province.clone(),
            email: t.email.clone(),
            // Derived here, from the email being stored, so the two can never disagree.
            email_key: t.email.as_deref().map(crate::users::email_key),
            phone: t.phone.clone(),
            notes: t.notes.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// One row of `trainee_terms`.
#[derive(Debug, Insertable)]
#[diesel(table_name = trainee_terms)]
pub(crate) struct TermRow<'a> {
    trainee_id: TraineeId,
    term_exact: &'a str,
    term_folded: &'a str,
}

/// Trainee ids a liaison of `partner` may see: those with an enrolment in a visible status
/// ([`LIAISON_VISIBLE_STATUSES`]) in a cohort of a programme the partner takes part in.
#[diesel::dsl::auto_type]
pub fn visible_to_partner(partner: PartnerId) -> _ {
    let their_programs = program_partners::table
        .filter(program_partners::partner_id.eq(partner))
        .select(program_partners::program_id);
    let their_cohorts = cohorts::table
        .filter(cohorts::program_id.eq_any(their_programs))
        .select(cohorts::id);
    let statuses: [&'static str; 3] = LIAISON_VISIBLE_STATUSES;
    enrollments::table
        .filter(enrollments::cohort_id.eq_any(their_cohorts))
        .filter(enrollments::status.eq_any(statuses))
        .select(enrollments::trainee_id)
}

/// 404 unless `caller` may see trainee `id`: a liaison sees only trainees enrolled (see
/// [`visible_to_partner`]) in its partner's programmes, and must not learn that others exist.
pub fn check_visible(conn: &mut DbConnection, caller: &Caller, id: TraineeId) -> ApiResult<()> {
    let Some(partner) = caller.liaison_partner() else {
        return Ok(());
    };
    let visible: bool = diesel::select(diesel::dsl::exists(
        visible_to_partner(partner).filter(enrollments::trainee_id.eq(id)),
    ))
    .get_result(conn)?;
    if visible {
        Ok(())
    } else {
        Err(ApiError::not_found("trainee", id))
    }
}

impl Trainee {
    /// The trainee with `id`, or 404.
    pub fn find(conn: &mut DbConnection, id: TraineeId) -> ApiResult<Trainee> {
        trainees::table
            .find(id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("trainee", id))
    }

    /// The trainee with this email, compared regardless of case and surrounding spaces.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<Trainee>> {
        Ok(trainees::table
            .filter(trainees::email_key.eq(crate::users::email_key(email)))
            .first(conn)
            .optional()?)
    }

    /// Insert a new trainee and its search terms. Writes no audit event: the caller does, in
    /// the same transaction, since it knows who acts and why.
    pub fn create(conn: &mut DbConnection, new: CreateTrainee) -> ApiResult<Trainee> {
        let now = crate::http::now();
        let draft = Trainee {
            id: TraineeId(0),
            full_name: new.full_name,
            gender: new.gender,
            birth_year: new.birth_year,
            position: new.position,
            organisation: new.organisation,
            province: new.province,
            email: new.email,
            email_key: None,
            phone: new.phone,
            notes: new.notes,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let created: Trainee = diesel::insert_into(trainees::table)
            .values(TraineeFields::of(&draft))
            .returning(trainees::all_columns)
            .get_result(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_email(&draft)))?;
        created.replace_terms(conn)?;
        Ok(created)
    }

    /// This trainee with `change` applied (not yet stored).
    pub fn patched(&self, change: UpdateTrainee) -> Trainee {
        let mut next = self.clone();
        next.full_name = change.full_name.unwrap_or(next.full_name);
        next.gender = change.gender.unwrap_or(next.gender);
        next.birth_year = change.birth_year.unwrap_or(next.birth_year);
        next.position = change.position.unwrap_or(next.position);
        next.organisation = change.organisation.unwrap_or(next.organisation);
        next.province = change.province.unwrap_or(next.province);
        next.email = change.email.unwrap_or(next.email);
        next.email_key = next.email.as_deref().map(crate::users::email_key);
        next.phone = change.phone.unwrap_or(next.phone);
        next.notes = change.notes.unwrap_or(next.notes);
        next
    }

    /// Store `next` over `self` if nobody changed it since it was read; bumps the version and
    /// renews the search terms when a searched field changed.
    pub fn save(&self, conn: &mut DbConnection, mut next: Trainee) -> ApiResult<Trainee> {
        next.version = self.version + 1;
        next.updated_at = crate::http::now();
        let saved: Trainee = diesel::update(trainees::table.find(self.id).filter(trainees::version.eq(self.version)))
            .set(TraineeFields::of(&next))
            .returning(trainees::all_columns)
            .get_result(conn)
            .optional()
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_email(&next)))?
            .ok_or_else(|| {
                ApiError::PreconditionFailed("the trainee changed while this request ran; retry".to_owned())
            })?;
        if search::searched_fields(self) != search::searched_fields(&saved) {
            saved.replace_terms(conn)?;
        }
        Ok(saved)
    }

    /// Delete this trainee, and its search terms, unless it holds an enrolment (409 `in_use`).
    pub fn delete(&self, conn: &mut DbConnection) -> ApiResult<()> {
        let enrolments: i64 = enrollments::table
            .filter(enrollments::trainee_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if enrolments > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!(
                    "trainee {} holds {enrolments} enrolment(s); delete or move them first",
                    self.full_name
                ),
            ));
        }
        // The foreign key cascades too; deleting the terms here does not lean on SQLite's
        // foreign_keys pragma being on.
        diesel::delete(trainee_terms::table.filter(trainee_terms::trainee_id.eq(self.id))).execute(conn)?;
        diesel::delete(trainees::table.find(self.id)).execute(conn)?;
        Ok(())
    }

    /// Replace the stored search terms with those of this trainee's current name, organisation
    /// and position.
    fn replace_terms(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(trainee_terms::table.filter(trainee_terms::trainee_id.eq(self.id))).execute(conn)?;
        let terms = search::terms(search::searched_fields(self));
        let rows: Vec<TermRow<'_>> = terms
            .iter()
            .map(|term| TermRow {
                trainee_id: self.id,
                term_exact: &term.exact,
                term_folded: &term.folded,
            })
            .collect();
        // One statement for all of them: an import of 1,000 trainees writes ~10,000 terms.
        crate::db::dialect::on_either_backend!(conn, c => diesel::insert_into(trainee_terms::table).values(&rows).execute(c))?;
        Ok(())
    }
}

fn duplicate_email(trainee: &Trainee) -> String {
    format!(
        "a trainee with email {} already exists",
        trainee.email.as_deref().unwrap_or_default()
    )
}
