//! `inet` and `cidr`: an IPv4 or IPv6 address with a netmask length.
//!
//! One value type, [`Inet`], serves both SQL types, as in PostgreSQL: a `cidr` is a network
//! (no bits set right of its mask, 22P02 otherwise) and prints its mask always; an `inet` is
//! a host address with an optional netmask (`'10.1.2.3/8'` keeps its host bits) and prints
//! the mask only when it is shorter than the address. `cidr` converts to `inet` implicitly
//! (the `is_cidr` flag travels along, as PostgreSQL's binary coercion keeps it); `inet` to
//! `cidr` zeroes the host bits.
//!
//! * Input: PostgreSQL's `inet_net_pton` — IPv4 for `inet` needs all four octets unless a
//!   mask is given (`10.1.2/24`); `cidr` also takes classful abbreviations (`10` is
//!   `10.0.0.0/8`) and hex (`0x0a`). IPv6 in every `inet_pton` spelling, embedded IPv4
//!   included. No surrounding whitespace.
//! * Output: `inet_net_ntop` (IPv6 with the longest run of two or more zero groups as `::`,
//!   `::a.b.c.d` / `::ffff:a.b.c.d` for embedded IPv4); [`abbrev_cidr`] is
//!   `inet_cidr_ntop`'s abbreviated form.
//! * Order ([`cmp`]): family (IPv4 first), then the common prefix of the two networks,
//!   then the mask length, then the whole address — `network_cmp`. The `is_cidr` flag takes
//!   no part in it, so `'10.0.0.0/8'::cidr = '10.0.0.0/8'::inet`.

use std::cmp::Ordering;

use crate::{Error, Result};

/// One `inet` or `cidr` value. IPv4 addresses use the first 4 bytes of `addr`; the rest
/// stay zero. `PartialEq` is structural (the `cidr` flag included); SQL equality and order
/// are [`cmp`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inet {
    pub v6: bool,
    /// The netmask length, 0..=32 or 0..=128.
    pub bits: u8,
    /// Whether the value came from a `cidr` (PostgreSQL's `is_cidr`, sent on the wire).
    pub cidr: bool,
    pub addr: [u8; 16],
}

