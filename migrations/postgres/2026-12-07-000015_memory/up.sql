-- Long-term memory: entries owned by one user (an agent saved them, or the user added them), the
-- agent they came from, and each user's memory settings. Searched through a generated `tsvector`
-- (English) over content and tags with a GIN index. Portable types only: ids are UUID strings,
-- tags a JSON array, times BIGINT milliseconds.
CREATE TABLE memories (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_id TEXT REFERENCES agents (id),
    content TEXT NOT NULL,
    tags TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', content || ' ' || tags)) STORED
);
-- A user's entries, newest first.
CREATE INDEX memories_user_idx ON memories (user_id, created_at);
CREATE INDEX memories_search_idx ON memories USING GIN (search);
CREATE TABLE memory_settings (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    auto_inject BOOLEAN NOT NULL,
    max_injected BIGINT NOT NULL,
    max_entry_chars BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
