//! Usage and costs through the binary: the summary and the time series equal the sums of the
//! records written (two agents, one of them deleted, calls no agent made, two users, three days,
//! the three sources), as strings with costs in dollars to 6 decimals; periods and agent filters
//! narrow them; every malformed parameter is a 400 and members are refused.

use std::time::{SystemTime, UNIX_EPOCH};

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, execute};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// A record as the test writes it.
pub struct Call {
    pub user: String,
    pub agent: Option<String>,
    pub source: &'static str,
    pub at: i64,
    pub tokens: [i64; 4],
    pub cost_nanos: Option<i64>,
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// Writes the records straight into the server's database, as model calls would have.
pub fn insert(server: &TestServer, calls: &[Call]) {
    let mut sql = String::new();
    for (n, c) in calls.iter().enumerate() {
        let agent = c.agent.as_ref().map_or("NULL".to_string(), |a| format!("'{a}'"));
        let cost = c.cost_nanos.map_or("NULL".to_string(), |c| c.to_string());
        let model = if c.cost_nanos.is_some() { "claude-haiku-4-5" } else { "homegrown-7b" };
        sql.push_str(&format!(
            "INSERT INTO usage_records (id, user_id, agent_id, provider, model, input_tokens, output_tokens, \
             cache_read_tokens, cache_write_tokens, cost_nanos, source, run_id, step, created_at) VALUES \
             ('00000000-0000-7000-8000-{n:012}', '{}', {agent}, 'anthropic', '{model}', {}, {}, {}, {}, {cost}, \
             '{}', '00000000-0000-7000-9000-{n:012}', 0, {});",
            c.user, c.tokens[0], c.tokens[1], c.tokens[2], c.tokens[3], c.source, c.at
        ));
    }
    execute(server.database(), &sql);
}

/// The sums of `calls` as the API shows them: token counts and the cost in dollars.
fn shown(calls: &[&Call]) -> [String; 5] {
    let sum = |i: usize| calls.iter().map(|c| c.tokens[i]).sum::<i64>().to_string();
    let nanos: i64 = calls.iter().filter_map(|c| c.cost_nanos).sum();
    let micros = nanos / 1_000 + i64::from(nanos % 1_000 >= 500);
    [sum(0), sum(1), sum(2), sum(3), format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)]
}

fn sums_of(v: &Value) -> [String; 5] {
    ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "cost"]
        .map(|k| v[k].as_str().unwrap_or_else(|| panic!("{k} is not a string: {v}")).to_string())
}

fn agent_sums(v: &Value) -> [String; 5] {
    ["totalInputTokens", "totalOutputTokens", "totalCacheReadTokens", "totalCacheWriteTokens", "totalCost"]
        .map(|k| v[k].as_str().unwrap_or_else(|| panic!("{k} is not a string: {v}")).to_string())
}