impl Inet {
    /// The address length in bits: 32 or 128.
    pub fn max_bits(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    /// The address bytes: 4 or 16.
    pub fn bytes(&self) -> &[u8] {
        if self.v6 { &self.addr } else { &self.addr[..4] }
    }

    /// PostgreSQL's family code for the wire (`PGSQL_AF_INET` 2, `PGSQL_AF_INET6` 3).
    pub fn family_code(&self) -> u8 {
        if self.v6 { 3 } else { 2 }
    }

    /// The address as an unsigned integer.
    pub fn to_u128(&self) -> u128 {
        self.bytes()
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
    }

    /// The same kind of value with address `n` (which must fit the family).
    pub fn with_u128(&self, n: u128) -> Inet {
        let mut out = *self;
        out.addr = [0; 16];
        let len = self.bytes().len();
        for i in 0..len {
            out.addr[i] = (n >> (8 * (len - 1 - i))) as u8;
        }
        out
    }

    /// The netmask as an integer of the address width.
    pub fn mask(&self) -> u128 {
        self.full() & !self.full().checked_shr(u32::from(self.bits)).unwrap_or(0)
    }

    /// Every bit of the address width set.
    fn full(&self) -> u128 {
        u128::MAX >> (128 - u32::from(self.max_bits()))
    }

    /// The host mask (bits right of the netmask).
    pub fn host_mask(&self) -> u128 {
        self.full() & !self.mask()
    }

    /// The value with its host bits cleared (`network()`), as a `cidr`.
    pub fn network(&self) -> Inet {
        let mut n = self.with_u128(self.to_u128() & self.mask());
        n.cidr = true;
        n
    }

    /// Builds a value from its wire/storage parts; `None` when they are inconsistent.
    pub fn from_parts(family: u8, bits: u8, cidr: bool, bytes: &[u8]) -> Option<Inet> {
        let v6 = match (family, bytes.len()) {
            (2, 4) => false,
            (3, 16) => true,
            _ => return None,
        };
        let mut addr = [0u8; 16];
        addr[..bytes.len()].copy_from_slice(bytes);
        let out = Inet {
            v6,
            bits,
            cidr,
            addr,
        };
        (bits <= out.max_bits()).then_some(out)
    }
}

/// Whether the first `bits` bits of `a` and `b` agree (and how they order if not):
/// PostgreSQL's `bitncmp`.
pub fn bitncmp(a: &[u8], b: &[u8], bits: u8) -> Ordering {
    let whole = usize::from(bits / 8);
    match a[..whole].cmp(&b[..whole]) {
        Ordering::Equal => {}
        o => return o,
    }
    let rest = bits % 8;
    if rest == 0 {
        return Ordering::Equal;
    }
    let m = 0xFFu8 << (8 - rest);
    (a[whole] & m).cmp(&(b[whole] & m))
}

/// `network_cmp`: see the module docs.
pub fn cmp(a: &Inet, b: &Inet) -> Ordering {
    if a.v6 != b.v6 {
        return a.v6.cmp(&b.v6);
    }
    bitncmp(a.bytes(), b.bytes(), a.bits.min(b.bits))
        .then(a.bits.cmp(&b.bits))
        .then_with(|| a.bytes().cmp(b.bytes()))
}

/// `<<=` (`sub` strict: `<<`): whether `a` lies within network `b`.
pub fn contained_by(a: &Inet, b: &Inet, strict: bool) -> bool {
    a.v6 == b.v6
        && if strict {
            a.bits > b.bits
        } else {
            a.bits >= b.bits
        }
        && bitncmp(a.bytes(), b.bytes(), b.bits) == Ordering::Equal
}

/// `&&`: whether either network contains the other.
pub fn overlaps(a: &Inet, b: &Inet) -> bool {
    a.v6 == b.v6 && bitncmp(a.bytes(), b.bytes(), a.bits.min(b.bits)) == Ordering::Equal
}

fn invalid(s: &str, cidr: bool) -> Error {
    Error::InvalidTextRepresentation(format!(
        "invalid input syntax for type {}: \"{s}\"",
        if cidr { "cidr" } else { "inet" }
    ))
}

/// The input function of `inet` (`cidr == false`) or `cidr`.
pub fn parse(s: &str, cidr: bool) -> Result<Inet> {
    let v6 = s.contains(':');
    let mut addr = [0u8; 16];
    let bits = if v6 {
        pton_v6(s.as_bytes(), &mut addr)
    } else if cidr {
        pton_cidr_v4(s.as_bytes(), &mut addr)
    } else {
        pton_inet_v4(s.as_bytes(), &mut addr)
    };
    let max = if v6 { 128 } else { 32 };
    let bits = bits.filter(|b| *b <= max).ok_or_else(|| invalid(s, cidr))?;
    let out = Inet {
        v6,
        bits: bits as u8,
        cidr,
        addr,
    };
    if cidr && out.to_u128() & out.host_mask() != 0 {
        return Err(Error::MalformedLiteral {
            message: format!("invalid cidr value: \"{s}\""),
            detail: "Value has bits set to right of mask.".into(),
        });
    }
    Ok(out)
}

/// Reads decimal digits at `s[*i..]` while the value stays at most `max`.
fn decimal(s: &[u8], i: &mut usize, max: u32) -> Option<u32> {
    let start = *i;
    let mut v = 0u32;
    while let Some(d) = s.get(*i).filter(|c| c.is_ascii_digit()) {
        v = v * 10 + u32::from(d - b'0');
        if v > max {
            return None;
        }
        *i += 1;
    }
    (*i > start).then_some(v)
}

/// A `/bits` suffix at `s[i..]` (at most 32), which must end the input.
fn v4_bits(s: &[u8], mut i: usize) -> Option<Option<u32>> {
    match s.get(i) {
        None => Some(None),
        Some(b'/') if s.get(i + 1).is_some_and(u8::is_ascii_digit) => {
            i += 1;
            let mut bits = 0u32;
            while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
                bits = bits.saturating_mul(10).saturating_add(u32::from(d - b'0'));
                i += 1;
            }
            (i == s.len() && bits <= 32).then_some(Some(bits))
        }
        _ => None,
    }
}

