//! A fake Telegram Bot API speaking the real JSON: requests go to `{base}/bot{token}/{method}`
//! (parameters in the query, a JSON body or a form), answers are `{"ok": true, "result": …}` or
//! `{"ok": false, "error_code", "description", "parameters"?}` with the matching HTTP status, as
//! api.telegram.org answers them.
//!
//! Methods: `getMe`, `getUpdates` (offsets confirm earlier updates; `timeout` long-polls until an
//! update arrives), `sendMessage`, `editMessageText` (400 "message is not modified" for the same
//! text), `sendChatAction`. A test registers bots ([`FakeTelegram::add_bot`]), has users write to
//! them ([`FakeTelegram::user_writes`]), and reads what the bots said
//! ([`FakeTelegram::chat_texts`], [`FakeTelegram::calls`]). Failures on demand: another poller
//! (409 on `getUpdates`), flood control (429 with `retry_after`), any other error once
//! ([`FakeTelegram::fail_next`]: "can't parse entities", "chat not found", …).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::server::FakeServer;

/// The longest long poll the fake honours (Telegram allows 50 s; tests need less).
const MAX_POLL: Duration = Duration::from_secs(10);

/// One call a bot received.
#[derive(Clone, Debug, PartialEq)]
pub struct TelegramCall {
    /// The bot's token.
    pub token: String,
    /// `getUpdates`, `sendMessage`, …
    pub method: String,
    /// Its parameters, as one JSON object.
    pub params: Value,
    /// When it arrived (how long a client waited before trying again).
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Bot {
    id: i64,
    username: String,
    /// Updates not yet confirmed, oldest first.
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    /// Every message the bot sent: (chat, message id) → its current text.
    sent: Vec<(i64, i64, String)>,
    /// `getUpdates` answers 409 (another process polls this bot).
    conflict: bool,
    /// The next call of this method answers 429 with this `retry_after`.
    flood: Option<(String, u64)>,
    /// The next call of this method answers this error (status, description).
    fail: Option<(String, u16, String)>,
}

#[derive(Default)]
struct Shared {
    bots: Mutex<HashMap<String, Bot>>,
    calls: Mutex<Vec<TelegramCall>>,
    arrived: Notify,
}

impl Shared {
    fn bots(&self) -> MutexGuard<'_, HashMap<String, Bot>> {
        self.bots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fake Bot API (see the module notes). Dropping it stops the server.
pub struct FakeTelegram {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl FakeTelegram {
    /// Starts the fake with no bot.
    pub fn start() -> FakeTelegram {
        let shared = Arc::new(Shared::default());
        let data = web::Data::from(shared.clone());
        let server = FakeServer::start("telegram", move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone()).route("/bot{token}/{method}", web::route().to(handle));
        });
        FakeTelegram { server, shared }
    }

    /// What `PINCER_TELEGRAM_API_URL` is set to: requests go to `{base}/bot{token}/{method}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Registers a bot; returns its id (the number before the token's colon).
    pub fn add_bot(&self, token: &str, username: &str) -> i64 {
        let id = token.split(':').next().and_then(|n| n.parse().ok()).unwrap_or(1);
        let bot = Bot { id, username: username.into(), next_update_id: 1, next_message_id: 1, ..Bot::default() };
        self.shared.bots().insert(token.into(), bot);
        id
    }

    /// A Telegram user (`from` is their id, also their private chat's) writes `text` to a bot;
    /// returns the update's id.
    pub fn user_writes(&self, token: &str, from: i64, first_name: &str, text: &str) -> i64 {
        let update_id = {
            let mut bots = self.shared.bots();
            let bot = bots.get_mut(token).unwrap_or_else(|| panic!("no fake bot {token}"));
            let (update_id, message_id) = (bot.next_update_id, bot.next_message_id);
            bot.next_update_id += 1;
            bot.next_message_id += 1;
            bot.updates.push(json!({
                "update_id": update_id,
                "message": {
                    "message_id": message_id,
                    "from": {"id": from, "is_bot": false, "first_name": first_name},
                    "chat": {"id": from, "type": "private", "first_name": first_name},
                    "date": 1_767_225_600,
                    "text": text,
                },
            }));
            update_id
        };
        self.shared.arrived.notify_waiters();
        update_id
    }

    /// Whether another process "polls" this bot: `getUpdates` then answers 409.
    pub fn set_conflict(&self, token: &str, conflict: bool) {
        if let Some(bot) = self.shared.bots().get_mut(token) {
            bot.conflict = conflict;
        }
        self.shared.arrived.notify_waiters();
    }

    /// The next call of `method` to this bot answers 429 with `retry_after` seconds.
    pub fn flood_next(&self, token: &str, method: &str, retry_after: u64) {
        if let Some(bot) = self.shared.bots().get_mut(token) {
            bot.flood = Some((method.into(), retry_after));
        }
    }

    /// The next call of `method` to this bot answers `status` with `description` (as
    /// `{"ok": false, "error_code": status, "description": …}`), and does nothing else.
    pub fn fail_next(&self, token: &str, method: &str, status: u16, description: &str) {
        if let Some(bot) = self.shared.bots().get_mut(token) {
            bot.fail = Some((method.into(), status, description.into()));
        }
    }