async fn get(browser: &Browser, path: &str) -> Value {
    let (status, body) = browser.send_json("GET", path, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_and_the_series_are_the_sums_of_the_records() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    let admin_id = me["id"].as_str().unwrap().to_string();
    let new_agent = |name: &'static str| {
        let admin = &admin;
        async move {
            let (status, agent) =
                admin.send_json("POST", "/api/agents", json!({"name": name, "templateId": "custom"})).await;
            assert_eq!(status, StatusCode::CREATED, "{agent}");
            agent["id"].as_str().unwrap().to_string()
        }
    };
    let kept = new_agent("Kept agent").await;
    let gone = new_agent("Gone agent").await;

    // Today (between midnight and now), yesterday and the day before, UTC.
    let now = now_ms();
    let today = now.div_euclid(DAY) * DAY;
    let days = [today + (now - today) / 2, today - DAY + 5 * HOUR, today - 2 * DAY + 23 * HOUR];
    let sources = ["chat", "system", "plugin"];
    let mut calls = Vec::new();
    for i in 0..18_i64 {
        calls.push(Call {
            user: if i % 2 == 0 { admin_id.clone() } else { member_id.clone() },
            agent: match i % 3 {
                0 => Some(kept.clone()),
                1 => Some(gone.clone()),
                _ => None,
            },
            source: sources[(i % 3) as usize],
            at: days[(i / 6) as usize] - i,
            tokens: [1_000 + i, 200 + i, 30 * i, i],
            // Nano-dollar amounts whose sum is not a whole number of micro-dollars.
            cost_nanos: (i % 5 != 4).then_some(123_456_789 + i * 1_001),
        });
    }
    insert(&server, &calls);
    let (status, _) = admin.send_json("DELETE", &format!("/api/agents/{gone}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);

    // Three days: everything.
    let summary = get(&admin, "/api/usage/summary?days=3").await;
    let all: Vec<&Call> = calls.iter().collect();
    for source in sources {
        let of: Vec<&Call> = all.iter().copied().filter(|c| c.source == source).collect();
        assert_eq!(sums_of(&summary["totals"][source]), shown(&of), "{source}: {summary}");
    }
    let agents = summary["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "calls no agent made are in the totals only: {summary}");
    for (id, name, deleted) in [(&kept, "Kept agent", false), (&gone, "Gone agent", true)] {
        let row = agents.iter().find(|a| a["agentId"] == id.as_str()).unwrap_or_else(|| panic!("{name}: {summary}"));
        assert_eq!((row["agentName"].as_str(), row["deleted"].as_bool()), (Some(name), Some(deleted)));
        let of: Vec<&Call> = all.iter().copied().filter(|c| c.agent.as_deref() == Some(id.as_str())).collect();
        assert_eq!(agent_sums(row), shown(&of), "{name}");
    }
    assert_eq!(summary["unpricedModels"], json!([{"provider": "anthropic", "model": "homegrown-7b"}]));
    assert_eq!(get(&admin, "/api/usage/summary").await, summary, "30 days by default covers them all");
    assert_eq!(get(&admin, "/api/usage/summary?days=0").await, summary, "0 is all time");

    // Today only, and one agent.
    let today_only = get(&admin, "/api/usage/summary?days=1").await;
    let of: Vec<&Call> = all.iter().copied().filter(|c| c.at >= today && c.source == "chat").collect();
    assert_eq!(of.len(), 2);
    assert_eq!(sums_of(&today_only["totals"]["chat"]), shown(&of));
    let one = get(&admin, &format!("/api/usage/summary?days=3&agentId={gone}")).await;
    assert_eq!(one["agents"].as_array().map(Vec::len), Some(1), "{one}");
    let of: Vec<&Call> = all.iter().copied().filter(|c| c.agent.as_deref() == Some(gone.as_str())).collect();
    assert_eq!(sums_of(&one["totals"]["system"]), shown(&of), "the gone agent's calls were all system calls");

    // By day: three buckets, each day's sums, oldest first.
    let series = get(&admin, "/api/usage/timeseries?days=3&interval=day").await;
    assert_eq!(series["interval"], "day");
    let buckets = series["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 3, "{series}");
    for (n, bucket) in buckets.iter().enumerate() {
        let start = today - (2 - n as i64) * DAY;
        let of: Vec<&Call> = all.iter().copied().filter(|c| c.at >= start && c.at < start + DAY).collect();
        assert_eq!(sums_of(bucket), shown(&of), "day {n}: {bucket}");
    }
    // By hour over today: one bucket per hour so far, zeros where nothing was called.
    let series = get(&admin, "/api/usage/timeseries?days=1&interval=hour").await;
    let buckets = series["buckets"].as_array().unwrap();
    assert_eq!(buckets.len() as i64, (now - today) / HOUR + 1, "{series}");
    let busy_hour = (days[0] - today) / HOUR;
    for (n, bucket) in buckets.iter().enumerate() {
        let of: Vec<&Call> =
            if n as i64 == busy_hour { all.iter().copied().filter(|c| c.at >= today).collect() } else { Vec::new() };
        assert_eq!(sums_of(bucket), shown(&of), "hour {n}");
    }
    assert_eq!(buckets[0]["start"].as_str().map(|s| s.ends_with("T00:00:00.000Z")), Some(true), "{series}");

    // Refusals: malformed parameters, too many buckets, members, strangers.
    for bad in ["days=-1", "days=3651", "days=two", "agentId=not-an-id", "interval=week"] {
        let path = format!("/api/usage/timeseries?{bad}");
        assert_error(&admin.send_json("GET", &path, Value::Null).await, 400, "invalid_query");
    }
    assert_error(&admin.send_json("GET", "/api/usage/summary?days=9999", Value::Null).await, 400, "invalid_query");
    let too_many = admin.send_json("GET", "/api/usage/timeseries?days=90&interval=hour", Value::Null).await;
    assert_error(&too_many, 400, "too_many_buckets");
    assert_error(&member.send_json("GET", "/api/usage/summary", Value::Null).await, 403, "admin_required");
    assert_error(&member.send_json("GET", "/api/usage/timeseries", Value::Null).await, 403, "admin_required");
    let stranger = server.browser().send_json("GET", "/api/usage/summary", Value::Null).await;
    assert_error(&stranger, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_ledger_reports_zeros() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let summary = get(&admin, "/api/usage/summary").await;
    let zero = ["0", "0", "0", "0", "0.000000"].map(str::to_string);
    for source in ["chat", "system", "plugin"] {
        assert_eq!(sums_of(&summary["totals"][source]), zero, "{summary}");
    }
    assert_eq!((summary["agents"].clone(), summary["unpricedModels"].clone()), (json!([]), json!([])));
    let series = get(&admin, "/api/usage/timeseries?days=7").await;
    let buckets = series["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 7, "every day of the period, empty ones included: {series}");
    assert!(buckets.iter().all(|b| sums_of(b) == zero), "{series}");
    assert_eq!(get(&admin, "/api/usage/timeseries?days=0").await["buckets"], json!([]), "all time, nothing yet");
}

#[tokio::test(flavor = "multi_thread")]
async fn per_person_totals_and_the_csv_export_need_a_licence_and_match_the_records() {
    let vendor = pincer_testkit::licence::TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (leaver_id, _) = server.create_member(&admin, "leaver@example.com").await;
    // A name a spreadsheet would run as a formula.
    let (status, _) = member.send_json("PATCH", "/api/users/me", json!({"name": "=HYPERLINK(\"x\")"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.send_json("DELETE", &format!("/api/users/{leaver_id}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the leaver is deactivated");
    let (_, agent) = admin.send_json("POST", "/api/agents", json!({"name": "Desk", "templateId": "custom"})).await;
    let agent = agent["id"].as_str().unwrap().to_string();

    let now = now_ms();
    let calls: Vec<Call> = (0..9_i64)
        .map(|i| Call {
            user: [member_id.clone(), leaver_id.clone(), member_id.clone()][(i % 3) as usize].clone(),
            agent: (i % 2 == 0).then(|| agent.clone()),
            source: "chat",
            at: now - 1_000 * (9 - i),
            tokens: [100 + i, 10 + i, i, 0],
            cost_nanos: (i != 4).then_some(2_000_000 + i * 777),
        })
        .collect();
    insert(&server, &calls);

    // Community edition: refused, and no export is recorded.
    assert_error(&admin.send_json("GET", "/api/usage/by-user", Value::Null).await, 403, "enterprise_required");
    let res = admin.get("/api/usage/export").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "enterprise_required");

    let key = vendor.licence("Acme", "paid", 30, 0);
    assert_eq!(admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    assert_error(&member.send_json("GET", "/api/usage/by-user", Value::Null).await, 403, "admin_required");

    let by_user = get(&admin, "/api/usage/by-user?days=1").await;
    let users = by_user["users"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{by_user}");
    for (id, email, deactivated) in [(&member_id, "m@example.com", false), (&leaver_id, "leaver@example.com", true)] {
        let row = users.iter().find(|u| u["userId"] == id.as_str()).unwrap_or_else(|| panic!("{email}: {by_user}"));
        assert_eq!((row["email"].as_str(), row["deactivated"].as_bool()), (Some(email), Some(deactivated)));
        let of: Vec<&Call> = calls.iter().filter(|c| c.user == *id).collect();
        assert_eq!(agent_sums(row), shown(&of), "{email}");
    }

    let res = admin.get("/api/usage/export?days=1").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"usage.csv\"");
    let body = res.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..5], ["id", "createdAt", "userId", "userName", "userEmail"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), calls.len(), "{body}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, call) in rows.iter().zip(&calls) {
        assert_eq!(row.get(col("userId")), Some(call.user.as_str()), "oldest first");
        assert_eq!(row.get(col("agentName")), Some(if call.agent.is_some() { "Desk" } else { "" }));
        assert_eq!(row.get(col("inputTokens")), Some(call.tokens[0].to_string().as_str()));
        let cost = call.cost_nanos.map(|_| shown(&[call])[4].clone()).unwrap_or_default();
        assert_eq!(row.get(col("cost")), Some(cost.as_str()), "an unpriced call has an empty cost");
        if call.user == member_id {
            assert_eq!(row.get(col("userName")), Some("'=HYPERLINK(\"x\")"), "formulas are neutralised");
        }
    }
    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=usage.exported", Value::Null).await;
    assert_eq!(audit["total"], 1, "the refused export was not recorded, the served one was: {audit}");
}
