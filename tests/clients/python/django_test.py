"""The Django ORM against a PostgreSQL-compatible server: prints a transcript in sections
(`== name`) that must read the same on Strata and on PostgreSQL 15.

Usage: python3 django_test.py postgresql://user@host:port/db[?sslmode=...]

Django is configured in-script (`settings.configure`, the postgresql backend, which uses
psycopg 3 when it is installed and psycopg2 otherwise); its one app, `djapp`, is written into a temporary
directory, `makemigrations` writes its first migration there and `migrate` applies it. The
sections then use the ORM (CRUD, joins, aggregates, subqueries, bulk_create, fixtures
loaded through deferred foreign keys, select_for_update) and the commands that introspect the catalog (`inspectdb`, `sqlflush`,
`flush`, schema-editor changes that look constraints up by column). Each section runs on a
fresh connection; an exception is printed as its class and SQLSTATE and ends that section.
"""

import atexit
import datetime
import decimal
import io
import os
import shutil
import sys
import tempfile
import textwrap
import urllib.parse
import uuid

from transcript import SECTIONS, section, show

URL = sys.argv[1]

# Django walks sets of table names (sqlflush's TRUNCATE list): fix the string hash so that
# their order is the same on every run.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})

MODELS = '''
import django
from django.db import models

if django.VERSION >= (5, 1):
    def check(q, name):
        return models.CheckConstraint(condition=q, name=name)
else:
    def check(q, name):
        return models.CheckConstraint(check=q, name=name)


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)
    born = models.DateField(null=True)
    email = models.EmailField(blank=True, default="")


class Tag(models.Model):
    label = models.SlugField(unique=True)


class Book(models.Model):
    uid = models.UUIDField(unique=True)
    title = models.CharField(max_length=200, db_index=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    published = models.DateTimeField()
    meta = models.JSONField(default=dict)
    pages = models.PositiveIntegerField(default=0)
    rating = models.FloatField(null=True)

    class Meta:
        unique_together = [("author", "title")]
        indexes = [models.Index(fields=["published", "price"], name="djapp_book_pub_price"),
                   models.Index(fields=["pages"], name="djapp_book_pages")]
        constraints = [check(models.Q(price__gte=0), "djapp_book_price_nonneg")]


class Account(models.Model):
    owner = models.OneToOneField(Author, on_delete=models.PROTECT, null=True)
    balance = models.BigIntegerField(default=0)
    active = models.BooleanField(default=True)
'''


def write_app():
    root = tempfile.mkdtemp(prefix="djapp-")
    atexit.register(shutil.rmtree, root, True)
    app = os.path.join(root, "djapp")
    os.makedirs(os.path.join(app, "migrations"))
    for name, text in [("__init__.py", ""), ("migrations/__init__.py", ""), ("models.py", MODELS)]:
        with open(os.path.join(app, name), "w") as f:
            f.write(textwrap.dedent(text))
    sys.path.insert(0, root)


def configure():
    import django
    from django.conf import settings

    u = urllib.parse.urlparse(URL)
    options = dict(urllib.parse.parse_qsl(u.query))
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["djapp"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": u.path.lstrip("/") or "postgres",
            "USER": u.username or "postgres",
            "PASSWORD": u.password or "",
            "HOST": u.hostname,
            "PORT": u.port,
            "OPTIONS": options,
        }},
    )
    django.setup()


write_app()
configure()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, IntegrityError, connection, connections, transaction  # noqa: E402
from django.db.models import (  # noqa: E402
    Avg, Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum, Value,
)
from django.db.models.functions import Coalesce, Concat, Lower, TruncMonth  # noqa: E402

from djapp.models import Account, Author, Book, Tag  # noqa: E402

UTC = datetime.timezone.utc


def command(*args, **kw):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, no_color=True, **kw)
    return out.getvalue()


@section
def migrate():
    with connection.cursor() as c:
        # A rerun against the same server starts over.
        c.execute("DROP TABLE IF EXISTS djapp_book_tags, djapp_book, djapp_tag, djapp_account, "
                  "djapp_author, django_migrations CASCADE")
    show(connection.vendor, connection.pg_version >= 150000)
    print(command("makemigrations", "djapp", verbosity=1).replace(sys.path[0], "<tmp>"))
    print(command("sqlmigrate", "djapp", "0001"))
    print(command("migrate", verbosity=1))
    print(command("showmigrations", "djapp"))
    show(sorted(t for t in connection.introspection.table_names() if t.startswith(("djapp", "django"))))


