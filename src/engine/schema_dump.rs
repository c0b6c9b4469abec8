//! The schema dump `pgkeep ddl` prints: the catalog of a live database read
//! on one exported snapshot by several sessions, rendered as DDL entries
//! (like `pg_dump --schema-only`). Owns the wiring of sessions, catalog
//! read and renderer; it never prints, and writes nothing to a repository
//! (the archived DDL of a snapshot is the manifest's, not this).

use crate::catalog::{self, CatalogError, ReadOptions, ScopeSpec};
use crate::ddl::{self, DdlError, Rendered, RenderOptions};
use crate::pg::conn::ResolvedConn;
use crate::pg::sessions::{SessionError, SnapshotSessions};

#[derive(Clone, Debug)]
pub struct SchemaDumpOptions {
    /// Which objects, with pg_dump's pattern rules.
    pub scope: ScopeSpec,
    /// Sessions reading the catalog at once (at least one is used).
    pub jobs: usize,
    /// Read sequences' current values (for `setval`).
    pub sequence_values: bool,
    pub render: RenderOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaDumpError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Ddl(#[from] DdlError),
}

/// Reads the catalog of `conn`'s database for `opts.scope` and renders it.
/// The warnings (what could not be rendered) are in the result.
pub async fn schema_dump(conn: &ResolvedConn, opts: &SchemaDumpOptions) -> Result<Rendered, SchemaDumpError> {
    // One snapshot for every catalog query, shared by `jobs` sessions.
    let sessions = SnapshotSessions::open(conn, opts.jobs.max(1)).await?;
    let read = ReadOptions { sequence_values: opts.sequence_values, large_objects: None };
    let cat = catalog::read_catalog_with(&sessions.refs(), &opts.scope, &read).await;
    sessions.close().await;
    Ok(ddl::render(&cat?, &opts.render)?)
}
