//! Invitations: each seated trainee of a round that trainees answer gets one, with a single-use
//! personal link ([`links`]). Who was invited and who answered are kept here; what they answered
//! is kept in [`crate::responses`], and in an anonymous round nothing there leads back here.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::db::dialect::{SharedTime, on_either_backend};
use crate::db::{DbConnection, Lookup};
use crate::enrollments::SEATED;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, InvitationId, RoundId, UserId};
use crate::instruments::{Answers, Instrument, Item};
use crate::links::{self, LinkKey};
use crate::mail::{self, compose, compose::Addressee, compose::Course};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{self, AnyVersion, Expect, List, Record, Store, Trail, keyed_by_id};
use crate::rounds::{Anonymity, Respondent, Round, RoundStatus};
use crate::schema::{cohorts, enrollments, evaluation_rounds, invitations, programs, trainees, users};

pub use crate::statuses::InvitationStatus;

/// A trainee's invitation to answer a round.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Invitation {
    /// Id.
    pub id: InvitationId,
    /// The round.
    pub round_id: RoundId,
    /// The trainee's enrolment.
    pub enrollment_id: EnrollmentId,
    /// The trainee's full name.
    pub trainee_name: String,
    /// The trainee's email, for sending the link.
    pub trainee_email: Option<String>,
    /// Whether it was answered: `pending` while the round takes answers, `expired` when it closed
    /// before an answer came.
    pub status: InvitationStatus,
    /// What the trainee wrote on declining, if anything.
    pub decline_reason: Option<String>,
    /// The personal link (a path on this server) while it can still be used: pending, in a round
    /// that is not closed.
    pub link: Option<String>,
    /// The page the link opens in a browser, under `TPMS_PUBLIC_URL` (a path of 46 characters,
    /// short enough for an SMS): what to send the person.
    #[schema(example = "https://tpms.example.gov.vn/r/phYuf5OZJXqYlQSN7ugm8XuMwMTs8NKVSKHW7PU1_p8")]
    pub page_url: Option<String>,
    /// The officer who entered a paper form for the trainee, by email.
    pub entered_by: Option<String>,
    /// When the current link was issued (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change.
    pub version: i32,
    /// What the current link is made from (never shown apart from the link itself).
    #[serde(skip)]
    nonce: String,
    /// The account of the officer who entered a paper form.
    #[serde(skip)]
    entered_by_id: Option<UserId>,
}

/// An invitation as stored, with the trainee's name and email.
#[derive(Debug, Clone, Queryable)]
struct InvitationRow {
    id: InvitationId,
    round_id: RoundId,
    enrollment_id: EnrollmentId,
    nonce: String,
    entered_by_id: Option<UserId>,
    status: InvitationStatus,
    decline_reason: Option<String>,
    issued_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    trainee_name: String,
    trainee_email: Option<String>,
    entered_by: Option<String>,
}

/// Filters for a round's invitations.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct InvitationFilters {
    /// Only invitations in this state (`pending`: the links still to send or chase).
    pub status: Option<InvitationStatus>,
}

/// A trainee's answers, sent through the link or entered by an officer from a paper form.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitAnswers {
    /// The answers, by item key: a number for `scale` and `number` items, an option's `value`
    /// for `single_choice`, a list of them for `multi_choice`, text, or `true`/`false`.
    #[schema(value_type = Object, example = json!({"relevance": 5, "comments": "Rất bổ ích"}))]
    pub answers: Answers,
}

/// Invitations with their trainee's name and email and the officer who entered a paper form.
#[diesel::dsl::auto_type(no_type_alias)]
fn rows() -> _ {
    let officer: diesel::dsl::Nullable<users::email> = users::email.nullable();
    invitations::table
        .inner_join(enrollments::table.inner_join(trainees::table))
        .left_join(users::table)
        .select((
            invitations::id,
            invitations::round_id,
            invitations::enrollment_id,
            invitations::nonce,
            invitations::entered_by,
            invitations::status,
            invitations::decline_reason,
            invitations::issued_at,
            invitations::updated_at,
            invitations::version,
            trainees::full_name,
            trainees::email,
            officer,
        ))
}

