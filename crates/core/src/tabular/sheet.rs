//! Reading a workbook a person sends (`.xlsx`, as Excel and LibreOffice save it): the first
//! sheet's rows as text, numbered as the spreadsheet shows them, so that an import checks a
//! workbook's rows exactly as it checks a CSV file's.
//!
//! Each cell becomes the text a CSV export of it would hold, with two exceptions that keep what
//! the cell means: a whole number saved as a float (`1986.0`) is `1986`, and a date cell is its day
//! as `yyyy-mm-dd`, whatever format the sheet displays it in.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataRef, Reader, Xlsx};

/// Most bytes the parts of a workbook may unpack to: a 10 MB upload of trainees unpacks to far
/// less, and a crafted archive that claims more is refused before anything is unpacked.
pub const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// Its number as the spreadsheet shows it (the first row is 1).
    pub row: usize,
    /// Its cells as text, from column A; an empty cell is an empty string.
    pub cells: Vec<String>,
    /// The cells that hold an Excel error (`#N/A`, `#REF!`), by column (0 for A), with the error.
    pub errors: Vec<(usize, String)>,
}

/// The first sheet of the workbook `bytes`, row by row, up to `max_rows` rows (a row past them
/// ends the reading and is the last returned, so the caller can say the file is too long). Rows
/// with no cell at all are left out; the numbers of the others say where they are. An error
/// says, in words a person can act on, why the file cannot be read.
pub fn xlsx_rows(bytes: &[u8], max_rows: usize) -> Result<Vec<SheetRow>, String> {
    check_unpacked_size(Cursor::new(bytes))?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not an Excel workbook (.xlsx) that can be read: {e}"))?;
    let first = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| "the workbook has no sheet".to_owned())?;
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|e| format!("sheet `{first}` cannot be read: {e}"))?;
    let mut rows: Vec<SheetRow> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("sheet `{first}` cannot be read: {e}"))?
    {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize + 1, column as usize);
        let (text, error) = text_of(cell.get_value());
        if text.is_empty() && error.is_none() {
            continue;
        }
        if rows.last().is_none_or(|last| last.row != row) {
            if rows.len() > max_rows {
                break;
            }
            rows.push(SheetRow {
                row,
                cells: Vec::new(),
                errors: Vec::new(),
            });
        }
        let Some(current) = rows.last_mut() else {
            continue;
        };
        if current.cells.len() <= column {
            current.cells.resize(column + 1, String::new());
        }
        current.cells[column] = text;
        if let Some(error) = error {
            current.errors.push((column, error));
        }
    }
    Ok(rows)
}

/// Refuse an archive whose parts claim to unpack to more than [`MAX_UNPACKED`] bytes.
fn check_unpacked_size(reader: impl Read + Seek) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|_| "the file is not an Excel workbook (.xlsx): save it as \"Excel Workbook\" or as CSV".to_owned())?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive
            .by_index_raw(i)
            .map_err(|e| format!("the workbook is damaged: {e}"))?;
        total = total.saturating_add(part.size());
    }
    if total > MAX_UNPACKED {
        return Err(format!(
            "the workbook unpacks to {total} bytes, more than the {MAX_UNPACKED} an import reads; split it or save it as CSV"
        ));
    }
    Ok(())
}

/// A cell's text, and the Excel error it holds, if any.
fn text_of(value: &DataRef<'_>) -> (String, Option<String>) {
    let text = match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_owned(),
        DataRef::Int(number) => number.to_string(),
        DataRef::Float(number) => number_text(*number),
        DataRef::Bool(yes) => if *yes { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(at) if at.is_datetime() => {
            let (year, month, day, hour, minute, second, _) = at.to_ymd_hms_milli();
            if (hour, minute, second) == (0, 0, 0) {
                format!("{year:04}-{month:02}-{day:02}")
            } else {
                format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
            }
        }
        DataRef::DateTime(duration) => number_text(duration.as_f64()),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => {
            let error = Data::Error(error.clone()).to_string();
            return (error.clone(), Some(error));
        }
    };
    (text, None)
}

/// A number as a person writes it: `1986`, not `1986.0`.
fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1.0e15 {
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 10^15")]
        let whole = number as i64;
        whole.to_string()
    } else {
        number.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(
        write: impl FnOnce(&mut rust_xlsxwriter::Worksheet) -> Result<(), rust_xlsxwriter::XlsxError>,
    ) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        write(sheet).expect("the cells are written");
        book.save_to_buffer().expect("the workbook is saved")
    }

    #[test]
    fn cells_read_as_their_text_with_dates_as_days_and_rows_numbered_as_shown() {
        let bytes = workbook(|sheet| {
            sheet.write_string(0, 0, "STT")?;
            sheet.write_string(0, 1, "Ngày sinh")?;
            sheet.write_number(1, 0, 1.0)?;
            let day = rust_xlsxwriter::ExcelDateTime::from_ymd(1986, 3, 15)?;
            sheet.write_datetime_with_format(
                1,
                1,
                &day,
                &rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy"),
            )?;
            sheet.write_number(3, 1, 1986.5)?;
            Ok(())
        });
        let rows = xlsx_rows(&bytes, 10).expect("a workbook");
        let shown: Vec<(usize, Vec<String>)> = rows.into_iter().map(|r| (r.row, r.cells)).collect();
        assert_eq!(
            shown,
            [
                (1, vec!["STT".to_owned(), "Ngày sinh".to_owned()]),
                (2, vec!["1".to_owned(), "1986-03-15".to_owned()]),
                (4, vec![String::new(), "1986.5".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused_in_words() {
        let refused = xlsx_rows(b"full_name\nA\n", 10).expect_err("not a workbook");
        assert!(refused.contains("not an Excel workbook"), "{refused}");
    }

    #[test]
    fn reading_stops_one_row_past_the_limit() {
        let bytes = workbook(|sheet| {
            for row in 0..50 {
                sheet.write_number(row, 0, f64::from(row))?;
            }
            Ok(())
        });
        assert_eq!(xlsx_rows(&bytes, 10).map(|rows| rows.len()), Ok(11));
    }
}
