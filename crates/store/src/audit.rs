//! [`AuditStore`] on [`Database`]: serialised appends to the hash chain, pseudonyms, and the
//! admin queries.

use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_audit::{
    AuditEntry, AuditFilter, AuditHead, AuditRow, AuditStore, ChainKey, PendingEntry, PseudonymMapping, Tally,
};
use pincer_core::{Clock, PageRequest, StoreError, SystemClock, Timestamp};

use crate::Database;
use crate::backend::{self, Guard};
use crate::conn::{AnyConn, on_backend};
use crate::schema::{audit_head, audit_log, audit_pseudonyms, users};

type Backend = <AnyConn as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct AuditLogRow {
    id: i64,
    version: i32,
    timestamp: i64,
    actor_type: String,
    actor_id: Option<String>,
    event_type: String,
    resource: Option<String>,
    detail: String,
    outcome: String,
    prev_hmac: String,
    row_hmac: String,
}

impl From<&AuditEntry> for AuditLogRow {
    fn from(e: &AuditEntry) -> Self {
        let p = &e.pending;
        Self {
            id: e.id,
            version: e.version,
            timestamp: p.timestamp.millis(),
            actor_type: p.actor_type.clone(),
            actor_id: p.actor_id.clone(),
            event_type: p.event_type.clone(),
            resource: p.resource.clone(),
            detail: p.detail.clone(),
            outcome: p.outcome.clone(),
            prev_hmac: e.prev_hmac.clone(),
            row_hmac: e.row_hmac.clone(),
        }
    }
}

impl From<AuditEntry> for AuditLogRow {
    fn from(e: AuditEntry) -> Self {
        let p = e.pending;
        Self {
            id: e.id,
            version: e.version,
            timestamp: p.timestamp.millis(),
            actor_type: p.actor_type,
            actor_id: p.actor_id,
            event_type: p.event_type,
            resource: p.resource,
            detail: p.detail,
            outcome: p.outcome,
            prev_hmac: e.prev_hmac,
            row_hmac: e.row_hmac,
        }
    }
}

impl From<AuditLogRow> for AuditEntry {
    fn from(r: AuditLogRow) -> Self {
        AuditEntry {
            id: r.id,
            version: r.version,
            pending: PendingEntry {
                timestamp: Timestamp(r.timestamp),
                actor_type: r.actor_type,
                actor_id: r.actor_id,
                event_type: r.event_type,
                resource: r.resource,
                detail: r.detail,
                outcome: r.outcome,
            },
            prev_hmac: r.prev_hmac,
            row_hmac: r.row_hmac,
        }
    }
}

/// The distinct event types, ascending, by hopping along the `(event_type, id)` index from one
/// type to the next: one index probe per type instead of a `DISTINCT` scan over every row, which
/// takes tens of milliseconds over a million rows. The same SQL runs on SQLite and PostgreSQL.
const DISTINCT_EVENT_TYPES: &str = "\
    WITH RECURSIVE types(event_type) AS ( \
        SELECT MIN(event_type) FROM audit_log \
        UNION ALL \
        SELECT (SELECT MIN(a.event_type) FROM audit_log a WHERE a.event_type > types.event_type) \
        FROM types WHERE types.event_type IS NOT NULL \
    ) \
    SELECT event_type FROM types WHERE event_type IS NOT NULL ORDER BY event_type";

/// Narrows a boxed query over `audit_log`, alone or joined, to the rows `filter` matches.
macro_rules! narrowed {
    ($query:expr, $filter:expr) => {{
        let filter: &AuditFilter = $filter;
        let mut q = $query;
        if let Some(t) = &filter.event_type {
            q = q.filter(audit_log::event_type.eq(t.clone()));
        }
        if let Some(a) = &filter.actor_id {
            q = q.filter(audit_log::actor_id.eq(a.clone()));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_log::timestamp.ge(from.millis()));
        }
        if let Some(to) = filter.to {
            q = q.filter(audit_log::timestamp.le(to.millis()));
        }
        q
    }};
}

