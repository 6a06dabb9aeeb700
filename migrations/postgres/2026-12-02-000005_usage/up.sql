-- Usage records: one per model call. Portable types only: ids are UUID strings, times are BIGINT
-- milliseconds since the epoch (UTC), token counts and costs are BIGINT (the store saturates the
-- domain's u64 at the BIGINT maximum). No SQL defaults for time: the application's clock decides.
-- No foreign keys on user_id and agent_id: the records are an accounting trail and are kept
-- whatever becomes of the user or the agent.

CREATE TABLE usage_records (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT,
    agent_id TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    -- Nano-dollars; NULL when the model has no price.
    cost_nanos BIGINT,
    source TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- A step is recorded once however often it is reported; also the index of a run's records.
    CONSTRAINT usage_records_run_step_key UNIQUE (run_id, step)
);
-- For aggregation over time, per user and per agent.
CREATE INDEX usage_records_created_at_idx ON usage_records (created_at);
CREATE INDEX usage_records_user_idx ON usage_records (user_id, created_at);
CREATE INDEX usage_records_agent_idx ON usage_records (agent_id, created_at);
