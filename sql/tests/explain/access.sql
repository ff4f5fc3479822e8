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