impl InvitationRow {
    /// As staff see it, in `round` as read now ([`Round::as_of`]): a pending invitation of a closed
    /// round is expired, with no link.
    fn shown(self, key: &LinkKey, round: &Round) -> ApiResult<Invitation> {
        let closed = round.status == RoundStatus::Closed;
        let usable = self.status == InvitationStatus::Pending && !closed;
        let status = if self.status == InvitationStatus::Pending && closed {
            InvitationStatus::Expired
        } else {
            self.status
        };
        let link = if usable {
            Some(links::path(&key.token(
                self.round_id,
                self.enrollment_id,
                &self.nonce,
            )?))
        } else {
            None
        };
        Ok(Invitation {
            id: self.id,
            round_id: self.round_id,
            enrollment_id: self.enrollment_id,
            trainee_name: self.trainee_name,
            trainee_email: self.trainee_email,
            status,
            decline_reason: self.decline_reason,
            page_url: link.as_deref().and_then(|l| key.page_url(l)),
            link,
            entered_by: self.entered_by,
            issued_at: self.issued_at,
            updated_at: self.updated_at,
            version: self.version,
            nonce: self.nonce,
            entered_by_id: self.entered_by_id,
        })
    }
}

impl Record for Invitation {
    type Key = InvitationId;
    const ENTITY: Entity = Entity::Invitation;
    const NOUN: &'static str = "invitation";
    keyed_by_id!();

    /// With its link while it can still be used.
    fn find(conn: &mut DbConnection, id: InvitationId) -> ApiResult<Invitation> {
        let row = Invitation::find_row(conn, id)?;
        let round = Round::find(conn, row.round_id)?;
        row.shown(&LinkKey::load(conn)?, &round)
    }
}

impl Store for Invitation {
    fn store(&self, conn: &mut DbConnection, current: &Invitation) -> ApiResult<Option<Invitation>> {
        let key = LinkKey::load(conn)?;
        let token = key.token(self.round_id, self.enrollment_id, &self.nonce)?;
        let updated = diesel::update(
            invitations::table
                .find(self.id)
                .filter(invitations::version.eq(current.version)),
        )
        .set((
            invitations::nonce.eq(&self.nonce),
            invitations::token_hash.eq(links::hash(&token)),
            invitations::status.eq(self.status),
            invitations::decline_reason.eq(&self.decline_reason),
            invitations::entered_by.eq(self.entered_by_id),
            invitations::issued_at.eq(self.issued_at),
            invitations::updated_at.eq(self.updated_at),
            invitations::version.eq(self.version),
        ))
        .execute(conn)?;
        // Only once this write holds the row: a request that lost the race must not record it.
        if updated == 1 && current.nonce != self.nonce {
            let old = key.token(current.round_id, current.enrollment_id, &current.nonce)?;
            links::replaced(conn, &links::hash(&old))?;
        }
        (updated == 1).then(|| Invitation::find(conn, self.id)).transpose()
    }
}

impl Invitation {
    fn find_row(conn: &mut DbConnection, id: InvitationId) -> ApiResult<InvitationRow> {
        rows()
            .filter(invitations::id.eq(id))
            .lookup::<InvitationRow>(conn)?
            .ok_or_else(|| ApiError::not_found("invitation", id))
    }