/// The filtered log as a boxed query, for counting.
fn filtered(filter: &AuditFilter) -> audit_log::BoxedQuery<'static, Backend> {
    narrowed!(audit_log::table.into_boxed(), filter)
}

/// The filtered log with the user behind each `user` actor's pseudonym, as [`WithActor`] rows,
/// for pages and exports. Joined in the same statement rather than looked up after it: one
/// prepared statement per page, where a second query with one parameter per pseudonym had to be
/// parsed every time. Used inside `on_backend!`, so the boxed query is built for the backend's
/// own connection and its rows decoded without `AnyConn`'s per-value wrapper.
macro_rules! filtered_with_actors {
    ($filter:expr) => {
        narrowed!(
            audit_log::table
                .left_join(
                    audit_pseudonyms::table.on(audit_log::actor_type
                        .eq("user")
                        .and(audit_log::actor_id.eq(audit_pseudonyms::pseudonym.nullable()))),
                )
                .left_join(users::table.on(users::id.nullable().eq(audit_pseudonyms::user_id.nullable())))
                .select((
                    AuditLogRow::as_select(),
                    audit_pseudonyms::user_id.nullable(),
                    users::name.nullable(),
                    audit_pseudonyms::mac.nullable(),
                ))
                .into_boxed(),
            $filter
        )
    };
}

/// A row of `filtered_with_actors!`: the entry, its actor's user id and name, and the MAC of the
/// mapping that resolved them.
type WithActor = (AuditLogRow, Option<String>, Option<String>, Option<String>);

fn into_audit_rows(rows: Vec<WithActor>) -> Vec<AuditRow> {
    rows.into_iter()
        .map(|(row, actor_user_id, actor_name, actor_mapping_mac)| AuditRow {
            actor_user_id,
            actor_name,
            actor_mapping_mac,
            entry: row.into(),
        })
        .collect()
}

/// Ids read per step when counting the rows after a tally.
const COUNT_STEP: i64 = 10_000;

/// `counted` extended by the rows matching `filter` after its `through_id`, up to the newest row
/// of the log, whose id becomes the new `through_id` (`tally`) — also when no row matches, so a
/// filter that matches nothing is not counted again, and a step never re-reads rows it has seen.
///
/// The newest id is read first, one index probe; everything counted is at or below it. Appends
/// commit in id order (under the chain's lock), so every row up to a visible id is visible too.
/// With nothing new, that probe is the whole cost. Nothing counted yet is one plain `COUNT(*)`:
/// every row is in range, and a sequential scan is the right plan. After that, the new rows are
/// read as ids in index order, a bounded step at a time. A range `COUNT(*)` would be shorter, but
/// without fresh statistics (right after a bulk import, before autovacuum's analyze) PostgreSQL
/// guesses that a third of the table is in range and scans all of it in parallel on every page:
/// 13 pages/s over a million rows instead of thousands. `ORDER BY id LIMIT` makes the index the
/// plan whatever the statistics say.
fn count_after(conn: &mut AnyConn, filter: &AuditFilter, counted: Tally) -> QueryResult<Tally> {
    let newest: Option<i64> =
        on_backend!(conn, |c| audit_log::table.select(diesel::dsl::max(audit_log::id)).get_result(c))?;
    let Some(newest) = newest.filter(|&id| id > counted.through_id) else {
        return Ok(counted);
    };
    if counted.through_id == 0 {
        let count: i64 =
            filtered(filter).filter(audit_log::id.le(newest)).select(diesel::dsl::count_star()).get_result(conn)?;
        return Ok(Tally { count: counted.count + count, through_id: newest });
    }
    let mut tally = counted;
    loop {
        let ids: Vec<i64> = filtered(filter)
            .filter(audit_log::id.gt(tally.through_id))
            .filter(audit_log::id.le(newest))
            .order(audit_log::id.asc())
            .limit(COUNT_STEP)
            .select(audit_log::id)
            .load(conn)?;
        let full_step = ids.len() as i64 == COUNT_STEP;
        tally = tally.extended(ids.len() as i64, if full_step { ids.last().copied() } else { Some(newest) });
        if !full_step {
            return Ok(tally);
        }
    }
}

