-- Inbound webhooks: named slots (the agent a delivery runs, its sealed secret, which proofs it
-- accepts, the admin its runs act as) and the requests deliveries started, deduplicated by the
-- sender's `webhook-id` per slot. Portable types only: ids are UUID strings, times BIGINT ms.
CREATE TABLE webhook_slots (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    sync_timeout_secs BIGINT NOT NULL,
    signature TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    secret_hint TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE webhook_requests (
    id TEXT NOT NULL PRIMARY KEY,
    slot_id TEXT NOT NULL REFERENCES webhook_slots (id) ON DELETE CASCADE,
    delivery_id TEXT,
    state TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    session_id TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
-- One request per delivery id and slot (several NULLs allowed: the reference's proofs carry none).
CREATE UNIQUE INDEX webhook_requests_delivery_idx ON webhook_requests (slot_id, delivery_id);
-- A slot's newest requests.
CREATE INDEX webhook_requests_slot_idx ON webhook_requests (slot_id, created_at);
