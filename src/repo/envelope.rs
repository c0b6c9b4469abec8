//! The envelope every small repository object is stored in: config, index
//! files, snapshots and locks (format-spec/envelope.md).
//!
//! It owns framing, compression and the checksum of one object; it knows
//! nothing of what the payload means. Packs have their own layout (pack.rs).

use std::io::Read;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::{RepoError, Result};

pub const MAGIC: &[u8; 6] = b"PGKEEP";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 20;
pub const CHECKSUM_LEN: usize = 32;

/// Codec byte values.
pub const CODEC_NONE: u8 = 0;
pub const CODEC_ZSTD: u8 = 1;

/// Flag bit reserved for AEAD encryption (a later format version).
pub const FLAG_ENCRYPTED: u8 = 0x01;

/// Decompressed payloads larger than this are refused: a corrupt or hostile
/// length must not make a reader allocate without bound.
pub const MAX_PAYLOAD: u64 = 1 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Config,
    Index,
    Snapshot,
    Lock,
    /// A key file (format-spec/encryption.md); never sealed.
    Key,
}

impl Kind {
    pub fn byte(self) -> u8 {
        match self {
            Kind::Config => b'C',
            Kind::Index => b'I',
            Kind::Snapshot => b'S',
            Kind::Lock => b'L',
            Kind::Key => b'K',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Index => "index",
            Kind::Snapshot => "snapshot",
            Kind::Lock => "lock",
            Kind::Key => "key file",
        }
    }
}

