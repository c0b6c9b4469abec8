//! The typed model of a database's schema as the catalog holds it.
//!
//! Fields keep the server's own text where the server renders a fragment
//! for us (`format_type`, `pg_get_expr`, `pg_get_indexdef`, ...). Those
//! fragments were produced under the reader's `search_path`, so names in
//! them are qualified exactly when the object is outside the schema a
//! relative dump is made of (see `Catalog::relative_schema`).
//!
//! Nothing here renders statements; `ddl` does.

use std::collections::BTreeMap;

/// A catalog row's identity: the catalog it lives in (`pg_class`,
/// `pg_type`, ...) and its oid there. Used for dependencies only; oids
/// never reach the rendered output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub classid: u32,
    pub objid: u32,
}

/// What every dumpable object has.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub oid: u32,
    /// None for objects that live outside schemas.
    pub schema: Option<String>,
    pub name: String,
    pub owner: Option<String>,
    /// `aclitem[]` as text; None means the built-in default privileges.
    pub acl: Option<Vec<String>>,
    /// What the object starts with when created (`acldefault`, or
    /// `pg_init_privs` for the `public` schema): GRANT/REVOKE are the
    /// difference between the two.
    pub acl_base: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub meta: Meta,
}

#[derive(Clone, Debug, Default)]
pub struct Extension {
    pub meta: Meta,
    /// The schema its objects were installed in.
    pub in_schema: String,
    pub version: String,
}

