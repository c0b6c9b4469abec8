//! A streaming reader of the framing of PostgreSQL's binary COPY format:
//! signature, flags, header extension, tuples (field count, then each
//! field's length or -1 for NULL, then its bytes) and the trailer.
//!
//! It is fed any slices of the stream, split anywhere, and keeps only a few
//! bytes of state, so memory does not grow with the stream. It counts rows
//! and checks the framing; it does not look inside field values (that is
//! the value decoders' job).

/// The 11-byte signature every binary COPY stream starts with.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Bit 16 of the flags: the stream carries row OIDs (never written by
/// servers since PostgreSQL 12, and not supported here).
const FLAG_HAS_OIDS: u32 = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("binary COPY data is malformed at byte {offset} (row {row}): {problem}")]
pub struct FramingError {
    /// Byte offset in the stream where the problem was found.
    pub offset: u64,
    /// 1-based number of the row being read (0 while in the header).
    pub row: u64,
    pub problem: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the fixed 19-byte header (signature, flags, extension length).
    Header,
    /// Skipping this many bytes of header extension.
    Extension(u32),
    /// Reading a tuple's 16-bit field count (or the -1 trailer).
    FieldCount,
    /// Reading a field's 32-bit length; this many fields remain after it.
    FieldLen(u16),
    /// Skipping a field's bytes; then this many fields remain.
    FieldData(u32, u16),
    Trailer,
}

/// Validates the framing of one binary COPY stream and counts its rows.
#[derive(Debug, Clone)]
pub struct BinaryFraming {
    state: State,
    buf: [u8; 19],
    have: usize,
    offset: u64,
    rows: u64,
    expected_fields: Option<u16>,
    /// Per column: the exact byte length a non-NULL value must have.
    fixed_lengths: Vec<Option<u32>>,
    /// Index of the field being read in the current row.
    field: usize,
    /// Stream offset where the header item being gathered started, so an
    /// error names the same offset however the stream was split.
    item_start: u64,
    error: Option<FramingError>,
}

impl BinaryFraming {
    /// `expected_fields`: when given, every row must have exactly that many.
    pub fn new(expected_fields: Option<u16>) -> BinaryFraming {
        BinaryFraming {
            state: State::Header,
            buf: [0; 19],
            have: 0,
            offset: 0,
            rows: 0,
            expected_fields,
            fixed_lengths: Vec::new(),
            field: 0,
            item_start: 0,
            error: None,
        }
    }

    /// Also check that every non-NULL value of column `i` is exactly
    /// `lengths[i]` bytes long when that is `Some` (types whose binary
    /// form has a fixed size: int4 is 4 bytes, uuid 16, ...).
    pub fn with_fixed_lengths(mut self, lengths: Vec<Option<u32>>) -> BinaryFraming {
        self.fixed_lengths = lengths;
        self
    }

    /// Complete rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the trailer has been read.
    pub fn is_complete(&self) -> bool {
        self.state == State::Trailer
    }

    fn fail(&mut self, at: u64, problem: impl Into<String>) -> FramingError {
        let e = FramingError {
            offset: at,
            row: if matches!(self.state, State::Header | State::Extension(_)) { 0 } else { self.rows + 1 },
            problem: problem.into(),
        };
        self.error = Some(e.clone());
        e
    }

    /// Take `need` bytes into `buf`; true when they are all there.
    fn gather(&mut self, data: &[u8], pos: &mut usize, need: usize, base: u64) -> bool {
        if self.have == 0 {
            self.item_start = base + *pos as u64;
        }
        let take = (need - self.have).min(data.len() - *pos);
        self.buf[self.have..self.have + take].copy_from_slice(&data[*pos..*pos + take]);
        self.have += take;
        *pos += take;
        if self.have == need {
            self.have = 0;
            true
        } else {
            false
        }
    }

