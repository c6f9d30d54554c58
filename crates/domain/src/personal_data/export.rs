//! The access export: everything TPMS holds about one trainee, table by table, as JSON or as CSV
//! files with a README (Decree 13/2023's right of access).

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{HOLDINGS, Scope};
use crate::audit::{self, Actor, Entity, Event};
use crate::db::{DbConnection, dialect};
use crate::error::{ApiError, ApiResult};
use crate::ids::TraineeId;
use crate::resource::Record;
use crate::tabular::{Cell, Table};
use crate::trainees::Trainee;

/// One table's rows about the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldTable {
    /// The table.
    pub table: String,
    /// What it holds.
    pub about: String,
    /// Its columns, in order (hashes of personal links left out).
    pub columns: Vec<String>,
    /// The person's rows, each an object of those columns, as the database keeps them.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Value>,
}

/// Everything TPMS holds about one trainee.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalData {
    /// The trainee.
    pub trainee_id: TraineeId,
    /// When the export was made (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: NaiveDateTime,
    /// Every table that holds the trainee's data, with their rows (none where it holds nothing).
    pub tables: Vec<HeldTable>,
}

/// Everything held about trainee `id` ([`super::HOLDINGS`]), read in the caller's transaction, and
/// an audit event saying who read it and why (`reason`, such as "access request").
pub fn export(conn: &mut DbConnection, actor: &Actor, id: TraineeId, reason: &str) -> ApiResult<PersonalData> {
    Trainee::find(conn, id)?;
    let scope = Scope::of_trainee(conn, id)?;
    let mut tables = Vec::new();
    for holding in HOLDINGS.iter().filter(|h| h.exported) {
        let columns: Vec<String> = dialect::columns_of(conn, holding.table)?
            .into_iter()
            .filter(|c| !holding.hidden.contains(&c.as_str()))
            .collect();
        let filter = scope.render(conn, holding.rows);
        let rows = dialect::rows_as_json(conn, holding.table, &columns, &filter)?
            .iter()
            .map(|row| serde_json::from_str(row).map_err(ApiError::internal))
            .collect::<ApiResult<Vec<Value>>>()?;
        tables.push(HeldTable {
            table: holding.table.to_owned(),
            about: holding.about.to_owned(),
            columns,
            rows,
        });
    }
    let read = serde_json::json!({ "personal_data": "exported" });
    audit::record(
        conn,
        actor,
        Event::changed(Entity::Trainee, id.0, &serde_json::json!({}), &read).because(reason),
    )?;
    Ok(PersonalData {
        trainee_id: id,
        generated_at: crate::clock::now(),
        tables,
    })
}

impl PersonalData {
    /// The export as files for a ZIP archive: `README.txt`, then one `<table>.csv` per table
    /// (a header row even when it holds no row), cells as the database keeps them.
    pub fn files(&self) -> ApiResult<Vec<(String, Vec<u8>)>> {
        let mut readme = format!(
            "Personal data held by TPMS about trainee {}, exported {} (UTC).\r\n\r\n\
             Each CSV file is one table of the database, with the rows about this person \
             (UTF-8, comma-separated, a header row first; an empty file holds no row). \
             Dates and times are UTC. Values a spreadsheet would run as a formula start with an apostrophe.\r\n\
             Links' hashes are left out; '[erased]' marks a value erased on request or at the end of the retention period.\r\n\r\n",
            self.trainee_id,
            self.generated_at.format("%Y-%m-%d %H:%M:%S")
        );
        let mut files = Vec::new();
        for table in &self.tables {
            readme.push_str(&format!(
                "{}.csv ({} rows): {}\r\n",
                table.table,
                table.rows.len(),
                table.about
            ));
            let mut sheet = Table::with_columns(table.columns.clone());
            for row in &table.rows {
                sheet.rows.push(
                    table
                        .columns
                        .iter()
                        .map(|c| cell(row.get(c).unwrap_or(&Value::Null)))
                        .collect(),
                );
            }
            files.push((
                format!("{}.csv", table.table),
                crate::tabular::csv::table(&sheet, false)?,
            ));
        }
        files.insert(0, ("README.txt".to_owned(), readme.into_bytes()));
        Ok(files)
    }
}

fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::String(text) => Cell::Text(text.clone()),
        Value::Bool(flag) => Cell::Bool(*flag),
        Value::Number(n) => n.as_i64().map_or_else(|| Cell::Text(n.to_string()), Cell::Integer),
        other => Cell::Text(other.to_string()),
    }
}
