//! Sessions on one server that see the same data: a leader opens a
//! `REPEATABLE READ, READ ONLY` transaction and exports its snapshot, and
//! every other session imports it, so the catalog reads and every table's
//! COPY see the database as of one instant.
//!
//! It owns opening, configuring and closing those sessions. It does not
//! decide what the sessions read.

use tokio::task::JoinHandle;
use tokio_postgres::Client;

use crate::pg::conn::{ConnError, ResolvedConn};
use crate::pg::error::ServerError;
use crate::sql::quote::quote_literal_std;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("{context} on {server}: {error}")]
    Server { context: String, server: String, error: ServerError },
    #[error("{n} sessions asked for: give between 1 and {MAX_JOBS} jobs (plus the leader)")]
    TooManySessions { n: usize },
}

/// The most parallel jobs (sessions, workers) a backup or restore may
/// use: `-j`, the service's `jobs`, the API's `jobs` are held to 1 ..= this.
pub const MAX_JOBS: usize = 64;

/// A parallelism outside 1 ..= [`MAX_JOBS`].
#[derive(Debug, thiserror::Error)]
#[error("jobs must be between 1 and {MAX_JOBS}, not {0}")]
pub struct JobsOutOfRange(pub usize);

/// Check a parallelism given by a user: 1 ..= [`MAX_JOBS`].
pub fn check_jobs(jobs: usize) -> Result<usize, JobsOutOfRange> {
    if (1..=MAX_JOBS).contains(&jobs) {
        Ok(jobs)
    } else {
        Err(JobsOutOfRange(jobs))
    }
}

/// Settings every dump session runs with. `row_security = off` makes a
/// role that cannot bypass row-level security fail instead of dumping a
/// silently partial table; `synchronize_seqscans = off` makes every COPY
/// start at block 0, so unchanged tables produce the same bytes (and
/// deduplicate); text COPY uses unambiguous, lossless forms. `jit = off`
/// as pg_dump sets it: the catalog queries of a large database cost
/// enough for the planner to JIT-compile them, which took 0.9 s of a
/// 1.0 s query at 20,000 tables and gains nothing on queries run once.
pub const DUMP_SETTINGS: &str = "SET client_encoding = 'UTF8'; \
    SET jit = off; \
    SET row_security = off; \
    SET synchronize_seqscans = off; \
    SET statement_timeout = 0; \
    SET lock_timeout = 0; \
    SET idle_in_transaction_session_timeout = 0; \
    SET DateStyle = ISO; \
    SET IntervalStyle = postgres; \
    SET extra_float_digits = 3";

/// Sessions sharing one exported snapshot; index 0 is the leader.
pub struct SnapshotSessions {
    pub clients: Vec<Client>,
    tasks: Vec<JoinHandle<()>>,
    /// The exported snapshot's name.
    pub snapshot: String,
    pub server: String,
}

impl SnapshotSessions {
    /// Open `n` (at least 1) sessions on `conn` in one snapshot.
    pub async fn open(conn: &ResolvedConn, n: usize) -> Result<SnapshotSessions, SessionError> {
        let server = conn.describe();
        let fail = |context: &str, e: tokio_postgres::Error| SessionError::Server {
            context: context.to_string(),
            server: server.clone(),
            error: e.into(),
        };
        // A leader plus at most MAX_JOBS workers; a count past that is a
        // caller's overflow (jobs = usize::MAX + 1 wraps to 0), not a wish.
        if n == 0 || n > MAX_JOBS + 1 {
            return Err(SessionError::TooManySessions { n });
        }
        let mut clients = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (c, t) = conn.connect().await?;
            clients.push(c);
            tasks.push(t);
        }
        let leader = &clients[0];
        leader
            .batch_execute(&format!("{DUMP_SETTINGS}; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            .await
            .map_err(|e| fail("starting a read-only transaction", e))?;
        let snapshot: String = leader
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .await
            .map_err(|e| fail("exporting the snapshot", e))?
            .get(0);
        for c in &clients[1..] {
            c.batch_execute(&format!(
                "{DUMP_SETTINGS}; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {}",
                quote_literal_std(&snapshot)
            ))
            .await
            .map_err(|e| fail("joining the exported snapshot", e))?;
        }
        Ok(SnapshotSessions { clients, tasks, snapshot, server })
    }

    pub fn refs(&self) -> Vec<&Client> {
        self.clients.iter().collect()
    }

    /// End the transactions and close the connections.
    pub async fn close(self) {
        for c in &self.clients {
            let _ = c.batch_execute("COMMIT").await;
        }
        drop(self.clients);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
