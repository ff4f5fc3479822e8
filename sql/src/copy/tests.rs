use super::*;

fn opts(format: Format) -> CopyOptions {
    CopyOptions {
        format,
        ..CopyOptions::default()
    }
}

fn values(rows: &[RawRow]) -> Vec<Vec<Option<String>>> {
    rows.iter()
        .map(|r| r.fields.iter().map(|f| f.value.clone()).collect())
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn text_rows_arrive_whole_whatever_the_chunking() {
    let data = b"1\t\\N\tab\\tc\n2\t\\\\N\t\\x41\\101\\n\r\n3\t\tz\n\\.\nignored\n";
    let want = vec![
        vec![s("1"), None, s("ab\tc")],
        vec![s("2"), s("\\N"), s("AA\n")],
        vec![s("3"), s(""), s("z")],
    ];
    for chunk in [1, 2, 3, 7, data.len()] {
        let mut d = Decoder::new(opts(Format::Text), "t", 2).unwrap();
        let mut rows = Vec::new();
        for c in data.chunks(chunk) {
            rows.extend(d.feed(c).unwrap());
        }
        rows.extend(d.finish().unwrap());
        assert_eq!(values(&rows), want, "chunks of {chunk}");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 3]);
    }
}

#[test]
fn the_last_line_may_lack_its_newline() {
    let mut d = Decoder::new(opts(Format::Text), "t", 2).unwrap();
    assert!(d.feed(b"1\t2\n3\t4").unwrap().len() == 1);
    assert_eq!(values(&d.finish().unwrap()), vec![vec![s("3"), s("4")]]);
}

#[test]
fn csv_quotes_nulls_and_records_spanning_lines() {
    let mut o = opts(Format::Csv);
    o.header = Header::Yes;
    let data = b"a,b,c\n1,,\"\"\n\"x,\"\"y\"\"\nz\",2,NULL\n";
    let mut d = Decoder::new(o, "t", 2).unwrap();
    let rows = d.feed(data).unwrap();
    assert_eq!(
        values(&rows),
        vec![
            vec![s("1"), None, s("")],
            vec![s("x,\"y\"\nz"), s("2"), s("NULL")],
        ]
    );
    assert_eq!(rows[1].line, 3);
    assert!(rows[0].fields[2].quoted && !rows[0].fields[0].quoted);
    let mut d = Decoder::new(opts(Format::Csv), "t", 2).unwrap();
    assert!(d.feed(b"\"open").unwrap().is_empty());
    let e = d.finish().unwrap_err();
    assert_eq!(e.code(), "22P04");
    assert_eq!(e.to_string(), "unterminated CSV quoted field");
}

#[test]
fn invalid_utf8_is_22021_with_the_line() {
    let mut d = Decoder::new(opts(Format::Text), "t", 2).unwrap();
    let e = d.feed(b"ok\n\xff\xfe\n").unwrap_err();
    assert_eq!(e.code(), "22021");
    assert_eq!(e.context(), Some("COPY t, line 2"));
}

#[test]
fn rows_encode_as_postgresql_writes_them() {
    let row = [s("a\tb\\c\nd"), None, s("")];
    assert_eq!(
        encode_row(&row, &opts(Format::Text), &[]),
        "a\\tb\\\\c\\nd\t\\N\t\n"
    );
    let row = [s("x,y"), None, s(""), s("say \"hi\""), s("plain")];
    assert_eq!(
        encode_row(&row, &opts(Format::Csv), &[]),
        "\"x,y\",,\"\",\"say \"\"hi\"\"\",plain\n"
    );
    assert_eq!(
        encode_row(&[s("1")], &opts(Format::Csv), &[true]),
        "\"1\"\n"
    );
}
