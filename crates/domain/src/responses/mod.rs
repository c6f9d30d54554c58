//! Responses: what was answered in a round. A partner's (or an officer's) assessment of a
//! trainee is recorded here directly, one per trainee per round, and may be amended with
//! `If-Match` until the round closes; trainees' answers arrive through their invitations
//! (`invitations`).
//!
//! In an anonymous round a response names no enrolment and no officer, has a random id, and
//! carries the round's creation time instead of its own: nothing in the row leads back to a
//! person or to the moment an invitation was used. Such responses are not audited one by one
//! (an audit event would carry the time); the invitation records that the trainee took part.
//! Nor does the way the rows are stored: an anonymous answer is written apart from the
//! invitation's write, with a random handful of its round's answers rewritten beside it (see
//! `scatter`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::cohorts::Cohort;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{EnrollmentId, PartnerId, ResponseId, RoundId, TraineeId, UserId};
use crate::instruments::{Answers, Instrument};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Store};
use crate::rounds::{Anonymity, Respondent, Round};
use crate::schema::{cohorts, enrollments, partners, program_partners, responses, trainees, users};
use crate::statuses::SEATED;
use crate::users::Role;

/// Answers to a round.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Response {
    /// Id.
    pub id: ResponseId,
    /// The round.
    pub round_id: RoundId,
    /// The enrolment answered about (an assessment) or by (a trainee); none in an anonymous round.
    pub enrollment_id: Option<EnrollmentId>,
    /// That trainee's full name.
    pub trainee_name: Option<String>,
    /// The answers, by item key.
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// Who recorded the answers as they now stand (a liaison or officer, or an officer entering a
    /// paper form), by email: the last to amend them, or who first recorded them (each change is
    /// in the audit trail); none for a trainee's own answers and in an anonymous round.
    pub entered_by: Option<String>,
    /// The account `entered_by` names, stored by id.
    #[serde(skip)]
    pub(crate) entered_by_id: Option<UserId>,
    /// Who was answered about or by (for the record of what a liaison read); none in an
    /// anonymous round.
    #[serde(skip)]
    trainee_id: Option<TraineeId>,
    /// When it was recorded (UTC); in an anonymous round, when the round was created.
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
}

#[derive(Debug, Queryable)]
struct ResponseRow {
    id: ResponseId,
    round_id: RoundId,
    enrollment_id: Option<EnrollmentId>,
    answers: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    trainee_name: Option<String>,
    entered_by: Option<String>,
    entered_by_id: Option<UserId>,
    trainee_id: Option<TraineeId>,
}

impl TryFrom<ResponseRow> for Response {
    type Error = ApiError;
    fn try_from(row: ResponseRow) -> ApiResult<Response> {
        Ok(Response {
            id: row.id,
            round_id: row.round_id,
            enrollment_id: row.enrollment_id,
            trainee_name: row.trainee_name,
            answers: serde_json::from_str(&row.answers).map_err(ApiError::internal)?,
            entered_by: row.entered_by,
            entered_by_id: row.entered_by_id,
            trainee_id: row.trainee_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}

impl Response {
    /// What this response gives of the trainee it names: the name, and the answers about (or
    /// by) them; nothing in an anonymous round, which names no one.
    fn disclosed(&self) -> Option<crate::disclosures::Disclosed> {
        use crate::disclosures::{Disclosed, PersonalField as F};
        let trainee = self.trainee_id?;
        let answered = (!self.answers.is_empty()).then_some("answered");
        Some(Disclosed::of(
            trainee,
            &[(F::FullName, self.trainee_name.as_deref()), (F::Assessment, answered)],
        ))
    }
}

#[diesel::dsl::auto_type(no_type_alias)]
fn rows() -> _ {
    let trainee: diesel::dsl::Nullable<trainees::full_name> = trainees::full_name.nullable();
    let officer: diesel::dsl::Nullable<users::email> = users::email.nullable();
    // Two flat left joins: SQLite would build `LEFT JOIN (enrollments JOIN trainees)` as a whole
    // before joining it, reading every enrolment for each response.
    let trainee_of_enrollment: diesel::dsl::Eq<
        diesel::dsl::Nullable<trainees::id>,
        diesel::dsl::Nullable<enrollments::trainee_id>,
    > = trainees::id.nullable().eq(enrollments::trainee_id.nullable());
    responses::table
        .left_join(enrollments::table)
        .left_join(trainees::table.on(trainee_of_enrollment))
        .left_join(users::table)
        .select((
            responses::id,
            responses::round_id,
            responses::enrollment_id,
            responses::answers,
            responses::created_at,
            responses::updated_at,
            responses::version,
            trainee,
            officer,
            responses::entered_by,
            enrollments::trainee_id.nullable(),
        ))
}

/// A partner's or officer's assessment of one trainee.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResponse {
    /// The trainee's enrolment in the round's cohort (seated).
    pub enrollment_id: EnrollmentId,
    /// The answers, by item key.
    #[schema(value_type = Object, example = json!({"initiative": 4, "comments": "Chủ động, sáng tạo"}))]
    pub answers: Answers,
}

/// An amended assessment: the answers it names change, the others are kept.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResponse {
    /// The answers to change, by item key; an item not named keeps its answer, and `null` clears
    /// one (refused for a required item). The answers as they then stand are checked as a whole.
    #[schema(value_type = Object, example = json!({"initiative": 5, "remarks": null}))]
    pub answers: Answers,
}

impl UpdateResponse {
    /// `answers` with this change applied: each named item set, or removed where `null`.
    fn applied_to(self, answers: &Answers) -> Answers {
        let mut next = answers.clone();
        for (key, value) in self.answers {
            match value {
                serde_json::Value::Null => next.remove(&key),
                value => next.insert(key, value),
            };
        }
        next
    }
}

/// Filters for a round's responses.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ResponseFilters {
    /// Only the response about or by this enrolment.
    pub enrollment_id: Option<EnrollmentId>,
}

