//! Enrolments: a trainee's place in a cohort, and how it moves.
//!
//! ```text
//! nominated ─┬─> enrolled ─┬─> withdrawn        (frees the seat: the longest-waiting is enrolled)
//!            ├─> waitlisted ┘├─> completed      (issues a certificate number)
//!            ├─> rejected    └─> did_not_complete
//!            └─> withdrawn
//! waitlisted ──> withdrawn, rejected
//!
//! where a partner of the programme reviews its nominations, the partner decides first:
//! nominated ─┬─> accepted ─┬─> enrolled, waitlisted (as above)
//!            │             └─> rejected, withdrawn
//!            ├─> declined    (with the partner's reason)
//!            └─> rejected, withdrawn
//! ```
//! Only `accepted` nominations take seats where a partner reviews (a placement, an import, a single
//! or a bulk move that would seat a nominee directly is 409 `review_required` / `not_accepted`);
//! `accepted` and `declined` are refused where none does (409 `not_reviewed`). A liaison of the
//! reviewing partner makes these two moves and no other ([`Change::patched_for`]).
//! The last five are final: the enrolment records when it reached one (`ended_at`) and why, when
//! a reason was given or the system moved it (a completed or cancelled cohort closes its
//! waitlist and its undecided nominations, [`seats::close_waitlist`]).
//! A seat is held by `enrolled`, `completed` and `did_not_complete`; never more than the cohort's
//! capacity. Seat changes lock the cohort first ([`crate::db::dialect::lock_cohort`], through
//! [`Cohort::find_for_seats`] or [`crate::resource::Store::find_for_change`]), so the rule holds however many
//! requests race on either database.
//!
//! Types, rules and queries live here, served over HTTP by the standard operations named in
//! the route table (`app.rs`); the CSV import in [`import`]; the handler of the import, in `api::enrollments`.

pub mod import;
mod input;
pub mod moves;
mod seats;

pub use input::{CreateEnrollment, EnrollmentFilters, Placement, UpdateEnrollment};
use seats::{check_seat_free, closed, review_required};
pub use seats::{close_waitlist, fill_free_seats};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::actor::Event;
use crate::audit::{Actor, Entity};
use crate::cohorts::{Cohort, Placing};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::illegal_transition;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, EnrollmentId, TraineeId};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Store, keyed_by_id};
use crate::schema::{cohorts, enrollments, programs, trainees};

pub use crate::statuses::{DECIDING, EnrollmentStatus, SEATED};

/// A trainee's place in a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Enrollment {
    /// Id.
    pub id: EnrollmentId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// The trainee.
    pub trainee_id: TraineeId,
    /// The trainee's full name, as written.
    pub trainee_name: String,
    /// Where it stands.
    pub status: EnrollmentStatus,
    /// When it joined the waitlist (UTC), if it ever did.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub waitlisted_at: Option<NaiveDateTime>,
    /// Issued on completion; unique.
    #[schema(example = "JICA-YL/C3/00042")]
    pub certificate_number: Option<String>,
    /// When it reached its final status (UTC): for completed and did not complete, the course's
    /// end (the cohort's last day, or the last day of its end month or year, at 00:00 UTC; the
    /// time of the move when that is earlier or the cohort has no end date); for withdrawn and
    /// rejected, the time of the move. Filter with `ended_from` and `ended_to`.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<NaiveDateTime>,
    /// When it was completed (UTC): `ended_at` of a completed enrolment.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
    /// Why it ended, when a reason was given or the system ended it (a closed waitlist, the
    /// completion rule). A partner's liaison reads the reasons it may know: never that a trainee
    /// did not answer an anonymous round.
    pub end_reason: Option<String>,
    /// `end_reason` as a partner's liaison reads it, when that differs.
    #[serde(skip)]
    partner_end_reason: Option<String>,
    /// Free notes, the department's own: `null` to a liaison.
    pub notes: Option<String>,
    /// Attendance so far.
    pub attendance: crate::attendance::AttendanceSummary,
    /// Where the trainee worked when enrolled. Reports count the enrolment here, so a later
    /// transfer changes the trainee, not the reports of past cohorts.
    pub origin: Origin,
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
}

