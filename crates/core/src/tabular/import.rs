//! Reading the spreadsheet a person sends to an import (the enrolments of a cohort, the expenses
//! of a programme): a CSV file or an Excel workbook's first sheet, as rows of text numbered as the
//! spreadsheet shows them (the header is row 1), its headings placed under the import's columns,
//! and every problem of the file gathered for one 422 (`#/rows/<row>/<column>`).
//!
//! What a file means is each import's own ([`Rows`]: its columns, their headings, each row's
//! cells); how a file becomes rows is the same for every import, so it is written once, here: the
//! encoding, a quote never closed, the row numbers, rows past [`MAX_ROWS`], a row longer than the
//! header, blank rows, a workbook's error cells, `?ignore=` and the cap on the errors listed.

use crate::error::{ApiError, ApiResult, FieldError};

/// Largest file accepted: room for tens of thousands of rows.
pub const IMPORT_LIMIT: usize = 10 * 1024 * 1024;

/// Most data rows in one file.
pub const MAX_ROWS: usize = 20_000;

/// Most errors a refused file's answer lists; the answer says how many more there are.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// The column of the row numbers a list is written with (`STT`): read and left out.
pub const ROW_NUMBER: &str = "row_number";

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// CSV, UTF-8 (`text/csv`).
    Csv,
    /// An Excel workbook (`.xlsx`); its first sheet is read.
    Xlsx,
}

impl FileKind {
    /// The kind a `Content-Type` (without its parameters, lower case) names, if any.
    pub fn of_media_type(media_type: &str) -> Option<FileKind> {
        match media_type {
            "text/csv" | "application/csv" => Some(FileKind::Csv),
            super::xlsx::MEDIA_TYPE => Some(FileKind::Xlsx),
            _ => None,
        }
    }
}

