"""psycopg2 against a PostgreSQL-compatible server: prints a transcript in sections
(`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 psycopg2_test.py postgresql://user@host:port/db

psycopg2 sends every query as simple-protocol text with the parameters interpolated
client-side, reads every result as text, and uses COPY, named cursors (DECLARE/FETCH) and
LISTEN for its extras. Each section runs on a fresh connection; an exception is printed as
the error class and SQLSTATE (and ends that section only).
"""

import datetime
import decimal
import io
import select
import sys
import uuid

import psycopg2
import psycopg2.errorcodes
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from transcript import SECTIONS, section, show

URL = sys.argv[1]

psycopg2.extras.register_uuid()


@section
def connect_info(conn):
    show(conn.server_version >= 150000, conn.server_version < 160000)
    show(conn.protocol_version, conn.encoding)
    for p in ["server_encoding", "client_encoding", "DateStyle", "integer_datetimes",
              "standard_conforming_strings"]:
        show(p, conn.get_parameter_status(p))
    show(conn.status == psycopg2.extensions.STATUS_READY, conn.autocommit, conn.isolation_level)
    cur = conn.cursor()
    cur.execute("SELECT 1 + 1, 'x' || %s", ("y",))
    show(cur.fetchone(), [(d.name, d.type_code) for d in cur.description])
    show(conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INTRANS)


@section
def parameter_types(conn):
    cur = conn.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    tz = datetime.timezone(datetime.timedelta(hours=2))
    values = [
        42, -(2 ** 40), 1.25, float("inf"), decimal.Decimal("12345.678901234567890"),
        "it's \"quoted\" \\ back", "", None, True, False,
        b"\x00\x01\xfe'", memoryview(b"mv"),
        datetime.date(2024, 2, 29), datetime.time(13, 14, 15, 123456),
        datetime.datetime(2024, 5, 1, 12, 30, 45, 500000),
        datetime.datetime(2024, 5, 1, 12, 30, tzinfo=tz),
        datetime.timedelta(days=3, hours=4, minutes=5, seconds=6),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        [1, 2, 3], ["a", None, "c,d"], [[1, 2], [3, 4]], [decimal.Decimal("1.5")],
        psycopg2.extras.Json({"a": [1, 2.5, None], "b": "é"}),
    ]
    for v in values:
        cur.execute("SELECT %s, pg_typeof(%s)::text", (v, v))
        got, typ = cur.fetchone()
        if isinstance(got, memoryview):
            got = bytes(got)
        show(typ, got)
    cur.execute("SELECT %(a)s::int + %(a)s::int, %(b)s", {"a": 5, "b": "named"})
    show(cur.fetchone())
    show(cur.mogrify("SELECT %s, %s", (1, "x")))
    cur.execute("SELECT %s::jsonb -> 'k', %s::json", (psycopg2.extras.Json({"k": [1]}),
                                                       psycopg2.extras.Json([None])))
    show(cur.fetchone())
    cur.execute("SELECT '{\"a\": 1}'::jsonb, '[1, \"x\"]'::json, 'NaN'::numeric, "
                "'{1,NULL,3}'::int[], '{{a,b},{c,d}}'::text[], '\\x0102'::bytea, "
                "'1 day 02:00:00'::interval, '2024-01-02 03:04:05+00'::timestamptz, "
                "'12:00:00'::time, 't'::bool, 1.5::float4, 7::int2, 8::oid")
    show(*[bytes(v) if isinstance(v, memoryview) else v for v in cur.fetchone()])


@section
def executemany(conn):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_m")
    cur.execute("CREATE TABLE p2_m (k int PRIMARY KEY, v text, d numeric(10,2))")
    cur.executemany("INSERT INTO p2_m VALUES (%s, %s, %s)",
                    [(i, f"v{i}", decimal.Decimal(i) / 4) for i in range(50)])
    show(cur.rowcount)
    psycopg2.extras.execute_values(cur, "INSERT INTO p2_m (k, v, d) VALUES %s",
                                   [(i, f"w{i}", None) for i in range(50, 250)], page_size=64)
    show(cur.rowcount)
    rows = psycopg2.extras.execute_values(
        cur, "INSERT INTO p2_m (k, v) VALUES %s RETURNING k, v",
        [(300, "r1"), (301, "r2")], fetch=True)
    show(rows)
    psycopg2.extras.execute_batch(cur, "UPDATE p2_m SET v = %s WHERE k = %s",
                                  [(f"b{i}", i) for i in range(10)], page_size=4)
    cur.execute("UPDATE p2_m SET d = d + 1 WHERE k < 10")
    show(cur.rowcount, cur.statusmessage)
    cur.execute("SELECT count(*), sum(k), min(v), max(v), sum(d) FROM p2_m")
    show(cur.fetchone())
    cur.execute("DELETE FROM p2_m WHERE k >= 300")
    show(cur.rowcount, cur.statusmessage)
    conn.commit()


