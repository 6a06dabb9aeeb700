//! The security report page: an admin with no report yet runs a self-audit, sees the score and
//! the checks grouped by severity with the fix for one that does not pass (a fresh server has no
//! backup), finds today in the history, and opens an older day's report from it; in both themes,
//! at desktop and phone width, with axe.

use pincer_testkit::TestServer;
use serde_json::json;

use super::browser::{Browser, axe};
use crate::support::execute;

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_runs_a_self_audit_and_reads_the_history() {
    let server = TestServer::start().await;
    server.setup_admin().await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/security").await;
    browser.wait_for("main p.card", "No report yet").await;

    browser.click_button("Run self-audit now").await;
    browser.wait_for("#report-title", "Report of ").await;
    browser.wait_for(".security-score", "/ 100").await;
    for heading in ["#severity-critical", "#severity-high", "#severity-medium"] {
        browser.wait_for(heading, "").await;
    }
    // The backup check warns on a fresh server, with its fix; the key files pass.
    browser.wait_for("#severity-medium + ul .check.warn", "There is a recent backup").await;
    browser.wait_for("#severity-medium + ul .check.warn .check-fix", "Fix: back up").await;
    browser.wait_for("#severity-critical + ul .check.pass", "Key files are private").await;
    browser.wait_for(".check.warn .badge", "Warning").await;
    let today = browser.client.execute("return new Date().toISOString().slice(0, 10);", vec![]).await.unwrap();
    let today = today.as_str().unwrap().to_string();
    browser.wait_for("#report-title", &today).await;
    browser.wait_for("#history-title + .table-wrap [aria-current]", &today).await;
    browser.screenshot("admin-security-desktop-light").await;
    let mut found = axe(&browser, "/admin/security (light)").await;
    browser.set_theme("dark").await;
    browser.wait_for("#report-title", &today).await;
    browser.screenshot("admin-security-desktop-dark").await;
    found.extend(axe(&browser, "/admin/security (dark)").await);
    assert!(found.is_empty(), "{found:?}");

    // An older day, filed by hand, is opened from the history.
    let checks = json!([{"id": "key_files", "title": "Key files are private", "severity": "critical",
        "status": "fail", "detail": "readable by other users: /old/secrets (755)", "fix": "chmod 700 /old/secrets"}]);
    execute(
        server.database(),
        &format!(
            "INSERT INTO security_reports (day, created_at, score, checks) VALUES ('2020-05-01', 1588334400000, 0, '{checks}')"
        ),
    );
    browser.goto("/admin/security").await;
    browser.wait_for("#history-title + .table-wrap button", "2020-05-01").await;
    browser.click_button("2020-05-01").await;
    browser.wait_for("#report-title", "Report of 2020-05-01").await;
    browser.wait_for(".check.fail .check-fix", "chmod 700 /old/secrets").await;
    browser.wait_for(".check.fail .badge", "Fail").await;
    // The report is above the history: the picked day's report takes the focus (and the view).
    let mut focused = serde_json::Value::Null;
    for _ in 0..50 {
        focused = browser.client.execute("return document.activeElement.id;", vec![]).await.unwrap();
        if focused == "report-title" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(focused, "report-title");
    browser.wait_for("#history-title + .table-wrap button", &today).await;
    browser.screenshot("admin-security-desktop-dark-older-day").await;
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/security").await;
    phone.wait_for("#report-title", &today).await;
    phone.screenshot("admin-security-phone-light").await;
    phone.set_theme("dark").await;
    phone.wait_for("#severity-medium", "").await;
    phone.client.execute("document.getElementById('severity-medium').scrollIntoView();", vec![]).await.unwrap();
    phone.screenshot("admin-security-phone-dark").await;
    phone.close().await;
}
