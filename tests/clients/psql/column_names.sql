-- Result column names (PostgreSQL's FigureColname): run by tests/it/psql_meta.rs through
-- psql against PostgreSQL 15 and Strata; the printouts must be identical.
select extract(year from date '2024-01-01'), date '2024-01-01', interval '1 day', timestamp '2024-01-01';
select '1'::integer, '1'::double precision, 'a'::char(3), '{}'::text[], '1'::numeric(5,2), '1'::bigint;
select now() at time zone 'UTC' is not null, (now() at time zone 'UTC') is not null;
select array[1], 'a' collate "C", '1'::jsonb, true, false, null;
select current_date = current_date, null::uuid, 'x'::bytea, 1::float4, '10:00'::time, '2024-01-01'::timestamptz;
select coalesce(1, 2), nullif(1, 2), greatest(1, 2), least(1, 2), case when true then 1 end, exists(select 1);
select position('b' in 'abc'), substring('abc' from 2), trim('  a '), trim(leading 'x' from 'xa'), upper('a'), 1 + 1, -1, (select 1 as one), array(select 1);
select count(*), sum(1), max(1), row(1, 2), (1, 2), cast(1 as text), 1::text::int, ceil(1.5), floor(1.5);
select x.a, t.* from (select 1 as a, 2 as b) x, lateral (select x.a + 1) t;
select current_user = current_user, session_user = session_user, current_schema, localtimestamp is not null;
select case when true then 1 end::text, (1::int)::text, ('a')::text, now()::date, x::text from (select 1 as x) s;
