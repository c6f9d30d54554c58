//! The roles a partner holds in a programme (`/api/v1/programs/{id}/partners[/{partner_id}]`).
//! A partner appears at most once per programme, holding one or more roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::Program;
use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, ProgramId, ProgramPartnerId, text_enum};
use crate::partners::{Partner, PartnerKind};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store};
use crate::schema::{partners, program_partners};

text_enum!(
    /// A role a partner holds in a programme (a closed list; see docs/api-conventions.md).
    PartnerRole {
        /// Pays for the programme or part of it.
        Funder,
        /// Receives the trainees: hosts courses, visits or placements.
        Host,
        /// Runs the programme day to day.
        ImplementingAgency,
        /// The Vietnamese body the foreign partner works with.
        Counterpart,
        /// Supports or endorses it without running it.
        Sponsor,
        /// Organises it jointly with others.
        CoOrganiser,
        /// Provides lecturers or speakers.
        Lecturer,
        /// Coordinates between the parties.
        Coordinator,
    }
);

/// The partner named in a role, in short.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, ToSchema)]
pub struct PartnerSummary {
    /// Partner id.
    pub id: PartnerId,
    /// Partner code.
    pub code: String,
    /// Name in English.
    pub name: String,
    /// Name in its own language.
    pub name_local: Option<String>,
    /// Kind of organisation.
    pub kind: PartnerKind,
    /// Country code.
    pub country: String,
}

#[derive(Debug, Queryable)]
struct ProgramPartnerRow {
    id: ProgramPartnerId,
    program_id: ProgramId,
    partner_id: PartnerId,
    roles: String,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
    shares_trainee_contacts: bool,
    sources: Option<String>,
    reviews_nominations: bool,
}

/// A partner's place in a programme.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgramPartner {
    /// Id of this link.
    pub id: ProgramPartnerId,
    /// The programme.
    pub program_id: ProgramId,
    /// The partner.
    pub partner_id: PartnerId,
    /// The partner, in short.
    pub partner: PartnerSummary,
    /// The roles it holds, at least one.
    pub roles: Vec<PartnerRole>,
    /// Free notes: what exactly it funds, hosts or teaches.
    pub notes: Option<String>,
    /// Whether the partner's liaisons may read the email and phone of the trainees seated in this
    /// programme's cohorts. Off unless the department agreed to share them.
    pub shares_trainee_contacts: bool,
    /// Whether the partner reviews the programme's nominations: each nominated enrolment must be
    /// `accepted` (by the partner's liaison, or an officer for it) before an officer seats it, or
    /// is `declined` with a reason. Off: officers place nominees directly, as before.
    pub reviews_nominations: bool,
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

fn valid_roles(roles: &[PartnerRole]) -> Result<(), ValidationError> {
    let message = if roles.is_empty() {
        Some("must name at least one role".to_owned())
    } else {
        crate::validate::first_repeat(roles).map(|dup| format!("lists `{dup}` twice"))
    };
    match message {
        Some(message) => Err(ValidationError::new("invalid_roles").with_message(message.into())),
        None => Ok(()),
    }
}

/// Give a partner roles in a programme.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgramPartner {
    /// The partner.
    pub partner_id: PartnerId,
    /// Its roles, at least one, each once.
    #[validate(custom(function = "valid_roles"))]
    #[schema(min_items = 1)]
    pub roles: Vec<PartnerRole>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
    /// Whether the partner's liaisons may read the email and phone of the trainees seated in
    /// this programme; `false` when left out.
    #[serde(default)]
    pub shares_trainee_contacts: bool,
    /// Whether the partner reviews the programme's nominations (accepts or declines each before
    /// it takes a seat); `false` when left out.
    #[serde(default)]
    pub reviews_nominations: bool,
}

