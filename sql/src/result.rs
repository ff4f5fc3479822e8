//! What a statement returns to the client: a CommandComplete tag, and for row-returning
//! statements the RowDescription columns and the rows.

use crate::binder::OutputColumn;
use crate::notice::Notice;
use crate::storage::Row;

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementResult {
    /// The CommandComplete tag, e.g. `SELECT 5`, `INSERT 0 3`, `CREATE TABLE`.
    pub tag: String,
    /// Result columns, for statements that return rows (SELECT, SHOW, DML with RETURNING).
    pub columns: Option<Vec<OutputColumn>>,
    pub rows: Vec<Row>,
    /// NOTICE / WARNING messages the statement raised, to send before its result (already
    /// filtered by `client_min_messages`).
    pub notices: Vec<Notice>,
}

impl StatementResult {
    /// A result with only a tag.
    pub fn command(tag: impl Into<String>) -> Self {
        StatementResult {
            tag: tag.into(),
            columns: None,
            rows: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Rows formatted in PostgreSQL's text format (`None` for NULL).
    pub fn text_rows(&self) -> Vec<Vec<Option<String>>> {
        self.rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| {
                        if v.is_null() {
                            None
                        } else {
                            Some(v.to_string())
                        }
                    })
                    .collect()
            })
            .collect()
    }
}
