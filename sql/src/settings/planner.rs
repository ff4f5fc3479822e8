//! Planner and logging parameters PostgreSQL 15 has and Strata accepts without acting on
//! them (cost constants, parallel query, JIT, join-order limits, statement logging): scripts,
//! tuning guides and drivers set them (`SET random_page_cost = 1.1`, `SET
//! max_parallel_workers_per_gather = 0`, `plan_cache_mode`), and a SET that fails would abort
//! their transaction. Values are checked and shown as PostgreSQL checks and shows them
//! (names, defaults, ranges, units and descriptions are PostgreSQL 15's).

use super::catalog::{Definition, Kind, Unit, def};

const BOOL: Kind = Kind::Bool;

/// The parameters, in name order.
pub static PLANNER: &[Definition] = &[
    def(
        "constraint_exclusion",
        "partition",
        Kind::Enum(&["partition", "on", "off"]),
        "Enables the planner to use constraints to optimize queries.",
    ),
    def(
        "cpu_index_tuple_cost",
        "0.005",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of processing each index entry during an index scan.",
    ),
    def(
        "cpu_operator_cost",
        "0.0025",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of processing each operator or function call.",
    ),
    def(
        "cpu_tuple_cost",
        "0.01",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of processing each tuple (row).",
    ),
    def(
        "default_statistics_target",
        "100",
        Kind::Int {
            min: 1,
            max: 10000,
            unit: Unit::None,
        },
        "Sets the default statistics target.",
    ),
    def(
        "effective_cache_size",
        "4GB",
        Kind::Int {
            min: 1,
            max: 2147483647,
            unit: Unit::Blocks,
        },
        "Sets the planner's assumption about the total size of the data caches.",
    ),
    def(
        "effective_io_concurrency",
        "1",
        Kind::Int {
            min: 0,
            max: 1000,
            unit: Unit::None,
        },
        "Number of simultaneous requests that can be handled efficiently by the disk subsystem.",
    ),
    def(
        "enable_async_append",
        "on",
        BOOL,
        "Enables the planner's use of async append plans.",
    ),
    def(
        "enable_gathermerge",
        "on",
        BOOL,
        "Enables the planner's use of gather merge plans.",
    ),
    def(
        "enable_incremental_sort",
        "on",
        BOOL,
        "Enables the planner's use of incremental sort steps.",
    ),
    def(
        "enable_memoize",
        "on",
        BOOL,
        "Enables the planner's use of memoization.",
    ),
    def(
        "enable_parallel_append",
        "on",
        BOOL,
        "Enables the planner's use of parallel append plans.",
    ),
    def(
        "enable_parallel_hash",
        "on",
        BOOL,
        "Enables the planner's use of parallel hash plans.",
    ),
    def(
        "enable_partition_pruning",
        "on",
        BOOL,
        "Enables plan-time and execution-time partition pruning.",
    ),
    def(
        "enable_partitionwise_aggregate",
        "off",
        BOOL,
        "Enables partitionwise aggregation and grouping.",
    ),
    def(
        "enable_partitionwise_join",
        "off",
        BOOL,
        "Enables partitionwise join.",
    ),
    def(
        "enable_tidscan",
        "on",
        BOOL,
        "Enables the planner's use of TID scan plans.",
    ),
    def(
        "force_parallel_mode",
        "off",
        Kind::Enum(&["off", "on", "regress"]),
        "Forces use of parallel query facilities.",
    ),
    def(
        "from_collapse_limit",
        "8",
        Kind::Int {
            min: 1,
            max: 2147483647,
            unit: Unit::None,
        },
        "Sets the FROM-list size beyond which subqueries are not collapsed.",
    ),
    def("geqo", "on", BOOL, "Enables genetic query optimization."),
    def(
        "geqo_threshold",
        "12",
        Kind::Int {
            min: 2,
            max: 2147483647,
            unit: Unit::None,
        },
        "Sets the threshold of FROM items beyond which GEQO is used.",
    ),
    def(
        "hash_mem_multiplier",
        "2",
        Kind::Real {
            min: 1.0,
            max: 1000.0,
        },
        "Multiple of work_mem to use for hash tables.",
    ),
    def(
        "jit_above_cost",
        "100000",
        Kind::Real {
            min: -1.0,
            max: f64::MAX,
        },
        "Perform JIT compilation if query is more expensive.",
    ),
    def(
        "jit_inline_above_cost",
        "500000",
        Kind::Real {
            min: -1.0,
            max: f64::MAX,
        },
        "Perform JIT inlining if query is more expensive.",
    ),
    def(
        "jit_optimize_above_cost",
        "500000",
        Kind::Real {
            min: -1.0,
            max: f64::MAX,
        },
        "Optimize JIT-compiled functions if query is more expensive.",
    ),
    def(
        "join_collapse_limit",
        "8",
        Kind::Int {
            min: 1,
            max: 2147483647,
            unit: Unit::None,
        },
        "Sets the FROM-list size beyond which JOIN constructs are not flattened.",
    ),
    def(
        "log_min_duration_statement",
        "-1",
        Kind::Int {
            min: -1,
            max: 2147483647,
            unit: Unit::Ms,
        },
        "Sets the minimum execution time above which all statements will be logged.",
    ),
    def(
        "log_statement",
        "none",
        Kind::Enum(&["none", "ddl", "mod", "all"]),
        "Sets the type of statements logged.",
    ),
    def(
        "maintenance_io_concurrency",
        "10",
        Kind::Int {
            min: 0,
            max: 1000,
            unit: Unit::None,
        },
        "A variant of effective_io_concurrency that is used for maintenance work.",
    ),
    def(
        "max_parallel_maintenance_workers",
        "2",
        Kind::Int {
            min: 0,
            max: 1024,
            unit: Unit::None,
        },
        "Sets the maximum number of parallel processes per maintenance operation.",
    ),
    def(
        "max_parallel_workers",
        "8",
        Kind::Int {
            min: 0,
            max: 1024,
            unit: Unit::None,
        },
        "Sets the maximum number of parallel workers that can be active at one time.",
    ),
    def(
        "max_parallel_workers_per_gather",
        "2",
        Kind::Int {
            min: 0,
            max: 1024,
            unit: Unit::None,
        },
        "Sets the maximum number of parallel processes per executor node.",
    ),
    def(
        "min_parallel_index_scan_size",
        "512kB",
        Kind::Int {
            min: 0,
            max: 715827882,
            unit: Unit::Blocks,
        },
        "Sets the minimum amount of index data for a parallel scan.",
    ),
    def(
        "min_parallel_table_scan_size",
        "8MB",
        Kind::Int {
            min: 0,
            max: 715827882,
            unit: Unit::Blocks,
        },
        "Sets the minimum amount of table data for a parallel scan.",
    ),
    def(
        "parallel_setup_cost",
        "1000",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of starting up worker processes for parallel query.",
    ),
    def(
        "parallel_tuple_cost",
        "0.1",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of passing each tuple (row) from worker to leader backend.",
    ),
    def(
        "plan_cache_mode",
        "auto",
        Kind::Enum(&["auto", "force_generic_plan", "force_custom_plan"]),
        "Controls the planner's selection of custom or generic plan.",
    ),
    def(
        "random_page_cost",
        "4",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.",
    ),
    def(
        "recursive_worktable_factor",
        "10",
        Kind::Real {
            min: 0.001,
            max: 1e+06,
        },
        "Sets the planner's estimate of the average size of a recursive query's working table.",
    ),
    def(
        "seq_page_cost",
        "1",
        Kind::Real {
            min: 0.0,
            max: f64::MAX,
        },
        "Sets the planner's estimate of the cost of a sequentially fetched disk page.",
    ),
    def(
        "temp_buffers",
        "8MB",
        Kind::Int {
            min: 100,
            max: 1073741823,
            unit: Unit::Blocks,
        },
        "Sets the maximum number of temporary buffers used by each session.",
    ),
    def(
        "track_io_timing",
        "off",
        BOOL,
        "Collects timing statistics for database I/O activity.",
    ),
];