/// Change a partner's roles or notes.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProgramPartner {
    /// Its roles, at least one, each once.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "valid_roles"))]
    #[schema(nullable = false, min_items = 1)]
    pub roles: Option<Vec<PartnerRole>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
    /// Whether the partner's liaisons may read the email and phone of the trainees seated in
    /// this programme.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub shares_trainee_contacts: Option<bool>,
    /// Whether the partner reviews the programme's nominations. Turning it off leaves accepted
    /// enrolments accepted (an officer seats them) and lets officers seat the others directly.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub reviews_nominations: Option<bool>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = program_partners, treat_none_as_null = true)]
struct ProgramPartnerFields {
    program_id: ProgramId,
    partner_id: PartnerId,
    roles: String,
    notes: Option<String>,
    shares_trainee_contacts: bool,
    reviews_nominations: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

const SUMMARY: (
    partners::id,
    partners::code,
    partners::name,
    partners::name_local,
    partners::kind,
    partners::country,
) = (
    partners::id,
    partners::code,
    partners::name,
    partners::name_local,
    partners::kind,
    partners::country,
);

impl ProgramPartner {
    fn from_row(row: ProgramPartnerRow, partner: PartnerSummary) -> ApiResult<Self> {
        let roles = serde_json::from_str(&row.roles)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("program_partner {} has unreadable roles: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            program_id: row.program_id,
            partner_id: row.partner_id,
            partner,
            roles,
            notes: row.notes,
            shares_trainee_contacts: row.shares_trainee_contacts,
            reviews_nominations: row.reviews_nominations,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source,
            sources: row.sources.into(),
            seed_key: row.seed_key,
        })
    }

