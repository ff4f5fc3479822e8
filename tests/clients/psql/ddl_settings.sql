-- ALTER INDEX ... RENAME, ALTER DATABASE / ALTER ROLE ... SET and RESET with psql's \drds:
-- run by tests/it/psql_meta.rs through psql against PostgreSQL 15 and Strata; the outputs
-- (LOCATION lines aside) must be identical.
\set VERBOSITY verbose
create table ai(a int); create index ai_a on ai(a);
alter index ai_a rename to ai_b;
alter index if exists nosuch rename to x;
alter index nosuch rename to x;
alter index if exists ai_b rename to ai_c;
alter database postgres set work_mem = '8MB';
alter database postgres set search_path to public, pg_catalog;
alter database nosuchdb set work_mem = '8MB';
alter database postgres set nosuchparam = 1;
create role ds_r;
alter role ds_r set statement_timeout = '5s';
alter role ds_r in database postgres set work_mem = '16MB';
alter role ds_r set application_name = 'x';
alter role ds_r in database nosuchdb set work_mem = '16MB';
\drds
select setdatabase <> 0, setrole <> 0, setconfig from pg_db_role_setting order by 1, 2;
alter database postgres reset work_mem;
alter database postgres reset all;
alter role ds_r reset all;
\drds
alter role ds_r in database postgres reset all;
\drds
drop table ai;
drop role ds_r;
