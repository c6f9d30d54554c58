//! Reading the seed files: every part of a file is a serde type below, each record is checked with
//! the API's own types and validators, and every problem is collected (file, record, field) before
//! anything is written.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::Validate;

use super::model::{
    CohortSeed, ContactSeed, Document, PartnerSeed, PersonSeed, ProgramSeed, RoleSeed, SessionSeed, Unknown,
};
use super::{SeedError, SeedErrors, SeedFile};
use crate::cohorts::CohortStatus;
use crate::ids::PartnerId;

use crate::programs::partners::CreateProgramPartner;

/// One record read from a file, checked, with where it came from.
#[derive(Debug)]
pub struct Entry<T> {
    /// The file, relative to `seeds/`.
    pub file: String,
    /// The record, for messages: `partners[3] (code JICA)`.
    pub name: String,
    /// The key the seed loader finds it by: `partner:JICA`, `cohort:JICA-YL/C3`.
    pub key: String,
    /// The record as its file states it: kept as `seed_data`, to see later what the file changed.
    pub snapshot: Map<String, Value>,
    /// The record, typed.
    pub seed: T,
}

/// A programme with its partners' roles and its cohorts.
#[derive(Debug)]
pub struct ProgramPlan {
    /// The programme.
    pub program: Entry<ProgramSeed>,
    /// Its partners' roles.
    pub roles: Vec<Entry<RoleSeed>>,
    /// Its cohorts, each with its sessions.
    pub cohorts: Vec<(Entry<CohortSeed>, Vec<Entry<SessionSeed>>)>,
    /// The people who took part in its cohorts and sessions.
    pub people: Vec<PersonPlan>,
}

/// A contact's part in a cohort or one of its sessions, with where it sits in the file.
#[derive(Debug)]
pub struct PersonPlan {
    /// The part.
    pub entry: Entry<PersonSeed>,
    /// The cohort's code.
    pub cohort: String,
    /// The session's key, for a part in one session.
    pub session: Option<String>,
}

/// What one file holds.
#[derive(Debug)]
pub struct FilePlan {
    /// The file, relative to `seeds/`.
    pub path: String,
    /// The partners it defines.
    pub partners: Vec<Entry<PartnerSeed>>,
    /// The people at those partners, each with its partner's code.
    pub contacts: Vec<(String, Entry<ContactSeed>)>,
    /// Its programme, in a programme file.
    pub program: Option<ProgramPlan>,
}

/// Checked seed files, ready to [`super::apply`]: partner files first.
#[derive(Debug)]
pub struct Plan {
    /// The files, in the order they are applied.
    pub files: Vec<FilePlan>,
}

/// Collects one file's problems while reading it.
struct Reader<'a> {
    file: &'a str,
    errors: Vec<SeedError>,
}

