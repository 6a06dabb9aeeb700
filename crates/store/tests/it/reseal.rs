//! Moving the secrets at rest to a new key, on both backends: a value sealed in every place the
//! application seals one (secret settings, provider keys, channel credentials, webhook secrets)
//! opens with the new key afterwards and no longer with the old; plain settings are untouched;
//! a value the old key cannot open changes nothing.

use pincer_agents::{Provider, ProviderKind, ProviderStore};
use pincer_channels::webhooks::{SignatureMode, WebhookSlot, WebhookStore as _};
use pincer_channels::{Binding, ChannelStore as _, Target, Transport};
use pincer_core::crypto::Cipher;
use pincer_core::{ChannelBindingId, WebhookId};
use pincer_identity::{Setting, SettingStore};
use pincer_store::{Database, Resealed};

use crate::conversations::{insert_agent, insert_user};
use crate::support::{NOW, each_backend};

const OLD: [u8; 32] = [1; 32];
const NEW: [u8; 32] = [2; 32];

/// Seals one value in each place with `key`; returns (sealed value, context) of each.
async fn seal_everywhere(db: &Database, key: &[u8; 32]) -> Vec<(&'static str, String)> {
    let cipher = Cipher::new(key);
    let owner = insert_user(db, "admin@example.com").await.id;
    let agent = insert_agent(db, "Helper").await;

    let setting = Setting {
        key: "telegram_bot_token".into(),
        value: cipher.seal(b"123:bot-token", "telegram_bot_token"),
        encrypted: true,
        updated_at: NOW,
    };
    SettingStore::upsert(db, &setting).await.unwrap();
    let plain = Setting { key: "org.name".into(), value: "Acme".into(), encrypted: false, updated_at: NOW };
    SettingStore::upsert(db, &plain).await.unwrap();

    let provider = Provider {
        name: "openai".into(),
        kind: ProviderKind::Openai,
        sealed_api_key: Some(cipher.seal(b"sk-live", &Provider::seal_context("openai"))),
        key_hint: "live".into(),
        base_url: None,
        default_model: None,
        is_default: true,
        created_at: NOW,
        updated_at: NOW,
    };
    ProviderStore::upsert(db, &provider).await.unwrap();
    let keyless = Provider {
        name: "ollama-local".into(),
        kind: ProviderKind::OllamaLocal,
        sealed_api_key: None,
        is_default: false,
        ..provider.clone()
    };
    ProviderStore::upsert(db, &keyless).await.unwrap();

    let binding_id = ChannelBindingId::new();
    let binding = Binding {
        id: binding_id,
        transport: Transport::Telegram,
        target: Target::Agent(agent),
        account_id: "42".into(),
        account_name: "helper_bot".into(),
        secret_sealed: cipher.seal(b"42:token", &Binding::seal_context(binding_id)),
        secret_hint: "oken".into(),
        secret_digest: "digest".into(),
        enabled: true,
        cursor: 0,
        last_error: None,
        last_error_at: None,
        created_by: owner,
        created_at: NOW,
        updated_at: NOW,
    };
    db.put_binding(&binding).await.unwrap();

    let slot_id = WebhookId::new();
    let slot = WebhookSlot {
        id: slot_id,
        name: "ci".into(),
        agent_id: agent,
        description: String::new(),
        sync_timeout_secs: 30,
        signature: SignatureMode::Body,
        secret_sealed: cipher.seal(b"whsec", &WebhookSlot::seal_context(slot_id)),
        secret_hint: "hsec".into(),
        owner,
        created_at: NOW,
        updated_at: NOW,
    };
    db.insert_slot(&slot).await.unwrap();
    vec![
        ("setting", "telegram_bot_token".into()),
        ("provider", "openai".into()),
        ("binding", binding_id.to_string()),
        ("webhook", slot_id.to_string()),
    ]
}

/// Each place's sealed value as stored now, with the context it is sealed under.
async fn sealed_values(db: &Database, places: &[(&'static str, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (place, row) in places {
        out.push(match *place {
            "setting" => (SettingStore::get(db, row).await.unwrap().unwrap().value, row.clone()),
            "provider" => (
                ProviderStore::get(db, row).await.unwrap().unwrap().sealed_api_key.unwrap(),
                Provider::seal_context(row),
            ),
            "binding" => {
                let id: ChannelBindingId = row.parse().unwrap();
                (db.binding(id).await.unwrap().unwrap().secret_sealed, Binding::seal_context(id))
            }
            _ => {
                let slot = db.slot_by_name("ci").await.unwrap().unwrap();
                assert_eq!(slot.id.to_string(), *row);
                (slot.secret_sealed, WebhookSlot::seal_context(slot.id))
            }
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sealed_value_moves_to_the_new_key_or_none_does() {
    each_backend(|db| async move {
        let places = seal_everywhere(&db, &OLD).await;
        assert!(db.sealed_with(Cipher::new(&OLD)).await.unwrap());
        assert!(!db.sealed_with(Cipher::new(&NEW)).await.unwrap());

        // A key that opens nothing: refused, and nothing changed.
        let before = sealed_values(&db, &places).await;
        let refused = db.reseal_secrets(Cipher::new(&[9; 32]), Cipher::new(&NEW)).await.unwrap_err();
        assert!(refused.contains("does not open") && refused.contains("nothing was changed"), "{refused}");
        assert_eq!(sealed_values(&db, &places).await, before);

        let moved = db.reseal_secrets(Cipher::new(&OLD), Cipher::new(&NEW)).await.unwrap();
        assert_eq!(moved, Resealed { settings: 1, providers: 1, channel_bindings: 1, webhooks: 1 });
        let (old, new) = (Cipher::new(&OLD), Cipher::new(&NEW));
        let plains: [&[u8]; 4] = [b"123:bot-token", b"sk-live", b"42:token", b"whsec"];
        for ((sealed, context), plain) in sealed_values(&db, &places).await.iter().zip(plains) {
            assert_eq!(new.open(sealed, context).unwrap(), plain, "{context}");
            assert!(old.open(sealed, context).is_err(), "{context} still opens with the old key");
        }
        assert_eq!(
            SettingStore::get(&db, "org.name").await.unwrap().unwrap().value,
            "Acme",
            "plain settings untouched"
        );
        assert!(db.sealed_with(Cipher::new(&NEW)).await.unwrap());
    })
    .await;
}
