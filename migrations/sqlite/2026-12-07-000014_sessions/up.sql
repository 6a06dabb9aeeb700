-- Chat sessions: a title (the first user message until the user sets one, which is then never
-- overwritten), the channel a conversation came through, the caller's sessions by recent
-- activity, and full-text search over messages and titles (FTS5 with the Porter stemmer, so
-- "reports" finds "report"; kept up to date by triggers as messages are written). A message's
-- chat never changes hands, so its owner token stays right.
ALTER TABLE chats ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN title_set_by_user BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE chats ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
CREATE INDEX chats_user_activity_idx ON chats (user_id, updated_at);
UPDATE chats SET title = COALESCE((
    SELECT substr(trim(m.content), 1, 80) FROM messages m
    WHERE m.chat_id = chats.id AND m.role = 'user' ORDER BY m.seq LIMIT 1
), '');

-- What the message index holds: the first 100,000 characters of each message (a longer one is
-- searched by its start), and its owner as one token (`u` and the user id without dashes), so
-- that a search intersects the caller's postings rather than filtering every user's hits.
CREATE VIEW messages_search AS
    SELECT m.rowid AS message_rowid, substr(m.content, 1, 100000) AS content,
           'u' || replace(c.user_id, '-', '') AS owner
    FROM messages m JOIN chats c ON c.id = m.chat_id;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, owner, content = 'messages_search', content_rowid = 'message_rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
-- A message's chat exists while the message does (sessions delete their messages first).
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content, owner) VALUES (
        new.rowid, substr(new.content, 1, 100000),
        'u' || replace((SELECT user_id FROM chats WHERE id = new.chat_id), '-', ''));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner) VALUES (
        'delete', old.rowid, substr(old.content, 1, 100000),
        'u' || replace((SELECT user_id FROM chats WHERE id = old.chat_id), '-', ''));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, owner) VALUES (
        'delete', old.rowid, substr(old.content, 1, 100000),
        'u' || replace((SELECT user_id FROM chats WHERE id = old.chat_id), '-', ''));
    INSERT INTO messages_fts (rowid, content, owner) VALUES (
        new.rowid, substr(new.content, 1, 100000),
        'u' || replace((SELECT user_id FROM chats WHERE id = new.chat_id), '-', ''));
END;

CREATE VIRTUAL TABLE chats_fts USING fts5(
    title, content = 'chats', content_rowid = 'rowid', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chats_fts (chats_fts) VALUES ('rebuild');
CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN
    INSERT INTO chats_fts (rowid, title) VALUES (new.rowid, new.title);
END;
CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN
    INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
END;
CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats BEGIN
    INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
    INSERT INTO chats_fts (rowid, title) VALUES (new.rowid, new.title);
END;
