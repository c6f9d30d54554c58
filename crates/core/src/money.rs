//! Exact money: ISO 4217 currencies, amounts as integer counts of a currency's minor unit, the
//! decimal strings amounts travel as, amounts as people type them, and exchange rates.
//!
//! No float appears anywhere: `0.1 + 0.2 != 0.3` in binary floating point, and JavaScript clients
//! lose digits of JSON numbers above 2^53, so an amount is an `i64` of minor units (VND 0 decimals,
//! USD 2, KWD 3) in storage and a decimal string ("1250000", "1250.50") in JSON. A rate is an exact
//! decimal, and a conversion is rounded once, at the end, by [`ROUNDING`].

use std::fmt;

/// The rounding rule of every conversion, stated once so that reports can quote it.
pub const ROUNDING: &str = "half away from zero, once per converted amount, to the reporting currency's minor unit";

/// An ISO 4217 currency with a minor unit (VND, USD, KWD, …), stored and sent as its code.
///
/// Codes without a minor unit (gold `XAU`, special drawing rights `XDR`, `XXX`) are refused, since
/// an amount in them could not be counted in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The Vietnamese đồng (no minor unit).
    pub const VND: Currency = Currency(iso_currency::Currency::VND);
    /// The United States dollar (2 decimals).
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    /// The euro (2 decimals).
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    /// The Japanese yen (no minor unit).
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);

    /// Parses a three-letter code, upper or lower case, ignoring surrounding spaces.
    ///
    /// The error names the problem: "`XYZ` is not an ISO 4217 currency code".
    pub fn parse(code: &str) -> Result<Currency, String> {
        let trimmed = code.trim();
        if trimmed.is_empty() {
            return Err("no currency: write an ISO 4217 code such as `VND` or `USD`".to_owned());
        }
        if trimmed.len() != 3 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!(
                "`{}` is not an ISO 4217 currency code: write three letters such as `VND` or `USD`",
                shown(trimmed)
            ));
        }
        let upper = trimmed.to_ascii_uppercase();
        let currency = iso_currency::Currency::from_code(&upper)
            .ok_or_else(|| format!("`{upper}` is not an ISO 4217 currency code"))?;
        if currency.exponent().is_none() {
            return Err(format!(
                "`{upper}` has no minor unit (it is a metal, a unit of account or a code for no currency): \
                 amounts in it cannot be counted; use a currency such as `VND` or `USD`"
            ));
        }
        Ok(Currency(currency))
    }

    /// The upper-case ISO 4217 code ("VND").
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point (VND 0, JPY 0, USD 2, EUR 2, KWD 3).
    pub fn exponent(self) -> u32 {
        // `parse` refuses codes without an exponent and the constants all have one, so the
        // default is never taken.
        self.0.exponent().map_or(0, u32::from)
    }

    /// The English name ("Vietnamese đồng"), for labels in reports.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// `10^exponent`: how many minor units make one major unit.
    fn scale(self) -> i128 {
        10_i128.pow(self.exponent())
    }

    /// Whether `marker`, written next to an amount, names this currency: its code in any case, its
    /// symbol, or a spelling people use for it ("đ" for the đồng, "US$").
    fn is_named_by(self, marker: &str) -> bool {
        if marker.eq_ignore_ascii_case(self.code()) || marker == self.0.symbol().symbol {
            return true;
        }
        match self.0 {
            iso_currency::Currency::VND => matches!(marker, "đ" | "Đ" | "₫"),
            iso_currency::Currency::USD => marker.eq_ignore_ascii_case("US$"),
            _ => false,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some(
                "An ISO 4217 currency code with a minor unit (`VND`, `USD`, `EUR`, `JPY`).",
            ))
            .examples([serde_json::json!("VND")])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

// Generic over the backend, as `text_enum!` does, so that one impl serves SQLite, PostgreSQL and
// the `MultiBackend` of a `MultiConnection` (whose derive provides `str: ToSql<Text, _>`).
impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Currency
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        self.code().to_sql(out)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Currency
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        Currency::parse(&text).map_err(|problem| format!("currency in the database: {problem}").into())
    }
}

/// Why an amount was refused. The message names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing, or only spaces, a sign or a currency.
    Empty {
        /// The currency the amount was meant in.
        currency: Currency,
    },
    /// Not shaped like an amount.
    Malformed {
        /// The text (shortened when long).
        text: String,
        /// What is wrong and how to write it.
        problem: String,
    },
    /// More decimals than the currency has.
    TooManyDecimals {
        /// The currency the amount was meant in.
        currency: Currency,
    },
    /// More than `i64::MAX` minor units either way.
    TooLarge {
        /// The currency the amount was meant in.
        currency: Currency,
    },
    /// Digits between separators that are not groups of three ("1.25.000", "12,50,000").
    Grouping {
        /// The text (shortened when long).
        text: String,
    },
    /// A single separator followed by three digits in a currency with three decimals: thousands
    /// or decimals, no one can tell.
    Ambiguous {
        /// The text (shortened when long).
        text: String,
        /// The currency the amount was meant in.
        currency: Currency,
    },
    /// A currency code or symbol next to the amount that is not the amount's currency.
    WrongCurrency {
        /// The code or symbol written.
        marker: String,
        /// The currency the amount was meant in.
        currency: Currency,
    },
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Empty { currency } => {
                write!(f, "no amount: write one such as \"{}\"", example(*currency))
            }
            AmountError::Malformed { text, problem } => write!(f, "`{text}` is not an amount: {problem}"),
            AmountError::TooManyDecimals { currency } if currency.exponent() == 0 => write!(
                f,
                "{currency} has no minor unit: write a whole number such as \"{}\"",
                example(*currency)
            ),
            AmountError::TooManyDecimals { currency } => {
                let exponent = currency.exponent();
                let plural = if exponent == 1 { "" } else { "s" };
                write!(f, "{currency} takes at most {exponent} decimal{plural}")
            }
            AmountError::TooLarge { currency } => {
                write!(
                    f,
                    "too large: at most {} {currency}",
                    format_amount(i64::MAX, *currency)
                )
            }
            AmountError::Grouping { text } => write!(
                f,
                "`{text}` is not an amount: digits between grouping separators come in threes \
                 (\"1.250.000\", \"1,250,000\"), or write the digits alone (\"1250000\")"
            ),
            AmountError::Ambiguous { text, currency } => write!(
                f,
                "`{text}` is ambiguous in {currency}, which has {} decimals: the separator could group \
                 thousands or start the decimals; write thousands without grouping (\"1250\") or give both \
                 separators (\"1,250.000\")",
                currency.exponent()
            ),
            AmountError::WrongCurrency { marker, currency } => write!(
                f,
                "`{marker}` is not {currency}: write the amount in {currency}, with its code, its symbol or \
                 neither"
            ),
        }
    }
}

