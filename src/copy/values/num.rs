//! Numbers as the server prints them: integers, `float4`/`float8` with
//! `extra_float_digits = 1` (shortest text that reads back exactly),
//! `numeric` from its base-10000 digits, and `money` under
//! `lc_monetary = C`.

use super::{take, ValueError};

pub fn int<const N: usize>(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let v: i64 = match N {
        2 => i16::from_be_bytes(take(b)?) as i64,
        4 => i32::from_be_bytes(take(b)?) as i64,
        _ => i64::from_be_bytes(take(b)?),
    };
    push_display(out, v);
    Ok(())
}

pub fn uint32(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    push_display(out, u32::from_be_bytes(take(b)?));
    Ok(())
}

pub fn uint64(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    push_display(out, u64::from_be_bytes(take(b)?));
    Ok(())
}

pub(super) fn push_display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(out, "{v}");
}

pub fn float4(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let v = f32::from_be_bytes(take(b)?);
    if v.is_nan() || v.is_infinite() {
        special(v.is_nan(), v < 0.0, out);
    } else {
        shortest(ryu::Buffer::new().format_finite(v), 6, out);
    }
    Ok(())
}

pub fn float8(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let v = f64::from_be_bytes(take(b)?);
    write_float8(v, out);
    Ok(())
}

pub fn write_float8(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() || v.is_infinite() {
        special(v.is_nan(), v < 0.0, out);
    } else {
        shortest(ryu::Buffer::new().format_finite(v), 15, out);
    }
}

fn special(nan: bool, negative: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(match (nan, negative) {
        (true, _) => b"NaN",
        (false, true) => b"-Infinity",
        (false, false) => b"Infinity",
    });
}

/// Lay out Ryu's shortest round-trip digits (the `ryu` crate implements
/// the same algorithm as the server, ties to even included; Rust's own
/// `{:e}` breaks exact ties upwards) the way the server prints them:
/// fixed notation for decimal exponents in [-4, `fixed_below`), else
/// `d.ddde±XX`.
fn shortest(ryu_text: &str, fixed_below: i32, out: &mut Vec<u8>) {
    let (negative, digits, exp) = decimal_digits(ryu_text);
    if negative {
        out.push(b'-');
    }
    if (-4..fixed_below).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(&digits);
                out.resize(out.len() + int_len - digits.len(), b'0');
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        push_display(out, format_args!("{:02}", exp.unsigned_abs()));
    }
}

/// Sign, significant digits and decimal exponent (of the first digit) of
/// a number written as "123.45", "0.00012", "1e16" or "1.5e-7".
fn decimal_digits(text: &str) -> (bool, Vec<u8>, i32) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, e) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let lead = all.iter().take_while(|&&d| d == b'0').count();
    let mut digits: Vec<u8> = all[lead..].to_vec();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (negative, vec![b'0'], 0);
    }
    (negative, digits, e + int.len() as i32 - 1 - lead as i32)
}

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

/// A numeric value's sign and digits, as the binary form carries them.
pub struct Numeric<'a> {
    pub sign: u16,
    weight: i16,
    dscale: u16,
    digits: &'a [u8],
}

impl<'a> Numeric<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Numeric<'a>, ValueError> {
        if b.len() < 8 {
            return Err(ValueError::new(format!("numeric needs at least 8 bytes, has {}", b.len())));
        }
        let ndigits = u16::from_be_bytes([b[0], b[1]]) as usize;
        let weight = i16::from_be_bytes([b[2], b[3]]);
        let sign = u16::from_be_bytes([b[4], b[5]]);
        let dscale = u16::from_be_bytes([b[6], b[7]]);
        if b.len() != 8 + 2 * ndigits {
            return Err(ValueError::new(format!("numeric with {ndigits} digits must be {} bytes, is {}", 8 + 2 * ndigits, b.len())));
        }
        if ![NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF, NUMERIC_NINF].contains(&sign) {
            return Err(ValueError::new(format!("invalid numeric sign {sign:#06x}")));
        }
        if dscale > 0x3fff {
            return Err(ValueError::new(format!("invalid numeric display scale {dscale}")));
        }
        let digits = &b[8..];
        if digits.chunks(2).any(|d| u16::from_be_bytes([d[0], d[1]]) > 9999) {
            return Err(ValueError::new("numeric digit out of range 0..9999"));
        }
        Ok(Numeric { sign, weight, dscale, digits })
    }

    fn digit(&self, i: i32) -> u16 {
        if i < 0 || (i as usize) * 2 >= self.digits.len() {
            return 0;
        }
        let i = i as usize * 2;
        u16::from_be_bytes([self.digits[i], self.digits[i + 1]])
    }

    /// Whether the text is a number JSON accepts (not NaN or infinite).
    pub fn is_finite(&self) -> bool {
        matches!(self.sign, NUMERIC_POS | NUMERIC_NEG)
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        match self.sign {
            NUMERIC_NAN => return out.extend_from_slice(b"NaN"),
            NUMERIC_PINF => return out.extend_from_slice(b"Infinity"),
            NUMERIC_NINF => return out.extend_from_slice(b"-Infinity"),
            NUMERIC_NEG => out.push(b'-'),
            _ => {}
        }
        if self.weight < 0 {
            out.push(b'0');
        } else {
            for d in 0..=self.weight as i32 {
                if d == 0 {
                    push_display(out, self.digit(d));
                } else {
                    push_display(out, format_args!("{:04}", self.digit(d)));
                }
            }
        }
        if self.dscale > 0 {
            out.push(b'.');
            let start = out.len();
            let mut d = self.weight as i32 + 1;
            while out.len() - start < self.dscale as usize {
                push_display(out, format_args!("{:04}", self.digit(d)));
                d += 1;
            }
            out.truncate(start + self.dscale as usize);
        }
    }
}