@section
def crud():
    a = Author.objects.create(name="Ursula", born=datetime.date(1929, 10, 21))
    b = Author.objects.create(name="Iain")
    Author.objects.create(name="Nobody", email="no@example.com")
    t1, t2, t3 = (Tag.objects.create(label=s) for s in ["sf", "classic", "culture"])
    books = [
        (a, "The Dispossessed", "12.50", 1974, 387, {"awards": ["Hugo", "Nebula"]}, 4.5),
        (a, "The Left Hand of Darkness", "10.00", 1969, 304, {"awards": ["Hugo"]}, 4.7),
        (b, "Consider Phlebas", "9.99", 1987, 471, {"series": "Culture", "n": 1}, None),
        (b, "Excession", "11.25", 1996, 451, {"series": "Culture", "n": 5}, 4.4),
    ]
    for i, (au, title, price, year, pages, meta, rating) in enumerate(books):
        bk = Book.objects.create(uid=uuid.UUID(int=i + 1), title=title, author=au,
                                 price=decimal.Decimal(price), pages=pages, meta=meta, rating=rating,
                                 published=datetime.datetime(year, 3, 1, 12, 0, tzinfo=UTC))
        bk.tags.add(t1)
        bk.tags.add(t2 if year < 1980 else t3)
    show(Author.objects.count(), Book.objects.count(), Tag.objects.count())
    bk = Book.objects.get(title="Excession")
    show(bk.uid, bk.price, bk.published, bk.meta, bk.rating, bk.author.name)
    bk.price = F("price") + 1
    bk.save(update_fields=["price"])
    bk.refresh_from_db()
    show(bk.price)
    show(Book.objects.filter(pages__gt=400).update(rating=F("rating") + 0.1))
    show(sorted(Book.objects.values_list("title", "rating")))
    n, per_model = Author.objects.filter(name="Nobody").delete()
    show(n, sorted(per_model.items()))
    obj, created = Tag.objects.get_or_create(label="sf")
    show(obj.label, created)
    obj, created = Tag.objects.update_or_create(label="new", defaults={})
    show(obj.label, created)
    show(list(Tag.objects.order_by("label").values_list("label", flat=True)))
    show(Tag.objects.filter(label="new").exists(), Tag.objects.filter(label="none").exists())
    try:
        with transaction.atomic():
            Tag.objects.create(label="sf")
    except IntegrityError as e:
        show(type(e).__name__, getattr(e.__cause__, "pgcode", None) or getattr(e.__cause__, "sqlstate", None))
    try:
        with transaction.atomic():
            Book.objects.create(uid=uuid.UUID(int=99), title="Excession", author=b, price=1,
                                published=datetime.datetime(2000, 1, 1, tzinfo=UTC))
    except IntegrityError as e:
        show(type(e).__name__, "unique_together")
    try:
        with transaction.atomic():
            Book.objects.filter(title="Excession").update(price=-1)
    except IntegrityError as e:
        show(type(e).__name__, "check")


