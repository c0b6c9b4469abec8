//! Decoders of binary COPY values: from a field's bytes and its type to the
//! text the server prints for it (`COPY … (FORMAT csv)` under DateStyle
//! `ISO, MDY`, IntervalStyle `postgres`, `extra_float_digits = 1`,
//! `lc_monetary = C`, `bytea_output = hex`), or to the JSON `to_json`
//! makes of it.
//!
//! It owns the value layouts of the built-in types, arrays of them (any
//! dimension), ranges, multiranges and enum labels. It never reads a
//! stream (the row readers hand it one field at a time) and never
//! allocates more than the value's own size: lengths inside a value are
//! checked against the bytes that are there before anything is looped
//! over.

mod container;
mod datetime;
mod net;
mod num;

use chrono_tz::Tz;

use crate::manifest::snapshot::Column;

pub use datetime::Style;
pub use net::push_hex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl ValueError {
    pub fn new(problem: impl Into<String>) -> ValueError {
        ValueError(problem.into())
    }
}

/// Exactly `N` bytes, or an error saying how many there were.
fn take<const N: usize>(b: &[u8]) -> Result<[u8; N], ValueError> {
    b.try_into().map_err(|_| ValueError::new(format!("value must be {N} bytes, is {}", b.len())))
}

/// The layouts of the built-in scalar types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    Char,
    Int2,
    Int4,
    Int8,
    /// oid, xid, cid: unsigned 32-bit.
    Uint32,
    /// xid8.
    Uint64,
    Float4,
    Float8,
    Numeric,
    Money,
    /// text, varchar, bpchar, name, xml, enum labels: the text itself.
    Text,
    Json,
    Jsonb,
    Bytea,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Inet,
    Cidr,
    MacAddr,
    MacAddr8,
    /// bit and varbit.
    Bits,
    PgLsn,
    Tid,
}

/// How the values of one column are decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueType {
    Scalar(Scalar),
    /// An array whose elements have the given type and oid.
    Array(Box<ValueType>, u32),
    Range(Scalar),
    Multirange(Scalar),
    /// A type pgkeep cannot decode: written as hex.
    Unknown,
}

fn scalar(oid: u32) -> Option<Scalar> {
    use Scalar::*;
    Some(match oid {
        16 => Bool,
        17 => Bytea,
        18 => Char,
        19 | 25 | 142 | 705 | 1042 | 1043 => Text,
        20 => Int8,
        21 => Int2,
        23 => Int4,
        26 | 28 | 29 => Uint32,
        27 => Tid,
        114 => Json,
        650 => Cidr,
        700 => Float4,
        701 => Float8,
        774 => MacAddr8,
        790 => Money,
        829 => MacAddr,
        869 => Inet,
        1082 => Date,
        1083 => Time,
        1114 => Timestamp,
        1184 => TimestampTz,
        1186 => Interval,
        1266 => TimeTz,
        1560 | 1562 => Bits,
        1700 => Numeric,
        2950 => Uuid,
        3220 => PgLsn,
        3802 => Jsonb,
        5069 => Uint64,
        _ => return None,
    })
}

/// Built-in range types and their subtypes; multiranges and theirs.
fn range_subtype(oid: u32) -> Option<(bool, u32)> {
    Some(match oid {
        3904 => (false, 23),
        3906 => (false, 1700),
        3908 => (false, 1114),
        3910 => (false, 1184),
        3912 => (false, 1082),
        3926 => (false, 20),
        4451 => (true, 23),
        4532 => (true, 1700),
        4533 => (true, 1114),
        4534 => (true, 1184),
        4535 => (true, 1082),
        4536 => (true, 20),
        _ => return None,
    })
}

