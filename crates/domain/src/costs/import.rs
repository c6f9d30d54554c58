//! The import of expenses (`POST /api/v1/programs/{id}/expenses/import`): a finance office's
//! spreadsheet of what a programme spent, as a CSV file or an Excel workbook (its first sheet),
//! read the way the enrolment import reads its files (`crate::enrollments::import`): the same
//! media types and size limits, headings in English or Vietnamese compared without case or
//! diacritics, `STT` read and left out, `?ignore=` for columns to leave out, rows numbered as the
//! spreadsheet shows them (the header is row 1), and every error of the file in one 422
//! (`#/rows/<row>/<column>`).
//!
//! Columns: `category`, `amount`, `currency` and `date` are required; `cohort` (the cohort's code
//! in the programme), `trainee_email` and `enrollment_id` (which trainee's cost it is), `payer` (a
//! funder's partner code; empty, `department` or `ngân sách đơn vị` for the department's own
//! budget), `status` (`committed`, the default, or `paid`), `period_from`, `period_to`,
//! `reference` and `note` are optional. Amounts are written as the locale writes them
//! (`1.250.000`, `1,250,000.00`, `1 250 000 ₫`: [`crate::money::parse_localised`]); dates as
//! `2025-03-01`, day first as Vietnamese sheets write them (`01/03/2025`, `1-3-2025`,
//! `01.03.2025`), or a workbook's date cell.
//!
//! All or nothing: the file is checked first (its cells, then what they name in the database:
//! cohorts, trainees, enrolments, funders), and one bad cell stops the import. Each row is then
//! created through [`resource::create`], exactly as `POST /api/v1/programs/{id}/expenses` would
//! create it (converted, totalled and audited), in the one transaction of the request.
//! `?dry_run=true` checks and reports what would be created, writing nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CostCategory, CreateExpense, Expense, ExpenseStatus};
use crate::audit::Actor;
use crate::db::{DbConnection, Lookup};
use crate::enrollments::import::FileKind;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{CohortId, CostId, EnrollmentId, PartnerId, ProgramId, TraineeId};
use crate::money::Currency;
use crate::programs::Program;
use crate::resource::{self, Record};
use crate::schema::{cohorts, enrollments, partners, program_partners};
use crate::trainees::Trainee;

/// Most data rows in one file, as for the enrolment import.
const MAX_ROWS: usize = 20_000;

/// Most errors a refused file's answer lists; the answer says how many more there are.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// The columns a file may have.
const COLUMNS: [&str; 13] = [
    "cohort",
    "trainee_email",
    "enrollment_id",
    "category",
    "payer",
    "status",
    "amount",
    "currency",
    "date",
    "period_from",
    "period_to",
    "reference",
    "note",
];

/// The columns every file must have.
const REQUIRED: [&str; 4] = ["category", "amount", "currency", "date"];

/// The column of the row numbers a list is written with (`STT`): read and left out.
const ROW_NUMBER: &str = "row_number";

/// The headings each column may have besides its own name, as a Vietnamese finance office writes
/// them; compared folded (no case, no diacritics, spaces collapsed).
const HEADINGS: [(&str, &[&str]); 14] = [
    (
        "cohort",
        &[
            "cohort code",
            "cohort_code",
            "lớp",
            "mã lớp",
            "lớp học",
            "khóa",
            "khóa học",
            "mã khóa",
        ],
    ),
    (
        "trainee_email",
        &[
            "trainee",
            "trainee email",
            "email",
            "e-mail",
            "thư điện tử",
            "học viên",
            "email học viên",
        ],
    ),
    (
        "enrollment_id",
        &["enrolment_id", "enrollment id", "enrolment id", "mã ghi danh"],
    ),
    (
        "category",
        &[
            "khoản mục",
            "khoản chi",
            "loại chi phí",
            "loại chi",
            "hạng mục",
            "danh mục",
        ],
    ),
    (
        "payer",
        &[
            "payer code",
            "paid by",
            "funder",
            "nguồn kinh phí",
            "nguồn",
            "nguồn chi",
            "đơn vị chi trả",
            "bên chi trả",
            "nhà tài trợ",
        ],
    ),
    ("status", &["trạng thái", "tình trạng"]),
    ("amount", &["số tiền", "thành tiền", "giá trị", "kinh phí"]),
    (
        "currency",
        &[
            "loại tiền",
            "loại tiền tệ",
            "tiền tệ",
            "đơn vị tiền",
            "đơn vị tiền tệ",
            "ngoại tệ",
        ],
    ),
    (
        "date",
        &["ngày", "ngày chi", "ngày chứng từ", "ngày hóa đơn", "ngày thanh toán"],
    ),
    ("period_from", &["from", "từ ngày"]),
    ("period_to", &["to", "đến ngày"]),
    (
        "reference",
        &[
            "invoice",
            "ref",
            "số chứng từ",
            "chứng từ",
            "số hóa đơn",
            "hóa đơn",
            "số quyết định",
        ],
    ),
    ("note", &["notes", "ghi chú", "diễn giải", "nội dung"]),
    (ROW_NUMBER, &["stt", "tt", "số tt", "số thứ tự", "no."]),
];

