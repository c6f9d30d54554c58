//! The import (`POST /api/v1/cohorts/{id}/enrollments/import`): place many trainees into a
//! cohort from a CSV file, as spreadsheet programs export it, or from an Excel workbook (its
//! first sheet).
//!
//! A CSV file is UTF-8 with a header row; a leading byte-order mark is skipped, and a quote that
//! is never closed is refused with its row. Columns are the trainee's fields (`full_name`
//! required; `email`, `gender`, `birth_year`, `position`, `organisation`, `province`, `phone`,
//! `notes` optional), in any order, headed by their English names or by the Vietnamese headings an
//! office writes (`Họ và tên`, `Giới tính`, `Năm sinh`, `Chức vụ`, `Cơ quan/Đơn vị`, `Đơn vị công
//! tác`, `Tỉnh/Thành phố`, `Email`, `Điện thoại`, `Ghi chú`), with or without diacritics. `STT`
//! (the row number) is read and left out; `Ngày sinh` (`birth_date`) is a birth date, day first
//! (`15/03/1986`) or a workbook's date cell, of which the year is kept. `Nam`/`Nữ` are read as
//! male and female, and a year saved by Excel as `1986.0` as 1986. Any other heading stops the
//! import, unless the request names it in `?ignore=` (comma-separated), which leaves its column
//! out. A row with an email that a trainee already has is matched to that trainee;
//! any other row creates one. Each is then nominated (`?status=nominated`, the default) or seated
//! (`?status=enrolled`: in file order while seats are free, then waitlisted in that order),
//! unless already in the cohort.
//!
//! All or nothing: every row is checked first, and one bad cell stops the import with a 422 that
//! lists every bad header, row and column of the file at once (`#/rows/<row>/<column>`, rows
//! numbered as a spreadsheet shows them, the header being row 1). `?dry_run=true` checks and
//! reports, row by row with each trainee's name and the status it would get, without writing.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{CreateEnrollment, Enrollment, EnrollmentStatus, Placement};
use crate::audit::{self, Actor, Event};
use crate::cohorts::Placing;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{EnrollmentId, TraineeId};
use crate::resource::{self, Create, Record};
use crate::tabular::import::{Errors, FileKind, Header, ROW_NUMBER, Rows, day_of_serial, heading_key, read_rows};
use crate::trainees::{CreateTrainee, Trainee};

/// The columns a file may have.
const COLUMNS: [&str; 10] = [
    "full_name",
    "email",
    "gender",
    "birth_year",
    "birth_date",
    "position",
    "organisation",
    "province",
    "phone",
    "notes",
];

/// The headings each column may have besides its own name, as written in Vietnamese offices;
/// compared folded (no case, no diacritics), so `HO VA TEN` and `Họ và tên` both name `full_name`.
const HEADINGS: [(&str, &[&str]); 11] = [
    ("full_name", &["họ và tên", "họ tên", "họ và tên học viên"]),
    ("email", &["thư điện tử", "e-mail"]),
    ("gender", &["giới tính"]),
    ("birth_year", &["năm sinh"]),
    (
        "birth_date",
        &[
            "ngày sinh",
            "ngày tháng năm sinh",
            "ngày, tháng, năm sinh",
            "date of birth",
        ],
    ),
    ("position", &["chức vụ", "chức danh"]),
    (
        "organisation",
        &[
            "cơ quan/đơn vị",
            "cơ quan",
            "đơn vị",
            "cơ quan công tác",
            "đơn vị công tác",
            "nơi công tác",
            "cơ quan, đơn vị",
            "organization",
        ],
    ),
    ("province", &["tỉnh/thành phố", "tỉnh/tp", "tỉnh", "tỉnh, thành phố"]),
    ("phone", &["điện thoại", "số điện thoại", "sđt"]),
    ("notes", &["ghi chú"]),
    (ROW_NUMBER, &["stt", "tt", "số tt", "số thứ tự", "no."]),
];

/// The column a heading names, if any.
fn column_of(heading: &str) -> Option<&'static str> {
    let folded = heading_key(heading);
    HEADINGS.iter().find_map(|(column, others)| {
        (folded == *column || others.iter().any(|other| crate::text::fold(other) == folded)).then_some(*column)
    })
}

