//! What a DDL entry creates: [`EntryKind`], stored as the upper-case words
//! pg_dump's table of contents uses ("TABLE", "FK CONSTRAINT", …).
//!
//! The set pgkeep writes is closed and listed here once; a reader keeps
//! any other word as [`EntryKind::Other`] (a newer pgkeep may write new
//! kinds, and the spec says readers must not reject them), so an entry's
//! kind survives a read whatever it is.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! entry_kinds {
    ($($variant:ident = $word:literal,)*) => {
        /// The kind of a [`DdlEntry`](super::snapshot::DdlEntry).
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum EntryKind {
            $(#[doc = concat!("`", $word, "`")] $variant,)*
            /// A word this version does not write (empty when not recorded).
            Other(String),
        }

        impl EntryKind {
            /// Every kind this version writes.
            pub const ALL: &'static [EntryKind] = &[$(EntryKind::$variant,)*];

            /// The stored word.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EntryKind::$variant => $word,)*
                    EntryKind::Other(word) => word,
                }
            }

            /// The kind a stored word names.
            pub fn from_word(word: &str) -> EntryKind {
                match word {
                    $($word => EntryKind::$variant,)*
                    other => EntryKind::Other(other.to_string()),
                }
            }
        }
    };
}

entry_kinds! {
    Schema = "SCHEMA",
    Extension = "EXTENSION",
    ProceduralLanguage = "PROCEDURAL LANGUAGE",
    Collation = "COLLATION",
    ShellType = "SHELL TYPE",
    Type = "TYPE",
    Domain = "DOMAIN",
    Function = "FUNCTION",
    Procedure = "PROCEDURE",
    Aggregate = "AGGREGATE",
    Operator = "OPERATOR",
    OperatorFamily = "OPERATOR FAMILY",
    OperatorClass = "OPERATOR CLASS",
    AccessMethod = "ACCESS METHOD",
    Conversion = "CONVERSION",
    TextSearchParser = "TEXT SEARCH PARSER",
    TextSearchTemplate = "TEXT SEARCH TEMPLATE",
    TextSearchDictionary = "TEXT SEARCH DICTIONARY",
    TextSearchConfiguration = "TEXT SEARCH CONFIGURATION",
    Cast = "CAST",
    Transform = "TRANSFORM",
    ForeignDataWrapper = "FOREIGN DATA WRAPPER",
    Server = "SERVER",
    UserMapping = "USER MAPPING",
    Table = "TABLE",
    ForeignTable = "FOREIGN TABLE",
    View = "VIEW",
    MaterializedView = "MATERIALIZED VIEW",
    Sequence = "SEQUENCE",
    SequenceOwnedBy = "SEQUENCE OWNED BY",
    Default = "DEFAULT",
    TableAttach = "TABLE ATTACH",
    LargeObject = "LARGE OBJECT",
    Acl = "ACL",
    SequenceSet = "SEQUENCE SET",
    Constraint = "CONSTRAINT",
    CheckConstraint = "CHECK CONSTRAINT",
    FkConstraint = "FK CONSTRAINT",
    Index = "INDEX",
    IndexAttach = "INDEX ATTACH",
    Statistics = "STATISTICS",
    Rule = "RULE",
    Trigger = "TRIGGER",
    EventTrigger = "EVENT TRIGGER",
    Policy = "POLICY",
    Publication = "PUBLICATION",
    PublicationTable = "PUBLICATION TABLE",
    PublicationTablesInSchema = "PUBLICATION TABLES IN SCHEMA",
    Subscription = "SUBSCRIPTION",
    MaterializedViewData = "MATERIALIZED VIEW DATA",
    DefaultAcl = "DEFAULT ACL",
}

impl EntryKind {
    /// Kinds that are relations (their ACLs and owners are a table's).
    pub fn is_relation(&self) -> bool {
        matches!(
            self,
            EntryKind::Table | EntryKind::View | EntryKind::Sequence | EntryKind::MaterializedView | EntryKind::ForeignTable
        )
    }
}

impl Default for EntryKind {
    fn default() -> EntryKind {
        EntryKind::Other(String::new())
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EntryKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EntryKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EntryKind, D::Error> {
        Ok(EntryKind::from_word(&<std::borrow::Cow<'de, str>>::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_its_word_and_other_words_are_kept() {
        for k in EntryKind::ALL {
            assert_eq!(&EntryKind::from_word(k.as_str()), k);
            let bytes = rmp_serde::to_vec(k).unwrap();
            assert_eq!(bytes, rmp_serde::to_vec(k.as_str()).unwrap());
            assert_eq!(&rmp_serde::from_slice::<EntryKind>(&bytes).unwrap(), k);
        }
        let newer = rmp_serde::to_vec("PROPERTY GRAPH").unwrap();
        assert_eq!(rmp_serde::from_slice::<EntryKind>(&newer).unwrap(), EntryKind::Other("PROPERTY GRAPH".into()));
        assert_eq!(EntryKind::default().as_str(), "");
    }
}
