//! `session-search`: `GET /api/sessions/search` as one user, 8 keep-alive clients, over
//! 1,000,000 messages (100,000 with `--quick`): a tenth of them in 2,000 sessions (200) of the
//! user who searches, the rest in another user's sessions — so the full-text index holds every
//! user's words and the search must confine itself to the caller's.
//!
//! The server starts first (the chats refer to its users and agents); the messages are then
//! written straight into its database with multi-row INSERTs, through the same triggers (SQLite)
//! and generated columns (PostgreSQL) that index them in a running system.

use std::time::Instant;

use diesel::connection::SimpleConnection as _;
use diesel::{Connection, PgConnection, SqliteConnection};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;

use super::seed::{self, Plan};
use super::{Context, Measurement, Scenario, agents, load};

pub const NAME: &str = "session-search";
const CONCURRENCY: usize = 8;
const PLAN: Plan = Plan { admins: 2, members: 0, log_in_members: false, shared_agents: 0 };
/// Messages per session.
const PER_SESSION: usize = 50;
/// Rows per INSERT statement, and statements per transaction.
const ROWS_PER_INSERT: usize = 500;
const INSERTS_PER_TRANSACTION: usize = 20;
/// Two words that meet in one message in a hundred (one in 50 has the first, one in 20 the second).
pub const PATH: &str = "/api/sessions/search?q=quarterly%20reports&limit=20";

pub struct SessionSearch;

impl Scenario for SessionSearch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "session search of one user over 100,000 (quick) / 1,000,000 messages, a tenth theirs, 8 clients; p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let total: usize = ctx.size(100_000, 1_000_000);
        let server = ctx.start_server(Vec::new())?;
        let measurements = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let admins = agents::cookies(&seeded.admins)?;
            let client = super::server::client()?;
            let mut owners = Vec::new();
            for cookie in admins.iter().take(2) {
                let get = |path: &str| client.get(server.url(path)).header(COOKIE, cookie.clone()).send();
                let me: Value =
                    get("/api/auth/me").await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
                let agents: Value =
                    get("/api/agents").await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
                let personal = agents
                    .as_array()
                    .and_then(|all| all.iter().find(|a| a["isPersonal"] == true))
                    .and_then(|a| a["id"].as_str())
                    .ok_or("no personal agent")?
                    .to_string();
                owners.push((me["id"].as_str().ok_or("no user id")?.to_string(), personal));
            }
            let started = Instant::now();
            load_messages(ctx.database_url, &owners, total)?;
            eprintln!("bench: {NAME}: loaded {total} messages in {:.1} s", started.elapsed().as_secs_f64());

            let searcher = admins[0].clone();
            let res = client
                .get(server.url(PATH))
                .header(COOKIE, searcher.clone())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = res.status();
            let body: Value = res.json().await.map_err(|e| format!("GET {PATH}: {e}"))?;
            let hits = body["sessions"].as_array().map_or(0, Vec::len);
            if status != StatusCode::OK || hits == 0 {
                return Err(format!("GET {PATH} answered {status} with {hits} sessions: {body}"));
            }
            let outcome = load::run(&server, &ctx.load(CONCURRENCY), StatusCode::OK, move |_, _| {
                load::Request::get(PATH).header(COOKIE, searcher.clone())
            })
            .await?;
            let mut m = outcome.measurement(NAME, ctx.backend());
            let note = format!("{hits} sessions in an answer, {total} messages");
            m.note = Some(match m.note.take() {
                Some(other) => format!("{note}; {other}"),
                None => note,
            });
            Ok::<_, String>(vec![m])
        })?;
        ctx.finish_server(server, measurements)
    }
}

/// A UUID-shaped id for row `n` of `kind`.
fn uuid(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-7000-8000-{n:012x}")
}

/// Words of message `n`: 16 from a vocabulary of 5,000 made-up words, and the searched words in
/// one message in 50 and one in 20.
fn text(n: u64) -> String {
    let mut words: Vec<String> = (0..16u64).map(|i| format!("w{}", (n * 7_919 + i * 104_729) % 5_000)).collect();
    if n.is_multiple_of(50) {
        words.insert(3, "quarterly".into());
    }
    if n.is_multiple_of(20) {
        words.insert(8, "report".into());
    }
    words.join(" ")
}

/// Writes `total` messages: a tenth in the first owner's sessions, the rest in the second's.
fn load_messages(url: &str, owners: &[(String, String)], total: usize) -> Result<(), String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis()
        as i64;
    let sessions = total / PER_SESSION;
    let mine = sessions / 10;
    let mut chats = String::new();
    for s in 0..sessions {
        let (user, agent) = &owners[usize::from(s >= mine)];
        let at = now - (sessions - s) as i64 * 60_000;
        chats.push_str(&format!(
            "INSERT INTO chats (id, user_id, agent_id, key, created_at, updated_at, title) \
             VALUES ('{}','{user}','{agent}','s-{s}',{at},{at},'Session {s}');",
            uuid(5, s as u64)
        ));
    }
    let mut batches = vec![format!("BEGIN; {chats} COMMIT;")];
    let mut sql = String::new();
    let (mut in_statement, mut statements) = (0, 0);
    for n in 0..total as u64 {
        let s = n as usize / PER_SESSION;
        if in_statement == 0 {
            sql.push_str(
                "INSERT INTO messages (id, chat_id, seq, role, content, status, steps, created_at, updated_at) VALUES ",
            );
        } else {
            sql.push(',');
        }
        let role = if n % 2 == 0 { "user" } else { "assistant" };
        let at = now - (total as u64 - n) as i64 * 1_000;
        sql.push_str(&format!(
            "('{}','{}',{},'{role}','{}','complete','[]',{at},{at})",
            uuid(6, n),
            uuid(5, s as u64),
            n as usize % PER_SESSION + 1,
            text(n),
        ));
        in_statement += 1;
        if in_statement == ROWS_PER_INSERT {
            sql.push(';');
            in_statement = 0;
            statements += 1;
            if statements == INSERTS_PER_TRANSACTION {
                batches.push(format!("BEGIN; {} COMMIT;", std::mem::take(&mut sql)));
                statements = 0;
            }
        }
    }
    if in_statement > 0 {
        sql.push(';');
    }
    if !sql.is_empty() {
        batches.push(format!("BEGIN; {sql} COMMIT;"));
    }
    if url.starts_with("postgres") {
        let mut conn = PgConnection::establish(url).map_err(|e| format!("cannot connect: {e}"))?;
        for batch in &batches {
            conn.batch_execute(batch).map_err(|e| format!("loading messages: {e}"))?;
        }
        conn.batch_execute("VACUUM ANALYZE chats, messages").map_err(|e| e.to_string())
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path).map_err(|e| format!("cannot open: {e}"))?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;").map_err(|e| e.to_string())?;
        for batch in &batches {
            conn.batch_execute(batch).map_err(|e| format!("loading messages: {e}"))?;
        }
        conn.batch_execute("ANALYZE").map_err(|e| e.to_string())
    }
}
