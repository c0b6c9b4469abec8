//! The sealing layer: a [`Backend`] over another one that encrypts and
//! authenticates every file it stores but the config and the key files
//! (format-spec/encryption.md, "Sealed files").
//!
//! A file is a 24-byte header (magic, version, cipher, a random 16-byte
//! prefix) and its plaintext in segments of [`SEGMENT`] bytes, each sealed
//! under a key of the file's own (derived from the repository's file key
//! and the prefix) with a nonce made of the segment's number and a
//! last-segment flag (the STREAM construction), with the header and the
//! file's place in the repository as associated data. So a
//! file cannot be cut short, reordered, or moved to another name, and a
//! chunk can be read from the middle of a pack without reading the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM, CHACHA20_POLY1305};
use zeroize::Zeroize;

use super::{Cipher, RepoKeys};
use crate::repo::backend::{Backend, FileInfo, FileType};
use crate::repo::error::{RepoError, Result};
use crate::repo::id::Id;

/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG: usize = 16;
const MAGIC: &[u8; 6] = b"PGKSEA";
const VERSION: u8 = 1;
const HEADER: usize = 24;
/// BLAKE3 `derive_key` context of an AES-256-GCM file's subkey.
const AES_FILE_KEY_CONTEXT: &str = "pgkeep 2026-12 aes-256-gcm file key";

/// Encrypts what it writes and authenticates what it reads; the config and
/// key files pass through as they are (they are read before any key).
pub struct SealedBackend {
    inner: Arc<dyn Backend>,
    keys: Arc<RepoKeys>,
    sealer: Sealer,
    /// Header and stored length of packs read from lately: a restore or
    /// verify reads many chunks of each pack, and packs never change once
    /// written (their name is their content's), so one read of the header
    /// and one of the length serve all of them.
    packs: Mutex<HashMap<String, ([u8; HEADER], u64)>>,
    /// The last segment each of a few recent ranged reads ended in, opened:
    /// chunks lie one after another in a pack, so the next read usually
    /// starts in it (a stored chunk is ~70 KiB, about one segment).
    edges: Mutex<Vec<Edge>>,
}

/// An opened segment kept for the next ranged read.
struct Edge {
    name: String,
    segment: u64,
    plain: Vec<u8>,
}

/// Opened segments kept at once (a few per reading thread).
const EDGES: usize = 16;

/// Packs whose header and length are remembered at once.
const PACK_CACHE: usize = 4096;

impl SealedBackend {
    pub fn new(inner: Arc<dyn Backend>, keys: Arc<RepoKeys>, cipher: Cipher) -> SealedBackend {
        let sealer = Sealer::new(&keys, cipher);
        SealedBackend { inner, keys, sealer, packs: Mutex::new(HashMap::new()), edges: Mutex::new(Vec::new()) }
    }

    fn sealed(ft: FileType) -> bool {
        !matches!(ft, FileType::Config | FileType::Key)
    }

    fn place(&self, ft: FileType, name: &str) -> String {
        self.inner.relative_path(ft, name)
    }

    /// A file's header (checked) and stored length.
    fn header_and_len(&self, ft: FileType, name: &str, place: &str) -> Result<([u8; HEADER], u64)> {
        let cache = ft == FileType::Pack;
        if cache {
            if let Some(v) = self.packs.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
                return Ok(*v);
            }
        }
        let bytes = self.inner.read_at(ft, name, 0, HEADER)?;
        let mut header = [0u8; HEADER];
        header.copy_from_slice(self.sealer.check_header(place, &bytes)?);
        let total = self.inner.size(ft, name)?;
        if cache {
            let mut packs = self.packs.lock().unwrap_or_else(|p| p.into_inner());
            if packs.len() >= PACK_CACHE {
                packs.clear();
            }
            packs.insert(name.to_string(), (header, total));
        }
        Ok((header, total))
    }
}

