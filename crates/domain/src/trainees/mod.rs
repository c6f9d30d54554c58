//! Trainees: the officials sent for training, found by name, organisation or position with or
//! without Vietnamese diacritics ([`search`]).
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

pub mod consents;
mod input;
pub mod languages;
mod list;
mod postings;
pub mod search;

pub use input::{CreateTrainee, TraineeFilters, TraineeOrder, TraineeSort, UpdateTrainee};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, TraineeId, text_enum};
use crate::resource::{Change, Create, Record, Remove, Store, keyed_by_id};
use crate::schema::{cohorts, enrollments, program_partners, trainee_terms, trainees};

text_enum!(
    /// A trainee's gender, as they state it.
    Gender { Female, Male, Other }
);

text_enum!(
    /// The language a trainee is written to in (mails, and the pages a mail's link opens): `vi`
    /// unless the trainee is marked `en`.
    Language { Vi, En }
);

impl Language {
    /// The catalogue's language.
    pub fn lang(self) -> crate::messages::Lang {
        match self {
            Language::Vi => crate::messages::Lang::Vi,
            Language::En => crate::messages::Lang::En,
        }
    }
}

/// Enrolment statuses that let a liaison see the trainee: enrolled now, or enrolled once and
/// finished either way. Applicants, waitlisted and withdrawn trainees stay private to staff.
pub const LIAISON_VISIBLE_STATUSES: [&str; 3] = ["enrolled", "completed", "did_not_complete"];

/// Earliest birth year accepted.
pub const BIRTH_YEAR_MIN: i32 = 1900;
/// Latest birth year accepted.
pub const BIRTH_YEAR_MAX: i32 = 2030;

/// A trainee.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = trainees, treat_none_as_null = true)]
pub struct Trainee {
    /// Id.
    #[diesel(skip_insertion)]
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
    /// Derived from `email` whenever it is set, so that the two can never disagree.
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
    /// `province` folded ([`crate::text::key`]), which `?province=` compares: "Ha Noi" finds
    /// "Hà Nội". Derived whenever `province` is set.
    #[serde(skip)]
    pub(crate) province_key: Option<String>,
    /// `organisation` folded, which `?organisation=` compares.
    #[serde(skip)]
    pub(crate) organisation_key: Option<String>,
    /// The language mails are written to the trainee in: `vi` (the default) or `en`.
    pub language: Language,
    /// The year they entered the service, for a cohort's minimum years in service; `null` to a
    /// partner's liaison, as the birth year is.
    pub service_start_year: Option<i32>,
    /// Their position level, in the department's words (`chuyên viên chính`), matched against a
    /// cohort's accepted levels ignoring case and diacritics.
    #[schema(example = "chuyên viên chính")]
    pub position_level: Option<String>,
    /// When the trainee's personal data was erased on request (`POST /trainees/{id}/erasure`);
    /// the row stays so that counts hold, and no longer changes.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub erased_at: Option<NaiveDateTime>,
    /// Why it was erased.
    pub erasure_reason: Option<String>,
}

/// One row of `trainee_terms`.
#[derive(Debug, Insertable)]
#[diesel(table_name = trainee_terms)]
pub(crate) struct TermRow<'a> {
    trainee_id: TraineeId,
    term_exact: &'a str,
    term_folded: &'a str,
    /// The trainee's name, so that a word's trainees can be read in name order from the index.
    full_name: &'a str,
    /// Whether the word is one of the name's: a match there ranks first.
    in_name: bool,
    /// The trainee's folded province, so that a search with `?province=` reads that province's
    /// trainees of a word from the index (`trainee_terms_province_postings`).
    province_key: Option<&'a str>,
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

