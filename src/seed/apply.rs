//! Writing a checked [`Plan`]: every record through the same domain functions as the API
//! (`insert` to create, `patched` and [`resource::save`] to change), so a seeded record obeys the
//! rules an officer's would, and the audit trail names the actor `tpms seed`.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use serde_json::{Map, Value};

use super::FileReport;
use super::plan::{Entry, PersonPlan, Plan, ProgramPlan};
use super::snapshot::{Seeded, change_of, changed_since};
use crate::audit::{self, Actor, Event};
use crate::cohorts::{Cohort, CohortStatus, UpdateCohort};
use crate::contacts::{Contact, UpdateContact};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CohortId, ContactId, ParticipationId, PartnerId, ProgramId, SessionId};
use crate::participations::{CreateParticipation, Participation, UpdateParticipation};
use crate::partners::{Partner, UpdatePartner};
use crate::programs::partners::{CreateProgramPartner, ProgramPartner, UpdateProgramPartner};
use crate::programs::{Program, UpdateProgram};
use crate::provenance::Sources;
use crate::resource::{self, Change, Create, Remove};
use crate::schema::{cohorts, participations, partners, program_partners, programs, sessions};
use crate::sessions::{Session, UpdateSession};

/// What happened to one record, with the key to reach what hangs below it.
enum Outcome<K> {
    Created(K),
    Updated(K),
    Unchanged(K),
    /// A user's record is in the way: left alone, for the reason given. A partner's key is still
    /// given, so that programmes naming it link to the user's partner.
    Skipped(Option<K>, String),
}

impl<K> Outcome<K> {
    /// Count the outcome in `report`; the key, when there is one.
    fn count(self, report: &mut FileReport) -> Option<K> {
        match self {
            Outcome::Created(key) => {
                report.created += 1;
                Some(key)
            }
            Outcome::Updated(key) => {
                report.updated += 1;
                Some(key)
            }
            Outcome::Unchanged(key) => {
                report.unchanged += 1;
                Some(key)
            }
            Outcome::Skipped(key, why) => {
                report.skipped.push(why);
                key
            }
        }
    }
}

/// What writing one record takes, beside its entry.
struct Writes<R: Seeded> {
    /// Its source documents, the first as `source`.
    sources: Sources,
    /// The parent a new record goes under.
    parent: <R as Create>::Parent,
    /// The record a create inserts.
    new: R::New,
}

/// A user's record in the way of a new seed record, and why it is skipped.
type InTheWay<K> = Option<(Option<K>, String)>;

/// Create the record of `entry`, unless `in_the_way` finds a user's record holding its natural
/// key; or bring the seed's record to what its file changed since the last run: `change` turns
/// the changed fields into the record to save.
fn write<R: Seeded, T>(
    conn: &mut DbConnection,
    actor: &Actor,
    entry: &Entry<T>,
    writes: Writes<R>,
    in_the_way: impl FnOnce(&mut DbConnection) -> ApiResult<InTheWay<R::Key>>,
    change: impl FnOnce(&mut DbConnection, &R, &Map<String, Value>) -> ApiResult<R>,
) -> ApiResult<Outcome<R::Key>> {
    let Some((key, stored)) = R::seeded(conn, &entry.key)? else {
        if let Some((key, why)) = in_the_way(conn)? {
            return Ok(Outcome::Skipped(key, why));
        }
        let record = R::insert(conn, writes.parent, writes.new)?;
        record.mark(conn, entry, &writes.sources)?;
        let record = record.with_sources(&writes.sources);
        audit::record(conn, actor, Event::created(R::ENTITY, record.audit_id(), &record))?;
        return Ok(Outcome::Created(record.key()));
    };
    let Some(changed) = changed_since(stored.as_deref(), &entry.snapshot) else {
        return Ok(Outcome::Unchanged(key));
    };
    let current = R::find_for_change(conn, key)?;
    current.mark(conn, entry, &writes.sources)?;
    let next = change(conn, &current, &changed)?.with_sources(&writes.sources);
    if next == current {
        return Ok(Outcome::Unchanged(key));
    }
    resource::save(conn, actor, current, next)?;
    Ok(Outcome::Updated(key))
}

/// The documents a seed record cites: its `source`, then its `also_sources`.
fn cited(source: &str, also: &[String]) -> Sources {
    Sources(std::iter::once(source.to_owned()).chain(also.iter().cloned()).collect())
}