    /// A new link for a pending invitation whose link was lost; the old link stops working.
    pub fn reissue(
        conn: &mut DbConnection,
        actor: &Actor,
        id: InvitationId,
        expect: &impl Expect,
    ) -> ApiResult<Invitation> {
        let reissued = resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("the link was re-issued"),
            |conn, before: &Invitation| {
                if before.status == InvitationStatus::Declined {
                    return Err(declined(id));
                }
                if before.status != InvitationStatus::Pending {
                    return Err(ApiError::conflict(
                        "invitation_used",
                        format!("invitation {id} is {}; its link is no longer needed", before.status),
                    ));
                }
                Round::find(conn, before.round_id)?.check_takes_answers()?;
                Ok(Invitation {
                    nonce: links::nonce(),
                    issued_at: crate::clock::now(),
                    ..before.clone()
                })
            },
        )?;
        // The new link goes to the trainee at once: the old one no longer works.
        let key = LinkKey::load(conn)?;
        let token = key.token(reissued.round_id, reissued.enrollment_id, &reissued.nonce)?;
        let round = Round::find(conn, reissued.round_id)?;
        let course = Course::of(conn, round.cohort_id)?;
        let to = Addressee::of_enrollment(conn, reissued.enrollment_id)?;
        let mail = invitation_mail(&key, &course, &to, &round, &token, true);
        mail::enqueue(conn, vec![mail], &key.mail_domain())?;
        Ok(reissued)
    }

    /// Undo a trainee's decline, so that the trainee can still answer (a mis-tap on a link must not
    /// fail a course whose completion asks for the round): the invitation is pending again, its
    /// link works again, and an officer may reissue it or enter a paper form. The decline's
    /// reason stays in the audit trail.
    pub fn reopen(
        conn: &mut DbConnection,
        actor: &Actor,
        id: InvitationId,
        expect: &impl Expect,
    ) -> ApiResult<Invitation> {
        resource::act(
            conn,
            actor,
            id,
            expect,
            Trail::Because("the decline was undone"),
            |conn, before: &Invitation| {
                if before.status != InvitationStatus::Declined {
                    return Err(ApiError::conflict(
                        "not_declined",
                        format!(
                            "invitation {id} is {}; only a declined invitation is reopened",
                            before.status
                        ),
                    ));
                }
                Round::find(conn, before.round_id)?.check_takes_answers()?;
                Ok(Invitation {
                    status: InvitationStatus::Pending,
                    decline_reason: None,
                    ..before.clone()
                })
            },
        )
    }
}

/// 409 for a step that needs an invitation the trainee declined to be reopened first.
fn declined(id: InvitationId) -> ApiError {
    ApiError::conflict(
        "invitation_declined",
        format!(
            "invitation {id} was declined by the trainee and holds no answers; reopen it first with POST /api/v1/invitations/{id}/reopen"
        ),
    )
}

/// Invite every seated trainee of `round`'s cohort who has no invitation yet.
pub fn invite_seated(conn: &mut DbConnection, round: &Round) -> ApiResult<usize> {
    let invited = invitations::table
        .filter(invitations::round_id.eq(round.id))
        .select(invitations::enrollment_id);
    let seated: Vec<EnrollmentId> = enrollments::table
        .filter(enrollments::cohort_id.eq(round.cohort_id))
        .filter(enrollments::status.eq_any(SEATED))
        .filter(enrollments::id.ne_all(invited))
        .order(enrollments::id)
        .select(enrollments::id)
        .load(conn)?;
    let key = LinkKey::load(conn)?;
    let course = Course::of(conn, round.cohort_id)?;
    let mut addressees = Addressee::of_enrollments(conn, &seated)?;
    let words = compose::Invitations::new(&course, (round.id, &round.title, round.closes_at), false);
    let tokens = invite_all(conn, &key, round, &seated)?;
    let mut mails = Vec::with_capacity(seated.len());
    for (enrollment, token) in seated.iter().zip(&tokens) {
        if let Some(to) = addressees.remove(enrollment) {
            mails.push(words.to(&to, &key.page_or_path(&links::path(token))));
        }
    }
    mail::enqueue(conn, mails, &key.mail_domain())?;
    Ok(seated.len())
}

/// The mail that carries an invitation's link to its trainee.
fn invitation_mail(
    key: &LinkKey,
    course: &Course,
    to: &Addressee,
    round: &Round,
    token: &str,
    reissued: bool,
) -> mail::Outgoing {
    let link = key.page_or_path(&links::path(token));
    compose::invitation(course, to, (round.id, &round.title, round.closes_at), &link, reissued)
}

