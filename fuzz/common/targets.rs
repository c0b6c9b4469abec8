//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` (run
//! by cargo-fuzz) and `tests/fuzz_corpus.rs` (replays the corpus on stable,
//! in CI). Both include this file by path, so it may use only crates that
//! both the fuzz package and pgkeep's own tests depend on: pgkeep, blake3,
//! chrono, rmp-serde and zstd.
//!
//! Every function takes arbitrary bytes. The contract under test: any input
//! gives `Ok` or `Err`, never a panic, and no allocation beyond what the
//! format bounds (envelope payloads: 1 GiB; chunks: 64 MiB). The harness
//! itself asserts properties that must hold whenever a decoder accepts an
//! input (re-encoding what was decoded decodes to the same value, `open` of
//! `seal` gives the payload back, a valid pack rebuilds byte for byte); such
//! an assertion failing is a finding too.
//!
//! Each function returns whether the decoder under test accepted the input;
//! the fuzz targets ignore it, the corpus test requires that at least one
//! corpus input per target is accepted (so a format change that makes every
//! seed invalid is noticed).
#![allow(dead_code)]

use pgkeep::repo::envelope::{self, Kind, CHECKSUM_LEN, HEADER_LEN as ENV_HEADER_LEN};
use pgkeep::repo::index::{IndexFile, MasterIndex};
use pgkeep::repo::lock::{self, LockInfo};
use pgkeep::repo::pack::{self, Codec, PackBuilder, PackEntry, ENTRY_LEN, FOOTER_LEN, HEADER_LEN};
use pgkeep::copy::binary::{BinaryFraming, FramingError};
use pgkeep::copy::rows::{BinaryRowReader, Row, TextRowReader};
use pgkeep::copy::values::{Renderer, ValueType};
use pgkeep::repo::{Id, RepoConfig, Snapshot};

/// A target's body: takes any bytes, returns whether the decoder accepted them.
pub type Target = fn(&[u8]) -> bool;

/// Every fuzz target: its name (the cargo-fuzz binary, the directory under
/// `fuzz/corpus/` and `fuzz/regressions/`) and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("envelope", envelope),
    ("config", config),
    ("index", index),
    ("snapshot", snapshot),
    ("lock", lock),
    ("pack", pack),
    ("payload_msgpack", payload_msgpack),
    ("sealed_payload", sealed_payload),
    ("pack_structured", pack_structured),
    ("copy_binary", copy_binary),
    ("copy_values", copy_values),
    ("copy_rows", copy_rows),
    ("key_file", key_file),
    ("sealed_file", sealed_file),
];

pub const KINDS: [Kind; 5] = [Kind::Config, Kind::Index, Kind::Snapshot, Kind::Lock, Kind::Key];

const OBJ: &str = "fuzz";

// ---------------------------------------------------------------- encryption

/// The repository id, password, raw key and master key the encryption
/// targets and their seeds use.
pub const FUZZ_REPO_ID: [u8; 32] = [0x42; 32];
pub const FUZZ_PASSWORD: &str = "fuzz password";
pub const FUZZ_RAW_KEY: [u8; 32] = [0x17; 32];
pub const FUZZ_MASTER: [u8; 32] = [0x5a; 32];
/// Where the sealed_file target's files claim to live.
pub const FUZZ_PLACE: &str = "snapshots/fuzz";

/// A key file: framed (kind `K`), decoded, and opened with the password and
/// the raw key. Argon2id runs only for costs up to 1 MiB and 2 passes (the
/// library accepts up to 1 GiB; a fuzzer must not spend that on one input).
/// Whatever opens must yield the master key it was sealed with, since the
/// seeds seal FUZZ_MASTER and the AEAD admits no other.
pub fn key_file(data: &[u8]) -> bool {
    use pgkeep::repo::crypto::{KeyFile, Secret};
    let Ok(file) = envelope::open_value::<KeyFile>(Kind::Key, data, OBJ) else { return false };
    if file.argon2.is_some_and(|p| p.memory_kib > 1024 || p.iterations > 2) {
        return true;
    }
    let repo = Id(FUZZ_REPO_ID);
    let secrets = [
        Secret::password(FUZZ_PASSWORD.into()),
        Secret::RawKey(pgkeep::repo::crypto::RawKey::from_bytes(FUZZ_RAW_KEY)),
    ];
    for s in &secrets {
        if let Ok(Some(master)) = file.open(s, &repo, OBJ) {
            assert_eq!(master.derive().content_id(b"x"), pgkeep::repo::crypto::MasterKey::from_bytes(FUZZ_MASTER).derive().content_id(b"x"));
        }
    }
    true
}

