//! Snapshot manifests: what one backup holds and everything a restore needs
//! (DDL entries with sections and dependencies, and for every table its
//! columns, counts and the chunk lists of its data streams).
//!
//! Plain data: the repository (`repo::snapshot`) encodes, stores and
//! lists manifests; the engines fill and read them. Every field has a default so that older manifests still decode when
//! fields are added; unknown fields are ignored (format-spec/snapshots.md).

use serde::{Deserialize, Serialize};

use super::id::Id;
use super::kind::EntryKind;
use super::time::Timestamp;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Source {
    /// Host (or socket directory) the database was read from.
    pub host: String,
    pub port: u16,
    pub database: String,
    /// As the server reports it, e.g. "15.18".
    pub server_version: String,
    /// `server_version_num`, e.g. 150018.
    pub server_version_num: u32,
    /// `pg_control_system()`'s system identifier, as text.
    pub system_identifier: Option<String>,
    /// The database's encoding name, e.g. "UTF8".
    pub encoding: String,
}

/// What part of the source was backed up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scope {
    pub kind: ScopeKind,
    pub include_schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub include_tables: Vec<String>,
    pub exclude_tables: Vec<String>,
    pub exclude_table_data: Vec<String>,
    pub schema_only: bool,
    pub data_only: bool,
}

/// What a snapshot was taken of; stored as the lower-case strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// The whole database.
    Database,
    /// Schemas chosen by `-n`/`-N`.
    Schemas,
    /// Tables chosen by `-t`/`-T`.
    Tables,
    /// Files, not a database (debug snapshots).
    Files,
    /// Not recorded (the field's default, `""`), or a kind a newer pgkeep
    /// wrote: the spec says readers must not reject other values.
    #[default]
    #[serde(other, rename = "")]
    Unknown,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Database => "database",
            ScopeKind::Schemas => "schemas",
            ScopeKind::Tables => "tables",
            ScopeKind::Files => "files",
            ScopeKind::Unknown => "",
        }
    }
}

impl std::fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    #[default]
    PreData,
    Data,
    PostData,
}

/// One DDL statement group, as pg_dump's table of contents has them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DdlEntry {
    /// Unique within the snapshot; `deps` refer to these.
    pub id: u32,
    pub section: Section,
    pub kind: EntryKind,
    pub schema: Option<String>,
    pub name: String,
    pub owner: Option<String>,
    /// The statements that create the object.
    pub create_sql: String,
    /// The statements that drop it (for `restore --clean`).
    pub drop_sql: Option<String>,
    pub deps: Vec<u32>,
    /// A faster equivalent of `create_sql` in two statements groups, which
    /// a parallel restore may run instead (see `TwoStep`).
    pub two_step: Option<TwoStep>,
    /// For a single-schema snapshot, entries that name the schema itself
    /// (CREATE SCHEMA, extensions and default privileges in it) rendered
    /// with `SCHEMA_PLACEHOLDER` in its place, so a restore can create
    /// them under another name.
    pub schema_template: Option<SchemaTemplate>,
}

/// The quoted identifier that stands for the schema's name in a
/// `SchemaTemplate`. The control character keeps it from ever being a real
/// name that someone typed.
pub const SCHEMA_PLACEHOLDER: &str = "\"pgkeep\u{1f}schema\"";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaTemplate {
    pub create_sql: String,
    pub drop_sql: Option<String>,
}

/// How an entry can be split so the slow part runs in parallel with other
/// tables' work and the part that takes a strong lock is short.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TwoStep {
    pub method: TwoStepMethod,
    pub first: String,
    pub second: String,
}

