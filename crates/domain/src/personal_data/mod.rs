//! Personal data, the way Decree 13/2023/ND-CP asks: what TPMS holds about one trainee, where,
//! and how it is erased while the statistics stay honest.
//!
//! [`HOLDINGS`] is the one list of where a trainee's data is stored: each entry names a table, the
//! SQL condition that finds the person's rows in it, the columns never shown (hashes of personal
//! links), and how each identifying column is erased, on request ([`Reach::Request`]) or also when
//! a programme's retention period ends ([`Reach::Retention`]). The access export ([`export`]),
//! the erasure on request ([`erase`]) and retention ([`retention`]) all read it, so a table added
//! later is exported and erased by adding one entry here.
//!
//! Erasure anonymises in place and keeps every row (Carpentries' AMY did the same): a report run
//! before and after counts the same people, by the same province, organisation, gender and birth
//! decade, while names, contact details, positions, notes and free text are gone, in the audit
//! trail's old and new values too.

mod export;
mod redact;
pub mod retention;

pub use export::{HeldTable, PersonalData, export};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::audit::{self, Actor, Entity, Event};
use crate::db::{DbConnection, dialect};
use crate::error::{ApiError, ApiResult};
use crate::ids::TraineeId;
use crate::resource::Record;
use crate::schema::{cohorts, enrollments, programs, trainees};
use crate::statuses::{AWAITING_SEAT, EnrollmentStatus, SEATED};
use crate::trainees::Trainee;

/// What an erased text reads (a column that may not be empty, a value inside a JSON document).
pub const ERASED: &str = "[erased]";

/// The dimensions an erased trainee keeps, so that reports count them as before.
pub const KEPT: [&str; 5] = [
    "province (and the province at enrolment)",
    "organisation (and the organisation at enrolment), which the origins report counts by",
    "gender",
    "birth decade (the birth year becomes the first year of its decade)",
    "enrolments, their statuses, attendance marks, scores and choices, costs, certificates' numbers and dates",
];

/// When a column is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only by an erasure on request (`POST /trainees/{id}/erasure`).
    Request,
    /// Also when the programme's retention period after the cohort's end has passed: free text
    /// and contact details.
    Retention,
}

/// A rewrite of a JSON document held in a text column: the document with the person's values
/// erased, or `None` when there is nothing to erase. It gets the value of the entry's `context`
/// expression for the row, the people erased and how far the erasure reaches.
pub type Rewrite = fn(&str, Option<&str>, &Scope, Reach) -> Option<String>;

/// How a column is erased.
#[derive(Clone, Copy)]
pub enum Erase {
    /// Set to `NULL`.
    Null,
    /// Replaced by [`ERASED`] (a column that may not be empty).
    Mark,
    /// A year becomes the first year of its decade (a birth year: the birth decade stays).
    Decade,
    /// The person's rows are deleted (derived rows nothing counts: search terms, a calendar feed).
    Rows,
    /// A JSON document rewritten in Rust, with the value of `context` (an SQL expression over the
    /// row) beside it.
    Json {
        /// An SQL expression over the row that the rewrite needs (the questionnaire's items).
        context: Option<&'static str>,
        /// The rewrite.
        rewrite: Rewrite,
    },
}

/// One column of a holding and how it is erased.
#[derive(Clone, Copy)]
pub struct Part {
    /// The column (`*` for [`Erase::Rows`]).
    pub column: &'static str,
    /// How.
    pub how: Erase,
    /// By which erasure.
    pub reach: Reach,
}

const fn on_request(column: &'static str, how: Erase) -> Part {
    Part {
        column,
        how,
        reach: Reach::Request,
    }
}

const fn at_retention(column: &'static str, how: Erase) -> Part {
    Part {
        column,
        how,
        reach: Reach::Retention,
    }
}

