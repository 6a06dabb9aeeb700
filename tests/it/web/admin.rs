//! The admin pages: users and invites, the audit log, agents and providers, settings.

use std::time::Duration;

use fantoccini::Locator;
use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::browser::Browser;

/// Admin pages: invite someone (the link shown once), change a member's role (the server
/// agrees), then the audit log lists what happened, its integrity check says intact, and after a
/// row is edited behind the application's back it says broken and names the row.
#[tokio::test(flavor = "multi_thread")]
async fn admins_manage_users_and_check_the_audit_log() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/users").await;
    browser.wait_for("td", "m@example.com").await;
    browser.fill("#invite-email", "new@example.com").await;
    browser.click_button("Create the invite link").await;
    browser.wait_for("[role=status]", "shown only now").await;
    let link = browser.client.find(Locator::Css("#one-time-link")).await.unwrap().prop("value").await.unwrap();
    assert!(link.is_some_and(|l| l.contains("/invite/")), "the invite link is shown");
    browser.wait_for("li", "new@example.com").await;
    let role = browser.client.find(Locator::Css(&format!("#role-{member_id}"))).await.unwrap();
    role.select_by_value("admin").await.unwrap();
    let mut promoted = false;
    for _ in 0..100 {
        let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
        if users["users"].as_array().unwrap().iter().any(|u| u["id"] == member_id.as_str() && u["role"] == "admin") {
            promoted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(promoted, "the role change reached the server");
    browser.screenshot("admin-users-desktop-light").await;

    browser.goto("/admin/audit").await;
    browser.wait_for("td", "user.role_updated").await;
    browser.click_button("Check integrity").await;
    browser.wait_for("[role=status]", "The log is intact").await;
    browser.screenshot("admin-audit-desktop-light").await;

    crate::support::execute(server.database(), "UPDATE audit_log SET detail = '{}' WHERE id = 2");
    browser.click_button("Check integrity").await;
    browser.wait_for("[role=alert]", "Edited entries: 2").await;
    browser.set_theme("dark").await;
    browser.wait_for("td", "user.role_updated").await;
    browser.screenshot("admin-audit-desktop-dark").await;
    browser.close().await;
}

/// Admin pages for agents and providers: the provider configured is listed as the default; a new
/// agent is created from a template, given a model and a granted folder in the browser, and the
/// server stores exactly that.
#[tokio::test(flavor = "multi_thread")]
async fn admins_create_and_configure_an_agent_in_the_browser() {
    let p = crate::chat_errors::with_openai().await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/providers").await;
    browser.wait_for(".agents h2", "openai").await;
    browser.wait_for(".agents .tag", "default").await;

    browser.goto("/admin/agents").await;
    browser.wait_for("h2", "New agent").await;
    browser.fill("#new-agent-name", "Payroll").await;
    browser.click_button("Create the agent").await;
    browser.wait_for(".agent-editor h2", "Payroll").await;
    let (_, agents) = p.admin.send_json("GET", "/api/agents", Value::Null).await;
    let id =
        agents.as_array().unwrap().iter().find(|a| a["name"] == "Payroll").unwrap()["id"].as_str().unwrap().to_string();

    let form = format!("form[aria-labelledby='agent-{id}-title']");
    let folder = browser
        .client
        .find(Locator::XPath(&format!("//form[@aria-labelledby='agent-{id}-title']//label[contains(., 'hr')]/input")))
        .await
        .unwrap();
    folder.click().await.unwrap();
    browser.fill(&format!("#agent-{id}-tagline"), "Salaries and payslips").await;
    browser.client.find(Locator::Css(&format!("{form} button[type=submit]"))).await.unwrap().click().await.unwrap();
    browser.wait_for(&format!("{form} [role=status]"), "Saved.").await;
    browser.screenshot("admin-agents-desktop-light").await;

    let (_, agent) = p.admin.send_json("GET", &format!("/api/agents/{id}"), Value::Null).await;
    assert_eq!(agent["tagline"], "Salaries and payslips", "{agent}");
    assert_eq!(agent["pluginConfig"]["allowed_paths"], json!([p.hr]), "{agent}");
    assert!(agent["model"].as_str().is_some_and(|m| m.starts_with("openai/")), "{agent}");
    browser.close().await;
}

/// Admin settings: the organisation context saves, and a secret setting is shown masked after it
/// is stored — the browser never gets it back.
#[tokio::test(flavor = "multi_thread")]
async fn admins_edit_the_organisation_context_and_secrets_stay_masked() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/settings").await;
    browser.wait_for("h2", "About the organisation").await;
    browser.fill("#org-context", "Acme makes anvils.").await;
    browser.click_button("Save").await;
    browser.wait_for("[role=status]", "Saved.").await;
    let (_, context) = admin.send_json("GET", "/api/settings/context", Value::Null).await;
    assert_eq!(context["content"], "Acme makes anvils.");

    browser.fill("#setting-key", "webhook_token").await;
    browser.fill("#setting-value", "very-secret-value").await;
    browser.click_button("Save the setting").await;
    browser.wait_for("li", "webhook_token").await;
    let page = browser.client.source().await.unwrap();
    assert!(!page.contains("very-secret-value"), "a secret never comes back to the browser");
    browser.screenshot("admin-settings-desktop-light").await;
    browser.close().await;
}

