//! Evaluation rounds: a cohort's trainees rate the course or a session, or its partner's liaison
//! (or an officer) assesses each trainee, with one published questionnaire revision.
//!
//! ```text
//! draft ─> open ─> closed     opening a round that trainees answer invites every seated
//!                             trainee (a single-use link each); a trainee seated later is
//!                             invited when the seat is taken; closing expires the links
//! ```

mod input;
pub mod pending;
pub mod results;
pub mod scores;

pub use input::{CreateRound, RoundFilters, UpdateRound};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::actor::Event;
use crate::audit::{Actor, Entity};
use crate::cohorts::Cohort;
use crate::db::{DbConnection, Lookup};
use crate::error::illegal_transition;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, InstrumentId, RoundId, SessionId, text_enum};
use crate::instruments::{Instrument, InstrumentStatus, Purpose};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{enrollments, evaluation_rounds, invitations, responses, sessions};
use crate::statuses::SEATED;

text_enum!(
    /// What a round is about.
    Subject {
        /// The cohort as a course.
        Course,
        /// One session of the cohort.
        Session,
        /// Each trainee (an assessment: one response per trainee).
        Trainee,
    }
);

text_enum!(
    /// Who answers a round.
    Respondent {
        /// The cohort's trainees, through their links.
        Trainee,
        /// A liaison of a partner taking part in the programme (or an officer for it).
        Partner,
        /// The training department's officers.
        Officer,
    }
);

text_enum!(
    /// When in the training a round is asked.
    Wave {
        /// Before the course (a baseline).
        Pre,
        /// At or after its end.
        Post,
        /// Months after return.
        FollowUp,
    }
);

text_enum!(
    /// Whether answers name who gave them.
    Anonymity {
        /// Each answer is tied to the trainee's enrolment.
        Identified,
        /// No answer can be tied to anyone, by anyone; who took part is still known, so the
        /// response rate is.
        Anonymous,
    }
);

#[expect(
    clippy::derivable_impls,
    reason = "text_enum! derives no Default to mark a variant with"
)]
impl Default for Anonymity {
    fn default() -> Self {
        Anonymity::Identified
    }
}

text_enum!(
    /// Where a round stands.
    RoundStatus {
        /// Being prepared.
        Draft,
        /// Taking answers.
        Open,
        /// Finished: no answer is taken or changed.
        Closed,
    }
);

impl RoundStatus {
    /// The states this one may move to.
    pub fn next(self) -> &'static [RoundStatus] {
        match self {
            RoundStatus::Draft => &[RoundStatus::Open],
            RoundStatus::Open => &[RoundStatus::Closed],
            RoundStatus::Closed => &[],
        }
    }
}

/// An evaluation round of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Queryable)]
pub struct Round {
    /// Id.
    pub id: RoundId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The questionnaire revision it asks.
    pub instrument_id: InstrumentId,
    /// A title for people.
    pub title: String,
    /// What it is about.
    pub subject: Subject,
    /// For `subject: session`, the session.
    pub session_id: Option<SessionId>,
    /// Who answers.
    pub respondent: Respondent,
    /// When in the training it is asked.
    pub wave: Wave,
    /// Whether answers name who gave them.
    pub anonymity: Anonymity,
    /// Where it stands.
    pub status: RoundStatus,
    /// When answers start to be taken (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<NaiveDateTime>,
    /// When answers stop being taken and links expire (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<NaiveDateTime>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// For a knowledge post-test (`wave: post`, a `learning` questionnaire): the cohort's pre-test
    /// round it is compared with, asked with the same questionnaire revision or one declared
    /// equivalent. Its results then give the gain.
    pub pre_round_id: Option<RoundId>,
}

