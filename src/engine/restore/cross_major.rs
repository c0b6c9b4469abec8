//! Restoring a snapshot into an older PostgreSQL major than the one it was
//! taken on: which of the newer server's features map exactly onto the
//! older one (and how), and how the restore recognises what the older
//! server cannot create, so that it is left out with a warning naming the
//! object while everything else is restored.
//!
//! pg_dump refuses such restores outright. pgkeep's snapshots carry the
//! source's version (`Source::server_version_num`), each entry's kind,
//! owner and dependencies, so a restore can do better:
//!
//! - **Exact mappings** (applied before a statement is sent):
//!   `pg_database_owner` (14+) as an owner, grantee or grantor becomes the
//!   target database's owner, the one role it stands for; the `public`
//!   schema of a 15+ source, where `PUBLIC` has no `CREATE`, gets
//!   `REVOKE CREATE … FROM PUBLIC` on a 14- target, whose default grants it;
//!   `SET COMPRESSION pglz` is dropped on 13, which compresses with pglz only.
//! - **Left out of a statement, with a warning**: a range type's
//!   multirange (14+) on 13, which has none (the range type is created);
//!   an extension at a version the target does not ship is created at the
//!   target's own version (pg_dump never names versions; the warning
//!   names both). The `MAINTAIN` privilege
//!   (17+) is taken out of a privilege list on an older target, so the
//!   other privileges of the same `GRANT` (17 spells `ALL` out) are kept.
//! - **Left out, with a warning**: a statement the target rejects as
//!   unknown to it (see `unsupported`). When an entry's first statement
//!   (the one that creates the object) is rejected, the object is left out
//!   and so is everything that depends on it (by the snapshot's
//!   dependencies), tables' data included; when a later statement (a
//!   privilege, a property) is rejected, only that statement is.
//!
//! Restores into the same or a newer major never come here.

use crate::sql::statements;

/// The role PostgreSQL 14 introduced, whose one member is the current
/// database's owner.
pub const DATABASE_OWNER_ROLE: &str = "pg_database_owner";

/// A restore from a newer major into an older one.
#[derive(Clone, Debug)]
pub struct Downgrade {
    pub source_major: u32,
    pub target_major: u32,
    /// The target database's owner (`pg_database.datdba`).
    pub database_owner: String,
}

/// The major of a `server_version_num` (130023 -> 13); 0 for unknown.
pub fn major_of(version_num: u32) -> u32 {
    version_num / 10000
}

impl Downgrade {
    /// `Some` only when the target's major is older than the source's
    /// (both known): restores into the same or a newer major are unchanged.
    pub fn new(source_version_num: u32, target_version_num: u32, database_owner: String) -> Option<Downgrade> {
        let (source_major, target_major) = (major_of(source_version_num), major_of(target_version_num));
        (source_major > 0 && target_major > 0 && target_major < source_major).then_some(Downgrade {
            source_major,
            target_major,
            database_owner,
        })
    }

    /// A role as the target knows it: `pg_database_owner` on a server
    /// older than 14 is the database's owner.
    pub fn role<'a>(&'a self, role: &'a str) -> &'a str {
        if self.target_major < 14 && role == DATABASE_OWNER_ROLE {
            &self.database_owner
        } else {
            role
        }
    }

