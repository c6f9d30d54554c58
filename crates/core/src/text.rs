//! Text as people type it: NFC normalisation of every input string, and the folded form used for
//! search (lower case, no diacritics, đ/Đ as d), computed in Rust so that SQLite and PostgreSQL
//! match the same way.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Fields whose value is a secret: NFC-normalised (the same password typed on two keyboards must
/// match) but never trimmed, since a space is as much a part of a password as any other character.
const SECRET_FIELDS: [&str; 4] = ["password", "current_password", "new_password", "refresh_token"];

/// Turn numbers with no fractional part (`272.0`) into integers, as JSON Schema counts them and
/// spreadsheets and JavaScript clients send them. Changes nothing else, so a body checked after
/// this is still checked as sent.
pub fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Below 2^53 every integral f64 is exact, so the cast loses nothing.
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// NFC-normalise and trim every string in a JSON document, in place: Vietnamese typed on different
/// keyboards arrives composed or decomposed; stored once as NFC, it compares, sorts and
/// round-trips the same. Secrets ([`SECRET_FIELDS`]) are normalised but not trimmed.
pub fn normalize_json(value: &mut serde_json::Value) {
    normalize(value, false);
}

fn normalize(value: &mut serde_json::Value, secret: bool) {
    match value {
        serde_json::Value::String(s) => {
            let normalized: String = if secret {
                s.nfc().collect()
            } else {
                s.trim().nfc().collect()
            };
            *s = normalized;
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| normalize(item, secret)),
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                normalize(item, secret || SECRET_FIELDS.contains(&key.as_str()));
            }
        }
        _ => {}
    }
}

/// Fold text for search: decompose, drop combining marks, map đ/Đ to d, lower-case.
/// `fold("Nguyễn Văn Đức") == "nguyen van duc"`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key a place or an organisation is compared by: folded, with runs of spaces as one, so
/// that "Ha Noi", "hà  nội" and "Hà Nội" are one province to a filter.
pub fn key(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `LIKE` patterns, one per word of `query`, that a folded search column must all match: the
/// words of a query may come from different fields and in any order ("jica lãnh đạo" finds a
/// programme whose Vietnamese title holds both). None for a blank query.
pub fn word_patterns(query: &str) -> Vec<String> {
    query.split_whitespace().map(contains_pattern).collect()
}

/// The folded search column for a record: its searchable fields, folded, joined by newlines (a
/// separator no query can span, since queries are single-line).
pub fn search_text<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    fields.into_iter().flatten().map(fold).collect::<Vec<_>>().join("\n")
}

/// A `LIKE` pattern that finds `query` (folded) anywhere, with `%`, `_` and `\` escaped.
pub fn contains_pattern(query: &str) -> String {
    let mut pattern = String::from("%");
    for c in fold(query).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Whether a string holds control characters other than line breaks and tabs (PostgreSQL cannot
/// store NUL, and none of them belongs in a name).
pub fn has_control_chars(text: &str, allow_newlines: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
}

/// The key an email is found by: trimmed and lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Nguyễn Văn Đức"), "nguyen van duc");
        assert_eq!(fold("HỌC VIỆN HÀNH CHÍNH"), "hoc vien hanh chinh");
    }

    #[test]
    fn normalisation_composes_decomposed_input_and_trims() {
        let mut value = serde_json::json!({"name": "  Nguye\u{0302}\u{0303}n ", "list": ["a\u{0301}"]});
        normalize_json(&mut value);
        assert_eq!(value, serde_json::json!({"name": "Nguyễn", "list": ["á"]}));
    }

    #[test]
    fn secrets_are_composed_but_never_trimmed() {
        let mut value = serde_json::json!({"password": " a\u{0301} ", "name": " a "});
        normalize_json(&mut value);
        assert_eq!(value, serde_json::json!({"password": " á ", "name": "a"}));
    }

    #[test]
    fn integral_floats_become_integers_and_fractions_stay() {
        let mut value = serde_json::json!({"a": 272.0, "b": 2.5, "c": -3.0});
        integral_numbers(&mut value);
        assert_eq!(value, serde_json::json!({"a": 272, "b": 2.5, "c": -3}));
    }

    #[test]
    fn keys_fold_and_collapse_spaces() {
        assert_eq!(key("  Hà   Nội "), "ha noi");
        assert_eq!(key("Ha Noi"), key("HÀ NỘI"));
        assert_eq!(key("Đà Nẵng"), "da nang");
    }

    #[test]
    fn each_word_of_a_query_is_a_pattern_of_its_own() {
        assert_eq!(word_patterns(" Nhật  bản "), ["%nhat%", "%ban%"]);
        assert!(word_patterns("   ").is_empty());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_x"), "%50\\%\\_x%");
    }
}