impl Round {
    /// The round as it stands at `now`: an open round whose `closes_at` has passed is closed,
    /// whether or not anyone closed it. Every read goes through here (a single round, a list, a
    /// filter, the results and the reports that read them), so none shows an expired round open.
    pub fn as_of(mut self, now: NaiveDateTime) -> Round {
        if self.status == RoundStatus::Open && self.closes_at.is_some_and(|at| at <= now) {
            self.status = RoundStatus::Closed;
        }
        self
    }

    /// Whether answers are taken now: open, and inside its times.
    pub fn takes_answers(&self, now: NaiveDateTime) -> bool {
        self.status == RoundStatus::Open
            && self.opens_at.is_none_or(|at| at <= now)
            && self.closes_at.is_none_or(|at| now < at)
    }

    /// 409 `round_closed` unless answers are taken now.
    pub fn check_takes_answers(&self) -> ApiResult<()> {
        if self.takes_answers(crate::clock::now()) {
            return Ok(());
        }
        let why = match (self.status, self.opens_at) {
            (RoundStatus::Draft, _) => "has not been opened yet".to_owned(),
            (RoundStatus::Open, Some(at)) if crate::clock::now() < at => {
                format!("opens at {}Z", at.format("%Y-%m-%dT%H:%M:%S"))
            }
            _ => "is closed".to_owned(),
        };
        Err(ApiError::conflict(
            "round_closed",
            format!(
                "round {} ({}) {why}; no answer can be recorded or changed",
                self.id, self.title
            ),
        ))
    }

    /// The questionnaire it asks.
    pub fn instrument(&self, conn: &mut DbConnection) -> ApiResult<Instrument> {
        Instrument::find(conn, self.instrument_id)
    }