    /// The statements of an entry with the exact mappings applied, and a
    /// note for each part left out on the way (to be named with the
    /// object in a warning).
    /// `public_schema_entry`: the entry is the `public` schema's own (kind
    /// SCHEMA, name public, not created by the snapshot since every
    /// database has it) and privileges are restored.
    pub fn map_sql(&self, sql: &str, public_schema_entry: bool) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        let mut out = String::with_capacity(sql.len() + 64);
        if public_schema_entry && self.source_major >= 15 && self.target_major < 15 {
            // PostgreSQL 15 stopped granting CREATE on `public` to PUBLIC;
            // the snapshot's statements are relative to 15's default, so
            // the older default is brought to it first (grants the source
            // made on top follow in the entry).
            out.push_str("REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n");
        }
        // The comment of a multirange left out goes with it.
        let mut multirange_comment = None;
        for stmt in statements::split(sql) {
            if self.target_major < 14 && is_set_compression(stmt, "pglz") {
                continue;
            }
            if multirange_comment.as_deref().is_some_and(|c: &str| stmt.trim_start().starts_with(c)) {
                continue;
            }
            if self.target_major < 14 {
                if let Some((range, multirange)) = without_multirange(stmt) {
                    notes.push(format!(
                        "its multirange type {multirange} left out, PostgreSQL {} has no multiranges (the range type is created)",
                        self.target_major
                    ));
                    out.push_str(&range);
                    multirange_comment = Some(format!("COMMENT ON TYPE {multirange} IS "));
                    continue;
                }
            }
            if self.target_major < 17 {
                if let Some((table, am)) = without_partitioned_access_method(stmt) {
                    notes.push(format!(
                        "its access method {am} left out, PostgreSQL {} sets none on a partitioned table (its partitions take the server's default)",
                        self.target_major
                    ));
                    out.push_str(&table);
                    continue;
                }
            }
            let without_maintain;
            let stmt = if self.target_major < 17 && statements::is_acl_statement(stmt) {
                match without_privilege(stmt, "MAINTAIN") {
                    None => stmt,
                    Some(rest) => {
                        notes.push(format!(
                            "privilege MAINTAIN (PostgreSQL 17+) left out, PostgreSQL {} has no such privilege: {}",
                            self.target_major,
                            summary(stmt)
                        ));
                        match rest {
                            Some(r) => {
                                without_maintain = r;
                                without_maintain.as_str()
                            }
                            None => continue,
                        }
                    }
                }
            } else {
                stmt
            };
            if self.target_major < 14 && (statements::is_owner_statement(stmt) || statements::is_acl_statement(stmt)) {
                out.push_str(&replace_role(stmt, DATABASE_OWNER_ROLE, &crate::sql::quote::quote_ident(&self.database_owner)));
            } else {
                out.push_str(stmt);
            }
        }
        (out, notes)
    }

    /// Why the target server refused a statement, when the refusal means
    /// it does not know what the statement asks for (syntax, a feature, an
    /// option, an object, function, column or privilege of a newer major):
    /// such statements are left out with a warning. Any other error is a
    /// real failure and stops the restore as on the same major.
    pub fn unsupported(&self, e: &tokio_postgres::Error) -> Option<String> {
        let db = e.as_db_error()?;
        let known = matches!(
            db.code().code(),
            // syntax_error, feature_not_supported, undefined_object,
            // undefined_function, undefined_column, undefined_table,
            // invalid_parameter_value ("unrecognized parameter"),
            // invalid_object_definition, wrong_object_type
            "42601" | "0A000" | "42704" | "42883" | "42703" | "42P01" | "22023" | "42P17" | "42809"
        );
        known.then(|| db.message().to_string())
    }

    /// The warning for an object the target cannot create.
    pub fn left_out(&self, object: &str, why: &str) -> String {
        format!(
            "{object}: left out, PostgreSQL {} cannot create it (the snapshot is from PostgreSQL {}): {why}",
            self.target_major, self.source_major
        )
    }

    /// The warning for one statement of an object left out.
    pub fn statement_left_out(&self, object: &str, stmt: &str, why: &str) -> String {
        format!(
            "{object}: statement left out, PostgreSQL {} rejects it (the snapshot is from PostgreSQL {}): {} ({why})",
            self.target_major,
            self.source_major,
            summary(stmt)
        )
    }
}

/// The first line of a statement, shortened, to name it in a warning.
pub fn summary(stmt: &str) -> String {
    let line = stmt.trim().lines().next().unwrap_or_default();
    let mut s: String = line.chars().take(120).collect();
    if s.len() < line.len() || stmt.trim().lines().nth(1).is_some() {
        s.push_str(" …");
    }
    s
}