/// A sealed file under FUZZ_MASTER's file key, as FUZZ_PLACE, tried with
/// each cipher: opening it either fails or gives a plaintext that seals
/// (with a new prefix) and opens back to itself; no file opens under both.
pub fn sealed_file(data: &[u8]) -> bool {
    use pgkeep::repo::crypto::{Cipher, MasterKey, Sealer};
    let keys = MasterKey::from_bytes(FUZZ_MASTER).derive();
    let mut opened = 0;
    for cipher in Cipher::ALL {
        let sealer = Sealer::new(&keys, cipher);
        if let Ok(plain) = sealer.open(FUZZ_PLACE, data) {
            let again = sealer.seal(FUZZ_PLACE, &plain);
            assert_eq!(sealer.open(FUZZ_PLACE, &again).expect("a fresh seal opens"), plain);
            assert!(sealer.open("snapshots/elsewhere", data).is_err(), "bound to its place");
            opened += 1;
        }
    }
    assert!(opened <= 1, "a file opens under one cipher only");
    opened == 1
}

// ---------------------------------------------------------------- envelope

/// `envelope::open` for every kind, on the input as given and on two
/// repaired copies: with the checksum recomputed (so the header checks and
/// zstd decompression are reached, which a random input never passes the
/// BLAKE3 check to get to) and with both the length field and the checksum
/// recomputed (so inserting or removing bytes does not just hit the length
/// check). Whatever opens is also decoded as its kind's object.
pub fn envelope(data: &[u8]) -> bool {
    let accepted = open_all_kinds(data);
    if data.len() >= ENV_HEADER_LEN + CHECKSUM_LEN {
        let mut fixed = data.to_vec();
        fix_checksum(&mut fixed);
        if fixed != data {
            open_all_kinds(&fixed);
        }
        let body_len = (data.len() - ENV_HEADER_LEN - CHECKSUM_LEN) as u64;
        fixed[12..20].copy_from_slice(&body_len.to_le_bytes());
        fix_checksum(&mut fixed);
        if fixed != data {
            open_all_kinds(&fixed);
        }
    }
    accepted
}

fn fix_checksum(obj: &mut [u8]) {
    let n = obj.len() - CHECKSUM_LEN;
    let sum = blake3::hash(&obj[..n]);
    obj[n..].copy_from_slice(sum.as_bytes());
}

fn open_all_kinds(data: &[u8]) -> bool {
    let mut accepted = false;
    for kind in KINDS {
        if let Ok(payload) = envelope::open(kind, data, OBJ) {
            assert!(
                payload.len() as u64 <= envelope::MAX_PAYLOAD,
                "open returned {} bytes, more than MAX_PAYLOAD",
                payload.len()
            );
            accepted = true;
            decode_object(kind, data);
        }
    }
    accepted
}

/// The full decoder of an object of `kind`, as the repository runs it.
fn decode_object(kind: Kind, data: &[u8]) -> bool {
    match kind {
        Kind::Config => config(data),
        Kind::Index => index(data),
        Kind::Snapshot => snapshot(data),
        Kind::Lock => lock(data),
        Kind::Key => key_file(data),
    }
}

// ---------------------------------------------------------------- objects

/// What `Repository::open` does with the config file.
pub fn config(data: &[u8]) -> bool {
    match envelope::open_value::<RepoConfig>(Kind::Config, data, OBJ) {
        Ok(c) => {
            check_config(&c);
            c.validate().is_ok()
        }
        Err(_) => false,
    }
}

