//! The words of each message, from the same catalogue as the pages ([`crate::texts`]), in the
//! recipient's language: each names the programme, the cohort, the deadline in Vietnam's time
//! where there is one, and the page the recipient's link opens.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{About, MessageKind, Outgoing, RecipientRole};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, ProgramId, TraineeId};
use crate::messages::Lang;
use crate::schema::{cohorts, enrollments, programs, trainees};
use crate::texts::{Text, format};

/// The programme and cohort a message is about.
#[derive(Debug, Clone)]
pub struct Course {
    /// The programme.
    pub program_id: ProgramId,
    /// Its title.
    pub program: String,
    /// The cohort.
    pub cohort_id: CohortId,
    /// Its name.
    pub cohort: String,
}

/// A trainee a message is written to.
#[derive(Debug, Clone)]
pub struct Addressee {
    /// The trainee.
    pub trainee: TraineeId,
    /// Their full name.
    pub name: String,
    /// Their address, if any.
    pub email: Option<String>,
    /// The language they are written to in.
    pub language: Lang,
}

impl Course {
    /// The programme and cohort of `cohort`.
    pub fn of(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<Course> {
        let (program_id, program, name): (ProgramId, String, String) = cohorts::table
            .inner_join(programs::table)
            .filter(cohorts::id.eq(cohort))
            .select((programs::id, programs::title, cohorts::name))
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("cohort", cohort))?;
        Ok(Course {
            program_id,
            program,
            cohort_id: cohort,
            cohort: name,
        })
    }
}

impl Addressee {
    /// The trainees of `enrolments`, by enrolment, read in one query.
    pub fn of_enrollments(
        conn: &mut DbConnection,
        enrolments: &[EnrollmentId],
    ) -> ApiResult<HashMap<EnrollmentId, Addressee>> {
        let mut found = HashMap::with_capacity(enrolments.len());
        // In slices, to stay under SQLite's bound on a statement's parameters.
        for slice in enrolments.chunks(10_000) {
            let rows: Vec<(
                EnrollmentId,
                TraineeId,
                String,
                Option<String>,
                crate::trainees::Language,
            )> = enrollments::table
                .inner_join(trainees::table)
                .filter(enrollments::id.eq_any(slice))
                .select((
                    enrollments::id,
                    trainees::id,
                    trainees::full_name,
                    trainees::email,
                    trainees::language,
                ))
                .load(conn)?;
            for (enrolment, trainee, name, email, language) in rows {
                found.insert(
                    enrolment,
                    Addressee {
                        trainee,
                        name,
                        email,
                        language: language.lang(),
                    },
                );
            }
        }
        Ok(found)
    }

    /// The trainee of one enrolment.
    pub fn of_enrollment(conn: &mut DbConnection, enrolment: EnrollmentId) -> ApiResult<Addressee> {
        Addressee::of_enrollments(conn, &[enrolment])?
            .remove(&enrolment)
            .ok_or_else(|| ApiError::not_found("enrolment", enrolment))
    }
}

/// A deadline as the recipient reads it: the time and day in Vietnam, or "no deadline".
pub fn deadline(at: Option<NaiveDateTime>, lang: Lang) -> String {
    match at {
        Some(at) => {
            let (date, time) = format::instant(at, lang);
            Text::MailDeadline.fill(lang, &[("time", &time), ("date", &date)])
        }
        None => Text::MailNoDeadline.get(lang).to_owned(),
    }
}

/// A message to a trainee: the greeting, `body`, and the closing lines, under `subject`.
pub fn to_trainee(
    kind: MessageKind,
    course: &Course,
    to: &Addressee,
    subject: String,
    body: &str,
    about: About,
) -> Outgoing {
    let lang = to.language;
    Outgoing {
        kind,
        role: RecipientRole::Trainee,
        name: to.name.clone(),
        email: to.email.clone(),
        language: lang,
        subject,
        body: letter(lang, &to.name, body),
        calendar: None,
        about: About {
            program: Some(course.program_id),
            cohort: Some(course.cohort_id),
            trainee: Some(to.trainee),
            ..about
        },
    }
}

/// The whole text of a letter to `name`.
pub fn letter(lang: Lang, name: &str, body: &str) -> String {
    format!(
        "{}\n\n{}\n\n{}\n",
        Text::MailGreeting.fill(lang, &[("name", name)]),
        body.trim_end(),
        Text::MailSignOff.get(lang)
    )
}

/// A trainee's invitation to answer a round (or, `reissued`, their new link to it).
pub fn invitation(
    course: &Course,
    to: &Addressee,
    round: (crate::ids::RoundId, &str, Option<NaiveDateTime>),
    link: &str,
    reissued: bool,
) -> Outgoing {
    Invitations::new(course, round, reissued).to(to, link)
}

/// A round's invitations (or reissued links), with what is the same in every one of them (the
/// deadline and the subject in each language) worked out once for the round: opening a round of
/// 10,000 formatted the same deadline and subject 10,000 times.
pub struct Invitations<'a> {
    course: &'a Course,
    round: crate::ids::RoundId,
    title: &'a str,
    kind: MessageKind,
    body: Text,
    /// The deadline and the subject, in Vietnamese and in English.
    vi: (String, String),
    en: (String, String),
}

