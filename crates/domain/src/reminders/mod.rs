//! Reminders, and the durable schedule they run on.
//!
//! Time-based work is a row of `jobs` per recurring job ([`Job`]), due at its `run_at`. The
//! scheduler of each app server (`src/schedule.rs`) claims a due job for a lease ([`claim`], a
//! committed write of its own), runs it in one write transaction that also sets its next `run_at`
//! and ends the claim ([`run`]), so that of several app servers one runs each job at a time, a
//! server that stops mid-run leaves a claim that runs out, and a restart finds the rows where they
//! were.
//!
//! Each reminder job is a sweep that reads what is due *now* from the records as they stand (a
//! round's `closes_at`, an invitation's status, a plan's link, a checkpoint's due date), so that
//! moving a deadline or reporting needs no rescheduling. What was reminded is a row of
//! `reminders` (kind, record, stage), inserted before the message is queued in the same
//! transaction: a message is queued only when that insert wrote the row, so a reminder goes once
//! whichever server or retry runs the sweep. After downtime a sweep catches up without flooding:
//! of a record's stages that fell due meanwhile only the latest is sent (and every one recorded),
//! and a stage whose moment passed long ago is not sent at all (a round that closed; a checkpoint
//! overdue for more than [`GRACE_DAYS`] beyond its reminder).
//!
//! Every message is written by [`mail::enqueue`], so a recipient without an address gets a
//! `failed` row that the officers' list of failed messages shows (`GET /api/v1/messages?state=failed`).

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use diesel::prelude::*;

use crate::access::Role;
use crate::checkpoints::{CheckpointStatus, SupervisorStatus};
use crate::config::ReminderConfig;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{ActionPlanId, CheckpointId, CohortId, EnrollmentId, InvitationId, RoundId, UserId};
use crate::links::{self, LinkKey};
use crate::mail::compose::{self, Addressee, Course};
use crate::mail::{self, About, MessageKind, MessageState, Outgoing, RecipientRole};
use crate::messages::Lang;
use crate::rounds::{Respondent, RoundStatus};
use crate::schema::{action_plans, enrollments, evaluation_rounds, invitations, jobs, messages, reminders, users};
use crate::statuses::{InvitationStatus, SEATED};
use crate::texts::{Text, format};

/// Days past a stage's moment after which it is no longer sent (a server down for longer, or
/// records older than the reminders): the reminder would come too late to help.
pub const GRACE_DAYS: i64 = 7;

/// Vietnam's offset from UTC (no daylight saving): officers' mornings and checkpoints' days.
const VIETNAM_HOURS: i64 = 7;

/// A recurring job of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Remind trainees who have neither answered nor declined a round before it closes.
    RoundReminders,
    /// Remind trainees who have not submitted their action plan.
    PlanReminders,
    /// Remind trainees (and their supervisors) of a follow-up report coming due, or overdue.
    CheckpointReminders,
    /// Each opted-in officer's morning digest of what fell overdue.
    Digest,
    /// Erase free text and contact details of cohorts whose programme's retention period has
    /// passed (`personal_data::retention`).
    Retention,
    /// Delete every account's replies to keyed requests once they are a day old
    /// (`db::idempotency::purge_expired`): they may hold personal data (a created trainee).
    StoredReplies,
}

impl Job {
    /// Every job, each a row of `jobs`.
    pub const ALL: [Job; 6] = [
        Job::RoundReminders,
        Job::PlanReminders,
        Job::CheckpointReminders,
        Job::Digest,
        Job::Retention,
        Job::StoredReplies,
    ];

    /// Its row's name.
    pub fn name(self) -> &'static str {
        match self {
            Job::RoundReminders => "round_reminders",
            Job::PlanReminders => "plan_reminders",
            Job::CheckpointReminders => "checkpoint_reminders",
            Job::Digest => "digest",
            Job::Retention => "retention",
            Job::StoredReplies => "stored_replies",
        }
    }

    /// The job a row names.
    pub fn named(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|job| job.name() == name)
    }
}

/// What one run of a job did, for the log (never a body: they hold personal links).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// Messages queued.
    pub queued: usize,
    /// Of those, messages to people without an address (`failed` at once, for an officer).
    pub without_address: usize,
    /// Stages recorded as reminded (more than the messages after downtime: the stages a message
    /// covers).
    pub recorded: usize,
    /// Values erased by retention (rows changed, counted per column).
    pub erased: i64,
    /// Stored replies to keyed requests deleted, a day after their request.
    pub replies_deleted: usize,
}

