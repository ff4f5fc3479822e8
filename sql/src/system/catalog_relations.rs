//! The virtual relations' own `pg_class` and `pg_attribute` rows: PostgreSQL lists its
//! catalogs and system views there (psql's `\\dS`, `\\d pg_class` and its tab completion
//! read them), so Strata lists each [`super::SystemTable`] with its OID, schema and columns,
//! owned by the bootstrap superuser. Catalogs are tables (`r`), the rest views (`v`), as
//! PostgreSQL 15 has them.

use super::relations::{attribute, rel_row};
use super::val::null;
use crate::storage::Row;
use crate::storage::catalog::oids::HEAP_AM;

/// A `pg_class` row per virtual relation (the same for every scan: made once).
pub fn class_rows() -> Vec<Row> {
    static ROWS: std::sync::LazyLock<Vec<Row>> = std::sync::LazyLock::new(|| {
        super::tables()
            .iter()
            .map(|st| {
                let kind = system_relkind(st.name);
                let am = if kind == 'r' { HEAP_AM } else { 0 };
                rel_row(
                    st.oid,
                    st.name,
                    st.schema,
                    am,
                    kind,
                    st.columns.len(),
                    None,
                    None,
                    (crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER, null()),
                )
            })
            .collect()
    });
    ROWS.clone()
}

/// The `pg_attribute` rows of every virtual relation's columns (made once).
pub fn attribute_rows() -> Vec<Row> {
    static ROWS: std::sync::LazyLock<Vec<Row>> = std::sync::LazyLock::new(|| {
        let mut rows = Vec::new();
        for st in super::tables() {
            for (i, (n, t)) in st.column_types().iter().enumerate() {
                rows.push(attribute(st.oid, n, t, i + 1, false, false, '\0'));
            }
        }
        rows
    });
    ROWS.clone()
}

/// PostgreSQL 15's relkind for a virtual relation: its catalogs are tables (`r`), the rest
/// (statistics, `pg_roles`, `pg_settings`, information_schema) views.
fn system_relkind(name: &str) -> char {
    const TABLES: &[&str] = &[
        "pg_aggregate",
        "pg_am",
        "pg_amop",
        "pg_amproc",
        "pg_attrdef",
        "pg_attribute",
        "pg_auth_members",
        "pg_authid",
        "pg_cast",
        "pg_class",
        "pg_collation",
        "pg_constraint",
        "pg_conversion",
        "pg_database",
        "pg_db_role_setting",
        "pg_default_acl",
        "pg_depend",
        "pg_description",
        "pg_enum",
        "pg_event_trigger",
        "pg_extension",
        "pg_foreign_data_wrapper",
        "pg_foreign_server",
        "pg_foreign_table",
        "pg_index",
        "pg_inherits",
        "pg_init_privs",
        "pg_language",
        "pg_largeobject",
        "pg_largeobject_metadata",
        "pg_namespace",
        "pg_opclass",
        "pg_operator",
        "pg_opfamily",
        "pg_parameter_acl",
        "pg_partitioned_table",
        "pg_policy",
        "pg_proc",
        "pg_publication",
        "pg_publication_namespace",
        "pg_publication_rel",
        "pg_range",
        "pg_replication_origin",
        "pg_rewrite",
        "pg_seclabel",
        "pg_sequence",
        "pg_shdepend",
        "pg_shdescription",
        "pg_shseclabel",
        "pg_statistic",
        "pg_statistic_ext",
        "pg_statistic_ext_data",
        "pg_subscription",
        "pg_subscription_rel",
        "pg_tablespace",
        "pg_transform",
        "pg_trigger",
        "pg_ts_config",
        "pg_ts_config_map",
        "pg_ts_dict",
        "pg_ts_parser",
        "pg_ts_template",
        "pg_type",
        "pg_user_mapping",
        "sql_features",
        "sql_implementation_info",
        "sql_parts",
        "sql_sizing",
    ];
    if TABLES.contains(&name) { 'r' } else { 'v' }
}
