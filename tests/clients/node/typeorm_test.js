// TypeORM 0.3 (over node-postgres) against a PostgreSQL-compatible server: prints a
// transcript in sections (`== name`) that must read the same on Strata and PostgreSQL 15.
//
// Usage: node typeorm_test.js postgresql://user@host:port/db[?sslmode=require]
//
// TypeORM's `synchronize` reads the whole schema back before it writes DDL (tables,
// columns through information_schema with pg_catalog joins, indexes, foreign keys, enum
// types, the typeorm_metadata table), then diffs it against the entities — a second
// synchronize must find nothing to change. Entities are EntitySchemas (no decorators).
// Each section runs on its own DataSource; an error prints its class and SQLSTATE.
'use strict';
require('reflect-metadata');
const { DataSource, EntitySchema, QueryFailedError } = require('typeorm');

const u = new URL(process.argv[2]);
const tls = u.searchParams.get('sslmode') === 'require';
u.search = '';
const sections = [];
const section = (name, fn) => sections.push([name, fn]);
const replacer = (_k, v) => {
  if (v && v.type === 'Buffer' && Array.isArray(v.data)) return `buf:${Buffer.from(v.data).toString('hex')}`;
  return v;
};
const show = (...values) => console.log(values.map((v) => JSON.stringify(v, replacer)).join(' | '));
const err = (e) => [e.constructor.name, e.driverError ? e.driverError.code : e.code || null, e.message];

const Author = new EntitySchema({
  name: 'Author',
  tableName: 'to_authors',
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    name: { type: 'varchar', length: 60, unique: true },
    born: { type: 'date', nullable: true },
    active: { type: 'boolean', default: true },
  },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author' } },
});

const Book = new EntitySchema({
  name: 'Book',
  tableName: 'to_books',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    title: { type: 'text' },
    pages: { type: 'int', nullable: true },
    sold: { type: 'bigint', nullable: true },
    price: { type: 'numeric', precision: 10, scale: 2, nullable: true },
    rating: { type: 'double precision', nullable: true },
    published: { type: 'timestamptz', nullable: true },
    meta: { type: 'jsonb', nullable: true },
    cover: { type: 'bytea', nullable: true },
    tags: { type: 'text', array: true, nullable: true },
    kind: { type: 'enum', enum: ['novel', 'essay'], default: 'novel' },
    createdAt: { type: 'timestamptz', createDate: true },
  },
  relations: {
    author: { type: 'many-to-one', target: 'Author', inverseSide: 'books', onDelete: 'CASCADE', joinColumn: { name: 'author_id' } },
  },
  indices: [{ name: 'to_books_title_idx', columns: ['title'] }],
  uniques: [{ name: 'to_books_author_title', columns: ['author', 'title'] }],
  checks: [{ name: 'to_books_pages_ck', expression: '"pages" > 0' }],
});

function source() {
  return new DataSource({
    type: 'postgres',
    url: u.toString(),
    ssl: tls ? { rejectUnauthorized: false } : false,
    entities: [Author, Book],
    logging: false,
  });
}

section('synchronize', async (ds) => {
  await ds.query('DROP TABLE IF EXISTS to_books, to_authors CASCADE');
  await ds.query('DROP TYPE IF EXISTS to_books_kind_enum');
  await ds.synchronize();
  const pending = await ds.driver.createSchemaBuilder().log();
  show('second synchronize', pending.upQueries.map((q) => q.query));
  const qr = ds.createQueryRunner();
  try {
    for (const name of ['to_authors', 'to_books']) {
      const t = await qr.getTable(name);
      show(name, t.columns.map((c) => [c.name, c.type, c.isNullable, c.isPrimary, c.isGenerated, c.default === undefined ? null : c.default, c.length, c.precision, c.scale, c.isArray, c.enum || null]));
      show(name, t.indices.map((i) => [i.name, i.columnNames, i.isUnique]).sort(), t.uniques.map((x) => [x.name, x.columnNames]).sort());
      show(name, t.foreignKeys.map((f) => [f.name, f.columnNames, f.referencedTableName, f.referencedColumnNames, f.onDelete]), t.checks.map((c) => [c.name, c.expression]));
    }
  } finally {
    await qr.release();
  }
});

