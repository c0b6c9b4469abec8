//! A round's shared snapshot: the schema tenants of one source that a
//! schedule run (or `POST /api/v1/backups/run`) queues together are backed
//! up from one exported snapshot ([`SharedSnapshot`]), opened by the first
//! of their jobs to start and closed when the last one ends, or when the
//! round's `max_duration` has passed since the snapshot was taken.
//!
//! Each tenant keeps its own job (record, metrics, alerts) and its own
//! snapshot in the repository; a tenant that cannot be locked or read
//! fails alone. A job that starts after `max_duration` fails with an error
//! that says so, and the next round backs its tenant up first (rounds
//! order tenants by their newest snapshot, oldest first).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::engine::backup::{SharedOptions, SharedSnapshot};
use crate::pg::conn::ResolvedConn;

enum State {
    /// No job of the round has started yet.
    Pending,
    /// The snapshot, and the service's time when it was taken.
    Open(Arc<SharedSnapshot>, DateTime<Utc>),
    /// No more jobs start from it: why (said to the jobs that come late).
    Closed(String),
}

/// One source's part of a round.
pub struct Round {
    source: String,
    conn: ResolvedConn,
    opts: SharedOptions,
    max_duration: Duration,
    state: tokio::sync::Mutex<State>,
    /// Jobs of the round that have not ended yet.
    remaining: AtomicUsize,
}

impl std::fmt::Debug for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Round")
            .field("source", &self.source)
            .field("schemas", &self.opts.schemas.len())
            .field("remaining", &self.remaining.load(Ordering::SeqCst))
            .finish()
    }
}

impl Round {
    /// A round over `opts.schemas` of `source` (one job each).
    pub fn new(source: &str, conn: ResolvedConn, opts: SharedOptions, max_duration: Duration) -> Arc<Round> {
        Arc::new(Round {
            source: source.to_string(),
            conn,
            remaining: AtomicUsize::new(opts.schemas.len()),
            opts,
            max_duration,
            state: tokio::sync::Mutex::new(State::Pending),
        })
    }

    /// The shared snapshot for a job starting now, opening it for the
    /// first; and the service's time it was taken. Errors are the job's
    /// failure message (no row contents, no secrets: the engine's errors
    /// name objects only).
    pub async fn snapshot(self: &Arc<Self>, now: DateTime<Utc>) -> Result<(Arc<SharedSnapshot>, DateTime<Utc>), String> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Pending => {
                let shared = SharedSnapshot::open(&self.conn, &self.opts)
                    .await
                    .map_err(|e| format!("the round's shared snapshot of source {}: {e}", self.source))?;
                let shared = Arc::new(shared);
                tracing::info!(source = %self.source, tenants = self.opts.schemas.len(), snapshot = shared.snapshot_name(), "round: shared snapshot taken");
                *state = State::Open(shared.clone(), now);
                let weak = Arc::downgrade(self);
                let limit = self.max_duration;
                tokio::spawn(async move {
                    tokio::time::sleep(limit).await;
                    if let Some(round) = Weak::upgrade(&weak) {
                        round.close(round.late_message()).await;
                    }
                });
                Ok((shared, now))
            }
            State::Open(shared, at) => {
                if shared.age() >= self.max_duration {
                    drop(state);
                    let why = self.late_message();
                    self.close(why.clone()).await;
                    return Err(why);
                }
                Ok((shared.clone(), *at))
            }
            State::Closed(why) => Err(why.clone()),
        }
    }

    fn late_message(&self) -> String {
        format!(
            "not started within the round's max_duration ({}s) after its shared snapshot of source {} was taken: \
             the snapshot was released so that vacuum is not held back longer; the next round backs this tenant up first \
             (raise [round] max_duration or max_concurrent_jobs if this repeats)",
            self.max_duration.as_secs(),
            self.source
        )
    }

    /// No more jobs start from the snapshot; it is released when the jobs
    /// using it end.
    async fn close(&self, why: String) {
        let old = std::mem::replace(&mut *self.state.lock().await, State::Closed(why));
        if let State::Open(shared, _) = old {
            tracing::info!(source = %self.source, held_ms = shared.age().as_millis() as u64, "round: shared snapshot released");
            if let Ok(shared) = Arc::try_unwrap(shared) {
                shared.close().await;
            }
        }
    }

    /// One job of the round ended (however it ended).
    fn job_ended(self: &Arc<Self>) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            let round = self.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { round.close("the round is over".into()).await });
            }
        }
    }
}

/// Held by each job of a round while it exists: its end (success, failure,
/// or never started) counts down the round.
pub struct JobGuard(Arc<Round>);

impl JobGuard {
    pub fn new(round: &Arc<Round>) -> JobGuard {
        JobGuard(round.clone())
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        self.0.job_ended();
    }
}
