//! Tables for spreadsheets: the rows of a list or a report as typed cells under named columns,
//! written as CSV ([`csv`]) or as an Excel workbook ([`xlsx`]); and a workbook a person sends,
//! read back as rows of text ([`sheet`]).
//!
//! A list's columns come from its record's OpenAPI schema ([`Columns::of`]), so an export has the
//! same field names as the JSON, a header even when no row matches, and cannot drift from the
//! record: a nested object with fixed fields becomes one column per field (`attendance.rate`), a
//! list of plain values one cell joined with `;`, anything else (a list of objects, free-form
//! answers) one cell of compact JSON, so nothing is lost.

pub mod csv;
pub mod import;
pub mod sheet;
pub mod xlsx;
pub mod zip;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// The representations an operation can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `application/json` (the default).
    Json,
    /// `text/csv`, UTF-8.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// Its media type, as `Content-Type` names it.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
            Format::Xlsx => xlsx::MEDIA_TYPE,
        }
    }
}

/// One cell of a table, with the type a spreadsheet should give it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, written as it is (a CSV cell a spreadsheet would run as a formula is neutralised).
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number.
    Number(f64),
    /// Yes or no.
    Bool(bool),
    /// A day.
    Date(NaiveDate),
    /// A date known to the day, the month or the year: written at its own precision (`2026-05`
    /// in CSV; in a workbook a real date, its first day, shown as `yyyy-mm` or `yyyy`).
    Partial(crate::dates::PartialDate),
    /// A UTC instant.
    Instant(NaiveDateTime),
    /// An exact amount: a count of minor units and the currency's exponent (`(125050, 2)` is
    /// 1250.50). CSV writes its exact decimal; a workbook a number with that many decimals shown.
    Amount(i64, u32),
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Integer(value)
    }
}

impl From<Option<i64>> for Cell {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Cell::Empty, Cell::Integer)
    }
}

impl From<Option<i32>> for Cell {
    fn from(value: Option<i32>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Integer(v.into()))
    }
}

impl From<Option<f64>> for Cell {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Cell::Empty, Cell::Number)
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(value: Option<NaiveDate>) -> Self {
        value.map_or(Cell::Empty, Cell::Date)
    }
}

/// A table: named columns and rows of as many cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The header.
    pub columns: Vec<String>,
    /// The rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn with_columns(columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }
}

impl Table {
    /// Records as a table: a column per field of `T`'s schema (see [`Columns::of`]), a row per
    /// record.
    pub fn of_records<T: serde::Serialize + ToSchema>(records: &[T]) -> Result<Self, serde_json::Error> {
        let columns = Columns::of::<T>();
        let rows = records
            .iter()
            .map(|record| serde_json::to_value(record).map(|value| columns.cells(&value)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            columns: columns.names(),
            rows,
        })
    }
}

/// How deep nested objects are spread into columns of their own; deeper ones stay JSON.
const MAX_DEPTH: usize = 3;

/// The columns of a record kind's table: the path of JSON field names to each cell's value, and
/// what kind of value the schema says it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    paths: Vec<Vec<String>>,
    kinds: Vec<Kind>,
}

/// What a column's schema says its text is, so that a spreadsheet gets dates as dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Whatever its JSON is.
    Plain,
    /// A day (`format: date`).
    Day,
    /// A [`crate::dates::PartialDate`] (its pattern).
    Partial,
}

impl Columns {
    /// The columns of `T`, from its OpenAPI schema: its fields in order, each nested object with
    /// fixed fields spread into `field.sub` columns.
    pub fn of<T: ToSchema>() -> Self {
        let mut components = Vec::new();
        T::schemas(&mut components);
        let mut paths = Vec::new();
        spread(&T::schema(), &components, &mut Vec::new(), &mut paths, 0);
        let (paths, kinds) = paths.into_iter().unzip();
        Self { paths, kinds }
    }

    /// The header: each column's path joined with `.`.
    pub fn names(&self) -> Vec<String> {
        self.paths.iter().map(|path| path.join(".")).collect()
    }

