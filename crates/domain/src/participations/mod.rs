//! Participations: the part a contact took in a cohort (a delegation's head, a guest of the
//! visit) or in one of its sessions (a speaker, a chair). One list serves both sides: a session's
//! people (`?session_id=`), a cohort's (`?cohort_id=`, its sessions' people included) and a
//! contact's history (`?contact_id=`).
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::Entity;
use crate::cohorts::Cohort;
use crate::contacts::Contact;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, ContactId, ParticipationId, PartnerId, ProgramId, SessionId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice, sort_keys};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{cohorts, contacts, participations, sessions};
use crate::sessions::Session;

text_enum!(
    /// The part a contact took (a closed list; see docs/api-conventions.md).
    ParticipationRole {
        /// Gave a talk or presentation.
        Speaker,
        /// Chaired or moderated.
        Chair,
        /// Attended as a guest.
        Guest,
        /// Led a delegation.
        DelegationHead,
        /// Was a member of a delegation.
        DelegationMember,
        /// Organised it.
        Organiser,
        /// Taught.
        Lecturer,
    }
);

/// A contact's part in a cohort or a session.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Participation {
    /// Id.
    pub id: ParticipationId,
    /// The contact.
    pub contact_id: ContactId,
    /// The contact's name as written.
    pub contact_name: String,
    /// The contact's partner organisation.
    pub partner_id: PartnerId,
    /// The cohort: the one named, or the session's.
    pub cohort_id: CohortId,
    /// The cohort's programme.
    pub program_id: ProgramId,
    /// The cohort's name.
    pub cohort_name: String,
    /// The session, for a part in one session; `null` for a part in the cohort as a whole.
    pub session_id: Option<SessionId>,
    /// The session's title.
    pub session_title: Option<String>,
    /// The part taken.
    pub role: ParticipationRole,
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
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    pub source: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
}

#[derive(Debug, Queryable)]
struct ParticipationRow {
    id: ParticipationId,
    contact_id: ContactId,
    cohort_id: CohortId,
    session_id: Option<SessionId>,
    role: ParticipationRole,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
    sources: Option<String>,
}

/// What a participation shows of its contact, cohort and session.
#[derive(Debug, Clone, Queryable)]
struct Names {
    contact_name: String,
    partner_id: PartnerId,
    program_id: ProgramId,
    cohort_name: String,
    session_title: Option<String>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = participations, treat_none_as_null = true)]
struct ParticipationFields {
    contact_id: ContactId,
    cohort_id: CohortId,
    session_id: Option<SessionId>,
    role: ParticipationRole,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl Participation {
    fn from_row(row: ParticipationRow, names: Names) -> Participation {
        Participation {
            id: row.id,
            contact_id: row.contact_id,
            contact_name: names.contact_name,
            partner_id: names.partner_id,
            cohort_id: row.cohort_id,
            program_id: names.program_id,
            cohort_name: names.cohort_name,
            session_id: row.session_id,
            session_title: names.session_title,
            role: row.role,
            notes: row.notes,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source,
            sources: row.sources.into(),
            seed_key: row.seed_key,
        }
    }

    fn fields(&self) -> ParticipationFields {
        ParticipationFields {
            contact_id: self.contact_id,
            cohort_id: self.cohort_id,
            session_id: self.session_id,
            role: self.role,
            notes: self.notes.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// A contact's new part: in a cohort (`cohort_id`) or in one session (`session_id`).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateParticipation {
    /// The contact.
    pub contact_id: ContactId,
    /// The cohort, for a part in it as a whole (a delegation's head). Leave it out for a session.
    pub cohort_id: Option<CohortId>,
    /// The session, for a part in it (a speaker). Its cohort is then the participation's.
    pub session_id: Option<SessionId>,
    /// The part taken.
    pub role: ParticipationRole,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A change to a participation's part or notes (to move it to another event, delete it and
/// create another).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateParticipation {
    /// The part taken.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub role: Option<ParticipationRole>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the participation list; `-` sorts descending. Ties are broken by id.
    pub ParticipationSort = Sort<ParticipationOrder> { CreatedAt = "created_at" }
}

/// Filters for the participation list; give `session_id` for a session's people, `cohort_id` for a
/// cohort's (its sessions' included), `contact_id` for a contact's history.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ParticipationFilters {
    /// Only this contact's parts: their history.
    pub contact_id: Option<ContactId>,
    /// Only parts in this cohort or its sessions.
    pub cohort_id: Option<CohortId>,
    /// Only parts in this session.
    pub session_id: Option<SessionId>,
    /// Only the people of this partner.
    pub partner_id: Option<PartnerId>,
    /// Only this part.
    pub role: Option<ParticipationRole>,
    /// Only participations whose facts come from this seed document (a file name), as `source` or among
    /// `sources`.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ParticipationSort>,
}

type Row = (ParticipationRow, Names);

/// Participations with the names they show.
#[diesel::dsl::auto_type]
fn with_names() -> _ {
    let columns: <participations::table as diesel::Table>::AllColumns = participations::all_columns;
    participations::table
        .inner_join(contacts::table)
        .inner_join(cohorts::table)
        .left_join(sessions::table)
        .select((
            columns,
            (
                contacts::full_name,
                contacts::partner_id,
                cohorts::program_id,
                cohorts::name,
                sessions::title.nullable(),
            ),
        ))
}

/// 422 naming `field` when the record it names does not exist.
fn named<T>(found: ApiResult<T>, field: &str, noun: &str, id: impl std::fmt::Display) -> ApiResult<T> {
    found.map_err(|e| e.naming_field(field, || format!("names no {noun} (id {id})")))
}

impl Record for Participation {
    type Key = ParticipationId;
    const ENTITY: Entity = Entity::Participation;
    const NOUN: &'static str = "participation";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ParticipationId) -> ApiResult<Participation> {
        let (row, names) = with_names()
            .filter(participations::id.eq(id))
            .lookup::<Row>(conn)?
            .ok_or_else(|| ApiError::not_found("participation", id))?;
        Ok(Participation::from_row(row, names))
    }

    /// A liaison sees the parts of its own partner's people only.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: ParticipationId) -> ApiResult<Participation> {
        let found = Participation::find(conn, id)?;
        match caller.liaison_partner() {
            Some(partner) if partner != found.partner_id => Err(ApiError::not_found("participation", id)),
            _ => Ok(found),
        }
    }
}

