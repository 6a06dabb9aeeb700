-- Security self-audits (issue #19): one report per UTC day (the day's last run), its checks as
-- JSON; and when each password was last set, for the "admins without a recent password change"
-- check (existing accounts count from their creation).
CREATE TABLE security_reports (
    day TEXT NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    score INTEGER NOT NULL,
    checks TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
UPDATE users SET password_changed_at = created_at;
