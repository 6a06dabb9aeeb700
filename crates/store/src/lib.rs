//! The diesel storage adapter: one portable schema over SQLite and PostgreSQL.
//!
//! Public surface (kept stable for `server`, `xtask` and tests):
//! - [`Database`]: `open(url)`, `migrate()`, `revert_last()`, `ping()`, `backend()`; it is `Clone`
//!   and implements every identity store port.
//! - [`BlockingPasswordHasher`]: argon2id off the async executor.