    /// Checks that hold whatever changed: the questionnaire suits the respondents, anonymity
    /// only for trainees' answers, the session belongs to the cohort, the times are in order.
    fn check(&self, conn: &mut DbConnection, instrument_changed: bool) -> ApiResult<()> {
        let instrument = Instrument::find(conn, self.instrument_id).map_err(|_| {
            ApiError::invalid(
                "instrument_id",
                "not_found",
                format!("there is no questionnaire {}", self.instrument_id),
            )
        })?;
        if instrument_changed && instrument.status != InstrumentStatus::Published {
            return Err(ApiError::invalid(
                "instrument_id",
                "not_published",
                format!(
                    "questionnaire {} revision {} is {}; a round asks a published revision",
                    instrument.code, instrument.revision, instrument.status
                ),
            ));
        }
        let assessing = self.respondent != Respondent::Trainee;
        if assessing != (self.subject == Subject::Trainee) {
            return Err(ApiError::invalid(
                "subject",
                "mismatch",
                "partners and officers answer about each trainee (subject: trainee); trainees about the course or a session",
            ));
        }
        if assessing != (instrument.purpose == Purpose::Assessment) {
            return Err(ApiError::invalid(
                "instrument_id",
                "wrong_purpose",
                format!(
                    "questionnaire {} is for {}; partners and officers answer assessment questionnaires, trainees the others",
                    instrument.code, instrument.purpose
                ),
            ));
        }
        if self.anonymity == Anonymity::Anonymous && assessing {
            return Err(ApiError::invalid(
                "anonymity",
                "not_allowed",
                "only a round that trainees answer can be anonymous",
            ));
        }
        match (self.subject, self.session_id) {
            (Subject::Session, None) => {
                return Err(ApiError::invalid(
                    "session_id",
                    "required",
                    "a round about a session names it",
                ));
            }
            (Subject::Session, Some(session)) => {
                let ours = sessions::table
                    .filter(sessions::id.eq(session))
                    .filter(sessions::cohort_id.eq(self.cohort_id))
                    .select(sessions::id)
                    .lookup::<SessionId>(conn)?;
                if ours.is_none() {
                    return Err(ApiError::invalid(
                        "session_id",
                        "not_in_cohort",
                        format!("session {session} is not a session of cohort {}", self.cohort_id),
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(ApiError::invalid(
                    "session_id",
                    "not_allowed",
                    "only a round about a session names one",
                ));
            }
            (_, None) => {}
        }
        if let Some(pre) = self.pre_round_id {
            self.check_pre_round(conn, &instrument, pre)?;
        }
        if let (Some(opens), Some(closes)) = (self.opens_at, self.closes_at)
            && closes <= opens
        {
            return Err(ApiError::invalid(
                "closes_at",
                "before_opens_at",
                "must be after opens_at",
            ));
        }
        Ok(())
    }

    /// 422 unless `pre` can be this round's pre-test: this is a trainees' post round of a
    /// knowledge test, and `pre` a trainees' pre round of the same cohort asked with the same
    /// questionnaire revision or one declared equivalent.
    fn check_pre_round(&self, conn: &mut DbConnection, instrument: &Instrument, pre: RoundId) -> ApiResult<()> {
        let bad = |detail: String| ApiError::invalid("pre_round_id", "not_a_pre_test", detail);
        if self.wave != Wave::Post || self.respondent != Respondent::Trainee || instrument.max_score().is_none() {
            return Err(bad(
                "only a post round that trainees answer, asking a knowledge test (scored items), names a pre-test"
                    .to_owned(),
            ));
        }
        let other = Round::find(conn, pre).map_err(|_| bad(format!("there is no round {pre}")))?;
        if other.cohort_id != self.cohort_id || other.wave != Wave::Pre || other.respondent != Respondent::Trainee {
            return Err(bad(format!(
                "round {pre} is not a pre round that trainees of cohort {} answer",
                self.cohort_id
            )));
        }
        let asked = other.instrument(conn)?;
        if !asked.equivalent(instrument) {
            return Err(bad(format!(
                "round {pre} asks questionnaire {} revision {}, this round {} revision {}: pair rounds asking the same \
                 revision, or declare one revision equivalent to the other (equivalent_to)",
                asked.code, asked.revision, instrument.code, instrument.revision
            )));
        }
        Ok(())
    }

    /// 422 when `closes_at` has already passed: a round that takes answers must still have time
    /// to, or its links would be dead when sent.
    fn check_closes_in_future(&self) -> ApiResult<()> {
        let now = crate::clock::now();
        if let Some(closes) = self.closes_at
            && closes <= now
        {
            return Err(ApiError::invalid(
                "closes_at",
                "in_the_past",
                format!(
                    "{}Z has already passed; give a closing time in the future, or none to close the round by hand",
                    closes.format("%Y-%m-%dT%H:%M:%S")
                ),
            ));
        }
        Ok(())
    }

    /// How many trainees hold a seat in the round's cohort.
    fn seated(conn: &mut DbConnection, cohort: CohortId) -> ApiResult<i64> {
        Ok(enrollments::table
            .filter(enrollments::cohort_id.eq(cohort))
            .filter(enrollments::status.eq_any(SEATED))
            .count()
            .get_result(conn)?)
    }
}

impl Record for Round {
    type Key = RoundId;
    const ENTITY: Entity = Entity::EvaluationRound;
    const NOUN: &'static str = "round";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: RoundId) -> ApiResult<Round> {
        evaluation_rounds::table
            .find(id)
            .lookup::<Round>(conn)?
            .map(|round| round.as_of(crate::clock::now()))
            .ok_or_else(|| ApiError::not_found("round", id))
    }

    /// A liaison sees the rounds of its partner's cohorts.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: RoundId) -> ApiResult<Round> {
        let round = Round::find(conn, id)?;
        if caller.liaison_partner().is_some() && Cohort::find_visible(conn, caller, round.cohort_id).is_err() {
            return Err(ApiError::not_found("round", id));
        }
        Ok(round)
    }
}

impl Create for Round {
    type New = CreateRound;
    type Parent = CohortId;
    const CREATED: &'static str = "Created, as a draft";

