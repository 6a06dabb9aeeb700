//! The groups page: without a licence it points to the licence page; with one, an admin creates
//! a group, picks its members and deletes it, and the server agrees at each step.

use pincer_testkit::TestServer;
use pincer_testkit::licence::TestVendor;
use serde_json::{Value, json};

use super::browser::Browser;

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