/// The trainee's placement as it was when the enrolment was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema, Queryable)]
pub struct Origin {
    /// Their organisation.
    pub organisation: Option<String>,
    /// The position they held.
    pub position: Option<String>,
    /// Their province or city.
    pub province: Option<String>,
}

/// An enrolment as stored, with the trainee's name.
#[derive(Debug, Queryable)]
struct EnrollmentRow {
    id: EnrollmentId,
    cohort_id: CohortId,
    trainee_id: TraineeId,
    status: EnrollmentStatus,
    waitlisted_at: Option<NaiveDateTime>,
    certificate_number: Option<String>,
    ended_at: Option<NaiveDateTime>,
    end_reason: Option<String>,
    partner_end_reason: Option<String>,
    notes: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    trainee_name: String,
    origin: Origin,
}

/// The columns of an [`EnrollmentRow`].
type RowColumns = (
    enrollments::id,
    enrollments::cohort_id,
    enrollments::trainee_id,
    enrollments::status,
    enrollments::waitlisted_at,
    enrollments::certificate_number,
    enrollments::ended_at,
    enrollments::end_reason,
    enrollments::partner_end_reason,
    enrollments::notes,
    enrollments::created_at,
    enrollments::updated_at,
    enrollments::version,
    trainees::full_name,
    (enrollments::organisation, enrollments::position, enrollments::province),
);

const ROW_COLUMNS: RowColumns = (
    enrollments::id,
    enrollments::cohort_id,
    enrollments::trainee_id,
    enrollments::status,
    enrollments::waitlisted_at,
    enrollments::certificate_number,
    enrollments::ended_at,
    enrollments::end_reason,
    enrollments::partner_end_reason,
    enrollments::notes,
    enrollments::created_at,
    enrollments::updated_at,
    enrollments::version,
    trainees::full_name,
    (enrollments::organisation, enrollments::position, enrollments::province),
);

impl Enrollment {
    fn from_row(row: EnrollmentRow, attendance: crate::attendance::AttendanceSummary) -> Self {
        Enrollment {
            id: row.id,
            cohort_id: row.cohort_id,
            trainee_id: row.trainee_id,
            trainee_name: row.trainee_name,
            status: row.status,
            waitlisted_at: row.waitlisted_at,
            certificate_number: row.certificate_number,
            completed_at: row.ended_at.filter(|_| row.status == EnrollmentStatus::Completed),
            ended_at: row.ended_at,
            end_reason: row.end_reason,
            partner_end_reason: row.partner_end_reason,
            notes: row.notes,
            attendance,
            origin: row.origin,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

impl Enrollment {
    /// The enrolment as `caller` may read it. A partner's liaison reads no officer's `notes` (the
    /// department's own, as it reads no trainee's notes), and `end_reason` without what only the
    /// training department may know (who did not answer an anonymous round). Changes reload it
    /// with `find_for_change`, so what is hidden is never written back.
    fn seen_by(mut self, caller: &Caller) -> Enrollment {
        if caller.liaison_partner().is_some() {
            self.notes = None;
            if let Some(shared) = self.partner_end_reason.take() {
                self.end_reason = Some(shared);
            }
            if !self.status.is_seated() {
                // A nominee, for the partner to decide on: name, organisation and position.
                self.origin.province = None;
            }
        }
        self
    }

    /// What of the trainee this enrolment shows, for the record of disclosures: the name, the
    /// placement as enrolled, and the attendance.
    fn disclosed(&self) -> crate::disclosures::Disclosed {
        use crate::disclosures::{Disclosed, PersonalField as F};
        let mut disclosed = Disclosed::of(
            self.trainee_id,
            &[
                (F::FullName, Some(self.trainee_name.as_str())),
                (F::Organisation, self.origin.organisation.as_deref()),
                (F::Position, self.origin.position.as_deref()),
                (F::Province, self.origin.province.as_deref()),
            ],
        );
        disclosed.fields.push(F::Attendance);
        disclosed
    }
}

fn with_attendance(conn: &mut DbConnection, rows: Vec<EnrollmentRow>) -> ApiResult<Vec<Enrollment>> {
    let ids: Vec<EnrollmentId> = rows.iter().map(|r| r.id).collect();
    let mut summaries = crate::attendance::summaries(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let summary = summaries.remove(&row.id).unwrap_or_default();
            Enrollment::from_row(row, summary)
        })
        .collect())
}

impl Enrollment {
    /// The enrolment `trainee` has in `cohort`, with its status, if any.
    pub fn find_in_cohort(
        conn: &mut DbConnection,
        cohort: CohortId,
        trainee: TraineeId,
    ) -> ApiResult<Option<(EnrollmentId, EnrollmentStatus)>> {
        Ok(enrollments::table
            .filter(enrollments::cohort_id.eq(cohort))
            .filter(enrollments::trainee_id.eq(trainee))
            .select((enrollments::id, enrollments::status))
            .lookup(conn)?)
    }

