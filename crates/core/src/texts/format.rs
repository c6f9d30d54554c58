//! Dates, times and numbers as each language writes them: `20/9/2024`, `14:30` and `1.234,5` in
//! Vietnamese; `20 September 2024`, `14:30` and `1,234.5` in English. Instants are shown in
//! Vietnam's time (UTC+7, no daylight saving), where the trainees are.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::dates::{DatePrecision, PartialDate};
use crate::messages::Lang;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A day: `20/9/2024`, or `20 September 2024`.
pub fn date(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("{}/{}/{}", day.day(), day.month(), day.year()),
        Lang::En => format!("{} {} {}", day.day(), month_name(day.month()), day.year()),
    }
}

/// A date known to a day, a month (`tháng 9/2024`, `September 2024`) or a year (`2024`).
pub fn partial_date(value: &PartialDate, lang: Lang) -> String {
    let day = value.first_day;
    match (value.precision, lang) {
        (DatePrecision::Day, _) => date(day, lang),
        (DatePrecision::Month, Lang::Vi) => format!("tháng {}/{}", day.month(), day.year()),
        (DatePrecision::Month, Lang::En) => format!("{} {}", month_name(day.month()), day.year()),
        (DatePrecision::Year, _) => day.year().to_string(),
    }
}

fn month_name(month: u32) -> &'static str {
    MONTHS[usize::try_from(month.saturating_sub(1)).unwrap_or(0) % 12]
}

/// An instant stored in UTC, as the day and time it was in Vietnam: (`20/9/2024`, `14:30`).
pub fn instant(at: NaiveDateTime, lang: Lang) -> (String, String) {
    let local = at + chrono::Duration::hours(7);
    (date(local.date(), lang), local.format("%H:%M").to_string())
}

/// A number with `decimals` digits after the separator, grouped by thousands.
pub fn number(value: f64, decimals: usize, lang: Lang) -> String {
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let written = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && written.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_written_as_each_language_writes_it() {
        let day = NaiveDate::from_ymd_opt(2024, 9, 20).expect("a real day");
        assert_eq!(date(day, Lang::Vi), "20/9/2024");
        assert_eq!(date(day, Lang::En), "20 September 2024");
    }

    #[test]
    fn numbers_group_thousands_and_mark_decimals_as_each_language_does() {
        assert_eq!(number(1234.5, 1, Lang::Vi), "1.234,5");
        assert_eq!(number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(number(1_234_567.0, 0, Lang::Vi), "1.234.567");
        assert_eq!(number(-0.04, 1, Lang::En), "0.0");
        assert_eq!(number(-12.25, 2, Lang::Vi), "-12,25");
        assert_eq!(number(999.0, 0, Lang::En), "999");
    }

    #[test]
    fn an_instant_is_shown_in_vietnams_time() {
        let at = NaiveDate::from_ymd_opt(2024, 9, 20)
            .and_then(|d| d.and_hms_opt(20, 30, 0))
            .expect("a real instant");
        assert_eq!(instant(at, Lang::Vi), ("21/9/2024".to_owned(), "03:30".to_owned()));
    }
}
