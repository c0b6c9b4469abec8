//! Turns each catalog object into one or more dump items (statement text,
//! section, priority, dependencies). Parts of an object that may have to
//! move out of it to break a dependency loop (a column default, a CHECK, a
//! domain constraint, a view's definition) are rendered inline unless the
//! caller asks for them to be split.

use std::collections::{HashMap, HashSet};

use super::acl::{self, Target};
use crate::sql::quote::{quote_ident, quote_literal_std};
use super::sort::SortKey;
use super::{DdlError, RenderOptions};
use crate::catalog::model::class;
use crate::catalog::*;
use crate::manifest::snapshot::{Section, TwoStep, TwoStepMethod};

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
    pub kind: &'static str,
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

/// `reloptions` text (`k=v`) as a WITH list; values are quoted unless they
/// are plain words or numbers, as pg_dump does.
fn with_clause(opts: &[String], prefix: &str) -> Vec<String> {
    opts.iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) => {
                let plain = !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                let v = if plain && !v.starts_with('.') { v.to_string() } else { quote_literal_std(v) };
                format!("{prefix}{}={v}", quote_ident(k))
            }
            None => format!("{prefix}{}", quote_ident(o)),
        })
        .collect()
}

/// A dollar-quote tag the body does not contain.
fn dollar_quote(body: &str) -> String {
    let mut tag = String::from("$$");
    let mut n = 0;
    while body.contains(&tag) {
        tag = if n == 0 { "$_$".into() } else { format!("$_{n}$") };
        n += 1;
    }
    format!("{tag}{body}{tag}")
}

