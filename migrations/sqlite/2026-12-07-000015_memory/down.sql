DROP TRIGGER memories_fts_update;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_insert;
DROP TABLE memories_fts;
DROP VIEW memories_search;
DROP TABLE memory_settings;
DROP TABLE memories;
