//! Partners: the organisations that fund, host, run or teach in programmes, on both sides
//! (JICA, GRIPS, the INSP, Vietnam's Ministry of Home Affairs, ...).
//!
//! Types, rules and queries; served by the standard operations of [`crate::http::crud`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::Entity;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, ProgramId, text_enum};
use crate::resource::list::{self, Paging, sort_keys};
use crate::resource::{Change, Create, List, Record, Remove, keyed_by_id};
use crate::schema::{partners, program_partners, sessions};

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
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, ToSchema)]
pub struct Partner {
    /// Id.
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
    /// Free notes.
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
    pub source: Option<String>,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
    /// What the seed file last said of this record.
    #[serde(skip)]
    pub(crate) seed_data: Option<String>,
}

/// A new partner.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartner {
    /// Unique short code.
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(pattern = "^[A-Z0-9_-]{2,32}$", example = "JICA")]
    pub code: String,
    /// Name in English.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "Japan International Cooperation Agency")]
    pub name: String,
    /// Name in its own language and script.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "国際協力機構")]
    pub name_local: Option<String>,
    /// Kind of organisation.
    pub kind: PartnerKind,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "JP")]
    pub country: String,
    /// Web site (http or https).
    #[validate(custom(function = "crate::validate::web_url"))]
    #[schema(max_length = 2048, example = "https://www.jica.go.jp/")]
    pub website: Option<String>,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: Option<String>,
}

/// A change to a partner: only the fields given change; `null` clears a field that may be empty.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartner {
    /// Unique short code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub code: Option<String>,
    /// Name in English.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Name in its own language and script; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub name_local: Option<Option<String>>,
    /// Kind of organisation.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub kind: Option<PartnerKind>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::country"))]
    #[schema(nullable = false, pattern = "^[A-Z]{2}$")]
    pub country: Option<String>,
    /// Web site; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::web_url"))]
    #[schema(value_type = Option<String>, max_length = 2048)]
    pub website: Option<Option<String>>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub notes: Option<Option<String>>,
}

/// Every stored column but the id, for inserts and whole-row updates.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = partners, treat_none_as_null = true)]
struct PartnerFields {
    code: String,
    name: String,
    name_local: Option<String>,
    kind: PartnerKind,
    country: String,
    website: Option<String>,
    notes: Option<String>,
    search_text: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl PartnerFields {
    fn of(p: &Partner) -> Self {
        Self {
            code: p.code.clone(),
            name: p.name.clone(),
            name_local: p.name_local.clone(),
            kind: p.kind,
            country: p.country.clone(),
            website: p.website.clone(),
            notes: p.notes.clone(),
            search_text: crate::text::search_text([Some(p.code.as_str()), Some(&p.name), p.name_local.as_deref()]),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

sort_keys! {
    /// Orders for the partner list; `-` sorts descending. Ties are broken by id.
    pub PartnerSort = Sort<PartnerOrder> { Code = "code", Name = "name", Country = "country", CreatedAt = "created_at" }
}

/// Filters for the partner list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PartnerFilters {
    /// Finds code, English or local name, ignoring case and Vietnamese diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this kind of organisation.
    pub kind: Option<PartnerKind>,
    /// Only partners from this country (ISO 3166-1 alpha-2).
    #[param(max_length = 2, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 2))]
    pub country: Option<String>,
    /// Only partners seeded from this source document (a file name such as
    /// `003_f763ceca04e3ab24.txt`).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub source: Option<String>,
    /// Only partners taking part in this programme.
    pub program_id: Option<ProgramId>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<PartnerSort>,
}

fn duplicate_code(code: &str) -> String {
    format!("a partner with code {code} already exists")
}

impl Record for Partner {
    type Key = PartnerId;
    const ENTITY: Entity = Entity::Partner;
    const NOUN: &'static str = "partner";
    const NOUNS: &'static str = "partners";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: PartnerId) -> ApiResult<Partner> {
        partners::table
            .find(id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("partner", id))
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
        };
        diesel::insert_into(partners::table)
            .values(PartnerFields::of(&draft))
            .returning(partners::all_columns)
            .get_result(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&draft.code)))
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
        Ok(next)
    }

    fn store(&self, conn: &mut DbConnection, current: &Partner) -> ApiResult<Option<Partner>> {
        diesel::update(
            partners::table
                .find(self.id)
                .filter(partners::version.eq(current.version)),
        )
        .set(PartnerFields::of(self))
        .returning(partners::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate_code(&self.code)))
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
    type Filters = PartnerFilters;
    type Parent = ();

    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: PartnerFilters,
        paging: Paging,
    ) -> ApiResult<(Vec<Partner>, i64)> {
        let query = || {
            let mut query = partners::table.into_boxed();
            if let Some(q) = &filters.q {
                query = query.filter(
                    partners::search_text
                        .like(crate::text::contains_pattern(q))
                        .escape('\\'),
                );
            }
            if let Some(kind) = filters.kind {
                query = query.filter(partners::kind.eq(kind));
            }
            if let Some(country) = &filters.country {
                query = query.filter(partners::country.eq(country.to_uppercase()));
            }
            if let Some(source) = &filters.source {
                query = query.filter(partners::source.eq(source.clone()));
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
        let order = match sort.key {
            PartnerOrder::Code => sort.by(partners::code),
            PartnerOrder::Name => sort.by(partners::name),
            PartnerOrder::Country => sort.by(partners::country),
            PartnerOrder::CreatedAt => sort.by(partners::created_at),
        };
        list::page(conn, query, [order, Box::new(partners::id.asc())], paging)
    }
}