    /// The status a new enrolment placed as `placement` gets in `cohort` (locked, with current
    /// counts): a seat while one is free, else the waitlist; or a nomination.
    pub fn placed_status(cohort: &Placing, placement: Placement) -> EnrollmentStatus {
        match placement {
            Placement::Nominated => EnrollmentStatus::Nominated,
            Placement::Enrolled if cohort.free_seats() == Some(0) => EnrollmentStatus::Waitlisted,
            Placement::Enrolled => EnrollmentStatus::Enrolled,
        }
    }

    /// Place a trainee in `cohort` (already locked by [`Cohort::find_for_placing`]): a seat if
    /// one is free and one was asked for, else the waitlist; or only a nomination. Not audited:
    /// the caller does that, as [`crate::resource::create`] does.
    pub fn place(conn: &mut DbConnection, cohort: &Placing, new: CreateEnrollment) -> ApiResult<Enrollment> {
        if !cohort.status.takes_enrolments() {
            return Err(closed(&cohort.code, cohort.status));
        }
        if cohort.reviewed && new.status.unwrap_or_default() == Placement::Enrolled {
            return Err(review_required(&cohort.code));
        }
        // Before reading whether the trainee was erased: an erasure running now finishes first
        // and is seen, or waits for this enrolment and sees it.
        crate::db::dialect::lock_trainee(conn, new.trainee_id, crate::db::dialect::TraineeLock::Referenced)?;
        let (origin, gender, birth_year, erased_at): (Origin, Option<String>, Option<i32>, Option<NaiveDateTime>) =
            trainees::table
                .find(new.trainee_id)
                .select((
                    (trainees::organisation, trainees::position, trainees::province),
                    trainees::gender,
                    trainees::birth_year,
                    trainees::erased_at,
                ))
                .lookup(conn)?
                .ok_or_else(|| {
                    ApiError::invalid(
                        "trainee_id",
                        "not_found",
                        format!("there is no trainee {}", new.trainee_id),
                    )
                })?;
        if erased_at.is_some() {
            // An erased trainee is kept for the counts only: no new record is made about them.
            return Err(ApiError::conflict(
                "erased",
                format!("trainee {} was erased and cannot be enrolled", new.trainee_id),
            ));
        }
        if let Some((id, status)) = Enrollment::find_in_cohort(conn, cohort.id, new.trainee_id)? {
            return Err(ApiError::conflict(
                "duplicate",
                format!(
                    "trainee {} is already in cohort {} as enrolment {id} ({status})",
                    new.trainee_id, cohort.code
                ),
            ));
        }
        let now = crate::clock::now();
        let status = Enrollment::placed_status(cohort, new.status.unwrap_or_default());
        let id: EnrollmentId = diesel::insert_into(enrollments::table)
            .values((
                enrollments::cohort_id.eq(cohort.id),
                enrollments::trainee_id.eq(new.trainee_id),
                enrollments::status.eq(status),
                enrollments::waitlisted_at.eq((status == EnrollmentStatus::Waitlisted).then_some(now)),
                enrollments::notes.eq(&new.notes),
                enrollments::organisation.eq(&origin.organisation),
                enrollments::position.eq(&origin.position),
                enrollments::province.eq(&origin.province),
                enrollments::gender.eq(&gender),
                enrollments::birth_year.eq(birth_year),
                enrollments::cohort_year.eq(cohort.start_year),
                enrollments::created_at.eq(now),
                enrollments::updated_at.eq(now),
                enrollments::version.eq(1),
            ))
            .returning(enrollments::id)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e)
                    .naming_duplicate(|| format!("trainee {} is already in cohort {}", new.trainee_id, cohort.code))
            })?;
        Enrollment::find(conn, id)
    }
}

