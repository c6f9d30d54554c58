//! Builds the HTTP application: routes, shared state, middleware, docs, and the server.

pub mod docs;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::action_plans::ActionPlan;
use crate::audit::AuditEvent;
use crate::cohorts::Cohort;
use crate::config::AppConfig;
use crate::contacts::Contact;
use crate::costs::{BudgetLine, ExchangeRate, Expense};
use crate::db::Db;
use crate::disclosures::Disclosure;
use crate::enrollments::Enrollment;
use crate::http::auth::{Admins, Assessors, ProgramReaders, Readers, Selectors, Staff};
use crate::http::crud::Endpoints;
use crate::http::{fallback, json, request_id};
use crate::instruments::Instrument;
use crate::invitations::Invitation;
use crate::mail::Message;
use crate::participations::Participation;
use crate::partners::Partner;
use crate::programs::Program;
use crate::programs::partners::ProgramPartner;
use crate::responses::Response;
use crate::rounds::Round;
use crate::sessions::Session;
use crate::trainees::Trainee;
use crate::trainees::consents::Consent;
use crate::trainees::languages::LanguageCertificate;
use crate::users::User;
use crate::{api, auth, health};

/// Every documented route, in the order the OpenAPI document lists them: the whole API at a
/// glance. The standard operations ([`Endpoints`]) are written once for every resource; the few
/// operations that are not standard have handlers of their own.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready).service(
        scope("/api/v1")
            .service(
                Endpoints::<Partner>::of("partners", "/partners", "/partners/{id}")
                    .list::<Readers>("list_partners", "List partners.")
                    .create::<Staff>("create_partner", "Create a partner.")
                    .get::<ProgramReaders>(
                        "get_partner",
                        "Get one partner. A liaison reads its own partner only, without the department's `notes`.",
                    )
                    .update::<Staff>(
                        "update_partner",
                        "Change a partner: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_partner", "Delete a partner that no programme refers to."),
            )
            .service(
                Endpoints::<Contact>::of("contacts", "/contacts", "/contacts/{id}")
                    .list::<ProgramReaders>(
                        "list_contacts",
                        "List the people at partners. A liaison sees its own partner's people only.",
                    )
                    .create::<Staff>("create_contact", "Record a person at a partner organisation.")
                    .get::<ProgramReaders>("get_contact", "Get one contact.")
                    .update::<Staff>(
                        "update_contact",
                        "Change a contact: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_contact", "Delete a contact who took part in nothing."),
            )
            .service(
                Endpoints::<Participation>::of("contacts", "/participations", "/participations/{id}")
                    .list::<ProgramReaders>(
                        "list_participations",
                        "List who took part in what: a session's people (`session_id`), a cohort's (`cohort_id`, its\n\
                         sessions' included) or a contact's history (`contact_id`). A liaison sees its own partner's\n\
                         people only.",
                    )
                    .create::<Staff>(
                        "create_participation",
                        "Record a contact's part in a cohort (`cohort_id`) or in one of its sessions (`session_id`).",
                    )
                    .get::<ProgramReaders>("get_participation", "Get one participation.")
                    .update::<Staff>("update_participation", "Change a participation's part or notes.")
                    .delete::<Staff>("delete_participation", "Delete a participation."),
            )
            .service(
                Endpoints::<Program>::of("programs", "/programs", "/programs/{id}")
                    .list::<ProgramReaders>("list_programs", "List programmes.")
                    .create::<Staff>("create_program", "Create a programme.")
                    .get::<ProgramReaders>("get_program", "Get one programme.")
                    .update::<Staff>(
                        "update_program",
                        "Change a programme: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_program", "Delete a programme that nothing refers to any more."),
            )
            .service(
                Endpoints::<ProgramPartner>::of("programs", "/programs/{id}/partners", "/programs/{id}/partners/{partner_id}")
                    .list::<ProgramReaders>(
                        "list_program_partners",
                        "List the partners of a programme with their roles, by partner code.",
                    )
                    .create::<Staff>("add_program_partner", "Give a partner roles in a programme.")
                    .get::<ProgramReaders>("get_program_partner", "Get a partner's roles in a programme.")
                    .update::<Staff>("update_program_partner", "Change a partner's roles or notes in a programme.")
                    .delete::<Staff>("remove_program_partner", "Remove a partner from a programme."),
            )
            .service(
                Endpoints::<Cohort>::of("cohorts", "/programs/{id}/cohorts", "/cohorts/{id}")
                    .list::<ProgramReaders>("list_cohorts", "List the cohorts of a programme.")
                    .create::<Staff>("create_cohort", "Open a cohort of a programme.")
                    .get::<ProgramReaders>("get_cohort", "Get one cohort, with its enrolled and waitlisted counts.")
                    .update::<Staff>(
                        "update_cohort",
                        "Change a cohort: only the fields given change; `null` clears an optional one. A status move\n\
                         outside `planned → open → in_progress → completed` (or to `cancelled` before completion) is\n\
                         409; raising the capacity enrols waitlisted trainees into the new seats.",
                    )
                    .delete::<Staff>("delete_cohort", "Delete a cohort that has no enrolments and no sessions."),
            )
            .service(
                Endpoints::<BudgetLine>::of("costs", "/programs/{id}/budget-lines", "/budget-lines/{id}")
                    .list::<ProgramReaders>(
                        "list_budget_lines",
                        "List a programme's budget lines, by date. A liaison of a funder of the programme reads them\n\
                         (a trainee's own lines only where the programme shares trainees' data with its partner);\n\
                         any other liaison gets 404.",
                    )
                    .create::<Staff>("create_budget_line", "Plan an amount for a programme, one of its cohorts or one trainee.")
                    .get::<ProgramReaders>("get_budget_line", "Get one budget line, with its amount in the reporting currency.")
                    .update::<Staff>(
                        "update_budget_line",
                        "Change a budget line: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_budget_line", "Delete a budget line."),
            )
            .service(
                Endpoints::<Expense>::of("costs", "/programs/{id}/expenses", "/expenses/{id}")
                    .list::<ProgramReaders>(
                        "list_expenses",
                        "List a programme's expenses, by date. A liaison of a funder of the programme reads them\n\
                         (a trainee's own only where the programme shares trainees' data with its partner); any\n\
                         other liaison gets 404.",
                    )
                    .create::<Staff>(
                        "create_expense",
                        "Record an expense, committed or paid, for a programme, one of its cohorts or one trainee.",
                    )
                    .get::<ProgramReaders>("get_expense", "Get one expense, with its amount in the reporting currency.")
                    .update::<Staff>(
                        "update_expense",
                        "Change an expense (`status: paid` once paid): only the fields given change; `null` clears\n\
                         an optional one.",
                    )
                    .delete::<Staff>("delete_expense", "Delete an expense."),
            )
            .service(api::costs::import_expenses)
            .service(
                Endpoints::<ExchangeRate>::of("costs", "/exchange-rates", "/exchange-rates/{id}")
                    .list::<Readers>("list_exchange_rates", "List exchange rates, by date.")
                    .create::<Staff>(
                        "create_exchange_rate",
                        "Record a rate: from `date` on, one `base_currency` buys `rate` `quote_currency`. The costs\n\
                         it applies to are converted at it in the same transaction.",
                    )
                    .get::<Readers>("get_exchange_rate", "Get one exchange rate.")
                    .update::<Staff>("update_exchange_rate", "Change a rate; the costs it applies to convert again.")
                    .delete::<Staff>(
                        "delete_exchange_rate",
                        "Delete a rate; the costs it converted use the rate before it, or wait for one.",
                    ),
            )
            .service(
                Endpoints::<Session>::of("sessions", "/cohorts/{id}/sessions", "/sessions/{id}")
                    .list::<ProgramReaders>("list_sessions", "List the sessions of a cohort, in date order.")
                    .create::<Staff>("create_session", "Schedule a session of a cohort.")
                    .get::<ProgramReaders>("get_session", "Get one session.")
                    .update::<Staff>(
                        "update_session",
                        "Change a session: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_session", "Delete a session that has no attendance recorded."),
            )
            .service(api::calendars::cohort_calendar)
            .service(api::attendance::get_attendance)
            .service(api::attendance::record_attendance)
            .service(
                Endpoints::<Enrollment>::of("enrollments", "/cohorts/{id}/enrollments", "/enrollments/{id}")
                    .list::<ProgramReaders>(
                        "list_enrollments",
                        "List the enrolments of a cohort, oldest first. A liaison sees only trainees holding a seat.",
                    )
                    .create::<Staff>(
                        "create_enrollment",
                        "Enrol a trainee: a seat if one is free, else the waitlist (`status: \"nominated\"` records only\n\
                         a nomination). Send `Idempotency-Key` so that a retried request does not enrol twice.",
                    )
                    .get::<ProgramReaders>("get_enrollment", "Get one enrolment, with its attendance rate.")
                    .update::<Selectors>(
                        "update_enrollment",
                        "Move an enrolment through its states, or change its notes. An illegal move is 409 naming the\n\
                         allowed ones. When an enrolled trainee withdraws, the longest-waiting trainee on the waitlist\n\
                         is enrolled into the seat, and its audit event says why; a move to `waitlisted` while seats\n\
                         are free is enrolled at once the same way. Where a partner reviews the programme's\n\
                         nominations, a nomination is `accepted` or `declined` (with a `reason`) first, by the\n\
                         partner's liaison (who may make only these two moves) or an officer.",
                    ),
            )
            .service(api::enrollments::import_enrollments)
            .service(api::personal_data::get_personal_data)
            .service(api::personal_data::erase_trainee)
            .service(api::enrollments::move_enrollments)
            .service(api::eligibility::get_eligibility_criteria)
            .service(api::eligibility::set_eligibility_criteria)
            .service(api::eligibility::cohort_eligibility)
            .service(api::calendars::issue_calendar_feed)
            .service(api::calendars::open_calendar_feed)
            .service(
                Endpoints::<Trainee>::of("trainees", "/trainees", "/trainees/{id}")
                    .list::<ProgramReaders>(
                        "list_trainees",
                        "List trainees. A liaison sees only those enrolled in cohorts of its partner's programmes.",
                    )
                    .create::<Staff>("create_trainee", "Create a trainee.")
                    .get::<ProgramReaders>("get_trainee", "Get one trainee.")
                    .update::<Staff>(
                        "update_trainee",
                        "Change a trainee: only the fields given change; `null` clears an optional one.",
                    )
                    .delete::<Staff>("delete_trainee", "Delete a trainee who holds no enrolment."),
            )
            .service(
                Endpoints::<LanguageCertificate>::of(
                    "trainees",
                    "/trainees/{id}/language-certificates",
                    "/language-certificates/{id}",
                )
                .list::<Readers>("list_language_certificates", "List a trainee's language certificates, oldest first.")
                .create::<Staff>(
                    "create_language_certificate",
                    "Record a language certificate of a trainee: the language, the test, its score and date.",
                )
                .get::<Readers>("get_language_certificate", "Get one language certificate.")
                .update::<Staff>(
                    "update_language_certificate",
                    "Change a language certificate: only the fields given change.",
                )
                .delete::<Staff>("delete_language_certificate", "Delete a language certificate."),
            )
            .service(
                Endpoints::<Consent>::of("trainees", "/trainees/{id}/consents", "/trainees/{id}/consents/{consent_id}")
                    .list::<Readers>(
                        "list_consents",
                        "List a trainee's consents, oldest first, withdrawn ones included (`standing=true` for those that\n\
                         stand).",
                    )
                    .create::<Staff>(
                        "record_consent",
                        "Record a consent the trainee gave on paper (or from a file): to share contact details with a named\n\
                         partner, to be contacted after return, or to the department's own reporting (a legal duty, never\n\
                         withdrawn). 409 `duplicate` while the same consent stands.",
                    )
                    .get::<Readers>("get_consent", "Get one of a trainee's consents."),
            )
            .service(api::consents::withdraw_consent)
            .service(
                Endpoints::<Instrument>::of("evaluations", "/instruments", "/instruments/{id}")
                    .list::<ProgramReaders>("list_instruments", "List questionnaire revisions, by code and revision.")
                    .create::<Staff>("create_instrument", "Write a questionnaire: its first revision, as a draft.")
                    .get::<ProgramReaders>("get_instrument", "Get one questionnaire revision, with its items.")
                    .update::<Staff>(
                        "update_instrument",
                        "Change a draft questionnaire, or move it `draft → published → retired`. A published revision\n\
                         never changes (409 `published`): draft its next revision instead.",
                    )
                    .delete::<Staff>("delete_instrument", "Delete a draft questionnaire that no round uses."),
            )
            .service(api::instruments::revise_instrument)
            .service(
                Endpoints::<Round>::of("evaluations", "/cohorts/{id}/rounds", "/rounds/{id}")
                    .list::<ProgramReaders>("list_rounds", "List the evaluation rounds of a cohort, oldest first.")
                    .create::<Staff>("create_round", "Prepare an evaluation round of a cohort, as a draft.")
                    .get::<ProgramReaders>("get_round", "Get one evaluation round.")
                    .update::<Staff>(
                        "update_round",
                        "Change a round, or move it `draft → open → closed`. Opening a round that trainees answer\n\
                         invites every seated trainee (a trainee seated later is invited on taking the seat); closing\n\
                         it expires their links.",
                    )
                    .delete::<Staff>("delete_round", "Delete a round that is still a draft."),
            )
            .service(api::rounds::round_results)
            .service(api::assessments::list_pending_assessments)
            .service(
                Endpoints::<Invitation>::of("evaluations", "/rounds/{id}/invitations", "/invitations/{id}").list::<Staff>(
                    "list_invitations",
                    "List a round's invitations, each pending one with its personal link to send.",
                ),
            )
            .service(api::invitations::reissue_invitation)
            .service(api::invitations::enter_paper_form)
            .service(api::invitations::reopen_invitation)
            .service(
                Endpoints::<Response>::of("evaluations", "/rounds/{id}/responses", "/round-responses/{id}")
                    .list::<ProgramReaders>(
                        "list_responses",
                        "List a round's responses (in an anonymous round, without anyone's name). A liaison sees the\n\
                         assessments of its partner's cohorts.",
                    )
                    .create::<Assessors>(
                        "create_response",
                        "Assess a trainee in a round that partners or officers answer: one response per trainee.",
                    )
                    .get::<ProgramReaders>("get_response", "Get one response.")
                    .update::<Assessors>(
                        "update_response",
                        "Amend an assessment, with `If-Match`, until the round closes: the answers named change, the others\n\
                         are kept, `null` clears one. A liaison amends only its own partner's assessments (403 otherwise).",
                    ),
            )
            .service(api::invitations::open_link)
            .service(api::invitations::answer_link)
            .service(api::invitations::decline_link)
            .service(api::completion::get_completion_rule)
            .service(api::completion::set_completion_rule)
            .service(api::completion::run_completion)
            .service(api::certificates::get_certificate)
            .service(api::certificates::revoke_certificate)
            .service(api::certificates::reissue_certificate)
            .service(api::certificates::list_cohort_certificates)
            .service(api::certificates::verify_certificate)
            .service(
                Endpoints::<Message>::of("messages", "/messages", "/messages/{id}")
                    .list::<Readers>(
                        "list_messages",
                        "List the outbox, newest first: every message the service queued (invitations, reissued\n\
                         links, plans sent back, certificates, sessions' calendar entries, reminders) with where it\n\
                         stands. `?state=failed` lists those that did not go, with the reason; those without an\n\
                         address name people to reach another way. Reporters read no body.",
                    )
                    .get::<Readers>("get_message", "Get one message, with its body and calendar (admins and officers)."),
            )
            .service(api::messages::retry_message)
            .service(api::messages::cancel_message)
            .service(api::messages::round_message_counts)
            .service(api::messages::cohort_message_counts)
            .service(
                Endpoints::<ActionPlan>::of("follow-ups", "/cohorts/{id}/action-plans", "/action-plans/{id}")
                    .list::<ProgramReaders>("list_action_plans", "List the action plans of a cohort, oldest first.")
                    .create::<Staff>(
                        "create_action_plan",
                        "Start a seated trainee's action plan, as a draft (its content may follow through the\n\
                         trainee's link, `POST /action-plans/{id}/link`).",
                    )
                    .get::<ProgramReaders>("get_action_plan", "Get one action plan.")
                    .update::<Assessors>(
                        "update_action_plan",
                        "Change a draft plan, or move it through its states. An officer, or a liaison of a partner in\n\
                         the programme, approves a submitted plan (which schedules its checkpoints) or sends it back\n\
                         with `review_comments`; an illegal move is 409 naming the allowed ones.",
                    ),
            )
            .service(api::action_plans::issue_plan_link)
            .service(api::action_plans::issue_cohort_plan_links)
            .service(api::action_plans::open_plan_link)
            .service(api::action_plans::submit_plan_link)
            .service(api::checkpoints::list_follow_ups)
            .service(api::checkpoints::get_checkpoint)
            .service(api::checkpoints::record_report)
            .service(api::checkpoints::review_checkpoint)
            .service(api::checkpoints::reissue_checkpoint_link)
            .service(api::checkpoints::open_checkpoint_link)
            .service(api::checkpoints::report_checkpoint_link)
            .service(api::checkpoints::reissue_supervisor_link)
            .service(api::checkpoints::open_supervisor_link)
            .service(api::checkpoints::answer_supervisor_link)
            .service(api::checkpoints::cohort_follow_up_summary)
            .service(api::checkpoints::program_follow_up_summary)
            .service(api::checkpoints::get_follow_up_schedule)
            .service(api::checkpoints::set_follow_up_schedule)
            .service(api::reports::program_overview)
            .service(api::reports::trainees_by_origin)
            .service(api::reports::cohort_attendance)
            .service(api::reports::trainee_record)
            .service(api::reports::transfers_abroad)
            .service(api::costs::cost_anomalies)
            .service(api::costs::cost_report)
            .service(api::costs::cohort_costs)
            .service(
                Endpoints::<AuditEvent>::of("audit", "/audit-events", "/audit-events/{id}")
                    .list::<Admins>("list_audit_events", "List audit events, newest first."),
            )
            .service(
                Endpoints::<Disclosure>::of("audit", "/disclosures", "/disclosures/{id}").list::<Admins>(
                    "list_disclosures",
                    "List what partners' liaisons were given of trainees' personal data, newest first: one entry per\n\
                     trainee per answer (a record, a list's page, an export's page), with the account, its partner, the\n\
                     fields and the time.",
                ),
            )
            .service(api::auth::refresh)
            .service(api::auth::logout)
            .service(api::auth::me)
            .service(api::auth::change_me)
            .service(api::auth::change_password)
            .service(
                Endpoints::<User>::of("users", "/users", "/users/{id}")
                    .list::<Admins>("list_users", "List accounts, by email.")
                    .get::<Admins>("get_user", "Get one account."),
            )
            .service(api::users::create_user)
            .service(api::users::update_user)
            .service(api::users::unlock_user),
    );
}