/// Nothing is in the way of a new record.
fn nothing<K>(_: &mut DbConnection) -> ApiResult<InTheWay<K>> {
    Ok(None)
}

fn apply_partner(
    conn: &mut DbConnection,
    actor: &Actor,
    entry: &Entry<super::model::PartnerSeed>,
) -> ApiResult<Outcome<PartnerId>> {
    let code = &entry.seed.partner.code;
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: (),
        new: entry.seed.partner.clone(),
    };
    let in_the_way = |conn: &mut DbConnection| {
        let users: Option<PartnerId> = partners::table
            .filter(partners::code.eq(code))
            .select(partners::id)
            .lookup(conn)?;
        Ok(users.map(|id| (Some(id), format!("partner {code} was made by a user; left as it is"))))
    };
    write(
        conn,
        actor,
        entry,
        writes,
        in_the_way,
        |conn, current: &Partner, changed| {
            current.patched(conn, change_of::<UpdatePartner>(&entry.name, changed, &[], &[])?)
        },
    )
}

fn apply_program(
    conn: &mut DbConnection,
    actor: &Actor,
    entry: &Entry<super::model::ProgramSeed>,
) -> ApiResult<Outcome<ProgramId>> {
    let code = &entry.seed.program.code;
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: (),
        new: entry.seed.program.clone(),
    };
    let in_the_way = |conn: &mut DbConnection| {
        let users: Option<ProgramId> = programs::table
            .filter(programs::code.eq(code))
            .select(programs::id)
            .lookup(conn)?;
        Ok(users.map(|_| {
            let why = format!(
                "programme {code} was made by a user; it and its partners, cohorts and sessions are left as they are"
            );
            (None, why)
        }))
    };
    // A field the file leaves out takes the value a new programme would have.
    let defaults = [
        ("status", Value::from("planned")),
        ("focus_areas", Value::Array(Vec::new())),
        ("figures", Value::Array(Vec::new())),
    ];
    write(
        conn,
        actor,
        entry,
        writes,
        in_the_way,
        |conn, current: &Program, changed| {
            current.patched(conn, change_of::<UpdateProgram>(&entry.name, changed, &[], &defaults)?)
        },
    )
}

fn apply_role(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    partner: PartnerId,
    entry: &Entry<super::model::RoleSeed>,
) -> ApiResult<Outcome<(ProgramId, PartnerId)>> {
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: program,
        new: CreateProgramPartner {
            partner_id: partner,
            roles: entry.seed.roles.clone(),
            notes: entry.seed.notes.clone(),
            // Seeds state what the articles say; sharing is the department's own decision.
            shares_trainee_contacts: false,
            reviews_nominations: false,
        },
    };
    let in_the_way = |conn: &mut DbConnection| {
        let users: Option<i64> = program_partners::table
            .filter(program_partners::program_id.eq(program))
            .filter(program_partners::partner_id.eq(partner))
            .select(program_partners::id)
            .lookup(conn)?;
        Ok(users.map(|_| {
            let why = format!(
                "{}: a user already gave partner {} a role in this programme; left as it is",
                entry.name, entry.seed.partner
            );
            (None, why)
        }))
    };
    write(
        conn,
        actor,
        entry,
        writes,
        in_the_way,
        |conn, current: &ProgramPartner, changed| {
            current.patched(
                conn,
                change_of::<UpdateProgramPartner>(&entry.name, changed, &["partner"], &[])?,
            )
        },
    )
}

fn apply_cohort(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    entry: &Entry<super::model::CohortSeed>,
) -> ApiResult<Outcome<CohortId>> {
    let seed = &entry.seed;
    let status = seed.status.unwrap_or(CohortStatus::Planned);
    let mut new = seed.cohort.clone();
    new.status = Some(status);
    let writes = Writes {
        sources: cited(&seed.source, &seed.also_sources),
        parent: program,
        new,
    };
    let in_the_way = |conn: &mut DbConnection| {
        let users: Option<CohortId> = cohorts::table
            .filter(cohorts::program_id.eq(program))
            .filter(cohorts::code.eq(&seed.cohort.code))
            .select(cohorts::id)
            .lookup(conn)?;
        Ok(users.map(|_| {
            let why = format!(
                "cohort {} was made by a user; it and its sessions are left as they are",
                seed.cohort.code
            );
            (None, why)
        }))
    };
    write(
        conn,
        actor,
        entry,
        writes,
        in_the_way,
        |conn, current: &Cohort, changed| {
            let mut next = current.patched(conn, change_of::<UpdateCohort>(&entry.name, changed, &["status"], &[])?)?;
            // When the file changes the status it states a fact: it is set, not moved along the
            // allowed steps. A status users moved on is otherwise theirs, like every field the file
            // leaves alone.
            if changed.contains_key("status") {
                next.status = status;
            }
            Ok(next)
        },
    )
}