    /// Feed the next slice of the stream.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), FramingError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let base = self.offset;
        let mut pos = 0usize;
        while pos < data.len() {
            let at = base + pos as u64;
            match self.state {
                State::Header => {
                    if !self.gather(data, &mut pos, 19, base) {
                        break;
                    }
                    if &self.buf[..11] != SIGNATURE {
                        let at = self.item_start;
                        return Err(self.fail(at, "the stream does not start with the binary COPY signature"));
                    }
                    let flags = u32::from_be_bytes(self.buf[11..15].try_into().unwrap_or_default());
                    let at = self.item_start;
                    if flags & FLAG_HAS_OIDS != 0 {
                        return Err(self.fail(at, "the stream carries row OIDs, which pgkeep does not support"));
                    }
                    if flags & 0xffff_0000 & !FLAG_HAS_OIDS != 0 {
                        return Err(self.fail(at, format!("unknown critical flags {flags:#010x} in the header")));
                    }
                    let ext = u32::from_be_bytes(self.buf[15..19].try_into().unwrap_or_default());
                    self.state = if ext == 0 { State::FieldCount } else { State::Extension(ext) };
                }
                State::Extension(left) => {
                    let take = (left as usize).min(data.len() - pos);
                    pos += take;
                    let left = left - take as u32;
                    self.state = if left == 0 { State::FieldCount } else { State::Extension(left) };
                }
                State::FieldCount => {
                    if self.have == 0 {
                        pos = self.whole_rows(data, pos);
                        if pos == data.len() {
                            break;
                        }
                    }
                    if !self.gather(data, &mut pos, 2, base) {
                        break;
                    }
                    let at = self.item_start;
                    let n = i16::from_be_bytes([self.buf[0], self.buf[1]]);
                    if n == -1 {
                        self.state = State::Trailer;
                        continue;
                    }
                    if n < 0 {
                        return Err(self.fail(at, format!("negative field count {n}")));
                    }
                    let n = n as u16;
                    if let Some(expected) = self.expected_fields {
                        if n != expected {
                            return Err(self.fail(at, format!("row has {n} fields, the table has {expected} columns")));
                        }
                    }
                    self.field = 0;
                    if n == 0 {
                        self.rows += 1;
                        self.state = State::FieldCount;
                    } else {
                        self.state = State::FieldLen(n - 1);
                    }
                }
                State::FieldLen(left) => {
                    if !self.gather(data, &mut pos, 4, base) {
                        break;
                    }
                    let at = self.item_start;
                    let len = i32::from_be_bytes(self.buf[..4].try_into().unwrap_or_default());
                    if len < -1 {
                        return Err(self.fail(at, format!("invalid field length {len}")));
                    }
                    if let (true, Some(Some(want))) = (len >= 0, self.fixed_lengths.get(self.field)) {
                        if len as u32 != *want {
                            let col = self.field + 1;
                            return Err(self.fail(at, format!("column {col} holds a {len}-byte value, its type is always {want} bytes")));
                        }
                    }
                    if len <= 0 {
                        self.end_field(left);
                    } else {
                        self.state = State::FieldData(len as u32, left);
                    }
                }
                State::FieldData(remaining, left) => {
                    let take = (remaining as usize).min(data.len() - pos);
                    pos += take;
                    let remaining = remaining - take as u32;
                    if remaining == 0 {
                        self.end_field(left);
                    } else {
                        self.state = State::FieldData(remaining, left);
                    }
                }
                State::Trailer => {
                    return Err(self.fail(at, "data after the end-of-data marker"));
                }
            }
        }
        self.offset = base + data.len() as u64;
        Ok(())
    }

    /// The fast path: skip the rows that lie whole and sound in
    /// `data[pos..]`, without going through the state machine field by
    /// field. Returns where the first row it did not take starts: one cut
    /// by the end of `data`, the trailer, or anything wrong — which the
    /// state machine then reads again from its start, so errors and
    /// offsets are the same as on the slow path.
    fn whole_rows(&mut self, data: &[u8], mut pos: usize) -> usize {
        let be_i32 = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        'rows: while let Some(head) = data.get(pos..pos + 2) {
            let n = i16::from_be_bytes([head[0], head[1]]);
            if n < 0 || self.expected_fields.is_some_and(|e| e as i16 != n) {
                break;
            }
            let mut p = pos + 2;
            for f in 0..n as usize {
                let Some(len) = data.get(p..p + 4).map(be_i32) else { break 'rows };
                if len < -1 {
                    break 'rows;
                }
                if len >= 0 {
                    if let Some(Some(want)) = self.fixed_lengths.get(f) {
                        if len as u32 != *want {
                            break 'rows;
                        }
                    }
                }
                p += 4 + len.max(0) as usize;
                if p > data.len() {
                    break 'rows;
                }
            }
            // A row that ends exactly at the end of `data` is whole.
            self.rows += 1;
            pos = p;
        }
        pos
    }

    fn end_field(&mut self, left: u16) {
        self.field += 1;
        if left == 0 {
            self.rows += 1;
            self.state = State::FieldCount;
        } else {
            self.state = State::FieldLen(left - 1);
        }
    }

    /// The stream ended: it must have ended with the trailer.
    pub fn finish(&mut self) -> Result<u64, FramingError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.state != State::Trailer {
            let at = self.offset;
            return Err(self.fail(
                at,
                if self.state == State::Header && self.offset == 0 {
                    "the stream is empty".to_string()
                } else {
                    "the stream ends before its end-of-data marker (truncated)".to_string()
                },
            ));
        }
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(rows: &[Vec<Option<&[u8]>>]) -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(&4u32.to_be_bytes());
        v.extend_from_slice(b"ext!");
        for r in rows {
            v.extend_from_slice(&(r.len() as i16).to_be_bytes());
            for f in r {
                match f {
                    None => v.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(b) => {
                        v.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        v.extend_from_slice(b);
                    }
                }
            }
        }
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    #[test]
    fn counts_rows_whatever_the_split() {
        let data = stream(&[vec![Some(b"abc"), None], vec![Some(b""), Some(b"0123456789")], vec![None, None]]);
        for step in 1..data.len() {
            let mut f = BinaryFraming::new(Some(2));
            for c in data.chunks(step) {
                f.feed(c).unwrap();
            }
            assert_eq!(f.finish().unwrap(), 3, "step {step}");
        }
    }

    proptest::proptest! {
        /// The fast path over whole rows and the state machine agree on
        /// every stream, damaged or not: same rows, same error, same offset.
        #[test]
        fn whole_and_split_feeds_agree(
            rows in proptest::collection::vec(
                (proptest::option::of(proptest::collection::vec(0u8..4, 4)), proptest::option::of(proptest::collection::vec(0u8..4, 0..6))),
                0..8,
            ),
            damage in proptest::collection::vec((0usize..200, proptest::prelude::any::<u8>()), 0..3),
            cut in 0usize..200,
            step in 1usize..9,
        ) {
            let rows: Vec<Vec<Option<&[u8]>>> = rows.iter().map(|(a, b)| vec![a.as_deref(), b.as_deref()]).collect();
            let mut data = stream(&rows);
            for (at, b) in damage {
                let n = data.len();
                data[at % n] = b;
            }
            data.truncate(data.len() - cut % 4);
            let run = |pieces: &mut dyn Iterator<Item = &[u8]>| {
                let mut f = BinaryFraming::new(Some(2)).with_fixed_lengths(vec![Some(4), None]);
                for c in pieces {
                    f.feed(c)?;
                }
                f.finish()
            };
            let whole = run(&mut std::iter::once(&data[..]));
            let bytewise = run(&mut data.chunks(1));
            let stepped = run(&mut data.chunks(step));
            proptest::prop_assert_eq!(&whole, &bytewise);
            proptest::prop_assert_eq!(&whole, &stepped);
        }
    }

    #[test]
    fn checks_fixed_length_columns() {
        let data = stream(&[vec![Some(b"abcd"), None], vec![Some(b"abc"), Some(b"x")]]);
        let mut f = BinaryFraming::new(Some(2)).with_fixed_lengths(vec![Some(4), None]);
        let e = f.feed(&data).unwrap_err();
        assert_eq!(e.row, 2, "{e}");
        assert!(e.problem.contains("column 1 holds a 3-byte value"), "{e}");
    }

    #[test]
    fn reports_truncation_and_wrong_field_counts() {
        let data = stream(&[vec![Some(b"abc"), None]]);
        let mut f = BinaryFraming::new(Some(2));
        f.feed(&data[..data.len() - 3]).unwrap();
        let e = f.finish().unwrap_err();
        assert!(e.problem.contains("truncated"), "{e}");
        let mut f = BinaryFraming::new(Some(3));
        let e = f.feed(&data).unwrap_err();
        assert!(e.problem.contains("2 fields"), "{e}");
        assert_eq!(e.row, 1);
        let mut f = BinaryFraming::new(None);
        let e = f.feed(b"PGCOPY\nXXXXXXXXXXXXXXXXXXXXX").unwrap_err();
        assert!(e.problem.contains("signature"), "{e}");
        let mut f = BinaryFraming::new(None);
        let mut extra = data.clone();
        extra.push(0);
        assert!(f.feed(&extra).unwrap_err().problem.contains("after the end"));
    }
}
