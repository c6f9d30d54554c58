//! `/health` (the process answers) and `/ready` (the database answers and is fully migrated).

use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Db, DbConnection, dialect};
use crate::error::{ApiError, ApiResult};

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgresql`.
    #[schema(example = "sqlite")]
    pub database: &'static str,
}

/// The process is up. Touches nothing else, so it stays fast under any load.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database is unreachable or not migrated", body = Problem,
         content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(db: web::Data<Db>) -> ApiResult<HttpResponse> {
    let (database, pending) = db
        .run(|conn| {
            conn.batch_execute("SELECT 1").map_err(|e| unanswered(&e))?;
            let pending = dialect::pending_migrations(conn).map_err(|e| unanswered(&e))?;
            let database = match conn {
                DbConnection::Postgresql(_) => "postgresql",
                DbConnection::Sqlite(_) => "sqlite",
            };
            Ok((database, pending))
        })
        .await
        .map_err(|e| match e {
            ApiError::Internal(cause) => ApiError::Unavailable(format!("no database connection: {cause:#}")),
            other => other,
        })?;
    if pending > 0 {
        return Err(ApiError::Unavailable(format!(
            "{pending} migration(s) not applied; run `tpms migrate`"
        )));
    }
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database,
    }))
}

use crate::error::Problem;

/// 503: a query of `/ready` or of a floor failed.
fn unanswered(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the database does not answer: {e}"))
}

/// The benchmark's floors: what a request costs the framework and the database layer before any
/// of the API's own work, so that `scripts/bench` can show how near an operation is to what this
/// machine allows. Routes under `/_bench/`, served only by a build with the `bench-probes`
/// feature (which `scripts/bench` turns on); the service as built by default has none of them.
pub fn bench_routes(cfg: &mut web::ServiceConfig) {
    if cfg!(feature = "bench-probes") {
        cfg.route("/_bench/hop", web::get().to(probes::hop))
            .route("/_bench/one-trip", web::get().to(probes::one_trip))
            .route("/_bench/two-trips", web::get().to(probes::two_trips));
    }
}

/// The handlers of [`bench_routes`].
mod probes {
    use super::*;

    /// `SELECT 1`, `trips` times on one pooled connection: a round trip each on PostgreSQL.
    async fn trips(db: &Db, trips: usize) -> ApiResult<HttpResponse> {
        db.run(move |conn| {
            for _ in 0..trips {
                conn.batch_execute("SELECT 1").map_err(|e| unanswered(&e))?;
            }
            Ok(())
        })
        .await?;
        Ok(HttpResponse::Ok().json(Health { status: "ok" }))
    }

    /// A pooled connection on a database thread and back, with no query: the hand-off alone.
    pub async fn hop(db: web::Data<Db>) -> ApiResult<HttpResponse> {
        trips(&db, 0).await
    }

    /// One trivial query: what the least database work costs.
    pub async fn one_trip(db: web::Data<Db>) -> ApiResult<HttpResponse> {
        trips(&db, 1).await
    }

    /// Two trivial queries: the floor of a signed-in read, which checks the account and then
    /// reads the record.
    pub async fn two_trips(db: web::Data<Db>) -> ApiResult<HttpResponse> {
        trips(&db, 2).await
    }
}