impl Create for Participation {
    type New = CreateParticipation;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: CreateParticipation) -> ApiResult<Participation> {
        let contact = named(
            Contact::find(conn, new.contact_id),
            "contact_id",
            "contact",
            new.contact_id,
        )?;
        let (cohort_id, session_id) = match (new.cohort_id, new.session_id) {
            (None, None) => {
                return Err(ApiError::invalid(
                    "session_id",
                    "required",
                    "name the session the contact took part in, or the cohort (`cohort_id`) for a part in all of it",
                ));
            }
            (cohort, Some(session)) => {
                let found = named(Session::find(conn, session), "session_id", "session", session)?;
                if cohort.is_some_and(|c| c != found.cohort_id) {
                    return Err(ApiError::invalid(
                        "cohort_id",
                        "not_the_sessions",
                        format!(
                            "session {session} is in cohort {}; leave cohort_id out or give that one",
                            found.cohort_id
                        ),
                    ));
                }
                (found.cohort_id, Some(session))
            }
            (Some(cohort), None) => (
                named(Cohort::find(conn, cohort), "cohort_id", "cohort", cohort)?.id,
                None,
            ),
        };
        let now = crate::clock::now();
        let fields = ParticipationFields {
            contact_id: contact.id,
            cohort_id,
            session_id,
            role: new.role,
            notes: new.notes,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let id: ParticipationId = diesel::insert_into(participations::table)
            .values(&fields)
            .returning(participations::id)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| {
                    format!(
                        "{} already has the part `{}` there; change its notes instead",
                        contact.full_name, fields.role
                    )
                })
            })?;
        Participation::find(conn, id)
    }
}

impl Store for Participation {
    fn store(&self, conn: &mut DbConnection, current: &Participation) -> ApiResult<Option<Participation>> {
        let stored: Option<ParticipationId> = diesel::update(
            participations::table
                .find(self.id)
                .filter(participations::version.eq(current.version)),
        )
        .set(self.fields())
        .returning(participations::id)
        .get_result(conn)
        .optional()
        .map_err(|e| {
            ApiError::from(e)
                .naming_duplicate(|| format!("{} already has the part `{}` there", self.contact_name, self.role))
        })?;
        stored.map(|id| Participation::find(conn, id)).transpose()
    }
}

impl Change for Participation {
    type Change = UpdateParticipation;

    fn patched(&self, _: &mut DbConnection, change: UpdateParticipation) -> ApiResult<Participation> {
        let mut next = self.clone();
        next.role = change.role.unwrap_or(next.role);
        next.notes = change.notes.unwrap_or(next.notes);
        Ok(next)
    }
}

impl Remove for Participation {
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(participations::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Participation {
    const NOUNS: &'static str = "participations";
    type Filters = ParticipationFilters;
    type Parent = ();

    /// A liaison lists the parts of its own partner's people only.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: ParticipationFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Participation>> {
        let query = || {
            let mut query = with_names().into_boxed();
            if let Some(partner) = caller.liaison_partner() {
                query = query.filter(contacts::partner_id.eq(partner));
            }
            if let Some(contact) = filters.contact_id {
                query = query.filter(participations::contact_id.eq(contact));
            }
            if let Some(cohort) = filters.cohort_id {
                query = query.filter(participations::cohort_id.eq(cohort));
            }
            if let Some(session) = filters.session_id {
                query = query.filter(participations::session_id.eq(session));
            }
            if let Some(partner) = filters.partner_id {
                query = query.filter(contacts::partner_id.eq(partner));
            }
            if let Some(role) = filters.role {
                query = query.filter(participations::role.eq(role));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    participations::source.eq(source.clone()).or(participations::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            ParticipationOrder::CreatedAt => {
                Keyset::by(sort.by(participations::created_at, |(r, _): &Row| r.created_at))
            }
        };
        let keys = keys.then(sort.ties_by(participations::id, |(r, _): &Row| r.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            Ok(rows
                .into_iter()
                .map(|(row, names)| Participation::from_row(row, names))
                .collect())
        })
    }
}