/// Sealing and opening whole files under one repository's file key.
///
/// Both ciphers seal a file's segments under a subkey of that file with
/// ring's AEADs (assembly; about 3× RustCrypto's ChaCha20-Poly1305 here):
///
/// * XChaCha20-Poly1305 as its draft standard builds it: HChaCha20 of the
///   key and the nonce's first 16 bytes (the file's prefix) gives a subkey,
///   used with ChaCha20-Poly1305 (IETF, 96-bit nonce: four zero bytes and
///   the nonce's last 8).
/// * AES-256-GCM: the subkey is BLAKE3's `derive_key` of the file key and
///   the prefix, and the 96-bit nonce the same four zero bytes and eight
///   of segment number and last flag. A nonce repeats only if two files
///   draw the same 128-bit prefix, so GCM's limit on random 96-bit nonces
///   under one key does not apply.
pub struct Sealer {
    key: [u8; 32],
    cipher: Cipher,
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// One file's subkey.
struct FileKey(LessSafeKey);

impl FileKey {
    fn nonce(segment: u64, last: bool) -> Nonce {
        let mut n = [0u8; 12];
        n[4..11].copy_from_slice(&segment.to_le_bytes()[..7]);
        n[11] = last as u8;
        Nonce::assume_unique_for_key(n)
    }

    fn seal(&self, segment: u64, last: bool, aad: &[u8], buf: &mut [u8]) -> [u8; TAG] {
        // Sealing fails only for messages past 256 GiB.
        let tag = self.0.seal_in_place_separate_tag(Self::nonce(segment, last), Aad::from(aad), buf);
        let mut out = [0u8; TAG];
        if let Ok(t) = tag {
            out.copy_from_slice(t.as_ref());
        }
        out
    }

    fn open(&self, segment: u64, last: bool, aad: &[u8], buf: &mut [u8], tag: &[u8]) -> bool {
        let Ok(tag) = <[u8; TAG]>::try_from(tag) else { return false };
        self.0
            .open_in_place_separate_tag(Self::nonce(segment, last), Aad::from(aad), Tag::from(tag), buf, 0..)
            .is_ok()
    }
}

impl Sealer {
    pub fn new(keys: &RepoKeys, cipher: Cipher) -> Sealer {
        Sealer { key: keys.aead, cipher }
    }

    fn file_key(&self, prefix: &[u8]) -> FileKey {
        let (mut sub, algorithm) = match self.cipher {
            Cipher::XChaCha20Poly1305 => {
                use chacha20::cipher::consts::U10;
                let sub: [u8; 32] = chacha20::hchacha::<U10>((&self.key).into(), prefix.into()).into();
                (sub, &CHACHA20_POLY1305)
            }
            Cipher::Aes256Gcm => {
                let mut material = [0u8; 48];
                material[..32].copy_from_slice(&self.key);
                material[32..].copy_from_slice(prefix);
                let sub = blake3::derive_key(AES_FILE_KEY_CONTEXT, &material);
                material.zeroize();
                (sub, &AES_256_GCM)
            }
        };
        // A 32-byte key is always valid for both algorithms.
        let key = UnboundKey::new(algorithm, &sub).map(LessSafeKey::new);
        sub.zeroize();
        FileKey(key.unwrap_or_else(|_| unreachable!("32-byte AEAD key")))
    }

    /// A sealed file's header, checked: magic, version, and this
    /// repository's cipher.
    fn check_header<'a>(&self, place: &str, sealed: &'a [u8]) -> Result<&'a [u8]> {
        let header = sealed.get(..HEADER).ok_or_else(|| failed(place, "it is shorter than a sealed file's header"))?;
        if &header[..6] != MAGIC {
            return Err(failed(place, "it is not a sealed file (was it written without encryption?)"));
        }
        if header[6] != VERSION {
            return Err(RepoError::UnsupportedVersion { object: place.to_string(), found: header[6] as u32, supported: VERSION as u32 });
        }
        if header[7] != self.cipher.header_id() {
            return Err(failed(place, format!("it is not sealed with the repository's cipher ({})", self.cipher)));
        }
        Ok(header)
    }

    fn aad(header: &[u8], place: &str) -> Vec<u8> {
        let mut a = Vec::with_capacity(header.len() + place.len());
        a.extend_from_slice(header);
        a.extend_from_slice(place.as_bytes());
        a
    }

    /// Seal `plain` as the file `place` (`dir/name`).
    pub fn seal(&self, place: &str, plain: &[u8]) -> Vec<u8> {
        let mut header = [0u8; HEADER];
        header[..6].copy_from_slice(MAGIC);
        header[6] = VERSION;
        header[7] = self.cipher.header_id();
        header[8..].copy_from_slice(&rand::random::<[u8; 16]>());
        let aad = Self::aad(&header, place);
        let key = self.file_key(&header[8..]);
        let segments = segments_of(plain.len());
        let mut out = Vec::with_capacity(sealed_len(plain.len() as u64) as usize);
        out.extend_from_slice(&header);
        for i in 0..segments {
            let start = i * SEGMENT;
            let end = (start + SEGMENT).min(plain.len());
            let at = out.len();
            out.extend_from_slice(&plain[start..end]);
            let tag = key.seal(i as u64, i + 1 == segments, &aad, &mut out[at..]);
            out.extend_from_slice(&tag);
        }
        out
    }

    /// Open a whole sealed file: every segment authentic, in order, the
    /// last one marked last.
    pub fn open(&self, place: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let len = plain_len(sealed.len() as u64).ok_or_else(|| failed(place, "its length is not that of a sealed file"))?;
        let header = self.check_header(place, sealed)?;
        let aad = Self::aad(header, place);
        let key = self.file_key(&header[8..]);
        let segments = segments_of(len as usize);
        let mut out = Vec::with_capacity(len as usize);
        let mut at = HEADER;
        for i in 0..segments {
            let n = if i + 1 == segments { len as usize - i * SEGMENT } else { SEGMENT };
            let start = out.len();
            out.extend_from_slice(&sealed[at..at + n]);
            if !key.open(i as u64, i + 1 == segments, &aad, &mut out[start..], &sealed[at + n..at + n + TAG]) {
                return Err(failed(place, format!("segment {i} does not authenticate")));
            }
            at += n + TAG;
        }
        Ok(out)
    }
}

