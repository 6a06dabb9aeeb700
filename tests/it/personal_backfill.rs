//! docs/API.md: "an account that lacks one [a personal agent] (created before agents existed)
//! gets it on its next `GET /api/agents`" — once, even when several requests race for it.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{execute, query_text};

#[tokio::test(flavor = "multi_thread")]
async fn an_account_without_a_personal_agent_gets_exactly_one_on_its_next_listing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    // As if the account predated agents.
    execute(server.database(), &format!("DELETE FROM agents WHERE personal_owner = '{member_id}'"));

    // Several tabs list the agents at once: each sees the one personal agent created for them.
    let listings = futures::future::join_all((0..8).map(|_| member.send_json("GET", "/api/agents", Value::Null))).await;
    let mut ids = Vec::new();
    for (status, agents) in &listings {
        assert_eq!(*status, StatusCode::OK, "{agents}");
        let personal: Vec<&Value> = agents.as_array().unwrap().iter().filter(|a| a["isPersonal"] == true).collect();
        assert_eq!(personal.len(), 1, "{agents}");
        assert_eq!(personal[0]["ownerId"], member_id.as_str());
        ids.push(personal[0]["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request got the same agent: {ids:?}");
    let stored = query_text(
        server.database(),
        &format!("SELECT id AS value FROM agents WHERE personal_owner = '{member_id}' AND deleted_at IS NULL"),
    );
    assert_eq!(stored, ids);

    // Its creation is audited once, by the system, for this owner.
    let (_, page) = admin.send_json("GET", "/api/audit?limit=100&eventType=agent.created", Value::Null).await;
    let created: Vec<&Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"] == format!("agent:{}", ids[0]).as_str())
        .collect();
    assert_eq!(created.len(), 1, "{page}");
    assert_eq!((&created[0]["actorType"], &created[0]["detail"]["personal"]), (&"system".into(), &true.into()));
}