/// A table that holds a trainee's data.
pub struct Holding {
    /// The table.
    pub table: &'static str,
    /// What it holds, for the export's README and docs/personal-data.md.
    pub about: &'static str,
    /// The SQL condition that finds the person's rows: `{trainees}` and `{enrollments}` stand for
    /// the lists of ids (only integers reach the SQL); `PLANS`, `CHECKPOINTS`, `SUPERVISOR_LINKS`
    /// and `DISCLOSED_ANSWERS` for the sub-queries of ids of those names, and `STORED_REPLIES`
    /// for the condition of [`stored_replies`] (`Scope::render`).
    pub rows: &'static str,
    /// Whether the access export shows these rows (an entry that only erases does not).
    pub exported: bool,
    /// Columns never exported: hashes and nonces of personal links, and folded copies of shown
    /// columns.
    pub hidden: &'static [&'static str],
    /// The columns erased, and how.
    pub erase: &'static [Part],
}

/// The enrolments' action plans.
const PLANS: &str = "(SELECT id FROM action_plans WHERE enrollment_id IN {enrollments})";
/// The plans' checkpoints.
const CHECKPOINTS: &str = "(SELECT c.id FROM checkpoints c JOIN action_plans p ON p.id = c.plan_id \
                           WHERE p.enrollment_id IN {enrollments})";
/// The checkpoints' supervisor links.
const SUPERVISOR_LINKS: &str = "(SELECT l.id FROM supervisor_links l JOIN checkpoints c ON c.id = l.checkpoint_id \
                                JOIN action_plans p ON p.id = c.plan_id WHERE p.enrollment_id IN {enrollments})";

/// The records whose address (`Location`) a stored reply to a keyed create names: the trainee
/// and what sits under it (its consents), its language certificates, enrolments, identified
/// answers and assessments, action plans and costs. The paths are the route table's (`src/app.rs`),
/// which only these kinds of the trainee's are created under.
const REPLY_LOCATIONS: &str = "(SELECT '/api/v1/trainees/' || CAST(id AS TEXT) FROM trainees WHERE id IN {trainees} \
     UNION ALL SELECT '/api/v1/trainees/' || CAST(trainee_id AS TEXT) || '/consents/' || CAST(id AS TEXT) FROM consents WHERE trainee_id IN {trainees} \
     UNION ALL SELECT '/api/v1/language-certificates/' || CAST(id AS TEXT) FROM language_certificates WHERE trainee_id IN {trainees} \
     UNION ALL SELECT '/api/v1/enrollments/' || CAST(id AS TEXT) FROM enrollments WHERE id IN {enrollments} \
     UNION ALL SELECT '/api/v1/round-responses/' || CAST(id AS TEXT) FROM responses WHERE enrollment_id IN {enrollments} \
     UNION ALL SELECT '/api/v1/action-plans/' || CAST(id AS TEXT) FROM action_plans WHERE enrollment_id IN {enrollments} \
     UNION ALL SELECT '/api/v1/expenses/' || CAST(id AS TEXT) FROM costs WHERE enrollment_id IN {enrollments} \
     UNION ALL SELECT '/api/v1/budget-lines/' || CAST(id AS TEXT) FROM costs WHERE enrollment_id IN {enrollments})";

/// The trainee's columns whose values, found in a stored reply, mark it as holding the trainee's
/// data: what identifies them (name, contacts) and what was written about them (notes).
const REPLY_VALUES: [&str; 4] = ["full_name", "email", "phone", "notes"];

/// The stored replies to keyed requests (`idempotency_keys`) that may hold the trainees' data, as
/// an SQL condition: those whose `Location` names one of their records ([`REPLY_LOCATIONS`]),
/// and those whose body holds any of their [`REPLY_VALUES`] as JSON writes it
/// ([`dialect::holds_json_text`]: escaped, and searched as plain text, not as a pattern). The
/// body cannot be parsed into the records it names (an import's report, a created record of any
/// kind), and a name is what any reply about a person carries; the location catches the reply to
/// the trainee's own creation even after the name was changed. Deleting a reply that names
/// someone else as well (an import's) costs only a retry that runs again instead of replaying:
/// the safe side.
fn stored_replies(conn: &DbConnection) -> String {
    let holds: Vec<String> = REPLY_VALUES
        .iter()
        .map(|column| dialect::holds_json_text(conn, "idempotency_keys.response_body", &format!("t.{column}")))
        .collect();
    format!(
        "idempotency_keys.location IN {REPLY_LOCATIONS} OR EXISTS (SELECT 1 FROM trainees t \
         WHERE t.id IN {{trainees}} AND ({}))",
        holds.join(" OR ")
    )
}

