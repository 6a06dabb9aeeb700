//! `agents`: the agent catalogue, `GET /api/agents` with a session cookie, from 64 keep-alive
//! clients: half of them admins, half members. The server is seeded over its API with 4 admins,
//! 4 members (each with a personal agent) and 6 shared agents.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderValue};
use serde_json::Value;

use super::seed::{self, Account, Plan};
use super::{Context, Measurement, Scenario, load, server};

pub const NAME: &str = "agents";
const CONCURRENCY: usize = 64;
const PATH: &str = "/api/agents";
const PLAN: Plan = Plan { admins: 4, members: 4, log_in_members: true, shared_agents: 6 };

pub struct Agents;

impl Scenario for Agents {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "GET /api/agents with a session cookie, 64 clients (half admins, half members); requests/s, p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let server = ctx.start_server(Vec::new())?;
        let (outcome, seen) = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let admins = cookies(&seeded.admins)?;
            let members = cookies(&seeded.members)?;
            let client = server::client()?;
            let url = server.url(PATH);
            // What each role sees, once, so a wrong seed cannot pass as a fast one.
            let mut seen = Vec::new();
            for (role, cookie) in [("admins", &admins[0]), ("members", &members[0])] {
                let res = client.get(&url).header(COOKIE, cookie.clone()).send().await.map_err(|e| e.to_string())?;
                let status = res.status();
                let body: Value = res.json().await.map_err(|e| format!("GET {PATH}: {e}"))?;
                let count = body.as_array().map(Vec::len).ok_or(format!("GET {PATH} answered {status}: {body}"))?;
                seen.push(format!("{role} see {count} agents"));
            }
            let outcome = load::run(&server, &ctx.load(CONCURRENCY), StatusCode::OK, move |worker, _| {
                // Even workers are admins, odd ones members, each group spread over its sessions.
                let group = if worker % 2 == 0 { &admins } else { &members };
                load::Request::get(PATH).header(COOKIE, group[(worker / 2) % group.len()].clone())
            })
            .await?;
            Ok::<_, String>((outcome, seen))
        })?;
        let mut m = outcome.measurement(NAME, ctx.backend());
        m.note = Some(match m.note.take() {
            Some(note) => format!("{}; {note}", seen.join(", ")),
            None => seen.join(", "),
        });
        ctx.finish_server(server, vec![m])
    }
}

/// The session cookies of logged-in accounts (at least one).
pub fn cookies(accounts: &[Account]) -> Result<Vec<HeaderValue>, String> {
    let cookies: Vec<HeaderValue> = accounts.iter().filter_map(|a| a.cookie.clone()).collect();
    if cookies.is_empty() { Err("seeding logged in no account".into()) } else { Ok(cookies) }
}
