-- Error messages with their positions (psql's LINE and caret), SQLSTATEs and HINTs: run
-- by tests/it/psql_meta.rs through psql against PostgreSQL 15 and Strata; the two
-- outputs (LOCATION lines aside) must be identical.
\set VERBOSITY verbose
create table err_t (id int primary key, name text, n int);
-- syntax errors
selec 1;
select 1 +;
select 1 from;
select 1 +
;
select * from err_t where;
-- names that do not exist
select nocol from err_t;
select id, name,
       nocol2
  from err_t;
select err_t.nocol from err_t;
select x.id from err_t;
select * from nosuch;
select * from err_t, nosuch2 where true;
select * from public.nosuch3;
select * from nosch.err_t;
insert into nosuch4 values (1);
update nosuch5 set a = 1;
delete from nosuch6;
select "Id" from err_t;
select id from err_t a, err_t b;
select abs('x', 2);
select pg_catalog.nosuchfn(1);
select abs(nocol3) from err_t;
select 1 + 'a'::text;
select length(1 + 'a'::text);
select 'a'::text - 1;
select id from err_t group by name;
select * from err_t where count(*) > 1;
-- literals that do not read as their type
select 'abc'::int;
select '99999999999'::int;
select 'not a date'::date;
select 1::date;
insert into err_t values ('x');
select * from err_t where id = 'x';
-- in subqueries, CTEs, ORDER BY / GROUP BY, casts, DML targets
create view err_v as select id, name from err_t;
select (select nocol from err_t) from err_t;
select * from err_t where id in (select nocol from err_t);
with c as (select id from err_t) select name from c;
select * from err_t order by nocol;
select * from err_t order by 5;
select id from err_t group by 3;
select row_number() from err_t;
select cast('x' as date);
select date 'foo';
select id::nosuchtype from err_t;
select err_v.nocol from err_v;
select * from nosuchfn2();
select id from err_t where name ~ 1;
select lower(id) from err_t;
select 'a' || nocol from err_t;
select case when nocol then 1 end from err_t;
select coalesce(nocol, 1) from err_t;
select array[1, 'x'];
select '{1,2'::int[];
select 1 in (select 'a'::text);
select 1 not in (select 'a'::text);
select x from (select 1) s;
select s.x from (select 1 as y) s;
update err_t set nocol = 1;
update err_t set id = 'x';
insert into err_t (nocol) values (1);
select * from err_v where nme = 'a';
select * from err_t a join err_t b on a.id = b.id where nme = 'a';
drop view err_v;
-- errors PostgreSQL reports without a position
select 1/0;
select (select 1 union select 2);
drop table nosuch7;
drop table err_t;
