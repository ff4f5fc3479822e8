"""Peewee (over psycopg2) against a PostgreSQL-compatible server: prints a transcript in
sections (`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 peewee_test.py postgresql://user@host:port/db[?sslmode=require]

Peewee writes its own DDL (create_tables with foreign keys and indexes, sequences for
AutoField), runs its queries through psycopg2's client-side interpolation, and reads the
catalog for introspection: get_tables, get_columns, get_primary_keys, get_foreign_keys,
get_indexes (pg_index with pg_get_indexdef), sequence_exists, and playhouse.reflection's
Introspector, which generates models from what it finds. Each section runs on a fresh
database object; an exception prints its class and SQLSTATE (and ends that section only).
"""

import datetime
import decimal
import sys
import uuid

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, migrate
from playhouse.postgres_ext import ArrayField, BinaryJSONField, JSONField
from playhouse.reflection import Introspector

from transcript import SECTIONS, section, show

URL = sys.argv[1]


def database():
    from playhouse.db_url import connect
    return connect(URL.replace("postgresql://", "postgresext://", 1), autorollback=False)


db = pw.DatabaseProxy()


class Base(pw.Model):
    class Meta:
        database = db


class Author(Base):
    name = pw.CharField(max_length=60, unique=True)
    born = pw.DateField(null=True)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "pw_authors"


class Book(Base):
    id = pw.UUIDField(primary_key=True, default=uuid.uuid4)
    author = pw.ForeignKeyField(Author, backref="books", on_delete="CASCADE")
    title = pw.TextField(index=True)
    pages = pw.IntegerField(null=True, constraints=[pw.Check("pages > 0")])
    sold = pw.BigIntegerField(null=True)
    price = pw.DecimalField(max_digits=10, decimal_places=2, null=True)
    rating = pw.DoubleField(null=True)
    published = pw.DateTimeField(null=True)
    stamped = pw.TimestampField(null=True)
    # postgres_ext indexes these with GIN by default; Strata has no GIN (see gin_index).
    meta = BinaryJSONField(null=True, index=False)
    extra = JSONField(null=True)
    cover = pw.BlobField(null=True)
    tags = ArrayField(pw.TextField, null=True, index=False)
    scores = ArrayField(pw.IntegerField, null=True, index=False)

    class Meta:
        table_name = "pw_books"
        indexes = ((("author", "title"), True),)


class Event(Base):
    at = pw.DateTimeField()
    big = pw.BigAutoField()
    note = pw.CharField(null=True)

    class Meta:
        table_name = "pw_events"


MODELS = [Author, Book, Event]


def err(e):
    orig = getattr(e, "orig", None) or e
    return type(e).__name__, getattr(orig, "pgcode", None), str(orig).splitlines()[0] if str(orig) else ""


@section
def create_tables(d):
    for t in ("pw_migrated", "pw_migrated2", "pw_docs", "pw_books", "pw_events", "pw_authors"):
        d.execute_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
    d.create_tables(MODELS)
    d.create_tables(MODELS)  # safe=True: IF NOT EXISTS
    show(sorted(t for t in d.get_tables() if t.startswith("pw_")))
    show(d.table_exists("pw_books"), d.table_exists("pw_nope"))
    show(d.sequence_exists("pw_authors_id_seq"), d.sequence_exists("pw_nope_seq"))


@section
def introspection(d):
    for t in ("pw_authors", "pw_books", "pw_events"):
        show(t, [(c.name, c.data_type, c.null, c.primary_key, c.default) for c in d.get_columns(t)])
        show(t, d.get_primary_keys(t))
        show(t, [(f.column, f.dest_table, f.dest_column) for f in d.get_foreign_keys(t)])
        show(t, sorted((i.name, i.sql, i.columns, i.unique) for i in d.get_indexes(t)))
    intro = Introspector.from_database(d)
    models = intro.generate_models(table_names=["pw_authors", "pw_books"])
    for name in sorted(models):
        m = models[name]
        show(name, [(f.name, type(f).__name__, f.null) for f in m._meta.sorted_fields])