fn apply_session(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: CohortId,
    entry: &Entry<super::model::SessionSeed>,
    speaker_partner: Option<PartnerId>,
) -> ApiResult<Outcome<crate::ids::SessionId>> {
    let mut new = entry.seed.session.clone();
    new.speaker_partner_id = speaker_partner;
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: cohort,
        new,
    };
    write(
        conn,
        actor,
        entry,
        writes,
        nothing,
        |conn, current: &Session, changed| {
            let mut changed = changed.clone();
            if changed.get("date") == Some(&Value::Null) {
                changed.remove("date"); // a file that gives only starts_at: the date follows from it
            }
            // The file names the speaker's partner by code; the change sets its id.
            if changed.contains_key("speaker_partner") {
                let id = speaker_partner.map_or(Value::Null, |p| Value::from(p.0));
                changed.insert("speaker_partner_id".to_owned(), id);
            }
            current.patched(
                conn,
                change_of::<UpdateSession>(&entry.name, &changed, &["speaker_partner"], &[])?,
            )
        },
    )
}

/// Write `plan` (call inside one write transaction): create what is missing, update what differs
/// from its file, leave the rest. Reports each file through `progress` as it is done.
pub fn apply(
    conn: &mut DbConnection,
    plan: &Plan,
    progress: &mut dyn FnMut(&FileReport),
) -> ApiResult<Vec<FileReport>> {
    let actor = crate::effects::actor("tpms seed", None);
    let mut partner_ids: HashMap<String, PartnerId> = HashMap::new();
    let mut contact_ids: HashMap<String, ContactId> = HashMap::new();
    let mut reports = Vec::new();
    for file in &plan.files {
        let mut report = FileReport {
            file: file.path.clone(),
            ..FileReport::default()
        };
        for entry in &file.partners {
            let outcome = apply_partner(conn, &actor, entry).map_err(at(entry))?;
            if let Some(id) = outcome.count(&mut report) {
                partner_ids.insert(entry.seed.partner.code.clone(), id);
            }
        }
        for (partner, entry) in &file.contacts {
            let Some(partner_id) = partner_ids.get(partner).copied() else {
                report
                    .skipped
                    .push(format!("{}: partner {partner} was not written", entry.name));
                continue;
            };
            if let Some(id) = apply_contact(conn, &actor, partner_id, entry)
                .map_err(at(entry))?
                .count(&mut report)
            {
                contact_ids.insert(format!("{partner}/{}", entry.seed.key), id);
            }
        }
        if let Some(program) = &file.program {
            apply_programme(conn, &actor, program, &partner_ids, &contact_ids, &mut report)?;
        }
        progress(&report);
        reports.push(report);
    }
    let mut templates = FileReport {
        file: crate::instruments::TEMPLATES_FILE.to_owned(),
        ..FileReport::default()
    };
    for template in crate::instruments::templates()? {
        if crate::instruments::Instrument::load_template(conn, &actor, template)? {
            templates.created += 1;
        } else {
            templates.unchanged += 1;
        }
    }
    progress(&templates);
    reports.push(templates);
    super::mark_seeded(conn)?;
    Ok(reports)
}