/// Rows per multi-row INSERT: 11 bound parameters each, well under SQLite's limit (32,766 since
/// 3.32) and PostgreSQL's (65,535).
const INSERT_CHUNK: usize = 900;

/// One multi-row INSERT, built per backend so that each uses its native batch insert.
fn insert_rows(conn: &mut AnyConn, rows: &[AuditLogRow]) -> QueryResult<usize> {
    match conn {
        AnyConn::Sqlite(c) => diesel::insert_into(audit_log::table).values(rows).execute(c),
        AnyConn::Postgres(c) => diesel::insert_into(audit_log::table).values(rows).execute(c),
    }
}

/// The single row of `audit_head`.
const HEAD_SLOT: i32 = 1;

/// Replaces the head with `key.head(newest)`; runs inside the append's transaction, under the
/// appenders' lock, so row and head commit together. Delete-then-insert works the same on both
/// backends.
fn write_head(conn: &mut AnyConn, key: &ChainKey, newest: &AuditEntry) -> QueryResult<()> {
    let head = key.head(newest);
    diesel::delete(audit_head::table).execute(conn)?;
    diesel::insert_into(audit_head::table)
        .values((
            audit_head::slot.eq(HEAD_SLOT),
            audit_head::last_id.eq(head.last_id),
            audit_head::last_hmac.eq(head.last_hmac),
            audit_head::head_mac.eq(head.mac),
        ))
        .execute(conn)?;
    Ok(())
}

fn find_pseudonym(conn: &mut AnyConn, user_id: &str) -> QueryResult<Option<PseudonymMapping>> {
    let found: Option<(String, Option<String>)> = audit_pseudonyms::table
        .find(user_id)
        .select((audit_pseudonyms::pseudonym, audit_pseudonyms::mac))
        .first(conn)
        .optional()?;
    Ok(found.map(|(pseudonym, mac)| PseudonymMapping { user_id: user_id.to_string(), pseudonym, mac }))
}

impl Database {
    /// One entry sealed onto the chain under the audit guard.
    async fn append_one(&self, entry: PendingEntry, key: Arc<ChainKey>) -> Result<AuditEntry, StoreError> {
        self.run_write("audit.append", move |conn| {
            backend::write(conn, Some(Guard::Audit), |conn| {
                let last: Option<(i64, String)> = audit_log::table
                    .order(audit_log::id.desc())
                    .select((audit_log::id, audit_log::row_hmac))
                    .first(conn)
                    .optional()?;
                let sealed = key.seal(entry, last.as_ref().map(|(id, mac)| (*id, mac.as_str())));
                diesel::insert_into(audit_log::table).values(AuditLogRow::from(&sealed)).execute(conn)?;
                write_head(conn, &key, &sealed)?;
                Ok(sealed)
            })
        })
        .await
    }
}

/// The event the background verification records (its outcome is the chain's state).
const INTEGRITY_CHECK: &str = "audit.integrity_check";

#[async_trait]
impl AuditStore for Database {
    async fn append(&self, entry: PendingEntry, key: Arc<ChainKey>) -> Result<AuditEntry, StoreError> {
        let integrity = (entry.event_type == INTEGRITY_CHECK).then(|| entry.outcome == "success");
        let appended = self.append_one(entry, key).await;
        if appended.is_ok() {
            metrics::counter!("pincer_audit_appends_total").increment(1);
            if let Some(valid) = integrity {
                metrics::gauge!("pincer_audit_chain_valid").set(if valid { 1.0 } else { 0.0 });
            }
        }
        appended
    }

