-- The audit log: a hash chain. Ids are assigned by the appender (last id + 1) under a lock that
-- serialises all appenders, so they are gapless and covered by each row's HMAC.

CREATE TABLE audit_log (
    id BIGINT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    timestamp BIGINT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    event_type TEXT NOT NULL,
    resource TEXT,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hmac TEXT NOT NULL,
    row_hmac TEXT NOT NULL
);
CREATE INDEX audit_log_timestamp_idx ON audit_log (timestamp);
CREATE INDEX audit_log_event_type_idx ON audit_log (event_type, id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, id);

-- User actors are stored under a pseudonym; deleting a user's row here makes their audit trail
-- unlinkable without touching (and so without breaking) the chain.
CREATE TABLE audit_pseudonyms (
    user_id TEXT NOT NULL PRIMARY KEY,
    pseudonym TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT audit_pseudonyms_pseudonym_key UNIQUE (pseudonym)
);
