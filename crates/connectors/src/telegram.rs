//! The Telegram Bot API: the [`ChannelTransport`] of Telegram bots, over HTTPS with long polling.
//!
//! Every call is a JSON `POST` to `{base}/bot{token}/{method}`; answers are
//! `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description", "parameters"}`.
//! The base is `https://api.telegram.org` unless the operator points it elsewhere
//! (`PINCER_TELEGRAM_API_URL`, an operator setting, so it is not put through the SSRF guard).
//!
//! - The token is in the URL's path, so it is checked first (`<digits>:<[A-Za-z0-9_-]+>`: nothing
//!   that could change the path) and never written into an error or a log: reqwest's errors name
//!   the URL, so they are printed without it, and any text that still held the token is redacted.
//! - Redirects and proxies are off; connecting may take 10 s, a call 15 s, a long poll its poll
//!   time plus 10 s.
//! - Answers are sent as HTML made from the Markdown ([`to_html`]); when Telegram cannot parse
//!   it ("can't parse entities") the call is made once more with the Markdown as plain text.
//! - Failures: 401 and 404 (a token Telegram does not know) → `InvalidCredential`, 409 (another
//!   poller or a webhook) → `Conflict`, 429 → `RateLimited(retry_after)`, 400 and 403 (a chat that
//!   is gone, a bot blocked, an edit that changes nothing) → `Refused`, anything else →
//!   `Unavailable`.

use std::time::Duration;

use async_trait::async_trait;
use pincer_channels::telegram::MAX_MESSAGE_CHARS;
use pincer_channels::telegram::format::to_html;
use pincer_channels::{Account, ChannelTransport, Inbound, Received, Transport, TransportError};
use reqwest::{Client, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Where the Bot API is unless the operator says otherwise.
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";

/// How long a `getUpdates` waits for an update in production.
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(25);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole of a call other than a long poll.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// What a long poll may take beyond its poll time (the answer has to travel too).
const POLL_GRACE: Duration = Duration::from_secs(10);
/// The longest error text kept from an answer.
const MAX_ERROR_CHARS: usize = 200;
const USER_AGENT: &str = concat!("pincer/", env!("CARGO_PKG_VERSION"));

/// The Telegram Bot API client (see the module notes). It keeps no token: each call brings its
/// binding's.
#[derive(Clone, Debug)]
pub struct TelegramBotApi {
    base: String,
    client: Client,
    poll_timeout: Duration,
}

impl TelegramBotApi {
    /// A client of the Bot API at `base_url` (`http(s)://host[:port][/path]`, no query); a text
    /// saying why when the URL cannot be one.
    pub fn new(base_url: &str) -> Result<TelegramBotApi, String> {
        let base = base_url.trim().trim_end_matches('/');
        let url = Url::parse(base).map_err(|e| format!("the Telegram API URL cannot be parsed ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err("the Telegram API URL must be an http(s) URL with a host".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("the Telegram API URL must not contain a query or a fragment".into());
        }
        let client = pincer_outbound::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("the HTTP client cannot be built ({})", pincer_outbound::ErrorChain(&e)))?;
        Ok(TelegramBotApi { base: base.to_string(), client, poll_timeout: DEFAULT_POLL_TIMEOUT })
    }

    /// How long a `getUpdates` waits for an update (whole seconds; 25 s unless set).
    pub fn with_poll_timeout(mut self, poll_timeout: Duration) -> TelegramBotApi {
        self.poll_timeout = poll_timeout;
        self
    }

    /// The poll time in use.
    pub fn poll_timeout(&self) -> Duration {
        self.poll_timeout
    }

    /// Calls `method` with `params`; its `result`, or the failure mapped to the port's errors.
    async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        method: &str,
        params: &Value,
        timeout: Duration,
    ) -> Result<T, Failure> {
        if !token_is_well_formed(token) {
            return Err(Failure::Mapped(TransportError::InvalidCredential("not a Telegram bot token".into())));
        }
        let url = format!("{}/bot{token}/{method}", self.base);
        let unavailable = |what: String| {
            let what = redact(&what, token);
            tracing::info!(method, error = %what, "Telegram Bot API call failed");
            Failure::Mapped(TransportError::Unavailable(what))
        };
        let response = match self.client.post(url).json(params).timeout(timeout).send().await {
            Ok(response) => response,
            Err(e) => return Err(unavailable(format!("{method}: {}", pincer_outbound::ErrorChain(&e.without_url())))),
        };
        let status = response.status().as_u16();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Err(unavailable(format!("{method}: {}", pincer_outbound::ErrorChain(&e.without_url())))),
        };
        let answer: Answer<T> = match serde_json::from_slice(&body) {
            Ok(answer) => answer,
            // No Bot API answer: the status alone says what happened.
            Err(_) if status != 200 => Answer::failed(status),
            Err(_) => return Err(unavailable(format!("{method}: the answer is not a Bot API answer"))),
        };
        if answer.ok {
            return answer.result.ok_or_else(|| unavailable(format!("{method}: the answer has no result")));
        }
        let code = answer.error_code.unwrap_or(i64::from(status));
        let description = redact(&short(answer.description.as_deref().unwrap_or("no description")), token);
        Err(match code {
            401 | 404 => Failure::Mapped(TransportError::InvalidCredential(description)),
            409 => Failure::Mapped(TransportError::Conflict(description)),
            429 => {
                let retry_after = answer.parameters.and_then(|p| p.retry_after).unwrap_or(1);
                Failure::Mapped(TransportError::RateLimited(retry_after))
            }
            400 | 403 => Failure::Refused(description),
            _ => return Err(unavailable(format!("{method}: {code} {description}"))),
        })
    }

    /// `sendMessage` or `editMessageText` with `params` and the Markdown as HTML, once more as
    /// plain text if Telegram cannot parse the HTML.
    async fn send_text<T: DeserializeOwned>(
        &self,
        token: &str,
        method: &str,
        mut params: Value,
        markdown: &str,
    ) -> Result<T, TransportError> {
        params["text"] = Value::String(to_html(markdown));
        params["parse_mode"] = json!("HTML");
        params["link_preview_options"] = json!({"is_disabled": true});
        match self.call(token, method, &params, CALL_TIMEOUT).await {
            Err(Failure::Refused(why)) if why.to_ascii_lowercase().contains("can't parse entities") => {
                tracing::warn!(method, error = %why, "Telegram refused the HTML of an answer; sending it as plain text");
                params["text"] = Value::String(markdown.to_string());
                if let Some(params) = params.as_object_mut() {
                    params.remove("parse_mode");
                }
                self.call(token, method, &params, CALL_TIMEOUT).await.map_err(Failure::into_error)
            }
            other => other.map_err(Failure::into_error),
        }
    }
}