/// `inet_net_pton_ipv4`: dotted decimal octets, an optional `/bits`; without one, all four
/// octets.
fn pton_inet_v4(s: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut i = 0;
    let mut n = 0;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        if n == 4 {
            return None;
        }
        dst[n] = decimal(s, &mut i, 255)? as u8;
        n += 1;
        match s.get(i) {
            Some(b'.') => i += 1,
            _ => break,
        }
    }
    if n == 0 {
        return None;
    }
    let bits = match v4_bits(s, i)? {
        Some(b) => b,
        None if n == 4 => 32,
        None => return None,
    };
    (bits as usize / 8 <= n).then_some(bits)
}

/// `inet_cidr_pton_ipv4`: also hex (`0x0a01`) and classful widths for abbreviated input.
fn pton_cidr_v4(s: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut i;
    let mut n = 0usize;
    if s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') && s[2].is_ascii_hexdigit() {
        i = 2;
        let mut nybbles = 0;
        let mut tmp = 0u8;
        while let Some(d) = s.get(i).and_then(|c| (*c as char).to_digit(16)) {
            tmp = (tmp << 4) | d as u8;
            nybbles += 1;
            if nybbles == 2 {
                if n == 4 {
                    return None;
                }
                dst[n] = tmp;
                n += 1;
                nybbles = 0;
                tmp = 0;
            }
            i += 1;
        }
        if nybbles == 1 {
            if n == 4 {
                return None;
            }
            dst[n] = tmp << 4;
            n += 1;
        }
    } else if s.first().is_some_and(u8::is_ascii_digit) {
        i = 0;
        loop {
            if n == 4 {
                return None;
            }
            dst[n] = decimal(s, &mut i, 255)? as u8;
            n += 1;
            match s.get(i) {
                Some(b'.') if s.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
                None | Some(b'/') => break,
                _ => return None,
            }
        }
    } else {
        return None;
    }
    let bits = match v4_bits(s, i)? {
        Some(b) => b,
        None => {
            let first = dst[0];
            let class = match first {
                240.. => 32,
                224.. => 4,
                192.. => 24,
                128.. => 16,
                _ => 8,
            };
            if class >= 8 && class < n as u32 * 8 {
                n as u32 * 8
            } else {
                class
            }
        }
    };
    Some(bits)
}

/// `getbits`: a prefix length 0..=128 without leading zeros, ending the input.
fn getbits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || (s.len() > 1 && s[0] == b'0') || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v = 0u32;
    for d in s {
        v = v * 10 + u32::from(d - b'0');
        if v > 128 {
            return None;
        }
    }
    Some(v)
}

/// `getv4`: the dotted IPv4 tail of an IPv6 address (four octets, no leading zeros),
/// optionally followed by `/bits`.
fn getv4(s: &[u8], dst: &mut [u8]) -> Option<Option<u32>> {
    let mut n = 0;
    let mut val = 0u32;
    let mut digits = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c.is_ascii_digit() {
            if digits > 0 && val == 0 {
                return None;
            }
            digits += 1;
            val = val * 10 + u32::from(c - b'0');
            if val > 255 {
                return None;
            }
            continue;
        }
        if c == b'.' || c == b'/' {
            if n > 3 {
                return None;
            }
            dst[n] = val as u8;
            n += 1;
            if c == b'/' {
                return (n == 4).then(|| getbits(&s[i..]).map(Some))?;
            }
            val = 0;
            digits = 0;
            continue;
        }
        return None;
    }
    if digits == 0 || n != 3 {
        return None;
    }
    dst[n] = val as u8;
    Some(None)
}

