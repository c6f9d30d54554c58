-- Reports. Placements are counted as they were when the trainee enrolled: a later transfer to
-- another organisation or province changes the trainee, not the enrolments already made.
ALTER TABLE enrollments ADD COLUMN organisation TEXT;
ALTER TABLE enrollments ADD COLUMN position TEXT;
ALTER TABLE enrollments ADD COLUMN province TEXT;
-- Copies that the trainees-by-origin report groups by without a join per enrolment, kept in
-- step on write: the trainee's gender and birth year (corrections follow the trainee), and the
-- year the cohort starts (follows the cohort).
ALTER TABLE enrollments ADD COLUMN gender TEXT;
ALTER TABLE enrollments ADD COLUMN birth_year INTEGER;
ALTER TABLE enrollments ADD COLUMN cohort_year INTEGER;
UPDATE enrollments SET
    organisation = (SELECT t.organisation FROM trainees t WHERE t.id = enrollments.trainee_id),
    position = (SELECT t.position FROM trainees t WHERE t.id = enrollments.trainee_id),
    province = (SELECT t.province FROM trainees t WHERE t.id = enrollments.trainee_id),
    gender = (SELECT t.gender FROM trainees t WHERE t.id = enrollments.trainee_id),
    birth_year = (SELECT t.birth_year FROM trainees t WHERE t.id = enrollments.trainee_id),
    cohort_year = (SELECT CAST(EXTRACT(YEAR FROM c.start_date) AS INTEGER) FROM cohorts c WHERE c.id = enrollments.cohort_id);

-- Each cohort's attendance marks by status, kept up to date by every save of a sheet (in its
-- transaction), so that a report over years of attendance reads one row per cohort instead of
-- every mark.
CREATE TABLE cohort_attendance (
    cohort_id BIGINT PRIMARY KEY REFERENCES cohorts (id) ON DELETE CASCADE,
    present BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    absent BIGINT NOT NULL DEFAULT 0,
    excused BIGINT NOT NULL DEFAULT 0
);
INSERT INTO cohort_attendance (cohort_id, present, late, absent, excused)
SELECT s.cohort_id,
       SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'late' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'absent' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'excused' THEN 1 ELSE 0 END)
FROM attendance a JOIN sessions s ON s.id = a.session_id
GROUP BY s.cohort_id;