#[async_trait]
impl ChannelTransport for TelegramBotApi {
    fn transport(&self) -> Transport {
        Transport::Telegram
    }

    fn max_message_chars(&self) -> usize {
        MAX_MESSAGE_CHARS
    }

    async fn verify(&self, secret: &str) -> Result<Account, TransportError> {
        let me: User = self.call(secret, "getMe", &json!({}), CALL_TIMEOUT).await.map_err(Failure::into_error)?;
        Ok(Account { id: me.id.to_string(), name: me.username.unwrap_or(me.first_name) })
    }

    async fn receive(&self, secret: &str, cursor: i64) -> Result<Received, TransportError> {
        let mut params = json!({"timeout": self.poll_timeout.as_secs(), "allowed_updates": ["message"]});
        if cursor > 0 {
            params["offset"] = json!(cursor);
        }
        let timeout = self.poll_timeout + POLL_GRACE;
        let updates: Vec<Value> =
            self.call(secret, "getUpdates", &params, timeout).await.map_err(Failure::into_error)?;
        let mut received = Received::default();
        for update in updates {
            // One update Pincer cannot read must not stop the ones after it: it is skipped, and
            // its id still moves the cursor past it.
            let Some(update_id) = update.get("update_id").and_then(Value::as_i64) else { continue };
            received.next_cursor = received.next_cursor.max(Some(update_id + 1));
            let message = update.get("message").and_then(|m| Message::deserialize(m).ok());
            // A message without a sender (posted on behalf of a chat) has no one to answer.
            let Some(Message { message_id, from: Some(from), chat, text }) = message else { continue };
            received.messages.push(Inbound {
                next_cursor: update_id + 1,
                conversation: chat.id.to_string(),
                private: chat.kind == "private",
                sender: from.id.to_string(),
                message_id: message_id.to_string(),
                text,
            });
        }
        Ok(received)
    }

