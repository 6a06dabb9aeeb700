//! [`PasswordHasher`] that runs argon2id on a few dedicated hashing threads.
//!
//! Each hash needs 19 MiB of working memory. Run in `spawn_blocking`, as this was before, every
//! concurrent login got its own blocking thread and buffer: a burst of logins held one buffer per
//! thread at once, and glibc kept the freed buffers in those threads' arenas, so a server that had
//! answered a few hundred logins stayed above 1 GiB of RSS (docs/PERFORMANCE.md, "Memory after
//! load"). One thread per core is as fast, since hashing is CPU-bound; each keeps one argon2
//! buffer for all its hashes ([`Workspace`]); logins beyond that wait in the queue.

use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use async_trait::async_trait;
use crossbeam_channel::Sender;
use pincer_core::{Secret, StoreError};
use pincer_identity::PasswordHasher;
use pincer_identity::password::{self, Workspace};

/// argon2id (the parameters of `pincer_identity::password`) off the async executor.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockingPasswordHasher;

/// Hashing threads: one per core, at most this many.
const MAX_THREADS: usize = 4;

/// A queued computation, given the hashing thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// The queue of the hashing threads, started on first use. `None` if no thread could be
/// started; hashing then fails with `Unavailable` rather than running unbounded.
fn queue() -> Option<&'static Sender<Job>> {
    QUEUE.get_or_init(start_threads).as_ref()
}

static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();

impl BlockingPasswordHasher {
    /// Hashes and checks waiting for a hashing thread now (for the metrics; 0 before the first).
    pub fn queued() -> usize {
        QUEUE.get().and_then(Option::as_ref).map_or(0, Sender::len)
    }
}

fn thread_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

fn start_threads() -> Option<Sender<Job>> {
    let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
    let mut started = 0;
    for n in 0..thread_count() {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new().name(format!("pincer-hash-{n}")).spawn(move || {
            // Allocated on the first job, so an idle server holds no argon2 memory.
            let mut workspace: Option<Workspace> = None;
            for job in queue {
                let memory = workspace.get_or_insert_with(Workspace::new);
                // A panicking hash drops its reply, which the caller sees as `Unavailable`;
                // the thread goes on with the next job.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(memory)));
            }
        });
        match spawned {
            Ok(_) => started += 1,
            Err(e) => tracing::error!(error = %e, "cannot start a password hashing thread"),
        }
    }
    (started > 0).then_some(jobs)
}

/// Runs `f` on a hashing thread and returns its result.
async fn on_hashing_thread<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Workspace) -> T + Send + 'static,
{
    let queue = queue().ok_or(StoreError::Unavailable)?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    let queued_at = std::time::Instant::now();
    let job: Job = Box::new(move |workspace: &mut Workspace| {
        metrics::histogram!("pincer_password_hash_wait_seconds").record(queued_at.elapsed().as_secs_f64());
        // Nobody waits for a caller that went away (a dropped request): skip the work.
        if !reply.is_closed() {
            let _ = reply.send(f(workspace));
        }
    });
    queue.send(job).map_err(|_| StoreError::Unavailable)?;
    answer.await.map_err(|_| {
        tracing::error!("password hashing job failed");
        StoreError::Unavailable
    })
}

/// A hash of a throwaway password with the real parameters, made once: verifying against it
/// costs what verifying a real hash costs, so unknown accounts answer as slowly as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        password::hash("pincer dummy password for unknown accounts").unwrap_or_else(|e| {
            // Hashing a constant cannot fail short of a broken RNG; an unparsable hash would make
            // unknown accounts fast, so say so loudly.
            tracing::error!(error = %e, "cannot compute the dummy password hash");
            String::new()
        })
    })
}

#[async_trait]
impl PasswordHasher for BlockingPasswordHasher {
    async fn hash(&self, password: Secret<String>) -> Result<String, StoreError> {
        on_hashing_thread(move |workspace| password::hash_in(workspace, password.expose())).await?.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            StoreError::Unavailable
        })
    }

    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool {
        on_hashing_thread(move |workspace| match hash {
            Some(phc) => password::verify_in(workspace, password.expose(), &phc),
            None => {
                // Same work, always false.
                let _ = password::verify_in(workspace, password.expose(), dummy_hash());
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(std::ptr::eq(dummy_hash(), dummy_hash()), "computed once");
    }

    /// One test, not two: the hashing threads are shared, and a panicking job keeps its thread
    /// busy while the panic (and its backtrace) is printed, which a concurrent count would see.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashes_run_on_the_bounded_threads_which_survive_a_panicking_job() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..thread_count() * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(on_hashing_thread(move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    std::thread::current().name().map(str::to_owned)
                }))
            })
            .collect();
        for job in jobs {
            let name = job.await.unwrap().unwrap().unwrap();
            assert!(name.starts_with("pincer-hash-"), "{name}");
        }
        assert_eq!(most.load(Ordering::SeqCst), thread_count(), "at most one hash per thread at once");

        let failed = on_hashing_thread(|_| -> u8 { panic!("boom") }).await;
        assert!(matches!(failed, Err(StoreError::Unavailable)));
        for _ in 0..thread_count() * 2 {
            assert_eq!(on_hashing_thread(|_| 7).await.unwrap(), 7);
        }
    }
}
