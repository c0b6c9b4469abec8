//! Throwaway PostgreSQL clusters (initdb + pg_ctl as an unprivileged user,
//! private port and socket) for pgkeep's integration tests, benchmarks and
//! `pgkeep demo`.
//!
//! A crate of its own so that the product's library never exports it and
//! nothing on a backup or restore path can reach it: pgkeep depends on it
//! only for the demo, and its tests and benches as a dev-dependency.

pub mod pgcluster;
