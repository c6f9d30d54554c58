-- Failed sign-ins per email typed and client address, so that an attacker elsewhere cannot lock
-- a user out, and an email with no account is treated exactly as one with an account (see
-- src/auth/throttle.rs). Kept in the database, so that every app server sees the same counts.
-- users.failed_logins and users.locked_until, the per-account lock this replaces, are no longer
-- read or written.
CREATE TABLE sign_in_throttle (
    email_key     TEXT NOT NULL,
    address       TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    blocked_until TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (email_key, address)
);
CREATE INDEX sign_in_throttle_updated_at ON sign_in_throttle (updated_at);
