DROP INDEX trainee_terms_province_postings;
ALTER TABLE trainee_terms DROP COLUMN province_key;
