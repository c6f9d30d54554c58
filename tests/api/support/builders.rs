//! Typed builders for the records a test makes, one per resource, reached from [`TestApp`]:
//!
//! ```ignore
//! let program = app.program().code("JICA-YL").create().await;
//! let cohort = app.cohort(&program).capacity(5).create().await;
//! let trainee = app.trainee().full_name("Nguyễn Văn An").create().await;
//! let enrolment = app.enrollment(&cohort, &trainee).nominated().create().await;
//! ```
//!
//! Each builder holds the `Create…` body the API takes (`tpms::partners::CreatePartner`, ...),
//! filled with valid defaults: a code unique across the run, a name made from it. Each setter
//! changes one field. A builder ends in one of:
//! - `.create().await`: POST the body as the admin, assert 201 (naming the path and the body if
//!   not), and return the created record's JSON;
//! - `.post().await`: POST the body as the admin and return the answer, whatever it is, for
//!   requests a test expects to be refused;
//! - `.json()`: the body as JSON, for a test that sends it another way (as another caller, many
//!   at once) or spoils one field first.
//!
//! A record that lives under another is built from its parent's JSON (`app.cohort(&program)`),
//! whose `"id"` it reads. Fields left unset are sent as `null`, which the API takes as absent.

#![allow(
    dead_code,
    reason = "a builder offers every field of its body, whether or not a test sets it yet"
)]

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tpms::action_plans::{CreateActionPlan, PlanItem};
use tpms::cohorts::{CohortStatus, CreateCohort};
use tpms::contacts::{CreateContact, NameOrder};
use tpms::costs::{CostCategory, CreateBudgetLine, CreateExpense, ExpenseStatus};
use tpms::enrollments::{CreateEnrollment, EnrollmentStatus, Placement};
use tpms::ids::{CohortId, ContactId, EnrollmentId, InstrumentId, PartnerId, SessionId, TraineeId};
use tpms::instruments::items::Scale;
use tpms::instruments::{CreateInstrument, Item, ItemKind, Purpose};
use tpms::money::Currency;
use tpms::participations::{CreateParticipation, ParticipationRole};
use tpms::partners::{CreatePartner, PartnerKind};
use tpms::programs::partners::{CreateProgramPartner, PartnerRole};
use tpms::programs::{CreateProgram, Figure, ProgramKind, ProgramStatus};
use tpms::rounds::{Anonymity, CreateRound, Respondent, Subject, Wave};
use tpms::sessions::{CreateSession, SessionKind, SessionTime};
use tpms::trainees::{CreateTrainee, Gender};

use super::{TestApp, TestResponse, cohorts_of, enrollments_of, sessions_of};

/// A number never handed out before in this test run, for unique default codes and names.
fn unique() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The `"id"` of a record's JSON.
fn id_of(record: &Value, what: &str) -> i64 {
    record["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what} has no integer \"id\": {record}"))
}

/// An RFC 3339 instant, as a test writes it (`2024-09-20T08:30:00+09:00`).
fn instant(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("`{at}` is not an RFC 3339 instant: {e}"))
        .with_timezone(&Utc)
}

fn to_json(body: &impl Serialize) -> Value {
    serde_json::to_value(body).expect("a Create body serialises")
}

/// The ways every builder ends but `create` (which some builders do more in): `json` and `post`.
macro_rules! sent_as_json {
    ($builder:ident) => {
        impl $builder<'_> {
            /// The body as JSON, to send some other way or to change a field of first.
            pub fn json(&self) -> Value {
                to_json(&self.body)
            }

            /// POST the body as the admin and return the answer, whatever it is.
            pub async fn post(self) -> TestResponse {
                self.app.post(&self.path, self.json()).await
            }
        }
    };
}