/// `proconfig` entries (`name=value`) as `SET` clauses. List-valued
/// settings are split into separate literals, as the server joined them.
fn set_clause(entry: &str) -> String {
    let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
    let list_valued = matches!(
        k,
        "search_path" | "temp_tablespaces" | "session_preload_libraries" | "local_preload_libraries" | "shared_preload_libraries"
    );
    if list_valued {
        let mut items = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = v.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => items.push(std::mem::take(&mut cur).trim().to_string()),
                c if !quoted && c.is_whitespace() && cur.is_empty() => {}
                c => cur.push(c),
            }
        }
        items.push(cur.trim().to_string());
        let lits: Vec<String> = items.iter().map(|i| quote_literal_std(i)).collect();
        format!("SET {} TO {}", quote_ident(k), lits.join(", "))
    } else {
        format!("SET {} TO {}", quote_ident(k), quote_literal_std(v))
    }
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

    fn item(&self, key: ObjRef, kind: &'static str, section: Section, priority: u8, schema: Option<&str>, name: &str) -> Item {
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

    fn schemas(&mut self) {
        for s in &self.cat.schemas {
            let m = &s.meta;
            let name = self.names.schema(&m.name);
            let mut sql = String::new();
            // `public` exists in every new database (pg_dump does not create it either).
            let is_public = m.name == "public" && self.opts.target_schema.is_none();
            if !is_public {
                sql.push_str(&format!("CREATE SCHEMA {name};\n"));
            }
            let what = format!("SCHEMA {name}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_NAMESPACE, m.oid), "SCHEMA", Section::PreData, prio::SCHEMA, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            if !is_public {
                it.drop = Some(format!("DROP SCHEMA IF EXISTS {name};\n"));
            }
            self.push(it);
        }
    }

    fn extensions(&mut self) {
        for x in &self.cat.extensions {
            let m = &x.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!(
                "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {} VERSION {};\n",
                self.names.schema(&x.in_schema),
                quote_literal_std(&x.version)
            );
            self.comment(&mut sql, &format!("EXTENSION {name}"), m.comment.as_deref());
            let mut it = self.item(key(class::PG_EXTENSION, m.oid), "EXTENSION", Section::PreData, prio::EXTENSION, None, &m.name);
            it.sql = sql;
            it.drop = Some(format!("DROP EXTENSION IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn collations(&mut self) {
        for c in &self.cat.collations {
            let m = &c.meta;
            let name = self.names.of(m);
            let mut parts = Vec::new();
            match c.provider.as_str() {
                "i" => parts.push("provider = icu".to_string()),
                "b" => parts.push("provider = builtin".to_string()),
                _ => parts.push("provider = libc".to_string()),
            }
            if c.provider == "c" || c.provider == "d" {
                match (&c.collate, &c.ctype) {
                    (Some(a), Some(b)) if a == b => parts.push(format!("locale = {}", quote_literal_std(a))),
                    (a, b) => {
                        if let Some(a) = a {
                            parts.push(format!("lc_collate = {}", quote_literal_std(a)));
                        }
                        if let Some(b) = b {
                            parts.push(format!("lc_ctype = {}", quote_literal_std(b)));
                        }
                    }
                }
            } else if let Some(l) = c.locale.as_ref().or(c.collate.as_ref()) {
                parts.push(format!("locale = {}", quote_literal_std(l)));
            }
            if !c.deterministic {
                parts.push("deterministic = false".into());
            }
            if let Some(r) = &c.icu_rules {
                parts.push(format!("rules = {}", quote_literal_std(r)));
            }
            let mut sql = match libc_builtin_copy(c) {
                Some(from) => format!("CREATE COLLATION {name} FROM pg_catalog.{};\n", quote_ident(from)),
                None => format!("CREATE COLLATION {name} ({});\n", parts.join(", ")),
            };
            self.decorate(&mut sql, &format!("COLLATION {name}"), None, m);
            let mut it = self.item(key(class::PG_COLLATION, m.oid), "COLLATION", Section::PreData, prio::COLLATION, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP COLLATION IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn types(&mut self) {
        for t in &self.cat.types {
            let m = &t.meta;
            let name = self.names.of(m);
            let tkey = key(class::PG_TYPE, m.oid);
            let mut kind = "TYPE";
            let mut sql = match &t.kind {
                TypeKind::Enum { labels } => {
                    let l: Vec<String> = labels.iter().map(|x| quote_literal_std(x)).collect();
                    format!("CREATE TYPE {name} AS ENUM (\n    {}\n);\n", l.join(",\n    "))
                }
                TypeKind::Composite { attributes, .. } => {
                    let a: Vec<String> = attributes
                        .iter()
                        .map(|at| match &at.collation {
                            Some(c) => format!("{} {} COLLATE {c}", quote_ident(&at.name), at.type_name),
                            None => format!("{} {}", quote_ident(&at.name), at.type_name),
                        })
                        .collect();
                    let mut s = if a.is_empty() {
                        format!("CREATE TYPE {name} AS (\n);\n")
                    } else {
                        format!("CREATE TYPE {name} AS (\n    {}\n);\n", a.join(",\n    "))
                    };
                    for at in attributes {
                        self.comment(&mut s, &format!("COLUMN {name}.{}", quote_ident(&at.name)), at.comment.as_deref());
                    }
                    s
                }
                TypeKind::Domain { base, collation, default, not_null, constraints } => {
                    kind = "DOMAIN";
                    let mut s = format!("CREATE DOMAIN {name} AS {base}");
                    if let Some(c) = collation {
                        s.push_str(&format!(" COLLATE {c}"));
                    }
                    if let Some(d) = default {
                        s.push_str(&format!(" DEFAULT {d}"));
                    }
                    // From 17 on the NOT NULL is a named constraint among
                    // `constraints` (its name and comment are kept there).
                    if *not_null && !constraints.iter().any(|c| c.kind == 'n') {
                        s.push_str(" NOT NULL");
                    }
                    let mut later = Vec::new();
                    for c in constraints {
                        let ckey = key(class::PG_CONSTRAINT, c.oid);
                        if c.validated && !self.split.contains(&ckey) {
                            s.push_str(&format!("\n\tCONSTRAINT {} {}", quote_ident(&c.name), c.definition));
                            self.out.inline.insert(ckey, tkey);
                            self.out.parts.entry(tkey).or_default().push(ckey);
                        } else {
                            later.push(c);
                        }
                    }
                    s.push_str(";\n");
                    for c in constraints {
                        let what = format!("CONSTRAINT {} ON DOMAIN {name}", quote_ident(&c.name));
                        let mut cs = String::new();
                        self.comment(&mut cs, &what, c.comment.as_deref());
                        if later.iter().any(|l| l.oid == c.oid) {
                            let mut it = self.item(ckey_of(c), "CONSTRAINT", if c.validated { Section::PreData } else { Section::PostData },
                                if c.validated { prio::DEFAULT } else { prio::CONSTRAINT }, m.schema.as_deref(), &format!("{} {}", m.name, c.name));
                            it.sql = format!("ALTER DOMAIN {name}\n    ADD CONSTRAINT {} {};\n{cs}", quote_ident(&c.name), c.definition);
                            it.deps.push(tkey);
                            it.owner = m.owner.clone();
                            self.push(it);
                        } else {
                            s.push_str(&cs);
                        }
                    }
                    s
                }
                TypeKind::Shell => format!("CREATE TYPE {name};\n"),
                TypeKind::Base(b) => {
                    let shell = key(synth::TYPE_SHELL, m.oid);
                    let mut it = self.item(shell, "SHELL TYPE", Section::PreData, prio::TYPE, m.schema.as_deref(), &m.name);
                    it.sql = format!("CREATE TYPE {name};\n");
                    it.owner = m.owner.clone();
                    self.push(it);
                    self.out.shells.insert(tkey, (shell, b.io_functions.clone()));
                    base_type_sql(&name, b)
                }
                TypeKind::Range { subtype, subtype_opclass, collation, subtype_diff, multirange_name, multirange_comment, .. } => {
                    let mut p = vec![format!("subtype = {subtype}")];
                    if let Some(o) = subtype_opclass {
                        p.push(format!("subtype_opclass = {o}"));
                    }
                    if let Some(c) = collation {
                        p.push(format!("collation = {c}"));
                    }
                    if let Some(d) = subtype_diff {
                        p.push(format!("subtype_diff = {d}"));
                    }
                    if let Some(mr) = multirange_name {
                        p.push(format!("multirange_type_name = {mr}"));
                    }
                    let mut s = format!("CREATE TYPE {name} AS RANGE (\n    {}\n);\n", p.join(",\n    "));
                    if let Some(mr) = multirange_name {
                        self.comment(&mut s, &format!("TYPE {mr}"), multirange_comment.as_deref());
                    }
                    s
                }
            };
            let what = format!("{kind} {name}");
            self.decorate(&mut sql, &what, Some(&format!("TYPE {name}")), m);
            let mut it = self.item(tkey, kind, Section::PreData, prio::TYPE, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {kind} IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    /// Sequence options; identity columns take their type from the column.
    fn sequence_options(o: &SequenceOptions, with_type: bool) -> String {
        let mut s = String::new();
        if with_type {
            s.push_str(&format!("    AS {}\n", o.data_type));
        }
        s.push_str(&format!(
            "    START WITH {}\n    INCREMENT BY {}\n    MINVALUE {}\n    MAXVALUE {}\n    CACHE {}",
            o.start, o.increment, o.min, o.max, o.cache
        ));
        if o.cycle {
            s.push_str("\n    CYCLE");
        }
        s
    }

    fn sequences(&mut self) {
        for s in &self.cat.sequences {
            let m = &s.meta;
            let name = self.names.of(m);
            let skey = key(class::PG_CLASS, m.oid);
            // Value first: an identity sequence is created with its table.
            let setval = match (s.last_value, s.uncalled_value) {
                (Some(v), _) => Some(format!("SELECT pg_catalog.setval({}, {v}, true);\n", quote_literal_std(&name))),
                (None, Some(v)) => Some(format!("SELECT pg_catalog.setval({}, {v}, false);\n", quote_literal_std(&name))),
                _ => None,
            };
            if let Some(sql) = setval {
                let mut it = self.item(key(synth::SEQUENCE_SET, m.oid), "SEQUENCE SET", Section::PostData, prio::SEQUENCE_SET, m.schema.as_deref(), &m.name);
                it.sql = sql;
                it.deps.push(skey);
                self.push(it);
            }
            if s.identity_of.is_some() {
                // Rendered with its column; only privileges and comment here.
                continue;
            }
            let mut sql = format!(
                "CREATE {}SEQUENCE {name}\n{};\n",
                if s.unlogged { "UNLOGGED " } else { "" },
                Self::sequence_options(&s.options, true)
            );
            let what = format!("SEQUENCE {name}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(skey, "SEQUENCE", Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP SEQUENCE IF EXISTS {name};\n"));
            self.push(it);
            if let Some((table, col)) = &s.owned_by {
                if let Some(rel) = self.rel_by_oid.get(table) {
                    self.out.owned.insert((m.oid, *table));
                    let mut it = self.item(key(synth::SEQUENCE_OWNED_BY, m.oid), "SEQUENCE OWNED BY", Section::PreData, prio::SEQUENCE_OWNED_BY, m.schema.as_deref(), &m.name);
                    it.sql = format!("ALTER SEQUENCE {name} OWNED BY {}.{};\n", self.names.of(&rel.meta), quote_ident(col));
                    it.deps.push(skey);
                    it.deps.push(key(class::PG_CLASS, *table));
                    self.push(it);
                }
            }
        }
    }

    fn identity_clause(&self, rel: &Relation, col: &Column) -> String {
        let kind = if col.identity == Some('a') { "ALWAYS" } else { "BY DEFAULT" };
        let seq = self.identity_seq.get(&(rel.meta.oid, col.name.as_str()));
        match seq {
            Some(s) => {
                // The sequence follows the table's persistence unless it was
                // changed on its own.
                let persistence = match (s.unlogged, rel.unlogged) {
                    (true, false) => "\n    UNLOGGED",
                    (false, true) => "\n    LOGGED",
                    _ => "",
                };
                format!(
                    " GENERATED {kind} AS IDENTITY (\n    SEQUENCE NAME {}\n{}{persistence}\n)",
                    self.names.of(&s.meta),
                    Self::sequence_options(&s.options, false)
                )
            }
            // A partition shares its partitioned parent's identity (17+):
            // ATTACH PARTITION gives it back.
            None if rel.partition_bound.is_some() => String::new(),
            None => format!(" GENERATED {kind} AS IDENTITY"),
        }
    }

    fn relations(&mut self) {
        let rels: Vec<&Relation> = self.cat.relations.iter().collect();
        for rel in rels {
            match rel.kind {
                RelKind::View | RelKind::MaterializedView => self.view(rel),
                _ => self.table(rel),
            }
        }
    }

    fn table(&mut self, rel: &Relation) {
        let m = &rel.meta;
        let name = self.names.of(m);
        let tkey = key(class::PG_CLASS, m.oid);
        let foreign = rel.kind == RelKind::ForeignTable;
        let is_partition = rel.partition_bound.is_some();
        let partition_parent = if is_partition { rel.parents.first().copied() } else { None };
        let inherit_parents: Vec<u32> = if is_partition { Vec::new() } else { rel.parents.clone() };
        let mut lines = Vec::new();
        let mut after = String::new();
        let mut inline_comments = String::new();
        let only = if rel.kind == RelKind::PartitionedTable { "" } else { "ONLY " };
        let alter = if foreign { "ALTER FOREIGN TABLE" } else { "ALTER TABLE" };
        for col in &rel.columns {
            let cname = quote_ident(&col.name).into_owned();
            let listed = rel.of_type.is_none() && (col.is_local || is_partition);
            let dkey = col.default_oid.map(|d| key(class::PG_ATTRDEF, d));
            let default_inline = dkey.is_some_and(|k| !self.split.contains(&k)) && col.generated.is_none();
            if listed {
                let mut s = format!("{cname} {}", col.type_name);
                if let Some(o) = (!col.fdw_options.is_empty()).then(|| options_clause(&col.fdw_options)) {
                    s.push_str(&format!(" {o}"));
                }
                if let Some(c) = &col.collation {
                    s.push_str(&format!(" COLLATE {c}"));
                }
                // A child's generated column takes the parent's expression.
                let parent_generates = col.inherited
                    && !is_partition
                    && inherit_parents.iter().any(|p| {
                        self.rel_by_oid
                            .get(p)
                            .is_some_and(|pr| pr.columns.iter().any(|pc| pc.name == col.name && pc.generated.is_some()))
                    });
                if let (Some(g), Some(expr), false) = (col.generated, &col.default, parent_generates) {
                    s.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {}", if g == 'v' { "VIRTUAL" } else { "STORED" }));
                }
                if default_inline {
                    if let Some(d) = &col.default {
                        s.push_str(&format!(" DEFAULT {d}"));
                    }
                }
                match self.not_nulls.get(&(m.oid, col.name.as_str())) {
                    // 18+: the constraint's own name (a partition keeps its
                    // parent's; ATTACH PARTITION merges them).
                    // Purely inherited: the parent's constraint makes it.
                    Some(nn) if !nn.is_local && !is_partition => {}
                    Some(nn) if nn.validated => {
                        let no_inherit = if nn.definition.contains(" NO INHERIT") { " NO INHERIT" } else { "" };
                        s.push_str(&format!(" CONSTRAINT {} NOT NULL{no_inherit}", quote_ident(&nn.name)));
                        self.comment(&mut inline_comments, &format!("CONSTRAINT {} ON {name}", quote_ident(&nn.name)), nn.comment.as_deref());
                        self.out.inline.insert(key(class::PG_CONSTRAINT, nn.oid), tkey);
                    }
                    Some(_) => {}
                    None if col.not_null => s.push_str(" NOT NULL"),
                    None => {}
                }
                if col.identity.is_some() {
                    s.push_str(&self.identity_clause(rel, col));
                }
                // A column the child declared itself (it was made on its own
                // and then set to INHERIT) takes the parent's default when
                // created with INHERITS; the source's child had none.
                if col.default.is_none() && col.inherited && !is_partition {
                    let parent_default = inherit_parents.iter().any(|p| {
                        self.rel_by_oid
                            .get(p)
                            .is_some_and(|pr| pr.columns.iter().any(|pc| pc.name == col.name && pc.default.is_some() && pc.generated.is_none()))
                    });
                    if parent_default {
                        after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} DROP DEFAULT;\n"));
                    }
                }
                lines.push(s);
            } else {
                // Inherited (or typed-table) column: only what differs.
                if rel.of_type.is_some() {
                    let mut opts = String::new();
                    if default_inline {
                        if let Some(d) = &col.default {
                            opts.push_str(&format!(" DEFAULT {d}"));
                        }
                    }
                    match self.not_nulls.get(&(m.oid, col.name.as_str())) {
                        // 18+: keep the constraint's name.
                        Some(nn) if nn.validated && nn.is_local => {
                            opts.push_str(&format!(" CONSTRAINT {} NOT NULL", quote_ident(&nn.name)));
                            self.comment(&mut inline_comments, &format!("CONSTRAINT {} ON {name}", quote_ident(&nn.name)), nn.comment.as_deref());
                            self.out.inline.insert(key(class::PG_CONSTRAINT, nn.oid), tkey);
                        }
                        _ if col.not_null => opts.push_str(" NOT NULL"),
                        _ => {}
                    }
                    if !opts.is_empty() {
                        lines.push(format!("{cname} WITH OPTIONS{opts}"));
                    }
                } else {
                    if default_inline {
                        if let Some(d) = &col.default {
                            let parent_same = inherit_parents.iter().any(|p| {
                                self.rel_by_oid.get(p).is_some_and(|pr| {
                                    pr.columns.iter().any(|pc| pc.name == col.name && pc.default.as_ref() == Some(d))
                                })
                            });
                            if !parent_same {
                                after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET DEFAULT {d};\n"));
                            }
                        }
                    }
                    if col.not_null {
                        let parent_nn = inherit_parents.iter().any(|p| {
                            self.rel_by_oid
                                .get(p)
                                .is_some_and(|pr| pr.columns.iter().any(|pc| pc.name == col.name && pc.not_null))
                        });
                        if !parent_nn {
                            after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET NOT NULL;\n"));
                        }
                    }
                }
            }
            if let Some(k) = dkey {
                if default_inline {
                    self.out.inline.insert(k, tkey);
                    self.out.parts.entry(tkey).or_default().push(k);
                } else if col.generated.is_none() {
                    if let Some(d) = &col.default {
                        let mut it = self.item(k, "DEFAULT", Section::PreData, prio::DEFAULT, m.schema.as_deref(), &format!("{} {}", m.name, col.name));
                        it.sql = format!("{alter} {only}{name} ALTER COLUMN {cname} SET DEFAULT {d};\n");
                        it.deps.push(tkey);
                        it.owner = m.owner.clone();
                        self.push(it);
                    }
                }
            }
            if let Some(st) = col.storage {
                after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET STORAGE {};\n", storage_word(st)));
            }
            if let Some(c) = col.compression {
                let word = if c == 'l' { "lz4" } else { "pglz" };
                after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET COMPRESSION {word};\n"));
            }
            if let Some(t) = col.statistics {
                after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET STATISTICS {t};\n"));
            }
            if !col.options.is_empty() {
                after.push_str(&format!(
                    "{alter} {only}{name} ALTER COLUMN {cname} SET ({});\n",
                    with_clause(&col.options, "").join(", ")
                ));
            }
            if !listed && !col.fdw_options.is_empty() {
                after.push_str(&format!("{alter} {name} ALTER COLUMN {cname} {};\n", options_clause(&col.fdw_options)));
            }
        }
        // CHECK constraints go inline when valid and local.
        let checks: Vec<&Constraint> = self.checks_by_table.get(&m.oid).cloned().unwrap_or_default();
        for c in checks {
            let ckey = key(class::PG_CONSTRAINT, c.oid);
            if c.validated && !self.split.contains(&ckey) {
                lines.push(format!("CONSTRAINT {} {}", quote_ident(&c.name), c.definition));
                self.comment(&mut inline_comments, &format!("CONSTRAINT {} ON {name}", quote_ident(&c.name)), c.comment.as_deref());
                self.out.inline.insert(ckey, tkey);
                self.out.parts.entry(tkey).or_default().push(ckey);
            }
        }
        let mut sql = String::new();
        let unlogged = if rel.unlogged { "UNLOGGED " } else { "" };
        let create = if foreign { "CREATE FOREIGN TABLE" } else { "CREATE TABLE" };
        let _ = create;
        if let Some(ty) = &rel.of_type {
            sql.push_str(&format!("CREATE {unlogged}TABLE {name} OF {ty}"));
            if !lines.is_empty() {
                sql.push_str(&format!(" (\n    {}\n)", lines.join(",\n    ")));
            }
        } else if foreign {
            sql.push_str(&format!("CREATE FOREIGN TABLE {name} (\n    {}\n)", lines.join(",\n    ")));
        } else {
            sql.push_str(&format!("CREATE {unlogged}TABLE {name} (\n    {}\n)", lines.join(",\n    ")));
            if lines.is_empty() {
                sql = format!("CREATE {unlogged}TABLE {name} (\n)");
            }
        }
        if !inherit_parents.is_empty() {
            let ps: Vec<String> = inherit_parents
                .iter()
                .filter_map(|p| self.rel_by_oid.get(p).map(|r| self.names.of(&r.meta)))
                .collect();
            sql.push_str(&format!("\nINHERITS ({})", ps.join(", ")));
        }
        if let Some(k) = &rel.partition_key {
            sql.push_str(&format!("\nPARTITION BY {k}"));
        }
        if let Some(am) = &rel.access_method {
            sql.push_str(&format!("\nUSING {}", quote_ident(am)));
        }
        let mut with = with_clause(&rel.reloptions, "");
        with.extend(with_clause(&rel.toast_options, "toast."));
        if !with.is_empty() {
            sql.push_str(&format!("\nWITH ({})", with.join(", ")));
        }
        if foreign {
            if let Some(s) = &rel.foreign_server {
                sql.push_str(&format!("\nSERVER {}", quote_ident(s)));
            }
            if !rel.foreign_options.is_empty() {
                sql.push_str(&format!("\n{}", options_clause(&rel.foreign_options)));
            }
        }
        sql.push_str(";\n");
        sql.push_str(&after);
        if let Some(ts) = &rel.tablespace {
            sql.push_str(&format!("ALTER TABLE {only}{name} SET TABLESPACE {};\n", quote_ident(ts)));
        }
        match if foreign { 'd' } else { rel.replica_identity } {
            'f' => sql.push_str(&format!("ALTER TABLE {only}{name} REPLICA IDENTITY FULL;\n")),
            'n' => sql.push_str(&format!("ALTER TABLE {only}{name} REPLICA IDENTITY NOTHING;\n")),
            _ => {}
        }
        if rel.row_security {
            sql.push_str(&format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;\n"));
        }
        if rel.force_row_security {
            sql.push_str(&format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY;\n"));
        }
        let kind_word = if foreign { "FOREIGN TABLE" } else { "TABLE" };
        let what = format!("{kind_word} {name}");
        self.owner(&mut sql, &what, m.owner.as_deref());
        self.comment(&mut sql, &what, m.comment.as_deref());
        sql.push_str(&inline_comments);
        self.columns_meta(&mut sql, rel, &name);
        let on = format!("TABLE {name}");
        self.grants(&mut sql, &on, None, m.owner.as_deref(), m.acl.as_deref(), &m.acl_base);
        self.column_grants(&mut sql, rel, &on);
        let mut it = self.item(tkey, if foreign { "FOREIGN TABLE" } else { "TABLE" }, Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
        it.owner = m.owner.clone();
        it.sql = sql;
        it.drop = Some(format!("DROP {kind_word} IF EXISTS {name};\n"));
        for p in &inherit_parents {
            it.deps.push(key(class::PG_CLASS, *p));
        }
        if let Some(srv) = &rel.foreign_server {
            if let Some(s) = self.cat.servers.iter().find(|s| &s.meta.name == srv) {
                it.deps.push(key(class::PG_FOREIGN_SERVER, s.meta.oid));
            }
        }
        self.push(it);
        if let (Some(parent), Some(bound)) = (partition_parent, &rel.partition_bound) {
            if let Some(pr) = self.rel_by_oid.get(&parent) {
                let mut it = self.item(key(synth::TABLE_ATTACH, m.oid), "TABLE ATTACH", Section::PreData, prio::TABLE_ATTACH, m.schema.as_deref(), &m.name);
                it.sql = format!("ALTER TABLE ONLY {} ATTACH PARTITION {name} {bound};\n", self.names.of(&pr.meta));
                it.deps.push(tkey);
                it.deps.push(key(class::PG_CLASS, parent));
                self.push(it);
            } else {
                self.out.warnings.push(format!(
                    "table {name} is a partition of a table outside the dump: it is dumped as a standalone table"
                ));
            }
        }
    }

    fn columns_meta(&mut self, sql: &mut String, rel: &Relation, name: &str) {
        for col in &rel.columns {
            self.comment(sql, &format!("COLUMN {name}.{}", quote_ident(&col.name)), col.comment.as_deref());
        }
    }

    fn column_grants(&mut self, sql: &mut String, rel: &Relation, on: &str) {
        for col in &rel.columns {
            if col.acl.is_some() {
                let c = quote_ident(&col.name).into_owned();
                self.grants(sql, on, Some(&c), rel.meta.owner.as_deref(), col.acl.as_deref(), &[]);
            }
        }
    }

    fn view(&mut self, rel: &Relation) {
        let m = &rel.meta;
        let name = self.names.of(m);
        let vkey = key(class::PG_CLASS, m.oid);
        let matview = rel.kind == RelKind::MaterializedView;
        let def = rel.view_definition.as_deref().unwrap_or("").trim_end().trim_end_matches(';');
        let with = with_clause(&rel.reloptions, "");
        let with_sql = if with.is_empty() { String::new() } else { format!(" WITH ({})", with.join(", ")) };
        let mut sql = String::new();
        let stub = !matview && self.split.contains(&vkey);
        if matview {
            let using = rel.access_method.as_ref().map(|a| format!(" USING {}", quote_ident(a))).unwrap_or_default();
            sql.push_str(&format!("CREATE MATERIALIZED VIEW {name}{using}{with_sql} AS\n{def}\n  WITH NO DATA;\n"));
            if let Some(ts) = &rel.tablespace {
                sql.push_str(&format!("ALTER MATERIALIZED VIEW {name} SET TABLESPACE {};\n", quote_ident(ts)));
            }
        } else if stub {
            // A placeholder with the right columns; the definition follows
            // once what it reads exists.
            let cols: Vec<String> = rel
                .columns
                .iter()
                .map(|c| format!("NULL::{} AS {}", c.type_name, quote_ident(&c.name)))
                .collect();
            sql.push_str(&format!("CREATE VIEW {name} AS\n SELECT {};\n", cols.join(",\n    ")));
            let mut it = self.item(key(synth::VIEW_DEFINITION, m.oid), "VIEW", Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
            it.sql = format!("CREATE OR REPLACE VIEW {name}{with_sql} AS\n{def};\n");
            it.deps.push(vkey);
            if let Some(r) = rel.view_rule {
                self.out.inline.insert(key(class::PG_REWRITE, r), key(synth::VIEW_DEFINITION, m.oid));
            }
            self.push(it);
        } else {
            sql.push_str(&format!("CREATE VIEW {name}{with_sql} AS\n{def};\n"));
        }
        if !stub {
            if let Some(r) = rel.view_rule {
                self.out.parts.entry(vkey).or_default().push(key(class::PG_REWRITE, r));
            }
        }
        let alter_kw = if matview { "MATERIALIZED VIEW" } else { "VIEW" };
        for col in &rel.columns {
            if let Some(d) = &col.default {
                sql.push_str(&format!("ALTER {alter_kw} {name} ALTER COLUMN {} SET DEFAULT {d};\n", quote_ident(&col.name)));
            }
            if let Some(t) = col.statistics {
                sql.push_str(&format!("ALTER {alter_kw} {name} ALTER COLUMN {} SET STATISTICS {t};\n", quote_ident(&col.name)));
            }
            if matview {
                if let Some(st) = col.storage {
                    sql.push_str(&format!(
                        "ALTER MATERIALIZED VIEW {name} ALTER COLUMN {} SET STORAGE {};\n",
                        quote_ident(&col.name),
                        storage_word(st)
                    ));
                }
                if let Some(c) = col.compression {
                    sql.push_str(&format!(
                        "ALTER TABLE ONLY {name} ALTER COLUMN {} SET COMPRESSION {};\n",
                        quote_ident(&col.name),
                        if c == 'l' { "lz4" } else { "pglz" }
                    ));
                }
            }
        }
        let what = format!("{alter_kw} {name}");
        self.owner(&mut sql, &what, m.owner.as_deref());
        self.comment(&mut sql, &what, m.comment.as_deref());
        self.columns_meta(&mut sql, rel, &name);
        let on = format!("TABLE {name}");
        self.grants(&mut sql, &on, None, m.owner.as_deref(), m.acl.as_deref(), &m.acl_base);
        self.column_grants(&mut sql, rel, &on);
        let mut it = self.item(vkey, if matview { "MATERIALIZED VIEW" } else { "VIEW" }, Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
        it.owner = m.owner.clone();
        it.sql = sql;
        it.drop = Some(format!("DROP {alter_kw} IF EXISTS {name};\n"));
        self.push(it);
        if matview && rel.populated {
            let mut it = self.item(key(synth::MATVIEW_REFRESH, m.oid), "MATERIALIZED VIEW DATA", Section::PostData, prio::MATVIEW_REFRESH, m.schema.as_deref(), &m.name);
            it.sql = format!("REFRESH MATERIALIZED VIEW {name};\n");
            it.deps.push(vkey);
            self.push(it);
        }
    }

    fn constraints(&mut self) {
        // Foreign keys that the server copies per partition (on or to a
        // partitioned table): validating the parent does not mark those
        // copies valid, so they must be added valid at once.
        let has_copies: HashSet<u32> = self.cat.constraints.iter().filter_map(|c| c.parent).collect();
        for c in &self.cat.constraints {
            let Some(rel) = self.rel_by_oid.get(&c.table).copied() else { continue };
            let ckey = key(class::PG_CONSTRAINT, c.oid);
            if self.out.inline.contains_key(&ckey) {
                continue;
            }
            if !c.is_local && c.kind == 'c' {
                continue; // inherited: the parent's constraint makes it
            }
            if c.kind == 'f' && c.parent.is_some() {
                continue; // the partitioned parent's foreign key makes it
            }
            if c.kind == 'n' && (c.validated || !c.is_local) {
                continue; // rendered with its column
            }
            let tname = self.names.of(&rel.meta);
            // A CHECK goes to the children too unless it is NO INHERIT.
            let only = match c.kind {
                'f' if rel.kind == RelKind::PartitionedTable => "",
                'c' | 'n' if !c.definition.ends_with(" NO INHERIT") && !c.definition.contains(" NO INHERIT ") => "",
                _ => "ONLY ",
            };
            let cname = quote_ident(&c.name).into_owned();
            let ix = c.index.and_then(|i| self.index_by_oid.get(&i).copied());
            let mut def = c.definition.clone();
            if let Some(ix) = ix.filter(|x| matches!(c.kind, 'p' | 'u') && !x.reloptions.is_empty()) {
                def.push_str(&format!(" WITH ({})", with_clause(&ix.reloptions, "").join(", ")));
            }
            let add = format!("ALTER TABLE {only}{tname}\n    ADD CONSTRAINT {cname} {def};\n");
            let mut rest = String::new();
            if let Some(ix) = ix {
                self.index_extras(&mut rest, ix, rel, &tname);
            }
            self.comment(&mut rest, &format!("CONSTRAINT {cname} ON {tname}"), c.comment.as_deref());
            if let Some(ix) = ix {
                self.comment(&mut rest, &format!("INDEX {}", self.names.of(&ix.meta)), ix.meta.comment.as_deref());
            }
            let two_step = if has_copies.contains(&c.oid) { None } else { self.two_step(c, rel, ix, &tname, only, &cname, &rest) };
            let sql = format!("{add}{rest}");
            let (kind, section, priority) = match c.kind {
                'f' => ("FK CONSTRAINT", Section::PostData, prio::FK),
                'c' if c.validated => ("CHECK CONSTRAINT", Section::PreData, prio::DEFAULT),
                'c' => ("CHECK CONSTRAINT", Section::PostData, prio::CONSTRAINT),
                _ => ("CONSTRAINT", Section::PostData, prio::CONSTRAINT),
            };
            let mut it = self.item(ckey, kind, section, priority, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, c.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("ALTER TABLE IF EXISTS {only}{tname} DROP CONSTRAINT IF EXISTS {cname};\n"));
            it.deps.push(key(class::PG_CLASS, c.table));
            it.two_step = two_step;
            self.push(it);
        }
    }

    /// The faster restore form of a constraint, when one exists with the
    /// same effect: a primary key or unique constraint as a unique index
    /// built in parallel and then attached, a foreign key added NOT VALID
    /// and validated afterwards.
    #[allow(clippy::too_many_arguments)]
    fn two_step(&self, c: &Constraint, rel: &Relation, ix: Option<&Index>, tname: &str, only: &str, cname: &str, rest: &str) -> Option<TwoStep> {
        match c.kind {
            'p' | 'u' => {
                let ix = ix?;
                // ADD CONSTRAINT ... USING INDEX takes only a plain btree
                // index on columns with default collation, operator class
                // and ordering, on a table that is not partitioned; an
                // immediate constraint only.
                if rel.kind != RelKind::Table || c.definition.contains("DEFERRABLE") || ix.parent.is_some() {
                    return None;
                }
                let def = self.relative_index_definition(ix, rel);
                if !plain_btree_columns(&def) {
                    return None;
                }
                let word = if c.kind == 'p' { "PRIMARY KEY" } else { "UNIQUE" };
                Some(TwoStep {
                    method: TwoStepMethod::UniqueIndex,
                    first: format!("{def};\n"),
                    second: format!(
                        "ALTER TABLE {only}{tname}\n    ADD CONSTRAINT {cname} {word} USING INDEX {};\n{rest}",
                        quote_ident(&ix.meta.name)
                    ),
                })
            }
            // Before 18, a partitioned table takes no NOT VALID foreign key.
            'f' if c.validated && rel.kind == RelKind::Table && c.parent.is_none() => Some(TwoStep {
                method: TwoStepMethod::NotValid,
                first: format!("ALTER TABLE {only}{tname}\n    ADD CONSTRAINT {cname} {} NOT VALID;\n", c.definition),
                second: format!("ALTER TABLE {only}{tname} VALIDATE CONSTRAINT {cname};\n{rest}"),
            }),
            _ => None,
        }
    }

    /// Statements that belong with an index, whoever creates it.
    fn index_extras(&self, sql: &mut String, ix: &Index, rel: &Relation, tname: &str) {
        let iname = self.names.of(&ix.meta);
        if let Some(ts) = &ix.tablespace {
            sql.push_str(&format!("ALTER INDEX {iname} SET TABLESPACE {};\n", quote_ident(ts)));
        }
        if ix.clustered {
            sql.push_str(&format!("ALTER TABLE {tname} CLUSTER ON {};\n", quote_ident(&ix.meta.name)));
        }
        if ix.replica_identity {
            let only = if rel.kind == RelKind::PartitionedTable { "" } else { "ONLY " };
            sql.push_str(&format!("ALTER TABLE {only}{tname} REPLICA IDENTITY USING INDEX {};\n", quote_ident(&ix.meta.name)));
        }
        for (col, target) in &ix.statistics {
            sql.push_str(&format!("ALTER INDEX {iname} ALTER COLUMN {col} SET STATISTICS {target};\n"));
        }
    }

    /// `pg_get_indexdef` always qualifies the table by its schema; a
    /// relative dump names it by the target (or placeholder) schema.
    fn relative_index_definition(&self, ix: &Index, rel: &Relation) -> String {
        let (Some(rel_schema), Some(schema)) = (self.names.relative, rel.meta.schema.as_deref()) else {
            return ix.definition.clone();
        };
        if rel_schema != schema {
            return ix.definition.clone();
        }
        let qualified = crate::sql::quote::quote_qualified(schema, &rel.meta.name);
        let bare = self.names.of(&rel.meta);
        for on in [" ON ONLY ", " ON "] {
            let from = format!("{on}{qualified} USING ");
            if let Some(pos) = ix.definition.find(&from) {
                let mut out = ix.definition.clone();
                out.replace_range(pos..pos + from.len(), &format!("{on}{bare} USING "));
                return out;
            }
        }
        ix.definition.clone()
    }

    fn indexes(&mut self) {
        for ix in &self.cat.indexes {
            let Some(rel) = self.rel_by_oid.get(&ix.table).copied() else { continue };
            let ikey = key(class::PG_CLASS, ix.meta.oid);
            let iname = self.names.of(&ix.meta);
            if let Some(parent) = ix.parent {
                if let Some(p) = self.index_by_oid.get(&parent).copied() {
                    let mut it = self.item(key(synth::INDEX_ATTACH, ix.meta.oid), "INDEX ATTACH", Section::PostData, prio::INDEX_ATTACH, ix.meta.schema.as_deref(), &ix.meta.name);
                    it.sql = format!("ALTER INDEX {} ATTACH PARTITION {iname};\n", self.names.of(&p.meta));
                    it.deps.push(ikey);
                    it.deps.push(key(class::PG_CLASS, parent));
                    self.push(it);
                }
            }
            if ix.constraint.is_some() {
                continue;
            }
            let tname = self.names.of(&rel.meta);
            let mut sql = format!("{};\n", self.relative_index_definition(ix, rel));
            self.index_extras(&mut sql, ix, rel, &tname);
            self.comment(&mut sql, &format!("INDEX {iname}"), ix.meta.comment.as_deref());
            let mut it = self.item(ikey, "INDEX", Section::PostData, prio::INDEX, ix.meta.schema.as_deref(), &ix.meta.name);
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP INDEX IF EXISTS {iname};\n"));
            it.deps.push(key(class::PG_CLASS, ix.table));
            self.push(it);
        }
    }

    fn functions(&mut self) {
        for f in &self.cat.functions {
            let m = &f.meta;
            let name = self.names.of(m);
            let sig = format!("{name}({})", f.identity_arguments);
            let word = if f.kind == 'p' { "PROCEDURE" } else { "FUNCTION" };
            let mut sql = format!("CREATE {word} {name}({})", f.arguments);
            if let Some(r) = &f.result {
                sql.push_str(&format!(" RETURNS {r}"));
            }
            sql.push_str(&format!("\n    LANGUAGE {}", quote_ident(&f.language)));
            if let Some(t) = &f.transforms {
                sql.push_str(&format!("\n    TRANSFORM {t}"));
            }
            if f.kind == 'w' {
                sql.push_str("\n    WINDOW");
            }
            if f.kind != 'p' {
                match f.volatility {
                    'i' => sql.push_str("\n    IMMUTABLE"),
                    's' => sql.push_str("\n    STABLE"),
                    _ => {}
                }
                if f.strict {
                    sql.push_str("\n    STRICT");
                }
                if f.leakproof {
                    sql.push_str("\n    LEAKPROOF");
                }
                match f.parallel {
                    's' => sql.push_str("\n    PARALLEL SAFE"),
                    'r' => sql.push_str("\n    PARALLEL RESTRICTED"),
                    _ => {}
                }
                if (f.cost - f.default_cost).abs() > f32::EPSILON {
                    sql.push_str(&format!("\n    COST {}", f.cost));
                }
                if f.returns_set && (f.rows - 1000.0).abs() > f32::EPSILON && f.rows > 0.0 {
                    sql.push_str(&format!("\n    ROWS {}", f.rows));
                }
                if let Some(s) = &f.support {
                    sql.push_str(&format!("\n    SUPPORT {s}"));
                }
            }
            if f.security_definer {
                sql.push_str("\n    SECURITY DEFINER");
            }
            for c in &f.config {
                sql.push_str(&format!("\n    {}", set_clause(c)));
            }
            if let Some(body) = &f.sql_body {
                sql.push_str(&format!("\n{body}"));
            } else if let Some(bin) = &f.bin {
                sql.push_str(&format!(
                    "\n    AS {}, {}",
                    quote_literal_std(bin),
                    quote_literal_std(f.source.as_deref().unwrap_or(""))
                ));
            } else if f.language == "internal" {
                sql.push_str(&format!("\n    AS {}", quote_literal_std(f.source.as_deref().unwrap_or(""))));
            } else {
                sql.push_str(&format!("\n    AS {}", dollar_quote(f.source.as_deref().unwrap_or(""))));
            }
            sql.push_str(";\n");
            let what = format!("{word} {sig}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_PROC, m.oid), word, Section::PreData, prio::FUNCTION, m.schema.as_deref(), &format!("{}({})", m.name, f.identity_arguments));
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {word} IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    fn aggregates(&mut self) {
        for a in &self.cat.aggregates {
            let m = &a.meta;
            let name = self.names.of(m);
            let args = if a.arguments.is_empty() { "*".to_string() } else { a.arguments.clone() };
            let ident = if a.identity_arguments.is_empty() { "*".to_string() } else { a.identity_arguments.clone() };
            let sig = format!("{name}({ident})");
            let mut p = vec![format!("SFUNC = {}", a.sfunc), format!("STYPE = {}", a.stype)];
            if a.sspace != 0 {
                p.push(format!("SSPACE = {}", a.sspace));
            }
            let modify = |c: char| match c {
                's' => "SHAREABLE",
                'w' => "READ_WRITE",
                _ => "READ_ONLY",
            };
            if let Some(f) = &a.finalfunc {
                p.push(format!("FINALFUNC = {f}"));
                if a.finalextra {
                    p.push("FINALFUNC_EXTRA".into());
                }
                p.push(format!("FINALFUNC_MODIFY = {}", modify(a.finalmodify)));
            }
            if let Some(f) = &a.combinefunc {
                p.push(format!("COMBINEFUNC = {f}"));
            }
            if let Some(f) = &a.serialfunc {
                p.push(format!("SERIALFUNC = {f}"));
            }
            if let Some(f) = &a.deserialfunc {
                p.push(format!("DESERIALFUNC = {f}"));
            }
            if let Some(i) = &a.initcond {
                p.push(format!("INITCOND = {}", quote_literal_std(i)));
            }
            if let Some(f) = &a.msfunc {
                p.push(format!("MSFUNC = {f}"));
            }
            if let Some(f) = &a.minvfunc {
                p.push(format!("MINVFUNC = {f}"));
            }
            if let Some(t) = &a.mstype {
                p.push(format!("MSTYPE = {t}"));
                if a.msspace != 0 {
                    p.push(format!("MSSPACE = {}", a.msspace));
                }
            }
            if let Some(f) = &a.mfinalfunc {
                p.push(format!("MFINALFUNC = {f}"));
                if a.mfinalextra {
                    p.push("MFINALFUNC_EXTRA".into());
                }
                p.push(format!("MFINALFUNC_MODIFY = {}", modify(a.mfinalmodify)));
            }
            if let Some(i) = &a.minitcond {
                p.push(format!("MINITCOND = {}", quote_literal_std(i)));
            }
            if let Some(op) = &a.sortop {
                p.push(format!("SORTOP = {}", operator_ref(op)));
            }
            match a.parallel {
                's' => p.push("PARALLEL = safe".into()),
                'r' => p.push("PARALLEL = restricted".into()),
                _ => {}
            }
            if a.kind == 'h' {
                p.push("HYPOTHETICAL".into());
            }
            let mut sql = format!("CREATE AGGREGATE {name}({args}) (\n    {}\n);\n", p.join(",\n    "));
            let what = format!("AGGREGATE {sig}");
            self.decorate(&mut sql, &what, Some(&format!("FUNCTION {sig}")), m);
            let mut it = self.item(key(class::PG_PROC, m.oid), "AGGREGATE", Section::PreData, prio::AGGREGATE, m.schema.as_deref(), &format!("{}({ident})", m.name));
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP AGGREGATE IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    fn operators(&mut self) {
        for o in &self.cat.operators {
            let m = &o.meta;
            let schema_prefix = match m.schema.as_deref() {
                Some(s) => format!("{}.", self.names.schema(s)),
                None => String::new(),
            };
            let name = format!("{schema_prefix}{}", m.name);
            let mut p = vec![format!("FUNCTION = {}", o.function)];
            if let Some(l) = &o.left {
                p.push(format!("LEFTARG = {l}"));
            }
            if let Some(r) = &o.right {
                p.push(format!("RIGHTARG = {r}"));
            }
            if let Some(c) = &o.commutator {
                p.push(format!("COMMUTATOR = {}", operator_ref(c)));
            }
            if let Some(c) = &o.negator {
                p.push(format!("NEGATOR = {}", operator_ref(c)));
            }
            if let Some(f) = &o.restrict {
                p.push(format!("RESTRICT = {f}"));
            }
            if let Some(f) = &o.join {
                p.push(format!("JOIN = {f}"));
            }
            if o.hashes {
                p.push("HASHES".into());
            }
            if o.merges {
                p.push("MERGES".into());
            }
            let mut sql = format!("CREATE OPERATOR {name} (\n    {}\n);\n", p.join(",\n    "));
            let sig = format!(
                "{name} ({}, {})",
                o.left.as_deref().unwrap_or("NONE"),
                o.right.as_deref().unwrap_or("NONE")
            );
            self.decorate(&mut sql, &format!("OPERATOR {sig}"), None, m);
            // The entry's name is the schema-less signature: the same in the
            // rendering under the placeholder, which is how restores find it.
            let entry_name = format!("{} ({}, {})", m.name, o.left.as_deref().unwrap_or("NONE"), o.right.as_deref().unwrap_or("NONE"));
            let mut it = self.item(key(class::PG_OPERATOR, m.oid), "OPERATOR", Section::PreData, prio::OPERATOR, m.schema.as_deref(), &entry_name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR IF EXISTS {sig};\n"));
            self.push(it);
        }
    }

    fn opfamilies(&mut self) {
        for f in &self.cat.opfamilies {
            let m = &f.meta;
            let name = self.names.of(m);
            let using = format!("USING {}", quote_ident(&f.method));
            let mut sql = format!("CREATE OPERATOR FAMILY {name} {using};\n");
            if !f.loose_members.is_empty() {
                sql.push_str(&format!("ALTER OPERATOR FAMILY {name} {using} ADD\n    {};\n", f.loose_members.join(",\n    ")));
            }
            self.decorate(&mut sql, &format!("OPERATOR FAMILY {name} {using}"), None, m);
            let mut it = self.item(key(class::PG_OPFAMILY, m.oid), "OPERATOR FAMILY", Section::PreData, prio::OPFAMILY, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR FAMILY IF EXISTS {name} {using};\n"));
            self.push(it);
        }
        for c in &self.cat.opclasses {
            let m = &c.meta;
            let name = self.names.of(m);
            let using = format!("USING {}", quote_ident(&c.method));
            let mut items = c.members.clone();
            if let Some(s) = &c.storage {
                items.push(format!("STORAGE {s}"));
            }
            if items.is_empty() {
                items.push(format!("STORAGE {}", c.input_type));
            }
            let mut sql = format!(
                "CREATE OPERATOR CLASS {name}\n    {}FOR TYPE {} {using} FAMILY {} AS\n    {};\n",
                if c.default { "DEFAULT " } else { "" },
                c.input_type,
                c.family,
                items.join(",\n    ")
            );
            self.decorate(&mut sql, &format!("OPERATOR CLASS {name} {using}"), None, m);
            let mut it = self.item(key(class::PG_OPCLASS, m.oid), "OPERATOR CLASS", Section::PreData, prio::OPCLASS, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP OPERATOR CLASS IF EXISTS {name} {using};\n"));
            it.deps.push(key(class::PG_OPFAMILY, c.family_oid));
            self.push(it);
        }
    }

    fn access_methods(&mut self) {
        for a in &self.cat.access_methods {
            let name = quote_ident(&a.name).into_owned();
            let kind = if a.kind == 't' { "TABLE" } else { "INDEX" };
            let mut sql = format!("CREATE ACCESS METHOD {name} TYPE {kind} HANDLER {};\n", a.handler);
            self.comment(&mut sql, &format!("ACCESS METHOD {name}"), a.comment.as_deref());
            let mut it = self.item(key(class::PG_AM, a.oid), "ACCESS METHOD", Section::PreData, prio::AGGREGATE, None, &a.name);
            it.sql = sql;
            it.drop = Some(format!("DROP ACCESS METHOD IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn transforms(&mut self) {
        for t in &self.cat.transforms {
            let lang = quote_ident(&t.language).into_owned();
            let mut parts = Vec::new();
            if let Some(f) = &t.from_sql {
                parts.push(format!("FROM SQL WITH FUNCTION {f}"));
            }
            if let Some(f) = &t.to_sql {
                parts.push(format!("TO SQL WITH FUNCTION {f}"));
            }
            let what = format!("TRANSFORM FOR {} LANGUAGE {lang}", t.type_name);
            let mut sql = format!("CREATE {what} ({});\n", parts.join(", "));
            self.comment(&mut sql, &what, t.comment.as_deref());
            let mut it = self.item(key(class::PG_TRANSFORM, t.oid), "TRANSFORM", Section::PreData, prio::CAST, None, &format!("{} {}", t.type_name, t.language));
            it.sql = sql;
            it.drop = Some(format!("DROP TRANSFORM IF EXISTS FOR {} LANGUAGE {lang};\n", t.type_name));
            self.push(it);
        }
    }

    fn casts(&mut self) {
        for c in &self.cat.casts {
            let how = match (c.method, &c.function) {
                ('f', Some(f)) => format!("WITH FUNCTION {f}"),
                ('i', _) => "WITH INOUT".to_string(),
                _ => "WITHOUT FUNCTION".to_string(),
            };
            let ctx = match c.context {
                'a' => " AS ASSIGNMENT",
                'i' => " AS IMPLICIT",
                _ => "",
            };
            let what = format!("CAST ({} AS {})", c.source, c.target);
            let mut sql = format!("CREATE {what} {how}{ctx};\n");
            self.comment(&mut sql, &what, c.comment.as_deref());
            let mut it = self.item(key(class::PG_CAST, c.oid), "CAST", Section::PreData, prio::CAST, None, &format!("{} AS {}", c.source, c.target));
            it.sql = sql;
            it.drop = Some(format!("DROP CAST IF EXISTS ({} AS {});\n", c.source, c.target));
            self.push(it);
        }
    }

    fn conversions(&mut self) {
        for c in &self.cat.conversions {
            let m = &c.meta;
            let name = self.names.of(m);
            let mut sql = format!(
                "CREATE {}CONVERSION {name} FOR {} TO {} FROM {};\n",
                if c.default { "DEFAULT " } else { "" },
                quote_literal_std(&c.source_encoding),
                quote_literal_std(&c.target_encoding),
                c.function
            );
            self.decorate(&mut sql, &format!("CONVERSION {name}"), None, m);
            let mut it = self.item(key(class::PG_CONVERSION, m.oid), "CONVERSION", Section::PreData, prio::CONVERSION, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP CONVERSION IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn text_search(&mut self) {
        for t in &self.cat.text_search {
            let m = &t.meta;
            let name = self.names.of(m);
            let (kind, cls, sql) = match &t.kind {
                TextSearch::Parser { start, gettoken, end, lextypes, headline } => {
                    let mut p = vec![
                        format!("START = {start}"),
                        format!("GETTOKEN = {gettoken}"),
                        format!("END = {end}"),
                        format!("LEXTYPES = {lextypes}"),
                    ];
                    if let Some(h) = headline {
                        p.push(format!("HEADLINE = {h}"));
                    }
                    ("TEXT SEARCH PARSER", class::PG_TS_PARSER, format!("CREATE TEXT SEARCH PARSER {name} (\n    {}\n);\n", p.join(",\n    ")))
                }
                TextSearch::Template { init, lexize } => {
                    let mut p = Vec::new();
                    if let Some(i) = init {
                        p.push(format!("INIT = {i}"));
                    }
                    p.push(format!("LEXIZE = {lexize}"));
                    ("TEXT SEARCH TEMPLATE", class::PG_TS_TEMPLATE, format!("CREATE TEXT SEARCH TEMPLATE {name} (\n    {}\n);\n", p.join(",\n    ")))
                }
                TextSearch::Dictionary { template, options } => {
                    let mut s = format!("CREATE TEXT SEARCH DICTIONARY {name} (\n    TEMPLATE = {template}");
                    if let Some(o) = options {
                        s.push_str(&format!(", {o}"));
                    }
                    s.push_str(" );\n");
                    ("TEXT SEARCH DICTIONARY", class::PG_TS_DICT, s)
                }
                TextSearch::Configuration { parser, mappings } => {
                    let mut s = format!("CREATE TEXT SEARCH CONFIGURATION {name} (\n    PARSER = {parser} );\n");
                    for (alias, dicts) in mappings {
                        s.push_str(&format!(
                            "ALTER TEXT SEARCH CONFIGURATION {name}\n    ADD MAPPING FOR {} WITH {};\n",
                            quote_ident(alias),
                            dicts.join(", ")
                        ));
                    }
                    ("TEXT SEARCH CONFIGURATION", class::PG_TS_CONFIG, s)
                }
            };
            let mut sql = sql;
            self.decorate(&mut sql, &format!("{kind} {name}"), None, m);
            let mut it = self.item(key(cls, m.oid), kind, Section::PreData, prio::TEXT_SEARCH, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP {kind} IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn triggers(&mut self) {
        for t in &self.cat.triggers {
            let Some(rel) = self.rel_by_oid.get(&t.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let trig = quote_ident(&t.name).into_owned();
            // A partition's copy of its parent's trigger: only its state.
            let mut sql = if t.parent.is_some() { String::new() } else { format!("{};\n", t.definition) };
            let alter = if rel.kind == RelKind::ForeignTable { "ALTER FOREIGN TABLE" } else { "ALTER TABLE" };
            match t.enabled {
                'D' => sql.push_str(&format!("{alter} {tname} DISABLE TRIGGER {trig};\n")),
                'R' => sql.push_str(&format!("{alter} {tname} ENABLE REPLICA TRIGGER {trig};\n")),
                'A' => sql.push_str(&format!("{alter} {tname} ENABLE ALWAYS TRIGGER {trig};\n")),
                _ if t.parent.is_some() => sql.push_str(&format!("{alter} {tname} ENABLE TRIGGER {trig};\n")),
                _ => {}
            }
            self.comment(&mut sql, &format!("TRIGGER {trig} ON {tname}"), t.comment.as_deref());
            let mut it = self.item(key(class::PG_TRIGGER, t.oid), "TRIGGER", Section::PostData, prio::TRIGGER, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, t.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            if let Some(p) = t.parent {
                it.deps.push(key(class::PG_TRIGGER, p));
            } else {
                it.drop = Some(format!("DROP TRIGGER IF EXISTS {trig} ON {tname};\n"));
            }
            it.deps.push(key(class::PG_CLASS, t.table));
            self.push(it);
        }
        for e in &self.cat.event_triggers {
            let m = &e.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE EVENT TRIGGER {name} ON {}", quote_ident(&e.event));
            if !e.tags.is_empty() {
                let t: Vec<String> = e.tags.iter().map(|x| quote_literal_std(x)).collect();
                sql.push_str(&format!("\n         WHEN TAG IN ({})", t.join(", ")));
            }
            sql.push_str(&format!("\n   EXECUTE FUNCTION {}();\n", e.function));
            match e.enabled {
                'D' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} DISABLE;\n")),
                'R' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} ENABLE REPLICA;\n")),
                'A' => sql.push_str(&format!("ALTER EVENT TRIGGER {name} ENABLE ALWAYS;\n")),
                _ => {}
            }
            self.decorate(&mut sql, &format!("EVENT TRIGGER {name}"), None, m);
            let mut it = self.item(key(class::PG_EVENT_TRIGGER, m.oid), "EVENT TRIGGER", Section::PostData, prio::EVENT_TRIGGER, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP EVENT TRIGGER IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn rules(&mut self) {
        for r in &self.cat.rules {
            let Some(rel) = self.rel_by_oid.get(&r.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let rname = quote_ident(&r.name).into_owned();
            let mut sql = r.definition.trim_end().to_string();
            if !sql.ends_with(';') {
                sql.push(';');
            }
            sql.push('\n');
            match r.enabled {
                'D' => sql.push_str(&format!("ALTER TABLE {tname} DISABLE RULE {rname};\n")),
                'R' => sql.push_str(&format!("ALTER TABLE {tname} ENABLE REPLICA RULE {rname};\n")),
                'A' => sql.push_str(&format!("ALTER TABLE {tname} ENABLE ALWAYS RULE {rname};\n")),
                _ => {}
            }
            self.comment(&mut sql, &format!("RULE {rname} ON {tname}"), r.comment.as_deref());
            let mut it = self.item(key(class::PG_REWRITE, r.oid), "RULE", Section::PostData, prio::RULE, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, r.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP RULE IF EXISTS {rname} ON {tname};\n"));
            it.deps.push(key(class::PG_CLASS, r.table));
            self.push(it);
        }
    }

    fn policies(&mut self) {
        for p in &self.cat.policies {
            let Some(rel) = self.rel_by_oid.get(&p.table).copied() else { continue };
            let tname = self.names.of(&rel.meta);
            let pname = quote_ident(&p.name).into_owned();
            let mut sql = format!("CREATE POLICY {pname} ON {tname}");
            if !p.permissive {
                sql.push_str(" AS RESTRICTIVE");
            }
            let cmd = match p.command {
                'r' => "SELECT",
                'a' => "INSERT",
                'w' => "UPDATE",
                'd' => "DELETE",
                _ => "ALL",
            };
            sql.push_str(&format!(" FOR {cmd}"));
            let roles = if p.roles.is_empty() {
                "PUBLIC".to_string()
            } else {
                p.roles.iter().map(|r| quote_ident(r).into_owned()).collect::<Vec<_>>().join(", ")
            };
            sql.push_str(&format!(" TO {roles}"));
            if let Some(u) = &p.using {
                sql.push_str(&format!(" USING ({u})"));
            }
            if let Some(c) = &p.with_check {
                sql.push_str(&format!(" WITH CHECK ({c})"));
            }
            sql.push_str(";\n");
            self.comment(&mut sql, &format!("POLICY {pname} ON {tname}"), p.comment.as_deref());
            let mut it = self.item(key(class::PG_POLICY, p.oid), "POLICY", Section::PostData, prio::POLICY, rel.meta.schema.as_deref(), &format!("{} {}", rel.meta.name, p.name));
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP POLICY IF EXISTS {pname} ON {tname};\n"));
            it.deps.push(key(class::PG_CLASS, p.table));
            self.push(it);
        }
    }

    fn statistics(&mut self) {
        for s in &self.cat.statistics {
            if !self.rel_by_oid.contains_key(&s.table) {
                continue;
            }
            let m = &s.meta;
            let name = self.names.of(m);
            let mut sql = format!("CREATE STATISTICS {name}{};\n", s.definition_tail);
            if let Some(t) = s.target {
                sql.push_str(&format!("ALTER STATISTICS {name} SET STATISTICS {t};\n"));
            }
            self.decorate(&mut sql, &format!("STATISTICS {name}"), None, m);
            let mut it = self.item(key(class::PG_STATISTIC_EXT, m.oid), "STATISTICS", Section::PostData, prio::STATISTICS, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP STATISTICS IF EXISTS {name};\n"));
            it.deps.push(key(class::PG_CLASS, s.table));
            self.push(it);
        }
    }

    fn foreign(&mut self) {
        for w in &self.cat.fdws {
            let m = &w.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE FOREIGN DATA WRAPPER {name}");
            if let Some(h) = &w.handler {
                sql.push_str(&format!(" HANDLER {h}"));
            }
            if let Some(v) = &w.validator {
                sql.push_str(&format!(" VALIDATOR {v}"));
            }
            if !w.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&w.options)));
            }
            sql.push_str(";\n");
            let what = format!("FOREIGN DATA WRAPPER {name}");
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(class::PG_FOREIGN_DATA_WRAPPER, m.oid), "FOREIGN DATA WRAPPER", Section::PreData, prio::FDW, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP FOREIGN DATA WRAPPER IF EXISTS {name};\n"));
            self.push(it);
        }
        for s in &self.cat.servers {
            let m = &s.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE SERVER {name}");
            if let Some(t) = &s.server_type {
                sql.push_str(&format!(" TYPE {}", quote_literal_std(t)));
            }
            if let Some(v) = &s.version {
                sql.push_str(&format!(" VERSION {}", quote_literal_std(v)));
            }
            sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", quote_ident(&s.wrapper)));
            if !s.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&s.options)));
            }
            sql.push_str(";\n");
            self.decorate(&mut sql, &format!("SERVER {name}"), Some(&format!("FOREIGN SERVER {name}")), m);
            let mut it = self.item(key(class::PG_FOREIGN_SERVER, m.oid), "SERVER", Section::PreData, prio::SERVER, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP SERVER IF EXISTS {name};\n"));
            if let Some(w) = self.cat.fdws.iter().find(|w| w.meta.name == s.wrapper) {
                it.deps.push(key(class::PG_FOREIGN_DATA_WRAPPER, w.meta.oid));
            }
            self.push(it);
        }
        for u in &self.cat.user_mappings {
            let role = u.role.as_deref().map(|r| quote_ident(r).into_owned()).unwrap_or_else(|| "PUBLIC".into());
            let server = quote_ident(&u.server).into_owned();
            let mut sql = format!("CREATE USER MAPPING FOR {role} SERVER {server}");
            if !u.options.is_empty() {
                sql.push_str(&format!(" {}", options_clause(&u.options)));
            }
            sql.push_str(";\n");
            let mut it = self.item(key(synth::USER_MAPPING, u.oid), "USER MAPPING", Section::PreData, prio::USER_MAPPING, None, &format!("USER MAPPING {} SERVER {}", u.role.as_deref().unwrap_or("public"), u.server));
            it.sql = sql;
            it.drop = Some(format!("DROP USER MAPPING IF EXISTS FOR {role} SERVER {server};\n"));
            if let Some(s) = self.cat.servers.iter().find(|s| s.meta.name == u.server) {
                it.deps.push(key(class::PG_FOREIGN_SERVER, s.meta.oid));
            }
            self.push(it);
        }
    }

    fn publications(&mut self) {
        for p in &self.cat.publications {
            let m = &p.meta;
            let name = quote_ident(&m.name).into_owned();
            let mut sql = format!("CREATE PUBLICATION {name}");
            if p.all_tables {
                sql.push_str(" FOR ALL TABLES");
            }
            sql.push_str(&format!(" WITH (publish = {}", quote_literal_std(&p.publish)));
            if p.via_root {
                sql.push_str(", publish_via_partition_root = true");
            }
            sql.push_str(");\n");
            self.decorate(&mut sql, &format!("PUBLICATION {name}"), None, m);
            let pkey = key(class::PG_PUBLICATION, m.oid);
            let mut it = self.item(pkey, "PUBLICATION", Section::PostData, prio::PUBLICATION, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP PUBLICATION IF EXISTS {name};\n"));
            self.push(it);
            for (table, cols, filter) in &p.tables {
                let Some(rel) = self.rel_by_oid.get(table).copied() else { continue };
                let mut s = format!("ALTER PUBLICATION {name} ADD TABLE ONLY {}", self.names.of(&rel.meta));
                if let Some(c) = cols {
                    s.push_str(&format!(" ({c})"));
                }
                if let Some(f) = filter {
                    s.push_str(&format!(" WHERE ({f})"));
                }
                s.push_str(";\n");
                let mut it = self.item(key(synth::PUBLICATION_TABLE, m.oid ^ table.rotate_left(16)), "PUBLICATION TABLE", Section::PostData, prio::PUBLICATION_MEMBER, rel.meta.schema.as_deref(), &format!("{} {}", m.name, rel.meta.name));
                it.sql = s;
                it.deps.push(pkey);
                it.deps.push(key(class::PG_CLASS, *table));
                self.push(it);
            }
            for (i, sch) in p.schemas.iter().enumerate() {
                let mut it = self.item(key(synth::PUBLICATION_SCHEMA, m.oid.wrapping_mul(1000).wrapping_add(i as u32)), "PUBLICATION TABLES IN SCHEMA", Section::PostData, prio::PUBLICATION_MEMBER, None, &format!("{} {}", m.name, sch));
                it.sql = format!("ALTER PUBLICATION {name} ADD TABLES IN SCHEMA {sch};\n");
                it.deps.push(pkey);
                if let Some(s) = self.cat.schemas.iter().find(|s| quote_ident(&s.meta.name) == *sch) {
                    it.deps.push(key(class::PG_NAMESPACE, s.meta.oid));
                }
                self.push(it);
            }
        }
    }

    /// Grants on a table's system columns, one item per table after it
    /// (the table's own item renders its user columns' grants).
    fn system_column_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        let mut by_table: Vec<(u32, Vec<&SystemColumnAcl>)> = Vec::new();
        for a in &self.cat.system_column_acls {
            match by_table.last_mut() {
                Some((t, v)) if *t == a.table => v.push(a),
                _ => by_table.push((a.table, vec![a])),
            }
        }
        for (table, acls) in by_table {
            let Some(rel) = self.rel_by_oid.get(&table).copied() else { continue };
            let on = format!("TABLE {}", self.names.of(&rel.meta));
            let mut sql = String::new();
            for a in acls {
                let col = quote_ident(&a.column).into_owned();
                self.grants(&mut sql, &on, Some(&col), rel.meta.owner.as_deref(), Some(&a.acl), &[]);
            }
            let mut it = self.item(key(synth::SYSTEM_COLUMN_ACL, table), "ACL", Section::PreData, prio::TABLE, rel.meta.schema.as_deref(), &format!("{} system columns", rel.meta.name));
            it.sql = sql;
            it.deps.push(key(class::PG_CLASS, table));
            self.push(it);
        }
    }

    /// `CREATE [TRUSTED] PROCEDURAL LANGUAGE ... HANDLER ...`, as pg_dump
    /// writes it; privileges only on trusted languages (the server refuses
    /// GRANT on the others).
    fn languages(&mut self) {
        for l in &self.cat.languages {
            let m = &l.meta;
            let name = quote_ident(&m.name).into_owned();
            let func = |f: &(String, String, u32)| self.names.qualified(Some(&f.0), &f.1);
            let mut sql = format!(
                "CREATE {}PROCEDURAL LANGUAGE {name} HANDLER {}",
                if l.trusted { "TRUSTED " } else { "" },
                func(&l.handler)
            );
            if let Some(f) = &l.inline {
                sql.push_str(&format!(" INLINE {}", func(f)));
            }
            if let Some(f) = &l.validator {
                sql.push_str(&format!(" VALIDATOR {}", func(f)));
            }
            sql.push_str(";\n");
            let what = format!("LANGUAGE {name}");
            let acl_on = l.trusted.then_some(what.as_str());
            self.decorate(&mut sql, &what, acl_on, m);
            let mut it = self.item(key(class::PG_LANGUAGE, m.oid), "PROCEDURAL LANGUAGE", Section::PreData, prio::PROCLANG, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP PROCEDURAL LANGUAGE IF EXISTS {name};\n"));
            for f in [Some(&l.handler), l.inline.as_ref(), l.validator.as_ref()].into_iter().flatten() {
                it.deps.push(key(class::PG_PROC, f.2));
            }
            self.push(it);
        }
    }

    /// `CREATE SUBSCRIPTION ... WITH (connect = false, ...)`, as pg_dump
    /// writes it: the copy neither connects nor creates a slot, and stays
    /// disabled until someone enables it. Options are spelt out when they
    /// differ from the defaults of the source's major, `streaming` always
    /// (its default changed in 18).
    fn subscriptions(&mut self) {
        for sub in &self.cat.subscriptions {
            let m = &sub.meta;
            let name = quote_ident(&m.name).into_owned();
            let pubs: Vec<String> = sub.publications.iter().map(|p| quote_ident(p).into_owned()).collect();
            let mut opts = vec![
                "connect = false".to_string(),
                format!(
                    "slot_name = {}",
                    sub.slot_name.as_deref().map(quote_literal_std).unwrap_or_else(|| "NONE".into())
                ),
            ];
            if sub.binary {
                opts.push("binary = true".into());
            }
            match sub.streaming {
                Some('t') => opts.push("streaming = on".into()),
                Some('p') => opts.push("streaming = parallel".into()),
                Some(_) => opts.push("streaming = off".into()),
                None => {}
            }
            if sub.two_phase {
                opts.push("two_phase = on".into());
            }
            if sub.disable_on_error {
                opts.push("disable_on_error = true".into());
            }
            if !sub.password_required {
                opts.push("password_required = false".into());
            }
            if sub.run_as_owner {
                opts.push("run_as_owner = true".into());
            }
            if sub.failover {
                opts.push("failover = true".into());
            }
            if sub.synchronous_commit != "off" {
                opts.push(format!("synchronous_commit = {}", quote_literal_std(&sub.synchronous_commit)));
            }
            if let Some(o) = sub.origin.as_deref().filter(|o| !o.eq_ignore_ascii_case("any")) {
                opts.push(format!("origin = {}", quote_literal_std(o)));
            }
            let mut sql = format!(
                "CREATE SUBSCRIPTION {name} CONNECTION {} PUBLICATION {} WITH ({});\n",
                quote_literal_std(sub.conninfo.expose()),
                pubs.join(", "),
                opts.join(", ")
            );
            self.decorate(&mut sql, &format!("SUBSCRIPTION {name}"), None, m);
            let mut it = self.item(key(class::PG_SUBSCRIPTION, m.oid), "SUBSCRIPTION", Section::PostData, prio::SUBSCRIPTION, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            // A subscription with a slot cannot be dropped without reaching
            // its publisher (and not in a transaction): the drop fails then,
            // rather than leaving the publisher's slot behind unnoticed.
            it.drop = Some(format!("DROP SUBSCRIPTION IF EXISTS {name};\n"));
            self.push(it);
        }
    }

    fn large_objects(&mut self) {
        for lo in &self.cat.large_objects {
            let m = &lo.meta;
            let mut sql = format!("SELECT pg_catalog.lo_create('{}');\n", m.oid);
            let what = format!("LARGE OBJECT {}", m.oid);
            self.decorate(&mut sql, &what, Some(&what), m);
            let mut it = self.item(key(synth::LARGE_OBJECT, m.oid), "LARGE OBJECT", Section::PreData, prio::LARGE_OBJECT, None, &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{}';\n", m.oid));
            self.push(it);
        }
    }

    fn extension_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        for (n, a) in self.cat.extension_acls.iter().enumerate() {
            let mut sql = String::new();
            self.grants(&mut sql, &a.on, a.column.as_deref(), None, Some(&a.acl), &a.initial);
            let name = match &a.column {
                Some(c) => format!("{} ({c})", a.on),
                None => a.on.clone(),
            };
            let mut it = self.item(key(synth::EXTENSION_ACL, n as u32), "ACL", Section::PreData, prio::EXTENSION, None, &name);
            it.sql = sql;
            it.deps.push(key(class::PG_EXTENSION, a.extension));
            self.push(it);
        }
    }

    fn default_acls(&mut self) {
        if self.opts.no_acl {
            return;
        }
        for d in &self.cat.default_acls {
            let what = match d.object_type {
                'r' => "TABLES",
                'S' => "SEQUENCES",
                'f' => "FUNCTIONS",
                'T' => "TYPES",
                'n' => "SCHEMAS",
                'L' => "LARGE OBJECTS",
                other => {
                    self.out.warnings.push(format!("default privileges of kind {other:?} for role {} are not dumped", d.role));
                    continue;
                }
            };
            let prefix = match &d.schema {
                Some(s) => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ", quote_ident(&d.role), self.names.schema(s)),
                None => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} ", quote_ident(&d.role)),
            };
            let t = Target { prefix: &prefix, on: what, column: None, owner: Some(&d.role) };
            let sql = match acl::statements(&t, Some(&d.acl), &d.base) {
                Ok(s) => s,
                Err(e) => {
                    self.out.warnings.push(format!("default privileges for role {} not dumped: {e}", d.role));
                    continue;
                }
            };
            let mut it = self.item(key(synth::DEFAULT_ACL, d.oid), "DEFAULT ACL", Section::PostData, prio::DEFAULT_ACL, d.schema.as_deref(), &format!("DEFAULT PRIVILEGES FOR {what}"));
            it.owner = Some(d.role.clone());
            it.sql = sql;
            if let Some(s) = self.cat.schemas.iter().find(|s| Some(&s.meta.name) == d.schema.as_ref()) {
                it.deps.push(key(class::PG_NAMESPACE, s.meta.oid));
            }
            self.push(it);
        }
    }
}

fn base_type_sql(name: &str, b: &BaseType) -> String {
    let mut p = vec![match b.length {
        -1 => "INTERNALLENGTH = variable".to_string(),
        n => format!("INTERNALLENGTH = {n}"),
    }];
    p.push(format!("INPUT = {}", b.input));
    p.push(format!("OUTPUT = {}", b.output));
    for (k, v) in [
        ("RECEIVE", &b.receive),
        ("SEND", &b.send),
        ("TYPMOD_IN", &b.typmod_in),
        ("TYPMOD_OUT", &b.typmod_out),
        ("ANALYZE", &b.analyze),
        ("SUBSCRIPT", &b.subscript),
    ] {
        if let Some(f) = v {
            p.push(format!("{k} = {f}"));
        }
    }
    if b.by_value {
        p.push("PASSEDBYVALUE".into());
    }
    p.push(format!(
        "ALIGNMENT = {}",
        match b.alignment {
            'c' => "char",
            's' => "int2",
            'd' => "double",
            _ => "int4",
        }
    ));
    p.push(format!(
        "STORAGE = {}",
        match b.storage {
            'e' => "external",
            'x' => "extended",
            'm' => "main",
            _ => "plain",
        }
    ));
    p.push(format!("CATEGORY = {}", quote_literal_std(&b.category.to_string())));
    if b.preferred {
        p.push("PREFERRED = true".into());
    }
    if let Some(d) = &b.default {
        p.push(format!("DEFAULT = {}", quote_literal_std(d)));
    }
    if let Some(e) = &b.element {
        p.push(format!("ELEMENT = {e}"));
    }
    if b.delimiter != ',' {
        p.push(format!("DELIMITER = {}", quote_literal_std(&b.delimiter.to_string())));
    }
    if b.collatable {
        p.push("COLLATABLE = true".into());
    }
    format!("CREATE TYPE {name} (\n    {}\n);\n", p.join(",\n    "))
}

/// The built-in collation a libc collation is a copy of, when only a copy
/// can state what it is: `CREATE COLLATION ... (locale = 'C')` gives the
/// database's encoding, `FROM "C"` keeps "any encoding" (-1). pg_dump
/// writes the options and so changes the encoding; copying keeps it.
fn libc_builtin_copy(c: &Collation) -> Option<&'static str> {
    if c.provider != "c" || !c.any_encoding || !c.deterministic || c.collate != c.ctype {
        return None;
    }
    match c.collate.as_deref() {
        Some("C") => Some("C"),
        Some("POSIX") => Some("POSIX"),
        _ => None,
    }
}

fn storage_word(st: char) -> &'static str {
    match st {
        'p' => "PLAIN",
        'e' => "EXTERNAL",
        'm' => "MAIN",
        _ => "EXTENDED",
    }
}

fn ckey_of(c: &DomainConstraint) -> ObjRef {
    key(class::PG_CONSTRAINT, c.oid)
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
                    "MATERIALIZED VIEW" => {
                        if let Some(&rj) = refresh_of.get(&j) {
                            if rj != r {
                                deps[r].push(rj);
                            }
                        }
                        stack.extend(deps[j].iter().copied());
                    }
                    "VIEW" => stack.extend(deps[j].iter().copied()),
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

/// Whether `pg_get_indexdef` output is `CREATE UNIQUE INDEX name ON table
/// USING btree (col, ...)` with only bare column names (default collation,
/// operator class and ordering), optionally followed by `INCLUDE (...)` and
/// `WITH (...)`: the only indexes `ADD CONSTRAINT ... USING INDEX` accepts as
/// the same constraint a plain `ADD CONSTRAINT` would build.
fn plain_btree_columns(def: &str) -> bool {
    let Some(at) = def.find(" USING btree (") else { return false };
    if !def.starts_with("CREATE UNIQUE INDEX ") {
        return false;
    }
    let cols_start = at + " USING btree (".len();
    let Some(len) = closing_paren(&def[cols_start..]) else { return false };
    let cols = &def[cols_start..cols_start + len];
    if !split_top_level(cols).iter().all(|c| is_identifier(c.trim())) {
        return false;
    }
    let mut tail = def[cols_start + len + 1..].trim_start();
    for clause in ["INCLUDE (", "WITH ("] {
        if let Some(r) = tail.strip_prefix(clause) {
            let Some(n) = closing_paren(r) else { return false };
            tail = r[n + 1..].trim_start();
        }
    }
    tail.is_empty()
}

/// Length up to the parenthesis that closes an already opened one,
/// skipping quoted identifiers and string literals.
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, ch) in s.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') | (None, '\'') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(i),
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut in_quote) = (0i32, 0usize, false);
    for (i, ch) in s.char_indices() {
        match ch {
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth -= 1,
            ',' if !in_quote && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A bare or double-quoted identifier and nothing else.
fn is_identifier(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return !inner.is_empty() && inner.replace("\"\"", "").chars().all(|c| c != '"');
    }
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_' || !c.is_ascii())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$' || !c.is_ascii())
}

#[cfg(test)]
mod two_step_tests {
    use super::plain_btree_columns;

    #[test]
    fn plain_unique_indexes_are_recognised() {
        assert!(plain_btree_columns("CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)"));
        assert!(plain_btree_columns("CREATE UNIQUE INDEX \"a b\" ON s.\"T\" USING btree (\"Id\", x_1) INCLUDE (y) WITH (fillfactor='80')"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (id DESC)"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (lower(x))"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (x COLLATE \"C\")"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (x text_pattern_ops)"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (x) WHERE (x > 0)"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING btree (x) NULLS NOT DISTINCT"));
        assert!(!plain_btree_columns("CREATE UNIQUE INDEX i ON t USING hash (x)"));
    }
}

#[cfg(test)]
mod collation_copy_tests {
    use super::libc_builtin_copy;
    use crate::catalog::Collation;

    fn libc(locale: &str, any_encoding: bool) -> Collation {
        Collation {
            provider: "c".into(),
            deterministic: true,
            collate: Some(locale.into()),
            ctype: Some(locale.into()),
            any_encoding,
            ..Collation::default()
        }
    }

    #[test]
    fn only_any_encoding_copies_of_c_and_posix_are_copied() {
        assert_eq!(libc_builtin_copy(&libc("C", true)), Some("C"));
        assert_eq!(libc_builtin_copy(&libc("POSIX", true)), Some("POSIX"));
        // Created with options: the database's encoding, options reproduce it.
        assert_eq!(libc_builtin_copy(&libc("C", false)), None);
        // No built-in collation to copy from.
        assert_eq!(libc_builtin_copy(&libc("en_US.utf8", true)), None);
        let icu = Collation { provider: "i".into(), ..libc("C", true) };
        assert_eq!(libc_builtin_copy(&icu), None);
        let split = Collation { ctype: Some("POSIX".into()), ..libc("C", true) };
        assert_eq!(libc_builtin_copy(&split), None);
    }
}
