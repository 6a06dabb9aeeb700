//! docs/API.md: user actors are stored under a pseudonym; deleting a user's pseudonym row makes
//! their entries unlinkable (`actorDeleted: true`) without touching the chain.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::execute;

#[tokio::test(flavor = "multi_thread")]
async fn erasing_a_pseudonym_unlinks_the_users_entries_and_the_chain_still_verifies() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (status, _) = member.send_json("PATCH", "/api/users/me", json!({"name": "Morgan"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = admin.send_json("GET", &format!("/api/audit?limit=100&actorId={member_id}"), Value::Null).await;
    let ids: Vec<i64> = mine["entries"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3, "created, login, rename: {mine}");
    let (_, all) = admin.send_json("GET", "/api/audit?limit=100", Value::Null).await;
    let before: Vec<Value> = all["entries"].as_array().unwrap().clone();

    execute(server.database(), &format!("DELETE FROM audit_pseudonyms WHERE user_id = '{member_id}'"));

    let (_, all) = admin.send_json("GET", "/api/audit?limit=100", Value::Null).await;
    let after = all["entries"].as_array().unwrap();
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(after) {
        let erased = ids.contains(&new["id"].as_i64().unwrap());
        if erased {
            assert_eq!(
                (&new["actorType"], &new["actorDeleted"], &new["actorName"]),
                (&json!("user"), &json!(true), &Value::Null),
                "{new}"
            );
            assert_ne!(new["actorId"], member_id.as_str(), "{new}");
            // Only the actor is erased: a resource such as `user:<id>` still names the user.
            assert_eq!(new["detail"], old["detail"], "{new}");
        } else {
            assert_eq!(old, new, "other entries are untouched");
        }
        assert_eq!(old["rowHmac"], new["rowHmac"], "the chain is not rewritten");
    }
    let (_, none) = admin.send_json("GET", &format!("/api/audit?actorId={member_id}"), Value::Null).await;
    assert_eq!(none["total"], 0, "the user's entries can no longer be found by their id: {none}");
    let (_, verify) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(
        (&verify["valid"], &verify["invalidIds"], &verify["chainBreakIds"]),
        (&json!(true), &json!([]), &json!([])),
        "{verify}"
    );
}
