//! [`SettingStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::StoreError;
use pincer_identity::{Setting, SettingStore};

use crate::Database;
use crate::backend;
use crate::rows::SettingRow;
use crate::schema::settings;

#[async_trait]
impl SettingStore for Database {
    async fn list(&self) -> Result<Vec<Setting>, StoreError> {
        self.run("settings.list", |conn| {
            let rows: Vec<SettingRow> =
                settings::table.order(settings::key.asc()).select(SettingRow::as_select()).load(conn)?;
            Ok(rows.into_iter().map(Setting::from).collect())
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Setting>, StoreError> {
        let key = key.to_string();
        self.run("settings.get", move |conn| {
            let row: Option<SettingRow> =
                settings::table.find(&key).select(SettingRow::as_select()).first(conn).optional()?;
            Ok(row.map(Setting::from))
        })
        .await
    }

    async fn upsert(&self, setting: &Setting) -> Result<(), StoreError> {
        let row = SettingRow::from(setting);
        self.run_write("settings.upsert", move |conn| {
            backend::upsert_setting(conn, &row)?;
            Ok(())
        })
        .await
    }
}