impl TestApp {
    /// A partner organisation: by default a Japanese development agency with a unique code,
    /// named `Partner <code>`.
    pub fn partner(&self) -> PartnerBuilder<'_> {
        let code = format!("PARTNER-{}", unique());
        PartnerBuilder {
            app: self,
            path: "/api/v1/partners".to_owned(),
            named: false,
            body: CreatePartner {
                name: format!("Partner {code}"),
                code,
                name_local: None,
                kind: PartnerKind::DevelopmentAgency,
                country: "JP".to_owned(),
                website: None,
                notes: None,
            },
        }
    }

    /// A programme: by default a training course with a unique code, titled `Programme <code>`.
    pub fn program(&self) -> ProgramBuilder<'_> {
        let code = format!("PROGRAM-{}", unique());
        ProgramBuilder {
            app: self,
            path: "/api/v1/programs".to_owned(),
            titled: false,
            body: CreateProgram {
                title: format!("Programme {code}"),
                code,
                title_vi: None,
                kind: ProgramKind::TrainingCourse,
                status: None,
                start_date: None,
                end_date: None,
                agreement_signed_on: None,
                planned_trainees: None,
                planned_cohorts: None,
                course_length: None,
                retention_months: None,
                focus_areas: None,
                description: None,
                figures: None,
            },
        }
    }

    /// A cohort of `program` (its JSON): by default with a unique code, named `Cohort <code>`,
    /// with no capacity limit, and planned.
    pub fn cohort(&self, program: &Value) -> CohortBuilder<'_> {
        id_of(program, "the programme");
        let code = format!("COHORT-{}", unique());
        CohortBuilder {
            app: self,
            path: cohorts_of(program),
            named: false,
            body: CreateCohort {
                name: format!("Cohort {code}"),
                code,
                sequence: None,
                start_date: None,
                end_date: None,
                location_city: None,
                location_country: None,
                capacity: None,
                status: None,
            },
        }
    }

    /// A session of `cohort` (its JSON): by default a lecture on 20 September 2024 in Tokyo, at
    /// no particular time.
    pub fn session(&self, cohort: &Value) -> SessionBuilder<'_> {
        id_of(cohort, "the cohort");
        SessionBuilder {
            app: self,
            path: sessions_of(cohort),
            dated: false,
            body: CreateSession {
                title: format!("Session {}", unique()),
                kind: SessionKind::Lecture,
                date: Some("2024-09-20".to_owned()),
                end_date: None,
                starts_at: None,
                ends_at: None,
                time_zone: "Asia/Tokyo".to_owned(),
                location: None,
                speaker_name: None,
                speaker_title: None,
                speaker_affiliation: None,
                speaker_partner_id: None,
                language: None,
                description: None,
            },
        }
    }

    /// A trainee: by default only a unique name, `Trainee <n>`.
    pub fn trainee(&self) -> TraineeBuilder<'_> {
        TraineeBuilder {
            app: self,
            path: "/api/v1/trainees".to_owned(),
            body: CreateTrainee {
                full_name: format!("Trainee {}", unique()),
                ..CreateTrainee::default()
            },
            idempotency_key: None,
        }
    }

    /// A person at `partner` (its JSON): by default with a unique name, given name first.
    pub fn contact(&self, partner: &Value) -> ContactBuilder<'_> {
        ContactBuilder {
            app: self,
            path: "/api/v1/contacts".to_owned(),
            body: CreateContact {
                partner_id: PartnerId(id_of(partner, "the partner")),
                full_name: format!("Contact {}", unique()),
                name_order: NameOrder::GivenFirst,
                name_native: None,
                title: None,
                title_vi: None,
                position: None,
                position_vi: None,
                email: None,
                phone: None,
                notes: None,
            },
        }
    }

    /// The part `contact` took in `event` (the JSON of a session, or of a cohort with
    /// [`ParticipationBuilder::in_cohort`]): by default as a speaker.
    pub fn participation(&self, contact: &Value, session: &Value) -> ParticipationBuilder<'_> {
        ParticipationBuilder {
            app: self,
            path: "/api/v1/participations".to_owned(),
            body: CreateParticipation {
                contact_id: ContactId(id_of(contact, "the contact")),
                cohort_id: None,
                session_id: Some(SessionId(id_of(session, "the session"))),
                role: ParticipationRole::Speaker,
                notes: None,
            },
        }
    }

    /// The place of `partner` in `program` (both their JSON): by default as its funder.
    pub fn program_partner(&self, program: &Value, partner: &Value) -> ProgramPartnerBuilder<'_> {
        ProgramPartnerBuilder {
            app: self,
            path: format!("/api/v1/programs/{}/partners", id_of(program, "the programme")),
            body: CreateProgramPartner {
                partner_id: PartnerId(id_of(partner, "the partner")),
                roles: vec![PartnerRole::Funder],
                notes: None,
                shares_trainee_contacts: false,
                reviews_nominations: false,
            },
        }
    }

    /// The enrolment of `trainee` in `cohort` (both their JSON): by default a seat if one is
    /// free, else the waitlist.
    pub fn enrollment(&self, cohort: &Value, trainee: &Value) -> EnrollmentBuilder<'_> {
        id_of(cohort, "the cohort");
        EnrollmentBuilder {
            app: self,
            path: enrollments_of(cohort),
            wanted: None,
            body: CreateEnrollment {
                trainee_id: TraineeId(id_of(trainee, "the trainee")),
                status: None,
                notes: None,
            },
        }
    }

    /// An expense of `program` (its JSON): by default 1,000,000 VND of `other`, committed, dated
    /// 2025-03-01, from the department's own budget.
    pub fn expense(&self, program: &Value) -> ExpenseBuilder<'_> {
        ExpenseBuilder {
            app: self,
            path: format!("/api/v1/programs/{}/expenses", id_of(program, "the programme")),
            body: CreateExpense {
                cohort_id: None,
                enrollment_id: None,
                category: CostCategory::Other,
                payer_id: None,
                status: None,
                amount: "1000000".to_owned(),
                currency: Currency::VND,
                date: day("2025-03-01"),
                period_from: None,
                period_to: None,
                reference: None,
                note: None,
            },
        }
    }

    /// A budget line of `program`: by default 1,000,000 VND of `other`, dated 2025-01-01, from
    /// the department's own budget.
    pub fn budget_line(&self, program: &Value) -> BudgetLineBuilder<'_> {
        BudgetLineBuilder {
            app: self,
            path: format!("/api/v1/programs/{}/budget-lines", id_of(program, "the programme")),
            body: CreateBudgetLine {
                cohort_id: None,
                enrollment_id: None,
                category: CostCategory::Other,
                payer_id: None,
                amount: "1000000".to_owned(),
                currency: Currency::VND,
                date: day("2025-01-01"),
                reference: None,
                note: None,
            },
        }
    }

    /// `rate` units of `quote` for one `base` from `date` on (`"JPY"`, `"VND"`, `"2025-03-01"`, `"168.5"`).
    pub async fn exchange_rate(&self, base: &str, quote: &str, date: &str, rate: &str) -> Value {
        self.create(
            "/api/v1/exchange-rates",
            json!({"base_currency": base, "quote_currency": quote, "date": date, "rate": rate, "source": "State Bank of Vietnam"}),
        )
        .await
    }
}

