//! Repository format v1 test vectors (format-spec/vectors/).
//!
//! Every test reads the shipped vectors and checks them three ways:
//!
//! * byte level: each file's BLAKE3 is the one `vectors.json` lists (and is
//!   the file's name where the format names files by hash);
//! * with the library: objects decode to the listed content, every chunk of
//!   the pack decodes to its plaintext and hashes to its id, the negative
//!   vectors fail with the listed error, and the tiny repository opens,
//!   checks clean and reads every snapshot stream back;
//! * with `indep`, a minimal second reader written from format-spec/ alone
//!   (it uses neither the library nor rmp-serde), which must agree with the
//!   library on every vector, negative ones included.
//!
//! `PGKEEP_REGENERATE_VECTORS=1 cargo test --test format_vectors` first
//! rebuilds the vectors from the library types and rewrites
//! format-spec/vectors/ (everything but README.md and .gitattributes). Generation is
//! deterministic: fixed inputs, timestamps, ids and compression levels.
//! Regenerating is a format change: review the diff.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pgkeep::repo::check::{self, CheckOptions};
use pgkeep::repo::config::{ChunkerParams, CompressionParams, RepoConfig};
use pgkeep::repo::envelope::{self, Kind};
use pgkeep::repo::index::{IndexFile, IndexPack};
use pgkeep::repo::lock::LockInfo;
use pgkeep::repo::pack::{self, Codec, PackBuilder, PackEntry};
use pgkeep::repo::prune::{self, PruneOptions};
use pgkeep::repo::snapshot::{
    Column, CopyFormat, DdlEntry, Part, Scope, Section, Snapshot, Source, TableData, Totals, TwoStep,
};
use pgkeep::repo::{Id, RepoError, Repository};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("format-spec")
        .join("vectors")
}

/// `vectors.json`, after regenerating everything when asked to.
fn vectors() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        if std::env::var("PGKEEP_REGENERATE_VECTORS").as_deref() == Ok("1") {
            generate::all(&vectors_dir());
        }
        let path = vectors_dir().join("vectors.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("vectors.json is JSON")
    })
}

fn read(file: &str) -> Vec<u8> {
    let p = vectors_dir().join(file);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {v}"))
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array"))
}

fn blake3_hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Every key and element of `expected` is in `actual` with an equal value.
/// `actual` may have more map keys: fields added to the format after the
/// vector was written must not invalidate it.
fn json_subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).ok_or_else(|| format!("{path}.{k}: missing"))?;
                json_subset(ev, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} elements, expected {}",
                    a.len(),
                    e.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                json_subset(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("{path}: {actual}, expected {expected}")),
    }
}

fn kind_of(name: &str) -> Kind {
    match name {
        "config" => Kind::Config,
        "index" => Kind::Index,
        "snapshot" => Kind::Snapshot,
        "lock" => Kind::Lock,
        other => panic!("unknown object kind {other}"),
    }
}

/// Decode an object with the library, as a reader of its kind does
/// (config: open and validate), and show it as JSON (ids as hex).
fn library_decode(kind: &str, bytes: &[u8]) -> Result<Value, RepoError> {
    let named = match kind {
        "config" => {
            let c: RepoConfig = envelope::open_value(Kind::Config, bytes, "config")?;
            c.validate()?;
            rmp_named(&c)
        }
        "index" => rmp_named(&IndexFile::decode(bytes, "index")?),
        "snapshot" => rmp_named(&Snapshot::decode(bytes, "snapshot")?),
        "lock" => rmp_named(&envelope::open_value::<LockInfo>(
            Kind::Lock,
            bytes,
            "lock",
        )?),
        other => panic!("unknown object kind {other}"),
    };
    Ok(indep::to_json(
        &indep::msgpack(&named).expect("the library writes valid MessagePack"),
    ))
}

fn rmp_named<T: serde::Serialize>(v: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(v).expect("serializes")
}

fn class_of(e: &RepoError) -> &'static str {
    match e {
        RepoError::UnsupportedVersion { .. } => "UnsupportedVersion",
        RepoError::UnsupportedFeature { .. } => "UnsupportedFeature",
        RepoError::Corrupt { .. } => "Corrupt",
        other => panic!("unexpected error kind: {other}"),
    }
}

/// A whole pack through the library: its table, then every chunk proven.
fn library_read_pack(bytes: &[u8]) -> Result<Vec<(PackEntry, Vec<u8>)>, RepoError> {
    let entries = pack::parse_pack(bytes, "pack")?;
    let mut out = Vec::new();
    for e in entries {
        let stored = &bytes[e.offset as usize..(e.offset + e.stored_len as u64) as usize];
        let raw = pack::decode_blob(&e, stored, "pack", Id::hash)?;
        out.push((e, raw));
    }
    Ok(out)
}

fn entry_json(e: &PackEntry) -> Value {
    json!({
        "id": e.id.to_hex(),
        "offset": e.offset,
        "stored_len": e.stored_len,
        "raw_len": e.raw_len,
        "codec": e.codec as u8,
    })
}

fn all_object_entries() -> Vec<&'static Value> {
    let v = vectors();
    list(v, "objects")
        .iter()
        .chain(list(v, "compat_objects"))
        .collect()
}

/// splitmix64: a fixed, documented generator, so the vectors do not depend
/// on the `rand` crate's algorithms (format-spec/vectors/README.md).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `len` bytes: the generator's outputs from `seed`, each as 8 bytes
/// little-endian, concatenated and truncated.
fn splitmix_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

fn fastcdc_lengths(data: &[u8], min: u64, avg: u64, max: u64, normalization: u64) -> Vec<usize> {
    let level = match normalization {
        0 => fastcdc::v2020::Normalization::Level0,
        1 => fastcdc::v2020::Normalization::Level1,
        2 => fastcdc::v2020::Normalization::Level2,
        3 => fastcdc::v2020::Normalization::Level3,
        n => panic!("normalization {n}"),
    };
    fastcdc::v2020::StreamCDC::with_level(data, min as usize, avg as usize, max as usize, level)
        .map(|c| c.unwrap().length)
        .collect()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn every_file_has_its_listed_hash_and_name() {
    let v = vectors();
    let mut listed = BTreeSet::new();
    for key in [
        "objects",
        "compat_objects",
        "packs",
        "chunks",
        "streams",
        "negative",
    ] {
        for entry in list(v, key) {
            let file = s(entry, "file");
            let bytes = read(file);
            assert_eq!(blake3_hex(&bytes), s(entry, "blake3"), "{file}: BLAKE3");
            if let Some(size) = entry.get("size") {
                assert_eq!(bytes.len() as u64, size.as_u64().unwrap(), "{file}: size");
            }
            if entry["named_by_hash"] == json!(true) {
                let name = Path::new(file).file_name().unwrap().to_str().unwrap();
                assert_eq!(name, s(entry, "blake3"), "{file}: name is not its hash");
            }
            listed.insert(file.to_string());
        }
    }
    // Chunk files are named by their id, which is the BLAKE3 of the file.
    for c in list(v, "chunks") {
        assert_eq!(format!("chunks/{}", s(c, "id")), s(c, "file"));
        assert_eq!(s(c, "id"), s(c, "blake3"));
    }

    // Nothing unlisted lies around, and the set stays small.
    let mut total = 0u64;
    let mut stack = vec![vectors_dir()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            total += p.metadata().unwrap().len();
            let rel = p
                .strip_prefix(vectors_dir())
                .unwrap()
                .to_str()
                .unwrap()
                .replace('\\', "/");
            let name = p.file_name().unwrap().to_str().unwrap();
            if ["vectors.json", "README.md", ".gitattributes"].contains(&rel.as_str())
                || name == ".gitkeep"
            {
                continue;
            }
            if rel.starts_with("encrypted/") || rel.starts_with("encrypted-aes-256-gcm/") {
                // Listed in <set>/encrypted.json and checked by
                // tests/encryption_vectors.rs; counted in the size below.
                continue;
            }
            assert!(listed.contains(&rel), "{rel} is not listed in vectors.json");
        }
    }
    // 100 KB until the second cipher's encrypted set (7 KB) came in.
    assert!(
        total < 112 * 1024,
        "vectors take {total} bytes; keep them under 112 KB"
    );
}