@section
def dict_cursors(conn):
    cur = conn.cursor(cursor_factory=psycopg2.extras.DictCursor)
    cur.execute("SELECT 1 AS a, 'two' AS b, NULL::int AS c")
    row = cur.fetchone()
    show(row["a"], row[1], row["c"], list(row.keys()), dict(row))
    cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    cur.execute("SELECT g AS n, g * g AS sq FROM generate_series(1, 3) g ORDER BY g")
    show(cur.fetchall())
    cur = conn.cursor(cursor_factory=psycopg2.extras.NamedTupleCursor)
    cur.execute("SELECT 1 AS x, 2 AS y")
    r = cur.fetchone()
    show(r.x, r.y, type(r).__name__)


@section
def named_cursors(conn):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_big")
    cur.execute("CREATE TABLE p2_big (id int PRIMARY KEY, v text)")
    cur.execute("INSERT INTO p2_big SELECT g, 'v' || g FROM generate_series(1, 1000) g")
    conn.commit()
    with conn.cursor(name="p2_named") as ncur:
        ncur.itersize = 100
        ncur.execute("SELECT id, v FROM p2_big ORDER BY id")
        total, first, last = 0, None, None
        for row in ncur:
            total += 1
            first = first or row
            last = row
        show(total, first, last, ncur.rownumber)
    with conn.cursor(name="p2_scroll", scrollable=True) as scur:
        scur.execute("SELECT id FROM p2_big WHERE id <= 20 ORDER BY id")
        show(scur.fetchmany(3))
        scur.scroll(10, mode="absolute")
        show(scur.fetchone())
        scur.scroll(-2)
        show(scur.fetchone())
    with conn.cursor(name="p2_hold", withhold=True) as hcur:
        hcur.execute("SELECT id FROM p2_big WHERE id > 995 ORDER BY id")
        conn.commit()
        show(hcur.fetchall())
    dcur = conn.cursor(name="p2_dict", cursor_factory=psycopg2.extras.RealDictCursor)
    dcur.execute("SELECT id, v FROM p2_big WHERE id IN (1, 2) ORDER BY id")
    show(dcur.fetchall(), [d.name for d in dcur.description])
    dcur.close()
    conn.commit()


@section
def copy_expert(conn):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_copy")
    cur.execute("CREATE TABLE p2_copy (id int PRIMARY KEY, label text, n numeric)")
    conn.commit()
    data = "".join(f"{i}\tlabel {i}\t{i / 2}\n" for i in range(100)) + "100\t\\N\t\\N\n"
    cur.copy_expert("COPY p2_copy FROM STDIN", io.StringIO(data))
    show(cur.rowcount)
    cur.copy_expert("COPY p2_copy FROM STDIN WITH (FORMAT csv, HEADER true)",
                    io.StringIO('id,label,n\n200,"a,""b""",1.5\n201,,\n'))
    show(cur.rowcount)
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT * FROM p2_copy WHERE id IN (0, 1, 100, 200, 201) ORDER BY id) "
                    "TO STDOUT WITH (FORMAT csv, HEADER true)", out)
    show(out.getvalue())
    out = io.StringIO()
    cur.copy_to(out, "p2_copy", columns=("id", "label"))
    show(len(out.getvalue().splitlines()), out.getvalue().splitlines()[:2])
    cur.copy_from(io.StringIO("300\tx\n301\ty\n"), "p2_copy", columns=("id", "label"))
    show(cur.rowcount)
    try:
        cur.copy_expert("COPY p2_copy FROM STDIN", io.StringIO("500\tok\t1\nbad\tno\t2\n"))
    except psycopg2.Error as e:
        show(type(e).__name__, e.pgcode, e.diag.context)
    conn.rollback()
    cur.execute("SELECT count(*) FROM p2_copy")
    show(cur.fetchone())


@section
def transactions(conn):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_tx")
    cur.execute("CREATE TABLE p2_tx (id int PRIMARY KEY)")
    conn.commit()
    cur.execute("INSERT INTO p2_tx VALUES (1)")
    show(conn.get_transaction_status())
    conn.rollback()
    with conn:
        cur.execute("INSERT INTO p2_tx VALUES (2)")
        cur.execute("SAVEPOINT s")
        cur.execute("INSERT INTO p2_tx VALUES (3)")
        cur.execute("ROLLBACK TO SAVEPOINT s")
    try:
        with conn:
            cur.execute("INSERT INTO p2_tx VALUES (4)")
            cur.execute("INSERT INTO p2_tx VALUES (4)")
    except psycopg2.errors.UniqueViolation as e:
        show(type(e).__name__, e.pgcode, e.diag.constraint_name, e.diag.table_name)
    try:
        cur.execute("SELECT 1")
        cur.execute("SELECT 1/0")
    except psycopg2.Error as e:
        show(type(e).__name__, e.pgcode)
    try:
        cur.execute("SELECT 1")
    except psycopg2.Error as e:
        show(type(e).__name__, e.pgcode)
    conn.rollback()
    conn.autocommit = True
    cur.execute("INSERT INTO p2_tx VALUES (5)")
    show(conn.get_transaction_status())
    conn.autocommit = False
    conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
    cur.execute("SHOW transaction_isolation")
    show(cur.fetchone())
    cur.execute("SHOW transaction_read_only")
    show(cur.fetchone())
    try:
        cur.execute("INSERT INTO p2_tx VALUES (6)")
    except psycopg2.Error as e:
        show(type(e).__name__, e.pgcode)
    conn.rollback()
    conn.reset()
    cur.execute("SELECT id FROM p2_tx ORDER BY id")
    show(cur.fetchall())


