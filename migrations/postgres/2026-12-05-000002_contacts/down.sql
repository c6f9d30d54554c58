DROP TABLE participations;
DROP TABLE contacts;