    fn fields(&self) -> ApiResult<ProgramPartnerFields> {
        Ok(ProgramPartnerFields {
            program_id: self.program_id,
            partner_id: self.partner_id,
            roles: serde_json::to_string(&self.roles).map_err(ApiError::internal)?,
            notes: self.notes.clone(),
            shares_trainee_contacts: self.shares_trainee_contacts,
            reviews_nominations: self.reviews_nominations,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// Filters for a programme's partners.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ProgramPartnerFilters {
    /// Only partners holding this role.
    pub role: Option<PartnerRole>,
}

impl Record for ProgramPartner {
    type Key = (ProgramId, PartnerId);
    const ENTITY: Entity = Entity::ProgramPartner;
    const NOUN: &'static str = "partner role";

    fn key(&self) -> (ProgramId, PartnerId) {
        (self.program_id, self.partner_id)
    }
    fn audit_id(&self) -> i64 {
        self.id.0
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

    /// 404 also when the programme does not exist.
    fn find(conn: &mut DbConnection, (program_id, partner_id): (ProgramId, PartnerId)) -> ApiResult<Self> {
        let (row, partner) = program_partners::table
            .inner_join(partners::table)
            .filter(program_partners::program_id.eq(program_id))
            .filter(program_partners::partner_id.eq(partner_id))
            .select((program_partners::all_columns, SUMMARY))
            .lookup::<(ProgramPartnerRow, PartnerSummary)>(conn)?
            .ok_or_else(|| ApiError::NotFound(format!("partner {partner_id} has no role in programme {program_id}")))?;
        Self::from_row(row, partner)
    }

    /// A liaison sees the partners of the programmes its own partner takes part in.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, key: (ProgramId, PartnerId)) -> ApiResult<Self> {
        Program::check_visible(conn, caller, key.0)?;
        Self::find(conn, key)
    }
}

impl Create for ProgramPartner {
    type New = CreateProgramPartner;
    type Parent = ProgramId;

    fn insert(conn: &mut DbConnection, program_id: ProgramId, new: CreateProgramPartner) -> ApiResult<Self> {
        let program = Program::find(conn, program_id)?;
        let partner = Partner::find(conn, new.partner_id)
            .map_err(|e| e.naming_field("partner_id", || format!("names no partner (id {})", new.partner_id)))?;
        let taken: i64 = program_partners::table
            .filter(program_partners::program_id.eq(program_id))
            .filter(program_partners::partner_id.eq(new.partner_id))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(ApiError::conflict(
                "duplicate",
                format!(
                    "{} already has a role in {}; change its roles with PATCH /api/v1/programs/{program_id}/partners/{}",
                    partner.code, program.code, partner.id
                ),
            ));
        }
        let now = crate::clock::now();
        let draft = ProgramPartner {
            id: ProgramPartnerId(0),
            program_id,
            partner_id: partner.id,
            partner: PartnerSummary {
                id: partner.id,
                code: partner.code,
                name: partner.name,
                name_local: partner.name_local,
                kind: partner.kind,
                country: partner.country,
            },
            roles: new.roles,
            notes: new.notes,
            shares_trainee_contacts: new.shares_trainee_contacts,
            reviews_nominations: new.reviews_nominations,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            sources: Default::default(),
            seed_key: None,
        };
        let row: ProgramPartnerRow = diesel::insert_into(program_partners::table)
            .values(draft.fields()?)
            .returning(program_partners::all_columns)
            .get_result(conn)?;
        ProgramPartner::from_row(row, draft.partner)
    }
}

impl Store for ProgramPartner {
    fn store(&self, conn: &mut DbConnection, current: &Self) -> ApiResult<Option<Self>> {
        diesel::update(
            program_partners::table
                .find(self.id)
                .filter(program_partners::version.eq(current.version)),
        )
        .set(self.fields()?)
        .returning(program_partners::all_columns)
        .get_result::<ProgramPartnerRow>(conn)
        .optional()?
        .map(|row| ProgramPartner::from_row(row, self.partner.clone()))
        .transpose()
    }
}

impl Change for ProgramPartner {
    type Change = UpdateProgramPartner;

    fn patched(&self, _: &mut DbConnection, change: UpdateProgramPartner) -> ApiResult<Self> {
        let mut next = self.clone();
        next.roles = change.roles.unwrap_or(next.roles);
        next.notes = change.notes.unwrap_or(next.notes);
        next.shares_trainee_contacts = change.shares_trainee_contacts.unwrap_or(next.shares_trainee_contacts);
        next.reviews_nominations = change.reviews_nominations.unwrap_or(next.reviews_nominations);
        Ok(next)
    }
}

impl Remove for ProgramPartner {
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(program_partners::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for ProgramPartner {
    const NOUNS: &'static str = "the programme's partner roles";
    type Filters = ProgramPartnerFilters;
    type Parent = ProgramId;

    /// By partner code.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        program_id: ProgramId,
        filters: ProgramPartnerFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Self>> {
        Program::find_visible(conn, caller, program_id)?;
        let query = || {
            let mut query = program_partners::table
                .inner_join(partners::table)
                .filter(program_partners::program_id.eq(program_id))
                .select((program_partners::all_columns, SUMMARY))
                .into_boxed();
            if let Some(role) = filters.role {
                // Roles are stored as a JSON array of names from a closed list.
                query = query.filter(program_partners::roles.like(format!("%\"{role}\"%")));
            }
            query
        };
        type Row = (ProgramPartnerRow, PartnerSummary);
        let keys = Keyset::by(list::ascending("partner_code", partners::code, |(_, p): &Row| {
            p.code.clone()
        }))
        .then(list::ascending("id", program_partners::id, |(r, _): &Row| r.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            rows.into_iter()
                .map(|(row, partner)| ProgramPartner::from_row(row, partner))
                .collect()
        })
    }
}

/// Whether a partner of `program` reviews its nominations ([`ProgramPartner::reviews_nominations`]).
pub fn nominations_reviewed(conn: &mut DbConnection, program: ProgramId) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        program_partners::table
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::reviews_nominations.eq(true)),
    ))
    .get_result(conn)?)
}

/// Whether `partner` reviews the nominations of `program`: its liaisons decide them.
pub fn reviews_nominations(conn: &mut DbConnection, partner: PartnerId, program: ProgramId) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        program_partners::table
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::partner_id.eq(partner))
            .filter(program_partners::reviews_nominations.eq(true)),
    ))
    .get_result(conn)?)
}
