//! [`WebhookStore`] on [`Database`]: webhook slots and the requests their deliveries started.
//! A slot's requests go with it (`ON DELETE CASCADE`); a delivery id is unique per slot.

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_channels::webhooks::{
    RequestOutcome, RequestState, SignatureMode, WebhookRequest, WebhookSlot, WebhookStore,
};
use pincer_core::{ChatId, StoreError, Timestamp, WebhookId, WebhookRequestId};

use crate::Database;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{webhook_requests, webhook_slots};

type SlotRow = (String, String, String, String, i64, String, String, String, String, i64, i64);

fn slot_columns() -> (
    webhook_slots::id,
    webhook_slots::name,
    webhook_slots::agent_id,
    webhook_slots::description,
    webhook_slots::sync_timeout_secs,
    webhook_slots::signature,
    webhook_slots::secret_sealed,
    webhook_slots::secret_hint,
    webhook_slots::owner_id,
    webhook_slots::created_at,
    webhook_slots::updated_at,
) {
    (
        webhook_slots::id,
        webhook_slots::name,
        webhook_slots::agent_id,
        webhook_slots::description,
        webhook_slots::sync_timeout_secs,
        webhook_slots::signature,
        webhook_slots::secret_sealed,
        webhook_slots::secret_hint,
        webhook_slots::owner_id,
        webhook_slots::created_at,
        webhook_slots::updated_at,
    )
}

fn slot(row: SlotRow) -> Result<WebhookSlot, DbError> {
    let (slot_id, name, agent_id, description, timeout, signature, secret_sealed, secret_hint, owner, created, updated) =
        row;
    Ok(WebhookSlot {
        id: id(&slot_id, "webhook_slots.id")?,
        name,
        agent_id: id(&agent_id, "webhook_slots.agent_id")?,
        description,
        sync_timeout_secs: u32::try_from(timeout).map_err(|_| DbError::Corrupt("webhook_slots.sync_timeout_secs"))?,
        signature: SignatureMode::parse(&signature).ok_or(DbError::Corrupt("webhook_slots.signature"))?,
        secret_sealed,
        secret_hint,
        owner: id(&owner, "webhook_slots.owner_id")?,
        created_at: Timestamp(created),
        updated_at: Timestamp(updated),
    })
}

type RequestRow =
    (String, String, Option<String>, String, Option<String>, Option<String>, Option<String>, i64, Option<i64>);

fn request_columns() -> (
    webhook_requests::id,
    webhook_requests::slot_id,
    webhook_requests::delivery_id,
    webhook_requests::state,
    webhook_requests::answer,
    webhook_requests::error,
    webhook_requests::session_id,
    webhook_requests::created_at,
    webhook_requests::finished_at,
) {
    (
        webhook_requests::id,
        webhook_requests::slot_id,
        webhook_requests::delivery_id,
        webhook_requests::state,
        webhook_requests::answer,
        webhook_requests::error,
        webhook_requests::session_id,
        webhook_requests::created_at,
        webhook_requests::finished_at,
    )
}

fn request(row: RequestRow) -> Result<WebhookRequest, DbError> {
    let (request_id, slot_id, delivery_id, state, answer, error, session, created, finished) = row;
    Ok(WebhookRequest {
        id: id(&request_id, "webhook_requests.id")?,
        slot_id: id(&slot_id, "webhook_requests.slot_id")?,
        delivery_id,
        state: RequestState::parse(&state).ok_or(DbError::Corrupt("webhook_requests.state"))?,
        answer,
        error,
        session_id: session.as_deref().map(|s| id::<ChatId>(s, "webhook_requests.session_id")).transpose()?,
        created_at: Timestamp(created),
        finished_at: finished.map(Timestamp),
    })
}