/// 422 naming every bad answer.
pub fn check(instrument: &Instrument, answers: &Answers) -> ApiResult<()> {
    let errors = crate::instruments::items::check_answers(&instrument.items, answers);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A random positive id, so that ids say nothing of the order answers arrived in.
fn random_id() -> ResponseId {
    let mut bytes = [0u8; 8];
    #[expect(clippy::expect_used, reason = "no safe way to continue without randomness")]
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    // 53 bits: positive, and exact in every JSON client's numbers.
    ResponseId(i64::from_le_bytes(bytes) & ((1 << 53) - 1))
}

impl Response {
    /// The answers recorded about `enrollment` in a named round (what the trainee's link shows as
    /// a receipt), if any.
    pub fn of_enrollment(
        conn: &mut DbConnection,
        round: RoundId,
        enrollment: EnrollmentId,
    ) -> ApiResult<Option<Answers>> {
        let stored: Option<String> = responses::table
            .filter(responses::round_id.eq(round))
            .filter(responses::enrollment_id.eq(enrollment))
            .select(responses::answers)
            .lookup(conn)?;
        stored
            .map(|json| serde_json::from_str(&json).map_err(ApiError::internal))
            .transpose()
    }

    /// Store new answers to `round` (already checked), about or by `enrollment` (none: anonymous),
    /// recorded by `officer`. An identified response is audited; an anonymous one is not.
    pub fn store_new(
        conn: &mut DbConnection,
        actor: &Actor,
        round: &Round,
        enrollment: Option<EnrollmentId>,
        officer: Option<UserId>,
        answers: &Answers,
    ) -> ApiResult<Response> {
        let anonymous = round.anonymity == Anonymity::Anonymous;
        let at = if anonymous {
            round.created_at
        } else {
            crate::clock::now()
        };
        let answers_json = serde_json::to_string(answers).map_err(ApiError::internal)?;
        let id = random_id();
        if anonymous {
            // A savepoint: on PostgreSQL the rows it writes carry a transaction id of their own,
            // so `responses.xmin` never equals the `xmin` of the invitation this request marks
            // answered in the enclosing transaction.
            conn.transaction::<_, ApiError, _>(|conn| {
                scatter(
                    conn,
                    round.id,
                    AnonymousAnswer {
                        id,
                        answers: answers_json,
                        at,
                        version: 1,
                    },
                )
            })?;
            return Response::find(conn, id);
        }
        diesel::insert_into(responses::table)
            .values((
                responses::id.eq(id),
                responses::round_id.eq(round.id),
                responses::enrollment_id.eq(enrollment),
                responses::answers.eq(answers_json),
                responses::entered_by.eq(officer),
                responses::created_at.eq(at),
                responses::updated_at.eq(at),
                responses::version.eq(1),
            ))
            .execute(conn)
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| {
                    format!(
                        "round {} already has a response for enrolment {}; amend it with PATCH",
                        round.id,
                        enrollment.map_or(0, |e| e.0)
                    )
                })
            })?;
        let response = Response::find(conn, id)?;
        if !anonymous {
            audit::record(conn, actor, Event::created(Entity::Response, id.0, &response))?;
        }
        Ok(response)
    }
}

