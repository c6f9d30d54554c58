//! The message catalogue: the words of a problem, by its stable code, in English and Vietnamese.
//!
//! A problem's `code` and `params` are what a client branches on; this catalogue turns them into a
//! sentence a person can act on. The request-reading machinery (`http::json`) writes its English
//! from here, and the personal links (a trainee's questionnaire, plan and checkpoint report) answer
//! their problems in the language the trainee reads, Vietnamese unless the request prefers English
//! (see [`Lang::from_accept_language`]). The server-rendered pages render the same entries.
//!
//! Each field message is a predicate that follows the field's name ("`due_on` must be a date ...",
//! "`due_on` phải là một ngày ..."), so the problem's `detail` can name the field first. An entry
//! holds several wordings per language, most specific first: the first one whose `{placeholders}`
//! the error's params all fill is used, so a problem raised without its params still reads well.

use std::collections::BTreeMap;

/// The params a message is filled from: `max`, `accepted`, `value`, ...
pub type Params = BTreeMap<String, String>;

/// A language the catalogue speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, the language of every endpoint that is not a personal link.
    En,
    /// Vietnamese, the default of the personal links.
    Vi,
}

impl Lang {
    /// Its BCP 47 tag, as sent in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// The language of a personal link's answers: Vietnamese, unless `Accept-Language` ranks
    /// English above Vietnamese (`en`, `en-GB,en;q=0.9`, `vi;q=0.5, en`). A range that names
    /// neither, or a header that does not parse, keeps Vietnamese: the trainees are Vietnamese
    /// officials, and their browsers send whatever the machine was set up with.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Vi;
        };
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("vi") => Lang::Vi,
                Some("en") => Lang::En,
                _ => continue,
            };
            // Ties keep the first named, as the header lists them in the user's order.
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, lang)| lang)
    }
}

/// One code's wordings, most specific first, in each language.
struct Entry {
    code: &'static str,
    en: &'static [&'static str],
    vi: &'static [&'static str],
}

