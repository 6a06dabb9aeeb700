-- Usage rolled up as it is recorded (each record updates its rows in place: fillfactor leaves room
-- on the page for PostgreSQL's heap-only updates), so that the reports sum a few rows per day or hour instead
-- of every record (docs/PERFORMANCE.md, "usage-reports"). Kept by triggers on usage_records: every
-- way a record arrives (the application, an import, a restore) is counted, in the same
-- transaction. Records are never updated or deleted; the rollups assume so. Sums saturate at the
-- BIGINT maximum, as the records' own columns do. '' stands for no
-- agent or no user (key columns cannot be NULL). Reports ask for windows that start at a UTC
-- midnight, which these buckets (UTC days and hours, in milliseconds) cover exactly.
CREATE TABLE usage_daily (
    day BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    source TEXT NOT NULL,
    calls BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_nanos BIGINT NOT NULL,
    CONSTRAINT usage_daily_pkey PRIMARY KEY (day, agent_id, user_id, source)
) WITH (fillfactor = 70);
CREATE INDEX usage_daily_agent_idx ON usage_daily (agent_id, day);
CREATE TABLE usage_hourly (
    hour BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    calls BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_nanos BIGINT NOT NULL,
    CONSTRAINT usage_hourly_pkey PRIMARY KEY (hour, agent_id)
) WITH (fillfactor = 70);
CREATE INDEX usage_hourly_agent_idx ON usage_hourly (agent_id, hour);
-- The models called without a price, per day and agent.
CREATE TABLE usage_unpriced (
    day BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    CONSTRAINT usage_unpriced_pkey PRIMARY KEY (day, agent_id, provider, model)
);

CREATE FUNCTION usage_records_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_daily VALUES (
        NEW.created_at / 86400000 * 86400000, COALESCE(NEW.agent_id, ''), COALESCE(NEW.user_id, ''), NEW.source, 1,
        NEW.input_tokens, NEW.output_tokens, NEW.cache_read_tokens, NEW.cache_write_tokens, COALESCE(NEW.cost_nanos, 0))
    ON CONFLICT (day, agent_id, user_id, source) DO UPDATE SET
        calls = usage_daily.calls + 1,
        input_tokens = CASE WHEN usage_daily.input_tokens > 9223372036854775807 - excluded.input_tokens THEN 9223372036854775807 ELSE usage_daily.input_tokens + excluded.input_tokens END,
        output_tokens = CASE WHEN usage_daily.output_tokens > 9223372036854775807 - excluded.output_tokens THEN 9223372036854775807 ELSE usage_daily.output_tokens + excluded.output_tokens END,
        cache_read_tokens = CASE WHEN usage_daily.cache_read_tokens > 9223372036854775807 - excluded.cache_read_tokens THEN 9223372036854775807 ELSE usage_daily.cache_read_tokens + excluded.cache_read_tokens END,
        cache_write_tokens = CASE WHEN usage_daily.cache_write_tokens > 9223372036854775807 - excluded.cache_write_tokens THEN 9223372036854775807 ELSE usage_daily.cache_write_tokens + excluded.cache_write_tokens END,
        cost_nanos = CASE WHEN usage_daily.cost_nanos > 9223372036854775807 - excluded.cost_nanos THEN 9223372036854775807 ELSE usage_daily.cost_nanos + excluded.cost_nanos END;
    INSERT INTO usage_hourly VALUES (
        NEW.created_at / 3600000 * 3600000, COALESCE(NEW.agent_id, ''), 1,
        NEW.input_tokens, NEW.output_tokens, NEW.cache_read_tokens, NEW.cache_write_tokens, COALESCE(NEW.cost_nanos, 0))
    ON CONFLICT (hour, agent_id) DO UPDATE SET
        calls = usage_hourly.calls + 1,
        input_tokens = CASE WHEN usage_hourly.input_tokens > 9223372036854775807 - excluded.input_tokens THEN 9223372036854775807 ELSE usage_hourly.input_tokens + excluded.input_tokens END,
        output_tokens = CASE WHEN usage_hourly.output_tokens > 9223372036854775807 - excluded.output_tokens THEN 9223372036854775807 ELSE usage_hourly.output_tokens + excluded.output_tokens END,
        cache_read_tokens = CASE WHEN usage_hourly.cache_read_tokens > 9223372036854775807 - excluded.cache_read_tokens THEN 9223372036854775807 ELSE usage_hourly.cache_read_tokens + excluded.cache_read_tokens END,
        cache_write_tokens = CASE WHEN usage_hourly.cache_write_tokens > 9223372036854775807 - excluded.cache_write_tokens THEN 9223372036854775807 ELSE usage_hourly.cache_write_tokens + excluded.cache_write_tokens END,
        cost_nanos = CASE WHEN usage_hourly.cost_nanos > 9223372036854775807 - excluded.cost_nanos THEN 9223372036854775807 ELSE usage_hourly.cost_nanos + excluded.cost_nanos END;
    IF NEW.cost_nanos IS NULL THEN
        INSERT INTO usage_unpriced VALUES (
            NEW.created_at / 86400000 * 86400000, COALESCE(NEW.agent_id, ''), NEW.provider, NEW.model)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER usage_records_rollup AFTER INSERT ON usage_records
    FOR EACH ROW EXECUTE FUNCTION usage_records_rollup();

-- The records already there.
INSERT INTO usage_daily
SELECT created_at / 86400000 * 86400000, COALESCE(agent_id, ''), COALESCE(user_id, ''), source, COUNT(*),
       SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), COALESCE(SUM(cost_nanos), 0)
FROM usage_records GROUP BY 1, 2, 3, 4;
INSERT INTO usage_hourly
SELECT created_at / 3600000 * 3600000, COALESCE(agent_id, ''), COUNT(*),
       SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), COALESCE(SUM(cost_nanos), 0)
FROM usage_records GROUP BY 1, 2;
INSERT INTO usage_unpriced
SELECT DISTINCT created_at / 86400000 * 86400000, COALESCE(agent_id, ''), provider, model
FROM usage_records WHERE cost_nanos IS NULL;
