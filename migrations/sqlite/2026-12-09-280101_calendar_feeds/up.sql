-- A seated trainee's private calendar feed: the address a calendar app subscribes to, one per
-- enrolment, made the first time it is asked for. Like a personal link, only the SHA-256 of its
-- token is stored (what a request is looked up by); the nonce the token is made from is kept so
-- that the same address can be shown again.
CREATE TABLE calendar_feeds (
    enrollment_id INTEGER PRIMARY KEY NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    nonce         TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
