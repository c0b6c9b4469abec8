//! What a repository holds, as plain data: content ids and snapshot
//! manifests (DDL entries, tables and their data streams, large objects,
//! totals), specified in `format-spec/`.
//!
//! The bottom layer beside `sql`: it knows no server and no storage, so the
//! catalog, DDL and COPY layers can describe what they produce without
//! depending on the repository, which stores and reads these types.

pub mod id;
pub mod kind;
pub mod snapshot;
pub mod time;

pub use id::Id;
pub use kind::EntryKind;
pub use snapshot::Snapshot;
pub use time::Timestamp;
