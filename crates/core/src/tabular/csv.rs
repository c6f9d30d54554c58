//! CSV as spreadsheets read it: RFC 4180 (quotes where needed, CRLF line ends), UTF-8 with a
//! byte-order mark when asked (Excel reads UTF-8 without one as the local code page), ISO dates,
//! and no cell a spreadsheet would run as a formula.

use super::Cell;
use crate::error::{ApiError, ApiResult};

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// CSV text, appended a row at a time and taken in chunks, so a long export is streamed.
pub struct CsvChunks {
    writer: ::csv::Writer<Vec<u8>>,
}

impl Default for CsvChunks {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvChunks {
    /// An empty buffer.
    pub fn new() -> Self {
        Self { writer: writer() }
    }

    /// Append the header.
    pub fn header(&mut self, names: &[String]) -> ApiResult<()> {
        let names = names.iter().map(|name| neutralised(name));
        self.writer.write_record(names).map_err(ApiError::internal)
    }

    /// Append one row.
    pub fn row(&mut self, cells: &[Cell]) -> ApiResult<()> {
        self.writer
            .write_record(cells.iter().map(text_of))
            .map_err(ApiError::internal)
    }

    /// The text appended since the last call.
    pub fn take(&mut self) -> ApiResult<Vec<u8>> {
        let full = std::mem::replace(&mut self.writer, writer());
        full.into_inner().map_err(|e| ApiError::internal(e.into_error()))
    }
}

fn writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// A whole table as CSV.
pub fn table(table: &super::Table, bom: bool) -> ApiResult<Vec<u8>> {
    let mut chunks = CsvChunks::new();
    chunks.header(&table.columns)?;
    for row in &table.rows {
        chunks.row(row)?;
    }
    let body = chunks.take()?;
    Ok(if bom { [BOM, &body].concat() } else { body })
}

/// A cell as CSV text.
fn text_of(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => neutralised(text),
        Cell::Integer(whole) => whole.to_string(),
        Cell::Number(number) => number.to_string(),
        Cell::Amount(minor, exponent) => crate::money::decimal(*minor, *exponent),
        Cell::Bool(flag) => flag.to_string(),
        Cell::Date(day) => day.format("%Y-%m-%d").to_string(),
        Cell::Partial(date) => date.to_string(),
        Cell::Instant(instant) => instant.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    }
}

/// Text that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) with a `'` before it, as OWASP's CSV-injection advice says: the spreadsheet
/// shows the text, and runs nothing. A negative decimal written as text (an amount, `-12.30`) is
/// only a number to a spreadsheet, and stays as it is.
pub fn neutralised(text: &str) -> String {
    match text.chars().next() {
        Some('-') if is_negative_decimal(text) => text.to_owned(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// `-` then digits, with at most one `.` between digits: nothing a spreadsheet could run.
fn is_negative_decimal(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('-') else {
        return false;
    };
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_is_shown_not_run() {
        assert_eq!(neutralised("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(neutralised("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralised("\tx"), "'\tx");
        assert_eq!(neutralised("Sở Nội vụ"), "Sở Nội vụ");
        assert_eq!(neutralised("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(neutralised("-1.2.3"), "'-1.2.3");
        assert_eq!(neutralised("-"), "'-");
    }

    #[test]
    fn a_negative_amount_stays_a_number() {
        assert_eq!(neutralised("-12.30"), "-12.30");
        assert_eq!(neutralised("-1250000"), "-1250000");
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() -> ApiResult<()> {
        let mut chunks = CsvChunks::new();
        chunks.header(&["name".to_owned(), "count".to_owned()])?;
        chunks.row(&[Cell::Text("Nguyễn, \"Đức\"".to_owned()), Cell::Integer(-3)])?;
        let text = String::from_utf8(chunks.take()?).map_err(ApiError::internal)?;
        assert_eq!(text, "name,count\r\n\"Nguyễn, \"\"Đức\"\"\",-3\r\n");
        Ok(())
    }
}