/// Start serving on `listener`. The returned server runs until stopped, and on SIGTERM or SIGINT
/// stops accepting and lets in-flight requests finish for the configured time.
pub fn serve(listener: TcpListener, db: Db, config: AppConfig) -> anyhow::Result<Server> {
    let keys = {
        let mut conn = db.pool().get()?;
        // Every link's page address starts with this server's public address. A database not
        // migrated yet (`/ready` says so) gets it at the next start.
        if let Err(error) = crate::links::set_public_url(&mut conn, config.pages.public_url.as_str()) {
            tracing::warn!(%error, "could not record TPMS_PUBLIC_URL; links will have no page_url until a restart");
        }
        auth::tokens::JwtKeys::load(&mut conn, config.auth.jwt_secret.as_ref().map(|s| s.0.as_str()))?
    };
    let auth_state = web::Data::new(crate::http::auth::AuthState {
        keys,
        passwords: auth::passwords::Passwords::new(usize::from(config.auth.max_concurrent_hashes))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        lockout_for: std::time::Duration::from_secs(config.auth.lockout_secs),
    });
    let login_limit = auth::rate_limit::login_limit(config.auth.login_attempts_per_minute)?;
    {
        // Made before the first request, outside any transaction, so that app servers starting
        // together settle on one key. A database not migrated yet (`/ready` says so) makes it at
        // its first invitation instead.
        let mut conn = db.pool().get()?;
        if let Err(e) = crate::links::LinkKey::load(&mut conn) {
            tracing::warn!(error = %e, "the invitation link key is not there yet; it is made at the first invitation");
        }
    }
    let public_limit = web::Data::new(crate::http::public::PublicLimit::per_minute(
        config.evaluations.public_requests_per_minute,
        config.evaluations.link_requests_per_minute,
    ));
    // The outbox is delivered for as long as this server's runtime runs.
    crate::delivery::start(db.clone(), &config.mail)?;
    // Reminders and other time-based work run on the same runtime, claimed from the database.
    crate::schedule::start(db.clone(), &config.reminders);
    let evaluations = web::Data::new(config.evaluations.clone());
    let pages = web::Data::new(config.pages.clone());
    let costs = web::Data::new(config.costs.clone());
    let doc = docs::document();
    let table = web::Data::new(docs::route_table(&doc));
    let query_names = web::Data::new(crate::http::query_names::QueryNames::of(&doc));
    let db = web::Data::new(db);
    let limit = config.http.body_limit();
    let body_timeout = web::Data::new(crate::http::body_guard::BodyTimeout(Duration::from_secs(
        config.http.body_timeout_secs,
    )));
    let workers = config.http.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        usize::from,
    );
    let per_worker = connections_per_worker(config.http.max_connections, open_files_limit(), workers);
    let db_threads = config
        .http
        .db_threads
        .map_or_else(|| db.default_threads(workers), usize::from);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(crate::http::query_names::only_documented))
            .wrap(from_fn(crate::http::body_guard::guard))
            .wrap(from_fn(crate::http::fallback::errors_as_problems))
            .wrap(Compress::default())
            .wrap(from_fn(request_id::request_id_and_log))
            .app_data(body_timeout.clone())
            .app_data(json::json_config(limit))
            .app_data(json::query_config())
            .app_data(json::path_config())
            .app_data(web::PayloadConfig::new(limit))
            .app_data(db.clone())
            .app_data(table.clone())
            .app_data(query_names.clone())
            .app_data(auth_state.clone())
            .app_data(public_limit.clone())
            .app_data(evaluations.clone())
            .app_data(pages.clone())
            .app_data(costs.clone())
            // Before the /api/v1 scope, which would otherwise take the path; it is in the OpenAPI
            // document through `ApiDoc`, since utoipa-actix-web collects only `.service` routes.
            .service(
                web::resource("/api/v1/auth/login")
                    .wrap(actix_governor::Governor::new(&login_limit))
                    .route(web::post().to(api::auth::login)),
            )
            .into_utoipa_app()
            .configure(routes)
            .into_app()
            .configure(crate::pages::routes)
            // A trainee's calendar feed at its short address, outside the document like the pages.
            .service(api::calendars::subscribe_calendar_feed)
            .configure(crate::health::bench_routes)
            .route("/docs/", web::get().to(docs::docs_page))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/api-spec/openapi.json", doc.clone())
                    // The token a user authorised with survives a reload of the page.
                    .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
            )
            .service(web::redirect("/docs", "/docs/"))
            .default_service(web::to(fallback::not_found_or_not_allowed))
    })
    // Every write leaves at once. With Nagle's algorithm the tail of a response written in parts
    // (a streamed export or report) waited for the client's delayed acknowledgement: 40 ms.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            // Only slower without it; nothing to answer.
            let _ = tcp.set_nodelay(true);
        }
    })
    .listen(listener)?
    .shutdown_timeout(config.http.shutdown_timeout_secs)
    // A client gets this long for its request's head, then 408; and a closing connection this
    // long to go. Together with the body's own limit (`body_guard`), nothing half-sent holds a
    // connection for long.
    .client_request_timeout(Duration::from_secs(config.http.header_timeout_secs))
    .client_disconnect_timeout(Duration::from_secs(1))
    .max_connections(per_worker)
    .workers(workers);
    server = server.worker_max_blocking_threads(db_threads);
    Ok(server.run())
}