impl std::error::Error for AmountError {}

/// An amount the way the API writes it in `currency`, for messages ("1250000", "1250.50").
fn example(currency: Currency) -> String {
    match currency.exponent() {
        0 => "1250000".to_owned(),
        exponent => format!("1250.5{}", "0".repeat(exponent as usize - 1)),
    }
}

/// `text` as quoted in a message: long input is cut so that an error never echoes a megabyte.
fn shown(text: &str) -> String {
    const LONGEST: usize = 40;
    if text.chars().count() > LONGEST {
        format!("{}…", text.chars().take(LONGEST).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn malformed(text: &str, problem: impl Into<String>) -> AmountError {
    AmountError::Malformed {
        text: shown(text),
        problem: problem.into(),
    }
}

/// Minor units from the digits before and after the decimal point (both only ASCII digits,
/// `whole` not empty). Counted in `i128` with checks, so that a thousand-digit amount is "too
/// large" rather than a wrap-around.
fn to_minor(negative: bool, whole: &str, decimals: &str, currency: Currency) -> Result<i64, AmountError> {
    let exponent = currency.exponent() as usize;
    if decimals.len() > exponent {
        return Err(AmountError::TooManyDecimals { currency });
    }
    let too_large = AmountError::TooLarge { currency };
    let mut minor: i128 = 0;
    for digit in whole.bytes().chain(decimals.bytes()) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(digit - b'0')))
            .ok_or_else(|| too_large.clone())?;
    }
    // `decimals.len() <= exponent <= 4`, so the power is small.
    minor = minor
        .checked_mul(10_i128.pow((exponent - decimals.len()) as u32))
        .ok_or_else(|| too_large.clone())?;
    // Symmetric bounds (not down to `i64::MIN`), so that negating a stored amount never overflows.
    if minor > i128::from(i64::MAX) {
        return Err(too_large);
    }
    let minor = i64::try_from(minor).map_err(|_| too_large)?;
    Ok(if negative { -minor } else { minor })
}

/// Parses an amount written the API's way: an optional `-`, digits, and optionally `.` followed by
/// at most [`Currency::exponent`] digits ("1250000" VND, "1250.5" or "-0.05" USD). No grouping, no
/// exponent, no `+`, no spaces inside (spaces around are ignored). Returns the count of minor units,
/// within `±i64::MAX`.
pub fn parse_amount(text: &str, currency: Currency) -> Result<i64, AmountError> {
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if unsigned.is_empty() {
        return Err(AmountError::Empty { currency });
    }
    let example = example(currency);
    if let Some(bad) = unsigned.chars().find(|c| !c.is_ascii_digit() && *c != '.') {
        let problem = match bad {
            c if c.is_whitespace() => format!("no spaces inside an amount: write \"{example}\""),
            ',' => format!(
                "no grouping and no ',' for decimals: write digits with '.' before the decimals, as \"{example}\""
            ),
            'e' | 'E' => format!("no exponent: write all the digits, as \"{example}\""),
            '+' => "no '+': write the digits alone, or '-' in front of a negative amount".to_owned(),
            '-' => "a '-' goes only in front of the digits".to_owned(),
            _ => format!("only digits, a '-' in front and one '.' before the decimals, as \"{example}\""),
        };
        return Err(malformed(trimmed, problem));
    }
    let (whole, decimals) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if decimals.contains('.') {
        return Err(malformed(
            trimmed,
            format!("one '.' at most, before the decimals, as \"{example}\""),
        ));
    }
    if whole.is_empty() || (unsigned.contains('.') && decimals.is_empty()) {
        return Err(malformed(
            trimmed,
            format!("write digits on both sides of the '.', as \"{example}\""),
        ));
    }
    to_minor(negative, whole, decimals, currency)
}

/// Formats minor units as the decimal string the API sends: exactly [`Currency::exponent`]
/// decimals ("1250000" VND, "1250.50" USD, "-0.05" USD). [`parse_amount`] reads it back.
pub fn format_amount(minor: i64, currency: Currency) -> String {
    decimal(minor, currency.exponent())
}

/// `minor` units with `exponent` decimals as an exact decimal string (`decimal(125050, 2)` is
/// "1250.50"): what [`format_amount`] writes, for a table cell that knows only the exponent.
pub fn decimal(minor: i64, exponent: u32) -> String {
    Amount::new(minor, exponent).to_string()
}

/// An exact amount: minor units and how many decimals make one unit. It displays, and serialises,
/// as [`decimal`]'s string without building one, so that a report of thousands of lines writes
/// its amounts straight into the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    minor: i64,
    exponent: u32,
}

impl Amount {
    /// `minor` units of a currency with `exponent` decimals.
    pub fn new(minor: i64, exponent: u32) -> Amount {
        Amount { minor, exponent }
    }

    /// `minor` units of `currency`.
    pub fn of(minor: i64, currency: Currency) -> Amount {
        Amount::new(minor, currency.exponent())
    }

    /// The amount in minor units.
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// How many decimals make one unit.
    pub fn exponent(self) -> u32 {
        self.exponent
    }

