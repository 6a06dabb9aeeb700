-- Agents and LLM providers.
-- Portable types only: ids are UUID strings, times are BIGINT milliseconds since the epoch (UTC),
-- lists are JSON arrays in TEXT, booleans are BOOLEAN. No SQL defaults for time: the application's
-- clock decides.

CREATE TABLE agents (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    -- `provider/model`; NULL until a provider is configured.
    model TEXT,
    template_id TEXT NOT NULL,
    allowed_tools TEXT NOT NULL,
    allowed_paths TEXT NOT NULL,
    -- Set for a personal assistant: the one user who may see and use it.
    personal_owner TEXT REFERENCES users (id),
    created_by TEXT,
    greeting TEXT NOT NULL,
    instructions TEXT NOT NULL,
    tagline TEXT NOT NULL,
    starter_prompts TEXT NOT NULL,
    -- Soft deletion: a deleted agent stays for the audit trail.
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agents_created_at_idx ON agents (created_at, id);
-- A user has at most one live personal agent.
CREATE UNIQUE INDEX agents_personal_owner_key ON agents (personal_owner)
    WHERE personal_owner IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE providers (
    -- The provider part of every model id that uses it (`anthropic`, `groq`).
    name TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    -- Sealed with the platform cipher; never the plaintext key.
    sealed_api_key TEXT,
    key_hint TEXT NOT NULL,
    base_url TEXT,
    default_model TEXT,
    is_default BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX providers_created_at_idx ON providers (created_at, name);
-- At most one default provider.
CREATE UNIQUE INDEX providers_default_key ON providers (is_default) WHERE is_default;