impl<'a> Invitations<'a> {
    /// The invitations to `round` (its id, title and closing time) of `course`.
    pub fn new(
        course: &'a Course,
        round: (crate::ids::RoundId, &'a str, Option<NaiveDateTime>),
        reissued: bool,
    ) -> Invitations<'a> {
        let (round_id, title, closes_at) = round;
        let (kind, subject, body) = if reissued {
            (
                MessageKind::LinkReissued,
                Text::MailLinkReissuedSubject,
                Text::MailLinkReissuedBody,
            )
        } else {
            (
                MessageKind::Invitation,
                Text::MailInvitationSubject,
                Text::MailInvitationBody,
            )
        };
        // A subject names no trainee and no link.
        let words = |lang| {
            let due = deadline(closes_at, lang);
            let values = [
                ("program", course.program.as_str()),
                ("cohort", course.cohort.as_str()),
                ("round", title),
                ("deadline", due.as_str()),
            ];
            let subject = subject.fill(lang, &values);
            (due, subject)
        };
        Invitations {
            course,
            round: round_id,
            title,
            kind,
            body,
            vi: words(Lang::Vi),
            en: words(Lang::En),
        }
    }

    /// The invitation to `to`, carrying `link`.
    pub fn to(&self, to: &Addressee, link: &str) -> Outgoing {
        let lang = to.language;
        let (due, subject) = match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        };
        let values = [
            ("program", self.course.program.as_str()),
            ("cohort", self.course.cohort.as_str()),
            ("round", self.title),
            ("deadline", due.as_str()),
            ("link", link),
        ];
        to_trainee(
            self.kind,
            self.course,
            to,
            subject.clone(),
            &self.body.fill(lang, &values),
            About {
                round: Some(self.round),
                ..About::default()
            },
        )
    }
}

/// A trainee's link to write their action plan.
pub fn plan_link(course: &Course, to: &Addressee, link: &str) -> Outgoing {
    let lang = to.language;
    let values = [
        ("program", course.program.as_str()),
        ("cohort", course.cohort.as_str()),
        ("link", link),
    ];
    to_trainee(
        MessageKind::PlanLink,
        course,
        to,
        Text::MailPlanLinkSubject.fill(lang, &values),
        &Text::MailPlanLinkBody.fill(lang, &values),
        About::default(),
    )
}

/// A plan sent back to its trainee, with the reviewer's comments and the same link.
pub fn plan_returned(course: &Course, to: &Addressee, comments: Option<&str>, link: &str) -> Outgoing {
    let lang = to.language;
    let values = [
        ("program", course.program.as_str()),
        ("cohort", course.cohort.as_str()),
        ("comments", comments.unwrap_or("–")),
        ("link", link),
    ];
    to_trainee(
        MessageKind::PlanReturned,
        course,
        to,
        Text::MailPlanReturnedSubject.fill(lang, &values),
        &Text::MailPlanReturnedBody.fill(lang, &values),
        About::default(),
    )
}

/// A certificate issued: its number and code, and where anyone verifies it.
pub fn certificate(course: &Course, to: &Addressee, number: &str, code: &str, verify: &str) -> Outgoing {
    let lang = to.language;
    let values = [
        ("program", course.program.as_str()),
        ("cohort", course.cohort.as_str()),
        ("number", number),
        ("code", code),
        ("link", verify),
    ];
    to_trainee(
        MessageKind::CertificateIssued,
        course,
        to,
        Text::MailCertificateSubject.fill(lang, &values),
        &Text::MailCertificateBody.fill(lang, &values),
        About::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RoundId;

    fn course() -> Course {
        Course {
            program_id: ProgramId(1),
            program: "Young Leaders".to_owned(),
            cohort_id: CohortId(2),
            cohort: "YL-2026".to_owned(),
        }
    }

    #[test]
    fn an_invitation_names_the_course_the_deadline_in_vietnam_and_the_link() {
        let to = Addressee {
            trainee: TraineeId(3),
            name: "Nguyễn Thị Bích Dung".to_owned(),
            email: Some("dung@example.gov.vn".to_owned()),
            language: Lang::Vi,
        };
        let closes = chrono::NaiveDate::from_ymd_opt(2026, 12, 20)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("a date");
        let message = invitation(
            &course(),
            &to,
            (RoundId(4), "Đánh giá cuối khóa", Some(closes)),
            "https://t.example/r/abc",
            false,
        );
        assert_eq!(message.subject, "Mời trả lời phiếu: Đánh giá cuối khóa – Young Leaders");
        assert!(
            message.body.starts_with("Kính gửi Nguyễn Thị Bích Dung,"),
            "{}",
            message.body
        );
        assert!(
            message.body.contains("17:00 ngày 20/12/2026 (giờ Việt Nam)"),
            "{}",
            message.body
        );
        assert!(message.body.contains("YL-2026") && message.body.contains("https://t.example/r/abc"));
        assert_eq!(message.about.round, Some(RoundId(4)));
        assert_eq!(message.about.trainee, Some(TraineeId(3)));
    }
}