/// The year of a birth date as Vietnamese lists write it: `15/03/1986` (day first; also with `-`
/// or `.`), `03/1986`, `1986-03-15` (how a workbook's date cell is read), the year alone, or the
/// day number of a date cell saved without its format (`31486`, days since 1899-12-30). `None`
/// when it is none of these or no such day exists.
fn year_of_birth_date(cell: &str) -> Option<i64> {
    use chrono::{Datelike, NaiveDate};
    let cell = cell.trim();
    let number = |part: &str| part.trim().parse::<u32>().ok();
    let day = |year: u32, month: u32, day: u32| {
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day).map(|d| i64::from(d.year()))
    };
    let parts: Vec<&str> = cell.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [year] if year.len() == 4 => number(year).map(i64::from),
        [d, m, y] if y.trim().len() == 4 => day(number(y)?, number(m)?, number(d)?),
        [y, m, d] if y.trim().len() == 4 => {
            // ISO, perhaps with a time after the day (`1986-03-15 00:00:00`).
            let d = d.split_whitespace().next()?;
            day(number(y)?, number(m)?, number(d)?)
        }
        [m, y] if y.trim().len() == 4 => day(number(y)?, number(m)?, 1),
        _ => day_of_serial(cell).map(|d| i64::from(d.year())),
    }
}

/// A gender as offices write it: the API's words, or Vietnamese `Nam`, `Nữ`, `Khác`.
fn gender_of(cell: &str) -> Option<&'static str> {
    match crate::text::fold(cell).as_str() {
        "male" | "nam" => Some("male"),
        "female" | "nu" => Some("female"),
        "other" | "khac" => Some("other"),
        _ => None,
    }
}

/// A year as a spreadsheet may save it: `1986`, or `1986.0` from a number cell.
fn year_of(cell: &str) -> Option<i64> {
    cell.parse::<i64>().ok().or_else(|| {
        let number = cell
            .parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1.0e6)?;
        // Integral and small, so the cast is exact.
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 10^6")]
        Some(number as i64)
    })
}

/// Options of an import.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Check the file and report what would happen, without writing anything.
    pub dry_run: Option<bool>,
    /// `nominated` (the default): only nominate each trainee. `enrolled`: seat them in file
    /// order while the cohort has free seats, then waitlist the rest in that order.
    #[param(inline)]
    pub status: Option<ImportStatus>,
    /// Headings of the file's columns to leave out, comma-separated, as the header row writes
    /// them (compared without case or diacritics): `?ignore=Màu áo,Ghi chú nội bộ`. Any other
    /// heading that names no trainee field stops the import, naming it.
    #[validate(length(max = 2000))]
    #[param(max_length = 2000)]
    pub ignore: Option<String>,
}

/// The status an import gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Nominate; an officer decides later.
    #[default]
    Nominated,
    /// Seat while seats are free, then waitlist.
    Enrolled,
}

/// What happened (or would happen) to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A new trainee was created and nominated.
    Created,
    /// An existing trainee (same email) was nominated.
    Matched,
    /// The trainee (same email) is already in this cohort; nothing changed.
    AlreadyInCohort,
}

/// One row's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedRow {
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The trainee's name, as in the file.
    pub trainee_name: String,
    /// What happened.
    pub action: RowAction,
    /// The enrolment's status: the one given (or that would be); for a trainee already in the
    /// cohort, the one it has.
    pub status: EnrollmentStatus,
    /// The trainee; `null` for a trainee a dry run would create.
    pub trainee_id: Option<TraineeId>,
    /// The nomination; `null` in a dry run, and for trainees already in the cohort (see
    /// `existing_enrollment_id`).
    pub enrollment_id: Option<EnrollmentId>,
    /// The enrolment a trainee already in the cohort has.
    pub existing_enrollment_id: Option<EnrollmentId>,
}

/// The outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether this was only a check.
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    /// Trainees created (or that would be).
    pub trainees_created: usize,
    /// Existing trainees matched by email.
    pub trainees_matched: usize,
    /// Nominations made (or that would be).
    pub nominated: usize,
    /// Trainees seated (or that would be).
    pub enrolled: usize,
    /// Trainees waitlisted because the cohort was full (or that would be).
    pub waitlisted: usize,
    /// Rows whose trainee was already in the cohort.
    pub already_in_cohort: usize,
    /// Every row, in file order.
    pub items: Vec<ImportedRow>,
}

/// A checked row.
#[derive(Debug)]
pub struct Row {
    line: usize,
    trainee: CreateTrainee,
}

