//! Black-box tests: each test starts the real `pincer` binary (SQLite, or PostgreSQL when
//! `PINCER_TEST_DATABASE_URL` is set) and talks to it over HTTP like a browser or a script.

// Test helpers may panic freely: a failed setup step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod audit;
mod audit_actors;
mod audit_anchor;
mod audit_csv_injection;
mod audit_erasure;
mod audit_events;
mod audit_head;
mod chat;
mod chat_errors;
mod chat_history;
mod chat_ids;
mod chat_providers;
mod chat_ssrf;
mod expiry;
mod file_tools;
mod forwarded_for;
mod grant_escape;
mod health_shell;
mod host_cookie;
mod integrity;
mod invite_creator;
mod invites;
mod json_logs;
mod keys;
mod login_throttle;
mod loopback;
mod models_unavailable;
mod nul_text;
mod openapi;
mod origins;
mod origins_rebinding;
mod personal_backfill;
mod profile;
mod provider_rebind;
mod providers;
mod restart;
mod run_cap;
mod session_cap;
mod settings;
mod setup_auth;
mod setup_code;
mod startup_failures;
mod support;
mod throttle_security;
mod token_links;
mod users;
mod web;
mod ws;
mod ws_follows;
mod ws_limits;
mod ws_revocation;
