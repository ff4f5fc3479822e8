// node-postgres against a PostgreSQL-compatible server: prints a transcript in sections
// (`== name`) that must read the same on Strata and PostgreSQL 15.
//
// Usage: node pg_test.js postgresql://user@host:port/db
'use strict';
const { Client } = require('pg');

const url = process.argv[2];
const sections = [];
const section = (name, fn) => sections.push([name, fn]);
const show = (...values) => console.log(values.map((v) => JSON.stringify(v)).join(' | '));

section('connect', async (c) => {
  const r = await c.query('SELECT 1 + 1 AS two');
  show(r.rows, r.fields.map((f) => [f.name, f.dataTypeID]));
  show((await c.query('SHOW server_version')).rows[0].server_version.split('.')[0]);
});

section('parameters', async (c) => {
  await c.query('DROP TABLE IF EXISTS n');
  await c.query('CREATE TABLE n (id int PRIMARY KEY, name text, score float8, ok bool, big bigint)');
  await c.query('INSERT INTO n VALUES ($1, $2, $3, $4, $5)', [1, 'a', 1.5, true, '9007199254740993']);
  await c.query('INSERT INTO n VALUES ($1, $2, $3, $4, $5)', [2, null, -0.25, false, null]);
  const r = await c.query('SELECT * FROM n WHERE id >= $1 ORDER BY id', [1]);
  show(r.rows, r.rowCount, r.command);
});

section('prepared', async (c) => {
  await c.query('DROP TABLE IF EXISTS np');
  await c.query('CREATE TABLE np (k int PRIMARY KEY, v text)');
  for (let i = 0; i < 20; i++) {
    await c.query({ name: 'ins', text: 'INSERT INTO np VALUES ($1, $2)', values: [i, `v${i}`] });
  }
  const out = [];
  for (const k of [3, 11]) {
    out.push((await c.query({ name: 'get', text: 'SELECT v FROM np WHERE k = $1', values: [k] })).rows);
  }
  show(out);
  const rows = await c.query({ text: 'SELECT k, v FROM np WHERE k < $1 ORDER BY k', values: [3], rowMode: 'array' });
  show(rows.rows);
});

section('transactions', async (c) => {
  await c.query('DROP TABLE IF EXISTS nt');
  await c.query('CREATE TABLE nt (id int PRIMARY KEY)');
  await c.query('BEGIN');
  await c.query('INSERT INTO nt VALUES (1)');
  await c.query('SAVEPOINT s');
  await c.query('INSERT INTO nt VALUES (2)');
  await c.query('ROLLBACK TO SAVEPOINT s');
  await c.query('COMMIT');
  await c.query('BEGIN');
  await c.query('INSERT INTO nt VALUES (3)');
  await c.query('ROLLBACK');
  show((await c.query('SELECT id FROM nt ORDER BY id')).rows);
});

section('errors', async (c) => {
  for (const sql of ['SELEC 1', 'SELECT * FROM nope', 'SELECT 1/0', "SELECT 'x'::int"]) {
    try {
      await c.query(sql);
      show('no error', sql);
    } catch (e) {
      show(e.code, e.severity);
    }
  }
  await c.query('DROP TABLE IF EXISTS ne');
  await c.query('CREATE TABLE ne (id int PRIMARY KEY)');
  await c.query('INSERT INTO ne VALUES (1)');
  try {
    await c.query('INSERT INTO ne VALUES ($1)', [1]);
  } catch (e) {
    show(e.code, e.constraint === undefined ? null : e.constraint, e.detail);
  }
  await c.query('BEGIN');
  try { await c.query('SELECT 1/0'); } catch (e) { show(e.code); }
  try { await c.query('SELECT 1'); } catch (e) { show(e.code); }
  await c.query('ROLLBACK');
  show((await c.query('SELECT 42 AS x')).rows);
});

section('listen_notify', async (c) => {
  // An idle listener gets the 'notification' event when another session commits a NOTIFY
  // (folded duplicates, nothing from a rollback), without sending a query itself.
  const got = [];
  let wake = () => {};
  c.on('notification', (n) => { got.push(n); wake(); });
  await c.query('LISTEN jobs');
  const other = new Client({ connectionString: url });
  await other.connect();
  try {
    await other.query("BEGIN; NOTIFY jobs, 'rolled back'; ROLLBACK");
    await other.query('BEGIN');
    await other.query("NOTIFY jobs, 'one'");
    await other.query('SELECT pg_notify($1, $2)', ['jobs', 'two']);
    await other.query("NOTIFY jobs, 'one'");
    await other.query('COMMIT');
    const pid = other.processID;
    const deadline = Date.now() + 10000;
    while (got.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    show(got.map((n) => [n.channel, n.payload, n.processId === pid]));
  } finally {
    await other.end().catch(() => {});
  }
});

(async () => {
  for (const [name, fn] of sections) {
    console.log(`== ${name}`);
    const c = new Client({ connectionString: url });
    try {
      await c.connect();
      await fn(c);
    } catch (e) {
      show('ERROR', e.code || e.message);
    } finally {
      await c.end().catch(() => {});
    }
  }
})();
