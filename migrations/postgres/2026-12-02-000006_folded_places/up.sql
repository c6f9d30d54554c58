-- Places and organisations as people type them: "Ha Noi", "hà nội" and "Hà Nội" are one
-- province to a filter. The folded form (lower case, no diacritics, đ as d) is computed in Rust,
-- as every other folded text is, so both databases match alike; rows that exist before this
-- migration are filled by the upkeep step `folded_places` (src/upkeep.rs) when the server or
-- `tpms migrate` next starts.
ALTER TABLE trainees ADD COLUMN province_key TEXT;
ALTER TABLE trainees ADD COLUMN organisation_key TEXT;
DROP INDEX trainees_organisation_full_name_id;
DROP INDEX trainees_organisation_created_at_id;
DROP INDEX trainees_province_full_name_id;
DROP INDEX trainees_province_created_at_id;
CREATE INDEX trainees_organisation_key_full_name_id ON trainees (organisation_key, full_name, id);
CREATE INDEX trainees_organisation_key_created_at_id ON trainees (organisation_key, created_at, id);
CREATE INDEX trainees_province_key_full_name_id ON trainees (province_key, full_name, id);
CREATE INDEX trainees_province_key_created_at_id ON trainees (province_key, created_at, id);

-- Whether a word of a trainee is a word of its name: a search ranks a match in the name above
-- one in the organisation or position. Filled for existing rows by the same upkeep step.
ALTER TABLE trainee_terms ADD COLUMN in_name BOOLEAN NOT NULL DEFAULT FALSE;

-- Work on existing rows that a migration cannot do in SQL (it needs Rust's folding), done once
-- per step after the migrations, and recorded here so that it is never done twice.
CREATE TABLE upkeep (
    name    TEXT PRIMARY KEY,
    done_at TIMESTAMP NOT NULL
);
