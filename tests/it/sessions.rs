//! Chat sessions through the binary: a member's conversations are listed with titles from their
//! first message, found by words in any form, renamed (and the name survives new messages),
//! exported as JSON and Markdown, read and deleted — and another user's session, an admin's
//! request included, is 404 on every route. Changes and exports are audited without content.

use pincer_testkit::server::Browser;
use pincer_testkit::{Behaviour, FakeReply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, with_openai};
use crate::support::assert_error;
use crate::ws::ChatSocket;

async fn say(ws: &mut ChatSocket, agent: &str, chat: &str, text: &str) {
    ws.send(json!({"type": "message", "agentId": agent, "chatId": chat, "content": text})).await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");
}

async fn sessions(browser: &Browser, query: &str) -> Value {
    let (status, body) = browser.send_json("GET", &format!("/api/sessions{query}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_members_sessions_are_theirs_to_find_rename_export_and_delete() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let mut ws = ChatSocket::open(&member).await;
    say(&mut ws, &agent, "q3", "Draft the quarterly REPORT for Acme, please").await;
    say(&mut ws, &agent, "q3", "Make it shorter").await;
    say(&mut ws, &agent, "trip", "Plan my holiday in August").await;

    let listed = sessions(&member, "").await;
    assert_eq!(listed["total"], 2, "{listed}");
    let (trip, report) = (&listed["sessions"][0], &listed["sessions"][1]);
    assert_eq!(trip["title"], "Plan my holiday in August", "most recent first: {listed}");
    assert_eq!(
        (&report["title"], &report["agentId"], &report["agentName"], &report["messageCount"], &report["channel"]),
        (&json!("Draft the quarterly REPORT for Acme, please"), &json!(agent), &json!("HR"), &json!(4), &json!("web")),
        "{listed}"
    );
    let report_id = report["id"].as_str().unwrap().to_string();
    assert_eq!(sessions(&member, &format!("?agentId={agent}&limit=1")).await["sessions"].as_array().unwrap().len(), 1);
    assert_error(&member.send_json("GET", "/api/sessions?limit=0", Value::Null).await, 400, "invalid_query");
    assert_error(&member.send_json("GET", "/api/sessions?agentId=nope", Value::Null).await, 400, "invalid_query");
    assert_eq!(sessions(&p.admin, "").await["total"], 0, "an admin does not see members' conversations");

    // Search: case and word forms; the hit is marked; empty queries are refused.
    let (status, found) = member.send_json("GET", "/api/sessions/search?q=reports", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let hits = found["sessions"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["id"], report_id.as_str());
    assert!(hits[0]["match"].as_str().unwrap().to_lowercase().contains("«report»"), "{found}");
    assert!(hits[0]["lastActivityAt"].is_string() && hits[0]["matchRole"].is_string(), "{found}");
    for bad in ["", "?q=", "?q=%20%20", "?q=x&limit=101"] {
        assert_error(
            &member.send_json("GET", &format!("/api/sessions/search{bad}"), Value::Null).await,
            400,
            "invalid_query",
        );
    }
    let (_, none) = p.admin.send_json("GET", "/api/sessions/search?q=report", Value::Null).await;
    assert_eq!(none["sessions"], json!([]), "search is confined to the caller's sessions");

    // Rename: kept through later messages.
    let title = format!("/api/sessions/{report_id}/title");
    assert_error(&member.send_json("POST", &title, json!({"title": "   "})).await, 400, "invalid_input");
    assert_error(&member.send_json("POST", &title, json!({"title": "x".repeat(201)})).await, 400, "invalid_input");
    let (status, body) = member.send_json("POST", &title, json!({"title": "  Acme   Q3 report "})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true, "title": "Acme Q3 report"})));
    say(&mut ws, &agent, "q3", "One more change").await;
    let renamed = sessions(&member, "").await;
    assert_eq!(renamed["sessions"][0]["title"], "Acme Q3 report", "{renamed}");

    // The messages, oldest first.
    let (status, read) =
        member.send_json("GET", &format!("/api/memory/session?id={report_id}&limit=3"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let read = read["messages"].as_array().unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!((&read[1]["role"], &read[1]["content"]), (&json!("user"), &json!("One more change")), "{read:?}");

    // Export as JSON and as Markdown, as downloads.
    let response = member.get(&format!("/api/sessions/{report_id}/export")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, format!("attachment; filename=\"session-{report_id}.json\""));
    let exported: Value = response.json().await.unwrap();
    assert_eq!((&exported["title"], exported["messages"].as_array().unwrap().len()), (&json!("Acme Q3 report"), 6));
    let markdown = member.get(&format!("/api/sessions/{report_id}/export?format=md")).await;
    assert!(markdown.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
    let text = markdown.text().await.unwrap();
    assert!(text.starts_with("# Acme Q3 report\n") && text.contains("Draft the quarterly REPORT"), "{text}");
    let bad_format =
        member.send_json("GET", &format!("/api/sessions/{report_id}/export?format=pdf"), Value::Null).await;
    assert_error(&bad_format, 400, "invalid_query");

    // Another user's session is unknown to them on every route, the admin included.
    let others = [
        ("GET", format!("/api/memory/session?id={report_id}"), Value::Null),
        ("POST", title.clone(), json!({"title": "Mine"})),
        ("GET", format!("/api/sessions/{report_id}/export"), Value::Null),
        ("DELETE", format!("/api/sessions/{report_id}"), Value::Null),
    ];
    for (method, path, body) in &others {
        assert_error(&p.admin.send_json(method, path, body.clone()).await, 404, "session_not_found");
    }
    assert_error(&member.send_json("DELETE", "/api/sessions/nope", Value::Null).await, 400, "invalid_id");

    // Delete: the messages go too.
    let (status, _) = member.send_json("DELETE", &format!("/api/sessions/{report_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &member.send_json("GET", &format!("/api/memory/session?id={report_id}"), Value::Null).await,
        404,
        "session_not_found",
    );
    assert_eq!(sessions(&member, "").await["total"], 1);
    let (_, gone) = member.send_json("GET", "/api/sessions/search?q=acme", Value::Null).await;
    assert_eq!(gone["sessions"], json!([]));

    for (event, count) in [("session.renamed", 1), ("session.exported", 2), ("session.deleted", 1)] {
        let (_, audit) = p.admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert_eq!(audit["total"], count, "{event}: {audit}");
        assert!(!audit.to_string().contains("Acme Q3"), "no content in the audit log: {audit}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_opens_and_continues_sessions() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let mut ws = ChatSocket::open(&member).await;

    // `"sessionId": null` opens a new session each time; the ack names it.
    let mut opened = Vec::new();
    for text in ["First topic", "Second topic"] {
        ws.send(json!({"type": "message", "agentId": agent, "content": text, "sessionId": null})).await;
        let frames = ws.until("complete").await;
        let ack = frames.iter().find(|f| f["type"] == "ack").unwrap();
        opened.push(ack["sessionId"].as_str().unwrap().to_string());
    }
    assert_ne!(opened[0], opened[1]);
    assert_eq!(sessions(&member, "").await["total"], 2);

    // A session id continues that session, and the history frame reads it.
    ws.send(json!({"type": "message", "agentId": agent, "content": "More on the first", "sessionId": opened[0]})).await;
    let frames = ws.until("complete").await;
    assert_eq!(frames.iter().find(|f| f["type"] == "ack").unwrap()["sessionId"], opened[0].as_str());
    ws.send(json!({"type": "history", "agentId": agent, "sessionId": opened[0]})).await;
    let history = ws.until("history").await.pop().unwrap();
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["First topic", "More on the first"], "{history}");

    // Someone else's session, a made-up one or one with another agent: not found, nothing stored.
    let (_, other) = p.server.create_member(&p.admin, "o@example.com").await;
    let mut theirs = ChatSocket::open(&other).await;
    for session in [opened[0].as_str(), "01900000-0000-7000-8000-0000000000ff", "nope"] {
        theirs.send(json!({"type": "message", "agentId": agent, "content": "hi", "sessionId": session})).await;
        assert_eq!(theirs.until("error").await.pop().unwrap()["code"], "session_not_found");
    }
    let (_, own) = member.send_json("GET", "/api/agents", Value::Null).await;
    let personal = own.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"].clone();
    ws.send(json!({"type": "message", "agentId": personal, "content": "hi", "sessionId": opened[0]})).await;
    assert_eq!(ws.until("error").await.pop().unwrap()["code"], "session_not_found");
    assert_eq!(sessions(&other, "").await["total"], 0);
    let first = sessions(&member, "").await;
    let first = first["sessions"].as_array().unwrap().iter().find(|s| s["id"] == opened[0].as_str()).unwrap().clone();
    assert_eq!(first["messageCount"], 4, "{first}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_session_aborts_its_run_first() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let mut ws = ChatSocket::open(&member).await;
    p.fake.set_behaviour(Behaviour::HoldAfter(3));
    p.fake.push_reply(FakeReply::text(&["Still ", "thinking ", "about ", "it ", "now"]));
    ws.send(json!({"type": "message", "agentId": agent, "content": "A long answer please", "sessionId": null})).await;
    // The run is streaming (held after its first chunk) when the session is deleted.
    let (mut session, mut streaming) = (None, false);
    while session.is_none() || !streaming {
        let frame = ws.next().await;
        match frame["type"].as_str() {
            Some("ack") => session = frame["sessionId"].as_str().map(str::to_string),
            Some("chunk") => streaming = true,
            _ => {}
        }
    }
    let session = session.unwrap();

    let (status, body) = member.send_json("DELETE", &format!("/api/sessions/{session}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let frames = ws.until("complete").await;
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "aborted", "{frames:?}");
    assert!(
        p.fake.wait_for_client_disconnects(1, std::time::Duration::from_secs(10)).await,
        "the upstream request was not dropped"
    );
    // The run's end did not write its message back into the deleted session.
    assert_error(
        &member.send_json("GET", &format!("/api/memory/session?id={session}"), Value::Null).await,
        404,
        "session_not_found",
    );
    assert_eq!(sessions(&member, "").await["total"], 0);
}
