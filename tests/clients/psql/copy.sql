-- psql's COPY paths against a PostgreSQL-compatible server: \copy both ways through a file,
-- COPY FROM STDIN inline, COPY TO STDOUT in text and CSV, a failing COPY. Prints a
-- transcript in sections (`== name`) that must read the same on Strata and PostgreSQL 15.
\set ON_ERROR_STOP 0
SET client_min_messages = warning;
\echo == setup
DROP TABLE IF EXISTS pc_src;
DROP TABLE IF EXISTS pc_dst;
CREATE TABLE pc_src (id int PRIMARY KEY, label text, score float8);
CREATE TABLE pc_dst (id int PRIMARY KEY, label text, score float8);
INSERT INTO pc_src SELECT g, 'row ' || g, g / 4.0 FROM generate_series(1, 50) AS g;
UPDATE pc_src SET label = E'tab\there' WHERE id = 3;
UPDATE pc_src SET label = NULL WHERE id = 4;
\echo == copy_to_file_and_back
\copy pc_src TO '/tmp/strata-psql-copy-test.txt'
\copy pc_dst FROM '/tmp/strata-psql-copy-test.txt'
SELECT count(*), sum(score), min(label), max(label) FROM pc_dst;
SELECT label IS NULL FROM pc_dst WHERE id = 4;
SELECT label FROM pc_dst WHERE id = 3;
\echo == copy_csv
COPY (SELECT id, label FROM pc_src WHERE id IN (3, 4, 5) ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
\echo == copy_from_stdin
DELETE FROM pc_dst;
COPY pc_dst (id, label) FROM STDIN;
100	alpha
101	\N
\.
SELECT id, label, score FROM pc_dst ORDER BY id;
\echo == copy_error
COPY pc_dst FROM STDIN;
200	ok	1
oops	bad	2
\.
SELECT count(*) FROM pc_dst;