impl Reader<'_> {
    fn fail(&mut self, record: &str, field: &str, message: impl Into<String>) {
        self.errors.push(SeedError {
            file: self.file.to_owned(),
            record: record.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `raw` read as a `T` as the API would read it (strings NFC-normalised and trimmed), with
    /// every key `T` does not name reported; `None` when it does not read at all.
    fn read<T: DeserializeOwned>(
        &mut self,
        record: &str,
        raw: &Map<String, Value>,
        unknown: impl Fn(&T) -> &Unknown,
        fields: &str,
    ) -> Option<T> {
        let mut value = Value::Object(raw.clone());
        crate::text::normalize_json(&mut value);
        match serde_json::from_value::<T>(value) {
            Ok(seed) => {
                for key in unknown(&seed).keys() {
                    self.fail(record, key, format!("is not a field of {fields}"));
                }
                Some(seed)
            }
            Err(e) => {
                self.fail(record, "-", e.to_string());
                None
            }
        }
    }

    /// Report every rule `record` breaks, as the API would.
    fn check(&mut self, record: &str, checked: &impl Validate) -> bool {
        match checked.validate() {
            Ok(()) => true,
            Err(errors) => {
                for error in crate::error::field_errors(&errors) {
                    self.fail(record, error.pointer.trim_start_matches("#/"), error.detail);
                }
                false
            }
        }
    }

    /// The record's `source` and each of its `also_sources` must be the file name of a seed
    /// document, each named once.
    fn check_sources(&mut self, record: &str, source: &str, also: &[String]) {
        self.check_source(record, source);
        let mut seen = HashSet::from([source]);
        for other in also {
            self.check_source(record, other);
            if !seen.insert(other.as_str()) {
                self.fail(
                    record,
                    "also_sources",
                    format!("names {other} twice (or as its source too)"),
                );
            }
        }
    }

    /// The record's `source` must be the file name of a seed document.
    fn check_source(&mut self, record: &str, source: &str) {
        let looks_right = source.ends_with(".txt") && !source.contains(['/', '\\']) && source.len() <= 200;
        if !looks_right {
            self.fail(
                record,
                "source",
                format!("must be the file name of a seed document, such as 003_f763ceca04e3ab24.txt (got `{source}`)"),
            );
        }
    }

    fn entry<T>(&self, name: String, key: String, snapshot: Map<String, Value>, seed: T) -> Entry<T> {
        Entry {
            file: self.file.to_owned(),
            name,
            key,
            snapshot,
            seed,
        }
    }
}

/// `raw` as the snapshot of what the file says: without `drop`, with `set` (values the loader
/// reads separately, such as a cohort's status after its default).
fn snapshot(raw: &Map<String, Value>, drop: &[&str], set: &[(&str, Value)]) -> Map<String, Value> {
    let mut snapshot = raw.clone();
    for key in drop {
        snapshot.remove(*key);
    }
    for (key, value) in set {
        snapshot.insert((*key).to_owned(), value.clone());
    }
    snapshot
}

/// The code a record names itself by, for messages before it is read.
fn code_of(raw: &Map<String, Value>, field: &str) -> String {
    raw.get(field).and_then(Value::as_str).unwrap_or("?").to_owned()
}

/// What the checks across files need: partner codes defined, and the references to them.
#[derive(Default)]
struct Across {
    partner_codes: HashSet<String>,
    program_codes: HashSet<String>,
    /// (file, record, field, partner code) of each reference to a partner.
    references: Vec<(String, String, String, String)>,
    /// `PARTNER/key` of every contact defined.
    contact_names: HashSet<String>,
    /// (file, record, `PARTNER/key`) of each reference to a contact.
    contact_references: Vec<(String, String, String)>,
}

/// Read and check every file. Partner codes named by programme files must be in some file's
/// `[[partners]]`.
pub fn parse(files: &[SeedFile]) -> Result<Plan, SeedErrors> {
    let mut plan = Plan { files: Vec::new() };
    let mut errors = Vec::new();
    let mut across = Across::default();
    // Partners first: programme files refer to them.
    let mut ordered: Vec<&SeedFile> = files.iter().collect();
    ordered.sort_by_key(|f| (!f.path.ends_with("partners.toml"), f.path.clone()));
    for file in ordered {
        let mut reader = Reader {
            file: &file.path,
            errors: Vec::new(),
        };
        if let Some(file_plan) = read_file(&mut reader, &file.text, &mut across) {
            plan.files.push(file_plan);
        }
        errors.extend(reader.errors);
    }
    for (file, record, field, code) in across.references {
        if !across.partner_codes.contains(&code) {
            errors.push(SeedError {
                file,
                record,
                field,
                message: format!("names partner {code}, which no [[partners]] entry defines"),
            });
        }
    }
    for (file, record, contact) in across.contact_references {
        if !across.contact_names.contains(&contact) {
            errors.push(SeedError {
                file,
                record,
                field: "contact".into(),
                message: format!("names {contact}, which no [[partners.contacts]] entry defines (PARTNER/key)"),
            });
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(SeedErrors(errors))
    }
}

fn read_file(reader: &mut Reader<'_>, text: &str, across: &mut Across) -> Option<FilePlan> {
    let document = match toml::from_str::<toml::Table>(text) {
        Ok(table) => serde_json::to_value(table).unwrap_or(Value::Null),
        Err(e) => {
            reader.fail("-", "-", format!("is not valid TOML: {}", e.to_string().trim()));
            return None;
        }
    };
    let document: Document = match serde_json::from_value(document) {
        Ok(document) => document,
        Err(e) => {
            reader.fail("-", "-", e.to_string());
            return None;
        }
    };
    for unknown in document.unknown.keys() {
        reader.fail(
            "-",
            unknown,
            "is not a section of a seed file (partners, program, cohorts)",
        );
    }
    let mut file = FilePlan {
        path: reader.file.to_owned(),
        partners: Vec::new(),
        contacts: Vec::new(),
        program: None,
    };
    match document.program {
        Some(program) => file.program = read_program(reader, program, document.partners, document.cohorts, across),
        None if !document.cohorts.is_empty() => {
            reader.fail("-", "cohorts", "belongs in a programme file, under its [program]");
        }
        None => {
            for (i, raw) in document.partners.into_iter().enumerate() {
                file.partners
                    .extend(read_partner(reader, i, raw, &mut file.contacts, across));
            }
        }
    }
    Some(file)
}

fn read_partner(
    reader: &mut Reader<'_>,
    i: usize,
    mut raw: Map<String, Value>,
    contacts: &mut Vec<(String, Entry<ContactSeed>)>,
    across: &mut Across,
) -> Option<Entry<PartnerSeed>> {
    let code = code_of(&raw, "code");
    let name = format!("partners[{}] (code {code})", i + 1);
    let mut keys = HashSet::new();
    for (j, contact) in tables(
        reader,
        &name,
        raw.remove("contacts"),
        "contacts",
        "[[partners.contacts]]",
    )
    .into_iter()
    .enumerate()
    {
        let contact_name = format!(
            "partners[{}].contacts[{}] (key {})",
            i + 1,
            j + 1,
            code_of(&contact, "key")
        );
        if let Some(entry) = read_contact(reader, contact_name, &code, contact, &mut keys, across) {
            contacts.push((code.clone(), entry));
        }
    }
    let seed: PartnerSeed = reader.read(&name, &raw, |s: &PartnerSeed| &s.unknown, "a partner")?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    if reader.check(&name, &seed.partner) && !across.partner_codes.insert(code.clone()) {
        reader.fail(&name, "code", format!("partner {code} is defined twice"));
    }
    let snapshot = snapshot(&raw, &[], &[("source", Value::from(seed.source.as_str()))]);
    Some(reader.entry(name, format!("partner:{code}"), snapshot, seed))
}

fn read_program(
    reader: &mut Reader<'_>,
    raw: Map<String, Value>,
    roles: Vec<Map<String, Value>>,
    cohorts: Vec<Map<String, Value>>,
    across: &mut Across,
) -> Option<ProgramPlan> {
    let code = code_of(&raw, "code");
    let name = format!("program (code {code})");
    let read = reader.read(&name, &raw, |s: &ProgramSeed| &s.unknown, "a programme");
    let mut plan_roles = Vec::new();
    for (i, raw) in roles.into_iter().enumerate() {
        plan_roles.extend(read_role(reader, &code, i, raw, across));
    }
    let mut plan_cohorts = Vec::new();
    let mut people = Vec::new();
    let mut cohort_codes = HashSet::new();
    for (i, raw) in cohorts.into_iter().enumerate() {
        plan_cohorts.extend(read_cohort(
            reader,
            &code,
            i,
            raw,
            &mut cohort_codes,
            &mut people,
            across,
        ));
    }
    let seed = read?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    if reader.check(&name, &seed.program) && !across.program_codes.insert(code.clone()) {
        reader.fail(&name, "code", format!("programme {code} is defined in two files"));
    }
    let snapshot = snapshot(&raw, &[], &[("source", Value::from(seed.source.as_str()))]);
    Some(ProgramPlan {
        program: reader.entry(name, format!("program:{code}"), snapshot, seed),
        roles: plan_roles,
        cohorts: plan_cohorts,
        people,
    })
}

fn read_role(
    reader: &mut Reader<'_>,
    program: &str,
    i: usize,
    raw: Map<String, Value>,
    across: &mut Across,
) -> Option<Entry<RoleSeed>> {
    let name = format!("partners[{}] (partner {})", i + 1, code_of(&raw, "partner"));
    let seed: RoleSeed = reader.read(
        &name,
        &raw,
        |s: &RoleSeed| &s.unknown,
        "a partner's role (roles, notes, partner, source)",
    )?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    // Checked as the API checks a role it is given; the partner is named by code until applied.
    let role = CreateProgramPartner {
        partner_id: PartnerId(0),
        roles: seed.roles.clone(),
        notes: seed.notes.clone(),
        shares_trainee_contacts: false,
        reviews_nominations: false,
    };
    reader.check(&name, &role);
    across.references.push((
        reader.file.to_owned(),
        name.clone(),
        "partner".into(),
        seed.partner.clone(),
    ));
    let key = format!("program_partner:{program}/{}", seed.partner);
    let snapshot = snapshot(
        &raw,
        &[],
        &[
            ("source", Value::from(seed.source.as_str())),
            ("partner", Value::from(seed.partner.as_str())),
        ],
    );
    Some(reader.entry(name, key, snapshot, seed))
}

fn read_cohort(
    reader: &mut Reader<'_>,
    program: &str,
    i: usize,
    mut raw: Map<String, Value>,
    codes: &mut HashSet<String>,
    people: &mut Vec<PersonPlan>,
    across: &mut Across,
) -> Option<(Entry<CohortSeed>, Vec<Entry<SessionSeed>>)> {
    let code = code_of(&raw, "code");
    let name = format!("cohorts[{}] (code {code})", i + 1);
    let place = Place {
        program,
        cohort: &code,
        session: None,
        record: &name,
    };
    read_people(
        reader,
        &place,
        raw.remove("people"),
        "[[cohorts.people]]",
        people,
        across,
    );
    // Its sessions are read whether or not the cohort itself reads, so that one run reports the
    // problems of both.
    let sessions = match raw.remove("sessions") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            reader.fail(&name, "sessions", "must be an array of tables ([[cohorts.sessions]])");
            Vec::new()
        }
    };
    let mut entries = Vec::new();
    let mut keys = HashSet::new();
    for (j, session) in sessions.into_iter().enumerate() {
        let key = session.get("key").and_then(Value::as_str).unwrap_or("?").to_owned();
        let session_name = format!("cohorts[{}].sessions[{}] (key {key})", i + 1, j + 1);
        let Value::Object(mut session) = session else {
            reader.fail(&session_name, "-", "must be a table ([[cohorts.sessions]])");
            continue;
        };
        let place = Place {
            program,
            cohort: &code,
            session: Some(&key),
            record: &session_name,
        };
        read_people(
            reader,
            &place,
            session.remove("people"),
            "[[cohorts.sessions.people]]",
            people,
            across,
        );
        entries.extend(
            read_session(reader, session_name, session, &mut keys, across).map(|(entry, key)| Entry {
                key: format!("session:{program}/{code}/{key}"),
                ..entry
            }),
        );
    }
    let seed: CohortSeed = reader.read(&name, &raw, |s: &CohortSeed| &s.unknown, "a cohort")?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    if reader.check(&name, &seed.cohort) && !codes.insert(code.clone()) {
        reader.fail(&name, "code", format!("cohort {code} appears twice"));
    }
    let status = seed.status.unwrap_or(CohortStatus::Planned);
    let snapshot = snapshot(
        &raw,
        &[],
        &[
            ("source", Value::from(seed.source.as_str())),
            ("status", Value::from(status.as_str())),
        ],
    );
    Some((
        reader.entry(name, format!("cohort:{program}/{code}"), snapshot, seed),
        entries,
    ))
}

fn read_session(
    reader: &mut Reader<'_>,
    name: String,
    raw: Map<String, Value>,
    keys: &mut HashSet<String>,
    across: &mut Across,
) -> Option<(Entry<SessionSeed>, String)> {
    let seed: SessionSeed = reader.read(&name, &raw, |s: &SessionSeed| &s.unknown, "a session")?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    if !valid_key(&seed.key) {
        reader.fail(&name, "key", "must be 2 to 64 of a-z, 0-9 and -");
    } else if !keys.insert(seed.key.clone()) {
        reader.fail(&name, "key", format!("`{}` is used twice in this cohort", seed.key));
    }
    if let Some(code) = &seed.speaker_partner {
        across.references.push((
            reader.file.to_owned(),
            name.clone(),
            "speaker_partner".into(),
            code.clone(),
        ));
    }
    reader.check(&name, &seed.session);
    let speaker = seed.speaker_partner.as_deref().map_or(Value::Null, Value::from);
    let snapshot = snapshot(
        &raw,
        &["key"],
        &[
            ("source", Value::from(seed.source.as_str())),
            ("speaker_partner", speaker),
        ],
    );
    let key = seed.key.clone();
    Some((reader.entry(name, String::new(), snapshot, seed), key))
}

/// Whether `key` can be a record's stable id in its file: 2 to 64 of a-z, 0-9 and -.
fn valid_key(key: &str) -> bool {
    (2..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The tables of an array-of-tables field that a record holds (`contacts`, `people`), each problem
/// reported against `record`.
fn tables(
    reader: &mut Reader<'_>,
    record: &str,
    field: Option<Value>,
    name: &str,
    syntax: &str,
) -> Vec<Map<String, Value>> {
    let items = match field {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            reader.fail(record, name, format!("must be an array of tables ({syntax})"));
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for item in items {
        match item {
            Value::Object(table) => found.push(table),
            _ => reader.fail(record, name, format!("must hold tables only ({syntax})")),
        }
    }
    found
}

fn read_contact(
    reader: &mut Reader<'_>,
    name: String,
    partner: &str,
    raw: Map<String, Value>,
    keys: &mut HashSet<String>,
    across: &mut Across,
) -> Option<Entry<ContactSeed>> {
    // Its partner is the one above it, set when it is written; read as the API reads a body.
    let mut body = raw.clone();
    body.insert("partner_id".into(), Value::from(0));
    let seed: ContactSeed = reader.read(&name, &body, |s: &ContactSeed| &s.unknown, "a contact")?;
    reader.check_sources(&name, &seed.source, &seed.also_sources);
    if !valid_key(&seed.key) {
        reader.fail(&name, "key", "must be 2 to 64 of a-z, 0-9 and -");
    } else if !keys.insert(seed.key.clone()) {
        reader.fail(&name, "key", format!("`{}` is used twice in this partner", seed.key));
    }
    reader.check(&name, &seed.contact);
    across.contact_names.insert(format!("{partner}/{}", seed.key));
    let key = format!("contact:{partner}/{}", seed.key);
    let snapshot = snapshot(&raw, &["key"], &[("source", Value::from(seed.source.as_str()))]);
    Some(reader.entry(name, key, snapshot, seed))
}

/// Where a part is recorded: the programme, cohort and session above it, and the record's name.
struct Place<'a> {
    program: &'a str,
    cohort: &'a str,
    session: Option<&'a str>,
    record: &'a str,
}

fn read_people(
    reader: &mut Reader<'_>,
    place: &Place<'_>,
    field: Option<Value>,
    syntax: &str,
    people: &mut Vec<PersonPlan>,
    across: &mut Across,
) {
    let mut seen = HashSet::new();
    for (k, raw) in tables(reader, place.record, field, "people", syntax)
        .into_iter()
        .enumerate()
    {
        let name = format!(
            "{}.people[{}] (contact {})",
            place.record,
            k + 1,
            code_of(&raw, "contact")
        );
        let Some(seed) = reader.read(
            &name,
            &raw,
            |s: &PersonSeed| &s.unknown,
            "a person's part (contact, role, notes, source)",
        ) else {
            continue;
        };
        reader.check_sources(&name, &seed.source, &seed.also_sources);
        if !seen.insert((seed.contact.clone(), seed.role)) {
            reader.fail(
                &name,
                "role",
                format!("{} is given the part `{}` twice here", seed.contact, seed.role),
            );
        }
        across
            .contact_references
            .push((reader.file.to_owned(), name.clone(), seed.contact.clone()));
        let key = format!(
            "participation:{}/{}/{}/{}/{}",
            place.program,
            place.cohort,
            place.session.unwrap_or("-"),
            seed.contact,
            seed.role
        );
        let snapshot = snapshot(&raw, &[], &[("source", Value::from(seed.source.as_str()))]);
        people.push(PersonPlan {
            entry: reader.entry(name, key, snapshot, seed),
            cohort: place.cohort.to_owned(),
            session: place.session.map(str::to_owned),
        });
    }
}