/// Trainee ids among `ids` whose email and phone a liaison of `partner` may read: the one rule
/// every answer to a liaison passes through. Both halves must hold: the department shares them
/// (seated, [`LIAISON_VISIBLE_STATUSES`], in a cohort of a programme whose link to the partner has
/// `program_partners.shares_trainee_contacts`), and the trainee consents to it (a standing
/// `partner_contacts` consent naming the partner, [`consents::consented_to_partner`]), read at
/// each request, so a withdrawal holds from the next one.
fn contacts_shared_with(
    conn: &mut DbConnection,
    partner: PartnerId,
    ids: &[TraineeId],
) -> ApiResult<std::collections::HashSet<TraineeId>> {
    let sharing_programs = program_partners::table
        .filter(program_partners::partner_id.eq(partner))
        .filter(program_partners::shares_trainee_contacts.eq(true))
        .select(program_partners::program_id);
    let their_cohorts = cohorts::table
        .filter(cohorts::program_id.eq_any(sharing_programs))
        .select(cohorts::id);
    let statuses: [&'static str; 3] = LIAISON_VISIBLE_STATUSES;
    let shared: Vec<TraineeId> = enrollments::table
        .filter(enrollments::cohort_id.eq_any(their_cohorts))
        .filter(enrollments::status.eq_any(statuses))
        .filter(enrollments::trainee_id.eq_any(ids))
        .filter(enrollments::trainee_id.eq_any(consents::consented_to_partner(partner)))
        .select(enrollments::trainee_id)
        .distinct()
        .load(conn)?;
    Ok(shared.into_iter().collect())
}

impl Trainee {
    /// `trainees` as `caller` may read them: the service's data-protection rule (see
    /// docs/api-conventions.md). Staff read everything. A partner's liaison reads what a partner
    /// needs, the name, organisation, position and province (the enrolments are read apart); the
    /// email and phone only where a programme the trainee is seated in shares them with its
    /// partner and the trainee consents to it ([`contacts_shared_with`]); the gender, birth year
    /// and notes never. What it may not read is `null`. What a liaison is given is recorded
    /// ([`crate::disclosures::record`], one statement for the lot).
    pub fn seen_by(conn: &mut DbConnection, caller: &Caller, mut trainees: Vec<Trainee>) -> ApiResult<Vec<Trainee>> {
        let Some(partner) = caller.liaison_partner() else {
            return Ok(trainees);
        };
        let ids: Vec<TraineeId> = trainees.iter().map(|t| t.id).collect();
        let shared = contacts_shared_with(conn, partner, &ids)?;
        for trainee in &mut trainees {
            trainee.gender = None;
            trainee.birth_year = None;
            // Like the birth year, a personal fact the eligibility check uses and a partner does not need.
            trainee.service_start_year = None;
            trainee.notes = None;
            if !shared.contains(&trainee.id) {
                trainee.email = None;
                trainee.phone = None;
            }
        }
        crate::disclosures::record(conn, caller, "trainees", trainees.iter().map(Trainee::disclosed))?;
        Ok(trainees)
    }

    /// What of this trainee (as shown) is personal data, for the record of disclosures.
    fn disclosed(&self) -> crate::disclosures::Disclosed {
        use crate::disclosures::{Disclosed, PersonalField as F};
        Disclosed::of(
            self.id,
            &[
                (F::FullName, Some(self.full_name.as_str())),
                (F::Position, self.position.as_deref()),
                (F::Organisation, self.organisation.as_deref()),
                (F::Province, self.province.as_deref()),
                (F::Email, self.email.as_deref()),
                (F::Phone, self.phone.as_deref()),
            ],
        )
    }

    /// 409 `erased` when the trainee's personal data was erased: nothing is written to it again.
    pub fn refuse_if_erased(&self) -> ApiResult<()> {
        match self.erased_at {
            Some(at) => Err(ApiError::conflict(
                "erased",
                format!(
                    "trainee {} was erased on {}; an erased trainee is kept only for the counts and no longer changes",
                    self.id,
                    at.date()
                ),
            )),
            None => Ok(()),
        }
    }

    /// This trainee with the folded keys of its province and organisation worked out again.
    pub(crate) fn with_keys(mut self) -> Trainee {
        self.province_key = self.province.as_deref().map(crate::text::key);
        self.organisation_key = self.organisation.as_deref().map(crate::text::key);
        self
    }

    /// The trainee with this email, compared regardless of case and surrounding spaces.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<Trainee>> {
        Ok(trainees::table
            .filter(trainees::email_key.eq(crate::users::email_key(email)))
            .lookup(conn)?)
    }

    /// Replace the stored search terms with those of this trainee's current name, organisation
    /// and position.
    fn replace_terms(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(trainee_terms::table.filter(trainee_terms::trainee_id.eq(self.id))).execute(conn)?;
        let terms = search::terms_of(self);
        let rows: Vec<TermRow<'_>> = terms
            .iter()
            .map(|(term, in_name)| TermRow {
                trainee_id: self.id,
                term_exact: &term.exact,
                term_folded: &term.folded,
                full_name: &self.full_name,
                in_name: *in_name,
                province_key: self.province_key.as_deref(),
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
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: TraineeId) -> ApiResult<Trainee> {
        trainees::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("trainee", id))
    }

    /// A liaison sees only trainees enrolled (see [`visible_to_partner`]) in its partner's
    /// programmes, and must not learn that others exist; of those, only what
    /// [`Trainee::seen_by`] lets it read.
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
        let trainee = Trainee::find(conn, id)?;
        let mut seen = Trainee::seen_by(conn, caller, vec![trainee])?;
        seen.pop().ok_or_else(|| ApiError::not_found("trainee", id))
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
            email_key: new.email.as_deref().map(crate::users::email_key),
            email: new.email,
            phone: new.phone,
            notes: new.notes,
            created_at: now,
            updated_at: now,
            version: 1,
            province_key: None,
            organisation_key: None,
            language: new.language.unwrap_or(Language::Vi),
            service_start_year: new.service_start_year,
            position_level: new.position_level,
            erased_at: None,
            erasure_reason: None,
        }
        .with_keys();
        let created: Trainee = diesel::insert_into(trainees::table)
            .values(&draft)
            .returning(trainees::all_columns)
            .get_result(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_email(&draft)))?;
        created.replace_terms(conn)?;
        Ok(created)
    }
}