/// How many of its round's earlier answers an anonymous answer is written with.
const SCATTER: i64 = 50;

/// An anonymous answer as stored: nothing but its random id, what it says, the round's time and
/// its version.
struct AnonymousAnswer {
    id: ResponseId,
    answers: String,
    at: NaiveDateTime,
    version: i32,
}

/// Write a new anonymous answer of `round` together with a random handful (up to [`SCATTER`]) of
/// the round's earlier ones, taken out and written again with it in a random order, unchanged. On
/// PostgreSQL all of them then carry one transaction id and sit side by side in an order that says
/// nothing: the newest answer's `xmin` and place (`ctid`) are shared with up to fifty others
/// chosen at random, and an older answer is either among its own group or a later one. Rewriting
/// every answer of the round each time would hide more, at a cost that grows with the square of
/// the round (a round of 10,000 would rewrite 50 million rows; fifty keep it to 500,000). The handful is a window of the
/// random ids from a random point, wrapping round, which the `(round_id, id)` index finds without
/// reading the round. On SQLite nothing records a writer and rows sit in the order of their random
/// ids; the same code runs, so that both databases store alike.
fn scatter(conn: &mut DbConnection, round: RoundId, new: AnonymousAnswer) -> ApiResult<()> {
    // One anonymous answer of a round at a time: the handful read below is written back below.
    crate::db::dialect::lock_round(conn, round)?;
    let window = |conn: &mut DbConnection, from: Option<ResponseId>, below: Option<ResponseId>, limit: i64| {
        let mut query = responses::table
            .filter(responses::round_id.eq(round))
            .filter(responses::enrollment_id.is_null())
            .select((
                responses::id,
                responses::answers,
                responses::created_at,
                responses::version,
            ))
            .order(responses::id)
            .limit(limit)
            .into_boxed();
        if let Some(from) = from {
            query = query.filter(responses::id.ge(from));
        }
        if let Some(below) = below {
            query = query.filter(responses::id.lt(below));
        }
        query
            .load::<(ResponseId, String, NaiveDateTime, i32)>(conn)
            .map(|rows| {
                rows.into_iter()
                    .map(|(id, answers, at, version)| AnonymousAnswer {
                        id,
                        answers,
                        at,
                        version,
                    })
                    .collect::<Vec<_>>()
            })
    };
    let from = random_id();
    let mut group = window(conn, Some(from), None, SCATTER)?;
    let short = SCATTER - i64::try_from(group.len()).unwrap_or(SCATTER);
    if short > 0 {
        group.extend(window(conn, None, Some(from), short)?);
    }
    diesel::delete(responses::table.filter(responses::id.eq_any(group.iter().map(|a| a.id)))).execute(conn)?;
    group.push(new);
    group.sort_by_cached_key(|_| random_id().0);
    // One by one, in the shuffled order: the backends share no multi-row insert here, and each
    // row lands after the one before.
    for answer in &group {
        diesel::insert_into(responses::table)
            .values((
                responses::id.eq(answer.id),
                responses::round_id.eq(round),
                responses::answers.eq(&answer.answers),
                responses::created_at.eq(answer.at),
                responses::updated_at.eq(answer.at),
                responses::version.eq(answer.version),
            ))
            .execute(conn)?;
    }
    Ok(())
}

impl Record for Response {
    type Key = ResponseId;
    const ENTITY: Entity = Entity::Response;
    const NOUN: &'static str = "response";
    crate::resource::keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ResponseId) -> ApiResult<Response> {
        rows()
            .filter(responses::id.eq(id))
            .lookup::<ResponseRow>(conn)?
            .ok_or_else(|| ApiError::not_found("response", id))?
            .try_into()
    }

    /// A liaison sees the assessments of rounds its partner answers, in its partner's cohorts.
    /// Nobody reads an anonymous round's answers one by one: only its results, which withhold
    /// small groups.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: ResponseId) -> ApiResult<Response> {
        let response = Response::find(conn, id)?;
        if response.enrollment_id.is_none() {
            return Err(ApiError::not_found("response", id));
        }
        if caller.liaison_partner().is_some() {
            let round = Round::find_visible(conn, caller, response.round_id)
                .map_err(|_| ApiError::not_found("response", id))?;
            if round.respondent != Respondent::Partner {
                return Err(ApiError::not_found("response", id));
            }
        }
        crate::disclosures::record(conn, caller, "assessments", response.disclosed())?;
        Ok(response)
    }
}

