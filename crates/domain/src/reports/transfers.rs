//! Transfers abroad, for the transfer impact dossier Decree 13/2023/ND-CP asks of a controller
//! whose data is read abroad: per partner (and its country), the categories of personal data its
//! liaisons were given, how many people they concern, how many times, and over which period. Read
//! from the record of disclosures (`crate::disclosures`), so it holds what was actually given.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::AggregateExpressionMethods;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::DbConnection;
use crate::disclosures::{PersonalField, bounds, check_period, fields_of};
use crate::error::ApiResult;
use crate::ids::PartnerId;
use crate::schema::{disclosure_events, disclosures, partners};

/// Which disclosures the report covers.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams, Validate, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct TransferParams {
    /// Only this partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<PartnerId>,
    /// From this day (UTC), included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// To this day (UTC), included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

/// What one partner's liaisons were given.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferRow {
    /// The partner.
    pub partner_id: PartnerId,
    /// Its code.
    pub partner_code: String,
    /// Its name.
    pub partner_name: String,
    /// The country the data went to (the partner's, ISO 3166-1 alpha-2).
    pub country: String,
    /// The categories of personal data given, by name.
    pub categories: Vec<PersonalField>,
    /// How many people's data was given.
    pub people: i64,
    /// How many times one person's data was given (one per person per answer).
    pub disclosures: i64,
    /// The first time in the period (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_at: NaiveDateTime,
    /// The last time in the period (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_at: NaiveDateTime,
}

/// The transfers report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Transfers {
    /// When its data was read (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub data_as_of: NaiveDateTime,
    /// The filters it was read with.
    pub filters: TransferParams,
    /// One row per partner whose liaisons were given personal data in the period, by country and
    /// partner code.
    pub rows: Vec<TransferRow>,
    /// People whose data went to any partner in the period (each once).
    pub people: i64,
}

/// Disclosures of one partner with one set of fields: the partner, the fields, how many, the
/// first and the last.
type Group = (PartnerId, String, i64, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// The report for `params`.
pub fn transfers(conn: &mut DbConnection, params: TransferParams) -> ApiResult<Transfers> {
    check_period(params.from, params.to)?;
    let data_as_of = crate::clock::now();
    let (since, before) = bounds(params.from, params.to);
    // The filters, on each of the three queries below (each grouped before it is boxed): they
    // are the answers' (`disclosure_events`), each trainee of an answer a row of `disclosures`.
    macro_rules! scoped {
        ($query:expr) => {{
            let mut query = $query.into_boxed::<crate::db::MultiBackend>();
            if let Some(partner) = params.partner_id {
                query = query.filter(disclosure_events::partner_id.eq(partner));
            }
            if let Some(since) = since {
                query = query.filter(disclosure_events::occurred_at.ge(since));
            }
            if let Some(before) = before {
                query = query.filter(disclosure_events::occurred_at.lt(before));
            }
            query
        }};
    }
    let joined = || disclosures::table.inner_join(disclosure_events::table);
    // Per partner and set of fields: how often, and when first and last.
    let groups: Vec<Group> = scoped!(
        joined()
            .group_by((disclosure_events::partner_id, disclosures::fields))
            .select((
                disclosure_events::partner_id,
                disclosures::fields,
                diesel::dsl::count_star(),
                diesel::dsl::min(disclosure_events::occurred_at),
                diesel::dsl::max(disclosure_events::occurred_at),
            ))
    )
    .load(conn)?;
    let people: Vec<(PartnerId, i64)> = scoped!(joined().group_by(disclosure_events::partner_id).select((
        disclosure_events::partner_id,
        diesel::dsl::count(disclosures::trainee_id).aggregate_distinct(),
    )))
    .load(conn)?;
    let people: BTreeMap<PartnerId, i64> = people.into_iter().collect();
    let everyone: i64 =
        scoped!(joined().select(diesel::dsl::count(disclosures::trainee_id).aggregate_distinct())).first(conn)?;
    struct Sum {
        categories: BTreeSet<&'static str>,
        disclosures: i64,
        first_at: Option<NaiveDateTime>,
        last_at: Option<NaiveDateTime>,
    }
    let mut sums: BTreeMap<PartnerId, Sum> = BTreeMap::new();
    for (partner, fields, count, first, last) in groups {
        let sum = sums.entry(partner).or_insert(Sum {
            categories: BTreeSet::new(),
            disclosures: 0,
            first_at: None,
            last_at: None,
        });
        sum.categories
            .extend(fields_of(&fields).into_iter().map(PersonalField::as_str));
        sum.disclosures += count;
        sum.first_at = [sum.first_at, first].into_iter().flatten().min();
        sum.last_at = [sum.last_at, last].into_iter().flatten().max();
    }
    let ids: Vec<PartnerId> = sums.keys().copied().collect();
    let named: Vec<(PartnerId, String, String, String)> = partners::table
        .filter(partners::id.eq_any(&ids))
        .select((partners::id, partners::code, partners::name, partners::country))
        .load(conn)?;
    let named: BTreeMap<PartnerId, (String, String, String)> = named
        .into_iter()
        .map(|(id, code, name, country)| (id, (code, name, country)))
        .collect();
    let mut rows: Vec<TransferRow> = sums
        .into_iter()
        .filter_map(|(partner, sum)| {
            let (first_at, last_at) = (sum.first_at?, sum.last_at?);
            // A partner deleted since keeps its rows, named by its id.
            let (code, name, country) = named
                .get(&partner)
                .cloned()
                .unwrap_or_else(|| (partner.to_string(), String::new(), String::new()));
            Some(TransferRow {
                partner_id: partner,
                partner_code: code,
                partner_name: name,
                country,
                categories: sum.categories.iter().filter_map(|name| name.parse().ok()).collect(),
                people: people.get(&partner).copied().unwrap_or_default(),
                disclosures: sum.disclosures,
                first_at,
                last_at,
            })
        })
        .collect();
    rows.sort_by(|a, b| (&a.country, &a.partner_code).cmp(&(&b.country, &b.partner_code)));
    Ok(Transfers {
        data_as_of,
        filters: params,
        rows,
        people: everyone,
    })
}