@section
def queries():
    show(list(Book.objects.filter(author__name__startswith="Urs").order_by("title").values_list("title", flat=True)))
    show(list(Book.objects.filter(tags__label="culture").order_by("-published").values_list("title", flat=True)))
    show(list(Book.objects.filter(Q(pages__lt=350) | Q(meta__n=5)).order_by("id").values_list("title", flat=True)))
    show(list(Book.objects.filter(meta__awards__contains=["Nebula"]).values_list("title", flat=True)))
    show(list(Book.objects.filter(meta__has_key="series").order_by("id").values_list("meta__n", flat=True)))
    show(list(Book.objects.filter(title__icontains="THE").order_by("id").values_list("id", flat=True)))
    show(list(Book.objects.filter(published__year__gte=1980, price__lt=20).order_by("id").values_list("title", flat=True)))
    show(list(Book.objects.filter(rating__isnull=True).values_list("title", flat=True)))
    show(list(Book.objects.filter(uid__in=[uuid.UUID(int=1), uuid.UUID(int=3)]).order_by("uid").values_list("title", flat=True)))
    show(Book.objects.aggregate(n=Count("id"), total=Sum("price"), avg_pages=Avg("pages"),
                                first=Min("published"), last=Max("published")))
    rows = (Author.objects.annotate(n=Count("books"), pages=Sum("books__pages"), top=Max("books__price"))
            .order_by("name").values("name", "n", "pages", "top"))
    show(list(rows))
    newest = Book.objects.filter(author=OuterRef("pk")).order_by("-published")
    show(list(Author.objects.annotate(newest=Subquery(newest.values("title")[:1]),
                                      has_cheap=Exists(Book.objects.filter(author=OuterRef("pk"), price__lt=10)))
              .order_by("name").values_list("name", "newest", "has_cheap")))
    show(list(Book.objects.annotate(label=Concat(Lower("author__name"), Value(": "), "title"),
                                    r=Coalesce("rating", 0.0))
              .order_by("id").values_list("label", "r")))
    show(list(Book.objects.annotate(m=TruncMonth("published")).order_by("id").values_list("m", flat=True)))
    show(list(Tag.objects.annotate(n=Count("books")).filter(n__gt=1).order_by("label").values_list("label", "n")))
    show(list(Book.objects.select_related("author").order_by("id").values_list("author__name", "title")[1:3]))
    show([(b.title, sorted(t.label for t in b.tags.all()))
          for b in Book.objects.prefetch_related("tags").order_by("id")])
    show(list(Book.objects.values("author__name").annotate(c=Count("*")).order_by("author__name")))
    show(list(Book.objects.order_by("id").values_list("price", flat=True).distinct()[:2]))
    show(Book.objects.filter(pages__gt=F("price") * 30).count())
    show(list(Book.objects.filter(published__range=(datetime.datetime(1970, 1, 1, tzinfo=UTC),
                                                    datetime.datetime(1990, 1, 1, tzinfo=UTC)))
              .order_by("published").values_list("title", flat=True)))
    show(Book.objects.raw("SELECT id, title FROM djapp_book WHERE pages > %s ORDER BY id", [400])[0].title)


@section
def bulk():
    a = Author.objects.create(name="Bulk")
    made = Book.objects.bulk_create([
        Book(uid=uuid.UUID(int=1000 + i), title=f"Bulk {i}", author=a, price=decimal.Decimal(i),
             published=datetime.datetime(2020, 1, 1 + i, tzinfo=UTC), meta={"i": i})
        for i in range(20)])
    show(len(made), all(b.pk is not None for b in made))
    for b in made[:5]:
        b.pages = 100 + b.meta["i"]
    show(Book.objects.bulk_update(made[:5], ["pages"]))
    show(Book.objects.filter(author=a).aggregate(Sum("pages"), Sum("price")))
    made = Tag.objects.bulk_create([Tag(label="sf"), Tag(label="bulk")], ignore_conflicts=True)
    show(len(made), Tag.objects.count())
    made = Tag.objects.bulk_create([Tag(label="bulk"), Tag(label="bulk2")], update_conflicts=True,
                                   unique_fields=["label"], update_fields=["label"])
    show(len(made), Tag.objects.count())
    show(Book.objects.filter(author=a).delete()[0])


@section
def fixtures():
    # Django declares every foreign key DEFERRABLE INITIALLY DEFERRED and relies on it:
    # loaddata saves a book before its author, and checks the keys at the end
    # (SET CONSTRAINTS ALL IMMEDIATE); the ORM may save a row before the one it references.
    import json

    root = tempfile.mkdtemp(prefix="djfixtures-")
    atexit.register(shutil.rmtree, root, True)

    def fixture(name, objects):
        path = os.path.join(root, name + ".json")
        with open(path, "w") as f:
            json.dump(objects, f)
        return path

    def book(pk, author):
        return {"model": "djapp.book", "pk": pk, "fields": {
            "uid": str(uuid.UUID(int=pk)), "title": f"Fixture {pk}", "author": author,
            "price": "1.00", "published": "2020-01-01T00:00:00Z", "meta": {}, "pages": 1}}

    author = {"model": "djapp.author", "pk": 9000, "fields": {"name": "Fixture author"}}
    print(command("loaddata", fixture("ok", [book(9000, 9000), book(9001, 9000), author])))
    show(list(Book.objects.filter(author_id=9000).order_by("pk").values_list("pk", "author__name")))
    try:
        command("loaddata", fixture("orphan", [book(9002, 9999)]))
    except IntegrityError as e:
        show(type(e).__name__, getattr(e.__cause__, "pgcode", None) or getattr(e.__cause__, "sqlstate", None))
    show(Book.objects.filter(pk=9002).exists())
    with transaction.atomic():
        Book.objects.create(uid=uuid.UUID(int=9003), title="Early", author_id=9003, price=1,
                            published=datetime.datetime(2020, 1, 1, tzinfo=UTC))
        Author.objects.create(id=9003, name="Late")
    show(Book.objects.get(uid=uuid.UUID(int=9003)).author.name)
    try:
        with transaction.atomic():
            Book.objects.create(uid=uuid.UUID(int=9004), title="Orphan", author_id=9004, price=1,
                                published=datetime.datetime(2020, 1, 1, tzinfo=UTC))
    except IntegrityError as e:
        show(type(e).__name__, getattr(e.__cause__, "pgcode", None) or getattr(e.__cause__, "sqlstate", None))
    show(Book.objects.filter(uid=uuid.UUID(int=9004)).exists(), connection.in_atomic_block)
    show(Book.objects.filter(author_id__in=[9000, 9003]).delete()[0],
         Author.objects.filter(id__in=[9000, 9003]).delete()[0])


