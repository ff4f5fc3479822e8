//! PostgreSQL-checked cases for the decoder (expected values from PostgreSQL 15).

use super::*;
use crate::types::datetime::zone::Zone;

fn ctx(order: DateOrder) -> Context {
    Context {
        order,
        now: 0,
        zone: Zone::utc(),
    }
}

/// Decodes `s` as a timestamp and prints `y-m-d h:m:s.f tz`.
fn dt(s: &str, order: DateOrder) -> Result<String, DtErr> {
    let f = parse_fields(s)?;
    let d = decode_date_time(&f, &ctx(order))?;
    let t = &d.tm;
    Ok(format!(
        "{:?} {}-{:02}-{:02} {:02}:{:02}:{:02}.{:06} {}",
        d.kind, t.year, t.mon, t.mday, t.hour, t.min, t.sec, t.fsec, d.tz
    ))
}

#[test]
fn date_orders() {
    use DateOrder::*;
    assert_eq!(
        dt("01/02/03", Mdy).unwrap(),
        "Date 2003-01-02 00:00:00.000000 0"
    );
    assert_eq!(
        dt("01/02/03", Dmy).unwrap(),
        "Date 2003-02-01 00:00:00.000000 0"
    );
    assert_eq!(
        dt("01/02/03", Ymd).unwrap(),
        "Date 2001-02-03 00:00:00.000000 0"
    );
    assert_eq!(dt("1/18/1999", Ymd), Err(DtErr::MdFieldOverflow));
    assert_eq!(
        dt("99-Jan-08", Ymd).unwrap(),
        "Date 1999-01-08 00:00:00.000000 0"
    );
    assert_eq!(
        dt("08-Jan-99", Mdy).unwrap(),
        "Date 1999-01-08 00:00:00.000000 0"
    );
    assert_eq!(
        dt("January 8, 99 BC", Mdy).unwrap(),
        "Date -98-01-08 00:00:00.000000 0"
    );
    assert_eq!(
        dt("1999 01 08", Dmy).unwrap(),
        "Date 1999-01-08 00:00:00.000000 0"
    );
}

#[test]
fn julian_iso_and_run_together_forms() {
    use DateOrder::Mdy;
    assert_eq!(
        dt("J2451187", Mdy).unwrap(),
        "Date 1999-01-08 00:00:00.000000 0"
    );
    assert_eq!(
        dt("J2452271.5-08", Mdy).unwrap(),
        "Date 2001-12-27 12:00:00.000000 28800"
    );
    assert_eq!(
        dt("20011227T040506.789-08", Mdy).unwrap(),
        "Date 2001-12-27 04:05:06.789000 28800"
    );
    assert_eq!(
        dt("Y2001M12D27H04MM05S06.789+08", Mdy).unwrap(),
        "Date 2001-12-27 04:05:06.789000 -28800"
    );
    assert_eq!(
        dt("990108", Mdy).unwrap(),
        "Date 1999-01-08 00:00:00.000000 0"
    );
    assert_eq!(
        dt("1997.041", Mdy).unwrap(),
        "Date 1997-02-10 00:00:00.000000 0"
    );
}

#[test]
fn zones_and_specials() {
    use DateOrder::Mdy;
    assert_eq!(
        dt("2001-12-27 04:05:06.789 MET DST", Mdy).unwrap(),
        "Date 2001-12-27 04:05:06.789000 -7200"
    );
    assert_eq!(
        dt("Wed Jul 11 10:51:14 GMT-4 2001", Mdy).unwrap(),
        "Date 2001-07-11 10:51:14.000000 -14400"
    );
    assert_eq!(
        dt("1995-08-06 epoch", Mdy).unwrap().split(' ').next(),
        Some("Epoch")
    );
    assert_eq!(dt("-infinity infinity", Mdy), Err(DtErr::BadFormat));
    assert_eq!(dt("Feb 16 17:32:01 -0097", Mdy), Err(DtErr::TzDispOverflow));
    assert_eq!(
        dt("19970710 173201 America/Does_not_exist", Mdy),
        Err(DtErr::BadTimezone("america/does_not_exist".into()))
    );
    assert_eq!(
        dt("10:00", Mdy).unwrap().split(' ').next(),
        Some("TimeOnly")
    );
}

#[test]
fn time_only() {
    let t = |s: &str| {
        let f = parse_fields(s)?;
        decode_time_only(&f, &ctx(DateOrder::Mdy)).map(|d| (d.tm.time_of_day(), d.tz))
    };
    assert_eq!(t("040506.789+08").unwrap(), (14_706_789_000, -28800));
    assert_eq!(t("0405").unwrap(), (14_700_000_000, 0));
    assert_eq!(t("24:00:00.01"), Err(DtErr::FieldOverflow));
    assert_eq!(t("10:00 pm").unwrap().0, 22 * 3_600_000_000);
    assert!(t("12:00 America/New_York").is_err());
}
