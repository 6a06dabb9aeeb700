//! `telegram`: a burst on the main Telegram bot. N members (200; 50 with `--quick`), each linked
//! to a Telegram user, write one message each to the bot at the same instant; each talks to their
//! own personal agent, which answers from `chat`'s instant fake provider.
//!
//! The Bot API is a fake in this process ([`FakeTelegram`], the genuine JSON): `getMe` (the
//! admin's connect checks the token with it), `getUpdates` (a long poll answered at once when
//! updates are pending, else after up to `timeout` seconds; `offset` confirms earlier updates;
//! at most `limit` updates per answer, 100 by default as on Telegram, so 200 updates take two
//! polls), `sendChatAction`, `sendMessage` and `editMessageText` (400 for an edit that changes
//! nothing). The server long-polls it with the production poll time (25 s).
//!
//! Set-up, none of it measured: seeding signs every member in once and lists their agents, which
//! creates their personal agent (anyone who linked Telegram entered a pairing code in the web app,
//! which does the same); the links are rows written straight into `channel_links` (the state a
//! pairing code leaves; pairing 200 people through the bot would measure pairing), checked through
//! each member's `GET /api/settings/telegram`; an admin connects the main bot through the API.
//!
//! Per user, from the instant the fake answered the `getUpdates` that handed the user's update to
//! the server:
//! - `telegram` — to the first `sendMessage` to that chat (p50/p99): the turn's start, the model's
//!   first token (instant here) and the first Telegram message — an upper bound of "the first
//!   message after the model's first token". ops/s: answers per second, from queueing the burst to
//!   the last answer's final text. Errors: users without a first message, and every call the fake
//!   refused (non-2xx).
//! - `telegram:final` — to the call that made the message the whole answer. Errors: users without
//!   it within [`ANSWER_TIMEOUT`].

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use futures::future::join_all;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderValue, ORIGIN};
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::chat::{FakeProvider, configure};
use super::seed::{self, Plan};
use super::server::BenchServer;
use super::{Context, Measurement, Scenario, percentile, server};
use crate::fake_upstream::FakeUpstream;

pub const NAME: &str = "telegram";
pub const FINAL_NAME: &str = "telegram:final";
/// Linked members writing at once (`--quick`, full).
pub const USERS: (usize, usize) = (50, 200);
/// The main bot's token (the shape @BotFather gives) and the account `getMe` reports.
const TOKEN: &str = "7000001:bench-main-bot_token";
const BOT_ID: i64 = 7_000_001;
const BOT_USERNAME: &str = "pincer_bench_bot";
/// Member `i`'s Telegram user id (also their private chat's id) is this plus `i`.
const FIRST_TELEGRAM_USER: i64 = 500_000_001;
/// The server's long poll: the production default.
const POLL_SECONDS: u64 = 25;
/// What `getUpdates` hands out per answer without a `limit` (the Bot API's default and maximum).
const UPDATES_PER_POLL: usize = 100;
/// How long every user may wait for the whole answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the receiver may take to start polling after the bot is connected.
const RECEIVER_WAIT: Duration = Duration::from_secs(30);
/// The whole answer of `chat`'s fake provider (its `ANSWER`, concatenated).
const ANSWER: &str = "Pincer streams this answer to every chat quickly.";
/// Members set up at once (sign-in checks, links).
const PARALLEL: usize = 8;

pub struct Telegram;