/// Frame `payload` (already MessagePack) as an object of `kind`.
pub fn seal(kind: Kind, payload: &[u8]) -> Vec<u8> {
    // Level 3: these objects are small and written once; size matters more
    // than the few milliseconds.
    let (codec, body) = match zstd::bulk::compress(payload, 3) {
        Ok(c) if c.len() < payload.len() => (CODEC_ZSTD, c),
        _ => (CODEC_NONE, payload.to_vec()),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.push(kind.byte());
    out.push(VERSION);
    out.push(codec);
    out.push(0); // flags
    out.extend_from_slice(&[0, 0]); // reserved
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Check and unframe an object; returns the MessagePack payload.
/// `object` names it in errors ("snapshot 1a2b3c4d", "config").
///
/// Magic, kind, version and flags are judged before the checksum, so that a
/// newer format (whose trailer may differ) is reported as newer, not corrupt.
pub fn open(kind: Kind, bytes: &[u8], object: &str) -> Result<Vec<u8>> {
    let bad = |p: String| RepoError::corrupt(object, p);
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(bad(format!(
            "{} bytes is shorter than the smallest object ({} bytes): truncated",
            bytes.len(),
            HEADER_LEN + CHECKSUM_LEN
        )));
    }
    if &bytes[..6] != MAGIC {
        return Err(bad("does not start with the PGKEEP magic".into()));
    }
    if bytes[6] != kind.byte() {
        return Err(bad(format!(
            "holds object kind {:?}, expected {} ({:?})",
            bytes[6] as char,
            kind.name(),
            kind.byte() as char
        )));
    }
    match bytes[7] {
        0 => return Err(bad("format version 0 does not exist".into())),
        v if v > VERSION => {
            return Err(RepoError::UnsupportedVersion {
                object: object.to_string(),
                found: v as u32,
                supported: VERSION as u32,
            })
        }
        _ => {}
    }
    let codec = bytes[8];
    let flags = bytes[9];
    if flags & FLAG_ENCRYPTED != 0 {
        return Err(RepoError::UnsupportedFeature {
            object: object.to_string(),
            feature: "encryption".into(),
        });
    }
    if flags != 0 {
        return Err(RepoError::UnsupportedFeature {
            object: object.to_string(),
            feature: format!("envelope flags {flags:#04x}"),
        });
    }
    if codec != CODEC_NONE && codec != CODEC_ZSTD {
        return Err(RepoError::UnsupportedFeature {
            object: object.to_string(),
            feature: format!("codec {codec}"),
        });
    }
    let (body_end, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if blake3::hash(body_end).as_bytes() != sum {
        return Err(bad(
            "checksum mismatch (the file was changed or damaged)".into()
        ));
    }
    if bytes[10..12] != [0, 0] {
        return Err(bad("reserved header bytes are not zero".into()));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let body = &body_end[HEADER_LEN..];
    if len != body.len() as u64 {
        return Err(bad(format!(
            "header says {len} payload bytes, file holds {}",
            body.len()
        )));
    }
    if codec == CODEC_NONE {
        if len > MAX_PAYLOAD {
            return Err(bad(format!("payload is larger than {MAX_PAYLOAD} bytes")));
        }
        return Ok(body.to_vec());
    }
    // Exactly one frame: bytes after it would be silently ignored otherwise.
    match zstd::zstd_safe::find_frame_compressed_size(body) {
        Ok(n) if n == body.len() => {}
        Ok(n) => {
            return Err(bad(format!(
                "{} bytes follow the compressed payload",
                body.len() - n
            )))
        }
        Err(_) => return Err(bad("payload is not a complete zstd frame".into())),
    }
    decompress_bounded(body, decompress_limit(body.len())).map_err(bad)
}

/// The most a body of `compressed` bytes may decompress to: 1 MiB, or 256
/// times its size, whichever is larger, and never more than
/// [`MAX_PAYLOAD`]. Real payloads (names, DDL text, random chunk ids)
/// compress a few times, never hundreds; a tiny frame that inflates to
/// gigabytes is an attack on the reader's memory.
pub fn decompress_limit(compressed: usize) -> u64 {
    (compressed as u64).saturating_mul(MAX_EXPANSION).clamp(MIN_EXPANSION_LIMIT, MAX_PAYLOAD)
}

/// See [`decompress_limit`].
pub const MAX_EXPANSION: u64 = 256;
/// See [`decompress_limit`].
pub const MIN_EXPANSION_LIMIT: u64 = 1 << 20;

/// zstd-decode at most `limit` bytes; more is an error, not an allocation.
/// The output grows in steps and is checked before each one, so a frame
/// that claims (or inflates to) more than `limit` never gets the memory.
pub fn decompress_bounded(data: &[u8], limit: u64) -> std::result::Result<Vec<u8>, String> {
    let mut dec = zstd::stream::read::Decoder::with_buffer(data)
        .map_err(|e| format!("zstd: {e}"))?
        .single_frame();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = dec.read(&mut buf).map_err(|e| format!("zstd: {e}"))?;
        if n == 0 {
            return Ok(out);
        }
        if (out.len() + n) as u64 > limit {
            return Err(format!("decompresses to more than {limit} bytes"));
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Serialize `value` as a named MessagePack map and seal it.
pub fn seal_value<T: Serialize>(kind: Kind, value: &T) -> Vec<u8> {
    let payload = rmp_serde::to_vec_named(value).expect("repository objects always serialize");
    seal(kind, &payload)
}

/// Open an object and decode its MessagePack payload.
pub fn open_value<T: DeserializeOwned>(kind: Kind, bytes: &[u8], object: &str) -> Result<T> {
    let payload = open(kind, bytes, object)?;
    decode_payload(&payload, object)
}

/// Decode exactly one MessagePack value filling the whole payload.
///
/// The payload is walked first ([`check_payload_sizes`]) so that declared
/// lengths beyond the bytes present, nesting past [`MAX_DEPTH`] and
/// payloads that would decode into far more memory than they take are
/// refused before the decoder allocates anything for them.
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8], object: &str) -> Result<T> {
    check_payload_sizes(payload).map_err(|e| RepoError::corrupt(object, format!("payload refused: {e}")))?;
    let mut cursor = std::io::Cursor::new(payload);
    let value = {
        let mut de = rmp_serde::Deserializer::new(&mut cursor);
        T::deserialize(&mut de)
            .map_err(|e| RepoError::corrupt(object, format!("payload does not decode: {e}")))?
    };
    if cursor.position() != payload.len() as u64 {
        return Err(RepoError::corrupt(
            object,
            format!(
                "{} bytes follow the MessagePack payload",
                payload.len() as u64 - cursor.position()
            ),
        ));
    }
    Ok(value)
}

/// Deepest nesting of arrays and maps a payload may have (ours nest a few
/// levels).
pub const MAX_DEPTH: u32 = 64;
/// Estimated decoded memory per array element or map entry: the size of
/// the larger structs a payload decodes into, whatever their encoding.
pub const DECODED_BYTES_PER_ITEM: u64 = 256;
/// Decoded memory a payload may need: this much plus
/// [`DECODED_MEMORY_PER_BYTE`] per payload byte.
pub const DECODED_MEMORY_BASE: u64 = 64 << 20;
/// See [`DECODED_MEMORY_BASE`]. A real payload spends several bytes per
/// item (field names, values); a hostile one spends one byte (an empty
/// map) on an item that decodes into a whole struct.
pub const DECODED_MEMORY_PER_BYTE: u64 = 64;

/// Walk one MessagePack value without decoding it: every declared length
/// fits in the bytes that follow (an array of n items needs at least n
/// bytes, a map of n entries 2n), nesting stays within [`MAX_DEPTH`], and
/// the estimated decoded memory within the budget above.
pub fn check_payload_sizes(payload: &[u8]) -> std::result::Result<(), String> {
    let mut pos = 0usize;
    let mut cost = 0u64;
    let budget = DECODED_MEMORY_BASE.saturating_add((payload.len() as u64).saturating_mul(DECODED_MEMORY_PER_BYTE));
    // Items still to walk at each open level (iterative: no recursion for
    // an attacker to exhaust).
    let mut pending: Vec<u64> = vec![1];
    while let Some(top) = pending.last_mut() {
        if *top == 0 {
            pending.pop();
            continue;
        }
        *top -= 1;
        let at = pos;
        let rem = |pos: usize| (payload.len() - pos) as u64;
        let take = |pos: &mut usize, n: usize| -> std::result::Result<u64, String> {
            let end = pos.checked_add(n).filter(|&e| e <= payload.len()).ok_or_else(|| format!("truncated at byte {at}"))?;
            let v = payload[*pos..end].iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
            *pos = end;
            Ok(v)
        };
        let m = take(&mut pos, 1)? as u8;
        // (length of data that follows, items of a container, entries of a map)
        let (data, items): (u64, Option<u64>) = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, None),
            0x80..=0x8f => (0, Some(2 * (m & 0x0f) as u64)),
            0x90..=0x9f => (0, Some((m & 0x0f) as u64)),
            0xa0..=0xbf => ((m & 0x1f) as u64, None),
            0xc4 | 0xd9 => (take(&mut pos, 1)?, None),
            0xc5 | 0xda => (take(&mut pos, 2)?, None),
            0xc6 | 0xdb => (take(&mut pos, 4)?, None),
            0xc7 => (take(&mut pos, 1)? + 1, None),
            0xc8 => (take(&mut pos, 2)? + 1, None),
            0xc9 => (take(&mut pos, 4)? + 1, None),
            0xd4 => (2, None),
            0xd5 => (3, None),
            0xd6 => (5, None),
            0xd7 => (9, None),
            0xd8 => (17, None),
            0xca | 0xce | 0xd2 => (4, None),
            0xcb | 0xcf | 0xd3 => (8, None),
            0xcc | 0xd0 => (1, None),
            0xcd | 0xd1 => (2, None),
            0xdc => (0, Some(take(&mut pos, 2)?)),
            0xdd => (0, Some(take(&mut pos, 4)?)),
            0xde => (0, Some(2 * take(&mut pos, 2)?)),
            0xdf => (0, Some(2 * take(&mut pos, 4)?)),
            0xc1 => return Err(format!("byte {at}: 0xc1 is not a MessagePack marker")),
        };
        if data > rem(pos) {
            return Err(format!("byte {at}: a value declares {data} bytes, only {} follow", rem(pos)));
        }
        pos += data as usize;
        cost = cost.saturating_add(data);
        if let Some(n) = items {
            if n > rem(pos) {
                return Err(format!(
                    "byte {at}: an array or map declares {} items, only {} bytes follow",
                    if m >= 0xde || (0x80..=0x8f).contains(&m) { n / 2 } else { n },
                    rem(pos)
                ));
            }
            if pending.len() as u32 > MAX_DEPTH {
                return Err(format!("byte {at}: nested deeper than {MAX_DEPTH} levels"));
            }
            cost = cost.saturating_add(n.saturating_mul(DECODED_BYTES_PER_ITEM));
            if cost > budget {
                return Err(format!(
                    "byte {at}: would decode into more than {budget} bytes of memory ({} payload bytes)",
                    payload.len()
                ));
            }
            pending.push(n);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sizes_are_refused_before_decoding() {
        // An array claiming 2^32-1 items, a string claiming 4 GiB, a map
        // claiming 2^32-1 entries: a few bytes each.
        for bytes in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x80][..],
            &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'][..],
            &[0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a', 0x80][..],
            &[0x81, 0xa1, b'a', 0xc6, 0xff, 0xff, 0xff, 0x00][..],
        ] {
            let e = decode_payload::<serde_json::Value>(bytes, "snapshot 0123abcd").unwrap_err().to_string();
            assert!(e.contains("snapshot 0123abcd") && e.contains("declares"), "{e}");
        }
        // Deep nesting.
        let mut deep = vec![0x91u8; 1000];
        deep.push(0xc0);
        assert!(check_payload_sizes(&deep).unwrap_err().contains("nested deeper"));
        // Honest lengths, but a million empty maps (each a whole struct).
        let mut amp = vec![0xdd, 0x00, 0x10, 0x00, 0x00];
        amp.extend(std::iter::repeat_n(0x80u8, 1 << 20));
        assert!(check_payload_sizes(&amp).unwrap_err().contains("memory"));
        // Real payloads pass.
        let v = serde_json::json!({"a": [1, 2, {"b": "c"}], "d": null, "e": [[], {}]});
        check_payload_sizes(&rmp_serde::to_vec_named(&v).unwrap()).unwrap();
        assert!(decompress_limit(236) == MIN_EXPANSION_LIMIT && decompress_limit(1 << 30) == MAX_PAYLOAD);
    }

    #[test]
    fn round_trip_and_every_flip_detected() {
        let sealed = seal(
            Kind::Index,
            &rmp_serde::to_vec_named(&vec![1u32; 50]).unwrap(),
        );
        assert!(open(Kind::Index, &sealed, "x").is_ok());
        for i in 0..sealed.len() {
            let mut b = sealed.clone();
            b[i] ^= 0x40;
            assert!(
                open(Kind::Index, &b, "x").is_err(),
                "flip at {i} not detected"
            );
        }
        assert!(open(Kind::Snapshot, &sealed, "x").is_err());
        assert!(open(Kind::Index, &sealed[..sealed.len() - 1], "x").is_err());
    }

    #[test]
    fn newer_version_is_named() {
        let mut b = seal(Kind::Config, b"\x80");
        b[7] = 2;
        let n = b.len() - CHECKSUM_LEN;
        let sum = blake3::hash(&b[..n]);
        b[n..].copy_from_slice(sum.as_bytes());
        let err = open(Kind::Config, &b, "config").unwrap_err().to_string();
        assert!(err.contains("version 2"), "{err}");
    }
}
