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
}

impl Kind {
    pub fn byte(self) -> u8 {
        match self {
            Kind::Config => b'C',
            Kind::Index => b'I',
            Kind::Snapshot => b'S',
            Kind::Lock => b'L',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Index => "index",
            Kind::Snapshot => "snapshot",
            Kind::Lock => "lock",
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
    decompress_bounded(body, MAX_PAYLOAD).map_err(bad)
}

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
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8], object: &str) -> Result<T> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
