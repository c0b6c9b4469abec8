//! Extracting one table of a snapshot as CSV or JSON lines, without a
//! server.
//!
//! CSV is what `COPY … TO STDOUT (FORMAT csv)` prints on a session with
//! DateStyle `ISO, MDY`, IntervalStyle `postgres`, `extra_float_digits =
//! 1`, `lc_monetary = C` and the chosen TimeZone; JSON lines are what
//! `row_to_json` makes of each row. Values are decoded by
//! `copy::values`; a column of a type it cannot decode is written as hex
//! with one warning. Tables copied in text format (composites, arrays of
//! user types) are passed through as the server printed them at backup
//! time.
//!
//! It reads the repository and writes to the given writer; it never
//! writes to the repository.

use std::io::{BufReader, Write};

use crate::copy::rows::{BinaryRowReader, Row, RowError, TextRowReader};
use crate::copy::values::{json_string, Renderer, ValueError, ValueType};
use crate::repo::snapshot::{CopyFormat, TableData};
use crate::repo::{IndexedRepository, Snapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// IANA name of the zone `timestamptz` values are shown in.
    pub timezone: String,
    /// CSV: a first line with the column names (as COPY's HEADER).
    pub header: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("snapshot has no table {0:?}{1}")]
    NoSuchTable(String, String),
    #[error("{0:?} names more than one table: {1}; give schema.table")]
    Ambiguous(String, String),
    #[error("{0}")]
    TimeZone(String),
    #[error("table {table}, part {part}: {source}")]
    Rows { table: String, part: usize, source: RowError },
    #[error("table {table}, part {part}, row {row}: {fields} fields, the table has {columns} columns")]
    FieldCount { table: String, part: usize, row: u64, fields: usize, columns: usize },
    #[error("table {table}, part {part}, row {row}, column {column}: {source}")]
    Value { table: String, part: usize, row: u64, column: String, source: ValueError },
    #[error("writing the output: {0}")]
    Write(std::io::Error),
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ExportStats {
    pub rows: u64,
    /// Bytes of COPY data read.
    pub bytes_read: u64,
    pub bytes_written: u64,
}

/// Find a table by "schema.table" or by a name unique in the snapshot.
pub fn find_table<'a>(snap: &'a Snapshot, name: &str) -> Result<&'a TableData, ExportError> {
    let exact: Vec<&TableData> = snap
        .tables
        .iter()
        .filter(|t| format!("{}.{}", t.schema, t.name) == name || Snapshot::describe_table(t) == name)
        .collect();
    if let [t] = exact[..] {
        return Ok(t);
    }
    let by_name: Vec<&TableData> = snap.tables.iter().filter(|t| t.name == name).collect();
    match by_name[..] {
        [t] => Ok(t),
        [] => {
            let some: Vec<String> = snap.tables.iter().take(5).map(Snapshot::describe_table).collect();
            let hint = if some.is_empty() { String::new() } else { format!(" (it has {}…)", some.join(", ")) };
            Err(ExportError::NoSuchTable(name.to_string(), hint))
        }
        _ => Err(ExportError::Ambiguous(
            name.to_string(),
            by_name.iter().map(|t| Snapshot::describe_table(t)).collect::<Vec<_>>().join(", "),
        )),
    }
}

