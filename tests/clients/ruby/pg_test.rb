# ruby-pg (the `pg` gem, libpq underneath) and ActiveRecord's postgresql adapter against a
# PostgreSQL-compatible server: prints a transcript in sections (`== name`) that must read
# the same on Strata and on PostgreSQL 15.
#
# Usage: ruby pg_test.rb postgresql://user@host:port/db
#
# PG::Connection: exec (simple protocol, several statements at once), exec_params (extended,
# text and binary parameters and results), prepare/exec_prepared/describe_prepared, the basic
# type maps (decoding by result OIDs), copy_data both ways, the PG::Error subclasses chosen
# from the SQLSTATE. ActiveRecord 6.1: on connect it loads its OID type map from pg_type and
# pg_range; a migration (create_table with many column types, add_index, references with a
# foreign key, change_column, rename) reads pg_class, pg_attribute, pg_index, pg_constraint;
# models, associations, transactions with savepoints, and the schema dumper (which lists
# extensions, tables, indexes and foreign keys from the catalog). Each section runs on a fresh
# connection; an exception ends its section and is printed as class and SQLSTATE.
require "pg"
require "bigdecimal"
require "stringio"

URL = ARGV.fetch(0)
SECTIONS = []

def section(name, &blk)
  SECTIONS << [name, blk]
end

# One transcript line: the values' inspect joined by " | ".
def show(*values)
  puts values.map { |v| v.is_a?(BigDecimal) ? "BigDecimal(#{v.to_s("F")})" : v.inspect }.join(" | ")
end

def err(e)
  state = e.respond_to?(:result) && e.result ? e.result.error_field(PG::PG_DIAG_SQLSTATE) : nil
  [e.class.name, state, e.message.lines.first.to_s.strip]
end

def connect
  c = PG.connect(URL)
  c.set_notice_receiver { |r| show("notice", r.error_field(PG::PG_DIAG_SEVERITY), r.error_field(PG::PG_DIAG_MESSAGE_PRIMARY)) }
  c
end

section("connect") do |c|
  show(c.server_version / 10000, c.parameter_status("server_encoding"), c.parameter_status("client_encoding"),
       c.parameter_status("standard_conforming_strings"), c.parameter_status("integer_datetimes"))
  show(c.exec("SELECT 1 + 1 AS two").values, c.transaction_status)
  r = c.exec("SELECT 1 AS a, 'x'::text AS b; SELECT 2 AS c")
  show(r.fields, r.values, r.cmd_tuples, r.cmd_status)
end

