//! Replays the fuzz corpus on stable Rust: every file in
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the
//! very function the cargo-fuzz target calls (fuzz/common/targets.rs), so CI
//! proves without nightly or libFuzzer that none of them panics or makes an
//! allocation larger than the fuzzers' malloc limit.
//!
//! The seed files (`seed-*`) are made by `regenerate_seed_corpus`:
//!     PGKEEP_REGENERATE_SEEDS=1 cargo test --test fuzz_corpus seeds_are_accepted_and_present
//! The other corpus files come from fuzzing (fuzz/README.md).

#[path = "../fuzz/common/targets.rs"]
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use pgkeep::repo::config::{ChunkerParams, CompressionParams, DEFAULT_PACK_SIZE};
use pgkeep::repo::envelope::{self, Kind};
use pgkeep::repo::index::{IndexFile, IndexPack};
use pgkeep::repo::lock::LockInfo;
use pgkeep::repo::pack::{self, PackBuilder};
use pgkeep::repo::snapshot::{
    Column, CopyFormat, DdlEntry, Part, Scope, Section, Source, TableData, Totals,
};
use pgkeep::repo::{Id, RepoConfig, Snapshot};

/// The fuzzers run with `-malloc_limit_mb=1100` (fuzz/README.md): one
/// allocation of this size or more is a finding there, and here.
const MALLOC_LIMIT: usize = 1100 << 20;

/// Records, per thread, the largest single allocation requested. Each test
/// runs on its own thread and the targets do not spawn threads, so a test
/// sees only its own allocations.
struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|m| {
        if size > m.get() {
            m.set(size)
        }
    });
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn target_fn(name: &str) -> targets::Target {
    targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name} in fuzz/common/targets.rs"))
        .1
}

/// Regular files of `dir`, sorted; libFuzzer's temporary files (dot files)
/// are skipped.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

fn hex_head(data: &[u8]) -> String {
    const MAX: usize = 256;
    let mut s: String = data.iter().take(MAX).map(|b| format!("{b:02x}")).collect();
    if data.len() > MAX {
        s.push_str(&format!("... ({} bytes)", data.len()));
    }
    s
}

/// Run one input through a target; Err describes a panic or an allocation
/// over the limit.
fn run_one(f: targets::Target, data: &[u8]) -> Result<bool, String> {
    LARGEST.with(|m| m.set(0));
    let r = catch_unwind(AssertUnwindSafe(|| f(data)));
    let largest = LARGEST.with(|m| m.get());
    match r {
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            Err(format!("panicked: {msg}"))
        }
        Ok(_) if largest >= MALLOC_LIMIT => Err(format!(
            "allocated {largest} bytes at once (limit {MALLOC_LIMIT})"
        )),
        Ok(accepted) => Ok(accepted),
    }
}

fn replay(target: &str) {
    let f = target_fn(target);
    let corpus = fuzz_dir().join("corpus").join(target);
    assert!(
        corpus.is_dir(),
        "{} is missing: every fuzz target needs a seed corpus",
        corpus.display()
    );
    let corpus_files = files_in(&corpus);
    assert!(
        !corpus_files.is_empty(),
        "{} is empty: every fuzz target needs a seed corpus",
        corpus.display()
    );
    let regressions = fuzz_dir().join("regressions").join(target);
    let mut files = corpus_files.clone();
    if regressions.is_dir() {
        files.extend(files_in(&regressions));
    }

    let mut failures = Vec::new();
    let mut accepted_in_corpus = 0;
    for path in &files {
        let data =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        match run_one(f, &data) {
            Ok(true) if corpus_files.contains(path) => accepted_in_corpus += 1,
            Ok(_) => {}
            Err(e) => failures.push(format!(
                "{}: {e}\n  input: {}",
                path.display(),
                hex_head(&data)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz target {target}: {} of {} inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        accepted_in_corpus > 0,
        "fuzz target {target}: no input in {} is accepted any more (has the format changed?); \
         regenerate the seeds with `PGKEEP_REGENERATE_SEEDS=1 cargo test --test fuzz_corpus seeds_are_accepted_and_present`",
        corpus.display()
    );
}

macro_rules! corpus_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name));
            }
        )*

        /// Every target has a test above, a cargo-fuzz binary and a
        /// target file, and nothing else does.
        #[test]
        fn every_fuzz_target_is_replayed() {
            let mut tested: Vec<&str> = vec![$(stringify!($name)),*];
            tested.sort();
            let mut shared: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
            shared.sort();
            assert_eq!(tested, shared, "tests here vs TARGETS in fuzz/common/targets.rs");

            let mut files: Vec<String> = files_in(&fuzz_dir().join("fuzz_targets"))
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                .collect();
            files.sort();
            assert_eq!(tested, files, "tests here vs fuzz/fuzz_targets/*.rs");

            let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
            let mut bins: Vec<String> = manifest
                .split("[[bin]]")
                .skip(1)
                .filter_map(|b| {
                    b.lines()
                        .find_map(|l| l.trim().strip_prefix("name = \"")?.strip_suffix('"').map(str::to_owned))
                })
                .collect();
            bins.sort();
            assert_eq!(tested, bins, "tests here vs [[bin]] targets in fuzz/Cargo.toml");
        }
    };
}

