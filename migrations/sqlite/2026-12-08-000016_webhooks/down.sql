DROP TABLE webhook_requests;
DROP TABLE webhook_slots;
