DROP TABLE disclosures;
DROP TABLE consents;