impl Record for Enrollment {
    type Key = EnrollmentId;
    const ENTITY: Entity = Entity::Enrollment;
    const NOUN: &'static str = "enrolment";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: EnrollmentId) -> ApiResult<Enrollment> {
        let row = enrollments::table
            .inner_join(trainees::table)
            .filter(enrollments::id.eq(id))
            .select(ROW_COLUMNS)
            .lookup::<EnrollmentRow>(conn)?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        Ok(with_attendance(conn, vec![row])?.remove(0))
    }

    /// A liaison sees the seated enrolments of cohorts in its partner's programmes, and the
    /// nominations (nominated, accepted, declined) of those whose nominations its partner
    /// reviews; anything else is 404.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: EnrollmentId) -> ApiResult<Enrollment> {
        let seen = Enrollment::find_open_to(conn, caller, id)?.seen_by(caller);
        crate::disclosures::record(conn, caller, "enrollments", [seen.disclosed()])?;
        Ok(seen)
    }
}

impl Enrollment {
    /// The enrolment, whole, if `caller` may see it (as [`Record::find_visible`] decides), else
    /// 404; neither narrowed to what `caller` reads nor recorded as disclosed: for a change made
    /// on `caller`'s behalf, whose answer is narrowed and recorded once for the lot.
    pub(crate) fn find_open_to(conn: &mut DbConnection, caller: &Caller, id: EnrollmentId) -> ApiResult<Enrollment> {
        let enrollment = Enrollment::find(conn, id)?;
        if let Some(partner) = caller.liaison_partner() {
            let visible = match Cohort::find_visible(conn, caller, enrollment.cohort_id) {
                Err(_) => false,
                Ok(_) if enrollment.status.is_seated() => true,
                Ok(cohort) => {
                    DECIDING.contains(&enrollment.status)
                        && crate::programs::partners::reviews_nominations(conn, partner, cohort.program_id)?
                }
            };
            if !visible {
                return Err(ApiError::not_found("enrolment", id));
            }
        }
        Ok(enrollment)
    }

    /// `moved`, read again, as `caller` reads them, recorded as disclosed in one statement: a
    /// bulk move's answer.
    pub(crate) fn seen_after_move(
        conn: &mut DbConnection,
        caller: &Caller,
        moved: &[EnrollmentId],
    ) -> ApiResult<Vec<Enrollment>> {
        let seen = moved
            .iter()
            .map(|&id| Enrollment::find(conn, id).map(|e| e.seen_by(caller)))
            .collect::<ApiResult<Vec<_>>>()?;
        crate::disclosures::record(conn, caller, "enrollments", seen.iter().map(Enrollment::disclosed))?;
        Ok(seen)
    }
}

impl Create for Enrollment {
    type New = CreateEnrollment;
    type Parent = CohortId;
    const CREATED: &'static str = "Created: `enrolled`, `waitlisted` when the cohort is full, or `nominated`";

    /// With the cohort locked, so that seats are counted once per enrolment however many race.
    fn insert(conn: &mut DbConnection, cohort: CohortId, new: CreateEnrollment) -> ApiResult<Enrollment> {
        let cohort = Cohort::find_for_placing(conn, cohort)?;
        Enrollment::place(conn, &cohort, new)
    }

    /// A trainee placed in a seat is invited to the cohort's open rounds.
    fn after_create(conn: &mut DbConnection, actor: &Actor, created: &Enrollment) -> ApiResult<()> {
        if created.status.is_seated() {
            actor.raise(
                conn,
                Event::Seated {
                    cohort: created.cohort_id,
                    enrollment: created.id,
                },
            )?;
        }
        Ok(())
    }
}

impl Store for Enrollment {
    /// Locks the cohort first, then reads the enrolment, so that its status cannot change
    /// between the check and the write.
    fn find_for_change(conn: &mut DbConnection, id: EnrollmentId) -> ApiResult<Enrollment> {
        let cohort_id = Enrollment::find(conn, id)?.cohort_id;
        crate::db::dialect::lock_cohort(conn, cohort_id)?;
        Enrollment::find(conn, id)
    }

