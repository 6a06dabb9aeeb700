//! Monthly budgets through the binary: admins set them (checked, audited, replaced as one set);
//! a spent limit refuses the next chat turn before the model is called (`budget_exceeded`, saying
//! which limit and when it resets), and 80 % of one is a warning. A group's limit (enterprise)
//! counts its members' spend and stops them only.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{shared_agent, with_openai};
use crate::support::{assert_error, query_text};
use crate::ws::ChatSocket;

async fn budgets(admin: &pincer_testkit::server::Browser) -> Value {
    let (status, body) = admin.send_json("GET", "/api/usage/budgets", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_budget_refuses_the_next_turn_before_the_model_is_called() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    assert_eq!(budgets(&p.admin).await, json!({"budgets": []}));

    // $0.00001 for the whole organisation: nothing is spent yet, so the first turn runs.
    let set = json!({"budgets": [{"scope": "org", "limit": "0.00001"}]});
    let (status, body) = p.admin.send_json("PUT", "/api/usage/budgets", set).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["budgets"][0]["limit"], &body["budgets"][0]["spent"], &body["budgets"][0]["state"]),
        (&json!("0.000010"), &json!("0.000000"), &json!("ok"))
    );
    assert!(body["budgets"][0]["resetsAt"].as_str().unwrap().ends_with("-01T00:00:00.000Z"), "{body}");
    let mut ws = ChatSocket::open(&p.admin).await;
    ws.message(&agent, "hello").await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");

    // The turn cost more than $0.00001 (the fake's default model has a price): the limit is spent.
    let cost: i64 = query_text(p.server.database(), "SELECT CAST(SUM(cost_nanos) AS TEXT) AS value FROM usage_records")
        [0]
    .parse()
    .unwrap();
    assert!(cost > 10_000, "{cost}");
    let micros = (cost + 500) / 1_000;
    let shown = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let spent = budgets(&p.admin).await;
    assert_eq!((&spent["budgets"][0]["spent"], &spent["budgets"][0]["state"]), (&json!(shown), &json!("exceeded")));
    p.fake.clear_requests();
    ws.message(&agent, "and again").await;
    let refusal = ws.until("error").await.pop().unwrap();
    assert_eq!(refusal["code"], "budget_exceeded", "{refusal}");
    let message = refusal["error"].as_str().or(refusal["message"].as_str()).unwrap_or_default().to_string();
    assert!(message.contains("organisation") && message.contains("resets"), "{refusal}");
    assert!(p.fake.chat_requests().is_empty(), "the provider was not asked");

    // 80 % is a warning, not a refusal (the limit as a JSON number this time).
    let limit = cost * 5 / 4;
    let set = json!({"budgets": [{"scope": "org", "limit": limit as f64 / 1e9}]});
    let (_, body) = p.admin.send_json("PUT", "/api/usage/budgets", set).await;
    assert_eq!(body["budgets"][0]["state"], "warning", "{body}");
    assert!(body["budgets"][0]["percent"].as_u64().is_some_and(|p| (80..100).contains(&p)), "{body}");
    ws.message(&agent, "one more").await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");

    // A spent limit for another agent does not stop this one; one for this agent does.
    let (_, other) = p.admin.send_json("POST", "/api/agents", json!({"name": "Other", "templateId": "custom"})).await;
    let other = other["id"].as_str().unwrap();
    let set = json!({"budgets": [{"scope": "agent", "targetId": other, "limit": "0"}]});
    assert_eq!(p.admin.send_json("PUT", "/api/usage/budgets", set).await.0, StatusCode::OK);
    ws.message(&agent, "still fine").await;
    let frames = ws.until("complete").await;
    assert!(frames.iter().all(|f| f["type"] != "error"), "{frames:?}");
    let set = json!({"budgets": [{"scope": "agent", "targetId": agent, "limit": "0.00001"}]});
    assert_eq!(p.admin.send_json("PUT", "/api/usage/budgets", set).await.0, StatusCode::OK);
    ws.message(&agent, "now refused").await;
    let refusal = ws.until("error").await.pop().unwrap();
    assert_eq!(refusal["code"], "budget_exceeded", "{refusal}");

    let (_, audit) = p.admin.send_json("GET", "/api/audit?eventType=usage.budget_exceeded", Value::Null).await;
    assert_eq!(audit["total"], 2, "{audit}");
    let (_, audit) = p.admin.send_json("GET", "/api/audit?eventType=usage.budget_changed", Value::Null).await;
    assert_eq!(audit["total"], 4, "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_budgets_are_refused_and_change_nothing() {
    let p = with_openai().await;
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let kept = json!({"budgets": [{"scope": "org", "limit": "100"}]});
    assert_eq!(p.admin.send_json("PUT", "/api/usage/budgets", kept).await.0, StatusCode::OK);
    let before = budgets(&p.admin).await;

    let agent = "01900000-0000-7000-8000-000000000000";
    let bad = [
        json!({"scope": "org", "limit": "-1"}),
        json!({"scope": "org", "limit": "ten"}),
        json!({"scope": "org", "limit": "1.0000000001"}),
        json!({"scope": "org", "limit": true}),
        json!({"scope": "org", "limit": "2000000000"}),
        json!({"scope": "galaxy", "limit": "1"}),
        json!({"scope": "agent", "limit": "1"}),
        json!({"scope": "agent", "targetId": "not-an-id", "limit": "1"}),
        json!({"scope": "org", "targetId": agent, "limit": "1"}),
    ];
    for budget in bad {
        let body = json!({"budgets": [budget]});
        assert_error(&p.admin.send_json("PUT", "/api/usage/budgets", body).await, 400, "invalid_input");
    }
    let twice = json!({"budgets": [{"scope": "org", "limit": "1"}, {"scope": "org", "limit": "2"}]});
    assert_error(&p.admin.send_json("PUT", "/api/usage/budgets", twice).await, 400, "invalid_input");
    let group = json!({"budgets": [{"scope": "group", "targetId": agent, "limit": "1"}]});
    assert_error(&p.admin.send_json("PUT", "/api/usage/budgets", group).await, 403, "enterprise_required");
    let group = json!({"budgets": [{"scope": "group", "targetId": "nope", "limit": "1"}]});
    assert_error(&p.admin.send_json("PUT", "/api/usage/budgets", group).await, 400, "unknown_group");
    assert_error(&member.send_json("GET", "/api/usage/budgets", Value::Null).await, 403, "admin_required");
    let cut = json!({"budgets": []});
    assert_error(&member.send_json("PUT", "/api/usage/budgets", cut).await, 403, "admin_required");
    assert_eq!(budgets(&p.admin).await, before, "refused changes changed nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_group_budget_stops_its_members_only() {
    let vendor = pincer_testkit::licence::TestVendor::new();
    let p = crate::chat_errors::with_openai_env(&[("PINCER_LICENSE_KEYS", &vendor.public_hex())]).await;
    let agent = shared_agent(&p, &[]).await;
    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(p.admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    let (insider_id, insider) = p.server.create_member(&p.admin, "in@example.com").await;
    let (_, outsider) = p.server.create_member(&p.admin, "out@example.com").await;
    let (_, sales) = p.admin.send_json("POST", "/api/groups", json!({"name": "Sales"})).await;
    let sales = sales["id"].as_str().unwrap().to_string();
    let members = json!({"userIds": [insider_id]});
    assert_eq!(p.admin.send_json("PUT", &format!("/api/groups/{sales}/members"), members).await.0, StatusCode::OK);

    // The insider spends; then the group's limit sits just under what they spent.
    let mut insider_ws = ChatSocket::open(&insider).await;
    insider_ws.message(&agent, "hello").await;
    assert!(insider_ws.until("complete").await.iter().all(|f| f["type"] != "error"));
    let unknown =
        json!({"budgets": [{"scope": "group", "targetId": "01900000-0000-7000-8000-0000000000ff", "limit": "1"}]});
    assert_error(&p.admin.send_json("PUT", "/api/usage/budgets", unknown).await, 400, "unknown_group");
    let set = json!({"budgets": [{"scope": "group", "targetId": sales, "limit": "0.00001"}]});
    let (status, body) = p.admin.send_json("PUT", "/api/usage/budgets", set).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["budgets"][0]["scope"], &body["budgets"][0]["targetId"]), (&json!("group"), &json!(sales)));
    assert_eq!(body["budgets"][0]["state"], "exceeded", "the members' spend counts: {body}");

    p.fake.clear_requests();
    insider_ws.message(&agent, "again").await;
    let refusal = insider_ws.until("error").await.pop().unwrap();
    assert_eq!(refusal["code"], "budget_exceeded", "{refusal}");
    assert!(refusal["error"].as_str().or(refusal["message"].as_str()).unwrap_or_default().contains("group"));
    assert!(p.fake.chat_requests().is_empty(), "the provider was not asked");
    let mut outsider_ws = ChatSocket::open(&outsider).await;
    outsider_ws.message(&agent, "hello").await;
    assert!(outsider_ws.until("complete").await.iter().all(|f| f["type"] != "error"), "outside the group");
}
