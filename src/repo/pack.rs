//! Pack files: many compressed chunks in one file, followed by a table that
//! describes them, so a pack can be checked and re-indexed on its own
//! (format-spec/packs.md).
//!
//! This module owns the byte layout only. Deciding which chunks go into
//! which pack, and writing packs durably, is the writer's job (writer.rs).

use super::error::{RepoError, Result};
use super::id::Id;

pub const HEADER_MAGIC: &[u8; 8] = b"PGKPACK\x01";
pub const FOOTER_MAGIC: &[u8; 8] = b"PGKPEND\x01";
pub const HEADER_LEN: usize = 16;
pub const ENTRY_LEN: usize = 56;
pub const FOOTER_LEN: usize = 48;
pub const VERSION: u16 = 1;

/// A chunk is never larger than this, whatever the config says; a reader
/// refuses a larger length instead of allocating it.
pub const MAX_CHUNK: u32 = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Codec {
    None = 0,
    Zstd = 1,
}

impl Codec {
    pub fn from_byte(b: u8) -> Option<Codec> {
        match b {
            0 => Some(Codec::None),
            1 => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// Where one chunk sits in a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PackEntry {
    pub id: Id,
    pub offset: u64,
    pub stored_len: u32,
    pub raw_len: u32,
    pub codec: Codec,
}

/// Assembles a pack in memory. Chunks are appended already compressed.
pub struct PackBuilder {
    buf: Vec<u8>,
    entries: Vec<PackEntry>,
}

impl Default for PackBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PackBuilder {
    pub fn new() -> PackBuilder {
        Self::with_buffer(Vec::new())
    }

    /// A builder that fills `buf` (cleared first): a writer hands back the
    /// buffer of the pack it just wrote, so a long backup does not allocate
    /// and fault in a fresh pack-sized buffer for every pack.
    pub fn with_buffer(mut buf: Vec<u8>) -> PackBuilder {
        buf.clear();
        buf.extend_from_slice(HEADER_MAGIC);
        buf.extend_from_slice(&VERSION.to_le_bytes());
        buf.extend_from_slice(&0u16.to_le_bytes()); // flags
        buf.extend_from_slice(&0u32.to_le_bytes()); // reserved
        PackBuilder {
            buf,
            entries: Vec::new(),
        }
    }

    pub fn add(&mut self, id: Id, raw_len: u32, codec: Codec, stored: &[u8]) {
        let offset = self.buf.len() as u64;
        self.buf.extend_from_slice(stored);
        self.entries.push(PackEntry {
            id,
            offset,
            stored_len: stored.len() as u32,
            raw_len,
            codec,
        });
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Close the pack: append the entry table and footer. Returns the file
    /// bytes, its id (BLAKE3 of the whole file) and the entries.
    pub fn finish(mut self, content_id: impl Fn(&[u8]) -> Id) -> (Id, Vec<u8>, Vec<PackEntry>) {
        let table_start = self.buf.len();
        for e in &self.entries {
            self.buf.extend_from_slice(&e.id.0);
            self.buf.extend_from_slice(&e.offset.to_le_bytes());
            self.buf.extend_from_slice(&e.stored_len.to_le_bytes());
            self.buf.extend_from_slice(&e.raw_len.to_le_bytes());
            self.buf.push(e.codec as u8);
            self.buf.extend_from_slice(&[0u8; 7]);
        }
        let table_hash = blake3::hash(&self.buf[table_start..]);
        self.buf
            .extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&0u32.to_le_bytes());
        self.buf.extend_from_slice(table_hash.as_bytes());
        self.buf.extend_from_slice(FOOTER_MAGIC);
        let id = content_id(&self.buf);
        (id, self.buf, self.entries)
    }
}

/// Parse the footer at the end of a pack of `file_len` bytes: returns the
/// number of entries, which fixes where the table starts.
pub fn parse_footer(footer: &[u8], file_len: u64, object: &str) -> Result<(u32, [u8; 32])> {
    let bad = |p: String| RepoError::corrupt(object, p);
    if footer.len() != FOOTER_LEN {
        return Err(bad(format!(
            "footer is {} bytes, expected {FOOTER_LEN}",
            footer.len()
        )));
    }
    if &footer[40..48] != FOOTER_MAGIC {
        return Err(bad(
            "no pack footer magic at the end: truncated or not a pack".into(),
        ));
    }
    let count = u32::from_le_bytes(footer[0..4].try_into().expect("4 bytes"));
    if footer[4..8] != [0; 4] {
        return Err(bad("reserved footer bytes are not zero".into()));
    }
    let table_hash: [u8; 32] = footer[8..40].try_into().expect("32 bytes");
    let needed = HEADER_LEN as u64 + count as u64 * ENTRY_LEN as u64 + FOOTER_LEN as u64;
    if needed > file_len {
        return Err(bad(format!(
            "footer lists {count} chunks, which cannot fit in {file_len} bytes"
        )));
    }
    Ok((count, table_hash))
}

/// Offset of the entry table in a pack with `count` entries.
pub fn table_offset(file_len: u64, count: u32) -> u64 {
    file_len - FOOTER_LEN as u64 - count as u64 * ENTRY_LEN as u64
}

/// Parse and validate the entry table: the hash in the footer, every entry's
/// codec and lengths, and that chunks lie back to back between the header
/// and the table.
pub fn parse_table(
    table: &[u8],
    table_hash: &[u8; 32],
    table_start: u64,
    object: &str,
) -> Result<Vec<PackEntry>> {
    let bad = |p: String| RepoError::corrupt(object, p);
    if table.len() % ENTRY_LEN != 0 {
        return Err(bad("entry table length is not a multiple of 56".into()));
    }
    if blake3::hash(table).as_bytes() != table_hash {
        return Err(bad("entry table checksum mismatch".into()));
    }
    let mut entries = Vec::with_capacity(table.len() / ENTRY_LEN);
    let mut expected_offset = HEADER_LEN as u64;
    for (i, e) in table.chunks_exact(ENTRY_LEN).enumerate() {
        let id = Id(e[0..32].try_into().expect("32 bytes"));
        let offset = u64::from_le_bytes(e[32..40].try_into().expect("8 bytes"));
        let stored_len = u32::from_le_bytes(e[40..44].try_into().expect("4 bytes"));
        let raw_len = u32::from_le_bytes(e[44..48].try_into().expect("4 bytes"));
        let codec = Codec::from_byte(e[48]).ok_or_else(|| {
            bad(format!(
                "entry {i} (chunk {id}) has unknown codec {}",
                e[48]
            ))
        })?;
        if e[49..56] != [0; 7] {
            return Err(bad(format!(
                "entry {i} (chunk {id}) has non-zero reserved bytes"
            )));
        }
        if offset != expected_offset {
            return Err(bad(format!(
                "entry {i} (chunk {id}) starts at {offset}, expected {expected_offset}"
            )));
        }
        if raw_len > MAX_CHUNK || stored_len > MAX_CHUNK {
            return Err(bad(format!(
                "entry {i} (chunk {id}) is larger than {MAX_CHUNK} bytes"
            )));
        }
        if codec == Codec::None && stored_len != raw_len {
            return Err(bad(format!(
                "entry {i} (chunk {id}) is uncompressed but its lengths differ"
            )));
        }
        expected_offset += stored_len as u64;
        entries.push(PackEntry {
            id,
            offset,
            stored_len,
            raw_len,
            codec,
        });
    }
    if expected_offset != table_start {
        return Err(bad(format!(
            "chunks end at {expected_offset} but the entry table starts at {table_start}"
        )));
    }
    Ok(entries)
}

/// Check a whole pack held in memory and return its entries. Does not
/// decompress chunks (see `decode_blob`).
pub fn parse_pack(bytes: &[u8], object: &str) -> Result<Vec<PackEntry>> {
    let bad = |p: String| RepoError::corrupt(object, p);
    let len = bytes.len() as u64;
    if bytes.len() < HEADER_LEN + FOOTER_LEN {
        return Err(bad(format!(
            "{len} bytes is shorter than an empty pack: truncated"
        )));
    }
    check_header(&bytes[..HEADER_LEN], object)?;
    let (count, hash) = parse_footer(&bytes[bytes.len() - FOOTER_LEN..], len, object)?;
    let start = table_offset(len, count);
    parse_table(
        &bytes[start as usize..bytes.len() - FOOTER_LEN],
        &hash,
        start,
        object,
    )
}

pub fn check_header(header: &[u8], object: &str) -> Result<()> {
    if header.len() < HEADER_LEN {
        return Err(RepoError::corrupt(
            object,
            "shorter than a pack header: truncated",
        ));
    }
    if &header[..8] != HEADER_MAGIC {
        if header[..7] == HEADER_MAGIC[..7] {
            return Err(RepoError::UnsupportedVersion {
                object: object.into(),
                found: header[7] as u32,
                supported: 1,
            });
        }
        return Err(RepoError::corrupt(
            object,
            "does not start with the pack magic",
        ));
    }
    let version = u16::from_le_bytes([header[8], header[9]]);
    if version != VERSION {
        return Err(RepoError::UnsupportedVersion {
            object: object.into(),
            found: version as u32,
            supported: VERSION as u32,
        });
    }
    let flags = u16::from_le_bytes([header[10], header[11]]);
    if flags != 0 {
        return Err(RepoError::UnsupportedFeature {
            object: object.into(),
            feature: format!("pack flags {flags:#06x}"),
        });
    }
    if header[12..16] != [0; 4] {
        return Err(RepoError::corrupt(
            object,
            "reserved header bytes are not zero",
        ));
    }
    Ok(())
}

/// Decompress one stored chunk and prove it is the chunk it claims to be.
/// Given the stored bytes by value, a chunk kept uncompressed is returned
/// without a copy.
pub fn decode_blob<'a>(
    entry: &PackEntry,
    stored: impl Into<std::borrow::Cow<'a, [u8]>>,
    pack: &str,
    content_id: impl Fn(&[u8]) -> Id,
) -> Result<Vec<u8>> {
    let stored = stored.into();
    let object = || format!("chunk {} in pack {pack}", entry.id);
    if stored.len() != entry.stored_len as usize {
        return Err(RepoError::corrupt(
            object(),
            "stored length differs from the index",
        ));
    }
    let raw = match entry.codec {
        Codec::None => stored.into_owned(),
        Codec::Zstd => {
            let out = decompress(&stored, entry.raw_len as usize)
                .map_err(|e| RepoError::corrupt(object(), format!("does not decompress: {e}")))?;
            if out.len() != entry.raw_len as usize {
                return Err(RepoError::corrupt(
                    object(),
                    format!(
                        "decompresses to {} bytes, expected {}",
                        out.len(),
                        entry.raw_len
                    ),
                ));
            }
            out
        }
    };
    if content_id(&raw) != entry.id {
        return Err(RepoError::corrupt(
            object(),
            "content does not match its hash",
        ));
    }
    Ok(raw)
}

thread_local! {
    /// One zstd context per thread, reused: making one per chunk cost
    /// readers a few percent of their time.
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
}

fn decompress(stored: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let d = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(zstd::bulk::Decompressor::new()?),
        };
        d.decompress(stored, capacity)
    })
}