fn failed(place: &str, problem: impl Into<String>) -> RepoError {
    RepoError::Unauthentic { object: place.to_string(), problem: problem.into() }
}

/// How many segments a plaintext of `len` bytes takes (an empty one: one).
fn segments_of(len: usize) -> usize {
    len.div_ceil(SEGMENT).max(1)
}

/// The stored length of `len` plaintext bytes.
pub fn sealed_len(len: u64) -> u64 {
    HEADER as u64 + len + segments_of(len as usize) as u64 * TAG as u64
}

/// The plaintext length of a sealed file of `len` bytes, or None when no
/// plaintext seals to that length.
pub fn plain_len(len: u64) -> Option<u64> {
    let body = len.checked_sub(HEADER as u64)?;
    let full = (SEGMENT + TAG) as u64;
    let (n, rem) = (body / full, body % full);
    match rem {
        0 if n > 0 => Some(n * SEGMENT as u64),
        0 => None,
        r if r >= TAG as u64 => Some(n * SEGMENT as u64 + r - TAG as u64),
        _ => None,
    }
}

impl Backend for SealedBackend {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn relative_path(&self, ft: FileType, name: &str) -> String {
        self.inner.relative_path(ft, name)
    }

    fn list_names(&self, ft: FileType) -> Result<Vec<String>> {
        self.inner.list_names(ft)
    }

    fn list(&self, ft: FileType) -> Result<Vec<FileInfo>> {
        let mut files = self.inner.list(ft)?;
        if Self::sealed(ft) {
            // A length no plaintext seals to is reported as 0: reading the
            // file says what is wrong with it.
            for f in &mut files {
                f.size = plain_len(f.size).unwrap_or(0);
            }
        }
        Ok(files)
    }

    fn read(&self, ft: FileType, name: &str) -> Result<Vec<u8>> {
        let bytes = self.inner.read(ft, name)?;
        if !Self::sealed(ft) {
            return Ok(bytes);
        }
        self.sealer.open(&self.place(ft, name), &bytes)
    }