/// Every table that holds a trainee's data: THE list the export, the erasure and retention read.
/// Add a table here and it is exported, erased and scanned by the tests.
pub const HOLDINGS: &[Holding] = &[
    // First: its rows are found by the trainee's name and notes, which the `trainees` entry below
    // erases; read before, the dry run and the erasure find the same rows.
    Holding {
        table: "idempotency_keys",
        about: "Replies kept for a day so that a request retried with the same Idempotency-Key is answered again instead of done twice: a reply to creating the trainee (or one of their records) holds what that answer held. Not exported: each is a copy of what the other tables hold, and is deleted a day after its request. An erasure deletes those that may hold the trainee's data; a retry of one of those requests then runs again instead of being replayed.",
        rows: "STORED_REPLIES",
        exported: false,
        hidden: &[],
        erase: &[on_request("*", Erase::Rows)],
    },
    Holding {
        table: "trainees",
        about: "The trainee's record: name, gender, birth year, position, organisation, province, email, phone, notes, language, and whether and why it was erased.",
        rows: "id IN {trainees}",
        exported: true,
        hidden: &["email_key", "province_key", "organisation_key"],
        erase: &[
            on_request("full_name", Erase::Mark),
            on_request("position", Erase::Null),
            on_request("notes", Erase::Null),
            on_request("birth_year", Erase::Decade),
            on_request("service_start_year", Erase::Decade),
            on_request("position_level", Erase::Null),
            at_retention("email", Erase::Null),
            at_retention("email_key", Erase::Null),
            at_retention("phone", Erase::Null),
        ],
    },
    Holding {
        table: "trainee_terms",
        about: "Words of the trainee's name, organisation and position, which the trainee search looks up.",
        rows: "trainee_id IN {trainees}",
        exported: true,
        hidden: &[],
        erase: &[on_request("*", Erase::Rows)],
    },
    Holding {
        table: "language_certificates",
        about: "The trainee's language certificates (language, test, score, date), which cohorts' eligibility reads. Kept after an erasure: they name no one once the trainee's name is gone.",
        rows: "trainee_id IN {trainees}",
        exported: true,
        hidden: &[],
        erase: &[],
    },
    Holding {
        table: "consents",
        about: "What the trainee consented to, per purpose (and partner): when, how, who recorded it, and any withdrawal. The rows stay after an erasure as the record of the lawful basis of past disclosures; only the note goes.",
        rows: "trainee_id IN {trainees}",
        exported: true,
        hidden: &[],
        erase: &[on_request("note", Erase::Null)],
    },
    Holding {
        table: "disclosures",
        about: "Who outside the department saw what: for each answer that gave a partner's liaison the trainee's personal data, which fields (the answer's account, partner and time are in disclosure_events). Kept after an erasure: it names fields, not values, and the transfer dossier counts it.",
        rows: "trainee_id IN {trainees} AND event_id IN DISCLOSED_ANSWERS",
        exported: true,
        hidden: &[],
        erase: &[],
    },
    Holding {
        table: "disclosure_events",
        about: "The answers to partners' liaisons that gave the trainee's personal data (see disclosures): when, which account, which partner, what was read. An answer may have named others too; this row names none of them. Kept after an erasure.",
        rows: "id IN (SELECT x.event_id FROM disclosures x WHERE x.trainee_id IN {trainees} AND x.event_id IN DISCLOSED_ANSWERS)",
        exported: true,
        hidden: &[],
        erase: &[],
    },
    Holding {
        table: "disclosure_days",
        about: "The days on which each partner's liaisons were given the trainee's personal data (one row per partner and day), through which the trainee's disclosures are found. Kept after an erasure, like disclosures.",
        rows: "trainee_id IN {trainees}",
        exported: true,
        hidden: &[],
        erase: &[],
    },
    Holding {
        table: "enrollments",
        about: "Each place in a cohort: status, certificate number, notes, and the organisation, position, province, gender and birth year at enrolment, which reports count by.",
        rows: "id IN {enrollments}",
        exported: true,
        hidden: &[],
        erase: &[
            on_request("notes", Erase::Null),
            on_request("position", Erase::Null),
            on_request("birth_year", Erase::Decade),
            on_request("end_reason", Erase::Null),
            on_request("partner_end_reason", Erase::Null),
        ],
    },
    Holding {
        table: "attendance",
        about: "Attendance marks at each session, with the officer's note.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &[],
        erase: &[on_request("note", Erase::Null)],
    },
    Holding {
        table: "calendar_feeds",
        about: "That a private calendar feed was made for an enrolment (its address is never kept).",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &["token_hash", "nonce"],
        erase: &[on_request("*", Erase::Rows)],
    },
    Holding {
        table: "invitations",
        about: "Invitations to answer evaluation rounds: whether and when answered or declined, and why declined.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &["token_hash", "nonce"],
        erase: &[at_retention("decline_reason", Erase::Null)],
    },
    Holding {
        table: "responses",
        about: "Identified answers: the trainee's own answers in rounds with names, and assessments of the trainee by officers and partners. Anonymous answers name nobody and are not here.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &[],
        erase: &[at_retention(
            "answers",
            Erase::Json {
                context: Some(
                    "(SELECT i.items FROM evaluation_rounds r JOIN instruments i ON i.id = r.instrument_id \
                     WHERE r.id = responses.round_id)",
                ),
                rewrite: redact::answers,
            },
        )],
    },
    Holding {
        table: "certificates",
        about: "Certificates: number, verification code, when issued or revoked, and why revoked.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &[],
        erase: &[on_request("revoked_reason", Erase::Null)],
    },
    Holding {
        table: "action_plans",
        about: "Action plans: title, problem, items, review comments, and the supervisor's name, position and email.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &["link_hash", "link_nonce"],
        erase: &[
            at_retention("title", Erase::Null),
            at_retention("problem", Erase::Null),
            at_retention(
                "items",
                Erase::Json {
                    context: None,
                    rewrite: redact::plan_items,
                },
            ),
            at_retention("reason", Erase::Null),
            at_retention("review_comments", Erase::Null),
            at_retention("supervisor_name", Erase::Null),
            at_retention("supervisor_position", Erase::Null),
            at_retention("supervisor_email", Erase::Null),
        ],
    },
    Holding {
        table: "checkpoints",
        about: "Follow-up reports on the plan: progress of each item with its evidence, barriers, and the officer's review note.",
        rows: "id IN CHECKPOINTS",
        exported: true,
        hidden: &["link_hash", "link_nonce"],
        erase: &[
            at_retention(
                "progress",
                Erase::Json {
                    context: None,
                    rewrite: redact::progress,
                },
            ),
            at_retention("barriers", Erase::Null),
            at_retention("review_note", Erase::Null),
        ],
    },
    Holding {
        table: "supervisor_links",
        about: "The supervisor's answers at each checkpoint: whether they confirm the report, and their comment.",
        rows: "id IN SUPERVISOR_LINKS",
        exported: true,
        hidden: &["link_hash", "link_nonce"],
        erase: &[at_retention("comment", Erase::Null)],
    },
    Holding {
        table: "supervisor_ratings",
        about: "The supervisor's rating of each plan item, with a comment.",
        rows: "link_id IN SUPERVISOR_LINKS",
        exported: true,
        hidden: &[],
        erase: &[at_retention("comment", Erase::Null)],
    },
    Holding {
        table: "costs",
        about: "Costs recorded against an enrolment (a per diem, a ticket): amounts, reference and note.",
        rows: "enrollment_id IN {enrollments}",
        exported: true,
        hidden: &[],
        erase: &[on_request("note", Erase::Null)],
    },
    Holding {
        table: "messages",
        about: "Mail sent to the trainee (and to their supervisor about them): recipient, subject, body and delivery state.",
        rows: "trainee_id IN {trainees}",
        exported: true,
        hidden: &[],
        erase: &[
            on_request("recipient_name", Erase::Mark),
            on_request("subject", Erase::Mark),
            on_request("body", Erase::Mark),
            on_request("calendar", Erase::Null),
            on_request("error", Erase::Null),
            at_retention("recipient_email", Erase::Null),
        ],
    },
    Holding {
        table: "audit_events",
        about: "The audit trail of changes to the trainee's records (who changed what, when, with the old and new values).",
        rows: "(entity_type = 'trainee' AND entity_id IN {trainees}) \
               OR (entity_type = 'consent' AND entity_id IN (SELECT id FROM consents WHERE trainee_id IN {trainees})) \
               OR (entity_type = 'language_certificate' AND entity_id IN (SELECT id FROM language_certificates WHERE trainee_id IN {trainees})) \
               OR (entity_type IN ('enrollment', 'certificate', 'calendar_feed') AND entity_id IN {enrollments}) \
               OR (entity_type = 'invitation' AND entity_id IN (SELECT id FROM invitations WHERE enrollment_id IN {enrollments})) \
               OR (entity_type = 'response' AND entity_id IN (SELECT id FROM responses WHERE enrollment_id IN {enrollments})) \
               OR (entity_type = 'action_plan' AND entity_id IN PLANS) \
               OR (entity_type = 'checkpoint' AND entity_id IN CHECKPOINTS) \
               OR (entity_type IN ('expense', 'budget_line') AND entity_id IN (SELECT id FROM costs WHERE enrollment_id IN {enrollments})) \
               OR (entity_type = 'message' AND entity_id IN (SELECT id FROM messages WHERE trainee_id IN {trainees}))",
        exported: true,
        hidden: &[],
        erase: &[
            at_retention(
                "changes",
                Erase::Json {
                    context: None,
                    rewrite: redact::audit_changes,
                },
            ),
            on_request("reason", Erase::Mark),
        ],
    },
    Holding {
        table: "audit_events",
        about: "Saved attendance sheets in the audit trail: the person's own marks and notes inside each sheet's event.",
        rows: "entity_type = 'session_attendance' \
               AND entity_id IN (SELECT session_id FROM attendance WHERE enrollment_id IN {enrollments})",
        // Each event holds a whole sheet (other trainees' notes too); the person's marks are in
        // the `attendance` rows above.
        exported: false,
        hidden: &[],
        erase: &[on_request(
            "changes",
            Erase::Json {
                context: None,
                rewrite: redact::attendance_sheet,
            },
        )],
    },
];

