"""asyncpg against a PostgreSQL-compatible server: prints a transcript in sections
(`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 asyncpg_test.py postgresql://user@host:port/db

asyncpg speaks only the extended protocol, asks for every parameter and result in binary,
and learns the types it has no codec for (enums, composites, domains, arrays of them, ranges)
through its introspection query: a recursive CTE over pg_type, pg_range and pg_attribute.
Each section runs on a fresh connection; an exception is printed as the error class and
SQLSTATE (and ends that section only).
"""

import asyncio
import datetime
import decimal
import json
import sys
import uuid

import asyncpg

from transcript import SECTIONS, section, show

URL = sys.argv[1]


def rec(r):
    """A Record as a plain list of (name, value) pairs."""
    return list(r.items()) if r is not None else None


@section
async def connect_info(conn):
    v = conn.get_server_version()
    show(v.major, v.micro >= 0)
    s = conn.get_settings()
    show(s.server_encoding, s.client_encoding, s.DateStyle, s.integer_datetimes,
         s.standard_conforming_strings)
    show(await conn.fetchval("SELECT 1 + $1::int", 41))
    show(conn.is_in_transaction(), conn.is_closed())


@section
async def fetch_api(conn):
    rows = await conn.fetch("SELECT g AS n, g::text AS t FROM generate_series(1, 3) g WHERE g >= $1", 1)
    show([rec(r) for r in rows])
    r = await conn.fetchrow("SELECT 1 AS a, NULL::text AS b, $1::text AS c", "x")
    show(r["a"], r["b"], r[2], list(r.keys()), dict(r))
    show(await conn.fetchrow("SELECT 1 WHERE false"))
    show(await conn.fetchval("SELECT 2, 3", column=1))
    show(await conn.execute("SELECT 1"))
    show(await conn.execute("CREATE TEMP TABLE ap_tmp (x int); INSERT INTO ap_tmp VALUES (1), (2)"))
    show(await conn.fetchval("SELECT count(*) FROM ap_tmp"))


@section
async def scalar_types(conn):
    await conn.execute("SET TimeZone = 'UTC'")
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    cases = [
        ("int2", 7), ("int4", -2 ** 31), ("int8", 2 ** 62), ("float4", 1.5), ("float8", 1e300),
        ("numeric", decimal.Decimal("12345678901234567890.000000000123")),
        ("numeric", decimal.Decimal("-0.5")), ("numeric", decimal.Decimal("NaN")),
        ("numeric(10,3)", decimal.Decimal("3.14159")),
        ("bool", True), ("text", "héllo\tworld"), ("varchar", "v"), ("bpchar", "c"),
        ("name", "a_name"), ("bytea", b"\x00\xff'\\"), ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ("date", datetime.date(2024, 2, 29)), ("date", datetime.date(1, 1, 1)),
        ("time", datetime.time(23, 59, 59, 999999)),
        ("timestamp", datetime.datetime(2024, 5, 1, 12, 30, 45, 123456)),
        ("timestamptz", datetime.datetime(2024, 5, 1, 12, 30, tzinfo=tz)),
        ("interval", datetime.timedelta(days=40, seconds=3661, microseconds=5)),
        ("oid", 1234), ("json", '{"a": [1, 2]}'), ("jsonb", '{"b": 1, "a": [true, null]}'),
        ("int4[]", [1, None, 3]), ("text[]", ["a", "b c", None]), ("int8[]", []),
        ("float8[]", [[1.5, 2.5], [3.5, 4.5]]), ("uuid[]", [uuid.UUID(int=1)]),
        ("numeric[]", [decimal.Decimal("1.10")]), ("bool[]", [True, False]),
        ("date[]", [datetime.date(2000, 1, 1)]), ("jsonb[]", ['{"x": 1}']),
    ]
    for typ, v in cases:
        got = await conn.fetchval(f"SELECT $1::{typ}", v)
        show(typ, got)
    show(await conn.fetchval("SELECT 'infinity'::timestamptz"), await conn.fetchval("SELECT '-infinity'::date"))
    show(await conn.fetchval("SELECT '1 year 2 mons 3 days 04:05:06.7'::interval"))
    show(await conn.fetchval("SELECT 'NaN'::float8::text"), await conn.fetchval("SELECT 1e-7::float8"))
    show(await conn.fetchrow("SELECT ARRAY[1,2]::int4[] AS a, '{{1,2},{3,4}}'::int[] AS b, "
                             "'[2:3]={5,6}'::int[] AS c"))