/// A programme, then its partners' roles, its cohorts and their sessions.
fn apply_programme(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: &ProgramPlan,
    partner_ids: &HashMap<String, PartnerId>,
    contact_ids: &HashMap<String, ContactId>,
    report: &mut FileReport,
) -> ApiResult<()> {
    let outcome = apply_program(conn, actor, &plan.program).map_err(at(&plan.program))?;
    let Some(program) = outcome.count(report) else {
        return Ok(());
    };
    for entry in &plan.roles {
        let Some(partner) = partner_ids.get(&entry.seed.partner).copied() else {
            report.skipped.push(format!(
                "{}: partner {} was not written",
                entry.name, entry.seed.partner
            ));
            continue;
        };
        apply_role(conn, actor, program, partner, entry)
            .map_err(at(entry))?
            .count(report);
    }
    retire_roles(conn, actor, program, plan, report)?;
    let mut cohort_ids: HashMap<&str, CohortId> = HashMap::new();
    let mut session_ids: HashMap<(&str, &str), SessionId> = HashMap::new();
    for (cohort, sessions) in &plan.cohorts {
        let Some(cohort_id) = apply_cohort(conn, actor, program, cohort)
            .map_err(at(cohort))?
            .count(report)
        else {
            continue;
        };
        let code = cohort.seed.cohort.code.as_str();
        cohort_ids.insert(code, cohort_id);
        for entry in sessions {
            let speaker = entry
                .seed
                .speaker_partner
                .as_ref()
                .and_then(|code| partner_ids.get(code).copied());
            let written = apply_session(conn, actor, cohort_id, entry, speaker)
                .map_err(at(entry))?
                .count(report);
            if let Some(id) = written {
                session_ids.insert((code, entry.seed.key.as_str()), id);
            }
        }
    }
    for person in &plan.people {
        let entry = &person.entry;
        let contact = contact_ids.get(&entry.seed.contact).copied();
        let cohort = cohort_ids.get(person.cohort.as_str()).copied();
        let session = match &person.session {
            Some(key) => session_ids
                .get(&(person.cohort.as_str(), key.as_str()))
                .copied()
                .map(Some),
            None => Some(None),
        };
        let (Some(contact), Some(cohort), Some(session)) = (contact, cohort, session) else {
            report.skipped.push(format!(
                "{}: its contact, cohort or session was not written",
                entry.name
            ));
            continue;
        };
        apply_person(conn, actor, person, contact, cohort, session)
            .map_err(at(entry))?
            .count(report);
    }
    retire_sessions_and_people(conn, actor, program, plan, report)
}

/// Remove the partner roles in `program` that the seed made and its file no longer holds (a role
/// that a re-reading of the article found unfounded).
fn retire_roles(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    plan: &ProgramPlan,
    report: &mut FileReport,
) -> ApiResult<()> {
    let kept: HashSet<&str> = plan.roles.iter().map(|e| e.key.as_str()).collect();
    let owned: Vec<(i64, PartnerId, Option<String>)> = program_partners::table
        .filter(program_partners::program_id.eq(program))
        .filter(program_partners::seed_key.is_not_null())
        .select((
            program_partners::id,
            program_partners::partner_id,
            program_partners::seed_key,
        ))
        .load(conn)?;
    let owned = owned
        .into_iter()
        .filter_map(|(id, partner, key)| Some(((program, partner), id, key?)));
    retire::<ProgramPartner>(conn, actor, owned, &kept, report)
}

/// Remove the sessions of `program`'s cohorts, and the people's parts in its cohorts and
/// sessions, that the seed made and its file no longer holds (a session an article does not date
/// cannot be kept as a session): the parts first, since a session with people cannot go.
fn retire_sessions_and_people(
    conn: &mut DbConnection,
    actor: &Actor,
    program: ProgramId,
    plan: &ProgramPlan,
    report: &mut FileReport,
) -> ApiResult<()> {
    let theirs = || {
        cohorts::table
            .filter(cohorts::program_id.eq(program))
            .select(cohorts::id)
    };
    let kept: HashSet<&str> = plan.people.iter().map(|p| p.entry.key.as_str()).collect();
    let owned: Vec<(ParticipationId, Option<String>)> = participations::table
        .filter(participations::cohort_id.eq_any(theirs()))
        .filter(participations::seed_key.is_not_null())
        .select((participations::id, participations::seed_key))
        .order(participations::id)
        .load(conn)?;
    let owned = owned.into_iter().filter_map(|(id, key)| Some((id, id.0, key?)));
    retire::<Participation>(conn, actor, owned, &kept, report)?;
    let kept: HashSet<&str> = plan
        .cohorts
        .iter()
        .flat_map(|(_, sessions)| sessions.iter().map(|e| e.key.as_str()))
        .collect();
    let owned: Vec<(SessionId, Option<String>)> = sessions::table
        .filter(sessions::cohort_id.eq_any(theirs()))
        .filter(sessions::seed_key.is_not_null())
        .select((sessions::id, sessions::seed_key))
        .order(sessions::id)
        .load(conn)?;
    let owned = owned.into_iter().filter_map(|(id, key)| Some((id, id.0, key?)));
    retire::<Session>(conn, actor, owned, &kept, report)
}

