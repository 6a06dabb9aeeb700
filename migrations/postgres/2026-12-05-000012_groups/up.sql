-- Groups of users (enterprise): who sees restricted agents, and group budgets. A membership goes
-- with its group or its user. Portable types only: ids are UUID strings, times BIGINT
-- milliseconds since the epoch (UTC).
CREATE TABLE user_groups (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT user_groups_name_key UNIQUE (name)
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id)
);
-- A user's groups.
CREATE INDEX group_members_user_idx ON group_members (user_id);
