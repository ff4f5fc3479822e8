// postgres.js (npm `postgres`) against a PostgreSQL-compatible server: prints a transcript in
// sections (`== name`) that must read the same on Strata and PostgreSQL 15.
//
// Usage: node postgres_js_test.mjs postgresql://user@host:port/db[?sslmode=require]
//
// postgres.js speaks only the extended protocol and pipelines: every tagged-template query is
// Parse/Describe/Bind/Execute with the parameter types the server's ParameterDescription
// decides, named prepared statements by default, and on the first unknown type it reads the
// catalog for array types and domains (`fetch_types`). Each section runs on its own pool.
import postgres from 'postgres';

const url = process.argv[2];
const sections = [];
const section = (name, fn) => sections.push([name, fn]);
const replacer = (_k, v) => {
  if (typeof v === 'bigint') return `${v}n`;
  if (v && v.type === 'Buffer' && Array.isArray(v.data)) return `buf:${Buffer.from(v.data).toString('hex')}`;
  return v;
};
const show = (...values) => console.log(values.map((v) => JSON.stringify(v, replacer)).join(' | '));
const rows = (r) => r.map((x) => ({ ...x }));
const err = (e) => [e.constructor.name, e.code, e.message];

section('connect', async (sql) => {
  const r = await sql`SELECT 1 + 1 AS two, ${'x'}::text AS t`;
  show(rows(r), r.count, r.command, r.columns.map((c) => [c.name, c.type]));
  show((await sql`SHOW server_version`)[0].server_version.split('.')[0]);
  show(Object.keys(sql.parameters).filter((k) => ['client_encoding', 'DateStyle', 'integer_datetimes'].includes(k)).sort());
});

section('types', async (sql) => {
  await sql`SET TimeZone = 'UTC'`;
  const cases = [
    sql`SELECT ${7}::int2 AS v`, sql`SELECT ${-(2 ** 31)}::int4 AS v`,
    sql`SELECT ${'9007199254740993'}::int8 AS v`, sql`SELECT ${1.5}::float4 AS v`,
    sql`SELECT ${1e300}::float8 AS v`, sql`SELECT ${'12345678901234567890.000000000123'}::numeric AS v`,
    sql`SELECT ${true}::bool AS v`, sql`SELECT ${'héllo\tworld'}::text AS v`,
    sql`SELECT ${'abc'}::varchar(5) AS v`, sql`SELECT ${Buffer.from([0, 255, 39, 92])}::bytea AS v`,
    sql`SELECT ${'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'}::uuid AS v`,
    sql`SELECT ${'2024-02-29'}::date AS v`, sql`SELECT ${new Date(Date.UTC(2024, 4, 1, 12, 30, 45, 123))}::timestamptz AS v`,
    sql`SELECT ${new Date(Date.UTC(2024, 4, 1, 12, 30, 45))}::timestamp AS v`,
    sql`SELECT ${'1 day 02:03:04'}::interval AS v`, sql`SELECT ${'12:00:01'}::time AS v`,
    sql`SELECT ${sql.json({ a: [1, 2], b: null })}::jsonb AS v`, sql`SELECT ${sql.json({ z: 1 })}::json AS v`,
    sql`SELECT ${[1, 2, 3]}::int4[] AS v`, sql`SELECT ${['a', 'b c', null]}::text[] AS v`,
    sql`SELECT ${[[1.5, 2.5], [3.5, 4.5]]}::float8[] AS v`, sql`SELECT ${[true, false]}::bool[] AS v`,
    sql`SELECT ${['1.10', '2']}::numeric[] AS v`, sql`SELECT ${['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']}::uuid[] AS v`,
    sql`SELECT ${[]}::int8[] AS v`, sql`SELECT ${null}::int4 AS v`, sql`SELECT ${'10.1.2.3/8'}::inet AS v`,
    sql`SELECT ${1234}::oid AS v`, sql`SELECT ${'[1,5)'}::int4range AS v`,
  ];
  for (const q of cases) {
    try {
      const r = await q;
      const v = r[0].v;
      show(r.columns[0].type, v instanceof Date ? ['date', v.toISOString()] : v);
    } catch (e) {
      show(...err(e));
    }
  }
});

