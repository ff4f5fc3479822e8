"""pg8000 (the pure-Python driver) against a PostgreSQL-compatible server: prints a
transcript in sections (`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 pg8000_test.py postgresql://user@host:port/db[?sslmode=require]

pg8000 speaks the extended protocol with every parameter typed by OID (it sends
`unknown` for strings and lets the server infer), reads every result as text, and keeps
a cache of unnamed-then-named prepared statements. Both of its APIs run here: the native
one (`pg8000.native.Connection.run` with `:name` parameters) and DB-API 2.0
(`pg8000.dbapi`, `%s` placeholders, autocommit off). Each section runs on a fresh
connection; an exception is printed as its class and SQLSTATE (and ends that section only).
"""

import datetime
import decimal
import ssl
import sys
import urllib.parse
import uuid

import pg8000.dbapi
import pg8000.native

from transcript import SECTIONS, section, show

URL = sys.argv[1]


def connect_args():
    """pg8000 takes keywords, not a URL: the URL's parts, and an unverified TLS context for
    `sslmode=require`."""
    u = urllib.parse.urlparse(URL)
    query = urllib.parse.parse_qs(u.query)
    args = dict(user=u.username, host=u.hostname, port=u.port, database=u.path.lstrip("/"))
    if query.get("sslmode") == ["require"]:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        args["ssl_context"] = ctx
    return args


def err(e):
    """A server error as (class, SQLSTATE, message)."""
    d = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
    return type(e).__name__, d.get("C"), d.get("M")


@section
def connect_info(conn):
    show(conn.run("SELECT 1 + 1 AS two"), [c["name"] for c in conn.columns])
    show(conn.parameter_statuses.get("server_version", "").split(".")[0])
    show(sorted(k for k in conn.parameter_statuses if k in (
        "client_encoding", "DateStyle", "integer_datetimes", "standard_conforming_strings")))
    show([(c["name"], c["type_oid"]) for c in (conn.run("SELECT 1::int2 a, 2::int8 b, 'x'::text c") and conn.columns)])


@section
def native_parameters(conn):
    conn.run("SET TimeZone = 'UTC'")
    cases = [
        7, -2 ** 31, 2 ** 62, 1.5, decimal.Decimal("12345678901234567890.000000000123"),
        decimal.Decimal("-0.5"), True, False, "héllo\tworld", "", None, b"\x00\xff'\\",
        uuid.UUID("12345678-1234-5678-1234-567812345678"), datetime.date(2024, 2, 29),
        datetime.time(23, 59, 59, 999999), datetime.datetime(2024, 5, 1, 12, 30, 45, 123456),
        datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        datetime.timedelta(days=40, seconds=3661, microseconds=5),
        [1, 2, 3], ["a", "b c", None], [[1, 2], [3, 4]], [True, False], [1.5, None],
        {"a": [1, 2], "b": None}, [decimal.Decimal("1.10")],
    ]
    for v in cases:
        try:
            row = conn.run("SELECT :v AS v", v=v)
            show(row[0][0], conn.columns[0]["type_oid"])
        except pg8000.native.DatabaseError as e:
            show(repr(v)[:30], *err(e))
    # pg8000 sends a string as `unknown`, so the server infers its type from the context.
    conn.run("DROP TABLE IF EXISTS p8_inf")
    conn.run("CREATE TABLE p8_inf (i int, n numeric, d date, t timestamptz, b bool, j jsonb, u uuid, a int[])")
    conn.run("INSERT INTO p8_inf VALUES (:i, :n, :d, :t, :b, :j, :u, :a)", i="5", n="1.50", d="2024-03-01",
             t="2024-03-01 10:00:00+01", b="true", j='{"k": [1]}', u="a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", a="{1,2}")
    show(conn.run("SELECT * FROM p8_inf"))
    show(conn.run("SELECT i + :x, n * :x, d + CAST(:x AS int) FROM p8_inf", x=2))