impl Scenario for Telegram {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "200 linked members (50 quick, personal agents created beforehand) write to the main Telegram bot at once \
         (fake Bot API, instant fake provider): update handed → first sendMessage and → final text, answers/s"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let users: usize = ctx.size(USERS.0, USERS.1);
        let provider = FakeProvider::start()?;
        let telegram = FakeTelegram::start()?;
        // Each member runs one turn: the per-user run cap does not come into it.
        let env = vec![
            ("PINCER_ALLOW_PRIVATE_URLS", "1".to_string()),
            ("PINCER_TELEGRAM_API_URL", telegram.base_url()),
            ("PINCER_TELEGRAM_POLL_SECONDS", POLL_SECONDS.to_string()),
        ];
        let server = ctx.start_server(env)?;
        let measured = ctx.block_on(async {
            let plan = Plan { admins: 1, members: users, log_in_members: true, shared_agents: 1 };
            let seeded = seed::seed(&server, plan).await?;
            let admin = seeded.admins[0].cookie.clone().ok_or("the admin is not logged in")?;
            configure(&server, &admin, &provider).await?;
            let members: Vec<HeaderValue> = seeded.members.iter().filter_map(|m| m.cookie.clone()).collect();
            if members.len() < users {
                return Err(format!("seeding logged in {} of {users} members", members.len()));
            }
            let ids = member_ids(&server, &members).await?;
            let url = ctx.database_url.to_string();
            tokio::task::spawn_blocking(move || write_links(&url, &ids))
                .await
                .map_err(|e| format!("writing the links: {e}"))??;
            check_links(&server, &members).await?;
            connect_main_bot(&server, &admin).await?;
            telegram.wait_for_poll(RECEIVER_WAIT).await?;

            let chats: Vec<i64> = (0..users as i64).map(|i| FIRST_TELEGRAM_USER + i).collect();
            let queued = telegram.write_all(&chats);
            let deadline = queued + ANSWER_TIMEOUT.min(ctx.time_limit());
            while telegram.answered(&chats) < chats.len() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok::<_, String>(telegram.measure(&chats, queued, ctx.backend()))
        });
        let measured = measured.map_err(|e| format!("{e}\nserver output:\n{}", server.tail()))?;
        ctx.finish_server(server, measured)
    }
}

/// Each member's user id; listing their agents on the way creates their personal agent, which
/// must have a model.
async fn member_ids(server: &BenchServer, members: &[HeaderValue]) -> Result<Vec<String>, String> {
    let client = server::client()?;
    let mut ids = Vec::with_capacity(members.len());
    for chunk in members.chunks(PARALLEL) {
        let each = chunk.iter().map(|cookie| {
            let client = &client;
            async move {
                let get = |path: &str| client.get(server.url(path)).header(COOKIE, cookie.clone()).send();
                let me: Value =
                    get("/api/auth/me").await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
                let agents: Value =
                    get("/api/agents").await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
                let personal = agents.as_array().and_then(|all| all.iter().find(|a| a["isPersonal"] == true));
                if !personal.is_some_and(|a| a["model"].is_string()) {
                    return Err(format!("a member has no personal agent with a model: {agents}"));
                }
                me["id"].as_str().map(str::to_string).ok_or_else(|| format!("GET /api/auth/me: {me}"))
            }
        });
        for id in join_all(each).await {
            ids.push(id?);
        }
    }
    Ok(ids)
}

/// Links member `i` (user id `ids[i]`) to Telegram user [`FIRST_TELEGRAM_USER`] + `i`: the rows a
/// pairing code leaves, in one transaction.
fn write_links(url: &str, ids: &[String]) -> Result<(), String> {
    use diesel::connection::SimpleConnection as _;
    use diesel::{Connection, PgConnection, SqliteConnection};

    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis();
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, user)| {
            // Ids are UUIDs from the server; refuse anything that would need quoting.
            if user.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                Ok(format!("('telegram', '{}', '{user}', {now})", FIRST_TELEGRAM_USER + i as i64))
            } else {
                Err(format!("an unexpected user id: {user:?}"))
            }
        })
        .collect::<Result<_, _>>()?;
    let sql = format!(
        "BEGIN; INSERT INTO channel_links (transport, external_id, user_id, created_at) VALUES {}; COMMIT;",
        rows.join(", ")
    );
    if url.starts_with("postgres") {
        let mut conn = PgConnection::establish(url).map_err(|e| format!("cannot connect: {e}"))?;
        conn.batch_execute(&sql).map_err(|e| format!("writing the links: {e}"))
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path).map_err(|e| format!("cannot open: {e}"))?;
        // The server has the database open too.
        conn.batch_execute("PRAGMA busy_timeout = 10000;").map_err(|e| e.to_string())?;
        conn.batch_execute(&sql).map_err(|e| format!("writing the links: {e}"))
    }
}

