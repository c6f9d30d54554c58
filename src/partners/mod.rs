//! Partners: the organisations that fund, host, run or teach in programmes, on both sides
//! (JICA, GRIPS, the INSP, Vietnam's Ministry of Home Affairs, ...).
//!
//! Types and queries live here; the HTTP handlers in [`handlers`].

pub mod handlers;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, text_enum};
use crate::schema::partners;

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
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
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
#[derive(Debug, Deserialize, Validate, ToSchema)]
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
    #[serde(default, deserialize_with = "crate::http::some")]
    #[validate(custom(function = "crate::validate::code"))]
    #[schema(nullable = false, pattern = "^[A-Z0-9_-]{2,32}$")]
    pub code: Option<String>,
    /// Name in English.
    #[serde(default, deserialize_with = "crate::http::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Name in its own language and script; `null` clears it.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 300)]
    pub name_local: Option<Option<String>>,
    /// Kind of organisation.
    #[serde(default, deserialize_with = "crate::http::some")]
    #[schema(nullable = false)]
    pub kind: Option<PartnerKind>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, deserialize_with = "crate::http::some")]
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

impl Partner {
    /// The partner with `id`, or 404.
    pub fn find(conn: &mut DbConnection, id: PartnerId) -> ApiResult<Partner> {
        partners::table
            .find(id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("partner", id))
    }

    /// Insert a new partner.
    pub fn create(conn: &mut DbConnection, new: CreatePartner) -> ApiResult<Partner> {
        let now = crate::http::now();
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
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| format!("a partner with code {} already exists", draft.code))
            })
    }

    /// This partner with `change` applied (not yet stored).
    pub fn patched(&self, change: UpdatePartner) -> Partner {
        let mut next = self.clone();
        next.code = change.code.unwrap_or(next.code);
        next.name = change.name.unwrap_or(next.name);
        next.name_local = change.name_local.unwrap_or(next.name_local);
        next.kind = change.kind.unwrap_or(next.kind);
        next.country = change.country.unwrap_or(next.country);
        next.website = change.website.unwrap_or(next.website);
        next.notes = change.notes.unwrap_or(next.notes);
        next
    }

    /// Store `next` over `self` if nobody changed it since it was read; bumps the version.
    pub fn save(&self, conn: &mut DbConnection, mut next: Partner) -> ApiResult<Partner> {
        next.version = self.version + 1;
        next.updated_at = crate::http::now();
        diesel::update(partners::table.find(self.id).filter(partners::version.eq(self.version)))
            .set(PartnerFields::of(&next))
            .returning(partners::all_columns)
            .get_result(conn)
            .optional()
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| format!("a partner with code {} already exists", next.code))
            })?
            .ok_or_else(|| ApiError::PreconditionFailed("the partner changed while this request ran; retry".to_owned()))
    }
}
