// Sequelize 6 (over node-postgres) against a PostgreSQL-compatible server: prints a
// transcript in sections (`== name`) that must read the same on Strata and PostgreSQL 15.
//
// Usage: node sequelize_test.js postgresql://user@host:port/db[?sslmode=require]
//
// Sequelize writes its own DDL (sync: CREATE TABLE IF NOT EXISTS with REFERENCES, indexes,
// enum types through DO blocks) and reads the catalog back: describeTable (information_schema
// with pg_description), showIndex (pg_index/pg_class/pg_attribute arrays),
// getForeignKeyReferencesForTable, showAllTables, and sync({ alter }) diffing what it finds.
// Each section runs on its own Sequelize instance; an error prints its class and SQLSTATE.
'use strict';
const { Sequelize, DataTypes, Op, Transaction } = require('sequelize');

const raw = process.argv[2];
const u = new URL(raw);
const tls = u.searchParams.get('sslmode') === 'require';
u.search = '';
const sections = [];
const section = (name, fn) => sections.push([name, fn]);
const replacer = (_k, v) => {
  if (v && v.type === 'Buffer' && Array.isArray(v.data)) return `buf:${Buffer.from(v.data).toString('hex')}`;
  return v;
};
const show = (...values) => console.log(values.map((v) => JSON.stringify(v, replacer)).join(' | '));
const err = (e) => [e.name, e.parent ? e.parent.code : null, e.parent ? e.parent.message : e.message];

function connect() {
  return new Sequelize(u.toString(), {
    dialect: 'postgres',
    logging: false,
    timezone: '+00:00',
    pool: { max: 3, min: 0 },
    dialectOptions: tls ? { ssl: { rejectUnauthorized: false } } : {},
  });
}

function models(s) {
  const Author = s.define('Author', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    name: { type: DataTypes.STRING(60), allowNull: false, unique: true },
    email: { type: DataTypes.STRING, validate: { isEmail: true } },
    born: DataTypes.DATEONLY,
    active: { type: DataTypes.BOOLEAN, defaultValue: true },
  }, { tableName: 'sq_authors' });
  const Book = s.define('Book', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    title: { type: DataTypes.TEXT, allowNull: false, comment: 'the title' },
    pages: { type: DataTypes.INTEGER, validate: { min: 1 } },
    sold: DataTypes.BIGINT,
    price: DataTypes.DECIMAL(10, 2),
    rating: DataTypes.DOUBLE,
    published: DataTypes.DATE,
    meta: DataTypes.JSONB,
    extra: DataTypes.JSON,
    cover: DataTypes.BLOB,
    tags: DataTypes.ARRAY(DataTypes.TEXT),
    scores: DataTypes.ARRAY(DataTypes.INTEGER),
    kind: DataTypes.ENUM('novel', 'essay', 'poetry'),
  }, {
    tableName: 'sq_books',
    indexes: [{ fields: ['title'] }, { unique: true, fields: ['AuthorId', 'title'], name: 'sq_books_author_title' }],
  });
  const Tag = s.define('Tag', { label: { type: DataTypes.STRING(30), primaryKey: true } },
    { tableName: 'sq_tags', timestamps: false });
  Author.hasMany(Book, { onDelete: 'CASCADE' });
  Book.belongsTo(Author);
  Book.belongsToMany(Tag, { through: 'sq_book_tags' });
  Tag.belongsToMany(Book, { through: 'sq_book_tags' });
  return { Author, Book, Tag };
}

async function reset(s) {
  const qi = s.getQueryInterface();
  for (const t of ['sq_book_tags', 'sq_books', 'sq_tags', 'sq_authors', 'sq_migrated']) {
    await qi.dropTable(t, { cascade: true });
  }
  await s.query('DROP TYPE IF EXISTS "enum_sq_books_kind"');
}

const iso = (d) => (d instanceof Date ? d.toISOString() : d);
const plainBook = (b) => {
  const o = b.get({ plain: true });
  return { ...o, id: typeof o.id, published: iso(o.published), createdAt: typeof o.createdAt, updatedAt: typeof o.updatedAt };
};

section('sync', async (s) => {
  await s.authenticate();
  show((await s.databaseVersion()).split('.')[0]);
  await reset(s);
  const { Author, Book, Tag } = models(s);
  await s.sync({ force: true });
  const qi = s.getQueryInterface();
  show((await qi.showAllTables()).filter((t) => t.startsWith('sq_')).sort());
  for (const m of [Author, Book, Tag]) show(m.tableName, await qi.describeTable(m.tableName));
  show(await qi.describeTable('sq_book_tags'));
  await s.sync(); // again: every CREATE is IF NOT EXISTS
  show('synced twice');
});