/// Field problems, by code. A code with a kind (`invalid_value.date`) is the code given an
/// `expected` param of that kind.
const FIELDS: &[Entry] = &[
    Entry {
        code: "required",
        en: &["is required"],
        vi: &["là bắt buộc"],
    },
    Entry {
        code: "unknown_field",
        en: &[
            "is not a field of this request; the fields are: {accepted}",
            "is not a field of this request; remove it",
        ],
        vi: &[
            "không phải là một trường của yêu cầu này; các trường là: {accepted}",
            "không phải là một trường của yêu cầu này; hãy bỏ nó đi",
        ],
    },
    Entry {
        code: "invalid_value.one_of",
        en: &[
            "does not accept `{value}`; use one of: {accepted}",
            "must be one of: {accepted}",
        ],
        vi: &[
            "không nhận giá trị `{value}`; hãy dùng một trong: {accepted}",
            "phải là một trong: {accepted}",
        ],
    },
    Entry {
        code: "invalid_value.date",
        en: &[
            "must be a date written YYYY-MM-DD, such as 2025-06-30 (got `{value}`)",
            "must be a date written YYYY-MM-DD, such as 2025-06-30",
        ],
        vi: &[
            "phải là một ngày viết theo dạng YYYY-MM-DD, ví dụ 2025-06-30 (nhận được `{value}`)",
            "phải là một ngày viết theo dạng YYYY-MM-DD, ví dụ 2025-06-30",
        ],
    },
    Entry {
        code: "invalid_value.date_time",
        en: &[
            "must be an instant written like 2025-06-30T09:00:00Z (got `{value}`)",
            "must be an instant written like 2025-06-30T09:00:00Z",
        ],
        vi: &[
            "phải là một thời điểm viết như 2025-06-30T09:00:00Z (nhận được `{value}`)",
            "phải là một thời điểm viết như 2025-06-30T09:00:00Z",
        ],
    },
    Entry {
        code: "invalid_value.integer",
        en: &["must be a whole number (got {value})", "must be a whole number"],
        vi: &["phải là một số nguyên (nhận được {value})", "phải là một số nguyên"],
    },
    Entry {
        code: "invalid_value.number",
        en: &["must be a number (got {value})", "must be a number"],
        vi: &["phải là một số (nhận được {value})", "phải là một số"],
    },
    Entry {
        code: "invalid_value.boolean",
        en: &["must be true or false (got {value})", "must be true or false"],
        vi: &["phải là true hoặc false (nhận được {value})", "phải là true hoặc false"],
    },
    Entry {
        code: "invalid_value.text",
        en: &["must be text in quotes (got {value})", "must be text in quotes"],
        vi: &[
            "phải là văn bản trong dấu ngoặc kép (nhận được {value})",
            "phải là văn bản trong dấu ngoặc kép",
        ],
    },
    Entry {
        code: "invalid_value.list",
        en: &[
            "must be a list in [brackets] (got {value})",
            "must be a list in [brackets]",
        ],
        vi: &[
            "phải là một danh sách trong [ngoặc vuông] (nhận được {value})",
            "phải là một danh sách trong [ngoặc vuông]",
        ],
    },
    Entry {
        code: "invalid_value.object",
        en: &[
            "must be an object in {{braces}} with its own fields (got {value})",
            "must be an object in {{braces}} with its own fields",
        ],
        vi: &[
            "phải là một đối tượng trong {{ngoặc nhọn}} với các trường của nó (nhận được {value})",
            "phải là một đối tượng trong {{ngoặc nhọn}} với các trường của nó",
        ],
    },
    Entry {
        code: "invalid_value",
        en: &["does not accept `{value}`", "is not a value this field accepts"],
        vi: &["không nhận giá trị `{value}`", "có giá trị không hợp lệ"],
    },
    Entry {
        code: "date_out_of_range",
        en: &["must be a date in the years 1900 to 2200"],
        vi: &["phải là một ngày trong các năm 1900 đến 2200"],
    },
    Entry {
        code: "blank",
        en: &["must not be empty; send null to clear an optional field"],
        vi: &["không được để trống"],
    },
    Entry {
        code: "too_long",
        en: &["must be at most {max} characters (got {got})", "is too long"],
        vi: &["chỉ được dài tối đa {max} ký tự (đang có {got})", "quá dài"],
    },
    Entry {
        code: "control_characters",
        en: &["must not contain control characters"],
        vi: &["không được chứa ký tự điều khiển"],
    },
    Entry {
        code: "bidi_control",
        en: &["must not contain a control that reverses or reorders the text around it; type it as it reads"],
        vi: &["không được chứa ký tự điều khiển làm đảo hay xếp lại chiều văn bản; hãy gõ đúng như khi đọc"],
    },
    Entry {
        code: "invisible",
        en: &["must hold at least one visible character"],
        vi: &["phải có ít nhất một ký tự nhìn thấy được"],
    },
    Entry {
        code: "invalid_url",
        en: &["must be an http or https address, such as https://dichvucong.gov.vn"],
        vi: &["phải là một địa chỉ http hoặc https, ví dụ https://dichvucong.gov.vn"],
    },
    Entry {
        code: "length.list",
        en: &[
            "must have {min} to {max} entries",
            "must have at least {min} entries",
            "must have at most {max} entries",
        ],
        vi: &[
            "phải có từ {min} đến {max} mục",
            "phải có ít nhất {min} mục",
            "chỉ được có tối đa {max} mục",
        ],
    },
    Entry {
        code: "length",
        en: &[
            "must be {min} to {max} characters long",
            "must be at least {min} characters long",
            "must be at most {max} characters long",
        ],
        vi: &[
            "phải dài từ {min} đến {max} ký tự",
            "phải dài ít nhất {min} ký tự",
            "chỉ được dài tối đa {max} ký tự",
        ],
    },
    Entry {
        code: "range",
        en: &[
            "must be from {min} to {max}",
            "must be at least {min}",
            "must be at most {max}",
        ],
        vi: &[
            "phải từ {min} đến {max}",
            "phải ít nhất là {min}",
            "chỉ được tối đa là {max}",
        ],
    },
    Entry {
        code: "not_in_plan",
        en: &["must be an item of the plan, 1 to {items}"],
        vi: &[
            "phải là một mục của kế hoạch, từ 1 đến {items}",
            "không phải là một mục của kế hoạch",
        ],
    },
    Entry {
        code: "missing_item",
        en: &["must report item {item} of the plan"],
        vi: &[
            "còn thiếu báo cáo cho mục {item} của kế hoạch",
            "còn thiếu báo cáo cho một mục của kế hoạch",
        ],
    },
    Entry {
        code: "unrated_item",
        en: &["must rate item {item} of the plan", "must rate every item of the plan"],
        vi: &[
            "còn thiếu đánh giá cho mục {item} của kế hoạch",
            "còn thiếu đánh giá cho một mục của kế hoạch",
        ],
    },
    Entry {
        code: "duplicate",
        en: &["repeats an earlier entry"],
        vi: &["bị lặp lại"],
    },
    Entry {
        code: "unknown_item",
        en: &["is not a question of this questionnaire"],
        vi: &["không phải là một câu hỏi của bảng hỏi này"],
    },
    Entry {
        code: "out_of_range",
        en: &["is out of range"],
        vi: &["nằm ngoài khoảng cho phép"],
    },
    Entry {
        code: "invalid_type",
        en: &["is not of the kind this question takes"],
        vi: &["không đúng loại câu trả lời của câu hỏi này"],
    },
    Entry {
        code: "not_an_option",
        en: &["is not one of the question's options"],
        vi: &["không phải là một lựa chọn của câu hỏi này"],
    },
];