@section
def select_for_update():
    u = Author.objects.get(name="Ursula")
    Account.objects.create(owner=u, balance=100)
    Account.objects.create(balance=50)
    with transaction.atomic():
        acc = Account.objects.select_for_update().get(owner=u)
        acc.balance -= 30
        acc.save()
        other = Account.objects.select_for_update(skip_locked=True).filter(owner__isnull=True).first()
        other.balance = F("balance") + 30
        other.save()
        sid = transaction.savepoint()
        Account.objects.update(active=False)
        transaction.savepoint_rollback(sid)
        show(list(Account.objects.select_for_update(of=("self",)).select_related("owner")
                  .order_by("balance").values_list("balance", "active", "owner__name")))
    with transaction.atomic():
        show(list(Account.objects.select_for_update(nowait=True).order_by("id").values_list("balance", flat=True)))
        try:
            with transaction.atomic():
                Author.objects.filter(name="Ursula").delete()
        except IntegrityError as e:
            show(type(e).__name__)
        except Exception as e:  # noqa: BLE001 - django raises ProtectedError here
            show(type(e).__name__)
    try:
        with transaction.atomic():
            Account.objects.create(balance=1)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    show(Account.objects.count(), connection.in_atomic_block)


@section
def schema_changes():
    from django.db import models

    with connection.schema_editor() as se:
        field = models.IntegerField(null=True, db_index=True)
        field.set_attributes_from_name("edition")
        se.add_field(Book, field)
        se.alter_unique_together(Book, [("author", "title")], [])
        se.alter_index_together(Book, [], []) if hasattr(se, "alter_index_together") else None
        old = Book._meta.get_field("rating")
        new = models.FloatField(null=False, default=0.0)
        new.set_attributes_from_name("rating")
        new.model = Book
        Book.objects.filter(rating__isnull=True).update(rating=0)
        se.alter_field(Book, old, new)
        old_title = Book._meta.get_field("title")
        new_title = models.CharField(max_length=300, db_index=False)
        new_title.set_attributes_from_name("title")
        new_title.model = Book
        se.alter_field(Book, old_title, new_title)
    cons = connection.introspection.get_constraints(connection.cursor(), "djapp_book")
    for name, v in sorted(cons.items()):
        show(name, v["columns"], v["primary_key"], v["unique"], v["foreign_key"], v["check"], v["index"],
             v.get("type"), v.get("orders"), v.get("definition"), v.get("options"))
    with connection.cursor() as c:
        desc = connection.introspection.get_table_description(c, "djapp_book")
        show([(d.name, d.type_code, d.null_ok, d.default, d.is_autofield) for d in desc])
        show(connection.introspection.get_relations(c, "djapp_book"))
        show(connection.introspection.get_primary_key_column(c, "djapp_book"))
        show(connection.introspection.get_sequences(c, "djapp_author"))


@section
def inspectdb():
    out = command("inspectdb", "djapp_author", "djapp_book", "djapp_tag", "djapp_book_tags", "djapp_account")
    print(out)


@section
def flush():
    print(command("sqlflush"))
    print(command("sqlsequencereset", "djapp"))
    command("flush", interactive=False)
    show(Author.objects.count(), Book.objects.count(), Tag.objects.count())
    a = Author.objects.create(name="after flush")
    show(a.pk)


for fn in SECTIONS:
    print(f"== {fn.__name__}", flush=True)
    try:
        fn()
    except DatabaseError as e:
        cause = e.__cause__
        show("ERROR", type(e).__name__, getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None),
             str(e).splitlines()[0] if str(e) else "")
    except Exception as e:  # noqa: BLE001 - the transcript shows any failure
        show("ERROR", type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    finally:
        connections.close_all()
    sys.stdout.flush()
