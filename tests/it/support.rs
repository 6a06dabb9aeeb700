//! Small helpers shared by the black-box tests.

use diesel::connection::SimpleConnection as _;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use pincer_testkit::TestDatabase;
use serde_json::Value;

/// Asserts an error response: status and stable code.
#[track_caller]
pub fn assert_error(got: &(reqwest::StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "unexpected status, body: {}", got.1);
    assert_eq!(got.1["code"], code, "unexpected code, body: {}", got.1);
    assert!(got.1["error"].as_str().is_some_and(|m| !m.is_empty()), "error message missing: {}", got.1);
}

/// An answer without its `requestId` (unique per request): for comparing two refusals that
/// must look the same.
pub fn without_request_id(got: &(reqwest::StatusCode, Value)) -> (reqwest::StatusCode, Value) {
    let mut body = got.1.clone();
    if let Some(fields) = body.as_object_mut() {
        assert!(
            fields.remove("requestId").is_some_and(|id| id.is_string()),
            "an error carries its request id: {}",
            got.1
        );
    }
    (got.0, body)
}

#[derive(QueryableByName, Debug)]
pub struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub value: String,
}

/// Runs a query returning one text column named `value`, directly on the test database.
pub fn query_text(db: &TestDatabase, sql: &str) -> Vec<String> {
    let url = db.url();
    let rows: Vec<TextRow> = if db.is_postgres() {
        let mut conn = PgConnection::establish(url).expect("connect to postgres");
        diesel::sql_query(sql).load(&mut conn).expect("query")
    } else {
        let path = url.trim_start_matches("sqlite://");
        let mut conn = SqliteConnection::establish(path).expect("open sqlite");
        diesel::sql_query(sql).load(&mut conn).expect("query")
    };
    rows.into_iter().map(|r| r.value).collect()
}

/// Executes statements directly on the test database (to tamper with rows, for instance).
#[allow(dead_code)] // used by the audit tests
pub fn execute(db: &TestDatabase, sql: &str) {
    let url = db.url();
    if db.is_postgres() {
        PgConnection::establish(url).expect("connect to postgres").batch_execute(sql).expect("execute");
    } else {
        let path = url.trim_start_matches("sqlite://");
        SqliteConnection::establish(path).expect("open sqlite").batch_execute(sql).expect("execute");
    }
}

/// Executes one statement on a PostgreSQL server URL (e.g. the admin database).
pub fn execute_on(pg_url: &str, sql: &str) {
    PgConnection::establish(pg_url).expect("connect to postgres").batch_execute(sql).expect("execute");
}