impl Store for Trainee {
    /// Renews the search terms when a searched field changed.
    fn store(&self, conn: &mut DbConnection, current: &Trainee) -> ApiResult<Option<Trainee>> {
        let saved: Option<Trainee> = diesel::update(
            trainees::table
                .find(self.id)
                .filter(trainees::version.eq(current.version)),
        )
        .set(self)
        .returning(trainees::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_email(self)))?;
        if let Some(saved) = &saved {
            if search::searched_fields(current) != search::searched_fields(saved) {
                saved.replace_terms(conn)?;
            } else if current.province_key != saved.province_key {
                // The terms carry the province a search narrows them by.
                diesel::update(trainee_terms::table.filter(trainee_terms::trainee_id.eq(saved.id)))
                    .set(trainee_terms::province_key.eq(&saved.province_key))
                    .execute(conn)?;
            }
        }
        // The copies reports group enrolments by follow a corrected gender or birth year.
        if let Some(saved) = &saved
            && (saved.gender, saved.birth_year) != (current.gender, current.birth_year)
        {
            diesel::update(enrollments::table.filter(enrollments::trainee_id.eq(saved.id)))
                .set((
                    enrollments::gender.eq(saved.gender.map(|g| g.as_str())),
                    enrollments::birth_year.eq(saved.birth_year),
                ))
                .execute(conn)?;
        }
        Ok(saved)
    }
}

impl Change for Trainee {
    type Change = UpdateTrainee;

    /// Refused (409 `erased`) for an erased trainee: what was erased cannot come back.
    fn patched(&self, _: &mut DbConnection, change: UpdateTrainee) -> ApiResult<Trainee> {
        self.refuse_if_erased()?;
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
        next.language = change.language.unwrap_or(next.language);
        next.service_start_year = change.service_start_year.unwrap_or(next.service_start_year);
        next.position_level = change.position_level.unwrap_or(next.position_level);
        Ok(next.with_keys())
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
        // foreign_keys pragma being on. The consents go with the person they are about.
        diesel::delete(trainee_terms::table.filter(trainee_terms::trainee_id.eq(self.id))).execute(conn)?;
        diesel::delete(crate::schema::consents::table.filter(crate::schema::consents::trainee_id.eq(self.id)))
            .execute(conn)?;
        diesel::delete(trainees::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

fn duplicate_email(trainee: &Trainee) -> String {
    format!(
        "a trainee with email {} already exists",
        trainee.email.as_deref().unwrap_or_default()
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A trainee with a name and nothing else, for tests to fill in.
    pub(crate) fn blank() -> Trainee {
        let at = NaiveDateTime::default();
        Trainee {
            id: TraineeId(1),
            full_name: String::new(),
            gender: None,
            birth_year: None,
            position: None,
            organisation: None,
            province: None,
            email: None,
            email_key: None,
            phone: None,
            notes: None,
            created_at: at,
            updated_at: at,
            version: 1,
            province_key: None,
            organisation_key: None,
            language: Language::Vi,
            service_start_year: None,
            position_level: None,
            erased_at: None,
            erasure_reason: None,
        }
    }

    #[test]
    fn places_are_kept_folded_beside_what_was_typed() {
        let trainee = Trainee {
            province: Some("Hà Nội".to_owned()),
            organisation: Some("Sở Nội vụ".to_owned()),
            ..blank()
        }
        .with_keys();
        assert_eq!(trainee.province_key.as_deref(), Some("ha noi"));
        assert_eq!(trainee.organisation_key.as_deref(), Some("so noi vu"));
    }
}