corpus_tests!(
    envelope,
    config,
    index,
    snapshot,
    lock,
    pack,
    payload_msgpack,
    sealed_payload,
    pack_structured,
    copy_binary,
    copy_values,
    copy_rows,
    key_file,
    sealed_file,
);

/// The replay itself must catch what it is there to catch.
#[test]
fn replay_reports_panics_and_huge_allocations() {
    fn panics(_: &[u8]) -> bool {
        panic!("boom")
    }
    fn huge(_: &[u8]) -> bool {
        let v: Vec<u8> = Vec::with_capacity(MALLOC_LIMIT);
        v.capacity() > 0
    }
    assert!(run_one(panics, b"x").unwrap_err().contains("boom"));
    assert!(run_one(huge, b"x").unwrap_err().contains("allocated"));
    assert!(run_one(|_| true, b"x").unwrap());
}

// ------------------------------------------------------------- seed corpus

fn sample_config() -> RepoConfig {
    RepoConfig {
        version: 1,
        id: Id([0x42; 32]),
        created: "2026-01-02T03:04:05.000006Z".into(),
        hash: "blake3".into(),
        chunker: ChunkerParams::default(),
        compression: CompressionParams::default(),
        pack_size: DEFAULT_PACK_SIZE,
        encryption: "none".into(),
    }
}

fn sample_lock(exclusive: bool) -> LockInfo {
    LockInfo {
        exclusive,
        hostname: "db-backup-1".into(),
        pid: 4242,
        pid_start: Some(123_456),
        purpose: if exclusive { "prune" } else { "backup" }.into(),
        created: "2026-01-02T03:04:05.000006Z".into(),
        refreshed: "2026-01-02T03:09:05.000006Z".into(),
        nonce: Id([0x17; 32]),
        boot_id: None,
        pid_namespace: None,
    }
}

/// Packs made by PackBuilder: empty, one raw chunk, and mixed codecs.
fn sample_packs() -> Vec<(&'static str, Id, Vec<u8>, Vec<pack::PackEntry>)> {
    let mut c = zstd::bulk::Compressor::new(1).unwrap();
    let mut out = Vec::new();
    let sets: [(&str, Vec<Vec<u8>>); 3] = [
        ("empty", vec![]),
        ("one-raw", vec![b"x".to_vec()]),
        (
            "mixed",
            vec![
                b"hello hello hello hello hello".to_vec(),
                b"\x00\x01\x02\x03".to_vec(),
                vec![7u8; 1000],
                b"COPY public.t (a, b) FROM stdin;\n1\tone\n2\ttwo\n\\.\n".repeat(20),
            ],
        ),
    ];
    for (name, chunks) in sets {
        let mut b = PackBuilder::new();
        for data in &chunks {
            let (codec, stored) = pack::encode_blob(&mut c, data);
            b.add(Id::hash(data), data.len() as u32, codec, &stored);
        }
        let (id, bytes, entries) = b.finish(Id::hash);
        out.push((name, id, bytes, entries));
    }
    out
}

