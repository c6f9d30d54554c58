//! Which seed documents a seeded record's facts come from: `source` (the first) and `sources`
//! (all of them, for a record whose facts several articles state). Stored as a JSON array in each
//! seeded table's `sources` column, written only by `tpms seed`; `?source=` finds a record by any.

use serde::Serialize;

/// Every seed document a record cites, in the order its file gives them; empty for a record
/// users made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Sources(pub Vec<String>);

impl From<Option<String>> for Sources {
    /// From the stored column; a value that does not read as a list of file names is shown as none
    /// (only the seed writes it, from checked file names).
    fn from(column: Option<String>) -> Sources {
        Sources(
            column
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default(),
        )
    }
}

impl Sources {
    /// The column's value: `NULL` for none.
    pub fn column(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| serde_json::Value::from(self.0.clone()).to_string())
    }
}

/// The `LIKE` pattern (escaped with `\`) that finds `document` in a `sources` column.
pub fn cites_pattern(document: &str) -> String {
    let quoted = serde_json::Value::from(document).to_string();
    let mut pattern = String::from("%");
    for c in quoted.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_reads_back_as_the_list_it_was_written_from() {
        let sources = Sources(vec!["001_a.txt".into(), "004_b.txt".into()]);
        assert_eq!(Sources::from(sources.column()), sources);
        assert_eq!(Sources::default().column(), None);
        assert_eq!(Sources::from(Some("not json".into())), Sources::default());
    }

    #[test]
    fn the_pattern_finds_a_whole_quoted_name_with_like_characters_escaped() {
        assert_eq!(cites_pattern("001_a.txt"), r#"%"001\_a.txt"%"#);
    }
}