@section
def native_casts(conn):
    conn.run("SET TimeZone = 'UTC'")
    for typ, lit in [
        ("int2", "7"), ("int4", "-5"), ("int8", "9007199254740993"), ("float4", "1.5"),
        ("float8", "1e300"), ("numeric", "3.14159"), ("numeric(10,2)", "2.5"),
        ("numeric", "NaN"), ("bool", "t"), ("text", "t"), ("varchar(3)", "abc"),
        ("char(3)", "a"), ("name", "n"), ("bytea", "\\x00ff"), ("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ("date", "2024-02-29"), ("time", "12:00:01.5"), ("timetz", "12:00:01+02"),
        ("timestamp", "2024-05-01 12:30:45.123456"), ("timestamptz", "2024-05-01 12:30:45+03"),
        ("interval", "1 year 2 mons 3 days 04:05:06.7"), ("json", '{"a": 1}'),
        ("jsonb", '{"b": [1, {"c": null}], "a": "x"}'), ("int4[]", "{1,NULL,3}"),
        ("text[]", '{"a b",c}'), ("float8[]", "{{1.5,2.5},{3.5,4.5}}"), ("uuid[]", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"),
        ("numeric[]", "{1.10,2}"), ("date[]", "{2000-01-01}"), ("jsonb[]", '{"{\\"x\\": 1}"}'),
        ("bool[]", "{t,f}"), ("oid", "1234"), ("inet", "10.0.0.1/8"), ("cidr", "10.0.0.0/8"),
        ("int4range", "[1,5)"), ("tsvector", "a fat cat"), ("regclass", "pg_class"),
        ("regtype", "int4"), ("char", "x"),
    ]:
        try:
            row = conn.run(f"SELECT CAST(:v AS {typ}) AS v", v=lit)
            show(typ, row[0][0], conn.columns[0]["type_oid"])
        except pg8000.native.DatabaseError as e:
            show(typ, *err(e))


@section
def native_other_types(conn):
    """Types pg8000 has codecs for that Strata does not have yet."""
    for typ, lit in [("macaddr", "08:00:2b:01:02:03"), ("point", "(1,2)"), ("money", "12.34"),
                     ("xml", "<a/>"), ("bit(3)", "101"), ("varbit", "10")]:
        try:
            row = conn.run(f"SELECT CAST(:v AS {typ}) AS v", v=lit)
            show(typ, row[0][0], conn.columns[0]["type_oid"])
        except pg8000.native.DatabaseError as e:
            show(typ, *err(e))


@section
def native_crud(conn):
    conn.run("DROP TABLE IF EXISTS p8_items")
    conn.run("""CREATE TABLE p8_items (
        id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty int DEFAULT 0,
        big bigint, price numeric(12, 2), ok bool, at timestamptz, day date,
        doc jsonb, tag uuid, raw bytea, nums int[], words text[])""")
    conn.run("SET TimeZone = 'UTC'")
    rows = [
        ("apple", 3, 2 ** 40, decimal.Decimal("1.25"), True,
         datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), datetime.date(2024, 1, 2),
         '{"color": "red", "n": [1, 2]}', uuid.UUID(int=7), b"\x01\x02", [1, 2], ["x", "y"]),
        ("pear", 0, None, decimal.Decimal("0.10"), False, None, None, None, None, None, [], []),
    ]
    for r in rows:
        got = conn.run(
            "INSERT INTO p8_items (name, qty, big, price, ok, at, day, doc, tag, raw, nums, words) "
            "VALUES (:a, :b, :c, :d, :e, :f, :g, CAST(:h AS jsonb), :i, :j, :k, :l) RETURNING id",
            a=r[0], b=r[1], c=r[2], d=r[3], e=r[4], f=r[5], g=r[6], h=r[7], i=r[8], j=r[9], k=r[10], l=r[11])
        show(got, conn.row_count)
    show(conn.run("SELECT * FROM p8_items ORDER BY id"))
    show(conn.run("UPDATE p8_items SET qty = qty + :d WHERE price < :p", d=5, p=decimal.Decimal("1")), conn.row_count)
    show(conn.run("SELECT name, qty, doc -> 'n' ->> 1, nums[1], words || CAST(:w AS text) FROM p8_items ORDER BY id", w="z"))
    show(conn.run("DELETE FROM p8_items WHERE NOT ok"), conn.row_count)
    show(conn.run("SELECT count(*) FROM p8_items"))


@section
def native_prepared(conn):
    conn.run("DROP TABLE IF EXISTS p8_np")
    conn.run("CREATE TABLE p8_np (k int PRIMARY KEY, v text)")
    ps = conn.prepare("INSERT INTO p8_np VALUES (:k, :v)")
    for i in range(12):
        ps.run(k=i, v=f"v{i}")
    ps.close()
    get = conn.prepare("SELECT v FROM p8_np WHERE k = :k")
    show([get.run(k=k) for k in (3, 11, 99)])
    get.close()
    show(conn.run("SELECT k, v FROM p8_np WHERE k = ANY(:ks) ORDER BY k", ks=[1, 5, 7]))


@section
def native_transactions(conn):
    conn.run("DROP TABLE IF EXISTS p8_t")
    conn.run("CREATE TABLE p8_t (id int PRIMARY KEY)")
    conn.run("START TRANSACTION")
    conn.run("INSERT INTO p8_t VALUES (1)")
    conn.run("SAVEPOINT s")
    conn.run("INSERT INTO p8_t VALUES (2)")
    conn.run("ROLLBACK TO SAVEPOINT s")
    conn.run("COMMIT")
    conn.run("START TRANSACTION")
    conn.run("INSERT INTO p8_t VALUES (3)")
    conn.run("ROLLBACK")
    show(conn.run("SELECT id FROM p8_t ORDER BY id"))
    conn.run("BEGIN")
    try:
        conn.run("INSERT INTO p8_t VALUES (1)")
    except pg8000.native.DatabaseError as e:
        show(*err(e))
    try:
        conn.run("SELECT 1")
    except pg8000.native.DatabaseError as e:
        show(*err(e))
    conn.run("ROLLBACK")
    show(conn.run("SELECT count(*) FROM p8_t"))


@section
def native_errors(conn):
    for sql in ["SELEC 1", "SELECT * FROM nope", "SELECT 1/0", "SELECT 'x'::int",
                "SELECT CAST(:v AS int)", "SELECT 2147483647 + 1", "SELECT '{bad'::jsonb"]:
        try:
            conn.run(sql, v="zz") if ":v" in sql else conn.run(sql)
            show("no error", sql)
        except pg8000.native.DatabaseError as e:
            show(*err(e))
    conn.run("DROP TABLE IF EXISTS p8_e")
    conn.run("CREATE TABLE p8_e (id int PRIMARY KEY, n int NOT NULL CHECK (n > 0))")
    conn.run("INSERT INTO p8_e VALUES (1, 1)")
    for a, b in [(1, 1), (2, None), (3, -1)]:
        try:
            conn.run("INSERT INTO p8_e VALUES (:a, :b)", a=a, b=b)
        except pg8000.native.DatabaseError as e:
            d = e.args[0]
            show(d.get("C"), d.get("n"), d.get("c"), d.get("t"), d.get("D"))
    show(conn.run("SELECT 42"))


@section
def native_notices(conn):
    conn.run("SET client_min_messages = notice")
    conn.run("DROP TABLE IF EXISTS p8_absent")
    show([(n.get(b"S"), n.get(b"C"), n.get(b"M")) for n in conn.notices])
    conn.run("DO $$ BEGIN RAISE NOTICE 'hi %', 42; END $$")
    show([(n.get(b"C"), n.get(b"M")) for n in list(conn.notices)[1:]])


@section
def native_copy(conn):
    import io
    conn.run("DROP TABLE IF EXISTS p8_c")
    conn.run("CREATE TABLE p8_c (id int, name text, at date)")
    conn.run("COPY p8_c FROM STDIN WITH (FORMAT csv)", stream=io.StringIO("1,a,2024-01-01\n2,,\n3,\"c,d\",2024-12-31\n"))
    show(conn.row_count)
    out = io.StringIO()
    conn.run("COPY (SELECT * FROM p8_c ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)", stream=out)
    show(out.getvalue())
    out = io.BytesIO()
    conn.run("COPY p8_c TO STDOUT", stream=out)
    show(sorted(out.getvalue().split(b"\n")))


@section
def dbapi(conn):
    conn.close()
    c = pg8000.dbapi.connect(**connect_args())
    try:
        show(pg8000.dbapi.paramstyle, c.autocommit)
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS p8_d")
        cur.execute("CREATE TABLE p8_d (id int PRIMARY KEY, name varchar(20), price numeric(8, 2), at date)")
        c.commit()
        cur.executemany("INSERT INTO p8_d VALUES (%s, %s, %s, %s)",
                        [(1, "a", decimal.Decimal("1.5"), datetime.date(2024, 1, 1)),
                         (2, "b", None, None), (3, "c'q", decimal.Decimal("-2"), datetime.date(1999, 12, 31))])
        show(cur.rowcount)
        c.rollback()
        cur.execute("SELECT count(*) FROM p8_d")
        show(cur.fetchone())
        cur.executemany("INSERT INTO p8_d VALUES (%s, %s, %s, %s)",
                        [(1, "a", decimal.Decimal("1.5"), datetime.date(2024, 1, 1)),
                         (3, "c'q", decimal.Decimal("-2"), datetime.date(1999, 12, 31))])
        c.commit()
        cur.execute("SELECT * FROM p8_d WHERE id > %s ORDER BY id", (0,))
        show(cur.fetchall())
        show([(d[0], d[1]) for d in cur.description])
        cur.execute("SELECT id FROM p8_d ORDER BY id")
        show(cur.fetchmany(1), cur.fetchmany(5), cur.fetchone())
        try:
            cur.execute("INSERT INTO p8_d VALUES (%s, %s, %s, %s)", (1, "dup", None, None))
        except pg8000.dbapi.DatabaseError as e:
            show(*err(e))
        c.rollback()
        try:
            cur.execute("SELECT %s::int", ("nope",))
        except pg8000.dbapi.DatabaseError as e:
            show(*err(e))
        c.rollback()
        cur.execute("SELECT current_setting('transaction_isolation')")
        show(cur.fetchone())
        c.commit()
        c.autocommit = True
        cur.execute("VACUUM p8_d")
        cur.execute("SELECT count(*) FROM p8_d")
        show(cur.fetchone())
        # The DB-API's own catalog walk: tables visible through information_schema.
        cur.execute(
            "SELECT table_name, column_name, data_type, is_nullable, numeric_precision, "
            "numeric_scale, character_maximum_length FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position", ("p8_d",))
        for r in cur.fetchall():
            show(r)
        cur.execute("SELECT typname, typlen, typcategory FROM pg_type WHERE oid = ANY(%s) ORDER BY oid",
                    ([16, 20, 23, 25, 114, 1043, 1700, 2950, 3802],))
        show(cur.fetchall())
        cur.close()
    finally:
        c.close()


def main():
    for fn in SECTIONS:
        print(f"== {fn.__name__}", flush=True)
        try:
            conn = pg8000.native.Connection(**connect_args())
        except Exception as e:  # noqa: BLE001
            show("ERROR connect", type(e).__name__, str(e))
            continue
        try:
            fn(conn)
        except pg8000.native.DatabaseError as e:
            show("ERROR", *err(e))
        except Exception as e:  # noqa: BLE001 - the transcript shows any failure
            show("ERROR", type(e).__name__, str(e))
        finally:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        sys.stdout.flush()


main()
