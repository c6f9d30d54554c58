//! What a session's trainees are sent when it is scheduled, moved or cancelled: a mail in their
//! language with the calendar entry attached (`METHOD:REQUEST`, its `SEQUENCE` the session's
//! version, or `METHOD:CANCEL`), so that it lands in, moves in or leaves their calendars.
//!
//! Only a session still to come is announced (correcting last year's record mails nobody), and
//! only one known to the day: a calendar has no place for one known only to its month.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;

use super::Session;
use super::calendar::{self, Calendar, Method, Person};
use crate::cohorts::CohortStatus;
use crate::dates::DatePrecision;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::ids::EnrollmentId;
use crate::links::LinkKey;
use crate::mail::compose::{Addressee, Course};
use crate::mail::{self, About, MessageKind, Outgoing, RecipientRole};
use crate::messages::Lang;
use crate::schema::{cohorts, enrollments};
use crate::statuses::SEATED;
use crate::texts::{Text, format};

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// It was added to the cohort's programme.
    Scheduled,
    /// Its time, place or content changed.
    Changed,
    /// It was cancelled (deleted).
    Cancelled,
}

/// Whether a change moves the session or changes what a calendar shows of it.
pub fn worth_telling(before: &Session, after: &Session) -> bool {
    (
        &before.date,
        &before.end_date,
        before.starts_at,
        before.ends_at,
        &before.time_zone,
    ) != (
        &after.date,
        &after.end_date,
        after.starts_at,
        after.ends_at,
        &after.time_zone,
    ) || (&before.title, &before.location, &before.description) != (&after.title, &after.location, &after.description)
}

/// Mail every seated trainee of the session's cohort, if the session is still to come.
pub fn tell(conn: &mut DbConnection, session: &Session, notice: Notice) -> ApiResult<()> {
    if session.date.precision != DatePrecision::Day {
        return Ok(());
    }
    let last_day = session
        .end_date
        .as_ref()
        .filter(|end| end.precision == DatePrecision::Day)
        .map_or(session.date.first_day, |end| end.first_day);
    if last_day < crate::clock::now().date() {
        return Ok(());
    }
    let seated: Vec<EnrollmentId> = enrollments::table
        .filter(enrollments::cohort_id.eq(session.cohort_id))
        .filter(enrollments::status.eq_any(SEATED))
        .order(enrollments::id)
        .select(enrollments::id)
        .load(conn)?;
    if seated.is_empty() {
        return Ok(());
    }
    let cohort_status: CohortStatus = cohorts::table
        .find(session.cohort_id)
        .select(cohorts::status)
        .get_result(conn)?;
    if matches!(cohort_status, CohortStatus::Completed | CohortStatus::Cancelled) {
        return Ok(());
    }
    let key = LinkKey::load(conn)?;
    let course = Course::of(conn, session.cohort_id)?;
    let name = calendar::name_of(conn, session.cohort_id)?;
    let uid_domain = calendar::uid_domain(key.public_url().unwrap_or_default());
    let addressees = Addressee::of_enrollments(conn, &seated)?;
    let stamp = crate::clock::now();
    let mut mails = Vec::with_capacity(seated.len());
    for enrollment in &seated {
        let Some(to) = addressees.get(enrollment) else { continue };
        let attendee = to.email.as_deref().map(|email| Person {
            email,
            name: Some(to.name.as_str()),
        });
        let entry = Calendar {
            method: if notice == Notice::Cancelled {
                Method::Cancel
            } else {
                Method::Request
            },
            name: &name,
            uid_domain: &uid_domain,
            stamp,
            organizer: None,
            attendees: attendee.as_slice(),
        }
        .write(std::slice::from_ref(session));
        mails.push(letter(&course, to, session, notice, entry));
    }
    mail::enqueue(conn, mails, &key.mail_domain())?;
    Ok(())
}

/// The mail to one trainee.
fn letter(course: &Course, to: &Addressee, session: &Session, notice: Notice, entry: String) -> Outgoing {
    let lang = to.language;
    let when = when(session, lang);
    let (kind, subject, intro) = match notice {
        Notice::Scheduled => (
            MessageKind::SessionScheduled,
            Text::MailSessionScheduledSubject,
            Text::MailSessionScheduledIntro,
        ),
        Notice::Changed => (
            MessageKind::SessionChanged,
            Text::MailSessionChangedSubject,
            Text::MailSessionChangedIntro,
        ),
        Notice::Cancelled => (
            MessageKind::SessionCancelled,
            Text::MailSessionCancelledSubject,
            Text::MailSessionCancelledIntro,
        ),
    };
    let place = session
        .location
        .clone()
        .unwrap_or_else(|| Text::MailPlaceUnknown.get(lang).to_owned());
    let values = [
        ("intro", intro.get(lang)),
        ("session", session.title.as_str()),
        ("when", when.as_str()),
        ("place", place.as_str()),
        ("program", course.program.as_str()),
        ("cohort", course.cohort.as_str()),
    ];
    Outgoing {
        kind,
        role: RecipientRole::Trainee,
        name: to.name.clone(),
        email: to.email.clone(),
        language: lang,
        subject: subject.fill(lang, &values),
        body: mail::compose::letter(lang, &to.name, &Text::MailSessionBody.fill(lang, &values)),
        calendar: Some(entry),
        about: About {
            program: Some(course.program_id),
            cohort: Some(course.cohort_id),
            trainee: Some(to.trainee),
            session: Some(session.id),
            ..About::default()
        },
    }
}

/// When the session is, on its venue's clock: `09:00, 27/3/2026 (Europe/Paris)`, or its day.
fn when(session: &Session, lang: Lang) -> String {
    let local = |at: NaiveDateTime| -> Option<NaiveDateTime> {
        let zone: Tz = session.time_zone.parse().ok()?;
        Some(at.and_utc().with_timezone(&zone).naive_local())
    };
    match session.starts_at.and_then(local) {
        Some(start) => format!(
            "{}, {} ({})",
            start.format("%H:%M"),
            format::date(start.date(), lang),
            session.time_zone
        ),
        None => format::partial_date(&session.date, lang),
    }
}
