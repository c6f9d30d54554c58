//! The scheduler: runs the time-based work of `reminders` (and later retention jobs) from every
//! app server at once, each job once at a time.
//!
//! One task on the server's runtime looks every `TPMS_SCHEDULE_TICK_SECS` for due jobs: it claims
//! one for a lease (a committed write), runs it on the blocking pool in one write transaction that
//! also sets the job's next run a tick later, and claims the next until none is due. A job that
//! fails is tried again a tick later, its error kept on its row. What each run did is logged as
//! counts, never a message's body (they hold personal links).

use std::time::Duration;

use chrono::TimeDelta;

use crate::config::ReminderConfig;
use crate::db::Db;
use crate::reminders::{self, Job};

/// How long a claim holds a job: longer than any run, shorter than a server's restart.
const LEASE_SECS: i64 = 300;

/// Start the scheduler on the current runtime, for as long as it runs.
pub fn start(db: Db, config: &ReminderConfig) {
    let scheduler = Scheduler {
        id: format!("scheduler-{}", uuid::Uuid::new_v4().simple()),
        db,
        config: config.clone(),
        tick: Duration::from_secs(u64::from(config.tick_secs.max(1))),
    };
    tracing::info!(tick_secs = config.tick_secs, "schedule: running reminders");
    actix_web::rt::spawn(scheduler.run());
}

struct Scheduler {
    /// What its claims are recorded under.
    id: String,
    db: Db,
    config: ReminderConfig,
    tick: Duration,
}

impl Scheduler {
    async fn run(self) {
        let mut prepared = false;
        loop {
            if !prepared {
                match self.db.write(reminders::prepare).await {
                    Ok(()) => prepared = true,
                    // A database not migrated yet: look again at the next tick.
                    Err(error) => tracing::debug!(%error, "schedule: the jobs' table is not there yet"),
                }
            }
            if prepared {
                self.run_due().await;
            }
            actix_web::rt::time::sleep(self.tick).await;
        }
    }

    /// Run every job that is due now, one after another.
    async fn run_due(&self) {
        let every = TimeDelta::from_std(self.tick).unwrap_or(TimeDelta::seconds(30));
        for _ in 0..Job::ALL.len() {
            let by = self.id.clone();
            let claimed = self
                .db
                .write(move |conn| reminders::claim(conn, &by, TimeDelta::seconds(LEASE_SECS)))
                .await;
            let job = match claimed {
                Ok(Some(job)) => job,
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, "schedule: could not claim a job");
                    return;
                }
            };
            let (by, config) = (self.id.clone(), self.config.clone());
            let ran = self
                .db
                .write(move |conn| reminders::run(conn, job, &by, &config, every))
                .await;
            match ran {
                Ok(done) if done == reminders::Done::default() => {
                    tracing::debug!(job = job.name(), "schedule: nothing due");
                }
                Ok(done) => tracing::info!(
                    job = job.name(),
                    queued = done.queued,
                    without_address = done.without_address,
                    recorded = done.recorded,
                    erased = done.erased,
                    replies_deleted = done.replies_deleted,
                    "schedule: job done"
                ),
                Err(error) => {
                    tracing::warn!(job = job.name(), %error, "schedule: a job failed; it is tried again at the next tick");
                    let by = self.id.clone();
                    let reason = error.to_string();
                    let retry_at = crate::clock::now() + every;
                    if let Err(error) = self
                        .db
                        .write(move |conn| reminders::failed(conn, job, &by, &reason, retry_at))
                        .await
                    {
                        tracing::warn!(job = job.name(), %error, "schedule: could not record a failed run");
                    }
                }
            }
        }
    }
}
