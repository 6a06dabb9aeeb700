//! The limits of the chat WebSocket as docs/API.md promises them: the refusals before the upgrade
//! (`websocket_required`, 429 `too_many_connections` past 16 sockets of one user), the bearer
//! token as a script's credential, the frame and message size limits, and the close codes
//! (1001 shutdown, 1003 binary frame, 1009 frame too big, 4408 silent client), and the `lagged`
//! frame for a socket that fell behind.

// tungstenite's error type is large; these helpers only ever panic on it.
#![allow(clippy::result_large_err)]

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use pincer_testkit::FakeReply;

use crate::chat_errors::{shared_agent, with_openai, with_openai_env};
use crate::support::{assert_error, query_text};
use crate::ws::{ChatSocket, chunk_text, upgrade_request};

/// docs/API.md: "more than 16 sockets of one user" are refused.
const SOCKETS_PER_USER: usize = 16;
/// docs/API.md: close code 1009 for a "frame over 256 KiB".
const MAX_FRAME: usize = 256 * 1024;
/// docs/API.md: a user message is at most 32,000 characters.
const MAX_MESSAGE_CHARS: usize = 32_000;

/// The refused upgrade's status, `Retry-After` and JSON body.
async fn refusal(request: tokio_tungstenite::tungstenite::handshake::client::Request) -> (u16, Option<String>, Value) {
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let retry_after = response.headers().get("Retry-After").map(|v| v.to_str().unwrap().to_string());
            let body = response.body().as_deref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
            (response.status().as_u16(), retry_after, body)
        }
        Err(e) => panic!("unexpected upgrade error: {e}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

fn same_origin(browser: &Browser) -> String {
    browser.url("").trim_end_matches('/').to_string()
}

/// The id of the caller's personal agent (it has no model until a provider exists).
async fn personal_agent(browser: &Browser) -> String {
    let (status, agents) = browser.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    agents.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_get_is_refused_and_a_user_may_keep_sixteen_sockets() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    // A plain GET is not an upgrade; refusing it must not use up one of the user's slots.
    for _ in 0..SOCKETS_PER_USER + 4 {
        assert_error(&admin.send_json("GET", "/api/ws", Value::Null).await, 400, "websocket_required");
    }
    let mut open = Vec::new();
    for _ in 0..SOCKETS_PER_USER {
        open.push(ChatSocket::open(&admin).await);
    }
    let (status, retry_after, body) = refusal(upgrade_request(&admin, Some(&same_origin(&admin)))).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "too_many_connections", "{body}");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(retry_after >= 1, "{retry_after}");

    // The cap is per user: another account still connects.
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let mut other = ChatSocket::open(&member).await;
    other.history(&personal_agent(&member).await).await;
    assert_eq!(other.next().await["type"], "history");

    // A closed socket frees its slot (the server notices the close a moment later).
    let mut first = open.remove(0);
    first.send(json!({"type": "history", "agentId": personal_agent(&admin).await})).await;
    assert_eq!(first.next().await["type"], "history");
    first.drop_connection().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio_tungstenite::connect_async(upgrade_request(&admin, Some(&same_origin(&admin)))).await {
            Ok(_) => break,
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 429 => {
                assert!(Instant::now() < deadline, "the closed socket's slot was never freed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("unexpected upgrade error: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_connects_with_the_session_token_as_bearer() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let token = admin.session_token().unwrap();
    let agent = personal_agent(&admin).await;
    let url = server.url("/api/ws").replacen("http://", "ws://", 1);

    // No cookie and no Origin: a script, authenticated by its bearer token alone.
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("a bearer upgrade is accepted");
    let mut ws = ChatSocket::from_stream(ws);
    ws.history(&agent).await;
    let history = ws.next().await;
    assert_eq!((history["type"].clone(), history["agentId"].clone()), (json!("history"), json!(agent)));

    // A wrong token, or none, is refused before the upgrade.
    let mut forged = url.as_str().into_client_request().unwrap();
    forged.headers_mut().insert("Authorization", format!("Bearer {}", "0".repeat(64)).parse().unwrap());
    let (status, _, body) = refusal(forged).await;
    assert_eq!((status, body["code"].clone()), (401, json!("not_authenticated")));
    let (status, _, body) = refusal(url.as_str().into_client_request().unwrap()).await;
    assert_eq!((status, body["code"].clone()), (401, json!("not_authenticated")));

    // Logging out ends the session the script holds: its socket is told and closed with 4401.
    let (status, _) = admin.send_json("POST", "/api/auth/logout", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ws.next().await["code"], "not_authenticated");
    assert_eq!(ws.closed().await.map(|(code, _)| code), Some(4401));
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_and_frames_have_size_limits() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = personal_agent(&admin).await;
    let mut ws = ChatSocket::open(&admin).await;

    // 32,000 characters pass the length check (and meet the missing model); one more does not.
    // Characters, not bytes: "é" is two bytes.
    let longest = "é".repeat(MAX_MESSAGE_CHARS);
    ws.message(&agent, &longest).await;
    assert_eq!(ws.next().await["code"], "agent_has_no_model");
    ws.message(&agent, &format!("{longest}x")).await;
    let refused = ws.next().await;
    assert_eq!((refused["code"].clone(), refused["agentId"].clone()), (json!("invalid_input"), json!(agent)));

    // A frame of exactly 256 KiB is read (and its over-long content refused); the socket stays.
    let frame = |size: usize| {
        let empty = json!({"type": "message", "agentId": agent, "content": ""}).to_string();
        let content = "a".repeat(size - empty.len());
        let text = json!({"type": "message", "agentId": agent, "content": content}).to_string();
        assert_eq!(text.len(), size);
        text
    };
    ws.send_raw(&frame(MAX_FRAME)).await;
    assert_eq!(ws.next().await["code"], "invalid_input");
    ws.history(&agent).await;
    assert_eq!(ws.next().await["type"], "history", "the socket is still open");

    // One byte more closes the socket with 1009.
    ws.send_raw(&frame(MAX_FRAME + 1)).await;
    assert_eq!(ws.closed().await.map(|(code, _)| code), Some(1009));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_frame_closes_the_socket_with_1003() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.send_message(Message::binary(b"{\"type\":\"history\"}".to_vec())).await;
    assert_eq!(ws.closed().await.map(|(code, _)| code), Some(1003));
    // The user's other sockets are unaffected.
    let mut again = ChatSocket::open(&admin).await;
    again.history(&personal_agent(&admin).await).await;
    assert_eq!(again.next().await["type"], "history");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutting_down_closes_open_sockets_with_1001() {
    let mut server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.history(&personal_agent(&admin).await).await;
    assert_eq!(ws.next().await["type"], "history");
    let (status, closed) = tokio::join!(server.stop(), ws.closed());
    assert!(status.success(), "{status}");
    assert_eq!(closed.map(|(code, _)| code), Some(1001));
}

/// A WebSocket client that never answers pings: it speaks the protocol by hand (the handshake,
/// then reading unmasked server frames), because tungstenite answers pings on its own.
struct SilentClient {
    stream: TcpStream,
}

impl SilentClient {
    async fn connect(browser: &Browser) -> SilentClient {
        let authority = browser.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
        // A small receive window: a client that does not read stalls the server's writes soon.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stream = socket.connect(authority.parse().unwrap()).await.unwrap();
        let request = format!(
            "GET /api/ws HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Origin: http://{authority}\r\nCookie: pincer_session={}\r\n\r\n",
            browser.session_token().unwrap()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        SilentClient { stream }
    }

    /// Sends a text frame (masked, as a client must; the zero key leaves the bytes as they are).
    async fn send_text(&mut self, text: &str) {
        self.send_frame(true, 0x1, text.as_bytes()).await;
    }

    /// Sends one frame: `fin` ends the message, `opcode` 0x1 starts a text message, 0x0 continues.
    async fn send_frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let mut frame = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | u8::try_from(n).unwrap()),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend(u16::try_from(n).unwrap().to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend(u64::try_from(n).unwrap().to_be_bytes());
            }
        }
        frame.extend([0, 0, 0, 0]);
        frame.extend(payload);
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The close code the server sends next (pings skipped); panics on a data frame.
    async fn close_code(&mut self) -> u16 {
        loop {
            let (opcode, payload) = tokio::time::timeout(Duration::from_secs(30), self.frame()).await.unwrap();
            match opcode {
                0x8 => return u16::from_be_bytes([payload[0], payload[1]]),
                0x9 => continue,
                other => panic!("unexpected frame {other:#x}: {}", String::from_utf8_lossy(&payload)),
            }
        }
    }

    /// The next JSON text frame (pings skipped); panics on anything else.
    async fn json(&mut self) -> Value {
        loop {
            let (opcode, payload) = tokio::time::timeout(Duration::from_secs(30), self.frame()).await.unwrap();
            match opcode {
                0x1 => return serde_json::from_slice(&payload).unwrap(),
                0x9 => continue,
                other => panic!("unexpected frame {other:#x}: {}", String::from_utf8_lossy(&payload)),
            }
        }
    }

    /// The next frame from the server: (opcode, payload).
    async fn frame(&mut self) -> (u8, Vec<u8>) {
        let first = self.stream.read_u8().await.unwrap();
        let len = match self.stream.read_u8().await.unwrap() & 0x7f {
            126 => u64::from(self.stream.read_u16().await.unwrap()),
            127 => self.stream.read_u64().await.unwrap(),
            n => u64::from(n),
        };
        let mut payload = vec![0; usize::try_from(len).unwrap()];
        self.stream.read_exact(&mut payload).await.unwrap();
        (first & 0x0f, payload)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stops_answering_pings_is_closed_with_4408() {
    // The documented 45 s, shortened for the test (the server pings three times in that span).
    let server = TestServer::builder().env("PINCER_WS_IDLE_TIMEOUT_MS", "600").start().await;
    let admin = server.setup_admin().await;
    let mut client = SilentClient::connect(&admin).await;
    let code = client.close_code().await;
    assert_eq!(code, 4408);

    // A client that answers the pings (tungstenite does, whenever it reads) outlives the same
    // span without sending anything itself.
    let mut ws = ChatSocket::open(&admin).await;
    let waited = tokio::time::timeout(Duration::from_secs(3), ws.next()).await;
    assert!(waited.is_err(), "no frame was expected: {waited:?}");
    ws.history(&personal_agent(&admin).await).await;
    assert_eq!(ws.next().await["type"], "history");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_that_falls_behind_is_told_lagged_and_the_history_has_everything() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    // 8,000 chunks of 1 KiB: more than the kernel's socket buffers (at most 4 MiB each way
    // here) and the server's queues hold, and far more frames than the 256 a chat keeps for a
    // socket that does not read.
    let words: Vec<String> = (0..8000).map(|i| format!("{i:05}{} ", "x".repeat(1018))).collect();
    let parts: Vec<&str> = words.iter().map(String::as_str).collect();
    p.fake.push_reply(FakeReply::text(&parts));
    let mut client = SilentClient::connect(&p.admin).await;
    client.send_text(&json!({"type": "message", "agentId": agent, "content": "talk a lot"}).to_string()).await;

    // The run does not wait for the socket: it finishes while the socket reads nothing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while query_text(p.server.database(), "SELECT status AS value FROM messages WHERE role = 'assistant'")
        != ["complete"]
    {
        assert!(Instant::now() < deadline, "the run did not finish while the socket was stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut frames = Vec::new();
    loop {
        let frame = client.json().await;
        let done = frame["type"] == "complete";
        frames.push(frame);
        if done {
            break;
        }
    }
    let lagged: Vec<&Value> = frames.iter().filter(|f| f["type"] == "error").collect();
    assert_eq!(lagged.len(), 1, "{lagged:?} after {} frames", frames.len());
    assert_eq!((lagged[0]["code"].clone(), lagged[0]["agentId"].clone()), (json!("lagged"), json!(agent)));
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "complete");
    let full = words.concat();
    let seen = chunk_text(&frames);
    assert!(seen.len() < full.len(), "part of the stream was skipped");

    // As told, the socket asks for the history again and gets the whole answer.
    client.send_text(&json!({"type": "history", "agentId": agent}).to_string()).await;
    let history = loop {
        let frame = client.json().await;
        if frame["type"] == "history" {
            break frame;
        }
    };
    assert_eq!(history["messages"][1]["content"], full.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_in_fragments_is_limited_to_256_kib_as_a_whole() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = personal_agent(&admin).await;
    let message = |size: usize| {
        let empty = json!({"type": "message", "agentId": agent, "content": ""}).to_string();
        json!({"type": "message", "agentId": agent, "content": "a".repeat(size - empty.len())}).to_string()
    };

    // Fragments are put together: 200 KiB in two frames is one (over-long) message.
    let mut client = SilentClient::connect(&admin).await;
    let text = message(200 * 1024);
    let (first, rest) = text.as_bytes().split_at(100 * 1024);
    client.send_frame(false, 0x1, first).await;
    client.send_frame(true, 0x0, rest).await;
    let refused = client.json().await;
    assert_eq!((refused["code"].clone(), refused["agentId"].clone()), (json!("invalid_input"), json!(agent)));

    // 300 KiB in frames of 150 KiB each: every frame is under the limit, the message is not.
    let text = message(300 * 1024);
    let (first, rest) = text.as_bytes().split_at(150 * 1024);
    client.send_frame(false, 0x1, first).await;
    client.send_frame(true, 0x0, rest).await;
    assert_eq!(client.close_code().await, 1009);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_cannot_keep_up_is_closed_after_the_write_deadline() {
    // Idle sockets must not be closed for silence during this test: only for being stuck.
    let p = with_openai_env(&[("PINCER_WS_IDLE_TIMEOUT_MS", "600000")]).await;
    let agent = shared_agent(&p, &[]).await;
    let words: Vec<String> = (0..8000).map(|i| format!("{i:05}{} ", "x".repeat(1018))).collect();
    let parts: Vec<&str> = words.iter().map(String::as_str).collect();
    p.fake.push_reply(FakeReply::text(&parts));
    // This socket asks for 8 MiB and reads none of it: the server's writes to it stall.
    let mut stuck = SilentClient::connect(&p.admin).await;
    stuck.send_text(&json!({"type": "message", "agentId": agent, "content": "talk a lot"}).to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while query_text(p.server.database(), "SELECT status AS value FROM messages WHERE role = 'assistant'")
        != ["complete"]
    {
        assert!(Instant::now() < deadline, "the run did not finish while the socket was stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // With 15 more sockets the user is at the cap; the stuck socket's slot comes free once a
    // write has waited out its 10 s deadline and the server closed it.
    let mut open = Vec::new();
    for _ in 1..SOCKETS_PER_USER {
        open.push(ChatSocket::open(&p.admin).await);
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        match tokio_tungstenite::connect_async(upgrade_request(&p.admin, Some(&same_origin(&p.admin)))).await {
            Ok(_) => break,
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 429 => {
                assert!(Instant::now() < deadline, "the stuck socket was never closed");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("unexpected upgrade error: {e}"),
        }
    }
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_frame_that_is_not_utf8_closes_with_1002() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let mut client = SilentClient::connect(&admin).await;
    client.send_frame(true, 0x1, &[b'{', 0xff, 0xfe, b'}']).await;
    assert_eq!(client.close_code().await, 1002);
    // The same in fragments (each one checked only once put together).
    let mut client = SilentClient::connect(&admin).await;
    client.send_frame(false, 0x1, b"{\"type\": \"").await;
    client.send_frame(true, 0x0, &[0xc3, 0x28, b'"', b'}']).await;
    assert_eq!(client.close_code().await, 1002);
}
