//! The store contract suite: every port method against SQLite always, and against PostgreSQL too
//! when `PINCER_TEST_DATABASE_URL` is set. Each test gets fresh databases.

// Test code: a failed unwrap is a failed test (helpers here are not `#[test]` functions, so the
// clippy.toml allowance for tests does not reach them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod api_tokens;
mod audit;
mod audit_batch;
mod channels;
mod chat_sessions;
mod conversations;
mod groups;
mod hasher;
mod invites;
mod lifecycle;
mod memories;
mod pairings;
mod providers;
mod reseal;
mod security;
mod sessions;
mod settings;
mod support;
mod usage;
mod usage_reports;
mod users;
mod webhooks;