section("exec_params") do |c|
  c.exec("DROP TABLE IF EXISTS rb_items")
  c.exec("CREATE TABLE rb_items (id serial PRIMARY KEY, name text, qty int, price numeric(8,2), ok bool, at timestamptz, raw bytea)")
  r = c.exec_params("INSERT INTO rb_items (name, qty, price, ok, at, raw) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    ["a'b", 3, "1.50", "t", "2024-01-02 03:04:05+00", { value: "\x00\x01\xff".b, format: 1 }])
  show(r.values, r.cmd_tuples)
  r = c.exec_params("INSERT INTO rb_items (name, qty) VALUES ($1, $2), ($3, $4)", ["x", nil, nil, 7])
  show(r.cmd_status, r.cmd_tuples)
  r = c.exec_params("SELECT id, name, qty, price, ok, raw FROM rb_items WHERE id >= $1 ORDER BY id", [1])
  show(r.fields, (0...r.nfields).map { |i| [r.ftype(i), r.fformat(i), r.fmod(i)] })
  show(r.values)
  # Binary results: result_format 1.
  r = c.exec_params("SELECT id, qty, raw FROM rb_items WHERE id = $1", [1], 1)
  show((0...r.nfields).map { |i| r.fformat(i) }, r.getvalue(0, 0).bytes, r.getvalue(0, 2).bytes)
  # Typed parameters: {value:, type: oid}.
  r = c.exec_params("SELECT $1 || '!', pg_typeof($1)::text, $2 + 1", [{ value: "hi", type: 25 }, { value: "41", type: 23 }])
  show(r.values)
  show(c.escape_string("it's"), c.escape_literal("it's"), c.escape_identifier("we\"ird"), c.escape_bytea("\x00a".b))
  show(c.quote_ident("Mixed"))
end

section("type_maps") do |c|
  c.exec("SET TimeZone = 'UTC'")
  c.type_map_for_results = PG::BasicTypeMapForResults.new(c)
  c.type_map_for_queries = PG::BasicTypeMapForQueries.new(c)
  r = c.exec(<<~SQL)
    SELECT 1::int2 AS i2, 2::int4 AS i4, 3::int8 AS i8, 1.5::float4 AS f4, 2.25::float8 AS f8,
      12.345::numeric AS n, true AS b, 'txt'::text AS t, 'v'::varchar AS v, '\\x00ff'::bytea AS by,
      '2024-02-29'::date AS d, '2024-05-01 12:30:45.5'::timestamp AS ts,
      '2024-05-01 12:30:45+02'::timestamptz AS tz, '{1,2,NULL}'::int4[] AS ia, '{a,"b c"}'::text[] AS ta,
      '{"k": [1, null]}'::json AS j, '{"k": 2}'::jsonb AS jb, NULL::int AS nul, 26::oid AS o,
      '{{1,2},{3,4}}'::int8[] AS ia2, '1 day 02:00'::interval AS iv, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u
  SQL
  r.fields.zip(r.values.first).each { |f, v| show(f, v.class.name, v) }
  r = c.exec_params("SELECT $1::int8 + 1, $2::float8, $3::text[], $4::bool, $5::timestamptz, $6::numeric",
                    [41, 1.5, ["a", nil, "c"], false, Time.utc(2020, 1, 2, 3, 4, 5), BigDecimal("1.25")])
  show(r.values)
end

section("prepared") do |c|
  c.exec("DROP TABLE IF EXISTS rb_prep")
  c.exec("CREATE TABLE rb_prep (k int PRIMARY KEY, v text)")
  r = c.prepare("ins", "INSERT INTO rb_prep VALUES ($1, $2)")
  show(r.cmd_status, r.result_status == PG::PGRES_COMMAND_OK)
  5.times { |i| c.exec_prepared("ins", [i, "v#{i}"]) }
  c.prepare("get", "SELECT v, k * 2 AS dbl FROM rb_prep WHERE k >= $1 ORDER BY k")
  d = c.describe_prepared("get")
  show(d.nparams, d.paramtype(0), d.fields, (0...d.nfields).map { |i| d.ftype(i) })
  show(c.exec_prepared("get", [3]).values)
  show(c.exec("SELECT name, statement, parameter_types::text FROM pg_prepared_statements ORDER BY name").values)
  c.exec("DEALLOCATE get")
  begin
    c.exec_prepared("get", [1])
  rescue PG::Error => e
    show(*err(e))
  end
  c.prepare("", "SELECT $1::int * 10")
  show(c.exec_prepared("", [4]).values)
end

section("copy") do |c|
  c.exec("DROP TABLE IF EXISTS rb_copy")
  c.exec("CREATE TABLE rb_copy (id int PRIMARY KEY, name text, amount numeric, at date)")
  c.copy_data("COPY rb_copy FROM STDIN") do
    100.times { |i| c.put_copy_data("#{i}\tn#{i}\t#{i}.5\t2024-01-#{(i % 28) + 1}\n") }
    c.put_copy_data("100\t\\N\t\\N\t\\N\n")
  end
  show(c.exec("SELECT count(*), sum(amount), count(name), max(at) FROM rb_copy").values)
  enc = PG::TextEncoder::CopyRow.new
  c.copy_data("COPY rb_copy (id, name) FROM STDIN", enc) do
    c.put_copy_data([200, "tab\there"])
    c.put_copy_data([201, nil])
  end
  lines = []
  c.copy_data("COPY (SELECT * FROM rb_copy WHERE id IN (1, 100, 200, 201) ORDER BY id) TO STDOUT") do
    while (line = c.get_copy_data)
      lines << line
    end
  end
  show(lines)
  dec = PG::TextDecoder::CopyRow.new
  rows = []
  c.copy_data("COPY (SELECT id, name FROM rb_copy WHERE id > 199 ORDER BY id) TO STDOUT WITH (FORMAT csv)") do
    while (line = c.get_copy_data)
      rows << line
    end
  end
  show(rows)
  rows = []
  c.copy_data("COPY rb_copy (id, name) TO STDOUT", dec) do
    while (row = c.get_copy_data)
      rows << row if row[0].to_i > 199
    end
  end
  show(rows)
  begin
    c.copy_data("COPY rb_copy (id, name) FROM STDIN") do
      c.put_copy_data("300\tok\n")
      c.put_copy_data("1\tdup\n")
    end
  rescue PG::Error => e
    show(*err(e))
  end
  begin
    c.copy_data("COPY rb_copy (id) FROM STDIN") do
      c.put_copy_data("not a number\n")
    end
  rescue PG::Error => e
    show(*err(e))
  end
  show(c.exec("SELECT count(*) FROM rb_copy").values)
end

section("errors") do |c|
  ["SELEC 1", "SELECT * FROM nope", "SELECT 1/0", "SELECT 'x'::int", "SELECT nope FROM pg_class",
   "CREATE TABLE rb_bad (x nosuchtype)"].each do |sql|
    c.exec(sql)
    show("no error", sql)
  rescue PG::Error => e
    show(*err(e))
  end
  c.exec("DROP TABLE IF EXISTS rb_child; DROP TABLE IF EXISTS rb_parent")
  c.exec("CREATE TABLE rb_parent (id int PRIMARY KEY, email text UNIQUE, n int CHECK (n > 0))")
  c.exec("CREATE TABLE rb_child (id int PRIMARY KEY, parent int NOT NULL REFERENCES rb_parent)")
  c.exec("INSERT INTO rb_parent VALUES (1, 'a@x', 1)")
  [["INSERT INTO rb_parent VALUES ($1, $2, $3)", [1, "b", 1]],
   ["INSERT INTO rb_parent VALUES ($1, $2, $3)", [2, "a@x", 1]],
   ["INSERT INTO rb_parent VALUES ($1, $2, $3)", [3, "c", 0]],
   ["INSERT INTO rb_child VALUES ($1, $2)", [1, 9]],
   ["INSERT INTO rb_child VALUES ($1, $2)", [1, nil]],
   ["DELETE FROM rb_parent WHERE id = $1", [1]]].each do |sql, params|
    c.exec_params("INSERT INTO rb_child VALUES (5, 1)") if sql.start_with?("DELETE")
    c.exec_params(sql, params)
  rescue PG::Error => e
    r = e.result
    show(*err(e), r.error_field(PG::PG_DIAG_CONSTRAINT_NAME), r.error_field(PG::PG_DIAG_TABLE_NAME),
         r.error_field(PG::PG_DIAG_COLUMN_NAME), r.error_field(PG::PG_DIAG_MESSAGE_DETAIL))
  end
  show(PG::UniqueViolation.ancestors.take(4), PG::ERROR_CLASSES["40001"])
  c.exec("BEGIN")
  begin
    c.exec("SELECT 1/0")
  rescue PG::DivisionByZero => e
    show(*err(e), c.transaction_status == PG::PQTRANS_INERROR)
  end
  begin
    c.exec("SELECT 1")
  rescue PG::InFailedSqlTransaction => e
    show(*err(e))
  end
  c.exec("ROLLBACK")
  c.exec("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$")
  begin
    c.exec("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'custom'; END $$")
  rescue PG::InvalidParameterValue => e
    show(*err(e))
  end
  show(c.exec("SELECT 42").values)
end

section("transactions") do |c|
  c.exec("DROP TABLE IF EXISTS rb_tx")
  c.exec("CREATE TABLE rb_tx (id int PRIMARY KEY)")
  c.transaction do |t|
    t.exec("INSERT INTO rb_tx VALUES (1)")
    t.exec("SAVEPOINT s1")
    t.exec("INSERT INTO rb_tx VALUES (2)")
    t.exec("ROLLBACK TO SAVEPOINT s1")
    show(t.transaction_status)
  end
  begin
    c.transaction do |t|
      t.exec("INSERT INTO rb_tx VALUES (3)")
      raise "boom"
    end
  rescue RuntimeError => e
    show(e.message)
  end
  show(c.exec("SELECT id FROM rb_tx ORDER BY id").column_values(0), c.transaction_status)
end

section("listen_notify") do |c|
  c.exec("LISTEN rb_chan")
  c.exec("NOTIFY rb_chan, 'one'")
  c.exec_params("SELECT pg_notify($1, $2)", ["rb_chan", "two"])
  2.times do
    c.wait_for_notify(5) { |ch, pid, payload| show(ch, payload, pid == c.backend_pid) }
  end
  show(c.wait_for_notify(0.2))
end

# ---- ActiveRecord ----------------------------------------------------------------------

def ar_connect
  require "active_record"
  ActiveRecord::Base.logger = nil
  ActiveRecord::Migration.verbose = false
  ActiveRecord::Base.establish_connection(URL)
  ActiveRecord::Base.connection
end

def ar_section(name, &blk)
  section(name) do |c|
    c.close
    blk.call(ar_connect)
  end
end

ar_section("ar_connect") do |conn|
  show(conn.adapter_name, conn.active?, conn.database_version / 10000, conn.supports_ddl_transactions?)
  show(conn.select_value("SELECT 1 + 1"), conn.select_rows("SELECT 'a', 2"), conn.current_database.class.name)
  show(conn.extension_enabled?("plpgsql"), conn.schema_search_path, conn.encoding, conn.collation.class.name)
end

ar_section("ar_migration") do |conn|
  %w[ar_comments ar_posts ar_authors].each { |t| conn.drop_table(t, if_exists: true) }
  ActiveRecord::Schema.define do
    create_table :ar_authors do |t|
      t.string :name, null: false, limit: 80
      t.string :email
      t.integer :age
      t.boolean :active, default: true, null: false
      t.timestamps
    end
    add_index :ar_authors, :email, unique: true
    create_table :ar_posts do |t|
      t.references :ar_author, foreign_key: true, null: false
      t.string :title, null: false
      t.text :body
      t.decimal :rating, precision: 4, scale: 2
      t.float :score
      t.bigint :views, default: 0
      t.date :published_on
      t.datetime :published_at
      t.time :slot
      t.binary :blob
      t.json :meta
      t.jsonb :extra, default: {}
      t.uuid :token
      t.string :tags, array: true, default: []
      t.integer :nums, array: true
      t.interval :dur
      t.timestamps
    end
    add_index :ar_posts, [:ar_author_id, :published_on], name: "ar_posts_author_day"
    create_table :ar_comments, id: :bigint do |t|
      t.references :ar_post, foreign_key: { on_delete: :cascade }
      t.string :text, default: "none"
    end
    add_column :ar_comments, :flagged, :boolean, default: false
    change_column :ar_comments, :text, :text
    rename_column :ar_comments, :text, :body
    change_column_null :ar_comments, :body, false, "none"
    change_column_default :ar_comments, :flagged, from: false, to: true
  end
  show(conn.tables.sort.grep(/^ar_/), conn.table_exists?(:ar_posts), conn.data_source_exists?("ar_nope"))
end

ar_section("ar_introspection") do |conn|
  %w[ar_authors ar_posts ar_comments].each do |t|
    show(t, conn.primary_key(t))
    conn.columns(t).each do |col|
      show(col.name, col.sql_type, col.type, col.null, col.default, col.default_function, col.limit,
           col.precision, col.scale, col.array?)
    end
    conn.indexes(t).sort_by(&:name).each do |ix|
      show("index", ix.name, ix.columns, ix.unique, ix.where, ix.using, ix.orders)
    end
    conn.foreign_keys(t).sort_by(&:name).each do |fk|
      show("fk", fk.to_table, fk.column, fk.primary_key, fk.on_delete, fk.on_update, fk.name.start_with?("fk_rails_"))
    end
  end
  show(conn.index_exists?(:ar_authors, :email, unique: true), conn.column_exists?(:ar_posts, :views, :bigint),
       conn.foreign_key_exists?(:ar_comments, :ar_posts))
  show(conn.views, conn.pk_and_sequence_for("ar_posts").map(&:to_s))
  show(conn.serial_sequence("ar_posts", "id"))
end

ar_section("ar_models") do |conn|
  Object.const_set(:ArAuthor, Class.new(ActiveRecord::Base) { self.table_name = "ar_authors"; has_many :ar_posts, dependent: :destroy })
  Object.const_set(:ArPost, Class.new(ActiveRecord::Base) {
    self.table_name = "ar_posts"
    belongs_to :ar_author
    has_many :ar_comments, dependent: :delete_all
    validates :title, presence: true
  })
  Object.const_set(:ArComment, Class.new(ActiveRecord::Base) { self.table_name = "ar_comments"; belongs_to :ar_post })
  ActiveRecord::Base.default_timezone = :utc
  a = ArAuthor.create!(name: "Ann", email: "ann@x", age: 30)
  b = ArAuthor.create!(name: "Bob", email: "bob@x")
  show(a.id, b.id, a.active, b.age, a.created_at.class.name)
  p1 = a.ar_posts.create!(title: "First", body: "hello", rating: BigDecimal("4.25"), score: 1.5, views: 10,
                          published_on: Date.new(2024, 1, 2), published_at: Time.utc(2024, 1, 2, 3, 4, 5),
                          slot: "10:30", blob: "\x00\x01".b, meta: { "a" => [1, 2] }, extra: { "k" => "v" },
                          token: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", tags: %w[x y], nums: [1, 2, 3], dur: "P1DT2H")
  a.ar_posts.create!(title: "Second", views: 5, published_on: Date.new(2024, 1, 3))
  b.ar_posts.create!(title: "Third", views: 7)
  p1.ar_comments.create!(body: "c1")
  p1.ar_comments.create!(body: "c2", flagged: false)
  p = ArPost.find(p1.id)
  show(p.title, p.rating, p.score, p.views, p.published_on, p.published_at.utc.iso8601, p.slot.strftime("%H:%M"),
       p.blob.bytes, p.meta, p.extra, p.token, p.tags, p.nums, p.dur.inspect)
  show(ArPost.where("views > ?", 6).order(:id).pluck(:title), ArPost.where(ar_author: a).count,
       ArPost.where(tags: nil).count, ArPost.where("'x' = ANY(tags)").pluck(:title))
  show(ArAuthor.joins(:ar_posts).group("ar_authors.name").order("ar_authors.name").sum(:views))
  show(ArAuthor.includes(:ar_posts).order(:id).map { |x| [x.name, x.ar_posts.map(&:title).sort] })
  show(ArPost.find_by(title: "Second").ar_author.name, p.ar_comments.order(:id).pluck(:body, :flagged))
  show(ArPost.where(ar_author_id: a.id).maximum(:views), ArPost.average(:views).to_s, ArPost.minimum(:published_on))
  p.update!(views: p.views + 1, extra: p.extra.merge("n" => 1), tags: p.tags + ["z"])
  show(p.reload.views, p.extra, p.tags)
  ArPost.where(title: "Third").update_all(views: 100)
  show(ArPost.order(views: :desc).first.title, ArPost.exists?(title: "Nope"))
  begin
    ArAuthor.create!(name: "Dup", email: "ann@x")
  rescue ActiveRecord::RecordNotUnique => e
    show(e.class.name, e.cause.class.name)
  end
  begin
    ArPost.create!(title: "Orphan", ar_author_id: 999)
  rescue ActiveRecord::InvalidForeignKey, ActiveRecord::RecordInvalid => e
    show(e.class.name)
  end
  begin
    ArPost.connection.execute("INSERT INTO ar_posts (ar_author_id, title, created_at, updated_at) VALUES (999, 't', now(), now())")
  rescue ActiveRecord::InvalidForeignKey => e
    show(e.class.name, e.cause.class.name)
  end
  begin
    ArAuthor.create!(name: nil)
  rescue ActiveRecord::NotNullViolation => e
    show(e.class.name)
  end
  r = ArAuthor.upsert_all([{ name: "Ann2", email: "ann@x", created_at: Time.now, updated_at: Time.now },
                           { name: "Cy", email: "cy@x", created_at: Time.now, updated_at: Time.now }],
                          unique_by: :email, returning: %w[name email])
  show(r.rows.sort)
  ArAuthor.insert_all([{ name: "Dee", email: "ann@x", created_at: Time.now, updated_at: Time.now }])
  show(ArAuthor.order(:email).pluck(:name, :email))
  b.destroy
  show(ArAuthor.count, ArPost.count, ArComment.count)
  p.destroy
  show(ArPost.count, ArComment.count)
end

ar_section("ar_transactions") do |conn|
  conn.create_table(:ar_tx, force: true) { |t| t.integer :n }
  m = Class.new(ActiveRecord::Base) { self.table_name = "ar_tx" }
  ActiveRecord::Base.transaction do
    m.create!(n: 1)
    ActiveRecord::Base.transaction(requires_new: true) do
      m.create!(n: 2)
      raise ActiveRecord::Rollback
    end
    ActiveRecord::Base.transaction(requires_new: true) do
      m.create!(n: 3)
    end
  end
  begin
    ActiveRecord::Base.transaction do
      m.create!(n: 4)
      raise "boom"
    end
  rescue RuntimeError => e
    show(e.message)
  end
  ActiveRecord::Base.transaction(isolation: :serializable) do
    show(conn.select_value("SELECT current_setting('transaction_isolation')"))
  end
  m.transaction do
    row = m.lock.find_by(n: 1)
    row.update!(n: 10)
  end
  show(m.order(:n).pluck(:n), conn.transaction_open?)
  conn.drop_table(:ar_tx)
end

ar_section("ar_schema_changes") do |conn|
  %w[ar_tags ar_labels ar_posts_tags ar_things].each { |t| conn.drop_table(t, if_exists: true) }
  conn.create_table(:ar_things, comment: "things") do |t|
    t.string :code, null: false, comment: "the code"
    t.integer :qty, default: 1
    t.references :owner, polymorphic: true, index: true
    t.decimal :price, precision: 10, scale: 2
  end
  conn.add_index :ar_things, :code, unique: true, where: "qty > 0", name: "ar_things_live_code"
  conn.add_index :ar_things, [:qty, :code], order: { qty: :desc }, name: "ar_things_qty_desc"
  conn.add_index :ar_things, "lower(code)", name: "ar_things_lower_code"
  conn.add_check_constraint :ar_things, "qty >= 0", name: "ar_things_qty_nonneg"
  show(conn.table_comment("ar_things"), conn.columns("ar_things").map { |c| [c.name, c.comment] })
  conn.indexes("ar_things").sort_by(&:name).each do |ix|
    show(ix.name, ix.columns, ix.unique, ix.where, ix.orders, ix.lengths, ix.opclasses)
  end
  show(conn.check_constraints("ar_things").map { |c| [c.name, c.expression] })
  conn.create_join_table :ar_posts, :ar_tags, table_name: "ar_posts_ar_tags"
  show(conn.columns("ar_posts_ar_tags").map { |c| [c.name, c.sql_type, c.null] }, conn.primary_key("ar_posts_ar_tags"))
  conn.rename_table :ar_things, :ar_items2
  show(conn.primary_key("ar_items2"), conn.serial_sequence("ar_items2", "id"),
       conn.indexes("ar_items2").map(&:name).sort)
  conn.change_column :ar_items2, :qty, :bigint, default: 5
  conn.change_column :ar_items2, :price, :decimal, precision: 12, scale: 3
  conn.rename_index :ar_items2, "ar_things_lower_code", "ar_items2_lower_code"
  conn.remove_index :ar_items2, name: "ar_things_qty_desc"
  conn.remove_check_constraint :ar_items2, name: "ar_things_qty_nonneg"
  conn.remove_column :ar_items2, :owner_type
  show(conn.columns("ar_items2").map { |c| [c.name, c.sql_type, c.default] }, conn.indexes("ar_items2").map(&:name).sort,
       conn.check_constraints("ar_items2").size)
  m = Class.new(ActiveRecord::Base) { self.table_name = "ar_items2" }
  m.create!(code: "a")
  conn.execute("INSERT INTO ar_items2 (id, code) VALUES (50, 'b')")
  conn.reset_pk_sequence!("ar_items2")
  show(m.create!(code: "c").id, m.order(:id).pluck(:id, :code, :qty))
  # Left for the schema dump: check constraints and an expression index over varchar.
  conn.drop_table(:ar_checked, if_exists: true)
  conn.create_table(:ar_checked) do |t|
    t.string :status, null: false
    t.string :code, limit: 8
    t.integer :n
  end
  conn.add_check_constraint :ar_checked, "status IN ('new', 'done') AND code LIKE 'c%'", name: "ar_checked_status"
  conn.add_check_constraint :ar_checked, "n BETWEEN 1 AND 9 OR n IS NULL", name: "ar_checked_n"
  conn.add_index :ar_checked, "lower(status), code", name: "ar_checked_lower"
  show(conn.check_constraints("ar_checked").map { |c| [c.name, c.expression] }.sort)
  conn.drop_join_table :ar_posts, :ar_tags, table_name: "ar_posts_ar_tags"
  conn.drop_table :ar_items2
  show(conn.table_exists?("ar_items2"), conn.table_exists?("ar_posts_ar_tags"))
end

ar_section("ar_schema_dump") do |conn|
  out = StringIO.new
  ActiveRecord::SchemaDumper.ignore_tables = [/^(?!ar_)/]
  ActiveRecord::SchemaDumper.dump(conn, out)
  out.string.lines.each { |l| puts l.rstrip unless l.start_with?("#") || l.strip.empty? || l.include?("version:") }
end

SECTIONS.each do |name, blk|
  puts "== #{name}"
  c = connect
  begin
    blk.call(c)
  rescue StandardError => e
    show("error", *err(e))
    (e.backtrace || []).first(3).each { |l| puts "  at #{l.sub(/^.*gems\//, "")}" } if ENV["RB_TRACE"]
  ensure
    c.close unless c.finished?
  end
  $stdout.flush
end
