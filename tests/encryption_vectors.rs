//! Test vectors of the encrypted format (format-spec/encryption.md), one
//! set per cipher: format-spec/vectors/encrypted/ (XChaCha20-Poly1305) and
//! format-spec/vectors/encrypted-aes-256-gcm/: a small encrypted
//! repository, its password, and what it must decode to.
//!
//! * `PGKEEP_REGENERATE_VECTORS=1 cargo test --test encryption_vectors`
//!   writes them anew with the library. Sealing draws random nonces and
//!   salts, so the bytes differ on every regeneration; the checks below
//!   are what makes them right.
//! * Every run reads them twice: with the library (open, check, read the
//!   streams back) and with a second reader written from the text of
//!   format-spec/ alone (`mod indep`: only primitive crates — BLAKE3,
//!   Argon2, XChaCha20-Poly1305, AES-256-GCM, zstd, a MessagePack decoder — no pgkeep
//!   code), which derives the keys from the password, opens every sealed
//!   file, proves every name and chunk id, and rebuilds the streams.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pgkeep::repo::check::{self, CheckOptions};
use pgkeep::repo::crypto::{Cipher, KdfParams, PasswordSource, Secret};
use pgkeep::repo::{RepoError, Repository};
use serde_json::{json, Value};

const PASSWORD: &str = "pgkeep test vectors";

/// The vector sets: each cipher's folder.
const SETS: [(Cipher, &str); 2] = [(Cipher::XChaCha20Poly1305, "encrypted"), (Cipher::Aes256Gcm, "encrypted-aes-256-gcm")];

fn dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors").join(set)
}

fn streams() -> Vec<(&'static str, Vec<u8>)> {
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors/streams");
    ["public.accounts.0.copy", "public.blobs.0.copy"]
        .into_iter()
        .map(|f| (f, std::fs::read(s.join(f)).unwrap()))
        .collect()
}