#[derive(Clone, Debug, Default)]
pub struct Collation {
    pub meta: Meta,
    /// 'c' libc, 'i' icu, 'b' builtin, 'd' default.
    pub provider: String,
    pub deterministic: bool,
    pub collate: Option<String>,
    pub ctype: Option<String>,
    pub locale: Option<String>,
    pub icu_rules: Option<String>,
    /// `collencoding = -1`: usable with any database encoding. Only a
    /// copy of a built-in collation (`FROM "C"`) gets that for libc.
    pub any_encoding: bool,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    Enum {
        labels: Vec<String>,
    },
    Composite {
        attributes: Vec<Attribute>,
        /// The pg_class row behind the composite type.
        relid: u32,
    },
    Domain {
        base: String,
        collation: Option<String>,
        default: Option<String>,
        not_null: bool,
        constraints: Vec<DomainConstraint>,
    },
    /// A type with its own input/output functions.
    Base(BaseType),
    /// A shell (`CREATE TYPE name;`) nothing has defined yet.
    Shell,
    Range {
        subtype: String,
        subtype_opclass: Option<String>,
        collation: Option<String>,
        canonical: Option<String>,
        subtype_diff: Option<String>,
        multirange_name: Option<String>,
        multirange_comment: Option<String>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct BaseType {
    pub input: String,
    pub output: String,
    pub receive: Option<String>,
    pub send: Option<String>,
    pub typmod_in: Option<String>,
    pub typmod_out: Option<String>,
    pub analyze: Option<String>,
    pub subscript: Option<String>,
    /// -1 variable, -2 C string, else bytes.
    pub length: i16,
    pub by_value: bool,
    pub alignment: char,
    pub storage: char,
    pub category: char,
    pub preferred: bool,
    pub default: Option<String>,
    pub element: Option<String>,
    pub delimiter: char,
    pub collatable: bool,
    /// Oids of the functions above: only they may use the shell type.
    pub io_functions: Vec<u32>,
}

/// A composite type's attribute.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub type_name: String,
    pub collation: Option<String>,
    pub comment: Option<String>,
}

/// Privileges on an extension's object that differ from what the
/// extension's script set up (`pg_init_privs`).
#[derive(Clone, Debug)]
pub struct ExtensionMemberAcl {
    pub extension: u32,
    /// `FUNCTION ext.f(integer)`, `TABLE ext.t`, ...
    pub on: String,
    pub column: Option<String>,
    pub acl: Vec<String>,
    pub initial: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct DomainConstraint {
    pub oid: u32,
    /// 'c' CHECK, 'n' NOT NULL (17+, where a domain's NOT NULL is a
    /// named constraint of its own).
    pub kind: char,
    pub name: String,
    /// `CHECK (VALUE > 0)` (with ` NOT VALID` when not validated).
    pub definition: String,
    pub validated: bool,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TypeDef {
    pub meta: Meta,
    pub kind: TypeKind,
}

#[derive(Clone, Debug, Default)]
pub struct SequenceOptions {
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Sequence {
    pub meta: Meta,
    pub options: SequenceOptions,
    pub unlogged: bool,
    /// `(table oid, column name)` of `OWNED BY`.
    pub owned_by: Option<(u32, String)>,
    /// The value `nextval` returned last, None when never called.
    pub last_value: Option<i64>,
    /// `setval(..., v, false)` state (18+ only: older servers do not expose
    /// it without reading the sequence).
    pub uncalled_value: Option<i64>,
    /// Set when the sequence backs an identity column (rendered with it).
    pub identity_of: Option<(u32, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelKind {
    Table,
    PartitionedTable,
    ForeignTable,
    View,
    MaterializedView,
}

#[derive(Clone, Debug, Default)]
pub struct Column {
    pub num: i16,
    pub name: String,
    pub type_name: String,
    pub type_oid: u32,
    pub not_null: bool,
    pub default: Option<String>,
    /// Oid of the `pg_attrdef` row, for dependencies.
    pub default_oid: Option<u32>,
    /// 'a' always, 'd' by default.
    pub identity: Option<char>,
    /// 's' stored, 'v' virtual (18+): the expression is in `default`.
    pub generated: Option<char>,
    pub collation: Option<String>,
    /// Storage when it differs from the type's: 'p', 'e', 'm', 'x'.
    pub storage: Option<char>,
    pub compression: Option<char>,
    pub statistics: Option<i32>,
    pub options: Vec<String>,
    pub fdw_options: Vec<String>,
    pub is_local: bool,
    pub inherited: bool,
    pub acl: Option<Vec<String>>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Relation {
    pub meta: Meta,
    pub kind: RelKind,
    pub unlogged: bool,
    pub columns: Vec<Column>,
    pub reloptions: Vec<String>,
    pub toast_options: Vec<String>,
    /// Table access method when not `heap`.
    pub access_method: Option<String>,
    pub tablespace: Option<String>,
    /// Parents in `inhseqno` order (oids of relations).
    pub parents: Vec<u32>,
    /// `FOR VALUES ...` when this is a partition.
    pub partition_bound: Option<String>,
    /// `RANGE (a)` for a partitioned table.
    pub partition_key: Option<String>,
    /// Replica identity: 'd' default, 'n' nothing, 'f' full, 'i' index.
    pub replica_identity: char,
    pub row_security: bool,
    pub force_row_security: bool,
    /// Typed table: the composite type's formatted name.
    pub of_type: Option<String>,
    /// View / materialized view definition.
    pub view_definition: Option<String>,
    pub populated: bool,
    /// Foreign tables: server name and options.
    pub foreign_server: Option<String>,
    pub foreign_options: Vec<String>,
    /// The oid of the table's row type, for dependencies.
    pub row_type: u32,
    /// Oid of the view's `_RETURN` rule.
    pub view_rule: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Constraint {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    /// 'c' check, 'f' foreign key, 'p' primary key, 'u' unique, 'x' exclusion,
    /// 'n' not null (18+); constraint triggers are triggers.
    pub kind: char,
    pub definition: String,
    pub validated: bool,
    pub is_local: bool,
    /// Set on a partition's copy of its parent's constraint.
    pub parent: Option<u32>,
    /// The index that enforces it (p, u, x).
    pub index: Option<u32>,
    pub comment: Option<String>,
    /// The column of a NOT NULL constraint ('n', 18+).
    pub column: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Index {
    pub meta: Meta,
    pub table: u32,
    /// `CREATE INDEX ...` as `pg_get_indexdef` renders it.
    pub definition: String,
    pub clustered: bool,
    pub replica_identity: bool,
    /// Parent partitioned index, when attached.
    pub parent: Option<u32>,
    /// Per-column statistics targets on expression columns: (colno, target).
    pub statistics: Vec<(i16, i32)>,
    pub tablespace: Option<String>,
    /// The constraint this index enforces (rendered by the constraint).
    pub constraint: Option<u32>,
    pub reloptions: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub meta: Meta,
    /// 'f' function, 'p' procedure, 'w' window function.
    pub kind: char,
    pub arguments: String,
    pub identity_arguments: String,
    pub result: Option<String>,
    pub language: String,
    pub volatility: char,
    pub strict: bool,
    pub security_definer: bool,
    pub leakproof: bool,
    pub parallel: char,
    pub cost: f32,
    pub rows: f32,
    /// Default cost for the language (1 for C/internal, else 100).
    pub default_cost: f32,
    pub returns_set: bool,
    pub support: Option<String>,
    pub config: Vec<String>,
    /// `AS $$...$$`: prosrc, and probin for C functions.
    pub source: Option<String>,
    pub bin: Option<String>,
    /// SQL-standard body (14+), `pg_get_function_sqlbody`.
    pub sql_body: Option<String>,
    pub transforms: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Aggregate {
    pub meta: Meta,
    pub arguments: String,
    pub identity_arguments: String,
    /// 'n' normal, 'o' ordered-set, 'h' hypothetical-set.
    pub kind: char,
    pub sfunc: String,
    pub stype: String,
    pub sspace: i32,
    pub finalfunc: Option<String>,
    pub finalextra: bool,
    pub finalmodify: char,
    pub combinefunc: Option<String>,
    pub serialfunc: Option<String>,
    pub deserialfunc: Option<String>,
    pub initcond: Option<String>,
    pub msfunc: Option<String>,
    pub minvfunc: Option<String>,
    pub mstype: Option<String>,
    pub msspace: i32,
    pub mfinalfunc: Option<String>,
    pub mfinalextra: bool,
    pub mfinalmodify: char,
    pub minitcond: Option<String>,
    pub sortop: Option<String>,
    pub parallel: char,
    pub strict: bool,
}

#[derive(Clone, Debug)]
pub struct Operator {
    pub meta: Meta,
    pub left: Option<String>,
    pub right: Option<String>,
    pub function: String,
    pub commutator: Option<String>,
    pub negator: Option<String>,
    pub restrict: Option<String>,
    pub join: Option<String>,
    pub hashes: bool,
    pub merges: bool,
}

#[derive(Clone, Debug)]
pub struct OpFamily {
    pub meta: Meta,
    pub method: String,
    /// Members not bound to an operator class: `OPERATOR n op(types)` /
    /// `FUNCTION n (types) func(args)`.
    pub loose_members: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct OpClass {
    pub meta: Meta,
    pub method: String,
    pub default: bool,
    pub input_type: String,
    pub family: String,
    /// Family oid when it is not the implicit one of the same name.
    pub family_oid: u32,
    pub storage: Option<String>,
    pub members: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct AccessMethod {
    pub oid: u32,
    pub name: String,
    /// 't' table, 'i' index.
    pub kind: char,
    pub handler: String,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Transform {
    pub oid: u32,
    pub type_name: String,
    pub language: String,
    pub from_sql: Option<String>,
    pub to_sql: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Cast {
    pub oid: u32,
    pub source: String,
    pub target: String,
    pub function: Option<String>,
    /// 'f' function, 'i' inout, 'b' binary.
    pub method: char,
    /// 'e' explicit, 'a' assignment, 'i' implicit.
    pub context: char,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Conversion {
    pub meta: Meta,
    pub source_encoding: String,
    pub target_encoding: String,
    pub function: String,
    pub default: bool,
}

#[derive(Clone, Debug)]
pub enum TextSearch {
    Parser {
        start: String,
        gettoken: String,
        end: String,
        lextypes: String,
        headline: Option<String>,
    },
    Template {
        init: Option<String>,
        lexize: String,
    },
    Dictionary {
        template: String,
        options: Option<String>,
    },
    Configuration {
        parser: String,
        /// (token type alias, dictionaries in order)
        mappings: Vec<(String, Vec<String>)>,
    },
}

#[derive(Clone, Debug)]
pub struct TextSearchObject {
    pub meta: Meta,
    pub kind: TextSearch,
}

#[derive(Clone, Debug)]
pub struct Trigger {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    pub definition: String,
    /// 'O' origin (default), 'D' disabled, 'R' replica, 'A' always.
    pub enabled: char,
    pub constraint: Option<u32>,
    pub comment: Option<String>,
    /// Set on a partition's copy of its parent's trigger whose enabled
    /// state differs: only that state is dumped.
    pub parent: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct EventTrigger {
    pub meta: Meta,
    pub event: String,
    pub function: String,
    pub tags: Vec<String>,
    pub enabled: char,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    pub definition: String,
    pub enabled: char,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    /// '*' all, 'r' select, 'a' insert, 'w' update, 'd' delete.
    pub command: char,
    pub permissive: bool,
    /// Role names; empty means PUBLIC.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Statistics {
    pub meta: Meta,
    pub table: u32,
    /// `CREATE STATISTICS ...` from `pg_get_statisticsobjdef`, with the
    /// statistics object's own name rendered by us (see the reader).
    pub definition_tail: String,
    pub target: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct ForeignDataWrapper {
    pub meta: Meta,
    pub handler: Option<String>,
    pub validator: Option<String>,
    pub options: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct ForeignServer {
    pub meta: Meta,
    pub wrapper: String,
    pub server_type: Option<String>,
    pub version: Option<String>,
    pub options: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct UserMapping {
    pub oid: u32,
    /// None for PUBLIC.
    pub role: Option<String>,
    pub server: String,
    /// Options without secrets (`password` is dropped and reported).
    pub options: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Publication {
    pub meta: Meta,
    pub all_tables: bool,
    pub publish: String,
    pub via_root: bool,
    /// (table oid, column list, row filter)
    pub tables: Vec<(u32, Option<String>, Option<String>)>,
    /// `TABLES IN SCHEMA` members (15+).
    pub schemas: Vec<String>,
}

/// A procedural language created with its own handler (`CREATE
/// LANGUAGE ... HANDLER`); languages an extension created are the
/// extension's.
#[derive(Clone, Debug)]
pub struct Language {
    pub meta: Meta,
    pub trusted: bool,
    /// (schema, name, oid) of the call handler, the inline handler and the
    /// validator; the server looks them up by name with fixed argument
    /// types, so the name is all the statement needs.
    pub handler: (String, String, u32),
    pub inline: Option<(String, String, u32)>,
    pub validator: Option<(String, String, u32)>,
}

/// A string that must never reach a log line, a warning or an error
/// message: `{:?}` prints a placeholder. Only the rendered script holds
/// the text (see [`Subscription::conninfo`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(s: String) -> SecretText {
        SecretText(s)
    }

    /// The text itself, for the statement that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

/// A logical replication subscription of the current database
/// (`pg_subscription`, readable only by superusers: `subconninfo`).
#[derive(Clone, Debug)]
pub struct Subscription {
    pub meta: Meta,
    /// The connection string, password included when it has one: pg_dump
    /// puts it into the script as it is, and so do we.
    pub conninfo: SecretText,
    /// None for `slot_name = NONE`.
    pub slot_name: Option<String>,
    pub publications: Vec<String>,
    /// `synchronous_commit` setting of the apply worker.
    pub synchronous_commit: String,
    /// 14+ (false before).
    pub binary: bool,
    /// 'f' off, 't' on, 'p' parallel (16+); None before 14 (no option).
    pub streaming: Option<char>,
    /// 15+: two-phase commit requested ('p' pending or 'e' enabled).
    pub two_phase: bool,
    pub disable_on_error: bool,
    /// 16+ (true before).
    pub password_required: bool,
    pub run_as_owner: bool,
    /// 16+: `any` or `none`.
    pub origin: Option<String>,
    /// 17+.
    pub failover: bool,
}

/// Privileges granted on a system column (`tableoid`, `ctid`, ...) of a
/// table in scope; the columns of [`Relation`] are the user columns.
#[derive(Clone, Debug)]
pub struct SystemColumnAcl {
    pub table: u32,
    pub column: String,
    pub acl: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct LargeObject {
    pub meta: Meta,
}

#[derive(Clone, Debug)]
pub struct DefaultAcl {
    pub oid: u32,
    pub role: String,
    pub schema: Option<String>,
    /// 'r' tables, 'S' sequences, 'f' functions, 'T' types, 'n' schemas.
    pub object_type: char,
    pub acl: Vec<String>,
    /// The built-in defaults (global entries only; per-schema entries add
    /// to nothing).
    pub base: Vec<String>,
}

/// A dependency between two catalog rows (`pg_depend`, deptype not 'p'/'e').
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dependency {
    pub from: ObjRef,
    pub to: ObjRef,
}

/// How the reader chose what to include.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ScopeKind {
    #[default]
    Database,
    Schemas,
    Tables,
}

/// Everything a schema dump needs, read in one snapshot.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub server_version_num: i32,
    pub database: String,
    pub encoding: String,
    pub scope: ScopeKind,
    /// When set, names inside this schema are rendered unqualified and the
    /// server rendered its fragments with `search_path` set to it.
    pub relative_schema: Option<String>,
    pub schemas: Vec<Schema>,
    /// Schema-level metadata for the `public` schema when the database
    /// scope keeps it (it exists in every new database).
    pub extensions: Vec<Extension>,
    pub collations: Vec<Collation>,
    pub types: Vec<TypeDef>,
    pub sequences: Vec<Sequence>,
    pub relations: Vec<Relation>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    pub functions: Vec<Function>,
    pub aggregates: Vec<Aggregate>,
    pub operators: Vec<Operator>,
    pub opfamilies: Vec<OpFamily>,
    pub opclasses: Vec<OpClass>,
    pub access_methods: Vec<AccessMethod>,
    pub transforms: Vec<Transform>,
    pub casts: Vec<Cast>,
    pub conversions: Vec<Conversion>,
    pub text_search: Vec<TextSearchObject>,
    pub triggers: Vec<Trigger>,
    pub event_triggers: Vec<EventTrigger>,
    pub rules: Vec<Rule>,
    pub policies: Vec<Policy>,
    pub statistics: Vec<Statistics>,
    pub fdws: Vec<ForeignDataWrapper>,
    pub servers: Vec<ForeignServer>,
    pub user_mappings: Vec<UserMapping>,
    pub publications: Vec<Publication>,
    /// Procedural languages with their own handler (whole database only).
    pub languages: Vec<Language>,
    /// Subscriptions of this database (whole database only, superuser).
    pub subscriptions: Vec<Subscription>,
    /// Grants on system columns of the relations in scope.
    pub system_column_acls: Vec<SystemColumnAcl>,
    pub large_objects: Vec<LargeObject>,
    pub default_acls: Vec<DefaultAcl>,
    pub extension_acls: Vec<ExtensionMemberAcl>,
    pub dependencies: Vec<Dependency>,
    /// Rows that stand for another dumpable object (a table's row type, a
    /// type's array type, a view's `_RETURN` rule, a constraint's index...).
    pub aliases: BTreeMap<ObjRef, ObjRef>,
    /// Objects the engine cannot dump, named; they go into the manifest.
    pub warnings: Vec<String>,
}

impl Catalog {
    pub fn relation(&self, oid: u32) -> Option<&Relation> {
        self.relations.iter().find(|r| r.meta.oid == oid)
    }
}

/// Catalog oids of the system catalogs we refer to (stable since 7.x).
pub mod class {
    pub const PG_CLASS: u32 = 1259;
    pub const PG_TYPE: u32 = 1247;
    pub const PG_PROC: u32 = 1255;
    pub const PG_NAMESPACE: u32 = 2615;
    pub const PG_CONSTRAINT: u32 = 2606;
    pub const PG_ATTRDEF: u32 = 2604;
    pub const PG_REWRITE: u32 = 2618;
    pub const PG_TRIGGER: u32 = 2620;
    pub const PG_OPERATOR: u32 = 2617;
    pub const PG_OPCLASS: u32 = 2616;
    pub const PG_OPFAMILY: u32 = 2753;
    pub const PG_CAST: u32 = 2605;
    pub const PG_CONVERSION: u32 = 2607;
    pub const PG_COLLATION: u32 = 3456;
    pub const PG_EXTENSION: u32 = 3079;
    pub const PG_TS_PARSER: u32 = 3601;
    pub const PG_TS_DICT: u32 = 3600;
    pub const PG_TS_TEMPLATE: u32 = 3764;
    pub const PG_TS_CONFIG: u32 = 3602;
    pub const PG_EVENT_TRIGGER: u32 = 3466;
    pub const PG_POLICY: u32 = 3256;
    pub const PG_STATISTIC_EXT: u32 = 3381;
    pub const PG_FOREIGN_DATA_WRAPPER: u32 = 2328;
    pub const PG_FOREIGN_SERVER: u32 = 1417;
    pub const PG_USER_MAPPING: u32 = 1418;
    pub const PG_PUBLICATION: u32 = 6104;
    pub const PG_LANGUAGE: u32 = 2612;
    pub const PG_SUBSCRIPTION: u32 = 6100;
    pub const PG_PUBLICATION_REL: u32 = 6106;
    pub const PG_PUBLICATION_NAMESPACE: u32 = 6237;
    pub const PG_LARGEOBJECT_METADATA: u32 = 2613;
    pub const PG_DEFAULT_ACL: u32 = 826;
    pub const PG_AM: u32 = 2601;
    pub const PG_TRANSFORM: u32 = 3576;
    pub const PG_AMOP: u32 = 2602;
    pub const PG_AMPROC: u32 = 2603;
}
