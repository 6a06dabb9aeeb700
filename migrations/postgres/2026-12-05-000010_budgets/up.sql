-- Monthly spend limits (pincer-usage's budgets): one for the organisation (target ''), per agent,
-- per user and per group (target: its id). Limits are nano-dollars, times BIGINT milliseconds
-- since the epoch (UTC). The whole set is replaced at once.
CREATE TABLE budgets (
    scope TEXT NOT NULL,
    target TEXT NOT NULL,
    limit_nanos BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT budgets_pkey PRIMARY KEY (scope, target)
);
