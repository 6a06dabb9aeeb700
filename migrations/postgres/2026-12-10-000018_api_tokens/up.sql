-- Personal API tokens: a user's scripts act as that user, narrowed to the token's scopes. Only the
-- SHA-256 of a token is stored; the token itself is shown once, at creation.
-- Portable types only: ids are UUID strings, times BIGINT ms, scopes a space-separated list.
CREATE TABLE api_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, created_at);