/// Whole-request problems, by the problem's code.
const PROBLEMS: &[Entry] = &[
    Entry {
        code: "validation_failed",
        en: &["{count} fields are invalid; see errors"],
        vi: &["có {count} trường không hợp lệ; xem errors"],
    },
    Entry {
        code: "not_found",
        en: &["this link is not valid: it was already used or replaced, or was not copied whole"],
        vi: &["đường liên kết này không còn hiệu lực: nó đã được dùng hoặc đã được thay thế, hoặc bị sao chép thiếu"],
    },
    Entry {
        code: "rate_limited",
        en: &["too many requests; retry in {wait} s"],
        vi: &["có quá nhiều yêu cầu; hãy thử lại sau {wait} giây"],
    },
    Entry {
        code: "malformed_json",
        en: &["the body is not a JSON object"],
        vi: &["nội dung gửi lên không phải là một đối tượng JSON"],
    },
    Entry {
        code: "payload_too_large",
        en: &["the body is larger than the limit of {limit} bytes"],
        vi: &["nội dung gửi lên lớn hơn giới hạn {limit} byte"],
    },
    Entry {
        code: "unsupported_media_type",
        en: &["send the body as JSON with `Content-Type: application/json`"],
        vi: &["hãy gửi nội dung dạng JSON với `Content-Type: application/json`"],
    },
    Entry {
        code: "body_timeout",
        en: &["the body did not arrive in time; send it again"],
        vi: &["nội dung gửi lên không đến kịp; hãy gửi lại"],
    },
    Entry {
        code: "internal_error",
        en: &["the server failed to handle this request; it has been logged with the request id"],
        vi: &["máy chủ gặp lỗi khi xử lý yêu cầu này; lỗi đã được ghi lại cùng mã yêu cầu"],
    },
];

/// The wording of a field problem `code` (with `params`) in `lang`, when the catalogue has one.
pub fn field(code: &str, params: &Params, lang: Lang) -> Option<String> {
    let kinded = params.get("expected").map(|kind| format!("{code}.{kind}"));
    kinded
        .as_deref()
        .and_then(|code| render(FIELDS, code, params, lang))
        .or_else(|| render(FIELDS, code, params, lang))
}

/// The wording of a whole-request problem `code` (with `params`) in `lang`, when the catalogue
/// has one.
pub fn problem(code: &str, params: &Params, lang: Lang) -> Option<String> {
    render(PROBLEMS, code, params, lang)
}

/// The first wording of `code` whose placeholders `params` all fill.
fn render(entries: &[Entry], code: &str, params: &Params, lang: Lang) -> Option<String> {
    let entry = entries.iter().find(|e| e.code == code)?;
    let wordings = match lang {
        Lang::En => entry.en,
        Lang::Vi => entry.vi,
    };
    wordings.iter().find_map(|wording| fill(wording, params))
}

/// `wording` with each `{name}` replaced by its param, or `None` when one is missing; `{{` and
/// `}}` stand for braces.
fn fill(wording: &str, params: &Params) -> Option<String> {
    let mut out = String::with_capacity(wording.len());
    let mut rest = wording;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(open) = tail.strip_prefix('{') {
            let (name, after) = open.split_once('}')?;
            out.push_str(params.get(name)?);
            rest = after;
        } else {
            out.push('}');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_most_specific_wording_whose_params_are_given_is_used() {
        let full = params(&[("max", "300"), ("got", "301")]);
        assert_eq!(
            field("too_long", &full, Lang::Vi).as_deref(),
            Some("chỉ được dài tối đa 300 ký tự (đang có 301)")
        );
        assert_eq!(
            field("too_long", &Params::new(), Lang::En).as_deref(),
            Some("is too long")
        );
        let kinded = params(&[("expected", "date"), ("value", "2025-02-30")]);
        assert!(field("invalid_value", &kinded, Lang::En).is_some_and(|m| m.contains("YYYY-MM-DD")));
        assert_eq!(field("no_such_code", &full, Lang::Vi), None);
    }

    #[test]
    fn every_wording_fills_from_its_own_placeholders() {
        for entry in FIELDS.iter().chain(PROBLEMS) {
            for wording in entry.en.iter().chain(entry.vi) {
                let names: Params = wording
                    .split('{')
                    .skip(1)
                    .filter_map(|part| part.split_once('}').map(|(name, _)| name))
                    .filter(|name| !name.is_empty() && !name.contains('{'))
                    .map(|name| (name.to_owned(), "x".to_owned()))
                    .collect();
                let filled = fill(wording, &names);
                assert!(filled.is_some_and(|f| !f.contains("{x")), "{}: {wording}", entry.code);
            }
        }
    }

    #[test]
    fn a_link_answers_in_vietnamese_unless_english_is_preferred() {
        assert_eq!(Lang::from_accept_language(None), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("vi;q=0.5, en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("vi-VN,vi;q=0.9,en;q=0.8")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("fr, de")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("*")), Lang::Vi);
    }
}
