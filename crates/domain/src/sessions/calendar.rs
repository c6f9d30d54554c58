//! Sessions as an iCalendar file (RFC 5545): the cohort's calendar, a trainee's feed, and the
//! invitation (RFC 5546 `METHOD:REQUEST`) or cancellation (`METHOD:CANCEL`) a session's mail
//! carries.
//!
//! Each session is one `VEVENT` whose `UID` never changes (`session-{id}@{host}`), so that a
//! calendar app replaces the event it holds instead of adding another, and whose `SEQUENCE` is the
//! session's version, which every change raises, so that an update wins over the invitation it
//! follows. A timed session is written on its venue's clock (`DTSTART;TZID=Europe/Paris:…`) with a
//! `VTIMEZONE` for each zone used, worked out from the time-zone database over the span of the
//! events: a calendar app that does not know the zone (or knows an older rule) still places the
//! session at the right instant, and one that does keeps it at 09:00 local when the clocks change.
//! A session known to the day without a time is an all-day event (`VALUE=DATE`); one known only to
//! the month or the year has no day to go on and is left out.
//!
//! Written here rather than with the `icalendar` crate (0.17), which was read first: it adds a
//! random `UID` and a `DTSTAMP` to every component it writes, the `VTIMEZONE` and its
//! `STANDARD`/`DAYLIGHT` parts included (where RFC 5545 allows neither), writes no `VTIMEZONE`
//! itself, leaves a carriage return in a `TEXT` value unescaped, and decides where to fold by
//! counting characters at a byte offset. What is needed here is small: content lines folded at 75
//! octets, `TEXT` escaped, and the time-zone blocks.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use diesel::prelude::*;

use super::{Session, SessionRow};
use crate::access::Caller;
use crate::cohorts::Cohort;
use crate::dates::DatePrecision;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::{CohortId, SessionId};
use crate::programs::Program;
use crate::resource::Record;
use crate::schema::sessions;

/// What a calendar file is for (its `METHOD`, RFC 5546).
///
/// An invitation or a cancellation is about one session: write it with a slice of one. RFC 5546
/// has every event of an iTIP message share one `UID`, and mail clients act on the first event
/// only. Attach it as a `text/calendar; method=REQUEST; charset=UTF-8` part (the `method`
/// parameter is [`Method::as_str`]), which is what makes a mail client offer it as an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A calendar to read or subscribe to: the cohort's calendar, a trainee's feed.
    Publish,
    /// An invitation to a session, or its update after a change: attach it to the mail.
    Request,
    /// The session no longer takes place (deleted, or no longer the addressee's): its event is
    /// `STATUS:CANCELLED`, with a `SEQUENCE` one above the session's version.
    Cancel,
}

impl Method {
    /// As written in `METHOD:` and in the `method=` parameter of a mail's `text/calendar` part.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// Someone named on an invitation: its organiser or an attendee.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// Their email address (written as a `mailto:` URI).
    pub email: &'a str,
    /// Their name as shown (`CN`), if known.
    pub name: Option<&'a str>,
}

/// A calendar file to write: its method, its name, where its events' `UID`s come from, when it
/// was made, and (for an invitation) who sends it and to whom.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    /// `PUBLISH`, `REQUEST` or `CANCEL`.
    pub method: Method,
    /// The calendar's name, as a calendar app shows a subscription (`X-WR-CALNAME`).
    pub name: &'a str,
    /// The domain of every event's `UID` ([`uid_domain`]): keep it the same for every file
    /// about a session, or calendar apps hold the session twice.
    pub uid_domain: &'a str,
    /// When the file is made (UTC), its events' `DTSTAMP`: with the same `SEQUENCE`, a calendar
    /// app keeps the message stamped last.
    pub stamp: NaiveDateTime,
    /// Who sends the invitation (`ORGANIZER`). RFC 5546 requires one in a `REQUEST` and a
    /// `CANCEL`, and some mail clients show neither as an invitation without it.
    pub organizer: Option<Person<'a>>,
    /// Whom it is sent to (`ATTENDEE`), for a `REQUEST` or a `CANCEL`; none in a `PUBLISH`.
    pub attendees: &'a [Person<'a>],
}