/// Invite a trainee who has just taken a seat in `cohort` to the open rounds it answers.
pub fn invite_late(conn: &mut DbConnection, cohort: CohortId, enrollment: EnrollmentId) -> ApiResult<()> {
    let open: Vec<Round> = evaluation_rounds::table
        .filter(evaluation_rounds::cohort_id.eq(cohort))
        .filter(evaluation_rounds::status.eq(RoundStatus::Open))
        .filter(evaluation_rounds::respondent.eq(Respondent::Trainee))
        .load(conn)?;
    if open.is_empty() {
        return Ok(());
    }
    let key = LinkKey::load(conn)?;
    // Every open round is of this cohort, to this trainee.
    let course = Course::of(conn, cohort)?;
    let to = Addressee::of_enrollment(conn, enrollment)?;
    let mut mails = Vec::with_capacity(open.len());
    for round in &open {
        let already: Option<InvitationId> = invitations::table
            .filter(invitations::round_id.eq(round.id))
            .filter(invitations::enrollment_id.eq(enrollment))
            .select(invitations::id)
            .lookup(conn)?;
        if already.is_none() {
            let token = invite(conn, &key, round, enrollment)?;
            mails.push(invitation_mail(&key, &course, &to, round, &token, false));
        }
    }
    mail::enqueue(conn, mails, &key.mail_domain())?;
    Ok(())
}

/// Not audited one by one: an invitation follows from an audited change (the round's opening,
/// the enrolment's seat), and holds nothing anyone chose.
/// Returns the link's token, for the mail that carries it.
fn invite(conn: &mut DbConnection, key: &LinkKey, round: &Round, enrollment: EnrollmentId) -> ApiResult<String> {
    invite_all(conn, key, round, &[enrollment])?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an invitation was written without its token")))
}

/// Rows per `INSERT` of invitations: 9 values a row, 1,800 a statement, few enough that diesel's
/// vectors of bound values stay small (as `mail::enqueue`'s chunks).
const INVITE_CHUNK: usize = 200;

/// [`invite`] each of `enrolments`, in a few multi-row statements rather than one a trainee
/// (opening a round of 10,000 ran 10,000 statements); the tokens, in the order of `enrolments`.
fn invite_all(
    conn: &mut DbConnection,
    key: &LinkKey,
    round: &Round,
    enrolments: &[EnrollmentId],
) -> ApiResult<Vec<String>> {
    let now = SharedTime::new(crate::clock::now());
    let mut tokens = Vec::with_capacity(enrolments.len());
    for slice in enrolments.chunks(INVITE_CHUNK) {
        let mut rows = Vec::with_capacity(slice.len());
        for &enrollment in slice {
            let nonce = links::nonce();
            let token = key.token(round.id, enrollment, &nonce)?;
            rows.push((
                invitations::round_id.eq(round.id),
                invitations::enrollment_id.eq(enrollment),
                invitations::token_hash.eq(links::hash(&token)),
                invitations::nonce.eq(nonce),
                invitations::status.eq(InvitationStatus::Pending),
                invitations::issued_at.eq(now.clone()),
                invitations::created_at.eq(now.clone()),
                invitations::updated_at.eq(now.clone()),
                invitations::version.eq(1),
            ));
            tokens.push(token);
        }
        // A full chunk as an array, whose statement diesel prepares once and keeps (as
        // `mail::enqueue` does); a shorter one as a slice.
        match <&[_; INVITE_CHUNK]>::try_from(rows.as_slice()) {
            Ok(full) => on_either_backend!(conn, c => diesel::insert_into(invitations::table).values(full).execute(c))?,
            Err(_) => on_either_backend!(conn, c => diesel::insert_into(invitations::table).values(&rows).execute(c))?,
        };
    }
    Ok(tokens)
}

impl List for Invitation {
    const NOUNS: &'static str = "invitations";
    type Filters = InvitationFilters;
    type Parent = RoundId;

