-- An index for every order a list offers and every filter it takes, each ending in the id that
-- breaks ties, so that a page (and the page after a cursor) is read from an index in order instead
-- of sorting every row that matches. A descending sort reads the same index backwards.

CREATE INDEX partners_name_id ON partners (name, id);
DROP INDEX partners_country;
CREATE INDEX partners_country_id ON partners (country, id);
CREATE INDEX partners_created_at_id ON partners (created_at, id);

CREATE INDEX programs_title_id ON programs (title, id);
DROP INDEX programs_start_date;
CREATE INDEX programs_start_date_id ON programs (start_date, id);
CREATE INDEX programs_created_at_id ON programs (created_at, id);

CREATE INDEX trainees_full_name_id ON trainees (full_name, id);
CREATE INDEX trainees_created_at_id ON trainees (created_at, id);
CREATE INDEX trainees_organisation_full_name_id ON trainees (organisation, full_name, id);
CREATE INDEX trainees_organisation_created_at_id ON trainees (organisation, created_at, id);
CREATE INDEX trainees_province_full_name_id ON trainees (province, full_name, id);
CREATE INDEX trainees_province_created_at_id ON trainees (province, created_at, id);
CREATE INDEX trainees_gender_full_name_id ON trainees (gender, full_name, id);
CREATE INDEX trainees_gender_created_at_id ON trainees (gender, created_at, id);

CREATE INDEX enrollments_cohort_id ON enrollments (cohort_id, id);

DROP INDEX audit_events_entity;
CREATE INDEX audit_events_entity_id ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_actor_id ON audit_events (actor, id);
CREATE INDEX audit_events_action_id ON audit_events (action, id);
CREATE INDEX audit_events_request_id ON audit_events (request_id);

-- A search for a common word reads its trainees in name order from the terms' index, a spelling
-- at a time, instead of ranking every match: each term carries its trainee's name.
ALTER TABLE trainee_terms ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
UPDATE trainee_terms SET full_name = (SELECT full_name FROM trainees WHERE trainees.id = trainee_terms.trainee_id);
DROP INDEX trainee_terms_folded;
CREATE INDEX trainee_terms_spelling_name ON trainee_terms (term_folded, term_exact, full_name, trainee_id);
-- Whether a trainee has a word, without reading its terms' rows.
CREATE INDEX trainee_terms_trainee_folded ON trainee_terms (trainee_id, term_folded);