    fn store(&self, conn: &mut DbConnection, current: &Enrollment) -> ApiResult<Option<Enrollment>> {
        let updated = diesel::update(
            enrollments::table
                .find(self.id)
                .filter(enrollments::version.eq(current.version)),
        )
        .set((
            enrollments::status.eq(self.status),
            enrollments::waitlisted_at.eq(self.waitlisted_at),
            enrollments::certificate_number.eq(&self.certificate_number),
            enrollments::ended_at.eq(self.ended_at),
            enrollments::end_reason.eq(&self.end_reason),
            enrollments::partner_end_reason.eq(&self.partner_end_reason),
            enrollments::notes.eq(&self.notes),
            enrollments::updated_at.eq(self.updated_at),
            enrollments::version.eq(self.version),
        ))
        .execute(conn)?;
        (updated == 1).then(|| Enrollment::find(conn, self.id)).transpose()
    }

    /// A seat freed by a withdrawal goes to the longest-waiting trainee; and a trainee waitlisted
    /// while seats are free does not wait behind later enrolments.
    fn after_change(
        conn: &mut DbConnection,
        actor: &Actor,
        before: &Enrollment,
        after: Enrollment,
    ) -> ApiResult<Enrollment> {
        if after.status == before.status {
            return Ok(after);
        }
        if after.status == EnrollmentStatus::Completed
            && let Some(number) = &after.certificate_number
        {
            crate::certificates::Certificate::issue(conn, actor, after.id, number)?;
        }
        if after.status.is_seated() && !before.status.is_seated() {
            actor.raise(
                conn,
                Event::Seated {
                    cohort: after.cohort_id,
                    enrollment: after.id,
                },
            )?;
        }
        if after.status.is_seated() {
            // A seat was taken, none freed: the waitlist has nothing to gain.
            return Ok(after);
        }
        let cohort = Cohort::find(conn, after.cohort_id)?;
        let reason = if after.status == EnrollmentStatus::Withdrawn && before.status.is_seated() {
            format!(
                "enrolment {} ({}) withdrew from cohort {}",
                after.id, after.trainee_name, cohort.code
            )
        } else {
            format!(
                "cohort {} had a free seat when enrolment {} became {}",
                cohort.code, after.id, after.status
            )
        };
        let promoted = fill_free_seats(conn, actor, &cohort, &reason)?;
        Ok(promoted.into_iter().find(|e| e.id == after.id).unwrap_or(after))
    }
}

impl Change for Enrollment {
    type Change = UpdateEnrollment;

    /// Checks the move, the seats and the cohort's status (read under the lock), and issues a
    /// certificate number on completion.
    fn patched(&self, conn: &mut DbConnection, change: UpdateEnrollment) -> ApiResult<Enrollment> {
        let mut next = self.clone();
        if let Some(status) = change.status
            && status != self.status
        {
            if !self.status.next().contains(&status) {
                return Err(illegal_transition(
                    &format!("enrolment {}", self.id),
                    self.status,
                    status,
                    self.status.next(),
                ));
            }
            let cohort = Cohort::find(conn, self.cohort_id)?;
            let seats_nominee = self.status == EnrollmentStatus::Nominated
                && matches!(status, EnrollmentStatus::Enrolled | EnrollmentStatus::Waitlisted);
            if status.is_decision() || seats_nominee {
                let reviewed = crate::programs::partners::nominations_reviewed(conn, cohort.program_id)?;
                if status.is_decision() && !reviewed {
                    return Err(ApiError::conflict(
                        "not_reviewed",
                        format!(
                            "no partner of the programme of cohort {} reviews its nominations, so enrolment {} cannot be {status}; \
                             move it to enrolled, waitlisted or rejected (or have the partner link set `reviews_nominations`)",
                            cohort.code, self.id
                        ),
                    ));
                }
                if seats_nominee && reviewed {
                    return Err(ApiError::conflict(
                        "not_accepted",
                        format!(
                            "a partner of the programme of cohort {} reviews its nominations: enrolment {} must be accepted \
                             (`status: accepted`, by the partner's liaison or an officer) before it is {status}",
                            cohort.code, self.id
                        ),
                    ));
                }
            }
            if status == EnrollmentStatus::Declined && change.reason.is_none() {
                return Err(ApiError::invalid(
                    "reason",
                    "required",
                    "say why the nomination is declined; the reason is kept as the enrolment's `end_reason`",
                ));
            }
            if status == EnrollmentStatus::Enrolled {
                check_seat_free(&cohort)?;
            }
            if status == EnrollmentStatus::Waitlisted {
                next.waitlisted_at = Some(crate::clock::now());
            }
            if status == EnrollmentStatus::Completed {
                next.certificate_number = Some(certificate_number(conn, &cohort, self.id)?);
            }
            if status.is_final() {
                let ended = ended_at(&cohort, status);
                next.ended_at = Some(ended);
                next.completed_at = (status == EnrollmentStatus::Completed).then_some(ended);
                next.end_reason = change.reason;
                next.partner_end_reason = change.partner_reason;
            }
            next.status = status;
        }
        next.notes = change.notes.unwrap_or(next.notes);
        Ok(next)
    }

