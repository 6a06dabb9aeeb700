//! The usage page: an admin sees the period's estimated cost (the server's totals added up),
//! the cost per source, the bars of the series and the agents; choosing "Today" and one agent
//! narrows all of it, as the API does.

use pincer_testkit::TestServer;
use serde_json::{Value, json};

use super::browser::Browser;
use crate::usage::{Call, insert, now_ms};

const DAY: i64 = 86_400_000;

#[tokio::test(flavor = "multi_thread")]
async fn admins_read_costs_by_period_and_agent() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    let me = me["id"].as_str().unwrap().to_string();
    let mut agents = Vec::new();
    for name in ["Research desk", "HR helper"] {
        let (_, agent) = admin.send_json("POST", "/api/agents", json!({"name": name, "templateId": "custom"})).await;
        agents.push(agent["id"].as_str().unwrap().to_string());
    }
    let now = now_ms();
    let today = now.div_euclid(DAY) * DAY;
    let calls: Vec<Call> = (0..12_i64)
        .map(|i| Call {
            user: me.clone(),
            agent: Some(agents[(i % 2) as usize].clone()),
            source: if i % 4 == 3 { "system" } else { "chat" },
            // Half of them today, the rest spread over the five days before.
            at: if i < 6 { today + (now - today) / 2 - i } else { today - (i - 5) * DAY + 3_600_000 },
            tokens: [10_000 + i * 100, 2_000 + i, 0, 0],
            cost_nanos: Some(41_250_000 + i * 3_333),
        })
        .collect();
    insert(&server, &calls);

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/usage").await;
    let summary = |query: &str| {
        let (admin, query) = (&admin, query.to_string());
        async move { admin.send_json("GET", &format!("/api/usage/summary?{query}"), Value::Null).await.1 }
    };
    let total = |s: &Value| {
        let micros: i64 = ["chat", "system", "plugin"]
            .iter()
            .map(|k| s["totals"][k]["cost"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap())
            .sum();
        format!("${}.{:06}", micros / 1_000_000, micros % 1_000_000)
    };
    let month = summary("days=30").await;
    browser.wait_for("[data-testid=total-cost]", &total(&month)).await;
    browser.wait_for("td", "Research desk").await;
    browser.wait_for("figcaption", "Cost per day").await;
    browser.screenshot("admin-usage-desktop-light").await;

    // Today, then one agent: the page asks the server again and shows its answer.
    let period = browser.client.find(fantoccini::Locator::Css("#period")).await.unwrap();
    period.select_by_value("1").await.unwrap();
    let today_only = summary("days=1").await;
    assert_ne!(total(&today_only), total(&month), "the periods differ, so the page must change");
    browser.wait_for("[data-testid=total-cost]", &total(&today_only)).await;
    browser.wait_for("figcaption", "Cost per hour").await;
    let agent = browser.client.find(fantoccini::Locator::Css("#agent")).await.unwrap();
    agent.select_by_value(&agents[1]).await.unwrap();
    let hr_today = summary(&format!("days=1&agentId={}", agents[1])).await;
    browser.wait_for("[data-testid=total-cost]", &total(&hr_today)).await;
    let rows = browser.client.find_all(fantoccini::Locator::Css("tbody tr td:first-child")).await.unwrap();
    let mut names = Vec::new();
    for row in rows {
        names.push(row.text().await.unwrap());
    }
    assert!(names.iter().any(|n| n == "HR helper") && !names.iter().any(|n| n == "Research desk"), "{names:?}");

    browser.set_theme("dark").await;
    browser.wait_for("[data-testid=total-cost]", "Estimated cost").await;
    browser.screenshot("admin-usage-desktop-dark").await;
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/usage").await;
    phone.wait_for("[data-testid=total-cost]", &total(&month)).await;
    phone.screenshot("admin-usage-phone-light").await;
    phone.set_theme("dark").await;
    phone.wait_for("td", "HR helper").await;
    phone.screenshot("admin-usage-phone-dark").await;
    phone.close().await;
}

