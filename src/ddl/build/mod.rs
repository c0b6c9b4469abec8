//! Turns each catalog object into one or more dump items (statement text,
//! section, priority, dependencies). Parts of an object that may have to
//! move out of it to break a dependency loop (a column default, a CHECK, a
//! domain constraint, a view's definition) are rendered inline unless the
//! caller asks for them to be split.
//!
//! This file holds the [`Builder`] and what every family shares: items,
//! priorities, keys, the [`Namer`], the owner/comment/privilege decorations,
//! [`build`] (which calls the families in order) and the dependency
//! resolution of the built items. Each family's `impl Builder` block lives in
//! the file named like the one that reads it in `catalog::read`
//! (`tables.rs`, `functions.rs`, ...); no family renders here.

use std::collections::{HashMap, HashSet};

use super::acl::{self, Target};
use crate::sql::quote::{quote_ident, quote_literal_std};
use super::sort::SortKey;
use super::{DdlError, RenderOptions};
use crate::catalog::model::class;
use crate::catalog::*;
use crate::manifest::kind::EntryKind;
use crate::manifest::snapshot::{Section, TwoStep, TwoStepMethod};

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

/// Keys for items that are not catalog rows of their own.
mod synth {
    pub const SEQUENCE_OWNED_BY: u32 = 0xFFFF_0001;
    pub const SEQUENCE_SET: u32 = 0xFFFF_0002;
    pub const MATVIEW_REFRESH: u32 = 0xFFFF_0003;
    pub const TABLE_ATTACH: u32 = 0xFFFF_0004;
    pub const INDEX_ATTACH: u32 = 0xFFFF_0005;
    pub const VIEW_DEFINITION: u32 = 0xFFFF_0006;
    pub const PUBLICATION_TABLE: u32 = 0xFFFF_0007;
    pub const PUBLICATION_SCHEMA: u32 = 0xFFFF_0008;
    pub const DEFAULT_ACL: u32 = 0xFFFF_0009;
    pub const USER_MAPPING: u32 = 0xFFFF_000A;
    pub const LARGE_OBJECT: u32 = 0xFFFF_000B;
    pub const TYPE_SHELL: u32 = 0xFFFF_000C;
    pub const EXTENSION_ACL: u32 = 0xFFFF_000D;
    pub const SYSTEM_COLUMN_ACL: u32 = 0xFFFF_000E;
}

mod prio {
    // pg_dump_sort.c's order: a language comes right after the schemas,
    // a subscription after the publications and their members.
    pub const SCHEMA: u8 = 1;
    pub const PROCLANG: u8 = 2;
    pub const EXTENSION: u8 = 3;
    pub const COLLATION: u8 = 4;
    pub const TYPE: u8 = 5;
    pub const FUNCTION: u8 = 6;
    pub const AGGREGATE: u8 = 7;
    pub const OPERATOR: u8 = 8;
    pub const OPFAMILY: u8 = 9;
    pub const OPCLASS: u8 = 10;
    pub const CONVERSION: u8 = 11;
    pub const TEXT_SEARCH: u8 = 12;
    pub const CAST: u8 = 13;
    pub const FDW: u8 = 14;
    pub const SERVER: u8 = 15;
    pub const USER_MAPPING: u8 = 16;
    pub const TABLE: u8 = 17;
    pub const DEFAULT: u8 = 18;
    pub const TABLE_ATTACH: u8 = 19;
    pub const SEQUENCE_OWNED_BY: u8 = 20;
    pub const LARGE_OBJECT: u8 = 21;
    // post-data
    pub const SEQUENCE_SET: u8 = 30;
    pub const CONSTRAINT: u8 = 31;
    pub const INDEX: u8 = 32;
    pub const INDEX_ATTACH: u8 = 33;
    pub const STATISTICS: u8 = 34;
    pub const RULE: u8 = 35;
    pub const TRIGGER: u8 = 36;
    pub const FK: u8 = 37;
    pub const POLICY: u8 = 38;
    pub const PUBLICATION: u8 = 39;
    pub const PUBLICATION_MEMBER: u8 = 40;
    pub const SUBSCRIPTION: u8 = 41;
    pub const EVENT_TRIGGER: u8 = 42;
    pub const MATVIEW_REFRESH: u8 = 43;
    pub const DEFAULT_ACL: u8 = 44;
}

