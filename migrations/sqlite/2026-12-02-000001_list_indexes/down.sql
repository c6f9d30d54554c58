DROP INDEX trainee_terms_trainee_folded;
DROP INDEX trainee_terms_spelling_name;
CREATE INDEX trainee_terms_folded ON trainee_terms (term_folded, trainee_id);
ALTER TABLE trainee_terms DROP COLUMN full_name;

DROP INDEX audit_events_request_id;
DROP INDEX audit_events_action_id;
DROP INDEX audit_events_actor_id;
DROP INDEX audit_events_entity_id;
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);

DROP INDEX enrollments_cohort_id;

DROP INDEX trainees_gender_created_at_id;
DROP INDEX trainees_gender_full_name_id;
DROP INDEX trainees_province_created_at_id;
DROP INDEX trainees_province_full_name_id;
DROP INDEX trainees_organisation_created_at_id;
DROP INDEX trainees_organisation_full_name_id;
DROP INDEX trainees_created_at_id;
DROP INDEX trainees_full_name_id;

DROP INDEX programs_created_at_id;
DROP INDEX programs_start_date_id;
CREATE INDEX programs_start_date ON programs (start_date);
DROP INDEX programs_title_id;

DROP INDEX partners_created_at_id;
DROP INDEX partners_country_id;
CREATE INDEX partners_country ON partners (country);
DROP INDEX partners_name_id;