    fn insert(conn: &mut DbConnection, cohort: CohortId, new: CreateRound) -> ApiResult<Round> {
        Cohort::find(conn, cohort)?;
        let now = crate::clock::now();
        let draft = Round {
            id: RoundId(0),
            cohort_id: cohort,
            instrument_id: new.instrument_id,
            title: new.title,
            subject: new.subject,
            session_id: new.session_id,
            respondent: new.respondent,
            wave: new.wave,
            anonymity: new.anonymity,
            status: RoundStatus::Draft,
            opens_at: new.opens_at.as_ref().map(crate::clock::utc),
            closes_at: new.closes_at.as_ref().map(crate::clock::utc),
            created_at: now,
            updated_at: now,
            version: 1,
            pre_round_id: new.pre_round_id,
        };
        draft.check(conn, true)?;
        draft.check_closes_in_future()?;
        Ok(diesel::insert_into(evaluation_rounds::table)
            .values((
                evaluation_rounds::cohort_id.eq(draft.cohort_id),
                evaluation_rounds::instrument_id.eq(draft.instrument_id),
                evaluation_rounds::title.eq(&draft.title),
                evaluation_rounds::subject.eq(draft.subject),
                evaluation_rounds::session_id.eq(draft.session_id),
                evaluation_rounds::respondent.eq(draft.respondent),
                evaluation_rounds::wave.eq(draft.wave),
                evaluation_rounds::anonymity.eq(draft.anonymity),
                evaluation_rounds::status.eq(draft.status),
                evaluation_rounds::opens_at.eq(draft.opens_at),
                evaluation_rounds::closes_at.eq(draft.closes_at),
                evaluation_rounds::created_at.eq(now),
                evaluation_rounds::updated_at.eq(now),
                evaluation_rounds::version.eq(1),
                evaluation_rounds::pre_round_id.eq(draft.pre_round_id),
            ))
            .returning(evaluation_rounds::all_columns)
            .get_result(conn)?)
    }
}

impl Store for Round {
    fn store(&self, conn: &mut DbConnection, current: &Round) -> ApiResult<Option<Round>> {
        Ok(diesel::update(
            evaluation_rounds::table
                .find(self.id)
                .filter(evaluation_rounds::version.eq(current.version)),
        )
        .set((
            evaluation_rounds::title.eq(&self.title),
            evaluation_rounds::instrument_id.eq(self.instrument_id),
            evaluation_rounds::anonymity.eq(self.anonymity),
            evaluation_rounds::status.eq(self.status),
            evaluation_rounds::opens_at.eq(self.opens_at),
            evaluation_rounds::closes_at.eq(self.closes_at),
            evaluation_rounds::updated_at.eq(self.updated_at),
            evaluation_rounds::version.eq(self.version),
            evaluation_rounds::pre_round_id.eq(self.pre_round_id),
        ))
        .returning(evaluation_rounds::all_columns)
        .get_result(conn)
        .optional()?)
    }

    /// Opening a round that trainees answer invites every seated trainee.
    fn after_change(conn: &mut DbConnection, actor: &Actor, before: &Round, after: Round) -> ApiResult<Round> {
        if before.status == RoundStatus::Draft
            && after.status == RoundStatus::Open
            && after.respondent == Respondent::Trainee
        {
            actor.raise(conn, Event::RoundOpened { round: after.id })?;
        }
        Ok(after)
    }
}

impl Change for Round {
    type Change = UpdateRound;

