//! PL/pgSQL's exception condition names (PostgreSQL's `plerrcodes.h`, the commonly used
//! part) and their SQLSTATEs, for `EXCEPTION WHEN name` and `RAISE name`; and whether an
//! error's SQLSTATE matches a handler's condition (a class code `XX000` matches its class).

const NAMES: &[(&str, &str)] = &[
    ("sql_statement_not_yet_complete", "03000"),
    ("connection_exception", "08000"),
    ("feature_not_supported", "0A000"),
    ("invalid_transaction_initiation", "0B000"),
    ("case_not_found", "20000"),
    ("cardinality_violation", "21000"),
    ("data_exception", "22000"),
    ("array_subscript_error", "2202E"),
    ("character_not_in_repertoire", "22021"),
    ("datetime_field_overflow", "22008"),
    ("division_by_zero", "22012"),
    ("invalid_datetime_format", "22007"),
    ("invalid_escape_character", "22019"),
    ("invalid_parameter_value", "22023"),
    ("invalid_regular_expression", "2201B"),
    ("invalid_text_representation", "22P02"),
    ("invalid_binary_representation", "22P03"),
    ("numeric_value_out_of_range", "22003"),
    ("null_value_not_allowed", "22004"),
    ("string_data_right_truncation", "22001"),
    ("invalid_json_text", "22032"),
    ("integrity_constraint_violation", "23000"),
    ("restrict_violation", "23001"),
    ("not_null_violation", "23502"),
    ("foreign_key_violation", "23503"),
    ("unique_violation", "23505"),
    ("check_violation", "23514"),
    ("exclusion_violation", "23P01"),
    ("invalid_cursor_state", "24000"),
    ("invalid_cursor_name", "34000"),
    ("invalid_transaction_state", "25000"),
    ("read_only_sql_transaction", "25006"),
    ("in_failed_sql_transaction", "25P02"),
    ("invalid_authorization_specification", "28000"),
    ("transaction_rollback", "40000"),
    ("serialization_failure", "40001"),
    ("deadlock_detected", "40P01"),
    ("syntax_error_or_access_rule_violation", "42000"),
    ("syntax_error", "42601"),
    ("insufficient_privilege", "42501"),
    ("undefined_column", "42703"),
    ("undefined_function", "42883"),
    ("undefined_table", "42P01"),
    ("undefined_parameter", "42P02"),
    ("undefined_object", "42704"),
    ("duplicate_column", "42701"),
    ("duplicate_function", "42723"),
    ("duplicate_table", "42P07"),
    ("duplicate_cursor", "42P03"),
    ("invalid_cursor_definition", "42P11"),
    ("duplicate_object", "42710"),
    ("ambiguous_column", "42702"),
    ("datatype_mismatch", "42804"),
    ("wrong_object_type", "42809"),
    ("invalid_column_reference", "42P10"),
    ("invalid_schema_name", "3F000"),
    ("insufficient_resources", "53000"),
    ("out_of_memory", "53200"),
    ("program_limit_exceeded", "54000"),
    ("statement_too_complex", "54001"),
    ("object_not_in_prerequisite_state", "55000"),
    ("lock_not_available", "55P03"),
    ("operator_intervention", "57000"),
    ("query_canceled", "57014"),
    ("system_error", "58000"),
    ("plpgsql_error", "P0000"),
    ("raise_exception", "P0001"),
    ("no_data_found", "P0002"),
    ("too_many_rows", "P0003"),
    ("assert_failure", "P0004"),
    ("internal_error", "XX000"),
];

/// The SQLSTATE of condition `name`.
pub fn code(name: &str) -> Option<&'static str> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The condition name of `code` (`SQLERRM`-style names are not needed; RAISE's message
/// for a bare condition is its name).
pub fn name(code: &str) -> Option<&'static str> {
    NAMES.iter().find(|(_, c)| *c == code).map(|(n, _)| *n)
}

/// Whether an error with SQLSTATE `code` is caught by a handler for `condition`
/// (`None`: OTHERS, which catches all but query_canceled; a class code catches its class).
pub fn matches(condition: Option<&str>, code: &str) -> bool {
    match condition {
        None => code != "57014" && code != "P0004",
        Some(c) if c.ends_with("000") => code.get(..2) == c.get(..2),
        Some(c) => c == code,
    }
}

/// `code` as a `&'static str` (an error's SQLSTATE is static): the known ones are
/// returned as they are, others interned once.
pub fn intern(code: &str) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    if let Some((_, c)) = NAMES.iter().find(|(_, c)| *c == code) {
        return c;
    }
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = seen.get(code) {
        return c;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    seen.insert(leaked);
    leaked
}