    async fn send(&self, secret: &str, conversation: &str, text: &str) -> Result<String, TransportError> {
        let params = json!({"chat_id": chat_id(conversation)});
        let sent: SentMessage = self.send_text(secret, "sendMessage", params, text).await?;
        Ok(sent.message_id.to_string())
    }

    async fn edit(&self, secret: &str, conversation: &str, message_id: &str, text: &str) -> Result<(), TransportError> {
        let Ok(message_id) = message_id.parse::<i64>() else {
            return Err(TransportError::Refused("not a Telegram message id".into()));
        };
        let params = json!({"chat_id": chat_id(conversation), "message_id": message_id});
        // The result is the edited message, or `true` for messages sent through inline mode.
        let _: Value = self.send_text(secret, "editMessageText", params, text).await?;
        Ok(())
    }

    async fn typing(&self, secret: &str, conversation: &str) -> Result<(), TransportError> {
        let params = json!({"chat_id": chat_id(conversation), "action": "typing"});
        let _: Value = self.call(secret, "sendChatAction", &params, CALL_TIMEOUT).await.map_err(Failure::into_error)?;
        Ok(())
    }
}

/// A failed call: already one of the port's errors, or a 400/403 its caller may look at first.
enum Failure {
    Mapped(TransportError),
    Refused(String),
}

impl Failure {
    fn into_error(self) -> TransportError {
        match self {
            Failure::Mapped(error) => error,
            Failure::Refused(why) => TransportError::Refused(why),
        }
    }
}

/// A Bot API answer.
#[derive(Deserialize)]
struct Answer<T> {
    ok: bool,
    result: Option<T>,
    error_code: Option<i64>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

impl<T> Answer<T> {
    /// A failure known only by its HTTP status (a proxy's page, an empty body).
    fn failed(status: u16) -> Answer<T> {
        let description = Some(format!("HTTP {status}"));
        Answer { ok: false, result: None, error_code: Some(i64::from(status)), description, parameters: None }
    }
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    first_name: String,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    text: Option<String>,
}

#[derive(Deserialize)]
struct SentMessage {
    message_id: i64,
}

/// Whether `token` has the shape @BotFather gives tokens: `<bot id>:<secret>`.
fn token_is_well_formed(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else { return false };
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && !secret.is_empty()
        && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A chat id as Telegram takes it: a number, or a text (`@channelname`).
fn chat_id(conversation: &str) -> Value {
    conversation.parse::<i64>().map_or_else(|_| json!(conversation), |id| json!(id))
}

/// At most [`MAX_ERROR_CHARS`] characters of an error text.
fn short(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `text` without the token in it (the last line of defence: no error text should hold it).
fn redact(text: &str, token: &str) -> String {
    if token.is_empty() { text.to_string() } else { text.replace(token, "[token]") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_tokens_are_accepted() {
        assert!(token_is_well_formed("123456:ABC-def_GHI"));
        for bad in ["", ":", "123456:", ":abc", "12a:abc", "123:abc/../x", "123:abc?x=1", "123:a b", "123:abc:def"] {
            assert!(!token_is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn bases_must_be_http_urls() {
        assert!(TelegramBotApi::new(DEFAULT_TELEGRAM_API_URL).is_ok());
        assert_eq!(
            TelegramBotApi::new("http://127.0.0.1:8081/").map(|api| api.base).as_deref(),
            Ok("http://127.0.0.1:8081")
        );
        for bad in ["api.telegram.org", "ftp://api.telegram.org", "https://api.telegram.org/?x=1", "https://"] {
            assert!(TelegramBotApi::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chat_ids_and_error_texts() {
        assert_eq!(chat_id("-100123"), json!(-100_123));
        assert_eq!(chat_id("@pincer"), json!("@pincer"));
        assert_eq!(short(&"é".repeat(300)).chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(redact("for url /bot1:abc/getMe", "1:abc"), "for url /bot[token]/getMe");
    }
}