fn regenerate(cipher: Cipher, set: &str) {
    let out = dir(set);
    let _ = std::fs::remove_dir_all(&out);
    let tmp = common::fast_tempdir();
    let root = tmp.path().join("repo");
    let kdf = KdfParams { memory_kib: 64, iterations: 1, lanes: 1 };
    let mut config = common::tiny_config();
    config.encryption = cipher.name().into();
    let repo = Repository::init_encrypted(&root, config, &Secret::password(PASSWORD.into()), kdf).unwrap();
    let data = streams();
    let named: Vec<(&str, &[u8])> = data.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let (snapshot, sums) = common::put(&repo, "encrypted vectors", &named);
    for rel in common::files_under(&root) {
        if rel.starts_with("locks") || rel.starts_with("tmp") {
            continue;
        }
        let to = out.join("repo").join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&rel), to).unwrap();
    }
    let streams: Vec<Value> = data
        .iter()
        .zip(&sums)
        .map(|((name, bytes), s)| {
            json!({
                "stream": name,
                "plaintext": format!("../streams/{name}"),
                "size": bytes.len(),
                "chunks": s.chunks.iter().map(|c| c.to_hex()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = json!({
        "cipher": cipher.name(),
        "password": PASSWORD,
        "argon2": { "memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes },
        "repository": "repo",
        "snapshot": snapshot.to_hex(),
        "streams": streams,
    });
    std::fs::write(out.join("encrypted.json"), serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
}

fn vectors(set: &str) -> Value {
    if std::env::var_os("PGKEEP_REGENERATE_VECTORS").is_some() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| SETS.iter().for_each(|(c, s)| regenerate(*c, s)));
    }
    serde_json::from_slice(&std::fs::read(dir(set).join("encrypted.json")).unwrap()).unwrap()
}

/// A writable copy (opening takes a lock, written through tmp/).
fn copy(set: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = common::fast_tempdir();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(&root).unwrap();
    common::copy_tree(&dir(set).join("repo"), &root);
    for d in ["locks", "tmp", "keys", "index", "snapshots"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    (tmp, root)
}

fn password_source(dir: &Path, text: &str) -> PasswordSource {
    let p = dir.join("pw");
    std::fs::write(&p, text).unwrap();
    PasswordSource { password_file: Some(p), ..Default::default() }
}

#[test]
fn the_library_opens_checks_and_reads_the_encrypted_vectors() {
    for (cipher, set) in SETS {
        library_reads(cipher, set);
    }
}

fn library_reads(cipher: Cipher, set: &str) {
    let v = vectors(set);
    assert_eq!(v["cipher"], cipher.name());
    let (tmp, root) = copy(set);
    let wrong = Repository::open_with(&root, &password_source(tmp.path(), "not it")).err().unwrap();
    assert!(matches!(wrong, RepoError::WrongPassword { .. }), "{wrong}");
    let repo = Repository::open_with(&root, &password_source(tmp.path(), PASSWORD)).unwrap();
    assert!(repo.is_encrypted());
    assert_eq!(repo.config().encryption, cipher.name());
    let report = check::check(&repo, &CheckOptions { read_data: true, threads: 2 }).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let id: pgkeep::repo::Id = v["snapshot"].as_str().unwrap().parse().unwrap();
    let snap = repo.load_snapshot(&id).unwrap();
    let ir = repo.load_index().unwrap();
    for s in v["streams"].as_array().unwrap() {
        let t = snap.tables.iter().find(|t| t.name == s["stream"].as_str().unwrap()).unwrap();
        let chunks: Vec<String> = t.parts[0].chunks.iter().map(|c| c.to_hex()).collect();
        assert_eq!(json!(chunks), s["chunks"]);
        let plain = std::fs::read(dir(set).join(s["plaintext"].as_str().unwrap())).unwrap();
        assert_eq!(common::read_chunks(&ir, &t.parts[0].chunks, "vector").unwrap(), plain);
    }
}

#[test]
fn an_independent_reader_decrypts_the_encrypted_vectors() {
    for (_, set) in SETS {
        independent_reader(set);
    }
}

fn independent_reader(set: &str) {
    let v = vectors(set);
    let root = dir(set).join("repo");
    let master = indep::master_key(&root, v["password"].as_str().unwrap()).expect("a key file opens with the password");
    assert!(indep::master_key(&root, "wrong").is_err());
    let keys = indep::Keys::derive(&master);

    // Every sealed file opens, and every content-addressed name is the
    // keyed hash of its plaintext.
    let mut chunks: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    for rel in common::files_under(&root) {
        let top = rel.iter().next().unwrap().to_str().unwrap().to_string();
        if top == "config" || top == "keys" {
            continue;
        }
        let place = rel.to_str().unwrap();
        let plain = indep::open_sealed(&keys, place, &std::fs::read(root.join(&rel)).unwrap()).unwrap_or_else(|e| panic!("{place}: {e}"));
        let name = rel.file_name().unwrap().to_str().unwrap();
        assert_eq!(hex::encode(keys.id(&plain)), name, "{place}: the name is the keyed BLAKE3 of the plaintext");
        *kinds.entry(top.clone()).or_insert(0) += 1;
        match top.as_str() {
            "data" => {
                for (id, chunk) in indep::pack_chunks(&plain).unwrap_or_else(|e| panic!("{place}: {e}")) {
                    assert_eq!(keys.id(&chunk), id, "{place}: a chunk's id is the keyed BLAKE3 of its plaintext");
                    chunks.insert(id, chunk);
                }
            }
            "index" | "snapshots" => assert_eq!(&plain[..6], b"PGKEEP", "{place}: an envelope inside"),
            other => panic!("unexpected file {other}"),
        }
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");

    // The streams, rebuilt from the listed chunks, equal their plaintext.
    for s in v["streams"].as_array().unwrap() {
        let mut rebuilt = Vec::new();
        for c in s["chunks"].as_array().unwrap() {
            let mut id = [0u8; 32];
            hex::decode_to_slice(c.as_str().unwrap(), &mut id).unwrap();
            rebuilt.extend_from_slice(&chunks[&id]);
        }
        assert_eq!(rebuilt, std::fs::read(dir(set).join(s["plaintext"].as_str().unwrap())).unwrap());
    }

    // One flipped bit anywhere in a sealed file, or the file under another
    // name, and it does not open.
    let pack = common::files_in(&root, "data")[0].clone();
    let bytes = std::fs::read(root.join(&pack)).unwrap();
    for at in [3, 30, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 1;
        assert!(indep::open_sealed(&keys, pack.to_str().unwrap(), &bad).is_err(), "flip at {at}");
    }
    assert!(indep::open_sealed(&keys, "data/00/elsewhere", &bytes).is_err());
}

/// A second reader, from format-spec/encryption.md, envelope.md and
/// packs.md alone.
mod indep {
    use std::path::Path;

    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};

    pub struct Keys {
        file: [u8; 32],
        id: [u8; 32],
    }

    impl Keys {
        pub fn derive(master: &[u8; 32]) -> Keys {
            Keys {
                file: blake3::derive_key("pgkeep 2026-12 object encryption", master),
                id: blake3::derive_key("pgkeep 2026-12 content ids", master),
            }
        }

        pub fn id(&self, data: &[u8]) -> [u8; 32] {
            *blake3::keyed_hash(&self.id, data).as_bytes()
        }
    }

    /// envelope.md: header (20 bytes), body, BLAKE3 of all before it.
    fn envelope(b: &[u8], kind: u8) -> Result<Vec<u8>, String> {
        if b.len() < 52 || &b[..6] != b"PGKEEP" || b[6] != kind || b[7] != 1 || b[9] != 0 {
            return Err("not a v1 envelope of that kind".into());
        }
        let len = u64::from_le_bytes(b[12..20].try_into().unwrap()) as usize;
        if 20 + len + 32 != b.len() || blake3::hash(&b[..20 + len]).as_bytes() != &b[20 + len..] {
            return Err("envelope length or checksum".into());
        }
        let body = &b[20..20 + len];
        match b[8] {
            0 => Ok(body.to_vec()),
            1 => zstd::stream::decode_all(body).map_err(|e| e.to_string()),
            c => Err(format!("codec {c}")),
        }
    }

    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(with = "serde_bytes")]
        id: Vec<u8>,
    }

    #[derive(serde::Deserialize)]
    struct Argon {
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
    }

    /// config-and-locks.md and encryption.md "Key files" (the fields read here).
    #[derive(serde::Deserialize)]
    struct KeyFile {
        kdf: String,
        argon2: Option<Argon>,
        #[serde(with = "serde_bytes")]
        salt: Vec<u8>,
        #[serde(with = "serde_bytes")]
        nonce: Vec<u8>,
        #[serde(with = "serde_bytes")]
        sealed_key: Vec<u8>,
    }

    /// The master key from the first key file the password opens.
    pub fn master_key(root: &Path, password: &str) -> Result<[u8; 32], String> {
        let config: Config = rmp_serde::from_slice(&envelope(&std::fs::read(root.join("config")).unwrap(), b'C')?).map_err(|e| e.to_string())?;
        for entry in std::fs::read_dir(root.join("keys")).unwrap() {
            let k: KeyFile = rmp_serde::from_slice(&envelope(&std::fs::read(entry.unwrap().path()).unwrap(), b'K')?).map_err(|e| e.to_string())?;
            assert_eq!(k.kdf, "argon2id");
            let a = k.argon2.ok_or("no Argon2id parameters")?;
            let mut wrapping = [0u8; 32];
            argon2::Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                argon2::Params::new(a.memory_kib, a.iterations, a.lanes, Some(32)).unwrap(),
            )
            .hash_password_into(password.as_bytes(), &k.salt, &mut wrapping)
            .unwrap();
            let mut aad = b"pgkeep key file v1".to_vec();
            aad.extend_from_slice(&config.id);
            aad.extend_from_slice(b"argon2id\0");
            for x in [a.memory_kib, a.iterations, a.lanes] {
                aad.extend_from_slice(&x.to_le_bytes());
            }
            aad.extend_from_slice(&k.salt);
            let mut key = k.sealed_key[..32].to_vec();
            let ok = XChaCha20Poly1305::new((&wrapping).into())
                .decrypt_in_place_detached(XNonce::from_slice(&k.nonce), &aad, &mut key, Tag::from_slice(&k.sealed_key[32..]))
                .is_ok();
            if ok {
                return Ok(key.try_into().unwrap());
            }
        }
        Err("no key file opens with this password".into())
    }

    /// One segment's AEAD, chosen by the header's cipher byte.
    enum Segments {
        XChaCha(XChaCha20Poly1305),
        Aes(ring::aead::LessSafeKey),
    }

    impl Segments {
        fn open(&self, prefix: &[u8], i: u64, last: bool, aad: &[u8], seg: &mut Vec<u8>, tag: &[u8]) -> bool {
            match self {
                Segments::XChaCha(c) => {
                    let mut nonce = [0u8; 24];
                    nonce[..16].copy_from_slice(prefix);
                    nonce[16..23].copy_from_slice(&i.to_le_bytes()[..7]);
                    nonce[23] = last as u8;
                    c.decrypt_in_place_detached(XNonce::from_slice(&nonce), aad, seg, Tag::from_slice(tag)).is_ok()
                }
                Segments::Aes(k) => {
                    let mut nonce = [0u8; 12];
                    nonce[4..11].copy_from_slice(&i.to_le_bytes()[..7]);
                    nonce[11] = last as u8;
                    let mut buf = std::mem::take(seg);
                    buf.extend_from_slice(tag);
                    let n = ring::aead::Nonce::assume_unique_for_key(nonce);
                    let ok = k.open_in_place(n, ring::aead::Aad::from(aad), &mut buf).map(|p| p.len()).ok();
                    if let Some(len) = ok {
                        buf.truncate(len);
                    }
                    *seg = buf;
                    ok.is_some()
                }
            }
        }
    }

    /// encryption.md "Sealed files".
    pub fn open_sealed(keys: &Keys, place: &str, b: &[u8]) -> Result<Vec<u8>, String> {
        if b.len() < 40 || &b[..6] != b"PGKSEA" || b[6] != 1 {
            return Err("not a sealed file".into());
        }
        let cipher = match b[7] {
            0 => Segments::XChaCha(XChaCha20Poly1305::new((&keys.file).into())),
            1 => {
                let mut material = keys.file.to_vec();
                material.extend_from_slice(&b[8..24]);
                let sub = blake3::derive_key("pgkeep 2026-12 aes-256-gcm file key", &material);
                Segments::Aes(ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &sub).unwrap()))
            }
            c => return Err(format!("cipher {c}")),
        };
        let mut aad = b[..24].to_vec();
        aad.extend_from_slice(place.as_bytes());
        let mut out = Vec::new();
        let mut rest = &b[24..];
        let mut i = 0u64;
        loop {
            let n = rest.len().min(65536 + 16);
            if n < 16 {
                return Err("cut short".into());
            }
            let last = rest.len() <= 65536 + 16;
            let mut seg = rest[..n - 16].to_vec();
            if !cipher.open(&b[8..24], i, last, &aad, &mut seg, &rest[n - 16..n]) {
                return Err(format!("segment {i} does not authenticate"));
            }
            out.extend_from_slice(&seg);
            rest = &rest[n..];
            i += 1;
            if last {
                return Ok(out);
            }
        }
    }

    /// packs.md: the entry table before the 48-byte footer; each chunk
    /// (id, plaintext).
    pub fn pack_chunks(p: &[u8]) -> Result<Vec<([u8; 32], Vec<u8>)>, String> {
        if p.len() < 64 || &p[..8] != b"PGKPACK\x01" || &p[p.len() - 8..] != b"PGKPEND\x01" {
            return Err("not a pack".into());
        }
        let footer = &p[p.len() - 48..];
        let n = u32::from_le_bytes(footer[..4].try_into().unwrap()) as usize;
        let table = &p[p.len() - 48 - 56 * n..p.len() - 48];
        if blake3::hash(table).as_bytes() != &footer[8..40] {
            return Err("table hash".into());
        }
        let mut out = Vec::new();
        for e in table.chunks(56) {
            let off = u64::from_le_bytes(e[32..40].try_into().unwrap()) as usize;
            let stored = u32::from_le_bytes(e[40..44].try_into().unwrap()) as usize;
            let blob = &p[off..off + stored];
            let plain = match e[48] {
                0 => blob.to_vec(),
                1 => zstd::stream::decode_all(blob).map_err(|e| e.to_string())?,
                c => return Err(format!("codec {c}")),
            };
            out.push((e[..32].try_into().unwrap(), plain));
        }
        Ok(out)
    }
}