/// The licence page: a forged key is refused with the server's reason and changes nothing; a
/// vendor-signed key turns the enterprise features on, and the usage page then lists the people
/// and offers the CSV.
#[tokio::test(flavor = "multi_thread")]
async fn admins_install_a_licence_and_then_see_usage_by_person() {
    let vendor = pincer_testkit::licence::TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "grace@example.com").await;
    insert(
        &server,
        &[Call {
            user: member_id,
            agent: None,
            source: "chat",
            at: now_ms() - 5_000,
            tokens: [500, 50, 0, 0],
            cost_nanos: Some(7_000_000),
        }],
    );

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/usage").await;
    browser.wait_for("p", "need an enterprise licence").await;

    browser.goto("/admin/license").await;
    browser.wait_for("[data-testid=licence-state]", "Community edition").await;
    browser.fill("#licence-key", &pincer_testkit::licence::TestVendor::new().licence("Forgers", "paid", 30, 0)).await;
    browser.click_button("Install").await;
    browser.wait_for("[role=alert]", "not signed by a trusted key").await;
    let (_, status) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!(status["state"], "community", "the refused key changed nothing");

    browser.fill("#licence-key", &vendor.licence("Acme Corp", "paid", 30, 10)).await;
    browser.click_button("Install").await;
    browser.wait_for("[data-testid=licence-state]", "Enterprise").await;
    browser.wait_for("[data-testid=seats]", "2 of 10").await;
    browser.wait_for("dd", "Acme Corp").await;
    browser.screenshot("admin-license-desktop-light").await;
    let (_, status) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!(status["org"], "Acme Corp");

    browser.goto("/admin/usage").await;
    browser.wait_for("td", "grace@example.com").await;
    let link = browser.client.find(fantoccini::Locator::LinkText("Download CSV")).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.starts_with("/api/usage/export?days=30"), "{href}");
    browser.set_theme("dark").await;
    browser.goto("/admin/license").await;
    browser.wait_for("[data-testid=licence-state]", "Enterprise").await;
    browser.screenshot("admin-license-desktop-dark").await;
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/license").await;
    phone.wait_for("[data-testid=licence-state]", "Enterprise").await;
    phone.screenshot("admin-license-phone-light").await;
    phone.close().await;
}

/// Budgets on the usage page: an admin adds a person's monthly limit, sees the warning once 80 %
/// of it is spent, and removes it; the server agrees at each step.
#[tokio::test(flavor = "multi_thread")]
async fn admins_set_watch_and_remove_a_budget() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "grace@example.com").await;

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/usage").await;
    browser.wait_for("p", "No budget").await;
    let scope = browser.client.find(fantoccini::Locator::Css("#budget-scope")).await.unwrap();
    scope.select_by_value("user").await.unwrap();
    let target = browser.client.find(fantoccini::Locator::Css("#budget-target")).await.unwrap();
    target.select_by_value(&member_id).await.unwrap();
    browser.fill("#budget-limit", "5").await;
    browser.click_button("Add budget").await;
    browser.wait_for("td", "$5.000000").await;
    let (_, set) = admin.send_json("GET", "/api/usage/budgets", Value::Null).await;
    assert_eq!(
        set["budgets"],
        json!([{"scope": "user", "targetId": member_id, "limit": "5.000000", "spent": "0.000000",
        "percent": 0, "state": "ok", "resetsAt": set["budgets"][0]["resetsAt"]}])
    );

    // $4.50 of $5 spent by her this month: a warning.
    insert(
        &server,
        &[Call {
            user: member_id.clone(),
            agent: None,
            source: "chat",
            at: now_ms() - 1_000,
            tokens: [1, 1, 0, 0],
            cost_nanos: Some(4_500_000_000),
        }],
    );
    browser.goto("/admin/usage").await;
    browser.wait_for("[role=alert]", "90 % of $5.000000 used").await;
    browser.client.execute("document.getElementById('budgets-title').scrollIntoView()", vec![]).await.unwrap();
    browser.screenshot("admin-budgets-desktop-light").await;
    browser.set_theme("dark").await;
    browser.wait_for("[role=alert]", "90 %").await;
    browser.client.execute("document.getElementById('budgets-title').scrollIntoView()", vec![]).await.unwrap();
    browser.screenshot("admin-budgets-desktop-dark").await;

    browser.click_button("Remove").await;
    browser.wait_for("p", "No budget").await;
    let (_, set) = admin.send_json("GET", "/api/usage/budgets", Value::Null).await;
    assert_eq!(set, json!({"budgets": []}));
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/usage").await;
    phone.wait_for("p", "No budget").await;
    phone.client.execute("document.getElementById('budgets-title').scrollIntoView()", vec![]).await.unwrap();
    phone.screenshot("admin-budgets-phone-light").await;
    phone.close().await;
}
