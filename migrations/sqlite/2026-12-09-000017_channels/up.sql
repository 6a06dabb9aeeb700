-- Channels: agents bound to transport accounts (a Telegram bot; `agent_id` NULL is the main bot,
-- through which each linked user reaches their own personal agent), users' identities on a
-- transport (linked with a pairing code), and the chat each conversation continues in.
-- Portable types only: ids are UUID strings, times BIGINT ms.
CREATE TABLE channel_bindings (
    id TEXT NOT NULL PRIMARY KEY,
    transport TEXT NOT NULL,
    -- One binding per target: `telegram:main`, `telegram:<agent id>`.
    slot TEXT NOT NULL UNIQUE,
    agent_id TEXT REFERENCES agents (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    account_name TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    secret_hint TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    cursor BIGINT NOT NULL,
    last_error TEXT,
    last_error_at BIGINT,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- One account is bound once.
    CONSTRAINT channel_bindings_digest_key UNIQUE (transport, secret_digest)
);
CREATE TABLE channel_links (
    transport TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (transport, external_id),
    CONSTRAINT channel_links_user_key UNIQUE (transport, user_id)
);
CREATE TABLE channel_threads (
    binding_id TEXT NOT NULL REFERENCES channel_bindings (id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (binding_id, conversation, user_id)
);
