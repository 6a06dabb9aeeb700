-- Agent visibility (enterprise): a shared agent is seen by every member (`all`) or only by
-- admins and the members of its groups (`restricted`). The groups an invite puts its new account
-- in. Both lists go with their group, their agent or their invite.
ALTER TABLE agents ADD COLUMN visibility TEXT NOT NULL DEFAULT 'all';
CREATE TABLE agent_groups (
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    CONSTRAINT agent_groups_pkey PRIMARY KEY (agent_id, group_id)
);
-- A deleted group leaves its agents: the cascade looks agents up by group.
CREATE INDEX agent_groups_group_idx ON agent_groups (group_id);
CREATE TABLE invite_groups (
    invite_id TEXT NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    CONSTRAINT invite_groups_pkey PRIMARY KEY (invite_id, group_id)
);
CREATE INDEX invite_groups_group_idx ON invite_groups (group_id);
