//! Renders the catalog model to SQL in pg_dump's three sections, in
//! dependency order.
//!
//! Owns statement text, section assignment and ordering (with the repairs
//! for the known dependency cycles). It must not query the server: all it
//! knows comes from a `catalog::Catalog`.
//!
//! Naming rule: every statement names the object it acts on qualified,
//! never through `search_path`: PostgreSQL searches `pg_catalog` before the
//! path for unqualified names, so a bare `ALTER VIEW pg_stat_activity OWNER`
//! acts on the system view (CVE-2018-1058). When the catalog was read for
//! exactly one schema, that schema's objects are qualified by the target
//! name (`RenderOptions::target_schema`, or the placeholder a restore fills
//! in), and the fragments the server rendered (view bodies, defaults, CHECK
//! and index expressions) were rendered with `search_path` set to the schema
//! (`pg_catalog` implicitly first, where the reader's own queries need it):
//! they name the schema's objects bare, except those a `pg_catalog` object
//! of the same name shadows, which the server qualified by the source
//! schema's name (the dump warns about such names, and a restore under
//! another name names every entry that keeps pointing at the source). The script sets the
//! same path with the target schema in its place, so every bare name binds
//! in the copy as it bound in the source. Function bodies are text: a body
//! that names its own schema explicitly keeps that name.

pub mod acl;
mod build;
pub mod sort;

use std::collections::{HashMap, HashSet};

use crate::catalog::{Catalog, ObjRef};
use crate::manifest::snapshot::{DdlEntry, Section};

#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    pub no_owner: bool,
    pub no_acl: bool,
    pub no_comments: bool,
    /// Create the one dumped schema under this name instead.
    pub target_schema: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DdlError {
    #[error("--target-schema needs a dump of exactly one schema (use one -n pattern that matches one schema)")]
    TargetNeedsOneSchema,
    #[error("{object}: {problem}")]
    Object { object: String, problem: String },
}

/// The rendered dump: entries in restore order.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub entries: Vec<DdlEntry>,
    pub warnings: Vec<String>,
    /// The `search_path` every entry expects (empty: everything qualified).
    pub search_path: String,
    pub database: String,
    pub server_version_num: i32,
    /// Every catalog row (class id, object id) whose definition the entries
    /// carry, including rows that stand for another rendered object (a
    /// table's row type, a constraint's index). What a scope holds and is
    /// not here was left out, and a warning says so.
    pub rendered_rows: HashSet<ObjRef>,
}

/// The header every script starts with: settings the statements rely on.
pub fn script_header(search_path: &str) -> String {
    format!(
        "SET statement_timeout = 0;\n\
         SET lock_timeout = 0;\n\
         SET idle_in_transaction_session_timeout = 0;\n\
         SET client_encoding = 'UTF8';\n\
         SET standard_conforming_strings = on;\n\
         SELECT pg_catalog.set_config('search_path', {}, false);\n\
         SET check_function_bodies = false;\n\
         SET xmloption = content;\n\
         SET client_min_messages = warning;\n\
         SET row_security = off;\n\
         SET default_table_access_method = heap;\n\
         SET default_tablespace = '';\n",
        crate::sql::quote::quote_literal_std(search_path)
    )
}