section('crud', async (sql) => {
  await sql`SET TimeZone = 'UTC'`;
  await sql`DROP TABLE IF EXISTS pj_items`;
  await sql`CREATE TABLE pj_items (
    id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty int DEFAULT 0, big bigint,
    price numeric(12, 2), ok bool, at timestamptz, day date, doc jsonb, tag uuid, raw bytea,
    nums int[], words text[])`;
  const items = [
    { name: 'apple', qty: 3, big: '1099511627776', price: '1.25', ok: true,
      at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), day: '2024-01-02', doc: { color: 'red', n: [1, 2] },
      tag: '00000000-0000-0000-0000-000000000007', raw: Buffer.from([1, 2]), nums: [1, 2], words: ['x', 'y'] },
    { name: 'pear', qty: 0, big: null, price: '0.10', ok: false, at: null, day: null, doc: null,
      tag: null, raw: null, nums: [], words: [] },
  ];
  // Dynamic inserts: the column list and a row of values from objects.
  const ins = await sql`INSERT INTO pj_items ${sql(items.map((i) => ({ ...i, doc: i.doc && sql.json(i.doc) })))} RETURNING id, name`;
  show(rows(ins), ins.count, ins.command);
  const all = await sql`SELECT * FROM pj_items ORDER BY id`;
  show(rows(all).map((r) => ({ ...r, at: r.at && r.at.toISOString(), day: r.day && r.day.toISOString() })));
  const up = await sql`UPDATE pj_items SET ${sql({ qty: 9, ok: true }, 'qty', 'ok')} WHERE price < ${'1'} RETURNING name, qty, ok`;
  show(rows(up), up.count);
  const names = ['apple', 'pear', 'none'];
  show(rows(await sql`SELECT name, doc -> 'n' ->> 1 AS n1, nums[1] AS first FROM pj_items WHERE name IN ${sql(names)} ORDER BY ${sql('name')}`));
  show(rows(await sql`SELECT ${sql(['name', 'qty'])} FROM ${sql('pj_items')} WHERE qty = ANY(${[3, 9]}) ORDER BY id`));
  const del = await sql`DELETE FROM pj_items WHERE NOT ok`;
  show(del.count, del.command);
  show((await sql`SELECT name, qty FROM pj_items ORDER BY id`.values()));
  show(await sql`SELECT count(*)::int AS n FROM pj_items`.then((r) => r[0].n));
  const desc = await sql`SELECT name, qty FROM pj_items WHERE id = ${1} AND name <> ${'x'}`.describe();
  show(desc.types, desc.columns.map((c) => [c.name, c.type]));
});

section('transactions', async (sql) => {
  await sql`DROP TABLE IF EXISTS pj_t`;
  await sql`CREATE TABLE pj_t (id int PRIMARY KEY, note text)`;
  const r = await sql.begin(async (tx) => {
    await tx`INSERT INTO pj_t VALUES (${1}, ${'one'})`;
    try {
      await tx.savepoint(async (sp) => {
        await sp`INSERT INTO pj_t VALUES (${2}, ${'two'})`;
        await sp`INSERT INTO pj_t VALUES (${1}, ${'dup'})`;
      });
    } catch (e) {
      show('savepoint', ...err(e));
    }
    await tx`INSERT INTO pj_t VALUES (${3}, ${'three'})`;
    return (await tx`SELECT current_setting('transaction_isolation') AS iso`)[0].iso;
  });
  show(r);
  try {
    await sql.begin('isolation level serializable', async (tx) => {
      await tx`INSERT INTO pj_t VALUES (${4}, ${'four'})`;
      show((await tx`SELECT current_setting('transaction_isolation') AS iso`)[0].iso);
      throw new Error('roll me back');
    });
  } catch (e) {
    show(e.message);
  }
  const pipelined = await sql.begin((tx) => [
    tx`INSERT INTO pj_t VALUES (${5}, ${'five'})`,
    tx`UPDATE pj_t SET note = upper(note) WHERE id = ${5} RETURNING note`,
  ]);
  show(pipelined.map((x) => rows(x)));
  show((await sql`SELECT id, note FROM pj_t ORDER BY id`.values()));
  const many = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => sql`SELECT ${i}::int * 2 AS d`));
  show(many.map((x) => x[0].d));
});