    /// A partner's liaison (who sees only the nominations its partner reviews, through
    /// `find_visible`) accepts or declines a nomination, and changes nothing else.
    fn patched_for(&self, conn: &mut DbConnection, caller: &Caller, change: UpdateEnrollment) -> ApiResult<Enrollment> {
        if caller.liaison_partner().is_some() {
            let decides = change.status.is_some_and(EnrollmentStatus::is_decision);
            if !decides || change.notes.is_some() {
                return Err(ApiError::Forbidden(
                    "a partner's liaison accepts a nomination (`status: accepted`) or declines it (`status: declined`, \
                     with a `reason`); officers make every other change"
                        .to_owned(),
                ));
            }
        }
        self.patched(conn, change)
    }
}

impl List for Enrollment {
    const NOUNS: &'static str = "enrolments";
    type Filters = EnrollmentFilters;
    type Parent = CohortId;

    /// Oldest first. A liaison sees only seated ones.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        cohort: CohortId,
        filters: EnrollmentFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Enrollment>> {
        Cohort::find_visible(conn, caller, cohort)?;
        let liaison = caller.liaison_partner().is_some();
        let query = || {
            let mut query = enrollments::table
                .inner_join(trainees::table)
                .filter(enrollments::cohort_id.eq(cohort))
                .select(ROW_COLUMNS)
                .into_boxed();
            if liaison {
                query = query.filter(enrollments::status.eq_any(SEATED));
            }
            if let Some(status) = filters.status {
                query = query.filter(enrollments::status.eq(status));
            }
            if let Some(trainee) = filters.trainee_id {
                query = query.filter(enrollments::trainee_id.eq(trainee));
            }
            if let Some(from) = filters.ended_from {
                query = query.filter(enrollments::ended_at.ge(from.and_time(chrono::NaiveTime::MIN)));
            }
            if let Some(to) = filters.ended_to.and_then(|to| to.succ_opt()) {
                query = query.filter(enrollments::ended_at.lt(to.and_time(chrono::NaiveTime::MIN)));
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", enrollments::id, |e: &EnrollmentRow| e.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| {
            let seen: Vec<Enrollment> = with_attendance(conn, rows)?
                .into_iter()
                .map(|e| e.seen_by(caller))
                .collect();
            crate::disclosures::record(conn, caller, "enrollments", seen.iter().map(Enrollment::disclosed))?;
            Ok(seen)
        })
    }
}

/// When an enrolment moving to the final `status` ended. A trainee completes (or does not) a
/// course, so that ends when the course did: on the cohort's last day, or for an end known only
/// to the month or the year, on the last day of that month or year (at 00:00 UTC), never later
/// than now; without an end date, now. A withdrawal or a rejection ends when it is made.
fn ended_at(cohort: &Cohort, status: EnrollmentStatus) -> NaiveDateTime {
    let now = crate::clock::now();
    let course_ends = matches!(status, EnrollmentStatus::Completed | EnrollmentStatus::DidNotComplete);
    match cohort.end_date {
        Some(end) if course_ends => end.last_day().and_time(chrono::NaiveTime::MIN).min(now),
        _ => now,
    }
}

/// `<programme code>/<cohort code>/<enrolment id>`: unique because the enrolment id is, and
/// readable on a printed certificate.
fn certificate_number(conn: &mut DbConnection, cohort: &Cohort, id: EnrollmentId) -> ApiResult<String> {
    let program_code: String = cohorts::table
        .inner_join(programs::table)
        .filter(cohorts::id.eq(cohort.id))
        .select(programs::code)
        .first(conn)?;
    Ok(format!("{program_code}/{}/{:05}", cohort.code, id.0))
}