@section
def serializable(conn):
    conn.set_session(isolation_level="SERIALIZABLE", readonly=False)
    cur = conn.cursor()
    cur.execute("SHOW transaction_isolation")
    show(cur.fetchone())
    conn.rollback()


@section
def error_classes(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_err")
    cur.execute("CREATE TABLE p2_err (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0))")
    for sql in ["SELEC 1", "SELECT * FROM no_such_table", "SELECT 1/0", "SELECT 'x'::int",
                "SELECT no_such_column FROM (SELECT 1 AS a) s", "INSERT INTO p2_err VALUES (1, NULL)",
                "INSERT INTO p2_err VALUES (1, -1)", "SELECT 2147483647::int + 1",
                "CREATE TABLE p2_err (x int)"]:
        try:
            cur.execute(sql)
        except psycopg2.Error as e:
            d = e.diag
            show(type(e).__name__, e.pgcode, psycopg2.errorcodes.lookup(e.pgcode),
                 isinstance(e, psycopg2.DatabaseError), d.severity, d.message_primary,
                 d.column_name, d.constraint_name)
    try:
        cur.execute("SELECT 1 + 'a'::text")
    except psycopg2.errors.UndefinedFunction as e:
        show(e.diag.message_hint is not None, str(e).splitlines()[0])


@section
def listen_notify(conn):
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    cur = conn.cursor()
    cur.execute("LISTEN p2_jobs")
    other = psycopg2.connect(URL)
    ocur = other.cursor()
    ocur.execute("NOTIFY p2_jobs, 'rolled back'")
    other.rollback()
    ocur.execute("NOTIFY p2_jobs, 'one'")
    ocur.execute("SELECT pg_notify('p2_jobs', %s)", ("two",))
    ocur.execute("NOTIFY p2_jobs, 'one'")
    other.commit()
    pid = other.get_backend_pid()
    got = []
    while len(got) < 2:
        if select.select([conn], [], [], 10) == ([], [], []):
            break
        conn.poll()
        while conn.notifies:
            n = conn.notifies.pop(0)
            got.append((n.channel, n.payload, n.pid == pid))
    show(got)
    select.select([conn], [], [], 0.3)
    conn.poll()
    show(conn.notifies)
    cur.execute("SELECT pg_listening_channels()")
    show(cur.fetchall())
    cur.execute("UNLISTEN *")
    cur.execute("SELECT pg_listening_channels()")
    show(cur.fetchall())
    other.close()


@section
def notices(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_never_there")
    cur.execute("CREATE TABLE IF NOT EXISTS p2_notice (id int)")
    cur.execute("CREATE TABLE IF NOT EXISTS p2_notice (id int)")
    show([n.strip() for n in conn.notices])
    cur.execute("DROP TABLE p2_notice")


@section
def types_adapt(conn):
    cur = conn.cursor()
    cur.execute("SELECT NULL::int, 1::int8, 1.5::numeric(4,2), 2.5::float8, 'x'::varchar(4), "
                "'c'::char(3), '2024-01-01'::date, '2024-01-01 10:00'::timestamp")
    show(*cur.fetchone())
    show([(d.name, d.type_code, d.internal_size, d.precision, d.scale) for d in cur.description])
    cur.execute("SELECT ARRAY[1.5, 2.5]::numeric[], ARRAY['2024-01-01'::date], ARRAY[true, false], "
                "ARRAY['a b', 'c\"d']::text[]")
    show(*cur.fetchone())


for fn in SECTIONS:
    print(f"== {fn.__name__}", flush=True)
    try:
        conn = psycopg2.connect(URL)
    except psycopg2.Error as e:
        show("ERROR connect", type(e).__name__, e.pgcode)
        continue
    try:
        fn(conn)
    except psycopg2.Error as e:
        show("ERROR", type(e).__name__, e.pgcode, str(e).splitlines()[0] if str(e) else "")
    except Exception as e:  # noqa: BLE001 - the transcript shows any failure
        show("ERROR", type(e).__name__, str(e))
    finally:
        conn.close()
    sys.stdout.flush()
