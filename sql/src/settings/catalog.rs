//! The built-in parameters: names, defaults, value kinds and descriptions (PostgreSQL 15's,
//! for the parameters clients and tools set or read). Parameters Strata accepts but does not
//! act on (planner switches, `work_mem`, `synchronous_commit`, ...) are here so that clients
//! that set them work; their values are kept and shown.

/// The PostgreSQL version Strata speaks: `server_version` in the startup message and in
/// `SHOW`, and the number `version()` and `server_version_num` agree with. A plain version
/// number, which libpq, JDBC, psycopg and node-postgres all parse.
pub const SERVER_VERSION: &str = "15.18";
/// `server_version_num` for [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150018";

/// How a parameter's values are checked and normalised (see `normalize.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `on`/`off` (also true/false, yes/no, 1/0 and unique prefixes).
    Bool,
    /// An integer in `[min, max]`, in `unit` when given without one.
    Int { min: i64, max: i64, unit: Unit },
    /// A floating-point number in `[min, max]`.
    Real { min: f64, max: f64 },
    /// One of the listed values (case-insensitive), shown lower case.
    Enum(&'static [&'static str]),
    /// Any string.
    Str,
    /// Any string, truncated to 63 bytes with non-ASCII characters replaced by `?`
    /// (`application_name`).
    Name,
    /// `DateStyle`: an output style and a field order.
    DateStyle,
    /// `TimeZone`.
    TimeZone,
    /// `client_encoding` (only UTF-8 and its aliases are supported).
    Encoding,
    /// A list of identifiers (`search_path`), shown quoted where needed.
    IdentList,
    /// A WAL position in `pg_lsn` text (`0/16B3748`, shown upper case), or empty (none).
    Lsn,
}

/// The unit of an integer parameter given as a plain number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    None,
    Ms,
    S,
    Kb,
}

/// One built-in parameter.
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    /// The canonical spelling (what `SHOW ALL` and ParameterStatus use).
    pub name: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    /// Sent to the client at startup and whenever it changes (`GUC_REPORT`).
    pub report: bool,
    /// Cannot be changed (55P02 `parameter "x" cannot be changed`).
    pub read_only: bool,
    pub description: &'static str,
}

const fn def(
    name: &'static str,
    default: &'static str,
    kind: Kind,
    description: &'static str,
) -> Definition {
    Definition {
        name,
        default,
        kind,
        report: false,
        read_only: false,
        description,
    }
}

const fn reported(d: Definition) -> Definition {
    Definition { report: true, ..d }
}

const fn fixed(d: Definition) -> Definition {
    Definition {
        read_only: true,
        ..d
    }
}

const MS: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
    unit: Unit::Ms,
};
const BOOL: Kind = Kind::Bool;
const STR: Kind = Kind::Str;
const ISOLATIONS: Kind = Kind::Enum(&[
    "serializable",
    "repeatable read",
    "read committed",
    "read uncommitted",
]);
const MESSAGE_LEVELS: Kind = Kind::Enum(&[
    "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error",
]);

