//! Exchange rates (`/api/v1/exchange-rates[/{id}]`): what one unit of a currency bought in another
//! from a day on, and who published it. Each change converts again the costs it applies to, in the
//! same transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::actor::Actor;
use crate::audit::Entity;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::ExchangeRateId;
use crate::money::{Currency, Rate};
use crate::resource::list::{self, Keyset, Paging, Slice, sort_keys};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::exchange_rates;

/// A rate: from `date` on, one `base_currency` buys `rate` `quote_currency`.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = exchange_rates, treat_none_as_null = true)]
pub struct ExchangeRate {
    /// Id.
    #[diesel(skip_insertion)]
    pub id: ExchangeRateId,
    /// The currency converted from (ISO 4217).
    #[schema(value_type = String, example = "JPY")]
    pub base_currency: Currency,
    /// The currency converted to (ISO 4217): the reporting currency, for the rate to be used.
    #[schema(value_type = String, example = "VND")]
    pub quote_currency: Currency,
    /// The day it applies from; a cost uses the latest rate dated on or before its own date.
    #[serde(rename = "date")]
    pub rate_date: NaiveDate,
    /// Units of `quote_currency` one unit of `base_currency` buys, as an exact decimal string.
    #[schema(value_type = String, example = "168.5")]
    pub rate: Rate,
    /// Who published it (the State Bank of Vietnam, the funder's monthly rate).
    #[schema(example = "State Bank of Vietnam, central rate")]
    pub source: String,
    /// Free notes.
    pub note: Option<String>,
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

/// A new rate.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExchangeRate {
    /// The currency converted from (ISO 4217).
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "JPY")]
    pub base_currency: Currency,
    /// The currency converted to (ISO 4217).
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "VND")]
    pub quote_currency: Currency,
    /// The day it applies from.
    #[schema(example = "2025-03-01")]
    pub date: NaiveDate,
    /// Units of `quote_currency` one `base_currency` buys: a decimal string, at most 12 decimals.
    #[schema(value_type = String, pattern = r"^[0-9]{1,15}(\.[0-9]{1,12})?$", example = "168.5")]
    pub rate: Rate,
    /// Who published it.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300, example = "State Bank of Vietnam, central rate")]
    pub source: String,
    /// Free notes.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// A change to a rate: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExchangeRate {
    /// The day it applies from.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub date: Option<NaiveDate>,
    /// The rate.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(value_type = Option<String>, nullable = false, pattern = r"^[0-9]{1,15}(\.[0-9]{1,12})?$")]
    pub rate: Option<Rate>,
    /// Who published it.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub source: Option<String>,
    /// Free notes; `null` clears them.
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20000)]
    pub note: Option<Option<String>>,
}

sort_keys! {
    /// Orders for the rates; `-` sorts descending. Ties are broken by id, in the same direction.
    pub ExchangeRateSort = Sort<ExchangeRateOrder> { Date = "date", CreatedAt = "created_at" }
}

/// Filters for the rates.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ExchangeRateFilters {
    /// Only rates from this currency.
    #[param(value_type = Option<String>, pattern = "^[A-Z]{3}$")]
    pub base_currency: Option<Currency>,
    /// Only rates to this currency.
    #[param(value_type = Option<String>, pattern = "^[A-Z]{3}$")]
    pub quote_currency: Option<Currency>,
    /// Only rates dated on or after this day.
    pub date_from: Option<NaiveDate>,
    /// Only rates dated on or before this day.
    pub date_to: Option<NaiveDate>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<ExchangeRateSort>,
}

/// 409 naming the pair and day already holding a rate.
fn duplicate(rate: &ExchangeRate) -> String {
    format!(
        "a {} to {} rate dated {} exists already; change it (PATCH) instead",
        rate.base_currency, rate.quote_currency, rate.rate_date
    )
}

impl Record for ExchangeRate {
    type Key = ExchangeRateId;
    const ENTITY: Entity = Entity::ExchangeRate;
    const NOUN: &'static str = "exchange rate";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ExchangeRateId) -> ApiResult<ExchangeRate> {
        exchange_rates::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("exchange rate", id))
    }
}