/// Files the service keeps open besides its connections: the database, its journal, the log,
/// the blocking threads' pipes.
const FILES_BESIDES_CONNECTIONS: u64 = 256;

/// The open-files limit, raised to the hard limit where the system allows (a plain shell starts
/// at 1,024, which a thousand slow clients would use up).
fn open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-files limit; assuming 1024");
            1_024
        }
    }
}

/// Each worker's share of `TPMS_MAX_CONNECTIONS`, kept so that all of them together leave
/// [`FILES_BESIDES_CONNECTIONS`] of the open-files limit free.
fn connections_per_worker(wanted: u32, open_files: u64, workers: usize) -> usize {
    let room = open_files.saturating_sub(FILES_BESIDES_CONNECTIONS).max(16);
    let total = u64::from(wanted).min(room);
    if total < u64::from(wanted) {
        tracing::warn!(
            wanted,
            open_files,
            total,
            "TPMS_MAX_CONNECTIONS is above what the open-files limit allows; using less"
        );
    }
    let workers = u64::try_from(workers.max(1)).unwrap_or(1);
    usize::try_from((total / workers).max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_shared_among_workers_within_the_open_files_limit() {
        assert_eq!(connections_per_worker(4_096, 1_048_576, 2), 2_048);
        assert_eq!(
            connections_per_worker(4_096, 1_024, 2),
            384,
            "1,024 files less 256 kept, over 2"
        );
        assert_eq!(connections_per_worker(100, 10, 4), 4, "never none");
    }
}
