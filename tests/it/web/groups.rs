//! The groups page: without a licence it points to the licence page; with one, an admin creates
//! a group, picks its members and deletes it, and the server agrees at each step.

use pincer_testkit::TestServer;
use pincer_testkit::licence::TestVendor;
use serde_json::{Value, json};

use super::browser::{Browser, axe};

#[tokio::test(flavor = "multi_thread")]
async fn admins_create_a_group_choose_its_members_and_delete_it() {
    let vendor = TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "grace@example.com").await;

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/groups").await;
    browser.wait_for("p", "need an enterprise licence").await;

    let key = vendor.licence("Acme", "paid", 30, 0);
    admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await;
    browser.goto("/admin/groups").await;
    browser.wait_for("p", "No group yet").await;
    browser.fill("#group-name", "Engineering").await;
    browser.fill("#group-description", "Builders").await;
    browser.click_button("Create group").await;
    browser.wait_for("td", "Engineering").await;
    let (_, groups) = admin.send_json("GET", "/api/groups", Value::Null).await;
    let id = groups[0]["id"].as_str().unwrap().to_string();
    assert_eq!(groups[0]["name"], "Engineering");

    browser.click_button("Members of Engineering").await;
    browser.wait_for("legend", "Members of Engineering").await;
    let xpath = "//label[contains(., 'grace@example.com')]/input";
    browser.client.find(fantoccini::Locator::XPath(xpath)).await.unwrap().click().await.unwrap();
    browser.click_button("Save members").await;
    browser.wait_for("[role=status]", "Members saved").await;
    let (_, members) = admin.send_json("GET", &format!("/api/groups/{id}/members"), Value::Null).await;
    assert_eq!(members, json!([{"userId": member_id, "groupId": id}]));
    browser.wait_for("td", "1").await;
    browser.screenshot("admin-groups-desktop-light").await;
    browser.set_theme("dark").await;
    browser.wait_for("td", "Engineering").await;
    browser.screenshot("admin-groups-desktop-dark").await;

    browser.click_button("Delete Engineering").await;
    browser.wait_for("p", "No group yet").await;
    let (_, groups) = admin.send_json("GET", "/api/groups", Value::Null).await;
    assert_eq!(groups, json!([]));
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/groups").await;
    phone.wait_for("h2", "New group").await;
    phone.screenshot("admin-groups-phone-light").await;
    phone.close().await;
}

/// With a licence: an admin restricts an agent to a group and invites someone into that group,
/// from the agents and people pages; the server holds what the pages chose.
#[tokio::test(flavor = "multi_thread")]
async fn admins_restrict_an_agent_to_a_group_and_invite_into_it() {
    use fantoccini::Locator;
    let vendor = TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let key = vendor.licence("Acme", "paid", 30, 0);
    admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await;
    let (_, group) = admin.send_json("POST", "/api/groups", json!({"name": "Engineering"})).await;
    let group_id = group["id"].as_str().unwrap().to_string();
    let (_, agent) = admin.send_json("POST", "/api/agents", json!({"name": "Payroll", "templateId": "custom"})).await;
    let id = agent["id"].as_str().unwrap().to_string();

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/agents").await;
    browser.wait_for(".agent-editor h2", "Payroll").await;
    let form = format!("//form[@aria-labelledby='agent-{id}-title']");
    let restricted = format!("{form}//label[contains(., 'members of these groups')]/input");
    browser.client.find(Locator::XPath(&restricted)).await.unwrap().click().await.unwrap();
    browser.wait_for("legend", "Groups that see Payroll").await;
    let engineering = format!("{form}//fieldset[@id='agent-{id}-groups']//label[contains(., 'Engineering')]/input");
    browser.client.find(Locator::XPath(&engineering)).await.unwrap().click().await.unwrap();
    browser.screenshot("admin-agents-visibility-desktop-light").await;
    let css = format!("form[aria-labelledby='agent-{id}-title']");
    browser.client.find(Locator::Css(&format!("{css} button[type=submit]"))).await.unwrap().click().await.unwrap();
    browser.wait_for(&format!("{css} [role=status]"), "Saved.").await;
    let (_, saved) = admin.send_json("GET", &format!("/api/agents/{id}"), Value::Null).await;
    assert_eq!((&saved["visibility"], &saved["groupIds"]), (&json!("restricted"), &json!([group_id])), "{saved}");
    let mut found = axe(&browser, "/admin/agents with groups (light)").await;

    browser.goto("/admin/users").await;
    browser.wait_for("legend", "Groups the new account joins").await;
    browser.fill("#invite-email", "newcomer@example.com").await;
    let pick = "//fieldset[@id='invite-groups']//label[contains(., 'Engineering')]/input";
    browser.client.find(Locator::XPath(pick)).await.unwrap().click().await.unwrap();
    browser.click_button("Create the invite link").await;
    browser.wait_for("li", "newcomer@example.com (member, Engineering)").await;
    browser.set_theme("dark").await;
    browser.screenshot("admin-users-invite-groups-desktop-dark").await;
    found.extend(axe(&browser, "/admin/users with groups (dark)").await);
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
    let (_, invites) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(invites[0]["groups"], json!([{"id": group_id, "name": "Engineering"}]), "{invites}");
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/agents").await;
    phone.wait_for("legend", "Groups that see Payroll").await;
    phone.screenshot("admin-agents-visibility-phone-light").await;
    phone.close().await;
}
