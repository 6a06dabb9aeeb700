//! Opening, migrating, reverting and pinging.

use pincer_core::StoreError;
use pincer_identity::UserStore;
use pincer_store::{Backend, Database, OpenError};
use pincer_testkit::TestDatabase;

/// The versions of the embedded migrations, read from the folder names (identical for both
/// backends): `2026-11-22-000001_identity` is version `20261122000001`.
fn expected_versions() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.split('_').next().unwrap().replace('-', "")
        })
        .collect();
    versions.sort();
    versions
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_revert_migrate() {
    let expected = expected_versions();
    assert_eq!(expected[0], "20261122000001");
    for fresh in TestDatabase::all() {
        let db = Database::open(fresh.url()).await.unwrap();
        println!("backend: {:?}", db.backend());
        assert_eq!(db.revert_last().await.unwrap(), None, "nothing applied yet");

        let applied = db.migrate().await.unwrap();
        assert_eq!(applied, expected);
        assert_eq!(db.migrate().await.unwrap(), Vec::<String>::new(), "already up to date");
        assert!(!db.any_admin().await.unwrap());

        // Newest first, one at a time, down to nothing.
        for version in applied.iter().rev() {
            assert_eq!(db.revert_last().await.unwrap().as_ref(), Some(version));
        }
        assert_eq!(db.revert_last().await.unwrap(), None);
        // The tables are gone: the store reports the failure without detail.
        assert_eq!(db.any_admin().await, Err(StoreError::Unavailable));

        assert_eq!(db.migrate().await.unwrap(), applied);
        assert!(!db.any_admin().await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrations_apply_once() {
    for fresh in TestDatabase::all() {
        let db = Database::open(fresh.url()).await.unwrap();
        let other = Database::open(fresh.url()).await.unwrap();
        println!("backend: {:?}", db.backend());
        let (a, b) = tokio::join!(db.migrate(), other.migrate());
        let mut all = a.unwrap();
        all.extend(b.unwrap());
        all.sort();
        assert_eq!(all, expected_versions());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_and_backend() {
    for fresh in TestDatabase::all() {
        let db = Database::open(fresh.url()).await.unwrap();
        db.ping().await.unwrap();
        let expected = if fresh.is_postgres() { Backend::Postgres } else { Backend::Sqlite };
        assert_eq!(db.backend(), expected);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_fails_fast_once_the_database_is_gone() {
    // PostgreSQL only: a SQLite file cannot be taken away from an open connection.
    let Some(admin_url) = pincer_testkit::db::postgres_or_skip("store::ping_fails_fast_once_the_database_is_gone")
    else {
        return;
    };
    let fresh = TestDatabase::postgres(&admin_url);
    let db = Database::open(fresh.url()).await.unwrap();
    db.ping().await.unwrap();
    // Dropping the test database terminates every connection to it.
    drop(fresh);
    let started = std::time::Instant::now();
    assert_eq!(db.ping().await, Err(StoreError::Unavailable));
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_postgres_fails_at_open_with_the_driver_reason() {
    let err = Database::open("postgres://pincer:hunter2@127.0.0.1:1/pincer").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, OpenError::Connect { .. }), "{err:?}");
    assert!(text.starts_with("could not connect to postgres://pincer:***@127.0.0.1:1/pincer: "), "{text}");
    assert!(text.contains("Connection refused"), "the driver's reason is kept: {text}");
    assert!(!text.contains("hunter2"), "no password: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_urls_are_refused_with_a_reason() {
    let err = Database::open("mysql://root:pw@localhost/db").await.unwrap_err();
    assert!(matches!(err, OpenError::InvalidUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("unsupported scheme"), "{err}");
    assert!(!err.to_string().contains(":pw@"), "{err}");
    assert!(matches!(Database::open("sqlite::memory:").await, Err(OpenError::InvalidUrl { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_in_a_missing_directory_fails_with_the_driver_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("pincer.db");
    let err = Database::open(&format!("sqlite://{}", path.display())).await.unwrap_err();
    assert!(matches!(err, OpenError::Connect { .. }), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("unable to open the database file"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_accepts_every_url_form_creates_the_file_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    for (i, url) in ["sqlite://{}", "sqlite:{}", "{}"].iter().enumerate() {
        let path = dir.path().join(format!("db{i}.sqlite"));
        assert!(!path.exists());
        let db = Database::open(&url.replace("{}", &path.display().to_string())).await.unwrap();
        assert_eq!(db.backend(), Backend::Sqlite);
        assert!(path.exists(), "{url} creates the file");
        db.migrate().await.unwrap();
        assert!(!db.any_admin().await.unwrap());
        // WAL mode keeps a write-ahead log next to the file.
        assert!(dir.path().join(format!("db{i}.sqlite-wal")).exists(), "{url} uses WAL");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_the_server_closed_are_replaced_before_the_next_call() {
    // PostgreSQL only: the server can terminate our connections; a SQLite file has no server.
    let Some(admin_url) =
        pincer_testkit::db::postgres_or_skip("store::connections_the_server_closed_are_replaced_before_the_next_call")
    else {
        return;
    };
    let fresh = TestDatabase::postgres(&admin_url);
    let db = Database::open(fresh.url()).await.unwrap();
    db.migrate().await.unwrap();
    // Calls rotate over the store's threads: enough of them open a connection on every thread.
    for result in many_concurrent_calls(&db).await {
        assert_eq!(result, Ok(false));
    }
    let name = fresh.url().rsplit('/').next().unwrap().to_string();
    let terminated = {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Terminated {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            done: bool,
        }
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        let rows: Vec<Terminated> = diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .load(&mut admin)
        .unwrap();
        rows.iter().filter(|r| r.done).count()
    };
    assert!(terminated >= 1, "the store held connections");
    // Once idle for a moment, a connection is checked before use: no call fails.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    for result in many_concurrent_calls(&db).await {
        assert_eq!(result, Ok(false), "{terminated} connections were terminated");
    }
}

async fn many_concurrent_calls(db: &Database) -> Vec<Result<bool, StoreError>> {
    let calls: Vec<_> = (0..48)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.any_admin().await })
        })
        .collect();
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.unwrap());
    }
    results
}

/// The build options the server checks at start: this workspace's build has them all (a build
/// without `.cargo/config.toml` would name the missing ones and the server would warn).
#[tokio::test(flavor = "multi_thread")]
async fn this_build_of_sqlite_has_the_options_the_store_relies_on() {
    crate::support::each_backend(|db| async move {
        assert_eq!(db.missing_sqlite_options().await.unwrap(), Vec::<&str>::new());
    })
    .await;
}