/// Each category's Vietnamese labels (besides its own name, with `_` or spaces), compared folded.
const CATEGORY_LABELS: [(CostCategory, &[&str]); 11] = [
    (
        CostCategory::Airfare,
        &["vé máy bay", "máy bay", "airfares", "flight", "flights"],
    ),
    (
        CostCategory::PerDiem,
        &[
            "công tác phí",
            "phụ cấp",
            "phụ cấp lưu trú",
            "tiền ăn",
            "per diems",
            "allowance",
        ],
    ),
    (
        CostCategory::Accommodation,
        &["lưu trú", "khách sạn", "tiền phòng", "chỗ ở", "hotel", "lodging"],
    ),
    (
        CostCategory::TuitionAndFees,
        &["học phí", "lệ phí", "phí đào tạo", "tuition", "fees"],
    ),
    (
        CostCategory::InterpretationAndTranslation,
        &[
            "phiên dịch",
            "biên dịch",
            "biên phiên dịch",
            "dịch thuật",
            "interpretation",
            "translation",
        ],
    ),
    (
        CostCategory::Venue,
        &["hội trường", "địa điểm", "thuê hội trường", "phòng học"],
    ),
    (CostCategory::Materials, &["tài liệu", "học liệu", "văn phòng phẩm"]),
    (CostCategory::Insurance, &["bảo hiểm"]),
    (CostCategory::Visa, &["thị thực", "visas"]),
    (
        CostCategory::LocalTransport,
        &["đi lại", "đi lại tại chỗ", "phương tiện đi lại", "thuê xe", "transport"],
    ),
    (CostCategory::Other, &["khác", "chi khác"]),
];

/// What a payer cell that means the department's own budget may say, compared folded.
const OWN_BUDGET: [&str; 6] = [
    "department",
    "own budget",
    "own_budget",
    "ngân sách đơn vị",
    "ngân sách",
    "đơn vị",
];

/// Each status's labels, compared folded.
const STATUS_LABELS: [(ExpenseStatus, &[&str]); 2] = [
    (
        ExpenseStatus::Committed,
        &["committed", "đã cam kết", "cam kết", "chưa chi", "chưa thanh toán"],
    ),
    (
        ExpenseStatus::Paid,
        &["paid", "đã chi", "đã thanh toán", "chi", "thanh toán"],
    ),
];

/// Options of an expense import.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ExpenseImportOptions {
    /// Check the file and report what would be created, without writing anything.
    pub dry_run: Option<bool>,
    /// Headings of the file's columns to leave out, comma-separated, as the header row writes
    /// them (compared without case or diacritics): `?ignore=Người lập,Ghi chú nội bộ`. Any other
    /// heading that names no column stops the import, naming it.
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub ignore: Option<String>,
}

/// What happened (or would happen) to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseRowAction {
    /// An expense was created (or, in a dry run, would be).
    Created,
}

/// One row's outcome: the expense as it was (or would be) created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedExpense {
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// What happened.
    pub action: ExpenseRowAction,
    /// The expense; `null` in a dry run.
    pub expense_id: Option<CostId>,
    /// The cohort, from the `cohort` code or the trainee's enrolment; `null`: the programme as a whole.
    pub cohort_id: Option<CohortId>,
    /// The trainee's enrolment, from `trainee_email` or `enrollment_id`.
    pub enrollment_id: Option<EnrollmentId>,
    /// What it paid for.
    pub category: CostCategory,
    /// The funder that pays; `null`: the department's own budget.
    pub payer_id: Option<PartnerId>,
    /// Committed or paid.
    pub status: ExpenseStatus,
    /// The amount as read, exact, as the API writes it (`"1250000"` VND, `"1250000.00"` USD).
    #[schema(example = "1250000")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// The day it was committed or paid.
    pub date: NaiveDate,
    /// The invoice, receipt or decision number.
    pub reference: Option<String>,
}

/// The sum of a file's amounts in one currency, to check against the spreadsheet's own total.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedTotal {
    /// ISO 4217 currency code.
    #[schema(value_type = String, example = "VND")]
    pub currency: Currency,
    /// Rows in this currency.
    pub expenses: usize,
    /// Their amounts added up, exact, as a decimal string.
    #[schema(example = "31812500")]
    pub amount: String,
}

/// The outcome of an expense import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpenseImportReport {
    /// Whether this was only a check.
    pub dry_run: bool,
    /// Data rows read (blank rows left out).
    pub rows: usize,
    /// Expenses created (or that would be).
    pub created: usize,
    /// Of them, committed.
    pub committed: usize,
    /// Of them, paid.
    pub paid: usize,
    /// The amounts per currency, by currency code.
    pub totals: Vec<ImportedTotal>,
    /// Every row, in file order.
    pub items: Vec<ImportedExpense>,
}

/// What a row's payer cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Payer {
    /// The department's own budget.
    Department,
    /// A partner, by its code.
    Code(String),
}

/// A row as read from the file: each cell checked on its own; `None` where a required cell was
/// bad (its error is already counted).
#[derive(Debug)]
struct Row {
    line: usize,
    cohort: Option<String>,
    trainee_email: Option<String>,
    enrollment_id: Option<EnrollmentId>,
    category: Option<CostCategory>,
    payer: Payer,
    status: ExpenseStatus,
    /// The amount in minor units, with its currency.
    amount: Option<(i64, Currency)>,
    date: Option<NaiveDate>,
    period_from: Option<NaiveDate>,
    period_to: Option<NaiveDate>,
    reference: Option<String>,
    note: Option<String>,
    /// Whether a cell of the row was refused.
    bad: bool,
}

/// A file read and checked on its own: its rows and every error found so far.
#[derive(Debug)]
pub struct Parsed {
    rows: Vec<Row>,
    errors: Errors,
}

/// Read and check the whole file; every problem is collected, none stops the reading, except a
/// file that cannot be read at all or lacks a required column (422 at once). `ignore` holds the
/// headings (`?ignore=`) whose columns are left out.
pub fn parse(bytes: &[u8], kind: FileKind, ignore: Option<&str>) -> ApiResult<Parsed> {
    let ignored: Vec<String> = ignore
        .unwrap_or_default()
        .split(',')
        .map(heading_key)
        .filter(|key| !key.is_empty())
        .collect();
    let checker = match kind {
        FileKind::Csv => parse_csv(bytes, &ignored)?,
        FileKind::Xlsx => parse_xlsx(bytes, &ignored)?,
    };
    Ok(Parsed {
        rows: checker.rows,
        errors: checker.errors,
    })
}

