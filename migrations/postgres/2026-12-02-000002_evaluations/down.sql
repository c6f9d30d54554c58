DROP TABLE certificates;
DROP TABLE completion_rules;
DROP TABLE responses;
DROP TABLE invitations;
DROP TABLE evaluation_rounds;
DROP TABLE instruments;