/// For a `GRANT`/`REVOKE` (also under `ALTER DEFAULT PRIVILEGES`) whose
/// privilege list names `privilege`: `Some(Some(statement without it))`,
/// or `Some(None)` when it was the only one. `None` when the list does not
/// name it. The list is found by position (after the first top-level
/// `GRANT `/`REVOKE ` and an optional `GRANT OPTION FOR `, up to ` ON `),
/// never inside a quoted name; lists with column privileges are left
/// alone (`privilege` is never a column privilege).
pub fn without_privilege(stmt: &str, privilege: &str) -> Option<Option<String>> {
    let b = stmt.as_bytes();
    let (mut i, mut quoted) = (0usize, false);
    let mut list_start = None;
    while i < b.len() {
        if b[i] == b'"' {
            quoted = !quoted;
        } else if !quoted && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\n') {
            for kw in ["GRANT OPTION FOR ", "GRANT ", "REVOKE "] {
                if stmt[i..].starts_with(kw) {
                    let mut at = i + kw.len();
                    if kw == "REVOKE " && stmt[at..].starts_with("GRANT OPTION FOR ") {
                        at += "GRANT OPTION FOR ".len();
                    }
                    list_start = Some(at);
                    break;
                }
            }
            if list_start.is_some() {
                break;
            }
        }
        i += 1;
    }
    let start = list_start?;
    let len = stmt[start..].find(" ON ")?;
    let list = &stmt[start..start + len];
    if list.contains('(') || list.contains('"') {
        return None;
    }
    let privs: Vec<&str> = list.split(',').map(str::trim).collect();
    if !privs.contains(&privilege) {
        return None;
    }
    let kept: Vec<&str> = privs.into_iter().filter(|p| *p != privilege).collect();
    if kept.is_empty() {
        return Some(None);
    }
    Some(Some(format!("{}{}{}", &stmt[..start], kept.join(","), &stmt[start + len..])))
}

/// A `CREATE TYPE … AS RANGE (…)` statement without its last option
/// `multirange_type_name = name` (as `ddl` renders it, on a line of its
/// own), and that name.
pub fn without_multirange(stmt: &str) -> Option<(String, String)> {
    const OPTION: &str = ",\n    multirange_type_name = ";
    if !stmt.trim_start().starts_with("CREATE TYPE ") {
        return None;
    }
    let head_end = stmt.find(" AS RANGE (\n")?;
    let at = stmt[head_end..].find(OPTION)? + head_end;
    let rest = &stmt[at + OPTION.len()..];
    let end = rest.find("\n);")?;
    let name = &rest[..end];
    if name.contains('\n') {
        return None;
    }
    Some((format!("{}{}", &stmt[..at], &rest[end..]), name.to_string()))
}

/// A partitioned table's `CREATE TABLE` without the `USING method` line
/// (17+), as `ddl` renders it right after `PARTITION BY`, and the method.
pub fn without_partitioned_access_method(stmt: &str) -> Option<(String, String)> {
    if !stmt.trim_start().starts_with("CREATE ") {
        return None;
    }
    let part = stmt.rfind("\nPARTITION BY ")?;
    let using = stmt[part + 1..].find("\nUSING ")? + part + 1;
    let end = stmt[using + 1..].find(['\n', ';']).map(|e| e + using + 1)?;
    let method = stmt[using + "\nUSING ".len()..end].to_string();
    Some((format!("{}{}", &stmt[..using], &stmt[end..]), method))
}

/// A `CREATE EXTENSION … VERSION 'v';` statement without its version, and
/// the version as written.
pub fn without_extension_version(stmt: &str) -> Option<(String, String)> {
    let s = stmt.trim_end();
    if !stmt.trim_start().starts_with("CREATE EXTENSION ") || !s.ends_with("';") {
        return None;
    }
    let at = s.rfind(" VERSION '")?;
    let version = &s[at + " VERSION ".len()..s.len() - 1];
    Some((format!("{};\n", &s[..at]), version.to_string()))
}

/// `ALTER TABLE … ALTER COLUMN … SET COMPRESSION method;`
fn is_set_compression(stmt: &str, method: &str) -> bool {
    let s = stmt.trim();
    s.starts_with("ALTER TABLE ") && s.contains(" ALTER COLUMN ") && s.ends_with(&format!(" SET COMPRESSION {method};"))
}