/// Every built-in parameter, in name order.
pub static DEFINITIONS: &[Definition] = &[
    reported(def(
        "application_name",
        "",
        Kind::Name,
        "Sets the application name to be reported in statistics and logs.",
    )),
    def(
        "array_nulls",
        "on",
        BOOL,
        "Enable input of NULL elements in arrays.",
    ),
    def(
        "backslash_quote",
        "safe_encoding",
        Kind::Enum(&["safe_encoding", "on", "off"]),
        "Sets whether \"\\'\" is allowed in string literals.",
    ),
    fixed(def(
        "block_size",
        "8192",
        STR,
        "Shows the size of a disk block.",
    )),
    def(
        "bytea_output",
        "hex",
        Kind::Enum(&["hex", "escape"]),
        "Sets the output format for bytea.",
    ),
    def(
        "check_function_bodies",
        "on",
        BOOL,
        "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE.",
    ),
    reported(def(
        "client_encoding",
        "UTF8",
        Kind::Encoding,
        "Sets the client's character set encoding.",
    )),
    def(
        "client_min_messages",
        "notice",
        MESSAGE_LEVELS,
        "Sets the message levels that are sent to the client.",
    ),
    def(
        "cursor_tuple_fraction",
        "0.1",
        Kind::Real { min: 0.0, max: 1.0 },
        "Sets the planner's estimate of the fraction of a cursor's rows that will be retrieved.",
    ),
    reported(def(
        "DateStyle",
        "ISO, MDY",
        Kind::DateStyle,
        "Sets the display format for date and time values.",
    )),
    def(
        "default_table_access_method",
        "heap",
        STR,
        "Sets the default table access method for new tables.",
    ),
    def(
        "default_tablespace",
        "",
        STR,
        "Sets the default tablespace to create tables and indexes in.",
    ),
    def(
        "default_text_search_config",
        "pg_catalog.english",
        STR,
        "Sets default text search configuration.",
    ),
    def(
        "default_transaction_deferrable",
        "off",
        BOOL,
        "Sets the default deferrable status of new transactions.",
    ),
    def(
        "default_transaction_isolation",
        "read committed",
        ISOLATIONS,
        "Sets the transaction isolation level of each new transaction.",
    ),
    reported(def(
        "default_transaction_read_only",
        "off",
        BOOL,
        "Sets the default read-only status of new transactions.",
    )),
    def(
        "enable_bitmapscan",
        "on",
        BOOL,
        "Enables the planner's use of bitmap-scan plans.",
    ),
    def(
        "enable_gathermerge",
        "on",
        BOOL,
        "Enables the planner's use of gather merge plans.",
    ),
    def(
        "enable_hashagg",
        "on",
        BOOL,
        "Enables the planner's use of hashed aggregation plans.",
    ),
    def(
        "enable_hashjoin",
        "on",
        BOOL,
        "Enables the planner's use of hash join plans.",
    ),
    def(
        "enable_incremental_sort",
        "on",
        BOOL,
        "Enables the planner's use of incremental sort steps.",
    ),
    def(
        "enable_indexonlyscan",
        "on",
        BOOL,
        "Enables the planner's use of index-only-scan plans.",
    ),
    def(
        "enable_indexscan",
        "on",
        BOOL,
        "Enables the planner's use of index-scan plans.",
    ),
    def(
        "enable_material",
        "on",
        BOOL,
        "Enables the planner's use of materialization.",
    ),
    def(
        "enable_memoize",
        "on",
        BOOL,
        "Enables the planner's use of memoization.",
    ),
    def(
        "enable_mergejoin",
        "on",
        BOOL,
        "Enables the planner's use of merge join plans.",
    ),
    def(
        "enable_nestloop",
        "on",
        BOOL,
        "Enables the planner's use of nested-loop join plans.",
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
        "enable_seqscan",
        "on",
        BOOL,
        "Enables the planner's use of sequential-scan plans.",
    ),
    def(
        "enable_sort",
        "on",
        BOOL,
        "Enables the planner's use of explicit sort steps.",
    ),
    def(
        "enable_tidscan",
        "on",
        BOOL,
        "Enables the planner's use of TID scan plans.",
    ),
    def(
        "escape_string_warning",
        "on",
        BOOL,
        "Warn about backslash escapes in ordinary string literals.",
    ),
    def(
        "extra_float_digits",
        "1",
        Kind::Int {
            min: -15,
            max: 3,
            unit: Unit::None,
        },
        "Sets the number of digits displayed for floating-point values.",
    ),
    def("geqo", "on", BOOL, "Enables genetic query optimization."),
    def(
        "geqo_threshold",
        "12",
        Kind::Int {
            min: 2,
            max: i32::MAX as i64,
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
        "idle_in_transaction_session_timeout",
        "0",
        MS,
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    def(
        "idle_session_timeout",
        "0",
        MS,
        "Sets the maximum allowed idle time between queries, when not in a transaction.",
    ),
    reported(fixed(def(
        "in_hot_standby",
        "off",
        BOOL,
        "Shows whether hot standby is currently active.",
    ))),
    reported(fixed(def(
        "integer_datetimes",
        "on",
        BOOL,
        "Shows whether datetimes are integer based.",
    ))),
    reported(def(
        "IntervalStyle",
        "postgres",
        Kind::Enum(&["postgres", "postgres_verbose", "sql_standard", "iso_8601"]),
        "Sets the display format for interval values.",
    )),
    reported(fixed(def(
        "is_superuser",
        "on",
        BOOL,
        "Shows whether the current user is a superuser.",
    ))),
    def("jit", "off", BOOL, "Allow JIT compilation."),
    def(
        "jit_above_cost",
        "100000",
        Kind::Real {
            min: -1.0,
            max: f64::MAX,
        },
        "Perform JIT compilation if query is more expensive.",
    ),
    fixed(def(
        "lc_collate",
        "C",
        STR,
        "Shows the collation order locale.",
    )),
    fixed(def(
        "lc_ctype",
        "C",
        STR,
        "Shows the character classification and case conversion locale.",
    )),
    def(
        "lc_messages",
        "C",
        STR,
        "Sets the language in which messages are displayed.",
    ),
    def(
        "lc_monetary",
        "C",
        STR,
        "Sets the locale for formatting monetary amounts.",
    ),
    def(
        "lc_numeric",
        "C",
        STR,
        "Sets the locale for formatting numbers.",
    ),
    def(
        "lc_time",
        "C",
        STR,
        "Sets the locale for formatting date and time values.",
    ),
    def(
        "lock_timeout",
        "0",
        MS,
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    def(
        "maintenance_work_mem",
        "64MB",
        Kind::Int {
            min: 1024,
            max: i32::MAX as i64,
            unit: Unit::Kb,
        },
        "Sets the maximum memory to be used for maintenance operations.",
    ),
    fixed(def(
        "max_connections",
        "100",
        STR,
        "Sets the maximum number of concurrent connections.",
    )),
    fixed(def(
        "max_identifier_length",
        "63",
        STR,
        "Shows the maximum identifier length.",
    )),
    fixed(def(
        "max_index_keys",
        "32",
        STR,
        "Shows the maximum number of index keys.",
    )),
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
        "min_parallel_table_scan_size",
        "8MB",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
            unit: Unit::Kb,
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
        "quote_all_identifiers",
        "off",
        BOOL,
        "When generating SQL fragments, quote all identifiers.",
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
    def("row_security", "on", BOOL, "Enable row security."),
    def(
        "search_path",
        "\"$user\", public",
        Kind::IdentList,
        "Sets the schema search order for names that are not schema-qualified.",
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
    reported(fixed(def(
        "server_encoding",
        "UTF8",
        STR,
        "Shows the server (database) character set encoding.",
    ))),
    reported(fixed(def(
        "server_version",
        SERVER_VERSION,
        STR,
        "Shows the server version.",
    ))),
    fixed(def(
        "server_version_num",
        SERVER_VERSION_NUM,
        STR,
        "Shows the server version as an integer.",
    )),
    reported(def(
        "session_authorization",
        "",
        STR,
        "Sets the session user name.",
    )),
    def(
        "session_replication_role",
        "origin",
        Kind::Enum(&["origin", "replica", "local"]),
        "Sets the session's behavior for triggers and rewrite rules.",
    ),
    reported(def(
        "standard_conforming_strings",
        "on",
        BOOL,
        "Causes '...' strings to treat backslashes literally.",
    )),
    def(
        "statement_timeout",
        "0",
        MS,
        "Sets the maximum allowed duration of any statement.",
    ),
    def(
        "strata.wait_lsn",
        "",
        Kind::Lsn,
        "Makes each following statement wait until this server (a read replica) has \
         applied the WAL up to this LSN (read-your-writes; empty: no wait).",
    ),
    def(
        "strata.wait_lsn_timeout",
        "10s",
        MS,
        "Sets the maximum time a statement waits for strata.wait_lsn.",
    ),
    def(
        "synchronous_commit",
        "on",
        Kind::Enum(&["local", "remote_write", "remote_apply", "on", "off"]),
        "Sets the current transaction's synchronization level.",
    ),
    def(
        "temp_tablespaces",
        "",
        Kind::IdentList,
        "Sets the tablespace(s) to use for temporary tables and sort files.",
    ),
    reported(def(
        "TimeZone",
        "UTC",
        Kind::TimeZone,
        "Sets the time zone for displaying and interpreting time stamps.",
    )),
    def(
        "timezone_abbreviations",
        "Default",
        STR,
        "Selects a file of time zone abbreviations.",
    ),
    def(
        "transaction_deferrable",
        "off",
        BOOL,
        "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures.",
    ),
    def(
        "transaction_isolation",
        "read committed",
        ISOLATIONS,
        "Sets the current transaction's isolation level.",
    ),
    def(
        "transaction_read_only",
        "off",
        BOOL,
        "Sets the current transaction's read-only status.",
    ),
    // PostgreSQL's default is 4MB, past which it spills to disk; Strata fails with 53200
    // instead (see `executor::memory`), so it allows more.
    def(
        "work_mem",
        "64MB",
        Kind::Int {
            min: 64,
            max: i32::MAX as i64,
            unit: Unit::Kb,
        },
        "Sets the maximum memory to be used for query workspaces.",
    ),
    def(
        "xmlbinary",
        "base64",
        Kind::Enum(&["base64", "hex"]),
        "Sets how binary values are to be encoded in XML.",
    ),
    def(
        "xmloption",
        "content",
        Kind::Enum(&["content", "document"]),
        "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments.",
    ),
];

/// The definition of the parameter named `name` (in any case).
pub fn find(name: &str) -> Option<&'static Definition> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        BY_KEY.get(&name.to_ascii_lowercase()).copied()
    } else {
        BY_KEY.get(name).copied()
    }
}

/// [`DEFINITIONS`] by lower-case name: statements read settings all the time.
static BY_KEY: std::sync::LazyLock<std::collections::HashMap<String, &'static Definition>> =
    std::sync::LazyLock::new(|| {
        DEFINITIONS
            .iter()
            .map(|d| (d.name.to_ascii_lowercase(), d))
            .collect()
    });
