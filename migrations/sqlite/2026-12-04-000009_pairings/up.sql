-- Pairings: a short-lived code shown to one side and claimed once by the other, then collected
-- once by its issuer (QR sign-in, channel linking). The code is stored only as its SHA-256.
-- Portable types only: ids are UUID strings, times BIGINT milliseconds since the epoch (UTC).
CREATE TABLE pairings (
    id TEXT NOT NULL PRIMARY KEY,
    code_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    issued_for TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_at BIGINT,
    collected_at BIGINT,
    CONSTRAINT pairings_code_hash_key UNIQUE (code_hash)
);
-- For removing expired pairings.
CREATE INDEX pairings_expires_at_idx ON pairings (expires_at);
