-- Malformed json / jsonb input with PostgreSQL's DETAIL and CONTEXT, and nested aggregate
-- calls with their position: run by tests/it/psql_meta.rs through psql against
-- PostgreSQL 15 and Strata; the outputs (LOCATION lines aside) must be identical.
\set VERBOSITY verbose
select '{"a":x}'::json;
select '{"a":'::json;
select '{"a":1,
 "b": x}'::jsonb;
select '{"a" 1}'::json;
select '{"a":1 "b":2}'::jsonb;
select '{1:2}'::json;
select '{"a":1,}'::json;
select '[1,2'::json;
select '[1 2]'::jsonb;
select '[1,]'::json;
select '[,1]'::json;
select '1 2'::json;
select 'tru'::jsonb;
select '12a'::json;
select '-'::json;
select '1.'::json;
select '"abc'::json;
select '"a\qb"'::json;
select '"\u12"'::json;
select '{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": nope}'::jsonb;
select ''::json;
select '   '::jsonb;
select '@'::json;
create table je (j jsonb, n int);
insert into je values ('{"k": [1, 2, }', 1);
select sum(count(*)) from je;
select n, max(sum(n)) from je group by n;
select count(*) from je where sum(n) > 1;
drop table je;
