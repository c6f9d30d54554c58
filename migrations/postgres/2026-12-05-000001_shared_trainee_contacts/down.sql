ALTER TABLE program_partners DROP COLUMN shares_trainee_contacts;