/// Remove each record the seed made (`owned`: its key, audit id and seed key) whose seed key the
/// files no longer hold (`kept`), through the same removal as the API's, unless a user changed it
/// since or something still refers to it: that one is kept and reported, since it says someone
/// relies on it.
fn retire<R: Remove>(
    conn: &mut DbConnection,
    actor: &Actor,
    owned: impl Iterator<Item = (R::Key, i64, String)>,
    kept: &HashSet<&str>,
    report: &mut FileReport,
) -> ApiResult<()> {
    for (key, audit_id, seed_key) in owned {
        if kept.contains(seed_key.as_str()) {
            continue;
        }
        let changed_by_users: i64 = crate::schema::audit_events::table
            .filter(crate::schema::audit_events::entity_type.eq(R::ENTITY.as_str()))
            .filter(crate::schema::audit_events::entity_id.eq(audit_id))
            .filter(crate::schema::audit_events::actor.ne(&actor.name))
            .count()
            .get_result(conn)?;
        if changed_by_users > 0 {
            report.skipped.push(format!(
                "{seed_key}: no longer in the file, but a user changed it; left as it is"
            ));
            continue;
        }
        if let Some(why) = R::find(conn, key)?.in_use(conn)? {
            report
                .skipped
                .push(format!("{seed_key}: no longer in the file, but kept: {why}"));
            continue;
        }
        resource::remove::<R>(conn, actor, key, &resource::AnyVersion)?;
        report.removed += 1;
    }
    Ok(())
}

fn apply_contact(
    conn: &mut DbConnection,
    actor: &Actor,
    partner: PartnerId,
    entry: &Entry<super::model::ContactSeed>,
) -> ApiResult<Outcome<ContactId>> {
    let mut new = entry.seed.contact.clone();
    new.partner_id = partner;
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: (),
        new,
    };
    write(
        conn,
        actor,
        entry,
        writes,
        nothing,
        |conn, current: &Contact, changed| {
            current.patched(conn, change_of::<UpdateContact>(&entry.name, changed, &[], &[])?)
        },
    )
}

/// A contact's part, unless a user already recorded the same part of that contact there.
fn apply_person(
    conn: &mut DbConnection,
    actor: &Actor,
    person: &PersonPlan,
    contact: ContactId,
    cohort: CohortId,
    session: Option<SessionId>,
) -> ApiResult<Outcome<ParticipationId>> {
    let entry = &person.entry;
    let writes = Writes {
        sources: cited(&entry.seed.source, &entry.seed.also_sources),
        parent: (),
        new: CreateParticipation {
            contact_id: contact,
            cohort_id: session.is_none().then_some(cohort),
            session_id: session,
            role: entry.seed.role,
            notes: entry.seed.notes.clone(),
        },
    };
    let in_the_way = |conn: &mut DbConnection| {
        let same: Vec<(ParticipationId, Option<SessionId>)> = participations::table
            .filter(participations::contact_id.eq(contact))
            .filter(participations::cohort_id.eq(cohort))
            .filter(participations::role.eq(entry.seed.role))
            .select((participations::id, participations::session_id))
            .load(conn)?;
        let users = same.into_iter().find(|(_, at)| *at == session).map(|(id, _)| id);
        Ok(users.map(|id| {
            (
                Some(id),
                format!("{}: a user already recorded this part; left as it is", entry.name),
            )
        }))
    };
    write(
        conn,
        actor,
        entry,
        writes,
        in_the_way,
        |conn, current: &Participation, changed| {
            current.patched(
                conn,
                change_of::<UpdateParticipation>(&entry.name, changed, &["contact", "role"], &[])?,
            )
        },
    )
}

/// Name the file and record in an error raised while writing it.
fn at<T>(entry: &Entry<T>) -> impl FnOnce(ApiError) -> ApiError + '_ {
    move |error| {
        let place = format!("seeds/{}: {}", entry.file, entry.name);
        match error {
            ApiError::Conflict { code, detail } => ApiError::Conflict {
                code,
                detail: format!("{place}: {detail}"),
            },
            ApiError::Validation(errors) => ApiError::Internal(anyhow::anyhow!(
                "{place}: {}",
                errors
                    .iter()
                    .map(|e| format!("{} {}", e.pointer, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            other => other,
        }
    }
}
