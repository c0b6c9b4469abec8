//! The engines: each runs one whole operation, called as one function with
//! an options struct and returning a report. They sit between the front
//! ends (`cli`, `service`) and the layers that do the work (`catalog`,
//! `ddl`, `copy`, `repo`, `sessions`), and never print or parse arguments.
//!
//! - `backup`: one exported snapshot, the catalog read and rendered, every
//!   table's COPY streamed into the repository, the manifest committed.
//! - `restore`: DDL in sections and data in parallel (or one transaction),
//!   into the same, a newer or an older major (`restore::cross_major`).
//! - `verify`, `export`, `inspect`: read a repository without a server.
//! - `schema_dump`: a live database's catalog read on one snapshot and
//!   rendered as DDL, what `pgkeep ddl` prints.
//! - `copy_snapshots`: snapshots from one repository into another,
//!   sending only the chunks the target lacks.

pub mod backup;
pub mod copy_snapshots;
pub mod export;
pub mod inspect;
pub mod restore;
pub mod schema_dump;
pub mod verify;