section('reflection', async (s) => {
  const qi = s.getQueryInterface();
  const idx = await qi.showIndex('sq_books');
  show(idx.map((i) => [i.name, i.primary, i.unique, i.fields.map((f) => [f.attribute, f.order])]).sort());
  const fks = await qi.getForeignKeyReferencesForTable('sq_books');
  show(fks.map((f) => [f.constraintName, f.tableName, f.columnName, f.referencedTableName, f.referencedColumnName]));
  const fks2 = await qi.getForeignKeyReferencesForTable('sq_book_tags');
  show(fks2.map((f) => [f.constraintName, f.columnName, f.referencedTableName, f.referencedColumnName]).sort());
  const [cons] = await s.query(
    "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'sq_authors'::regclass ORDER BY conname");
  show(cons);
  const [enums] = await s.query(
    "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t " +
    "JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typname = 'enum_sq_books_kind' GROUP BY t.typname");
  show(enums);
});

section('crud', async (s) => {
  const { Author, Book, Tag } = models(s);
  const ann = await Author.create({ name: 'Ann', email: 'ann@example.com', born: '1970-05-06' });
  const bob = await Author.create({ name: 'Bob', active: false });
  show(ann.id, bob.id, ann.active, bob.born);
  const b1 = await Book.create({
    title: 'First', pages: 120, sold: '9007199254740993', price: '12.50', rating: 4.5,
    published: new Date(Date.UTC(2020, 1, 29, 10, 0, 0)), meta: { lang: 'en', ed: [1, 2] },
    extra: { x: null }, cover: Buffer.from([0, 1, 255]), tags: ['a', 'b c'], scores: [5, 4],
    kind: 'novel', AuthorId: ann.id,
  });
  await Book.bulkCreate([
    { title: 'Second', pages: 80, price: '7.00', kind: 'essay', AuthorId: ann.id, tags: [] },
    { title: 'Third', pages: 300, price: '30.25', kind: 'poetry', AuthorId: bob.id, meta: { lang: 'fr' } },
  ]);
  const got = await Book.findByPk(b1.id);
  show(plainBook(got));
  await Tag.bulkCreate([{ label: 'classic' }, { label: 'short' }]);
  await got.addTags(['classic', 'short']);
  show((await got.getTags({ order: [['label', 'ASC']] })).map((t) => t.label));
  const withBooks = await Author.findAll({
    include: [{ model: Book, attributes: ['title', 'price'] }],
    order: [['name', 'ASC'], [Book, 'title', 'ASC']],
  });
  show(withBooks.map((a) => [a.name, a.Books.map((b) => [b.title, b.price])]));
  show((await Book.findAll({ where: { pages: { [Op.gt]: 100 }, kind: { [Op.in]: ['novel', 'poetry'] } }, order: ['title'] })).map((b) => b.title));
  show((await Book.findAll({ where: { meta: { lang: 'fr' } } })).map((b) => b.title));
  show((await Book.findAll({ where: { tags: { [Op.contains]: ['a'] } } })).map((b) => b.title));
  show((await Book.findAll({ where: { title: { [Op.iLike]: '%ir%' } }, order: [['title', 'DESC']] })).map((b) => b.title));
  show(await Book.count(), await Book.sum('pages'), await Book.max('price'), await Book.min('published'));
  const grouped = await Book.findAll({
    attributes: ['AuthorId', [s.fn('count', s.col('id')), 'n'], [s.fn('sum', s.col('price')), 'total']],
    group: ['AuthorId'], order: [['AuthorId', 'ASC']], raw: true,
  });
  show(grouped);
  const [n] = await Book.update({ pages: 81 }, { where: { title: 'Second' } });
  const inc = await Book.increment('pages', { by: 2, where: { title: 'Third' } });
  show(n, inc[0][1], (await Book.findOne({ where: { title: 'Third' } })).pages);
  const [row, created] = await Author.findOrCreate({ where: { name: 'Cy' }, defaults: { email: 'cy@example.com' } });
  const [row2, created2] = await Author.findOrCreate({ where: { name: 'Cy' } });
  show(row.name, created, row2.id === row.id, created2);
  const up = await Author.upsert({ id: bob.id, name: 'Bob', email: 'bob@example.com' });
  show(up[0].email);
  const page = await Book.findAndCountAll({ limit: 2, offset: 1, order: [['title', 'ASC']] });
  show(page.count, page.rows.map((b) => b.title));
  await bob.destroy();
  show(await Book.count(), (await Author.findAll({ order: ['id'] })).map((a) => a.name));
  const [rows] = await s.query('SELECT title, price FROM sq_books WHERE pages > :p ORDER BY title',
    { replacements: { p: 50 } });
  show(rows);
  show(await s.query('SELECT $1::int + $2::int AS s', { bind: [1, 2], type: s.QueryTypes.SELECT }));
});

