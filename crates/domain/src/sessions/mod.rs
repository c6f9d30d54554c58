//! Sessions of a cohort: lectures, study visits, seminars, workshops, evaluation seminars and
//! ceremonies, each with its time, venue time zone, place and speaker.
//!
//! A session always has a local `date` at its venue. When the time is known, `starts_at` (UTC)
//! gives it and the date follows from it in the session's `time_zone`; when the sources give
//! only the day or the month, the date stands alone at that precision and no time is invented.
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

pub mod calendar;
mod input;
pub mod notices;

pub use input::{CreateSession, SessionFilters, SessionTime, UpdateSession};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::cohorts::Cohort;
use crate::dates::{DatePrecision, PartialDate};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::ids::{CohortId, PartnerId, SessionId, text_enum};
use crate::resource::list::keyset::NullsLast;
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{attendance, checkpoints, evaluation_rounds, partners, sessions};

text_enum!(
    /// What kind of session it is.
    SessionKind {
        /// A taught lecture.
        Lecture,
        /// A visit to see practice on site.
        StudyVisit,
        /// A seminar.
        Seminar,
        /// A hands-on workshop.
        Workshop,
        /// A seminar that evaluates the training afterwards.
        EvaluationSeminar,
        /// An opening, closing or award ceremony.
        Ceremony,
    }
);

/// A session as stored.
#[derive(Debug, Queryable)]
struct SessionRow {
    id: SessionId,
    cohort_id: CohortId,
    title: String,
    kind: SessionKind,
    session_date: NaiveDate,
    date_precision: DatePrecision,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    time_zone: String,
    location: Option<String>,
    speaker_name: Option<String>,
    speaker_title: Option<String>,
    speaker_partner_id: Option<PartnerId>,
    language: Option<String>,
    description: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    speaker_affiliation: Option<String>,
    source: Option<String>,
    seed_key: Option<String>,
    _seed_data: Option<String>,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
    sources: Option<String>,
}

/// A session of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: SessionId,
    /// The cohort.
    pub cohort_id: CohortId,
    /// Title of the talk or activity.
    pub title: String,
    /// Kind.
    pub kind: SessionKind,
    /// Local date at the venue: a day, or only the month when that is all that is known.
    pub date: PartialDate,
    /// Its last day, for a session over several days (a seminar on the 16th and 17th); `null` for
    /// one held on `date` alone.
    pub end_date: Option<PartialDate>,
    /// Start (UTC), when the time is known.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<NaiveDateTime>,
    /// End (UTC), when known.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<NaiveDateTime>,
    /// Start on the venue's clock, with the venue's offset (`2024-09-20T09:30:00+09:00`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at_local: Option<String>,
    /// End on the venue's clock, with the venue's offset.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at_local: Option<String>,
    /// IANA time zone of the venue, for showing local time.
    #[schema(example = "Asia/Tokyo")]
    pub time_zone: String,
    /// Venue.
    pub location: Option<String>,
    /// Who speaks or leads it.
    pub speaker_name: Option<String>,
    /// The speaker's title or position.
    pub speaker_title: Option<String>,
    /// The organisation the speaker comes from, as written.
    pub speaker_affiliation: Option<String>,
    /// The partner organisation the speaker comes from.
    pub speaker_partner_id: Option<PartnerId>,
    /// Language, ISO 639 (`vi`, `ja`, `fr`, `en`).
    pub language: Option<String>,
    /// Free description.
    pub description: Option<String>,
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
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    pub source: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    pub(crate) seed_key: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: row.id,
            cohort_id: row.cohort_id,
            title: row.title,
            kind: row.kind,
            date: PartialDate::from_columns(row.session_date, row.date_precision),
            end_date: row
                .end_date
                .map(|d| PartialDate::from_columns(d, row.end_precision.unwrap_or(DatePrecision::Day))),
            starts_at_local: on_clock(row.starts_at, &row.time_zone),
            ends_at_local: on_clock(row.ends_at, &row.time_zone),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            time_zone: row.time_zone,
            location: row.location,
            speaker_name: row.speaker_name,
            speaker_title: row.speaker_title,
            speaker_affiliation: row.speaker_affiliation,
            speaker_partner_id: row.speaker_partner_id,
            language: row.language,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            source: row.source,
            sources: row.sources.into(),
            seed_key: row.seed_key,
        }
    }
}