/// Every member sees their link, to the Telegram user the benchmark gave them.
async fn check_links(server: &BenchServer, members: &[HeaderValue]) -> Result<(), String> {
    let client = server::client()?;
    for (n, chunk) in members.chunks(PARALLEL).enumerate() {
        let each = chunk.iter().enumerate().map(|(j, cookie)| {
            let client = &client;
            let wanted = (FIRST_TELEGRAM_USER + (n * PARALLEL + j) as i64).to_string();
            async move {
                let res = client
                    .get(server.url("/api/settings/telegram"))
                    .header(COOKIE, cookie.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let link: Value = res.json().await.map_err(|e| e.to_string())?;
                if link["linked"] == true && link["channelUserId"] == wanted.as_str() {
                    Ok(())
                } else {
                    Err(format!("a member's link is not Telegram user {wanted}: {link}"))
                }
            }
        });
        join_all(each).await.into_iter().collect::<Result<Vec<()>, String>>()?;
    }
    Ok(())
}

/// The admin connects the main bot (through their personal agent, as the web app does).
async fn connect_main_bot(server: &BenchServer, admin: &HeaderValue) -> Result<(), String> {
    let client = server::client()?;
    let agents: Value = client
        .get(server.url("/api/agents"))
        .header(COOKIE, admin.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let personal = agents
        .as_array()
        .and_then(|all| all.iter().find(|a| a["isPersonal"] == true))
        .and_then(|a| a["id"].as_str())
        .ok_or_else(|| format!("the admin has no personal agent: {agents}"))?;
    let path = format!("/api/agents/{personal}/channels/telegram");
    let res = client
        .post(server.url(&path))
        .header(COOKIE, admin.clone())
        .header(ORIGIN, server.base_url())
        .json(&json!({"botToken": TOKEN}))
        .send()
        .await
        .map_err(|e| format!("connecting the bot: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| format!("connecting the bot: {e}"))?;
    if status != StatusCode::OK || body["botUsername"] != BOT_USERNAME {
        return Err(format!("POST {path} answered {status}: {body}"));
    }
    Ok(())
}

/// A fake Telegram Bot API for one bot (see the module notes). It notes, per chat, when the
/// server was handed the user's update, when its first message and the whole answer arrived.
struct FakeTelegram {
    base: String,
    shared: Arc<Shared>,
    _server: FakeUpstream,
}

struct Shared {
    state: Mutex<State>,
    /// Woken when updates are queued (long polls waiting for them).
    arrived: Notify,
    /// `getUpdates` calls being answered now.
    polling: AtomicUsize,
    /// The answer as the server sends it (HTML).
    whole: String,
}

#[derive(Default)]
struct State {
    /// Updates not yet confirmed by an offset, oldest first.
    pending: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    chats: HashMap<i64, ChatLog>,
    /// `getUpdates` answers that held updates: when, and how many.
    handed: Vec<(Instant, usize)>,
    /// Calls per method.
    calls: BTreeMap<String, u64>,
    /// Calls answered with an error, and the first of them.
    refused: u64,
    first_refusal: Option<String>,
}

#[derive(Default)]
struct ChatLog {
    /// When the `getUpdates` answer holding the user's update went out.
    handed: Option<Instant>,
    /// When the first `sendMessage` to the chat arrived, and its text.
    first_message: Option<(Instant, String)>,
    /// The bot's messages in the chat: id and current text.
    messages: Vec<(i64, String)>,
    /// When a message became the whole answer.
    whole: Option<Instant>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A Bot API error answer, counted.
    fn refuse(&self, method: &str, status: u16, description: &str) -> HttpResponse {
        let mut state = self.state();
        state.refused += 1;
        state.first_refusal.get_or_insert_with(|| format!("{method}: {status} {description}"));
        let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
        HttpResponse::build(code).json(json!({"ok": false, "error_code": status, "description": description}))
    }

    fn send_message(&self, at: Instant, params: &Value) -> HttpResponse {
        let (Some(chat), Some(text)) = (params["chat_id"].as_i64(), params["text"].as_str()) else {
            return self.refuse("sendMessage", 400, "Bad Request: chat_id and text are required");
        };
        if text.is_empty() || text.chars().count() > 4096 {
            return self.refuse("sendMessage", 400, "Bad Request: message text is empty or too long");
        }
        let mut guard = self.state();
        let state = &mut *guard;
        let id = state.next_message_id;
        state.next_message_id += 1;
        let log = state.chats.entry(chat).or_default();
        log.first_message.get_or_insert_with(|| (at, text.to_string()));
        log.messages.push((id, text.to_string()));
        if text == self.whole {
            log.whole.get_or_insert(at);
        }
        ok(message(id, chat, text))
    }

    fn edit_message_text(&self, at: Instant, params: &Value) -> HttpResponse {
        let (Some(chat), Some(id), Some(text)) =
            (params["chat_id"].as_i64(), params["message_id"].as_i64(), params["text"].as_str())
        else {
            return self.refuse("editMessageText", 400, "Bad Request: chat_id, message_id and text are required");
        };
        let mut state = self.state();
        let log = state.chats.entry(chat).or_default();
        let Some((_, shown)) = log.messages.iter_mut().find(|(m, _)| *m == id) else {
            drop(state);
            return self.refuse("editMessageText", 400, "Bad Request: message to edit not found");
        };
        if shown == text {
            drop(state);
            return self.refuse("editMessageText", 400, "Bad Request: message is not modified");
        }
        *shown = text.to_string();
        if text == self.whole {
            log.whole.get_or_insert(at);
        }
        ok(message(id, chat, text))
    }
}

impl FakeTelegram {
    fn start() -> Result<FakeTelegram, String> {
        let state = State { next_update_id: 900_000_001, next_message_id: 1, ..State::default() };
        let whole = pincer_channels::telegram::format::to_html(ANSWER);
        let shared =
            Arc::new(Shared { state: Mutex::new(state), arrived: Notify::new(), polling: AtomicUsize::new(0), whole });
        let data = web::Data::from(shared.clone());
        let server = FakeUpstream::start("the fake Telegram Bot API", 2, move |cfg| {
            cfg.app_data(data.clone()).route("/bot{token}/{method}", web::post().to(handle));
        })?;
        Ok(FakeTelegram { base: format!("http://{}", server.addr), shared, _server: server })
    }

    /// What `PINCER_TELEGRAM_API_URL` is set to.
    fn base_url(&self) -> String {
        self.base.clone()
    }

    /// Waits until the server's receiver is in a long poll.
    async fn wait_for_poll(&self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while self.shared.polling.load(Ordering::SeqCst) == 0 {
            if Instant::now() >= deadline {
                return Err(format!("the bot's receiver did not poll within {limit:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Each user (also their private chat) writes one message to the bot; returns when.
    fn write_all(&self, users: &[i64]) -> Instant {
        let mut state = self.shared.state();
        for (i, &user) in users.iter().enumerate() {
            let (update_id, message_id) = (state.next_update_id, state.next_message_id);
            state.next_update_id += 1;
            state.next_message_id += 1;
            state.pending.push(json!({
                "update_id": update_id,
                "message": {
                    "message_id": message_id,
                    "from": {"id": user, "is_bot": false, "first_name": format!("Member {i}")},
                    "chat": {"id": user, "type": "private", "first_name": format!("Member {i}")},
                    "date": unix_seconds(),
                    "text": format!("Hello from Telegram, this is member {i}"),
                },
            }));
        }
        let queued = Instant::now();
        drop(state);
        self.shared.arrived.notify_waiters();
        queued
    }

    /// How many of the chats have the whole answer.
    fn answered(&self, chats: &[i64]) -> usize {
        let state = self.shared.state();
        chats.iter().filter(|c| state.chats.get(c).is_some_and(|log| log.whole.is_some())).count()
    }

    /// The two rows, from what the fake saw.
    fn measure(&self, chats: &[i64], queued: Instant, backend: &'static str) -> Vec<Measurement> {
        let state = self.shared.state();
        let (mut first, mut whole, mut from_queue) = (Vec::new(), Vec::new(), Vec::new());
        let (mut no_first, mut no_whole, mut problem) = (0, 0, None);
        let mut last = queued;
        // What people saw first: the whole answer, or a piece of it until the next edit.
        let mut first_texts: HashMap<&str, usize> = HashMap::new();
        for (_, text) in chats.iter().filter_map(|c| state.chats.get(c)?.first_message.as_ref()) {
            *first_texts.entry(text.as_str()).or_default() += 1;
        }
        let at_once = first_texts.get(self.shared.whole.as_str()).copied().unwrap_or(0);
        let most_often = first_texts.iter().max_by_key(|(text, n)| (**n, *text)).map(|(text, n)| (*text, *n));
        for chat in chats {
            let log = state.chats.get(chat);
            let handed = log.and_then(|l| l.handed);
            match (handed, log.and_then(|l| l.first_message.as_ref())) {
                (Some(handed), Some((at, _))) => {
                    first.push(at.saturating_duration_since(handed));
                    from_queue.push(at.saturating_duration_since(queued));
                }
                _ => no_first += 1,
            }
            match (handed, log.and_then(|l| l.whole)) {
                (Some(handed), Some(at)) => {
                    whole.push(at.saturating_duration_since(handed));
                    last = last.max(at);
                }
                _ => {
                    no_whole += 1;
                    problem.get_or_insert_with(|| match log {
                        None => format!("chat {chat}: nothing happened"),
                        Some(l) if l.handed.is_none() => format!("chat {chat}: its update was never handed out"),
                        Some(l) => match &l.first_message {
                            None => format!("chat {chat}: no message"),
                            Some((_, text)) => format!(
                                "chat {chat}: first message {text:?}, now {:?}",
                                l.messages.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>()
                            ),
                        },
                    });
                }
            }
        }
        let elapsed = if no_whole == 0 { last - queued } else { queued.elapsed() };
        for list in [&mut first, &mut whole, &mut from_queue] {
            list.sort_unstable();
        }
        let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1_000.0);
        let batches: Vec<String> = state
            .handed
            .iter()
            .map(|(at, n)| format!("{n} at +{:.0} ms", ms(Some(at.saturating_duration_since(queued)))))
            .collect();
        let calls: Vec<String> = state.calls.iter().map(|(method, n)| format!("{method} {n}")).collect();
        let mut notes = vec![
            "p50/p99: update handed to the server (the getUpdates answer holding it) → first sendMessage to the chat"
                .to_string(),
            format!(
                "from the burst being queued: first message p50 {:.0} ms, p99 {:.0} ms",
                ms(percentile(&from_queue, 50.0)),
                ms(percentile(&from_queue, 99.0))
            ),
            format!(
                "ops/s: {} whole answers in {:.2} s from the burst being queued",
                whole.len(),
                elapsed.as_secs_f64()
            ),
            format!("getUpdates answers with updates: {}", batches.join(", ")),
            format!("calls: {}", calls.join(", ")),
            format!(
                "the first message was the whole answer in {at_once} of {} chats (most often {:?}, {} times)",
                chats.len(),
                most_often.map_or("", |(text, _)| text),
                most_often.map_or(0, |(_, n)| n)
            ),
        ];
        if let Some(refusal) = &state.first_refusal {
            notes.push(format!("{} call(s) refused, first: {refusal}", state.refused));
        }
        if no_first > 0 {
            notes.push(format!("{no_first} user(s) got no message"));
        }
        let mut final_notes =
            vec!["p50/p99: update handed to the server → the call that made the whole answer".to_string()];
        if let Some(problem) = problem {
            final_notes.push(format!(
                "{no_whole} user(s) without the whole answer after {ANSWER_TIMEOUT:?}, first: {problem}"
            ));
        }
        let row = |scenario: &str, sorted: &[Duration], errors: u64, notes: Vec<String>| Measurement {
            scenario: scenario.to_string(),
            backend,
            concurrency: chats.len(),
            ops: chats.len() as u64,
            elapsed,
            p50: percentile(sorted, 50.0),
            p99: percentile(sorted, 99.0),
            errors,
            per_second: true,
            note: Some(notes.join("; ")),
        };
        vec![row(NAME, &first, no_first + state.refused, notes), row(FINAL_NAME, &whole, no_whole, final_notes)]
    }
}

/// Counts `getUpdates` calls in progress while it lives.
struct Polling<'a>(&'a AtomicUsize);

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(shared: web::Data<Shared>, path: web::Path<(String, String)>, body: web::Bytes) -> HttpResponse {
    let at = Instant::now();
    let (token, method) = path.into_inner();
    // The Bot API takes JSON, a form or the query; Pincer sends JSON.
    let params: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({}));
    *shared.state().calls.entry(method.clone()).or_default() += 1;
    if token != TOKEN {
        return shared.refuse(&method, 401, "Unauthorized");
    }
    match method.as_str() {
        "getMe" => ok(json!({"id": BOT_ID, "is_bot": true, "first_name": "Pincer bench", "username": BOT_USERNAME})),
        "getUpdates" => get_updates(&shared, &params).await,
        "sendChatAction" => ok(Value::Bool(true)),
        "sendMessage" => shared.send_message(at, &params),
        "editMessageText" => shared.edit_message_text(at, &params),
        _ => shared.refuse(&method, 404, "Not Found"),
    }
}

async fn get_updates(shared: &Shared, params: &Value) -> HttpResponse {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let limit = params["limit"].as_u64().map_or(UPDATES_PER_POLL, |l| (l as usize).clamp(1, UPDATES_PER_POLL));
    let wait = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0).min(50));
    let deadline = Instant::now() + wait;
    shared.polling.fetch_add(1, Ordering::SeqCst);
    let _polling = Polling(&shared.polling);
    loop {
        // Created before looking, so updates queued in between wake this poll.
        let arrived = shared.arrived.notified();
        {
            let mut guard = shared.state();
            let state = &mut *guard;
            // An offset confirms every update before it.
            state.pending.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !state.pending.is_empty() {
                let batch: Vec<Value> = state.pending.iter().take(limit).cloned().collect();
                let now = Instant::now();
                for update in &batch {
                    if let Some(chat) = update["message"]["chat"]["id"].as_i64() {
                        state.chats.entry(chat).or_default().handed.get_or_insert(now);
                    }
                }
                state.handed.push((now, batch.len()));
                return ok(Value::Array(batch));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || actix_web::rt::time::timeout(left, arrived).await.is_err() {
            return ok(json!([]));
        }
    }
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true, "result": result}))
}

/// A sent or edited message as the Bot API returns it.
fn message(id: i64, chat: i64, text: &str) -> Value {
    json!({
        "message_id": id,
        "from": {"id": BOT_ID, "is_bot": true, "first_name": "Pincer bench", "username": BOT_USERNAME},
        "chat": {"id": chat, "type": "private"},
        "date": unix_seconds(),
        "text": text,
    })
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