    /// In enrolment order, each pending one with its link.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        round: RoundId,
        filters: InvitationFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Invitation>> {
        let round = Round::find_visible(conn, caller, round)?;
        // As shown (`InvitationRow::shown`): in a closed round the stored `pending` ones read
        // `expired`, and none reads `pending`; `expired` is never stored, so filtering on it
        // finds none.
        let stored = match (filters.status, round.status == RoundStatus::Closed) {
            (Some(InvitationStatus::Expired), true) => Some(InvitationStatus::Pending),
            (Some(InvitationStatus::Pending), true) => Some(InvitationStatus::Expired),
            (status, _) => status,
        };
        let query = || {
            let mut query = rows().into_boxed().filter(invitations::round_id.eq(round.id));
            if let Some(status) = stored {
                query = query.filter(invitations::status.eq(status));
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", invitations::id, |r: &InvitationRow| r.id));
        let key = LinkKey::load(conn)?;
        list::page(conn, query, &keys, &paging)?
            .try_with(|rows| rows.into_iter().map(|r| r.shown(&key, &round)).collect())
    }
}

/// What a trainee sees through a link: the questionnaire in one language, with the programme's
/// and cohort's titles and nothing else about the training or about anyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Questionnaire {
    /// The programme's title.
    pub program_title: String,
    /// The cohort's name.
    pub cohort_name: String,
    /// The round's title.
    pub round_title: String,
    /// Whether the answers will be anonymous.
    pub anonymous: bool,
    /// The language shown: `vi` or `en`.
    pub language: String,
    /// The questionnaire's title.
    pub title: String,
    /// Its questions, in order.
    pub items: Vec<ShownItem>,
}

/// A question as a trainee sees it: a shape of its own, not the questionnaire's `Item`, so that
/// what is for staff only (a knowledge test's `scoring`: its right answers and points) never
/// reaches a link, in JSON or on its page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShownItem {
    /// What to send the answer under.
    pub key: String,
    /// The question.
    pub prompt: String,
    /// What kind of answer it takes.
    pub kind: crate::instruments::ItemKind,
    /// Whether an answer must be given.
    pub required: bool,
    /// For a scale: lowest value.
    pub min: Option<i32>,
    /// For a scale: highest value.
    pub max: Option<i32>,
    /// For a scale: what the lowest value means.
    pub min_label: Option<String>,
    /// For a scale: what the highest value means.
    pub max_label: Option<String>,
    /// For a choice: the options, in the order the questionnaire's author gave them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ShownOption>,
}

/// An option of a choice item as a trainee sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShownOption {
    /// What to send as the answer.
    pub value: String,
    /// The option, in the language shown.
    pub label: String,
}

fn shown_item(item: &Item, vietnamese: bool) -> ShownItem {
    let pick = |en: &str, vi: &str| if vietnamese { vi.to_owned() } else { en.to_owned() };
    let scale = item.scale.as_ref();
    ShownItem {
        key: item.key.clone(),
        prompt: pick(&item.prompt, &item.prompt_vi),
        kind: item.kind,
        required: item.required,
        min: scale.map(|s| s.min),
        max: scale.map(|s| s.max),
        min_label: scale.and_then(|s| {
            if vietnamese {
                s.min_label_vi.clone()
            } else {
                s.min_label.clone()
            }
        }),
        max_label: scale.and_then(|s| {
            if vietnamese {
                s.max_label_vi.clone()
            } else {
                s.max_label.clone()
            }
        }),
        options: item
            .options
            .iter()
            .map(|o| ShownOption {
                value: o.value.clone(),
                label: pick(&o.label, &o.label_vi),
            })
            .collect(),
    }
}

/// The pending invitation a token opens, in a round that takes answers now; 404 for any token
/// that is unknown, used, or whose round is closed (a link never says which).
fn by_token(conn: &mut DbConnection, token: &str) -> ApiResult<(InvitationRow, Round)> {
    let gone = || {
        ApiError::NotFound("this link is not valid: it was already used, replaced, or its round has closed".to_owned())
    };
    // The nonce is read with the hash it matched: a row read again later may hold a link reissued
    // meanwhile, and the answer must be refused then, not recorded against the new link.
    let (id, nonce): (InvitationId, String) = invitations::table
        .filter(invitations::token_hash.eq(links::hash(token)))
        .filter(invitations::status.eq(InvitationStatus::Pending))
        .select((invitations::id, invitations::nonce))
        .lookup(conn)?
        .ok_or_else(gone)?;
    let row = InvitationRow {
        nonce,
        ..Invitation::find_row(conn, id)?
    };
    let round = Round::find(conn, row.round_id)?;
    if !round.takes_answers(crate::clock::now()) {
        return Err(gone());
    }
    Ok((row, round))
}