/// More users than a page holds: the users page pages through them. The audit log is filtered
/// to one person, from the list or by a click on their name, and shows only their entries.
#[tokio::test(flavor = "multi_thread")]
async fn admins_page_through_users_and_see_one_persons_audit_entries() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    // The admin and 51 people: two pages of 50.
    for n in 1..=51 {
        let email = format!("person{n:02}@example.com");
        let (status, invite) =
            admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": email})).await;
        assert_eq!(status, StatusCode::CREATED, "{invite}");
        let claim = json!({"token": invite["token"], "name": format!("Person {n:02}"), "password": PASSWORD});
        let (status, body) = server.browser().send_json("POST", "/api/invite/claim", claim).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/users").await;
    browser.wait_for(".pager", "Page 1 of 2 · 52 users").await;
    browser.wait_for("td", "person49@example.com").await;
    let table = browser.client.find(Locator::Css("table")).await.unwrap().text().await.unwrap();
    assert!(!table.contains("person50@example.com"), "the 51st user is on the second page: {table}");
    browser.click_button("Next").await;
    browser.wait_for(".pager", "Page 2 of 2").await;
    browser.wait_for("td", "person51@example.com").await;
    browser.screenshot("admin-users-page-2-desktop-light").await;

    browser.goto("/admin/audit").await;
    browser.wait_for("td", "user.created").await;
    let person = browser.client.find(Locator::Css("#actor")).await.unwrap();
    person.select_by_label("Person 07").await.unwrap();
    let who = actors_shown(&browser, "Person 07").await;
    assert!(who.iter().all(|w| w == "Person 07"), "only Person 07's entries: {who:?}");

    // Everyone again, then a click on the admin's name in a row.
    browser.client.find(Locator::Css("#actor")).await.unwrap().select_by_value("").await.unwrap();
    browser.wait_for("td", "Person 51").await;
    browser
        .client
        .find(Locator::XPath("//td/button[normalize-space(.)='Admin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let who = actors_shown(&browser, "Admin").await;
    assert!(who.iter().all(|w| w == "Admin"), "only the admin's entries: {who:?}");
    browser.close().await;
}

/// The "Who" column of the audit table, once every row names `expected` (or after 20 s).
async fn actors_shown(browser: &Browser, expected: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let who: Vec<String> = browser
            .client
            .execute(
                "return [...document.querySelectorAll('tbody tr td:nth-child(3)')].map(td => td.textContent.trim());",
                vec![],
            )
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        if !who.is_empty() && who.iter().all(|w| w == expected) || tokio::time::Instant::now() > deadline {
            return who;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
