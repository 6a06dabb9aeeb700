DROP TABLE invite_groups;
DROP TABLE agent_groups;
ALTER TABLE agents DROP COLUMN visibility;
