//! Quoting (`src/ddl/quote.rs`) and name patterns (`src/catalog/pattern.rs`)
//! judged by a real server: our `quote_ident` is the server's, any name
//! survives `CREATE TABLE` and reads back unchanged, any string survives a
//! literal, and a pattern selects exactly what psql's rules say.
//!
//! Every property batches many values into one query, so the whole file
//! runs in seconds.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use pgkeep::catalog::pattern::{self, NamePattern, PatternError, PatternKind};
use pgkeep::sql::quote::{
    keyword_category, quote_ident, quote_ident_list, quote_literal, quote_literal_std,
    quote_qualified, KeywordCategory, KEYWORDS,
};
use pgkeep_testing::pgcluster::{self, Cluster};

/// PostgreSQL truncates names to NAMEDATALEN - 1 bytes.
const MAX_NAME_BYTES: usize = 63;

/// One test's database and a connection to it, driven from synchronous
/// proptest closures.
struct Db {
    rt: tokio::runtime::Runtime,
    client: Client,
    name: String,
    cluster: &'static Cluster,
}

impl Db {
    fn new(prefix: &str) -> Db {
        let cluster = pgcluster::shared().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (name, client) = rt.block_on(async {
            let name = cluster
                .fresh_database(prefix)
                .await
                .expect("fresh database");
            let client = cluster.connect(&name).await.expect("connect");
            (name, client)
        });
        Db {
            rt,
            client,
            name,
            cluster,
        }
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Vec<Row> {
        self.rt
            .block_on(self.client.query(sql, params))
            .unwrap_or_else(|e| panic!("{}\n-- in --\n{sql}", server_message(&e)))
    }

    fn execute(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{}\n-- in --\n{sql}", server_message(&e)))
    }

    /// The first column of every row, as text.
    fn column(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Vec<String> {
        self.query(sql, params).iter().map(|r| r.get(0)).collect()
    }

    /// The server's keywords and their `catcode` (U, C, T, R).
    fn server_keywords(&self) -> HashMap<String, char> {
        self.query(
            "SELECT word, catcode::text FROM pg_catalog.pg_get_keywords()",
            &[],
        )
        .iter()
        .map(|r| {
            let code: String = r.get(1);
            (r.get(0), code.chars().next().expect("catcode"))
        })
        .collect()
    }
}

fn server_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn run<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

fn truncate_bytes(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Names of every shape that matters to quoting: keywords (as written and
/// in other cases), plain identifiers, leading digits, upper case, quotes,
/// dots, spaces, glob and regex characters, control characters and any
/// printable Unicode. No NUL; at most 63 bytes; possibly empty.
fn any_name() -> impl Strategy<Value = String> {
    let keyword = (prop::sample::select(KEYWORDS), 0..5u8).prop_map(|((word, _), how)| match how {
        0 | 1 => word.to_string(),
        2 => word.to_uppercase(),
        3 => format!("{word}_"),
        _ => format!("{}{}", word[..1].to_uppercase(), &word[1..]),
    });
    prop_oneof![
        3 => keyword,
        2 => "[a-z_][a-z0-9_]{0,15}",
        1 => "[0-9][a-z0-9_]{0,8}",
        2 => "[A-Za-z_$][A-Za-z0-9_$]{0,15}",
        2 => "[a-zA-Z0-9 .\"'*?$|()\\[\\]{}^\\\\+-]{0,20}",
        1 => "[a-z\t\n\r\\x01\\x7f ]{1,8}",
        3 => "\\PC{0,30}",
        1 => any::<String>().prop_map(|s| s.replace('\0', "")),
        1 => Just(String::new()),
    ]
    .prop_map(|s| truncate_bytes(s, MAX_NAME_BYTES))
}

fn nonempty_name() -> impl Strategy<Value = String> {
    any_name().prop_filter("a name", |s| !s.is_empty())
}

/// Whether `ours` may differ from the server's `quote_ident`: only when the
/// server leaves `name` bare while PostgreSQL 18 reserves it (the server is
/// older and does not know the keyword yet, or has it as unreserved).
fn newer_keyword(name: &str, ours: &str, server: &str, server_kw: &HashMap<String, char>) -> bool {
    server == name
        && ours == format!("\"{name}\"")
        && keyword_category(name).is_some_and(KeywordCategory::needs_quotes)
        && server_kw.get(name).is_none_or(|&c| c == 'U')
}

fn check_against_server_quote_ident(
    db: &Db,
    names: &[String],
    server_kw: &HashMap<String, char>,
) -> TestCaseResult {
    let server = db.column(
        "SELECT quote_ident(x) FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i",
        &[&names],
    );
    prop_assert_eq!(server.len(), names.len());
    for (name, server) in names.iter().zip(&server) {
        let ours = quote_ident(name);
        prop_assert!(
            ours == server.as_str() || newer_keyword(name, &ours, server, server_kw),
            "quote_ident({:?}): ours {:?}, server {:?}",
            name,
            ours,
            server
        );
    }
    Ok(())
}

#[test]
fn quote_ident_is_the_servers() {
    let db = Db::new("quote_ident");
    let server_kw = db.server_keywords();
    run(192, prop::collection::vec(any_name(), 1..64), |names| {
        check_against_server_quote_ident(&db, &names, &server_kw)
    });
}

#[test]
fn keyword_table_agrees_with_the_server() {
    let db = Db::new("keywords");
    let server_kw = db.server_keywords();

    // Never bare where the server quotes: every keyword the server reserves
    // in any way is reserved in our table too.
    for (word, &code) in &server_kw {
        if code != 'U' {
            assert!(
                keyword_category(word).is_some_and(KeywordCategory::needs_quotes),
                "the server ({}) has {word:?} as catcode {code}, our table as {:?}",
                db.cluster.server_version(),
                keyword_category(word)
            );
        }
    }
    // Against PostgreSQL 18 itself the table is exact.
    if db.cluster.server_major() == 18 {
        let ours: HashMap<String, char> = KEYWORDS
            .iter()
            .map(|(w, c)| (w.to_string(), c.catcode()))
            .collect();
        assert_eq!(
            ours, server_kw,
            "keyword table differs from PostgreSQL 18's"
        );
    }

    // Every keyword, in several spellings, quotes as the server quotes it.
    let names: Vec<String> = KEYWORDS
        .iter()
        .flat_map(|(w, _)| {
            [
                w.to_string(),
                w.to_uppercase(),
                format!("{w}_"),
                format!("_{w}"),
            ]
        })
        .collect();
    check_against_server_quote_ident(&db, &names, &server_kw).unwrap_or_else(|e| panic!("{e}"));
}

/// The system columns every table has; a user column cannot take their names.
const SYSTEM_COLUMNS: [&str; 6] = ["tableoid", "cmax", "xmax", "cmin", "xmin", "ctid"];

#[test]
fn any_name_round_trips_through_create_table() {
    let db = Db::new("round_trip");
    let schema_name = nonempty_name().prop_map(|s| {
        // "pg_" starts the names reserved for system schemas.
        if s.starts_with("pg_") {
            truncate_bytes(format!("x{s}"), MAX_NAME_BYTES)
        } else {
            s
        }
    });
    let strategy = (
        schema_name,
        prop::collection::btree_set(nonempty_name(), 1..24),
        prop::collection::vec(nonempty_name(), 1..16),
    );
    run(64, strategy, |(schema, tables, columns)| {
        let mut seen = BTreeSet::new();
        let columns: Vec<&str> = columns
            .iter()
            .map(String::as_str)
            .filter(|c| !SYSTEM_COLUMNS.contains(c) && seen.insert(*c))
            .collect();
        let first = tables.first().expect("at least one table");

        let mut sql = format!(
            "DROP SCHEMA IF EXISTS {q} CASCADE; CREATE SCHEMA {q};\n",
            q = quote_ident(&schema)
        );
        for table in &tables {
            let column_defs: Vec<String> = if table == first {
                columns
                    .iter()
                    .map(|c| format!("{} int", quote_ident(c)))
                    .collect()
            } else {
                Vec::new()
            };
            sql.push_str(&format!(
                "CREATE TABLE {} ({});\n",
                quote_qualified(&schema, table),
                column_defs.join(", ")
            ));
        }
        db.execute(&sql);

        let read_back: BTreeSet<String> = db
            .column(
                "SELECT c.relname::text FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind = 'r'",
                &[&schema],
            )
            .into_iter()
            .collect();
        prop_assert_eq!(&read_back, &tables);

        let attnames = db.column(
            "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 \
             ORDER BY a.attnum",
            &[&schema, first],
        );
        prop_assert_eq!(&attnames, &columns);

        // A column list resolves to exactly these columns, in this order.
        let select = format!(
            "SELECT {} FROM {}",
            quote_ident_list(columns.iter().copied()),
            quote_qualified(&schema, first)
        );
        let statement = db
            .rt
            .block_on(db.client.prepare(&select))
            .unwrap_or_else(|e| panic!("{}\n-- in --\n{select}", server_message(&e)));
        let selected: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
        prop_assert_eq!(&selected, &columns);

        db.execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)));
        Ok(())
    });
}

/// Any string without NUL, with backslashes, quotes and `E` overrepresented.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[\\\\'\"Ee \n]{0,12}",
        1 => "\\PC{0,40}",
    ]
    .prop_map(|s| s.replace('\0', ""))
}

