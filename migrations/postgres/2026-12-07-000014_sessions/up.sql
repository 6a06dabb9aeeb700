-- Chat sessions: a title (the first user message until the user sets one, which is then never
-- overwritten), the channel a conversation came through, the caller's sessions by recent
-- activity, and full-text search over messages and titles (generated `tsvector` columns with
-- GIN indexes; the English configuration stems, so "reports" finds "report").
ALTER TABLE chats
    ADD COLUMN title TEXT NOT NULL DEFAULT '',
    ADD COLUMN title_set_by_user BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
CREATE INDEX chats_user_activity_idx ON chats (user_id, updated_at);
UPDATE chats SET title = COALESCE((
    SELECT substr(btrim(m.content), 1, 80) FROM messages m
    WHERE m.chat_id = chats.id AND m.role = 'user' ORDER BY m.seq LIMIT 1
), '');
ALTER TABLE chats ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;
CREATE INDEX chats_search_idx ON chats USING GIN (search);
-- The first 100,000 characters of a message are indexed (a tsvector holds at most 1 MB; a longer
-- message is searched by its start).
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', left(content, 100000))) STORED;
CREATE INDEX messages_search_idx ON messages USING GIN (search);
