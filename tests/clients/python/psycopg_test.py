"""psycopg 3 against a PostgreSQL-compatible server: prints a transcript in sections
(`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 psycopg_test.py postgresql://user@host:port/db

Each section runs on a fresh connection; an exception is printed as the error class and
SQLSTATE (and ends that section only), so one missing feature does not hide the others.
"""

import datetime
import decimal
import sys
import uuid

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from transcript import SECTIONS, section, show

URL = sys.argv[1]


@section
def connect_info(conn):
    info = conn.info
    show(info.server_version >= 150000, info.server_version < 160000)
    for p in ["server_encoding", "client_encoding", "DateStyle", "integer_datetimes",
              "standard_conforming_strings", "IntervalStyle"]:
        show(p, info.parameter_status(p))
    show(conn.execute("SHOW DateStyle").fetchone())
    show(conn.execute("SELECT current_setting('standard_conforming_strings')").fetchone())
    conn.execute("SET application_name = 'psycopg-test'")
    show(info.parameter_status("application_name"))


@section
def parameters(conn):
    conn.execute("DROP TABLE IF EXISTS p")
    conn.execute("CREATE TABLE p (id int PRIMARY KEY, name text, score float8, ok boolean)")
    conn.execute("INSERT INTO p VALUES (%s, %s, %s, %s)", (1, "alice", 1.5, True))
    conn.execute("INSERT INTO p VALUES (%s, %s, %s, %s)", (2, None, -2.25, False))
    conn.execute("INSERT INTO p (id, name) VALUES (%(id)s, %(name)s)", {"id": 3, "name": "it's"})
    for row in conn.execute("SELECT id, name, score, ok FROM p WHERE id >= %s ORDER BY id", (1,)):
        show(*row)
    show(conn.execute("SELECT count(*) FROM p WHERE name = %s", ("alice",)).fetchone())
    conn.commit()


@section
def executemany(conn):
    conn.execute("DROP TABLE IF EXISTS m")
    conn.execute("CREATE TABLE m (k int PRIMARY KEY, v text)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO m VALUES (%s, %s)", [(i, f"v{i}") for i in range(200)])
        show(cur.rowcount)
    show(conn.execute("SELECT count(*), sum(k), min(v), max(v) FROM m").fetchone())
    conn.commit()


@section
def server_side_prepare(conn):
    conn.prepare_threshold = 0
    conn.execute("DROP TABLE IF EXISTS sp")
    conn.execute("CREATE TABLE sp (k int PRIMARY KEY, v int)")
    for i in range(10):
        conn.execute("INSERT INTO sp VALUES (%s, %s)", (i, i * i))
    for i in (3, 7):
        show(conn.execute("SELECT v FROM sp WHERE k = %s", (i,), prepare=True).fetchone())
    show(conn.execute("SELECT sum(v) FROM sp").fetchone())
    conn.commit()


@section
def binary_results(conn):
    with conn.cursor(binary=True) as cur:
        cur.execute("SELECT 1::int2, 2::int4, 3::int8, 1.5::float8, 2.5::float4, true, 'txt'::text")
        show(*cur.fetchone())
        cur.execute("SELECT %b::int4 + 1, %b::text || 'x'", (41, "a"))
        show(*cur.fetchone())


@section
def copy(conn):
    conn.execute("DROP TABLE IF EXISTS c")
    conn.execute("CREATE TABLE c (id int PRIMARY KEY, label text)")
    conn.commit()
    with conn.cursor() as cur:
        with cur.copy("COPY c (id, label) FROM STDIN") as cp:
            for i in range(100):
                cp.write_row((i, None if i % 10 == 0 else f"label\t{i}"))
        show(cur.rowcount)
        with cur.copy("COPY c FROM STDIN (FORMAT csv)") as cp:
            cp.write(b'100,"a,b"\n101,\n')
        rows = []
        with cur.copy("COPY (SELECT id, label FROM c WHERE id IN (0, 1, 100, 101)) TO STDOUT") as cp:
            for row in cp.rows():
                rows.append(row)
        for r in sorted(rows):
            show(*r)
        # BINARY both ways, the values in their types' send formats
        with cur.copy("COPY c (id, label) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text"])
            cp.write_row((200, "binary"))
            cp.write_row((201, None))
        show(cur.rowcount)
        with cur.copy("COPY (SELECT id, label FROM c WHERE id >= 199 ORDER BY id) TO STDOUT (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text"])
            for row in cp.rows():
                show(*row)
        with cur.copy("COPY (SELECT 1.50::numeric, '2024-01-02 03:04:05+00'::timestamptz, "
                      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"a\": [1, null]}'::jsonb, "
                      "ARRAY[1, NULL, 3], '1 day 02:03:04'::interval, 'x'::bytea, "
                      "'2024-02-29'::date, 2.5::float8, true) TO STDOUT (FORMAT BINARY)") as cp:
            cp.set_types(["numeric", "timestamptz", "uuid", "jsonb", "int4[]", "interval", "bytea",
                          "date", "float8", "bool"])
            for row in cp.rows():
                # the zone object names the server's TimeZone setting: print the instant
                show(*[v.isoformat() if isinstance(v, datetime.datetime) else v for v in row])
        try:
            with cur.copy("COPY c FROM STDIN") as cp:
                cp.write(b"500\tok\nbad\tno\n")
        except psycopg.Error as e:
            show(type(e).__name__, e.sqlstate, e.diag.context)
    conn.rollback()
    show(conn.execute("SELECT count(*) FROM c").fetchone())


