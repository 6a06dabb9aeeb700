//! A chat WebSocket client for the black-box tests: connects like the browser tab of a logged-in
//! user (cookie and same-origin `Origin`), sends client frames and waits for server frames.

// tungstenite's error type is large; these helpers only ever panic on it.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pincer_testkit::server::Browser;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for one frame before it fails.
const FRAME_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ChatSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// The `ws://` URL of the chat endpoint of a browser's server.
fn ws_url(browser: &Browser) -> String {
    browser.url("/api/ws").replacen("http://", "ws://", 1)
}

/// The upgrade request a same-origin tab sends, with the browser's session cookie.
pub fn upgrade_request(
    browser: &Browser,
    origin: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = ws_url(browser).into_client_request().unwrap();
    let headers = request.headers_mut();
    if let Some(token) = browser.session_token() {
        headers.insert("Cookie", format!("pincer_session={token}").parse().unwrap());
    }
    if let Some(origin) = origin {
        headers.insert("Origin", origin.parse().unwrap());
    }
    request
}

/// The status of a refused upgrade (e.g. 401, 403, 429).
pub async fn refused_status(request: tokio_tungstenite::tungstenite::handshake::client::Request) -> u16 {
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected upgrade error: {e}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

impl ChatSocket {
    /// Opens the socket as the browser's same-origin tab.
    pub async fn open(browser: &Browser) -> ChatSocket {
        let origin = browser.url("");
        let (ws, _) = tokio_tungstenite::connect_async(upgrade_request(browser, Some(origin.trim_end_matches('/'))))
            .await
            .unwrap_or_else(|e| panic!("WebSocket upgrade failed: {e}"));
        ChatSocket { ws }
    }

    /// Wraps a socket opened some other way (e.g. a script's bearer-token upgrade).
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> ChatSocket {
        ChatSocket { ws }
    }

    /// Sends any WebSocket message (a binary frame, say).
    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws.send(Message::text(frame.to_string())).await.unwrap();
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_string())).await.unwrap();
    }

    pub async fn message(&mut self, agent: &str, content: &str) {
        self.send(json!({"type": "message", "agentId": agent, "content": content})).await;
    }

    pub async fn history(&mut self, agent: &str) {
        self.send(json!({"type": "history", "agentId": agent})).await;
    }

    /// The next JSON frame (pings and pongs skipped); panics on close or timeout.
    pub async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(FRAME_TIMEOUT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no frame within {FRAME_TIMEOUT:?}"))
                .unwrap_or_else(|| panic!("the socket closed"))
                .unwrap_or_else(|e| panic!("socket error: {e}"));
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(reason) => panic!("the socket closed: {reason:?}"),
                other => panic!("unexpected frame: {other:?}"),
            }
        }
    }

    /// Frames up to and including the first of type `until`.
    pub async fn until(&mut self, until: &str) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.next().await;
            let done = frame["type"] == until;
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// The frame that closes the socket, as (code, reason); panics if a data frame comes first.
    pub async fn closed(&mut self) -> Option<(u16, String)> {
        loop {
            match tokio::time::timeout(FRAME_TIMEOUT, self.ws.next()).await.unwrap_or_else(|_| panic!("no close")) {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => panic!("expected a close, got {other:?}"),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes the socket from the client side without waiting.
    pub async fn drop_connection(mut self) {
        self.ws.close(None).await.ok();
    }
}

/// The concatenated `content` of the `chunk` frames.
pub fn chunk_text(frames: &[Value]) -> String {
    frames.iter().filter(|f| f["type"] == "chunk").map(|f| f["content"].as_str().unwrap()).collect()
}

/// The `type`s of the frames, in order.
pub fn types(frames: &[Value]) -> Vec<String> {
    frames.iter().map(|f| f["type"].as_str().unwrap().to_string()).collect()
}
