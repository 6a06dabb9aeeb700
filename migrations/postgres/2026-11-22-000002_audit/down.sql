DROP TABLE audit_pseudonyms;
DROP TABLE audit_log;