    /// The amount as an exact decimal, written from its last digit back into `buf`: no
    /// formatter machinery, as a report of tens of thousands of lines writes it five to eight
    /// times a line. Decimals past 40 (no currency has more than 4) are not written.
    fn text(self, buf: &mut [u8; 48]) -> &str {
        let exponent = usize::try_from(self.exponent).map_or(40, |e| e.min(40));
        let mut magnitude = self.minor.unsigned_abs();
        let (mut at, mut digits) = (buf.len(), 0);
        // At least one digit before the point: 5 with 2 decimals is "0.05".
        while digits <= exponent || magnitude > 0 {
            if exponent > 0 && digits == exponent {
                at -= 1;
                buf[at] = b'.';
            }
            at -= 1;
            buf[at] = b"0123456789"[usize::try_from(magnitude % 10).unwrap_or_default()];
            magnitude /= 10;
            digits += 1;
        }
        if self.minor < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        // Only ASCII digits, a point and a sign were written.
        std::str::from_utf8(&buf[at..]).unwrap_or_default()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text(&mut [0; 48]))
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text(&mut [0; 48]))
    }
}

/// Spaces that group digits: the plain space, and the no-break and thin spaces that word
/// processors and French or Vietnamese spreadsheets put there.
fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// What groups the digits of a localised amount.
#[derive(Clone, Copy)]
enum Group {
    None,
    Spaces,
    Mark(char),
}

impl Group {
    fn matches(self, c: char) -> bool {
        match self {
            Group::None => false,
            Group::Spaces => is_group_space(c),
            Group::Mark(mark) => c == mark,
        }
    }
}

/// Splits off the sign and a currency code or symbol written before or after the number
/// ("-$1,250.00", "1.250.000 ₫", "VND 1,250,000"), checking that the code or symbol is `currency`.
fn strip_sign_and_marker(text: &str, currency: Currency) -> Result<(bool, &str), AmountError> {
    let is_minus = |c: char| c == '-' || c == '\u{2212}';
    let is_marker = |c: char| !c.is_ascii_digit() && !c.is_whitespace() && !is_minus(c) && c != '.' && c != ',';
    let mut rest = text.trim();
    let mut negative = false;
    if let Some(after) = rest.strip_prefix(is_minus) {
        negative = true;
        rest = after.trim_start();
    }
    let leading_end = rest.find(|c: char| !is_marker(c)).unwrap_or(rest.len());
    let (leading, after) = rest.split_at(leading_end);
    rest = after.trim_start();
    if !negative && let Some(after) = rest.strip_prefix(is_minus) {
        negative = true;
        rest = after.trim_start();
    }
    let trailing_start = rest.rfind(|c: char| !is_marker(c)).map_or(0, |i| {
        // The byte after the last non-marker character (which may be more than one byte long).
        i + rest[i..].chars().next().map_or(1, char::len_utf8)
    });
    let (before, trailing) = rest.split_at(trailing_start);
    rest = before.trim_end();
    if !leading.is_empty() && !trailing.is_empty() {
        return Err(malformed(
            text.trim(),
            "write the currency once, before or after the number, or not at all",
        ));
    }
    for marker in [leading, trailing] {
        if !marker.is_empty() && !currency.is_named_by(marker) {
            return Err(AmountError::WrongCurrency {
                marker: shown(marker),
                currency,
            });
        }
    }
    Ok((negative, rest))
}

/// Parses an amount as people and spreadsheets write it in Vietnamese or English locales:
/// "1.250.000", "1,250,000", "1 250 000", "1,250,000.00", "1.250.000,50", "1250000", with an
/// optional currency code or symbol ("₫", "đ", "VND", "$", "€", "¥") before or after, an optional
/// `-` in front, and spaces around.
///
/// Which separator is which:
/// - when both `.` and `,` appear, the last one starts the decimals and the other groups;
/// - when one of them appears more than once, it groups;
/// - when spaces group, a single `.` or `,` starts the decimals;
/// - a single separator between one to three digits and exactly three digits groups when the
///   currency has fewer than three decimals (VND "1.250" is 1250, USD "1,250" is 1250.00), and is
///   refused as ambiguous when it has three or more (KWD "1,250"; "1250,500" is not ambiguous);
/// - otherwise a single separator starts the decimals (USD "1,5" is 1.50).
///
/// Groups after the first are three digits; the first is one to three and does not start with 0.
/// Decimals beyond the currency's exponent are accepted only when they are zeros (VND
/// "1.250.000,00"), since spreadsheets pad them.
pub fn parse_localised(text: &str, currency: Currency) -> Result<i64, AmountError> {
    let (negative, body) = strip_sign_and_marker(text, currency)?;
    let quoted = text.trim();
    if body.is_empty() {
        return Err(AmountError::Empty { currency });
    }
    if body
        .chars()
        .any(|c| !c.is_ascii_digit() && c != '.' && c != ',' && !is_group_space(c))
    {
        return Err(malformed(
            quoted,
            "only digits, '.', ',' or spaces between groups, a '-' in front and the currency's code or symbol",
        ));
    }
    let spaces = body.chars().any(is_group_space);
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let mixed = || {
        malformed(
            quoted,
            "group the digits with one kind of separator: spaces, '.' or ','",
        )
    };
    let (group, decimal) = match (dots, commas) {
        (0, 0) => (if spaces { Group::Spaces } else { Group::None }, None),
        (_, _) if dots > 0 && commas > 0 => {
            // Both appear: the last one starts the decimals.
            let (mark, other, count) = match body.rfind(['.', ',']).map(|i| &body[i..i + 1]) {
                Some(".") => ('.', ',', dots),
                _ => (',', '.', commas),
            };
            if count > 1 {
                return Err(malformed(
                    quoted,
                    format!("'{mark}' comes after '{other}', so it starts the decimals and may appear only once"),
                ));
            }
            if spaces {
                return Err(mixed());
            }
            (Group::Mark(other), Some(mark))
        }
        _ => {
            let (mark, count) = if dots > 0 { ('.', dots) } else { (',', commas) };
            if count > 1 {
                if spaces {
                    return Err(mixed());
                }
                (Group::Mark(mark), None)
            } else if spaces {
                (Group::Spaces, Some(mark))
            } else {
                let (before, after) = body.split_once(mark).unwrap_or((body, ""));
                // Only a possible grouping is in doubt: "1250.500" cannot be one, so it is decimals.
                if after.len() == 3 && (1..=3).contains(&before.len()) {
                    if currency.exponent() < 3 {
                        (Group::Mark(mark), None)
                    } else {
                        return Err(AmountError::Ambiguous {
                            text: shown(quoted),
                            currency,
                        });
                    }
                } else {
                    (Group::None, Some(mark))
                }
            }
        }
    };
    let (whole, decimals) = match decimal.and_then(|mark| body.split_once(mark)) {
        Some((whole, decimals)) => (whole, decimals),
        None => (body, ""),
    };
    if decimal.is_some() {
        if whole.is_empty() {
            return Err(malformed(
                quoted,
                "write a digit before the decimal separator, as \"0.5\"",
            ));
        }
        if decimals.is_empty() || !decimals.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(quoted, "write only digits after the decimal separator"));
        }
    }
    let mut digits = String::with_capacity(whole.len());
    let groups: Vec<&str> = whole.split(|c| group.matches(c)).collect();
    for (i, part) in groups.iter().enumerate() {
        let first = i == 0;
        let fits = if first {
            (1..=3).contains(&part.len()) || (groups.len() == 1 && !part.is_empty())
        } else {
            part.len() == 3
        };
        let leading_zero = first && groups.len() > 1 && part.starts_with('0');
        if !fits || leading_zero || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Grouping { text: shown(quoted) });
        }
        digits.push_str(part);
    }
    // Spreadsheets pad decimals ("1.250.000,00" đồng): zeros past the exponent change nothing.
    let exponent = currency.exponent() as usize;
    let decimals = if decimals.len() > exponent && decimals[exponent..].bytes().all(|b| b == b'0') {
        &decimals[..exponent]
    } else {
        decimals
    };
    to_minor(negative, &digits, decimals, currency)
}

