-- Whether a partner's liaisons may read the email and phone of the trainees seated in this
-- programme. Off unless an officer turns it on: a partner sees name, organisation, position,
-- province and enrolment, and contact details only where the department agreed to share them
-- (the data-protection rule in docs/api-conventions.md).
ALTER TABLE program_partners ADD COLUMN shares_trainee_contacts BOOLEAN NOT NULL DEFAULT FALSE;