#[test]
fn objects_decode_with_the_library() {
    for o in all_object_entries() {
        let file = s(o, "file");
        let kind = s(o, "kind");
        let bytes = read(file);
        let payload =
            envelope::open(kind_of(kind), &bytes, file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            blake3_hex(&payload),
            s(o, "payload_blake3"),
            "{file}: payload hash"
        );
        assert_eq!(
            payload.len() as u64,
            u(o, "payload_len"),
            "{file}: payload length"
        );
        let decoded = library_decode(kind, &bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let expected = o.get("decoded").unwrap_or(&o["payload"]);
        json_subset(expected, &decoded, file).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn objects_written_by_the_library_are_reproduced() {
    // The MessagePack of a decoded object re-encodes to the same payload:
    // field order and integer widths are the ones the spec lists.
    for o in list(vectors(), "objects") {
        let file = s(o, "file");
        let bytes = read(file);
        let payload = envelope::open(kind_of(s(o, "kind")), &bytes, file).unwrap();
        let again = match s(o, "kind") {
            "config" => {
                rmp_named(&envelope::open_value::<RepoConfig>(Kind::Config, &bytes, file).unwrap())
            }
            "index" => rmp_named(&IndexFile::decode(&bytes, file).unwrap()),
            "snapshot" => rmp_named(&Snapshot::decode(&bytes, file).unwrap()),
            "lock" => {
                rmp_named(&envelope::open_value::<LockInfo>(Kind::Lock, &bytes, file).unwrap())
            }
            _ => unreachable!(),
        };
        assert!(
            again == payload,
            "{file}: the library re-encodes its payload differently"
        );
    }
}

#[test]
fn pack_chunks_decode_to_their_plaintext_and_id() {
    for p in list(vectors(), "packs") {
        let file = s(p, "file");
        let bytes = read(file);
        let read_back = library_read_pack(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let listed = list(p, "entries");
        assert_eq!(read_back.len(), listed.len(), "{file}: entry count");
        for ((e, raw), l) in read_back.iter().zip(listed) {
            json_subset(
                &json!({
                    "id": l["id"], "offset": l["offset"], "stored_len": l["stored_len"],
                    "raw_len": l["raw_len"], "codec": l["codec"],
                }),
                &entry_json(e),
                file,
            )
            .unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(
                *raw,
                read(s(l, "plaintext")),
                "{file}: chunk {} plaintext",
                e.id
            );
            assert_eq!(Id::hash(raw), e.id);
        }
    }
    // Both codecs are covered.
    let codecs: BTreeSet<u64> = list(vectors(), "packs")
        .iter()
        .flat_map(|p| list(p, "entries").iter().map(|e| u(e, "codec")))
        .collect();
    assert_eq!(codecs, BTreeSet::from([0, 1]));
}

#[test]
fn negative_vectors_are_rejected_with_the_listed_error() {
    for n in list(vectors(), "negative") {
        let file = s(n, "file");
        let bytes = read(file);
        let expect = s(n, "expect");
        let kind = s(n, "open_as");
        let lib = if kind == "pack" {
            library_read_pack(&bytes).map(|_| ())
        } else {
            library_decode(kind, &bytes).map(|_| ())
        };
        match lib {
            Ok(()) => panic!("{file}: the library accepted it; expected {expect}"),
            Err(e) => assert_eq!(class_of(&e), expect, "{file}: library said {e}"),
        }
        let ind = if kind == "pack" {
            indep::read_pack(&bytes).map(|_| ())
        } else {
            indep::read_object(kind, &bytes).map(|_| ())
        };
        match ind {
            Ok(()) => panic!("{file}: the independent reader accepted it; expected {expect}"),
            Err((class, why)) => assert_eq!(class, expect, "{file}: independent reader said {why}"),
        }
    }
}

#[test]
fn independent_reader_agrees_with_the_library() {
    for o in all_object_entries() {
        let file = s(o, "file");
        let kind = s(o, "kind");
        let bytes = read(file);
        let obj = indep::read_object(kind, &bytes)
            .unwrap_or_else(|(c, why)| panic!("{file}: {c}: {why}"));
        let env = &o["envelope"];
        assert_eq!(
            obj.kind as char,
            s(env, "kind").chars().next().unwrap(),
            "{file}"
        );
        assert_eq!(obj.version as u64, u(env, "version"), "{file}");
        assert_eq!(obj.codec as u64, u(env, "codec"), "{file}");
        assert_eq!(obj.flags as u64, u(env, "flags"), "{file}");
        assert_eq!(obj.body_len, u(env, "body_len"), "{file}");
        let lib_payload = envelope::open(kind_of(kind), &bytes, file).unwrap();
        assert!(obj.payload == lib_payload, "{file}: payloads differ");
        assert_eq!(
            indep::to_json(&obj.value),
            o["payload"],
            "{file}: payload content"
        );
    }
    for p in list(vectors(), "packs") {
        let file = s(p, "file");
        let bytes = read(file);
        let ip = indep::read_pack(&bytes).unwrap_or_else(|(c, why)| panic!("{file}: {c}: {why}"));
        assert_eq!(ip.version as u64, u(&p["header"], "version"));
        assert_eq!(ip.flags as u64, u(&p["header"], "flags"));
        assert_eq!(ip.count as u64, u(&p["footer"], "count"));
        assert_eq!(hex::encode(ip.table_hash), s(&p["footer"], "table_blake3"));
        let lib = library_read_pack(&bytes).unwrap();
        assert_eq!(ip.chunks.len(), lib.len());
        for ((ie, iraw), (le, lraw)) in ip.chunks.iter().zip(&lib) {
            assert_eq!(ie.id, le.id.0);
            assert_eq!(
                (ie.offset, ie.stored_len, ie.raw_len, ie.codec),
                (le.offset, le.stored_len, le.raw_len, le.codec as u8)
            );
            assert!(iraw == lraw);
        }
    }
}

#[test]
fn chunker_reproduces_the_chunking_vectors() {
    for case in list(vectors(), "chunking") {
        let data = splitmix_bytes(u(case, "seed"), u(case, "length") as usize);
        let got = fastcdc_lengths(
            &data,
            u(case, "min_size"),
            u(case, "avg_size"),
            u(case, "max_size"),
            u(case, "normalization"),
        );
        let want: Vec<usize> = list(case, "chunk_lengths")
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got, want, "{}", s(case, "name"));
        assert_eq!(got.iter().sum::<usize>(), data.len());
    }
}

#[test]
fn chunker_reproduces_the_stream_chunks() {
    let cfg = &vectors()["repository"]["config"];
    let ch = &cfg["chunker"];
    assert_eq!(s(ch, "algorithm"), "fastcdc-2020");
    let level = match u(ch, "normalization") {
        0 => fastcdc::v2020::Normalization::Level0,
        1 => fastcdc::v2020::Normalization::Level1,
        2 => fastcdc::v2020::Normalization::Level2,
        _ => fastcdc::v2020::Normalization::Level3,
    };
    for st in list(vectors(), "streams") {
        let data = read(s(st, "file"));
        let cdc = fastcdc::v2020::StreamCDC::with_level(
            &data[..],
            u(ch, "min_size") as usize,
            u(ch, "avg_size") as usize,
            u(ch, "max_size") as usize,
            level,
        );
        let mut lens = Vec::new();
        let mut ids = Vec::new();
        for c in cdc {
            let c = c.unwrap();
            lens.push(json!(c.data.len()));
            ids.push(json!(Id::hash(&c.data).to_hex()));
        }
        assert_eq!(&lens, list(st, "chunk_lengths"), "{}", s(st, "file"));
        assert_eq!(&ids, list(st, "chunks"), "{}", s(st, "file"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn assert_clean(repo: &Repository, read_data: bool) -> check::CheckReport {
    let report = check::check(
        repo,
        &CheckOptions {
            read_data,
            threads: 2,
        },
    )
    .unwrap();
    assert!(
        report.problems.is_empty(),
        "check (read_data {read_data}): {:?}",
        report.problems
    );
    assert!(
        report.warnings.is_empty(),
        "check (read_data {read_data}): {:?}",
        report.warnings
    );
    report
}

#[test]
fn tiny_repository_opens_checks_and_reads_back() {
    let v = vectors();
    let r = &v["repository"];
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    // Opening takes locks, which are written through tmp/: work on a copy.
    copy_dir(&vectors_dir().join(s(r, "dir")), &root);

    let repo = Repository::open(&root).unwrap();
    let cfg = indep::to_json(&indep::msgpack(&rmp_named(repo.config())).unwrap());
    json_subset(&r["config"], &cfg, "config").unwrap();

    let snaps = repo.snapshots().unwrap();
    let listed: Vec<&str> = list(r, "snapshots")
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        snaps.iter().map(|(id, _)| id.to_hex()).collect::<Vec<_>>(),
        listed
    );

    let ir = repo.load_index().unwrap();
    let index_files: Vec<&str> = list(r, "index_files")
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        ir.index
            .files
            .iter()
            .map(|i| i.to_hex())
            .collect::<Vec<_>>(),
        index_files
    );
    let repo_chunks: usize = list(v, "packs")
        .iter()
        .filter(|p| s(p, "file").starts_with("repo/"))
        .map(|p| list(p, "entries").len())
        .sum();
    assert_eq!(ir.index.chunk_count(), repo_chunks);

    for read_data in [false, true] {
        let rep = assert_clean(&repo, read_data);
        assert_eq!(rep.snapshots, 1);
        assert_eq!(rep.packs, list(r, "packs").len());
        assert_eq!(rep.chunks, repo_chunks);
    }

    // Every stream of every snapshot reads back to its plaintext.
    let mut streams_read = 0;
    for (id, snap) in &snaps {
        for t in &snap.tables {
            for (i, part) in t.parts.iter().enumerate() {
                let name = format!("{}.{}", Snapshot::describe_table(t), i);
                let st = list(v, "streams")
                    .iter()
                    .find(|st| s(st, "stream") == name)
                    .unwrap_or_else(|| panic!("no stream {name} listed"));
                let mut out = Vec::new();
                ir.read_stream(part.chunks.clone(), format!("{id} {name}"))
                    .read_to_end(&mut out)
                    .unwrap();
                assert!(out == read(s(st, "file")), "{name} reads back differently");
                streams_read += 1;
            }
        }
    }
    assert_eq!(streams_read, list(v, "streams").len());
    // Readers hold a shared lock; rebuild-index and prune need it exclusive.
    drop(ir);

    // The index is a cache of the pack tables: rebuilding it gives the same content.
    let shipped = IndexFile::decode(
        &read(&format!("{}/index/{}", s(r, "dir"), listed_index(r))),
        "index",
    )
    .unwrap();
    let rebuilt = repo.rebuild_index().unwrap();
    assert!(rebuilt.unreadable.is_empty());
    let new = rebuilt.new_index.unwrap().to_hex();
    let again = IndexFile::decode(
        &std::fs::read(root.join("index").join(&new)).unwrap(),
        "index",
    )
    .unwrap();
    assert_eq!(again, shipped);

    // Nothing is garbage: prune keeps everything and the repository stays sound.
    let pr = prune::prune(&repo, &PruneOptions::default()).unwrap();
    assert_eq!(
        (
            pr.chunks_removed,
            pr.packs_deleted,
            pr.packs_repacked,
            pr.unindexed_packs_deleted
        ),
        (0, 0, 0, 0)
    );
    assert_clean(&repo, true);
}

#[test]
fn independent_reader_restores_the_tiny_repository() {
    use indep::Mp;
    let v = vectors();
    let root = vectors_dir().join(s(&v["repository"], "dir"));
    let is_name =
        |n: &str| n.len() == 64 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let names = |dir: &str| -> Vec<String> {
        let mut out: Vec<String> = match std::fs::read_dir(root.join(dir)) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| is_name(n))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => panic!("{e}"),
        };
        out.sort();
        out
    };
    let named_file = |dir: &str, name: &str| {
        let b = std::fs::read(root.join(dir).join(name)).unwrap();
        assert_eq!(blake3_hex(&b), name, "{dir}/{name}");
        b
    };

    // Config first.
    indep::read_object("config", &std::fs::read(root.join("config")).unwrap()).unwrap();

    // Master index: chunk id -> (pack id, offset, stored_len, raw_len, codec).
    let mut index = std::collections::HashMap::new();
    for name in names("index") {
        let o = indep::read_object("index", &named_file("index", &name)).unwrap();
        let Some(Mp::Arr(packs)) = o.value.get("packs") else {
            panic!()
        };
        for p in packs {
            let Some(Mp::Bin(pack)) = p.get("id") else {
                panic!()
            };
            let Some(Mp::Arr(chunks)) = p.get("chunks") else {
                panic!()
            };
            for c in chunks {
                let n = |k| match c.get(k) {
                    Some(Mp::Uint(n)) => *n,
                    _ => panic!("{k}"),
                };
                let Some(Mp::Bin(id)) = c.get("id") else {
                    panic!()
                };
                index.entry(id.clone()).or_insert((
                    hex::encode(pack),
                    n("offset"),
                    n("stored_len"),
                    n("raw_len"),
                    n("codec"),
                ));
            }
        }
    }

    // Every part of every snapshot, chunk by chunk, each proven.
    let mut parts_read = 0;
    for name in names("snapshots") {
        let o = indep::read_object("snapshot", &named_file("snapshots", &name)).unwrap();
        let Some(Mp::Arr(tables)) = o.value.get("tables") else {
            panic!()
        };
        for t in tables {
            let text = |k| match t.get(k) {
                Some(Mp::Str(s)) => s.clone(),
                _ => String::new(),
            };
            let Some(Mp::Arr(parts)) = t.get("parts") else {
                panic!()
            };
            for (i, p) in parts.iter().enumerate() {
                let Some(Mp::Arr(chunks)) = p.get("chunks") else {
                    panic!()
                };
                let mut data = Vec::new();
                for c in chunks {
                    let Mp::Bin(id) = c else { panic!() };
                    let (pack, offset, stored_len, raw_len, codec) =
                        index.get(id).expect("chunk indexed").clone();
                    let bytes =
                        std::fs::read(root.join("data").join(&pack[..2]).join(&pack)).unwrap();
                    let stored = &bytes[offset as usize..(offset + stored_len) as usize];
                    let e = indep::Entry {
                        id: id.as_slice().try_into().unwrap(),
                        offset,
                        stored_len: stored_len as u32,
                        raw_len: raw_len as u32,
                        codec: codec as u8,
                    };
                    data.extend(indep::decode_chunk(&e, stored).unwrap());
                }
                let stream = format!("{}.{}.{i}", text("schema"), text("name"));
                let st = list(v, "streams")
                    .iter()
                    .find(|st| s(st, "stream") == stream)
                    .unwrap();
                assert!(data == read(s(st, "file")), "{stream}");
                parts_read += 1;
            }
        }
    }
    assert_eq!(parts_read, list(v, "streams").len());
}

fn listed_index(r: &Value) -> &str {
    list(r, "index_files")[0].as_str().unwrap()
}

// ---------------------------------------------------------------------------
// A second reader, written from format-spec/ alone
// ---------------------------------------------------------------------------

/// Reads envelopes, MessagePack payloads and packs following format-spec/
/// only: no pgkeep code, no MessagePack library. Errors carry the class a
/// reader must report: "UnsupportedVersion", "UnsupportedFeature" or
/// "Corrupt".
mod indep {
    use serde_json::{json, Map, Value};

    pub type Err = (&'static str, String);

    fn corrupt<T>(why: impl Into<String>) -> Result<T, Err> {
        Err(("Corrupt", why.into()))
    }

    fn le_u16(b: &[u8]) -> u16 {
        u16::from_le_bytes([b[0], b[1]])
    }
    fn le_u32(b: &[u8]) -> u32 {
        u32::from_le_bytes(b[..4].try_into().unwrap())
    }
    fn le_u64(b: &[u8]) -> u64 {
        u64::from_le_bytes(b[..8].try_into().unwrap())
    }

    pub struct Object {
        pub kind: u8,
        pub version: u8,
        pub codec: u8,
        pub flags: u8,
        pub body_len: u64,
        pub payload: Vec<u8>,
        pub value: Mp,
    }

    const ENVELOPE_HEADER: usize = 20;
    const TRAILER: usize = 32;
    const MAX_PAYLOAD: u64 = 1 << 30;

    /// format-spec/envelope.md, "Reading an envelope".
    pub fn open_envelope(bytes: &[u8], expected_kind: u8) -> Result<Object, Err> {
        if bytes.len() < ENVELOPE_HEADER + TRAILER {
            return corrupt("shorter than 52 bytes");
        }
        if &bytes[0..6] != b"PGKEEP" {
            return corrupt("bad magic");
        }
        let (covered, trailer) = bytes.split_at(bytes.len() - TRAILER);
        if blake3::hash(covered).as_bytes() != trailer {
            return corrupt("checksum");
        }
        let (kind, version, codec, flags) = (bytes[6], bytes[7], bytes[8], bytes[9]);
        if kind != expected_kind {
            return corrupt(format!("kind {:?}", kind as char));
        }
        if version == 0 {
            // Never written; the reference reports it as an unsupported version.
            return Err(("UnsupportedVersion", "version 0".into()));
        }
        if version > 1 {
            return Err(("UnsupportedVersion", format!("version {version}")));
        }
        if flags != 0 {
            return Err(("UnsupportedFeature", format!("flags {flags:#04x}")));
        }
        if bytes[10..12] != [0, 0] {
            return corrupt("reserved bytes");
        }
        let body_len = le_u64(&bytes[12..20]);
        let body = &covered[ENVELOPE_HEADER..];
        if body_len != body.len() as u64 {
            return corrupt("body length");
        }
        let payload = match codec {
            0 => body.to_vec(),
            1 => {
                let mut out = Vec::new();
                let mut d = zstd::stream::read::Decoder::new(body)
                    .map_err(|e| ("Corrupt", e.to_string()))?
                    .single_frame();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(&mut d, MAX_PAYLOAD + 1),
                    &mut out,
                )
                .map_err(|e| ("Corrupt", e.to_string()))?;
                if out.len() as u64 > MAX_PAYLOAD {
                    return corrupt("payload larger than 1 GiB");
                }
                out
            }
            other => return Err(("UnsupportedFeature", format!("codec {other}"))),
        };
        let value = msgpack(&payload)?;
        Ok(Object {
            kind,
            version,
            codec,
            flags,
            body_len,
            payload,
            value,
        })
    }

    /// Open an object of `kind` and check its payload against the schema.
    pub fn read_object(kind: &str, bytes: &[u8]) -> Result<Object, Err> {
        let k = match kind {
            "config" => b'C',
            "index" => b'I',
            "snapshot" => b'S',
            "lock" => b'L',
            _ => panic!("kind {kind}"),
        };
        let o = open_envelope(bytes, k)?;
        match kind {
            "config" => check_config(&o.value)?,
            "index" => check_index(&o.value)?,
            "snapshot" => check_snapshot(&o.value)?,
            _ => check_lock(&o.value)?,
        }
        Ok(o)
    }

    // --- MessagePack (format-spec/README.md "MessagePack") ---------------

    #[derive(Clone, Debug, PartialEq)]
    pub enum Mp {
        Nil,
        Bool(bool),
        Uint(u64),
        Int(i64),
        Float(f64),
        Str(String),
        Bin(Vec<u8>),
        Arr(Vec<Mp>),
        Map(Vec<(String, Mp)>),
    }

    impl Mp {
        pub fn get(&self, key: &str) -> Option<&Mp> {
            match self {
                Mp::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
    }

    /// Decode one MessagePack value that fills `data` exactly.
    pub fn msgpack(data: &[u8]) -> Result<Mp, Err> {
        let mut pos = 0;
        let v = value(data, &mut pos, 0)?;
        if pos != data.len() {
            return corrupt("trailing bytes after the payload");
        }
        Ok(v)
    }

    fn take<'a>(d: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], Err> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= d.len())
            .ok_or(("Corrupt", "MessagePack truncated".to_string()))?;
        let s = &d[*pos..end];
        *pos = end;
        Ok(s)
    }

    fn be(d: &[u8], pos: &mut usize, n: usize) -> Result<u64, Err> {
        Ok(take(d, pos, n)?
            .iter()
            .fold(0u64, |a, b| a << 8 | *b as u64))
    }

    fn value(d: &[u8], pos: &mut usize, depth: usize) -> Result<Mp, Err> {
        if depth > 64 {
            return corrupt("MessagePack nested too deeply");
        }
        let m = take(d, pos, 1)?[0];
        let str_of = |b: &[u8]| {
            String::from_utf8(b.to_vec())
                .map(Mp::Str)
                .map_err(|_| ("Corrupt", "invalid UTF-8".to_string()))
        };
        Ok(match m {
            0x00..=0x7f => Mp::Uint(m as u64),
            0x80..=0x8f => map(d, pos, (m & 0x0f) as usize, depth)?,
            0x90..=0x9f => arr(d, pos, (m & 0x0f) as usize, depth)?,
            0xa0..=0xbf => str_of(take(d, pos, (m & 0x1f) as usize)?)?,
            0xc0 => Mp::Nil,
            0xc2 => Mp::Bool(false),
            0xc3 => Mp::Bool(true),
            0xc4..=0xc6 => {
                let n = be(d, pos, 1 << (m - 0xc4))? as usize;
                Mp::Bin(take(d, pos, n)?.to_vec())
            }
            0xca => Mp::Float(f32::from_bits(be(d, pos, 4)? as u32) as f64),
            0xcb => Mp::Float(f64::from_bits(be(d, pos, 8)?)),
            0xcc..=0xcf => Mp::Uint(be(d, pos, 1 << (m - 0xcc))?),
            0xd0..=0xd3 => {
                let n = 1usize << (m - 0xd0);
                let raw = be(d, pos, n)?;
                let shift = 64 - 8 * n as u32;
                Mp::Int(((raw << shift) as i64) >> shift)
            }
            0xd9..=0xdb => {
                let n = be(d, pos, 1 << (m - 0xd9))? as usize;
                str_of(take(d, pos, n)?)?
            }
            0xdc | 0xdd => {
                let n = be(d, pos, if m == 0xdc { 2 } else { 4 })? as usize;
                arr(d, pos, n, depth)?
            }
            0xde | 0xdf => {
                let n = be(d, pos, if m == 0xde { 2 } else { 4 })? as usize;
                map(d, pos, n, depth)?
            }
            0xe0..=0xff => Mp::Int(m as i8 as i64),
            _ => {
                return corrupt(format!(
                    "MessagePack marker {m:#04x} is not used by the format"
                ))
            }
        })
    }

    fn arr(d: &[u8], pos: &mut usize, n: usize, depth: usize) -> Result<Mp, Err> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(value(d, pos, depth + 1)?);
        }
        Ok(Mp::Arr(v))
    }

    fn map(d: &[u8], pos: &mut usize, n: usize, depth: usize) -> Result<Mp, Err> {
        let mut v: Vec<(String, Mp)> = Vec::new();
        for _ in 0..n {
            let Mp::Str(k) = value(d, pos, depth + 1)? else {
                return corrupt("map key is not a string");
            };
            if v.iter().any(|(x, _)| *x == k) {
                return corrupt(format!("duplicate key {k}"));
            }
            let val = value(d, pos, depth + 1)?;
            v.push((k, val));
        }
        Ok(Mp::Map(v))
    }

    /// The JSON form used in vectors.json: bin as lowercase hex.
    pub fn to_json(v: &Mp) -> Value {
        match v {
            Mp::Nil => Value::Null,
            Mp::Bool(b) => json!(b),
            Mp::Uint(n) => json!(n),
            Mp::Int(n) => json!(n),
            Mp::Float(f) => json!(f),
            Mp::Str(s) => json!(s),
            Mp::Bin(b) => json!(hex::encode(b)),
            Mp::Arr(a) => Value::Array(a.iter().map(to_json).collect()),
            Mp::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), to_json(v)))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    // --- Schemas (format-spec/*.md) --------------------------------------

    fn req<'a>(m: &'a Mp, key: &str) -> Result<&'a Mp, Err> {
        m.get(key)
            .ok_or(("Corrupt", format!("required key {key} is missing")))
    }
    fn uint(v: &Mp, max: u64) -> Result<u64, Err> {
        match v {
            Mp::Uint(n) if *n <= max => Ok(*n),
            _ => corrupt(format!("{v:?} is not an unsigned integer up to {max}")),
        }
    }
    fn int(v: &Mp) -> Result<i64, Err> {
        match v {
            Mp::Uint(n) if *n <= i64::MAX as u64 => Ok(*n as i64),
            Mp::Int(n) => Ok(*n),
            _ => corrupt(format!("{v:?} is not an integer")),
        }
    }
    fn string(v: &Mp) -> Result<&str, Err> {
        match v {
            Mp::Str(s) => Ok(s),
            _ => corrupt(format!("{v:?} is not a string")),
        }
    }
    fn id(v: &Mp) -> Result<[u8; 32], Err> {
        match v {
            Mp::Bin(b) if b.len() == 32 => Ok(b.as_slice().try_into().unwrap()),
            _ => corrupt(format!("{v:?} is not a 32-byte bin")),
        }
    }
    fn array(v: &Mp) -> Result<&[Mp], Err> {
        match v {
            Mp::Arr(a) => Ok(a),
            _ => corrupt(format!("{v:?} is not an array")),
        }
    }
    fn is_map(v: &Mp) -> Result<&Mp, Err> {
        match v {
            Mp::Map(_) => Ok(v),
            _ => corrupt(format!("{v:?} is not a map")),
        }
    }
    fn boolean(v: &Mp) -> Result<bool, Err> {
        match v {
            Mp::Bool(b) => Ok(*b),
            _ => corrupt(format!("{v:?} is not a boolean")),
        }
    }
    /// An optional key: absent means the default; present must have the type.
    fn opt<'a, T>(
        m: &'a Mp,
        key: &str,
        f: impl Fn(&'a Mp) -> Result<T, Err>,
    ) -> Result<Option<T>, Err> {
        m.get(key).map(f).transpose()
    }
    /// An optional key of an Option type: absent or nil means none.
    fn opt_nil<'a, T>(
        m: &'a Mp,
        key: &str,
        f: impl Fn(&'a Mp) -> Result<T, Err>,
    ) -> Result<Option<T>, Err> {
        match m.get(key) {
            None | Some(Mp::Nil) => Ok(None),
            Some(v) => f(v).map(Some),
        }
    }
    const U8: u64 = u8::MAX as u64;
    const U16: u64 = u16::MAX as u64;
    const U32: u64 = u32::MAX as u64;
    const U64: u64 = u64::MAX;
    const MAX_CHUNK: u64 = 64 << 20;

    fn check_config(c: &Mp) -> Result<(), Err> {
        is_map(c)?;
        let version = uint(req(c, "version")?, U32)?;
        id(req(c, "id")?)?;
        string(req(c, "created")?)?;
        let hash = string(req(c, "hash")?)?;
        let ch = is_map(req(c, "chunker")?)?;
        let chunker = string(req(ch, "algorithm")?)?;
        for k in ["min_size", "avg_size", "max_size"] {
            uint(req(ch, k)?, U32)?;
        }
        uint(req(ch, "normalization")?, U8)?;
        let co = is_map(req(c, "compression")?)?;
        let compression = string(req(co, "algorithm")?)?;
        int(req(co, "level")?)?;
        uint(req(c, "pack_size")?, U64)?;
        let encryption = string(req(c, "encryption")?)?;
        if version > 1 {
            return Err(("UnsupportedVersion", format!("config version {version}")));
        }
        for (what, got, want) in [
            ("hash", hash, "blake3"),
            ("encryption", encryption, "none"),
            ("chunker", chunker, "fastcdc-2020"),
            ("compression", compression, "zstd"),
        ] {
            if got != want {
                return Err(("UnsupportedFeature", format!("{what} {got}")));
            }
        }
        Ok(())
    }

    fn check_index(f: &Mp) -> Result<(), Err> {
        is_map(f)?;
        for p in array(req(f, "packs")?)? {
            is_map(p)?;
            id(req(p, "id")?)?;
            let size = uint(req(p, "size")?, U64)?;
            for c in array(req(p, "chunks")?)? {
                is_map(c)?;
                id(req(c, "id")?)?;
                let offset = uint(req(c, "offset")?, U64)?;
                let stored = uint(req(c, "stored_len")?, U32)?;
                let raw = uint(req(c, "raw_len")?, U32)?;
                let codec = uint(req(c, "codec")?, U8)?;
                if codec > 1 {
                    return corrupt(format!("codec {codec}"));
                }
                if stored > MAX_CHUNK || raw > MAX_CHUNK {
                    return corrupt("chunk larger than 64 MiB");
                }
                if offset.saturating_add(stored) > size {
                    return corrupt("chunk beyond the end of its pack");
                }
            }
        }
        Ok(())
    }

    fn strings(v: &Mp) -> Result<(), Err> {
        array(v)?.iter().try_for_each(|s| string(s).map(|_| ()))
    }

    fn check_snapshot(sn: &Mp) -> Result<(), Err> {
        is_map(sn)?;
        for k in ["time_start", "time_end", "pgkeep_version", "hostname"] {
            opt(sn, k, string)?;
        }
        if let Some(src) = opt(sn, "source", is_map)? {
            for k in ["host", "database", "server_version"] {
                opt(src, k, string)?;
            }
            opt(src, "port", |v| uint(v, U16))?;
            opt(src, "server_version_num", |v| uint(v, U32))?;
            opt_nil(src, "system_identifier", string)?;
        }
        if let Some(sc) = opt(sn, "scope", is_map)? {
            opt(sc, "kind", string)?;
            for k in [
                "include_schemas",
                "exclude_schemas",
                "include_tables",
                "exclude_tables",
                "exclude_table_data",
            ] {
                opt(sc, k, strings)?;
            }
            opt(sc, "schema_only", boolean)?;
            opt(sc, "data_only", boolean)?;
        }
        opt_nil(sn, "tenant", string)?;
        opt(sn, "tags", strings)?;
        opt_nil(sn, "label", string)?;
        opt_nil(sn, "parent", id)?;
        for e in opt(sn, "ddl", array)?.unwrap_or_default() {
            is_map(e)?;
            opt(e, "id", |v| uint(v, U32))?;
            if let Some(section) = opt(e, "section", string)? {
                if !["pre-data", "data", "post-data"].contains(&section) {
                    return corrupt(format!("section {section:?}"));
                }
            }
            for k in ["kind", "name", "create_sql"] {
                opt(e, k, string)?;
            }
            for k in ["schema", "owner", "drop_sql"] {
                opt_nil(e, k, string)?;
            }
            for d in opt(e, "deps", array)?.unwrap_or_default() {
                uint(d, U32)?;
            }
        }
        for t in opt(sn, "tables", array)?.unwrap_or_default() {
            is_map(t)?;
            opt(t, "schema", string)?;
            opt(t, "name", string)?;
            opt_nil(t, "ddl_entry", |v| uint(v, U32))?;
            for c in opt(t, "columns", array)?.unwrap_or_default() {
                is_map(c)?;
                opt(c, "name", string)?;
                opt(c, "type_name", string)?;
                opt(c, "type_oid", |v| uint(v, U32))?;
            }
            if let Some(f) = opt(t, "format", string)? {
                if !["binary", "text"].contains(&f) {
                    return corrupt(format!("copy format {f:?}"));
                }
            }
            for k in ["rows", "raw_bytes", "new_stored_bytes", "duration_ms"] {
                opt(t, k, |v| uint(v, U64))?;
            }
            for p in opt(t, "parts", array)?.unwrap_or_default() {
                is_map(p)?;
                opt_nil(p, "block_range", |v| match array(v)? {
                    [a, b] => Ok((uint(a, U64)?, uint(b, U64)?)),
                    _ => corrupt("block_range is not a pair"),
                })?;
                for k in ["rows", "raw_bytes", "new_stored_bytes"] {
                    opt(p, k, |v| uint(v, U64))?;
                }
                for c in opt(p, "chunks", array)?.unwrap_or_default() {
                    id(c)?;
                }
            }
        }
        opt(sn, "warnings", strings)?;
        if let Some(t) = opt(sn, "totals", is_map)? {
            for k in [
                "tables",
                "rows",
                "raw_bytes",
                "chunks",
                "new_chunks",
                "new_raw_bytes",
                "new_stored_bytes",
                "duration_ms",
            ] {
                opt(t, k, |v| uint(v, U64))?;
            }
        }
        Ok(())
    }

    fn check_lock(l: &Mp) -> Result<(), Err> {
        is_map(l)?;
        opt(l, "exclusive", boolean)?;
        opt(l, "pid", |v| uint(v, U32))?;
        opt_nil(l, "pid_start", |v| uint(v, U64))?;
        for k in ["hostname", "purpose", "created", "refreshed"] {
            opt(l, k, string)?;
        }
        opt(l, "nonce", id)?;
        Ok(())
    }

    // --- Packs (format-spec/packs.md) ---------------------------------------

    pub struct Entry {
        pub id: [u8; 32],
        pub offset: u64,
        pub stored_len: u32,
        pub raw_len: u32,
        pub codec: u8,
    }

    pub struct Pack {
        pub version: u16,
        pub flags: u16,
        pub count: u32,
        pub table_hash: [u8; 32],
        pub chunks: Vec<(Entry, Vec<u8>)>,
    }

    const PACK_HEADER: usize = 16;
    const PACK_FOOTER: usize = 48;
    const ENTRY: usize = 56;

    /// Parse a whole pack and prove every chunk.
    pub fn read_pack(b: &[u8]) -> Result<Pack, Err> {
        if b.len() < PACK_HEADER + PACK_FOOTER {
            return corrupt("shorter than an empty pack");
        }
        if &b[0..7] != b"PGKPACK" {
            return corrupt("bad magic");
        }
        if b[7] != 0x01 {
            return Err(("UnsupportedVersion", format!("magic version byte {}", b[7])));
        }
        let version = le_u16(&b[8..10]);
        if version != 1 {
            return Err(("UnsupportedVersion", format!("pack version {version}")));
        }
        let flags = le_u16(&b[10..12]);
        if flags != 0 {
            return Err(("UnsupportedFeature", format!("pack flags {flags:#06x}")));
        }
        if b[12..16] != [0; 4] {
            return corrupt("reserved header bytes");
        }
        let footer = &b[b.len() - PACK_FOOTER..];
        if &footer[40..48] != b"PGKPEND\x01" {
            return corrupt("no footer magic");
        }
        let count = le_u32(&footer[0..4]);
        if footer[4..8] != [0; 4] {
            return corrupt("reserved footer bytes");
        }
        let table_hash: [u8; 32] = footer[8..40].try_into().unwrap();
        let table_len = count as u64 * ENTRY as u64;
        if (PACK_HEADER + PACK_FOOTER) as u64 + table_len > b.len() as u64 {
            return corrupt("entry count does not fit");
        }
        let table_start = b.len() - PACK_FOOTER - table_len as usize;
        let table = &b[table_start..b.len() - PACK_FOOTER];
        if blake3::hash(table).as_bytes() != &table_hash {
            return corrupt("entry table checksum");
        }
        let mut next = PACK_HEADER as u64;
        let mut chunks = Vec::new();
        for e in table.chunks_exact(ENTRY) {
            let entry = Entry {
                id: e[0..32].try_into().unwrap(),
                offset: le_u64(&e[32..40]),
                stored_len: le_u32(&e[40..44]),
                raw_len: le_u32(&e[44..48]),
                codec: e[48],
            };
            if entry.codec > 1 {
                return corrupt(format!("codec {}", entry.codec));
            }
            if e[49..56] != [0; 7] {
                return corrupt("reserved entry bytes");
            }
            if entry.offset != next {
                return corrupt("chunks are not back to back");
            }
            if entry.stored_len as u64 > MAX_CHUNK || entry.raw_len as u64 > MAX_CHUNK {
                return corrupt("chunk larger than 64 MiB");
            }
            if entry.codec == 0 && entry.stored_len != entry.raw_len {
                return corrupt("stored chunk with differing lengths");
            }
            next += entry.stored_len as u64;
            chunks.push(entry);
        }
        if next != table_start as u64 {
            return corrupt("chunks do not end where the table starts");
        }
        let mut out = Vec::new();
        for e in chunks {
            let stored = &b[e.offset as usize..e.offset as usize + e.stored_len as usize];
            let raw = decode_chunk(&e, stored)?;
            out.push((e, raw));
        }
        Ok(Pack {
            version,
            flags,
            count,
            table_hash,
            chunks: out,
        })
    }

    /// Decompress a chunk and prove it: BLAKE3(plaintext) == id.
    pub fn decode_chunk(e: &Entry, stored: &[u8]) -> Result<Vec<u8>, Err> {
        let raw = if e.codec == 0 {
            stored.to_vec()
        } else {
            let mut out = Vec::new();
            let d =
                zstd::stream::read::Decoder::new(stored).map_err(|e| ("Corrupt", e.to_string()))?;
            std::io::Read::read_to_end(&mut std::io::Read::take(d, e.raw_len as u64 + 1), &mut out)
                .map_err(|e| ("Corrupt", e.to_string()))?;
            out
        };
        if raw.len() != e.raw_len as usize {
            return corrupt("decompressed length differs from raw_len");
        }
        if blake3::hash(&raw).as_bytes() != &e.id {
            return corrupt("chunk does not match its id");
        }
        Ok(raw)
    }
}