/// The people an erasure is about: trainees (their own record and mail) and enrolments (their
/// places, answers, plans), as lists of ids.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Trainees whose record is erased.
    pub trainees: Vec<i64>,
    /// Enrolments whose records are erased.
    pub enrollments: Vec<i64>,
}

impl Scope {
    /// Everything about one trainee: the record and every enrolment.
    pub fn of_trainee(conn: &mut DbConnection, id: TraineeId) -> ApiResult<Scope> {
        let enrollments: Vec<i64> = enrollments::table
            .filter(enrollments::trainee_id.eq(id))
            .order(enrollments::id)
            .select(enrollments::id)
            .load::<crate::ids::EnrollmentId>(conn)?
            .into_iter()
            .map(|e| e.0)
            .collect();
        Ok(Scope {
            trainees: vec![id.0],
            enrollments,
        })
    }

    /// `template` with its named lists and sub-queries filled in (integers only), in the SQL of
    /// `conn`'s database.
    fn render(&self, conn: &DbConnection, template: &str) -> String {
        let list = |ids: &[i64]| {
            if ids.is_empty() {
                // `IN (NULL)` matches nothing, on both databases.
                "(NULL)".to_owned()
            } else {
                format!("({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
            }
        };
        template
            .replace("STORED_REPLIES", &stored_replies(conn))
            .replace("SUPERVISOR_LINKS", SUPERVISOR_LINKS)
            // The answers that may have given the trainees' data (`disclosures`' one rule).
            .replace(
                "DISCLOSED_ANSWERS",
                &crate::disclosures::answers_that_may_name("{trainees}"),
            )
            .replace("CHECKPOINTS", CHECKPOINTS)
            .replace("PLANS", PLANS)
            .replace("{trainees}", &list(&self.trainees))
            .replace("{enrollments}", &list(&self.enrollments))
    }
}

/// What an erasure changes (or, in a dry run, would change) in one column of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// The table.
    pub table: String,
    /// The column; `*` when rows are deleted.
    pub column: String,
    /// How: `cleared` (set to null), `replaced` (by `[erased]`), `decade` (a birth year becomes
    /// its decade's first year), `deleted` (rows), `rewritten` (the person's values inside a JSON
    /// document).
    pub how: String,
    /// How many rows.
    pub rows: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct JsonCell {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Nullable<Text>)]
    context: Option<String>,
}

