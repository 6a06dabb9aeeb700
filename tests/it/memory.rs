//! Long-term memory through the binary: an agent granted `pinchy_memory` saves what it learns with
//! `memory_save`; in a new conversation the entry is in the context the model receives — until it
//! is deleted, or the user turns injection off — and another user's conversation with the same
//! agent never sees it. The routes list, add, delete and sum the caller's entries only, and
//! settings are checked as a whole.

use pincer_testkit::FakeReply;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, system_prompts, with_openai};
use crate::support::assert_error;
use crate::ws::ChatSocket;

async fn turn(ws: &mut ChatSocket, agent: &str, text: &str) {
    ws.send(json!({"type": "message", "agentId": agent, "content": text, "sessionId": null})).await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");
}

async fn memories(browser: &Browser) -> Value {
    let (status, body) = browser.send_json("GET", "/api/memory/long_term", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn what_an_agent_remembers_comes_back_for_its_user_only() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &["pinchy_memory"]).await;
    let (_, ada) = p.server.create_member(&p.admin, "ada@example.com").await;
    let (_, bob) = p.server.create_member(&p.admin, "bob@example.com").await;

    // The agent saves a fact with the tool; the call is audited without the content.
    p.fake.push_reply(FakeReply::tool_call(
        "memory_save",
        json!({"content": "Ada's dog is called Rex", "tags": ["Pets"]}),
    ));
    let mut ws = ChatSocket::open(&ada).await;
    turn(&mut ws, &agent, "Remember that my dog is called Rex").await;
    let saved = memories(&ada).await;
    assert_eq!(saved["total"], 1, "{saved}");
    let entry = &saved["memories"][0];
    assert_eq!(
        (&entry["content"], &entry["tags"], &entry["source"], &entry["agentId"]),
        (&json!("Ada's dog is called Rex"), &json!(["pets"]), &json!("agent"), &json!(agent))
    );
    let (_, audit) = p.admin.send_json("GET", "/api/audit?eventType=tool.memory_save", Value::Null).await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert!(!audit.to_string().contains("Rex"), "no content in the audit log: {audit}");

    // A new conversation about the dog: the entry is in the model's context; not in Bob's.
    p.fake.clear_requests();
    turn(&mut ws, &agent, "What is my dog's name?").await;
    assert!(
        system_prompts(&p.fake).last().unwrap().contains("Ada's dog is called Rex"),
        "{:?}",
        system_prompts(&p.fake)
    );
    p.fake.clear_requests();
    let mut bobs = ChatSocket::open(&bob).await;
    turn(&mut bobs, &agent, "What is my dog's name?").await;
    assert!(!system_prompts(&p.fake).last().unwrap().contains("Rex"), "another user's memory stays theirs");
    assert_eq!(memories(&bob).await["total"], 0);

    // Injection off: not in the context; on again, and the entry deleted: not either.
    let (status, settings) = ada.send_json("POST", "/api/memory/settings", json!({"autoInject": false})).await;
    assert_eq!((status, &settings["autoInject"]), (StatusCode::OK, &json!(false)), "{settings}");
    p.fake.clear_requests();
    turn(&mut ws, &agent, "Tell me about my dog").await;
    assert!(!system_prompts(&p.fake).last().unwrap().contains("Rex"));
    assert_eq!(ada.send_json("POST", "/api/memory/settings", json!({"autoInject": true})).await.0, StatusCode::OK);
    let id = entry["id"].as_str().unwrap();
    assert_error(
        &bob.send_json("DELETE", &format!("/api/memory/long_term/{id}"), Value::Null).await,
        404,
        "memory_not_found",
    );
    assert_eq!(ada.send_json("DELETE", &format!("/api/memory/long_term/{id}"), Value::Null).await.0, StatusCode::OK);
    p.fake.clear_requests();
    turn(&mut ws, &agent, "Tell me about my dog").await;
    assert!(!system_prompts(&p.fake).last().unwrap().contains("Rex"), "a deleted entry is not given back");

    // An agent without the grant that calls the tool is refused and audited as denied.
    let plain = {
        let (_, a) = p.admin.send_json("POST", "/api/agents", json!({"name": "Plain", "templateId": "custom"})).await;
        a["id"].as_str().unwrap().to_string()
    };
    p.fake.push_reply(FakeReply::tool_call("memory_save", json!({"content": "sneaky"})));
    turn(&mut ws, &plain, "hello").await;
    assert_eq!(memories(&ada).await["total"], 0);
    let (_, denied) = p.admin.send_json("GET", "/api/audit?eventType=tool.denied", Value::Null).await;
    assert_eq!(denied["total"], 1, "{denied}");
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_settings_and_stats_are_the_callers_own() {
    let p = with_openai().await;
    let (_, ada) = p.server.create_member(&p.admin, "ada@example.com").await;

    let (status, added) =
        ada.send_json("POST", "/api/memory/long_term", json!({"content": " Prefers tea ", "tags": ["Drinks"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        (&added["content"], &added["source"], &added["tags"]),
        (&json!("Prefers tea"), &json!("user"), &json!(["drinks"]))
    );
    ada.send_json("POST", "/api/memory/long_term", json!({"content": "Lives in Lisbon"})).await;
    for bad in
        [json!({"content": ""}), json!({"content": "x", "tags": ["two words"]}), json!({"content": "x", "colour": 1})]
    {
        assert_error(&ada.send_json("POST", "/api/memory/long_term", bad).await, 400, "invalid_input");
    }
    let found = ada.send_json("GET", "/api/memory/long_term?q=teas", Value::Null).await.1;
    assert_eq!((found["total"].clone(), found["memories"][0]["content"].clone()), (json!(1), json!("Prefers tea")));
    assert_eq!(memories(&p.admin).await["total"], 0, "an admin sees only their own");

    let (_, stats) = ada.send_json("GET", "/api/memory/stats", Value::Null).await;
    assert_eq!((&stats["totalMemories"], &stats["perSource"]), (&json!(2), &json!({"user": 2, "agent": 0})), "{stats}");
    assert_eq!(stats["totalChars"], json!("Prefers tea".len() + "Lives in Lisbon".len()));

    // Settings: refused as a whole, naming the field; the stored ones unchanged.
    let (_, before) = ada.send_json("GET", "/api/memory/settings", Value::Null).await;
    assert_eq!(before, json!({"enabled": true, "autoInject": true, "maxInjected": 5, "maxEntryChars": 1000}));
    for (bad, field) in [
        (json!({"maxInjected": 51}), "maxInjected"),
        (json!({"maxEntryChars": 10}), "maxEntryChars"),
        (json!({"enabled": "no"}), "enabled"),
        (json!({"autoInject": false, "colour": "red"}), "colour"),
    ] {
        let got = ada.send_json("POST", "/api/memory/settings", bad).await;
        assert_error(&got, 400, "invalid_input");
        assert!(got.1["error"].as_str().unwrap().contains(field), "{}", got.1);
    }
    assert_error(&ada.send_json("POST", "/api/memory/settings", json!([1])).await, 400, "invalid_input");
    assert_eq!(ada.send_json("GET", "/api/memory/settings", Value::Null).await.1, before, "unchanged");
    let (_, after) = ada.send_json("POST", "/api/memory/settings", json!({"maxEntryChars": 50})).await;
    assert_eq!(after["maxEntryChars"], 50);
    let long = json!({"content": "x".repeat(51)});
    assert_error(&ada.send_json("POST", "/api/memory/long_term", long).await, 400, "invalid_input");

    for (event, count) in [("memory.created", 2), ("memory.settings_changed", 1)] {
        let (_, audit) = p.admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert_eq!(audit["total"], count, "{event}: {audit}");
        assert!(!audit.to_string().contains("Prefers tea"), "{audit}");
    }
}