section('errors', async (sql) => {
  for (const q of [
    () => sql`SELEC 1`, () => sql`SELECT * FROM nope`, () => sql`SELECT 1/0`,
    () => sql`SELECT ${'x'}::int`, () => sql`SELECT ${2147483647}::int + 1`,
    () => sql.unsafe("SELECT '{bad'::jsonb"), () => sql`SELECT ${'2024-13-01'}::date`,
  ]) {
    try {
      await q();
      show('no error');
    } catch (e) {
      show(...err(e), e.severity, e.position || null);
    }
  }
  await sql`DROP TABLE IF EXISTS pj_e`;
  await sql`CREATE TABLE pj_e (id int PRIMARY KEY, n int NOT NULL CHECK (n > 0))`;
  await sql`INSERT INTO pj_e VALUES (1, 1)`;
  for (const [a, b] of [[1, 1], [2, null], [3, -1]]) {
    try {
      await sql`INSERT INTO pj_e VALUES (${a}, ${b})`;
    } catch (e) {
      show(e.code, e.constraint_name || null, e.column_name || null, e.table_name, e.schema_name, e.detail);
    }
  }
  show((await sql`SELECT 42 AS x`)[0].x);
});

section('unsafe_simple', async (sql) => {
  show(rows(await sql.unsafe('SELECT $1::int + $2::int AS s', [2, 3])));
  const multi = await sql.unsafe('CREATE TEMP TABLE pj_tmp (x int); INSERT INTO pj_tmp VALUES (1), (2); SELECT sum(x)::int AS s FROM pj_tmp').simple();
  show(multi.map((r) => [r.command, r.count, rows(r)]));
  await sql`DROP TABLE IF EXISTS pj_f`;
  await sql`CREATE TABLE pj_f (id int)`;
  const cur = [];
  await sql`INSERT INTO pj_f SELECT generate_series(1, 7)`;
  for await (const chunk of sql`SELECT id FROM pj_f ORDER BY id`.cursor(3)) cur.push(chunk.map((r) => r.id));
  show(cur);
  const each = [];
  await sql`SELECT id FROM pj_f WHERE id > ${4} ORDER BY id`.forEach((r) => each.push(r.id));
  show(each);
});

section('catalog', async (sql) => {
  // What fetch_types reads: array types and domains beyond the built-in ones.
  await sql`DROP TABLE IF EXISTS pj_cat`;
  await sql`DROP TYPE IF EXISTS pj_mood`;
  await sql`CREATE TYPE pj_mood AS ENUM ('sad', 'ok', 'happy')`;
  await sql`CREATE TABLE pj_cat (id int PRIMARY KEY, mood pj_mood, moods pj_mood[])`;
  await sql`INSERT INTO pj_cat VALUES (1, ${'ok'}, ${['sad', 'happy']})`;
  const r = await sql`SELECT mood, moods FROM pj_cat`;
  show(rows(r));
  const cols = await sql`
    SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relname = ${'pj_cat'} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;
  show(rows(cols));
});

section('listen_notify', async (sql) => {
  const got = [];
  let wake = () => {};
  const { unlisten } = await sql.listen('pj_jobs', (payload) => { got.push(payload); wake(); });
  await sql.notify('pj_jobs', 'one');
  await sql`SELECT pg_notify(${'pj_jobs'}, ${'two'})`;
  const deadline = Date.now() + 10000;
  while (got.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
  }
  show(got);
  await unlisten();
});

for (const [name, fn] of sections) {
  console.log(`== ${name}`);
  const sql = postgres(url, { max: 4, onnotice: () => {}, connect_timeout: 30 });
  try {
    await fn(sql);
  } catch (e) {
    show('ERROR', ...err(e));
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}
