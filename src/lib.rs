//! pgkeep: a native PostgreSQL backup engine.
//!
//! The library holds everything; `src/main.rs` is a thin clap front end, so
//! tests and benches drive the same code the binary runs. Data flows one way:
//! catalog → model → DDL/COPY → chunks → repository, and back for restore.

pub mod catalog;
pub mod cli;
pub mod conn;
pub mod copy;
pub mod ddl;
pub mod demo;
pub mod engine;
pub mod progress;
pub mod repo;
pub mod service;
pub mod sessions;
pub mod sql;