    /// The current texts of the messages a bot sent to a chat, oldest first (edits applied).
    pub fn chat_texts(&self, token: &str, chat: i64) -> Vec<String> {
        let bots = self.shared.bots();
        let Some(bot) = bots.get(token) else { return Vec::new() };
        bot.sent.iter().filter(|(c, _, _)| *c == chat).map(|(_, _, text)| text.clone()).collect()
    }

    /// Updates not yet confirmed by an offset.
    pub fn pending_updates(&self, token: &str) -> usize {
        self.shared.bots().get(token).map_or(0, |b| b.updates.len())
    }

    /// Every call received, in order.
    pub fn calls(&self) -> Vec<TelegramCall> {
        self.shared.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true, "result": result}))
}

fn error(status: u16, description: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(code).json(json!({"ok": false, "error_code": status, "description": description}))
}

/// The call's parameters: the query, then a JSON or form body over it.
fn params(req: &HttpRequest, body: &[u8]) -> Map<String, Value> {
    let form = |raw: &str| {
        web::Query::<HashMap<String, String>>::from_query(raw).map(web::Query::into_inner).unwrap_or_default()
    };
    let mut out: Map<String, Value> =
        form(req.query_string()).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    if let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) {
        out.extend(json);
    } else if let Ok(raw) = std::str::from_utf8(body) {
        out.extend(form(raw).into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    out
}

fn int(params: &Map<String, Value>, key: &str) -> Option<i64> {
    match params.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

async fn handle(
    shared: web::Data<Shared>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (token, method) = path.into_inner();
    let params = params(&req, &body);
    shared.calls.lock().unwrap_or_else(PoisonError::into_inner).push(TelegramCall {
        token: token.clone(),
        method: method.clone(),
        params: Value::Object(params.clone()),
        at: std::time::Instant::now(),
    });
    {
        let mut bots = shared.bots();
        let Some(bot) = bots.get_mut(&token) else { return error(401, "Unauthorized") };
        if bot.flood.as_ref().is_some_and(|(m, _)| *m == method) {
            let retry_after = bot.flood.take().map_or(1, |(_, secs)| secs);
            return HttpResponse::TooManyRequests().json(json!({
                "ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": {"retry_after": retry_after},
            }));
        }
        if bot.fail.as_ref().is_some_and(|(m, _, _)| *m == method) {
            let (_, status, description) = bot.fail.take().unwrap_or_default();
            return error(status, &description);
        }
    }
    match method.as_str() {
        "getMe" => {
            let bots = shared.bots();
            let Some(bot) = bots.get(&token) else { return error(401, "Unauthorized") };
            ok(json!({"id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username}))
        }
        "getUpdates" => get_updates(&shared, &token, &params).await,
        "sendMessage" => {
            let (Some(chat), Some(text)) = (int(&params, "chat_id"), params.get("text").and_then(Value::as_str)) else {
                return error(400, "Bad Request: chat_id and text are required");
            };
            if text.is_empty() || text.chars().count() > 4096 {
                return error(400, "Bad Request: message text is empty or too long");
            }
            let mut bots = shared.bots();
            let Some(bot) = bots.get_mut(&token) else { return error(401, "Unauthorized") };
            let message_id = bot.next_message_id;
            bot.next_message_id += 1;
            bot.sent.push((chat, message_id, text.to_string()));
            ok(
                json!({"message_id": message_id, "chat": {"id": chat, "type": "private"}, "date": 1_767_225_600, "text": text}),
            )
        }
        "editMessageText" => {
            let (Some(chat), Some(id), Some(text)) =
                (int(&params, "chat_id"), int(&params, "message_id"), params.get("text").and_then(Value::as_str))
            else {
                return error(400, "Bad Request: chat_id, message_id and text are required");
            };
            let mut bots = shared.bots();
            let Some(bot) = bots.get_mut(&token) else { return error(401, "Unauthorized") };
            let Some(sent) = bot.sent.iter_mut().find(|(c, m, _)| *c == chat && *m == id) else {
                return error(400, "Bad Request: message to edit not found");
            };
            if sent.2 == text {
                return error(400, "Bad Request: message is not modified");
            }
            sent.2 = text.to_string();
            ok(json!({"message_id": id, "chat": {"id": chat, "type": "private"}, "date": 1_767_225_600, "text": text}))
        }
        "sendChatAction" => ok(Value::Bool(true)),
        _ => error(404, "Not Found"),
    }
}

async fn get_updates(shared: &Shared, token: &str, params: &Map<String, Value>) -> HttpResponse {
    let offset = int(params, "offset").unwrap_or(0);
    let limit = int(params, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let wait = Duration::from_secs(int(params, "timeout").unwrap_or(0).max(0) as u64).min(MAX_POLL);
    let deadline = std::time::Instant::now() + wait;
    loop {
        // Registered before looking, so an update that arrives in between wakes this poll.
        let arrived = shared.arrived.notified();
        {
            let mut bots = shared.bots();
            let Some(bot) = bots.get_mut(token) else { return error(401, "Unauthorized") };
            if bot.conflict {
                return error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                );
            }
            // An offset confirms every update before it.
            bot.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !bot.updates.is_empty() {
                return ok(Value::Array(bot.updates.iter().take(limit).cloned().collect()));
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || actix_web::rt::time::timeout(left, arrived).await.is_err() {
            return ok(json!([]));
        }
    }
}
