-- When, and why, an enrolment reached its final status (completed, did not complete, withdrawn,
-- rejected), so that "how many completed in 2024" is one filter, and a waitlist closed by its
-- cohort's completion says so on each enrolment.
ALTER TABLE enrollments ADD COLUMN ended_at TIMESTAMP;
ALTER TABLE enrollments ADD COLUMN end_reason TEXT;
-- Enrolments that ended before this column existed ended at their last change, which for a
-- final status is the move into it.
UPDATE enrollments SET ended_at = updated_at
    WHERE status IN ('completed', 'did_not_complete', 'withdrawn', 'rejected');
CREATE INDEX enrollments_cohort_ended ON enrollments (cohort_id, status, ended_at);
