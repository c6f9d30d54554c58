DROP TABLE audit_events;
DROP TABLE program_partners;
DROP TABLE programs;
DROP TABLE partners;
