//! Talking to PostgreSQL: connection specs resolved the way libpq resolves
//! them (conninfo/URI, environment, passfile, service file, TLS) and the
//! session plumbing the engines share (exported snapshots, settings,
//! bounded job counts, server errors).
//!
//! Below the catalog, DDL and COPY layers and above plain SQL text; it knows
//! nothing of repositories or manifests.

pub mod conn;
pub mod error;
pub mod sessions;