#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub key: ObjRef,
    pub kind: EntryKind,
    pub section: Section,
    pub priority: u8,
    pub schema: Option<String>,
    pub name: String,
    pub owner: Option<String>,
    pub sql: String,
    pub drop: Option<String>,
    /// Dependencies beyond `pg_depend` (keys or aliased rows).
    pub deps: Vec<ObjRef>,
    pub two_step: Option<TwoStep>,
}

impl Item {
    pub fn sort_key(&self) -> SortKey<'_> {
        SortKey {
            section: match self.section {
                Section::PreData => 0,
                Section::Data => 1,
                Section::PostData => 2,
            },
            priority: self.priority,
            schema: self.schema.as_deref().unwrap_or(""),
            name: &self.name,
            tiebreak: &self.sql,
        }
    }
}

pub(crate) struct Built {
    pub items: Vec<Item>,
    /// Rows rendered inside another item (inline CHECKs, defaults).
    inline: HashMap<ObjRef, ObjRef>,
    /// Per item key: the inline parts that could be split out.
    parts: HashMap<ObjRef, Vec<ObjRef>>,
    /// (sequence, owning table): the sequence's dependency on its table is
    /// carried by the OWNED BY item instead.
    owned: HashSet<(u32, u32)>,
    /// Base type -> its shell: functions that take or return the type
    /// need only the shell.
    shells: HashMap<ObjRef, (ObjRef, Vec<u32>)>,
    pub warnings: Vec<String>,
}

impl Built {
    /// The catalog rows whose definitions these items carry: their own keys
    /// and the parts rendered inside them (synthetic keys left out).
    pub fn rendered_rows(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.items
            .iter()
            .map(|i| match i.key.classid {
                // Items keyed apart from their catalog's own objects (so the
                // keys cannot collide) that still stand for one row each.
                synth::USER_MAPPING => ObjRef { classid: class::PG_USER_MAPPING, objid: i.key.objid },
                synth::LARGE_OBJECT => ObjRef { classid: class::PG_LARGEOBJECT_METADATA, objid: i.key.objid },
                synth::DEFAULT_ACL => ObjRef { classid: class::PG_DEFAULT_ACL, objid: i.key.objid },
                _ => i.key,
            })
            .chain(self.inline.keys().copied())
            .filter(|k| k.classid < 0xFFFF_0000)
    }
}

/// Names objects in emitted SQL: always schema-qualified, with the
/// relative schema (if any) replaced by the target schema.
struct Namer<'a> {
    relative: Option<&'a str>,
    target: Option<&'a str>,
}

impl Namer<'_> {
    /// A schema's name, the relative schema's replaced by the target.
    fn schema(&self, s: &str) -> String {
        match (self.relative, self.target) {
            (Some(r), Some(t)) if r == s => quote_ident(t).into_owned(),
            _ => quote_ident(s).into_owned(),
        }
    }

    /// Every object that lives in a schema is named qualified, the
    /// relative schema's by the target (or placeholder) name: PostgreSQL
    /// searches `pg_catalog` before the path for unqualified names, so a
    /// bare `ALTER VIEW pg_stat_activity` would act on the system view.
    fn qualified(&self, schema: Option<&str>, name: &str) -> String {
        match schema {
            Some(s) => format!("{}.{}", self.schema(s), quote_ident(name)),
            None => quote_ident(name).into_owned(),
        }
    }

    /// The qualified name of the object `meta` describes.
    fn of(&self, meta: &Meta) -> String {
        self.qualified(meta.schema.as_deref(), &meta.name)
    }
}

/// Renders a whole catalog into [`Built`] items, one family at a time
/// (each family's `impl Builder` block lives in the file of that name).
struct Builder<'a> {
    cat: &'a Catalog,
    opts: &'a RenderOptions,
    split: &'a HashSet<ObjRef>,
    names: Namer<'a>,
    out: Built,
    rel_by_oid: HashMap<u32, &'a Relation>,
    index_by_oid: HashMap<u32, &'a Index>,
    checks_by_table: HashMap<u32, Vec<&'a Constraint>>,
    not_nulls: HashMap<(u32, &'a str), &'a Constraint>,
    identity_seq: HashMap<(u32, &'a str), &'a Sequence>,
}

fn key(classid: u32, objid: u32) -> ObjRef {
    ObjRef { classid, objid }
}

fn options_clause(opts: &[String]) -> String {
    let parts: Vec<String> = opts
        .iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) => format!("{} {}", quote_ident(k), quote_literal_std(v)),
            None => quote_ident(o).into_owned(),
        })
        .collect();
    format!("OPTIONS ({})", parts.join(", "))
}

