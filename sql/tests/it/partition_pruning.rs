//! Partition pruning must not change results: random WHERE clauses over the partition keys
//! (comparisons, BETWEEN, IN lists with NULLs, IS [NOT] NULL, `= NULL`, NOT, AND / OR) give
//! the same rows on partitioned tables — RANGE with MINVALUE / MAXVALUE, a gap and a default,
//! LIST with NULL and a default, two-column HASH, two-column RANGE with LIST and HASH
//! sub-partitions — as on plain tables holding the same rows, for SELECT and for DELETE
//! ... RETURNING (rolled back). Cases: `STRATA_FUZZ_CASES` (default 1000), from a fixed seed.

use sql::Session;
use sql::memory::MemoryStorage;

fn cases() -> u32 {
    std::env::var("STRATA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE r (k int, v int) PARTITION BY RANGE (k)",
    "CREATE TABLE r_lo PARTITION OF r FOR VALUES FROM (MINVALUE) TO (0)",
    "CREATE TABLE r_1 PARTITION OF r FOR VALUES FROM (0) TO (10)",
    "CREATE TABLE r_2 PARTITION OF r FOR VALUES FROM (10) TO (20)",
    "CREATE TABLE r_hi PARTITION OF r FOR VALUES FROM (30) TO (MAXVALUE)",
    "CREATE TABLE r_def PARTITION OF r DEFAULT",
    "CREATE TABLE li (c text, v int) PARTITION BY LIST (c)",
    "CREATE TABLE li_ab PARTITION OF li FOR VALUES IN ('a', 'b')",
    "CREATE TABLE li_cn PARTITION OF li FOR VALUES IN ('c', NULL)",
    "CREATE TABLE li_e PARTITION OF li FOR VALUES IN ('e')",
    "CREATE TABLE li_def PARTITION OF li DEFAULT",
    "CREATE TABLE ha (id int, t text, v int) PARTITION BY HASH (id, t)",
    "CREATE TABLE ha0 PARTITION OF ha FOR VALUES WITH (MODULUS 4, REMAINDER 0)",
    "CREATE TABLE ha1 PARTITION OF ha FOR VALUES WITH (MODULUS 4, REMAINDER 2)",
    "CREATE TABLE ha2 PARTITION OF ha FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
    "CREATE TABLE mc (a int, b int, v int) PARTITION BY RANGE (a, b)",
    "CREATE TABLE mc1 PARTITION OF mc FOR VALUES FROM (MINVALUE, MINVALUE) TO (5, 5)",
    "CREATE TABLE mc2 PARTITION OF mc FOR VALUES FROM (5, 5) TO (5, MAXVALUE)",
    "CREATE TABLE mc3 PARTITION OF mc FOR VALUES FROM (6, MINVALUE) TO (10, 0) PARTITION BY LIST (b)",
    "CREATE TABLE mc3a PARTITION OF mc3 FOR VALUES IN (-1, 0, 1, 2)",
    "CREATE TABLE mc3d PARTITION OF mc3 DEFAULT",
    "CREATE TABLE mc4 PARTITION OF mc FOR VALUES FROM (10, 0) TO (MAXVALUE, MAXVALUE) PARTITION BY HASH (b)",
    "CREATE TABLE mc4a PARTITION OF mc4 FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
    "CREATE TABLE mc4b PARTITION OF mc4 FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
    "CREATE TABLE mc_def PARTITION OF mc DEFAULT",
    "CREATE TABLE r_flat (k int, v int)",
    "CREATE TABLE li_flat (c text, v int)",
    "CREATE TABLE ha_flat (id int, t text, v int)",
    "CREATE TABLE mc_flat (a int, b int, v int)",
];

const INTS: &[&str] = &[
    "-7", "-1", "0", "1", "4", "5", "6", "9", "10", "11", "19", "20", "25", "30", "31", "44",
    "NULL",
];
const TEXTS: &[&str] = &["'a'", "'b'", "'c'", "'d'", "'e'", "'f'", "''", "NULL"];
const OPS: &[&str] = &["=", "<", "<=", ">", ">=", "<>"];

/// A key column's name and the constants conditions on it use.
type Column<'a> = (&'a str, &'a [&'a str]);