/// A day as a test writes it (`2025-03-01`).
fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("`{text}` is not a day: {e}"))
}

/// What both cost builders set: where the cost belongs, what for, who pays, how much, when.
macro_rules! cost_setters {
    ($builder:ident) => {
        impl $builder<'_> {
            /// In this cohort (its JSON).
            pub fn cohort(mut self, cohort: &Value) -> Self {
                self.body.cohort_id = Some(CohortId(id_of(cohort, "the cohort")));
                self
            }

            /// For this enrolment (its JSON); its cohort is taken from it.
            pub fn enrollment(mut self, enrollment: &Value) -> Self {
                self.body.enrollment_id = Some(EnrollmentId(id_of(enrollment, "the enrolment")));
                self
            }

            /// What it pays for.
            pub fn category(mut self, category: CostCategory) -> Self {
                self.body.category = category;
                self
            }

            /// Paid by this partner (its JSON), a funder of the programme.
            pub fn payer(mut self, partner: &Value) -> Self {
                self.body.payer_id = Some(PartnerId(id_of(partner, "the payer")));
                self
            }

            /// The amount, as the API writes it, in `currency`.
            pub fn amount(mut self, amount: &str, currency: &str) -> Self {
                self.body.amount = amount.to_owned();
                self.body.currency = Currency::parse(currency).unwrap_or_else(|e| panic!("{e}"));
                self
            }

            /// The day.
            pub fn date(mut self, date: &str) -> Self {
                self.body.date = day(date);
                self
            }

            /// The invoice or decision number.
            pub fn reference(mut self, reference: impl Into<String>) -> Self {
                self.body.reference = Some(reference.into());
                self
            }

            /// A free note.
            pub fn note(mut self, note: impl Into<String>) -> Self {
                self.body.note = Some(note.into());
                self
            }

            /// POST it as the admin, assert 201, and return it.
            pub async fn create(self) -> Value {
                self.app.create(&self.path, self.json()).await
            }
        }
    };
}

/// An expense to record; see [`TestApp::expense`].
pub struct ExpenseBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateExpense,
}

sent_as_json!(ExpenseBuilder);
cost_setters!(ExpenseBuilder);

impl ExpenseBuilder<'_> {
    /// Paid, not only committed.
    pub fn paid(mut self) -> Self {
        self.body.status = Some(ExpenseStatus::Paid);
        self
    }

    /// The days a per diem or accommodation covers.
    pub fn covering(mut self, from: &str, to: &str) -> Self {
        self.body.period_from = Some(day(from));
        self.body.period_to = Some(day(to));
        self
    }
}

/// A budget line to plan; see [`TestApp::budget_line`].
pub struct BudgetLineBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateBudgetLine,
}

sent_as_json!(BudgetLineBuilder);
cost_setters!(BudgetLineBuilder);

/// A partner to make; see [`TestApp::partner`].
pub struct PartnerBuilder<'a> {
    app: &'a TestApp,
    path: String,
    /// Whether the test chose the name, which then no longer follows the code.
    named: bool,
    body: CreatePartner,
}

sent_as_json!(PartnerBuilder);

impl PartnerBuilder<'_> {
    /// Its unique short code (`JICA`); the default name follows it.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.body.code = code.into();
        if !self.named {
            self.body.name = format!("Partner {}", self.body.code);
        }
        self
    }

    /// Its name in English.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.body.name = name.into();
        self.named = true;
        self
    }

    /// Its name in its own language and script.
    pub fn name_local(mut self, name_local: impl Into<String>) -> Self {
        self.body.name_local = Some(name_local.into());
        self
    }

    /// What kind of organisation it is.
    pub fn kind(mut self, kind: PartnerKind) -> Self {
        self.body.kind = kind;
        self
    }

    /// Its country, ISO 3166-1 alpha-2 (`FR`).
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.body.country = country.into();
        self
    }

    /// Its web site.
    pub fn website(mut self, website: impl Into<String>) -> Self {
        self.body.website = Some(website.into());
        self
    }

    /// Free notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.body.notes = Some(notes.into());
        self
    }

    /// POST it as the admin, assert 201, and return the partner's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// A programme to make; see [`TestApp::program`].