/// The ways an entry splits in two; stored as the strings below.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwoStepMethod {
    /// `first` builds the unique index (SHARE lock, so the indexes of one
    /// table build at once), `second` attaches it as the constraint (`ADD
    /// CONSTRAINT ... USING INDEX`).
    #[serde(rename = "unique-index")]
    UniqueIndex,
    /// `first` adds a foreign key `NOT VALID` (no scan), `second` validates
    /// it (a scan that does not block reads or writes).
    #[serde(rename = "not-valid")]
    NotValid,
    /// A method this pgkeep does not know (a newer writer's): the entry runs
    /// whole, from its `create_sql`.
    #[default]
    #[serde(other, rename = "unknown")]
    Unknown,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Column {
    pub name: String,
    /// Formatted type, e.g. "numeric(10,2)".
    pub type_name: String,
    pub type_oid: u32,
    /// For a domain: the type its values are sent as (the base type,
    /// through nested domains). None when that is `type_oid` itself.
    pub base_type_oid: Option<u32>,
    /// `pg_type.typtype` of that type when it is not a plain base type:
    /// "e" enum, "r" range, "m" multirange, "c" composite.
    pub type_kind: Option<String>,
    /// For a range or multirange: the subtype (through domains).
    pub range_subtype_oid: Option<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyFormat {
    #[default]
    Binary,
    Text,
}

impl CopyFormat {
    /// The name the manifest and the COPY option use.
    pub fn as_str(self) -> &'static str {
        match self {
            CopyFormat::Binary => "binary",
            CopyFormat::Text => "text",
        }
    }
}

/// One data stream of a table: the whole table, or one block range of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Part {
    /// Half-open block range [start, end) when the table was split by ctid.
    pub block_range: Option<(u64, u64)>,
    pub rows: u64,
    pub raw_bytes: u64,
    /// Bytes this part added to the repository (after deduplication and
    /// compression).
    pub new_stored_bytes: u64,
    pub chunks: Vec<Id>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableData {
    pub schema: String,
    pub name: String,
    /// The DDL entry that creates the table.
    pub ddl_entry: Option<u32>,
    pub columns: Vec<Column>,
    pub format: CopyFormat,
    /// Why the table was copied in text (a column type without binary
    /// send/receive, or whose binary form names type oids).
    pub text_reason: Option<String>,
    pub rows: u64,
    pub raw_bytes: u64,
    pub new_stored_bytes: u64,
    pub duration_ms: u64,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub tables: u64,
    pub rows: u64,
    /// Bytes of table data read from the source.
    pub raw_bytes: u64,
    /// Chunks referenced by this snapshot, and how many were new.
    pub chunks: u64,
    pub new_chunks: u64,
    /// Raw bytes of the new chunks (what deduplication could not avoid).
    pub new_raw_bytes: u64,
    /// Bytes the new chunks take in packs (after compression).
    pub new_stored_bytes: u64,
    pub duration_ms: u64,
    /// Bytes of chunks that were already stored (deduplicated).
    pub dedup_raw_bytes: u64,
}

/// Large objects' contents: every object's bytes one after the other, in
/// the order of `objects`, stored as one chunked stream (so small objects
/// share chunks and unchanged ones deduplicate).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LargeObjects {
    pub objects: Vec<LargeObjectData>,
    /// Sum of the objects' lengths: the stream's length.
    pub raw_bytes: u64,
    pub new_stored_bytes: u64,
    pub chunks: Vec<Id>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LargeObjectData {
    pub oid: u32,
    pub bytes: u64,
}

/// The stream a chunk of a snapshot belongs to.
#[derive(Clone, Copy, Debug)]
pub enum StreamRef<'a> {
    /// Part `n` of a table's data.
    Part(&'a TableData, usize),
    LargeObjects,
}

impl std::fmt::Display for StreamRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamRef::Part(t, i) => write!(f, "table {} part {i}", Snapshot::describe_table(t)),
            StreamRef::LargeObjects => f.write_str("the large objects"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub time_start: Timestamp,
    pub time_end: Timestamp,
    pub pgkeep_version: String,
    /// The machine pgkeep ran on.
    pub hostname: String,
    pub source: Source,
    pub scope: Scope,
    pub tenant: Option<String>,
    pub tags: Vec<String>,
    pub label: Option<String>,
    pub parent: Option<Id>,
    /// For a copy made by `pgkeep copy`: the id of the snapshot it copies,
    /// in the repository it came from (absent otherwise, so snapshots that
    /// are not copies encode as before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<Id>,
    pub ddl: Vec<DdlEntry>,
    /// The one schema a single-schema snapshot was read relative to: its
    /// entries name objects inside it without a schema and run with
    /// `search_path` set to it (or to the schema a restore renames it to).
    pub relative_schema: Option<String>,
    /// `search_path` (a quoted list) every DDL entry expects.
    pub search_path: String,
    /// Every DDL entry names the objects it acts on qualified by their
    /// schema (a relative snapshot's by the placeholder in its templates),
    /// never through `search_path`. False in snapshots of pgkeep 0.1.0
    /// taken with `-n SCHEMA`, whose entries name that schema's objects
    /// bare: a restore refuses those where a bare name is also a system
    /// object's.
    pub qualified_names: bool,
    /// Large objects' contents (their metadata — owner, privileges,
    /// comment — are `LARGE OBJECT` entries of `ddl`). None: the snapshot
    /// holds no large-object data.
    pub large_objects: Option<LargeObjects>,
    pub tables: Vec<TableData>,
    /// Objects that could not be dumped, and other things a restore must
    /// know about.
    pub warnings: Vec<String>,
    pub totals: Totals,
}

