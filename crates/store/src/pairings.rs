//! `PairingStore` on both backends: a claim and a collection are each one conditional update in
//! a write transaction, so two claimants of one code (or two polls of one claim) have one winner.

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{PairingId, Rule, StoreError, Timestamp};
use pincer_identity::pairing::{Pairing, PairingStore};

use crate::Database;
use crate::backend;
use crate::error::DbError;
use crate::schema::pairings;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = pairings, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct PairingRow {
    id: String,
    code_hash: String,
    purpose: String,
    issued_for: String,
    created_at: i64,
    expires_at: i64,
    claimed_by: Option<String>,
    claimed_at: Option<i64>,
    collected_at: Option<i64>,
}

impl From<&Pairing> for PairingRow {
    fn from(p: &Pairing) -> Self {
        Self {
            id: p.id.to_string(),
            code_hash: p.code_hash.clone(),
            purpose: p.purpose.clone(),
            issued_for: p.issued_for.clone(),
            created_at: p.created_at.millis(),
            expires_at: p.expires_at.millis(),
            claimed_by: p.claimed_by.clone(),
            claimed_at: p.claimed_at.map(Timestamp::millis),
            collected_at: p.collected_at.map(Timestamp::millis),
        }
    }
}

impl TryFrom<PairingRow> for Pairing {
    type Error = DbError;

    fn try_from(r: PairingRow) -> Result<Self, DbError> {
        Ok(Pairing {
            id: r.id.parse().map_err(|_| DbError::Corrupt("pairings.id"))?,
            code_hash: r.code_hash,
            purpose: r.purpose,
            issued_for: r.issued_for,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            claimed_by: r.claimed_by,
            claimed_at: r.claimed_at.map(Timestamp),
            collected_at: r.collected_at.map(Timestamp),
        })
    }
}

fn load(conn: &mut crate::AnyConn, id: &str) -> Result<Option<Pairing>, DbError> {
    let row: Option<PairingRow> = pairings::table.find(id).select(PairingRow::as_select()).first(conn).optional()?;
    row.map(Pairing::try_from).transpose()
}

#[async_trait]
impl PairingStore for Database {
    async fn insert(&self, pairing: &Pairing) -> Result<(), StoreError> {
        let row = PairingRow::from(pairing);
        self.run_write("pairings.insert", move |conn| {
            diesel::insert_into(pairings::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn claim(&self, code_hash: &str, purpose: &str, by: &str, now: Timestamp) -> Result<Pairing, StoreError> {
        let (code_hash, purpose, by) = (code_hash.to_string(), purpose.to_string(), by.to_string());
        self.run_write("pairings.claim", move |conn| {
            backend::write(conn, None, |conn| {
                let open = pairings::table
                    .filter(pairings::code_hash.eq(&code_hash))
                    .filter(pairings::purpose.eq(&purpose))
                    .filter(pairings::claimed_by.is_null())
                    .filter(pairings::expires_at.gt(now.millis()));
                let id: Option<String> = open.select(pairings::id).first(conn).optional()?;
                let id = id.ok_or(DbError::Store(StoreError::Conflict(Rule::PairingUsed)))?;
                let claimed = diesel::update(pairings::table.find(&id).filter(pairings::claimed_by.is_null()))
                    .set((pairings::claimed_by.eq(&by), pairings::claimed_at.eq(now.millis())))
                    .execute(conn)?;
                if claimed == 0 {
                    return Err(DbError::Store(StoreError::Conflict(Rule::PairingUsed)));
                }
                load(conn, &id)?.ok_or(DbError::Store(StoreError::NotFound))
            })
        })
        .await
    }

    async fn get(&self, id: PairingId) -> Result<Option<Pairing>, StoreError> {
        let id = id.to_string();
        self.run("pairings.get", move |conn| load(conn, &id)).await
    }

    async fn collect(&self, id: PairingId, now: Timestamp) -> Result<Pairing, StoreError> {
        let id = id.to_string();
        self.run_write("pairings.collect", move |conn| {
            backend::write(conn, None, |conn| {
                let collected = diesel::update(
                    pairings::table
                        .find(&id)
                        .filter(pairings::claimed_by.is_not_null())
                        .filter(pairings::collected_at.is_null()),
                )
                .set(pairings::collected_at.eq(now.millis()))
                .execute(conn)?;
                if collected == 0 {
                    return Err(DbError::Store(StoreError::Conflict(Rule::PairingUsed)));
                }
                load(conn, &id)?.ok_or(DbError::Store(StoreError::NotFound))
            })
        })
        .await
    }
}
