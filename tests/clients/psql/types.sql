-- Enum types and domains as psql shows them (\dT, \dT+, \dD, \d): run by
-- tests/it/psql_meta.rs through psql against PostgreSQL 15 and Strata; the printouts must
-- be identical.
create type mood as enum ('sad', 'ok', 'happy');
alter type mood add value 'meh' before 'ok';
create schema ts;
create type ts.color as enum ('red', 'green');
comment on type mood is 'how one feels';
create domain posint as integer default 1 not null check (value > 0);
create domain short_text as text constraint short check (length(value) < 5) check (value <> 'bad');
create domain code as varchar(3);
create table feelings (id posint primary key, m mood not null, ms mood[], note short_text, c code, hue ts.color);
\dT
\dT+
\dT ts.*
\dD
\dD+
\d feelings
select 'happy'::mood, enum_range(null::mood), 3::posint;
select t.typname, e.enumlabel from pg_type t join pg_enum e on e.enumtypid = t.oid order by t.typname, e.enumsortorder;
