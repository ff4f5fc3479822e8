-- Constraint violations with every field psql shows in verbose mode (SCHEMA NAME, TABLE
-- NAME, COLUMN NAME, CONSTRAINT NAME, DETAIL): run by tests/it/psql_meta.rs through psql
-- against PostgreSQL 15 and Strata; the outputs (LOCATION lines aside) must be identical.
\set VERBOSITY verbose
create table cv_p (id int primary key, v varchar(3), n int not null default 0,
                   c int check (c > 0), constraint cv_cc check (n < 100));
create table cv_ch (id int references cv_p (id), u int unique);
insert into cv_p values (1, 'a', 0, 1);
insert into cv_p values (1, 'a', 0, 1);
insert into cv_ch values (2, 1);
insert into cv_ch values (1, 1);
insert into cv_ch values (1, 1);
delete from cv_p;
update cv_p set id = 5;
insert into cv_p values (2, 'a', null, 1);
update cv_p set n = null;
insert into cv_p values (3, 'a', 1, -1);
insert into cv_p values (3, 'a', 101, 1);
insert into cv_p values (3, 'abcd', 1, 1);
insert into cv_p values (3, 'a', 1, 99999999999);
create table cv_d (id int, b int);
insert into cv_d values (null, 1), (null, 1), (null, 7);
create unique index cv_d_b on cv_d (b);
alter table cv_d add constraint cv_dc check (b > 5);
alter table cv_d alter column id set not null;
alter table cv_d add constraint cv_dfk foreign key (b) references cv_p (id);
alter table cv_d add primary key (id);
drop table cv_d;
drop table cv_ch;
drop table cv_p;
