//! The batched catalog queries: one per object kind for the whole scope,
//! issued together so the connection pipelines them.
//!
//! Every query takes the scope as oid arrays joined with `unnest`, so its
//! cost grows with the objects in scope, not with the number of queries.
//! Names the server renders (types, functions, relations in expressions)
//! come out qualified exactly when they are not visible on the reader's
//! `search_path`, which `read_catalog` sets before anything else.
//!
//! This file holds the [`Reader`], its query plumbing and the helpers every
//! family shares (`descr`, `meta`, `qname`, ...), and the dependency query.
//! Each object family's queries live in the file named like the one that
//! renders it in `ddl::build` (`tables.rs`, `functions.rs`, ...). No
//! statement text is rendered here.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::{Client, Row};

use super::model::*;
use super::CatalogError;

mod acls;
mod casts;
mod extensions;
mod foreign;
mod functions;
mod operators;
mod publications;
mod schemas;
mod tables;
mod text_search;
mod triggers;
mod types;

type R<T> = Result<T, CatalogError>;

/// `LEFT JOIN` of an object's comment.
fn descr(alias: &str, catalog: &str, oid_expr: &str) -> String {
    format!(
        "LEFT JOIN pg_catalog.pg_description {alias} ON {alias}.classoid = 'pg_catalog.{catalog}'::pg_catalog.regclass \
         AND {alias}.objoid = {oid_expr} AND {alias}.objsubid = 0"
    )
}

/// The six leading columns every object query returns, read into `Meta`.
fn meta(row: &Row) -> Meta {
    Meta {
        oid: row.get(0),
        schema: row.get(1),
        name: row.get(2),
        owner: row.get(3),
        acl: row.get(4),
        acl_base: Vec::new(),
        comment: row.get(5),
    }
}

fn char_of(row: &Row, i: usize) -> char {
    row.get::<_, Option<String>>(i)
        .and_then(|s| s.chars().next())
        .unwrap_or('\0')
}

fn opt_char(row: &Row, i: usize) -> Option<char> {
    row.get::<_, Option<String>>(i)
        .and_then(|s| s.chars().next())
        .filter(|c| *c != '\0')
}

/// The SQL name of a catalog row, qualified unless visible.
fn qname(visible: &str, nsp: &str, name: &str) -> String {
    format!(
        "CASE WHEN {visible} THEN pg_catalog.quote_ident({name}) \
         ELSE pg_catalog.quote_ident({nsp}) || '.' || pg_catalog.quote_ident({name}) END"
    )
}

pub(super) struct Reader<'a> {
    /// Connections that share one snapshot; each query goes to one of them
    /// (chosen by the query's name), so the server works on several at once.
    pub clients: &'a [&'a Client],
    pub version: i32,
    pub schemas: Vec<u32>,
    pub relations: Vec<u32>,
    /// Database-level objects (extensions, casts, ...) are in scope.
    pub database_level: bool,
    pub sequence_values: bool,
    /// Large objects are in scope.
    pub large_objects: bool,
}

impl Reader<'_> {
    async fn q(&self, what: &'static str, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> R<Vec<Row>> {
        self.run(pick(what, self.clients.len()), what, sql, params).await
    }

    /// `sql` over `oids` (its `$1`), split into one contiguous part of the
    /// sorted oids per session, run at once; rows in part order, so a
    /// query ordered by the oid first keeps its order. For a query whose
    /// server-side rendering is the catalog read's longest (every index
    /// definition, 0.8 s at 40,000 indexes) when there are enough oids to
    /// gain from it; also the relations (every view's definition) and the
    /// sequences (every sequence's value), 2 s each at 20,000.
    async fn q_spread(&self, what: &'static str, sql: &str, oids: &[u32]) -> R<Vec<Row>> {
        const MIN_SPREAD: usize = 2000;
        let n = self.clients.len();
        if n < 2 || oids.len() < MIN_SPREAD {
            return self.q(what, sql, &[&oids]).await;
        }
        let mut sorted = oids.to_vec();
        sorted.sort_unstable();
        let base = pick(what, n);
        let parts: Vec<&[u32]> = sorted.chunks(sorted.len().div_ceil(n)).collect();
        let results = futures::future::try_join_all(
            parts.iter().enumerate().map(|(k, part)| async move { self.run((base + k) % n, what, sql, &[part]).await }),
        )
        .await?;
        Ok(results.into_iter().flatten().collect())
    }

    /// A parameterless query on session `k` (modulo the sessions there are).
    async fn q_on(&self, k: usize, what: &'static str, sql: &str) -> R<Vec<Row>> {
        self.run(k % self.clients.len().max(1), what, sql, &[]).await
    }

    async fn run(
        &self,
        slot: usize,
        what: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> R<Vec<Row>> {
        let started = std::time::Instant::now();
        let rows = self.clients[slot]
            .query(sql, params)
            .await
            .map_err(|e| CatalogError::query(what, e))?;
        tracing::debug!(what, slot, rows = rows.len(), ms = started.elapsed().as_millis() as u64, "catalog query");
        Ok(rows)
    }

    /// `pg_depend` rows leaving any of `keys`, to user objects.
    pub async fn dependencies(&self, keys: &[ObjRef]) -> R<Vec<Dependency>> {
        let classes: Vec<u32> = keys.iter().map(|k| k.classid).collect();
        let objs: Vec<u32> = keys.iter().map(|k| k.objid).collect();
        let rows = self
            .q(
                "dependencies",
                "SELECT d.classid, d.objid, d.refclassid, d.refobjid \
                 FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o) \
                 JOIN pg_catalog.pg_depend d ON d.classid = k.c AND d.objid = k.o \
                 WHERE d.deptype NOT IN ('p','e') AND d.refobjid >= 16384",
                &[&classes, &objs],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Dependency {
                from: ObjRef { classid: r.get(0), objid: r.get(1) },
                to: ObjRef { classid: r.get(2), objid: r.get(3) },
            })
            .collect())
    }
}

/// Which connection runs a query. The expensive ones (the server renders
/// every index, view, constraint and default) are spread by hand so they
/// run at once; the rest follow a stable hash of their name.
fn pick(what: &str, n: usize) -> usize {
    let n = n.max(1);
    let slot = match what {
        "indexes" | "sequences" | "constraints" => 0,
        "relations" | "types" | "dependencies" => 1,
        "columns" => 2,
        _ => what.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) as usize,
    };
    slot % n
}

fn with_base(mut m: Meta, base: Vec<String>) -> Meta {
    m.acl_base = base;
    m
}

/// The privileges an object starts with: `pg_init_privs` when the server
/// recorded some (the `public` schema), else `acldefault`.
fn base_acl(row: &Row, default_col: usize, init_col: usize) -> Vec<String> {
    if init_col < row.len() {
        if let Some(init) = row.get::<_, Option<Vec<String>>>(init_col) {
            return init;
        }
    }
    row.get::<_, Option<Vec<String>>>(default_col).unwrap_or_default()
}