pub fn index(data: &[u8]) -> bool {
    match IndexFile::decode(data, OBJ) {
        Ok(f) => {
            check_index(&f);
            true
        }
        Err(_) => false,
    }
}

pub fn snapshot(data: &[u8]) -> bool {
    match Snapshot::decode(data, OBJ) {
        Ok(s) => {
            check_snapshot(&s);
            true
        }
        Err(_) => false,
    }
}

/// What `lock::read_lock` does, then what lock conflict checks do with it.
pub fn lock(data: &[u8]) -> bool {
    match envelope::open_value::<LockInfo>(Kind::Lock, data, OBJ) {
        Ok(l) => {
            check_lock(&l);
            true
        }
        Err(_) => false,
    }
}

fn check_config(c: &RepoConfig) {
    let again: RepoConfig = envelope::open_value(
        Kind::Config,
        &envelope::seal_value(Kind::Config, c),
        "re-encoded",
    )
    .expect("a decoded config re-encodes to a config that decodes");
    assert_eq!(&again, c, "config changed through encode/decode");
}

fn check_index(f: &IndexFile) {
    let mut master = MasterIndex::default();
    master.add_file(f);
    for p in &f.packs {
        assert!(master.packs().contains_key(&p.id));
        for c in &p.chunks {
            assert!(
                master.get(&c.id).is_some(),
                "chunk {} of a decoded index is not found",
                c.id
            );
        }
    }
    let again = IndexFile::decode(&f.encode(), "re-encoded")
        .expect("a decoded index re-encodes to an index that decodes");
    assert_eq!(&again, f, "index changed through encode/decode");
}

fn check_snapshot(s: &Snapshot) {
    let refs = s.chunk_refs().count();
    let listed: usize = s
        .tables
        .iter()
        .flat_map(|t| &t.parts)
        .map(|p| p.chunks.len())
        .sum();
    assert_eq!(refs, listed);
    for t in &s.tables {
        let _ = Snapshot::describe_table(t);
    }
    let again = Snapshot::decode(&s.encode(), "re-encoded")
        .expect("a decoded snapshot re-encodes to a snapshot that decodes");
    assert_eq!(&again, s, "snapshot changed through encode/decode");
}

fn check_lock(l: &LockInfo) {
    let _ = l.describe();
    // A fixed "now" keeps the target deterministic. `is_stale` parses the
    // refresh time; for a lock naming this host it probes the pid (signal 0).
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("valid timestamp");
    let _ = lock::is_stale(l, now);
    let again: LockInfo = envelope::open_value(
        Kind::Lock,
        &envelope::seal_value(Kind::Lock, l),
        "re-encoded",
    )
    .expect("a decoded lock re-encodes to a lock that decodes");
    assert_eq!(&again, l, "lock changed through encode/decode");
}

// ---------------------------------------------------------------- payloads

/// Raw MessagePack straight into the payload types, bypassing the envelope
/// (and so its checksum).
pub fn payload_msgpack(data: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(s) = rmp_serde::from_slice::<Snapshot>(data) {
        accepted = true;
        check_snapshot(&s);
    }
    if let Ok(f) = rmp_serde::from_slice::<IndexFile>(data) {
        accepted = true;
        // Only what IndexFile::decode's own checks accept may be re-decoded.
        let sealed = f.encode();
        if let Ok(g) = IndexFile::decode(&sealed, OBJ) {
            assert_eq!(g, f);
            check_index(&g);
        }
    }
    if let Ok(c) = rmp_serde::from_slice::<RepoConfig>(data) {
        accepted = true;
        let _ = c.validate();
        check_config(&c);
    }
    if let Ok(l) = rmp_serde::from_slice::<LockInfo>(data) {
        accepted = true;
        check_lock(&l);
    }
    accepted
}

