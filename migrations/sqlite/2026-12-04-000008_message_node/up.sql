-- The node whose run writes a streaming answer: a starting replica marks interrupted only the
-- answers of nodes that are gone (their lease is free), not those another replica is writing.
ALTER TABLE messages ADD COLUMN node_id TEXT;
