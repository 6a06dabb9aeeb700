DROP TABLE channel_threads;
DROP TABLE channel_links;
DROP TABLE channel_bindings;