/// The input is a payload: seal it as every kind with `envelope::seal`, so
/// the checksum is valid, then open and decode it as the repository does.
pub fn sealed_payload(data: &[u8]) -> bool {
    let mut accepted = false;
    for kind in KINDS {
        let sealed = envelope::seal(kind, data);
        let opened = envelope::open(kind, &sealed, OBJ).expect("open(seal(payload)) succeeds");
        assert!(opened == data, "open(seal(payload)) is not the payload");
        accepted |= decode_object(kind, &sealed);
    }
    accepted
}

// ---------------------------------------------------------------- packs

/// A pack file as read from disk: `parse_pack`, then every entry's blob
/// decoded; also `check_header`, `parse_footer` and `parse_table` on slices
/// of the input directly.
pub fn pack(data: &[u8]) -> bool {
    let accepted = match pack::parse_pack(data, OBJ) {
        Ok(entries) => {
            for e in &entries {
                if let Some(stored) = slice(data, e.offset, e.stored_len) {
                    let _ = pack::decode_blob(e, stored, OBJ, Id::hash);
                }
            }
            true
        }
        Err(_) => false,
    };
    let len = data.len() as u64;
    if data.len() >= HEADER_LEN {
        // check_header is only ever given HEADER_LEN bytes by its callers.
        let _ = pack::check_header(&data[..HEADER_LEN], OBJ);
    }
    // The whole input as a footer (wrong length unless 48 bytes).
    let _ = pack::parse_footer(data, len, OBJ);
    if data.len() >= FOOTER_LEN {
        let footer = &data[data.len() - FOOTER_LEN..];
        if let Ok((count, hash)) = pack::parse_footer(footer, len, OBJ) {
            let start = pack::table_offset(len, count);
            let table = &data[start as usize..data.len() - FOOTER_LEN];
            let direct = pack::parse_table(table, &hash, start, OBJ);
            if data.len() >= HEADER_LEN && pack::check_header(&data[..HEADER_LEN], OBJ).is_ok() {
                assert_eq!(
                    direct.as_ref().ok(),
                    pack::parse_pack(data, OBJ).as_ref().ok(),
                    "parse_pack and header+footer+table disagree"
                );
            }
        }
    }
    // The input as an entry table with a matching hash, so the entry checks
    // run on arbitrary bytes.
    let whole = &data[..data.len() / ENTRY_LEN * ENTRY_LEN];
    let hash = *blake3::hash(whole).as_bytes();
    let _ = pack::parse_table(whole, &hash, len, OBJ);
    accepted
}

fn slice(data: &[u8], offset: u64, len: u32) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(len as usize)?;
    data.get(start..end)
}

/// Control byte bits of `pack_structured`.
pub const PS_COUNT_MASK: u8 = 0x1f;
/// Rewrite every entry's offset and stored length so the entries tile the body.
pub const PS_FIX_LAYOUT: u8 = 0x80;
/// Rewrite ids (and raw lengths) so that blobs that decode match their entry.
pub const PS_FIX_IDS: u8 = 0x40;
/// Zero the reserved bytes and make the codec byte a known codec.
pub const PS_FIX_CODEC: u8 = 0x20;

