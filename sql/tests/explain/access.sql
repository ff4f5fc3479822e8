-- Access paths: IN lists as point lookups, ORDER BY ... LIMIT in key order.
CREATE TABLE t (a int PRIMARY KEY, b int, c text);
CREATE INDEX t_b ON t (b);
CREATE TABLE u (x int, y int, PRIMARY KEY (x, y));
INSERT INTO t VALUES (1, 30, 'one'), (2, NULL, 'two'), (3, 10, 'three'), (4, 20, 'four'), (5, 10, 'five');
INSERT INTO u VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 2);

-- IN lists: duplicates and NULLs in the list are harmless.
EXPLAIN ANALYZE SELECT * FROM t WHERE a IN (4, 2, 4, NULL, 9);
SELECT * FROM t WHERE a IN (4, 2, 4, NULL, 9);
EXPLAIN ANALYZE SELECT * FROM t WHERE b IN (10, 20);
SELECT a FROM t WHERE b IN (10, 20) ORDER BY a;
EXPLAIN ANALYZE SELECT * FROM u WHERE x = 1 AND y IN (1, 3);
SELECT * FROM u WHERE x = 1 AND y IN (1, 3);

-- ORDER BY ... LIMIT on a key prefix: no Sort, the limit stops the scan.
EXPLAIN ANALYZE SELECT a, c FROM t ORDER BY a LIMIT 2;
SELECT a, c FROM t ORDER BY a LIMIT 2;
EXPLAIN ANALYZE SELECT a, b FROM t ORDER BY b LIMIT 3 OFFSET 1;
SELECT a, b FROM t ORDER BY b LIMIT 3 OFFSET 1;
SELECT a, b FROM t ORDER BY b LIMIT 10;
EXPLAIN ANALYZE SELECT a FROM t WHERE a > 1 ORDER BY a LIMIT 2;
SELECT a FROM t WHERE a > 1 ORDER BY a LIMIT 2;
-- Not in key order: sorted.
EXPLAIN ANALYZE SELECT a FROM t ORDER BY a DESC LIMIT 2;
EXPLAIN ANALYZE SELECT a FROM t ORDER BY c LIMIT 2;
EXPLAIN ANALYZE SELECT a FROM t WHERE b = 10 ORDER BY a LIMIT 1;

-- Expression and partial indexes: used when the query's expression is the key's and the
-- index's predicate is a conjunct of the query's.
CREATE TABLE e (id int PRIMARY KEY, name text, a int, active bool);
INSERT INTO e VALUES (1, 'One', 1, true), (2, 'TWO', 2, false), (3, 'two', 3, true), (4, 'Four', 1, false);
CREATE INDEX e_lower ON e (lower(name));
CREATE INDEX e_sum ON e ((id + a));
CREATE INDEX e_active_a ON e (a) WHERE active;
EXPLAIN ANALYZE SELECT id FROM e WHERE lower(name) = 'two';
SELECT id FROM e WHERE lower(name) = 'two' ORDER BY id;
EXPLAIN ANALYZE SELECT id FROM e WHERE id + a >= 5;
SELECT id FROM e WHERE id + a >= 5 ORDER BY id;
EXPLAIN ANALYZE SELECT id FROM e WHERE a = 1 AND active;
SELECT id FROM e WHERE a = 1 AND active;
-- The predicate is not implied: a full scan.
EXPLAIN ANALYZE SELECT id FROM e WHERE a = 1;
SELECT id FROM e WHERE a = 1 ORDER BY id;
