DROP INDEX messages_search_idx;
ALTER TABLE messages DROP COLUMN search;
DROP INDEX chats_search_idx;
DROP INDEX chats_user_activity_idx;
ALTER TABLE chats DROP COLUMN search, DROP COLUMN channel, DROP COLUMN title_set_by_user, DROP COLUMN title;