/// Every stored column but the id.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = sessions, treat_none_as_null = true)]
struct SessionFields {
    cohort_id: CohortId,
    title: String,
    kind: SessionKind,
    session_date: NaiveDate,
    date_precision: DatePrecision,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    time_zone: String,
    location: Option<String>,
    speaker_name: Option<String>,
    speaker_title: Option<String>,
    speaker_affiliation: Option<String>,
    speaker_partner_id: Option<PartnerId>,
    language: Option<String>,
    description: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    end_date: Option<NaiveDate>,
    end_precision: Option<DatePrecision>,
}

impl SessionFields {
    fn of(s: &Session) -> Self {
        Self {
            cohort_id: s.cohort_id,
            title: s.title.clone(),
            kind: s.kind,
            session_date: s.date.first_day,
            date_precision: s.date.precision,
            end_date: s.end_date.map(|d| d.first_day),
            end_precision: s.end_date.map(|d| d.precision),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            time_zone: s.time_zone.clone(),
            location: s.location.clone(),
            speaker_name: s.speaker_name.clone(),
            speaker_title: s.speaker_title.clone(),
            speaker_affiliation: s.speaker_affiliation.clone(),
            speaker_partner_id: s.speaker_partner_id,
            language: s.language.clone(),
            description: s.description.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// `at` (UTC) on the clock of `zone`, with its offset; UTC for a zone that no longer parses.
fn on_clock(at: Option<NaiveDateTime>, zone: &str) -> Option<String> {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    at.map(|t| t.and_utc().with_timezone(&tz).to_rfc3339())
}

/// The instant of a session time sent as `field`, read in `zone`; 422 naming the field when the
/// venue's clock skips it.
fn instant_of(field: &str, time: SessionTime, zone: &str) -> ApiResult<NaiveDateTime> {
    let instant = time
        .at(zone)
        .map(|t| crate::clock::utc(&t))
        .map_err(|detail| ApiError::Validation(vec![FieldError::new(field, "not_a_local_time", detail)]))?;
    // Shown both in UTC and on the venue's clock: each must stay in the years a client reads.
    let shown = [Some(instant.and_utc().to_rfc3339()), on_clock(Some(instant), zone)];
    if let Some(problem) = shown.iter().flatten().find_map(|t| crate::dates::year_out_of_range(t)) {
        return Err(ApiError::Validation(vec![FieldError::new(
            field,
            "date_out_of_range",
            problem,
        )]));
    }
    Ok(instant)
}

/// The rules across fields: a date or a start; a date that agrees with the start in the venue's
/// time zone (filled in from it when left out); an end only after a start; a speaker partner
/// that exists.
fn settle(conn: &mut DbConnection, mut s: Session, date_given: bool) -> ApiResult<Session> {
    let mut errors = Vec::new();
    if let Some(start) = s.starts_at {
        // The time zone was validated; a stored one that no longer parses falls back to UTC.
        let tz: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let local = start.and_utc().with_timezone(&tz).date_naive();
        let agrees = local >= s.date.first_day && local <= s.date.last_day();
        if date_given && !agrees {
            errors.push(FieldError::new(
                "date",
                "disagrees_with_starts_at",
                format!("starts_at falls on {local} in {}, not on {}", s.time_zone, s.date),
            ));
        }
        s.date = PartialDate::day(local);
    }
    s.starts_at_local = on_clock(s.starts_at, &s.time_zone);
    s.ends_at_local = on_clock(s.ends_at, &s.time_zone);
    if let Some(end) = s.end_date
        && end.last_day() <= s.date.last_day()
    {
        errors.push(FieldError::new(
            "end_date",
            "not_after_date",
            format!(
                "must be a later day than date ({}); leave it out for a one-day session",
                s.date
            ),
        ));
    }
    match (s.starts_at, s.ends_at) {
        (None, Some(_)) => errors.push(FieldError::new(
            "ends_at",
            "needs_starts_at",
            "give starts_at with ends_at",
        )),
        (Some(start), Some(end)) if end <= start => errors.push(FieldError::new(
            "ends_at",
            "not_after_starts_at",
            format!("must be after starts_at ({})", start.and_utc().to_rfc3339()),
        )),
        _ => {}
    }
    if let Some(partner) = s.speaker_partner_id {
        let exists: bool = diesel::select(diesel::dsl::exists(partners::table.find(partner))).get_result(conn)?;
        if !exists {
            errors.push(FieldError::new(
                "speaker_partner_id",
                "not_found",
                format!("there is no partner {partner}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl Record for Session {
    type Key = SessionId;
    const ENTITY: Entity = Entity::Session;
    const NOUN: &'static str = "session";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: SessionId) -> ApiResult<Session> {
        Ok(sessions::table
            .find(id)
            .lookup::<SessionRow>(conn)?
            .ok_or_else(|| ApiError::not_found("session", id))?
            .into())
    }

    /// 404 unless `caller` may see the session's cohort.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: SessionId) -> ApiResult<Session> {
        let session = Session::find(conn, id)?;
        Cohort::find_visible(conn, caller, session.cohort_id).map_err(|_| ApiError::not_found("session", id))?;
        Ok(session)
    }
}

impl Create for Session {
    type New = CreateSession;
    type Parent = CohortId;

    fn insert(conn: &mut DbConnection, cohort: CohortId, new: CreateSession) -> ApiResult<Session> {
        Cohort::find(conn, cohort)?;
        let now = crate::clock::now();
        let date = crate::dates::parse_field("date", new.date.as_deref())?;
        let date_given = date.is_some();
        let starts_at = new
            .starts_at
            .map(|t| instant_of("starts_at", t, &new.time_zone))
            .transpose()?;
        let ends_at = new
            .ends_at
            .map(|t| instant_of("ends_at", t, &new.time_zone))
            .transpose()?;
        let Some(date) = date.or(starts_at.map(|s| PartialDate::day(s.date()))) else {
            return Err(ApiError::Validation(vec![FieldError::new(
                "date",
                "required",
                "give the session's date, or its starts_at",
            )]));
        };
        let draft = Session {
            id: SessionId(0),
            cohort_id: cohort,
            title: new.title,
            kind: new.kind,
            date,
            end_date: crate::dates::parse_field("end_date", new.end_date.as_deref())?,
            starts_at,
            ends_at,
            starts_at_local: None,
            ends_at_local: None,
            time_zone: new.time_zone,
            location: new.location,
            speaker_name: new.speaker_name,
            speaker_title: new.speaker_title,
            speaker_affiliation: new.speaker_affiliation,
            speaker_partner_id: new.speaker_partner_id,
            language: new.language,
            description: new.description,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            sources: Default::default(),
            seed_key: None,
        };
        let draft = settle(conn, draft, date_given)?;
        Ok(diesel::insert_into(sessions::table)
            .values(SessionFields::of(&draft))
            .returning(sessions::all_columns)
            .get_result::<SessionRow>(conn)?
            .into())
    }

    /// A session scheduled goes to its trainees' calendars.
    fn after_create(conn: &mut DbConnection, _: &Actor, created: &Session) -> ApiResult<()> {
        notices::tell(conn, created, notices::Notice::Scheduled)
    }
}

impl Store for Session {
    fn store(&self, conn: &mut DbConnection, current: &Session) -> ApiResult<Option<Session>> {
        let updated = diesel::update(
            sessions::table
                .find(self.id)
                .filter(sessions::version.eq(current.version)),
        )
        .set(SessionFields::of(self))
        .execute(conn)?;
        Ok((updated == 1).then(|| self.clone()))
    }

    /// A session moved (or its place or content changed) updates its trainees' calendars.
    fn after_change(conn: &mut DbConnection, _: &Actor, before: &Session, after: Session) -> ApiResult<Session> {
        if notices::worth_telling(before, &after) {
            notices::tell(conn, &after, notices::Notice::Changed)?;
        }
        Ok(after)
    }
}

impl Change for Session {
    type Change = UpdateSession;

    /// Checked against the rules across fields.
    fn patched(&self, conn: &mut DbConnection, change: UpdateSession) -> ApiResult<Session> {
        let mut next = self.clone();
        let date_given = change.date.is_some();
        next.title = change.title.unwrap_or(next.title);
        next.kind = change.kind.unwrap_or(next.kind);
        if let Some(date) = crate::dates::parse_field("date", change.date.as_deref())? {
            next.date = date;
        }
        if let Some(end) = change.end_date {
            next.end_date = crate::dates::parse_field("end_date", end.as_deref())?;
        }
        // A local time is read in the time zone this change leaves the session in.
        next.time_zone = change.time_zone.unwrap_or(next.time_zone);
        if let Some(start) = change.starts_at {
            next.starts_at = start.map(|t| instant_of("starts_at", t, &next.time_zone)).transpose()?;
        }
        if let Some(end) = change.ends_at {
            next.ends_at = end.map(|t| instant_of("ends_at", t, &next.time_zone)).transpose()?;
        }
        next.location = change.location.unwrap_or(next.location);
        next.speaker_name = change.speaker_name.unwrap_or(next.speaker_name);
        next.speaker_title = change.speaker_title.unwrap_or(next.speaker_title);
        next.speaker_affiliation = change.speaker_affiliation.unwrap_or(next.speaker_affiliation);
        next.speaker_partner_id = change.speaker_partner_id.unwrap_or(next.speaker_partner_id);
        next.language = change.language.unwrap_or(next.language);
        next.description = change.description.unwrap_or(next.description);
        settle(conn, next, date_given)
    }
}

impl Remove for Session {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let records: i64 = attendance::table
            .filter(attendance::session_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if records > 0 {
            return Ok(Some(format!(
                "session {} has attendance for {records} trainee(s); it cannot be deleted",
                self.id
            )));
        }
        let people: i64 = crate::schema::participations::table
            .filter(crate::schema::participations::session_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if people > 0 {
            return Ok(Some(format!(
                "session {} names {people} contact(s) who took part; delete those participations first (GET /api/v1/participations?session_id={})",
                self.id, self.id
            )));
        }
        let rounds: i64 = evaluation_rounds::table
            .filter(evaluation_rounds::session_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if rounds > 0 {
            return Ok(Some(format!(
                "session {} is the subject of {rounds} evaluation round(s); delete the draft ones first (GET /api/v1/cohorts/{}/rounds); a session asked about in an opened round cannot be deleted",
                self.id, self.cohort_id
            )));
        }
        let reports: i64 = checkpoints::table
            .filter(checkpoints::session_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((reports > 0).then(|| {
            format!(
                "session {} is where {reports} follow-up report(s) were given; it is kept with them and cannot be deleted",
                self.id
            )
        }))
    }

    /// Its trainees' calendars drop it.
    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(sessions::table.find(self.id)).execute(conn)?;
        notices::tell(conn, self, notices::Notice::Cancelled)
    }
}

impl List for Session {
    const NOUNS: &'static str = "sessions";
    type Filters = SessionFilters;
    type Parent = CohortId;

    /// In date order.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        cohort: CohortId,
        filters: SessionFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Session>> {
        Cohort::find_visible(conn, caller, cohort)?;
        let query = || {
            let mut query = sessions::table.filter(sessions::cohort_id.eq(cohort)).into_boxed();
            if let Some(kind) = filters.kind {
                query = query.filter(sessions::kind.eq(kind));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    sessions::source.eq(source.clone()).or(sessions::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            query
        };
        // Sessions without a time come after the timed ones of their day, on both databases.
        let keys = Keyset::by(list::ascending(
            "session_date",
            sessions::session_date,
            |s: &SessionRow| s.session_date,
        ))
        .then(NullsLast::new(
            "starts_at",
            sessions::starts_at,
            false,
            |s: &SessionRow| s.starts_at,
        ))
        .then(list::ascending("id", sessions::id, |s: &SessionRow| s.id));
        Ok(list::page(conn, query, &keys, &paging)?.map(Session::from))
    }
}