#[test]
fn literals_round_trip() {
    let db = Db::new("literals");
    run(128, prop::collection::vec(any_text(), 1..32), |strings| {
        // Our quote_literal is the server's.
        let server = db.column(
            "SELECT quote_literal(x) FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i",
            &[&strings],
        );
        let ours: Vec<String> = strings.iter().map(|s| quote_literal(s)).collect();
        prop_assert_eq!(&ours, &server);

        let array_of =
            |literals: Vec<String>| format!("SELECT ARRAY[{}]::text[]", literals.join(", "));
        let std_form = array_of(strings.iter().map(|s| quote_literal_std(s)).collect());
        let any_form = array_of(ours);

        db.execute("SET standard_conforming_strings = on");
        for sql in [&std_form, &any_form] {
            let back: Vec<String> = db.query(sql, &[])[0].get(0);
            prop_assert_eq!(&back, &strings);
        }
        db.execute("SET standard_conforming_strings = off");
        let back: Vec<String> = db.query(&any_form, &[])[0].get(0);
        prop_assert_eq!(&back, &strings);
        Ok(())
    });
}

#[test]
fn quoted_names_are_literal_patterns() {
    let db = Db::new("pattern_literal");
    run(128, prop::collection::vec(any_name(), 1..32), |names| {
        let mut regexes: Vec<String> = Vec::new();
        let mut candidates: Vec<String> = Vec::new();
        let mut expected: Vec<bool> = Vec::new();
        for name in &names {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let as_schema = pattern::parse(&quoted, PatternKind::Schema).expect("parse");
            let as_table = pattern::parse(&quoted, PatternKind::Relation).expect("parse");
            prop_assert_eq!(&as_schema.database, &None);
            prop_assert_eq!(&as_table.schema_regex, &None);
            prop_assert_eq!(&as_table.name_regex, &as_schema.name_regex);
            let regex = as_schema.name_regex;

            // Qualified by itself, every part is the same literal.
            let two = format!("{quoted}.{quoted}");
            let three = format!("{quoted}.{quoted}.{quoted}");
            let qualified = pattern::parse(&two, PatternKind::Relation).expect("parse");
            prop_assert_eq!(qualified.schema_regex.as_ref(), Some(&regex));
            prop_assert_eq!(&qualified.name_regex, &regex);
            let db_schema = pattern::parse(&two, PatternKind::Schema).expect("parse");
            prop_assert_eq!(db_schema.database.as_ref(), Some(name));
            prop_assert_eq!(&db_schema.name_regex, &regex);
            let full = pattern::parse(&three, PatternKind::Relation).expect("parse");
            prop_assert_eq!(full.database.as_ref(), Some(name));
            prop_assert!(full.check_database(name).is_ok());

            let mut push = |candidate: String, matches: bool| {
                regexes.push(regex.clone());
                candidates.push(candidate);
                expected.push(matches);
            };
            push(name.clone(), true);
            let mut misses = vec![
                format!("{name}x"),
                format!("x{name}"),
                format!("{name}\n"),
                format!("{name}{name}"),
                name.chars()
                    .map(|c| {
                        if c.is_ascii_uppercase() {
                            c.to_ascii_lowercase()
                        } else {
                            c.to_ascii_uppercase()
                        }
                    })
                    .collect(),
                // Every character a glob or regex would treat specially, made ordinary.
                name.chars()
                    .map(|c| {
                        if "*?.|+()[]{}^$\\\"".contains(c) {
                            'x'
                        } else {
                            c
                        }
                    })
                    .collect(),
            ];
            let mut chars: Vec<char> = name.chars().collect();
            if let Some(last) = chars.pop() {
                misses.push(chars.iter().collect());
                chars.push(last);
                chars[0] = if chars[0] == 'a' { 'b' } else { 'a' };
                misses.push(chars.iter().collect());
            }
            for miss in misses {
                if &miss != name {
                    push(miss, false);
                }
            }
        }
        let matched: Vec<bool> = db
            .query(
                "SELECT x ~ p FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(p, x, i) \
                 ORDER BY i",
                &[&regexes, &candidates],
            )
            .iter()
            .map(|r| r.get(0))
            .collect();
        for i in 0..regexes.len() {
            prop_assert_eq!(
                matched[i],
                expected[i],
                "regex {:?} against {:?}",
                &regexes[i],
                &candidates[i]
            );
        }
        Ok(())
    });
}

