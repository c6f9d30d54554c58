DROP TABLE messages;
ALTER TABLE trainees DROP COLUMN language;