/// An operator name from `regoper` output, usable after `COMMUTATOR =`.
fn operator_ref(op: &str) -> String {
    if op.contains('.') {
        format!("OPERATOR({op})")
    } else {
        op.to_string()
    }
}

impl Builder<'_> {
    fn push(&mut self, item: Item) {
        self.out.items.push(item);
    }

    fn item(&self, key: ObjRef, kind: EntryKind, section: Section, priority: u8, schema: Option<&str>, name: &str) -> Item {
        Item {
            key,
            kind,
            section,
            priority,
            schema: schema.map(str::to_string),
            name: name.to_string(),
            owner: None,
            sql: String::new(),
            drop: None,
            deps: Vec::new(),
            two_step: None,
        }
    }

    fn owner(&self, sql: &mut String, what: &str, owner: Option<&str>) {
        if self.opts.no_owner {
            return;
        }
        if let Some(o) = owner {
            sql.push_str(&format!("ALTER {what} OWNER TO {};\n", quote_ident(o)));
        }
    }

    fn comment(&self, sql: &mut String, what: &str, comment: Option<&str>) {
        if self.opts.no_comments {
            return;
        }
        if let Some(c) = comment {
            sql.push_str(&format!("COMMENT ON {what} IS {};\n", quote_literal_std(c)));
        }
    }

    fn grants(&mut self, sql: &mut String, on: &str, column: Option<&str>, meta_owner: Option<&str>, actual: Option<&[String]>, base: &[String]) {
        if self.opts.no_acl {
            return;
        }
        let t = Target { prefix: "", on, column, owner: meta_owner };
        match acl::statements(&t, actual, base) {
            Ok(s) => sql.push_str(&s),
            Err(e) => self.out.warnings.push(format!("privileges on {on} not dumped: {e}")),
        }
    }

    /// Owner, comment and privileges of a plain object.
    fn decorate(&mut self, sql: &mut String, what: &str, acl_on: Option<&str>, m: &Meta) {
        self.owner(sql, what, m.owner.as_deref());
        self.comment(sql, what, m.comment.as_deref());
        if let Some(on) = acl_on {
            self.grants(sql, on, None, m.owner.as_deref(), m.acl.as_deref(), &m.acl_base);
        }
    }

}

pub(crate) fn build(cat: &Catalog, opts: &RenderOptions, split: &HashSet<ObjRef>) -> Result<Built, DdlError> {
    let mut b = Builder {
        cat,
        opts,
        split,
        names: Namer { relative: cat.relative_schema.as_deref(), target: opts.target_schema.as_deref() },
        out: Built {
            items: Vec::new(),
            inline: HashMap::new(),
            parts: HashMap::new(),
            owned: HashSet::new(),
            shells: HashMap::new(),
            warnings: Vec::new(),
        },
        rel_by_oid: cat.relations.iter().map(|r| (r.meta.oid, r)).collect(),
        index_by_oid: cat.indexes.iter().map(|i| (i.meta.oid, i)).collect(),
        checks_by_table: HashMap::new(),
        not_nulls: cat
            .constraints
            .iter()
            .filter_map(|c| (c.kind == 'n').then_some(c).and_then(|c| c.column.as_deref().map(|col| ((c.table, col), c))))
            .collect(),
        identity_seq: cat
            .sequences
            .iter()
            .filter_map(|s| s.identity_of.as_ref().map(|(t, c)| ((*t, c.as_str()), s)))
            .collect(),
    };
    for c in &cat.constraints {
        // A partition is created on its own and then attached, and ATTACH
        // PARTITION wants every CHECK of the parent already there: the
        // inherited ones go into its CREATE TABLE too, and the server marks
        // them inherited-only again when it attaches (as it does columns).
        let partition = || b.rel_by_oid.get(&c.table).is_some_and(|r| r.partition_bound.is_some());
        if c.kind == 'c' && (c.is_local || partition()) {
            b.checks_by_table.entry(c.table).or_default().push(c);
        }
    }
    b.schemas();
    b.extensions();
    b.collations();
    b.types();
    b.sequences();
    b.relations();
    b.constraints();
    b.indexes();
    b.functions();
    b.aggregates();
    b.operators();
    b.opfamilies();
    b.access_methods();
    b.transforms();
    b.casts();
    b.conversions();
    b.text_search();
    b.triggers();
    b.rules();
    b.policies();
    b.statistics();
    b.foreign();
    b.publications();
    b.languages();
    b.subscriptions();
    b.system_column_acls();
    b.large_objects();
    b.extension_acls();
    b.default_acls();
    Ok(b.out)
}

