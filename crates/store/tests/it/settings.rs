//! `SettingStore`: the upsert (backend-specific SQL) inserts and replaces.

use pincer_core::Timestamp;
use pincer_identity::{Setting, SettingStore};

use crate::support::{NOW, each_identity_store};

fn setting(key: &str, value: &str, encrypted: bool, updated_at: Timestamp) -> Setting {
    Setting { key: key.into(), value: value.into(), encrypted, updated_at }
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_store() {
    each_identity_store(|db| async move {
        assert_eq!(SettingStore::list(&*db).await.unwrap(), vec![]);
        assert_eq!(SettingStore::get(&*db, "org.name").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upsert_inserts_then_replaces() {
    each_identity_store(|db| async move {
        let name = setting("org.name", "Acme", false, NOW);
        let key = setting("provider.key", "sealed:v1:abc", true, NOW);
        db.upsert(&name).await.unwrap();
        db.upsert(&key).await.unwrap();
        assert_eq!(SettingStore::get(&*db, "org.name").await.unwrap(), Some(name));

        let renamed = setting("org.name", "Acme Inc", true, NOW.plus_millis(10));
        db.upsert(&renamed).await.unwrap();
        assert_eq!(SettingStore::get(&*db, "org.name").await.unwrap(), Some(renamed.clone()));
        // Ordered by key, one row per key.
        assert_eq!(SettingStore::list(&*db).await.unwrap(), vec![renamed, key]);
    })
    .await;
}