/// A heading (or a label) as compared: folded (no case, no diacritics), its spaces collapsed.
fn heading_key(heading: &str) -> String {
    let folded = crate::text::fold(heading.trim());
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The column a heading names, if any.
fn column_of(heading: &str) -> Option<&'static str> {
    let key = heading_key(heading);
    HEADINGS.iter().find_map(|(column, others)| {
        (key == *column || key == column.replace('_', " ") || others.iter().any(|other| heading_key(other) == key))
            .then_some(*column)
    })
}

/// A category as finance writes it: its name (`per_diem`, `per diem`, any case) or a label.
fn category_of(cell: &str) -> Option<CostCategory> {
    let key = heading_key(cell);
    let underscored = key.replace(' ', "_");
    if let Ok(category) = underscored.parse::<CostCategory>() {
        return Some(category);
    }
    CATEGORY_LABELS.iter().find_map(|(category, labels)| {
        labels
            .iter()
            .any(|label| heading_key(label) == key)
            .then_some(*category)
    })
}

/// A status as finance writes it.
fn status_of(cell: &str) -> Option<ExpenseStatus> {
    let key = heading_key(cell);
    STATUS_LABELS
        .iter()
        .find_map(|(status, labels)| labels.iter().any(|label| heading_key(label) == key).then_some(*status))
}

/// A currency as a cell writes it: an ISO 4217 code (any case), or the đồng as `VNĐ`, `đ`, `₫`
/// or `đồng`, the dollar as `US$` or `$`, the euro as `€`.
fn currency_of(cell: &str) -> Result<Currency, String> {
    match heading_key(cell).as_str() {
        "vnd" | "d" | "₫" | "dong" => return Ok(Currency::VND),
        "us$" | "$" => return Ok(Currency::USD),
        "€" => return Ok(Currency::EUR),
        _ => {}
    }
    Currency::parse(cell)
}

/// A day as a spreadsheet writes it: `2025-03-01` (how a workbook's date cell is read, perhaps
/// with a time after it), day first as Vietnamese sheets write it (`01/03/2025`, `1-3-2025`,
/// `01.03.2025`), or the day number of a date cell saved without its format (`45717`, days
/// since 1899-12-30). `None` when it is none of these or no such day exists.
fn day_of(cell: &str) -> Option<NaiveDate> {
    let cell = cell.trim();
    let number = |part: &str| part.trim().parse::<u32>().ok();
    let day = |year: u32, month: u32, day: u32| NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day);
    let parts: Vec<&str> = cell.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [d, m, y] if y.trim().len() == 4 => day(number(y)?, number(m)?, number(d)?),
        [y, m, d] if y.trim().len() == 4 => {
            // ISO, perhaps with a time after the day (`2025-03-01 00:00:00`, `2025-03-01T08:00`).
            let d = d.split([' ', 'T']).next()?;
            day(number(y)?, number(m)?, number(d)?)
        }
        _ => {
            // A date cell's day number, perhaps with a fraction of a day: above any year.
            let serial = cell
                .parse::<f64>()
                .ok()
                .filter(|n| (3_000.0..2_958_466.0).contains(n))?;
            #[expect(clippy::cast_possible_truncation, reason = "in range and floored")]
            let days = serial.floor() as i64;
            NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
        }
    }
}

/// A cell's text as stored: NFC, trimmed (Vietnamese typed on different keyboards arrives
/// composed or decomposed).
fn nfc(cell: &str) -> String {
    let mut value = serde_json::Value::from(cell);
    crate::text::normalize_json(&mut value);
    value.as_str().unwrap_or(cell).to_owned()
}

