//! The store's own threads: a fixed set of them, each owning one database connection, taking
//! jobs from one queue.
//!
//! Diesel is synchronous, so every store call runs off the async executor. Running each call in
//! `spawn_blocking` with a pooled connection (what this replaced) cost three ways under load
//! (docs/PERFORMANCE.md): every actix worker has its own tokio blocking pool, so 64 concurrent
//! requests meant ~100 threads (~500 under 1,000 chats) queueing on 8 connections; the pool
//! tested every checkout with a `SELECT 1`, a second round trip per call on PostgreSQL; and
//! waiting callers contended on the pool's lock. Here a call is a message on a channel to a
//! thread that already holds its connection; the queue is where callers wait.
//!
//! Connections are opened on first use, checked with a ping only when idle for longer than
//! [`CHECK_AFTER_IDLE`], dropped when broken (lost, or left inside a transaction) or after a
//! panic, and closed after [`CLOSE_AFTER_IDLE`] without work, so an idle server holds none.
//! At shutdown [`Executor::close`] lets the queued jobs run, then every thread closes its
//! connection and ends before the process exits (no connection is cut mid-exchange by the exit,
//! and the database driver's exit handlers never run beside a thread still using it).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use diesel::r2d2::R2D2Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use pincer_core::StoreError;

use crate::conn::{AnyConn, Target};
use crate::error::{DbError, to_store_error};

/// How long a call may wait in the queue before the store reports `Unavailable` (the database
/// cannot keep up, or is unreachable and every thread is stuck connecting).
pub(crate) const QUEUE_TIMEOUT: Duration = Duration::from_secs(3);
/// A connection unused for longer than this is pinged before its next job, so one the server
/// closed meanwhile (restart, idle timeout) is replaced instead of failing the job. Under load a
/// connection is never idle that long, so the hot path pays no ping.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);
/// A thread without work for this long closes its connection.
const CLOSE_AFTER_IDLE: Duration = Duration::from_secs(600);

/// A queued call: runs on a thread's connection slot.
type Job = Box<dyn FnOnce(&mut Slot) + Send>;

/// What the threads take from the queue.
enum Message {
    Run(Job),
    /// Close the connection and end the thread (one per thread, queued by [`Executor::close`]).
    Stop,
}