    /// The cells of one record, serialised as JSON, one per column.
    pub fn cells(&self, record: &Value) -> Vec<Cell> {
        self.paths
            .iter()
            .zip(&self.kinds)
            .map(|(path, kind)| {
                let value = path.iter().try_fold(record, |value, key| value.get(key));
                match (kind, value) {
                    (Kind::Partial, Some(Value::String(text))) => text
                        .parse::<crate::dates::PartialDate>()
                        .map_or_else(|_| Cell::Text(text.clone()), Cell::Partial),
                    (Kind::Day, Some(Value::String(text))) => text
                        .parse::<NaiveDate>()
                        .map_or_else(|_| Cell::Text(text.clone()), Cell::Date),
                    (_, value) => value.map_or(Cell::Empty, cell_of),
                }
            })
            .collect()
    }
}

/// The object `schema` stands for, following references and nullable wrappers; `None` when it is
/// not an object with fixed fields.
fn object_of<'s>(
    schema: &'s RefOr<Schema>,
    components: &'s [(String, RefOr<Schema>)],
) -> Option<&'s utoipa::openapi::schema::Object> {
    match schema {
        RefOr::Ref(reference) => {
            let name = reference.ref_location.rsplit('/').next()?;
            let (_, found) = components.iter().find(|(component, _)| component == name)?;
            // A component never refers to itself directly; a chain is as deep as the types.
            object_of(found, components)
        }
        RefOr::T(Schema::Object(object)) if !object.properties.is_empty() => Some(object),
        RefOr::T(Schema::OneOf(one)) => one.items.iter().find_map(|item| object_of(item, components)),
        RefOr::T(Schema::AllOf(all)) => all.items.iter().find_map(|item| object_of(item, components)),
        RefOr::T(Schema::AnyOf(any)) => any.items.iter().find_map(|item| object_of(item, components)),
        _ => None,
    }
}

/// What text `schema` holds, following references and nullable wrappers.
fn kind_of(schema: &RefOr<Schema>, components: &[(String, RefOr<Schema>)], depth: usize) -> Kind {
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    if depth > MAX_DEPTH {
        return Kind::Plain;
    }
    let first = |items: &[RefOr<Schema>]| {
        items
            .iter()
            .map(|item| kind_of(item, components, depth + 1))
            .find(|kind| *kind != Kind::Plain)
            .unwrap_or(Kind::Plain)
    };
    match schema {
        RefOr::Ref(reference) => {
            let name = reference.ref_location.rsplit('/').next().unwrap_or_default();
            components
                .iter()
                .find(|(component, _)| component == name)
                .map_or(Kind::Plain, |(_, found)| kind_of(found, components, depth + 1))
        }
        RefOr::T(Schema::Object(object)) if object.pattern.as_deref() == Some(crate::dates::PATTERN) => Kind::Partial,
        RefOr::T(Schema::Object(object))
            if matches!(object.format, Some(SchemaFormat::KnownFormat(KnownFormat::Date))) =>
        {
            Kind::Day
        }
        RefOr::T(Schema::OneOf(one)) => first(&one.items),
        RefOr::T(Schema::AllOf(all)) => first(&all.items),
        RefOr::T(Schema::AnyOf(any)) => first(&any.items),
        _ => Kind::Plain,
    }
}

fn spread(
    schema: &RefOr<Schema>,
    components: &[(String, RefOr<Schema>)],
    prefix: &mut Vec<String>,
    paths: &mut Vec<(Vec<String>, Kind)>,
    depth: usize,
) {
    match object_of(schema, components) {
        Some(object) if depth < MAX_DEPTH => {
            for (name, field) in &object.properties {
                prefix.push(name.clone());
                spread(field, components, prefix, paths, depth + 1);
                prefix.pop();
            }
        }
        _ => paths.push((prefix.clone(), kind_of(schema, components, 0))),
    }
}

/// A JSON value as one cell: lists of plain values joined with `;`, anything with structure as
/// compact JSON.
fn cell_of(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::Bool(flag) => Cell::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(whole) => Cell::Integer(whole),
            None => Cell::Number(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => Cell::Text(text.clone()),
        Value::Array(items) if items.iter().all(|item| !item.is_array() && !item.is_object()) => Cell::Text(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        structured => Cell::Text(structured.to_string()),
    }
}