fn count(conn: &mut DbConnection, table: &str, filter: &str) -> ApiResult<i64> {
    let rows: Vec<Count> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}")).load(conn)?;
    Ok(rows.first().map_or(0, |c| c.n))
}

/// Erase what `reach` reaches of `scope`, holding by holding ([`HOLDINGS`]); with `dry_run`, only
/// count it. Each change counts the rows whose value it changes (a value erased already is not
/// counted again), so a dry run lists exactly what the run then changes.
pub fn apply(conn: &mut DbConnection, scope: &Scope, reach: Reach, dry_run: bool) -> ApiResult<Vec<Change>> {
    let mut changes = Vec::new();
    for holding in HOLDINGS {
        let rows = format!("({})", scope.render(conn, holding.rows));
        for part in holding.erase {
            if reach == Reach::Retention && part.reach == Reach::Request {
                continue;
            }
            let (table, column) = (holding.table, part.column);
            let (how, n) = match part.how {
                Erase::Null | Erase::Mark | Erase::Decade => {
                    let (how, differs, value) = match part.how {
                        Erase::Null => ("cleared", format!("{column} IS NOT NULL"), "NULL".to_owned()),
                        Erase::Mark => (
                            "replaced",
                            format!("{column} IS NOT NULL AND {column} <> '{ERASED}'"),
                            format!("'{ERASED}'"),
                        ),
                        _ => (
                            "decade",
                            format!("{column} IS NOT NULL AND {column} % 10 <> 0"),
                            format!("({column} / 10) * 10"),
                        ),
                    };
                    let filter = format!("{rows} AND {differs}");
                    let n = count(conn, table, &filter)?;
                    if n > 0 && !dry_run {
                        diesel::sql_query(format!("UPDATE {table} SET {column} = {value} WHERE {filter}"))
                            .execute(conn)?;
                    }
                    (how, n)
                }
                Erase::Rows => {
                    let n = count(conn, table, &rows)?;
                    if n > 0 && !dry_run {
                        diesel::sql_query(format!("DELETE FROM {table} WHERE {rows}")).execute(conn)?;
                    }
                    ("deleted", n)
                }
                Erase::Json { context, rewrite } => {
                    let context = context.unwrap_or("CAST(NULL AS TEXT)");
                    let cells: Vec<JsonCell> = diesel::sql_query(format!(
                        "SELECT id, {column} AS value, {context} AS context FROM {table} \
                         WHERE {rows} AND {column} IS NOT NULL ORDER BY id"
                    ))
                    .load(conn)?;
                    let mut n = 0;
                    for cell in cells {
                        if let Some(erased) = rewrite(&cell.value, cell.context.as_deref(), scope, reach) {
                            n += 1;
                            if !dry_run {
                                dialect::set_text_by_id(conn, table, column, cell.id, &erased)?;
                            }
                        }
                    }
                    ("rewritten", n)
                }
            };
            if n > 0 {
                changes.push(Change {
                    table: table.to_owned(),
                    column: column.to_owned(),
                    how: how.to_owned(),
                    rows: n,
                });
            }
        }
    }
    Ok(changes)
}