/// Array types of the built-in types above, with their element oids.
fn array_element(oid: u32) -> Option<u32> {
    Some(match oid {
        1000 => 16,
        1001 => 17,
        1002 => 18,
        1003 => 19,
        1009 => 25,
        143 => 142,
        1014 => 1042,
        1015 => 1043,
        1016 => 20,
        1005 => 21,
        1007 => 23,
        1028 => 26,
        1010 => 27,
        1011 => 28,
        1012 => 29,
        199 => 114,
        651 => 650,
        1021 => 700,
        1022 => 701,
        775 => 774,
        791 => 790,
        1040 => 829,
        1041 => 869,
        1182 => 1082,
        1183 => 1083,
        1115 => 1114,
        1185 => 1184,
        1187 => 1186,
        1270 => 1266,
        1561 => 1560,
        1563 => 1562,
        1231 => 1700,
        2951 => 2950,
        3221 => 3220,
        3807 => 3802,
        271 => 5069,
        3905 => 3904,
        3907 => 3906,
        3909 => 3908,
        3911 => 3910,
        3913 => 3912,
        3927 => 3926,
        6150 => 4451,
        6151 => 4532,
        6152 => 4533,
        6153 => 4534,
        6155 => 4535,
        6157 => 4536,
        _ => return None,
    })
}

impl ValueType {
    /// The decoding of a built-in type by oid.
    pub fn builtin(oid: u32) -> ValueType {
        if let Some(s) = scalar(oid) {
            return ValueType::Scalar(s);
        }
        if let Some((multi, sub)) = range_subtype(oid) {
            let sub = scalar(sub).unwrap_or(Scalar::Text);
            return if multi { ValueType::Multirange(sub) } else { ValueType::Range(sub) };
        }
        if let Some(elem) = array_element(oid) {
            return ValueType::Array(Box::new(ValueType::builtin(elem)), elem);
        }
        ValueType::Unknown
    }

    /// The decoding of a column recorded in a snapshot: its type, or the
    /// base type of a domain, enum labels, user-defined ranges over a
    /// built-in subtype.
    pub fn for_column(c: &Column) -> ValueType {
        let oid = c.base_type_oid.unwrap_or(c.type_oid);
        match c.type_kind.as_deref() {
            Some("e") => ValueType::Scalar(Scalar::Text),
            Some(kind @ ("r" | "m")) => match c.range_subtype_oid.and_then(scalar) {
                Some(sub) if kind == "r" => ValueType::Range(sub),
                Some(sub) => ValueType::Multirange(sub),
                None => ValueType::Unknown,
            },
            _ => ValueType::builtin(oid),
        }
    }
}

/// Turns binary values into text or JSON in one time zone.
#[derive(Clone, Debug)]
pub struct Renderer {
    tz: Tz,
}

impl Renderer {
    pub fn new(tz: Tz) -> Renderer {
        Renderer { tz }
    }

    /// A time zone by IANA name ("UTC", "Europe/Paris"), from the zone
    /// database compiled into the program (chrono-tz).
    pub fn zone(name: &str) -> Result<Tz, String> {
        name.parse::<Tz>().map_err(|e| format!("unknown time zone {name:?}: {e}"))
    }

    /// Append the server's text form of the non-NULL value `b`.
    pub fn text(&self, ty: &ValueType, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
        match ty {
            ValueType::Scalar(s) => self.scalar(*s, b, Style::Iso, out),
            ValueType::Array(elem, oid) => container::array_text(self, elem, *oid, b, out),
            ValueType::Range(sub) => container::range_text(self, *sub, b, out),
            ValueType::Multirange(sub) => container::multirange_text(self, *sub, b, out),
            ValueType::Unknown => {
                net::bytea(b, out);
                Ok(())
            }
        }
    }

