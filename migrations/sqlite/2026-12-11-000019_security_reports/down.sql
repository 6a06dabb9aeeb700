ALTER TABLE users DROP COLUMN password_changed_at;
DROP TABLE security_reports;
