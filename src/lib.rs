//! pgkeep: a native PostgreSQL backup engine and multi-tenant backup service.
//!
//! # Layers
//!
//! The folders are the layers; every import points down the list.
//!
//! | layer | modules | owns |
//! |---|---|---|
//! | front ends | [`cli`], [`service`], [`demo`] | arguments, output, schedules, the REST API; no engine logic |
//! | engines | [`engine`]: `backup`, `restore` (+ `cross_major`), `verify`, `export`, `inspect`, `schema_dump` | one whole operation each: one function, an options struct, a typed report |
//! | middle | [`catalog`], [`ddl`], [`copy`], [`repo`] | reading `pg_catalog` into a model; rendering it as SQL in sections and dependency order; COPY streams and binary values; the content-addressed repository |
//! | connections | [`pg`] | libpq-compatible connection specs, TLS, sessions on one exported snapshot, server errors |
//! | plain data and SQL text | [`manifest`], [`sql`] | snapshot manifests and content ids; identifier/literal quoting, statement splitting |
//!
//! [`progress`] is the reporting trait the engines call and the front ends
//! implement. The throwaway-cluster harness of the tests, benches and demo
//! lives in the path crate `crates/pgkeep-testing`, outside this API.
//!
//! # The data's path
//!
//! **Backup** ([`engine::backup`]): a leader session exports a snapshot;
//! worker sessions join it ([`pg::sessions`]); [`catalog`] reads every
//! object in scope in batched queries; [`ddl`] renders the DDL entries;
//! every table (split into ctid parts when large) streams out with
//! `COPY … (FORMAT binary)` ([`copy`]) into content-defined chunks, hashed
//! (BLAKE3) and compressed (zstd) on their own threads behind bounded
//! channels, packed and indexed ([`repo::writer`]); the manifest
//! ([`manifest::Snapshot`]) is written last, so a manifest that exists is
//! complete.
//!
//! **Restore** ([`engine::restore`]): the manifest's pre-data entries run in
//! dependency order, tables' parts are COPYed back in parallel (or
//! everything runs in one transaction for `--single-transaction` and
//! in-place `--clean`), then post-data; into an older major,
//! [`engine::restore::cross_major`] maps or leaves out what the target lacks.
//!
//! # Where each invariant is enforced
//!
//! - Every name pgkeep emits is qualified, never resolved through
//!   `search_path` (CVE-2018-1058): [`ddl`] (its `Namer`) and [`sql::quote`].
//! - Tenant code runs as its owner during a restore (`SET ROLE` around data
//!   loads and CHECK validation): [`engine::restore`].
//! - An in-place restore completes or changes nothing; objects not in the
//!   snapshot are named and refused unless asked to drop: [`engine::restore`].
//! - A backup that did not copy every planned part fails: [`engine::backup`].
//! - Nothing dumpable is left out silently (rendered or warned about):
//!   [`ddl::Rendered::rendered_rows`], checked by `tests/ddl_coverage.rs`.
//! - Stored bytes are checked on every read, and the repository stays valid
//!   at every instant (write order, locks, prune's grace): [`repo`].
//! - The archive format is the public contract in `format-spec/`, tested
//!   against its vectors: [`manifest`], [`repo`].
//! - No row contents leave the process in an error: a server's DETAIL that
//!   may quote rows is dropped, and the client error that carries it is
//!   never an error's `source()` ([`pg::error::ServerError`]).
//!
//! # Errors
//!
//! Each layer has its own `thiserror` enum naming the object and what to do
//! next; a server's error stays a [`pg::error::ServerError`] (SQLSTATE kept)
//! inside the variant that names the statement's object. `anyhow` is used
//! only by the binary's edge ([`cli`]).

pub mod catalog;
pub mod cli;
pub mod copy;
pub mod ddl;
pub mod demo;
pub mod engine;
pub mod manifest;
pub mod pg;
pub mod progress;
pub mod repo;
pub mod service;
pub mod sql;

pub use engine::backup::{backup, BackupOptions};
pub use engine::export::{export, ExportOptions};
pub use engine::restore::{restore, RestoreOptions, RestoreReport};
pub use engine::verify::{verify, VerifyOptions, VerifyReport};
pub use manifest::{EntryKind, Id, Snapshot, Timestamp};
pub use pg::error::ServerError;
pub use pg::conn::ResolvedConn;
pub use repo::Repository;