/// Builds a pack around the input so that the header, the footer and the
/// table hash are valid, which random bytes never are, and runs `pack` on it.
///
/// Input: one control byte (low 5 bits: entry count; high bits: `PS_FIX_*`),
/// then the chunk area, then `count` 56-byte table entries (fewer if the
/// input is too short). With no fix bits the table is exactly as given.
pub fn pack_structured(data: &[u8]) -> bool {
    let Some((&ctl, rest)) = data.split_first() else {
        return false;
    };
    let count = ((ctl & PS_COUNT_MASK) as usize).min(rest.len() / ENTRY_LEN);
    let (body, table) = rest.split_at(rest.len() - count * ENTRY_LEN);
    let mut table = table.to_vec();

    if ctl & PS_FIX_CODEC != 0 {
        for e in table.chunks_exact_mut(ENTRY_LEN) {
            e[48] &= 1;
            e[49..56].fill(0);
        }
    }
    if ctl & PS_FIX_LAYOUT != 0 {
        let mut offset = HEADER_LEN as u64;
        let mut remaining = body.len() as u64;
        for (i, e) in table.chunks_exact_mut(ENTRY_LEN).enumerate() {
            let wanted = u32::from_le_bytes(e[40..44].try_into().unwrap()) as u64;
            let stored = if i + 1 == count {
                remaining
            } else {
                wanted % (remaining + 1)
            };
            e[32..40].copy_from_slice(&offset.to_le_bytes());
            e[40..44].copy_from_slice(&(stored.min(u32::MAX as u64) as u32).to_le_bytes());
            offset += stored;
            remaining -= stored;
        }
    }
    if ctl & PS_FIX_IDS != 0 {
        for e in table.chunks_exact_mut(ENTRY_LEN) {
            let offset = u64::from_le_bytes(e[32..40].try_into().unwrap());
            let stored_len = u32::from_le_bytes(e[40..44].try_into().unwrap());
            let Some(stored) = offset
                .checked_sub(HEADER_LEN as u64)
                .and_then(|o| slice(body, o, stored_len))
            else {
                continue;
            };
            let raw = match Codec::from_byte(e[48]) {
                Some(Codec::None) => Some(stored.to_vec()),
                Some(Codec::Zstd) => {
                    envelope::decompress_bounded(stored, pack::MAX_CHUNK as u64).ok()
                }
                None => None,
            };
            if let Some(raw) = raw {
                e[0..32].copy_from_slice(&Id::hash(&raw).0);
                e[44..48].copy_from_slice(&(raw.len() as u32).to_le_bytes());
            }
        }
    }

    let table_hash = *blake3::hash(&table).as_bytes();
    let mut file = Vec::with_capacity(HEADER_LEN + body.len() + table.len() + FOOTER_LEN);
    file.extend_from_slice(pack::HEADER_MAGIC);
    file.extend_from_slice(&pack::VERSION.to_le_bytes());
    file.extend_from_slice(&[0; 6]);
    file.extend_from_slice(body);
    file.extend_from_slice(&table);
    file.extend_from_slice(&(count as u32).to_le_bytes());
    file.extend_from_slice(&[0; 4]);
    file.extend_from_slice(&table_hash);
    file.extend_from_slice(pack::FOOTER_MAGIC);

    let table_start = (HEADER_LEN + body.len()) as u64;
    let direct = pack::parse_table(&table, &table_hash, table_start, OBJ);
    let parsed = pack::parse_pack(&file, OBJ);
    assert_eq!(
        direct.as_ref().ok(),
        parsed.as_ref().ok(),
        "parse_pack and parse_table disagree on a well-framed pack"
    );
    let accepted = pack(&file);
    assert_eq!(accepted, parsed.is_ok());

    if let Ok(entries) = parsed {
        // A valid pack is exactly what PackBuilder makes of its entries.
        let mut b = PackBuilder::new();
        for e in &entries {
            let stored = slice(&file, e.offset, e.stored_len)
                .expect("parse_pack returned an entry outside the pack");
            b.add(e.id, e.raw_len, e.codec, stored);
        }
        let (id, rebuilt, rebuilt_entries): (Id, Vec<u8>, Vec<PackEntry>) = b.finish(Id::hash);
        assert_eq!(rebuilt_entries, entries);
        assert!(
            rebuilt == file,
            "PackBuilder does not reproduce a pack that parse_pack accepts"
        );
        assert_eq!(id, Id::hash(&file));
        true
    } else {
        false
    }
}

// ---------------------------------------------------------------- copy_binary

