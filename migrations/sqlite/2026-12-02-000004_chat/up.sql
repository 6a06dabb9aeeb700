-- Conversations: chats (one user x one agent x a chat key) and their messages.
-- Portable types only: ids are UUID strings, times are BIGINT milliseconds since the epoch (UTC),
-- tool steps are a JSON array in TEXT. No SQL defaults for time: the application's clock decides.

CREATE TABLE chats (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    -- The client's chat id, or the default key.
    key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The get-or-create conflict target.
    CONSTRAINT chats_user_agent_key_key UNIQUE (user_id, agent_id, key)
);

CREATE TABLE messages (
    id TEXT NOT NULL PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats (id),
    -- The order of the chat's messages: max + 1 within the chat, assigned in the insert's write
    -- transaction (times and UUIDv7 ids do not order messages created in the same millisecond).
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON array of tool steps.
    steps TEXT NOT NULL,
    client_message_id TEXT,
    run_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Also the index of "the newest messages of a chat".
    CONSTRAINT messages_chat_seq_key UNIQUE (chat_id, seq)
);
-- A client message id is used once per chat (resends are deduplicated).
CREATE UNIQUE INDEX messages_client_message_id_key ON messages (chat_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
-- The messages a restart interrupts; few at any time.
CREATE INDEX messages_streaming_idx ON messages (status) WHERE status = 'streaming';
