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
use crate::{audit, health, partners, programs};

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
            .service(audit::list_audit_events),
    );
}

/// Start serving on `listener`. The returned server runs until stopped, and on SIGTERM or SIGINT
/// stops accepting and lets in-flight requests finish for the configured time.
pub fn serve(listener: TcpListener, db: Db, config: AppConfig) -> std::io::Result<Server> {
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