impl Create for ExchangeRate {
    type New = CreateExchangeRate;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: CreateExchangeRate) -> ApiResult<ExchangeRate> {
        if new.base_currency == new.quote_currency {
            return Err(ApiError::invalid(
                "quote_currency",
                "same_currency",
                format!(
                    "is {}, as base_currency is: a rate converts one currency to another",
                    new.quote_currency
                ),
            ));
        }
        let now = crate::clock::now();
        let draft = ExchangeRate {
            id: ExchangeRateId(0),
            base_currency: new.base_currency,
            quote_currency: new.quote_currency,
            rate_date: new.date,
            rate: new.rate,
            source: new.source,
            note: new.note,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        diesel::insert_into(exchange_rates::table)
            .values(&draft)
            .returning(exchange_rates::all_columns)
            .get_result(conn)
            .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate(&draft)))
    }

    /// The costs dated from the new rate's day convert at it now.
    fn after_create(conn: &mut DbConnection, _: &Actor, created: &ExchangeRate) -> ApiResult<()> {
        super::conversion::reconvert(conn, created.base_currency, &[created.rate_date]).map(|_| ())
    }
}

impl Store for ExchangeRate {
    fn store(&self, conn: &mut DbConnection, current: &ExchangeRate) -> ApiResult<Option<ExchangeRate>> {
        diesel::update(
            exchange_rates::table
                .find(self.id)
                .filter(exchange_rates::version.eq(current.version)),
        )
        .set(self)
        .returning(exchange_rates::all_columns)
        .get_result(conn)
        .optional()
        .map_err(|e| ApiError::from(e).naming_duplicate(|| duplicate(self)))
    }

    /// The costs its old and new days reach convert again.
    fn after_change(
        conn: &mut DbConnection,
        _: &Actor,
        before: &ExchangeRate,
        after: ExchangeRate,
    ) -> ApiResult<ExchangeRate> {
        // Moved to another day, it stops converting the costs of its old day and converts those of its new one.
        super::conversion::reconvert(conn, after.base_currency, &[before.rate_date, after.rate_date])?;
        Ok(after)
    }
}

impl Change for ExchangeRate {
    type Change = UpdateExchangeRate;

    fn patched(&self, _: &mut DbConnection, change: UpdateExchangeRate) -> ApiResult<ExchangeRate> {
        let mut next = self.clone();
        next.rate_date = change.date.unwrap_or(next.rate_date);
        next.rate = change.rate.unwrap_or(next.rate);
        next.source = change.source.unwrap_or(next.source);
        next.note = change.note.unwrap_or(next.note);
        Ok(next)
    }
}

impl Remove for ExchangeRate {
    /// The costs it converted convert at the rate before it, or wait for one.
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(exchange_rates::table.find(self.id)).execute(conn)?;
        super::conversion::reconvert(conn, self.base_currency, &[self.rate_date]).map(|_| ())
    }
}

impl List for ExchangeRate {
    const NOUNS: &'static str = "exchange rates";
    type Filters = ExchangeRateFilters;
    type Parent = ();

    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: ExchangeRateFilters,
        paging: Paging,
    ) -> ApiResult<Slice<ExchangeRate>> {
        let query = || {
            let mut query = exchange_rates::table.into_boxed();
            if let Some(base) = filters.base_currency {
                query = query.filter(exchange_rates::base_currency.eq(base));
            }
            if let Some(quote) = filters.quote_currency {
                query = query.filter(exchange_rates::quote_currency.eq(quote));
            }
            if let Some(from) = filters.date_from {
                query = query.filter(exchange_rates::rate_date.ge(from));
            }
            if let Some(to) = filters.date_to {
                query = query.filter(exchange_rates::rate_date.le(to));
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            ExchangeRateOrder::Date => Keyset::by(sort.by(exchange_rates::rate_date, |r: &ExchangeRate| r.rate_date)),
            ExchangeRateOrder::CreatedAt => {
                Keyset::by(sort.by(exchange_rates::created_at, |r: &ExchangeRate| r.created_at))
            }
        };
        let keys = keys.then(sort.ties_by(exchange_rates::id, |r: &ExchangeRate| r.id));
        list::page(conn, query, &keys, &paging)
    }
}