    fn read_at(&self, ft: FileType, name: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        if !Self::sealed(ft) {
            return self.inner.read_at(ft, name, offset, len);
        }
        let place = self.place(ft, name);
        if len == 0 {
            return Ok(Vec::new());
        }
        let (header, total) = self.header_and_len(ft, name, &place)?;
        let header = &header[..];
        let aad = Sealer::aad(header, &place);
        let key = self.sealer.file_key(&header[8..]);
        let (first, last) = (offset / SEGMENT as u64, (offset + len as u64 - 1) / SEGMENT as u64);
        let mut plain = Vec::with_capacity(((last - first + 1) as usize) * SEGMENT);
        // The first segment may be the one the previous read ended in.
        let mut from = first;
        {
            let edges = self.edges.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = edges.iter().find(|e| e.segment == first && e.name == name) {
                plain.extend_from_slice(&e.plain);
                from = first + 1;
            }
        }
        let full = (SEGMENT + TAG) as u64;
        let start = HEADER as u64 + from * full;
        // Up to the end of the last segment; the file may end sooner (then
        // that segment is the file's last and shorter).
        let want = ((last + 1).saturating_sub(from) * full) as usize;
        let avail = total.saturating_sub(start).min(want as u64) as usize;
        let sealed = if from <= last { self.inner.read_at(ft, name, start, avail)? } else { Vec::new() };
        let file_last = plain_len(total).map(|l| segments_of(l as usize) as u64 - 1);
        let mut at = 0;
        let mut last_begin = 0;
        for seg in from..=last {
            let rest = sealed.len().saturating_sub(at);
            if rest < TAG || (rest < SEGMENT + TAG && Some(seg) != file_last) {
                return Err(failed(&place, format!("segment {seg} is cut short")));
            }
            let n = (rest - TAG).min(SEGMENT);
            let begin = plain.len();
            plain.extend_from_slice(&sealed[at..at + n]);
            if !key.open(seg, Some(seg) == file_last, &aad, &mut plain[begin..], &sealed[at + n..at + n + TAG]) {
                return Err(failed(&place, format!("segment {seg} does not authenticate")));
            }
            at += n + TAG;
            last_begin = begin;
        }
        if from <= last && ft == FileType::Pack {
            let mut edges = self.edges.lock().unwrap_or_else(|p| p.into_inner());
            if edges.len() >= EDGES {
                edges.remove(0);
            }
            edges.push(Edge { name: name.to_string(), segment: last, plain: plain[last_begin..].to_vec() });
        }
        let skip = (offset - first * SEGMENT as u64) as usize;
        if skip + len > plain.len() {
            return Err(RepoError::corrupt(place, format!("asked for {len} bytes at {offset}, past the end of the file")));
        }
        Ok(plain[skip..skip + len].to_vec())
    }

    fn size(&self, ft: FileType, name: &str) -> Result<u64> {
        let n = self.inner.size(ft, name)?;
        if !Self::sealed(ft) {
            return Ok(n);
        }
        plain_len(n).ok_or_else(|| failed(&self.place(ft, name), "its length is not that of a sealed file"))
    }

    fn write(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        if !Self::sealed(ft) {
            return self.inner.write(ft, name, data);
        }
        let sealed = self.sealer.seal(&self.place(ft, name), data);
        self.inner.write(ft, name, &sealed)
    }

    fn write_new(&self, ft: FileType, name: &str, data: &[u8]) -> Result<()> {
        if !Self::sealed(ft) {
            return self.inner.write_new(ft, name, data);
        }
        let place = self.place(ft, name);
        match self.inner.write_new(ft, name, &self.sealer.seal(&place, data)) {
            // Sealing draws a new nonce each time, so a retry whose first
            // answer was lost finds other bytes: the same plaintext under
            // the name is still this write.
            Err(RepoError::ObjectExists { object }) => match self.read(ft, name) {
                Ok(existing) if existing == data => Ok(()),
                _ => Err(RepoError::ObjectExists { object }),
            },
            r => r,
        }
    }

    fn lease_locks(&self) -> bool {
        self.inner.lease_locks()
    }

    fn remove(&self, ft: FileType, name: &str) -> Result<()> {
        self.packs.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
        self.edges.lock().unwrap_or_else(|p| p.into_inner()).retain(|e| e.name != name);
        self.inner.remove(ft, name)
    }

    fn modified(&self, ft: FileType, name: &str) -> Result<Option<std::time::SystemTime>> {
        self.inner.modified(ft, name)
    }