pub struct ProgramBuilder<'a> {
    app: &'a TestApp,
    path: String,
    /// Whether the test chose the title, which then no longer follows the code.
    titled: bool,
    body: CreateProgram,
}

sent_as_json!(ProgramBuilder);

impl ProgramBuilder<'_> {
    /// Its unique short code (`JICA-YL`); the default title follows it.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.body.code = code.into();
        if !self.titled {
            self.body.title = format!("Programme {}", self.body.code);
        }
        self
    }

    /// Its title in English.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.body.title = title.into();
        self.titled = true;
        self
    }

    /// Its title in Vietnamese.
    pub fn title_vi(mut self, title_vi: impl Into<String>) -> Self {
        self.body.title_vi = Some(title_vi.into());
        self
    }

    /// What form it takes.
    pub fn kind(mut self, kind: ProgramKind) -> Self {
        self.body.kind = kind;
        self
    }

    /// Where it stands (the API's default: planned).
    pub fn status(mut self, status: ProgramStatus) -> Self {
        self.body.status = Some(status);
        self
    }

    /// Its first day, month (`2022-03`) or year.
    pub fn start_date(mut self, start_date: impl Into<String>) -> Self {
        self.body.start_date = Some(start_date.into());
        self
    }

    /// Its last day, month or year.
    pub fn end_date(mut self, end_date: impl Into<String>) -> Self {
        self.body.end_date = Some(end_date.into());
        self
    }

    /// When its agreement was signed: a day, month or year.
    pub fn agreement_signed_on(mut self, signed_on: impl Into<String>) -> Self {
        self.body.agreement_signed_on = Some(signed_on.into());
        self
    }

    /// The number of trainees planned.
    pub fn planned_trainees(mut self, planned: i32) -> Self {
        self.body.planned_trainees = Some(planned);
        self
    }

    /// The number of cohorts planned.
    pub fn planned_cohorts(mut self, planned: i32) -> Self {
        self.body.planned_cohorts = Some(planned);
        self
    }

    /// Its focus area tags (`["urban_planning"]`).
    pub fn focus_areas(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.body.focus_areas = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Its free description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body.description = Some(description.into());
        self
    }

    /// Months after a cohort's end after which free text and contact details are erased.
    pub fn retention_months(mut self, months: i32) -> Self {
        self.body.retention_months = Some(months);
        self
    }

    /// The figures reported about it.
    pub fn figures(mut self, figures: impl IntoIterator<Item = Figure>) -> Self {
        self.body.figures = Some(figures.into_iter().collect());
        self
    }

    /// POST it as the admin, assert 201, and return the programme's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// A cohort to make; see [`TestApp::cohort`].
pub struct CohortBuilder<'a> {
    app: &'a TestApp,
    path: String,
    /// Whether the test chose the name, which then no longer follows the code.
    named: bool,
    body: CreateCohort,
}

sent_as_json!(CohortBuilder);

impl CohortBuilder<'_> {
    /// Its short code (`C3`), unique within the programme; the default name follows it.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.body.code = code.into();
        if !self.named {
            self.body.name = format!("Cohort {}", self.body.code);
        }
        self
    }

    /// Its name (`Class 3`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.body.name = name.into();
        self.named = true;
        self
    }

    /// Its place in the programme's series.
    pub fn sequence(mut self, sequence: i32) -> Self {
        self.body.sequence = Some(sequence);
        self
    }

    /// Its first day, month (`2024-02`) or year.
    pub fn start_date(mut self, start_date: impl Into<String>) -> Self {
        self.body.start_date = Some(start_date.into());
        self
    }

    /// Its last day, month or year.
    pub fn end_date(mut self, end_date: impl Into<String>) -> Self {
        self.body.end_date = Some(end_date.into());
        self
    }

    /// The city it is held in.
    pub fn location_city(mut self, city: impl Into<String>) -> Self {
        self.body.location_city = Some(city.into());
        self
    }

    /// The country it is held in, ISO 3166-1 alpha-2.
    pub fn location_country(mut self, country: impl Into<String>) -> Self {
        self.body.location_country = Some(country.into());
        self
    }

    /// The most trainees it can enrol (the default: no limit).
    pub fn capacity(mut self, capacity: i32) -> Self {
        self.body.capacity = Some(capacity);
        self
    }

    /// Where it stands (the API's default: planned).
    pub fn status(mut self, status: CohortStatus) -> Self {
        self.body.status = Some(status);
        self
    }

    /// POST it as the admin, assert 201, and return the cohort's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// A session to make; see [`TestApp::session`].
pub struct SessionBuilder<'a> {
    app: &'a TestApp,
    path: String,
    /// Whether the test chose the date; the default one is dropped once a start is given.
    dated: bool,
    body: CreateSession,
}

sent_as_json!(SessionBuilder);