/// A random condition on `col`, whose constants come from `consts`.
fn atom(rng: &mut Rng, col: &str, consts: &[&str]) -> String {
    let c = |rng: &mut Rng| rng.pick(consts).to_string();
    match rng.below(7) {
        0 | 1 => format!("{col} {} {}", rng.pick(OPS), c(rng)),
        2 => format!("{} {} {col}", c(rng), rng.pick(OPS)),
        3 => format!("{col} BETWEEN {} AND {}", c(rng), c(rng)),
        4 => {
            let n = 1 + rng.below(3);
            let items: Vec<String> = (0..n).map(|_| c(rng)).collect();
            let not = if rng.below(4) == 0 { "NOT " } else { "" };
            format!("{col} {not}IN ({})", items.join(", "))
        }
        5 => format!(
            "{col} IS {}NULL",
            if rng.below(2) == 0 { "" } else { "NOT " }
        ),
        _ => format!("{col} IS NOT DISTINCT FROM {}", c(rng)),
    }
}

/// A random predicate over `cols` (column name, its constants), up to `depth` levels of
/// AND / OR / NOT.
fn predicate(rng: &mut Rng, cols: &[Column], depth: u32) -> String {
    if depth == 0 || rng.below(3) == 0 {
        let (col, consts) = cols[rng.below(cols.len() as u64) as usize];
        return atom(rng, col, consts);
    }
    match rng.below(5) {
        0 | 1 => format!(
            "({} AND {})",
            predicate(rng, cols, depth - 1),
            predicate(rng, cols, depth - 1)
        ),
        2 | 3 => format!(
            "({} OR {})",
            predicate(rng, cols, depth - 1),
            predicate(rng, cols, depth - 1)
        ),
        _ => format!("NOT ({})", predicate(rng, cols, depth - 1)),
    }
}

fn rows(s: &mut Session<MemoryStorage>, q: &str) -> Vec<String> {
    let r = s
        .execute(q)
        .pop()
        .expect("one result")
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut v: Vec<String> = r
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn pruning_keeps_every_matching_row() {
    let mut s = Session::new(MemoryStorage::new());
    for stmt in SCHEMA {
        rows(&mut s, stmt);
    }
    // Every table gets the same rows as its flat twin, NULL keys included.
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    for v in 0..300 {
        let int = |rng: &mut Rng| {
            if rng.below(12) == 0 {
                "NULL".to_string()
            } else {
                (rng.below(52) as i64 - 8).to_string()
            }
        };
        let text = |rng: &mut Rng| rng.pick(TEXTS).to_string();
        let (k, c, id, t, a, b) = (
            int(&mut rng),
            text(&mut rng),
            int(&mut rng),
            text(&mut rng),
            int(&mut rng),
            int(&mut rng),
        );
        for tbl in ["r", "r_flat"] {
            rows(&mut s, &format!("INSERT INTO {tbl} VALUES ({k}, {v})"));
        }
        for tbl in ["li", "li_flat"] {
            rows(&mut s, &format!("INSERT INTO {tbl} VALUES ({c}, {v})"));
        }
        for tbl in ["ha", "ha_flat"] {
            rows(
                &mut s,
                &format!("INSERT INTO {tbl} VALUES ({id}, {t}, {v})"),
            );
        }
        for tbl in ["mc", "mc_flat"] {
            rows(&mut s, &format!("INSERT INTO {tbl} VALUES ({a}, {b}, {v})"));
        }
    }
    let tables: &[(&str, &[Column])] = &[
        ("r", &[("k", INTS)]),
        ("li", &[("c", TEXTS)]),
        ("ha", &[("id", INTS), ("t", TEXTS)]),
        ("mc", &[("a", INTS), ("b", INTS)]),
    ];
    let mut rng = Rng(0x0dd_ba11_0002);
    for case in 0..cases() {
        let (table, cols) = tables[(case as usize) % tables.len()];
        let pred = predicate(&mut rng, cols, 3);
        let got = rows(&mut s, &format!("SELECT v FROM {table} WHERE {pred}"));
        let want = rows(&mut s, &format!("SELECT v FROM {table}_flat WHERE {pred}"));
        assert_eq!(got, want, "SELECT ... FROM {table} WHERE {pred}");
        if case % 8 == 0 {
            rows(&mut s, "BEGIN");
            let got = rows(
                &mut s,
                &format!("DELETE FROM {table} WHERE {pred} RETURNING v"),
            );
            rows(&mut s, "ROLLBACK");
            assert_eq!(got, want, "DELETE FROM {table} WHERE {pred}");
        }
    }
}
