//! Network and identifier types: `inet`, `cidr`, `macaddr`, `macaddr8`,
//! `uuid`, bit strings and `bytea`, printed as the server prints them
//! (its IPv6 text follows the BIND rules, which differ from RFC 5952 on
//! IPv4-compatible addresses).

use super::num::push_display;
use super::ValueError;

const PGSQL_AF_INET: u8 = 2;
const PGSQL_AF_INET6: u8 = 3;

pub fn inet(b: &[u8], cidr: bool, out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() < 4 {
        return Err(ValueError::new(format!("inet needs at least 4 bytes, has {}", b.len())));
    }
    let (family, bits, nb) = (b[0], b[1] as u32, b[3] as usize);
    let addr = &b[4..];
    let (max_bits, want) = match family {
        PGSQL_AF_INET => (32, 4),
        PGSQL_AF_INET6 => (128, 16),
        f => return Err(ValueError::new(format!("invalid address family {f}"))),
    };
    if nb != want || addr.len() != want || bits > max_bits {
        return Err(ValueError::new(format!("invalid inet value: family {family}, {bits} bits, {} address bytes", addr.len())));
    }
    if family == PGSQL_AF_INET {
        push_display(out, format_args!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]));
    } else {
        ipv6(addr, out);
    }
    if cidr || bits != max_bits {
        push_display(out, format_args!("/{bits}"));
    }
    Ok(())
}

fn ipv6(a: &[u8], out: &mut Vec<u8>) {
    let words: Vec<u16> = a.chunks(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect();
    // The longest run of zero words (the first of equals), if at least 2.
    let (mut best, mut cur): ((usize, usize), Option<(usize, usize)>) = ((0, 0), None);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            let (base, len) = cur.unwrap_or((i, 0));
            cur = Some((base, len + 1));
        } else {
            cur = None;
        }
        if let Some(c) = cur {
            if c.1 > best.1 {
                best = c;
            }
        }
    }
    let best = if best.1 >= 2 { Some(best) } else { None };
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push(b':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            out.push(b':');
        }
        if let (6, Some((0, len))) = (i, best) {
            if len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff) {
                push_display(out, format_args!("{}.{}.{}.{}", a[12], a[13], a[14], a[15]));
                return;
            }
        }
        push_display(out, format_args!("{:x}", words[i]));
        i += 1;
    }
    if let Some((base, len)) = best {
        if base + len == 8 {
            out.push(b':');
        }
    }
}

pub fn macaddr(b: &[u8], len: usize, out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() != len {
        return Err(ValueError::new(format!("a MAC address of this type has {len} bytes, not {}", b.len())));
    }
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        push_hex(out, &[*x]);
    }
    Ok(())
}

pub fn uuid(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() != 16 {
        return Err(ValueError::new(format!("uuid must be 16 bytes, is {}", b.len())));
    }
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        push_hex(out, &[*x]);
    }
    Ok(())
}

pub fn push_hex(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2);
    for x in b {
        out.push(HEX[(x >> 4) as usize]);
        out.push(HEX[(x & 15) as usize]);
    }
}

/// `bytea` under `bytea_output = hex`.
pub fn bytea(b: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\x");
    push_hex(out, b);
}

/// `bit` and `varbit`: a 32-bit length in bits, then the bits packed
/// from the most significant end.
pub fn bits(b: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    if b.len() < 4 {
        return Err(ValueError::new("bit string shorter than its 4-byte length"));
    }
    let n = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let data = &b[4..];
    if n < 0 || data.len() != (n as usize).div_ceil(8) {
        return Err(ValueError::new(format!("bit string of {n} bits cannot be {} bytes", data.len())));
    }
    out.reserve(n as usize);
    for i in 0..n as usize {
        out.push(if data[i / 8] & (0x80 >> (i % 8)) != 0 { b'1' } else { b'0' });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(addr: &str, bits: u8, cidr: bool) -> String {
        let a: std::net::Ipv6Addr = addr.parse().unwrap();
        let mut b = vec![PGSQL_AF_INET6, bits, cidr as u8, 16];
        b.extend_from_slice(&a.octets());
        let mut o = Vec::new();
        inet(&b, cidr, &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn ipv6_text_follows_the_server() {
        assert_eq!(v6("::", 128, false), "::");
        assert_eq!(v6("::1", 128, false), "::1");
        assert_eq!(v6("2001:db8::1", 64, false), "2001:db8::1/64");
        assert_eq!(v6("::ffff:1.2.3.4", 128, false), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4", 128, false), "::1.2.3.4");
        assert_eq!(v6("1:0:0:2:0:0:0:3", 128, false), "1:0:0:2::3");
        assert_eq!(v6("1:0:2:3:4:5:6:7", 128, false), "1:0:2:3:4:5:6:7");
        assert_eq!(v6("2001:db8::", 32, true), "2001:db8::/32");
    }
}