/// The most decimals a rate may have: enough for the đồng to the dollar (0.0000393) and finer.
pub const RATE_DECIMALS: u32 = 12;

/// The longest canonical text of a rate: 29 digits (a 96-bit mantissa) and a point.
const RATE_TEXT: usize = 32;

/// An exchange rate: how many major units of the quote currency one major unit of the base currency
/// buys ("25450" đồng to the dollar), exact, strictly positive, with at most [`RATE_DECIMALS`]
/// decimals. Stored and sent as its canonical decimal string (no trailing zeros: "25450.5").
///
/// The canonical text is kept alongside the value so that the database impls can lend it as a
/// `&str`, which lets one generic impl serve SQLite, PostgreSQL and a `MultiBackend` alike.
#[derive(Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Rate {
    value: rust_decimal::Decimal,
    // Equal values have equal texts (the value is normalised first), so the derived equality is
    // the value's.
    text: [u8; RATE_TEXT],
    len: u8,
}

impl Rate {
    /// Parses a decimal string ("25450", "0.0000393", "162.35"): digits, optionally a `.` and one
    /// to [`RATE_DECIMALS`] digits, more than zero; spaces around are ignored. Errors name the
    /// problem.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let trimmed = text.trim();
        let quoted = shown(trimmed);
        if trimmed.is_empty() {
            return Err("no rate: write one such as \"25450\" or \"0.0000393\"".to_owned());
        }
        if trimmed.starts_with('-') {
            return Err(format!("`{quoted}`: a rate is more than 0"));
        }
        if trimmed.chars().any(|c| !c.is_ascii_digit() && c != '.') {
            return Err(format!(
                "`{quoted}` is not a rate: write digits and at most one '.', with no grouping, sign or exponent, \
                 as \"25450\" or \"0.0000393\""
            ));
        }
        let (whole, decimals) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        if whole.is_empty() || (trimmed.contains('.') && decimals.is_empty()) || decimals.contains('.') {
            return Err(format!(
                "`{quoted}` is not a rate: write digits on both sides of one '.', as \"0.0000393\""
            ));
        }
        if decimals.len() > RATE_DECIMALS as usize {
            return Err(format!("`{quoted}`: a rate takes at most {RATE_DECIMALS} decimals"));
        }
        let too_large = || format!("`{quoted}`: too large for a rate (at most 28 significant digits)");
        // Leading zeros would count against the 28 digits, and carry no value.
        let digits = format!("{whole}{decimals}");
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Err(format!("`{quoted}`: a rate is more than 0"));
        }
        let mantissa: i128 = significant.parse().map_err(|_| too_large())?;
        // `decimals.len() <= 12` was checked above.
        let value = rust_decimal::Decimal::try_from_i128_with_scale(mantissa, decimals.len() as u32)
            .map_err(|_| too_large())?;
        Rate::from_decimal(value).ok_or_else(too_large)
    }

    /// The rate of an exact decimal, when it is more than 0 with at most [`RATE_DECIMALS`]
    /// decimals.
    pub fn from_decimal(value: rust_decimal::Decimal) -> Option<Rate> {
        let value = value.normalize();
        if !value.is_sign_positive() || value.is_zero() || value.scale() > RATE_DECIMALS {
            return None;
        }
        let canonical = value.to_string();
        let bytes = canonical.as_bytes();
        let mut text = [0_u8; RATE_TEXT];
        text.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Rate {
            value,
            text,
            len: u8::try_from(bytes.len()).ok()?,
        })
    }

    /// The exact value.
    pub fn as_decimal(self) -> rust_decimal::Decimal {
        self.value
    }

    /// The canonical text, the one stored and sent.
    pub fn as_str(&self) -> &str {
        // Always ASCII, written by `from_decimal`; the default is never taken.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or("")
    }

    /// Converts `minor` units of `from` into minor units of `to` at this rate (one `from` buys
    /// `rate` of `to`), exactly, rounded once by [`ROUNDING`]. `None` when the result would not fit
    /// in an `i64`.
    ///
    /// The rate's direction is the caller's to know: nothing here checks that it was quoted for
    /// `from` to `to`.
    pub fn convert(self, minor: i64, from: Currency, to: Currency) -> Option<i64> {
        // result = minor / 10^from_exp × mantissa / 10^scale × 10^to_exp. Computed in i128 as one
        // fraction so that nothing is rounded before the end. rust_decimal's own multiplication
        // holds 96 bits and would overflow (or round) for large amounts at fine rates.
        let numerator = i128::from(minor)
            .checked_mul(self.value.mantissa())?
            .checked_mul(to.scale())?;
        // At most 10^(4 + 12): fits easily. When the numerator overflows i128 the true result is
        // above 2^127 / 10^16 > i64::MAX, so `None` above is the right answer, not a lost one.
        let denominator = from.scale().checked_mul(10_i128.checked_pow(self.value.scale())?)?;
        let quotient = numerator / denominator;
        let remainder = numerator % denominator;
        // Half away from zero: the remainder carries the numerator's sign.
        let rounded = if remainder.unsigned_abs() * 2 >= denominator.unsigned_abs() {
            quotient + numerator.signum()
        } else {
            quotient
        };
        i64::try_from(rounded).ok()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rate").field(&self.as_str()).finish()
    }
}

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rate::parse(s)
    }
}

impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Rate::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Rate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]+(\.[0-9]{1,12})?$"))
            .description(Some(
                "An exchange rate as an exact decimal: how many units of the quote currency one unit of the \
                 base currency buys. More than 0, at most 12 decimals.",
            ))
            .examples([serde_json::json!("25450")])
            .into()
    }
}

impl utoipa::ToSchema for Rate {}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Rate
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Rate
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        Rate::parse(&text).map_err(|problem| format!("rate in the database: {problem}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both backends behind one connection, as the service's database layer has them: the
    /// generic impls must serve its `MultiBackend` too.
    #[derive(diesel::MultiConnection)]
    enum Multi {
        Sqlite(diesel::SqliteConnection),
        Pg(diesel::PgConnection),
    }

    const KWD: fn() -> Currency = || Currency::parse("KWD").expect("KWD is a currency");

    fn all() -> [Currency; 5] {
        [Currency::VND, Currency::JPY, Currency::USD, Currency::EUR, KWD()]
    }

    fn rate(text: &str) -> Rate {
        Rate::parse(text).expect("a rate")
    }

    #[test]
    fn currencies_parse_by_code_in_either_case_and_know_their_exponent() {
        assert_eq!(Currency::parse("VND"), Ok(Currency::VND));
        assert_eq!(Currency::parse(" usd "), Ok(Currency::USD));
        assert_eq!(Currency::parse("Eur"), Ok(Currency::EUR));
        assert_eq!(
            all().map(Currency::exponent),
            [0, 0, 2, 2, 3],
            "VND, JPY, USD, EUR, KWD"
        );
        assert_eq!(Currency::VND.to_string(), "VND");
        assert_eq!(KWD().code(), "KWD");
        assert_eq!(Currency::VND.name(), "Vietnamese đồng");
    }

    #[test]
    fn unknown_codes_and_codes_without_a_minor_unit_are_refused_by_name() {
        assert_eq!(
            Currency::parse("XYZ"),
            Err("`XYZ` is not an ISO 4217 currency code".to_owned())
        );
        assert!(Currency::parse("xyz").is_err_and(|e| e.starts_with("`XYZ` is not")));
        for bad in ["", "  ", "US", "USDD", "U5D", "₫"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
        for metal in ["XAU", "XAG", "XDR", "XXX"] {
            assert!(
                Currency::parse(metal).is_err_and(|e| e.contains("no minor unit")),
                "{metal}"
            );
        }
    }

    #[test]
    fn currencies_travel_as_their_code() {
        assert_eq!(serde_json::to_string(&Currency::VND).expect("json"), "\"VND\"");
        assert_eq!(
            serde_json::from_str::<Currency>("\"jpy\"").expect("json"),
            Currency::JPY
        );
        let error = serde_json::from_str::<Currency>("\"XYZ\"").expect_err("unknown");
        assert!(
            error.to_string().contains("`XYZ` is not an ISO 4217 currency code"),
            "{error}"
        );
        assert!(serde_json::from_str::<Currency>("704").is_err());
    }

    #[test]
    fn amounts_round_trip_in_every_exponent() {
        let cases: [(Currency, &str, i64); 14] = [
            (Currency::VND, "1250000", 1_250_000),
            (Currency::VND, "-1250000", -1_250_000),
            (Currency::VND, "0", 0),
            (Currency::VND, "9007199254740993", 9_007_199_254_740_993),
            (Currency::JPY, "162", 162),
            (Currency::JPY, "9007199254740993", 9_007_199_254_740_993),
            (Currency::USD, "1250.50", 125_050),
            (Currency::USD, "-0.05", -5),
            (Currency::USD, "90071992547409.93", 9_007_199_254_740_993),
            (Currency::USD, "92233720368547758.07", i64::MAX),
            (Currency::USD, "-92233720368547758.07", -i64::MAX),
            (Currency::EUR, "0.10", 10),
            (KWD(), "1.250", 1250),
            (KWD(), "-9007199254740.993", -9_007_199_254_740_993),
        ];
        for (currency, text, minor) in cases {
            assert_eq!(parse_amount(text, currency), Ok(minor), "{text} {currency}");
            assert_eq!(format_amount(minor, currency), text, "{minor} {currency}");
        }
        // Fewer decimals than the exponent, leading zeros, spaces around and -0 are read, and
        // written back canonically.
        assert_eq!(parse_amount("1250.5", Currency::USD), Ok(125_050));
        assert_eq!(parse_amount("12", Currency::USD), Ok(1200));
        assert_eq!(parse_amount(" 007 ", Currency::VND), Ok(7));
        assert_eq!(parse_amount("-0", Currency::VND), Ok(0));
        assert_eq!(parse_amount("0.1", KWD()), Ok(100));
        assert_eq!(format_amount(1200, Currency::USD), "12.00");
        assert_eq!(format_amount(-1, KWD()), "-0.001");
        assert_eq!(format_amount(i64::MIN, Currency::USD), "-92233720368547758.08");
    }

    #[test]
    fn an_amount_serialises_as_the_string_it_is_formatted_as() {
        for (minor, currency) in [
            (125_050, Currency::USD),
            (-5, Currency::EUR),
            (1_250_000, Currency::VND),
            (i64::MAX, Currency::JPY),
            (i64::MIN, Currency::USD),
            (-1, KWD()),
        ] {
            let written = serde_json::to_string(&Amount::of(minor, currency)).expect("an amount serialises");
            assert_eq!(written, format!("\"{}\"", format_amount(minor, currency)));
        }
    }

    #[test]
    fn every_refusal_of_an_api_amount_names_the_fix() {
        let message = |text: &str, currency| parse_amount(text, currency).expect_err(text).to_string();
        assert_eq!(
            parse_amount("", Currency::VND),
            Err(AmountError::Empty {
                currency: Currency::VND
            })
        );
        assert_eq!(
            parse_amount("-", Currency::USD),
            Err(AmountError::Empty {
                currency: Currency::USD
            })
        );
        assert_eq!(message(" ", Currency::USD), "no amount: write one such as \"1250.50\"");
        assert_eq!(
            message("1250000.0", Currency::VND),
            "VND has no minor unit: write a whole number such as \"1250000\""
        );
        assert_eq!(
            message("1.5", Currency::JPY),
            "JPY has no minor unit: write a whole number such as \"1250000\""
        );
        assert_eq!(message("1250.505", Currency::USD), "USD takes at most 2 decimals");
        assert_eq!(message("1.2345", KWD()), "KWD takes at most 3 decimals");
        assert_eq!(
            message("92233720368547758.08", Currency::USD),
            "too large: at most 92233720368547758.07 USD"
        );
        assert_eq!(
            message("-9223372036854775808", Currency::VND),
            "too large: at most 9223372036854775807 VND"
        );
        assert_eq!(
            parse_amount(&"9".repeat(1000), Currency::VND),
            Err(AmountError::TooLarge {
                currency: Currency::VND
            })
        );
        for (text, hint) in [
            ("1,250,000", "no grouping"),
            ("1 250", "no spaces"),
            ("1e6", "no exponent"),
            ("+5", "no '+'"),
            ("5-", "in front"),
            ("--5", "in front"),
            ("1.2.3", "one '.'"),
            (".5", "both sides"),
            ("5.", "both sides"),
            ("abc", "only digits"),
            ("١٢", "only digits"),
        ] {
            let error = message(text, Currency::USD);
            assert!(
                error.contains(hint) && error.starts_with(&format!("`{text}`")),
                "{text}: {error}"
            );
        }
        // A long input is cut in the message.
        let long = format!("{}x", "1".repeat(500));
        assert!(message(&long, Currency::VND).len() < 300);
    }

    #[test]
    fn localised_amounts_as_people_write_them() {
        let vnd = |text| parse_localised(text, Currency::VND);
        let usd = |text| parse_localised(text, Currency::USD);
        for text in [
            "1.250.000",
            "1,250,000",
            "1 250 000",
            "1\u{a0}250\u{a0}000",
            "1250000",
            "1.250.000 ₫",
            "1.250.000đ",
            "₫1.250.000",
            "VND 1,250,000",
            "1,250,000 vnd",
            "  1.250.000  ",
            "1.250.000,00",
            "1,250,000.00",
        ] {
            assert_eq!(vnd(text), Ok(1_250_000), "{text}");
        }
        assert_eq!(vnd("-1.250.000 ₫"), Ok(-1_250_000));
        assert_eq!(vnd("1.250"), Ok(1250), "one separator and three digits groups in VND");
        assert_eq!(usd("1,250"), Ok(125_000), "and in USD");
        assert_eq!(usd("1.250"), Ok(125_000));
        assert_eq!(usd("1,250,000.00"), Ok(125_000_000));
        assert_eq!(usd("1.250.000,50"), Ok(125_000_050));
        assert_eq!(usd("$1,250.50"), Ok(125_050));
        assert_eq!(usd("-$1,250.50"), Ok(-125_050));
        assert_eq!(usd("$-1,250.50"), Ok(-125_050));
        assert_eq!(usd("US$ 12"), Ok(1200));
        assert_eq!(
            usd("1 250,50"),
            Ok(125_050),
            "spaces group, so the comma starts the decimals"
        );
        assert_eq!(usd("1,2"), Ok(120), "one separator and not three digits: decimals");
        assert_eq!(usd("0,05"), Ok(5));
        assert_eq!(
            usd("1250.500"),
            Ok(125_050),
            "three decimals: not a group of the first four digits"
        );
        assert_eq!(parse_localised("€1.250,50", Currency::EUR), Ok(125_050));
        assert_eq!(parse_localised("1.250 ¥", Currency::JPY), Ok(1250));
        assert_eq!(parse_localised("1,250.500", KWD()), Ok(1_250_500));
        assert_eq!(parse_localised("1,25", KWD()), Ok(1250));
        assert_eq!(
            parse_localised("1250,500", KWD()),
            Ok(1_250_500),
            "four digits before: not a group"
        );
        assert_eq!(
            vnd("1 250.000"),
            Ok(1250),
            "spaces group, so the point starts the (zero) decimals"
        );
        assert_eq!(
            usd("1250.505"),
            Err(AmountError::TooManyDecimals {
                currency: Currency::USD
            })
        );
        assert_eq!(
            parse_localised("9.007.199.254.740.993", Currency::VND),
            Ok(9_007_199_254_740_993)
        );
    }

    #[test]
    fn localised_amounts_that_cannot_be_read_one_way_are_refused() {
        let vnd = |text| parse_localised(text, Currency::VND);
        assert!(matches!(vnd("1.25.000"), Err(AmountError::Grouping { .. })));
        assert!(
            matches!(vnd("12,50,000"), Err(AmountError::Grouping { .. })),
            "Indian grouping"
        );
        assert!(matches!(vnd("1250.000.000"), Err(AmountError::Grouping { .. })));
        assert!(
            matches!(vnd("0.250"), Err(AmountError::Grouping { .. })),
            "groups do not start with 0"
        );
        assert!(matches!(vnd("1.250."), Err(AmountError::Grouping { .. })));
        assert_eq!(
            vnd("1,2"),
            Err(AmountError::TooManyDecimals {
                currency: Currency::VND
            })
        );
        assert_eq!(
            vnd("1.250.000,50"),
            Err(AmountError::TooManyDecimals {
                currency: Currency::VND
            })
        );
        let ambiguous = parse_localised("1,250", KWD()).expect_err("ambiguous");
        assert!(matches!(ambiguous, AmountError::Ambiguous { .. }));
        assert!(ambiguous.to_string().contains("ambiguous"), "{ambiguous}");
        assert!(matches!(
            parse_localised("1.250", KWD()),
            Err(AmountError::Ambiguous { .. })
        ));
        assert_eq!(
            vnd("$1,250"),
            Err(AmountError::WrongCurrency {
                marker: "$".to_owned(),
                currency: Currency::VND
            })
        );
        assert!(matches!(vnd("1.250 USD"), Err(AmountError::WrongCurrency { .. })));
        assert_eq!(
            vnd(""),
            Err(AmountError::Empty {
                currency: Currency::VND
            })
        );
        assert_eq!(
            vnd(" ₫ "),
            Err(AmountError::Empty {
                currency: Currency::VND
            })
        );
        for text in [
            "₫1.250 VND",
            "1.250,000.5",
            "1 250.000.000",
            "1.250,",
            ",5",
            "1.250,5 0",
            "12ab34",
            "1.250-",
        ] {
            assert!(
                matches!(vnd(text), Err(AmountError::Malformed { .. })),
                "{text}: {:?}",
                vnd(text)
            );
        }
        assert_eq!(
            vnd("99.999.999.999.999.999.999"),
            Err(AmountError::TooLarge {
                currency: Currency::VND
            })
        );
    }

    #[test]
    fn rates_parse_exactly_and_print_canonically() {
        for (text, canonical) in [
            ("25450", "25450"),
            ("0.0000393", "0.0000393"),
            ("162.35", "162.35"),
            ("25450.50", "25450.5"),
            ("007.10", "7.1"),
            (" 1 ", "1"),
            ("0.000000000001", "0.000000000001"),
            ("1000000000.000000000001", "1000000000.000000000001"),
        ] {
            let parsed = rate(text);
            assert_eq!(parsed.to_string(), canonical, "{text}");
            assert_eq!(Rate::parse(&parsed.to_string()), Ok(parsed), "{text} round trips");
        }
        assert_eq!(rate("25450.50"), rate("25450.5"));
        assert_eq!(format!("{:?}", rate("162.35")), "Rate(\"162.35\")");
        assert_eq!(
            serde_json::to_string(&rate("0.0000393")).expect("json"),
            "\"0.0000393\""
        );
        assert_eq!(serde_json::from_str::<Rate>("\"25450\"").expect("json"), rate("25450"));
        assert!(serde_json::from_str::<Rate>("25450").is_err(), "a number, not a string");
        assert_eq!(rate("162.35").as_decimal(), rust_decimal::Decimal::new(16235, 2));
    }

    #[test]
    fn every_refusal_of_a_rate_names_the_problem() {
        for (text, hint) in [
            ("", "no rate"),
            ("0", "more than 0"),
            ("0.000", "more than 0"),
            ("-1", "more than 0"),
            ("+1", "not a rate"),
            ("1e5", "not a rate"),
            ("25,450", "not a rate"),
            ("1.5.0", "both sides"),
            (".5", "both sides"),
            ("5.", "both sides"),
            ("0.0000000000001", "at most 12 decimals"),
            ("100000000000000000000000000000", "too large"),
        ] {
            let error = Rate::parse(text).expect_err(text);
            assert!(error.contains(hint), "{text}: {error}");
        }
        assert!(serde_json::from_str::<Rate>("\"0\"").is_err_and(|e| e.to_string().contains("more than 0")));
        assert_eq!(Rate::from_decimal(rust_decimal::Decimal::new(-1, 0)), None);
        assert_eq!(Rate::from_decimal(rust_decimal::Decimal::new(1, 13)), None);
    }

    #[test]
    fn conversions_round_once_half_away_from_zero() {
        let (vnd, usd, jpy) = (Currency::VND, Currency::USD, Currency::JPY);
        // 1.00 USD at 25450.5 is 25450.5 đồng exactly: half, away from zero either way.
        assert_eq!(rate("25450.5").convert(100, usd, vnd), Some(25_451));
        assert_eq!(rate("25450.5").convert(-100, usd, vnd), Some(-25_451));
        // 0.03 USD is 763.515 đồng.
        assert_eq!(rate("25450.5").convert(3, usd, vnd), Some(764));
        assert_eq!(rate("25450.5").convert(-3, usd, vnd), Some(-764));
        assert_eq!(rate("25450").convert(125_050, usd, vnd), Some(31_825_225));
        // 1,250,000 đồng at 0.0000393 is 49.125 USD: 4912.5 cents, exactly half.
        assert_eq!(rate("0.0000393").convert(1_250_000, vnd, usd), Some(4913));
        assert_eq!(rate("0.0000393").convert(-1_250_000, vnd, usd), Some(-4913));
        // 1 đồng is 0.00393 cents: rounds to nothing, in both directions.
        assert_eq!(rate("0.0000393").convert(1, vnd, usd), Some(0));
        assert_eq!(rate("0.0000393").convert(-1, vnd, usd), Some(0));
        // Yen to đồng at 162.35: 3 yen are 487.05, 10 yen 1623.5.
        assert_eq!(rate("162.35").convert(1000, jpy, vnd), Some(162_350));
        assert_eq!(rate("162.35").convert(3, jpy, vnd), Some(487));
        assert_eq!(rate("162.35").convert(10, jpy, vnd), Some(1624));
        assert_eq!(rate("162.35").convert(-10, jpy, vnd), Some(-1624));
        // Three decimals: 1.000 KWD at 3.25 is 3.25 USD.
        assert_eq!(rate("3.25").convert(1000, KWD(), usd), Some(325));
        assert_eq!(rate("0.307692307692").convert(325, usd, KWD()), Some(1000));
        assert_eq!(rate("1").convert(0, usd, vnd), Some(0));
    }

    #[test]
    fn conversions_are_exact_above_two_to_the_53() {
        let (vnd, usd, jpy) = (Currency::VND, Currency::USD, Currency::JPY);
        let big = 9_007_199_254_740_993; // 2^53 + 1: a double would read it as 2^53.
        assert_eq!(rate("1").convert(big, vnd, vnd), Some(big));
        assert_eq!(rate("1").convert(big, vnd, jpy), Some(big));
        assert_eq!(rate("0.0000393").convert(big, vnd, usd), Some(35_398_293_071_132));
        assert_eq!(rate("0.000039300001").convert(big, vnd, usd), Some(35_398_293_971_852));
        assert_eq!(rate("0.005751").convert(big, vnd, jpy), Some(51_800_402_914_015));
        // 90,071,992,547,409.93 USD at 25450.5 is 2292377246327856423.465 đồng.
        assert_eq!(rate("25450.5").convert(big, usd, vnd), Some(2_292_377_246_327_856_423));
        // 2^62 times the mantissa 1999999999999 is about 9.2e30, past the 7.9e28 of rust_decimal's
        // 96 bits: the product that i128 is there for.
        assert_eq!(
            rate("1.999999999999").convert(1 << 62, vnd, vnd),
            Some(9_223_372_036_850_164_122)
        );
        assert_eq!(
            rate("1.999999999999").convert(-(1 << 62), vnd, vnd),
            Some(-9_223_372_036_850_164_122)
        );
        assert_eq!(rate("1").convert(i64::MAX, vnd, vnd), Some(i64::MAX));
        assert_eq!(rate("1").convert(i64::MIN, vnd, vnd), Some(i64::MIN));
        assert_eq!(rate("1000000000.000000000001").convert(1, usd, vnd), Some(10_000_000));
    }

    #[test]
    fn conversions_past_an_i64_are_none() {
        let (vnd, usd) = (Currency::VND, Currency::USD);
        assert_eq!(rate("25450").convert(i64::MAX, usd, vnd), None);
        assert_eq!(rate("25450").convert(i64::MIN, usd, vnd), None);
        assert_eq!(rate("1.000000000001").convert(i64::MAX, vnd, vnd), None);
        assert_eq!(rate("2").convert(i64::MAX / 2 + 1, vnd, vnd), None);
        // The numerator overflows i128 itself here.
        assert_eq!(rate("1000000000.000000000001").convert(i64::MAX, vnd, KWD()), None);
        assert_eq!(rate("1000000000.000000000001").convert(i64::MIN, vnd, KWD()), None);
    }

    #[test]
    fn currencies_and_rates_are_stored_as_text() {
        use diesel::prelude::*;
        use diesel::sql_types::Text;

        // PostgreSQL needs a server; that the impls exist is what can be checked here.
        fn stored_on<DB: diesel::backend::Backend, T>()
        where
            T: diesel::serialize::ToSql<Text, DB> + diesel::deserialize::FromSql<Text, DB>,
        {
        }
        stored_on::<diesel::pg::Pg, Currency>();
        stored_on::<diesel::pg::Pg, Rate>();
        stored_on::<diesel::sqlite::Sqlite, Currency>();
        stored_on::<diesel::sqlite::Sqlite, Rate>();

        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("sqlite");
        let currency: Currency = diesel::select(Currency::VND.into_sql::<Text>())
            .get_result(&mut conn)
            .expect("read");
        assert_eq!(currency, Currency::VND);
        let stored: String = diesel::select(rate("25450.50").into_sql::<Text>())
            .get_result(&mut conn)
            .expect("read");
        assert_eq!(stored, "25450.5");
        let read: Rate = diesel::select("0.0000393".into_sql::<Text>())
            .get_result(&mut conn)
            .expect("read");
        assert_eq!(read, rate("0.0000393"));
        let refused = diesel::select("XAU".into_sql::<Text>()).get_result::<Currency>(&mut conn);
        assert!(refused.is_err());

        // Through a `MultiConnection`, as the service's database layer uses them.
        let mut multi = Multi::establish(":memory:").expect("sqlite");
        let both: (Currency, Rate) = diesel::select((KWD().into_sql::<Text>(), rate("3.25").into_sql::<Text>()))
            .get_result(&mut multi)
            .expect("read");
        assert_eq!(both, (KWD(), rate("3.25")));
    }

    #[test]
    fn the_documented_schemas_are_strings_with_patterns() {
        use utoipa::PartialSchema;
        let currency = serde_json::to_value(Currency::schema()).expect("json");
        assert_eq!(currency["type"], "string");
        assert_eq!(currency["pattern"], "^[A-Z]{3}$");
        assert_eq!(currency["examples"][0], "VND");
        let rate = serde_json::to_value(Rate::schema()).expect("json");
        assert_eq!(rate["pattern"], r"^[0-9]+(\.[0-9]{1,12})?$");
        assert_eq!(rate["examples"][0], "25450");
        assert!(ROUNDING.starts_with("half away from zero"));
    }
}
