//! Content identifiers: the BLAKE3 hash that names chunks, packs, index
//! files and snapshots.
//!
//! An `Id` is always 32 bytes. It is shown and used in file names as 64
//! lowercase hex digits; users may give an unambiguous prefix instead.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 32-byte BLAKE3 digest.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub [u8; 32]);

impl Id {
    /// BLAKE3 of `data` (unkeyed: repositories of format v1 are unencrypted).
    pub fn hash(data: &[u8]) -> Id {
        Id(*blake3::hash(data).as_bytes())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first eight hex digits, as shown in listings.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }

    pub fn random() -> Id {
        Id(rand::random())
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.short())
    }
}

/// The text is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an id (expected 64 hex digits)")]
pub struct ParseIdError(pub String);

impl FromStr for Id {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Id, ParseIdError> {
        let mut out = [0u8; 32];
        if s.len() != 64 || hex::decode_to_slice(s, &mut out).is_err() {
            return Err(ParseIdError(s.to_string()));
        }
        Ok(Id(out))
    }
}

// Ids are binary in MessagePack (bin 8, 32 bytes), never arrays of integers.
impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        d.deserialize_bytes(IdVisitor)
    }
}

/// Accepts MessagePack bin only: an id spelled as a string or an array of
/// integers is not what a writer of this format produces.
struct IdVisitor;

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a 32-byte binary id")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Id, E> {
        let arr: [u8; 32] = v
            .try_into()
            .map_err(|_| E::invalid_length(v.len(), &self))?;
        Ok(Id(arr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = Id::hash(b"pgkeep");
        assert_eq!(id.to_hex().parse::<Id>().unwrap(), id);
        assert!("xyz".parse::<Id>().is_err());
        assert!(id.to_hex()[..63].parse::<Id>().is_err());
    }

    #[test]
    fn serializes_as_binary() {
        let id = Id::hash(b"x");
        let bytes = rmp_serde::to_vec(&id).unwrap();
        // bin 8 marker, length 32, then the digest.
        assert_eq!(&bytes[..2], &[0xc4, 32]);
        assert_eq!(rmp_serde::from_slice::<Id>(&bytes).unwrap(), id);
    }
}
