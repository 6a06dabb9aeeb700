//! The connectors against real resources: a temporary directory for the documents root, the fake
//! Telegram Bot API over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod confinement;
mod documents;
mod files;
mod telegram;