fn sample_indexes() -> Vec<(&'static str, IndexFile)> {
    let packs: Vec<IndexPack> = sample_packs()
        .iter()
        .map(|(_, id, bytes, entries)| IndexPack::from_entries(*id, bytes.len() as u64, entries))
        .collect();
    let many = IndexPack {
        id: Id([0x99; 32]),
        size: 64 * 1024 * 1024,
        chunks: (0..40u32)
            .map(|i| pgkeep::repo::index::IndexChunk {
                id: Id::hash(&i.to_le_bytes()),
                offset: 16 + i as u64 * 1000,
                stored_len: 1000,
                raw_len: 4000,
                codec: 1,
            })
            .collect(),
    };
    vec![
        ("empty", IndexFile::default()),
        ("packs", IndexFile { packs }),
        ("many", IndexFile { packs: vec![many] }),
    ]
}

fn sample_snapshot() -> Snapshot {
    let table = |name: &str, parts: usize| TableData {
        schema: "public".into(),
        name: name.into(),
        ddl_entry: Some(1),
        columns: vec![
            Column {
                name: "id".into(),
                type_name: "bigint".into(),
                type_oid: 20,
                ..Column::default()
            },
            Column {
                name: "price".into(),
                type_name: "numeric(10,2)".into(),
                type_oid: 1700,
                ..Column::default()
            },
        ],
        format: CopyFormat::Binary,
        rows: 1000,
        raw_bytes: 65536,
        new_stored_bytes: 4096,
        duration_ms: 12,
        text_reason: None,
        parts: (0..parts as u64)
            .map(|i| Part {
                block_range: if parts > 1 {
                    Some((i * 100, (i + 1) * 100))
                } else {
                    None
                },
                rows: 500,
                raw_bytes: 32768,
                new_stored_bytes: 2048,
                chunks: vec![Id::hash(&i.to_le_bytes()), Id([i as u8; 32])],
            })
            .collect(),
    };
    Snapshot {
        time_start: pgkeep::manifest::Timestamp::parse("2026-01-02T03:04:05.000006Z").unwrap(),
        time_end: pgkeep::manifest::Timestamp::parse("2026-01-02T03:05:05.000006Z").unwrap(),
        pgkeep_version: "0.1.0".into(),
        hostname: "db-backup-1".into(),
        source: Source {
            host: "/var/run/postgresql".into(),
            port: 5432,
            database: "shop".into(),
            server_version: "15.18".into(),
            server_version_num: 150018,
            system_identifier: Some("7301234567890123456".into()),
            encoding: "UTF8".into(),
        },
        scope: Scope {
            kind: pgkeep::manifest::snapshot::ScopeKind::Database,
            exclude_table_data: vec!["public.audit_log".into()],
            ..Scope::default()
        },
        tenant: Some("acme".into()),
        tags: vec!["nightly".into(), "weekly".into()],
        label: Some("before migration".into()),
        parent: Some(Id([0x11; 32])),
        original: None,
        ddl: vec![
            DdlEntry {
                id: 1,
                section: Section::PreData,
                kind: pgkeep::manifest::EntryKind::Table,
                schema: Some("public".into()),
                name: "orders".into(),
                owner: Some("shop".into()),
                create_sql: "CREATE TABLE public.orders (id bigint NOT NULL, price numeric(10,2));"
                    .into(),
                drop_sql: Some("DROP TABLE public.orders;".into()),
                deps: vec![],
                ..DdlEntry::default()
            },
            DdlEntry {
                id: 2,
                section: Section::PostData,
                kind: pgkeep::manifest::EntryKind::Constraint,
                schema: Some("public".into()),
                name: "orders_pkey".into(),
                owner: Some("shop".into()),
                create_sql:
                    "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);"
                        .into(),
                drop_sql: None,
                deps: vec![1],
                ..DdlEntry::default()
            },
        ],
        tables: vec![table("orders", 3), table("customers", 1)],
        warnings: vec!["skipped extension plpgsql".into()],
        totals: Totals {
            tables: 2,
            rows: 2000,
            raw_bytes: 131072,
            chunks: 8,
            new_chunks: 4,
            new_raw_bytes: 65536,
            new_stored_bytes: 8192,
            duration_ms: 60000,
            dedup_raw_bytes: 0,
        },
        relative_schema: None,
        search_path: String::new(),
        qualified_names: true,
        large_objects: None,
    }
}