impl Create for Response {
    type New = CreateResponse;
    type Parent = RoundId;
    const CREATED: &'static str = "Recorded";

    fn insert(_: &mut DbConnection, _: RoundId, _: CreateResponse) -> ApiResult<Response> {
        Err(ApiError::internal(anyhow::anyhow!(
            "an assessment is recorded for a caller: use insert_for"
        )))
    }

    /// An assessment of a seated trainee of the round's cohort, by a liaison of a partner taking
    /// part in the programme (rounds partners answer) or by an officer. Trainees' answers come
    /// through their links, or as paper forms entered against their invitations.
    fn insert_for(
        conn: &mut DbConnection,
        caller: &Caller,
        round: RoundId,
        new: CreateResponse,
    ) -> ApiResult<Response> {
        let round = Round::find_visible(conn, caller, round)?;
        match (round.respondent, caller.role()) {
            (Respondent::Trainee, _) => {
                return Err(ApiError::conflict(
                    "answered_by_trainees",
                    format!(
                        "trainees answer round {} through their links; enter a paper form with POST /api/v1/invitations/{{id}}/paper-form",
                        round.id
                    ),
                ));
            }
            (Respondent::Officer, Role::Liaison) => return Err(ApiError::not_found("round", round.id)),
            (Respondent::Partner, Role::Liaison) => {
                let partner = caller.liaison_partner();
                let takes_part: bool = diesel::select(diesel::dsl::exists(
                    program_partners::table
                        .inner_join(cohorts::table.on(cohorts::program_id.eq(program_partners::program_id)))
                        .filter(cohorts::id.eq(round.cohort_id))
                        .filter(program_partners::partner_id.nullable().eq(partner)),
                ))
                .get_result(conn)?;
                if !takes_part {
                    return Err(ApiError::not_found("round", round.id));
                }
            }
            _ => {}
        }
        round.check_takes_answers()?;
        let seated: Option<EnrollmentId> = enrollments::table
            .filter(enrollments::id.eq(new.enrollment_id))
            .filter(enrollments::cohort_id.eq(round.cohort_id))
            .filter(enrollments::status.eq_any(SEATED))
            .select(enrollments::id)
            .lookup(conn)?;
        if seated.is_none() {
            return Err(ApiError::invalid(
                "enrollment_id",
                "not_seated",
                format!(
                    "enrolment {} is not a seated trainee of cohort {}",
                    new.enrollment_id, round.cohort_id
                ),
            ));
        }
        check(&round.instrument(conn)?, &new.answers)?;
        // Audited by resource::create_for, as every create is.
        let created = store_identified(conn, &round, new.enrollment_id, caller.id(), &new.answers)?;
        // The answer names the trainee assessed: a liaison's copy is a disclosure as a read is.
        crate::disclosures::record(conn, caller, "assessments", created.disclosed())?;
        Ok(created)
    }
}

/// An identified response, not audited (the create sequence audits it).
fn store_identified(
    conn: &mut DbConnection,
    round: &Round,
    enrollment: EnrollmentId,
    by: UserId,
    answers: &Answers,
) -> ApiResult<Response> {
    let now = crate::clock::now();
    let id = random_id();
    diesel::insert_into(responses::table)
        .values((
            responses::id.eq(id),
            responses::round_id.eq(round.id),
            responses::enrollment_id.eq(Some(enrollment)),
            responses::answers.eq(serde_json::to_string(answers).map_err(ApiError::internal)?),
            responses::entered_by.eq(Some(by)),
            responses::created_at.eq(now),
            responses::updated_at.eq(now),
            responses::version.eq(1),
        ))
        .execute(conn)
        .map_err(|e| {
            ApiError::from(e).naming_duplicate(|| {
                format!(
                    "trainee enrolment {enrollment} is already assessed in round {}; amend that response with PATCH",
                    round.id
                )
            })
        })?;
    Response::find(conn, id)
}

