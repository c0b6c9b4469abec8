//! Arrays, ranges and multiranges: the binary layouts that hold other
//! values, printed with the server's quoting rules (`array_out`,
//! `range_out`, `multirange_out`) or as `to_json` nests arrays.

use super::{Renderer, Scalar, ValueError, ValueType};

/// Arrays may have at most this many dimensions (the server's MAXDIM).
const MAX_DIMS: usize = 6;

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn i32(&mut self, what: &str) -> Result<i32, ValueError> {
        let s = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| ValueError::new(format!("{what} runs past the end of the value")))?;
        self.pos += 4;
        Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn bytes(&mut self, len: usize, what: &str) -> Result<&'a [u8], ValueError> {
        let s = self
            .b
            .get(self.pos..self.pos.saturating_add(len))
            .ok_or_else(|| ValueError::new(format!("{what} of {len} bytes runs past the end of the value")))?;
        self.pos += len;
        Ok(s)
    }

    /// A length-prefixed item; None for NULL (-1).
    fn item(&mut self, what: &str) -> Result<Option<&'a [u8]>, ValueError> {
        match self.i32(what)? {
            -1 => Ok(None),
            n if n < 0 => Err(ValueError::new(format!("{what} has invalid length {n}"))),
            n => self.bytes(n as usize, what).map(Some),
        }
    }

    fn done(&self, what: &str) -> Result<(), ValueError> {
        if self.pos != self.b.len() {
            return Err(ValueError::new(format!("{} bytes left over after the {what}", self.b.len() - self.pos)));
        }
        Ok(())
    }
}

/// The header of a binary array: dimensions (size, lower bound) and the
/// element type's oid.
struct ArrayHeader {
    dims: Vec<(usize, i32)>,
}

