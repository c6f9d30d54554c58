#!/usr/bin/env bash
# Private, throwaway PostgreSQL server for the test suite.
#
#   scripts/test-postgres.sh          start (or reuse) the server; the LAST stdout line is its URL
#   scripts/test-postgres.sh stop     stop it and delete its data
#   scripts/test-postgres.sh status   exit 0 and print the URL if it is running, exit 1 otherwise
#
# Typical use:
#   export TPMS_TEST_POSTGRES_URL="$(scripts/test-postgres.sh | tail -n1)"
#   cargo test
#   scripts/test-postgres.sh stop
#
# Environment:
#   TPMS_PG_PORT  TCP port on 127.0.0.1 (default 55432, away from a system cluster's 5432)
#   TPMS_PG_DIR   where the cluster lives (default /tmp/tpms-test-postgres-<port>); deleted on stop
#   TPMS_PG_BIN   a PostgreSQL bin directory to use instead of the newest /usr/lib/postgresql/*/bin
#   TPMS_PG_FSYNC on: a durable server (fsync, synchronous commits), for benchmarks; default off
#
# The server listens on 127.0.0.1 only, runs without fsync (its data is disposable), allows 200
# connections (one database per test, small pools, tests in parallel) and has a superuser role
# `tpms` with password `tpms`, so the tests can CREATE DATABASE. If no PostgreSQL server binaries are
# installed, it installs Debian's `postgresql` package (root only). As root, the cluster runs as the
# `postgres` OS user, because initdb refuses to run as root.
# Progress messages go to stderr; only the URL goes to stdout.
set -euo pipefail

PORT="${TPMS_PG_PORT:-55432}"
BASE="${TPMS_PG_DIR:-${TMPDIR:-/tmp}/tpms-test-postgres-${PORT}}"
DATA="$BASE/data"
LOG="$BASE/server.log"
MARK="$BASE/started-by-tpms-test-postgres"
ROLE=tpms
PASSWORD=tpms
URL="postgres://${ROLE}:${PASSWORD}@127.0.0.1:${PORT}/postgres"

log() { printf 'test-postgres: %s\n' "$*" >&2; }
die() {
    printf 'test-postgres: ERROR: %s\n' "$*" >&2
    exit 1
}

case "$PORT" in
'' | *[!0-9]*) die "TPMS_PG_PORT must be a port number, got '$PORT'" ;;
esac
case "$BASE" in
/*) ;;
*) die "TPMS_PG_DIR must be an absolute path, got '$BASE'" ;;
esac

# As root every server command runs as the `postgres` OS user; otherwise as ourselves.
if [ "$(id -u)" -eq 0 ]; then
    as_owner() { (cd / && runuser -u postgres -- "$@" 9>&-); }
else
    as_owner() { (cd / && "$@" 9>&-); }
fi

find_bin() {
    if [ -n "${TPMS_PG_BIN:-}" ]; then
        if [ ! -x "$TPMS_PG_BIN/initdb" ] || [ ! -x "$TPMS_PG_BIN/pg_ctl" ]; then
            die "TPMS_PG_BIN=$TPMS_PG_BIN has no initdb/pg_ctl"
        fi
        printf '%s\n' "$TPMS_PG_BIN"
        return 0
    fi
    local dir found=""
    # The newest installed major version wins.
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            found="$found$dir"$'\n'
        fi
    done
    [ -n "$found" ] || return 1
    printf '%s' "$found" | sort -V | tail -n 1
}

install_postgres() {
    if [ "$(id -u)" -ne 0 ]; then
        die "no PostgreSQL server found under /usr/lib/postgresql/*/bin and not root, so cannot install it.
  Install it with:  sudo apt-get update && sudo apt-get install -y postgresql
  or point TPMS_PG_BIN at a directory holding initdb and pg_ctl."
    fi
    log "no PostgreSQL server binaries found; installing Debian's postgresql package (takes a minute)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y --no-install-recommends postgresql </dev/null >&2 || die "apt-get install postgresql failed"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the server this script started for this port running? (pg_ctl status reads postmaster.pid.)
