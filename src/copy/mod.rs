//! COPY streams: the statements that move table data out of and into the
//! server, and readers of the stream formats (framing checks and row
//! counts).
//!
//! This module owns the COPY side of the data path. It knows nothing of
//! the repository (chunks are the repository's business) and does not
//! choose which tables to copy (the engines do).

pub mod binary;
pub mod rows;
pub mod values;

use crate::sql::quote::{quote_ident, quote_qualified};
use crate::manifest::snapshot::CopyFormat;

/// The columns of a table that COPY carries: every column that is not
/// generated, in the table's order.
pub fn column_list(columns: &[String]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let cols: Vec<String> = columns.iter().map(|c| quote_ident(c).into_owned()).collect();
    format!(" ({})", cols.join(", "))
}

fn options(format: CopyFormat) -> String {
    format!("(FORMAT {})", format.as_str())
}

/// `COPY ... TO STDOUT` for a table, or for the rows of one block range of
/// it (`[start, end)`, `end` = `u64::MAX` for "to the end"), which the server
/// reads with a TID range scan (PostgreSQL 14 and later).
pub fn copy_out_sql(schema: &str, table: &str, columns: &[String], format: CopyFormat, blocks: Option<(u64, u64)>) -> String {
    let name = quote_qualified(schema, table);
    match blocks {
        None => format!("COPY {name}{} TO STDOUT {}", column_list(columns), options(format)),
        Some((start, end)) => {
            let cols = if columns.is_empty() {
                String::new()
            } else {
                columns.iter().map(|c| quote_ident(c).into_owned()).collect::<Vec<_>>().join(", ")
            };
            let mut cond = Vec::new();
            if start > 0 {
                cond.push(format!("ctid >= '({start},0)'::pg_catalog.tid"));
            }
            if end != u64::MAX {
                cond.push(format!("ctid < '({end},0)'::pg_catalog.tid"));
            }
            let filter = if cond.is_empty() { String::new() } else { format!(" WHERE {}", cond.join(" AND ")) };
            format!("COPY (SELECT {cols} FROM ONLY {name}{filter}) TO STDOUT {}", options(format))
        }
    }
}

/// `COPY ... FROM STDIN` into `qualified_table` (already quoted: a restore
/// may have renamed its schema); with `freeze`, rows are written frozen
/// (the table must have been created or truncated in the same transaction).
pub fn copy_in_sql(qualified_table: &str, columns: &[String], format: CopyFormat, freeze: bool) -> String {
    let mut opts = options(format);
    if freeze {
        opts.insert_str(opts.len() - 1, ", FREEZE");
    }
    format!("COPY {qualified_table}{} FROM STDIN {opts}", column_list(columns))
}

/// Counts the rows of a text-format COPY stream: every row ends with a
/// newline, and newlines inside values are escaped.
#[derive(Debug, Default, Clone)]
pub struct TextRows {
    rows: u64,
}

impl TextRows {
    pub fn feed(&mut self, data: &[u8]) {
        self.rows += data.iter().filter(|&&b| b == b'\n').count() as u64;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Row counting for either format.
#[derive(Debug, Clone)]
pub enum RowCounter {
    Binary(binary::BinaryFraming),
    Text(TextRows),
}

impl RowCounter {
    pub fn new(format: CopyFormat, columns: usize) -> RowCounter {
        match format {
            CopyFormat::Binary => RowCounter::Binary(binary::BinaryFraming::new(u16::try_from(columns).ok())),
            CopyFormat::Text => RowCounter::Text(TextRows::default()),
        }
    }

    pub fn feed(&mut self, data: &[u8]) -> Result<(), binary::FramingError> {
        match self {
            RowCounter::Binary(b) => b.feed(data),
            RowCounter::Text(t) => {
                t.feed(data);
                Ok(())
            }
        }
    }

    /// Rows in the whole stream; for binary, checks it ended properly.
    pub fn finish(&mut self) -> Result<u64, binary::FramingError> {
        match self {
            RowCounter::Binary(b) => b.finish(),
            RowCounter::Text(t) => Ok(t.rows()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_every_name() {
        let cols = vec!["id".to_string(), "Odd \"name\"".to_string()];
        assert_eq!(
            copy_out_sql("Ten ant", "t", &cols, CopyFormat::Binary, None),
            "COPY \"Ten ant\".t (id, \"Odd \"\"name\"\"\") TO STDOUT (FORMAT binary)"
        );
        assert_eq!(
            copy_out_sql("s", "t", &cols[..1], CopyFormat::Text, Some((0, 100))),
            "COPY (SELECT id FROM ONLY s.t WHERE ctid < '(100,0)'::pg_catalog.tid) TO STDOUT (FORMAT text)"
        );
        assert_eq!(
            copy_out_sql("s", "t", &cols[..1], CopyFormat::Binary, Some((100, u64::MAX))),
            "COPY (SELECT id FROM ONLY s.t WHERE ctid >= '(100,0)'::pg_catalog.tid) TO STDOUT (FORMAT binary)"
        );
        assert_eq!(copy_in_sql("x.y", &[], CopyFormat::Binary, false), "COPY x.y FROM STDIN (FORMAT binary)");
        assert_eq!(copy_in_sql("x.y", &[], CopyFormat::Text, true), "COPY x.y FROM STDIN (FORMAT text, FREEZE)");
    }
}
