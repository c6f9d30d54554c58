//! Dates known only to the month or the year ("February 2024"), as the sources often give them.
//!
//! A [`PartialDate`] is written `2024-02-15`, `2024-02` or `2024`. It is stored as its first day
//! plus a [`DatePrecision`] column, so lists can sort by it, and it is always shown at its own
//! precision: the API never presents the stored first day as if it were known.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::ids::text_enum;

text_enum!(
    /// How precisely a date is known.
    DatePrecision {
        /// The day is known.
        Day,
        /// Only the month is known.
        Month,
        /// Only the year is known.
        Year,
    }
);

/// A date known to the day, the month or the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    /// The first day of the period the date names.
    pub first_day: NaiveDate,
    /// How much of it is known.
    pub precision: DatePrecision,
}

/// The years every date and instant must fall in: enough for any training record, and within
/// what every client's date parser reads (a date a time zone moves past 9999 is `+10000-01-01`,
/// which most cannot).
pub const YEARS: std::ops::RangeInclusive<i32> = FIRST_YEAR..=LAST_YEAR;

/// The first of [`YEARS`], for validator attributes that take a bound rather than a range.
pub const FIRST_YEAR: i32 = 1900;

/// The last of [`YEARS`].
pub const LAST_YEAR: i32 = 2199;

/// A JSON Schema pattern that keeps a date's or an instant's year in [`YEARS`].
pub const YEARS_PATTERN: &str = "^(19|20|21)[0-9]{2}-";

/// The JSON Schema pattern of a [`PartialDate`].
pub const PATTERN: &str = r"^(19|20|21)[0-9]{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$";

/// The problem with text that starts as a date or an instant does (`2024-05-01`,
/// `+10000-01-01T00:00:00Z`) when its year is outside [`YEARS`]; `None` for any other text.
pub fn year_out_of_range(text: &str) -> Option<String> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
    let rest = unsigned.get(digits..)?;
    let shaped = rest.len() >= 6
        && rest.as_bytes()[0] == b'-'
        && rest.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
        && rest.as_bytes()[3] == b'-'
        && rest.as_bytes()[4..6].iter().all(u8::is_ascii_digit);
    if digits < 4 || !shaped {
        return None;
    }
    let year = unsigned[..digits]
        .parse::<i64>()
        .ok()
        .map(|y| if text.starts_with('-') { -y } else { y });
    let inside = year.is_some_and(|y| y >= i64::from(*YEARS.start()) && y <= i64::from(*YEARS.end()));
    (!inside).then(|| {
        format!(
            "`{text}` is outside the years {} to {} that dates and instants may have",
            YEARS.start(),
            YEARS.end()
        )
    })
}

/// Validator for a [`PartialDate`] sent as text: request bodies take dates as strings and check
/// them here, so that a date that does not exist (`2024-02-30`) is a 422 naming the field rather
/// than a body that cannot be parsed.
pub fn valid(value: &str) -> Result<(), validator::ValidationError> {
    value
        .parse::<PartialDate>()
        .map(|_| ())
        .map_err(|message| validator::ValidationError::new("invalid_date").with_message(message.into()))
}

/// A date field of a request, checked by [`valid`], as a [`PartialDate`].
pub fn parse_field(field: &str, value: Option<&str>) -> Result<Option<PartialDate>, crate::error::ApiError> {
    value
        .map(|v| v.parse::<PartialDate>())
        .transpose()
        .map_err(|message| crate::error::ApiError::invalid(field, "invalid_date", message))
}

impl PartialDate {
    /// A date known to the day.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            first_day: date,
            precision: DatePrecision::Day,
        }
    }

    /// From its stored columns.
    pub fn from_columns(first_day: NaiveDate, precision: DatePrecision) -> Self {
        Self { first_day, precision }
    }

    /// The last day of the period the date names (itself for a day).
    pub fn last_day(&self) -> NaiveDate {
        let d = self.first_day;
        let next = match self.precision {
            DatePrecision::Day => return d,
            DatePrecision::Month if d.month() == 12 => NaiveDate::from_ymd_opt(d.year() + 1, 1, 1),
            DatePrecision::Month => NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1),
            DatePrecision::Year => NaiveDate::from_ymd_opt(d.year() + 1, 1, 1),
        };
        next.and_then(|n| n.pred_opt()).unwrap_or(d)
    }

    /// Whether a period could end before this one starts (`end` is certainly earlier).
    pub fn certainly_after(&self, end: &PartialDate) -> bool {
        end.last_day() < self.first_day
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            DatePrecision::Day => write!(f, "{}", self.first_day.format("%Y-%m-%d")),
            DatePrecision::Month => write!(f, "{}", self.first_day.format("%Y-%m")),
            DatePrecision::Year => write!(f, "{}", self.first_day.format("%Y")),
        }
    }
}