impl SessionBuilder<'_> {
    /// Its last day, for a session over several days.
    pub fn ends_on(mut self, date: impl Into<String>) -> Self {
        self.body.end_date = Some(date.into());
        self
    }

    /// Its title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.body.title = title.into();
        self
    }

    /// What kind of session it is.
    pub fn kind(mut self, kind: SessionKind) -> Self {
        self.body.kind = kind;
        self
    }

    /// Its local date at the venue (`2024-09-20`, or `2024-09`).
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.body.date = Some(date.into());
        self.dated = true;
        self
    }

    /// When it starts, RFC 3339 (`2024-09-20T08:30:00+09:00`, sent in UTC). Without a date of
    /// the test's own, the date is left for the API to work out.
    pub fn starts_at(mut self, at: &str) -> Self {
        self.body.starts_at = Some(SessionTime::Instant(instant(at)));
        if !self.dated {
            self.body.date = None;
        }
        self
    }

    /// When it ends, RFC 3339.
    pub fn ends_at(mut self, at: &str) -> Self {
        self.body.ends_at = Some(SessionTime::Instant(instant(at)));
        self
    }

    /// The IANA time zone of its venue.
    pub fn time_zone(mut self, time_zone: impl Into<String>) -> Self {
        self.body.time_zone = time_zone.into();
        self
    }

    /// Its venue.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.body.location = Some(location.into());
        self
    }

    /// Its speaker's name.
    pub fn speaker_name(mut self, name: impl Into<String>) -> Self {
        self.body.speaker_name = Some(name.into());
        self
    }

    /// Its speaker's title.
    pub fn speaker_title(mut self, title: impl Into<String>) -> Self {
        self.body.speaker_title = Some(title.into());
        self
    }

    /// The organisation its speaker comes from, as written.
    pub fn speaker_affiliation(mut self, affiliation: impl Into<String>) -> Self {
        self.body.speaker_affiliation = Some(affiliation.into());
        self
    }

    /// The partner (its JSON) its speaker comes from.
    pub fn speaker_partner(mut self, partner: &Value) -> Self {
        self.body.speaker_partner_id = Some(PartnerId(id_of(partner, "the speaker's partner")));
        self
    }

    /// A partner id for its speaker that the test makes up (one that does not exist, say).
    pub fn speaker_partner_id(mut self, id: i64) -> Self {
        self.body.speaker_partner_id = Some(PartnerId(id));
        self
    }

    /// Its language, ISO 639 (`ja`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.body.language = Some(language.into());
        self
    }

    /// Its free description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body.description = Some(description.into());
        self
    }

    /// POST it as the admin, assert 201, and return the session's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// A trainee to make; see [`TestApp::trainee`].
pub struct TraineeBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateTrainee,
    /// Sent as `Idempotency-Key` by `create`, so that the answer is kept for a retry.
    idempotency_key: Option<String>,
}

sent_as_json!(TraineeBuilder);

impl TraineeBuilder<'_> {
    /// Their full name as written (`Nguyễn Văn An`).
    pub fn full_name(mut self, full_name: impl Into<String>) -> Self {
        self.body.full_name = full_name.into();
        self
    }

    /// Their gender.
    pub fn gender(mut self, gender: Gender) -> Self {
        self.body.gender = Some(gender);
        self
    }

    /// Their year of birth.
    pub fn birth_year(mut self, year: i32) -> Self {
        self.body.birth_year = Some(year);
        self
    }

    /// The year they entered the service.
    pub fn service_start_year(mut self, year: i32) -> Self {
        self.body.service_start_year = Some(year);
        self
    }

    /// Their position level, in the department's words.
    pub fn position_level(mut self, level: impl Into<String>) -> Self {
        self.body.position_level = Some(level.into());
        self
    }

    /// The position they hold.
    pub fn position(mut self, position: impl Into<String>) -> Self {
        self.body.position = Some(position.into());
        self
    }

    /// Their organisation.
    pub fn organisation(mut self, organisation: impl Into<String>) -> Self {
        self.body.organisation = Some(organisation.into());
        self
    }

    /// Their province or city.
    pub fn province(mut self, province: impl Into<String>) -> Self {
        self.body.province = Some(province.into());
        self
    }

    /// Their email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.body.email = Some(email.into());
        self
    }

    /// Their phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.body.phone = Some(phone.into());
        self
    }

    /// Free notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.body.notes = Some(notes.into());
        self
    }

    /// The language mails are written to them in.
    pub fn language(mut self, language: tpms::trainees::Language) -> Self {
        self.body.language = Some(language);
        self
    }

    /// Created with this `Idempotency-Key`, as a client that may retry sends it: the answer (the
    /// trainee's JSON) is kept for a day.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// POST it as the admin, assert 201, and return the trainee's JSON.
    pub async fn create(self) -> Value {
        let Some(key) = &self.idempotency_key else {
            return self.app.create(&self.path, self.json()).await;
        };
        let body = self.json();
        let request = self
            .app
            .request(actix_web::http::Method::POST, &self.path)
            .insert_header(("Idempotency-Key", key.as_str()));
        let response = self.app.send(request, Some(&body)).await;
        assert_eq!(
            response.status,
            201,
            "creating at {} with {body}: {}",
            self.path,
            response.text()
        );
        response.json()
    }
}