fn parse_csv(bytes: &[u8], ignored: &[String]) -> ApiResult<Checker> {
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
    // Flexible: a row that stops before the last columns has those cells empty; a row with more
    // cells than headings is refused below.
    let mut reader = csv::ReaderBuilder::new()
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
    let mut checker = Checker::new(&written, ignored, 1)?;
    // A quoted cell that is never closed would turn the rest of the file into one cell.
    let open_quote = unterminated_quote(text);

    let mut record = csv::StringRecord::new();
    // Rows as a spreadsheet numbers them (as the enrolment import counts them): the header is
    // row 1, a wholly empty line is a row too, and a cell spanning lines is still one row.
    let mut breaks_before = 0;
    let mut counted_to = 0;
    let mut breaks_inside = 0;
    let mut line;
    loop {
        let outcome = reader.read_record(&mut record);
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
        if !checker.count_row(line) {
            break;
        }
        if let Err(e) = outcome {
            checker.errors.push(FieldError::new(
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
            let heading = written.get(cell).map_or(String::new(), |h| format!(" (`{h}`)"));
            checker.errors.push(FieldError::new(
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
        checker.check(line, &cells);
    }
    Ok(checker)
}

fn parse_xlsx(bytes: &[u8], ignored: &[String]) -> ApiResult<Checker> {
    // The header and one row past the limit, so that a longer sheet is named as such.
    let rows = crate::tabular::sheet::xlsx_rows(bytes, MAX_ROWS + 1)
        .map_err(|detail| ApiError::Validation(vec![FieldError::new("rows", "unreadable_file", detail)]))?;
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "rows/1",
            "missing_column",
            "the first sheet is empty; its first row must name the columns: category, amount, currency and date \
             (Khoản mục, Số tiền, Loại tiền, Ngày) at least",
        )]));
    };
    let written: Vec<String> = header.cells.iter().map(|h| h.trim().to_owned()).collect();
    let mut checker = Checker::new(&written, ignored, header.row)?;
    for row in rows {
        let line = row.row;
        if !checker.count_row(line) {
            break;
        }
        if !row.errors.is_empty() {
            for (column, error) in &row.errors {
                let name = checker.headers.get(*column).copied().flatten();
                let pointer = name.map_or(format!("rows/{line}"), |name| format!("rows/{line}/{name}"));
                checker.errors.push(FieldError::new(
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
        checker.check(line, &cells);
    }
    Ok(checker)
}

/// Where a quoted cell that is never closed opens: its byte offset and its column (0 for the
/// first), read as the csv reader reads (RFC 4180).
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

/// The checks of a file's rows, whatever its kind: the header's columns, each row's cells, and
/// every error found.
struct Checker {
    /// Each heading's column; `None` for one whose cells are left out.
    headers: Vec<Option<&'static str>>,
    errors: Errors,
    rows: Vec<Row>,
    /// Rows read, toward [`MAX_ROWS`].
    read: usize,
}

impl Checker {
    /// The columns `written` names (the header, on row `line`), leaving out `ignored` headings and
    /// the row number. A heading that names no column is an error, reported with the rows'
    /// errors; a file without a required column is refused at once.
    fn new(written: &[String], ignored: &[String], line: usize) -> ApiResult<Checker> {
        let at = format!("rows/{line}");
        let mut errors = Errors::default();
        let mut headers: Vec<Option<&'static str>> = Vec::with_capacity(written.len());
        for (i, heading) in written.iter().enumerate() {
            if ignored.contains(&heading_key(heading)) {
                headers.push(None);
                continue;
            }
            let column = column_of(heading);
            match column {
                None => errors.push(FieldError::new(
                    &at,
                    "unknown_column",
                    format!(
                        "column {} is `{heading}`, which is not an expense column; the columns are {} (or their \
                         Vietnamese headings: Lớp, Email học viên, Khoản mục, Nguồn kinh phí, Trạng thái, Số tiền, \
                         Loại tiền, Ngày, Từ ngày, Đến ngày, Số chứng từ, Ghi chú; STT is read as the row number); \
                         to import the file without it, add `?ignore={heading}` to the request (several headings: \
                         comma-separated)",
                        i + 1,
                        COLUMNS.join(", ")
                    ),
                )),
                Some(ROW_NUMBER) => {}
                Some(name) if headers.contains(&Some(name)) => errors.push(FieldError::new(
                    &at,
                    "duplicate_column",
                    format!("column {} (`{heading}`) is `{name}` again", i + 1),
                )),
                Some(_) => {}
            }
            headers.push(column.filter(|name| *name != ROW_NUMBER && !headers.contains(&Some(name))));
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|column| !headers.contains(&Some(column)))
            .collect();
        if !missing.is_empty() {
            errors.push(FieldError::new(
                &at,
                "missing_column",
                format!(
                    "the header row must name the columns category (Khoản mục), amount (Số tiền), currency (Loại \
                     tiền) and date (Ngày); missing: {}",
                    missing.join(", ")
                ),
            ));
            return Err(errors.into_problem());
        }
        Ok(Checker {
            headers,
            errors,
            rows: Vec::new(),
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

    /// Check row `line`, whose cells are `cells` in the header's order; the row is kept, with
    /// `bad` set when a cell was refused, so that what it names is still checked.
    fn check(&mut self, line: usize, cells: &[&str]) {
        if cells.len() > self.headers.len() {
            self.errors.push(FieldError::new(
                &format!("rows/{line}"),
                "too_many_cells",
                format!(
                    "row {line} has {} cells, but the header row names {} columns",
                    cells.len(),
                    self.headers.len()
                ),
            ));
            return;
        }
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            return; // blank lines that spreadsheets leave at the end
        }
        let mut cell_of: HashMap<&'static str, String> = HashMap::new();
        for (name, cell) in self.headers.iter().zip(cells) {
            let cell = nfc(cell);
            if let (Some(name), false) = (name, cell.is_empty()) {
                cell_of.insert(*name, cell);
            }
        }
        let errors = &mut self.errors;
        let mut bad = false;
        let mut refuse = |column: &str, code: &str, detail: String| {
            errors.push(FieldError::new(&format!("rows/{line}/{column}"), code, detail));
            bad = true;
        };
        let cell = |column: &str| cell_of.get(column).map(String::as_str);

        let category = match cell("category") {
            None => {
                refuse("category", "required", category_help("no category"));
                None
            }
            Some(text) => {
                let category = category_of(text);
                if category.is_none() {
                    refuse(
                        "category",
                        "invalid_value",
                        category_help(&format!("`{text}` is not a category")),
                    );
                }
                category
            }
        };
        let status = match cell("status").map(|text| (text, status_of(text))) {
            None => ExpenseStatus::Committed,
            Some((_, Some(status))) => status,
            Some((text, None)) => {
                refuse(
                    "status",
                    "invalid_value",
                    format!(
                        "`{text}` is not a status; write committed (đã cam kết) or paid (đã chi), or leave it empty \
                         for committed"
                    ),
                );
                ExpenseStatus::Committed
            }
        };
        let payer = match cell("payer") {
            None => Payer::Department,
            Some(text) if OWN_BUDGET.iter().any(|own| heading_key(own) == heading_key(text)) => Payer::Department,
            Some(text) => Payer::Code(text.to_owned()),
        };
        let currency = match cell("currency").map(currency_of) {
            None => {
                refuse(
                    "currency",
                    "required",
                    "no currency: write an ISO 4217 code such as VND or USD".to_owned(),
                );
                None
            }
            Some(Ok(currency)) => Some(currency),
            Some(Err(problem)) => {
                refuse("currency", "invalid_value", problem);
                None
            }
        };
        // An amount is read in its currency (which says how many decimals it has); without a
        // currency, only the currency's error is given.
        let amount = match (cell("amount"), currency) {
            (None, _) => {
                refuse(
                    "amount",
                    "required",
                    "no amount: write one such as 1.250.000".to_owned(),
                );
                None
            }
            (Some(_), None) => None,
            (Some(text), Some(currency)) => match crate::money::parse_localised(text, currency) {
                Ok(minor) => Some((minor, currency)),
                Err(problem) => {
                    refuse("amount", "invalid_amount", problem.to_string());
                    None
                }
            },
        };
        let mut dated = |column: &str, required: bool| match cell(column) {
            None if required => {
                refuse(
                    column,
                    "required",
                    "no date: write the day as dd/mm/yyyy (01/03/2025) or yyyy-mm-dd (2025-03-01)".to_owned(),
                );
                None
            }
            None => None,
            Some(text) => {
                let day = day_of(text);
                if day.is_none() {
                    refuse(
                        column,
                        "not_a_date",
                        format!(
                            "`{text}` is not a date; write the day as dd/mm/yyyy (01/03/2025, day first) or \
                             yyyy-mm-dd (2025-03-01)"
                        ),
                    );
                }
                day
            }
        };
        let date = dated("date", true);
        let period_from = dated("period_from", false);
        let period_to = dated("period_to", false);
        if let (Some(from), Some(to)) = (period_from, period_to)
            && to < from
        {
            refuse(
                "period_to",
                "before_start",
                format!("ends ({to}) before period_from ({from}); swap them or correct one"),
            );
        }
        let enrollment_id = match cell("enrollment_id") {
            None => None,
            Some(text) => {
                let id = text
                    .strip_suffix(".0")
                    .unwrap_or(text)
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0);
                if id.is_none() {
                    refuse(
                        "enrollment_id",
                        "invalid_value",
                        format!(
                            "`{text}` is not an enrolment id; write the number GET /api/v1/cohorts/{{id}}/enrollments \
                             shows, or name the trainee by email in trainee_email"
                        ),
                    );
                }
                id.map(EnrollmentId)
            }
        };
        let trainee_email = cell("trainee_email").map(str::to_owned);
        if let Some(email) = &trainee_email
            && !email.contains('@')
        {
            refuse(
                "trainee_email",
                "invalid_value",
                format!("`{email}` is not an email; name the trainee by the email TPMS holds for them"),
            );
        }
        // The text fields' rules, as a request's body is checked.
        let texts = CreateExpense {
            cohort_id: None,
            enrollment_id: None,
            category: CostCategory::Other,
            payer_id: None,
            status: None,
            amount: String::new(),
            currency: Currency::VND,
            date: NaiveDate::MIN,
            period_from: None,
            period_to: None,
            reference: cell("reference").map(str::to_owned),
            note: cell("note").map(str::to_owned),
        };
        if let Err(invalid) = texts.validate() {
            for error in crate::error::field_errors(&invalid) {
                refuse(error.pointer.trim_start_matches("#/"), &error.code, error.detail);
            }
        }
        let row = Row {
            line,
            cohort: cell("cohort").map(str::to_owned),
            trainee_email,
            enrollment_id,
            category,
            payer,
            status,
            amount,
            date,
            period_from,
            period_to,
            reference: texts.reference,
            note: texts.note,
            bad,
        };
        self.rows.push(row);
    }
}

/// How to write a category, after `what` went wrong.
fn category_help(what: &str) -> String {
    let names: Vec<&str> = CATEGORY_LABELS.iter().map(|(category, _)| category.as_str()).collect();
    format!(
        "{what}; write one of {} (or in Vietnamese: vé máy bay, công tác phí, lưu trú, học phí, phiên dịch, hội \
         trường, tài liệu, bảo hiểm, thị thực, đi lại, khác)",
        names.join(", ")
    )
}

/// A file's errors: the first [`MAX_LISTED_ERRORS`], and how many in all.
#[derive(Debug, Default)]
struct Errors {
    listed: Vec<FieldError>,
    total: usize,
}

impl Errors {
    fn push(&mut self, error: FieldError) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(error);
        }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The 422 that lists them in row order (a row's cells before what they name), ending with
    /// `more_errors` at `rows` when some are left out.
    fn into_problem(mut self) -> ApiError {
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

/// What a programme's rows may name, read once per file, with what was looked up as it goes.
struct Names {
    program: ProgramId,
    /// The programme's cohorts by folded code.
    cohorts: HashMap<String, (CohortId, String)>,
    /// The programme's funders by upper-case code.
    funders: HashMap<String, PartnerId>,
    /// Each trainee email looked up (lower case), and its trainee.
    trainees: HashMap<String, Option<TraineeId>>,
}

impl Names {
    fn of(conn: &mut DbConnection, program: ProgramId) -> ApiResult<Names> {
        let cohorts: Vec<(CohortId, String)> = cohorts::table
            .filter(cohorts::program_id.eq(program))
            .select((cohorts::id, cohorts::code))
            .order(cohorts::code)
            .load(conn)?;
        let funders: Vec<(PartnerId, String)> = program_partners::table
            .inner_join(partners::table)
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::roles.like("%\"funder\"%"))
            .select((partners::id, partners::code))
            .load(conn)?;
        Ok(Names {
            program,
            cohorts: cohorts
                .into_iter()
                .map(|(id, code)| (heading_key(&code), (id, code)))
                .collect(),
            funders: funders
                .into_iter()
                .map(|(id, code)| (code.trim().to_uppercase(), id))
                .collect(),
            trainees: HashMap::new(),
        })
    }

    /// The codes of a few of the programme's cohorts, to name in an error.
    fn cohort_codes(&self) -> String {
        let mut codes: Vec<&str> = self.cohorts.values().map(|(_, code)| code.as_str()).collect();
        codes.sort_unstable();
        match codes.len() {
            0 => "it has no cohort yet".to_owned(),
            n if n > 10 => format!(
                "its cohorts include {} (GET /api/v1/programs/{}/cohorts lists them)",
                codes[..10].join(", "),
                self.program
            ),
            _ => format!("its cohorts are {}", codes.join(", ")),
        }
    }

    /// The codes of the programme's funders, to name in an error.
    fn funder_codes(&self) -> String {
        let mut codes: Vec<&str> = self.funders.keys().map(String::as_str).collect();
        codes.sort_unstable();
        if codes.is_empty() {
            "it has no funder yet".to_owned()
        } else {
            format!("its funders are {}", codes.join(", "))
        }
    }

    /// The trainee whose email is `email`, looked up once per file.
    fn trainee(&mut self, conn: &mut DbConnection, email: &str) -> ApiResult<Option<TraineeId>> {
        let key = email.to_lowercase();
        if let Some(found) = self.trainees.get(&key) {
            return Ok(*found);
        }
        let found = Trainee::find_by_email(conn, email)?.map(|trainee| trainee.id);
        self.trainees.insert(key, found);
        Ok(found)
    }
}

/// A row whose every cell and name checked out: the body `POST /programs/{id}/expenses` would take.
struct Checked {
    line: usize,
    new: CreateExpense,
    amount_minor: i64,
}

/// Check what each row names (cohort, trainee, enrolment, payer) in programme `program`, then,
/// unless every row is good, answer 422 with every error of the file; if all are good, create
/// each expense as `POST /programs/{id}/expenses` would (or, for a dry run, only report them).
pub fn import(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    parsed: Parsed,
    dry_run: bool,
) -> ApiResult<ExpenseImportReport> {
    Program::find(conn, program)?;
    let Parsed { rows, mut errors } = parsed;
    let mut names = Names::of(conn, program)?;
    let mut checked = Vec::with_capacity(rows.len());
    let read = rows.len();
    for row in rows {
        if let Some(good) = resolve(conn, &mut names, row, &mut errors)? {
            checked.push(good);
        }
    }
    if !errors.is_empty() {
        return Err(errors.into_problem());
    }
    let mut report = ExpenseImportReport {
        dry_run,
        rows: read,
        created: 0,
        committed: 0,
        paid: 0,
        totals: Vec::new(),
        items: Vec::with_capacity(checked.len()),
    };
    let mut totals: BTreeMap<&'static str, (Currency, usize, i128)> = BTreeMap::new();
    for Checked {
        line,
        new,
        amount_minor,
    } in checked
    {
        let item = if dry_run {
            ImportedExpense {
                row: line,
                action: ExpenseRowAction::Created,
                expense_id: None,
                cohort_id: new.cohort_id,
                enrollment_id: new.enrollment_id,
                category: new.category,
                payer_id: new.payer_id,
                status: new.status.unwrap_or(ExpenseStatus::Committed),
                amount: new.amount,
                currency: new.currency,
                date: new.date,
                reference: new.reference,
            }
        } else {
            let expense = resource::create::<Expense>(conn, actor, program, new).map_err(|e| at_row(e, line))?;
            ImportedExpense {
                row: line,
                action: ExpenseRowAction::Created,
                expense_id: Some(expense.id),
                cohort_id: expense.cohort_id,
                enrollment_id: expense.enrollment_id,
                category: expense.category,
                payer_id: expense.payer_id,
                status: expense.status,
                amount: expense.amount,
                currency: expense.currency,
                date: expense.date,
                reference: expense.reference,
            }
        };
        report.created += 1;
        match item.status {
            ExpenseStatus::Committed => report.committed += 1,
            ExpenseStatus::Paid => report.paid += 1,
        }
        let total = totals.entry(item.currency.code()).or_insert((item.currency, 0, 0));
        total.1 += 1;
        total.2 += i128::from(amount_minor);
        report.items.push(item);
    }
    report.totals = totals
        .into_values()
        .map(|(currency, expenses, sum)| ImportedTotal {
            currency,
            expenses,
            amount: wide_amount(sum, currency),
        })
        .collect();
    Ok(report)
}

/// Check what `row` names, adding each problem to `errors`; the row's body when it is good.
fn resolve(conn: &mut DbConnection, names: &mut Names, row: Row, errors: &mut Errors) -> ApiResult<Option<Checked>> {
    let line = row.line;
    let mut bad = row.bad;
    let mut refuse = |column: &str, code: &str, detail: String| {
        errors.push(FieldError::new(&format!("rows/{line}/{column}"), code, detail));
        bad = true;
    };
    let program = names.program;

    let mut cohort = None;
    if let Some(code) = &row.cohort {
        match names.cohorts.get(&heading_key(code)) {
            Some((id, _)) => cohort = Some((*id, code.clone())),
            None => refuse(
                "cohort",
                "not_found",
                format!(
                    "programme {program} has no cohort with the code `{code}`; {}; or leave the cell empty for a cost \
                     of the programme as a whole",
                    names.cohort_codes()
                ),
            ),
        }
    }

    let payer_id = match &row.payer {
        Payer::Department => None,
        Payer::Code(code) => match names.funders.get(&code.to_uppercase()) {
            Some(id) => Some(*id),
            None => {
                let partner: Option<PartnerId> = partners::table
                    .filter(partners::code.eq(code).or(partners::code.eq(code.to_uppercase())))
                    .select(partners::id)
                    .lookup(conn)?;
                let detail = match partner {
                    Some(partner) => format!(
                        "partner `{code}` (id {partner}) is not a funder of programme {program}: give it the role \
                         `funder` (PUT /api/v1/programs/{program}/partners/{partner}), or write `department` (ngân \
                         sách đơn vị) or leave the cell empty for the department's own budget; {}",
                        names.funder_codes()
                    ),
                    None => format!(
                        "no partner has the code `{code}`; write a funder's partner code ({}), or `department` (ngân \
                         sách đơn vị) or nothing for the department's own budget",
                        names.funder_codes()
                    ),
                };
                refuse("payer", "not_a_funder", detail);
                None
            }
        },
    };

    // The trainee's enrolment: by its id, which the email (when given too) must agree with; or by
    // the email alone, in the row's cohort or as the trainee's only enrolment in the programme.
    let mut by_email = None;
    if let Some(email) = &row.trainee_email
        && email.contains('@')
    {
        match names.trainee(conn, email)? {
            Some(trainee) => by_email = Some((trainee, email)),
            None => refuse(
                "trainee_email",
                "not_found",
                format!(
                    "no trainee has the email {email}; check it against the trainee's record, or leave the cell empty \
                     for a cost of the cohort or programme as a whole"
                ),
            ),
        }
    }
    let mut enrollment = None;
    if let Some(id) = row.enrollment_id {
        let found: Option<(TraineeId, CohortId, String, ProgramId)> = enrollments::table
            .inner_join(cohorts::table)
            .filter(enrollments::id.eq(id))
            .select((enrollments::trainee_id, cohorts::id, cohorts::code, cohorts::program_id))
            .lookup(conn)?;
        match found {
            None => refuse(
                "enrollment_id",
                "not_found",
                format!("names no enrolment (id {id}); see GET /api/v1/cohorts/{{id}}/enrollments"),
            ),
            Some((_, _, _, other)) if other != program => refuse(
                "enrollment_id",
                "not_in_program",
                format!(
                    "enrolment {id} is in a cohort of programme {other}, not {program}; import its costs into that \
                     programme"
                ),
            ),
            Some((trainee, cohort_id, code, _)) => match (by_email, &cohort) {
                (Some((by_email, email)), _) if by_email != trainee => refuse(
                    "enrollment_id",
                    "mismatch",
                    format!(
                        "enrolment {id} is another trainee's than the one with the email {email}; correct one of the \
                         two, or keep only one"
                    ),
                ),
                (_, Some((given, given_code))) if *given != cohort_id => refuse(
                    "enrollment_id",
                    "not_in_cohort",
                    format!(
                        "enrolment {id} is in cohort `{code}`, not `{given_code}`; give its cohort or leave the cohort \
                         cell empty"
                    ),
                ),
                _ => enrollment = Some((id, cohort_id)),
            },
        }
    } else if let Some((trainee, email)) = by_email {
        let mut held: Vec<(EnrollmentId, CohortId, String)> = enrollments::table
            .inner_join(cohorts::table)
            .filter(enrollments::trainee_id.eq(trainee))
            .filter(cohorts::program_id.eq(program))
            .select((enrollments::id, cohorts::id, cohorts::code))
            .order(enrollments::id)
            .load(conn)?;
        if let Some((id, _)) = &cohort {
            held.retain(|(_, cohort, _)| cohort == id);
        }
        match (held.as_slice(), &cohort) {
            ([(id, cohort, _)], _) => enrollment = Some((*id, *cohort)),
            ([], Some((_, code))) => refuse(
                "trainee_email",
                "not_enrolled",
                format!(
                    "the trainee with the email {email} is not enrolled in cohort `{code}`; enrol them first, or \
                     correct the cohort"
                ),
            ),
            ([], None) => refuse(
                "trainee_email",
                "not_enrolled",
                format!(
                    "the trainee with the email {email} is not enrolled in any cohort of programme {program}; enrol \
                     them first, or leave the cell empty for a cost of the programme as a whole"
                ),
            ),
            (several, _) => {
                let codes: Vec<&str> = several.iter().map(|(_, _, code)| code.as_str()).collect();
                refuse(
                    "trainee_email",
                    "ambiguous",
                    format!(
                        "the trainee with the email {email} is enrolled in several cohorts of programme {program} \
                         ({}); write the cohort's code in the cohort column",
                        codes.join(", ")
                    ),
                );
            }
        }
    }

    if bad {
        return Ok(None);
    }
    let (Some(category), Some((amount_minor, currency)), Some(date)) = (row.category, row.amount, row.date) else {
        return Ok(None); // a refused required cell, already counted
    };
    let cohort_id = enrollment.map(|(_, cohort)| cohort).or(cohort.map(|(id, _)| id));
    Ok(Some(Checked {
        line,
        amount_minor,
        new: CreateExpense {
            cohort_id,
            enrollment_id: enrollment.map(|(id, _)| id),
            category,
            payer_id,
            status: Some(row.status),
            amount: crate::money::format_amount(amount_minor, currency),
            currency,
            date,
            period_from: row.period_from,
            period_to: row.period_to,
            reference: row.reference,
            note: row.note,
        },
    }))
}

/// The column of the file an expense's field comes from.
fn column_of_field(field: &str) -> &str {
    match field {
        "cohort_id" => "cohort",
        "payer_id" => "payer",
        other => other,
    }
}

/// Name the row (and its column) in an error raised while writing it, which the checks before
/// should have caught (a funder's role removed meanwhile, say).
fn at_row(error: ApiError, line: usize) -> ApiError {
    match error {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|error| {
                    let field = error.pointer.trim_start_matches("#/");
                    FieldError::new(
                        &format!("rows/{line}/{}", column_of_field(field)),
                        &error.code,
                        error.detail,
                    )
                })
                .collect(),
        ),
        ApiError::Conflict { code, detail } => ApiError::Conflict {
            code,
            detail: format!("row {line}: {detail}"),
        },
        other => other,
    }
}

/// A sum of minor units as a decimal string, however large (a file's total may pass `i64`).
fn wide_amount(sum: i128, currency: Currency) -> String {
    if let Ok(minor) = i64::try_from(sum) {
        return crate::money::format_amount(minor, currency);
    }
    let exponent = currency.exponent() as usize;
    let digits = format!("{:0>width$}", sum.unsigned_abs(), width = exponent + 1);
    let (whole, decimals) = digits.split_at(digits.len() - exponent);
    let sign = if sum < 0 { "-" } else { "" };
    if exponent == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{decimals}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(csv: &str) -> Vec<String> {
        let parsed = parse(csv.as_bytes(), FileKind::Csv, None).expect("a readable file");
        parsed.errors.listed.into_iter().map(|e| e.pointer).collect()
    }

    #[test]
    fn headings_are_read_in_english_or_vietnamese_without_case_or_diacritics() {
        for (heading, column) in [
            ("Khoản mục", Some("category")),
            ("KHOAN MUC", Some("category")),
            ("Số tiền", Some("amount")),
            ("so tien", Some("amount")),
            ("Loại tiền", Some("currency")),
            ("Ngày", Some("date")),
            ("Nguồn kinh phí", Some("payer")),
            ("Email học viên", Some("trainee_email")),
            ("Trainee Email", Some("trainee_email")),
            ("Period From", Some("period_from")),
            ("Số chứng từ", Some("reference")),
            ("Lớp", Some("cohort")),
            ("STT", Some(ROW_NUMBER)),
            ("Màu áo", None),
        ] {
            assert_eq!(column_of(heading), column, "{heading}");
        }
    }

    #[test]
    fn categories_are_read_by_name_or_vietnamese_label() {
        for (cell, category) in [
            ("per_diem", Some(CostCategory::PerDiem)),
            ("Per Diem", Some(CostCategory::PerDiem)),
            ("Vé máy bay", Some(CostCategory::Airfare)),
            ("ve may bay", Some(CostCategory::Airfare)),
            ("Công tác phí", Some(CostCategory::PerDiem)),
            ("phụ cấp", Some(CostCategory::PerDiem)),
            ("Khách sạn", Some(CostCategory::Accommodation)),
            ("Lưu trú", Some(CostCategory::Accommodation)),
            ("Học phí", Some(CostCategory::TuitionAndFees)),
            ("Biên dịch", Some(CostCategory::InterpretationAndTranslation)),
            ("Hội trường", Some(CostCategory::Venue)),
            ("Tài liệu", Some(CostCategory::Materials)),
            ("Bảo hiểm", Some(CostCategory::Insurance)),
            ("Visa", Some(CostCategory::Visa)),
            ("Thị thực", Some(CostCategory::Visa)),
            ("Đi lại", Some(CostCategory::LocalTransport)),
            ("Khác", Some(CostCategory::Other)),
            ("ăn trưa", None),
        ] {
            assert_eq!(category_of(cell), category, "{cell}");
        }
        for label in CATEGORY_LABELS.iter().flat_map(|(_, labels)| labels.iter()) {
            let owners = CATEGORY_LABELS
                .iter()
                .filter(|(_, labels)| labels.iter().any(|l| heading_key(l) == heading_key(label)))
                .count();
            assert_eq!(owners, 1, "`{label}` names one category");
        }
    }

    #[test]
    fn days_are_read_iso_or_day_first_or_as_date_cells() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (cell, expected) in [
            ("2025-03-01", day(2025, 3, 1)),
            ("2025-03-01 00:00:00", day(2025, 3, 1)),
            ("01/03/2025", day(2025, 3, 1)),
            ("1/3/2025", day(2025, 3, 1)),
            ("01-03-2025", day(2025, 3, 1)),
            ("01.03.2025", day(2025, 3, 1)),
            ("45717", day(2025, 3, 1)),
            ("31/02/2025", None),
            ("03/25/2025", None),
            ("2025", None),
            ("mùng một", None),
        ] {
            assert_eq!(day_of(cell), expected, "{cell}");
        }
    }

    #[test]
    fn every_bad_cell_of_every_row_is_named() {
        let csv = "STT,Khoản mục,Số tiền,Loại tiền,Ngày,Trạng thái\r\n\
                   1,Vé máy bay,1.250.000,VND,01/03/2025,Đã chi\r\n\
                   2,ăn trưa,\"1,250,000.001\",USD,31/02/2025,\r\n\
                   3,Khác,12,XYZ,2025-03-01,maybe\r\n";
        assert_eq!(
            pointers(csv),
            [
                "#/rows/3/category",
                "#/rows/3/amount",
                "#/rows/3/date",
                "#/rows/4/status",
                "#/rows/4/currency"
            ]
        );
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_at_once() {
        let Err(ApiError::Validation(errors)) = parse(b"Khoan muc,So tien\nKhac,1\n", FileKind::Csv, None) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors.len(), 1);
        assert!(errors[0].detail.contains("currency, date"), "{}", errors[0].detail);
    }

    #[test]
    fn totals_past_i64_are_written_whole() {
        let sum = i128::from(i64::MAX) * 3;
        assert_eq!(wide_amount(sum, Currency::VND), sum.to_string());
        assert_eq!(wide_amount(sum, Currency::USD), format!("{}.{}", sum / 100, sum % 100));
        assert_eq!(wide_amount(-125, Currency::USD), "-1.25");
        assert_eq!(wide_amount(5, Currency::USD), "0.05");
    }
}
