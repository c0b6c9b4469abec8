//! Rendering relations (tables, partitions, foreign tables, views,
//! materialized views) with their columns, sequences, constraints and
//! indexes.
//!
//! It renders statements from the model into items and must not query the
//! server or decide the order items run in (that is `resolve` in `mod.rs` and
//! `ddl::sort`).

use crate::manifest::kind::EntryKind;
use super::*;

impl Builder<'_> {
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

    pub(super) fn sequences(&mut self) {
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
                let mut it = self.item(key(synth::SEQUENCE_SET, m.oid), EntryKind::SequenceSet, Section::PostData, prio::SEQUENCE_SET, m.schema.as_deref(), &m.name);
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
            let mut it = self.item(skey, EntryKind::Sequence, Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
            it.owner = m.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP SEQUENCE IF EXISTS {name};\n"));
            self.push(it);
            if let Some((table, col)) = &s.owned_by {
                if let Some(rel) = self.rel_by_oid.get(table) {
                    self.out.owned.insert((m.oid, *table));
                    let mut it = self.item(key(synth::SEQUENCE_OWNED_BY, m.oid), EntryKind::SequenceOwnedBy, Section::PreData, prio::SEQUENCE_OWNED_BY, m.schema.as_deref(), &m.name);
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

    pub(super) fn relations(&mut self) {
        let rels: Vec<&Relation> = self.cat.relations.iter().collect();
        for rel in rels {
            match rel.kind {
                RelKind::View | RelKind::MaterializedView => self.view(rel),
                _ => self.table(rel),
            }
        }
    }

    /// A table (plain, partitioned, partition, typed, foreign): its columns
    /// and inline constraints, the CREATE statement, the ALTERs that follow
    /// it, then the item itself and, for a partition, its ATTACH.
    fn table(&mut self, rel: &Relation) {
        let t = TableContext::new(self, rel);
        let mut parts = TableParts::default();
        for col in &rel.columns {
            self.table_column(&t, col, &mut parts);
        }
        self.inline_checks(&t, &mut parts);
        let mut sql = self.create_table_statement(&t, &parts.lines);
        sql.push_str(&parts.after);
        self.table_alters(&t, &mut sql);
        let m = &rel.meta;
        let what = format!("{} {}", t.kind_word, t.name);
        self.owner(&mut sql, &what, m.owner.as_deref());
        self.comment(&mut sql, &what, m.comment.as_deref());
        sql.push_str(&parts.inline_comments);
        self.columns_meta(&mut sql, rel, &t.name);
        let on = format!("TABLE {}", t.name);
        self.grants(&mut sql, &on, None, m.owner.as_deref(), m.acl.as_deref(), &m.acl_base);
        self.column_grants(&mut sql, rel, &on);
        self.push_table_item(&t, sql);
        self.attach_partition(&t);
    }

    /// One column: its line in the CREATE statement (or what an inherited
    /// or typed-table column changes), its default as an item of its own
    /// when split out, and the ALTERs for storage, compression, statistics
    /// and options.
    fn table_column(&mut self, t: &TableContext<'_>, col: &Column, parts: &mut TableParts) {
        let (rel, m, name, tkey) = (t.rel, &t.rel.meta, &t.name, t.tkey);
        let (alter, only) = (t.alter, t.only);
        let cname = quote_ident(&col.name).into_owned();
        let listed = rel.of_type.is_none() && (col.is_local || t.is_partition);
        let dkey = col.default_oid.map(|d| key(class::PG_ATTRDEF, d));
        let default_inline = dkey.is_some_and(|k| !self.split.contains(&k)) && col.generated.is_none();
        if listed {
            let line = self.listed_column(t, col, &cname, default_inline, parts);
            parts.lines.push(line);
        } else if rel.of_type.is_some() {
            self.typed_table_column(t, col, &cname, default_inline, parts);
        } else {
            self.inherited_column(t, col, &cname, default_inline, parts);
        }
        if let Some(k) = dkey {
            if default_inline {
                self.out.inline.insert(k, tkey);
                self.out.parts.entry(tkey).or_default().push(k);
            } else if col.generated.is_none() {
                if let Some(d) = &col.default {
                    let mut it = self.item(k, EntryKind::Default, Section::PreData, prio::DEFAULT, m.schema.as_deref(), &format!("{} {}", m.name, col.name));
                    it.sql = format!("{alter} {only}{name} ALTER COLUMN {cname} SET DEFAULT {d};\n");
                    it.deps.push(tkey);
                    it.owner = m.owner.clone();
                    self.push(it);
                }
            }
        }
        let after = &mut parts.after;
        if let Some(st) = col.storage {
            after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET STORAGE {};\n", storage_word(st)));
        }
        if let Some(c) = col.compression {
            let word = if c == 'l' { "lz4" } else { "pglz" };
            after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET COMPRESSION {word};\n"));
        }
        if let Some(target) = col.statistics {
            after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET STATISTICS {target};\n"));
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

    /// The line of a column the table declares itself: type, options,
    /// collation, generation, default, NOT NULL and identity.
    fn listed_column(&mut self, t: &TableContext<'_>, col: &Column, cname: &str, default_inline: bool, parts: &mut TableParts) -> String {
        let (name, tkey) = (&t.name, t.tkey);
        let mut s = format!("{cname} {}", col.type_name);
        if let Some(o) = (!col.fdw_options.is_empty()).then(|| options_clause(&col.fdw_options)) {
            s.push_str(&format!(" {o}"));
        }
        if let Some(c) = &col.collation {
            s.push_str(&format!(" COLLATE {c}"));
        }
        // A child's generated column takes the parent's expression.
        let parent_generates = col.inherited && !t.is_partition && self.a_parent_has(t, col, |pc| pc.generated.is_some());
        if let (Some(g), Some(expr), false) = (col.generated, &col.default, parent_generates) {
            s.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {}", if g == 'v' { "VIRTUAL" } else { "STORED" }));
        }
        if default_inline {
            if let Some(d) = &col.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
        }
        match self.not_nulls.get(&(t.rel.meta.oid, col.name.as_str())) {
            // 18+: the constraint's own name (a partition keeps its
            // parent's; ATTACH PARTITION merges them).
            // Purely inherited: the parent's constraint makes it.
            Some(nn) if !nn.is_local && !t.is_partition => {}
            Some(nn) if nn.validated => {
                let no_inherit = if nn.definition.contains(" NO INHERIT") { " NO INHERIT" } else { "" };
                s.push_str(&format!(" CONSTRAINT {} NOT NULL{no_inherit}", quote_ident(&nn.name)));
                self.comment(&mut parts.inline_comments, &format!("CONSTRAINT {} ON {name}", quote_ident(&nn.name)), nn.comment.as_deref());
                self.out.inline.insert(key(class::PG_CONSTRAINT, nn.oid), tkey);
            }
            Some(_) => {}
            None if col.not_null => s.push_str(" NOT NULL"),
            None => {}
        }
        if col.identity.is_some() {
            s.push_str(&self.identity_clause(t.rel, col));
        }
        // A column the child declared itself (it was made on its own
        // and then set to INHERIT) takes the parent's default when
        // created with INHERITS; the source's child had none.
        if col.default.is_none()
            && col.inherited
            && !t.is_partition
            && self.a_parent_has(t, col, |pc| pc.default.is_some() && pc.generated.is_none())
        {
            let (alter, only) = (t.alter, t.only);
            parts.after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} DROP DEFAULT;\n"));
        }
        s
    }

    /// A typed table's column: only a default or NOT NULL, as `WITH OPTIONS`.
    fn typed_table_column(&mut self, t: &TableContext<'_>, col: &Column, cname: &str, default_inline: bool, parts: &mut TableParts) {
        let (name, tkey) = (&t.name, t.tkey);
        let mut opts = String::new();
        if default_inline {
            if let Some(d) = &col.default {
                opts.push_str(&format!(" DEFAULT {d}"));
            }
        }
        match self.not_nulls.get(&(t.rel.meta.oid, col.name.as_str())) {
            // 18+: keep the constraint's name.
            Some(nn) if nn.validated && nn.is_local => {
                opts.push_str(&format!(" CONSTRAINT {} NOT NULL", quote_ident(&nn.name)));
                self.comment(&mut parts.inline_comments, &format!("CONSTRAINT {} ON {name}", quote_ident(&nn.name)), nn.comment.as_deref());
                self.out.inline.insert(key(class::PG_CONSTRAINT, nn.oid), tkey);
            }
            _ if col.not_null => opts.push_str(" NOT NULL"),
            _ => {}
        }
        if !opts.is_empty() {
            parts.lines.push(format!("{cname} WITH OPTIONS{opts}"));
        }
    }

    /// An inherited column: only the default and NOT NULL its parents do
    /// not give it, as ALTERs after the CREATE.
    fn inherited_column(&mut self, t: &TableContext<'_>, col: &Column, cname: &str, default_inline: bool, parts: &mut TableParts) {
        let (name, alter, only) = (&t.name, t.alter, t.only);
        if default_inline {
            if let Some(d) = &col.default {
                if !self.a_parent_has(t, col, |pc| pc.default.as_ref() == Some(d)) {
                    parts.after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET DEFAULT {d};\n"));
                }
            }
        }
        if col.not_null && !self.a_parent_has(t, col, |pc| pc.not_null) {
            parts.after.push_str(&format!("{alter} {only}{name} ALTER COLUMN {cname} SET NOT NULL;\n"));
        }
    }

    /// Whether a table this one inherits from (not a partition's parent)
    /// has a column of the same name that satisfies `test`.
    fn a_parent_has(&self, t: &TableContext<'_>, col: &Column, test: impl Fn(&Column) -> bool) -> bool {
        t.inherit_parents.iter().any(|p| {
            self.rel_by_oid
                .get(p)
                .is_some_and(|pr| pr.columns.iter().any(|pc| pc.name == col.name && test(pc)))
        })
    }

    /// CHECK constraints go inline when valid and local.
    fn inline_checks(&mut self, t: &TableContext<'_>, parts: &mut TableParts) {
        let checks: Vec<&Constraint> = self.checks_by_table.get(&t.rel.meta.oid).cloned().unwrap_or_default();
        for c in checks {
            let ckey = key(class::PG_CONSTRAINT, c.oid);
            if c.validated && !self.split.contains(&ckey) {
                parts.lines.push(format!("CONSTRAINT {} {}", quote_ident(&c.name), c.definition));
                self.comment(&mut parts.inline_comments, &format!("CONSTRAINT {} ON {}", quote_ident(&c.name), t.name), c.comment.as_deref());
                self.out.inline.insert(ckey, t.tkey);
                self.out.parts.entry(t.tkey).or_default().push(ckey);
            }
        }
    }

    /// `CREATE [UNLOGGED|FOREIGN] TABLE ... ;` with its column lines and
    /// clauses (INHERITS, PARTITION BY, USING, WITH, SERVER, OPTIONS).
    fn create_table_statement(&self, t: &TableContext<'_>, lines: &[String]) -> String {
        let (rel, name) = (t.rel, &t.name);
        let mut sql = String::new();
        let unlogged = if rel.unlogged { "UNLOGGED " } else { "" };
        if let Some(ty) = &rel.of_type {
            sql.push_str(&format!("CREATE {unlogged}TABLE {name} OF {ty}"));
            if !lines.is_empty() {
                sql.push_str(&format!(" (\n    {}\n)", lines.join(",\n    ")));
            }
        } else if t.foreign {
            sql.push_str(&format!("CREATE FOREIGN TABLE {name} (\n    {}\n)", lines.join(",\n    ")));
        } else {
            sql.push_str(&format!("CREATE {unlogged}TABLE {name} (\n    {}\n)", lines.join(",\n    ")));
            if lines.is_empty() {
                sql = format!("CREATE {unlogged}TABLE {name} (\n)");
            }
        }
        if !t.inherit_parents.is_empty() {
            let ps: Vec<String> = t
                .inherit_parents
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
        if t.foreign {
            if let Some(s) = &rel.foreign_server {
                sql.push_str(&format!("\nSERVER {}", quote_ident(s)));
            }
            if !rel.foreign_options.is_empty() {
                sql.push_str(&format!("\n{}", options_clause(&rel.foreign_options)));
            }
        }
        sql.push_str(";\n");
        sql
    }

    /// The table-level ALTERs after the columns': tablespace, replica
    /// identity, row security.
    fn table_alters(&self, t: &TableContext<'_>, sql: &mut String) {
        let (rel, name, only) = (t.rel, &t.name, t.only);
        if let Some(ts) = &rel.tablespace {
            sql.push_str(&format!("ALTER TABLE {only}{name} SET TABLESPACE {};\n", quote_ident(ts)));
        }
        match if t.foreign { 'd' } else { rel.replica_identity } {
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
    }

    /// The table's item, depending on its INHERITS parents and its server.
    fn push_table_item(&mut self, t: &TableContext<'_>, sql: String) {
        let m = &t.rel.meta;
        let mut it = self.item(t.tkey, EntryKind::from_word(t.kind_word), Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
        it.owner = m.owner.clone();
        it.sql = sql;
        it.drop = Some(format!("DROP {} IF EXISTS {};\n", t.kind_word, t.name));
        for p in &t.inherit_parents {
            it.deps.push(key(class::PG_CLASS, *p));
        }
        if let Some(srv) = &t.rel.foreign_server {
            if let Some(s) = self.cat.servers.iter().find(|s| &s.meta.name == srv) {
                it.deps.push(key(class::PG_FOREIGN_SERVER, s.meta.oid));
            }
        }
        self.push(it);
    }

    /// A partition's `ATTACH PARTITION` item, or a warning when its parent
    /// is not in the dump.
    fn attach_partition(&mut self, t: &TableContext<'_>) {
        let (rel, m, name) = (t.rel, &t.rel.meta, &t.name);
        let partition_parent = if t.is_partition { rel.parents.first().copied() } else { None };
        if let (Some(parent), Some(bound)) = (partition_parent, &rel.partition_bound) {
            if let Some(pr) = self.rel_by_oid.get(&parent) {
                let mut it = self.item(key(synth::TABLE_ATTACH, m.oid), EntryKind::TableAttach, Section::PreData, prio::TABLE_ATTACH, m.schema.as_deref(), &m.name);
                it.sql = format!("ALTER TABLE ONLY {} ATTACH PARTITION {name} {bound};\n", self.names.of(&pr.meta));
                it.deps.push(t.tkey);
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
            let mut it = self.item(key(synth::VIEW_DEFINITION, m.oid), EntryKind::View, Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
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
        let alter_kw = if matview { EntryKind::MaterializedView } else { EntryKind::View };
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
        let mut it = self.item(vkey, if matview { EntryKind::MaterializedView } else { EntryKind::View }, Section::PreData, prio::TABLE, m.schema.as_deref(), &m.name);
        it.owner = m.owner.clone();
        it.sql = sql;
        it.drop = Some(format!("DROP {alter_kw} IF EXISTS {name};\n"));
        self.push(it);
        if matview && rel.populated {
            let mut it = self.item(key(synth::MATVIEW_REFRESH, m.oid), EntryKind::MaterializedViewData, Section::PostData, prio::MATVIEW_REFRESH, m.schema.as_deref(), &m.name);
            it.sql = format!("REFRESH MATERIALIZED VIEW {name};\n");
            it.deps.push(vkey);
            self.push(it);
        }
    }

    pub(super) fn constraints(&mut self) {
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
                'f' => (EntryKind::FkConstraint, Section::PostData, prio::FK),
                'c' if c.validated => (EntryKind::CheckConstraint, Section::PreData, prio::DEFAULT),
                'c' => (EntryKind::CheckConstraint, Section::PostData, prio::CONSTRAINT),
                _ => (EntryKind::Constraint, Section::PostData, prio::CONSTRAINT),
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

    pub(super) fn indexes(&mut self) {
        for ix in &self.cat.indexes {
            let Some(rel) = self.rel_by_oid.get(&ix.table).copied() else { continue };
            let ikey = key(class::PG_CLASS, ix.meta.oid);
            let iname = self.names.of(&ix.meta);
            if let Some(parent) = ix.parent {
                if let Some(p) = self.index_by_oid.get(&parent).copied() {
                    let mut it = self.item(key(synth::INDEX_ATTACH, ix.meta.oid), EntryKind::IndexAttach, Section::PostData, prio::INDEX_ATTACH, ix.meta.schema.as_deref(), &ix.meta.name);
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
            let mut it = self.item(ikey, EntryKind::Index, Section::PostData, prio::INDEX, ix.meta.schema.as_deref(), &ix.meta.name);
            it.owner = rel.meta.owner.clone();
            it.sql = sql;
            it.drop = Some(format!("DROP INDEX IF EXISTS {iname};\n"));
            it.deps.push(key(class::PG_CLASS, ix.table));
            self.push(it);
        }
    }
}

/// What every step of rendering one table refers to it by.
struct TableContext<'r> {
    rel: &'r Relation,
    /// The qualified name.
    name: String,
    tkey: ObjRef,
    foreign: bool,
    is_partition: bool,
    /// The tables named in INHERITS (none for a partition).
    inherit_parents: Vec<u32>,
    /// `ONLY ` unless the table is partitioned.
    only: &'static str,
    /// `ALTER TABLE` or `ALTER FOREIGN TABLE`.
    alter: &'static str,
    /// `TABLE` or `FOREIGN TABLE`.
    kind_word: &'static str,
}

impl<'r> TableContext<'r> {
    fn new(b: &Builder<'_>, rel: &'r Relation) -> Self {
        let foreign = rel.kind == RelKind::ForeignTable;
        let is_partition = rel.partition_bound.is_some();
        TableContext {
            rel,
            name: b.names.of(&rel.meta),
            tkey: key(class::PG_CLASS, rel.meta.oid),
            foreign,
            is_partition,
            inherit_parents: if is_partition { Vec::new() } else { rel.parents.clone() },
            only: if rel.kind == RelKind::PartitionedTable { "" } else { "ONLY " },
            alter: if foreign { "ALTER FOREIGN TABLE" } else { "ALTER TABLE" },
            kind_word: if foreign { "FOREIGN TABLE" } else { "TABLE" },
        }
    }
}

/// What the column and constraint steps add to a table's statement.
#[derive(Default)]
struct TableParts {
    /// Column and constraint lines inside CREATE TABLE's parentheses.
    lines: Vec<String>,
    /// ALTERs that follow the CREATE (defaults, NOT NULL, storage, ...).
    after: String,
    /// Comments on constraints rendered inline, after the table's own.
    inline_comments: String,
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

fn storage_word(st: char) -> &'static str {
    match st {
        'p' => "PLAIN",
        'e' => "EXTERNAL",
        'm' => "MAIN",
        _ => "EXTENDED",
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