/// A partner's place in a programme to make; see [`TestApp::program_partner`].
pub struct ProgramPartnerBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateProgramPartner,
}

sent_as_json!(ProgramPartnerBuilder);

impl ProgramPartnerBuilder<'_> {
    /// The roles it holds, instead of the default.
    pub fn roles(mut self, roles: impl IntoIterator<Item = PartnerRole>) -> Self {
        self.body.roles = roles.into_iter().collect();
        self
    }

    /// The one role it holds.
    pub fn role(self, role: PartnerRole) -> Self {
        self.roles([role])
    }

    /// Free notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.body.notes = Some(notes.into());
        self
    }

    /// The partner's liaisons may read the contact details of the programme's trainees.
    pub fn sharing_trainee_contacts(mut self) -> Self {
        self.body.shares_trainee_contacts = true;
        self
    }

    /// The partner reviews the programme's nominations: it accepts or declines each.
    pub fn reviewing_nominations(mut self) -> Self {
        self.body.reviews_nominations = true;
        self
    }

    /// POST it as the admin, assert 201, and return the partner's place (with its roles).
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// An enrolment to make; see [`TestApp::enrollment`].
pub struct EnrollmentBuilder<'a> {
    app: &'a TestApp,
    path: String,
    /// The status it is to end in, reached by a move after it is made.
    wanted: Option<EnrollmentStatus>,
    body: CreateEnrollment,
}

sent_as_json!(EnrollmentBuilder);

impl EnrollmentBuilder<'_> {
    /// Record only the nomination; an officer decides later.
    pub fn nominated(mut self) -> Self {
        self.body.status = Some(Placement::Nominated);
        self
    }

    /// Free notes.
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.body.notes = Some(notes.into());
        self
    }

    /// The status it is to end in: it is made as a nomination (for `nominated` and `rejected`)
    /// or an enrolment, then moved there with one `PATCH` if it did not start there. `waitlisted`
    /// needs a full cohort; `create` fails the test if the status cannot be reached.
    pub fn status(mut self, status: EnrollmentStatus) -> Self {
        if matches!(status, EnrollmentStatus::Nominated | EnrollmentStatus::Rejected) {
            self.body.status = Some(Placement::Nominated);
        }
        self.wanted = Some(status);
        self
    }

    /// POST it as the admin, assert 201, move it to the status asked for (if any, asserting
    /// that works), and return the enrolment's JSON as it then stands.
    pub async fn create(self) -> Value {
        let created = self.app.create(&self.path, self.json()).await;
        let Some(wanted) = self.wanted else {
            return created;
        };
        if created["status"] == wanted.as_str() {
            return created;
        }
        let path = format!("/api/v1/enrollments/{}", created["id"]);
        let moved = self.app.patch(&path, json!({ "status": wanted })).await;
        assert_eq!(
            moved.status,
            200,
            "moving enrolment {} from {} to {wanted}: {}",
            created["id"],
            created["status"],
            moved.text()
        );
        let moved = moved.json();
        assert_eq!(
            moved["status"],
            wanted.as_str(),
            "enrolment {} did not end {wanted}: {moved}",
            created["id"]
        );
        moved
    }
}

/// A required scale item from 1 to 5, keyed and grouped by `key` unless a dimension is given.
pub fn scale_item(key: &str, dimension: &str) -> Item {
    Item {
        key: key.to_owned(),
        prompt: format!("How would you rate {key}?"),
        prompt_vi: format!("Anh/chị đánh giá {key} thế nào?"),
        kind: ItemKind::Scale,
        scale: Some(Scale {
            min: 1,
            max: 5,
            min_label: Some("Poor".to_owned()),
            min_label_vi: Some("Kém".to_owned()),
            max_label: Some("Excellent".to_owned()),
            max_label_vi: Some("Xuất sắc".to_owned()),
        }),
        options: Vec::new(),
        required: true,
        dimension: Some(dimension.to_owned()),
        scoring: None,
    }
}

/// An optional free-text item.
pub fn text_item(key: &str) -> Item {
    Item {
        key: key.to_owned(),
        prompt: format!("Anything to add about {key}?"),
        prompt_vi: format!("Ý kiến khác về {key}?"),
        kind: ItemKind::Text,
        scale: None,
        options: Vec::new(),
        required: false,
        dimension: None,
        scoring: None,
    }
}

/// An optional scored choice item of a knowledge test, with options `a`, `b`, `c` and `d`:
/// `single_choice` when one option is `correct`, `multi_choice` when several are.
pub fn test_item(key: &str, correct: &[&str], points: i32) -> Item {
    let option = |value: &str| tpms::instruments::items::Choice {
        value: value.to_owned(),
        label: format!("Option {value}"),
        label_vi: format!("Phương án {value}"),
    };
    Item {
        key: key.to_owned(),
        prompt: format!("Question {key}"),
        prompt_vi: format!("Câu hỏi {key}"),
        kind: if correct.len() == 1 {
            ItemKind::SingleChoice
        } else {
            ItemKind::MultiChoice
        },
        scale: None,
        options: ["a", "b", "c", "d"].map(option).to_vec(),
        required: false,
        dimension: None,
        scoring: Some(tpms::instruments::Scoring {
            points,
            correct: correct.iter().map(|c| (*c).to_owned()).collect(),
            min: None,
            max: None,
        }),
    }
}