section('transactions', async (s) => {
  const { Author } = models(s);
  try {
    await s.transaction(async (t) => {
      await Author.create({ name: 'Temp' }, { transaction: t });
      show(await Author.count({ where: { name: 'Temp' }, transaction: t }));
      throw new Error('abort');
    });
  } catch (e) {
    show(e.message);
  }
  show(await Author.count({ where: { name: 'Temp' } }));
  const t = await s.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE });
  await Author.create({ name: 'Kept' }, { transaction: t });
  const [[iso2]] = await s.query("SELECT current_setting('transaction_isolation') AS i", { transaction: t });
  await t.commit();
  show(iso2, await Author.count({ where: { name: 'Kept' } }));
  const t2 = await s.transaction();
  await Author.create({ name: 'Gone' }, { transaction: t2 });
  await t2.rollback();
  show(await Author.count({ where: { name: 'Gone' } }));
  // A nested savepoint rolled back inside a committed transaction.
  await s.transaction(async (outer) => {
    await Author.create({ name: 'Outer' }, { transaction: outer });
    try {
      await s.transaction({ transaction: outer }, async (inner) => {
        await Author.create({ name: 'Inner' }, { transaction: inner });
        await Author.create({ name: 'Outer' }, { transaction: inner });
      });
    } catch (e) {
      show(...err(e));
    }
  });
  show((await Author.findAll({ where: { name: { [Op.in]: ['Outer', 'Inner'] } } })).map((a) => a.name));
  const locked = await s.transaction(async (tx) => Author.findOne({ where: { name: 'Ann' }, lock: tx.LOCK.UPDATE, transaction: tx }));
  show(locked.name);
});

section('errors', async (s) => {
  const { Author, Book } = models(s);
  const attempts = [
    () => Author.create({ name: 'Ann' }),
    () => Book.create({ title: 'Orphan', AuthorId: 999 }),
    () => Book.create({ title: null }),
    () => Book.create({ title: 'x', kind: 'comic' }),
    () => s.query('SELECT * FROM sq_missing'),
    () => s.query('SELECT 1/0'),
    () => s.query("SELECT 'x'::int"),
    () => Author.create({ name: 'Bad', email: 'not-an-email' }),
  ];
  for (const a of attempts) {
    try {
      await a();
      show('no error');
    } catch (e) {
      show(...err(e), e.fields || null, e.index || null, e.table || null);
    }
  }
});

section('migrations', async (s) => {
  const qi = s.getQueryInterface();
  await qi.createTable('sq_migrated', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(10), allowNull: false },
    qty: { type: DataTypes.INTEGER, defaultValue: 0 },
    author_id: { type: DataTypes.INTEGER, references: { model: 'sq_authors', key: 'id' }, onDelete: 'SET NULL' },
  });
  await qi.addColumn('sq_migrated', 'note', { type: DataTypes.TEXT, defaultValue: 'none' });
  await qi.changeColumn('sq_migrated', 'code', { type: DataTypes.STRING(20), allowNull: true });
  await qi.renameColumn('sq_migrated', 'qty', 'quantity');
  await qi.addIndex('sq_migrated', ['code', 'quantity'], { name: 'sq_migrated_code_q', unique: true });
  await qi.addConstraint('sq_migrated', { fields: ['quantity'], type: 'check', where: { quantity: { [Op.gte]: 0 } }, name: 'sq_migrated_q_ck' });
  show(await qi.describeTable('sq_migrated'));
  await qi.bulkInsert('sq_migrated', [{ code: 'a', quantity: 1 }, { code: 'b', quantity: 2 }]);
  show(await qi.select(null, 'sq_migrated', { order: [['id', 'ASC']] }).then((r) => r.map((x) => [x.id, x.code, x.quantity, x.note])));
  await qi.bulkUpdate('sq_migrated', { note: 'upd' }, { code: 'a' });
  await qi.bulkDelete('sq_migrated', { code: 'b' });
  show(await qi.rawSelect('sq_migrated', { where: { code: 'a' } }, 'note'));
  try {
    await qi.bulkInsert('sq_migrated', [{ code: 'c', quantity: -1 }]);
  } catch (e) {
    show(...err(e));
  }
  await qi.removeIndex('sq_migrated', 'sq_migrated_code_q');
  await qi.removeConstraint('sq_migrated', 'sq_migrated_q_ck');
  await qi.removeColumn('sq_migrated', 'note');
  await qi.renameTable('sq_migrated', 'sq_migrated2');
  show(Object.keys(await qi.describeTable('sq_migrated2')));
  await qi.renameTable('sq_migrated2', 'sq_migrated');
  show((await qi.showIndex('sq_migrated')).map((i) => i.name).sort());
  // sync({ alter }) reads the table and changes it to match a changed model.
  const Alt = s.define('Alt', {
    code: { type: DataTypes.STRING(40), allowNull: false },
    added: { type: DataTypes.BOOLEAN, defaultValue: false },
  }, { tableName: 'sq_migrated', timestamps: false });
  await Alt.sync({ alter: true });
  const d = await qi.describeTable('sq_migrated');
  show(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, [v.type, v.allowNull, v.defaultValue]])));
});

(async () => {
  for (const [name, fn] of sections) {
    console.log(`== ${name}`);
    const s = connect();
    try {
      await fn(s);
    } catch (e) {
      show('ERROR', ...err(e));
    } finally {
      await s.close().catch(() => {});
    }
  }
})();