ours_running() {
    [ -f "$MARK" ] && [ -f "$DATA/PG_VERSION" ] || return 1
    [ "$(cat "$MARK" 2>/dev/null)" = "$PORT" ] || return 1
    as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

stop_server() {
    if [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
        log "stopping the server in $DATA"
        as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >&2 ||
            as_owner "$BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 30 >&2 || true
    fi
}

# Check that the role can log in over TCP with its password, the way the tests will.
check_login() {
    PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -q -w -At \
        "host=127.0.0.1 port=$PORT user=$ROLE dbname=postgres" -c 'select 1' >/dev/null 2>&1
}

# Serialise concurrent invocations for the same port. as_owner closes fd 9, so that the server does
# not inherit the lock.
# The lock is opened read-only (flock does not need more), so root and other users can share it.
LOCK="${TMPDIR:-/tmp}/tpms-test-postgres-${PORT}.lock"
if [ ! -e "$LOCK" ]; then
    : >"$LOCK" && chmod 644 "$LOCK"
fi
exec 9<"$LOCK"
flock -w 120 9 || die "another test-postgres.sh for port $PORT is still busy (lock $LOCK)"

CMD="${1:-start}"
case "$CMD" in
start | stop | status) ;;
-h | --help | help)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 0
    ;;
*) die "unknown command '$CMD' (use: start | stop | status)" ;;
esac

if ! BIN="$(find_bin)"; then
    if [ "$CMD" = start ]; then
        install_postgres
        BIN="$(find_bin)" || die "postgresql installed, but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    else
        [ "$CMD" = status ] && exit 1
        log "no PostgreSQL installed; nothing to stop"
        exit 0
    fi
fi

if [ "$CMD" = stop ]; then
    stop_server
    if [ -e "$BASE" ]; then
        [ -f "$MARK" ] || [ ! -e "$DATA" ] || die "$BASE was not made by this script; not deleting it"
        rm -rf "$BASE"
        log "removed $BASE"
    fi
    exit 0
fi

if [ "$CMD" = status ]; then
    if ours_running && check_login; then
        log "running on 127.0.0.1:$PORT (data in $DATA)"
        printf '%s\n' "$URL"
        exit 0
    fi
    log "not running on 127.0.0.1:$PORT"
    exit 1
fi

# ---- start -------------------------------------------------------------------------------------
if ours_running; then
    if check_login; then
        log "reusing the server already running on 127.0.0.1:$PORT (data in $DATA)"
        printf '%s\n' "$URL"
        exit 0
    fi
    log "the server in $DATA is running but refuses logins; recreating it"
    stop_server
fi

if port_in_use "$PORT"; then
    die "port $PORT on 127.0.0.1 is taken by something this script did not start; set TPMS_PG_PORT to a free port"
fi

if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 ||
        die "the 'postgres' OS user does not exist (initdb cannot run as root); reinstall the postgresql package"
fi

# Throwaway: whatever a previous run left behind is discarded.
if [ -e "$BASE" ]; then
    [ -f "$MARK" ] || [ ! -e "$DATA" ] || die "$BASE exists and was not made by this script; remove it or set TPMS_PG_DIR"
    stop_server
    rm -rf "$BASE"
fi
mkdir -p "$BASE"
chmod 700 "$BASE"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$BASE"
fi

VERSION="$("$BIN/pg_ctl" --version | awk '{print $3}')"
log "initialising PostgreSQL $VERSION cluster in $DATA"
PWFILE="$BASE/pwfile"
printf '%s\n' "$PASSWORD" >"$PWFILE"
chmod 600 "$PWFILE"
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PWFILE"
as_owner "$BIN/initdb" -D "$DATA" --username="$ROLE" --pwfile="$PWFILE" \
    --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale --no-sync >"$BASE/initdb.log" 2>&1 ||
    {
        cat "$BASE/initdb.log" >&2
        die "initdb failed"
    }
rm -f "$PWFILE"

# Settings for a disposable test server: fast, loopback-only, enough connections for parallel tests.
# TPMS_PG_FSYNC=on keeps PostgreSQL's durable defaults, for benchmarks (scripts/bench).
DURABLE=off
[ "${TPMS_PG_FSYNC:-off}" = on ] && DURABLE=on
as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# ---- added by scripts/test-postgres.sh (throwaway test server) ----
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
max_connections = 200
shared_buffers = 128MB
fsync = $DURABLE
synchronous_commit = $DURABLE
full_page_writes = $DURABLE
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 30min
max_wal_size = 2GB
log_min_messages = warning
log_min_duration_statement = -1
EOF

printf '%s\n' "$PORT" >"$MARK"

log "starting the server on 127.0.0.1:$PORT (log: $LOG)"
if ! as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 >&2; then
    [ -f "$LOG" ] && tail -n 50 "$LOG" >&2
    die "the server did not start"
fi

for _ in $(seq 1 30); do
    check_login && break
    sleep 0.5
done
check_login || {
    tail -n 50 "$LOG" >&2 || true
    die "the server started but role '$ROLE' cannot log in over TCP"
}

log "ready: superuser '$ROLE' on 127.0.0.1:$PORT; stop with: scripts/test-postgres.sh stop"
printf '%s\n' "$URL"
