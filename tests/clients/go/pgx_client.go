// pgx (v4, Debian's golang-github-jackc-pgx-v4-dev) against a PostgreSQL-compatible server:
// prints a transcript in sections (`== name`) that must read the same on Strata and on
// PostgreSQL 15.
//
// Usage (GOPATH mode, offline, with Debian's Go sources):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go run pgx_client.go postgresql://user@host:port/db
//
// pgx speaks the extended protocol: it prepares every query (a statement cache keyed by the
// SQL), reads the parameter types from ParameterDescription and then sends parameters and
// asks for results in binary for every type it has a binary codec for (integers, floats,
// numeric, bool, bytea, date, timestamp(tz), interval, uuid, jsonb, arrays). CopyFrom is a
// binary COPY; SendBatch pipelines many Parse/Bind/Execute before one Sync. Each section
// runs on a fresh connection; an error ends that section and is printed with its SQLSTATE.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

var ctx = context.Background()

type section struct {
	name string
	run  func(c *pgx.Conn) error
}

// show prints one transcript line: the values formatted by fmtv, joined by " | ".
func show(values ...interface{}) {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmtv(v)
	}
	fmt.Println(strings.Join(parts, " | "))
}

// fmtv formats a value the same way whichever server produced it (no pointers, no
// map-order dependence, times in UTC).
func fmtv(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return fmt.Sprintf("%q", x)
	case []byte:
		return fmt.Sprintf("bytes(%x)", x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999999Z07:00") + "@" + locName(x)
	case time.Duration:
		return x.String()
	case error:
		return describe(x)
	case pgconn.CommandTag:
		return "tag(" + x.String() + ")"
	case map[string]interface{}:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + fmtv(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []interface{}:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtv(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case pgtype.TextEncoder:
		buf, err := x.EncodeText(pgtype.NewConnInfo(), nil)
		if err != nil {
			return "encode error: " + err.Error()
		}
		if buf == nil {
			return fmt.Sprintf("%T(NULL)", v)
		}
		return fmt.Sprintf("%T(%s)", v, buf)
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func locName(t time.Time) string {
	if t.Location() == time.UTC {
		return "UTC"
	}
	_, off := t.Zone()
	return fmt.Sprintf("offset%+d", off)
}

// describe prints an error by its PostgreSQL fields, or by its Go type for a client-side one.
func describe(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return fmt.Sprintf("PgError %s %s %q detail=%q constraint=%q table=%q column=%q position=%d",
			pg.Severity, pg.Code, pg.Message, pg.Detail, pg.ConstraintName, pg.TableName,
			pg.ColumnName, pg.Position)
	}
	return fmt.Sprintf("client error %T: %s", err, err)
}

// rowsOf reads every row of a query as decoded values, with the result's column types and
// formats (1 = binary) first.
func rowsOf(c *pgx.Conn, sql string, args ...interface{}) error {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		oid := fmt.Sprint(f.DataTypeOID)
		if f.DataTypeOID >= 16384 {
			oid = "user" // a type made by this script: its OID differs between servers
		}
		cols = append(cols, fmt.Sprintf("%s:%s/%d", f.Name, oid, f.Format))
	}
	show(strings.Join(cols, ","))
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		show(vals...)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	show(rows.CommandTag())
	return nil
}

var sections = []section{
	{"connect", func(c *pgx.Conn) error {
		show(strings.Split(c.PgConn().ParameterStatus("server_version"), ".")[0])
		show(c.PgConn().ParameterStatus("client_encoding"), c.PgConn().ParameterStatus("DateStyle"),
			c.PgConn().ParameterStatus("integer_datetimes"),
			c.PgConn().ParameterStatus("standard_conforming_strings"))
		var n int
		if err := c.QueryRow(ctx, "SELECT 1 + $1::int", 41).Scan(&n); err != nil {
			return err
		}
		show(n)
		return c.Ping(ctx)
	}},

	{"scalar_round_trips", func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
			return err
		}
		var num pgtype.Numeric
		if err := num.Set("12345678901234567890.000000000123"); err != nil {
			return err
		}
		var neg pgtype.Numeric
		if err := neg.Set("-0.5"); err != nil {
			return err
		}
		var iv pgtype.Interval
		if err := iv.Set(40*24*time.Hour + 3661*time.Second + 5*time.Microsecond); err != nil {
			return err
		}
		uuid := [16]byte{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78}
		est := time.FixedZone("EST", -5*3600)
		cases := []struct {
			typ string
			v   interface{}
		}{
			{"int2", int16(-7)}, {"int4", int32(math.MinInt32)}, {"int8", int64(math.MaxInt64)},
			{"float4", float32(1.5)}, {"float8", 1e300}, {"float8", math.Inf(-1)},
			{"numeric", &num}, {"numeric", &neg}, {"numeric(10,3)", 3.14159},
			{"bool", true}, {"text", "héllo\tworld"}, {"varchar", "v"}, {"bpchar", "c"},
			{"name", "a_name"}, {"bytea", []byte{0, 0xff, '\'', '\\'}},
			{"uuid", uuid}, {"date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
			{"timestamp", time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC)},
			{"timestamptz", time.Date(2024, 5, 1, 12, 30, 0, 0, est)},
			{"interval", &iv}, {"oid", uint32(1234)},
			{"json", map[string]interface{}{"a": []interface{}{1, 2}}},
			{"jsonb", map[string]interface{}{"b": 1, "a": []interface{}{true, nil}}},
			{"int4[]", []int32{1, 2, 3}}, {"text[]", []string{"a", "b c", ""}},
			{"int8[]", []int64{}}, {"float8[]", []float64{1.5, -2.5}},
			{"bool[]", []bool{true, false}}, {"bytea[]", [][]byte{{1, 2}, {}}},
		}
		for _, tc := range cases {
			var got interface{}
			err := c.QueryRow(ctx, "SELECT $1::"+tc.typ, tc.v).Scan(&got)
			if err != nil {
				show(tc.typ, err)
				continue
			}
			show(tc.typ, got)
		}
		return nil
	}},

	{"typed_scans", func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET TimeZone = 'America/New_York'"); err != nil {
			return err
		}
		var (
			i2  int16
			i4  int32
			i8  int64
			f4  float32
			f8  float64
			s   string
			b   bool
			bs  []byte
			d   time.Time
			ts  time.Time
			tz  time.Time
			n   pgtype.Numeric
			iv  pgtype.Interval
			u   pgtype.UUID
			js  map[string]interface{}
			arr []int32
			ta  []string
			na  pgtype.NumericArray
			ns  *string
			ni  *int64
		)
		err := c.QueryRow(ctx, `SELECT 1::int2, 2::int4, 3::int8, 1.25::float4, 2.5::float8, 'text'::text,
			true, '\xdeadbeef'::bytea, '2000-01-02'::date, '2001-02-03 04:05:06.789'::timestamp,
			'2001-02-03 04:05:06+02'::timestamptz, 123.4500::numeric, '1 year 2 mons 3 days 04:05:06'::interval,
			'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"k": [1, "two", null]}'::jsonb,
			ARRAY[1, 2, 3], ARRAY['x', NULL::text, 'z'], ARRAY[1.5, 2.25]::numeric[], NULL::text, NULL::int8`).
			Scan(&i2, &i4, &i8, &f4, &f8, &s, &b, &bs, &d, &ts, &tz, &n, &iv, &u, &js, &arr, &ta, &na, &ns, &ni)
		if err != nil {
			// []string cannot hold the NULL: pgx says so, the same on both servers.
			show(err)
		}
		err = c.QueryRow(ctx, `SELECT 1::int2, 2::int4, 3::int8, 1.25::float4, 2.5::float8, 'text'::text,
			true, '\xdeadbeef'::bytea, '2000-01-02'::date, '2001-02-03 04:05:06.789'::timestamp,
			'2001-02-03 04:05:06+02'::timestamptz, 123.4500::numeric, '1 year 2 mons 3 days 04:05:06'::interval,
			'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"k": [1, "two", null]}'::jsonb,
			ARRAY[1, 2, 3], ARRAY['x', 'y', 'z'], ARRAY[1.5, 2.25]::numeric[], NULL::text, NULL::int8`).
			Scan(&i2, &i4, &i8, &f4, &f8, &s, &b, &bs, &d, &ts, &tz, &n, &iv, &u, &js, &arr, &ta, &na, &ns, &ni)
		if err != nil {
			return err
		}
		show(i2, i4, i8, f4, f8, s, b, bs)
		show(d, ts, tz, n, iv, u)
		show(js, fmt.Sprint(arr), fmt.Sprint(ta), na, ns == nil, ni == nil)
		// Values() decodes by the result's type OIDs.
		return rowsOf(c, `SELECT 1::int2 AS a, 'x'::varchar(3) AS b, '2020-01-01'::date AS c,
			'[1,2]'::json AS d, '{1.5,NULL}'::float8[] AS e, 'ab'::char(3) AS f, 12::oid AS g,
			'1 day'::interval AS h`)
	}},

	{"table_round_trip", func(c *pgx.Conn) error {
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_items",
			`CREATE TABLE gx_items (id serial PRIMARY KEY, name text NOT NULL, qty int2, big int8,
				price numeric(10,2), ratio float8, ok bool, data bytea, born date, seen timestamp,
				at timestamptz, dur interval, tag uuid, doc jsonb, tags text[], nums int4[])`,
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		var price pgtype.Numeric
		_ = price.Set("19.99")
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		tag := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
		ins := `INSERT INTO gx_items (name, qty, big, price, ratio, ok, data, born, seen, at, dur, tag, doc, tags, nums)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`
		for i := 0; i < 3; i++ {
			var id int32
			err := c.QueryRow(ctx, ins, fmt.Sprintf("item%d", i), int16(i), int64(i)<<40, &price,
				float64(i)/4, i%2 == 0, []byte{byte(i), 0xab}, at.AddDate(0, 0, i), at.Add(time.Duration(i)*time.Hour),
				at, time.Duration(i)*time.Minute, tag, map[string]interface{}{"i": i}, []string{"a", fmt.Sprint(i)},
				[]int32{int32(i), -1}).Scan(&id)
			if err != nil {
				return err
			}
			show("inserted", id)
		}
		// NULLs for every nullable column.
		tagged, err := c.Exec(ctx, `INSERT INTO gx_items (name, qty, big, price, ratio, ok, data, born, seen, at, dur,
			tag, doc, tags, nums) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			"nulls", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
		if err != nil {
			return err
		}
		show(tagged)
		if err := rowsOf(c, "SELECT * FROM gx_items WHERE id > $1 ORDER BY id", 0); err != nil {
			return err
		}
		tagged, err = c.Exec(ctx, "UPDATE gx_items SET qty = qty + $1 WHERE ok = $2", int16(10), true)
		if err != nil {
			return err
		}
		show(tagged, tagged.RowsAffected(), tagged.Update())
		tagged, err = c.Exec(ctx, "DELETE FROM gx_items WHERE name = ANY($1)", []string{"item1", "nope"})
		if err != nil {
			return err
		}
		show(tagged, tagged.RowsAffected(), tagged.Delete())
		return rowsOf(c, "SELECT id, qty, name FROM gx_items ORDER BY id")
	}},

	{"simple_protocol", func(c *pgx.Conn) error {
		// QuerySimpleProtocol interpolates the arguments client-side and sends one Query.
		var s string
		var n int64
		err := c.QueryRow(ctx, "SELECT $1::text || 'x', $2::int8 * 2", pgx.QuerySimpleProtocol(true),
			"it's", int64(21)).Scan(&s, &n)
		if err != nil {
			return err
		}
		show(s, n)
		if err := rowsOf(c, "SELECT $1::date, $2::bytea, $3::float8", pgx.QuerySimpleProtocol(true),
			time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC), []byte("hi"), 0.1); err != nil {
			return err
		}
		// The result formats asked for explicitly: every column in text.
		return rowsOf(c, "SELECT 1::int4, 2.5::numeric, now() IS NOT NULL",
			pgx.QueryResultFormats{pgx.TextFormatCode})
	}},

	{"prepared", func(c *pgx.Conn) error {
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_prep",
			"CREATE TABLE gx_prep (k int PRIMARY KEY, v text)",
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		sd, err := c.Prepare(ctx, "ins", "INSERT INTO gx_prep VALUES ($1, $2)")
		if err != nil {
			return err
		}
		show(sd.Name, fmt.Sprint(sd.ParamOIDs), len(sd.Fields))
		for i := 0; i < 5; i++ {
			if _, err := c.Exec(ctx, "ins", i, fmt.Sprintf("v%d", i)); err != nil {
				return err
			}
		}
		sd, err = c.Prepare(ctx, "get", "SELECT v, k * 2 AS dbl FROM gx_prep WHERE k >= $1 ORDER BY k")
		if err != nil {
			return err
		}
		var fields []string
		for _, f := range sd.Fields {
			fields = append(fields, fmt.Sprintf("%s:%d", f.Name, f.DataTypeOID))
		}
		show(fmt.Sprint(sd.ParamOIDs), strings.Join(fields, ","))
		if err := rowsOf(c, "get", 3); err != nil {
			return err
		}
		if err := c.Deallocate(ctx, "get"); err != nil {
			return err
		}
		_, err = c.Exec(ctx, "EXECUTE get(1)")
		show(err)
		// The same SQL text again: pgx's statement cache reuses its prepared statement.
		for i := 0; i < 3; i++ {
			var v string
			if err := c.QueryRow(ctx, "SELECT v FROM gx_prep WHERE k = $1", i).Scan(&v); err != nil {
				return err
			}
			show(v)
		}
		return nil
	}},

	{"transactions", func(c *pgx.Conn) error {
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_tx",
			"CREATE TABLE gx_tx (id int PRIMARY KEY)",
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO gx_tx VALUES ($1)", 1); err != nil {
			return err
		}
		// A nested transaction is a savepoint.
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := sp.Exec(ctx, "INSERT INTO gx_tx VALUES ($1)", 2); err != nil {
			return err
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		sp, err = tx.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := sp.Exec(ctx, "INSERT INTO gx_tx VALUES ($1)", 3); err != nil {
			return err
		}
		if err := sp.Commit(ctx); err != nil {
			return err
		}
		// A failed statement inside a savepoint, rolled back to it.
		sp, err = tx.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = sp.Exec(ctx, "INSERT INTO gx_tx VALUES ($1)", 1)
		show(err)
		show(c.PgConn().TxStatus())
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		show(c.PgConn().TxStatus())
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		show(c.PgConn().TxStatus())
		tx, err = c.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO gx_tx VALUES (4)"); err != nil {
			return err
		}
		if err := tx.Rollback(ctx); err != nil {
			return err
		}
		// A failed transaction's COMMIT is a rollback: pgx reports ErrTxCommitRollback.
		tx, err = c.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT 1/0")
		show(err)
		show(tx.Commit(ctx) == pgx.ErrTxCommitRollback)
		err = c.BeginTxFunc(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly},
			func(tx pgx.Tx) error {
				var lvl, ro string
				if err := tx.QueryRow(ctx, "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')").Scan(&lvl, &ro); err != nil {
					return err
				}
				show(lvl, ro)
				_, err := tx.Exec(ctx, "INSERT INTO gx_tx VALUES (9)")
				return err
			})
		show(err)
		return rowsOf(c, "SELECT id FROM gx_tx ORDER BY id")
	}},

	{"copy_from", func(c *pgx.Conn) error {
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_copy",
			`CREATE TABLE gx_copy (id int8 PRIMARY KEY, name text, amount numeric(12,3), ok bool,
				at timestamptz, d date, raw bytea, tags text[], doc jsonb, u uuid, f float4, iv interval)`,
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		var amount pgtype.Numeric
		_ = amount.Set("-1234.5")
		var iv pgtype.Interval
		_ = iv.Set(90 * time.Minute)
		base := time.Date(2023, 3, 4, 5, 6, 7, 890000000, time.UTC)
		var rows [][]interface{}
		for i := 0; i < 250; i++ {
			rows = append(rows, []interface{}{int64(i), fmt.Sprintf("n%d", i), &amount, i%3 == 0,
				base.Add(time.Duration(i) * time.Second), base.AddDate(0, 0, i), []byte{byte(i)},
				[]string{"t", fmt.Sprint(i)}, map[string]interface{}{"n": i},
				[16]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, float32(i) / 2, &iv})
		}
		rows = append(rows, []interface{}{int64(1000), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil})
		n, err := c.CopyFrom(ctx, pgx.Identifier{"gx_copy"},
			[]string{"id", "name", "amount", "ok", "at", "d", "raw", "tags", "doc", "u", "f", "iv"},
			pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		show("copied", n)
		if err := rowsOf(c, "SELECT count(*), sum(id), count(name), sum(amount), min(at), max(d) FROM gx_copy"); err != nil {
			return err
		}
		if err := rowsOf(c, "SELECT * FROM gx_copy WHERE id IN (0, 7, 249, 1000) ORDER BY id"); err != nil {
			return err
		}
		// A duplicate key fails the whole COPY.
		_, err = c.CopyFrom(ctx, pgx.Identifier{"gx_copy"}, []string{"id", "name"},
			pgx.CopyFromRows([][]interface{}{{int64(5000), "a"}, {int64(1), "dup"}}))
		show(err)
		// A column that does not exist.
		_, err = c.CopyFrom(ctx, pgx.Identifier{"gx_copy"}, []string{"id", "nope"},
			pgx.CopyFromRows([][]interface{}{{int64(5001), "a"}}))
		show(err)
		return rowsOf(c, "SELECT count(*) FROM gx_copy")
	}},

	{"batch", func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		b.Queue("DROP TABLE IF EXISTS gx_batch")
		b.Queue("CREATE TABLE gx_batch (id int PRIMARY KEY, v text)")
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		b = &pgx.Batch{}
		for i := 0; i < 4; i++ {
			b.Queue("INSERT INTO gx_batch VALUES ($1, $2)", i, fmt.Sprint("b", i))
		}
		b.Queue("SELECT id, v FROM gx_batch WHERE id >= $1 ORDER BY id", 2)
		b.Queue("SELECT count(*) FROM gx_batch")
		b.Queue("UPDATE gx_batch SET v = upper(v) WHERE id < $1", 2)
		br := c.SendBatch(ctx, b)
		for i := 0; i < 4; i++ {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			show(tag)
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int32
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			show(id, v)
		}
		rows.Close()
		var count int64
		if err := br.QueryRow().Scan(&count); err != nil {
			return err
		}
		show(count)
		tag, err := br.Exec()
		show(tag, err == nil)
		if err := br.Close(); err != nil {
			return err
		}
		// A failing statement in the middle: the ones before it in the same implicit
		// transaction are rolled back too.
		b = &pgx.Batch{}
		b.Queue("INSERT INTO gx_batch VALUES ($1, $2)", 10, "ten")
		b.Queue("INSERT INTO gx_batch VALUES ($1, $2)", 1, "dup")
		b.Queue("INSERT INTO gx_batch VALUES ($1, $2)", 11, "eleven")
		br = c.SendBatch(ctx, b)
		for i := 0; i < 3; i++ {
			tag, err := br.Exec()
			show(tag, err)
		}
		show(br.Close())
		return rowsOf(c, "SELECT id, v FROM gx_batch ORDER BY id")
	}},

	{"errors", func(c *pgx.Conn) error {
		for _, sql := range []string{"SELEC 1", "SELECT * FROM nope", "SELECT 1/0", "SELECT 'x'::int",
			"SELECT nope FROM pg_class"} {
			_, err := c.Exec(ctx, sql)
			show(sql, err)
		}
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_child", "DROP TABLE IF EXISTS gx_parent",
			"CREATE TABLE gx_parent (id int PRIMARY KEY, email text UNIQUE, n int CHECK (n > 0))",
			"CREATE TABLE gx_child (id int PRIMARY KEY, parent int NOT NULL REFERENCES gx_parent)",
			"INSERT INTO gx_parent VALUES (1, 'a@x', 1)",
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		for _, tc := range []struct {
			sql  string
			args []interface{}
		}{
			{"INSERT INTO gx_parent VALUES ($1, $2, $3)", []interface{}{1, "b@x", 1}},
			{"INSERT INTO gx_parent VALUES ($1, $2, $3)", []interface{}{2, "a@x", 1}},
			{"INSERT INTO gx_parent VALUES ($1, $2, $3)", []interface{}{3, "c@x", 0}},
			{"INSERT INTO gx_child VALUES ($1, $2)", []interface{}{1, 99}},
			{"INSERT INTO gx_child VALUES ($1, $2)", []interface{}{1, nil}},
			{"SELECT $1::int", []interface{}{"abc"}},
			{"SELECT $1::int2", []interface{}{int64(1 << 40)}},
		} {
			_, err := c.Exec(ctx, tc.sql, tc.args...)
			show(tc.sql, err)
		}
		// The connection is usable afterwards.
		var n int
		if err := c.QueryRow(ctx, "SELECT 42").Scan(&n); err != nil {
			return err
		}
		show(n)
		err := c.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&n)
		show(err == pgx.ErrNoRows)
		return nil
	}},

	{"more_types", func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
			return err
		}
		for _, sql := range []string{
			"DROP TABLE IF EXISTS gx_more", "DROP TYPE IF EXISTS gx_mood",
			"CREATE TYPE gx_mood AS ENUM ('sad', 'happy')",
			`CREATE TABLE gx_more (m gx_mood, t time, r int4range, nr numrange, dr daterange,
				tr tstzrange, ip inet, net cidr, c "char", nm name, ts2 timestamptz[], n2 numeric[],
				i2 int4[][], u2 uuid[], j2 jsonb[], big numeric)`,
		} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, `INSERT INTO gx_more VALUES ('happy', '12:34:56.789', '[1,10)', '(1.5,2.5]',
			'[2024-01-01,2024-02-01)', '[2024-01-01 00:00+00,)', '192.168.0.1/24', '10.0.0.0/8', 'x', 'nm',
			ARRAY['2024-01-01 10:00+00'::timestamptz, NULL], ARRAY[1.5, -2, 'NaN']::numeric[],
			'{{1,2},{3,4}}', ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid],
			ARRAY['{"a": 1}'::jsonb, 'null'], 'NaN')`)
		if err != nil {
			return err
		}
		if err := rowsOf(c, "SELECT * FROM gx_more"); err != nil {
			return err
		}
		// Parameters of those types, typed by the server (ParameterDescription).
		var r pgtype.Int4range
		_ = r.Set("[3,7)")
		var ip pgtype.Inet
		_ = ip.Set("10.1.2.3/32")
		tag, err := c.Exec(ctx, `INSERT INTO gx_more (m, t, r, ip, c, nm, i2, big) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			"sad", "01:02:03", &r, &ip, "y", "other", [][]int32{{5, 6}, {7, 8}}, "1e30")
		if err != nil {
			return err
		}
		show(tag)
		if err := rowsOf(c, "SELECT m, t, r, ip, c, nm, i2, big FROM gx_more WHERE m = $1", "sad"); err != nil {
			return err
		}
		var mood string
		var day time.Time
		if err := c.QueryRow(ctx, "SELECT m, lower(dr) FROM gx_more WHERE m = 'happy'").Scan(&mood, &day); err != nil {
			return err
		}
		show(mood, day)
		return rowsOf(c, "SELECT 'Infinity'::numeric, '-Infinity'::float8, 'infinity'::timestamptz, '-infinity'::date, 1e-20::numeric")
	}},

	{"cancel_and_copy_to", func(c *pgx.Conn) error {
		// A CancelRequest (a separate, unencrypted connection) stops a running statement.
		done := make(chan error, 1)
		go func() {
			_, err := c.Exec(ctx, "SELECT pg_sleep(10)")
			done <- err
		}()
		time.Sleep(500 * time.Millisecond)
		if err := c.PgConn().CancelRequest(ctx); err != nil {
			show("cancel request failed", err)
		}
		select {
		case err := <-done:
			show(err)
		case <-time.After(8 * time.Second):
			show("not canceled")
			<-done
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT 7").Scan(&n); err != nil {
			return err
		}
		show(n)
		// A statement timeout, and a context deadline (pgx cancels, then closes the connection).
		if _, err := c.Exec(ctx, "SET statement_timeout = 200"); err != nil {
			return err
		}
		_, err := c.Exec(ctx, "SELECT pg_sleep(5)")
		show(err)
		if _, err := c.Exec(ctx, "RESET statement_timeout"); err != nil {
			return err
		}
		// COPY TO STDOUT and COPY FROM STDIN in text through pgconn.
		var buf strings.Builder
		tag, err := c.PgConn().CopyTo(ctx, &buf, "COPY (SELECT g, g::text || E'\\t' || 'x', NULL FROM generate_series(1, 3) g) TO STDOUT")
		if err != nil {
			return err
		}
		show(tag, buf.String())
		buf.Reset()
		tag, err = c.PgConn().CopyTo(ctx, &buf, "COPY (SELECT 1 AS a, 'q,\"' AS b) TO STDOUT WITH (FORMAT csv, HEADER)")
		if err != nil {
			return err
		}
		show(tag, buf.String())
		for _, sql := range []string{"DROP TABLE IF EXISTS gx_copy_in", "CREATE TABLE gx_copy_in (a int, b text)"} {
			if _, err := c.Exec(ctx, sql); err != nil {
				return err
			}
		}
		tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\tone\n2\t\\N\n"), "COPY gx_copy_in FROM STDIN")
		show(tag, err)
		_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("x\tone\n"), "COPY gx_copy_in FROM STDIN")
		show(err)
		if err := rowsOf(c, "SELECT * FROM gx_copy_in ORDER BY a"); err != nil {
			return err
		}
		// The lower level: ExecParams with explicit formats, Exec of several statements.
		rr := c.PgConn().ExecParams(ctx, "SELECT $1::int4 + 1, $2::text", [][]byte{{0, 0, 0, 41}, []byte("t")},
			[]uint32{23, 25}, []int16{1, 0}, []int16{1, 0}).Read()
		show(rr.Err, rr.Rows, rr.CommandTag)
		results, err := c.PgConn().Exec(ctx, "SELECT 1; SELECT 'two'; CREATE TEMP TABLE gx_t (x int)").ReadAll()
		if err != nil {
			return err
		}
		for _, res := range results {
			show(res.Rows, res.CommandTag, res.Err)
		}
		return nil
	}},

	{"listen_notify", func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "LISTEN gx_chan"); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, "SELECT pg_notify('gx_chan', $1)", "hello"); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, "NOTIFY gx_chan, 'second'"); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			n, err := c.WaitForNotification(wctx)
			cancel()
			if err != nil {
				return err
			}
			show(n.Channel, n.Payload, n.PID == c.PgConn().PID())
		}
		wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := c.WaitForNotification(wctx)
		cancel()
		show(errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err))
		return nil
	}},
}

func main() {
	url := os.Args[1]
	for _, s := range sections {
		fmt.Println("== " + s.name)
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			fmt.Println("connect error:", describe(err))
			continue
		}
		if err := s.run(c); err != nil {
			fmt.Println("error:", describe(err))
		}
		c.Close(ctx)
	}
}
