//! Builds the HTTP application: routes, shared state, middleware, docs, and the server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::AppConfig;
use crate::db::Db;
use crate::http::{fallback, json, request_id};
use crate::{attendance, audit, auth, cohorts, enrollments, health, partners, programs, sessions, trainees, users};

/// Every documented route. The OpenAPI document is collected from exactly these.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready).service(
        scope("/api/v1")
            .service(partners::handlers::list_partners)
            .service(partners::handlers::create_partner)
            .service(partners::handlers::get_partner)
            .service(partners::handlers::update_partner)
            .service(partners::handlers::delete_partner)
            .service(programs::handlers::list_programs)
            .service(programs::handlers::create_program)
            .service(programs::handlers::get_program)
            .service(programs::handlers::update_program)
            .service(programs::handlers::delete_program)
            .service(programs::partners::list_program_partners)
            .service(programs::partners::add_program_partner)
            .service(programs::partners::get_program_partner)
            .service(programs::partners::update_program_partner)
            .service(programs::partners::remove_program_partner)
            .service(cohorts::handlers::list_cohorts)
            .service(cohorts::handlers::create_cohort)
            .service(cohorts::handlers::get_cohort)
            .service(cohorts::handlers::update_cohort)
            .service(cohorts::handlers::delete_cohort)
            .service(sessions::handlers::list_sessions)
            .service(sessions::handlers::create_session)
            .service(sessions::handlers::get_session)
            .service(sessions::handlers::update_session)
            .service(sessions::handlers::delete_session)
            .service(attendance::get_attendance)
            .service(attendance::record_attendance)
            .service(enrollments::handlers::list_enrollments)
            .service(enrollments::handlers::create_enrollment)
            .service(enrollments::handlers::get_enrollment)
            .service(enrollments::handlers::update_enrollment)
            .service(enrollments::import::import_enrollments)
            .service(trainees::handlers::list_trainees)
            .service(trainees::handlers::create_trainee)
            .service(trainees::handlers::get_trainee)
            .service(trainees::handlers::update_trainee)
            .service(trainees::handlers::delete_trainee)
            .service(audit::list_audit_events)
            .service(auth::handlers::refresh)
            .service(auth::handlers::logout)
            .service(auth::handlers::me)
            .service(auth::handlers::change_password)
            .service(users::handlers::list_users)
            .service(users::handlers::create_user)
            .service(users::handlers::get_user)
            .service(users::handlers::update_user),
    );
}

/// Start serving on `listener`. The returned server runs until stopped, and on SIGTERM or SIGINT
/// stops accepting and lets in-flight requests finish for the configured time.
pub fn serve(listener: TcpListener, db: Db, config: AppConfig) -> anyhow::Result<Server> {
    let keys = {
        let mut conn = db.pool().get()?;
        auth::tokens::JwtKeys::load(&mut conn, config.auth.jwt_secret.as_ref().map(|s| s.0.as_str()))?
    };
    let auth_state = web::Data::new(auth::AuthState {
        keys,
        passwords: auth::passwords::Passwords::new(usize::from(config.auth.max_concurrent_hashes))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        lockout_after: 5,
        lockout_for: std::time::Duration::from_secs(config.auth.lockout_secs),
    });
    let login_limit = auth::rate_limit::login_limit(config.auth.login_attempts_per_minute)?;
    let doc = crate::openapi::document();
    let table = web::Data::new(crate::openapi::route_table(&doc));
    let db = web::Data::new(db);
    let limit = config.http.body_limit();
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(Compress::default())
            .wrap(from_fn(request_id::request_id_and_log))
            .app_data(json::json_config(limit))
            .app_data(json::query_config())
            .app_data(json::path_config())
            .app_data(web::PayloadConfig::new(limit))
            .app_data(db.clone())
            .app_data(table.clone())
            .app_data(auth_state.clone())
            // Before the /api/v1 scope, which would otherwise take the path; it is in the OpenAPI
            // document through `ApiDoc`, since utoipa-actix-web collects only `.service` routes.
            .service(
                web::resource("/api/v1/auth/login")
                    .wrap(actix_governor::Governor::new(&login_limit))
                    .route(web::post().to(auth::handlers::login)),
            )
            .into_utoipa_app()
            .configure(routes)
            .into_app()
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-spec/openapi.json", doc.clone()))
            .service(web::redirect("/docs", "/docs/"))
            .default_service(web::to(fallback::not_found_or_not_allowed))
    })
    .listen(listener)?
    .shutdown_timeout(config.http.shutdown_timeout_secs);
    if let Some(workers) = config.http.workers {
        server = server.workers(usize::from(workers));
    }
    Ok(server.run())
}
