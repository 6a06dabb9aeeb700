//! `login`: `POST /api/auth/login` with correct passwords from 8 clients, round-robin over 32
//! member accounts. Bounded by argon2id (19 MiB, 2 passes — not weakened for the benchmark); each
//! success also stores a session and appends `auth.login` to the audit chain.
//!
//! The server throttles logins per source address (20 a minute) and failed logins per account.
//! The benchmark server trusts `127.0.0.1` as a proxy (`PINCER_TRUSTED_PROXIES`) and every request
//! carries a different `X-Forwarded-For` address, so the figure is the hashing, not the limiter;
//! passwords are right, so the per-account failure limit never counts. A 429 is still an error.

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue, ORIGIN};
use serde_json::json;

use super::seed::{self, PASSWORD, Plan};
use super::{Context, Measurement, Scenario, load};

pub const NAME: &str = "login";
const CONCURRENCY: usize = 8;
const ACCOUNTS: usize = 32;
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const PLAN: Plan = Plan { admins: 1, members: ACCOUNTS, log_in_members: false, shared_agents: 0 };

pub struct Login;

impl Scenario for Login {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "POST /api/auth/login, 8 clients over 32 accounts, one source address per request; logins/s, p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let server = ctx.start_server(Vec::new())?;
        let outcome = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let emails: Vec<String> = seeded.members.iter().map(|a| a.email.clone()).collect();
            if emails.len() != ACCOUNTS {
                return Err(format!("seeded {} of {ACCOUNTS} accounts", emails.len()));
            }
            let origin = HeaderValue::from_str(server.base_url()).map_err(|e| e.to_string())?;
            let next_address = AtomicU64::new(0);
            load::run(&server, &ctx.load(CONCURRENCY), StatusCode::OK, move |worker, seq| {
                // Worker w takes accounts w, w + 8, w + 16, … in turn.
                let email = &emails[(worker + seq as usize * CONCURRENCY) % emails.len()];
                let address = source_address(next_address.fetch_add(1, Ordering::Relaxed));
                let forwarded = HeaderValue::from_str(&address).unwrap_or(HeaderValue::from_static("10.0.0.1"));
                load::Request::post_json("/api/auth/login", &json!({"email": email, "password": PASSWORD}))
                    .header(ORIGIN, origin.clone())
                    .header(X_FORWARDED_FOR, forwarded)
            })
            .await
        })?;
        ctx.finish_server(server, vec![outcome.measurement(NAME, ctx.backend())])
    }
}

/// The (n + 1)-th address of 10.0.0.0/8: distinct for 16 million requests.
pub fn source_address(n: u64) -> String {
    let n = n % ((1 << 24) - 1) + 1;
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_are_distinct_private_addresses() {
        assert_eq!(source_address(0), "10.0.0.1");
        assert_eq!(source_address(255), "10.0.1.0");
        assert_eq!(source_address(256 + 7), "10.0.1.8");
        assert_ne!(source_address(300), source_address(301));
    }
}