@section
def transactions(conn):
    conn.execute("DROP TABLE IF EXISTS tx")
    conn.execute("CREATE TABLE tx (id int PRIMARY KEY)")
    conn.commit()
    with conn.transaction():
        conn.execute("INSERT INTO tx VALUES (1)")
        try:
            with conn.transaction():
                conn.execute("INSERT INTO tx VALUES (2)")
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
    try:
        with conn.transaction():
            conn.execute("INSERT INTO tx VALUES (3)")
            conn.execute("INSERT INTO tx VALUES (3)")
    except errors.UniqueViolation as e:
        show(type(e).__name__, e.sqlstate)
    show(conn.execute("SELECT id FROM tx ORDER BY id").fetchall())
    show(conn.info.transaction_status.name)
    conn.rollback()


@section
def error_classes(conn):
    conn.autocommit = True
    for sql in ["SELEC 1", "SELECT * FROM no_such_table", "SELECT 1/0",
                "SELECT 'x'::int", "SELECT no_such_column FROM (SELECT 1 AS a) s"]:
        try:
            conn.execute(sql)
        except psycopg.Error as e:
            show(type(e).__name__, e.sqlstate)


@section
def numeric(conn):
    show(*conn.execute("SELECT %s::numeric + 1, 1.10::numeric(5,2)", (decimal.Decimal("2.5"),)).fetchone())


@section
def timestamptz(conn):
    conn.execute("SET TimeZone = 'UTC'")
    t = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)
    show(*conn.execute("SELECT %s::timestamptz, %s::date", (t, datetime.date(2024, 2, 29))).fetchone())


@section
def uuid_values(conn):
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    show(*conn.execute("SELECT %s::uuid", (u,)).fetchone())


@section
def jsonb(conn):
    show(*conn.execute("SELECT %s::jsonb -> 'a'", (Jsonb({"a": [1, 2]}),)).fetchone())
    doc = Jsonb({"b": 1, "a": [1.5, None, "é"], "aa": {"x": True}})
    # parameters in text (%t) and binary (%b) format
    show(*conn.execute("SELECT %t::jsonb, %b::jsonb, %b::jsonb ->> 'b'", (doc, doc, doc)).fetchone())
    conn.execute("DROP TABLE IF EXISTS jd")
    conn.execute("CREATE TABLE jd (id int PRIMARY KEY, doc jsonb)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO jd VALUES (%s, %s)",
                        [(1, Jsonb({"k": "v", "n": 2})), (2, Jsonb([1, 2])), (3, None)])
    # results in text and binary format
    q = "SELECT id, doc, doc::text, jsonb_typeof(doc) FROM jd ORDER BY id"
    show(conn.execute(q).fetchall())
    show(conn.cursor(binary=True).execute(q).fetchall())
    show(conn.execute("SELECT id FROM jd WHERE doc @> %s", (Jsonb({"k": "v"}),)).fetchall())
    try:
        conn.execute("SELECT '{bad'::jsonb")
    except psycopg.Error as e:
        show(type(e).__name__, e.sqlstate)


@section
def listen_notify(conn):
    # An idle listener hears a committed NOTIFY while it waits on its socket (psycopg's
    # `notifies()` sends nothing); a rolled-back one never arrives; duplicates are folded.
    conn.autocommit = True
    conn.execute("LISTEN jobs")
    with psycopg.connect(URL) as other:
        other.execute("NOTIFY jobs, 'rolled back'")
        other.rollback()
        other.execute("NOTIFY jobs, 'one'")
        other.execute("SELECT pg_notify('jobs', %s)", ("two",))
        other.execute("NOTIFY jobs, 'one'")
        other.commit()
        pid = other.info.backend_pid
        for n in conn.notifies(timeout=10, stop_after=2):
            show(n.channel, n.payload, n.pid == pid)
    show(list(conn.notifies(timeout=0.3)))
    show(conn.execute("SELECT pg_listening_channels()").fetchall())


@section
def type_info(conn):
    from psycopg.types import TypeInfo
    t = TypeInfo.fetch(conn, "int4")
    show(t.oid, t.array_oid)


SECTION_NAMES = {uuid_values: "uuid"}

for fn in SECTIONS:
    print(f"== {SECTION_NAMES.get(fn, fn.__name__)}", flush=True)
    try:
        with psycopg.connect(URL) as conn:
            fn(conn)
    except psycopg.Error as e:
        show("ERROR", type(e).__name__, e.sqlstate)
    except Exception as e:  # noqa: BLE001 - the transcript shows any failure
        show("ERROR", type(e).__name__)
    sys.stdout.flush()
