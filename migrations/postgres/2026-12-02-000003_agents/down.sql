DROP TABLE providers;
DROP TABLE agents;
