//! A programme's follow-up schedule: how many months after a cohort ends its trainees report on
//! their action plans (3, 6 and 12 unless the programme says otherwise).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::ProgramId;
use crate::programs::Program;
use crate::resource::{self, Expect, Record, Store, Trail};
use crate::schema::follow_up_schedules;

/// The months a programme reports at when it names none.
pub const DEFAULT_MONTHS: [u32; 3] = [3, 6, 12];

/// A programme's follow-up schedule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FollowUpSchedule {
    /// The programme.
    pub program_id: ProgramId,
    /// Months after a cohort's end at which its trainees report, ascending.
    #[schema(example = json!([3, 6, 12]))]
    pub months: Vec<u32>,
    /// Whether these are the defaults (the programme set none).
    pub default: bool,
    /// When it last changed (UTC); none for the defaults.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<NaiveDateTime>,
    /// Increases with every change (0 for the defaults); send it back in `If-Match`.
    pub version: i32,
}

fn months_rule(months: &[u32]) -> Result<(), ValidationError> {
    let ascending = months.windows(2).all(|w| w[0] < w[1]);
    if !months.is_empty() && months.len() <= 12 && ascending && months.iter().all(|m| (1..=120).contains(m)) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid")
            .with_message("1 to 12 distinct months from 1 to 120, ascending, e.g. [3, 6, 12]".into()))
    }
}

/// A programme's follow-up schedule, as a whole.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSchedule {
    /// Months after a cohort's end, ascending.
    #[validate(custom(function = "months_rule"))]
    #[schema(example = json!([3, 6, 12]))]
    pub months: Vec<u32>,
}

/// The months a programme's checkpoints fall at.
pub fn months_of(conn: &mut DbConnection, program: ProgramId) -> ApiResult<Vec<u32>> {
    let stored: Option<String> = follow_up_schedules::table
        .find(program)
        .select(follow_up_schedules::months)
        .lookup(conn)?;
    match stored {
        Some(months) => serde_json::from_str(&months).map_err(ApiError::internal),
        None => Ok(DEFAULT_MONTHS.to_vec()),
    }
}

impl Record for FollowUpSchedule {
    type Key = ProgramId;
    const ENTITY: Entity = Entity::FollowUpSchedule;
    const NOUN: &'static str = "follow-up schedule";

    fn key(&self) -> ProgramId {
        self.program_id
    }
    fn audit_id(&self) -> i64 {
        self.program_id.0
    }
    fn version(&self) -> i32 {
        self.version
    }
    fn stamp(&mut self, version: i32, at: Option<NaiveDateTime>) {
        self.version = version;
        self.updated_at = at.or(self.updated_at);
    }

    /// The stored schedule, or the defaults at version 0; 404 when the programme does not exist.
    fn find(conn: &mut DbConnection, program: ProgramId) -> ApiResult<FollowUpSchedule> {
        Program::find(conn, program)?;
        let stored: Option<(String, NaiveDateTime, i32)> = follow_up_schedules::table
            .find(program)
            .select((
                follow_up_schedules::months,
                follow_up_schedules::updated_at,
                follow_up_schedules::version,
            ))
            .lookup(conn)?;
        Ok(match stored {
            Some((months, updated_at, version)) => FollowUpSchedule {
                program_id: program,
                months: serde_json::from_str(&months).map_err(ApiError::internal)?,
                default: false,
                updated_at: Some(updated_at),
                version,
            },
            None => FollowUpSchedule {
                program_id: program,
                months: DEFAULT_MONTHS.to_vec(),
                default: true,
                updated_at: None,
                version: 0,
            },
        })
    }

    fn find_visible(conn: &mut DbConnection, caller: &Caller, program: ProgramId) -> ApiResult<FollowUpSchedule> {
        Program::find_visible(conn, caller, program)?;
        FollowUpSchedule::find(conn, program)
    }
}

impl Store for FollowUpSchedule {
    /// The first schedule a programme sets is inserted; a later one replaces it.
    fn store(&self, conn: &mut DbConnection, current: &FollowUpSchedule) -> ApiResult<Option<FollowUpSchedule>> {
        let months = serde_json::to_string(&self.months).map_err(ApiError::internal)?;
        let updated_at = self.updated_at.unwrap_or_else(crate::clock::now);
        let written = if current.version == 0 {
            diesel::insert_into(follow_up_schedules::table)
                .values((
                    follow_up_schedules::program_id.eq(self.program_id),
                    follow_up_schedules::months.eq(&months),
                    follow_up_schedules::updated_at.eq(updated_at),
                    follow_up_schedules::version.eq(self.version),
                ))
                .execute(conn)
                .or_else(crate::db::nothing_if_taken)?
        } else {
            diesel::update(
                follow_up_schedules::table
                    .find(self.program_id)
                    .filter(follow_up_schedules::version.eq(current.version)),
            )
            .set((
                follow_up_schedules::months.eq(&months),
                follow_up_schedules::updated_at.eq(updated_at),
                follow_up_schedules::version.eq(self.version),
            ))
            .execute(conn)?
        };
        Ok((written == 1).then(|| self.clone()))
    }
}

impl FollowUpSchedule {
    /// Set a programme's schedule for plans approved from now on (audited); checkpoints already
    /// scheduled keep their dates.
    pub fn set(
        conn: &mut DbConnection,
        caller: &Caller,
        actor: &Actor,
        program: ProgramId,
        expect: &impl Expect,
        new: SetSchedule,
    ) -> ApiResult<FollowUpSchedule> {
        Program::find_visible(conn, caller, program)?;
        resource::act(
            conn,
            actor,
            program,
            expect,
            Trail::Audited,
            |_, before: &FollowUpSchedule| {
                Ok(FollowUpSchedule {
                    months: new.months.clone(),
                    default: false,
                    ..before.clone()
                })
            },
        )
    }
}