/// Parse and check the whole file (read as every import reads its files,
/// [`crate::tabular::import`]); every problem is collected, none stops the reading. `ignore` holds
/// the headings (`?ignore=`) whose columns are left out.
pub fn parse(bytes: &[u8], kind: FileKind, ignore: Option<&str>) -> ApiResult<Vec<Row>> {
    let (checker, errors) = read_rows::<Checker>(bytes, kind, ignore)?;
    if errors.is_empty() {
        Ok(checker.rows)
    } else {
        Err(errors.into_problem())
    }
}

/// The checks of a file's rows, whatever its kind: the header's columns, each row's cells, and
/// the emails across rows.
struct Checker {
    rows: Vec<Row>,
    /// Each email (lower case) and the row it is on.
    emails: HashMap<String, usize>,
}

impl Rows for Checker {
    const EMPTY_SHEET: &'static str =
        "the first sheet is empty; its first row must name the columns, with a full_name (Họ và tên) column";

    fn column_of(heading: &str) -> Option<&'static str> {
        column_of(heading)
    }

    fn unknown_column(number: usize, heading: &str) -> String {
        format!(
            "column {number} is `{heading}`, which is not a trainee field; the columns are {} (or their Vietnamese \
             headings: Họ và tên, Giới tính, Năm sinh, Ngày sinh, Chức vụ, Cơ quan/Đơn vị, Đơn vị công tác, \
             Tỉnh/Thành phố, Email, Điện thoại, Ghi chú; STT is read as the row number); to import the file \
             without it, add `?ignore={heading}` to the request (several headings: comma-separated)",
            COLUMNS.join(", ")
        )
    }

    /// Two columns that both give the birth year are an error; a file with no `full_name`
    /// column is refused at once.
    fn start(header: &Header, errors: &mut Errors) -> Option<Checker> {
        let at = format!("rows/{}", header.line);
        let written = &header.written;
        if let (Some(year), Some(date)) = (header.position("birth_year"), header.position("birth_date")) {
            errors.push(FieldError::new(
                &at,
                "duplicate_column",
                format!(
                    "column {} (`{}`) and column {} (`{}`) both give the birth year; keep one, or add \
                     `?ignore={}` to leave the other out",
                    year + 1,
                    written[year],
                    date + 1,
                    written[date],
                    written[year],
                ),
            ));
        }
        if !header.has("full_name") {
            errors.push(FieldError::new(
                &at,
                "missing_column",
                "the header row must name a full_name (Họ và tên) column",
            ));
            return None;
        }
        Some(Checker {
            rows: Vec::new(),
            emails: HashMap::new(),
        })
    }

    /// Check row `line`, whose cells are `cells` in the header's order; a good row is kept.
    fn check(&mut self, line: usize, cells: &[(&'static str, &str)], errors: &mut Errors) {
        let at = |column: &str| format!("rows/{line}/{column}");
        let mut object = Map::new();
        let mut bad_cells = false;
        // The column the birth year was read from, so that its errors name that column.
        let mut year_from = "birth_year";
        for &(name, cell) in cells {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let (column, value) = match name {
                "birth_year" => match year_of(cell) {
                    Some(year) => ("birth_year", Value::from(year)),
                    None => {
                        errors.push(FieldError::new(
                            &at(name),
                            "not_a_number",
                            format!("`{cell}` is not a year"),
                        ));
                        bad_cells = true;
                        continue;
                    }
                },
                "birth_date" => match year_of_birth_date(cell) {
                    Some(year) => {
                        year_from = "birth_date";
                        ("birth_year", Value::from(year))
                    }
                    None => {
                        errors.push(FieldError::new(
                            &at(name),
                            "not_a_date",
                            format!(
                                "`{cell}` is not a date; write the day as dd/mm/yyyy (15/03/1986), or the year \
                                 alone (1986)"
                            ),
                        ));
                        bad_cells = true;
                        continue;
                    }
                },
                "gender" => (name, Value::from(gender_of(cell).unwrap_or(cell))),
                _ => (name, Value::from(cell)),
            };
            object.insert(column.to_owned(), value);
        }
        // A field's errors name the column of the file it came from.
        let column_of_field = |field: &str| if field == "birth_year" { year_from } else { field }.to_owned();
        let mut value = Value::Object(object);
        crate::text::normalize_json(&mut value);
        // Cells serde refuses are named, then left out, so that the rest of the row is still
        // checked in this answer rather than the next.
        let trainee = match serde_json::from_value::<CreateTrainee>(value.clone()) {
            Ok(trainee) => Some(trainee),
            Err(e) => {
                let blamed = blame_columns(&value, line, &e.to_string());
                if let Value::Object(cells) = &mut value {
                    for error in &blamed {
                        if let Some(column) = error.pointer.rsplit('/').next() {
                            cells.remove(column);
                        }
                    }
                }
                errors.extend(blamed);
                bad_cells = true;
                serde_json::from_value::<CreateTrainee>(value).ok()
            }
        };
        let Some(trainee) = trainee else {
            return;
        };
        if let Err(invalid) = trainee.validate() {
            for error in crate::error::field_errors(&invalid) {
                let column = column_of_field(error.pointer.trim_start_matches("#/"));
                errors.push(FieldError::new(&at(&column), &error.code, error.detail));
            }
            return;
        }
        if bad_cells {
            return;
        }
        if let Some(email) = &trainee.email {
            let key = email.to_lowercase();
            if let Some(first) = self.emails.get(&key) {
                errors.push(FieldError::new(
                    &at("email"),
                    "duplicate",
                    format!("{email} is also on row {first}; a trainee is listed once"),
                ));
                return;
            }
            self.emails.insert(key, line);
        }
        self.rows.push(Row { line, trainee });
    }
}

/// Find which cells of a row that serde refused are at fault, by reading each on its own with
/// the name; `detail` is serde's message for the row.
fn blame_columns(value: &Value, line: usize, detail: &str) -> Vec<FieldError> {
    let Value::Object(cells) = value else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (column, cell) in cells {
        if column == "full_name" {
            continue;
        }
        let alone = serde_json::json!({"full_name": "x", column.as_str(): cell});
        if let Err(e) = serde_json::from_value::<CreateTrainee>(alone) {
            let detail = match column.as_str() {
                "gender" => format!(
                    "`{}` is not a gender; write male, female or other (or Nam, Nữ, Khác)",
                    cell.as_str().unwrap_or_default()
                ),
                _ => e.to_string(),
            };
            errors.push(FieldError::new(
                &format!("rows/{line}/{column}"),
                "invalid_value",
                detail,
            ));
        }
    }
    if errors.is_empty() {
        errors.push(FieldError::new(
            &format!("rows/{line}"),
            "invalid_row",
            detail.to_owned(),
        ));
    }
    errors
}

/// Match or create each row's trainee and place it into `cohort` (locked by
/// [`crate::cohorts::Cohort::find_for_placing`]) with `status`, or, for a dry run, only look.
pub fn import(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Placing,
    rows: Vec<Row>,
    options: &ImportOptions,
) -> ApiResult<ImportReport> {
    if !cohort.status.takes_enrolments() {
        return Err(super::seats::closed(&cohort.code, cohort.status));
    }
    let dry_run = options.dry_run.unwrap_or(false);
    let placement = match options.status.unwrap_or_default() {
        ImportStatus::Nominated => Placement::Nominated,
        ImportStatus::Enrolled => Placement::Enrolled,
    };
    // Refused before any row, for a dry run too: where a partner reviews the nominations, only
    // its accepted nominees take seats.
    if cohort.reviewed && placement == Placement::Enrolled {
        return Err(super::seats::review_required(&cohort.code));
    }
    // The seats this import takes are counted here as it goes, so that each row sees the seats
    // the rows before it took (the cohort stays locked for the whole file).
    let mut cohort = cohort.clone();
    let mut report = ImportReport {
        dry_run,
        rows: rows.len(),
        trainees_created: 0,
        trainees_matched: 0,
        nominated: 0,
        enrolled: 0,
        waitlisted: 0,
        already_in_cohort: 0,
        items: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let trainee_name = row.trainee.full_name.clone();
        let existing = match &row.trainee.email {
            Some(email) => Trainee::find_by_email(conn, email)?,
            None => None,
        };
        let (trainee_id, mut action) = match existing {
            Some(trainee) => (Some(trainee.id), RowAction::Matched),
            None if dry_run => (None, RowAction::Created),
            None => {
                let trainee =
                    resource::create::<Trainee>(conn, actor, (), row.trainee).map_err(|e| at_row(e, row.line))?;
                (Some(trainee.id), RowAction::Created)
            }
        };
        // Only a trainee that already existed can already be in the cohort: a row that creates
        // one needs no lookup.
        let mut existing = None;
        if let (RowAction::Matched, Some(trainee)) = (action, trainee_id) {
            existing = Enrollment::find_in_cohort(conn, cohort.id, trainee)?;
        }
        let mut enrollment_id = None;
        let status = if let Some((_, status)) = existing {
            action = RowAction::AlreadyInCohort;
            status
        } else if let (false, Some(trainee)) = (dry_run, trainee_id) {
            let new = CreateEnrollment {
                trainee_id: trainee,
                status: Some(placement),
                notes: None,
            };
            // Placed into the cohort this import locked once for the whole file, and audited as
            // `resource::create` would (which would lock it again for every row).
            let enrollment = Enrollment::place(conn, &cohort, new).map_err(|e| at_row(e, row.line))?;
            audit::record(
                conn,
                actor,
                Event::created(Enrollment::ENTITY, enrollment.id.0, &enrollment),
            )?;
            Enrollment::after_create(conn, actor, &enrollment).map_err(|e| at_row(e, row.line))?;
            enrollment_id = Some(enrollment.id);
            enrollment.status
        } else {
            Enrollment::placed_status(&cohort, placement)
        };
        if enrollment_id.is_some() || (dry_run && existing.is_none()) {
            if status.is_seated() {
                cohort.take_seat();
            }
            match status {
                EnrollmentStatus::Enrolled => report.enrolled += 1,
                EnrollmentStatus::Waitlisted => report.waitlisted += 1,
                _ => report.nominated += 1,
            }
        }
        match action {
            RowAction::Created => report.trainees_created += 1,
            RowAction::Matched => report.trainees_matched += 1,
            RowAction::AlreadyInCohort => report.already_in_cohort += 1,
        }
        report.items.push(ImportedRow {
            row: row.line,
            trainee_name,
            action,
            status,
            trainee_id,
            enrollment_id,
            existing_enrollment_id: existing.map(|(id, _)| id),
        });
    }
    Ok(report)
}

/// Name the row in an error raised while writing it (a race on an email, say).
fn at_row(error: ApiError, line: usize) -> ApiError {
    match error {
        ApiError::Conflict { code, detail } => ApiError::Conflict {
            code,
            detail: format!("row {line}: {detail}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(csv: &str) -> Vec<String> {
        match parse(csv.as_bytes(), FileKind::Csv, None) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.pointer).collect(),
            Err(other) => panic!("expected a validation error, got {other}"),
            Ok(rows) => panic!("expected a validation error, got {} rows", rows.len()),
        }
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them() {
        // Row 3 is empty, row 4 has a cell spanning two lines, row 6 has a bad year.
        let csv = "full_name,birth_year,notes\r\nA,1980,\r\n\r\nB,1981,\"two\nlines\"\r\nC,1982,\r\nD,19x0,\r\n";
        assert_eq!(pointers(csv), ["#/rows/6/birth_year"]);
        assert_eq!(pointers("\u{feff}full_name,birth_year\nA,x\n"), ["#/rows/2/birth_year"]);
        assert_eq!(
            pointers("full_name\nA\n\"B\nB\"\n"),
            ["#/rows/3/full_name"],
            "a name is one line"
        );
    }

    #[test]
    fn birth_dates_are_read_as_vietnamese_lists_write_them() {
        for (cell, year) in [
            ("15/03/1986", Some(1986)),
            ("5/3/1986", Some(1986)),
            ("15-03-1986", Some(1986)),
            ("15.03.1986", Some(1986)),
            ("03/1986", Some(1986)),
            ("1986", Some(1986)),
            ("1986-03-15", Some(1986)),
            ("1986-03-15 00:00:00", Some(1986)),
            ("31486", Some(1986)),
            ("31486.5", Some(1986)),
            ("31/02/1986", None),
            ("15/13/1986", None),
            ("86", None),
            ("mười lăm", None),
        ] {
            assert_eq!(year_of_birth_date(cell), year, "{cell}");
        }
    }

    #[test]
    fn a_long_row_is_named_a_short_one_has_its_last_cells_empty_and_reading_goes_on() {
        assert_eq!(
            pointers("full_name,email\nA\nB,b@x.vn,extra\nC,bad\n"),
            ["#/rows/3", "#/rows/4/email"]
        );
    }
}
