-- The head of the audit chain: the newest row's id and MAC, sealed with the audit key and written
-- in the same transaction as each append. Deleting the newest rows (or all of them) leaves the
-- head pointing past the log, which verification reports. One row, `slot` = 1.
CREATE TABLE audit_head (
    slot INTEGER NOT NULL PRIMARY KEY,
    last_id BIGINT NOT NULL,
    last_hmac TEXT NOT NULL,
    head_mac TEXT NOT NULL
);