/// Seed files per target: (target, file name, bytes).
fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut small_chunks = sample_config();
    small_chunks.chunker = ChunkerParams {
        algorithm: "fastcdc-2020".into(),
        min_size: 64,
        avg_size: 256,
        max_size: 1024,
        normalization: 3,
    };
    small_chunks.compression.level = 19;
    let mut newer = sample_config();
    newer.version = 2;
    let configs = [
        ("default", sample_config()),
        ("small-chunks", small_chunks),
        ("version-2", newer),
    ];
    let locks = [
        ("shared", sample_lock(false)),
        ("exclusive", sample_lock(true)),
    ];
    let snapshots = [("empty", Snapshot::default()), ("full", sample_snapshot())];

    // (name, kind, MessagePack payload) of every sample object.
    let mut payloads: Vec<(String, Kind, Vec<u8>)> = Vec::new();
    for (n, c) in &configs {
        payloads.push((format!("config-{n}"), Kind::Config, named(c)));
    }
    for (n, f) in sample_indexes() {
        payloads.push((format!("index-{n}"), Kind::Index, named(&f)));
    }
    for (n, s) in &snapshots {
        payloads.push((format!("snapshot-{n}"), Kind::Snapshot, named(s)));
    }
    for (n, l) in &locks {
        payloads.push((format!("lock-{n}"), Kind::Lock, named(l)));
    }

    let mut out = Vec::new();
    for (name, kind, payload) in &payloads {
        let sealed = envelope::seal(*kind, payload);
        out.push(("envelope", format!("seed-{name}"), sealed.clone()));
        let own = match kind {
            Kind::Config => "config",
            Kind::Index => "index",
            Kind::Snapshot => "snapshot",
            Kind::Lock => "lock",
            Kind::Key => "key_file",
        };
        out.push((own, format!("seed-{name}"), sealed));
        out.push(("payload_msgpack", format!("seed-{name}"), payload.clone()));
        out.push(("sealed_payload", format!("seed-{name}"), payload.clone()));
    }
    for (name, _, bytes, entries) in sample_packs() {
        out.push(("pack", format!("seed-{name}"), bytes.clone()));
        // pack_structured: control byte, chunk area, table (header and footer
        // are made by the target).
        let inner = &bytes[pack::HEADER_LEN..bytes.len() - pack::FOOTER_LEN];
        for (suffix, flags) in [
            ("", 0u8),
            (
                "-fix-all",
                targets::PS_FIX_LAYOUT | targets::PS_FIX_IDS | targets::PS_FIX_CODEC,
            ),
        ] {
            let mut input = vec![entries.len() as u8 | flags];
            input.extend_from_slice(inner);
            out.push(("pack_structured", format!("seed-{name}{suffix}"), input));
        }
    }
    // copy_binary: a control byte (3 fields expected, split step), then a
    // stream of three-column rows with NULLs, an empty value and a header
    // extension.
    let mut stream = pgkeep::copy::binary::SIGNATURE.to_vec();
    stream.extend_from_slice(&0u32.to_be_bytes());
    stream.extend_from_slice(&2u32.to_be_bytes());
    stream.extend_from_slice(b"xx");
    for row in 0..3u32 {
        stream.extend_from_slice(&3i16.to_be_bytes());
        stream.extend_from_slice(&4i32.to_be_bytes());
        stream.extend_from_slice(&row.to_be_bytes());
        if row == 1 {
            stream.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            stream.extend_from_slice(&5i32.to_be_bytes());
            stream.extend_from_slice(b"hello");
        }
        stream.extend_from_slice(&8i32.to_be_bytes());
        stream.extend_from_slice(&u64::from(row).to_be_bytes());
    }
    stream.extend_from_slice(&(-1i16).to_be_bytes());
    for (name, ctl) in [("three-rows", 0x03u8), ("three-rows-split", 0x23), ("unchecked", 0x10)] {
        let mut input = vec![ctl];
        input.extend_from_slice(&stream);
        out.push(("copy_binary", format!("seed-{name}"), input));
    }
    out.push(("copy_rows", "seed-three-rows".into(), stream.clone()));
    // key_file: FUZZ_MASTER wrapped by the password (cheap Argon2id) and by
    // the raw key; sealed_file: small and multi-segment files.
    {
        use pgkeep::repo::crypto::{KdfParams, KeyFile, MasterKey, RawKey, Sealer, Secret};
        let master = MasterKey::from_bytes(targets::FUZZ_MASTER);
        let repo = Id(targets::FUZZ_REPO_ID);
        let cheap = KdfParams { memory_kib: 64, iterations: 1, lanes: 1 };
        let pw = KeyFile::create(&master, &Secret::password(targets::FUZZ_PASSWORD.into()), cheap, &repo).unwrap();
        out.push(("key_file", "seed-password".into(), envelope::seal_value(Kind::Key, &pw)));
        let raw = KeyFile::create(&master, &Secret::RawKey(RawKey::from_bytes(targets::FUZZ_RAW_KEY)), cheap, &repo).unwrap();
        out.push(("key_file", "seed-raw-key".into(), envelope::seal_value(Kind::Key, &raw)));
        for cipher in pgkeep::repo::crypto::Cipher::ALL {
            // The XChaCha20-Poly1305 seeds keep their first names.
            let tag = match cipher {
                pgkeep::repo::crypto::Cipher::XChaCha20Poly1305 => String::new(),
                c => format!("{c}-"),
            };
            let sealer = Sealer::new(&master.derive(), cipher);
            out.push(("sealed_file", format!("seed-{tag}empty"), sealer.seal(targets::FUZZ_PLACE, b"")));
            out.push(("sealed_file", format!("seed-{tag}snapshot"), sealer.seal(targets::FUZZ_PLACE, &envelope::seal_value(Kind::Snapshot, &sample_snapshot()))));
            let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
            out.push(("sealed_file", format!("seed-{tag}two-segments"), sealer.seal(targets::FUZZ_PLACE, &big)));
        }
    }
    // copy_values: one valid value of every type the target picks from,
    // taken from what the server sends (see tests/export.rs).
    for (i, value) in value_seeds().into_iter().enumerate() {
        if let Some(v) = value {
            let mut input = vec![i as u8];
            input.extend_from_slice(&v);
            out.push(("copy_values", format!("seed-{}", targets::VALUE_OIDS[i]), input));
        }
    }
    out
}

