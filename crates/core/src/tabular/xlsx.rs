//! Excel workbooks (`.xlsx`, by `rust_xlsxwriter`): a header row in bold, frozen under its panes,
//! and each cell in its own type (numbers as numbers, days as dates), so a reporter can sum and
//! filter without converting anything.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Cell, Table};
use crate::dates::DatePrecision;
use crate::error::{ApiError, ApiResult};

/// The media type of a workbook.
pub const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook of one sheet per table, in order.
pub fn workbook(sheets: &[(&str, &Table)]) -> ApiResult<Vec<u8>> {
    build(sheets).map_err(ApiError::internal)
}

fn build(sheets: &[(&str, &Table)]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    // A date known to the month or the year is a real date (its first day, so it sorts and
    // filters as a date) shown only as far as it is known.
    let month = Format::new().set_num_format("yyyy-mm");
    let year = Format::new().set_num_format("yyyy");
    let instant = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    // An amount's format by its currency's decimals: made once, not once a cell.
    let mut amounts: std::collections::BTreeMap<u32, Format> = std::collections::BTreeMap::new();
    for (name, table) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name)?;
        for (col, title) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, column(col)?, title, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (index, cells) in table.rows.iter().enumerate() {
            let row = u32::try_from(index + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (col, cell) in cells.iter().enumerate() {
                let col = column(col)?;
                match cell {
                    Cell::Empty => {}
                    // A string cell is never run as a formula by Excel; no neutralising needed.
                    Cell::Text(text) => {
                        sheet.write_string(row, col, text)?;
                    }
                    Cell::Integer(whole) => {
                        // Whole numbers up to 2^53 are exact in a spreadsheet's doubles.
                        sheet.write_number(row, col, *whole as f64)?;
                    }
                    Cell::Number(number) if number.is_finite() => {
                        sheet.write_number(row, col, *number)?;
                    }
                    Cell::Number(_) => {}
                    Cell::Amount(minor, exponent) => {
                        // A number, so that a reporter can sum it; exact to 2^53 minor units, which
                        // is what a spreadsheet holds. The CSV carries the exact decimal always.
                        #[expect(clippy::cast_precision_loss, reason = "a spreadsheet's number is a double")]
                        let value = *minor as f64 / 10_f64.powi(i32::try_from(*exponent).unwrap_or(0));
                        let shown = amounts.entry(*exponent).or_insert_with(|| {
                            let decimals = "0".repeat(usize::try_from(*exponent).unwrap_or(0));
                            Format::new().set_num_format(if decimals.is_empty() {
                                "#,##0".to_owned()
                            } else {
                                format!("#,##0.{decimals}")
                            })
                        });
                        sheet.write_number_with_format(row, col, value, shown)?;
                    }
                    Cell::Bool(flag) => {
                        sheet.write_boolean(row, col, *flag)?;
                    }
                    Cell::Date(date) => {
                        sheet.write_datetime_with_format(row, col, *date, &day)?;
                    }
                    Cell::Partial(date) => {
                        let shown = match date.precision {
                            DatePrecision::Day => &day,
                            DatePrecision::Month => &month,
                            DatePrecision::Year => &year,
                        };
                        sheet.write_datetime_with_format(row, col, date.first_day, shown)?;
                    }
                    Cell::Instant(at) => {
                        sheet.write_datetime_with_format(row, col, *at, &instant)?;
                    }
                }
            }
        }
        sheet.autofit();
    }
    workbook.save_to_buffer()
}

fn column(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}
