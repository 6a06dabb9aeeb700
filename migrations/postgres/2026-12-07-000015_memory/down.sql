DROP TABLE memory_settings;
DROP TABLE memories;