/// The binary COPY framing parser (`pgkeep::copy::binary`). The first byte
/// controls the run: its low 4 bits are the expected field count (0: not
/// checked), its high 4 bits the step at which the rest is split into feeds.
/// Columns 1 and 3 are checked as fixed-size (4 and 8 bytes). The outcome
/// (rows, or the error with its offset and row) must not depend on how the
/// stream was split.
pub fn copy_binary(data: &[u8]) -> bool {
    let Some((&ctl, rest)) = data.split_first() else { return false };
    let expected = match ctl & 0x0f {
        0 => None,
        n => Some(n as u16),
    };
    let step = 1 + (ctl >> 4) as usize * 3;
    let whole = copy_binary_run(rest, expected, rest.len().max(1));
    let split = copy_binary_run(rest, expected, step);
    assert_eq!(whole, split, "the parser's outcome depends on how the stream is split (step {step})");
    whole.is_ok()
}

fn copy_binary_run(data: &[u8], expected: Option<u16>, step: usize) -> Result<u64, FramingError> {
    let mut f = BinaryFraming::new(expected).with_fixed_lengths(vec![Some(4), None, Some(8)]);
    for c in data.chunks(step) {
        f.feed(c)?;
    }
    f.finish()
}

// ---------------------------------------------------------------- values

/// Type oids `copy_values` picks from: every decoded scalar, arrays of
/// scalars and of ranges, ranges, multiranges, and one unknown type.
pub const VALUE_OIDS: &[u32] = &[
    16, 17, 18, 19, 20, 21, 23, 25, 26, 27, 28, 114, 650, 700, 701, 774, 790, 829, 869, 1082, 1083, 1114, 1184,
    1186, 1266, 1560, 1700, 2950, 3220, 3802, 5069, 1000, 1001, 1005, 1007, 1009, 1016, 1021, 1022, 1115, 1182,
    1185, 1187, 1231, 1270, 1561, 2951, 3807, 3905, 3913, 6150, 3904, 3906, 3908, 3910, 3912, 3926, 4451, 4532,
    4534, 4535, 3614,
];

/// The value decoders: a control byte picks the type (and the time zone
/// with its high bit), the rest is the value. Text and JSON rendering must
/// agree on whether the value is valid, and neither may panic.
pub fn copy_values(data: &[u8]) -> bool {
    let Some((&ctl, value)) = data.split_first() else { return false };
    let oid = VALUE_OIDS[(ctl & 0x7f) as usize % VALUE_OIDS.len()];
    let zone = if ctl & 0x80 != 0 { "America/New_York" } else { "UTC" };
    let r = Renderer::new(Renderer::zone(zone).expect("zone"));
    let ty = ValueType::builtin(oid);
    let mut text = Vec::new();
    let mut json = Vec::new();
    let t = r.text(&ty, value, &mut text);
    let j = r.json(&ty, value, &mut json);
    assert_eq!(t.is_ok(), j.is_ok(), "text and JSON disagree on type {oid}: {t:?} / {j:?}");
    // Output is bounded by the input: a numeric prints at most ~147,000
    // characters (its weight and scale are 16-bit, as the server allows),
    // and every array element or range bound takes at least 4 bytes.
    let bound = (value.len() / 4 + 1) * 150_000;
    assert!(text.len() <= bound, "type {oid}: {} bytes of text from {}", text.len(), value.len());
    t.is_ok()
}

/// The row readers `export` uses: they may not panic, and whenever the
/// binary one reads a whole stream, the framing checker agrees on the
/// row count.
pub fn copy_rows(data: &[u8]) -> bool {
    let mut row = Row::default();
    let mut text = TextRowReader::new(data);
    while let Ok(true) = text.next_row(&mut row) {}
    let mut reader = BinaryRowReader::new(data);
    let mut rows = 0u64;
    let outcome = loop {
        match reader.next_row(&mut row) {
            Ok(true) => rows += 1,
            Ok(false) => break Ok(rows),
            Err(e) => break Err(e),
        }
    };
    let mut framing = BinaryFraming::new(None);
    let framed = framing.feed(data).and_then(|_| framing.finish());
    if let (Ok(n), Ok(m)) = (&outcome, &framed) {
        // The row reader stops at the trailer; the framing check also
        // refuses bytes after it, so only compare when both accept.
        assert_eq!(n, m, "row reader and framing check disagree on the row count");
    }
    outcome.is_ok()
}
