"""SQLAlchemy 2 (core and ORM, over psycopg 3) against a PostgreSQL-compatible server: prints a
transcript in sections (`== name`) that must read the same on Strata and PostgreSQL 15.

Usage: python3 sqlalchemy_test.py postgresql://user@host:port/db
"""

import sys

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from transcript import SECTIONS, section, show

URL = sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "sa_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    qty: Mapped[int] = mapped_column(default=0)


@section
def first_connect(engine):
    with engine.connect() as c:
        show(c.execute(sa.text("SELECT 1 + 1")).scalar())
        show(engine.dialect.server_version_info[:1])
        show(c.execute(sa.text("SELECT :a || :b"), {"a": "x", "b": "y"}).scalar())


@section
def core_text(engine):
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sa_core"))
        c.execute(sa.text("CREATE TABLE sa_core (id int PRIMARY KEY, v text)"))
        c.execute(sa.text("INSERT INTO sa_core VALUES (:id, :v)"),
                  [{"id": i, "v": f"v{i}"} for i in range(5)])
    with engine.connect() as c:
        show(c.execute(sa.text("SELECT id, v FROM sa_core WHERE id > :m ORDER BY id"), {"m": 2}).all())


@section
def create_all(engine):
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sa_items"))
    Base.metadata.create_all(engine)
    with engine.connect() as c:
        show(c.execute(sa.text("SELECT count(*) FROM sa_items")).scalar())


@section
def orm_crud(engine):
    with Session(engine) as s:
        s.add_all([Item(id=1, name="apple", qty=3), Item(id=2, name="pear")])
        s.commit()
        apple = s.get(Item, 1)
        apple.qty += 10
        s.delete(s.get(Item, 2))
        s.commit()
        s.add(Item(id=3, name="plum", qty=1))
        s.flush()
        s.rollback()
        rows = s.scalars(sa.select(Item).order_by(Item.id)).all()
        show([(i.id, i.name, i.qty) for i in rows])
        show(s.scalar(sa.select(sa.func.count()).select_from(Item).where(Item.qty > 5)))


@section
def reflection(engine):
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sa_reflect"))
        c.execute(sa.text("CREATE TABLE sa_reflect (id int PRIMARY KEY, label varchar(20) NOT NULL, n bigint)"))
    t = sa.Table("sa_reflect", sa.MetaData(), autoload_with=engine)
    show([(c.name, str(c.type), c.nullable, c.primary_key) for c in t.columns])
    show(sa.inspect(engine).has_table("sa_reflect"), sa.inspect(engine).has_table("nope"))
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sa_child"))
        c.execute(sa.text("CREATE TABLE sa_child (id int PRIMARY KEY, parent int REFERENCES sa_reflect (id), "
                          "code text UNIQUE, a int, b int)"))
        c.execute(sa.text("CREATE INDEX sa_child_ab ON sa_child (a, b)"))
    insp = sa.inspect(engine)
    show(insp.get_pk_constraint("sa_child"))
    show(insp.get_foreign_keys("sa_child"))
    show(sorted((i["name"], i["column_names"], i["unique"]) for i in insp.get_indexes("sa_child")))
    show(insp.get_unique_constraints("sa_child"))
    show(sorted(n for n in insp.get_table_names() if n.startswith("sa_")))


for fn in SECTIONS:
    print(f"== {fn.__name__}", flush=True)
    engine = sa.create_engine(URL)
    try:
        fn(engine)
    except Exception as e:  # noqa: BLE001 - the transcript shows any failure
        orig = getattr(e, "orig", None)
        show("ERROR", type(orig or e).__name__, getattr(orig, "sqlstate", None))
    finally:
        engine.dispose()
    sys.stdout.flush()
