//! Partners: the organisations that fund, host, run or teach in programmes, on both sides
//! (JICA, GRIPS, the INSP, Vietnam's Ministry of Home Affairs, ...).
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

mod input;

pub use input::{CreatePartner, PartnerFilters, PartnerOrder, PartnerSort, UpdatePartner};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{contacts, partners, program_partners, sessions, users};

text_enum!(
    /// What kind of organisation a partner is.
    PartnerKind {
        /// A ministry (Vietnam's Ministry of Home Affairs, ...).
        GovernmentMinistry,
        /// An agency or department of government.
        GovernmentAgency,
        /// A development-cooperation agency (JICA, AFD, ...).
        DevelopmentAgency,
        /// A university (GRIPS, ...).
        University,
        /// A school or institute that trains public servants (INSP, ...).
        TrainingInstitute,
        /// A province, city or prefecture.
        LocalGovernment,
        /// An association or foundation.
        Association,
        /// A company.
        Company,
        /// Anything else.
        Other,
    }
);

/// A partner organisation.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = partners, treat_none_as_null = true)]
pub struct Partner {
    /// Id.
    #[diesel(skip_insertion)]
    pub id: PartnerId,
    /// Unique short code, e.g. `JICA`.
    #[schema(example = "JICA")]
    pub code: String,
    /// Name in English.
    #[schema(example = "Japan International Cooperation Agency")]
    pub name: String,
    /// Name in the organisation's own language and script.
    #[schema(example = "国際協力機構")]
    pub name_local: Option<String>,
    /// Kind of organisation.
    pub kind: PartnerKind,
    /// ISO 3166-1 alpha-2 country code.
    #[schema(example = "JP")]
    pub country: String,
    /// Web site.
    pub website: Option<String>,
    /// Free notes, the department's own: `null` to a liaison reading its partner.
    pub notes: Option<String>,
    #[serde(skip)]
    pub(crate) search_text: String,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match` to avoid overwriting others.
    pub version: i32,
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    #[schema(example = "003_f763ceca04e3ab24.txt")]
    #[diesel(skip_update)]
    pub source: Option<String>,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    #[diesel(skip_update)]
    pub(crate) seed_key: Option<String>,
    /// What the seed file last said of this record.
    #[serde(skip)]
    #[diesel(skip_update)]
    pub(crate) seed_data: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[diesel(deserialize_as = Option<String>)]
    #[diesel(skip_insertion)]
    #[diesel(skip_update)]
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
}

impl Partner {
    /// This partner with its search column matching its code and names.
    fn searchable(mut self) -> Partner {
        self.search_text =
            crate::text::search_text([Some(self.code.as_str()), Some(&self.name), self.name_local.as_deref()]);
        self
    }
}

fn duplicate_code(code: &str) -> String {
    format!("a partner with code {code} already exists")
}

impl Record for Partner {
    type Key = PartnerId;
    const ENTITY: Entity = Entity::Partner;
    const NOUN: &'static str = "partner";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: PartnerId) -> ApiResult<Partner> {
        partners::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("partner", id))
    }

    /// A liaison sees its own partner, and no other (404, as if it did not exist). Of its own
    /// it does not read `notes`: they are the department's own notes about the partner.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: PartnerId) -> ApiResult<Partner> {
        match caller.liaison_partner() {
            None => Self::find(conn, id),
            Some(own) if own == id => Ok(Partner {
                notes: None,
                ..Self::find(conn, id)?
            }),
            Some(_) => Err(ApiError::not_found("partner", id)),
        }
    }
}

impl Create for Partner {
    type New = CreatePartner;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: CreatePartner) -> ApiResult<Partner> {
        let now = crate::clock::now();
        let draft = Partner {
            id: PartnerId(0),
            code: new.code,
            name: new.name,
            name_local: new.name_local,
            kind: new.kind,
            country: new.country,
            website: new.website,
            notes: new.notes,
            search_text: String::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            seed_key: None,
            seed_data: None,
            sources: Default::default(),
        }
        .searchable();
        diesel::insert_into(partners::table)
            .values(&draft)
            .returning(partners::all_columns)
            .get_result(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&draft.code)))
    }
}

impl Store for Partner {
    fn store(&self, conn: &mut DbConnection, current: &Partner) -> ApiResult<Option<Partner>> {
        diesel::update(
            partners::table
                .find(self.id)
                .filter(partners::version.eq(current.version)),
        )
        .set(self)
        .returning(partners::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&self.code)))
    }
}

impl Change for Partner {
    type Change = UpdatePartner;

    fn patched(&self, _: &mut DbConnection, change: UpdatePartner) -> ApiResult<Partner> {
        let mut next = self.clone();
        next.code = change.code.unwrap_or(next.code);
        next.name = change.name.unwrap_or(next.name);
        next.name_local = change.name_local.unwrap_or(next.name_local);
        next.kind = change.kind.unwrap_or(next.kind);
        next.country = change.country.unwrap_or(next.country);
        next.website = change.website.unwrap_or(next.website);
        next.notes = change.notes.unwrap_or(next.notes);
        Ok(next.searchable())
    }
}

impl Remove for Partner {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let programmes: i64 = program_partners::table
            .filter(program_partners::partner_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if programmes > 0 {
            return Ok(Some(format!(
                "partner {} takes part in {programmes} programme(s); remove it from them first",
                self.code
            )));
        }
        let people: i64 = contacts::table
            .filter(contacts::partner_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if people > 0 {
            return Ok(Some(format!(
                "partner {} has {people} contact(s); delete them or move them to another partner first",
                self.code
            )));
        }
        let accounts: i64 = users::table
            .filter(users::partner_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if accounts > 0 {
            return Ok(Some(format!(
                "partner {} has {accounts} liaison account(s), active or not; move them to another partner or give them another role first",
                self.code
            )));
        }
        let talks: i64 = sessions::table
            .filter(sessions::speaker_partner_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((talks > 0).then(|| {
            format!(
                "partner {} is named as the speaker's organisation of {talks} session(s); change those first",
                self.code
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(partners::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Partner {
    const NOUNS: &'static str = "partners";
    type Filters = PartnerFilters;
    type Parent = ();

    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: PartnerFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Partner>> {
        let query = || {
            let mut query = partners::table.into_boxed();
            for pattern in crate::text::word_patterns(filters.q.as_deref().unwrap_or_default()) {
                query = query.filter(partners::search_text.like(pattern).escape('\\'));
            }
            if let Some(kind) = filters.kind {
                query = query.filter(partners::kind.eq(kind));
            }
            if let Some(country) = &filters.country {
                query = query.filter(partners::country.eq(country.to_uppercase()));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    partners::source.eq(source.clone()).or(partners::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            if let Some(program_id) = filters.program_id {
                let taking_part = program_partners::table
                    .filter(program_partners::program_id.eq(program_id))
                    .select(program_partners::partner_id);
                query = query.filter(partners::id.eq_any(taking_part));
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            PartnerOrder::Code => Keyset::by(sort.by(partners::code, |p: &Partner| p.code.clone())),
            PartnerOrder::Name => Keyset::by(sort.by(partners::name, |p: &Partner| p.name.clone())),
            PartnerOrder::Country => Keyset::by(sort.by(partners::country, |p: &Partner| p.country.clone())),
            PartnerOrder::CreatedAt => Keyset::by(sort.by(partners::created_at, |p: &Partner| p.created_at)),
        };
        let keys = keys.then(sort.ties_by(partners::id, |p: &Partner| p.id));
        list::page(conn, query, &keys, &paging)
    }
}