/// Compress a chunk for storage; keeps it raw when zstd does not help.
/// (The reference rule of format-spec/packs.md; the writer uses
/// `BlobEncoder`, which also skips chunks that a sample shows will not
/// compress.)
pub fn encode_blob(compressor: &mut zstd::bulk::Compressor<'_>, raw: &[u8]) -> (Codec, Vec<u8>) {
    match compressor.compress(raw) {
        Ok(c) if c.len() < raw.len() => (Codec::Zstd, c),
        _ => (Codec::None, raw.to_vec()),
    }
}

/// Chunks shorter than this are compressed without a probe: the probe
/// would cost as much as the compression it might save.
const PROBE_MIN_CHUNK: usize = 64 * 1024;
/// A probe compresses this many slices of `PROBE_SLICE` bytes, spread
/// evenly over the chunk (so one odd region at its start does not decide).
const PROBE_SLICES: usize = 4;
const PROBE_SLICE: usize = 8 * 1024;
/// A sample that zstd cannot shrink below this share of its size marks the
/// chunk as incompressible: it is stored raw without compressing it whole.
/// (zstd's own raw blocks would store it at about this size anyway.)
const PROBE_KEEP_RAW: f64 = 0.97;

/// What one `BlobEncoder::encode` did with a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoded {
    /// Compressed whole; the stored blob is shorter than the chunk.
    Compressed,
    /// Compressed whole, but not shorter: stored raw.
    NotSmaller,
    /// A sample did not compress: stored raw, never compressed whole.
    SkippedBySample,
    /// Compression is off for this writer: stored raw.
    Off,
}

