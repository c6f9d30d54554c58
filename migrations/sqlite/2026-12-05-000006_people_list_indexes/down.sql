DROP INDEX participations_session_created_at_id;
DROP INDEX participations_cohort_created_at_id;
DROP INDEX participations_contact_created_at_id;
CREATE INDEX participations_session_id ON participations (session_id, id);
CREATE INDEX participations_cohort_id ON participations (cohort_id, id);
CREATE INDEX participations_contact_id ON participations (contact_id, id);
DROP INDEX participations_created_at_id;
DROP INDEX contacts_partner_created_at_id;
