-- Every order the contact and participation lists offer, behind each equality filter they take,
-- so that a page is read from an index however large the tables grow (the default participation
-- order, created_at, had none).
CREATE INDEX contacts_partner_created_at_id ON contacts (partner_id, created_at, id);
CREATE INDEX participations_created_at_id ON participations (created_at, id);
DROP INDEX participations_contact_id;
DROP INDEX participations_cohort_id;
DROP INDEX participations_session_id;
CREATE INDEX participations_contact_created_at_id ON participations (contact_id, created_at, id);
CREATE INDEX participations_cohort_created_at_id ON participations (cohort_id, created_at, id);
CREATE INDEX participations_session_created_at_id ON participations (session_id, created_at, id);