/// An erasure on request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseTrainee {
    /// Why (the data subject's request, with its date and reference): kept on the trainee's row
    /// and in the audit trail.
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(
        min_length = 1,
        max_length = 20000,
        example = "Request of 2026-12-01 under Decree 13/2023, art. 16 (ref. DP-2026-014)"
    )]
    pub reason: String,
    /// `true`: change nothing, list what would be changed (also `?dry_run=true`).
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// `?dry_run=true` lists what an erasure would change without changing it.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct DryRunParams {
    /// `true`: change nothing, list what would be changed.
    pub dry_run: Option<bool>,
}

/// What an erasure changed, or in a dry run would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    /// The trainee.
    pub trainee_id: TraineeId,
    /// Whether nothing was changed (a dry run).
    pub dry_run: bool,
    /// When it was erased; none in a dry run.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub erased_at: Option<NaiveDateTime>,
    /// Every change, table by table and column by column, with the rows it touches.
    pub changes: Vec<Change>,
    /// What is kept, so that reports count the trainee as before.
    pub kept: Vec<String>,
}

/// Erase trainee `id`'s personal data everywhere it is stored ([`HOLDINGS`]), keeping the rows
/// and the dimensions reports count by ([`KEPT`]), and mark the trainee erased, with `reason`.
/// Irreversible; with `dry_run` nothing changes and the answer lists what would. 409 `erased` for
/// a trainee erased already; 409 `seated` or `awaiting_seat` for one who has a seat, a nomination
/// or a place on the waitlist in a cohort that has not ended.
///
/// Not a `resource::act`: its audit event must not carry the old values it erases, so the trainee's
/// row is written here, its version bumped (a `PATCH` read before the erasure then finds the row
/// changed, reads it again and is refused), and one event records that and why it was erased.
pub fn erase(conn: &mut DbConnection, actor: &Actor, id: TraineeId, reason: &str, dry_run: bool) -> ApiResult<Erasure> {
    // First, so that an enrolment of the trainee made at the same time is either seen below or
    // made after the erasure (and refused as erased), never missed by both.
    dialect::lock_trainee(conn, id, dialect::TraineeLock::Erasing)?;
    let trainee = Trainee::find(conn, id)?;
    trainee.refuse_if_erased()?;
    refuse_if_placed(conn, id)?;
    let scope = Scope::of_trainee(conn, id)?;
    let changes = apply(conn, &scope, Reach::Request, dry_run)?;
    let mut erasure = Erasure {
        trainee_id: id,
        dry_run,
        erased_at: None,
        changes,
        kept: KEPT.iter().map(|k| (*k).to_owned()).collect(),
    };
    if dry_run {
        return Ok(erasure);
    }
    let now = crate::clock::now();
    diesel::update(trainees::table.find(id))
        .set((
            trainees::erased_at.eq(now),
            trainees::erasure_reason.eq(reason),
            trainees::updated_at.eq(now),
            trainees::version.eq(trainees::version + 1),
        ))
        .execute(conn)?;
    let marked = serde_json::json!({
        "erased_at": now.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    });
    audit::record(
        conn,
        actor,
        Event::changed(
            Entity::Trainee,
            id.0,
            &serde_json::json!({ "erased_at": null }),
            &marked,
        )
        .because(reason),
    )?;
    erasure.erased_at = Some(now);
    Ok(erasure)
}