/// An optional scored number item of a knowledge test, right from `min` to `max`.
pub fn number_test_item(key: &str, min: f64, max: f64, points: i32) -> Item {
    Item {
        key: key.to_owned(),
        prompt: format!("Question {key}"),
        prompt_vi: format!("Câu hỏi {key}"),
        kind: ItemKind::Number,
        scale: None,
        options: Vec::new(),
        required: false,
        dimension: None,
        scoring: Some(tpms::instruments::Scoring {
            points,
            correct: Vec::new(),
            min: Some(min),
            max: Some(max),
        }),
    }
}

impl TestApp {
    /// A questionnaire: by default a draft reaction questionnaire with a unique code, a required
    /// scale item `relevance` and an optional text item `comments`.
    pub fn instrument(&self) -> InstrumentBuilder<'_> {
        let code = format!("FORM-{}", unique());
        InstrumentBuilder {
            app: self,
            path: "/api/v1/instruments".to_owned(),
            body: CreateInstrument {
                title: format!("Questionnaire {code}"),
                title_vi: format!("Phiếu {code}"),
                code,
                purpose: Purpose::Reaction,
                items: vec![scale_item("relevance", "relevance"), text_item("comments")],
            },
        }
    }

    /// A round of `cohort` asking `instrument` (their JSON): by default its trainees rate the
    /// course after it, with their names.
    pub fn round(&self, cohort: &Value, instrument: &Value) -> RoundBuilder<'_> {
        RoundBuilder {
            app: self,
            path: format!("/api/v1/cohorts/{}/rounds", id_of(cohort, "the cohort")),
            body: CreateRound {
                instrument_id: InstrumentId(id_of(instrument, "the questionnaire")),
                title: "End-of-course reaction".to_owned(),
                subject: Subject::Course,
                session_id: None,
                respondent: Respondent::Trainee,
                wave: Wave::Post,
                anonymity: Anonymity::Identified,
                opens_at: None,
                closes_at: None,
                pre_round_id: None,
            },
        }
    }
}

/// A questionnaire to make; see [`TestApp::instrument`].
pub struct InstrumentBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateInstrument,
}

sent_as_json!(InstrumentBuilder);

impl InstrumentBuilder<'_> {
    /// Its code, shared by its revisions.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.body.code = code.into();
        self
    }

    /// What it evaluates.
    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.body.purpose = purpose;
        self
    }

    /// Its questions, replacing the default ones.
    pub fn items(mut self, items: impl IntoIterator<Item = Item>) -> Self {
        self.body.items = items.into_iter().collect();
        self
    }

    /// POST it as the admin, assert 201, and return the draft's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }

    /// Create it and publish it; return the published revision's JSON.
    pub async fn published(self) -> Value {
        let app = self.app;
        let draft = self.create().await;
        let published = app
            .patch(
                &format!("/api/v1/instruments/{}", draft["id"]),
                json!({"status": "published"}),
            )
            .await;
        assert_eq!(published.status, 200, "publishing: {}", published.text());
        published.json()
    }
}

/// A round to make; see [`TestApp::round`].
pub struct RoundBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateRound,
}

sent_as_json!(RoundBuilder);

impl RoundBuilder<'_> {
    /// Answered by partners (or officers) about each trainee, not by trainees.
    pub fn assessed_by(mut self, respondent: Respondent) -> Self {
        self.body.respondent = respondent;
        self.body.subject = Subject::Trainee;
        self.body.title = "Partner's assessment".to_owned();
        self
    }

    /// About one session (its JSON) of the cohort instead of the whole course.
    pub fn about_session(mut self, session: &Value) -> Self {
        self.body.subject = Subject::Session;
        self.body.session_id = Some(SessionId(id_of(session, "the session")));
        self.body.title = "Session reaction".to_owned();
        self
    }

    /// Asked before the course: a knowledge test's pre-test.
    pub fn pre_test(mut self) -> Self {
        self.body.wave = Wave::Pre;
        self.body.title = "Knowledge pre-test".to_owned();
        self
    }

    /// Asked after the course and compared with `pre` (a round's JSON): a knowledge post-test.
    pub fn post_test_of(mut self, pre: &Value) -> Self {
        self.body.wave = Wave::Post;
        self.body.pre_round_id = Some(tpms::ids::RoundId(id_of(pre, "the pre-test")));
        self.body.title = "Knowledge post-test".to_owned();
        self
    }

    /// With answers nobody can tie to a trainee.
    pub fn anonymous(mut self) -> Self {
        self.body.anonymity = Anonymity::Anonymous;
        self
    }

    /// POST it as the admin, assert 201, and return the draft's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }

    /// Create it and open it; return the open round's JSON.
    pub async fn opened(self) -> Value {
        let app = self.app;
        let draft = self.create().await;
        let opened = app
            .patch(&format!("/api/v1/rounds/{}", draft["id"]), json!({"status": "open"}))
            .await;
        assert_eq!(opened.status, 200, "opening: {}", opened.text());
        opened.json()
    }
}

