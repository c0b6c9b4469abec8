//! Row readers: one row at a time out of a COPY stream, each field as a
//! slice of a buffer reused from row to row (so memory follows the
//! largest row, never the stream).
//!
//! [`BinaryRowReader`] reads the binary format, [`TextRowReader`] the text
//! format (tab-separated, `\N` for NULL, backslash escapes undone). Both
//! only split rows into fields; decoding values is `values`' job.

use std::io::{BufRead, Read};
use std::ops::Range;

use super::binary::SIGNATURE;

#[derive(Debug, thiserror::Error)]
pub enum RowError {
    #[error("row {row}: {problem}")]
    Malformed { row: u64, problem: String },
    #[error("reading the stream: {0}")]
    Io(#[from] std::io::Error),
}

/// The fields of the current row: `None` for NULL, else a range into
/// [`Row::data`].
#[derive(Debug, Default)]
pub struct Row {
    pub data: Vec<u8>,
    pub fields: Vec<Option<Range<usize>>>,
}

impl Row {
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        self.fields.get(i).cloned().flatten().map(|r| &self.data[r])
    }

    fn clear(&mut self) {
        self.data.clear();
        self.fields.clear();
    }
}

pub struct BinaryRowReader<R> {
    r: R,
    started: bool,
    finished: bool,
    rows: u64,
}

impl<R: Read> BinaryRowReader<R> {
    pub fn new(r: R) -> Self {
        BinaryRowReader { r, started: false, finished: false, rows: 0 }
    }

    fn bad(&self, problem: impl Into<String>) -> RowError {
        RowError::Malformed { row: self.rows + 1, problem: problem.into() }
    }

    fn exact<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RowError> {
        let mut b = [0u8; N];
        match self.r.read_exact(&mut b) {
            Ok(()) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(self.bad(format!("the stream ends inside {what}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Read the next row into `row`; false after the trailer.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, RowError> {
        row.clear();
        if self.finished {
            return Ok(false);
        }
        if !self.started {
            let h: [u8; 19] = self.exact("the header")?;
            if &h[..11] != SIGNATURE {
                return Err(self.bad("the stream does not start with the binary COPY signature"));
            }
            let ext = u32::from_be_bytes([h[15], h[16], h[17], h[18]]);
            let skipped = std::io::copy(&mut (&mut self.r).take(ext as u64), &mut std::io::sink())?;
            if skipped != ext as u64 {
                return Err(self.bad("the stream ends inside the header extension"));
            }
            self.started = true;
        }
        let n = i16::from_be_bytes(self.exact::<2>("a field count")?);
        if n == -1 {
            self.finished = true;
            return Ok(false);
        }
        if n < 0 {
            return Err(self.bad(format!("negative field count {n}")));
        }
        for _ in 0..n {
            let len = i32::from_be_bytes(self.exact::<4>("a field length")?);
            if len == -1 {
                row.fields.push(None);
                continue;
            }
            if len < 0 {
                return Err(self.bad(format!("invalid field length {len}")));
            }
            let start = row.data.len();
            // Grow with what arrives, not with what the length claims.
            let got = (&mut self.r).take(len as u64).read_to_end(&mut row.data)?;
            if got != len as usize {
                return Err(self.bad(format!("the stream ends inside a field of {len} bytes")));
            }
            row.fields.push(Some(start..row.data.len()));
        }
        self.rows += 1;
        Ok(true)
    }
}

pub struct TextRowReader<R> {
    r: R,
    line: Vec<u8>,
    rows: u64,
}

impl<R: BufRead> TextRowReader<R> {
    pub fn new(r: R) -> Self {
        TextRowReader { r, line: Vec::new(), rows: 0 }
    }

    /// Read the next row into `row`; false at the end of the stream.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, RowError> {
        row.clear();
        self.line.clear();
        if self.r.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(false);
        }
        if self.line.pop() != Some(b'\n') {
            return Err(RowError::Malformed { row: self.rows + 1, problem: "the last row has no line end".into() });
        }
        if self.line == b"\\." {
            return Ok(false);
        }
        for field in self.line.split(|&c| c == b'\t') {
            if field == b"\\N" {
                row.fields.push(None);
                continue;
            }
            let start = row.data.len();
            unescape(field, &mut row.data);
            row.fields.push(Some(start..row.data.len()));
        }
        self.rows += 1;
        Ok(true)
    }
}

/// Undo the text format's backslash escapes.
fn unescape(f: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < f.len() {
        let c = f[i];
        i += 1;
        if c != b'\\' || i == f.len() {
            out.push(c);
            continue;
        }
        let e = f[i];
        i += 1;
        match e {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                for _ in 0..2 {
                    match f.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match f.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push(b'x');
                } else {
                    out.push(v as u8);
                }
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rows_unescape() {
        let data = b"1\t\\N\ta\\tb\\\\c\\n\\101\\x41\n";
        let mut r = TextRowReader::new(&data[..]);
        let mut row = Row::default();
        assert!(r.next_row(&mut row).unwrap());
        assert_eq!(row.field(0), Some(&b"1"[..]));
        assert_eq!(row.field(1), None);
        assert_eq!(row.field(2), Some(&b"a\tb\\c\nAA"[..]));
        assert!(!r.next_row(&mut row).unwrap());
    }

    #[test]
    fn binary_rows_split_fields() {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        s.extend_from_slice(&2i16.to_be_bytes());
        s.extend_from_slice(&(-1i32).to_be_bytes());
        s.extend_from_slice(&3i32.to_be_bytes());
        s.extend_from_slice(b"abc");
        s.extend_from_slice(&(-1i16).to_be_bytes());
        let mut r = BinaryRowReader::new(&s[..]);
        let mut row = Row::default();
        assert!(r.next_row(&mut row).unwrap());
        assert_eq!(row.field(0), None);
        assert_eq!(row.field(1), Some(&b"abc"[..]));
        assert!(!r.next_row(&mut row).unwrap());
        let mut cut = BinaryRowReader::new(&s[..s.len() - 4]);
        assert!(cut.next_row(&mut row).is_err());
    }
}