impl Built {
    fn index(&self) -> HashMap<ObjRef, usize> {
        self.items.iter().enumerate().map(|(i, it)| (it.key, i)).collect()
    }

    fn find(&self, idx: &HashMap<ObjRef, usize>, cat: &Catalog, mut r: ObjRef) -> Option<usize> {
        for _ in 0..8 {
            if let Some(&i) = idx.get(&r) {
                return Some(i);
            }
            r = match self.inline.get(&r).or_else(|| cat.aliases.get(&r)) {
                Some(&next) => next,
                None => return None,
            };
        }
        None
    }

    /// Dependencies as item indices; moves post-data items that pre-data
    /// items need into pre-data.
    pub fn resolve(&mut self, cat: &Catalog, broken: &HashSet<(ObjRef, ObjRef)>) -> Vec<Vec<usize>> {
        let idx = self.index();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); self.items.len()];
        let add = |deps: &mut Vec<Vec<usize>>, i: usize, j: usize| {
            if i != j && !broken.contains(&(self.items[i].key, self.items[j].key)) {
                deps[i].push(j);
            }
        };
        for d in &cat.dependencies {
            if d.from.classid == class::PG_CLASS
                && d.to.classid == class::PG_CLASS
                && self.owned.contains(&(d.from.objid, d.to.objid))
            {
                continue;
            }
            if let (Some(i), Some(mut j)) = (self.find(&idx, cat, d.from), self.find(&idx, cat, d.to)) {
                if d.from.classid == class::PG_PROC {
                    if let Some((shell, io)) = self.shells.get(&self.items[j].key) {
                        if io.contains(&d.from.objid) {
                            j = idx[shell];
                        }
                    }
                }
                add(&mut deps, i, j);
            }
        }
        for i in 0..self.items.len() {
            for r in self.items[i].deps.clone() {
                if let Some(j) = self.find(&idx, cat, r) {
                    add(&mut deps, i, j);
                }
            }
        }
        self.order_matview_refreshes(&idx, &mut deps);
        for d in deps.iter_mut() {
            d.sort_unstable();
            d.dedup();
        }
        loop {
            let mut moved = false;
            for (i, d) in deps.iter().enumerate() {
                if self.items[i].section != Section::PreData {
                    continue;
                }
                for &j in d {
                    if self.items[j].section != Section::PreData {
                        self.items[j].section = Section::PreData;
                        moved = true;
                    }
                }
            }
            if !moved {
                break;
            }
        }
        deps
    }

    /// A materialized view's REFRESH reads the materialized views below it
    /// (through any views): those must be refreshed first.
    fn order_matview_refreshes(&self, idx: &HashMap<ObjRef, usize>, deps: &mut [Vec<usize>]) {
        let refreshes: Vec<(usize, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, it)| it.key.classid == synth::MATVIEW_REFRESH)
            .filter_map(|(i, it)| idx.get(&key(class::PG_CLASS, it.key.objid)).map(|&mv| (i, mv)))
            .collect();
        if refreshes.is_empty() {
            return;
        }
        let refresh_of: HashMap<usize, usize> = refreshes.iter().map(|&(r, mv)| (mv, r)).collect();
        for &(r, mv) in &refreshes {
            let mut stack = deps[mv].clone();
            let mut seen: HashSet<usize> = HashSet::new();
            while let Some(j) = stack.pop() {
                if !seen.insert(j) {
                    continue;
                }
                match self.items[j].kind {
                    EntryKind::MaterializedView => {
                        if let Some(&rj) = refresh_of.get(&j) {
                            if rj != r {
                                deps[r].push(rj);
                            }
                        }
                        stack.extend(deps[j].iter().copied());
                    }
                    EntryKind::View => stack.extend(deps[j].iter().copied()),
                    _ => {}
                }
            }
        }
    }

    /// What to split so that `cycle` no longer is one.
    pub fn repairs_for(&self, cycle: &[usize], cat: &Catalog) -> Vec<ObjRef> {
        let idx = self.index();
        let members: HashSet<usize> = cycle.iter().copied().collect();
        let mut out = Vec::new();
        for &i in cycle {
            let item = &self.items[i];
            if let Some(parts) = self.parts.get(&item.key) {
                for p in parts {
                    let needed = cat
                        .dependencies
                        .iter()
                        .filter(|d| d.from == *p)
                        .any(|d| self.find(&idx, cat, d.to).is_some_and(|j| j != i && members.contains(&j)));
                    if needed {
                        if p.classid == class::PG_REWRITE {
                            out.push(item.key); // stub the view
                        } else {
                            out.push(*p);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

