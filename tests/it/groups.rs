//! Groups through the binary (the reference's routes): refused without a licence; with one, an
//! admin creates, renames and deletes groups, replaces their members at once (an unknown user
//! changes nothing), sets one user's groups, and sees them in the users list; all audited.

use pincer_testkit::TestServer;
use pincer_testkit::licence::TestVendor;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn groups_need_a_licence_and_are_managed_whole() {
    let vendor = TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    let admin_id = me["id"].as_str().unwrap().to_string();
    let some = "01900000-0000-7000-8000-000000000000";

    let every_route = [
        ("GET", "/api/groups".to_string(), Value::Null),
        ("POST", "/api/groups".to_string(), json!({"name": "Engineering"})),
        ("PATCH", format!("/api/groups/{some}"), json!({"name": "X"})),
        ("DELETE", format!("/api/groups/{some}"), Value::Null),
        ("GET", format!("/api/groups/{some}/members"), Value::Null),
        ("PUT", format!("/api/groups/{some}/members"), json!({"userIds": []})),
        ("PUT", format!("/api/users/{member_id}/groups"), json!({"groupIds": []})),
    ];
    for (method, path, body) in &every_route {
        assert_error(&admin.send_json(method, path, body.clone()).await, 403, "enterprise_required");
    }

    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    for (method, path, body) in &every_route {
        assert_error(&member.send_json(method, path, body.clone()).await, 403, "admin_required");
    }

    let (status, eng) =
        admin.send_json("POST", "/api/groups", json!({"name": "  Engineering ", "description": "Builders"})).await;
    assert_eq!(status, StatusCode::CREATED, "{eng}");
    let eng_id = eng["id"].as_str().unwrap().to_string();
    assert_eq!(
        (&eng["name"], &eng["description"], &eng["memberCount"]),
        (&json!("Engineering"), &json!("Builders"), &json!(0))
    );
    assert_error(
        &admin.send_json("POST", "/api/groups", json!({"name": "Engineering"})).await,
        409,
        "group_name_taken",
    );
    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x".repeat(101)}),
        json!({"name": 7}),
        json!({"name": "a", "x": 1}),
    ] {
        assert_error(&admin.send_json("POST", "/api/groups", bad).await, 400, "invalid_input");
    }
    let (_, ops) = admin.send_json("POST", "/api/groups", json!({"name": "Ops"})).await;
    let ops_id = ops["id"].as_str().unwrap().to_string();

    // Members: replaced whole; an unknown user changes nothing.
    let members = format!("/api/groups/{eng_id}/members");
    let (status, body) = admin.send_json("PUT", &members, json!({"userIds": [member_id, admin_id, member_id]})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let unknown = json!({"userIds": [member_id, "01900000-0000-7000-8000-0000000000ff"]});
    assert_error(&admin.send_json("PUT", &members, unknown).await, 400, "invalid_input");
    assert_error(&admin.send_json("PUT", &members, json!({"userIds": ["nope"]})).await, 400, "invalid_input");
    assert_error(&admin.send_json("PUT", &members, json!({})).await, 400, "invalid_input");
    let (_, listed) = admin.send_json("GET", &members, Value::Null).await;
    let mut ids: Vec<&str> = listed.as_array().unwrap().iter().map(|m| m["userId"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut want = vec![member_id.as_str(), admin_id.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want, "the refused replacements changed nothing");
    assert!(listed.as_array().unwrap().iter().all(|m| m["groupId"] == eng_id.as_str()));

    let (_, groups) = admin.send_json("GET", "/api/groups", Value::Null).await;
    let counts: Vec<(&str, i64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), g["memberCount"].as_i64().unwrap()))
        .collect();
    assert_eq!(counts, [("Engineering", 2), ("Ops", 0)]);

    // One user's groups, and the users list.
    let path = format!("/api/users/{member_id}/groups");
    assert_eq!(admin.send_json("PUT", &path, json!({"groupIds": [ops_id, eng_id]})).await.0, StatusCode::OK);
    assert_error(&admin.send_json("PUT", &path, json!({"groupIds": [some]})).await, 400, "unknown_group");
    let ghost = "/api/users/01900000-0000-7000-8000-0000000000aa/groups";
    assert_error(&admin.send_json("PUT", ghost, json!({"groupIds": []})).await, 404, "user_not_found");
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    let row = users["users"].as_array().unwrap().iter().find(|u| u["id"] == member_id.as_str()).unwrap();
    assert_eq!(row["groups"], json!([{"id": eng_id, "name": "Engineering"}, {"id": ops_id, "name": "Ops"}]));

    // Renamed, then deleted with its memberships.
    let (status, renamed) =
        admin.send_json("PATCH", &format!("/api/groups/{eng_id}"), json!({"name": "Platform"})).await;
    assert_eq!((status, &renamed["name"], &renamed["memberCount"]), (StatusCode::OK, &json!("Platform"), &json!(2)));
    assert_error(
        &admin.send_json("PATCH", &format!("/api/groups/{eng_id}"), json!({"name": "Ops"})).await,
        409,
        "group_name_taken",
    );
    assert_error(&admin.send_json("PATCH", &format!("/api/groups/{eng_id}"), json!({})).await, 400, "invalid_input");
    assert_error(&admin.send_json("PATCH", "/api/groups/not-an-id", json!({"name": "X"})).await, 400, "invalid_id");
    assert_eq!(admin.send_json("DELETE", &format!("/api/groups/{eng_id}"), Value::Null).await.0, StatusCode::OK);
    assert_error(
        &admin.send_json("DELETE", &format!("/api/groups/{eng_id}"), Value::Null).await,
        404,
        "group_not_found",
    );
    assert_error(&admin.send_json("GET", &members, Value::Null).await, 404, "group_not_found");
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    let row = users["users"].as_array().unwrap().iter().find(|u| u["id"] == member_id.as_str()).unwrap();
    assert_eq!(row["groups"], json!([{"id": ops_id, "name": "Ops"}]));

    for (event, count) in
        [("group.created", 2), ("group.updated", 1), ("group.deleted", 1), ("group.members_updated", 2)]
    {
        let (_, audit) = admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert_eq!(audit["total"], count, "{event}: {audit}");
    }
}
