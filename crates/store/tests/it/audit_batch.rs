//! `AuditStore::append_batch`: a batch continues the chain exactly like single appends, in one
//! transaction, across multi-row INSERT chunks, and interleaves safely with concurrent appenders.

use std::sync::Arc;

use pincer_audit::{AuditEntry, AuditFilter, AuditStore, ChainKey, GENESIS, PendingEntry, Verifier, VerifyReport};
use pincer_store::Database;

use crate::support::{NOW, each_backend};

fn pending(i: usize) -> PendingEntry {
    PendingEntry {
        timestamp: NOW.plus_millis(i as i64),
        actor_type: "agent".into(),
        actor_id: Some(format!("agent-{}", i % 7)),
        event_type: "bench.event".into(),
        resource: i.is_multiple_of(2).then(|| format!("thing:{i}")),
        detail: format!("{{\"i\":{i}}}"),
        outcome: "success".into(),
    }
}

fn key() -> Arc<ChainKey> {
    Arc::new(ChainKey::new(&[9; 32]))
}

/// Every stored row, ascending.
async fn all_rows(db: &Database) -> Vec<AuditEntry> {
    let mut rows = Vec::new();
    let mut cursor = 0;
    // Bounded: far more rounds than any test here stores rows for.
    for _ in 0..1_000 {
        let batch = db.scan(&AuditFilter::default(), cursor, None, 1_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        cursor = last.entry.id;
        rows.extend(batch.into_iter().map(|row| row.entry));
    }
    rows
}

fn verify(key: &ChainKey, rows: &[AuditEntry]) -> VerifyReport {
    let mut verifier = Verifier::new(key, None);
    rows.iter().for_each(|row| verifier.feed(row));
    verifier.finish()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_on_an_empty_log_starts_the_chain() {
    each_backend(|db| async move {
        let key = key();
        let ids = db.append_batch(vec![pending(0), pending(1), pending(2)], key.clone()).await.unwrap();
        assert_eq!(ids, vec![1, 2, 3]);
        let rows = all_rows(&db).await;
        assert_eq!(rows[0].prev_hmac, GENESIS);
        assert_eq!(
            rows.iter().map(|r| r.pending.clone()).collect::<Vec<_>>(),
            vec![pending(0), pending(1), pending(2)]
        );
        assert!(verify(&key, &rows).valid);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_batch_stores_nothing() {
    each_backend(|db| async move {
        assert_eq!(db.append_batch(Vec::new(), key()).await.unwrap(), Vec::<i64>::new());
        assert!(all_rows(&db).await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_spanning_several_inserts_continue_the_chain_without_gaps() {
    each_backend(|db| async move {
        let key = key();
        db.append(pending(0), key.clone()).await.unwrap();
        // More rows than two multi-row INSERT chunks.
        let ids = db.append_batch((1..=2_000).map(pending).collect(), key.clone()).await.unwrap();
        assert_eq!(ids, (2..=2_001).collect::<Vec<i64>>());
        let single = db.append(pending(2_001), key.clone()).await.unwrap();
        assert_eq!(single.id, 2_002);

        let rows = all_rows(&db).await;
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), (1..=2_002).collect::<Vec<i64>>());
        assert_eq!(rows[1_000].pending, pending(1_000));
        let report = verify(&key, &rows);
        assert!(report.valid, "{report:?}");
        assert_eq!(report.total_checked, 2_002);
        // The stored row is exactly what `seal` produced for it.
        assert_eq!(db.get(1_001).await.unwrap().as_ref(), rows.get(1_000));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_and_single_appends_interleave_into_one_valid_chain() {
    each_backend(|db| async move {
        let key = key();
        let mut tasks = Vec::new();
        for writer in 0..4_usize {
            let (db, key) = (db.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for round in 0..5 {
                    if writer.is_multiple_of(2) {
                        let batch = (0..150).map(|i| pending(writer * 10_000 + round * 1_000 + i)).collect();
                        let batch_ids = db.append_batch(batch, key.clone()).await.unwrap();
                        // One transaction under the appenders' lock: no other row lands inside it.
                        assert_eq!(batch_ids.last().unwrap() - batch_ids[0], 149);
                        ids.extend(batch_ids);
                    } else {
                        for i in 0..10 {
                            ids.push(
                                db.append(pending(writer * 10_000 + round * 1_000 + i), key.clone()).await.unwrap().id,
                            );
                        }
                    }
                }
                ids
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            let writer_ids = task.await.unwrap();
            // Each writer's own rows come back in increasing order.
            assert!(writer_ids.windows(2).all(|w| w[0] < w[1]));
            ids.extend(writer_ids);
        }
        ids.sort_unstable();
        let expected = 2 * 5 * 150 + 2 * 5 * 10;
        assert_eq!(ids, (1..=expected).collect::<Vec<i64>>());

        let rows = all_rows(&db).await;
        assert_eq!(rows.len(), expected as usize);
        let report = verify(&key, &rows);
        assert!(report.valid, "{report:?}");
    })
    .await;
}