    fn patched(&self, conn: &mut DbConnection, change: UpdateRound) -> ApiResult<Round> {
        let mut next = self.clone();
        let frozen = change.instrument_id.is_some() || change.anonymity.is_some();
        if frozen && self.status != RoundStatus::Draft {
            return Err(ApiError::conflict(
                "round_started",
                format!(
                    "round {} is {}; its questionnaire and anonymity change only while it is a draft",
                    self.id, self.status
                ),
            ));
        }
        next.title = change.title.unwrap_or(next.title);
        next.instrument_id = change.instrument_id.unwrap_or(next.instrument_id);
        next.anonymity = change.anonymity.unwrap_or(next.anonymity);
        if let Some(pre) = change.pre_round_id {
            next.pre_round_id = pre;
        }
        if let Some(opens) = change.opens_at {
            next.opens_at = opens.as_ref().map(crate::clock::utc);
        }
        if let Some(closes) = change.closes_at {
            next.closes_at = closes.as_ref().map(crate::clock::utc);
            if next.closes_at != self.closes_at && next.status != RoundStatus::Closed {
                next.check_closes_in_future()?;
            }
        }
        if let Some(status) = change.status
            && status != self.status
        {
            if !self.status.next().contains(&status) {
                return Err(illegal_transition(
                    &format!("round {}", self.id),
                    self.status,
                    status,
                    self.status.next(),
                ));
            }
            if status == RoundStatus::Open {
                // Opening would send links that are dead on arrival.
                next.check_closes_in_future()?;
            }
            if status == RoundStatus::Open
                && self.respondent == Respondent::Trainee
                && Round::seated(conn, self.cohort_id)? == 0
            {
                return Err(ApiError::conflict(
                    "no_trainees",
                    format!(
                        "cohort {} has no seated trainee to invite; enrol trainees first",
                        self.cohort_id
                    ),
                ));
            }
            next.status = status;
        }
        next.check(conn, next.instrument_id != self.instrument_id)?;
        Ok(next)
    }
}

impl Remove for Round {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let post: Option<RoundId> = evaluation_rounds::table
            .filter(evaluation_rounds::pre_round_id.eq(self.id))
            .select(evaluation_rounds::id)
            .lookup(conn)?;
        if let Some(post) = post {
            return Ok(Some(format!(
                "round {} is the pre-test of round {post}; clear that round's pre_round_id first",
                self.id
            )));
        }
        Ok((self.status != RoundStatus::Draft).then(|| {
            format!(
                "round {} is {}; only a draft can be deleted, and its answers are kept",
                self.id, self.status
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(invitations::table.filter(invitations::round_id.eq(self.id))).execute(conn)?;
        diesel::delete(responses::table.filter(responses::round_id.eq(self.id))).execute(conn)?;
        diesel::delete(evaluation_rounds::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Round {
    const NOUNS: &'static str = "rounds";
    type Filters = RoundFilters;
    type Parent = CohortId;

    /// In the order they were created.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        cohort: CohortId,
        filters: RoundFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Round>> {
        Cohort::find_visible(conn, caller, cohort)?;
        let now = crate::clock::now();
        let query = || {
            let mut query = evaluation_rounds::table
                .filter(evaluation_rounds::cohort_id.eq(cohort))
                .into_boxed();
            // As read: an open round whose closing time has passed is closed (`Round::as_of`).
            let open = evaluation_rounds::status.eq(RoundStatus::Open).and(
                evaluation_rounds::closes_at
                    .is_null()
                    .or(evaluation_rounds::closes_at.gt(now))
                    .assume_not_null(),
            );
            query = match filters.status {
                Some(RoundStatus::Open) => query.filter(open),
                Some(RoundStatus::Closed) => query.filter(
                    evaluation_rounds::status
                        .eq(RoundStatus::Closed)
                        .or(evaluation_rounds::status
                            .eq(RoundStatus::Open)
                            .and(evaluation_rounds::closes_at.le(now).assume_not_null())),
                ),
                Some(status) => query.filter(evaluation_rounds::status.eq(status)),
                None => query,
            };
            if let Some(respondent) = filters.respondent {
                query = query.filter(evaluation_rounds::respondent.eq(respondent));
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", evaluation_rounds::id, |r: &Round| r.id));
        list::page(conn, query, &keys, &paging)?
            .try_with(|rounds| Ok(rounds.into_iter().map(|r| r.as_of(now)).collect()))
    }
}
