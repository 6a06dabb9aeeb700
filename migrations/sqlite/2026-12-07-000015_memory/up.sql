-- Long-term memory: entries owned by one user (an agent saved them, or the user added them), the
-- agent they came from, and each user's memory settings. Searched with FTS5 (Porter stemmer) over
-- content and tags, with the owner as a token so a search reads only the user's postings.
-- Portable types only: ids are UUID strings, tags a JSON array, times BIGINT milliseconds.
CREATE TABLE memories (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_id TEXT REFERENCES agents (id),
    content TEXT NOT NULL,
    tags TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A user's entries, newest first.
CREATE INDEX memories_user_idx ON memories (user_id, created_at);
CREATE TABLE memory_settings (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    auto_inject BOOLEAN NOT NULL,
    max_injected BIGINT NOT NULL,
    max_entry_chars BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE VIEW memories_search AS
    SELECT rowid AS memory_rowid, content, tags, 'u' || replace(user_id, '-', '') AS owner FROM memories;
CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, tags, owner, content = 'memories_search', content_rowid = 'memory_rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content, tags, owner)
        VALUES (new.rowid, new.content, new.tags, 'u' || replace(new.user_id, '-', ''));
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, tags, owner)
        VALUES ('delete', old.rowid, old.content, old.tags, 'u' || replace(old.user_id, '-', ''));
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, tags ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, tags, owner)
        VALUES ('delete', old.rowid, old.content, old.tags, 'u' || replace(old.user_id, '-', ''));
    INSERT INTO memories_fts (rowid, content, tags, owner)
        VALUES (new.rowid, new.content, new.tags, 'u' || replace(new.user_id, '-', ''));
END;