/// What a pattern selected: (schema, table) pairs, or (schema, "").
type Selected = BTreeSet<(String, String)>;

/// What a parsed pattern selects in the test database, as the catalog
/// module would query it.
fn select(db: &Db, p: &NamePattern) -> Selected {
    p.check_database(&db.name).expect("database part");
    let rows = match p.kind {
        PatternKind::Schema => db.query(
            "SELECT n.nspname::text, '' FROM pg_catalog.pg_namespace n \
             WHERE n.nspname OPERATOR(pg_catalog.~) $1 COLLATE pg_catalog.default \
               AND n.nspname !~ '^(pg_|information_schema$)'",
            &[&p.name_regex],
        ),
        PatternKind::Relation => db.query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' \
               AND c.relname OPERATOR(pg_catalog.~) $1 COLLATE pg_catalog.default \
               AND ($2::text IS NULL \
                    OR n.nspname OPERATOR(pg_catalog.~) $2 COLLATE pg_catalog.default) \
               AND n.nspname !~ '^(pg_|information_schema$)'",
            &[&p.name_regex, &p.schema_regex],
        ),
    };
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[test]
fn glob_patterns_select_what_psql_would() {
    let db = Db::new("pattern_glob");
    db.execute(
        r#"
        CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_;
        CREATE SCHEMA tenantx; CREATE SCHEMA "Tenant_C"; CREATE SCHEMA a;
        CREATE SCHEMA "a.b"; CREATE SCHEMA axb;
        CREATE TABLE tenant_a.test (); CREATE TABLE tenant_a.tast ();
        CREATE TABLE tenant_a.tst (); CREATE TABLE tenant_a.teest ();
        CREATE TABLE tenant_a.foo (); CREATE TABLE tenant_a."Foo" ();
        CREATE TABLE tenant_b.orders (); CREATE TABLE public.orders ();
        CREATE TABLE "Tenant_C".orders ();
        CREATE TABLE a.b (); CREATE TABLE a.bb (); CREATE TABLE a."t$1" ();
        CREATE TABLE a."x*" (); CREATE TABLE a.xx ();
        CREATE TABLE "a.b".c (); CREATE TABLE axb.c ();
        "#,
    );
    let db_name = db.name.clone();
    let t = |s: &str, n: &str| (s.to_string(), n.to_string());
    let sch = |s: &str| (s.to_string(), String::new());
    let all_tables: Selected = [
        t("tenant_a", "test"),
        t("tenant_a", "tast"),
        t("tenant_a", "tst"),
        t("tenant_a", "teest"),
        t("tenant_a", "foo"),
        t("tenant_a", "Foo"),
        t("tenant_b", "orders"),
        t("public", "orders"),
        t("Tenant_C", "orders"),
        t("a", "b"),
        t("a", "bb"),
        t("a", "t$1"),
        t("a", "x*"),
        t("a", "xx"),
        t("a.b", "c"),
        t("axb", "c"),
    ]
    .into();

    use PatternKind::{Relation, Schema};
    let db_qualified = format!("{db_name}.public.orders");
    let cases: Vec<(&str, PatternKind, Selected)> = vec![
        (
            "tenant_*",
            Schema,
            [sch("tenant_a"), sch("tenant_b"), sch("tenant_")].into(),
        ),
        (
            "Tenant_*",
            Schema,
            [sch("tenant_a"), sch("tenant_b"), sch("tenant_")].into(),
        ),
        ("\"Tenant_\"*", Schema, [sch("Tenant_C")].into()),
        (
            "tenant_?",
            Schema,
            [sch("tenant_a"), sch("tenant_b")].into(),
        ),
        ("\"a.b\"", Schema, [sch("a.b")].into()),
        ("a?b", Schema, [sch("a.b"), sch("axb")].into()),
        (
            "t?st",
            Relation,
            [t("tenant_a", "test"), t("tenant_a", "tast")].into(),
        ),
        (
            "tenant_a.t[ae]st",
            Relation,
            [t("tenant_a", "test"), t("tenant_a", "tast")].into(),
        ),
        (
            "tenant_a.foo|tst",
            Relation,
            [t("tenant_a", "foo"), t("tenant_a", "tst")].into(),
        ),
        ("Foo", Relation, [t("tenant_a", "foo")].into()),
        ("\"Foo\"", Relation, [t("tenant_a", "Foo")].into()),
        ("TENANT_A.\"Foo\"", Relation, [t("tenant_a", "Foo")].into()),
        ("a.b", Relation, [t("a", "b")].into()),
        ("a.b*", Relation, [t("a", "b"), t("a", "bb")].into()),
        ("\"a.b\".c", Relation, [t("a.b", "c")].into()),
        ("a?b.c", Relation, [t("a.b", "c"), t("axb", "c")].into()),
        ("a.T$1", Relation, [t("a", "t$1")].into()),
        ("a.\"x*\"", Relation, [t("a", "x*")].into()),
        ("a.x*", Relation, [t("a", "x*"), t("a", "xx")].into()),
        // No schema part: every schema (our documented choice).
        (
            "orders",
            Relation,
            [
                t("tenant_b", "orders"),
                t("public", "orders"),
                t("Tenant_C", "orders"),
            ]
            .into(),
        ),
        ("public.orders", Relation, [t("public", "orders")].into()),
        (&db_qualified, Relation, [t("public", "orders")].into()),
        ("*.*", Relation, all_tables.clone()),
        ("*", Relation, all_tables),
    ];
    for (text, kind, want) in cases {
        let p = pattern::parse(text, kind).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            select(&db, &p),
            want,
            "{kind} pattern {text:?} parsed as {p:?}"
        );
    }
}

