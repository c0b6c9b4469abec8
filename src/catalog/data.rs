//! Facts the data path needs about the tables in scope: how large each one
//! is (to copy the largest first and to split big ones by block ranges),
//! and whether its column types survive binary COPY into another database.
//!
//! Two queries for the whole scope, never one per table. Each type is
//! looked up by its oid (a `LATERAL … OFFSET 0` the planner cannot turn
//! into a hash join over all of `pg_type`: 17 ms per call at 20,000
//! tables, once per tenant in a service round).

use std::collections::HashMap;

use tokio_postgres::Client;

use super::CatalogError;

/// Oids below this are the server's own objects, the same in every
/// database of every cluster of a major version.
const FIRST_NORMAL_OID: u32 = 16384;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableSize {
    /// Heap blocks of the main fork.
    pub blocks: u64,
    /// Bytes with TOAST, for ordering work.
    pub bytes: u64,
}

/// Sizes of `tables` (oids), read from the file system by the server.
pub async fn table_sizes(client: &Client, tables: &[u32]) -> Result<HashMap<u32, TableSize>, CatalogError> {
    let rows = client
        .query(
            "SELECT s.oid, (pg_catalog.pg_relation_size(s.oid) / pg_catalog.current_setting('block_size')::int8), \
               pg_catalog.pg_table_size(s.oid) \
             FROM pg_catalog.unnest($1::oid[]) AS s(oid)",
            &[&tables],
        )
        .await
        .map_err(|e| CatalogError::query("table sizes", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let blocks: i64 = r.get(1);
            let bytes: Option<i64> = r.get(2);
            (r.get::<_, u32>(0), TableSize { blocks: blocks.max(0) as u64, bytes: bytes.unwrap_or(0).max(0) as u64 })
        })
        .collect())
}

/// For each of `types` whose values cannot go through binary COPY into
/// another database, why not. Two reasons: a type (or a type inside it:
/// an array's element, a domain's base, a range's subtype, a composite's
/// attribute) has no binary send/receive functions; or its binary form
/// names type oids that differ between databases (arrays of user-defined
/// types and composites, whose receive functions insist on the oids).
pub async fn text_only_types(client: &Client, types: &[u32]) -> Result<HashMap<u32, String>, CatalogError> {
    let sql = "WITH RECURSIVE t(root, oid) AS ( \
           SELECT x, x FROM pg_catalog.unnest($1::oid[]) AS x \
           UNION \
           SELECT t.root, n.next FROM t JOIN pg_catalog.pg_type p ON p.oid = t.oid \
           CROSS JOIN LATERAL ( \
             SELECT p.typbasetype UNION ALL SELECT p.typelem \
             UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = p.oid \
             UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a \
               WHERE p.typtype = 'c' AND a.attrelid = p.typrelid AND a.attnum > 0 AND NOT a.attisdropped \
           ) AS n(next) WHERE n.next <> 0 \
         ) \
         SELECT t.root, p.oid, p.name, p.binary, p.composite, p.typelem, p.typlen \
         FROM t CROSS JOIN LATERAL ( \
           SELECT p.oid, pg_catalog.format_type(p.oid, NULL) AS name, p.typsend <> 0 AND p.typreceive <> 0 AS binary, \
                  p.typtype = 'c' AS composite, p.typelem, p.typlen \
           FROM pg_catalog.pg_type p WHERE p.oid = t.oid OFFSET 0 \
         ) p";
    let rows = client
        .query(sql, &[&types])
        .await
        .map_err(|e| CatalogError::query("column types", e))?;
    let mut out: HashMap<u32, String> = HashMap::new();
    for r in rows {
        let root: u32 = r.get(0);
        let oid: u32 = r.get(1);
        let name: String = r.get(2);
        let binary: bool = r.get(3);
        let composite: bool = r.get(4);
        let elem: u32 = r.get(5);
        let len: i16 = r.get(6);
        let reason = if !binary {
            Some(format!("type {name} has no binary send/receive functions"))
        } else if composite && oid >= FIRST_NORMAL_OID {
            Some(format!("the binary form of composite type {name} names the oids of its attribute types"))
        } else if elem >= FIRST_NORMAL_OID && len == -1 {
            Some(format!("the binary form of array type {name} names the oid of its element type"))
        } else {
            None
        };
        if let Some(reason) = reason {
            out.entry(root).or_insert(reason);
        }
    }
    Ok(out)
}

/// What a reader needs to decode a column's binary values without a
/// server: the type they are sent as (a domain's base type), its kind
/// when it is not a plain base type, and a range's subtype.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueTypeInfo {
    pub base_type_oid: Option<u32>,
    pub kind: Option<String>,
    pub range_subtype_oid: Option<u32>,
}

/// [`ValueTypeInfo`] for each of `types` that is a domain, an enum, a
/// range, a multirange or a composite; plain base types are left out.
pub async fn value_types(
    client: &Client,
    types: &[u32],
    server_version_num: u32,
) -> Result<HashMap<u32, ValueTypeInfo>, CatalogError> {
    // Multiranges (and pg_range.rngmultitypid) appeared in PostgreSQL 14.
    let range_match = if server_version_num >= 140000 {
        "r.rngtypid = t.oid OR r.rngmultitypid = t.oid"
    } else {
        "r.rngtypid = t.oid"
    };
    let sql = format!(
        "WITH RECURSIVE d(root, oid, depth) AS ( \
           SELECT x, x, 0 FROM pg_catalog.unnest($1::oid[]) AS x \
           UNION ALL \
           SELECT d.root, t.typbasetype, d.depth + 1 FROM d JOIN pg_catalog.pg_type t ON t.oid = d.oid \
           WHERE t.typtype = 'd' AND d.depth < 100 \
         ) \
         SELECT d.root, d.oid, t.typtype::text, \
                CASE WHEN st.typtype = 'd' THEN st.typbasetype ELSE r.rngsubtype END \
         FROM d JOIN pg_catalog.pg_type t ON t.oid = d.oid \
         LEFT JOIN pg_catalog.pg_range r ON {range_match} \
         LEFT JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype \
         WHERE t.typtype <> 'd'"
    );
    let rows = client
        .query(&sql, &[&types])
        .await
        .map_err(|e| CatalogError::query("column value types", e))?;
    let mut out = HashMap::new();
    for r in rows {
        let root: u32 = r.get(0);
        let oid: u32 = r.get(1);
        let kind: String = r.get(2);
        let subtype: Option<u32> = r.get(3);
        let info = ValueTypeInfo {
            base_type_oid: (oid != root).then_some(oid),
            kind: matches!(kind.as_str(), "e" | "r" | "m" | "c").then_some(kind),
            range_subtype_oid: subtype,
        };
        if info != ValueTypeInfo::default() {
            out.insert(root, info);
        }
    }
    Ok(out)
}