    /// Append the JSON `to_json` makes of the non-NULL value `b`: numbers
    /// bare (NaN and infinities quoted), booleans, json as it is, arrays
    /// as nested JSON arrays, dates and timestamps in XSD form, anything
    /// else as a string of its text form.
    pub fn json(&self, ty: &ValueType, b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
        let mut text = Vec::new();
        match ty {
            ValueType::Scalar(Scalar::Bool) => {
                out.extend_from_slice(if take::<1>(b)?[0] != 0 { b"true" } else { b"false" });
                return Ok(());
            }
            ValueType::Scalar(Scalar::Json) => {
                out.extend_from_slice(b);
                return Ok(());
            }
            ValueType::Scalar(Scalar::Jsonb) => {
                out.extend_from_slice(jsonb_text(b)?);
                return Ok(());
            }
            ValueType::Scalar(s @ (Scalar::Int2 | Scalar::Int4 | Scalar::Int8 | Scalar::Float4 | Scalar::Float8)) => {
                self.scalar(*s, b, Style::Iso, &mut text)?;
                if text.last().is_some_and(u8::is_ascii_digit) {
                    out.extend_from_slice(&text);
                    return Ok(());
                }
            }
            ValueType::Scalar(Scalar::Numeric) => {
                let n = num::Numeric::parse(b)?;
                n.write(&mut text);
                if n.is_finite() {
                    out.extend_from_slice(&text);
                    return Ok(());
                }
            }
            ValueType::Scalar(s @ (Scalar::Date | Scalar::Timestamp | Scalar::TimestampTz)) => {
                self.scalar(*s, b, Style::Xsd, &mut text)?;
            }
            ValueType::Array(elem, oid) => return container::array_json(self, elem, *oid, b, out),
            _ => self.text(ty, b, &mut text)?,
        }
        json_string(&text, out);
        Ok(())
    }

    fn scalar(&self, s: Scalar, b: &[u8], style: Style, out: &mut Vec<u8>) -> Result<(), ValueError> {
        use Scalar::*;
        match s {
            Bool => out.push(if take::<1>(b)?[0] != 0 { b't' } else { b'f' }),
            Char => {
                let c = take::<1>(b)?[0];
                if c >= 0x80 {
                    num::push_display(out, format_args!("\\{c:03o}"));
                } else if c != 0 {
                    out.push(c);
                }
            }
            Int2 => num::int::<2>(b, out)?,
            Int4 => num::int::<4>(b, out)?,
            Int8 => num::int::<8>(b, out)?,
            Uint32 => num::uint32(b, out)?,
            Uint64 => num::uint64(b, out)?,
            Float4 => num::float4(b, out)?,
            Float8 => num::float8(b, out)?,
            Numeric => num::numeric(b, out)?,
            Money => num::money(b, out)?,
            Text | Json => out.extend_from_slice(b),
            Jsonb => out.extend_from_slice(jsonb_text(b)?),
            Bytea => net::bytea(b, out),
            Date => datetime::date(b, style, out)?,
            Time => datetime::time(b, out)?,
            TimeTz => datetime::timetz(b, out)?,
            Timestamp => datetime::timestamp(b, None, style, out)?,
            TimestampTz => datetime::timestamp(b, Some(&self.tz), style, out)?,
            Interval => datetime::interval(b, out)?,
            Uuid => net::uuid(b, out)?,
            Inet => net::inet(b, false, out)?,
            Cidr => net::inet(b, true, out)?,
            MacAddr => net::macaddr(b, 6, out)?,
            MacAddr8 => net::macaddr(b, 8, out)?,
            Bits => net::bits(b, out)?,
            PgLsn => {
                let v = u64::from_be_bytes(take(b)?);
                num::push_display(out, format_args!("{:X}/{:X}", v >> 32, v & 0xffff_ffff));
            }
            Tid => {
                let v: [u8; 6] = take(b)?;
                let block = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
                let offset = u16::from_be_bytes([v[4], v[5]]);
                num::push_display(out, format_args!("({block},{offset})"));
            }
        }
        Ok(())
    }
}

/// jsonb's binary form: a version byte (1), then its text.
fn jsonb_text(b: &[u8]) -> Result<&[u8], ValueError> {
    match b.split_first() {
        Some((1, text)) => Ok(text),
        Some((v, _)) => Err(ValueError::new(format!("unsupported jsonb version {v}"))),
        None => Err(ValueError::new("empty jsonb value")),
    }
}

/// A JSON string literal, escaped as the server's `escape_json` does.
pub fn json_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 => num::push_display(out, format_args!("\\u{:04x}", c)),
            c => out.push(c),
        }
    }
    out.push(b'"');
}