    fn forget_cached(&self) {
        self.edges.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn content_id(&self, data: &[u8]) -> Id {
        self.keys.content_id(data)
    }

    fn chunker_seed(&self) -> u64 {
        self.keys.chunker_seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::crypto::MasterKey;

    fn backend(cipher: Cipher) -> (tempfile_dir::Dir, SealedBackend) {
        let dir = tempfile_dir::Dir::new();
        let local = crate::repo::backend::LocalBackend::create(&dir.path).unwrap();
        (dir, SealedBackend::new(Arc::new(local), Arc::new(MasterKey::random().derive()), cipher))
    }

    mod tempfile_dir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir().join(format!("pgkeep-sealed-{}", hex::encode(rand::random::<[u8; 8]>())));
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn lengths_map_both_ways() {
        for len in [0u64, 1, 15, 16, SEGMENT as u64 - 1, SEGMENT as u64, SEGMENT as u64 + 1, 3 * SEGMENT as u64, 1 << 24] {
            assert_eq!(plain_len(sealed_len(len)), Some(len), "{len}");
        }
        assert_eq!(plain_len(0), None);
        assert_eq!(plain_len(HEADER as u64), None);
        assert_eq!(plain_len(HEADER as u64 + 15), None);
    }

    #[test]
    fn round_trip_random_access_and_tampering() {
        for cipher in Cipher::ALL {
            round_trip_random_access_and_tampering_with(cipher);
        }
    }

    fn round_trip_random_access_and_tampering_with(cipher: Cipher) {
        let (_d, b) = backend(cipher);
        let data: Vec<u8> = (0..3 * SEGMENT + 123).map(|i| (i * 7 % 251) as u8).collect();
        let name = Id::hash(b"p").to_hex();
        b.write(FileType::Pack, &name, &data).unwrap();
        assert_eq!(b.read(FileType::Pack, &name).unwrap(), data);
        assert_eq!(b.size(FileType::Pack, &name).unwrap(), data.len() as u64);
        for (off, len) in [(0, 1), (0, SEGMENT), (SEGMENT - 3, 10), (2 * SEGMENT + 100, 23), (5, 3 * SEGMENT + 118)] {
            assert_eq!(b.read_at(FileType::Pack, &name, off as u64, len).unwrap(), &data[off..off + len], "{off} {len}");
        }
        assert!(b.read_at(FileType::Pack, &name, data.len() as u64 - 2, 5).is_err());
        // Reads one after another (the next starts in the segment the last
        // one ended in: served from the kept edge).
        for step in [7_000usize, 65_536, 70_001] {
            let mut off = 0;
            while off < data.len() {
                let n = step.min(data.len() - off);
                assert_eq!(b.read_at(FileType::Pack, &name, off as u64, n).unwrap(), &data[off..off + n], "{step} {off}");
                off += n;
            }
        }
        // The ciphertext does not hold the plaintext.
        let raw = b.inner.read(FileType::Pack, &name).unwrap();
        assert!(!raw.windows(64).any(|w| w == &data[1000..1064]));
        // One flipped bit anywhere fails, and names the file.
        for at in [0, 10, HEADER + 5, HEADER + SEGMENT + 20, raw.len() - 1] {
            let mut bad = raw.clone();
            bad[at] ^= 1;
            b.inner.write(FileType::Pack, &name, &bad).unwrap();
            let e = b.read(FileType::Pack, &name).unwrap_err().to_string();
            assert!(e.contains(&name[..2]), "{e}");
        }
        // Cut at a segment boundary: the new last segment is not marked last.
        b.inner.write(FileType::Pack, &name, &raw[..HEADER + SEGMENT + TAG]).unwrap();
        assert!(b.read(FileType::Pack, &name).is_err());
        // Moved to another name: refused.
        let other = Id::hash(b"q").to_hex();
        b.inner.write(FileType::Pack, &other, &raw).unwrap();
        assert!(b.read(FileType::Pack, &other).is_err());
        // Another repository's key: refused.
        let (_d2, b2) = backend(cipher);
        b2.inner.write(FileType::Pack, &name, &raw).unwrap();
        assert!(b2.read(FileType::Pack, &name).is_err());
        // The same key under the other cipher: refused by the header.
        let other_cipher = Cipher::ALL.into_iter().find(|c| *c != cipher).unwrap();
        let b3 = SealedBackend::new(b.inner.clone(), b.keys.clone(), other_cipher);
        let e = b3.read(FileType::Pack, &other).unwrap_err().to_string();
        assert!(e.contains("cipher"), "{e}");
    }

    #[test]
    fn empty_files_and_config_pass_through() {
        let (_d, b) = backend(Cipher::default());
        let name = Id::hash(b"e").to_hex();
        b.write(FileType::Index, &name, b"").unwrap();
        assert_eq!(b.read(FileType::Index, &name).unwrap(), b"");
        b.write(FileType::Config, "config", b"plain").unwrap();
        assert_eq!(b.inner.read(FileType::Config, "config").unwrap(), b"plain");
    }
}