/// The sending side of the queue; the threads stop once every clone of it is dropped, or when
/// [`Executor::close`] is called.
#[derive(Clone)]
pub(crate) struct Executor {
    jobs: Sender<Message>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Executor {
    /// Starts `threads` threads named `{name}-{n}` for `target`. `first` (a connection made to
    /// check the URL) goes to the first thread, so it is not wasted.
    pub(crate) fn start(
        target: &Target,
        threads: usize,
        mut first: Option<AnyConn>,
        name: &str,
    ) -> std::io::Result<Executor> {
        let (jobs, queue) = crossbeam_channel::unbounded::<Message>();
        let mut handles = Vec::with_capacity(threads);
        for n in 0..threads {
            let slot = Slot { target: target.clone(), conn: first.take(), last_used: Instant::now() };
            let queue = queue.clone();
            handles.push(std::thread::Builder::new().name(format!("{name}-{n}")).spawn(move || work(queue, slot))?);
        }
        Ok(Executor { jobs, threads: Arc::new(Mutex::new(handles)) })
    }

    /// Stops the threads once the jobs queued before this call have run: each closes its
    /// connection and ends. Blocks until they have, or `within` has passed (then `false`: a
    /// thread is stuck in a call). Later calls answer `Unavailable`.
    pub(crate) fn close(&self, within: Duration) -> bool {
        let handles = match self.threads.lock() {
            Ok(mut threads) => std::mem::take(&mut *threads),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for _ in &handles {
            let _ = self.jobs.send(Message::Stop);
        }
        let deadline = Instant::now() + within;
        while !handles.iter().all(JoinHandle::is_finished) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        handles.into_iter().for_each(|h| drop(h.join()));
        true
    }

    /// Calls waiting for a thread now (the metrics' queue depth).
    pub(crate) fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// Runs `f` on one of the threads' connections and returns its result. `op` names the
    /// operation in logs; failures other than `NotFound` and `Conflict` are logged and become
    /// `Unavailable`. A call whose caller has gone away (a dropped future) before a thread took
    /// it is skipped.
    pub(crate) async fn run<T, F>(&self, op: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConn) -> Result<T, DbError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let queued = Instant::now();
        let job: Job = Box::new(move |slot: &mut Slot| {
            if reply.is_closed() {
                return;
            }
            metrics::histogram!("pincer_store_queue_wait_seconds").record(queued.elapsed().as_secs_f64());
            if queued.elapsed() > QUEUE_TIMEOUT {
                tracing::error!(op, waited_ms = queued.elapsed().as_millis() as u64, "database queue timeout");
                let _ = reply.send(Err(StoreError::Unavailable));
                return;
            }
            let _ = reply.send(slot.run(op, f));
        });
        if self.jobs.send(Message::Run(job)).is_err() {
            tracing::error!(op, "the database threads have stopped");
            return Err(StoreError::Unavailable);
        }
        // The reply is dropped unsent only when the job panicked (the thread logged it).
        answer.await.unwrap_or(Err(StoreError::Unavailable))
    }
}

/// One thread's connection, opened lazily.
struct Slot {
    target: Target,
    conn: Option<AnyConn>,
    last_used: Instant,
}

impl Slot {
    fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut AnyConn) -> Result<T, DbError>,
    ) -> Result<T, StoreError> {
        let conn = self.connection(op)?;
        let result = f(conn);
        let lost = matches!(&result, Err(DbError::Diesel(e)) if connection_lost(e));
        if lost || conn.is_broken() {
            self.conn = None;
        }
        self.last_used = Instant::now();
        result.map_err(|e| to_store_error(op, e))
    }

    /// The thread's connection: a new one when there is none or the idle one fails its ping.
    fn connection(&mut self, op: &'static str) -> Result<&mut AnyConn, StoreError> {
        if self.last_used.elapsed() > CHECK_AFTER_IDLE
            && let Some(conn) = &mut self.conn
            && conn.ping().is_err()
        {
            self.conn = None;
        }
        if self.conn.is_none() {
            match self.target.connect() {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => {
                    tracing::error!(op, error = %e, "no database connection");
                    return Err(StoreError::Unavailable);
                }
            }
        }
        self.conn.as_mut().ok_or(StoreError::Unavailable)
    }
}

/// Errors after which the connection is not worth keeping.
fn connection_lost(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
            | DieselError::BrokenTransactionManager
    )
}

