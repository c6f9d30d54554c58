# syntax=docker/dockerfile:1
#
# TPMS: one static-ish binary (SQLite and libpq are compiled in from the bundled -sys crates),
# so the runtime image needs no database client libraries.
#
#   docker build -t tpms .
#   docker run --rm -p 8080:8080 -v tpms-data:/var/lib/tpms tpms            # SQLite in the volume
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... tpms        # PostgreSQL

############################ builder ############################
# rust:*-bookworm already carries gcc, make and the libc headers: the bundled SQLite and libpq
# builds need nothing more, so no apt-get here.
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# 1. Dependencies only, against a dummy crate, so this layer is reused until Cargo.toml or
#    Cargo.lock change (the bundled C builds alone take several minutes).
COPY Cargo.toml Cargo.lock ./
COPY crates/core/Cargo.toml crates/core/
COPY crates/domain/Cargo.toml crates/domain/
RUN mkdir -p src migrations seeds crates/core/src crates/domain/src \
    && echo 'fn main() {}' > build.rs \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs crates/core/src/lib.rs crates/domain/src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src build.rs crates/core/src crates/domain/src \
       target/release/tpms target/release/deps/tpms-* target/release/deps/libtpms-* \
       target/release/deps/tpms_core-* target/release/deps/libtpms_core-* \
       target/release/deps/tpms_domain-* target/release/deps/libtpms_domain-* \
       target/release/.fingerprint/tpms_core-* target/release/.fingerprint/tpms_domain-* \
       target/release/.fingerprint/tpms-* target/release/build/tpms-*

# 2. The real crates (the service and its member crates). migrations/ are embedded at compile
#    time; build.rs and seeds/ are read during the build too.
COPY build.rs ./
COPY migrations ./migrations
COPY seeds ./seeds
COPY crates ./crates
COPY src ./src
RUN touch build.rs src/main.rs src/lib.rs crates/core/src/lib.rs crates/domain/build.rs crates/domain/src/lib.rs \
    && cargo build --release --locked \
    && strip target/release/tpms

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# ca-certificates for outbound TLS, curl for HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system tpms \
    && useradd --system --gid tpms --home-dir /var/lib/tpms --shell /usr/sbin/nologin tpms \
    && mkdir -p /var/lib/tpms \
    && chown tpms:tpms /var/lib/tpms

COPY --from=builder /build/target/release/tpms /usr/local/bin/tpms

USER tpms
# The default DATABASE_URL (sqlite://tpms.db) is relative, so the SQLite file lands here.
WORKDIR /var/lib/tpms
VOLUME ["/var/lib/tpms"]

ENV TPMS_BIND=0.0.0.0:8080
EXPOSE 8080

# /ready answers 200 once the database is reachable and migrations are current.
# If you change the port in TPMS_BIND, change it here too.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/ready || exit 1

# SIGTERM (docker stop) starts a graceful shutdown that waits up to TPMS_SHUTDOWN_TIMEOUT_SECS
# (default 30) for in-flight requests; give `docker stop -t` / stop_grace_period a little more.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tpms"]
CMD ["serve"]
