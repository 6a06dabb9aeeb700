//! The web app (issue #14): served by the binary under a strict policy, and its flows driven in
//! real Chromium over WebDriver (chromedriver), against the real binary. Screenshots go to
//! `<target>/web-screenshots/`.
//!
//! The browser tests need Debian's `chromium` and `chromium-driver`. Without them they print that
//! they were skipped and how to install them — unless `PINCER_REQUIRE_BROWSER=1` (CI sets it),
//! which makes a missing browser a failure.

mod accessibility;
mod admin;
mod browser;
mod channels;
mod chat;
mod domain;
mod first_start;
mod groups;
mod journey;
mod memory;
mod qr;
mod remote;
mod security;
mod serving;
mod sessions;
mod tokens;
mod usage;
mod webhooks;