impl Rendered {
    /// The whole dump as one script, like `pg_dump --schema-only`.
    pub fn script(&self, sections: &[Section]) -> String {
        let mut out = String::new();
        out.push_str("--\n-- PostgreSQL database schema dump by pgkeep\n--\n");
        for w in &self.warnings {
            out.push_str(&format!("-- WARNING: {}\n", one_line(w)));
        }
        out.push('\n');
        out.push_str(&script_header(&self.search_path));
        for e in &self.entries {
            if !sections.is_empty() && !sections.contains(&e.section) {
                continue;
            }
            out.push_str(&format!(
                "\n--\n-- Name: {}; Type: {}; Schema: {}; Owner: {}\n--\n\n",
                one_line(&e.name),
                e.kind,
                one_line(e.schema.as_deref().unwrap_or("-")),
                one_line(e.owner.as_deref().unwrap_or("-"))
            ));
            out.push_str(&e.create_sql);
            if !e.create_sql.ends_with('\n') {
                out.push('\n');
            }
        }
        out.push_str("\n--\n-- dump complete\n--\n");
        out
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Renders `cat`.
pub fn render(cat: &Catalog, opts: &RenderOptions) -> Result<Rendered, DdlError> {
    if opts.target_schema.is_some() && cat.relative_schema.is_none() {
        return Err(DdlError::TargetNeedsOneSchema);
    }
    let mut split: HashSet<ObjRef> = HashSet::new();
    let mut warnings = cat.warnings.clone();
    let mut broken: HashSet<(ObjRef, ObjRef)> = HashSet::new();
    // Each round either sorts or repairs one cycle; a cycle that cannot be
    // repaired loses one edge (with a warning), so this ends.
    for _round in 0..10_000 {
        let started = std::time::Instant::now();
        let mut built = build::build(cat, opts, &split)?;
        let deps = built.resolve(cat, &broken);
        tracing::debug!(items = built.items.len(), ms = started.elapsed().as_millis() as u64, "built and resolved");
        let keys: Vec<sort::SortKey> = built.items.iter().map(|i| i.sort_key()).collect();
        match sort::toposort(&keys, &deps) {
            sort::Outcome::Sorted(order) => {
                let mut ids: HashMap<usize, u32> = HashMap::new();
                for (n, &i) in order.iter().enumerate() {
                    ids.insert(i, n as u32 + 1);
                }
                // Computed before the items are moved out below.
                let mut rendered_rows: HashSet<ObjRef> = built.rendered_rows().collect();
                warnings.extend(std::mem::take(&mut built.warnings));
                // Each item moves into its entry (never cloned): at tens of
                // thousands of tables a second copy of every statement was
                // a quarter of the dump's peak memory.
                let mut slots: Vec<Option<build::Item>> = std::mem::take(&mut built.items).into_iter().map(Some).collect();
                drop(built);
                let mut entries = Vec::with_capacity(order.len());
                for &i in &order {
                    let Some(it) = slots[i].take() else { continue };
                    let mut d: Vec<u32> = deps[i].iter().filter_map(|j| ids.get(j).copied()).collect();
                    d.sort_unstable();
                    d.dedup();
                    entries.push(DdlEntry {
                        id: ids[&i],
                        section: it.section,
                        kind: it.kind,
                        schema: it.schema,
                        name: it.name,
                        owner: if opts.no_owner { None } else { it.owner },
                        create_sql: it.sql,
                        drop_sql: it.drop,
                        deps: d,
                        two_step: it.two_step,
                        schema_template: None,
                    });
                }
                drop((slots, deps, ids));
                let stand_ins: Vec<ObjRef> =
                    cat.aliases.iter().filter(|(_, target)| rendered_rows.contains(target)).map(|(row, _)| *row).collect();
                rendered_rows.extend(stand_ins);
                let search_path = match (&cat.relative_schema, &opts.target_schema) {
                    (_, Some(t)) => crate::sql::quote::quote_ident(t).into_owned(),
                    (Some(s), None) => crate::sql::quote::quote_ident(s).into_owned(),
                    (None, None) => String::new(),
                };
                return Ok(Rendered {
                    entries,
                    warnings,
                    search_path,
                    database: cat.database.clone(),
                    server_version_num: cat.server_version_num,
                    rendered_rows,
                });
            }
            sort::Outcome::Cycle(cycle) => {
                let repairs = built.repairs_for(&cycle, cat);
                if repairs.is_empty() {
                    let names: Vec<String> =
                        cycle.iter().map(|&i| format!("{} {}", built.items[i].kind, built.items[i].name)).collect();
                    warnings.push(format!(
                        "dependency loop that pgkeep cannot repair: {}; the order among them may fail on restore",
                        names.join(" -> ")
                    ));
                    // Drop the edge from the first member to the next.
                    let a = cycle[0];
                    let b = cycle[1 % cycle.len()];
                    broken.insert((built.items[b].key, built.items[a].key));
                } else {
                    split.extend(repairs);
                }
            }
        }
    }
    Err(DdlError::Object {
        object: "dump".into(),
        problem: "dependency ordering did not converge".into(),
    })
}