/// A valid binary value for each of `targets::VALUE_OIDS` (None for the
/// unknown type, which is always accepted as hex anyway).
fn value_seeds() -> Vec<Option<Vec<u8>>> {
    let be = |v: &[&[u8]]| Some(v.concat());
    let int4 = |v: i32| v.to_be_bytes().to_vec();
    let array = |elem: u32, items: &[Vec<u8>]| {
        let mut b = [1i32.to_be_bytes(), 0i32.to_be_bytes(), (elem as i32).to_be_bytes()].concat();
        b.extend_from_slice(&(items.len() as i32).to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes());
        for it in items {
            b.extend_from_slice(&(it.len() as i32).to_be_bytes());
            b.extend_from_slice(it);
        }
        Some(b)
    };
    let range = |lo: Vec<u8>, hi: Vec<u8>| {
        let mut b = vec![0x02u8];
        for x in [lo, hi] {
            b.extend_from_slice(&(x.len() as i32).to_be_bytes());
            b.extend_from_slice(&x);
        }
        b
    };
    let multirange = |r: Vec<u8>| [1i32.to_be_bytes().to_vec(), (r.len() as i32).to_be_bytes().to_vec(), r].concat();
    let numeric = [2u16.to_be_bytes(), 0i16.to_be_bytes(), 0x4000u16.to_be_bytes(), 2u16.to_be_bytes(), 12u16.to_be_bytes(), 3400u16.to_be_bytes()].concat();
    let ts = 757_382_400_000_000i64.to_be_bytes().to_vec();
    let date = 8_766i32.to_be_bytes().to_vec();
    let int8 = 42i64.to_be_bytes().to_vec();
    targets::VALUE_OIDS
        .iter()
        .map(|oid| match oid {
            16 => be(&[&[1]]),
            17 | 25 | 19 | 114 => be(&[b"{\"a\": 1}"]),
            18 => be(&[&[0xe9]]),
            20 | 790 | 3220 | 5069 => Some(int8.clone()),
            21 => be(&[&7i16.to_be_bytes()]),
            23 | 26 | 28 => Some(int4(-5)),
            27 => be(&[&9u32.to_be_bytes(), &3u16.to_be_bytes()]),
            650 | 869 => be(&[&[3, 64, 0, 16], &[0x20, 1, 0xd, 0xb8], &[0; 12]]),
            700 => be(&[&1.5f32.to_be_bytes()]),
            701 => be(&[&(-0.0f64).to_be_bytes()]),
            774 => be(&[&[1, 2, 3, 4, 5, 6, 7, 8]]),
            829 => be(&[&[1, 2, 3, 4, 5, 6]]),
            1082 => Some(date.clone()),
            1083 => be(&[&3_600_000_001i64.to_be_bytes()]),
            1114 | 1184 => Some(ts.clone()),
            1186 => be(&[&(-3_600_000_000i64).to_be_bytes(), &1i32.to_be_bytes(), &14i32.to_be_bytes()]),
            1266 => be(&[&3_600_000_000i64.to_be_bytes(), &(-19_800i32).to_be_bytes()]),
            1560 => be(&[&5i32.to_be_bytes(), &[0b1010_1000]]),
            1700 => Some(numeric.clone()),
            2950 => be(&[&[0xab; 16]]),
            3802 => be(&[&[1], b"[1, \"x\"]"]),
            1000 => array(16, &[vec![1], vec![0]]),
            1001 => array(17, &[b"\\".to_vec(), vec![]]),
            1005 => array(21, &[3i16.to_be_bytes().to_vec()]),
            1007 => array(23, &[int4(1), int4(2)]),
            1009 => array(25, &[b"a b".to_vec(), b"NULL".to_vec(), vec![]]),
            1016 => array(20, std::slice::from_ref(&int8)),
            1021 => array(700, &[f32::NAN.to_be_bytes().to_vec()]),
            1022 => array(701, &[f64::INFINITY.to_be_bytes().to_vec()]),
            1115 => array(1114, std::slice::from_ref(&ts)),
            1182 => array(1082, std::slice::from_ref(&date)),
            1185 => array(1184, std::slice::from_ref(&ts)),
            1187 => array(1186, &[vec![0; 16]]),
            1231 => array(1700, std::slice::from_ref(&numeric)),
            1270 => array(1266, &[vec![0; 12]]),
            1561 => array(1560, &[[1i32.to_be_bytes().as_slice(), &[0x80]].concat()]),
            2951 => array(2950, &[vec![0; 16]]),
            3807 => array(3802, &[b"\x01null".to_vec()]),
            3905 => array(3904, &[range(int4(1), int4(5))]),
            3913 => array(3912, &[vec![0x01]]),
            6150 => array(4451, &[multirange(range(int4(1), int4(5)))]),
            3904 => Some(range(int4(1), int4(5))),
            3906 => Some(range(numeric.clone(), numeric.clone())),
            3908 | 3910 => Some(range(ts.clone(), ts.clone())),
            3912 => Some(range(date.clone(), date.clone())),
            3926 => Some(range(int8.clone(), int8.clone())),
            4451 => Some(multirange(range(int4(1), int4(5)))),
            4532 | 4534 | 4535 => Some(0i32.to_be_bytes().to_vec()),
            _ => None,
        })
        .collect()
}

