ALTER TABLE messages DROP COLUMN node_id;
