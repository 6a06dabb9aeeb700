//! Moving every secret sealed at rest to a new encryption key (`pincer rotate-encryption-key`):
//! each value is opened with the old key and sealed with the new one under its own context (the
//! setting's key, `provider:<name>`, `channel-binding:<id>`, `webhook:<id>`), all in one write
//! transaction, so either every value moves or none does.
//!
//! The places are listed here once: a new kind of sealed column must be added to [`collect`], or
//! a rotation would leave it under a key that no longer exists (the store's rotation test seals a
//! value in each place and fails when one is missed).

use diesel::prelude::*;
use pincer_agents::Provider;
use pincer_channels::Binding;
use pincer_channels::webhooks::WebhookSlot;
use pincer_core::crypto::Cipher;
use pincer_core::{ChannelBindingId, WebhookId};

use crate::Database;
use crate::backend::{self, Guard};
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::schema::{channel_bindings, providers, settings, webhook_slots};

/// Where a sealed value is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Setting,
    Provider,
    ChannelBinding,
    Webhook,
}

/// One sealed value: its row, the context it is sealed under, the sealed text.
struct Sealed {
    place: Place,
    row: String,
    context: String,
    value: String,
}

/// How many sealed values moved to the new key, by where they are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    pub settings: usize,
    pub providers: usize,
    pub channel_bindings: usize,
    pub webhooks: usize,
}

impl Resealed {
    pub fn total(&self) -> usize {
        self.settings + self.providers + self.channel_bindings + self.webhooks
    }

    fn count(&mut self, place: Place) {
        match place {
            Place::Setting => self.settings += 1,
            Place::Provider => self.providers += 1,
            Place::ChannelBinding => self.channel_bindings += 1,
            Place::Webhook => self.webhooks += 1,
        }
    }
}

/// Every sealed value in the database.
fn collect(conn: &mut AnyConn) -> Result<Vec<Sealed>, DbError> {
    let mut found = Vec::new();
    let rows: Vec<(String, String)> =
        settings::table.filter(settings::encrypted).select((settings::key, settings::value)).load(conn)?;
    // A secret setting is sealed under its own key.
    found.extend(rows.into_iter().map(|(key, value)| Sealed {
        place: Place::Setting,
        context: key.clone(),
        row: key,
        value,
    }));
    let rows: Vec<(String, Option<String>)> =
        providers::table.select((providers::name, providers::sealed_api_key)).load(conn)?;
    found.extend(rows.into_iter().filter_map(|(name, value)| {
        Some(Sealed { place: Place::Provider, context: Provider::seal_context(&name), row: name, value: value? })
    }));
    let rows: Vec<(String, String)> =
        channel_bindings::table.select((channel_bindings::id, channel_bindings::secret_sealed)).load(conn)?;
    for (id, value) in rows {
        let parsed: ChannelBindingId = id.parse().map_err(|_| DbError::Corrupt("channel_bindings.id"))?;
        found.push(Sealed { place: Place::ChannelBinding, context: Binding::seal_context(parsed), row: id, value });
    }
    let rows: Vec<(String, String)> =
        webhook_slots::table.select((webhook_slots::id, webhook_slots::secret_sealed)).load(conn)?;
    for (id, value) in rows {
        let parsed: WebhookId = id.parse().map_err(|_| DbError::Corrupt("webhook_slots.id"))?;
        found.push(Sealed { place: Place::Webhook, context: WebhookSlot::seal_context(parsed), row: id, value });
    }
    Ok(found)
}

/// Writes `value` back where `sealed` came from.
fn put(conn: &mut AnyConn, sealed: &Sealed, value: &str) -> Result<(), DbError> {
    let row = sealed.row.as_str();
    let updated = match sealed.place {
        Place::Setting => diesel::update(settings::table.find(row)).set(settings::value.eq(value)).execute(conn)?,
        Place::Provider => {
            diesel::update(providers::table.find(row)).set(providers::sealed_api_key.eq(value)).execute(conn)?
        }
        Place::ChannelBinding => diesel::update(channel_bindings::table.find(row))
            .set(channel_bindings::secret_sealed.eq(value))
            .execute(conn)?,
        Place::Webhook => {
            diesel::update(webhook_slots::table.find(row)).set(webhook_slots::secret_sealed.eq(value)).execute(conn)?
        }
    };
    crate::error::expect_one(updated)
}

fn describe(sealed: &Sealed) -> String {
    match sealed.place {
        Place::Setting => format!("the setting {}", sealed.row),
        Place::Provider => format!("the API key of provider {}", sealed.row),
        Place::ChannelBinding => format!("the credential of channel binding {}", sealed.row),
        Place::Webhook => format!("the secret of webhook {}", sealed.row),
    }
}

impl Database {
    /// Opens every secret sealed at rest with `old` and seals it again with `new`, in one write
    /// transaction on a connection of its own. `Err` names the first value `old` cannot open
    /// (nothing is changed then), or the database's failure. For an installation no server is
    /// running on: a running one would go on sealing with the old key.
    pub async fn reseal_secrets(&self, old: Cipher, new: Cipher) -> Result<Resealed, String> {
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = target.connect().map_err(|e| e.0)?;
            let mut unreadable = None;
            let outcome = backend::write(&mut conn, Some(Guard::Providers), |conn| {
                let mut moved = Resealed::default();
                for sealed in collect(conn)? {
                    let Ok(plain) = old.open(&sealed.value, &sealed.context) else {
                        unreadable = Some(describe(&sealed));
                        return Err(DbError::Corrupt("sealed value"));
                    };
                    put(conn, &sealed, &new.seal(&plain, &sealed.context))?;
                    moved.count(sealed.place);
                }
                Ok(moved)
            });
            match (outcome, unreadable) {
                (Ok(moved), _) => Ok(moved),
                (Err(_), Some(what)) => Err(format!("{what} does not open with the current key; nothing was changed")),
                (Err(e), None) => Err(format!("cannot re-seal the secrets: {e:?}")),
            }
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Whether `cipher` opens the sealed values (the first one found; `true` when there is
    /// none): tells which key an interrupted rotation left the database under.
    pub async fn sealed_with(&self, cipher: Cipher) -> Result<bool, String> {
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = target.connect().map_err(|e| e.0)?;
            let all = collect(&mut conn).map_err(|e| format!("cannot read the sealed values: {e:?}"))?;
            Ok(all.first().is_none_or(|sealed| cipher.open(&sealed.value, &sealed.context).is_ok()))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
