//! Schedules the domain's workers: each on its own task, waiting its interval, holding its lease
//! when it is a singleton (so on PostgreSQL one replica runs it, and another takes over within a
//! few seconds of that replica's death), logging what each round says, and stopping between
//! rounds when the server stops.

use std::sync::Arc;
use std::time::Duration;

use pincer_core::{HeldLease, Leases, Round, Worker};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a stop waits for a round in progress.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The running workers; [`Workers::stop`] ends them between rounds.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    pub fn start(workers: Vec<Arc<dyn Worker>>, leases: Arc<dyn Leases>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let tasks = workers.into_iter().map(|w| tokio::spawn(schedule(w, leases.clone(), stopped.clone()))).collect();
        Workers { stop, tasks }
    }

    /// Lets each worker finish the round it is in (at most [`STOP_TIMEOUT`]), then drops its
    /// lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

async fn schedule(worker: Arc<dyn Worker>, leases: Arc<dyn Leases>, mut stopped: watch::Receiver<bool>) {
    let name = worker.name();
    let mut lease: Option<Box<dyn HeldLease>> = None;
    let mut delay = worker.first_delay();
    loop {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stopped.changed() => return,
        }
        delay = worker.interval();
        if worker.singleton() && !holds(&lease).await {
            if lease.take().is_some() {
                tracing::warn!(worker = name, "lost the worker's lease");
            }
            match leases.try_acquire(name).await {
                Ok(Some(held)) => {
                    tracing::info!(worker = name, "took the worker's lease: this node runs it");
                    lease = Some(held);
                }
                // Another node runs it; ask again next time (it may have died by then).
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(worker = name, error = %e, "cannot ask for the worker's lease");
                    continue;
                }
            }
        }
        match worker.run_once().await {
            Round::Quiet => {}
            Round::Done(what) => tracing::info!(worker = name, "{what}"),
            Round::Failed(why) => tracing::warn!(worker = name, "{why}"),
            Round::Alarm(what) => tracing::error!(worker = name, "{what}"),
        }
    }
}

async fn holds(lease: &Option<Box<dyn HeldLease>>) -> bool {
    match lease {
        Some(held) => held.still_held().await,
        None => false,
    }
}