#[async_trait]
impl WebhookStore for Database {
    async fn insert_slot(&self, s: &WebhookSlot) -> Result<(), StoreError> {
        let s = s.clone();
        self.run_write("webhook_slots.insert", move |conn| {
            diesel::insert_into(webhook_slots::table)
                .values((
                    webhook_slots::id.eq(s.id.to_string()),
                    webhook_slots::name.eq(&s.name),
                    webhook_slots::agent_id.eq(s.agent_id.to_string()),
                    webhook_slots::description.eq(&s.description),
                    webhook_slots::sync_timeout_secs.eq(i64::from(s.sync_timeout_secs)),
                    webhook_slots::signature.eq(s.signature.as_str()),
                    webhook_slots::secret_sealed.eq(&s.secret_sealed),
                    webhook_slots::secret_hint.eq(&s.secret_hint),
                    webhook_slots::owner_id.eq(s.owner.to_string()),
                    webhook_slots::created_at.eq(s.created_at.millis()),
                    webhook_slots::updated_at.eq(s.updated_at.millis()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn slots(&self) -> Result<Vec<WebhookSlot>, StoreError> {
        self.run("webhook_slots.list", |conn| {
            let rows: Vec<SlotRow> =
                webhook_slots::table.order(webhook_slots::name).select(slot_columns()).load(conn)?;
            rows.into_iter().map(slot).collect()
        })
        .await
    }

    async fn slot_by_name(&self, name: &str) -> Result<Option<WebhookSlot>, StoreError> {
        let name = name.to_string();
        self.run("webhook_slots.by_name", move |conn| {
            let row: Option<SlotRow> = webhook_slots::table
                .filter(webhook_slots::name.eq(&name))
                .select(slot_columns())
                .first(conn)
                .optional()?;
            row.map(slot).transpose()
        })
        .await
    }

    async fn delete_slot(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_string();
        self.run_write("webhook_slots.delete", move |conn| {
            Ok(diesel::delete(webhook_slots::table.filter(webhook_slots::name.eq(&name))).execute(conn)? > 0)
        })
        .await
    }

    async fn set_slot_secret(
        &self,
        slot_id: WebhookId,
        sealed: &str,
        hint: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (slot_id, sealed, hint) = (slot_id.to_string(), sealed.to_string(), hint.to_string());
        self.run_write("webhook_slots.set_secret", move |conn| {
            let updated = diesel::update(webhook_slots::table.find(&slot_id))
                .set((
                    webhook_slots::secret_sealed.eq(&sealed),
                    webhook_slots::secret_hint.eq(&hint),
                    webhook_slots::updated_at.eq(now.millis()),
                ))
                .execute(conn)?;
            Ok(updated > 0)
        })
        .await
    }

    async fn insert_request(&self, r: &WebhookRequest) -> Result<(), StoreError> {
        let r = r.clone();
        self.run_write("webhook_requests.insert", move |conn| {
            diesel::insert_into(webhook_requests::table)
                .values((
                    webhook_requests::id.eq(r.id.to_string()),
                    webhook_requests::slot_id.eq(r.slot_id.to_string()),
                    webhook_requests::delivery_id.eq(&r.delivery_id),
                    webhook_requests::state.eq(r.state.as_str()),
                    webhook_requests::answer.eq(&r.answer),
                    webhook_requests::error.eq(&r.error),
                    webhook_requests::session_id.eq(r.session_id.map(|s| s.to_string())),
                    webhook_requests::created_at.eq(r.created_at.millis()),
                    webhook_requests::finished_at.eq(r.finished_at.map(Timestamp::millis)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn request_by_delivery(
        &self,
        slot_id: WebhookId,
        delivery_id: &str,
    ) -> Result<Option<WebhookRequest>, StoreError> {
        let (slot_id, delivery_id) = (slot_id.to_string(), delivery_id.to_string());
        self.run("webhook_requests.by_delivery", move |conn| {
            let row: Option<RequestRow> = webhook_requests::table
                .filter(webhook_requests::slot_id.eq(&slot_id))
                .filter(webhook_requests::delivery_id.eq(&delivery_id))
                .select(request_columns())
                .first(conn)
                .optional()?;
            row.map(request).transpose()
        })
        .await
    }

    async fn request(&self, request_id: WebhookRequestId) -> Result<Option<WebhookRequest>, StoreError> {
        let request_id = request_id.to_string();
        self.run("webhook_requests.get", move |conn| {
            let row: Option<RequestRow> =
                webhook_requests::table.find(&request_id).select(request_columns()).first(conn).optional()?;
            row.map(request).transpose()
        })
        .await
    }

    async fn set_request_session(&self, request_id: WebhookRequestId, session: ChatId) -> Result<(), StoreError> {
        let (request_id, session) = (request_id.to_string(), session.to_string());
        self.run_write("webhook_requests.set_session", move |conn| {
            diesel::update(webhook_requests::table.find(&request_id))
                .set(webhook_requests::session_id.eq(&session))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn finish_request(&self, request_id: WebhookRequestId, o: &RequestOutcome) -> Result<(), StoreError> {
        let (request_id, o) = (request_id.to_string(), o.clone());
        self.run_write("webhook_requests.finish", move |conn| {
            diesel::update(webhook_requests::table.find(&request_id))
                .set((
                    webhook_requests::state.eq(o.state.as_str()),
                    webhook_requests::answer.eq(&o.answer),
                    webhook_requests::error.eq(&o.error),
                    webhook_requests::finished_at.eq(o.finished_at.millis()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn recent_requests(&self, slot_id: WebhookId, limit: u32) -> Result<Vec<WebhookRequest>, StoreError> {
        let slot_id = slot_id.to_string();
        self.run("webhook_requests.recent", move |conn| {
            let rows: Vec<RequestRow> = webhook_requests::table
                .filter(webhook_requests::slot_id.eq(&slot_id))
                .order((webhook_requests::created_at.desc(), webhook_requests::id.desc()))
                .limit(i64::from(limit))
                .select(request_columns())
                .load(conn)?;
            rows.into_iter().map(request).collect()
        })
        .await
    }
}