/// `inet_cidr_pton_ipv6`: returns the prefix length (128 when none is given).
fn pton_v6(s: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0usize;
    if s.first() == Some(&b':') {
        if s.get(1) != Some(&b':') {
            return None;
        }
        i = 1;
    }
    let mut curtok = i;
    let mut saw_xdigit = false;
    let mut val = 0u32;
    let mut digits = 0;
    let mut bits: Option<u32> = None;
    while let Some(&c) = s.get(i) {
        i += 1;
        if let Some(d) = (c as char).to_digit(16) {
            val = (val << 4) | d;
            digits += 1;
            if digits > 4 {
                return None;
            }
            saw_xdigit = true;
            continue;
        }
        if c == b':' {
            curtok = i;
            if !saw_xdigit {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i == s.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            tmp[tp] = (val >> 8) as u8;
            tmp[tp + 1] = val as u8;
            tp += 2;
            saw_xdigit = false;
            digits = 0;
            val = 0;
            continue;
        }
        if c == b'.' && tp + 4 <= 16 {
            if let Some(b) = getv4(&s[curtok..], &mut tmp[tp..tp + 4]) {
                bits = b;
                tp += 4;
                saw_xdigit = false;
                break;
            }
            return None;
        }
        if c == b'/' {
            bits = Some(getbits(&s[i..])?);
            break;
        }
        return None;
    }
    if saw_xdigit {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp] = (val >> 8) as u8;
        tmp[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(cp) = colonp {
        if tp == 16 {
            return None;
        }
        let n = tp - cp;
        for k in 1..=n {
            tmp[16 - k] = tmp[cp + n - k];
            tmp[cp + n - k] = 0;
        }
        tp = 16;
    }
    if tp != 16 {
        return None;
    }
    *dst = tmp;
    Some(bits.unwrap_or(128))
}

/// `inet_net_ntop`: the address, with `/bits` unless `bits` is the full width (`None`:
/// never).
pub fn ntop(v: &Inet, bits: Option<u8>) -> String {
    let mut out = if v.v6 {
        ntop_v6(&v.addr)
    } else {
        let a = &v.addr;
        format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
    };
    if let Some(b) = bits
        && b != v.max_bits()
    {
        out.push_str(&format!("/{b}"));
    }
    out
}

fn ntop_v6(src: &[u8; 16]) -> String {
    let words: Vec<u16> = src
        .chunks(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect();
    // The longest run of zero words (the first of equal ones), if two or longer.
    // (start, length) of zero-word runs
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
        } else if let Some(c) = cur.take()
            && best.is_none_or(|b| c.1 > b.1)
        {
            best = Some(c);
        }
    }
    if let Some(c) = cur
        && best.is_none_or(|b| c.1 > b.1)
    {
        best = Some(c);
    }
    let best = best.filter(|b| b.1 >= 2);
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if let Some((base, len)) = best
            && i >= base
            && i < base + len
        {
            if i == base {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6
            && let Some((0, len)) = best
            && (len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff))
        {
            out.push_str(&format!("{}.{}.{}.{}", src[12], src[13], src[14], src[15]));
            return out;
        }
        out.push_str(&format!("{w:x}"));
    }
    if let Some((base, len)) = best
        && base + len == 8
    {
        out.push(':');
    }
    out
}

/// The output function: `inet` shows its mask when shorter than the address, `cidr`
/// always.
pub fn format(v: &Inet) -> String {
    let mut s = ntop(v, Some(v.bits));
    if v.cidr && !s.contains('/') {
        s.push_str(&format!("/{}", v.bits));
    }
    s
}

/// `text(inet)` (`network_show`): the address and its mask, always.
pub fn show(v: &Inet) -> String {
    format!("{}/{}", ntop(v, None), v.bits)
}

/// `abbrev(cidr)` (`inet_cidr_ntop`): only the octets or groups the mask covers.
pub fn abbrev_cidr(v: &Inet) -> String {
    let bits = usize::from(v.bits);
    if !v.v6 {
        let mut out = String::new();
        if bits == 0 {
            out.push('0');
        }
        for (k, b) in v.addr[..bits / 8].iter().enumerate() {
            if k > 0 {
                out.push('.');
            }
            out.push_str(&b.to_string());
        }
        let rest = bits % 8;
        if rest > 0 {
            if !out.is_empty() {
                out.push('.');
            }
            let m = (((1u32 << rest) - 1) << (8 - rest)) as u8;
            out.push_str(&(v.addr[bits / 8] & m).to_string());
        }
        return format!("{out}/{bits}");
    }
    if bits == 0 {
        return "::/0".into();
    }
    let mut s = v.network().addr;
    let p = bits.div_ceil(8);
    s[p..].fill(0);
    let words = match bits.div_ceil(16) {
        1 => 2,
        w => w,
    };
    let (mut zero_s, mut zero_l, mut tmp_s, mut tmp_l) = (0, 0, 0, 0);
    for i in 0..words {
        if s[2 * i] | s[2 * i + 1] == 0 {
            if tmp_l == 0 {
                tmp_s = i;
            }
            tmp_l += 1;
        } else if tmp_l > 0 && zero_l < tmp_l {
            zero_s = tmp_s;
            zero_l = tmp_l;
            tmp_l = 0;
        }
    }
    if tmp_l > 0 && zero_l < tmp_l {
        zero_s = tmp_s;
        zero_l = tmp_l;
    }
    let is_ipv4 = zero_l != words
        && zero_s == 0
        && (zero_l == 6
            || (zero_l == 5 && s[10] == 0xff && s[11] == 0xff)
            || (zero_l == 7 && s[14] != 0 && s[15] != 1));
    let mut out = String::new();
    for p in 0..words {
        if zero_l != 0 && p >= zero_s && p < zero_s + zero_l {
            if p == zero_s {
                out.push(':');
            }
            if p == words - 1 {
                out.push(':');
            }
            continue;
        }
        if is_ipv4 && p > 5 {
            out.push(if p == 6 { ':' } else { '.' });
            out.push_str(&s[2 * p].to_string());
            if p != 7 || bits > 120 {
                out.push('.');
                out.push_str(&s[2 * p + 1].to_string());
            }
        } else {
            if !out.is_empty() {
                out.push(':');
            }
            out.push_str(&format!(
                "{:x}",
                u16::from_be_bytes([s[2 * p], s[2 * p + 1]])
            ));
        }
    }
    format!("{out}/{bits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet(s: &str) -> Inet {
        parse(s, false).unwrap()
    }

    fn cidr(s: &str) -> Inet {
        parse(s, true).unwrap()
    }

    #[test]
    fn text_round_trips_as_postgresql_prints() {
        for (input, out) in [
            ("10.1.2.3", "10.1.2.3"),
            ("10.1.2.3/8", "10.1.2.3/8"),
            ("10.1.2/24", "10.1.2.0/24"),
            ("::1", "::1"),
            ("2001:DB8::1/64", "2001:db8::1/64"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1::", "1::"),
        ] {
            assert_eq!(format(&inet(input)), out, "{input}");
        }
        assert_eq!(format(&cidr("10")), "10.0.0.0/8");
        assert_eq!(format(&cidr("192.168.1")), "192.168.1.0/24");
        assert_eq!(format(&cidr("0x0a")), "10.0.0.0/8");
        assert_eq!(format(&cidr("10.1.2.3")), "10.1.2.3/32");
        for bad in [
            " 10.1.2.3",
            "10.1.2",
            "10.0.0.0/33",
            "1.2.3.4.5",
            "::1::2",
            ":1",
            "1.2.3.256",
        ] {
            assert!(parse(bad, false).is_err(), "{bad}");
        }
        assert!(matches!(
            parse("10.1.2.3/8", true),
            Err(Error::MalformedLiteral { .. })
        ));
    }

    #[test]
    fn abbreviations_match_postgresql() {
        assert_eq!(abbrev_cidr(&cidr("10.1.0.0/16")), "10.1/16");
        assert_eq!(abbrev_cidr(&cidr("2001:db8::/32")), "2001:db8/32");
        assert_eq!(abbrev_cidr(&cidr("::ffff:1.2.3.0/120")), "::ffff:1.2.3/120");
        assert_eq!(show(&inet("::1")), "::1/128");
    }

    #[test]
    fn order_is_network_cmp() {
        let mut v = [
            inet("::1"),
            inet("10.0.0.0/8"),
            inet("10.1.0.0/16"),
            inet("9.255.0.0/16"),
            inet("10.0.0.0/7"),
            inet("10.0.0.1/8"),
        ];
        v.sort_by(cmp);
        let shown: Vec<String> = v.iter().map(format).collect();
        assert_eq!(
            shown,
            [
                "9.255.0.0/16",
                "10.0.0.0/7",
                "10.0.0.0/8",
                "10.0.0.1/8",
                "10.1.0.0/16",
                "::1"
            ]
        );
        assert_eq!(
            cmp(&inet("10.0.0.0/8"), &cidr("10.0.0.0/8")),
            Ordering::Equal
        );
    }
}
