//! A folder under the documents root that is a symlink to elsewhere cannot be granted: the
//! agent would read that elsewhere (security review M8). The file tools check it again at every
//! call (crates/connectors/tests/it/confinement.rs), for a folder that changes after the grant.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_that_leads_outside_the_documents_root_is_not_grantable() {
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    std::fs::create_dir(root.join("hr")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("etc-link")).unwrap();
    let server = TestServer::builder().env("PINCER_DOCUMENTS_DIR", root.to_str().unwrap()).start().await;
    let admin = server.setup_admin().await;
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "HR", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());
    let grant = |folder: &str| json!({"pluginConfig": {"allowed_paths": [root.join(folder).to_str().unwrap()]}});

    let refused = admin.send_json("PATCH", &path, grant("etc-link")).await;
    assert_error(&refused, 400, "invalid_input");
    assert!(refused.1["error"].as_str().unwrap().contains("outside the documents root"), "{}", refused.1);
    let (_, unchanged) = admin.send_json("GET", &path, Value::Null).await;
    assert_eq!(unchanged["pluginConfig"]["allowed_paths"], json!([]));

    let (status, granted) = admin.send_json("PATCH", &path, grant("hr")).await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    assert_eq!(granted["pluginConfig"]["allowed_paths"], json!([root.join("hr").to_str().unwrap()]));
}