#[test]
fn bad_patterns_are_refused_with_the_pattern_named() {
    use PatternKind::{Relation, Schema};
    for (text, kind) in [("a.b.c", Schema), ("a.b.c.d", Relation), ("....", Relation)] {
        let e = pattern::parse(text, kind).unwrap_err();
        assert!(
            matches!(e, PatternError::TooManyDots { .. }),
            "{text}: {e:?}"
        );
        assert!(e.to_string().contains(&format!("`{text}`")), "{e}");
    }
    let e = pattern::parse("\"Foo", Relation).unwrap_err();
    assert!(matches!(e, PatternError::UnterminatedQuote { .. }), "{e:?}");
    assert!(e.to_string().contains("`\"Foo`"), "{e}");
    let p = pattern::parse("otherdb.public.orders", Relation).expect("parses");
    let e = p.check_database("app").unwrap_err();
    assert!(matches!(e, PatternError::CrossDatabase { .. }));
    assert!(e.to_string().contains("`otherdb.public.orders`"), "{e}");
    let p = pattern::parse("otherdb.tenant_*", Schema).expect("parses");
    assert!(p.check_database("app").is_err());
    assert!(p.check_database("otherdb").is_ok());
}

/// What the module documentation promises about NUL: a quoted name holding
/// one never reaches the server.
#[test]
fn nul_in_a_name_never_reaches_the_server() {
    let db = Db::new("nul");
    let sql = format!("CREATE TABLE {} ()", quote_ident("a\0b"));
    let refused = db.rt.block_on(db.client.batch_execute(&sql));
    assert!(refused.is_err(), "a NUL in query text must be refused");
    let tables = db.column(
        "SELECT relname::text FROM pg_catalog.pg_class \
         WHERE relnamespace = 'public'::regnamespace",
        &[],
    );
    assert!(tables.is_empty(), "{tables:?}");
}
