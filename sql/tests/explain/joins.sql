-- Hash joins, join order and predicate pushdown.
CREATE TABLE t1 (a int PRIMARY KEY, b int, c text);
CREATE TABLE t2 (x int PRIMARY KEY, y int, z text);
CREATE TABLE t3 (p int, q int);
CREATE INDEX t3_p ON t3 (p);
INSERT INTO t1 VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, NULL), (4, NULL, 'd');
INSERT INTO t2 VALUES (10, 1, 'a'), (20, 2, 'x'), (40, 4, NULL);
INSERT INTO t3 VALUES (1, 100), (2, 200), (2, 201), (NULL, 300);

-- An equi-join is a hash join; the filters go down to their tables.
EXPLAIN SELECT * FROM t1, t2 WHERE t1.b = t2.x AND t1.a > 1 AND t2.z = 'x';
EXPLAIN ANALYZE SELECT * FROM t1, t2 WHERE t1.b = t2.x AND t1.a > 1 AND t2.z = 'x';

-- Multi-column keys and IS NOT DISTINCT FROM.
EXPLAIN ANALYZE SELECT * FROM t1 JOIN t2 ON t1.b = t2.x AND t1.c = t2.z;
EXPLAIN ANALYZE SELECT * FROM t1 JOIN t2 ON t1.c IS NOT DISTINCT FROM t2.z;

-- Outer joins.
EXPLAIN ANALYZE SELECT * FROM t1 LEFT JOIN t2 ON t1.b = t2.x AND t2.z <> 'q';
EXPLAIN ANALYZE SELECT * FROM t1 RIGHT JOIN t2 ON t1.b = t2.x;
EXPLAIN ANALYZE SELECT * FROM t1 FULL JOIN t2 ON t1.b = t2.x AND t1.a < 3;

-- Three tables chained by the WHERE clause: joined along the equalities, never a cross product.
EXPLAIN SELECT t1.a, t3.q FROM t3, t1, t2 WHERE t2.y = t3.p AND t1.b = t2.x;
EXPLAIN ANALYZE SELECT t1.a, t3.q FROM t3, t1, t2 WHERE t2.y = t3.p AND t1.b = t2.x;

-- No equality: a nested loop with the condition as its join filter.
EXPLAIN ANALYZE SELECT * FROM t1, t2 WHERE t1.b < t2.x;

-- Index and primary-key scans.
EXPLAIN SELECT * FROM t1 WHERE a = 2;
EXPLAIN SELECT * FROM t3 WHERE p >= 2;
EXPLAIN ANALYZE SELECT * FROM t3 WHERE p = 2;

-- Aggregates, sorts, limits.
EXPLAIN ANALYZE SELECT b, count(*) FROM t1 GROUP BY b ORDER BY b DESC LIMIT 2;
EXPLAIN ANALYZE SELECT DISTINCT p FROM t3;
EXPLAIN SELECT count(*) FROM t1;

-- Bounded memory: past work_mem an operator fails with 53200 and the session goes on.
SET work_mem = '64kB';
CREATE TABLE big (k int PRIMARY KEY, v text);
INSERT INTO big SELECT g, 'value number ' || g FROM generate_series(1, 3000) g;
EXPLAIN ANALYZE SELECT * FROM big ORDER BY v;
EXPLAIN ANALYZE SELECT * FROM big b1 JOIN big b2 ON b1.v = b2.v;
EXPLAIN ANALYZE SELECT v, count(*) FROM big GROUP BY v;
SET work_mem = '4MB';
EXPLAIN ANALYZE SELECT count(*) FROM big b1 JOIN big b2 ON b1.v = b2.v;
SET work_mem = '10kB';

-- Correlated EXISTS / NOT EXISTS and IN / NOT IN subqueries become hash semi / anti joins.
CREATE TABLE o (id int PRIMARY KEY, k int);
CREATE TABLE i (id int PRIMARY KEY, k int, flag bool);
INSERT INTO o VALUES (1, 10), (2, 20), (3, NULL), (4, 40);
INSERT INTO i VALUES (1, 10, true), (2, 10, false), (3, 40, false), (4, NULL, true);
EXPLAIN ANALYZE SELECT id FROM o WHERE EXISTS (SELECT 1 FROM i WHERE i.k = o.k AND i.flag);
SELECT id FROM o WHERE EXISTS (SELECT 1 FROM i WHERE i.k = o.k AND i.flag) ORDER BY id;
EXPLAIN ANALYZE SELECT id FROM o WHERE NOT EXISTS (SELECT 1 FROM i WHERE i.k = o.k);
SELECT id FROM o WHERE NOT EXISTS (SELECT 1 FROM i WHERE i.k = o.k) ORDER BY id;
EXPLAIN ANALYZE SELECT id FROM o WHERE k IN (SELECT k FROM i WHERE NOT flag) AND id > 1;
SELECT id FROM o WHERE k IN (SELECT k FROM i WHERE NOT flag) AND id > 1 ORDER BY id;
EXPLAIN ANALYZE SELECT id FROM o WHERE k NOT IN (SELECT k FROM i WHERE flag);
SELECT id FROM o WHERE k NOT IN (SELECT k FROM i WHERE flag) ORDER BY id;
SELECT id FROM o WHERE k NOT IN (SELECT k FROM i WHERE i.k IS NOT NULL) ORDER BY id;
SELECT id FROM o WHERE k NOT IN (SELECT k FROM i WHERE false) ORDER BY id;
-- A correlated NOT IN: the correlation keys pick each outer row's values (one pass over i).
EXPLAIN ANALYZE SELECT id FROM o WHERE k NOT IN (SELECT i.k FROM i WHERE i.id = o.id);
SELECT id FROM o WHERE k NOT IN (SELECT i.k FROM i WHERE i.id = o.id) ORDER BY id;
SELECT id FROM o WHERE k NOT IN (SELECT i.k FROM i WHERE i.id = o.id - 1 AND flag) ORDER BY id;
