//! The agent catalogue over HTTP: personal agents, the visibility matrix, who may change what,
//! granted folders, templates, data directories, the organisation context and the audit trail.

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text, without_request_id};

const UNKNOWN_ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

async fn list(browser: &Browser) -> Vec<Value> {
    let (status, body) = browser.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap_or_else(|| panic!("not an array: {body}")).clone()
}

fn ids(agents: &[Value]) -> Vec<String> {
    agents.iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

async fn create(admin: &Browser, name: &str, template: &str) -> Value {
    let (status, agent) = admin.send_json("POST", "/api/agents", json!({"name": name, "templateId": template})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    agent
}

fn count(server: &TestServer, sql: &str) -> i64 {
    query_text(server.database(), sql)[0].parse().unwrap()
}

async fn me(browser: &Browser) -> String {
    let (_, me) = browser.send_json("GET", "/api/auth/me", Value::Null).await;
    me["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_account_gets_one_personal_agent_that_only_its_owner_sees() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let admin_id = me(&admin).await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let (_, other) = server.create_member(&admin, "o@example.com").await;

    let mine = list(&admin).await;
    assert_eq!(mine.len(), 1, "only the admin's own personal agent: {mine:?}");
    let personal = &mine[0];
    assert_eq!(personal["isPersonal"], true, "{personal}");
    assert_eq!(personal["name"], "Smithers", "{personal}");
    assert_eq!(personal["ownerId"], admin_id.as_str(), "{personal}");
    assert_eq!(personal["allowedTools"], json!([]), "{personal}");
    assert_eq!(personal["model"], Value::Null, "no provider yet: {personal}");
    assert_eq!((&personal["visibility"], &personal["groupIds"]), (&json!("all"), &json!([])), "{personal}");
    let mut keys: Vec<&str> = personal.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "allowedTools",
            "createdAt",
            "greeting",
            "groupIds",
            "id",
            "instructions",
            "isPersonal",
            "model",
            "name",
            "ownerId",
            "pluginConfig",
            "starterPrompts",
            "tagline",
            "templateId",
            "updatedAt",
            "visibility"
        ]
    );

    let members_own = list(&member).await;
    assert_eq!(members_own.len(), 1, "{members_own:?}");
    assert_eq!(members_own[0]["ownerId"], member_id.as_str());
    let members_agent = members_own[0]["id"].as_str().unwrap().to_string();
    assert_ne!(members_agent, personal["id"].as_str().unwrap());

    // Created with the account, not on first listing: the row exists for every account.
    assert_eq!(
        count(&server, "SELECT CAST(COUNT(*) AS TEXT) AS value FROM agents WHERE personal_owner IS NOT NULL"),
        3
    );
    // Listing again creates nothing more.
    list(&member).await;
    list(&member).await;
    assert_eq!(
        count(&server, "SELECT CAST(COUNT(*) AS TEXT) AS value FROM agents WHERE personal_owner IS NOT NULL"),
        3
    );

    let path = format!("/api/agents/{members_agent}");
    let (status, got) = member.send_json("GET", &path, Value::Null).await;
    assert_eq!((status, got["id"].clone()), (StatusCode::OK, json!(members_agent)), "{got}");
    // Not visible is exactly unknown, for admins too.
    let unknown = admin.send_json("GET", &format!("/api/agents/{UNKNOWN_ID}"), Value::Null).await;
    assert_error(&unknown, 404, "agent_not_found");
    for outsider in [&admin, &other] {
        let hidden = outsider.send_json("GET", &path, Value::Null).await;
        assert_eq!(
            without_request_id(&hidden),
            without_request_id(&unknown),
            "a hidden agent must look exactly like an unknown one"
        );
        let ids = ids(&list(outsider).await);
        assert!(!ids.contains(&members_agent), "{ids:?}");
        let (status, _) = outsider.send_json("PATCH", &path, json!({"name": "Mine now"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = admin.send_json("DELETE", &path, Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an admin cannot reach another user's personal agent");
    assert_error(&server.browser().send_json("GET", "/api/agents", Value::Null).await, 401, "not_authenticated");
    assert_error(&server.browser().send_json("GET", &path, Value::Null).await, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_agents_are_visible_to_everyone_until_deleted() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let (_, other) = server.create_member(&admin, "o@example.com").await;
    let shared = create(&admin, "HR Policy Assistant", "knowledge-base").await;
    let id = shared["id"].as_str().unwrap().to_string();
    let path = format!("/api/agents/{id}");

    for who in [&admin, &member, &other] {
        let agents = list(who).await;
        assert_eq!(agents.len(), 2, "own personal + the shared one: {agents:?}");
        assert!(ids(&agents).contains(&id));
        let (status, got) = who.send_json("GET", &path, Value::Null).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, shared, "every viewer sees the same agent");
    }

    let (status, body) = admin.send_json("DELETE", &path, Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    for who in [&admin, &member, &other] {
        assert!(!ids(&list(who).await).contains(&id), "deleted agents are listed for nobody");
        assert_error(&who.send_json("GET", &path, Value::Null).await, 404, "agent_not_found");
    }
    assert_error(&admin.send_json("DELETE", &path, Value::Null).await, 404, "agent_not_found");
    assert_error(&admin.send_json("PATCH", &path, json!({"name": "Back"})).await, 404, "agent_not_found");
    // Soft deletion: the row stays for the record.
    let kept = query_text(
        server.database(),
        &format!("SELECT name AS value FROM agents WHERE id = '{id}' AND deleted_at IS NOT NULL"),
    );
    assert_eq!(kept, ["HR Policy Assistant"]);
    // Ids that are not UUIDs are refused as such, as for users.
    assert_error(&admin.send_json("GET", "/api/agents/not-a-uuid", Value::Null).await, 400, "invalid_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_create_agents_from_templates_and_bad_requests_change_nothing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let admin_id = me(&admin).await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;

    let kb = create(&admin, "  HR Policy Assistant  ", "knowledge-base").await;
    assert_eq!(kb["name"], "HR Policy Assistant", "trimmed: {kb}");
    assert_eq!(kb["templateId"], "knowledge-base");
    assert_eq!(kb["allowedTools"], json!(["pinchy_ls", "pinchy_read"]), "the template's tools: {kb}");
    assert_eq!(kb["pluginConfig"], json!({"allowed_paths": []}));
    assert_eq!(kb["isPersonal"], false);
    assert_eq!(kb["ownerId"], admin_id.as_str());
    assert!(kb["greeting"].as_str().is_some_and(|g| !g.is_empty()), "{kb}");
    assert!(kb["instructions"].as_str().is_some_and(|i| i.contains("pinchy_read")), "{kb}");
    assert_eq!(kb["createdAt"], kb["updatedAt"]);
    let custom = create(&admin, &"x".repeat(30), "custom").await;
    assert_eq!(custom["allowedTools"], json!([]), "{custom}");

    let before = list(&admin).await;
    let refusals = [
        (json!({"name": "", "templateId": "custom"}), "invalid_input"),
        (json!({"name": "   ", "templateId": "custom"}), "invalid_input"),
        (json!({"name": "x".repeat(31), "templateId": "custom"}), "invalid_input"),
        (json!({"name": "Bot", "templateId": "shell"}), "invalid_input"),
        (json!({"templateId": "custom"}), "invalid_input"),
        (json!({"name": "Bot"}), "invalid_input"),
        (json!({"name": 5, "templateId": "custom"}), "invalid_input"),
        (json!({"name": "Bot", "templateId": "custom", "isPersonal": true}), "invalid_input"),
        (json!({"name": "Bot", "templateId": "custom", "model": "no-slash"}), "invalid_input"),
        (json!({"name": "Bot", "templateId": "custom", "model": "anthropic/claude-haiku-4-5"}), "invalid_input"),
        (json!({"name": "Bot", "templateId": "custom", "starterPrompts": vec!["q"; 7]}), "invalid_input"),
    ];
    for (body, code) in refusals {
        assert_error(&admin.send_json("POST", "/api/agents", body.clone()).await, 400, code);
    }
    let res = admin
        .client()
        .post(admin.url("/api/agents"))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(
        &member.send_json("POST", "/api/agents", json!({"name": "Mine", "templateId": "custom"})).await,
        403,
        "admin_required",
    );
    assert_error(
        &server.browser().send_json("POST", "/api/agents", json!({"name": "Anon", "templateId": "custom"})).await,
        401,
        "not_authenticated",
    );
    assert_eq!(list(&admin).await, before, "refused creations change nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_change_permissions_and_never_those_of_personal_agents() {
    let docs = tempfile::tempdir().unwrap();
    let root = docs.path().to_str().unwrap().to_string();
    let server = TestServer::builder().env("PINCER_DOCUMENTS_DIR", &root).start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let shared = create(&admin, "HR", "knowledge-base").await;
    let shared_path = format!("/api/agents/{}", shared["id"].as_str().unwrap());
    let members_own = list(&member).await.into_iter().find(|a| a["isPersonal"] == true).unwrap();
    let members_path = format!("/api/agents/{}", members_own["id"].as_str().unwrap());
    let admins_own = list(&admin).await.into_iter().find(|a| a["isPersonal"] == true).unwrap();
    let admins_path = format!("/api/agents/{}", admins_own["id"].as_str().unwrap());

    // Members: no permission changes anywhere, no changes to shared agents at all.
    for body in
        [json!({"allowedTools": ["pinchy_ls"]}), json!({"pluginConfig": {"allowed_paths": [format!("{root}/hr")]}})]
    {
        assert_error(&member.send_json("PATCH", &shared_path, body.clone()).await, 403, "admin_required");
        assert_error(&member.send_json("PATCH", &members_path, body).await, 403, "admin_required");
    }
    assert_error(&member.send_json("PATCH", &shared_path, json!({"name": "Renamed"})).await, 403, "admin_required");
    assert_error(&member.send_json("DELETE", &shared_path, Value::Null).await, 403, "admin_required");
    // ... but their own personal agent's name, greeting and prompts are theirs.
    let (status, renamed) = member
        .send_json("PATCH", &members_path, json!({"name": "Jeeves", "starterPrompts": ["What is on today?"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (renamed["name"].clone(), renamed["starterPrompts"].clone()),
        (json!("Jeeves"), json!(["What is on today?"]))
    );
    assert_eq!(renamed["allowedTools"], json!([]));

    // Admins: personal agents keep their permissions and cannot be deleted.
    assert_error(
        &admin.send_json("PATCH", &admins_path, json!({"allowedTools": ["pinchy_ls"]})).await,
        400,
        "personal_agent",
    );
    assert_error(
        &admin
            .send_json("PATCH", &admins_path, json!({"pluginConfig": {"allowed_paths": [format!("{root}/hr")]}}))
            .await,
        400,
        "personal_agent",
    );
    assert_error(&admin.send_json("DELETE", &admins_path, Value::Null).await, 400, "personal_agent");
    assert_eq!(list(&admin).await.iter().filter(|a| a["isPersonal"] == true).count(), 1);

    // Grants outside the documents root, with traversal, hidden or relative, or unknown tools.
    let unchanged = admin.send_json("GET", &shared_path, Value::Null).await.1;
    for bad in [
        json!({"pluginConfig": {"allowed_paths": ["/etc"]}}),
        json!({"pluginConfig": {"allowed_paths": [format!("{root}/hr/../../etc")]}}),
        json!({"pluginConfig": {"allowed_paths": [format!("{root}/../x")]}}),
        json!({"pluginConfig": {"allowed_paths": [format!("{root}/.git")]}}),
        json!({"pluginConfig": {"allowed_paths": ["hr"]}}),
        json!({"pluginConfig": {"allowed_paths": [root.clone()]}}),
        json!({"pluginConfig": {"allowed_paths": [format!("{root}2/hr")]}}),
        json!({"pluginConfig": {"allowed_paths": [format!("{root}/hr")], "extra": true}}),
        json!({"allowedTools": ["shell_exec"]}),
        json!({"allowedTools": "pinchy_ls"}),
        json!({"allowedTools": ["pinchy_ls"], "pluginConfig": {"allowed_paths": ["/etc/passwd"]}}),
    ] {
        assert_error(&admin.send_json("PATCH", &shared_path, bad).await, 400, "invalid_input");
    }
    assert_eq!(admin.send_json("GET", &shared_path, Value::Null).await.1, unchanged, "refusals change nothing");

    let (status, granted) = admin
        .send_json(
            "PATCH",
            &shared_path,
            json!({"allowedTools": ["pinchy_ls", "pinchy_ls"], "pluginConfig": {"allowed_paths": [format!("{root}//hr/./2025/"), format!("{root}/legal")]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    assert_eq!(granted["allowedTools"], json!(["pinchy_ls"]), "deduplicated: {granted}");
    assert_eq!(
        granted["pluginConfig"],
        json!({"allowed_paths": [format!("{root}/hr/2025"), format!("{root}/legal")]}),
        "normalised"
    );
    assert_ne!(granted["updatedAt"], unchanged["updatedAt"]);
    assert_eq!(member.send_json("GET", &shared_path, Value::Null).await.1, granted, "members see the new grant");
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_changes_are_audited() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = create(&admin, "Helper", "custom").await;
    let id = agent["id"].as_str().unwrap();
    let path = format!("/api/agents/{id}");
    admin.send_json("PATCH", &path, json!({"allowedTools": ["pinchy_read"], "tagline": "Helps"})).await;
    admin.send_json("DELETE", &path, Value::Null).await;

    let resource = format!("agent:{id}");
    for (event, detail_check) in [
        ("agent.created", json!({"name": "Helper", "templateId": "custom"})),
        ("agent.updated", json!({"allowedTools": ["pinchy_read"]})),
        ("agent.deleted", json!({"name": "Helper"})),
    ] {
        let (status, page) = admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let entry = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"] == resource.as_str())
            .unwrap_or_else(|| panic!("no {event} for {resource}: {page}"));
        for (key, value) in detail_check.as_object().unwrap() {
            assert_eq!(&entry["detail"][key], value, "{event}: {entry}");
        }
        assert_eq!(entry["outcome"], "success");
    }
    let (_, updated) = admin.send_json("GET", "/api/audit?eventType=agent.updated", Value::Null).await;
    assert_eq!(updated["entries"][0]["detail"]["fields"], json!(["allowedTools", "tagline"]), "{updated}");
    // The personal agent of the admin was recorded too, as the system's doing.
    let (_, created) = admin.send_json("GET", "/api/audit?eventType=agent.created", Value::Null).await;
    assert_eq!(created["total"], 2, "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn templates_list_their_tools_and_greetings() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let (status, body) = member.send_json("GET", "/api/templates", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let templates = body["templates"].as_array().unwrap();
    let ids: Vec<&str> = templates.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["knowledge-base", "custom"]);
    assert_eq!(templates[0]["name"], "Knowledge Base");
    assert_eq!(templates[0]["description"], "Answer questions from your docs");
    assert_eq!(templates[0]["defaultTools"], json!(["pinchy_ls", "pinchy_read"]));
    assert_eq!(templates[1]["defaultTools"], json!([]));
    assert!(templates.iter().all(|t| t["greeting"].is_string() && t["instructions"].is_string()));
    assert_error(&server.browser().send_json("GET", "/api/templates", Value::Null).await, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_directories_list_visible_folders_of_the_documents_root() {
    let docs = tempfile::tempdir().unwrap();
    let root = docs.path().to_str().unwrap().to_string();
    for dir in ["hr-policies", "engineering-docs", ".git", ".hidden"] {
        std::fs::create_dir(docs.path().join(dir)).unwrap();
    }
    std::fs::write(docs.path().join("notes.txt"), "not a folder").unwrap();
    let server = TestServer::builder().env("PINCER_DOCUMENTS_DIR", &root).start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;

    let (status, body) = admin.send_json("GET", "/api/data-directories", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"directories": [
            {"path": format!("{root}/engineering-docs"), "name": "engineering-docs"},
            {"path": format!("{root}/hr-policies"), "name": "hr-policies"},
        ]})
    );
    assert_error(&member.send_json("GET", "/api/data-directories", Value::Null).await, 403, "admin_required");

    let missing = TestServer::builder().env("PINCER_DOCUMENTS_DIR", &format!("{root}/does-not-exist")).start().await;
    let admin = missing.setup_admin().await;
    let (status, body) = admin.send_json("GET", "/api/data-directories", Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"directories": []})));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organisation_context_is_admin_markdown_of_bounded_length() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let (status, body) = admin.send_json("GET", "/api/settings/context", Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"content": ""})));

    let markdown = "# Acme\n\nWe sell *anvils*. Ünïcödé counts as one character each.";
    let (status, body) = admin.send_json("PUT", "/api/settings/context", json!({"content": markdown})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(admin.send_json("GET", "/api/settings/context", Value::Null).await.1, json!({"content": markdown}));

    let longest = "é".repeat(16_000);
    let (status, _) = admin.send_json("PUT", "/api/settings/context", json!({"content": longest})).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &admin.send_json("PUT", "/api/settings/context", json!({"content": "é".repeat(16_001)})).await,
        400,
        "invalid_input",
    );
    assert_error(&admin.send_json("PUT", "/api/settings/context", json!({"content": 42})).await, 400, "invalid_input");
    assert_error(&admin.send_json("PUT", "/api/settings/context", json!({})).await, 400, "invalid_input");
    assert_eq!(
        admin.send_json("GET", "/api/settings/context", Value::Null).await.1["content"],
        longest,
        "refusals keep the last value"
    );

    assert_error(&member.send_json("GET", "/api/settings/context", Value::Null).await, 403, "admin_required");
    assert_error(
        &member.send_json("PUT", "/api/settings/context", json!({"content": "x"})).await,
        403,
        "admin_required",
    );
    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=settings.updated", Value::Null).await;
    assert_eq!(audit["total"], 2, "two successful writes: {audit}");
    assert_eq!(audit["entries"][0]["resource"], "setting:org_context");
}

/// Found by the API fuzzer: a name whose seventh byte falls inside a character made the audit
/// redactor panic and the connection drop. Any text is a name like any other.
#[tokio::test(flavor = "multi_thread")]
async fn names_in_any_script_are_created_and_audited() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    for name in ["¦A*\u{464b9}\u{964bd}\u{ceb3c}\u{ad}à", "Résumé Helper 🙂", "人事政策アシスタント"] {
        let agent = create(&admin, name, "knowledge-base").await;
        assert_eq!(agent["name"], name);
    }
    let (_, log) = admin.send_json("GET", "/api/audit?eventType=agent.created", Value::Null).await;
    assert!(log["total"].as_i64().unwrap() >= 3, "{log}");
}