/// The questionnaire a link opens, in Vietnamese unless `english`.
pub fn questionnaire(conn: &mut DbConnection, token: &str, english: bool) -> ApiResult<Questionnaire> {
    let (_, round) = by_token(conn, token)?;
    shown_questionnaire(conn, &round, english)
}

/// What a trainee's link shows as a receipt once it was used: the questionnaire's titles, what
/// became of the invitation and when, and (in a named round) the answers recorded.
#[derive(Debug)]
pub struct AnswerReceipt {
    /// The questionnaire, for its titles and its questions' prompts.
    pub questionnaire: Questionnaire,
    /// `submitted` or `declined`.
    pub status: InvitationStatus,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// The answers recorded, by item key; `None` in an anonymous round, whose answers lead back
    /// to no one.
    pub answers: Option<Answers>,
    /// Why the trainee declined, if they said.
    pub decline_reason: Option<String>,
}

/// What a trainee's link opens for its page: the questionnaire while it takes an answer, the
/// receipt once answered or declined, or why it does neither (its round closed, a newer link
/// replaced it, or no link has this token).
pub fn page(
    conn: &mut DbConnection,
    token: &str,
    english: bool,
) -> ApiResult<links::Opened<Questionnaire, AnswerReceipt>> {
    let found: Option<InvitationId> = invitations::table
        .filter(invitations::token_hash.eq(links::hash(token)))
        .select(invitations::id)
        .lookup(conn)?;
    let Some(id) = found else {
        return Ok(links::Opened::Closed(links::closed(conn, token)?));
    };
    let row = Invitation::find_row(conn, id)?;
    let round = Round::find(conn, row.round_id)?;
    let questionnaire = shown_questionnaire(conn, &round, english)?;
    Ok(match row.status {
        InvitationStatus::Pending if round.takes_answers(crate::clock::now()) => links::Opened::Form(questionnaire),
        InvitationStatus::Submitted | InvitationStatus::Declined => {
            let answers = if round.anonymity == Anonymity::Anonymous || row.status == InvitationStatus::Declined {
                None
            } else {
                crate::responses::Response::of_enrollment(conn, round.id, row.enrollment_id)?
            };
            links::Opened::Done(AnswerReceipt {
                questionnaire,
                status: row.status,
                at: row.updated_at,
                answers,
                decline_reason: row.decline_reason,
            })
        }
        _ => links::Opened::Closed(links::Closed::Expired),
    })
}

fn shown_questionnaire(conn: &mut DbConnection, round: &Round, english: bool) -> ApiResult<Questionnaire> {
    let instrument = round.instrument(conn)?;
    let (title_en, title_vi, cohort_name): (String, Option<String>, String) = cohorts::table
        .inner_join(programs::table)
        .filter(cohorts::id.eq(round.cohort_id))
        .select((programs::title, programs::title_vi, cohorts::name))
        .first(conn)?;
    let vietnamese = !english;
    let program_title = if vietnamese {
        title_vi.unwrap_or(title_en)
    } else {
        title_en
    };
    Ok(Questionnaire {
        program_title,
        cohort_name,
        round_title: round.title.clone(),
        anonymous: round.anonymity == Anonymity::Anonymous,
        language: if vietnamese { "vi" } else { "en" }.to_owned(),
        title: if vietnamese {
            instrument.title_vi.clone()
        } else {
            instrument.title.clone()
        },
        items: instrument.items.iter().map(|i| shown_item(i, vietnamese)).collect(),
    })
}

/// Record a trainee's answers through their link; the link then stops working.
pub fn submit_by_link(conn: &mut DbConnection, actor: &Actor, token: &str, answers: Answers) -> ApiResult<()> {
    let (row, round) = by_token(conn, token)?;
    record_answers(conn, actor, Answerer::Link(&row.nonce), &row, &round, answers).map(|_| ())
}

/// Why a trainee will not answer, sent with a decline through the link.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// Why, in the trainee's words; staff see it on the invitation.
    #[validate(length(max = 2000), custom(function = "crate::validate::long_text"))]
    #[schema(max_length = 2000, example = "Tôi đã nghỉ việc ở cơ quan")]
    pub reason: Option<String>,
}