/// Counts what goes through a writer.
struct Counting<W> {
    w: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(b)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// Counts what is read from a reader.
struct Metered<R> {
    r: R,
    n: u64,
}

impl<R: std::io::Read> std::io::Read for Metered<R> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.r.read(b)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Write `table` of a snapshot to `out`. `warn` receives one message per
/// column whose type cannot be decoded.
pub fn export(
    repo: &IndexedRepository,
    table: &TableData,
    opts: &ExportOptions,
    out: &mut dyn Write,
    warn: &mut dyn FnMut(String),
) -> Result<ExportStats, ExportError> {
    let tz = Renderer::zone(&opts.timezone).map_err(ExportError::TimeZone)?;
    let renderer = Renderer::new(tz);
    let name = Snapshot::describe_table(table);
    let types: Vec<ValueType> = table.columns.iter().map(ValueType::for_column).collect();
    if table.format == CopyFormat::Binary {
        for (c, t) in table.columns.iter().zip(&types) {
            if *t == ValueType::Unknown {
                warn(format!(
                    "table {name}, column {}: pgkeep cannot decode type {} (oid {}); its values are written as hex",
                    c.name, c.type_name, c.type_oid
                ));
            }
        }
    }
    let mut w = Counting { w: std::io::BufWriter::with_capacity(1 << 18, out), n: 0 };
    let mut stats = ExportStats::default();
    if opts.header && opts.format == ExportFormat::Csv {
        let mut line = Vec::new();
        for (i, c) in table.columns.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            csv_field(c.name.as_bytes(), table.columns.len() == 1, &mut line);
        }
        line.push(b'\n');
        w.write_all(&line).map_err(ExportError::Write)?;
    }
    let keys: Vec<Vec<u8>> = table
        .columns
        .iter()
        .map(|c| {
            let mut k = Vec::new();
            json_string(c.name.as_bytes(), &mut k);
            k.push(b':');
            k
        })
        .collect();
    let mut row = Row::default();
    let mut line = Vec::with_capacity(1 << 12);
    let mut value = Vec::with_capacity(256);
    for (part_no, part) in table.parts.iter().enumerate() {
        let stream = repo.read_stream(part.chunks.clone(), format!("table {name} part {part_no}"));
        let mut metered = Metered { r: stream, n: 0 };
        let rows_err = |source| ExportError::Rows { table: name.clone(), part: part_no, source };
        let mut part_rows = 0u64;
        {
            let buffered = BufReader::with_capacity(1 << 18, &mut metered);
            let mut reader = match table.format {
                CopyFormat::Binary => Reader::Binary(BinaryRowReader::new(buffered)),
                CopyFormat::Text => Reader::Text(TextRowReader::new(buffered)),
            };
            while reader.next_row(&mut row).map_err(rows_err)? {
                part_rows += 1;
                if row.fields.len() != table.columns.len() {
                    return Err(ExportError::FieldCount {
                        table: name.clone(),
                        part: part_no,
                        row: part_rows,
                        fields: row.fields.len(),
                        columns: table.columns.len(),
                    });
                }
                line.clear();
                if opts.format == ExportFormat::Jsonl {
                    line.push(b'{');
                }
                for (i, ty) in types.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    if opts.format == ExportFormat::Jsonl {
                        line.extend_from_slice(&keys[i]);
                    }
                    let Some(bytes) = row.field(i) else {
                        if opts.format == ExportFormat::Jsonl {
                            line.extend_from_slice(b"null");
                        }
                        continue;
                    };
                    value.clear();
                    let rendered = match (table.format, opts.format) {
                        (CopyFormat::Binary, ExportFormat::Csv) => renderer.text(ty, bytes, &mut value),
                        (CopyFormat::Binary, ExportFormat::Jsonl) => renderer.json(ty, bytes, &mut line),
                        (CopyFormat::Text, _) => {
                            value.extend_from_slice(bytes);
                            Ok(())
                        }
                    };
                    rendered.map_err(|source| ExportError::Value {
                        table: name.clone(),
                        part: part_no,
                        row: part_rows,
                        column: table.columns[i].name.clone(),
                        source,
                    })?;
                    match (table.format, opts.format) {
                        (_, ExportFormat::Csv) => csv_field(&value, types.len() == 1, &mut line),
                        (CopyFormat::Text, ExportFormat::Jsonl) => text_json(ty, &value, &mut line),
                        (CopyFormat::Binary, ExportFormat::Jsonl) => {}
                    }
                }
                line.push(if opts.format == ExportFormat::Jsonl { b'}' } else { b'\n' });
                if opts.format == ExportFormat::Jsonl {
                    line.push(b'\n');
                }
                w.write_all(&line).map_err(ExportError::Write)?;
            }
        }
        stats.rows += part_rows;
        stats.bytes_read += metered.n;
    }
    w.flush().map_err(ExportError::Write)?;
    stats.bytes_written = w.n;
    Ok(stats)
}

enum Reader<R> {
    Binary(BinaryRowReader<R>),
    Text(TextRowReader<R>),
}

impl<R: std::io::BufRead> Reader<R> {
    fn next_row(&mut self, row: &mut Row) -> Result<bool, RowError> {
        match self {
            Reader::Binary(r) => r.next_row(row),
            Reader::Text(r) => r.next_row(row),
        }
    }
}

/// A CSV field as COPY writes it: quoted when it is empty (so it differs
/// from NULL), holds a comma, quote, CR or LF, or is `\.` alone in a
/// one-column row; quotes doubled.
fn csv_field(v: &[u8], single_column: bool, out: &mut Vec<u8>) {
    let quote = v.is_empty()
        || (single_column && v == b"\\.")
        || v.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
    if !quote {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &c in v {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

/// JSON of a value the server printed as text at backup time: numbers
/// and booleans bare, json as it is, anything else a string.
fn text_json(ty: &ValueType, v: &[u8], out: &mut Vec<u8>) {
    use crate::copy::values::Scalar;
    match ty {
        ValueType::Scalar(Scalar::Bool) => out.extend_from_slice(if v == b"t" { b"true" } else { b"false" }),
        ValueType::Scalar(Scalar::Json | Scalar::Jsonb) => out.extend_from_slice(v),
        ValueType::Scalar(Scalar::Int2 | Scalar::Int4 | Scalar::Int8 | Scalar::Float4 | Scalar::Float8 | Scalar::Numeric)
            if v.last().is_some_and(u8::is_ascii_digit) =>
        {
            out.extend_from_slice(v)
        }
        _ => json_string(v, out),
    }
}
