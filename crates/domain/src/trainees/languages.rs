//! A trainee's language certificates (`/api/v1/trainees/{id}/language-certificates`,
//! `/api/v1/language-certificates/{id}`): a test taken, its score and its date, which a cohort's
//! language criterion is checked against (the `eligibility` module, above this one). Officers keep them; reporters
//! read them; a partner's liaison reads only what the eligibility of a nominee says of them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::Trainee;
use crate::access::Caller;
use crate::audit::Entity;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{LanguageCertificateId, TraineeId};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::language_certificates;

/// A language certificate of a trainee.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = language_certificates, treat_none_as_null = true)]
pub struct LanguageCertificate {
    /// Id.
    #[diesel(skip_insertion)]
    pub id: LanguageCertificateId,
    /// The trainee.
    pub trainee_id: TraineeId,
    /// The language, ISO 639-1 in lower case.
    #[schema(example = "en")]
    pub language: String,
    /// The test, as the department names it (upper case).
    #[schema(example = "IELTS")]
    pub test: String,
    /// The score; higher is better.
    #[schema(example = 6.5)]
    pub score: f64,
    /// When the test was taken.
    pub taken_on: NaiveDate,
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

/// An ISO 639-1 language code in lower case: two letters.
pub fn language_code(value: &str) -> Result<(), ValidationError> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(ValidationError::new("unknown_language").with_message(
            format!("must be an ISO 639-1 language code in lower case, such as en or ja (got `{value}`)").into(),
        ))
    }
}

/// A score from 0 to 10,000 (an IELTS band, a TOEIC score).
pub fn valid_score(value: f64) -> Result<(), ValidationError> {
    if (0.0..=10_000.0).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("out_of_range").with_message("a score from 0 to 10000".into()))
    }
}

/// A new certificate of a trainee.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLanguageCertificate {
    /// The language, ISO 639-1 in lower case.
    #[validate(custom(function = "language_code"))]
    #[schema(pattern = "^[a-z]{2}$", example = "en")]
    pub language: String,
    /// The test, as the department names it: upper-case letters, digits, `-` or `_`.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "IELTS")]
    pub test: String,
    /// The score; higher is better.
    #[validate(custom(function = "valid_score"))]
    #[schema(minimum = 0, maximum = 10000, example = 6.5)]
    pub score: f64,
    /// When the test was taken.
    pub taken_on: NaiveDate,
}

/// A change to a certificate: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLanguageCertificate {
    /// The language.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "language_code"))]
    #[schema(nullable = false, pattern = "^[a-z]{2}$")]
    pub language: Option<String>,
    /// The test.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub test: Option<String>,
    /// The score.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "valid_score"))]
    #[schema(nullable = false, minimum = 0, maximum = 10000)]
    pub score: Option<f64>,
    /// When the test was taken.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub taken_on: Option<NaiveDate>,
}

/// Filters for a trainee's certificates.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct LanguageCertificateFilters {
    /// Only certificates of this language.
    #[param(pattern = "^[a-z]{2}$")]
    #[validate(custom(function = "language_code"))]
    pub language: Option<String>,
}

/// 404 for a liaison: certificates are the department's records (a liaison reads what a
/// nominee's eligibility says of them).
fn staff_only(caller: &Caller, id: impl std::fmt::Display) -> ApiResult<()> {
    match caller.liaison_partner() {
        Some(_) => Err(ApiError::not_found("language certificate", id)),
        None => Ok(()),
    }
}

impl LanguageCertificate {
    /// Every certificate of `trainees` in `language`, by trainee.
    pub fn of_trainees(
        conn: &mut DbConnection,
        trainees: &[TraineeId],
        language: &str,
    ) -> ApiResult<Vec<LanguageCertificate>> {
        Ok(language_certificates::table
            .filter(language_certificates::trainee_id.eq_any(trainees))
            .filter(language_certificates::language.eq(language))
            .order((language_certificates::trainee_id, language_certificates::id))
            .load(conn)?)
    }
}

impl Record for LanguageCertificate {
    type Key = LanguageCertificateId;
    const ENTITY: Entity = Entity::LanguageCertificate;
    const NOUN: &'static str = "language certificate";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: LanguageCertificateId) -> ApiResult<Self> {
        language_certificates::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("language certificate", id))
    }

    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: LanguageCertificateId) -> ApiResult<Self> {
        staff_only(caller, id)?;
        Self::find(conn, id)
    }
}

impl Create for LanguageCertificate {
    type New = CreateLanguageCertificate;
    type Parent = TraineeId;

    fn insert(conn: &mut DbConnection, trainee: TraineeId, new: CreateLanguageCertificate) -> ApiResult<Self> {
        Trainee::find(conn, trainee)?;
        let now = crate::clock::now();
        let draft = LanguageCertificate {
            id: LanguageCertificateId(0),
            trainee_id: trainee,
            language: new.language,
            test: new.test,
            score: new.score,
            taken_on: new.taken_on,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok(diesel::insert_into(language_certificates::table)
            .values(&draft)
            .returning(language_certificates::all_columns)
            .get_result(conn)?)
    }
}

impl Store for LanguageCertificate {
    fn store(&self, conn: &mut DbConnection, current: &Self) -> ApiResult<Option<Self>> {
        Ok(diesel::update(
            language_certificates::table
                .find(self.id)
                .filter(language_certificates::version.eq(current.version)),
        )
        .set(self)
        .returning(language_certificates::all_columns)
        .get_result(conn)
        .optional()?)
    }
}

impl Change for LanguageCertificate {
    type Change = UpdateLanguageCertificate;

    fn patched(&self, _: &mut DbConnection, change: UpdateLanguageCertificate) -> ApiResult<Self> {
        let mut next = self.clone();
        next.language = change.language.unwrap_or(next.language);
        next.test = change.test.unwrap_or(next.test);
        next.score = change.score.unwrap_or(next.score);
        next.taken_on = change.taken_on.unwrap_or(next.taken_on);
        Ok(next)
    }
}

impl Remove for LanguageCertificate {
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(language_certificates::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for LanguageCertificate {
    const NOUNS: &'static str = "language certificates";
    type Filters = LanguageCertificateFilters;
    type Parent = TraineeId;

    /// Oldest first.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        trainee: TraineeId,
        filters: LanguageCertificateFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Self>> {
        staff_only(caller, trainee)?;
        Trainee::find(conn, trainee)?;
        let query = || {
            let mut query = language_certificates::table
                .filter(language_certificates::trainee_id.eq(trainee))
                .into_boxed();
            if let Some(language) = &filters.language {
                query = query.filter(language_certificates::language.eq(language.clone()));
            }
            query
        };
        let keys = Keyset::by(list::ascending(
            "id",
            language_certificates::id,
            |c: &LanguageCertificate| c.id,
        ));
        list::page(conn, query, &keys, &paging)
    }
}