/// `stmt` (an owner or privilege statement) with the unquoted role name
/// `from` replaced by `to` where it stands as a role: right after `TO`,
/// `FROM`, `BY` (GRANTED BY) or `ROLE` (FOR ROLE), and followed by the
/// end of the statement, a space or a comma. Object names (qualified,
/// quoted, in column lists) are never in such a position.
pub fn replace_role(stmt: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(stmt.len());
    let mut rest = stmt;
    'scan: while !rest.is_empty() {
        for kw in ["TO ", "FROM ", "BY ", "ROLE "] {
            if let Some(after_kw) = rest.strip_prefix(kw) {
                let at_word_start = out.is_empty() || out.ends_with(' ') || out.ends_with('\n');
                if at_word_start {
                    if let Some(after) = after_kw.strip_prefix(from) {
                        if after.is_empty() || after.starts_with([';', ' ', ',', '\n']) {
                            out.push_str(kw);
                            out.push_str(to);
                            rest = after;
                            continue 'scan;
                        }
                    }
                }
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(source: u32, target: u32) -> Downgrade {
        Downgrade::new(source, target, "Owner \"x\"".into()).expect("a downgrade")
    }

    #[test]
    fn only_older_targets_are_downgrades() {
        assert!(Downgrade::new(150018, 130023, "o".into()).is_some());
        assert!(Downgrade::new(150018, 150002, "o".into()).is_none());
        assert!(Downgrade::new(150018, 170010, "o".into()).is_none());
        assert!(Downgrade::new(0, 130023, "o".into()).is_none());
    }

    #[test]
    fn database_owner_role_maps_only_where_it_is_a_role() {
        let dg = d(150018, 130023);
        let sql = "ALTER SCHEMA public OWNER TO pg_database_owner;\n\
                   GRANT USAGE ON SCHEMA public TO pg_database_owner;\n\
                   REVOKE ALL ON TABLE s.pg_database_owner FROM pg_database_owner;\n\
                   GRANT SELECT(pg_database_owner) ON TABLE s.t TO r GRANTED BY pg_database_owner;\n\
                   COMMENT ON SCHEMA s IS 'TO pg_database_owner';\n\
                   GRANT USAGE ON SCHEMA s TO pg_database_owners;\n";
        let (got, notes) = dg.map_sql(sql, false);
        assert!(notes.is_empty());
        assert_eq!(
            got,
            "ALTER SCHEMA public OWNER TO \"Owner \"\"x\"\"\";\n\
             GRANT USAGE ON SCHEMA public TO \"Owner \"\"x\"\"\";\n\
             REVOKE ALL ON TABLE s.pg_database_owner FROM \"Owner \"\"x\"\"\";\n\
             GRANT SELECT(pg_database_owner) ON TABLE s.t TO r GRANTED BY \"Owner \"\"x\"\"\";\n\
             COMMENT ON SCHEMA s IS 'TO pg_database_owner';\n\
             GRANT USAGE ON SCHEMA s TO pg_database_owners;\n"
        );
        // 14 has the role: nothing changes.
        assert_eq!(d(150018, 140023).map_sql(sql, false).0, sql);
    }

    #[test]
    fn public_schema_and_compression() {
        let sql = "ALTER TABLE ONLY s.t ALTER COLUMN c SET COMPRESSION pglz;\nALTER TABLE ONLY s.t ALTER COLUMN d SET COMPRESSION lz4;\n";
        assert_eq!(d(150018, 130023).map_sql(sql, false).0, "ALTER TABLE ONLY s.t ALTER COLUMN d SET COMPRESSION lz4;\n");
        assert_eq!(d(170010, 150018).map_sql(sql, false).0, sql);
        let public = "ALTER SCHEMA public OWNER TO pg_database_owner;\n";
        assert_eq!(
            d(150018, 140023).map_sql(public, true).0,
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;\nALTER SCHEMA public OWNER TO pg_database_owner;\n"
        );
        assert_eq!(d(170010, 150018).map_sql(public, true).0, public);
    }

    #[test]
    fn maintain_leaves_the_privilege_list_only() {
        let sql = "GRANT SELECT,INSERT,MAINTAIN ON TABLE s.t TO r WITH GRANT OPTION;\n\
                   GRANT MAINTAIN ON TABLE s.t TO r;\n\
                   ALTER DEFAULT PRIVILEGES FOR ROLE \"GRANT MAINTAIN ON\" IN SCHEMA s REVOKE GRANT OPTION FOR MAINTAIN,SELECT ON TABLES FROM r;\n\
                   GRANT SELECT(\"MAINTAIN\") ON TABLE s.t TO r;\n\
                   COMMENT ON TABLE s.t IS 'GRANT MAINTAIN ON x';\n";
        let (got, notes) = d(170010, 150018).map_sql(sql, false);
        assert_eq!(
            got,
            "GRANT SELECT,INSERT ON TABLE s.t TO r WITH GRANT OPTION;\n\
             ALTER DEFAULT PRIVILEGES FOR ROLE \"GRANT MAINTAIN ON\" IN SCHEMA s REVOKE GRANT OPTION FOR SELECT ON TABLES FROM r;\n\
             GRANT SELECT(\"MAINTAIN\") ON TABLE s.t TO r;\n\
             COMMENT ON TABLE s.t IS 'GRANT MAINTAIN ON x';\n"
        );
        assert_eq!(notes.len(), 3, "{notes:#?}");
        assert!(notes[1].contains("GRANT MAINTAIN ON TABLE s.t TO r;"));
        let (same, none) = d(180004, 170010).map_sql(sql, false);
        assert_eq!((same.as_str(), none.len()), (sql, 0));
    }

    #[test]
    fn multiranges_and_extension_versions() {
        let sql = "CREATE TYPE s.r AS RANGE (\n    subtype = integer,\n    multirange_type_name = s.\"R s\"\n);\nCOMMENT ON TYPE s.\"R s\" IS 'm';\nALTER TYPE s.r OWNER TO o;\n";
        let (got, notes) = d(150018, 130023).map_sql(sql, false);
        assert_eq!(got, "CREATE TYPE s.r AS RANGE (\n    subtype = integer\n);\nALTER TYPE s.r OWNER TO o;\n");
        assert!(notes[0].contains("s.\"R s\""), "{notes:?}");
        assert_eq!(d(150018, 140023).map_sql(sql, false).0, sql);
        assert_eq!(
            without_extension_version("CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA ext VERSION '1.8';\n"),
            Some(("CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA ext;\n".into(), "'1.8'".into()))
        );
        assert_eq!(without_extension_version("COMMENT ON EXTENSION x IS 'VERSION ''1''';\n"), None);
    }

    #[test]
    fn partitioned_tables_lose_only_their_access_method() {
        let sql = "CREATE TABLE s.p (\n    k integer NOT NULL\n)\nPARTITION BY LIST (k)\nUSING heap\nWITH (x = 1);\nALTER TABLE s.p OWNER TO r;\n";
        let (out, notes) = d(170010, 150018).map_sql(sql, false);
        assert_eq!(out, "CREATE TABLE s.p (\n    k integer NOT NULL\n)\nPARTITION BY LIST (k)\nWITH (x = 1);\nALTER TABLE s.p OWNER TO r;\n");
        assert!(notes[0].contains("access method heap"), "{notes:?}");
        let plain = "CREATE TABLE s.t (\n    k integer\n)\nUSING heap2;\n";
        assert_eq!(d(170010, 150018).map_sql(plain, false).0, plain);
    }

    #[test]
    fn summaries_name_the_statement() {
        assert_eq!(summary("GRANT MAINTAIN ON TABLE s.t TO r;\n"), "GRANT MAINTAIN ON TABLE s.t TO r;");
        assert_eq!(summary("CREATE VIEW s.v AS\n SELECT 1;\n"), "CREATE VIEW s.v AS …");
    }
}