/// The sessions as a calendar file with `method`, without organiser or attendees: what a cohort's
/// calendar and a trainee's feed are ([`Calendar::write`] for an invitation that names them).
pub fn calendar(sessions: &[Session], method: Method, name: &str, uid_domain: &str, stamp: NaiveDateTime) -> String {
    Calendar {
        method,
        name,
        uid_domain,
        stamp,
        organizer: None,
        attendees: &[],
    }
    .write(sessions)
}

/// The domain of the events' `UID`s: the host of the service's public address
/// (`TPMS_PUBLIC_URL`), or `tpms` when it has none.
pub fn uid_domain(public_url: &str) -> String {
    crate::links::host_of(public_url).unwrap_or_else(|| "tpms".to_owned())
}

/// The `UID` of a session's event, the same in every file about it.
pub fn uid(session: SessionId, uid_domain: &str) -> String {
    format!("session-{session}@{uid_domain}")
}

/// A cohort's calendar (`METHOD:PUBLISH`), for a caller who may see the cohort (404 otherwise,
/// as for the list of its sessions).
pub fn cohort_calendar(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort: CohortId,
    uid_domain: &str,
) -> ApiResult<String> {
    Cohort::find_visible(conn, caller, cohort)?;
    published(conn, cohort, uid_domain)
}

/// A cohort's calendar (`METHOD:PUBLISH`), whoever asks: for a caller already admitted another
/// way (a trainee's feed).
pub fn published(conn: &mut DbConnection, cohort: CohortId, uid_domain: &str) -> ApiResult<String> {
    let name = name_of(conn, cohort)?;
    let sessions = of_cohort(conn, cohort)?;
    Ok(calendar(
        &sessions,
        Method::Publish,
        &name,
        uid_domain,
        crate::clock::now(),
    ))
}

