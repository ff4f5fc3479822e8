-- CREATE / DROP EXTENSION as psql prints them (errors, notices, \dx): run by
-- tests/it/psql_meta.rs through psql against PostgreSQL 15 and Strata; the outputs
-- (LOCATION lines aside) must be identical.
\set VERBOSITY verbose
\dx
select uuid_generate_v4();
create extension nosuch;
create extension if not exists nosuch;
create extension "uuid-ossp";
create extension "uuid-ossp";
create extension if not exists "uuid-ossp";
create extension plpgsql;
create extension if not exists plpgsql with schema pg_catalog;
create schema ext_s;
create extension pgcrypto with schema ext_s;
\dx
select * from pg_available_extensions where name in ('uuid-ossp', 'pgcrypto', 'plpgsql') order by 1;
select digest('abc', 'sha1');
select ext_s.digest('abc', 'sha1'), uuid_generate_v5(uuid_ns_url(), 'http://x');
select ext_s.digest('abc', 'nope');
select ext_s.gen_random_bytes(0);
drop extension "uuid-ossp";
drop extension "uuid-ossp";
drop extension if exists "uuid-ossp", nosuch;
drop schema ext_s;
drop schema ext_s cascade;
drop extension pgcrypto;
\dx