/// Encodes chunks for storage with one reusable zstd context and output
/// buffer (one per writer thread).
///
/// With `level` None every chunk is stored raw (codec 0). Otherwise a chunk
/// is compressed at that level and stored raw when the frame is not
/// shorter; when asked to `probe`, a small spread sample is compressed
/// first and a chunk whose sample does not compress (`PROBE_KEEP_RAW`) is
/// stored raw at once — already-compressed or random bytes then cost a few
/// percent of a compression instead of a whole one.
pub struct BlobEncoder {
    compressor: Option<zstd::bulk::Compressor<'static>>,
    out: Vec<u8>,
    sample: Vec<u8>,
}

impl BlobEncoder {
    pub fn new(level: Option<i32>) -> std::io::Result<BlobEncoder> {
        let compressor = match level {
            Some(l) => Some(zstd::bulk::Compressor::new(l)?),
            None => None,
        };
        Ok(BlobEncoder { compressor, out: Vec::new(), sample: Vec::new() })
    }

    /// Encode `raw`: returns the codec, the bytes to store (borrowed from
    /// `raw` or from this encoder's buffer) and what was done.
    pub fn encode<'a>(&'a mut self, raw: &'a [u8], probe: bool) -> (Codec, &'a [u8], Encoded) {
        let Some(compressor) = self.compressor.as_mut() else {
            return (Codec::None, raw, Encoded::Off);
        };
        if probe && raw.len() >= PROBE_MIN_CHUNK {
            self.sample.clear();
            let step = raw.len() / PROBE_SLICES;
            for i in 0..PROBE_SLICES {
                let start = i * step;
                self.sample.extend_from_slice(&raw[start..(start + PROBE_SLICE).min(raw.len())]);
            }
            self.out.clear();
            self.out.reserve(zstd::zstd_safe::compress_bound(self.sample.len()));
            match compressor.compress_to_buffer(&self.sample, &mut self.out) {
                Ok(n) if (n as f64) < self.sample.len() as f64 * PROBE_KEEP_RAW => {}
                _ => return (Codec::None, raw, Encoded::SkippedBySample),
            }
        }
        self.out.clear();
        self.out.reserve(zstd::zstd_safe::compress_bound(raw.len()));
        match compressor.compress_to_buffer(raw, &mut self.out) {
            Ok(n) if n < raw.len() => (Codec::Zstd, &self.out[..n], Encoded::Compressed),
            _ => (Codec::None, raw, Encoded::NotSmaller),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Id, Vec<u8>, Vec<PackEntry>) {
        let mut c = zstd::bulk::Compressor::new(1).unwrap();
        let mut b = PackBuilder::new();
        for data in [&b"hello hello hello hello hello"[..], b"x", &[7u8; 1000]] {
            let (codec, stored) = encode_blob(&mut c, data);
            b.add(Id::hash(data), data.len() as u32, codec, &stored);
        }
        b.finish(Id::hash)
    }

    #[test]
    fn pack_round_trip() {
        let (id, bytes, entries) = sample();
        assert_eq!(Id::hash(&bytes), id);
        let parsed = parse_pack(&bytes, "p").unwrap();
        assert_eq!(parsed, entries);
        for e in &parsed {
            let s = &bytes[e.offset as usize..(e.offset + e.stored_len as u64) as usize];
            decode_blob(e, s, "p", Id::hash).unwrap();
        }
    }

    #[test]
    fn encoder_skips_what_a_sample_shows_will_not_compress() {
        let mut enc = BlobEncoder::new(Some(1)).unwrap();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let (codec, stored, how) = enc.encode(&random, true);
        assert_eq!((codec, stored.len(), how), (Codec::None, random.len(), Encoded::SkippedBySample));
        // Without the probe the whole chunk is tried, and still kept raw.
        let (codec, _, how) = enc.encode(&random, false);
        assert_eq!((codec, how), (Codec::None, Encoded::NotSmaller));
        let text = b"row 1 of a table that compresses; ".repeat(10_000);
        let (codec, stored, how) = enc.encode(&text, true);
        assert_eq!((codec, how), (Codec::Zstd, Encoded::Compressed));
        assert!(stored.len() < text.len() / 10);
        let stored = stored.to_vec();
        let e = PackEntry { id: Id::hash(&text), offset: 16, stored_len: stored.len() as u32, raw_len: text.len() as u32, codec };
        assert_eq!(decode_blob(&e, &stored[..], "p", Id::hash).unwrap(), text);
        let mut off = BlobEncoder::new(None).unwrap();
        assert_eq!(off.encode(&text, true).2, Encoded::Off);
    }

    #[test]
    fn truncation_is_reported() {
        let (_, bytes, _) = sample();
        for cut in 0..bytes.len() {
            assert!(parse_pack(&bytes[..cut], "p").is_err(), "cut at {cut}");
        }
    }
}
