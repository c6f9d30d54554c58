-- Accounts, refresh tokens and the generated JWT signing key.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    email               TEXT NOT NULL,
    -- The email lower-cased: accounts are found and kept unique case-insensitively.
    email_key           TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    -- Email and display name folded (lower case, no diacritics), for ?q= on both databases.
    search_text         TEXT NOT NULL,
    role                TEXT NOT NULL,
    partner_id          INTEGER REFERENCES partners (id) ON DELETE RESTRICT,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TIMESTAMP,
    last_login_at       TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    CHECK ((role = 'liaison') = (partner_id IS NOT NULL))
);
CREATE INDEX users_partner ON users (partner_id);

-- Only a hash of each refresh token is kept. Tokens of one sign-in form a family: presenting a
-- token that was already rotated revokes the whole family.
CREATE TABLE refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    family     TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Secrets the service generates for itself, shared by every app server on this database.
CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