impl Totals {
    /// Raw bytes of the new chunks over the bytes they take stored.
    pub fn compression_ratio(&self) -> f64 {
        if self.new_stored_bytes == 0 {
            return 1.0;
        }
        self.new_raw_bytes as f64 / self.new_stored_bytes as f64
    }
}

impl Snapshot {
    /// Every chunk id the snapshot references, in stream order, with the
    /// stream that uses it.
    pub fn chunk_refs(&self) -> impl Iterator<Item = (StreamRef<'_>, &Id)> {
        let tables = self.tables.iter().flat_map(|t| {
            t.parts
                .iter()
                .enumerate()
                .flat_map(move |(i, p)| p.chunks.iter().map(move |c| (StreamRef::Part(t, i), c)))
        });
        let blobs = self.large_objects.iter().flat_map(|l| l.chunks.iter().map(|c| (StreamRef::LargeObjects, c)));
        tables.chain(blobs)
    }

    /// Whether the snapshot holds all of what it was taken of, definitions
    /// and data: not schema-only or data-only, no table included or
    /// excluded, no table's data left out. Only such snapshots are picked
    /// by `latest --tenant` and the service's `latest` and `at`; the others
    /// are restored only when named by id.
    pub fn holds_full_data(&self) -> bool {
        let sc = &self.scope;
        !sc.schema_only
            && !sc.data_only
            && sc.include_tables.is_empty()
            && sc.exclude_tables.is_empty()
            && sc.exclude_table_data.is_empty()
    }

    /// "tenant/schema.table" style name used in messages.
    pub fn describe_table(t: &TableData) -> String {
        if t.schema.is_empty() {
            t.name.clone()
        } else {
            format!("{}.{}", t.schema, t.name)
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_kinds_are_the_spec_strings_and_others_are_kept_apart() {
        for kind in [ScopeKind::Database, ScopeKind::Schemas, ScopeKind::Tables, ScopeKind::Files, ScopeKind::Unknown] {
            let bytes = rmp_serde::to_vec(&kind).unwrap();
            assert_eq!(bytes, rmp_serde::to_vec(kind.as_str()).unwrap());
            assert_eq!(rmp_serde::from_slice::<ScopeKind>(&bytes).unwrap(), kind);
        }
        let newer = rmp_serde::to_vec("cluster").unwrap();
        assert_eq!(rmp_serde::from_slice::<ScopeKind>(&newer).unwrap(), ScopeKind::Unknown);
    }

    #[test]
    fn two_step_methods_are_the_spec_strings_and_unknown_ones_run_whole() {
        for (method, text) in [(TwoStepMethod::UniqueIndex, "unique-index"), (TwoStepMethod::NotValid, "not-valid")] {
            let bytes = rmp_serde::to_vec(&method).unwrap();
            assert_eq!(bytes, rmp_serde::to_vec(text).unwrap());
            assert_eq!(rmp_serde::from_slice::<TwoStepMethod>(&bytes).unwrap(), method);
        }
        for newer in ["split-three-ways", ""] {
            let bytes = rmp_serde::to_vec(newer).unwrap();
            assert_eq!(rmp_serde::from_slice::<TwoStepMethod>(&bytes).unwrap(), TwoStepMethod::Unknown);
        }
    }
}