section('crud', async (ds) => {
  await ds.query("SET TimeZone = 'UTC'");
  const authors = ds.getRepository('Author');
  const books = ds.getRepository('Book');
  const ann = await authors.save({ name: 'Ann', born: '1970-05-06' });
  const bob = await authors.save({ name: 'Bob', active: false });
  show(ann.id, bob.id, ann.active);
  const b1 = await books.save({
    title: 'First', pages: 120, sold: '9007199254740993', price: '12.50', rating: 4.5,
    published: new Date(Date.UTC(2020, 1, 29, 10)), meta: { lang: 'en', ed: [1, 2] },
    cover: Buffer.from([0, 1, 255]), tags: ['a', 'b c'], author: ann,
  });
  await books.insert([
    { title: 'Second', pages: 80, price: '7.00', kind: 'essay', author: ann, tags: [] },
    { title: 'Third', pages: 300, price: '30.25', author: bob, meta: { lang: 'fr' } },
  ]);
  const got = await books.findOne({ where: { id: b1.id }, relations: { author: true } });
  show({ ...got, id: typeof got.id, published: got.published.toISOString(), createdAt: typeof got.createdAt, author: got.author.name });
  const withBooks = await authors.find({ relations: { books: true }, order: { name: 'ASC', books: { title: 'ASC' } } });
  show(withBooks.map((a) => [a.name, a.books.map((b) => b.title)]));
  const qb = await books.createQueryBuilder('b').select('b.kind', 'kind').addSelect('count(*)::int', 'n').addSelect('sum(b.price)', 'total')
    .groupBy('b.kind').orderBy('b.kind').getRawMany();
  show(qb);
  show((await books.createQueryBuilder('b').where("b.meta ->> 'lang' = :l", { l: 'fr' }).getMany()).map((b) => b.title));
  show((await books.createQueryBuilder('b').where(':t = ANY(b.tags)', { t: 'a' }).getMany()).map((b) => b.title));
  await books.update({ title: 'Second' }, { pages: 81 });
  await books.increment({ title: 'Third' }, 'pages', 2);
  show((await books.find({ order: { title: 'ASC' }, select: { title: true, pages: true } })).map((b) => [b.title, b.pages]));
  await authors.upsert([{ name: 'Ann', active: false }], ['name']);
  show((await authors.find({ order: { id: 'ASC' } })).map((a) => [a.name, a.active]));
  const [page, n] = await books.findAndCount({ skip: 1, take: 1, order: { title: 'ASC' } });
  show(page.map((b) => b.title), n);
  await authors.delete({ name: 'Bob' });
  show(await books.count(), await authors.count());
});

section('transactions', async (ds) => {
  const authors = ds.getRepository('Author');
  try {
    await ds.transaction(async (m) => {
      await m.save('Author', { name: 'Temp' });
      show(await m.count('Author', { where: { name: 'Temp' } }));
      throw new Error('abort');
    });
  } catch (e) {
    show(e.message);
  }
  show(await authors.count({ where: { name: 'Temp' } }));
  await ds.transaction('SERIALIZABLE', async (m) => {
    await m.save('Author', { name: 'Kept' });
    show(await m.query("SELECT current_setting('transaction_isolation') AS i"));
  });
  const qr = ds.createQueryRunner();
  await qr.connect();
  await qr.startTransaction();
  await qr.manager.save('Author', { name: 'Outer' });
  await qr.startTransaction(); // a savepoint
  try {
    await qr.manager.save('Author', { name: 'Outer' });
  } catch (e) {
    show(...err(e));
  }
  await qr.rollbackTransaction(); // to the savepoint
  await qr.commitTransaction();
  await qr.release();
  show((await authors.find({ order: { id: 'ASC' } })).map((a) => a.name));
});

section('errors', async (ds) => {
  const attempts = [
    () => ds.getRepository('Author').insert({ name: 'Ann' }),
    () => ds.query('INSERT INTO to_books (id, title, author_id) VALUES ($1, $2, $3)', ['00000000-0000-0000-0000-000000000001', 'x', 999]),
    () => ds.getRepository('Book').insert({ title: 'bad', pages: 0 }),
    () => ds.query("SELECT 'x'::int"),
    () => ds.query('SELECT * FROM to_missing'),
  ];
  for (const a of attempts) {
    try {
      await a();
      show('no error');
    } catch (e) {
      show(...err(e), e instanceof QueryFailedError, e.driverError ? e.driverError.constraint || null : null);
    }
  }
});

(async () => {
  for (const [name, fn] of sections) {
    console.log(`== ${name}`);
    const ds = source();
    try {
      await ds.initialize();
      await fn(ds);
    } catch (e) {
      show('ERROR', ...err(e));
    } finally {
      if (ds.isInitialized) await ds.destroy().catch(() => {});
    }
  }
})();
