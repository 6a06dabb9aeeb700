//! `password-flood`: the `login` load (8 clients, right passwords, one address per request)
//! while 8 more clients flood `POST /api/users/me/password` with wrong current passwords, each
//! request from its own address, spread over 8 signed-in members. Password change and login
//! share the hashing threads; the per-user throttle (10 changes per 15 minutes, review M11)
//! must keep the flood from reaching them, so login latency stays near the plain `login`
//! figures. The row is the logins; its note says how many changes reached the hash.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::StatusCode;
use hyper::header::{COOKIE, HeaderName, HeaderValue, ORIGIN};
use serde_json::json;

use super::agents::cookies;
use super::login::source_address;
use super::seed::{self, PASSWORD, Plan};
use super::{Context, Measurement, Scenario, load};

pub const NAME: &str = "password-flood";
const CONCURRENCY: usize = 8;
const ACCOUNTS: usize = 32;
/// Members whose sessions flood: each may have 10 changes hashed per 15 minutes, 80 in all.
const FLOODERS: usize = 8;
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const PLAN: Plan = Plan { admins: 1, members: ACCOUNTS, log_in_members: true, shared_agents: 0 };
/// Flood addresses start here, far from the logins' (which count up from 10.0.0.1).
const FLOOD_ADDRESSES_FROM: u64 = 8 << 20;

pub struct PasswordFlood;

impl Scenario for PasswordFlood {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "POST /api/auth/login (8 clients) under a flood of password changes (8 clients, 8 users); logins/s, p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let server = ctx.start_server(Vec::new())?;
        let (logins, flood) = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let emails: Vec<String> = seeded.members.iter().map(|a| a.email.clone()).collect();
            let sessions = cookies(&seeded.members)?;
            if emails.len() != ACCOUNTS || sessions.len() != ACCOUNTS {
                return Err(format!("seeded {} accounts and {} sessions of {ACCOUNTS}", emails.len(), sessions.len()));
            }
            let origin = HeaderValue::from_str(server.base_url()).map_err(|e| e.to_string())?;
            let load = ctx.load(CONCURRENCY);
            let next_address = Arc::new(AtomicU64::new(0));
            let forwarded =
                move |n: u64| HeaderValue::from_str(&source_address(n)).unwrap_or(HeaderValue::from_static("10.0.0.1"));
            let (login_origin, login_addresses) = (origin.clone(), next_address.clone());
            let logins = load::run(&server, &load, StatusCode::OK, move |worker, seq| {
                let email = &emails[(worker + seq as usize * CONCURRENCY) % emails.len()];
                load::Request::post_json("/api/auth/login", &json!({"email": email, "password": PASSWORD}))
                    .header(ORIGIN, login_origin.clone())
                    .header(X_FORWARDED_FOR, forwarded(login_addresses.fetch_add(1, Ordering::Relaxed)))
            });
            let flood_addresses = AtomicU64::new(FLOOD_ADDRESSES_FROM);
            let change = json!({"currentPassword": "not the password", "newPassword": "a brand new passphrase"});
            // Past the throttle every answer is a 429; the "errors" are the changes that hashed.
            let flood = load::run(&server, &load, StatusCode::TOO_MANY_REQUESTS, move |worker, seq| {
                let session = &sessions[(worker + seq as usize * CONCURRENCY) % FLOODERS];
                load::Request::post_json("/api/users/me/password", &change)
                    .header(ORIGIN, origin.clone())
                    .header(COOKIE, session.clone())
                    .header(X_FORWARDED_FOR, forwarded(flood_addresses.fetch_add(1, Ordering::Relaxed)))
            });
            let (logins, flood) = tokio::join!(logins, flood);
            Ok::<_, String>((logins?, flood?))
        })?;
        let mut m = logins.measurement(NAME, ctx.backend());
        let flood_note = format!(
            "flood: {} password changes measured; {} reached the hash (warm-up included), the rest were throttled",
            flood.requests, flood.errors
        );
        m.note = Some(match m.note.take() {
            Some(note) => format!("{flood_note}; {note}"),
            None => flood_note,
        });
        ctx.finish_server(server, vec![m])
    }
}