/// 409, naming the cohort, when trainee `id` still has a place in a cohort that has not ended
/// (planned, open or in progress), which still needs the trainee's data: `seated` for a seat
/// (withdraw the enrolment, or wait until the cohort is completed or cancelled), `awaiting_seat`
/// for a nomination or a place on the waitlist, which could be seated later (withdraw, reject or
/// decline it first).
fn refuse_if_placed(conn: &mut DbConnection, id: TraineeId) -> ApiResult<()> {
    let running = ["planned", "open", "in_progress"];
    let holding_a_place: Vec<EnrollmentStatus> = SEATED.into_iter().chain(AWAITING_SEAT).collect();
    let placed: Option<(EnrollmentStatus, String, String, String, String)> = enrollments::table
        .inner_join(cohorts::table.inner_join(programs::table))
        .filter(enrollments::trainee_id.eq(id))
        .filter(enrollments::status.eq_any(holding_a_place))
        .filter(cohorts::status.eq_any(running))
        .order(cohorts::id)
        .select((
            enrollments::status,
            programs::code,
            cohorts::code,
            cohorts::name,
            cohorts::status,
        ))
        .first(conn)
        .optional()?;
    let Some((status, program, code, name, cohort_status)) = placed else {
        return Ok(());
    };
    let cohort = format!("cohort {program}/{code} ({name}), which is {cohort_status}");
    Err(if status.is_seated() {
        ApiError::conflict(
            "seated",
            format!(
                "trainee {id} holds a seat in {cohort}; withdraw the enrolment or erase the trainee once the \
                 cohort is completed or cancelled"
            ),
        )
    } else {
        ApiError::conflict(
            "awaiting_seat",
            format!(
                "trainee {id} is {status} in {cohort} and could still be seated; withdraw, reject or decline \
                 that enrolment first"
            ),
        )
    })
}
