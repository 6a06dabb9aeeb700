//! The audit log over HTTP: what the admin sees after real actions, filters and pages, access
//! rules, verification after tampering with the database, event types, the CSV export, secrets
//! kept out, and the failed-login throttle.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, execute, query_text};

const SECRET: &str = "sk-ant-api03-Zq8xW2vB7nM4kL1pR6tY9uI3oE5aS0dF";
/// A fragment of `SECRET` that nothing else would contain.
const SECRET_PART: &str = "Zq8xW2vB7nM4";

const ENTRY_KEYS: [&str; 11] = [
    "actorDeleted",
    "actorId",
    "actorName",
    "actorType",
    "detail",
    "eventType",
    "id",
    "outcome",
    "resource",
    "rowHmac",
    "timestamp",
];

const CSV_HEADER: [&str; 10] =
    ["id", "timestamp", "actorType", "actorId", "actorName", "eventType", "resource", "outcome", "detail", "rowHmac"];

/// `GET /api/audit<query>` as `who`; must succeed.
async fn list(who: &Browser, query: &str) -> Value {
    let (status, body) = who.send_json("GET", &format!("/api/audit{query}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "GET /api/audit{query}: {body}");
    body
}

fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().unwrap_or_else(|| panic!("no entries: {page}"))
}

fn ids(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

/// The ids of the entries of `all` (newest first) that satisfy `keep`.
fn ids_where(all: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<i64> {
    all.iter().filter(|e| keep(e)).map(|e| e["id"].as_i64().unwrap()).collect()
}

async fn user_id(who: &Browser) -> String {
    let (_, me) = who.send_json("GET", "/api/auth/me", Value::Null).await;
    me["id"].as_str().unwrap().to_string()
}

/// The server records `audit.integrity_check` once shortly after start (then every 15 minutes);
/// waiting for that row makes the log stable for exact assertions.
async fn wait_for_integrity_check(admin: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = list(admin, "?eventType=audit.integrity_check").await;
        if page["total"].as_i64().unwrap() >= 1 {
            return;
        }
        assert!(Instant::now() < deadline, "no integrity check within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The body of a CSV export as records (header first), parsed by a real CSV reader.
async fn export(who: &Browser, query: &str) -> (String, Vec<csv::StringRecord>) {
    let res = who.get(&format!("/api/audit/export{query}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(header("content-type").starts_with("text/csv"), "{}", header("content-type"));
    assert_eq!(header("content-disposition"), "attachment; filename=\"audit-log.csv\"");
    let text = res.text().await.unwrap();
    let records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("the export is not valid CSV ({e}):\n{text}"));
    assert_eq!(records.first().map(|h| h.iter().collect::<Vec<_>>()), Some(CSV_HEADER.to_vec()));
    (text, records)
}

/// Asserts that CSV `records` (after the header) are exactly `expected` JSON entries, oldest first.
#[track_caller]
fn assert_csv_matches(records: &[csv::StringRecord], expected: &[&Value]) {
    assert_eq!(records.len(), expected.len() + 1, "header plus one line per entry");
    for (record, entry) in records[1..].iter().zip(expected) {
        let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
        let row: Vec<&str> = record.iter().collect();
        assert_eq!(row[0], entry["id"].as_i64().unwrap().to_string());
        assert_eq!(
            row[1..8],
            [
                text("timestamp"),
                text("actorType"),
                text("actorId"),
                text("actorName"),
                text("eventType"),
                text("resource"),
                text("outcome")
            ]
        );
        // The detail column is JSON (quotes, commas): it must come back exactly as the API shows it.
        let detail: Value = serde_json::from_str(row[8]).unwrap_or_else(|e| panic!("detail {:?}: {e}", row[8]));
        assert_eq!(detail, entry["detail"], "entry {}", entry["id"]);
        assert_eq!(row[8], entry["detail"].to_string());
        assert_eq!(row[9], text("rowHmac"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_lists_filters_pages_and_exports_what_happened() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let admin_id = user_id(&admin).await;
    server.login("admin@example.com", PASSWORD).await;
    let res = server.browser().post("/api/auth/login", json!({"email": "admin@example.com", "password": "nope"})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (status, _) =
        admin.send_json("POST", "/api/settings", json!({"key": "default_provider", "value": "anthropic"})).await;
    assert_eq!(status, StatusCode::OK);
    for role in ["admin", "member"] {
        let (status, body) = admin.send_json("PATCH", &format!("/api/users/{member_id}"), json!({"role": role})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    wait_for_integrity_check(&admin).await;

    // Everything, newest first, in the documented shape.
    let page = list(&admin, "?limit=100").await;
    let mut keys: Vec<&str> = page.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["entries", "limit", "page", "total"]);
    assert_eq!((page["page"].as_i64(), page["limit"].as_i64()), (Some(1), Some(100)));
    let all = entries(&page).clone();
    assert_eq!(page["total"].as_i64(), Some(all.len() as i64));
    let all_ids = ids(&all);
    assert_eq!(all_ids, (1..=all.len() as i64).rev().collect::<Vec<_>>(), "newest first, ids without gaps");
    for entry in &all {
        let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ENTRY_KEYS, "{entry}");
        let ts = entry["timestamp"].as_str().unwrap();
        assert!(ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "RFC 3339 with ms: {ts}");
        let mac = entry["rowHmac"].as_str().unwrap();
        assert!(mac.len() == 64 && mac.bytes().all(|b| b.is_ascii_hexdigit()), "{mac}");
    }
    assert!(all.windows(2).all(|w| w[0]["timestamp"].as_str() >= w[1]["timestamp"].as_str()));
    let actions: Vec<&Value> = all.iter().filter(|e| e["eventType"] != "audit.integrity_check").collect();
    let types: Vec<&str> = actions.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "user.role_updated",
            "user.role_updated",
            "settings.updated",
            "auth.login",
            // Each account comes with its personal agent, recorded after the account.
            "agent.created",
            "user.created",
            "user.invited",
            "auth.failed",
            "auth.login",
            "agent.created",
            "user.setup",
        ]
    );
    // The checks by position below look at the identity events; the personal agents' creation
    // (by the system) is checked by the agents tests.
    let actions: Vec<&Value> = actions.into_iter().filter(|e| e["eventType"] != "agent.created").collect();
    let by_admin = |e: &Value| {
        e["actorType"] == "user"
            && e["actorId"] == admin_id.as_str()
            && e["actorName"] == "Admin"
            && e["actorDeleted"] == false
            && e["outcome"] == "success"
    };
    let setup = actions[8];
    assert!(by_admin(setup), "{setup}");
    assert_eq!((&setup["resource"], &setup["detail"]), (&json!(format!("user:{admin_id}")), &json!({})));
    assert!(by_admin(actions[7]), "{}", actions[7]);
    let failed = actions[6];
    assert_eq!(
        (&failed["actorType"], &failed["actorId"], &failed["actorName"], &failed["actorDeleted"], &failed["outcome"]),
        (&json!("system"), &Value::Null, &Value::Null, &json!(false), &json!("failure"))
    );
    assert_eq!(failed["detail"], json!({"reason": "wrong_password", "source": "127.0.0.1"}));
    assert_eq!(failed["resource"], json!(format!("user:{admin_id}")));
    assert!(by_admin(actions[5]) && actions[5]["detail"] == json!({"role": "member"}), "{}", actions[5]);
    for (i, event) in [(4, "user.created"), (3, "auth.login")] {
        let entry = actions[i];
        assert_eq!(entry["eventType"], event);
        assert_eq!((&entry["actorId"], &entry["actorName"]), (&json!(member_id), &json!("m@example.com")), "{entry}");
    }
    assert!(by_admin(actions[2]), "{}", actions[2]);
    assert_eq!(actions[2]["detail"], json!({"encrypted": false, "key": "default_provider"}));
    assert_eq!(actions[2]["resource"], "setting:default_provider");
    assert_eq!(actions[1]["detail"], json!({"from": "member", "to": "admin"}));
    assert_eq!(actions[0]["detail"], json!({"from": "admin", "to": "member"}));
    assert_eq!(actions[0]["resource"], json!(format!("user:{member_id}")));
    assert!(by_admin(actions[0]) && by_admin(actions[1]));

    // The default page size.
    let default = list(&admin, "").await;
    assert_eq!((default["page"].as_i64(), default["limit"].as_i64()), (Some(1), Some(50)));
    assert_eq!(ids(entries(&default)), all_ids);

    // Filters return exactly the matching rows, with their total.
    let settings_ts = actions[2]["timestamp"].as_str().unwrap().to_string();
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("eventType=auth.login".into(), ids_where(&all, |e| e["eventType"] == "auth.login")),
        ("eventType=no.such.event".into(), vec![]),
        ("eventType=".into(), all_ids.clone()),
        (format!("actorId={admin_id}"), ids_where(&all, |e| e["actorId"] == admin_id.as_str())),
        (format!("actorId={member_id}"), ids_where(&all, |e| e["actorId"] == member_id.as_str())),
        ("actorId=00000000-0000-4000-8000-000000000000".into(), vec![]),
        (
            format!("eventType=user.role_updated&actorId={admin_id}"),
            ids_where(&all, |e| e["eventType"] == "user.role_updated"),
        ),
        (format!("from={settings_ts}"), ids_where(&all, |e| e["timestamp"].as_str() >= Some(settings_ts.as_str()))),
        (format!("to={settings_ts}"), ids_where(&all, |e| e["timestamp"].as_str() <= Some(settings_ts.as_str()))),
        (format!("from={settings_ts}&to={settings_ts}"), ids_where(&all, |e| e["timestamp"] == settings_ts.as_str())),
        ("from=2000-01-01".into(), all_ids.clone()),
        ("to=2000-01-01".into(), vec![]),
        ("from=2000-01-01T00:00:00%2B02:00&to=2999-12-31T23:59:59Z".into(), all_ids.clone()),
        (format!("eventType=auth.login&actorId={member_id}&from=2000-01-01"), vec![actions[3]["id"].as_i64().unwrap()]),
    ];
    for (query, expected) in &cases {
        let page = list(&admin, &format!("?limit=100&{query}")).await;
        assert_eq!(&ids(entries(&page)), expected, "{query}");
        assert_eq!(page["total"].as_i64(), Some(expected.len() as i64), "{query}");
    }
    assert_eq!(cases[0].1.len(), 2);
    assert_eq!(cases[3].1.len(), 6);
    assert_eq!(cases[4].1.len(), 2);
    assert!(cases[7].1.contains(&actions[2]["id"].as_i64().unwrap()));
    assert!(!cases[7].1.contains(&actions[3]["id"].as_i64().unwrap()));

    // Pages of 4 cover the log once, in order.
    let mut paged = Vec::new();
    for n in 1..=10 {
        let page = list(&admin, &format!("?page={n}&limit=4")).await;
        assert_eq!((page["page"].as_i64(), page["limit"].as_i64()), (Some(n), Some(4)));
        assert_eq!(page["total"].as_i64(), Some(all.len() as i64));
        let got = ids(entries(&page));
        assert!(got.len() <= 4);
        if got.is_empty() {
            break;
        }
        paged.extend(got);
    }
    assert_eq!(paged, all_ids);
    let page = list(&admin, "?page=2&limit=3&eventType=user.role_updated").await;
    assert!(entries(&page).is_empty());
    assert_eq!(page["total"].as_i64(), Some(2));

    // Bad paging and dates are refused, never clamped or ignored.
    for query in [
        "page=-1",
        "page=0",
        "page=abc",
        "limit=0",
        "limit=101",
        "limit=10000",
        "from=yesterday",
        "to=yesterday",
        "from=2026-13-45",
    ] {
        assert_error(&admin.send_json("GET", &format!("/api/audit?{query}"), Value::Null).await, 400, "invalid_query");
    }
    assert_error(&admin.send_json("GET", "/api/audit/export?from=yesterday", Value::Null).await, 400, "invalid_query");

    // Admins only.
    let anonymous = server.browser();
    for path in ["/api/audit", "/api/audit/verify", "/api/audit/event-types", "/api/audit/export"] {
        assert_error(&member.send_json("GET", path, Value::Null).await, 403, "admin_required");
        assert_error(&anonymous.send_json("GET", path, Value::Null).await, 401, "not_authenticated");
    }

    // Event types: distinct and sorted.
    let (status, types) = admin.send_json("GET", "/api/audit/event-types", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let mut expected: Vec<&str> = all.iter().map(|e| e["eventType"].as_str().unwrap()).collect();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(types, json!({"eventTypes": expected}));

    // The export: every row, oldest first, each field as the JSON API shows it.
    let (text, records) = export(&admin, "").await;
    let oldest_first: Vec<&Value> = all.iter().rev().collect();
    assert_csv_matches(&records, &oldest_first);
    // The detail's quotes really were escaped (doubled inside a quoted field).
    assert!(text.contains(r#""{""encrypted"":false,""key"":""default_provider""}""#), "{text}");
    for (query, expected) in &cases {
        let (_, records) = export(&admin, &format!("?{query}")).await;
        let rows: Vec<&Value> = expected.iter().rev().map(|id| &all[all.len() - *id as usize]).collect();
        assert_csv_matches(&records, &rows);
    }

    // User-provided text reaches the export through the actor's name (resolved at read time):
    // commas and quotes must survive a real CSV reader.
    let name = r#"Ada, "the" Admin; x"#;
    let (status, body) = admin.send_json("PATCH", "/api/users/me", json!({"name": name})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine = list(&admin, &format!("?limit=100&actorId={admin_id}")).await;
    let mine: Vec<&Value> = entries(&mine).iter().rev().collect();
    assert_eq!(mine.last().map(|e| (&e["eventType"], &e["actorName"])), Some((&json!("user.updated"), &json!(name))));
    assert!(mine.iter().all(|e| e["actorName"] == name));
    let (text, records) = export(&admin, &format!("?actorId={admin_id}")).await;
    assert_csv_matches(&records, &mine);
    assert!(records[1..].iter().all(|r| &r[4] == name));
    assert!(text.contains(r#","Ada, ""the"" Admin; x","#), "{text}");
}

/// The chain part of a verify report, once its head part shows nothing removed from the end
/// (tests/it/audit_head.rs covers that part).
fn chain_only(mut report: Value) -> Value {
    assert_eq!(
        (&report["truncated"], &report["rolledBack"], &report["headInvalid"]),
        (&json!(false), &json!(false), &json!(false)),
        "{report}"
    );
    if let Some(fields) = report.as_object_mut() {
        for key in ["truncated", "rolledBack", "headInvalid", "headId", "lastId", "anchorId", "invalidPseudonyms"] {
            fields.remove(key);
        }
    }
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_edited_and_deleted_rows() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    for (key, value) in [("default_provider", "anthropic"), ("default_model", "m1"), ("theme", "dark")] {
        let (status, _) = admin.send_json("POST", "/api/settings", json!({"key": key, "value": value})).await;
        assert_eq!(status, StatusCode::OK);
    }
    admin.send_json("PUT", "/api/users/me/context", json!({"content": "notes"})).await;
    admin.send_json("PATCH", "/api/users/me", json!({"name": "Boss"})).await;
    wait_for_integrity_check(&admin).await;
    let total = list(&admin, "").await["total"].as_i64().unwrap();
    assert!(total >= 8, "setup, personal agent, three settings, context, name, integrity check: {total}");
    assert_eq!(list(&admin, "?eventType=settings.updated").await["entries"][2]["id"], 3);

    let verify = |query: &'static str| {
        let admin = admin.clone();
        async move { admin.send_json("GET", &format!("/api/audit/verify{query}"), Value::Null).await }
    };
    let (status, report) = verify("").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        chain_only(report),
        json!({"valid": true, "totalChecked": total, "invalidIds": [], "chainBreakIds": []})
    );
    assert_eq!(
        chain_only(verify("?fromId=2&toId=4").await.1),
        json!({"valid": true, "totalChecked": 3, "invalidIds": [], "chainBreakIds": []})
    );

    // Row 2 (the personal agent's creation) rewritten behind the application's back.
    execute(server.database(), "UPDATE audit_log SET detail = '{}' WHERE id = 2");
    let (status, report) = verify("").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        chain_only(report),
        json!({"valid": false, "totalChecked": total, "invalidIds": [2], "chainBreakIds": []})
    );

    // A middle row removed: the next row's link breaks.
    execute(server.database(), "DELETE FROM audit_log WHERE id = 4");
    let (_, report) = verify("").await;
    assert_eq!(
        chain_only(report),
        json!({"valid": false, "totalChecked": total - 1, "invalidIds": [2], "chainBreakIds": [5]})
    );
    assert_eq!(
        chain_only(verify("?fromId=5&toId=6").await.1),
        json!({"valid": false, "totalChecked": 2, "invalidIds": [], "chainBreakIds": [5]})
    );
    assert_eq!(verify("?fromId=6").await.1["valid"], true);
    assert_eq!(
        chain_only(verify("?toId=3").await.1),
        json!({"valid": false, "totalChecked": 3, "invalidIds": [2], "chainBreakIds": []})
    );

    // New rows still chain on after the damage, and only the damage is reported.
    admin.send_json("POST", "/api/settings", json!({"key": "theme", "value": "light"})).await;
    let (_, report) = verify("").await;
    assert_eq!(
        chain_only(report),
        json!({"valid": false, "totalChecked": total, "invalidIds": [2], "chainBreakIds": [5]})
    );

    for query in ["?fromId=0", "?toId=-1", "?fromId=4&toId=2", "?fromId=abc"] {
        assert_error(&verify(query).await, 400, "invalid_query");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_the_log_or_the_export() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (status, _) =
        admin.send_json("POST", "/api/settings", json!({"key": "anthropic_api_key", "value": SECRET})).await;
    assert_eq!(status, StatusCode::OK);
    // A secret typed as a password, and as a wrong current password.
    let res = server.browser().post("/api/auth/login", json!({"email": "admin@example.com", "password": SECRET})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    admin.send_json("POST", "/api/users/me/password", json!({"currentPassword": SECRET, "newPassword": SECRET})).await;

    let page = list(&admin, "?limit=100").await;
    let setting = entries(&page).iter().find(|e| e["eventType"] == "settings.updated").expect("settings.updated");
    assert_eq!(setting["detail"], json!({"encrypted": true, "key": "anthropic_api_key"}));
    assert!(entries(&page).iter().any(|e| e["eventType"] == "auth.failed"), "{page}");
    assert!(!page.to_string().contains(SECRET_PART), "the secret is in the audit list: {page}");
    let (text, _) = export(&admin, "").await;
    assert!(!text.contains(SECRET_PART), "the secret is in the export: {text}");
    let stored =
        query_text(server.database(), "SELECT detail || ' ' || COALESCE(resource, '') AS value FROM audit_log");
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|row| !row.contains(SECRET_PART)), "the secret is stored in audit_log: {stored:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_login_flood_writes_one_row_per_source_per_minute() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let client = server.browser();
    let mut statuses = Vec::new();
    for i in 0..30 {
        let res = client
            .post("/api/auth/login", json!({"email": "admin@example.com", "password": format!("wrong password {i}")}))
            .await;
        statuses.push(res.status().as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "the login rate limiter engaged: {statuses:?}");

    let page = list(&admin, "?eventType=auth.failed").await;
    assert_eq!(page["total"], 1, "one auth.failed row for 30 failures: {page}");
    let row = &entries(&page)[0];
    assert_eq!(row["detail"], json!({"reason": "wrong_password", "source": "127.0.0.1"}));
    assert_eq!(row["outcome"], "failure");
    let all = list(&admin, "?limit=100").await;
    let others: Vec<&str> = entries(&all)
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .filter(|t| *t != "audit.integrity_check")
        .collect();
    assert_eq!(others, ["auth.failed", "agent.created", "user.setup"]);
}