    async fn append_batch(&self, entries: Vec<PendingEntry>, key: Arc<ChainKey>) -> Result<Vec<i64>, StoreError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let appended = self
            .run_write("audit.append_batch", move |conn| {
                backend::write(conn, Some(Guard::Audit), |conn| {
                    let mut last: Option<(i64, String)> = audit_log::table
                        .order(audit_log::id.desc())
                        .select((audit_log::id, audit_log::row_hmac))
                        .first(conn)
                        .optional()?;
                    let mut ids = Vec::with_capacity(entries.len());
                    let mut newest = None;
                    let mut chunk = Vec::with_capacity(INSERT_CHUNK.min(entries.len()));
                    for entry in entries {
                        let sealed = key.seal(entry, last.as_ref().map(|(id, mac)| (*id, mac.as_str())));
                        ids.push(sealed.id);
                        last = Some((sealed.id, sealed.row_hmac.clone()));
                        chunk.push(AuditLogRow::from(&sealed));
                        newest = Some(sealed);
                        if chunk.len() == INSERT_CHUNK {
                            insert_rows(conn, &chunk)?;
                            chunk.clear();
                        }
                    }
                    if !chunk.is_empty() {
                        insert_rows(conn, &chunk)?;
                    }
                    if let Some(newest) = &newest {
                        write_head(conn, &key, newest)?;
                    }
                    Ok(ids)
                })
            })
            .await;
        if let Ok(ids) = &appended {
            metrics::counter!("pincer_audit_appends_total").increment(ids.len() as u64);
        }
        appended
    }

    async fn pseudonym(&self, user_id: &str, key: Arc<ChainKey>) -> Result<String, StoreError> {
        let user_id = user_id.to_string();
        self.run_write("audit.pseudonym", move |conn| {
            if let Some(existing) = find_pseudonym(conn, &user_id)? {
                return Ok(existing.pseudonym);
            }
            let fresh = uuid::Uuid::now_v7().to_string();
            let inserted = diesel::insert_into(audit_pseudonyms::table)
                .values((
                    audit_pseudonyms::user_id.eq(&user_id),
                    audit_pseudonyms::pseudonym.eq(&fresh),
                    audit_pseudonyms::created_at.eq(SystemClock.now().millis()),
                    audit_pseudonyms::mac.eq(Some(key.pseudonym_mac(&user_id, &fresh))),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(fresh),
                // Another appender created it first: use theirs.
                Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                    Ok(find_pseudonym(conn, &user_id)?.ok_or(StoreError::Unavailable)?.pseudonym)
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn find_pseudonym(&self, user_id: &str) -> Result<Option<PseudonymMapping>, StoreError> {
        let user_id = user_id.to_string();
        self.run("audit.find_pseudonym", move |conn| Ok(find_pseudonym(conn, &user_id)?)).await
    }

    async fn pseudonym_mappings(&self) -> Result<Vec<PseudonymMapping>, StoreError> {
        self.run("audit.pseudonym_mappings", move |conn| {
            let rows: Vec<(String, String, Option<String>)> = audit_pseudonyms::table
                .order(audit_pseudonyms::user_id)
                .select((audit_pseudonyms::user_id, audit_pseudonyms::pseudonym, audit_pseudonyms::mac))
                .load(conn)?;
            Ok(rows.into_iter().map(|(user_id, pseudonym, mac)| PseudonymMapping { user_id, pseudonym, mac }).collect())
        })
        .await
    }

    async fn seal_pseudonyms(&self, sealed: Vec<PseudonymMapping>) -> Result<(), StoreError> {
        self.run_write("audit.seal_pseudonyms", move |conn| {
            backend::write(conn, None, |conn| {
                for m in &sealed {
                    // Only a mapping still as it was read, and still unsealed.
                    diesel::update(
                        audit_pseudonyms::table
                            .find(&m.user_id)
                            .filter(audit_pseudonyms::pseudonym.eq(&m.pseudonym))
                            .filter(audit_pseudonyms::mac.is_null()),
                    )
                    .set(audit_pseudonyms::mac.eq(&m.mac))
                    .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn query(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
        counted: Tally,
    ) -> Result<(Vec<AuditRow>, Tally), StoreError> {
        let filter = filter.clone();
        self.run("audit.query", move |conn| {
            let tally = count_after(conn, &filter, counted)?;
            let rows: Vec<WithActor> = on_backend!(conn, |c| filtered_with_actors!(&filter)
                .order(audit_log::id.desc())
                .limit(i64::from(page.limit))
                .offset(page.offset())
                .load(c))?;
            Ok((into_audit_rows(rows), tally))
        })
        .await
    }

    async fn scan(
        &self,
        filter: &AuditFilter,
        after_id: i64,
        to_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let filter = filter.clone();
        self.run("audit.scan", move |conn| {
            let rows: Vec<WithActor> = on_backend!(conn, |c| {
                let mut q = filtered_with_actors!(&filter).filter(audit_log::id.gt(after_id));
                if let Some(to) = to_id {
                    q = q.filter(audit_log::id.le(to));
                }
                q.order(audit_log::id.asc()).limit(limit as i64).load(c)
            })?;
            Ok(into_audit_rows(rows))
        })
        .await
    }

    async fn scan_entries(
        &self,
        after_id: i64,
        to_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // Built per backend: loading through the inner connection skips `AnyConn`'s row
        // wrapper, which is measurable over the millions of rows a verification reads.
        macro_rules! load {
            ($c:expr) => {{
                let mut q = audit_log::table.filter(audit_log::id.gt(after_id)).into_boxed();
                if let Some(to) = to_id {
                    q = q.filter(audit_log::id.le(to));
                }
                q.order(audit_log::id.asc())
                    .limit(limit as i64)
                    .select(AuditLogRow::as_select())
                    .load::<AuditLogRow>($c)
            }};
        }
        self.run("audit.scan_entries", move |conn| {
            let entries = match conn {
                AnyConn::Sqlite(c) => load!(c),
                AnyConn::Postgres(c) => load!(c),
            };
            Ok(entries?.into_iter().map(AuditEntry::from).collect())
        })
        .await
    }

    async fn head(&self) -> Result<Option<AuditHead>, StoreError> {
        self.run("audit.head", |conn| {
            let row: Option<(i64, String, String)> = audit_head::table
                .find(HEAD_SLOT)
                .select((audit_head::last_id, audit_head::last_hmac, audit_head::head_mac))
                .first(conn)
                .optional()?;
            Ok(row.map(|(last_id, last_hmac, mac)| AuditHead { last_id, last_hmac, mac }))
        })
        .await
    }

    async fn last_id(&self) -> Result<Option<i64>, StoreError> {
        self.run("audit.last_id", |conn| {
            Ok(audit_log::table.select(audit_log::id).order(audit_log::id.desc()).first(conn).optional()?)
        })
        .await
    }

    async fn get(&self, id: i64) -> Result<Option<AuditEntry>, StoreError> {
        self.run("audit.get", move |conn| {
            let row: Option<AuditLogRow> =
                audit_log::table.find(id).select(AuditLogRow::as_select()).first(conn).optional()?;
            Ok(row.map(AuditEntry::from))
        })
        .await
    }

    async fn event_types(&self) -> Result<Vec<String>, StoreError> {
        #[derive(QueryableByName)]
        struct EventType {
            #[diesel(sql_type = diesel::sql_types::Text)]
            event_type: String,
        }
        self.run("audit.event_types", |conn| {
            let query = diesel::sql_query(DISTINCT_EVENT_TYPES);
            let found: Vec<EventType> = match conn {
                AnyConn::Sqlite(c) => query.load(c)?,
                AnyConn::Postgres(c) => query.load(c)?,
            };
            Ok(found.into_iter().map(|t| t.event_type).collect())
        })
        .await
    }
}