impl FromStr for PartialDate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a date: write YYYY-MM-DD, YYYY-MM or YYYY");
        let parts: Vec<&str> = s.split('-').collect();
        let number = |p: &str, len: usize| -> Result<u32, String> {
            if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day, precision) = match parts.as_slice() {
            [y] => (number(y, 4)?, 1, 1, DatePrecision::Year),
            [y, m] => (number(y, 4)?, number(m, 2)?, 1, DatePrecision::Month),
            [y, m, d] => (number(y, 4)?, number(m, 2)?, number(d, 2)?, DatePrecision::Day),
            _ => return Err(bad()),
        };
        let year = i32::try_from(year).map_err(|_| bad())?;
        if !YEARS.contains(&year) {
            return Err(format!(
                "`{s}` is outside the years {} to {} that dates may have",
                YEARS.start(),
                YEARS.end()
            ));
        }
        let first_day = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| format!("`{s}` is not a real date"))?;
        Ok(Self { first_day, precision })
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for PartialDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(PATTERN))
            .description(Some(
                "A date known to the day (`2024-02-15`), the month (`2024-02`) or the year (`2024`).",
            ))
            .examples([serde_json::json!("2024-02")])
            .into()
    }
}

impl utoipa::ToSchema for PartialDate {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants_past_the_years_a_client_reads_are_named() {
        for far in [
            "+10000-01-01T00:00:00Z",
            "10000-01-01",
            "2200-01-01",
            "1899-12-31T23:00:00+07:00",
            "-0001-01-01",
        ] {
            assert!(year_out_of_range(far).is_some(), "{far}");
        }
        for near_or_not_a_date in [
            "2199-12-31T23:59:59Z",
            "1900-01-01",
            "2024-05",
            "2024",
            "+84 24 3825",
            "Khóa 2019-2020",
        ] {
            assert_eq!(year_out_of_range(near_or_not_a_date), None, "{near_or_not_a_date}");
        }
        assert!("2200".parse::<PartialDate>().is_err() && "1899-05".parse::<PartialDate>().is_err());
    }

    #[test]
    fn a_month_is_shown_as_a_month_and_ends_on_its_last_day() {
        let feb: PartialDate = "2024-02".parse().expect("a month");
        assert_eq!(feb.to_string(), "2024-02");
        assert_eq!(feb.precision, DatePrecision::Month);
        assert_eq!(feb.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).expect("leap day"));
        let dec: PartialDate = "2023-12".parse().expect("a month");
        assert_eq!(dec.last_day(), NaiveDate::from_ymd_opt(2023, 12, 31).expect("a day"));
    }

    #[test]
    fn days_years_and_nonsense_are_told_apart() {
        assert_eq!(
            "2022-09-26".parse::<PartialDate>().map(|d| d.precision),
            Ok(DatePrecision::Day)
        );
        assert_eq!(
            "2016".parse::<PartialDate>().map(|d| d.to_string()),
            Ok("2016".to_owned())
        );
        for bad in [
            "2024-2",
            "2024-02-30",
            "24-02",
            "2024-13",
            "",
            "2024-02-01T00:00",
            "２０２４",
        ] {
            assert!(bad.parse::<PartialDate>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn an_end_in_the_same_month_as_a_dated_start_is_not_before_it() {
        let start: PartialDate = "2024-02-10".parse().expect("a day");
        let end: PartialDate = "2024-02".parse().expect("a month");
        assert!(!start.certainly_after(&end));
        let earlier: PartialDate = "2024-01".parse().expect("a month");
        assert!(start.certainly_after(&earlier));
    }
}