impl Done {
    fn add(&mut self, other: Done) {
        self.queued += other.queued;
        self.without_address += other.without_address;
        self.recorded += other.recorded;
        self.erased += other.erased;
        self.replies_deleted += other.replies_deleted;
    }
}

/// Make the row of every job that has none, due now (app servers starting together make each once).
pub fn prepare(conn: &mut DbConnection) -> ApiResult<()> {
    let now = crate::clock::now();
    let rows: Vec<_> = Job::ALL
        .iter()
        .map(|job| (jobs::name.eq(job.name()), jobs::run_at.eq(now), jobs::runs.eq(0)))
        .collect();
    crate::db::dialect::on_either_backend!(conn, c => diesel::insert_into(jobs::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Claim the due job that has waited longest for `by`, for `lease`; `None` when none is due. Run
/// it in a write transaction of its own (`Db::write`), so the claim is committed before the run.
pub fn claim(conn: &mut DbConnection, by: &str, lease: TimeDelta) -> ApiResult<Option<Job>> {
    let now = crate::clock::now();
    let Some(name) = crate::db::dialect::claim_job(conn, by, now, now + lease)? else {
        return Ok(None);
    };
    match Job::named(&name) {
        Some(job) => Ok(Some(job)),
        None => {
            // A job a newer version added: leave it to the servers that know it.
            release(
                conn,
                &name,
                by,
                now + TimeDelta::hours(1),
                Some("unknown to this version"),
            )?;
            Ok(None)
        }
    }
}

/// Run `job`, claimed by `by`, and set its next run `every` from now (retention: a day; stored replies: an hour), in the caller's write
/// transaction (`Db::write`): the reminders it records, the messages it queues and its next run
/// commit together. 409 `claim_lost` (and nothing kept) when the claim ran out and another server
/// took the job meanwhile.
pub fn run(conn: &mut DbConnection, job: Job, by: &str, config: &ReminderConfig, every: TimeDelta) -> ApiResult<Done> {
    let now = crate::clock::now();
    // Retention counts in months: once a day is enough, and spares every tick a sweep of the cohorts.
    // Stored replies are kept a day: an hour more at most is close enough, and spares every tick a
    // write of the job's row.
    let every = match job {
        Job::Retention => TimeDelta::days(1),
        Job::StoredReplies => TimeDelta::hours(1),
        _ => every,
    };
    let done = match job {
        Job::RoundReminders => round_reminders(conn, config, now)?,
        Job::PlanReminders => plan_reminders(conn, config, now)?,
        Job::CheckpointReminders => checkpoint_reminders(conn, config, now)?,
        Job::Digest => digest(conn, config, now)?,
        Job::Retention => {
            let actor = crate::personal_data::retention::actor();
            let run = crate::personal_data::retention::run(conn, &actor, vietnam_today(now), false)?;
            Done {
                erased: run.rows(),
                ..Done::default()
            }
        }
        Job::StoredReplies => Done {
            replies_deleted: crate::db::idempotency::purge_expired(conn, now)?,
            ..Done::default()
        },
    };
    let finished = diesel::update(
        jobs::table
            .filter(jobs::name.eq(job.name()))
            .filter(jobs::claimed_by.eq(by)),
    )
    .set((
        jobs::run_at.eq(now + every),
        jobs::claimed_until.eq(None::<NaiveDateTime>),
        jobs::claimed_by.eq(None::<String>),
        jobs::last_finished_at.eq(now),
        jobs::last_error.eq(None::<String>),
        jobs::runs.eq(jobs::runs + 1),
    ))
    .execute(conn)?;
    if finished != 1 {
        return Err(ApiError::conflict(
            "claim_lost",
            format!("job {} was taken by another server while this one ran it", job.name()),
        ));
    }
    Ok(done)
}

/// A run of `job` failed: record why, end the claim and try again at `retry_at`.
pub fn failed(conn: &mut DbConnection, job: Job, by: &str, error: &str, retry_at: NaiveDateTime) -> ApiResult<()> {
    release(conn, job.name(), by, retry_at, Some(error))
}

fn release(conn: &mut DbConnection, name: &str, by: &str, run_at: NaiveDateTime, error: Option<&str>) -> ApiResult<()> {
    diesel::update(jobs::table.filter(jobs::name.eq(name)).filter(jobs::claimed_by.eq(by)))
        .set((
            jobs::run_at.eq(run_at),
            jobs::claimed_until.eq(None::<NaiveDateTime>),
            jobs::claimed_by.eq(None::<String>),
            jobs::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Record that `kind` was reminded of `subject` at `stage`: whether this call wrote the row (a
/// reminder recorded already, by this server or another, writes none).
fn record(conn: &mut DbConnection, kind: &str, subject: i64, stage: &str, now: NaiveDateTime) -> ApiResult<bool> {
    let row = (
        reminders::kind.eq(kind),
        reminders::subject_id.eq(subject),
        reminders::stage.eq(stage),
        reminders::created_at.eq(now),
    );
    let written = crate::db::dialect::on_either_backend!(conn, c => diesel::insert_into(reminders::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(written == 1)
}

/// Queue `outgoing` and count it.
fn send(conn: &mut DbConnection, key: &LinkKey, outgoing: Vec<Outgoing>, recorded: usize) -> ApiResult<Done> {
    let without_address = outgoing
        .iter()
        .filter(|m| m.email.as_deref().is_none_or(|e| e.trim().is_empty()))
        .count();
    let queued = mail::enqueue(conn, outgoing, &key.mail_domain())?;
    Ok(Done {
        queued,
        without_address,
        recorded,
        ..Done::default()
    })
}

fn days(n: u16) -> TimeDelta {
    TimeDelta::days(i64::from(n))
}

/// Today in Vietnam.
fn vietnam_today(now: NaiveDateTime) -> NaiveDate {
    (now + TimeDelta::hours(VIETNAM_HOURS)).date()
}

/// Remind the trainees of each open round who have neither answered nor declined, at each of
/// `round_days` before it closes. Of the stages due at once (after downtime) only the latest is
/// sent; a stage whose moment came before the trainee's link was issued is not sent (the
/// invitation itself, just sent, says when the round closes).
fn round_reminders(conn: &mut DbConnection, config: &ReminderConfig, now: NaiveDateTime) -> ApiResult<Done> {
    let mut stages: Vec<u16> = config.round_days.iter().copied().filter(|d| *d > 0).collect();
    stages.sort_unstable();
    stages.dedup();
    let Some(&widest) = stages.last() else {
        return Ok(Done::default());
    };
    let rounds: Vec<(RoundId, CohortId, String, Option<NaiveDateTime>)> = evaluation_rounds::table
        .filter(evaluation_rounds::status.eq(RoundStatus::Open))
        .filter(evaluation_rounds::respondent.eq(Respondent::Trainee))
        .filter(evaluation_rounds::closes_at.gt(now))
        .filter(evaluation_rounds::closes_at.le(now + days(widest)))
        .order(evaluation_rounds::id)
        .select((
            evaluation_rounds::id,
            evaluation_rounds::cohort_id,
            evaluation_rounds::title,
            evaluation_rounds::closes_at,
        ))
        .load(conn)?;
    let mut done = Done::default();
    if rounds.is_empty() {
        return Ok(done);
    }
    let key = LinkKey::load(conn)?;
    for (round, cohort, title, closes_at) in rounds {
        let Some(closes_at) = closes_at else { continue };
        // The stages due now, the latest (fewest days before closing) first.
        let due: Vec<u16> = stages.iter().copied().filter(|d| closes_at - days(*d) <= now).collect();
        if due.is_empty() {
            continue;
        }
        let pending: Vec<(InvitationId, EnrollmentId, String, NaiveDateTime)> = invitations::table
            .filter(invitations::round_id.eq(round))
            .filter(invitations::status.eq(InvitationStatus::Pending))
            .order(invitations::id)
            .select((
                invitations::id,
                invitations::enrollment_id,
                invitations::nonce,
                invitations::issued_at,
            ))
            .load(conn)?;
        let mut chosen = Vec::new();
        let mut recorded = 0;
        for (invitation, enrollment, nonce, issued_at) in pending {
            let stages_here: Vec<u16> = due
                .iter()
                .copied()
                .filter(|d| issued_at < closes_at - days(*d))
                .collect();
            let Some(&latest) = stages_here.first() else { continue };
            let mut latest_new = false;
            for d in &stages_here {
                let new = record(conn, "round", invitation.0, &format!("{d}d"), now)?;
                recorded += usize::from(new);
                latest_new |= new && *d == latest;
            }
            if latest_new {
                chosen.push((enrollment, nonce));
            }
        }
        if chosen.is_empty() {
            done.recorded += recorded;
            continue;
        }
        let course = Course::of(conn, cohort)?;
        let enrolments: Vec<EnrollmentId> = chosen.iter().map(|(e, _)| *e).collect();
        let mut addressees = Addressee::of_enrollments(conn, &enrolments)?;
        let mut outgoing = Vec::with_capacity(chosen.len());
        for (enrollment, nonce) in chosen {
            let Some(to) = addressees.remove(&enrollment) else {
                continue;
            };
            let link = key.page_or_path(&links::path(&key.token(round, enrollment, &nonce)?));
            let lang = to.language;
            let deadline = compose::deadline(Some(closes_at), lang);
            let values = [
                ("program", course.program.as_str()),
                ("cohort", course.cohort.as_str()),
                ("round", title.as_str()),
                ("deadline", deadline.as_str()),
                ("link", link.as_str()),
            ];
            outgoing.push(compose::to_trainee(
                MessageKind::RoundReminder,
                &course,
                &to,
                Text::MailRoundReminderSubject.fill(lang, &values),
                &Text::MailRoundReminderBody.fill(lang, &values),
                About {
                    round: Some(round),
                    ..About::default()
                },
            ));
        }
        done.add(send(conn, &key, outgoing, recorded)?);
    }
    Ok(done)
}

/// A draft plan whose link waited: its id, enrolment, cohort, link nonce and when the link was given.
type PlanDue = (
    ActionPlanId,
    EnrollmentId,
    CohortId,
    Option<String>,
    Option<NaiveDateTime>,
);

/// Remind each seated trainee whose action plan's link was given `plan_days` ago and who has not
/// submitted it, once per link given (a new link, or the plan sent back, starts the wait again).
fn plan_reminders(conn: &mut DbConnection, config: &ReminderConfig, now: NaiveDateTime) -> ApiResult<Done> {
    if config.plan_days == 0 {
        return Ok(Done::default());
    }
    let cutoff = now - days(config.plan_days);
    let plans: Vec<PlanDue> = action_plans::table
        .inner_join(enrollments::table)
        .filter(action_plans::status.eq(crate::action_plans::PlanStatus::Draft))
        .filter(action_plans::link_nonce.is_not_null())
        .filter(action_plans::link_issued_at.le(cutoff))
        .filter(action_plans::link_issued_at.gt(cutoff - TimeDelta::days(GRACE_DAYS)))
        .filter(enrollments::status.eq_any(SEATED))
        .order(action_plans::id)
        .select((
            action_plans::id,
            action_plans::enrollment_id,
            enrollments::cohort_id,
            action_plans::link_nonce,
            action_plans::link_issued_at,
        ))
        .load(conn)?;
    let mut done = Done::default();
    if plans.is_empty() {
        return Ok(done);
    }
    let key = LinkKey::load(conn)?;
    let days_text = config.plan_days.to_string();
    for (plan, enrollment, cohort, nonce, issued_at) in plans {
        let (Some(nonce), Some(issued_at)) = (nonce, issued_at) else {
            continue;
        };
        let stage = format!("link-{}", issued_at.format("%Y%m%dT%H%M%S%.6f"));
        if !record(conn, "plan", plan.0, &stage, now)? {
            continue;
        }
        let course = Course::of(conn, cohort)?;
        let to = Addressee::of_enrollment(conn, enrollment)?;
        let link = key.page_or_path(&crate::action_plans::link_path(&key, plan, &nonce)?);
        let lang = to.language;
        let values = [
            ("program", course.program.as_str()),
            ("cohort", course.cohort.as_str()),
            ("days", days_text.as_str()),
            ("link", link.as_str()),
        ];
        let message = compose::to_trainee(
            MessageKind::PlanReminder,
            &course,
            &to,
            Text::MailPlanReminderSubject.fill(lang, &values),
            &Text::MailPlanReminderBody.fill(lang, &values),
            About::default(),
        );
        done.add(send(conn, &key, vec![message], 1)?);
    }
    Ok(done)
}

/// Remind the trainee of each checkpoint not reported, `checkpoint_before_days` before it is due
/// (stage `before`, while it is not yet overdue) and `checkpoint_overdue_days` after (stage
/// `overdue`, for [`GRACE_DAYS`] more), and the supervisor the plan names, with an address and
/// not yet answered, alike.
fn checkpoint_reminders(conn: &mut DbConnection, config: &ReminderConfig, now: NaiveDateTime) -> ApiResult<Done> {
    use crate::schema::checkpoints;
    let today = vietnam_today(now);
    let mut due: Vec<(CheckpointId, &str)> = Vec::new();
    if config.checkpoint_before_days > 0 {
        let ids: Vec<CheckpointId> = checkpoints::table
            .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
            .filter(checkpoints::due_on.ge(today))
            .filter(checkpoints::due_on.le(today + days(config.checkpoint_before_days)))
            .order(checkpoints::id)
            .select(checkpoints::id)
            .load(conn)?;
        due.extend(ids.into_iter().map(|id| (id, "before")));
    }
    if config.checkpoint_overdue_days > 0 {
        let latest = today - days(config.checkpoint_overdue_days);
        let ids: Vec<CheckpointId> = checkpoints::table
            .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
            .filter(checkpoints::due_on.le(latest))
            .filter(checkpoints::due_on.gt(latest - TimeDelta::days(GRACE_DAYS)))
            .order(checkpoints::id)
            .select(checkpoints::id)
            .load(conn)?;
        due.extend(ids.into_iter().map(|id| (id, "overdue")));
    }
    let mut done = Done::default();
    if due.is_empty() {
        return Ok(done);
    }
    let key = LinkKey::load(conn)?;
    for (id, stage) in due {
        let trainee_new = record(conn, "checkpoint", id.0, stage, now)?;
        let supervisor_new = record(conn, "supervisor", id.0, stage, now)?;
        if !trainee_new && !supervisor_new {
            continue;
        }
        let checkpoint = crate::checkpoints::with_links(conn, &key, id)?;
        let course = Course::of(conn, checkpoint.cohort_id)?;
        let months = checkpoint.months.to_string();
        let mut outgoing = Vec::new();
        if trainee_new {
            let to = Addressee::of_enrollment(conn, checkpoint.enrollment_id)?;
            let lang = to.language;
            let link = checkpoint
                .link
                .as_deref()
                .map(|l| key.page_or_path(l))
                .unwrap_or_default();
            let due_on = format::date(checkpoint.due_on, lang);
            let values = [
                ("program", course.program.as_str()),
                ("cohort", course.cohort.as_str()),
                ("months", months.as_str()),
                ("due", due_on.as_str()),
                ("link", link.as_str()),
            ];
            let subject = if stage == "overdue" {
                Text::MailCheckpointOverdueSubject
            } else {
                Text::MailCheckpointDueSubject
            };
            outgoing.push(compose::to_trainee(
                MessageKind::CheckpointReminder,
                &course,
                &to,
                subject.fill(lang, &values),
                &Text::MailCheckpointBody.fill(lang, &values),
                About::default(),
            ));
        }
        let answered = matches!(
            checkpoint.supervisor_status,
            SupervisorStatus::Confirmed | SupervisorStatus::NotConfirmed
        );
        if supervisor_new && !answered {
            let supervisor: Option<(Option<String>, Option<String>)> = action_plans::table
                .find(checkpoint.plan_id)
                .select((action_plans::supervisor_name, action_plans::supervisor_email))
                .lookup(conn)?;
            if let Some((Some(name), Some(email))) = supervisor {
                // Supervisors are written to in Vietnamese: the service knows no other language of theirs.
                let lang = Lang::Vi;
                let link = match checkpoint.supervisor_link.as_deref() {
                    Some(link) => key.page_or_path(link),
                    None => Text::MailSupervisorNoLink.get(lang).to_owned(),
                };
                let due_on = format::date(checkpoint.due_on, lang);
                let values = [
                    ("trainee", checkpoint.trainee_name.as_str()),
                    ("program", course.program.as_str()),
                    ("cohort", course.cohort.as_str()),
                    ("months", months.as_str()),
                    ("due", due_on.as_str()),
                    ("link", link.as_str()),
                ];
                let trainee = Addressee::of_enrollment(conn, checkpoint.enrollment_id)?.trainee;
                outgoing.push(Outgoing {
                    kind: MessageKind::SupervisorReminder,
                    role: RecipientRole::Supervisor,
                    name: name.clone(),
                    email: Some(email),
                    language: lang,
                    subject: Text::MailSupervisorReminderSubject.fill(lang, &values),
                    body: compose::letter(lang, &name, &Text::MailSupervisorReminderBody.fill(lang, &values)),
                    calendar: None,
                    about: About {
                        program: Some(course.program_id),
                        cohort: Some(course.cohort_id),
                        trainee: Some(trainee),
                        ..About::default()
                    },
                });
            }
        }
        let recorded = usize::from(trainee_new) + usize::from(supervisor_new);
        done.add(send(conn, &key, outgoing, recorded)?);
    }
    Ok(done)
}

/// What fell overdue in a stretch of time, as a digest counts it.
#[derive(Debug, Default)]
struct Overdue {
    checkpoints: i64,
    rounds: Vec<(RoundId, i64)>,
    plans: i64,
    without_address: i64,
}

impl Overdue {
    fn total(&self) -> i64 {
        self.checkpoints + i64::try_from(self.rounds.len()).unwrap_or(i64::MAX) + self.plans + self.without_address
    }
}

/// What fell overdue after `since` and up to `now`: checkpoints whose due date passed unreported,
/// rounds that closed with invitations unanswered, plans not submitted `plan_days` after their
/// link, and messages that could not go for want of an address.
fn overdue_since(
    conn: &mut DbConnection,
    config: &ReminderConfig,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> ApiResult<Overdue> {
    use crate::schema::checkpoints;
    let today = vietnam_today(now);
    let from = vietnam_today(since);
    let checkpoints: i64 = checkpoints::table
        .filter(checkpoints::status.eq(CheckpointStatus::Scheduled))
        .filter(checkpoints::due_on.ge(from))
        .filter(checkpoints::due_on.lt(today))
        .count()
        .get_result(conn)?;
    let rounds: Vec<(RoundId, i64)> = evaluation_rounds::table
        .inner_join(invitations::table)
        .filter(evaluation_rounds::respondent.eq(Respondent::Trainee))
        .filter(evaluation_rounds::status.ne(RoundStatus::Draft))
        .filter(evaluation_rounds::closes_at.gt(since))
        .filter(evaluation_rounds::closes_at.le(now))
        .filter(invitations::status.eq(InvitationStatus::Pending))
        .group_by(evaluation_rounds::id)
        .order(evaluation_rounds::id)
        .select((evaluation_rounds::id, diesel::dsl::count_star()))
        .load(conn)?;
    let plans: i64 = if config.plan_days == 0 {
        0
    } else {
        action_plans::table
            .filter(action_plans::status.eq(crate::action_plans::PlanStatus::Draft))
            .filter(action_plans::link_nonce.is_not_null())
            .filter(action_plans::link_issued_at.gt(since - days(config.plan_days)))
            .filter(action_plans::link_issued_at.le(now - days(config.plan_days)))
            .count()
            .get_result(conn)?
    };
    let without_address: i64 = messages::table
        .filter(messages::state.eq(MessageState::Failed))
        .filter(messages::recipient_email.is_null())
        .filter(messages::created_at.gt(since))
        .filter(messages::created_at.le(now))
        .count()
        .get_result(conn)?;
    Ok(Overdue {
        checkpoints,
        rounds,
        plans,
        without_address,
    })
}

/// Each active admin's and officer's digest that asked for one, once a day at or after
/// `digest_hour` in Vietnam: what fell overdue since their last digest (the day before, for the
/// first), in Vietnamese. Nothing is sent on a day nothing fell overdue.
fn digest(conn: &mut DbConnection, config: &ReminderConfig, now: NaiveDateTime) -> ApiResult<Done> {
    let local = now + TimeDelta::hours(VIETNAM_HOURS);
    if local.hour() < u32::from(config.digest_hour) {
        return Ok(Done::default());
    }
    let day = local.date().to_string();
    let readers: Vec<(UserId, String, String)> = users::table
        .filter(users::active.eq(true))
        .filter(users::daily_digest.eq(true))
        .filter(users::role.eq_any([Role::Admin, Role::Officer]))
        .order(users::id)
        .select((users::id, users::display_name, users::email))
        .load(conn)?;
    let mut done = Done::default();
    if readers.is_empty() {
        return Ok(done);
    }
    let key = LinkKey::load(conn)?;
    for (user, name, email) in readers {
        let last: Option<Option<NaiveDateTime>> = reminders::table
            .filter(reminders::kind.eq("digest"))
            .filter(reminders::subject_id.eq(user.0))
            .select(diesel::dsl::max(reminders::created_at))
            .lookup(conn)?;
        let last = last.flatten();
        if last.is_some_and(|at| vietnam_today(at) == local.date()) {
            continue;
        }
        if !record(conn, "digest", user.0, &day, now)? {
            continue;
        }
        let since = last.unwrap_or(now - TimeDelta::days(1));
        let overdue = overdue_since(conn, config, since, now)?;
        done.recorded += 1;
        if overdue.total() == 0 {
            continue;
        }
        let message = digest_message(config, (user, &name, &email), &overdue, since, local.date());
        done.add(send(conn, &key, vec![message], 0)?);
    }
    Ok(done)
}

/// An officer's digest, in Vietnamese: a line with a count and where to look for each kind of
/// thing that fell overdue.
fn digest_message(
    config: &ReminderConfig,
    to: (UserId, &str, &str),
    overdue: &Overdue,
    since: NaiveDateTime,
    day: NaiveDate,
) -> Outgoing {
    // Officers are written to in Vietnamese: accounts record no language.
    let lang = Lang::Vi;
    let (user, name, email) = to;
    let (since_date, since_time) = format::instant(since, lang);
    let mut lines = vec![Text::MailDigestIntro.fill(lang, &[("since", &format!("{since_time} {since_date}"))])];
    if overdue.checkpoints > 0 {
        lines.push(Text::MailDigestCheckpoints.fill(
            lang,
            &[
                ("count", &overdue.checkpoints.to_string()),
                ("where", "GET /api/v1/follow-ups?status=overdue"),
            ],
        ));
    }
    if !overdue.rounds.is_empty() {
        let pending: i64 = overdue.rounds.iter().map(|(_, n)| n).sum();
        let places: Vec<String> = overdue
            .rounds
            .iter()
            .take(10)
            .map(|(round, _)| format!("GET /api/v1/rounds/{round}/invitations?status=expired"))
            .collect();
        lines.push(Text::MailDigestRounds.fill(
            lang,
            &[
                ("count", &overdue.rounds.len().to_string()),
                ("pending", &pending.to_string()),
                ("where", &places.join(", ")),
            ],
        ));
    }
    if overdue.plans > 0 {
        lines.push(Text::MailDigestPlans.fill(
            lang,
            &[
                ("count", &overdue.plans.to_string()),
                ("days", &config.plan_days.to_string()),
                ("where", "GET /api/v1/cohorts/{id}/action-plans?status=draft"),
            ],
        ));
    }
    if overdue.without_address > 0 {
        lines.push(Text::MailDigestNoAddress.fill(
            lang,
            &[
                ("count", &overdue.without_address.to_string()),
                ("where", "GET /api/v1/messages?state=failed"),
            ],
        ));
    }
    lines.push(String::new());
    lines.push(Text::MailDigestOutro.get(lang).to_owned());
    Outgoing {
        kind: MessageKind::Digest,
        role: RecipientRole::Officer,
        name: name.to_owned(),
        email: Some(email.to_owned()),
        language: lang,
        subject: Text::MailDigestSubject.fill(
            lang,
            &[
                ("date", &format::date(day, lang)),
                ("count", &overdue.total().to_string()),
            ],
        ),
        body: compose::letter(lang, name, &lines.join("\n")),
        calendar: None,
        about: About {
            user: Some(user),
            ..About::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_found_by_its_name() {
        for job in Job::ALL {
            assert_eq!(Job::named(job.name()), Some(job));
        }
        assert_eq!(Job::named("no-such-job"), None);
    }

    #[test]
    fn vietnam_turns_the_day_at_five_in_the_afternoon_utc() {
        let at = |h| {
            NaiveDate::from_ymd_opt(2026, 12, 9)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .unwrap_or_default()
        };
        assert_eq!(vietnam_today(at(16)).to_string(), "2026-12-09");
        assert_eq!(vietnam_today(at(17)).to_string(), "2026-12-10");
    }
}
