//! Field rules shared by resources, for `#[validate(custom(function = …))]`. Each names what is
//! wrong in words a user can act on; the pointer to the field is added by [`crate::error`].
//!
//! The OpenAPI schema states the same bounds (`pattern`, `maxLength`), so a client that follows
//! the schema is never surprised; rules the schema cannot state (a real country, a URL that
//! parses, end not before start) are checked here too.

use std::borrow::Cow;

use validator::ValidationError;

use crate::text::has_control_chars;

/// Longest name or title, in characters.
pub const NAME_MAX: usize = 300;
/// Longest free text (notes, descriptions), in characters.
pub const TEXT_MAX: usize = 20_000;

fn error(code: &'static str, message: String) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Owned(message))
}

/// Codes: `[A-Z0-9_-]{2,32}`, e.g. `JICA`, `VN-JP-LGS`.
pub fn code(value: &str) -> Result<(), ValidationError> {
    let ok = (2..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(error(
            "invalid_code",
            format!("must be 2 to 32 capital letters, digits, `_` or `-` (got `{value}`)"),
        ))
    }
}

/// Text that is not blank (inputs arrive trimmed), not longer than `max` characters, and free of
/// control characters (line breaks and tabs only where `multi_line`).
fn text(value: &str, max: usize, multi_line: bool) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(error(
            "blank",
            "must not be empty; send null to clear an optional field".to_owned(),
        ));
    }
    let len = value.chars().count();
    if len > max {
        let mut too_long = error("too_long", format!("must be at most {max} characters (got {len})"));
        // The catalogue words it again in the reader's language from these.
        too_long.add_param(Cow::Borrowed("max"), &max);
        too_long.add_param(Cow::Borrowed("got"), &len);
        return Err(too_long);
    }
    if has_control_chars(value, multi_line) {
        let what = if multi_line {
            "control characters"
        } else {
            "control characters or line breaks"
        };
        return Err(error("control_characters", format!("must not contain {what}")));
    }
    if !multi_line {
        if let Some(c) = value.chars().find(|c| is_bidi_control(*c)) {
            return Err(error(
                "bidi_control",
                format!(
                    "must not contain U+{:04X}, a control that reverses or reorders the text around it; \
                     type the name as it reads",
                    u32::from(c)
                ),
            ));
        }
        if !value.chars().any(is_visible) {
            return Err(error(
                "invisible",
                "must hold at least one visible character (zero-width spaces, joiners and fillers do not count)"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

/// Bidirectional controls: embeddings, overrides, isolates and marks. In a name they make it
/// display as something other than what it is (`Nguyen \u{202e}live\u{202c} Van`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` shows as something: not a space, not a combining mark on its own, and none of
/// the characters that take no room (zero-width spaces and joiners, the byte-order mark, soft
/// hyphens, invisible operators, blank fillers).
fn is_visible(c: char) -> bool {
    !c.is_whitespace()
        && !unicode_normalization::char::is_combining_mark(c)
        && !matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Names and titles: non-empty after trimming, one line, at most [`NAME_MAX`] characters, with a
/// visible character and no bidirectional controls.
pub fn name(value: &str) -> Result<(), ValidationError> {
    text(value, NAME_MAX, false)
}

/// Free text: non-empty after trimming (send `null` to clear), at most [`TEXT_MAX`] characters.
pub fn long_text(value: &str) -> Result<(), ValidationError> {
    text(value, TEXT_MAX, true)
}

/// A text answer to a questionnaire (a comment, often of several lines): the rules of
/// [`long_text`] with at most `max` characters, and, as in a name, no bidirectional control,
/// since an answer is read by staff who must see it as it was typed.
pub fn answer_text(value: &str, max: usize) -> Result<(), ValidationError> {
    text(value, max, true)?;
    match value.chars().find(|c| is_bidi_control(*c)) {
        Some(c) => Err(error(
            "bidi_control",
            format!(
                "must not contain U+{:04X}, a control that reverses or reorders the text around it",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// An email address of at most 320 characters.
pub fn email(value: &str) -> Result<(), ValidationError> {
    if value.len() <= 320 && validator::ValidateEmail::validate_email(&value) {
        Ok(())
    } else {
        Err(error(
            "invalid_email",
            format!("is not an email address (got `{value}`)"),
        ))
    }
}

/// A phone number as people write it: an optional leading `+`, then 6 to 32 digits, spaces,
/// brackets, dots or hyphens (`+84 24 3825 1234`, `(024) 3825-1234`). The schema's pattern is
/// `^\+?[0-9 ().-]{6,32}$`; at least one digit is required as well.
pub fn phone(value: &str) -> Result<(), ValidationError> {
    let rest = value.strip_prefix('+').unwrap_or(value);
    let ok = (6..=32).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_digit() || b" ().-".contains(&b))
        && rest.bytes().any(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(error(
            "invalid_phone",
            format!("must be an optional `+` then 6 to 32 digits, spaces, brackets, dots or hyphens (got `{value}`)"),
        ))
    }
}

/// The first item of a list that repeats an earlier one.
pub fn first_repeat<T: PartialEq>(items: &[T]) -> Option<&T> {
    items
        .iter()
        .enumerate()
        .find(|(i, item)| items[..*i].contains(item))
        .map(|(_, item)| item)
}

/// An ISO 3166-1 alpha-2 code of a country that exists, in capitals: `JP`, `VN`, `FR`.
pub fn country(value: &str) -> Result<(), ValidationError> {
    let shaped = value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase());
    if shaped && celes::Country::from_alpha2(value).is_ok() {
        Ok(())
    } else {
        Err(error(
            "unknown_country",
            format!("must be an ISO 3166-1 alpha-2 country code such as JP or VN (got `{value}`)"),
        ))
    }
}

/// An absolute `http` or `https` URL of at most 2,048 characters.
pub fn web_url(value: &str) -> Result<(), ValidationError> {
    let parsed = url::Url::parse(value);
    let ok = value.len() <= 2048
        && matches!(&parsed, Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some());
    if ok {
        Ok(())
    } else {
        Err(error(
            "invalid_url",
            format!("must be an http or https URL such as https://www.jica.go.jp (got `{value}`)"),
        ))
    }
}

/// A short tag: `[a-z0-9_]{2,50}`, e.g. `urban_planning`.
pub fn tag(value: &str) -> bool {
    (2..=50).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An IANA time zone name that exists: `Asia/Tokyo`, `Asia/Ho_Chi_Minh`, `Europe/Paris`.
pub fn time_zone(value: &str) -> Result<(), ValidationError> {
    match value.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err(error(
            "unknown_time_zone",
            format!("must be an IANA time zone such as Asia/Tokyo or Asia/Ho_Chi_Minh (got `{value}`)"),
        )),
    }
}

/// A language as an ISO 639 code in lower case: `vi`, `ja`, `fr`, `en`.
pub fn language(value: &str) -> Result<(), ValidationError> {
    if (2..=3).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(error(
            "invalid_language",
            format!("must be an ISO 639 language code such as vi, ja or fr (got `{value}`)"),
        ))
    }
}

/// A count that cannot be negative.
pub fn non_negative(value: i32) -> Result<(), ValidationError> {
    if value >= 0 {
        Ok(())
    } else {
        Err(error("negative", format!("must not be negative (got {value})")))
    }
}

/// An ISO 8601 duration of whole years, months, weeks or days, at least one of them and none
/// zero throughout (`P1M`, `P2W`, `P1Y6M`), as a course's length is stated.
pub fn duration(value: &str) -> Result<(), ValidationError> {
    let mut rest = value.strip_prefix('P').unwrap_or("");
    let mut parts = 0;
    let mut total = 0u32;
    for unit in ['Y', 'M', 'W', 'D'] {
        if let Some((number, after)) = rest.split_once(unit)
            && (1..=3).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
        {
            total += number.parse::<u32>().unwrap_or(0);
            parts += 1;
            rest = after;
        }
    }
    if value.starts_with('P') && rest.is_empty() && parts > 0 && total > 0 {
        Ok(())
    } else {
        Err(error(
            "invalid_duration",
            format!("must be an ISO 8601 duration such as P1M (one month), P2W or P10D (got `{value}`)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_documented_pattern() {
        assert!(code("JICA").is_ok() && code("VN-JP_2024").is_ok());
        assert!(code("j").is_err() && code("jica").is_err() && code("A B").is_err());
    }

    #[test]
    fn a_name_must_show_something_and_read_as_it_is_stored() {
        let code_of = |value: &str| name(value).err().map(|e| e.code.into_owned());
        for invisible in [
            "\u{200b}\u{200b}\u{200b}",
            "\u{feff}",
            "\u{2800}",
            "\u{0301}",
            "\u{3164}\u{200d}",
        ] {
            assert_eq!(code_of(invisible).as_deref(), Some("invisible"), "{invisible:?}");
        }
        assert_eq!(
            code_of("Nguyen \u{202e}evil\u{202c} Van").as_deref(),
            Some("bidi_control")
        );
        assert_eq!(code_of("a\u{2067}b").as_deref(), Some("bidi_control"));
        for fine in ["Nguyễn Văn Đức", "平岡 成哲", "Lê\u{200b}Hoa", "X"] {
            assert_eq!(code_of(fine), None, "{fine:?}");
        }
        assert!(long_text("\u{200b}").is_ok(), "free text is not held to it");
    }

    #[test]
    fn countries_must_exist() {
        assert!(country("VN").is_ok() && country("JP").is_ok() && country("FR").is_ok());
        assert!(country("XX").is_err() && country("vn").is_err() && country("VNM").is_err());
    }

    #[test]
    fn phones_are_digits_with_the_usual_punctuation() {
        assert!(phone("+84 24 3825 1234").is_ok() && phone("(024) 3825-1234").is_ok());
        assert!(phone("12345").is_err() && phone("call me").is_err() && phone("+ ( ) - .").is_err());
    }

    #[test]
    fn urls_must_be_web_urls() {
        assert!(web_url("https://www.grips.ac.jp/").is_ok());
        assert!(web_url("grips.ac.jp").is_err() && web_url("ftp://x.org").is_err());
    }
}