fn work(queue: Receiver<Message>, mut slot: Slot) {
    loop {
        match queue.recv_timeout(CLOSE_AFTER_IDLE) {
            Ok(Message::Stop) => return,
            Ok(Message::Run(job)) => {
                if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut slot))).is_err() {
                    // The panic hook has reported it; the connection may be mid-transaction.
                    slot.conn = None;
                }
            }
            Err(RecvTimeoutError::Timeout) => slot.conn = None,
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use diesel::connection::SimpleConnection;

    use super::*;

    fn executor(threads: usize) -> (Executor, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("sqlite://{}", dir.path().join("e.db").display())).unwrap();
        let first = target.connect().unwrap();
        (Executor::start(&target, threads, Some(first), "pincer-db").unwrap(), dir)
    }

    /// Occupies the executor's only thread until the returned sender is dropped or sent to.
    async fn occupy(exec: &Executor) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = tokio::sync::oneshot::channel();
        let exec = exec.clone();
        let held = tokio::spawn(async move {
            let _ = exec
                .run("test.hold", move |_| {
                    let _ = started.send(());
                    let _ = wait.recv();
                    Ok(())
                })
                .await;
        });
        is_started.await.unwrap();
        (release, held)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn close_runs_what_was_queued_then_ends_every_thread() {
        let (exec, _dir) = executor(2);
        let ran = Arc::new(AtomicBool::new(false));
        let queued = {
            let (exec, ran) = (exec.clone(), ran.clone());
            tokio::spawn(async move {
                exec.run("test.slow", move |conn| {
                    std::thread::sleep(Duration::from_millis(50));
                    conn.batch_execute("SELECT 1")?;
                    ran.store(true, Ordering::SeqCst);
                    Ok(())
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let closer = exec.clone();
        let closed = tokio::task::spawn_blocking(move || closer.close(Duration::from_secs(5))).await.unwrap();
        assert!(closed, "every thread ended");
        assert!(queued.await.unwrap().is_ok() && ran.load(Ordering::SeqCst), "the queued call ran first");
        assert_eq!(exec.run("test.after", |_| Ok(())).await, Err(StoreError::Unavailable));
        assert!(exec.threads.lock().unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn close_gives_up_on_a_thread_stuck_in_a_call() {
        let (exec, _dir) = executor(1);
        let (release, held) = occupy(&exec).await;
        let closer = exec.clone();
        let closed = tokio::task::spawn_blocking(move || closer.close(Duration::from_millis(50))).await.unwrap();
        assert!(!closed, "the stuck thread is reported");
        drop(release);
        held.await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn calls_run_on_the_fixed_threads_each_with_its_own_kept_connection() {
        let (exec, _dir) = executor(3);
        let calls = (0..60).map(|_| {
            let exec = exec.clone();
            tokio::spawn(async move {
                exec.run("test.where", |conn| {
                    conn.batch_execute("SELECT 1")?;
                    std::thread::sleep(Duration::from_millis(2));
                    let thread = std::thread::current().name().unwrap_or_default().to_string();
                    Ok((thread, conn as *const AnyConn as usize))
                })
                .await
                .unwrap()
            })
        });
        let mut threads = HashSet::new();
        let mut connections = HashSet::new();
        for call in calls.collect::<Vec<_>>() {
            let (thread, conn) = call.await.unwrap();
            threads.insert(thread);
            connections.insert(conn);
        }
        assert!(threads.iter().all(|t| t.starts_with("pincer-db-")), "{threads:?}");
        assert!(threads.len() <= 3 && connections.len() <= 3, "{threads:?}, {} connections", connections.len());
        assert!(threads.len() >= 2, "sixty slow calls were spread over the threads: {threads:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_whose_caller_has_gone_is_skipped() {
        let (exec, _dir) = executor(1);
        let (release, held) = occupy(&exec).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let abandoned = exec.run("test.abandoned", move |_| {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        // Queued behind the held call, then given up on.
        assert!(tokio::time::timeout(Duration::from_millis(50), abandoned).await.is_err());
        drop(release);
        held.await.unwrap();
        // The queue is FIFO on one thread: once this one ran, the abandoned one had its turn.
        exec.run("test.after", |_| Ok(())).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst), "the abandoned call ran");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_queued_longer_than_the_timeout_is_refused_without_running() {
        let (exec, _dir) = executor(1);
        let (release, held) = occupy(&exec).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let late = tokio::spawn({
            let exec = exec.clone();
            async move {
                exec.run("test.late", move |_| {
                    flag.store(true, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }
        });
        tokio::time::sleep(QUEUE_TIMEOUT + Duration::from_millis(200)).await;
        release.send(()).unwrap();
        held.await.unwrap();
        assert_eq!(late.await.unwrap(), Err(StoreError::Unavailable));
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_panicking_call_is_unavailable_and_its_thread_carries_on() {
        let (exec, _dir) = executor(1);
        let failed = exec.run("test.panic", |_| -> Result<(), DbError> { panic!("a bug in a store closure") }).await;
        assert_eq!(failed, Err(StoreError::Unavailable));
        assert_eq!(exec.run("test.next", |conn| Ok(conn.batch_execute("SELECT 1").is_ok())).await, Ok(true));
    }
}