impl TestApp {
    /// An action plan for `enrollment` (its JSON) in its cohort: by default a whole draft with one
    /// item, due at the end of 2025.
    pub fn action_plan(&self, enrollment: &Value) -> ActionPlanBuilder<'_> {
        ActionPlanBuilder {
            app: self,
            path: format!("/api/v1/cohorts/{}/action-plans", enrollment["cohort_id"]),
            body: CreateActionPlan {
                enrollment_id: EnrollmentId(id_of(enrollment, "the enrolment")),
                title: Some("Online filing of household registrations".to_owned()),
                problem: Some("Citizens queue for hours to file paper forms.".to_owned()),
                items: vec![plan_item("Share of procedures filed online", "2025-12-31")],
                supervisor_name: None,
                supervisor_position: None,
                supervisor_email: None,
            },
        }
    }
}

/// A plan item measured by `indicator`, due on `due_on`.
pub fn plan_item(indicator: &str, due_on: &str) -> PlanItem {
    PlanItem {
        indicator: indicator.to_owned(),
        baseline: "10 %".to_owned(),
        target: "60 %".to_owned(),
        due_on: due_on
            .parse()
            .unwrap_or_else(|e| panic!("`{due_on}` is not a date: {e}")),
    }
}

/// An action plan to make; see [`TestApp::action_plan`].
pub struct ActionPlanBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateActionPlan,
}

sent_as_json!(ActionPlanBuilder);

impl ActionPlanBuilder<'_> {
    /// With nothing written yet: the trainee writes it through the link.
    pub fn empty(mut self) -> Self {
        self.body.title = None;
        self.body.problem = None;
        self.body.items = Vec::new();
        self
    }

    /// Its items, replacing the default one.
    pub fn items(mut self, items: impl IntoIterator<Item = PlanItem>) -> Self {
        self.body.items = items.into_iter().collect();
        self
    }

    /// Naming the trainee's supervisor at home, who is then asked at each checkpoint.
    pub fn supervisor(mut self, name: &str, position: &str, email: &str) -> Self {
        self.body.supervisor_name = Some(name.to_owned());
        self.body.supervisor_position = Some(position.to_owned());
        self.body.supervisor_email = Some(email.to_owned());
        self
    }

    /// POST it as the admin, assert 201, and return the draft's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }

    /// Create it, submit it and approve it as the admin; return the approved plan's JSON.
    pub async fn approved(self) -> Value {
        let app = self.app;
        let plan = self.create().await;
        let path = format!("/api/v1/action-plans/{}", plan["id"]);
        for status in ["submitted", "approved"] {
            let moved = app.patch(&path, json!({"status": status})).await;
            assert_eq!(moved.status, 200, "moving the plan to {status}: {}", moved.text());
        }
        app.get(&path).await.json()
    }
}

/// A contact to make; see [`TestApp::contact`].
pub struct ContactBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateContact,
}

sent_as_json!(ContactBuilder);

impl ContactBuilder<'_> {
    /// Their full name as written, given name first.
    pub fn full_name(mut self, full_name: impl Into<String>) -> Self {
        self.body.full_name = full_name.into();
        self
    }

    /// Their full name as written, family name first (Vietnamese and Japanese names).
    pub fn family_first(mut self, full_name: impl Into<String>) -> Self {
        self.body.full_name = full_name.into();
        self.body.name_order = NameOrder::FamilyFirst;
        self
    }

    /// Their position in English.
    pub fn position(mut self, position: impl Into<String>) -> Self {
        self.body.position = Some(position.into());
        self
    }

    /// Their position in Vietnamese.
    pub fn position_vi(mut self, position: impl Into<String>) -> Self {
        self.body.position_vi = Some(position.into());
        self
    }

    /// Their email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.body.email = Some(email.into());
        self
    }

    /// POST it as the admin, assert 201, and return the contact's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}

/// A participation to make; see [`TestApp::participation`].
pub struct ParticipationBuilder<'a> {
    app: &'a TestApp,
    path: String,
    body: CreateParticipation,
}

sent_as_json!(ParticipationBuilder);

impl ParticipationBuilder<'_> {
    /// A part in the cohort (its JSON) as a whole instead of in a session.
    pub fn in_cohort(mut self, cohort: &Value) -> Self {
        self.body.session_id = None;
        self.body.cohort_id = Some(CohortId(id_of(cohort, "the cohort")));
        self
    }

    /// The part taken.
    pub fn role(mut self, role: ParticipationRole) -> Self {
        self.body.role = role;
        self
    }

    /// POST it as the admin, assert 201, and return the participation's JSON.
    pub async fn create(self) -> Value {
        self.app.create(&self.path, self.json()).await
    }
}