fn array_header<'a>(b: &'a [u8], elem_oid: u32) -> Result<(ArrayHeader, Reader<'a>), ValueError> {
    let mut r = Reader { b, pos: 0 };
    let ndim = r.i32("the array's dimension count")?;
    if !(0..=MAX_DIMS as i32).contains(&ndim) {
        return Err(ValueError::new(format!("array with {ndim} dimensions")));
    }
    let flags = r.i32("the array's flags")?;
    if flags & !1 != 0 {
        return Err(ValueError::new(format!("invalid array flags {flags:#x}")));
    }
    let elem = r.i32("the array's element type")? as u32;
    if elem != elem_oid {
        return Err(ValueError::new(format!("array elements are of type oid {elem}, the column says {elem_oid}")));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    let mut total: usize = 1;
    for _ in 0..ndim {
        let size = r.i32("an array dimension")?;
        let lower = r.i32("an array lower bound")?;
        if size < 0 || lower.checked_add(size).is_none() {
            return Err(ValueError::new(format!("invalid array dimension [{lower}:+{size}]")));
        }
        total = total.saturating_mul(size as usize);
        dims.push((size as usize, lower));
    }
    // Every element takes at least its 4-byte length: refuse counts the
    // value cannot hold before looping over them.
    if ndim > 0 && total > (b.len() - r.pos) / 4 {
        return Err(ValueError::new(format!("array claims {total} elements in {} bytes", b.len() - r.pos)));
    }
    if dims.iter().any(|d| d.0 == 0) {
        dims.clear();
    }
    Ok((ArrayHeader { dims }, r))
}

/// Whether an array element's text needs double quotes (`array_out`).
fn array_needs_quotes(s: &[u8]) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case(b"NULL")
        || s.iter().any(|&c| matches!(c, b'"' | b'\\' | b'{' | b'}' | b',' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

pub fn array_text(r: &Renderer, elem: &ValueType, elem_oid: u32, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let (h, mut rd) = array_header(b, elem_oid)?;
    if h.dims.is_empty() {
        out.extend_from_slice(b"{}");
        return rd.done("array");
    }
    if h.dims.iter().any(|d| d.1 != 1) {
        for (size, lower) in &h.dims {
            super::num::push_display(out, format_args!("[{lower}:{}]", *lower as i64 + *size as i64 - 1));
        }
        out.push(b'=');
    }
    let mut item = Vec::new();
    nest(&h.dims, out, &mut |out| {
        match rd.item("an array element")? {
            None => out.extend_from_slice(b"NULL"),
            Some(v) => {
                item.clear();
                r.text(elem, v, &mut item)?;
                if array_needs_quotes(&item) {
                    out.push(b'"');
                    for &c in &item {
                        if c == b'"' || c == b'\\' {
                            out.push(b'\\');
                        }
                        out.push(c);
                    }
                    out.push(b'"');
                } else {
                    out.extend_from_slice(&item);
                }
            }
        }
        Ok(())
    }, b'{', b'}')?;
    rd.done("array")
}

pub fn array_json(r: &Renderer, elem: &ValueType, elem_oid: u32, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let (h, mut rd) = array_header(b, elem_oid)?;
    if h.dims.is_empty() {
        out.extend_from_slice(b"[]");
        return rd.done("array");
    }
    nest(&h.dims, out, &mut |out| {
        match rd.item("an array element")? {
            None => out.extend_from_slice(b"null"),
            Some(v) => r.json(elem, v, out)?,
        }
        Ok(())
    }, b'[', b']')?;
    rd.done("array")
}

/// Brackets and commas around the elements of a (multi-dimensional)
/// array, elements written by `elem` in row-major order.
fn nest(
    dims: &[(usize, i32)],
    out: &mut Vec<u8>,
    elem: &mut dyn FnMut(&mut Vec<u8>) -> Result<(), ValueError>,
    open: u8,
    close: u8,
) -> Result<(), ValueError> {
    out.push(open);
    for i in 0..dims[0].0 {
        if i > 0 {
            out.push(b',');
        }
        if dims.len() == 1 {
            elem(out)?;
        } else {
            nest(&dims[1..], out, elem, open, close)?;
        }
    }
    out.push(close);
    Ok(())
}

const RANGE_EMPTY: u8 = 0x01;
const RANGE_LB_INC: u8 = 0x02;
const RANGE_UB_INC: u8 = 0x04;
const RANGE_LB_INF: u8 = 0x08;
const RANGE_UB_INF: u8 = 0x10;

pub fn range_text(r: &Renderer, sub: Scalar, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let mut rd = Reader { b, pos: 0 };
    let flags = *rd.bytes(1, "the range's flags")?.first().unwrap_or(&0);
    if flags & RANGE_EMPTY != 0 {
        out.extend_from_slice(b"empty");
        return rd.done("range");
    }
    out.push(if flags & RANGE_LB_INC != 0 { b'[' } else { b'(' });
    let mut bound = Vec::new();
    let mut write_bound = |rd: &mut Reader, out: &mut Vec<u8>| -> Result<(), ValueError> {
        let v = rd.item("a range bound")?.ok_or_else(|| ValueError::new("a range bound is NULL"))?;
        bound.clear();
        r.text(&ValueType::Scalar(sub), v, &mut bound)?;
        let quote = bound.is_empty()
            || bound.iter().any(|&c| matches!(c, b'"' | b'\\' | b'(' | b')' | b'[' | b']' | b',' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c));
        if quote {
            out.push(b'"');
        }
        for &c in bound.iter() {
            if c == b'"' || c == b'\\' {
                out.push(c);
            }
            out.push(c);
        }
        if quote {
            out.push(b'"');
        }
        Ok(())
    };
    if flags & RANGE_LB_INF == 0 {
        write_bound(&mut rd, out)?;
    }
    out.push(b',');
    if flags & RANGE_UB_INF == 0 {
        write_bound(&mut rd, out)?;
    }
    out.push(if flags & RANGE_UB_INC != 0 { b']' } else { b')' });
    rd.done("range")
}

pub fn multirange_text(r: &Renderer, sub: Scalar, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let mut rd = Reader { b, pos: 0 };
    let n = rd.i32("the multirange's range count")?;
    if n < 0 || n as usize > b.len() / 4 {
        return Err(ValueError::new(format!("multirange claims {n} ranges in {} bytes", b.len())));
    }
    out.push(b'{');
    for i in 0..n {
        if i > 0 {
            out.extend_from_slice(b",");
        }
        let v = rd.item("a range of the multirange")?.ok_or_else(|| ValueError::new("a multirange holds a NULL range"))?;
        range_text(r, sub, v, out)?;
    }
    out.push(b'}');
    rd.done("multirange")
}
