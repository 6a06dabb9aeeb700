DROP TABLE group_members;
DROP TABLE user_groups;
