//! SQL text, the bottom layer: quoting identifiers and literals by the
//! server's rules, and splitting rendered SQL into statements.
//!
//! Plain functions over strings: nothing here talks to a server, reads the
//! catalog or knows the repository, so every layer above may use it.

pub mod quote;
pub mod statements;