fn named<T: serde::Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("serializes")
}

/// Every seed is accepted by its target (so the seeds start the fuzzer on
/// the deep paths) and is in fuzz/corpus. The files are not compared byte
/// for byte: a zstd upgrade may change compressed seeds without making the
/// committed ones any less valid (`replay` checks that some are accepted).
#[test]
fn seeds_are_accepted_and_present() {
    if std::env::var_os("PGKEEP_REGENERATE_SEEDS").is_some() {
        regenerate_seed_corpus();
    }
    let mut missing = Vec::new();
    for (target, name, bytes) in seeds() {
        // The version-2 config is there to be rejected by validate().
        let expect_accepted = !(target == "config" && name == "seed-config-version-2");
        assert_eq!(
            run_one(target_fn(target), &bytes),
            Ok(expect_accepted),
            "{target}/{name}"
        );
        let path = fuzz_dir().join("corpus").join(target).join(&name);
        if !path.is_file() {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "seed files missing (regenerate with \
         `PGKEEP_REGENERATE_SEEDS=1 cargo test --test fuzz_corpus seeds_are_accepted_and_present`):\n{}",
        missing.join("\n")
    );
}

/// Writes the seed files into fuzz/corpus/<target>/seed-* (with
/// PGKEEP_REGENERATE_SEEDS=1, from `seeds_are_accepted_and_present`).
fn regenerate_seed_corpus() {
    for (target, name, bytes) in seeds() {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
