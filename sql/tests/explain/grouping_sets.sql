-- Grouping sets: one hash table per set (Hash Key), the empty set as Group Key: (), as
-- PostgreSQL's HashAggregate / MixedAggregate print them.
CREATE TABLE s (r text, c text, y int, q int);
INSERT INTO s VALUES ('e', 'b', 2022, 10), ('e', 'b', 2023, 20), ('e', 'n', 2022, 5), ('w', 'l', 2022, 7), (NULL, 'a', 2023, 4);
EXPLAIN ANALYZE SELECT r, c, sum(q), grouping(r, c) FROM s GROUP BY ROLLUP (r, c);
EXPLAIN SELECT r, c, count(*) FROM s GROUP BY CUBE (r, c);
EXPLAIN ANALYZE SELECT r, y, count(*) FROM s GROUP BY GROUPING SETS ((r), (y));
EXPLAIN SELECT count(*) FROM s GROUP BY GROUPING SETS ((), ());
EXPLAIN SELECT r, count(*) FROM s GROUP BY (), r;
EXPLAIN SELECT r, sum(q) FROM s GROUP BY ROLLUP (r) HAVING sum(q) > 10 ORDER BY 1;

-- Bounded memory: the groups of every set count against work_mem (53200 past it).
SET work_mem = '64kB';
CREATE TABLE big (k int PRIMARY KEY, v text);
INSERT INTO big SELECT g, 'value number ' || g FROM generate_series(1, 3000) g;
EXPLAIN ANALYZE SELECT k % 10, count(*) FROM big GROUP BY ROLLUP (k % 10);
EXPLAIN ANALYZE SELECT v, count(*) FROM big GROUP BY ROLLUP (v);
SELECT count(*) FROM big;