pub fn numeric(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    Numeric::parse(b)?.write(out);
    Ok(())
}

/// `money` under `lc_monetary = C`: "$" before the digits, "," every three
/// digits, "." before two decimals, "-" first when negative.
pub fn money(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let v = i64::from_be_bytes(take(b)?);
    if v < 0 {
        out.push(b'-');
    }
    out.push(b'$');
    let digits = format!("{:03}", v.unsigned_abs());
    let (int, frac) = digits.split_at(digits.len() - 2);
    for (i, c) in int.bytes().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(b',');
        }
        out.push(c);
    }
    out.push(b'.');
    out.extend_from_slice(frac.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f8(v: f64) -> String {
        let mut o = Vec::new();
        write_float8(v, &mut o);
        String::from_utf8(o).unwrap()
    }

    fn f4(v: f32) -> String {
        let mut o = Vec::new();
        float4(&v.to_be_bytes(), &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn floats_as_the_server_prints_them() {
        assert_eq!(f8(0.0), "0");
        assert_eq!(f8(-0.0), "-0");
        assert_eq!(f8(1.5), "1.5");
        assert_eq!(f8(100.0), "100");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(0.00001), "1e-05");
        assert_eq!(f8(1e15), "1e+15");
        assert_eq!(f8(123456789012345.0), "123456789012345");
        assert_eq!(f8(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(f8(5e-324), "5e-324");
        assert_eq!(f8(0.1), "0.1");
        assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(f4(3.4028235e38), "3.4028235e+38");
        assert_eq!(f4(123456.0), "123456");
        assert_eq!(f4(1234567.0), "1.234567e+06");
        assert_eq!(f4(0.1), "0.1");
        // An exact tie between two shortest candidates goes to the even one.
        // Exactly representable, and exactly between two 8-digit decimals:
        // the tie the server breaks to even.
        #[allow(clippy::excessive_precision)]
        let tie = 352.578125f32;
        assert_eq!(f4(tie), "352.57812");
        assert_eq!(f8(1e16), "1e+16");
        assert_eq!(f8(123e-20), "1.23e-18");
    }

    fn num(ndigits: &[u16], weight: i16, sign: u16, dscale: u16) -> String {
        let mut b = Vec::new();
        b.extend_from_slice(&(ndigits.len() as u16).to_be_bytes());
        b.extend_from_slice(&weight.to_be_bytes());
        b.extend_from_slice(&sign.to_be_bytes());
        b.extend_from_slice(&dscale.to_be_bytes());
        for d in ndigits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        let mut o = Vec::new();
        numeric(&b, &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn numerics_from_base_10000_digits() {
        assert_eq!(num(&[], 0, NUMERIC_POS, 0), "0");
        assert_eq!(num(&[], 0, NUMERIC_POS, 3), "0.000");
        assert_eq!(num(&[1, 2345], 1, NUMERIC_POS, 0), "12345");
        assert_eq!(num(&[12, 3400], 0, NUMERIC_NEG, 2), "-12.34");
        assert_eq!(num(&[5], -2, NUMERIC_POS, 9), "0.000000050");
        assert_eq!(num(&[1], 2, NUMERIC_POS, 0), "100000000");
        assert_eq!(num(&[], 0, NUMERIC_NAN, 0), "NaN");
        assert_eq!(num(&[], 0, NUMERIC_NINF, 0), "-Infinity");
    }

    #[test]
    fn money_in_the_c_locale() {
        let m = |v: i64| {
            let mut o = Vec::new();
            money(&v.to_be_bytes(), &mut o).unwrap();
            String::from_utf8(o).unwrap()
        };
        assert_eq!(m(0), "$0.00");
        assert_eq!(m(5), "$0.05");
        assert_eq!(m(-123456789), "-$1,234,567.89");
        assert_eq!(m(i64::MIN), "-$92,233,720,368,547,758.08");
    }
}