// ---------------------------------------------------------------------------
// Generation (PGKEEP_REGENERATE_VECTORS=1)
// ---------------------------------------------------------------------------

mod generate {
    use super::*;

    const T0: &str = "2024-05-01T11:59:00.000000Z";
    const T1: &str = "2024-05-01T12:00:00.000000Z";
    const T2: &str = "2024-05-01T12:00:03.250000Z";

    /// Text COPY rows of public.accounts (id, name, balance).
    fn accounts(rng: &mut Rng, ids: std::ops::RangeInclusive<u32>) -> Vec<u8> {
        const NAMES: [&str; 8] = [
            "Alice", "Bob", "Chidi", "Dana", "Emeka", "Fatima", "Goran", "Hana",
        ];
        let mut out = String::new();
        for id in ids {
            let name = NAMES[(rng.next() % 8) as usize];
            let cents = rng.next() % 10_000_000;
            if id % 17 == 0 {
                out += &format!("{id}\t{name} {id:04}\t\\N\n");
            } else {
                out += &format!("{id}\t{name} {id:04}\t{}.{:02}\n", cents / 100, cents % 100);
            }
        }
        out.into_bytes()
    }

    /// Binary COPY of public.blobs (id bigint, payload bytea): random
    /// payloads, so its chunks do not compress and are stored raw.
    fn blobs(rng: &mut Rng) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        for id in 1..=10i64 {
            b.extend_from_slice(&2i16.to_be_bytes());
            b.extend_from_slice(&8i32.to_be_bytes());
            b.extend_from_slice(&id.to_be_bytes());
            let n = 150 + (rng.next() % 150) as usize;
            b.extend_from_slice(&(n as i32).to_be_bytes());
            b.extend((0..n).map(|_| rng.next() as u8));
        }
        b.extend_from_slice(&(-1i16).to_be_bytes());
        b
    }

    fn write(dir: &Path, rel: &str, bytes: &[u8]) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }

    fn reseal(b: &mut [u8]) {
        let n = b.len() - 32;
        let sum = blake3::hash(&b[..n]);
        b[n..].copy_from_slice(sum.as_bytes());
    }

    /// An envelope with every header field chosen by the caller.
    fn frame(kind: u8, codec: u8, body: &[u8]) -> Vec<u8> {
        let mut out = b"PGKEEP".to_vec();
        out.extend_from_slice(&[kind, 1, codec, 0, 0, 0]);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&[0; 32]);
        reseal(&mut out);
        out
    }

    /// A MessagePack writer for hand-made payloads (unknown keys, missing
    /// keys, wide integers), which the library's types cannot produce.
    enum W {
        Nil,
        Bool(bool),
        Uint(u64),
        /// Always the 9-byte uint 64 form.
        Wide(u64),
        Int(i64),
        Str(String),
        Bin(Vec<u8>),
        Arr(Vec<W>),
        Map(Vec<(String, W)>),
    }

    fn st(s: &str) -> W {
        W::Str(s.into())
    }

    fn mapw(v: Vec<(&str, W)>) -> W {
        W::Map(v.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A str or bin header with the smallest length field.
    fn len_header(out: &mut Vec<u8>, n: usize, fix: Option<u8>, m8: u8) {
        match n {
            _ if fix.is_some() && n < 32 => out.push(fix.unwrap() | n as u8),
            0..=0xff => out.extend_from_slice(&[m8, n as u8]),
            0x100..=0xffff => {
                out.push(m8 + 1);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                out.push(m8 + 2);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
    }

    fn mp(w: &W, out: &mut Vec<u8>) {
        match w {
            W::Nil => out.push(0xc0),
            W::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            W::Uint(n) if *n < 128 => out.push(*n as u8),
            W::Uint(n) if *n <= u32::MAX as u64 => {
                out.push(0xce);
                out.extend_from_slice(&(*n as u32).to_be_bytes());
            }
            W::Uint(n) | W::Wide(n) => {
                out.push(0xcf);
                out.extend_from_slice(&n.to_be_bytes());
            }
            W::Int(n) => {
                out.push(0xd3);
                out.extend_from_slice(&n.to_be_bytes());
            }
            W::Str(s) => {
                len_header(out, s.len(), Some(0xa0), 0xd9);
                out.extend_from_slice(s.as_bytes());
            }
            W::Bin(b) => {
                len_header(out, b.len(), None, 0xc4);
                out.extend_from_slice(b);
            }
            W::Arr(a) => {
                out.push(0xdc);
                out.extend_from_slice(&(a.len() as u16).to_be_bytes());
                a.iter().for_each(|x| mp(x, out));
            }
            W::Map(m) => {
                out.push(0xde);
                out.extend_from_slice(&(m.len() as u16).to_be_bytes());
                for (k, v) in m {
                    mp(&W::Str(k.clone()), out);
                    mp(v, out);
                }
            }
        }
    }

    fn mp_bytes(w: &W) -> Vec<u8> {
        let mut out = Vec::new();
        mp(w, &mut out);
        out
    }

    /// Map a named MessagePack map through `f` (used to damage payloads).
    fn edit_payload(
        sealed: &[u8],
        kind: Kind,
        f: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Vec<u8> {
        let payload = envelope::open(kind, sealed, "x").unwrap();
        let mut v = indep::to_json(&indep::msgpack(&payload).unwrap());
        f(v.as_object_mut().unwrap());
        // Ids are the only bin values; put them back as bin.
        let w = from_json(&v);
        envelope::seal(kind, &mp_bytes(&w))
    }

    fn from_json(v: &Value) -> W {
        match v {
            Value::Null => W::Nil,
            Value::Bool(b) => W::Bool(*b),
            Value::Number(n) => n
                .as_u64()
                .map(W::Uint)
                .unwrap_or_else(|| W::Int(n.as_i64().unwrap())),
            Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                W::Bin(hex::decode(s).unwrap())
            }
            Value::String(s) => W::Str(s.clone()),
            Value::Array(a) => W::Arr(a.iter().map(from_json).collect()),
            Value::Object(m) => W::Map(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
        }
    }

    fn object_json(
        name: &str,
        file: &str,
        kind: &str,
        bytes: &[u8],
        named_by_hash: bool,
        decoded: Option<Value>,
    ) -> Value {
        let o = indep::open_envelope(bytes, bytes[6]).unwrap();
        let mut v = json!({
            "name": name,
            "file": file,
            "kind": kind,
            "blake3": blake3_hex(bytes),
            "size": bytes.len(),
            "named_by_hash": named_by_hash,
            "envelope": {
                "kind": (o.kind as char).to_string(),
                "version": o.version,
                "codec": o.codec,
                "flags": o.flags,
                "body_len": o.body_len,
            },
            "payload_len": o.payload.len(),
            "payload_blake3": blake3_hex(&o.payload),
            "payload": indep::to_json(&o.value),
        });
        if let Some(d) = decoded {
            v["decoded"] = d;
        }
        v
    }

    fn pack_json(file: &str, bytes: &[u8], named_by_hash: bool, plaintext: bool) -> Value {
        let p = indep::read_pack(bytes).unwrap();
        json!({
            "file": file,
            "blake3": blake3_hex(bytes),
            "size": bytes.len(),
            "named_by_hash": named_by_hash,
            "header": { "magic": "PGKPACK\\x01", "version": p.version, "flags": p.flags },
            "footer": { "count": p.count, "table_blake3": hex::encode(p.table_hash), "magic": "PGKPEND\\x01" },
            "table_offset": bytes.len() - 48 - 56 * p.count as usize,
            "entries": p.chunks.iter().map(|(e, _)| {
                let mut v = json!({
                    "id": hex::encode(e.id), "offset": e.offset, "stored_len": e.stored_len,
                    "raw_len": e.raw_len, "codec": e.codec,
                });
                if plaintext {
                    v["plaintext"] = json!(format!("chunks/{}", hex::encode(e.id)));
                }
                v
            }).collect::<Vec<_>>(),
        })
    }

    /// Chunker cut points on generated data (no files): every
    /// normalization level with tiny sizes, and pgkeep's default sizes.
    fn chunking_cases() -> Value {
        let mut cases = Vec::new();
        let mut case =
            |name: String, seed: u64, length: usize, min: u64, avg: u64, max: u64, level: u64| {
                let lens = fastcdc_lengths(&splitmix_bytes(seed, length), min, avg, max, level);
                cases.push(json!({
                    "name": name, "generator": "splitmix64", "seed": seed, "length": length,
                    "min_size": min, "avg_size": avg, "max_size": max, "normalization": level,
                    "chunk_lengths": lens,
                }));
            };
        for level in 0..=3 {
            case(
                format!("64 KiB, 256/1024/4096, level {level}"),
                1,
                64 << 10,
                256,
                1024,
                4096,
                level,
            );
        }
        case(
            "4 MiB, pgkeep defaults 128 KiB/512 KiB/2 MiB, level 1".into(),
            2,
            4 << 20,
            128 << 10,
            512 << 10,
            2 << 20,
            1,
        );
        Value::Array(cases)
    }

    pub fn all(dir: &Path) {
        for sub in ["repo", "objects", "chunks", "streams", "negative", "compat"] {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).unwrap();
            }
        }

        // --- Config ---------------------------------------------------------
        let config = RepoConfig {
            version: 1,
            id: Id::hash(b"pgkeep format v1 test vector repository"),
            created: T0.into(),
            hash: "blake3".into(),
            chunker: ChunkerParams {
                algorithm: "fastcdc-2020".into(),
                min_size: 256,
                avg_size: 1024,
                max_size: 4096,
                normalization: 1,
            },
            compression: CompressionParams {
                algorithm: "zstd".into(),
                level: 3,
            },
            pack_size: 1 << 20,
            encryption: "none".into(),
        };
        config.validate().unwrap();
        let config_bytes = envelope::seal_value(Kind::Config, &config);

        // --- Streams and chunks (the writer's chunker, as configured) -------
        let mut rng = Rng(0x5047_4b45_4550_0001);
        let streams: Vec<(&str, &str, u64, Vec<u8>)> = vec![
            (
                "public.accounts.0",
                "streams/public.accounts.0.copy",
                150,
                accounts(&mut rng, 1..=150),
            ),
            (
                "public.accounts.1",
                "streams/public.accounts.1.copy",
                90,
                accounts(&mut rng, 151..=240),
            ),
            (
                "public.blobs.0",
                "streams/public.blobs.0.copy",
                10,
                blobs(&mut rng),
            ),
        ];
        let c = &config.chunker;
        let mut chunked: Vec<Vec<Vec<u8>>> = Vec::new();
        for (_, _, _, data) in &streams {
            let cdc = fastcdc::v2020::StreamCDC::with_level(
                &data[..],
                c.min_size as usize,
                c.avg_size as usize,
                c.max_size as usize,
                fastcdc::v2020::Normalization::Level1,
            );
            chunked.push(cdc.map(|c| c.unwrap().data).collect());
        }

        // --- Pack: every distinct chunk once, in stream order ----------------
        let mut compressor = zstd::bulk::Compressor::new(config.compression.level).unwrap();
        let mut builder = PackBuilder::new();
        let mut seen = BTreeSet::new();
        let mut part_new_stored = Vec::new();
        let mut chunk_json = Vec::new();
        for chunks in &chunked {
            let mut new_stored = 0u64;
            for data in chunks {
                let id = Id::hash(data);
                if !seen.insert(id) {
                    continue;
                }
                let (codec, stored) = pack::encode_blob(&mut compressor, data);
                new_stored += stored.len() as u64;
                builder.add(id, data.len() as u32, codec, &stored);
                write(dir, &format!("chunks/{id}"), data);
                chunk_json.push(json!({
                    "id": id.to_hex(), "file": format!("chunks/{id}"), "blake3": id.to_hex(),
                    "raw_len": data.len(), "codec": codec as u8,
                }));
            }
            part_new_stored.push(new_stored);
        }
        let (pack_id, pack_bytes, entries) = builder.finish(Id::hash);
        assert!(
            entries.iter().any(|e| e.codec == Codec::None),
            "no stored-raw chunk"
        );
        assert!(
            entries.iter().any(|e| e.codec == Codec::Zstd),
            "no zstd chunk"
        );
        let pack_file = format!("repo/data/{}/{}", &pack_id.to_hex()[..2], pack_id);

        // --- Index file --------------------------------------------------------
        let index = IndexFile {
            packs: vec![IndexPack::from_entries(
                pack_id,
                pack_bytes.len() as u64,
                &entries,
            )],
        };
        let index_bytes = index.encode();
        let index_id = Id::hash(&index_bytes);

        // --- Snapshot -----------------------------------------------------------
        let ids = |i: usize| chunked[i].iter().map(|d| Id::hash(d)).collect::<Vec<_>>();
        let raw = |i: usize| streams[i].3.len() as u64;
        let part = |i: usize, range: Option<(u64, u64)>| Part {
            block_range: range,
            rows: streams[i].2,
            raw_bytes: raw(i),
            new_stored_bytes: part_new_stored[i],
            chunks: ids(i),
        };
        let col = |name: &str, type_name: &str, type_oid: u32| Column {
            name: name.into(),
            type_name: type_name.into(),
            type_oid,
            ..Column::default()
        };
        let ddl = |id: u32,
                   section: Section,
                   kind: &str,
                   name: &str,
                   create: &str,
                   drop: Option<&str>,
                   deps: Vec<u32>| DdlEntry {
            id,
            section,
            kind: pgkeep::manifest::EntryKind::from_word(kind),
            schema: Some("public".into()),
            name: name.into(),
            owner: Some("app".into()),
            create_sql: create.into(),
            drop_sql: drop.map(Into::into),
            deps,
            ..DdlEntry::default()
        };
        let total_refs: usize = chunked.iter().map(|c| c.len()).sum();
        let snapshot = Snapshot {
            time_start: pgkeep::manifest::Timestamp::parse(T1).unwrap(),
            time_end: pgkeep::manifest::Timestamp::parse(T2).unwrap(),
            pgkeep_version: "0.1.0".into(),
            hostname: "vector-host".into(),
            source: Source {
                host: "/var/run/postgresql".into(),
                port: 5432,
                database: "shop".into(),
                server_version: "16.3".into(),
                server_version_num: 160003,
                system_identifier: Some("7364981234567890123".into()),
                encoding: "UTF8".into(),
            },
            scope: Scope { kind: pgkeep::manifest::snapshot::ScopeKind::Database, ..Scope::default() },
            tenant: Some("acme".into()),
            tags: vec!["nightly".into(), "vector".into()],
            label: Some("format v1 test vector".into()),
            parent: None,
            original: None,
            ddl: vec![
                ddl(1, Section::PreData, "TABLE", "accounts",
                    "CREATE TABLE public.accounts (\n    id bigint NOT NULL,\n    name text NOT NULL,\n    balance numeric(12,2)\n);\n",
                    Some("DROP TABLE public.accounts;\n"), vec![]),
                ddl(2, Section::PreData, "SEQUENCE", "accounts_id_seq",
                    "CREATE SEQUENCE public.accounts_id_seq;\n",
                    Some("DROP SEQUENCE public.accounts_id_seq;\n"), vec![1]),
                ddl(3, Section::PreData, "TABLE", "blobs",
                    "CREATE TABLE public.blobs (\n    id bigint NOT NULL,\n    payload bytea\n);\n",
                    Some("DROP TABLE public.blobs;\n"), vec![]),
                ddl(4, Section::Data, "SEQUENCE SET", "accounts_id_seq",
                    "SELECT pg_catalog.setval('public.accounts_id_seq', 240, true);\n", None, vec![2]),
                DdlEntry {
                    two_step: Some(TwoStep {
                        method: pgkeep::manifest::snapshot::TwoStepMethod::UniqueIndex,
                        first: "CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id);\n".into(),
                        second: "ALTER TABLE ONLY public.accounts\n    ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey;\n".into(),
                    }),
                    ..ddl(5, Section::PostData, "CONSTRAINT", "accounts accounts_pkey",
                        "ALTER TABLE ONLY public.accounts\n    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);\n",
                        Some("ALTER TABLE ONLY public.accounts DROP CONSTRAINT accounts_pkey;\n"), vec![1])
                },
            ],
            relative_schema: None,
            search_path: String::new(),
            qualified_names: true,
            large_objects: None,
            tables: vec![
                TableData {
                    schema: "public".into(),
                    name: "accounts".into(),
                    ddl_entry: Some(1),
                    columns: vec![col("id", "bigint", 20), col("name", "text", 25), col("balance", "numeric(12,2)", 1700)],
                    format: CopyFormat::Text,
                    text_reason: Some("test vector: written as text".into()),
                    rows: streams[0].2 + streams[1].2,
                    raw_bytes: raw(0) + raw(1),
                    new_stored_bytes: part_new_stored[0] + part_new_stored[1],
                    duration_ms: 1200,
                    parts: vec![part(0, Some((0, 1))), part(1, Some((1, 2)))],
                },
                TableData {
                    schema: "public".into(),
                    name: "blobs".into(),
                    ddl_entry: Some(3),
                    columns: vec![col("id", "bigint", 20), col("payload", "bytea", 17)],
                    format: CopyFormat::Binary,
                    text_reason: None,
                    rows: streams[2].2,
                    raw_bytes: raw(2),
                    new_stored_bytes: part_new_stored[2],
                    duration_ms: 800,
                    parts: vec![part(2, None)],
                },
            ],
            warnings: vec!["test vector: no database was read".into()],
            totals: Totals {
                tables: 2,
                rows: streams.iter().map(|s| s.2).sum(),
                raw_bytes: (0..3).map(raw).sum(),
                chunks: total_refs as u64,
                new_chunks: entries.len() as u64,
                new_raw_bytes: entries.iter().map(|e| e.raw_len as u64).sum(),
                new_stored_bytes: entries.iter().map(|e| e.stored_len as u64).sum(),
                duration_ms: 3250,
                dedup_raw_bytes: 0,
            },
        };
        let snapshot_bytes = snapshot.encode();
        let snapshot_id = Id::hash(&snapshot_bytes);

        // --- Lock (outside the repository: a lock there would be stale) -----
        let lock = LockInfo {
            exclusive: false,
            hostname: "vector-host".into(),
            pid: 4242,
            pid_start: Some(123_456),
            purpose: "backup".into(),
            created: T1.into(),
            refreshed: T1.into(),
            nonce: Id::hash(b"pgkeep format v1 test vector lock nonce"),
            // A lock as pgkeep 0.1.0 wrote it (no boot id, no pid namespace).
            boot_id: None,
            pid_namespace: None,
        };
        let lock_bytes = envelope::seal_value(Kind::Lock, &lock);
        let lock_id = Id::hash(&lock_bytes);

        // --- The repository -------------------------------------------------------
        let index_file = format!("repo/index/{index_id}");
        let snapshot_file = format!("repo/snapshots/{snapshot_id}");
        write(dir, "repo/config", &config_bytes);
        write(dir, &pack_file, &pack_bytes);
        write(dir, &index_file, &index_bytes);
        write(dir, &snapshot_file, &snapshot_bytes);
        write(dir, "repo/locks/.gitkeep", b"");
        write(dir, "repo/tmp/.gitkeep", b"");
        let lock_file = format!("objects/lock/{lock_id}");
        write(dir, &lock_file, &lock_bytes);

        let mut stream_json = Vec::new();
        for (i, (name, file, rows, data)) in streams.iter().enumerate() {
            write(dir, file, data);
            stream_json.push(json!({
                "stream": name, "file": file, "blake3": blake3_hex(data), "size": data.len(), "rows": rows,
                "chunks": ids(i).iter().map(|i| i.to_hex()).collect::<Vec<_>>(),
                "chunk_lengths": chunked[i].iter().map(|c| c.len()).collect::<Vec<_>>(),
            }));
        }

        let objects = vec![
            object_json(
                "config",
                "repo/config",
                "config",
                &config_bytes,
                false,
                None,
            ),
            object_json("index file", &index_file, "index", &index_bytes, true, None),
            object_json(
                "snapshot",
                &snapshot_file,
                "snapshot",
                &snapshot_bytes,
                true,
                None,
            ),
            object_json("lock", &lock_file, "lock", &lock_bytes, true, None),
        ];

        // --- Compatibility: objects a v1 reader must accept --------------------
        let mut compat = Vec::new();
        let mut add_compat = |name: &str, file: &str, kind: &str, bytes: Vec<u8>| {
            write(dir, file, &bytes);
            let decoded = library_decode(kind, &bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            compat.push(object_json(name, file, kind, &bytes, false, Some(decoded)));
        };
        // An empty map: every snapshot key takes its default. Stored, not compressed.
        add_compat(
            "snapshot with no keys (all defaults), codec 0",
            "compat/snapshot-empty-map",
            "snapshot",
            frame(b'S', 0, &[0x80]),
        );
        add_compat(
            "lock with no keys (all defaults), codec 0",
            "compat/lock-empty-map",
            "lock",
            frame(b'L', 0, &[0x80]),
        );
        // Unknown keys at every level, of every type; wide integer encodings.
        let chunk0 = Id::hash(&chunked[0][0]);
        let future_snapshot = mapw(vec![
            ("time_start", st(T1)),
            (
                "future_top_level",
                mapw(vec![(
                    "nested",
                    W::Arr(vec![
                        W::Uint(1),
                        st("x"),
                        W::Bin(vec![1, 2, 3]),
                        W::Nil,
                        W::Bool(true),
                        W::Int(-7),
                    ]),
                )]),
            ),
            (
                "tables",
                W::Arr(vec![mapw(vec![
                    ("schema", st("public")),
                    ("name", st("accounts")),
                    ("future_table_key", W::Bool(true)),
                    ("format", st("text")),
                    ("rows", W::Wide(3)),
                    (
                        "parts",
                        W::Arr(vec![mapw(vec![
                            ("future_part_key", W::Int(-5)),
                            ("block_range", W::Arr(vec![W::Wide(0), W::Uint(1)])),
                            ("chunks", W::Arr(vec![W::Bin(chunk0.0.to_vec())])),
                        ])]),
                    ),
                ])]),
            ),
            (
                "totals",
                mapw(vec![("rows", W::Uint(3)), ("future_total", W::Nil)]),
            ),
        ]);
        add_compat(
            "snapshot with unknown keys and wide integers, codec 0",
            "compat/snapshot-future-keys",
            "snapshot",
            frame(b'S', 0, &mp_bytes(&future_snapshot)),
        );
        let future_config = mapw(vec![
            ("version", W::Wide(1)),
            ("id", W::Bin(config.id.0.to_vec())),
            ("created", st(T0)),
            ("hash", st("blake3")),
            (
                "chunker",
                mapw(vec![
                    ("algorithm", st("fastcdc-2020")),
                    ("min_size", W::Wide(256)),
                    ("avg_size", W::Uint(1024)),
                    ("max_size", W::Uint(4096)),
                    ("normalization", W::Uint(1)),
                    ("future_chunker_key", st("ignored")),
                ]),
            ),
            (
                "compression",
                mapw(vec![("algorithm", st("zstd")), ("level", W::Int(3))]),
            ),
            ("pack_size", W::Uint(1 << 20)),
            ("encryption", st("none")),
            ("future_setting", mapw(vec![("x", W::Uint(9))])),
        ]);
        let fc = mp_bytes(&future_config);
        add_compat(
            "config with unknown keys and wide integers, zstd",
            "compat/config-future-keys",
            "config",
            {
                let body = zstd::bulk::compress(&fc, 3).unwrap();
                frame(b'C', 1, &body)
            },
        );
        let future_index = mapw(vec![
            (
                "packs",
                W::Arr(vec![mapw(vec![
                    ("id", W::Bin(pack_id.0.to_vec())),
                    ("size", W::Uint(pack_bytes.len() as u64)),
                    ("future_pack_key", W::Arr(vec![])),
                    (
                        "chunks",
                        W::Arr(vec![mapw(vec![
                            ("id", W::Bin(entries[0].id.0.to_vec())),
                            ("offset", W::Wide(entries[0].offset)),
                            ("stored_len", W::Uint(entries[0].stored_len as u64)),
                            ("raw_len", W::Uint(entries[0].raw_len as u64)),
                            ("codec", W::Uint(entries[0].codec as u64)),
                            ("future_chunk_key", st("ignored")),
                        ])]),
                    ),
                ])]),
            ),
            ("future_index_key", W::Uint(1)),
        ]);
        add_compat(
            "index file with unknown keys, codec 0",
            "compat/index-future-keys",
            "index",
            frame(b'I', 0, &mp_bytes(&future_index)),
        );

        let empty_pack = PackBuilder::new().finish(Id::hash).1;

        // --- A small pack of two chunks (zstd and stored), for the negatives --
        let small_chunks: Vec<Vec<u8>> = vec![
            b"pgkeep ".repeat(20),
            (0..48).map(|_| rng.next() as u8).collect(),
        ];
        let mut small = PackBuilder::new();
        for data in &small_chunks {
            let id = Id::hash(data);
            let (codec, stored) = pack::encode_blob(&mut compressor, data);
            small.add(id, data.len() as u32, codec, &stored);
            write(dir, &format!("chunks/{id}"), data);
            chunk_json.push(json!({
                "id": id.to_hex(), "file": format!("chunks/{id}"), "blake3": id.to_hex(),
                "raw_len": data.len(), "codec": codec as u8,
            }));
        }
        let (small_id, small_bytes, small_entries) = small.finish(Id::hash);
        assert_eq!(
            small_entries.iter().map(|e| e.codec).collect::<Vec<_>>(),
            [Codec::Zstd, Codec::None]
        );
        let small_file = format!("objects/pack/{small_id}");
        write(dir, &small_file, &small_bytes);
        write(dir, "compat/pack-empty", &empty_pack);

        // --- Negative vectors: objects a v1 reader must refuse -------------------
        let mut negative = Vec::new();
        let mut neg = |file: &str, open_as: &str, expect: &str, why: &str, bytes: Vec<u8>| {
            write(dir, file, &bytes);
            negative.push(json!({
                "file": file, "open_as": open_as, "expect": expect, "why": why,
                "blake3": blake3_hex(&bytes), "size": bytes.len(),
            }));
        };
        let header_edit = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = config_bytes.clone();
            f(&mut b);
            reseal(&mut b);
            b
        };
        neg(
            "negative/envelope-version-2",
            "config",
            "UnsupportedVersion",
            "the config with envelope version byte 2 (checksum valid): newer format, upgrade",
            header_edit(&|b| b[7] = 2),
        );
        neg(
            "negative/envelope-encrypted",
            "config",
            "UnsupportedFeature",
            "the config with envelope flag bit 0 (encrypted) set (checksum valid)",
            header_edit(&|b| b[9] = 0x01),
        );
        neg(
            "negative/envelope-unknown-flag",
            "config",
            "UnsupportedFeature",
            "the config with envelope flag bit 7 set (checksum valid)",
            header_edit(&|b| b[9] = 0x80),
        );
        neg(
            "negative/envelope-unknown-codec",
            "config",
            "UnsupportedFeature",
            "the config with codec byte 2 (checksum valid)",
            header_edit(&|b| b[8] = 2),
        );
        neg(
            "negative/envelope-reserved-nonzero",
            "config",
            "Corrupt",
            "the config with reserved header byte 11 set to 1 (checksum valid)",
            header_edit(&|b| b[11] = 1),
        );
        neg(
            "negative/envelope-length-mismatch",
            "config",
            "Corrupt",
            "the config with the body length field one too large (checksum valid)",
            header_edit(&|b| {
                let n = u64::from_le_bytes(b[12..20].try_into().unwrap()) + 1;
                b[12..20].copy_from_slice(&n.to_le_bytes());
            }),
        );
        neg(
            "negative/envelope-bad-checksum",
            "config",
            "Corrupt",
            "the config with one bit of its body flipped",
            {
                let mut b = config_bytes.clone();
                b[20] ^= 0x01;
                b
            },
        );
        neg(
            "negative/envelope-truncated",
            "config",
            "Corrupt",
            "the first 51 bytes of the config (shorter than the smallest envelope)",
            config_bytes[..51].to_vec(),
        );
        neg(
            "negative/envelope-wrong-kind",
            "index",
            "Corrupt",
            "the snapshot, opened where an index file is expected (kind byte 'S', not 'I')",
            snapshot_bytes.clone(),
        );
        neg(
            "negative/config-version-2",
            "config",
            "UnsupportedVersion",
            "a valid v1 envelope whose config payload says version 2",
            edit_payload(&config_bytes, Kind::Config, |m| {
                m.insert("version".into(), json!(2));
            }),
        );
        neg(
            "negative/config-encrypted",
            "config",
            "UnsupportedFeature",
            "a config whose encryption names a scheme this reader does not implement",
            edit_payload(&config_bytes, Kind::Config, |m| {
                m.insert("encryption".into(), json!("aes-256-gcm-siv"));
            }),
        );
        neg(
            "negative/config-missing-key",
            "config",
            "Corrupt",
            "a config without the required key pack_size",
            edit_payload(&config_bytes, Kind::Config, |m| {
                m.remove("pack_size");
            }),
        );
        neg(
            "negative/snapshot-unknown-section",
            "snapshot",
            "Corrupt",
            "a snapshot whose first DDL entry has section \"mid-data\" (unknown enum value)",
            edit_payload(&snapshot_bytes, Kind::Snapshot, |m| {
                m["ddl"][0]["section"] = json!("mid-data");
            }),
        );
        neg(
            "negative/snapshot-unknown-copy-format",
            "snapshot",
            "Corrupt",
            "a snapshot whose first table has format \"csv\" (unknown enum value)",
            edit_payload(&snapshot_bytes, Kind::Snapshot, |m| {
                m["tables"][0]["format"] = json!("csv");
            }),
        );
        neg(
            "negative/index-unknown-codec",
            "index",
            "Corrupt",
            "an index file listing a chunk with codec 2",
            edit_payload(&index_bytes, Kind::Index, |m| {
                m["packs"][0]["chunks"][0]["codec"] = json!(2);
            }),
        );

        // Pack negatives are edits of the small pack (objects/pack/).
        let pack_edit = |f: &dyn Fn(&mut Vec<u8>), rehash_table: bool| {
            let mut b = small_bytes.clone();
            f(&mut b);
            if rehash_table {
                let n = b.len();
                let start = n - 48 - 56 * small_entries.len();
                let h = blake3::hash(&b[start..n - 48]);
                b[n - 40..n - 8].copy_from_slice(h.as_bytes());
            }
            b
        };
        let table_start = small_bytes.len() - 48 - 56 * small_entries.len();
        let raw_entry = 1;
        neg(
            "negative/pack-truncated",
            "pack",
            "Corrupt",
            "the small pack without its last 10 bytes",
            small_bytes[..small_bytes.len() - 10].to_vec(),
        );
        neg(
            "negative/pack-version-2",
            "pack",
            "UnsupportedVersion",
            "the small pack with header version field 2",
            pack_edit(&|b| b[8] = 2, false),
        );
        neg(
            "negative/pack-magic-version-2",
            "pack",
            "UnsupportedVersion",
            "the small pack with header magic \"PGKPACK\\x02\"",
            pack_edit(&|b| b[7] = 2, false),
        );
        neg(
            "negative/pack-encrypted",
            "pack",
            "UnsupportedFeature",
            "the small pack with header flag bit 0 (encrypted) set",
            pack_edit(&|b| b[10] = 0x01, false),
        );
        neg("negative/pack-table-checksum", "pack", "Corrupt",
            "the small pack with one bit of the first entry's raw_len flipped (table hash not updated)",
            pack_edit(&|b| b[table_start + 44] ^= 0x01, false));
        neg("negative/pack-entries-out-of-order", "pack", "Corrupt",
            "the small pack with its first two table entries swapped (table hash updated): entries must be in file order",
            pack_edit(&|b| {
                let (a, c) = (table_start, table_start + 56);
                let first = b[a..a + 56].to_vec();
                b.copy_within(c..c + 56, a);
                b[c..c + 56].copy_from_slice(&first);
            }, true));
        neg(
            "negative/pack-raw-lengths-differ",
            "pack",
            "Corrupt",
            "the small pack with raw_len + 1 on a codec 0 entry (table hash updated)",
            pack_edit(
                &|b| {
                    let at = table_start + 56 * raw_entry + 44;
                    let n = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) + 1;
                    b[at..at + 4].copy_from_slice(&n.to_le_bytes());
                },
                true,
            ),
        );
        neg("negative/pack-chunk-damaged", "pack", "Corrupt",
            "the small pack with one bit flipped inside a codec 0 chunk: its table is sound but the chunk does not hash to its id",
            pack_edit(&|b| b[small_entries[raw_entry].offset as usize + 5] ^= 0x01, false));

        let doc = json!({
            "format_version": 1,
            "generated_by": "tests/format_vectors.rs (PGKEEP_REGENERATE_VECTORS=1)",
            "json_conventions": "MessagePack payloads are shown as JSON: maps as objects, bin as lowercase hex strings, nil as null. JSON object keys are sorted; the MessagePack maps list their keys in the order format-spec/ gives.",
            "repository": {
                "dir": "repo",
                "config": indep::to_json(&indep::msgpack(&rmp_named(&config)).unwrap()),
                "snapshots": [snapshot_id.to_hex()],
                "index_files": [index_id.to_hex()],
                "packs": [pack_id.to_hex()],
            },
            "objects": objects,
            "compat_objects": compat,
            "packs": [
                pack_json(&pack_file, &pack_bytes, true, true),
                pack_json(&small_file, &small_bytes, true, true),
                pack_json("compat/pack-empty", &empty_pack, false, false),
            ],
            "chunks": chunk_json,
            "streams": stream_json,
            "negative": negative,
            "chunking": chunking_cases(),
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap();
        text.push('\n');
        write(dir, "vectors.json", text.as_bytes());
    }
}
