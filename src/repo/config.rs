//! The repository's config object: format version, id, and the parameters
//! every writer must use so that data deduplicates across runs (chunker,
//! compression, pack size). Written once by `init`.

use serde::{Deserialize, Serialize};

use super::error::{RepoError, Result};
use super::id::Id;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerParams {
    /// Always "fastcdc-2020" in format v1.
    pub algorithm: String,
    pub min_size: u32,
    pub avg_size: u32,
    pub max_size: u32,
    /// FastCDC normalization level (0–3).
    pub normalization: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressionParams {
    /// Always "zstd" in format v1.
    pub algorithm: String,
    pub level: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoConfig {
    pub version: u32,
    pub id: Id,
    /// RFC 3339, UTC.
    pub created: String,
    /// Always "blake3" in format v1.
    pub hash: String,
    pub chunker: ChunkerParams,
    pub compression: CompressionParams,
    /// Packs are closed once they reach this many bytes.
    pub pack_size: u64,
    /// "none", or a cipher ("aes-256-gcm", "xchacha20-poly1305"): every
    /// file but this one and the key files is sealed, and content ids are
    /// keyed (format-spec/encryption.md).
    pub encryption: String,
}

impl Default for ChunkerParams {
    // Chosen by benches/chunking.rs (README "Chunk sizes"): 512 KiB average
    // keeps index and manifest small while a changed row rewrites little.
    fn default() -> Self {
        ChunkerParams {
            algorithm: "fastcdc-2020".into(),
            min_size: 128 * 1024,
            avg_size: 512 * 1024,
            max_size: 2 * 1024 * 1024,
            normalization: 1,
        }
    }
}

impl Default for CompressionParams {
    // Level 1: about twice as fast as level 3 on table data for a few
    // percent of size (benches/compression.rs).
    fn default() -> Self {
        CompressionParams {
            algorithm: "zstd".into(),
            level: 1,
        }
    }
}

pub const DEFAULT_PACK_SIZE: u64 = 16 * 1024 * 1024;

impl RepoConfig {
    pub fn new(
        chunker: ChunkerParams,
        compression: CompressionParams,
        pack_size: u64,
    ) -> Result<Self> {
        let cfg = RepoConfig {
            version: FORMAT_VERSION,
            id: Id::random(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            hash: "blake3".into(),
            chunker,
            compression,
            pack_size,
            encryption: "none".into(),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// What a reader needs: a format it understands. Settings that only
    /// writers use are judged by `validate` when writing starts, so that an
    /// unusual writer setting never blocks a restore.
    pub fn validate_for_reading(&self) -> Result<()> {
        let unsupported = |feature: String| RepoError::UnsupportedFeature {
            object: "config".into(),
            feature,
        };
        if self.version == 0 {
            return Err(RepoError::corrupt(
                "config",
                "format version 0 does not exist",
            ));
        }
        if self.version > FORMAT_VERSION {
            return Err(RepoError::UnsupportedVersion {
                object: "config".into(),
                found: self.version,
                supported: FORMAT_VERSION,
            });
        }
        if self.hash != "blake3" {
            return Err(unsupported(format!("hash {:?}", self.hash)));
        }
        if self.encryption != "none" && super::crypto::Cipher::from_name(&self.encryption).is_none() {
            return Err(unsupported(format!("encryption {:?}", self.encryption)));
        }
        Ok(())
    }

    /// Reject settings this version cannot write with, naming the setting.
    pub fn validate(&self) -> Result<()> {
        self.validate_for_reading()?;
        let unsupported = |feature: String| RepoError::UnsupportedFeature {
            object: "config".into(),
            feature,
        };
        if self.chunker.algorithm != "fastcdc-2020" {
            return Err(unsupported(format!("chunker {:?}", self.chunker.algorithm)));
        }
        if self.compression.algorithm != "zstd" {
            return Err(unsupported(format!(
                "compression {:?}",
                self.compression.algorithm
            )));
        }
        let c = &self.chunker;
        let invalid = |name: &str, problem: String| RepoError::InvalidSetting {
            name: name.into(),
            problem,
        };
        use fastcdc::v2020::{
            AVERAGE_MAX, AVERAGE_MIN, MAXIMUM_MAX, MAXIMUM_MIN, MINIMUM_MAX, MINIMUM_MIN,
        };
        let (min, avg, max) = (
            c.min_size as usize,
            c.avg_size as usize,
            c.max_size as usize,
        );
        if !(MINIMUM_MIN..=MINIMUM_MAX).contains(&min) || min % 2 != 0 {
            return Err(invalid(
                "chunker.min_size",
                format!("{min} must be even and within {MINIMUM_MIN}..={MINIMUM_MAX}"),
            ));
        }
        if !(AVERAGE_MIN..=AVERAGE_MAX).contains(&avg) || !avg.is_power_of_two() {
            return Err(invalid(
                "chunker.avg_size",
                format!("{avg} must be a power of two within {AVERAGE_MIN}..={AVERAGE_MAX}"),
            ));
        }
        if !(MAXIMUM_MIN..=MAXIMUM_MAX).contains(&max) || max % 2 != 0 {
            return Err(invalid(
                "chunker.max_size",
                format!("{max} must be even and within {MAXIMUM_MIN}..={MAXIMUM_MAX}"),
            ));
        }
        if !(min < avg && avg < max) {
            return Err(invalid(
                "chunker",
                format!("sizes must satisfy min < avg < max, got {min} / {avg} / {max}"),
            ));
        }
        if c.normalization > 3 {
            return Err(invalid(
                "chunker.normalization",
                format!("{} must be 0–3", c.normalization),
            ));
        }
        if !(1..=19).contains(&self.compression.level) {
            return Err(invalid(
                "compression.level",
                format!("{} must be 1–19", self.compression.level),
            ));
        }
        if !(1 << 20..=1 << 30).contains(&self.pack_size) {
            return Err(invalid(
                "pack_size",
                format!("{} must be between 1 MiB and 1 GiB", self.pack_size),
            ));
        }
        Ok(())
    }
}