@section
async def executemany_prepared(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_m")
    await conn.execute("CREATE TABLE ap_m (k int PRIMARY KEY, v text, d numeric(12,2), at timestamptz)")
    t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    await conn.executemany("INSERT INTO ap_m VALUES ($1, $2, $3, $4)",
                           [(i, f"v{i}", decimal.Decimal(i) / 8, t0 + datetime.timedelta(hours=i))
                            for i in range(100)])
    show(await conn.fetchrow("SELECT count(*), sum(k), min(v), max(v), sum(d), max(at) FROM ap_m"))
    stmt = await conn.prepare("SELECT k, v FROM ap_m WHERE k = $1")
    show([(p.name, p.kind) for p in stmt.get_parameters()])
    show([(a.name, a.type.name, a.type.kind) for a in stmt.get_attributes()])
    show(await stmt.fetchrow(5), await stmt.fetchval(6, column=1), await stmt.fetch(7))
    stmt2 = await conn.prepare("UPDATE ap_m SET v = $2 WHERE k = $1")
    await stmt2.executemany([(1, "one"), (2, "two")])
    show(await conn.fetch("SELECT k, v FROM ap_m WHERE k < 3 ORDER BY k"))
    show(await conn.fetchval("SELECT v FROM ap_m WHERE k = $1", 1))
    try:
        await conn.executemany("INSERT INTO ap_m (k, v) VALUES ($1, $2)", [(500, "a"), (1, "dup")])
    except asyncpg.PostgresError as e:
        show(type(e).__name__, e.sqlstate, e.constraint_name)
    show(await conn.fetchval("SELECT count(*) FROM ap_m"))


@section
async def transactions(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_tx")
    await conn.execute("CREATE TABLE ap_tx (id int PRIMARY KEY)")
    async with conn.transaction():
        await conn.execute("INSERT INTO ap_tx VALUES (1)")
        show(conn.is_in_transaction())
        try:
            async with conn.transaction():
                await conn.execute("INSERT INTO ap_tx VALUES (2)")
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
    try:
        async with conn.transaction():
            await conn.execute("INSERT INTO ap_tx VALUES (3)")
            await conn.execute("INSERT INTO ap_tx VALUES (3)")
    except asyncpg.exceptions.UniqueViolationError as e:
        show(type(e).__name__, e.sqlstate, e.table_name, e.detail)
    tr = conn.transaction(isolation="repeatable_read", readonly=True)
    await tr.start()
    show(await conn.fetchval("SHOW transaction_isolation"), await conn.fetchval("SHOW transaction_read_only"))
    try:
        await conn.execute("INSERT INTO ap_tx VALUES (9)")
    except asyncpg.PostgresError as e:
        show(type(e).__name__, e.sqlstate)
    await tr.rollback()
    show(await conn.fetch("SELECT id FROM ap_tx ORDER BY id"))
    show(conn.is_in_transaction())


@section
async def serializable(conn):
    async with conn.transaction(isolation="serializable"):
        show(await conn.fetchval("SHOW transaction_isolation"))


@section
async def cursors(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_big")
    await conn.execute("CREATE TABLE ap_big (id int PRIMARY KEY, v text)")
    await conn.execute("INSERT INTO ap_big SELECT g, 'v' || g FROM generate_series(1, 500) g")
    async with conn.transaction():
        n, s = 0, 0
        async for r in conn.cursor("SELECT id, v FROM ap_big WHERE id > $1 ORDER BY id", 100, prefetch=50):
            n += 1
            s += r["id"]
        show(n, s)
        cur = await conn.cursor("SELECT id FROM ap_big ORDER BY id")
        show(await cur.fetch(3))
        show(await cur.fetchrow())
        show(await cur.fetch(2))
    try:
        await conn.cursor("SELECT 1")
    except (asyncpg.InterfaceError, asyncpg.PostgresError) as e:
        show(type(e).__name__, getattr(e, "sqlstate", None))


@section
async def copy(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_copy")
    await conn.execute("CREATE TABLE ap_copy (id int PRIMARY KEY, label text, n numeric, at date, "
                       "tags text[], doc jsonb)")
    records = [(i, None if i % 10 == 0 else f"label {i}", decimal.Decimal(i) / 4,
                datetime.date(2024, 1, 1) + datetime.timedelta(days=i), [f"t{i}", "x"],
                json.dumps({"i": i})) for i in range(200)]
    show(await conn.copy_records_to_table("ap_copy", records=records))
    show(await conn.copy_records_to_table("ap_copy", records=[(1000, "z")], columns=["id", "label"]))
    show(await conn.fetchrow("SELECT count(*), sum(n), max(at), count(label) FROM ap_copy"))
    show(await conn.fetchrow("SELECT * FROM ap_copy WHERE id = 7"))

    class Sink:
        def __init__(self):
            self.chunks = []

        async def __call__(self, data):
            self.chunks.append(bytes(data))

    sink = Sink()
    show(await conn.copy_from_query("SELECT id, label, n FROM ap_copy WHERE id < $1 ORDER BY id", 4,
                                    output=sink, format="csv"))
    show(b"".join(sink.chunks).decode())
    sink = Sink()
    show(await conn.copy_from_table("ap_copy", columns=["id", "label"], output=sink))
    show(len(b"".join(sink.chunks).splitlines()))
    import io
    show(await conn.copy_to_table("ap_copy", source=io.BytesIO(b"2000\tfrom file\t1\t2024-01-01\t{a}\t{}\n"),
                                  columns=["id", "label", "n", "at", "tags", "doc"]))
    try:
        await conn.copy_records_to_table("ap_copy", records=[(1, "dup")], columns=["id", "label"])
    except asyncpg.PostgresError as e:
        show(type(e).__name__, e.sqlstate)
    show(await conn.fetchval("SELECT count(*) FROM ap_copy"))


@section
async def introspected_types(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_typed")
    await conn.execute("DROP TYPE IF EXISTS ap_mood")
    await conn.execute("DROP TYPE IF EXISTS ap_point")
    await conn.execute("DROP DOMAIN IF EXISTS ap_posint")
    await conn.execute("CREATE TYPE ap_mood AS ENUM ('sad', 'ok', 'happy')")
    await conn.execute("CREATE TYPE ap_point AS (x int, y text)")
    await conn.execute("CREATE DOMAIN ap_posint AS int CHECK (VALUE > 0)")
    await conn.execute("CREATE TABLE ap_typed (id int PRIMARY KEY, m ap_mood, ms ap_mood[], p ap_point, "
                       "d ap_posint)")
    await conn.execute("INSERT INTO ap_typed VALUES ($1, $2, $3, $4, $5)", 1, "happy", ["sad", "ok"], (1, "a"), 5)
    await conn.execute("INSERT INTO ap_typed VALUES ($1, $2, $3, $4, $5)", 2, None, None, None, None)
    for r in await conn.fetch("SELECT * FROM ap_typed ORDER BY id"):
        show(rec(r))
    show(await conn.fetchval("SELECT m FROM ap_typed WHERE m > $1", "sad"))
    show(await conn.fetchval("SELECT ROW(1, 'x')::ap_point"))
    show(await conn.fetchval("SELECT ROW(1, 'two', NULL)"))
    show(await conn.fetchval("SELECT 3::ap_posint"))
    try:
        await conn.execute("INSERT INTO ap_typed (id, d) VALUES (3, $1)", -1)
    except asyncpg.PostgresError as e:
        show(type(e).__name__, e.sqlstate)
    try:
        await conn.execute("INSERT INTO ap_typed (id, m) VALUES (3, $1)", "angry")
    except asyncpg.PostgresError as e:
        show(type(e).__name__, e.sqlstate)


@section
async def composite_arrays(conn):
    await conn.execute("DROP TYPE IF EXISTS ap_pair")
    await conn.execute("CREATE TYPE ap_pair AS (x int, y text)")
    show(await conn.fetchval("SELECT ARRAY[ROW(1, 'x')::ap_pair, ROW(2, NULL)::ap_pair]"))


@section
async def cursor_forward(conn):
    # Cursor.forward(n) is MOVE FORWARD n on the protocol-level portal, by simple query.
    async with conn.transaction():
        cur = await conn.cursor("SELECT g FROM generate_series(1, 20) g")
        show(await cur.forward(3))
        show(await cur.fetch(2))
        show(await cur.forward(5))
        show(await cur.fetchrow())
        show(await cur.forward(100))
        show(await cur.fetchrow())
    async with conn.transaction():
        cur = await conn.cursor("SELECT g FROM generate_series(1, 5) g")
        try:
            await conn.execute('MOVE BACKWARD 1 "%s"' % cur._portal_name)
        except asyncpg.PostgresError as e:
            show(type(e).__name__, e.sqlstate, e.hint)


@section
async def type_codecs(conn):
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    show(await conn.fetchval("SELECT $1::jsonb", {"a": [1, 2, {"b": None}]}))
    show(await conn.fetchval("SELECT $1::json -> 'k'", {"k": "v"}))
    show(await conn.fetchval("SELECT '[1, \"x\"]'::jsonb"))
    show(await conn.fetchval("SELECT ARRAY['{\"a\":1}'::jsonb]"))
    await conn.set_type_codec("numeric", encoder=str, decoder=lambda s: "N" + s, schema="pg_catalog",
                              format="text")
    show(await conn.fetchval("SELECT 1.50::numeric"), await conn.fetchval("SELECT $1::numeric", "2.25"))
    await conn.set_type_codec("interval", encoder=lambda v: v, decoder=lambda v: v, format="tuple",
                              schema="pg_catalog")
    show(await conn.fetchval("SELECT '1 mon 2 days 00:00:03'::interval"))
    await conn.reset_type_codec("numeric", schema="pg_catalog")
    show(await conn.fetchval("SELECT 1.50::numeric"))


@section
async def errors(conn):
    await conn.execute("DROP TABLE IF EXISTS ap_err")
    await conn.execute("CREATE TABLE ap_err (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0), "
                       "p int REFERENCES ap_err (id))")
    await conn.execute("INSERT INTO ap_err VALUES (1, 1, NULL)")
    for sql, args in [("SELEC 1", ()), ("SELECT * FROM no_such_table", ()), ("SELECT 1/$1::int", (0,)),
                      ("SELECT $1::int", ("x",)), ("INSERT INTO ap_err VALUES ($1, $2, NULL)", (1, 1)),
                      ("INSERT INTO ap_err VALUES ($1, $2, NULL)", (2, None)),
                      ("INSERT INTO ap_err VALUES ($1, $2, NULL)", (2, -1)),
                      ("INSERT INTO ap_err VALUES ($1, $2, $3)", (2, 1, 99)),
                      ("SELECT 'x'::int", ()), ("SELECT $1::int + 1", (2 ** 31 - 1,))]:
        try:
            await conn.fetch(sql, *args)
        except (asyncpg.PostgresError, asyncpg.DataError) as e:
            show(type(e).__name__, getattr(e, "sqlstate", None), getattr(e, "constraint_name", None),
                 getattr(e, "column_name", None), getattr(e, "message", str(e)))
    try:
        await conn.fetch("SELECT $1::int", "not an int")
    except asyncpg.DataError as e:
        show(type(e).__name__)
    show(issubclass(asyncpg.exceptions.UniqueViolationError, asyncpg.exceptions.IntegrityConstraintViolationError))


@section
async def listen_notify(conn):
    got = asyncio.Queue()
    await conn.add_listener("ap_jobs", lambda c, pid, ch, payload: got.put_nowait((ch, payload)))
    other = await asyncpg.connect(URL)
    await other.execute("NOTIFY ap_jobs, 'one'")
    await other.execute("SELECT pg_notify('ap_jobs', $1)", "two")
    await other.close()
    show(await asyncio.wait_for(got.get(), 10), await asyncio.wait_for(got.get(), 10))
    show(await conn.fetch("SELECT pg_listening_channels()"))


@section
async def pool(conn):
    p = await asyncpg.create_pool(URL, min_size=2, max_size=4)
    try:
        results = await asyncio.gather(*[p.fetchval("SELECT $1::int * 2", i) for i in range(20)])
        show(sum(results))
        async with p.acquire() as c:
            async with c.transaction():
                show(await c.fetchval("SELECT 'in pool'"))
        show(await p.fetchrow("SELECT 1 AS one"))
        await p.execute("DROP TABLE IF EXISTS ap_pool")
        await p.execute("CREATE TABLE ap_pool (id int)")
        await p.executemany("INSERT INTO ap_pool VALUES ($1)", [(i,) for i in range(10)])
        show(await p.fetchval("SELECT sum(id) FROM ap_pool"))
        show(p.get_min_size(), p.get_max_size())
    finally:
        await p.close()


async def main():
    for fn in SECTIONS:
        print(f"== {fn.__name__}", flush=True)
        try:
            conn = await asyncpg.connect(URL)
        except Exception as e:  # noqa: BLE001
            show("ERROR connect", type(e).__name__, getattr(e, "sqlstate", None))
            continue
        try:
            await asyncio.wait_for(fn(conn), 60)
        except asyncpg.PostgresError as e:
            show("ERROR", type(e).__name__, e.sqlstate, str(e))
        except Exception as e:  # noqa: BLE001 - the transcript shows any failure
            show("ERROR", type(e).__name__, str(e))
        finally:
            await conn.close(timeout=5)
        sys.stdout.flush()


asyncio.run(main())