/// A heading (or a label) as compared: folded (no case, no diacritics), its spaces collapsed.
pub fn heading_key(heading: &str) -> String {
    let folded = crate::text::fold(heading.trim());
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The day of a date cell saved without its format, which a sheet shows (and a CSV export writes)
/// as its day number: days since 1899-12-30, perhaps with a fraction of a day (`45717`,
/// `31486.5`). Only numbers from 3 000 (the spring of 1908) are read as days, so that a year
/// (`1986`) or a count is never taken for one; `None` also past 9999-12-31.
pub fn day_of_serial(cell: &str) -> Option<chrono::NaiveDate> {
    let serial = cell
        .parse::<f64>()
        .ok()
        .filter(|n| (3_000.0..2_958_466.0).contains(n))?;
    #[expect(clippy::cast_possible_truncation, reason = "in range and floored")]
    let days = serial.floor() as i64;
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

/// What one import reads of a file: which column each heading names, what the header as a whole
/// must have, and what each row's cells say. [`read_rows`] calls it for every row it reads.
pub trait Rows: Sized {
    /// What a workbook whose first sheet has no row is told: which columns its first row must name.
    const EMPTY_SHEET: &'static str;

    /// The column a heading names ([`ROW_NUMBER`] for the row number), if any.
    fn column_of(heading: &str) -> Option<&'static str>;

    /// Why a heading that names no column is refused: the columns there are, and `?ignore=`.
    /// `number` counts the file's columns from 1.
    fn unknown_column(number: usize, heading: &str) -> String;

    /// Start reading the rows under `header`, adding what is wrong with the header as a whole to
    /// `errors` (at `rows/<header.line>`); `None` refuses the file at once, with the errors found
    /// so far (a file without a column every row needs would only repeat that on every row).
    fn start(header: &Header, errors: &mut Errors) -> Option<Self>;

    /// Check row `line`, adding its problems to `errors`: its cells, each with its column, in the
    /// header's order, the left-out columns left out, as written (untrimmed, perhaps empty). A row
    /// with more cells than headings, and a blank row, are dealt with before and never come here.
    fn check(&mut self, line: usize, cells: &[(&'static str, &str)], errors: &mut Errors);
}

/// A file's header row, its headings placed.
#[derive(Debug)]
pub struct Header {
    /// The row it is on (1, unless a workbook's first rows are empty).
    pub line: usize,
    /// The headings as written, trimmed.
    pub written: Vec<String>,
    /// Each heading's column; `None` for one whose cells are left out (`?ignore=`, the row
    /// number, a column named twice, a heading that names none).
    pub columns: Vec<Option<&'static str>>,
}

impl Header {
    /// Place the headings `written` (on row `line`) under the columns `R` reads, leaving out
    /// `ignored` headings and the row number. A heading that names no column, or a column named
    /// again, is an error, reported with the rows' errors.
    fn place<R: Rows>(written: Vec<String>, ignored: &[String], line: usize, errors: &mut Errors) -> Header {
        let at = format!("rows/{line}");
        let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(written.len());
        for (i, heading) in written.iter().enumerate() {
            if ignored.contains(&heading_key(heading)) {
                columns.push(None);
                continue;
            }
            let column = R::column_of(heading);
            match column {
                None => errors.push(FieldError::new(
                    &at,
                    "unknown_column",
                    R::unknown_column(i + 1, heading),
                )),
                Some(ROW_NUMBER) => {}
                Some(name) if columns.contains(&Some(name)) => errors.push(FieldError::new(
                    &at,
                    "duplicate_column",
                    format!("column {} (`{heading}`) is `{name}` again", i + 1),
                )),
                Some(_) => {}
            }
            columns.push(column.filter(|name| *name != ROW_NUMBER && !columns.contains(&Some(name))));
        }
        Header { line, written, columns }
    }

    /// Where (0 for the first) the cells of `column` are, if the file has it.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }

    /// Whether the file has `column`.
    pub fn has(&self, column: &str) -> bool {
        self.position(column).is_some()
    }
}

/// Read the file `bytes` of `kind` and check each of its rows with `R`, leaving out the columns
/// whose headings `ignore` (`?ignore=`, comma-separated) names: `R` as it stands after the last
/// row, and every error found, none of which stopped the reading. A file that cannot be read at
/// all, or that `R` refuses by its header, is refused at once (422).
pub fn read_rows<R: Rows>(bytes: &[u8], kind: FileKind, ignore: Option<&str>) -> ApiResult<(R, Errors)> {
    let ignored: Vec<String> = ignore
        .unwrap_or_default()
        .split(',')
        .map(heading_key)
        .filter(|key| !key.is_empty())
        .collect();
    let reading = match kind {
        FileKind::Csv => read_csv::<R>(bytes, &ignored)?,
        FileKind::Xlsx => read_xlsx::<R>(bytes, &ignored)?,
    };
    Ok((reading.rows, reading.errors))
}

/// A file being read: its header, what `R` keeps of its rows, and every error found.
struct Reading<R> {
    header: Header,
    rows: R,
    errors: Errors,
    /// Rows read, toward [`MAX_ROWS`].
    read: usize,
}

impl<R: Rows> Reading<R> {
    /// Place the headings `written` (on row `line`) and let `R` check them; `Err` when it refuses
    /// the file at once.
    fn start(written: Vec<String>, ignored: &[String], line: usize) -> ApiResult<Reading<R>> {
        let mut errors = Errors::default();
        let header = Header::place::<R>(written, ignored, line, &mut errors);
        let Some(rows) = R::start(&header, &mut errors) else {
            return Err(errors.into_problem());
        };
        Ok(Reading {
            header,
            rows,
            errors,
            read: 0,
        })
    }

    /// Count row `line` toward [`MAX_ROWS`]; `false` (with the error) when it is one too many.
    fn count_row(&mut self, line: usize) -> bool {
        self.read += 1;
        if self.read > MAX_ROWS {
            self.errors.push(FieldError::new(
                &format!("rows/{line}"),
                "too_many_rows",
                format!("a file holds at most {MAX_ROWS} rows; split it"),
            ));
            return false;
        }
        true
    }

    /// Row `line`, whose cells are `cells` in the header's order: refused when it is longer than
    /// the header, passed over when blank, otherwise checked by `R`.
    fn row(&mut self, line: usize, cells: &[&str]) {
        let columns = &self.header.columns;
        if cells.len() > columns.len() {
            self.errors.push(FieldError::new(
                &format!("rows/{line}"),
                "too_many_cells",
                format!(
                    "row {line} has {} cells, but the header row names {} columns",
                    cells.len(),
                    columns.len()
                ),
            ));
            return;
        }
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            return; // blank lines that spreadsheets leave at the end
        }
        let named: Vec<(&'static str, &str)> = columns
            .iter()
            .zip(cells)
            .filter_map(|(column, cell)| column.map(|column| (column, *cell)))
            .collect();
        self.rows.check(line, &named, &mut self.errors);
    }
}

fn read_csv<R: Rows>(bytes: &[u8], ignored: &[String]) -> ApiResult<Reading<R>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::Validation(vec![FieldError::new(
            "rows",
            "not_utf8",
            format!(
                "the file is not UTF-8 (first bad byte at offset {}); save it as \"CSV UTF-8\"",
                e.valid_up_to()
            ),
        )])
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Flexible: a row that stops before the last columns (some tools drop trailing empty cells)
    // has those cells empty; a row with more cells than headings is refused in `Reading::row`.
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header_error = |detail: String| ApiError::Validation(vec![FieldError::new("rows/1", "bad_header", detail)]);
    let written: Vec<String> = reader
        .headers()
        .map_err(|e| header_error(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut reading = Reading::<R>::start(written, ignored, 1)?;
    // The csv reader ends a quoted cell that is never closed at the end of the file, which
    // turns the rest of the file into one cell of the last row: found here, refused below.
    let open_quote = unterminated_quote(text);

    let mut record = ::csv::StringRecord::new();
    // Rows as a spreadsheet numbers them: the header is row 1, a wholly empty line (which the
    // csv reader skips) is a row too, and a cell spanning lines is still one row. So a record's
    // row is 1 + the line breaks before it, less those inside earlier records' cells.
    let mut breaks_before = 0;
    let mut counted_to = 0;
    let mut breaks_inside = 0;
    let mut line;
    loop {
        let outcome = reader.read_record(&mut record);
        // The reader places a record where the previous one ended, before any empty lines it
        // skipped; the record itself starts after them.
        let mut start = record
            .position()
            .map_or(counted_to, |p| usize::try_from(p.byte()).unwrap_or(counted_to));
        start += text
            .get(start..)
            .map_or(0, |rest| rest.len() - rest.trim_start_matches(['\r', '\n']).len());
        if start > counted_to {
            breaks_before += text.get(counted_to..start).map_or(0, |gap| gap.matches('\n').count());
            counted_to = start;
        }
        line = 1 + breaks_before - breaks_inside;
        breaks_inside += record.iter().map(|cell| cell.matches('\n').count()).sum::<usize>();
        if matches!(outcome, Ok(false)) {
            break;
        }
        // Every row counts toward the limit, read or not, so that no file costs more than
        // MAX_ROWS rows' work, however it is built.
        if !reading.count_row(line) {
            break;
        }
        if let Err(e) = outcome {
            reading.errors.push(FieldError::new(
                &format!("rows/{line}"),
                "unreadable_row",
                e.to_string(),
            ));
            if usize::try_from(reader.position().byte()).unwrap_or(0) <= start {
                break; // nothing was consumed: reading on would not get further
            }
            continue;
        }
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        if let Some((at, cell)) = open_quote
            && (start..end).contains(&at)
        {
            let heading = reading
                .header
                .written
                .get(cell)
                .map_or(String::new(), |h| format!(" (`{h}`)"));
            reading.errors.push(FieldError::new(
                &format!("rows/{line}"),
                "unterminated_quote",
                format!(
                    "row {line} opens a quote (\") in column {}{heading} that is never closed, so the rest of the \
                     file would be read as that one cell; close the quote or remove it",
                    cell + 1
                ),
            ));
            break;
        }
        let cells: Vec<&str> = record.iter().collect();
        reading.row(line, &cells);
    }
    Ok(reading)
}

fn read_xlsx<R: Rows>(bytes: &[u8], ignored: &[String]) -> ApiResult<Reading<R>> {
    // The header and one row past the limit, so that a longer sheet is named as such.
    let rows = super::sheet::xlsx_rows(bytes, MAX_ROWS + 1)
        .map_err(|detail| ApiError::Validation(vec![FieldError::new("rows", "unreadable_file", detail)]))?;
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "rows/1",
            "missing_column",
            R::EMPTY_SHEET,
        )]));
    };
    let written: Vec<String> = header.cells.iter().map(|h| h.trim().to_owned()).collect();
    let mut reading = Reading::<R>::start(written, ignored, header.row)?;
    for row in rows {
        let line = row.row;
        if !reading.count_row(line) {
            break;
        }
        if !row.errors.is_empty() {
            for (column, error) in &row.errors {
                let name = reading.header.columns.get(*column).copied().flatten();
                let pointer = name.map_or(format!("rows/{line}"), |name| format!("rows/{line}/{name}"));
                reading.errors.push(FieldError::new(
                    &pointer,
                    "invalid_value",
                    format!(
                        "the cell in column {} holds the Excel error {error}; correct it or empty it",
                        column + 1
                    ),
                ));
            }
            continue;
        }
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        reading.row(line, &cells);
    }
    Ok(reading)
}

/// Where a quoted cell that is never closed opens: its byte offset and its column (0 for the
/// first), read as the csv reader reads (RFC 4180: a quote opens a cell only at its start, and
/// two quotes inside one stand for one).
fn unterminated_quote(text: &str) -> Option<(usize, usize)> {
    #[derive(PartialEq)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::CellStart;
    let (mut cell, mut opened) = (0, (0, 0));
    for (at, byte) in text.bytes().enumerate() {
        state = match (state, byte) {
            (State::CellStart, b'"') => {
                opened = (at, cell);
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b',') => {
                cell += 1;
                State::CellStart
            }
            (_, b'\n' | b'\r') => {
                cell = 0;
                State::CellStart
            }
            _ => State::Unquoted,
        };
    }
    (state == State::Quoted).then_some(opened)
}

/// A file's errors: the first [`MAX_LISTED_ERRORS`], and how many in all, so that a file of a
/// million bad lines answers in a page, not in a hundred megabytes.
#[derive(Debug, Default)]
pub struct Errors {
    listed: Vec<FieldError>,
    total: usize,
}

impl Errors {
    /// Add one.
    pub fn push(&mut self, error: FieldError) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(error);
        }
    }

    /// Add each of `errors`.
    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        for error in errors {
            self.push(error);
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The ones that will be listed, as added.
    pub fn listed(&self) -> &[FieldError] {
        &self.listed
    }

    /// The 422 that lists them in row order, ending with `more_errors` at `rows` when some are
    /// left out. Row order, because an import may check what a row names after it has read every
    /// row's cells (the expense import looks the names up in the database), and a person corrects
    /// a file from its top; the sort is stable, so a row's own errors keep their order.
    pub fn into_problem(mut self) -> ApiError {
        let row_of = |error: &FieldError| {
            let mut parts = error.pointer.trim_start_matches("#/rows/").split('/');
            parts
                .next()
                .and_then(|row| row.parse::<usize>().ok())
                .unwrap_or(usize::MAX)
        };
        self.listed.sort_by_key(row_of);
        let unlisted = self.total - self.listed.len();
        if unlisted > 0 {
            self.listed.push(FieldError::new(
                "rows",
                "more_errors",
                format!(
                    "{unlisted} more errors are not listed ({} in all); correct these and send the file again",
                    self.total
                ),
            ));
        }
        ApiError::Validation(self.listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_never_closed_is_found_where_it_opens() {
        assert_eq!(unterminated_quote("a,b\n\"x,y\n"), Some((4, 0)));
        assert_eq!(unterminated_quote("a,b\nc,\"x\n"), Some((6, 1)));
        assert_eq!(unterminated_quote("a,\"b \"\"c\"\"\",d\n\"e\nf\",g"), None);
        assert_eq!(
            unterminated_quote("a,b\"c\n"),
            None,
            "a quote inside a cell opens nothing"
        );
    }

    /// An import that keeps each row's number and cells, and needs a `name` column.
    #[derive(Debug)]
    struct Kept(Vec<(usize, Vec<(&'static str, String)>)>);

    impl Rows for Kept {
        const EMPTY_SHEET: &'static str = "empty";

        fn column_of(heading: &str) -> Option<&'static str> {
            match heading_key(heading).as_str() {
                "name" | "ten" => Some("name"),
                "note" => Some("note"),
                "stt" => Some(ROW_NUMBER),
                _ => None,
            }
        }

        fn unknown_column(number: usize, heading: &str) -> String {
            format!("{number}: {heading}")
        }

        fn start(header: &Header, errors: &mut Errors) -> Option<Self> {
            if !header.has("name") {
                errors.push(FieldError::new(
                    &format!("rows/{}", header.line),
                    "missing_column",
                    "name",
                ));
                return None;
            }
            Some(Kept(Vec::new()))
        }

        fn check(&mut self, line: usize, cells: &[(&'static str, &str)], _: &mut Errors) {
            let cells = cells
                .iter()
                .map(|(column, cell)| (*column, (*cell).to_owned()))
                .collect();
            self.0.push((line, cells));
        }
    }

    fn pointers(errors: &Errors) -> Vec<&str> {
        errors.listed().iter().map(|e| e.pointer.as_str()).collect()
    }

    #[test]
    fn rows_are_read_with_their_spreadsheet_numbers_and_columns() {
        let csv = "\u{feff}STT,Tên,Màu,note\r\n1,A,x,\r\n\r\n2,\"B\nB\",,n\r\n,,,\r\n3,C,,,extra\r\n4,D\r\n";
        let (kept, errors) = read_rows::<Kept>(csv.as_bytes(), FileKind::Csv, Some(" MAU ")).expect("a readable file");
        assert_eq!(
            kept.0,
            [
                (2, vec![("name", "A".to_owned()), ("note", String::new())]),
                (4, vec![("name", "B\nB".to_owned()), ("note", "n".to_owned())]),
                (7, vec![("name", "D".to_owned())]),
            ]
        );
        assert_eq!(pointers(&errors), ["#/rows/6"], "the row longer than the header");
    }

    #[test]
    fn a_header_is_checked_before_any_row() {
        let (_, errors) = read_rows::<Kept>(b"name,colour,Ten\nA,x,y\n", FileKind::Csv, None).expect("readable");
        assert_eq!(pointers(&errors), ["#/rows/1", "#/rows/1"]);
        let Err(ApiError::Validation(refused)) = read_rows::<Kept>(b"note\nx\n", FileKind::Csv, None) else {
            panic!("a file without its required column is refused at once");
        };
        assert_eq!(refused.len(), 1);
    }

    #[test]
    fn errors_past_the_cap_are_counted_not_listed() {
        let mut errors = Errors::default();
        for row in (2..=MAX_LISTED_ERRORS + 6).rev() {
            errors.push(FieldError::new(&format!("rows/{row}"), "invalid_value", "bad"));
        }
        let ApiError::Validation(listed) = errors.into_problem() else {
            panic!("a 422");
        };
        assert_eq!(listed.len(), MAX_LISTED_ERRORS + 1);
        // The first listed, put in row order.
        assert_eq!(
            (
                listed[0].pointer.as_str(),
                listed[MAX_LISTED_ERRORS - 1].pointer.as_str()
            ),
            ("#/rows/7", "#/rows/1006")
        );
        let last = listed.last().expect("the count");
        assert_eq!((last.pointer.as_str(), last.code.as_str()), ("#/rows", "more_errors"));
        assert!(last.detail.starts_with("5 more errors"), "{}", last.detail);
    }
}
