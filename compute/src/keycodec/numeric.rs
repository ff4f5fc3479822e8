//! Order-preserving encoding of `numeric` (after the 0x07 tag):
//!
//! ```text
//! class  0x01 -Infinity | 0x02 negative | 0x03 zero | 0x04 positive | 0x05 +Infinity | 0x06 NaN
//! positive: exponent (i32 big-endian, sign bit flipped), digits as ASCII '0'..'9', 0x00
//! negative: exponent inverted, digits as 0xFF - ASCII, 0xFF
//! ```
//!
//! The exponent is the power of ten of the first significant digit (`123.4` → 2) and the
//! digits are the significant digits without trailing zeros, so equal values encode
//! equally whatever their display scale. A longer digit string with the same prefix is a
//! larger magnitude; the terminator sorts it after the shorter one for positive values and
//! before it (after inversion) for negative ones.

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::{BigInt, Sign};
use sql::types::Numeric;

use crate::error::{Error, Result};

const NEG_INF: u8 = 0x01;
const NEGATIVE: u8 = 0x02;
const ZERO: u8 = 0x03;
const POSITIVE: u8 = 0x04;
const POS_INF: u8 = 0x05;
const NAN: u8 = 0x06;

/// Significant digits (no leading or trailing zeros) and the exponent of the first.
fn digits_and_exponent(d: &BigDecimal) -> (Vec<u8>, i64) {
    let (int, scale) = d.as_bigint_and_exponent();
    let text = int.magnitude().to_string();
    let exponent = text.len() as i64 - 1 - scale;
    let digits = text.trim_end_matches('0').as_bytes().to_vec();
    (digits, exponent)
}

/// Appends the encoding of `n` (without the tag).
pub fn encode(n: &Numeric, out: &mut Vec<u8>) {
    match n {
        Numeric::NegInfinity => out.push(NEG_INF),
        Numeric::Infinity => out.push(POS_INF),
        Numeric::NaN => out.push(NAN),
        Numeric::Finite(d) => match d.sign() {
            Sign::NoSign => out.push(ZERO),
            sign => {
                let (digits, exponent) = digits_and_exponent(d);
                let e = i32::try_from(exponent).expect("numeric exponents fit in i32");
                let flipped = ((e as u32) ^ (1 << 31)).to_be_bytes();
                if sign == Sign::Plus {
                    out.push(POSITIVE);
                    out.extend_from_slice(&flipped);
                    out.extend_from_slice(&digits);
                    out.push(0x00);
                } else {
                    out.push(NEGATIVE);
                    out.extend(flipped.iter().map(|b| !b));
                    out.extend(digits.iter().map(|b| 0xFF - b));
                    out.push(0xFF);
                }
            }
        },
    }
}

/// Decodes a numeric from the start of `bytes`; returns it and the bytes used.
pub fn decode(bytes: &[u8]) -> Result<(Numeric, usize)> {
    let bad = |m: &str| Error::decode("key", format!("numeric: {m}"));
    let class = *bytes.first().ok_or_else(|| bad("empty"))?;
    let negative = match class {
        NEG_INF => return Ok((Numeric::NegInfinity, 1)),
        POS_INF => return Ok((Numeric::Infinity, 1)),
        NAN => return Ok((Numeric::NaN, 1)),
        ZERO => return Ok((Numeric::zero(), 1)),
        POSITIVE => false,
        NEGATIVE => true,
        c => return Err(bad(&format!("class {c}"))),
    };
    let e: [u8; 4] = bytes
        .get(1..5)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("truncated exponent"))?;
    let e = if negative { e.map(|b| !b) } else { e };
    let exponent = i64::from((u32::from_be_bytes(e) ^ (1 << 31)) as i32);
    let terminator = if negative { 0xFF } else { 0x00 };
    let end = bytes[5..]
        .iter()
        .position(|&b| b == terminator)
        .ok_or_else(|| bad("unterminated digits"))?;
    let digits: Vec<u8> = bytes[5..5 + end]
        .iter()
        .map(|&b| if negative { 0xFF - b } else { b })
        .collect();
    if digits.is_empty()
        || !digits.iter().all(u8::is_ascii_digit)
        || digits[0] == b'0'
        || digits.last() == Some(&b'0')
        || digits.len() > 200_000
    {
        return Err(bad("digits"));
    }
    let int: BigInt = std::str::from_utf8(&digits)
        .map_err(|_| bad("digits"))?
        .parse()
        .map_err(|_| bad("digits"))?;
    let int = if negative { -int } else { int };
    // value = int * 10^(exponent - (len - 1))
    let shift = exponent - (digits.len() as i64 - 1);
    if !(-200_000..=200_000).contains(&shift) {
        return Err(bad("exponent out of range"));
    }
    let value = if shift >= 0 {
        BigDecimal::new(int * BigInt::from(10u8).pow(shift as u32), 0)
    } else {
        BigDecimal::new(int, -shift)
    };
    Ok((Numeric::Finite(value), 5 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&Numeric::parse(s).unwrap(), &mut out);
        out
    }

    #[test]
    fn order_and_equality() {
        let sorted = [
            "-Infinity",
            "-1e10",
            "-123.4",
            "-12.35",
            "-12.3",
            "-1",
            "-0.5",
            "-0.0001",
            "0",
            "0.0001",
            "0.5",
            "1",
            "12.3",
            "12.35",
            "123.4",
            "1e10",
            "Infinity",
            "NaN",
        ];
        for w in sorted.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(enc("1.0"), enc("1.000"));
        assert_eq!(enc("0.00"), enc("0"));
        for s in sorted {
            let e = enc(s);
            let (n, used) = decode(&e).unwrap();
            assert_eq!(used, e.len());
            assert_eq!(
                n.total_cmp(&Numeric::parse(s).unwrap()),
                std::cmp::Ordering::Equal
            );
        }
        assert_eq!(decode(&enc("1.50")).unwrap().0.to_string(), "1.5");
        assert_eq!(decode(&enc("1200")).unwrap().0.to_string(), "1200");
    }
}
