//! A programme's follow-up schedule: how many months after a cohort ends its trainees report on
//! their action plans (3, 6 and 12 unless the programme says otherwise).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::ProgramId;
use crate::programs::Program;
use crate::resource::{Expect, Record};
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

impl FollowUpSchedule {
    /// The schedule of a programme a caller may see.
    pub fn find(conn: &mut DbConnection, caller: &Caller, program: ProgramId) -> ApiResult<FollowUpSchedule> {
        Program::find_visible(conn, caller, program)?;
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
        let before = FollowUpSchedule::find(conn, caller, program)?;
        expect.check(before.version)?;
        let months = serde_json::to_string(&new.months).map_err(ApiError::internal)?;
        let now = crate::clock::now();
        if before.version == 0 {
            diesel::insert_into(follow_up_schedules::table)
                .values((
                    follow_up_schedules::program_id.eq(program),
                    follow_up_schedules::months.eq(&months),
                    follow_up_schedules::updated_at.eq(now),
                    follow_up_schedules::version.eq(1),
                ))
                .execute(conn)
                .map_err(|e| {
                    ApiError::from(e)
                        .naming_duplicate(|| "the schedule was set while this request ran; fetch it again".to_owned())
                })?;
        } else {
            let updated = diesel::update(
                follow_up_schedules::table
                    .find(program)
                    .filter(follow_up_schedules::version.eq(before.version)),
            )
            .set((
                follow_up_schedules::months.eq(&months),
                follow_up_schedules::updated_at.eq(now),
                follow_up_schedules::version.eq(before.version + 1),
            ))
            .execute(conn)?;
            if updated != 1 {
                return Err(ApiError::PreconditionFailed(
                    "the schedule changed while this request ran; fetch it again and retry".to_owned(),
                ));
            }
        }
        let after = FollowUpSchedule::find(conn, caller, program)?;
        audit::record(
            conn,
            actor,
            Event::changed(Entity::FollowUpSchedule, program.0, &before, &after),
        )?;
        Ok(after)
    }
}