/// The name a cohort's calendar goes by: the programme's code and the cohort's name
/// (`JICA-YL Class 3`).
pub fn name_of(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<String> {
    let cohort = Cohort::find(conn, cohort)?;
    let program = Program::find(conn, cohort.program_id)?;
    Ok(format!("{} {}", program.code, cohort.name))
}

/// Every session of a cohort, in date order (the list's order: timed ones first on a day).
pub fn of_cohort(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<Vec<Session>> {
    let rows: Vec<SessionRow> = sessions::table
        .filter(sessions::cohort_id.eq(cohort))
        .order((
            sessions::session_date.asc(),
            sessions::starts_at.is_null().asc(),
            sessions::starts_at.asc(),
            sessions::id.asc(),
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(Session::from).collect())
}

/// When a session takes place, as a calendar can show it.
enum When {
    /// From an instant (UTC), to another when known, on the clock of a zone.
    Timed {
        zone: Tz,
        starts: NaiveDateTime,
        ends: Option<NaiveDateTime>,
    },
    /// Whole days, the last one included.
    Days { first: NaiveDate, last: NaiveDate },
}

impl When {
    /// `None` for a session with no time that is not known to the day.
    fn of(session: &Session) -> Option<When> {
        if let Some(starts) = session.starts_at {
            // The zone was validated on the way in; one that no longer parses is written in UTC,
            // which still places the session at the right instant.
            let zone = session.time_zone.parse().unwrap_or(Tz::UTC);
            return Some(When::Timed {
                zone,
                starts,
                ends: session.ends_at,
            });
        }
        if session.date.precision != DatePrecision::Day {
            return None;
        }
        let first = session.date.first_day;
        // An end known only to the month says the session ends in that month, not on its last
        // day: shown as its first day alone rather than as weeks it does not take.
        let last = session
            .end_date
            .filter(|end| end.precision == DatePrecision::Day)
            .map_or(first, |end| end.first_day)
            .max(first);
        Some(When::Days { first, last })
    }
}

impl Calendar<'_> {
    /// The calendar file: `VCALENDAR` with a `VTIMEZONE` per zone of a timed session, then one
    /// `VEVENT` per session that has a day, in the order given.
    pub fn write(&self, sessions: &[Session]) -> String {
        let events: Vec<(&Session, When)> = sessions
            .iter()
            .filter_map(|s| When::of(s).map(|when| (s, when)))
            .collect();
        let mut out = Lines::default();
        out.raw("BEGIN:VCALENDAR");
        out.raw("VERSION:2.0");
        out.raw("PRODID:-//TPMS//Training programme sessions//EN");
        out.raw("CALSCALE:GREGORIAN");
        out.raw(&format!("METHOD:{}", self.method.as_str()));
        out.text("X-WR-CALNAME", self.name);
        out.text("NAME", self.name);
        if self.method == Method::Publish {
            // How often a subscribed calendar app should read the feed again.
            out.raw("REFRESH-INTERVAL;VALUE=DURATION:PT6H");
            out.raw("X-PUBLISHED-TTL:PT6H");
        }
        // Each zone's span: from its first session's start to its last session's end.
        let mut spans: BTreeMap<&str, (Tz, NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
        for (_, when) in &events {
            if let When::Timed { zone, starts, ends } = when {
                let end = ends.unwrap_or(*starts).max(*starts);
                let span = spans.entry(zone.name()).or_insert((*zone, *starts, end));
                span.1 = span.1.min(*starts);
                span.2 = span.2.max(end);
            }
        }
        for (zone, from, to) in spans.values() {
            vtimezone(&mut out, *zone, *from, *to);
        }
        for (session, when) in &events {
            self.event(&mut out, session, when);
        }
        out.raw("END:VCALENDAR");
        out.0
    }

    fn event(&self, out: &mut Lines, session: &Session, when: &When) {
        out.raw("BEGIN:VEVENT");
        out.text("UID", &uid(session.id, self.uid_domain));
        out.raw(&format!("DTSTAMP:{}", utc_stamp(self.stamp)));
        // A cancellation is a change after the session's last version, so that a calendar app
        // that holds that version's invitation takes it.
        let sequence = match self.method {
            Method::Cancel => session.version.saturating_add(1),
            Method::Publish | Method::Request => session.version,
        };
        out.raw(&format!("SEQUENCE:{}", sequence.max(0)));
        match when {
            When::Timed { zone, starts, ends } => {
                let on_clock = |at: &NaiveDateTime| zone.from_utc_datetime(at).naive_local().format("%Y%m%dT%H%M%S");
                let tzid = param_value(zone.name());
                out.raw(&format!("DTSTART;TZID={tzid}:{}", on_clock(starts)));
                if let Some(ends) = ends.filter(|e| e > starts) {
                    out.raw(&format!("DTEND;TZID={tzid}:{}", on_clock(&ends)));
                }
            }
            When::Days { first, last } => {
                out.raw(&format!("DTSTART;VALUE=DATE:{}", first.format("%Y%m%d")));
                // The end of an all-day event is the day after its last.
                let after = last.succ_opt().unwrap_or(*last);
                out.raw(&format!("DTEND;VALUE=DATE:{}", after.format("%Y%m%d")));
            }
        }
        out.text("SUMMARY", &session.title);
        if let Some(location) = &session.location {
            out.text("LOCATION", location);
        }
        if let Some(description) = &session.description {
            out.text("DESCRIPTION", description);
        }
        out.raw(match self.method {
            Method::Cancel => "STATUS:CANCELLED",
            Method::Publish | Method::Request => "STATUS:CONFIRMED",
        });
        out.raw("TRANSP:OPAQUE");
        out.raw(&format!("CREATED:{}", utc_stamp(session.created_at)));
        out.raw(&format!("LAST-MODIFIED:{}", utc_stamp(session.updated_at)));
        if self.method != Method::Publish {
            if let Some(organizer) = &self.organizer {
                out.raw(&format!(
                    "ORGANIZER{}:{}",
                    common_name(organizer),
                    mailto(organizer.email)
                ));
            }
            for attendee in self.attendees {
                out.raw(&format!(
                    "ATTENDEE{};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:{}",
                    common_name(attendee),
                    mailto(attendee.email)
                ));
            }
        }
        out.raw("END:VEVENT");
    }
}

/// A `VTIMEZONE` for `zone` that holds from a year before `from` to a year after `to`: its
/// offset at the start, then each change of offset in between, found by reading the zone's
/// offset day by day and, where it changed, narrowing to the second. A zone that keeps one
/// offset (Asia/Tokyo) has one `STANDARD` part.
fn vtimezone(out: &mut Lines, zone: Tz, from: NaiveDateTime, to: NaiveDateTime) {
    // Sessions are kept to years a client can read, so a year either side is always a date.
    let year = Duration::days(366);
    let start = from
        .checked_sub_signed(year)
        .unwrap_or(from)
        .date()
        .and_time(chrono::NaiveTime::MIN);
    let end = to.checked_add_signed(year).unwrap_or(to);
    out.raw("BEGIN:VTIMEZONE");
    out.text("TZID", zone.name());
    let first = Observance::at(zone, start);
    // The offset in force at the start, as an onset with no change: what a reader uses before
    // the first change.
    first.write(out, first.offset, start);
    let day = Duration::days(1);
    let (mut at, mut current) = (start, first);
    while at < end {
        let next = at + day;
        let then = Observance::at(zone, next);
        if then.same_offset(&current) {
            at = next;
            continue;
        }
        // The change lies in (at, next]: narrow to its first second.
        let (mut before, mut after) = (at, next);
        while after - before > Duration::seconds(1) {
            let middle = before + (after - before) / 2;
            if Observance::at(zone, middle).same_offset(&current) {
                before = middle;
            } else {
                after = middle;
            }
        }
        let changed = Observance::at(zone, after);
        changed.write(out, current.offset, after);
        (at, current) = (after, changed);
    }
    out.raw("END:VTIMEZONE");
}

/// A zone's offset from UTC at an instant (in seconds), whether it is daylight-saving time, and
/// its abbreviation when it has a name (`CET`; none for `+07`).
#[derive(Debug, Clone)]
struct Observance {
    offset: i32,
    daylight: bool,
    name: Option<String>,
}

impl Observance {
    fn at(zone: Tz, instant: NaiveDateTime) -> Observance {
        let offset = zone.offset_from_utc_datetime(&instant);
        Observance {
            offset: offset.fix().local_minus_utc(),
            daylight: offset.dst_offset() > Duration::zero(),
            name: offset
                .abbreviation()
                .filter(|name| name.chars().all(|c| c.is_ascii_alphabetic()))
                .map(str::to_owned),
        }
    }

    fn same_offset(&self, other: &Observance) -> bool {
        self.offset == other.offset && self.daylight == other.daylight
    }

    /// A `STANDARD` or `DAYLIGHT` part: this observance from `onset` (UTC), after an offset of
    /// `before` seconds. Its `DTSTART` is the onset on the clock in force before it, as RFC 5545
    /// has it.
    fn write(&self, out: &mut Lines, before: i32, onset: NaiveDateTime) {
        let kind = if self.daylight { "DAYLIGHT" } else { "STANDARD" };
        out.raw(&format!("BEGIN:{kind}"));
        let local = onset + Duration::seconds(i64::from(before));
        out.raw(&format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
        out.raw(&format!("TZOFFSETFROM:{}", utc_offset(before)));
        out.raw(&format!("TZOFFSETTO:{}", utc_offset(self.offset)));
        if let Some(name) = &self.name {
            out.text("TZNAME", name);
        }
        out.raw(&format!("END:{kind}"));
    }
}

/// An offset from UTC as RFC 5545 writes it: `+0100`, `-0330`, `+051530` when it has seconds.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

/// An instant (UTC) as a `DATE-TIME` in UTC: `20260327T080000Z`.
fn utc_stamp(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// An email address as the `mailto:` URI of an `ORGANIZER` or `ATTENDEE`, with nothing in it
/// that could end the line or start a parameter.
fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{clean}")
}

/// The `;CN=` parameter of a person with a name, quoted; empty without one.
fn common_name(person: &Person<'_>) -> String {
    person
        .name
        .map(|name| format!(";CN=\"{}\"", param_text(name)))
        .unwrap_or_default()
}

/// A parameter value as RFC 5545 allows it inside quotes: no double quote (which cannot be
/// escaped there) and no control character.
fn param_text(value: &str) -> String {
    value.chars().filter(|c| *c != '"' && !c.is_control()).collect()
}

/// A parameter value, quoted when it holds a character that would otherwise end it (`:`, `;`,
/// `,`).
fn param_value(value: &str) -> String {
    let clean = param_text(value);
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// A `TEXT` value escaped (RFC 5545 3.3.11): a backslash, `;` and `,` behind a backslash, every
/// line break (CRLF, CR or LF, as a browser's form or a spreadsheet sends it) as `\n`, and no
/// other control character but the tab, which the format does not allow.
pub fn escape_text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                escaped.push_str("\\n");
            }
            '\n' => escaped.push_str("\\n"),
            '\t' => escaped.push('\t'),
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// A content line folded as RFC 5545 3.1 asks: no line longer than 75 octets (without its line
/// break), each continuation starting with a space, and never inside a character's UTF-8 bytes
/// (a Vietnamese letter takes two or three).
pub fn fold(line: &str) -> String {
    const LIMIT: usize = 75;
    let mut folded = String::with_capacity(line.len() + line.len() / 32 + 2);
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > LIMIT {
            folded.push_str("\r\n ");
            // The space that starts the continuation counts.
            width = 1;
        }
        folded.push(c);
        width += size;
    }
    folded.push_str("\r\n");
    folded
}

/// The calendar file being written, one folded content line at a time.
#[derive(Default)]
struct Lines(String);

impl Lines {
    /// A content line written as given (its value already in form).
    fn raw(&mut self, line: &str) {
        self.0.push_str(&fold(line));
    }

    /// A property with a `TEXT` value, escaped.
    fn text(&mut self, name: &str, value: &str) {
        self.raw(&format!("{name}:{}", escape_text(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_every_line_break_becomes_one_newline() {
        assert_eq!(
            escape_text("Hà Nội; room 3, floor 2\\B\r\nline 2\rline 3\nline 4\u{7}"),
            "Hà Nội\\; room 3\\, floor 2\\\\B\\nline 2\\nline 3\\nline 4"
        );
        assert_eq!(escape_text("a:b\tc"), "a:b\tc", "a colon and a tab stay");
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_and_never_inside_a_character() {
        let line = format!(
            "DESCRIPTION:{}",
            "Đào tạo cán bộ lãnh đạo, quản lý ở Nhật Bản. ".repeat(6)
        );
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        let physical: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.len() > 3, "{folded}");
        for (i, part) in physical.iter().enumerate() {
            assert!(part.len() <= 75, "line {i} has {} octets: {part}", part.len());
            assert_eq!(
                i > 0,
                part.starts_with(' '),
                "a continuation, and only one, starts with a space"
            );
        }
        // Unfolding (a line break and the one space after it) gives the line back.
        assert_eq!(folded.trim_end_matches("\r\n").replace("\r\n ", ""), line);
        assert_eq!(fold("SHORT:line"), "SHORT:line\r\n");
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"), "75 octets fit on one line");
    }

    /// A session of cohort 1 on `date` (a day or a month), untimed.
    fn session(id: i64, date: &str) -> Session {
        let date = crate::dates::parse_field("date", Some(date))
            .ok()
            .flatten()
            .expect("a date");
        let at = NaiveDateTime::parse_from_str("2026-01-05T10:00:00", "%Y-%m-%dT%H:%M:%S").expect("a time");
        Session {
            id: SessionId(id),
            cohort_id: CohortId(1),
            title: "Lecture, with a comma".to_owned(),
            kind: crate::sessions::SessionKind::Lecture,
            date,
            end_date: None,
            starts_at: None,
            ends_at: None,
            starts_at_local: None,
            ends_at_local: None,
            time_zone: "Asia/Tokyo".to_owned(),
            location: None,
            speaker_name: None,
            speaker_title: None,
            speaker_affiliation: None,
            speaker_partner_id: None,
            language: None,
            description: None,
            created_at: at,
            updated_at: at,
            version: 2,
            source: None,
            sources: Default::default(),
            seed_key: None,
        }
    }

    #[test]
    fn untimed_sessions_are_whole_days_and_one_known_by_its_month_is_left_out() {
        let mut seminar = session(1, "2026-09-16");
        seminar.end_date = crate::dates::parse_field("end_date", Some("2026-09-17")).ok().flatten();
        let visit = session(2, "2026-10");
        let stamp = NaiveDateTime::parse_from_str("2026-02-01T00:00:00", "%Y-%m-%dT%H:%M:%S").expect("a time");
        let ics = calendar(
            &[seminar, visit],
            Method::Cancel,
            "JICA-YL Class 3",
            "tpms.example",
            stamp,
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{ics}");
        assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("METHOD:CANCEL\r\n"), "{ics}");
        assert!(
            ics.contains("DTSTART;VALUE=DATE:20260916\r\nDTEND;VALUE=DATE:20260918\r\n"),
            "both days: {ics}"
        );
        assert!(ics.contains("UID:session-1@tpms.example\r\n"), "{ics}");
        assert!(!ics.contains("session-2@"), "no day to show it on: {ics}");
        assert!(!ics.contains("VTIMEZONE"), "a date needs no zone: {ics}");
        assert!(
            ics.contains("SEQUENCE:3\r\n"),
            "a cancellation comes after version 2: {ics}"
        );
        assert!(ics.contains("STATUS:CANCELLED\r\n"), "{ics}");
        assert!(ics.contains("SUMMARY:Lecture\\, with a comma\r\n"), "{ics}");
        assert!(ics.contains("DTSTAMP:20260201T000000Z\r\n"), "{ics}");
        assert!(
            !ics.contains("REFRESH-INTERVAL"),
            "only a published calendar is read again: {ics}"
        );
    }

    #[test]
    fn offsets_are_written_as_rfc_5545_has_them() {
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-12_600), "-0330");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(25_530), "+070530");
    }

    #[test]
    fn a_zone_that_changes_its_clocks_has_each_change_and_one_that_does_not_has_one_part() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("a time");
        let mut out = Lines::default();
        vtimezone(
            &mut out,
            chrono_tz::Europe::Paris,
            at("2026-03-27T08:00:00"),
            at("2026-03-30T07:00:00"),
        );
        let paris = out.0;
        assert!(
            paris.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
            ),
            "spring forward at 02:00 local on 29 March 2026: {paris}"
        );
        assert!(
            paris.contains("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"),
            "fall back at 03:00 local on 25 October 2026: {paris}"
        );
        assert_eq!(
            paris.matches("BEGIN:DAYLIGHT").count(),
            3,
            "2025, 2026 and 2027: {paris}"
        );

        let mut out = Lines::default();
        vtimezone(
            &mut out,
            chrono_tz::Asia::Tokyo,
            at("2024-09-20T00:00:00"),
            at("2024-09-20T03:00:00"),
        );
        let tokyo = out.0;
        assert_eq!(tokyo.matches("BEGIN:STANDARD").count(), 1, "{tokyo}");
        assert!(!tokyo.contains("DAYLIGHT"), "{tokyo}");
        assert!(
            tokyo.contains("TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\n"),
            "{tokyo}"
        );

        let mut out = Lines::default();
        vtimezone(
            &mut out,
            chrono_tz::Asia::Ho_Chi_Minh,
            at("2024-09-20T00:00:00"),
            at("2024-09-20T03:00:00"),
        );
        assert!(
            out.0.contains("TZOFFSETTO:+0700\r\nEND:STANDARD"),
            "no name for +07: {}",
            out.0
        );
    }
}
