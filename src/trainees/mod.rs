//! Trainees: the officials sent for training, found by name, organisation or position with or
//! without Vietnamese diacritics ([`search`]).
//!
//! Types, rules and queries; served by the standard operations of [`crate::http::crud`].

pub mod search;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, PartnerId, TraineeId, text_enum};
use crate::resource::list::{self, Paging, sort_keys};
use crate::resource::{Change, Create, List, Record, Remove, keyed_by_id};
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
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
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
    #[serde(default, deserialize_with = "crate::wire::some")]
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

sort_keys! {
    /// Orders for the trainee list; `-` sorts descending. Ties are broken by id. With `q`, the best
    /// matches come first and this order applies among equals.
    pub TraineeSort = Sort<TraineeOrder> { FullName = "full_name", CreatedAt = "created_at" }
}

/// Filters for the trainee list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct TraineeFilters {
    /// Finds trainees by words of their name, organisation or position, by word prefix, ignoring
    /// case and Vietnamese diacritics; every word must match. Matches that keep the diacritics
    /// typed come first: `tuấn` lists Tuấn before Tuần, `tuan` lists both as equals.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only trainees of this organisation, exactly as stored.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub organisation: Option<String>,
    /// Only trainees from this province, exactly as stored.
    #[param(max_length = 300, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 300))]
    pub province: Option<String>,
    /// Only this gender.
    pub gender: Option<Gender>,
    /// Only trainees with an enrolment (in any status) in this cohort.
    pub cohort_id: Option<CohortId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<TraineeSort>,
}

impl Trainee {
    /// The trainee with this email, compared regardless of case and surrounding spaces.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<Trainee>> {
        Ok(trainees::table
            .filter(trainees::email_key.eq(crate::users::email_key(email)))
            .first(conn)
            .optional()?)
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

impl Record for Trainee {
    type Key = TraineeId;
    const ENTITY: Entity = Entity::Trainee;
    const NOUN: &'static str = "trainee";
    const NOUNS: &'static str = "trainees";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: TraineeId) -> ApiResult<Trainee> {
        trainees::table
            .find(id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("trainee", id))
    }

    /// A liaison sees only trainees enrolled (see [`visible_to_partner`]) in its partner's
    /// programmes, and must not learn that others exist.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: TraineeId) -> ApiResult<Trainee> {
        if let Some(partner) = caller.liaison_partner() {
            let visible: bool = diesel::select(diesel::dsl::exists(
                visible_to_partner(partner).filter(enrollments::trainee_id.eq(id)),
            ))
            .get_result(conn)?;
            if !visible {
                return Err(ApiError::not_found("trainee", id));
            }
        }
        Trainee::find(conn, id)
    }
}

impl Create for Trainee {
    type New = CreateTrainee;
    type Parent = ();

    /// Also writes its search terms.
    fn insert(conn: &mut DbConnection, _: (), new: CreateTrainee) -> ApiResult<Trainee> {
        let now = crate::clock::now();
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
}

impl Change for Trainee {
    type Change = UpdateTrainee;

    fn patched(&self, _: &mut DbConnection, change: UpdateTrainee) -> ApiResult<Trainee> {
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
        Ok(next)
    }

    /// Renews the search terms when a searched field changed.
    fn store(&self, conn: &mut DbConnection, current: &Trainee) -> ApiResult<Option<Trainee>> {
        let saved: Option<Trainee> = diesel::update(
            trainees::table
                .find(self.id)
                .filter(trainees::version.eq(current.version)),
        )
        .set(TraineeFields::of(self))
        .returning(trainees::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_email(self)))?;
        if let Some(saved) = &saved
            && search::searched_fields(current) != search::searched_fields(saved)
        {
            saved.replace_terms(conn)?;
        }
        Ok(saved)
    }
}

impl Remove for Trainee {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let enrolments: i64 = enrollments::table
            .filter(enrollments::trainee_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((enrolments > 0).then(|| {
            format!(
                "trainee {} holds {enrolments} enrolment(s); delete or move them first",
                self.full_name
            )
        }))
    }

    /// With its search terms.
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        // The foreign key cascades too; deleting the terms here does not lean on SQLite's
        // foreign_keys pragma being on.
        diesel::delete(trainee_terms::table.filter(trainee_terms::trainee_id.eq(self.id))).execute(conn)?;
        diesel::delete(trainees::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Trainee {
    type Filters = TraineeFilters;
    type Parent = ();

    /// A liaison sees only those enrolled in cohorts of its partner's programmes.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: TraineeFilters,
        paging: Paging,
    ) -> ApiResult<(Vec<Trainee>, i64)> {
        let words = search::query_terms(filters.q.as_deref().unwrap_or_default())?;
        // Stored text is NFC; a query string may arrive decomposed.
        let organisation = filters.organisation.map(|o| o.trim().nfc().collect::<String>());
        let province = filters.province.map(|p| p.trim().nfc().collect::<String>());
        let liaison_partner = caller.liaison_partner();
        // A liaison may filter only by a cohort it can see, and learns only of seated trainees
        // there; any other cohort is 404, as if it did not exist.
        if let (Some(_), Some(cohort)) = (liaison_partner, filters.cohort_id) {
            crate::cohorts::Cohort::find_visible(conn, caller, cohort)?;
        }
        let query = || {
            let mut query = trainees::table.into_boxed();
            if let Some(partner) = liaison_partner {
                query = query.filter(trainees::id.eq_any(visible_to_partner(partner)));
            }
            for word in &words {
                let matching = search::ids_with_folded_term_in(word.folded.clone(), search::prefix_end(&word.folded));
                query = query.filter(trainees::id.eq_any(matching));
            }
            if let Some(organisation) = &organisation {
                query = query.filter(trainees::organisation.eq(organisation.clone()));
            }
            if let Some(province) = &province {
                query = query.filter(trainees::province.eq(province.clone()));
            }
            if let Some(gender) = filters.gender {
                query = query.filter(trainees::gender.eq(gender));
            }
            if let Some(cohort_id) = filters.cohort_id {
                use crate::enrollments::{EnrollmentStatus, SEATED};
                use strum::VariantArray as _;
                let statuses: &[EnrollmentStatus] = if liaison_partner.is_some() {
                    &SEATED
                } else {
                    EnrollmentStatus::VARIANTS
                };
                let enrolled = enrollments::table
                    .filter(enrollments::cohort_id.eq(cohort_id))
                    .filter(enrollments::status.eq_any(statuses.to_vec()))
                    .select(enrollments::trainee_id);
                query = query.filter(trainees::id.eq_any(enrolled));
            }
            query
        };
        // Best matches first; then the order asked for, which is the whole order without `q`.
        let mut order: Vec<list::Order<trainees::table>> = Vec::new();
        if let Some(rank) = search::rank(&words) {
            order.push(Box::new(rank.desc()));
        }
        let sort = filters.sort.unwrap_or_default();
        order.push(match sort.key {
            TraineeOrder::FullName => sort.by(trainees::full_name),
            TraineeOrder::CreatedAt => sort.by(trainees::created_at),
        });
        order.push(Box::new(trainees::id.asc()));
        list::page(conn, query, order, paging)
    }
}

fn duplicate_email(trainee: &Trainee) -> String {
    format!(
        "a trainee with email {} already exists",
        trainee.email.as_deref().unwrap_or_default()
    )
}