@section
def crud(d):
    d.execute_sql("SET TimeZone = 'UTC'")
    ann = Author.create(name="Ann", born=datetime.date(1970, 5, 6))
    bob = Author.create(name="Bob", active=False)
    show(ann.id, bob.id)
    b1 = Book.create(
        author=ann, title="First", pages=120, sold=2 ** 53 + 1, price=decimal.Decimal("12.50"),
        rating=4.5, published=datetime.datetime(2020, 2, 29, 10, 0, 0, 123456),
        stamped=datetime.datetime(2021, 1, 1, 0, 0, 1), meta={"lang": "en", "ed": [1, 2]},
        extra={"x": None}, cover=b"\x00\x01\xff", tags=["a", "b c"], scores=[5, 4])
    Book.insert_many([
        {"author": ann, "title": "Second", "pages": 80, "price": decimal.Decimal("7.00"), "tags": []},
        {"author": bob, "title": "Third", "pages": 300, "price": decimal.Decimal("30.25"), "meta": {"lang": "fr"}},
    ]).execute()
    got = Book.get_by_id(b1.id)
    show(got.title, got.pages, got.sold, got.price, got.rating, got.published, got.stamped,
         got.meta, got.extra, bytes(got.cover), got.tags, got.scores, got.author.name)
    q = (Author.select(Author.name, pw.fn.COUNT(Book.id).alias("n"), pw.fn.SUM(Book.price).alias("total"))
         .join(Book, pw.JOIN.LEFT_OUTER).group_by(Author.name).order_by(Author.name))
    show([(a.name, a.n, a.total) for a in q])
    show([b.title for b in Book.select().where(Book.meta["lang"] == "fr")])
    show([b.title for b in Book.select().where(Book.meta.contains({"ed": [1, 2]}))])
    show([b.title for b in Book.select().where(Book.tags.contains("a"))])
    show([b.title for b in Book.select().where(Book.title.contains("ir")).order_by(Book.title.desc())])
    show([b.title for b in Book.select().where((Book.pages > 100) & Book.price.is_null(False)).order_by(Book.title)])
    show(Book.update(pages=Book.pages + 1).where(Book.title == "Second").execute(),
         Book.select(Book.pages).where(Book.title == "Second").scalar())
    sub = Author.select(Author.id).where(Author.active == False)  # noqa: E712
    show([b.title for b in Book.select().where(Book.author.in_(sub))])
    show(Author.insert(name="Ann").on_conflict(conflict_target=[Author.name], update={Author.active: False}).execute())
    show(Author.insert(name="Ann").on_conflict_ignore().execute())
    show([(a.name, a.active) for a in Author.select().order_by(Author.id)])
    show(list(Book.select(Book.title, Book.pages).order_by(Book.title).limit(2).offset(1).tuples()))
    show(list(Author.select().where(Author.name.startswith("A")).dicts()))
    show(Event.create(at=datetime.datetime(2024, 1, 1, 12)).big, Event.insert(at=datetime.datetime(2024, 1, 2)).execute())
    show(bob.delete_instance(recursive=True), Book.select().count(), Author.select().count())
    cur = d.execute_sql("SELECT title, price FROM pw_books WHERE pages > %s ORDER BY title", (50,))
    show(cur.fetchall())


@section
def transactions(d):
    try:
        with d.atomic():
            Author.create(name="Temp")
            show(Author.select().where(Author.name == "Temp").count())
            raise ValueError("abort")
    except ValueError as e:
        show(str(e))
    show(Author.select().where(Author.name == "Temp").count())
    with d.atomic() as outer:
        Author.create(name="Outer")
        try:
            with d.atomic():  # a savepoint
                Author.create(name="Inner")
                Author.create(name="Outer")
        except pw.IntegrityError as e:
            show(*err(e))
        show(d.in_transaction())
        with d.atomic() as sp:
            Author.create(name="Rolled")
            sp.rollback()
        outer.commit()
    show(sorted(a.name for a in Author.select().where(Author.name.in_(["Outer", "Inner", "Rolled"]))))
    with d.manual_commit():
        d.begin()
        Author.create(name="Manual")
        d.rollback()
    show(Author.select().where(Author.name == "Manual").count())
    with d.atomic(isolation_level="SERIALIZABLE"):
        show(d.execute_sql("SELECT current_setting('transaction_isolation')").fetchone())