impl Store for Response {
    fn store(&self, conn: &mut DbConnection, current: &Response) -> ApiResult<Option<Response>> {
        let updated = diesel::update(
            responses::table
                .find(self.id)
                .filter(responses::version.eq(current.version)),
        )
        .set((
            responses::answers.eq(serde_json::to_string(&self.answers).map_err(ApiError::internal)?),
            responses::entered_by.eq(self.entered_by_id),
            responses::updated_at.eq(self.updated_at),
            responses::version.eq(self.version),
        ))
        .execute(conn)?;
        Ok((updated == 1).then(|| self.clone()))
    }
}

impl Change for Response {
    type Change = UpdateResponse;

    fn patched(&self, conn: &mut DbConnection, change: UpdateResponse) -> ApiResult<Response> {
        let round = Round::find(conn, self.round_id)?;
        if round.respondent == Respondent::Trainee {
            return Err(ApiError::conflict(
                "answered_by_trainees",
                "a trainee's submitted answers are kept as given",
            ));
        }
        round.check_takes_answers()?;
        let answers = change.applied_to(&self.answers);
        check(&round.instrument(conn)?, &answers)?;
        Ok(Response {
            answers,
            ..self.clone()
        })
    }

    /// The amendment as `caller` makes it. A liaison amends only what its own partner recorded:
    /// a programme may have several partners answering one round, and one partner's assessment is
    /// not another's to rewrite. The amended response names its amender in `entered_by`, so that
    /// it never credits the answers to someone who did not give them.
    fn patched_for(&self, conn: &mut DbConnection, caller: &Caller, change: UpdateResponse) -> ApiResult<Response> {
        if let Some(partner) = caller.liaison_partner() {
            let author: Option<Option<(PartnerId, String)>> = match self.entered_by_id {
                Some(author) => users::table
                    .find(author)
                    .left_join(partners::table)
                    .select((users::partner_id, partners::code.nullable()))
                    .lookup::<(Option<PartnerId>, Option<String>)>(conn)?
                    .map(|(id, code)| id.zip(code)),
                None => None,
            };
            match author.flatten() {
                Some((theirs, _)) if theirs == partner => {}
                Some((_, code)) => {
                    return Err(ApiError::Forbidden(format!(
                        "this assessment was recorded for partner {code}; only that partner's liaisons or an officer \
                         may amend it"
                    )));
                }
                None => {
                    return Err(ApiError::Forbidden(
                        "this assessment was recorded by an officer; only an officer may amend it".to_owned(),
                    ));
                }
            }
        }
        let amended = self.patched(conn, change)?;
        let email: Option<String> = users::table.find(caller.id()).select(users::email).lookup(conn)?;
        Ok(Response {
            entered_by: email,
            entered_by_id: Some(caller.id()),
            ..amended
        })
    }
}

impl List for Response {
    const NOUNS: &'static str = "responses";
    type Filters = ResponseFilters;
    type Parent = RoundId;

    /// By id (random: the order says nothing of when answers arrived).
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        round: RoundId,
        filters: ResponseFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Response>> {
        let round = Round::find_visible(conn, caller, round)?;
        if caller.liaison_partner().is_some() && round.respondent != Respondent::Partner {
            // The liaison sees the round itself, so a 404 would deny what it has just read.
            return Err(ApiError::Forbidden(format!(
                "round {} is answered by {}s, and a liaison reads only the answers of rounds its partner answers; \
                 its figures are at GET /api/v1/rounds/{}/results",
                round.id, round.respondent, round.id
            )));
        }
        if round.anonymity == Anonymity::Anonymous {
            // One by one, a few answers could be told apart; the results withhold small groups.
            return Err(ApiError::conflict(
                "anonymous_round",
                format!(
                    "round {} is anonymous: its answers are read through GET /api/v1/rounds/{}/results",
                    round.id, round.id
                ),
            ));
        }
        Cohort::find_visible(conn, caller, round.cohort_id)?;
        let query = || {
            let mut query = rows().into_boxed().filter(responses::round_id.eq(round.id));
            if let Some(enrollment) = filters.enrollment_id {
                query = query.filter(responses::enrollment_id.eq(enrollment));
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", responses::id, |r: &ResponseRow| r.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            let responses = rows
                .into_iter()
                .map(Response::try_from)
                .collect::<ApiResult<Vec<Response>>>()?;
            crate::disclosures::record(
                conn,
                caller,
                "assessments",
                responses.iter().flat_map(Response::disclosed),
            )?;
            Ok(responses)
        })
    }
}