/// Record that a trainee will not answer, and why if they said; the link then stops working
/// (an officer can reopen the invitation).
pub fn decline_by_link(conn: &mut DbConnection, actor: &Actor, token: &str, decline: Decline) -> ApiResult<()> {
    let (row, round) = by_token(conn, token)?;
    mark(
        conn,
        actor,
        Answerer::Link(&row.nonce),
        &row,
        &round,
        InvitationStatus::Declined,
        decline.reason,
    )
    .map(|_| ())
}

/// Enter a trainee's paper form: the invitation is marked as entered by the officer.
pub fn enter_paper_form(
    conn: &mut DbConnection,
    actor: &Actor,
    officer: UserId,
    id: InvitationId,
    expect: &impl Expect,
    answers: Answers,
) -> ApiResult<Invitation> {
    let row = Invitation::find_row(conn, id)?;
    expect.check(row.version)?;
    if row.status != InvitationStatus::Pending {
        return Err(used(id, row.status));
    }
    let round = Round::find(conn, row.round_id)?;
    round.check_takes_answers()?;
    record_answers(conn, actor, Answerer::Officer(officer), &row, &round, answers)
}

/// Who records an invitation's answer.
#[derive(Clone, Copy)]
enum Answerer<'a> {
    /// The trainee, through the link made from this nonce.
    Link(&'a str),
    /// An officer, from a paper form.
    Officer(UserId),
}

fn record_answers(
    conn: &mut DbConnection,
    actor: &Actor,
    by: Answerer<'_>,
    row: &InvitationRow,
    round: &Round,
    answers: Answers,
) -> ApiResult<Invitation> {
    let instrument: Instrument = round.instrument(conn)?;
    crate::responses::check(&instrument, &answers)?;
    let anonymous = round.anonymity == Anonymity::Anonymous;
    let officer = match by {
        Answerer::Officer(officer) => Some(officer),
        Answerer::Link(_) => None,
    };
    crate::responses::Response::store_new(
        conn,
        actor,
        round,
        (!anonymous).then_some(row.enrollment_id),
        (!anonymous).then_some(officer).flatten(),
        &answers,
    )?;
    mark(conn, actor, by, row, round, InvitationStatus::Submitted, None)
}

/// 409 for an answer to an invitation that is no longer pending, saying what to do.
fn used(id: InvitationId, status: InvitationStatus) -> ApiError {
    match status {
        InvitationStatus::Declined => declined(id),
        _ => ApiError::conflict(
            "invitation_used",
            format!("invitation {id} is already {status}; its answers are recorded"),
        ),
    }
}

/// Record that an invitation was answered or declined, through the shared sequence. Through a
/// link, only while that link is still the invitation's (not replaced meanwhile) and pending.
///
/// In an anonymous round no audit event is written ([`Trail::Untraced`]), but the invitation's
/// `updated_at` moves like any record's: it says when this trainee took part, which the status
/// says already, and nothing on the answer's side carries a time, an order or a transaction id
/// to match it with (see `responses::Response::store_new`).
fn mark(
    conn: &mut DbConnection,
    actor: &Actor,
    by: Answerer<'_>,
    row: &InvitationRow,
    round: &Round,
    status: InvitationStatus,
    decline_reason: Option<String>,
) -> ApiResult<Invitation> {
    let trail = if round.anonymity == Anonymity::Anonymous {
        Trail::Untraced
    } else {
        Trail::Audited
    };
    resource::act(conn, actor, row.id, &AnyVersion, trail, |_, current: &Invitation| {
        let usable = current.status == InvitationStatus::Pending;
        let (entered_by_id, link_is_current) = match by {
            Answerer::Link(nonce) => (None, current.nonce == nonce),
            Answerer::Officer(officer) => (Some(officer), true),
        };
        if !(usable && link_is_current) {
            return Err(match by {
                Answerer::Link(_) => links::gone(),
                Answerer::Officer(_) => used(row.id, current.status),
            });
        }
        Ok(Invitation {
            status,
            entered_by_id,
            decline_reason: decline_reason.clone(),
            link: None,
            page_url: None,
            updated_at: crate::clock::now(),
            ..current.clone()
        })
    })
}