@section
def errors(d):
    attempts = [
        lambda: Author.create(name="Ann"),
        lambda: Book.create(author=999, title="Orphan"),
        lambda: Book.create(author=1, title=None),
        lambda: Book.create(author=1, title="bad pages", pages=0),
        lambda: d.execute_sql("SELECT * FROM pw_missing"),
        lambda: d.execute_sql("SELECT 1/0"),
        lambda: d.execute_sql("SELECT %s::int", ("x",)),
        lambda: Author.get(Author.name == "Nobody"),
    ]
    for a in attempts:
        try:
            with d.atomic():
                a()
            show("no error")
        except (pw.PeeweeException, pw.DoesNotExist) as e:
            show(*err(e))
    show(issubclass(pw.IntegrityError, pw.DatabaseError))


@section
def migrations(d):
    d.execute_sql("CREATE TABLE pw_migrated (id serial PRIMARY KEY, code varchar(10) NOT NULL, qty int DEFAULT 0)")
    m = PostgresqlMigrator(d)
    migrate(
        m.add_column("pw_migrated", "note", pw.TextField(default="none")),
        m.add_column("pw_migrated", "author_id", pw.ForeignKeyField(Author, null=True, field=Author.id)),
        m.rename_column("pw_migrated", "qty", "quantity"),
        m.drop_not_null("pw_migrated", "code"),
        m.alter_column_type("pw_migrated", "code", pw.CharField(max_length=20)),
        m.add_index("pw_migrated", ("code", "quantity"), True),
        m.add_constraint("pw_migrated", "pw_q_ck", pw.Check("quantity >= 0")),
        m.add_column_default("pw_migrated", "quantity", 5),
    )
    show([(c.name, c.data_type, c.null, c.default) for c in d.get_columns("pw_migrated")])
    show(sorted((i.name, i.columns, i.unique) for i in d.get_indexes("pw_migrated")))
    show([(f.column, f.dest_table) for f in d.get_foreign_keys("pw_migrated")])
    migrate(
        m.drop_index("pw_migrated", "pw_migrated_code_quantity"),
        m.drop_column("pw_migrated", "note"),
        m.add_not_null("pw_migrated", "quantity"),
        m.drop_column_default("pw_migrated", "quantity"),
        m.rename_table("pw_migrated", "pw_migrated2"),
    )
    show([(c.name, c.null, c.default) for c in d.get_columns("pw_migrated2")], d.get_indexes("pw_migrated2") != [])
    show(sorted(t for t in d.get_tables() if t.startswith("pw_")))


@section
def gin_index(d):
    """postgres_ext's default for a BinaryJSONField or ArrayField: a GIN index."""

    class Doc(Base):
        body = BinaryJSONField(null=True)
        words = ArrayField(pw.TextField, null=True)

        class Meta:
            table_name = "pw_docs"

    d.execute_sql("DROP TABLE IF EXISTS pw_docs")
    try:
        d.create_tables([Doc])
    except pw.PeeweeException as e:
        show(*err(e))
    show(sorted((i.name, i.sql) for i in d.get_indexes("pw_docs")) if d.table_exists("pw_docs") else None)


def main():
    for fn in SECTIONS:
        print(f"== {fn.__name__}", flush=True)
        d = database()
        db.initialize(d)
        try:
            d.connect()
            fn(d)
        except Exception as e:  # noqa: BLE001 - the transcript shows any failure
            show("ERROR", *err(e))
        finally:
            if not d.is_closed():
                d.close()
        sys.stdout.flush()


main()
