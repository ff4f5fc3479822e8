//! Microseconds since the Unix epoch as PostgreSQL prints a `timestamptz` in UTC
//! (`2024-05-01 12:34:56.123456+00`, trailing zeros of the fraction dropped).

/// The text of `us` microseconds since 1970-01-01 00:00:00 UTC.
pub fn utc_text(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        let f = format!(".{frac:06}");
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str("+00");
    s
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_postgresql() {
        assert_eq!(utc_text(0), "1970-01-01 00:00:00+00");
        // SELECT to_timestamp(1714566896.5) AT TIME ZONE 'UTC' → 2024-05-01 12:34:56.5
        assert_eq!(utc_text(1_714_566_896_500_000), "2024-05-01 12:34:56.5+00");
        assert_eq!(
            utc_text(951_782_400_000_001),
            "2000-02-29 00:00:00.000001+00"
        );
        assert_eq!(utc_text(-1), "1969-12-31 23:59:59.999999+00");
    }
}
