-- The hashes of personal links that a newer link replaced, so that the old link's page can say
-- so (and not that the link never existed). Only the SHA-256 of the token, like the live links.
CREATE TABLE replaced_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    replaced_at TIMESTAMP NOT NULL
);
