ALTER TABLE audit_pseudonyms DROP COLUMN mac;
