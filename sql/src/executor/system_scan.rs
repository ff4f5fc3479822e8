//! `SystemScan`: rows generated when the scan opens — a virtual `pg_catalog` /
//! `information_schema` relation from the statement's catalog ([`crate::system`]), or a
//! sequence's one row (`last_value, log_cnt, is_called`). A virtual relation's rows end with
//! its OID, the `tableoid` system column the binder adds to its scope.

use super::{Context, Operator, Tuple};
use crate::planner::SystemSource;
use crate::storage::Row;
use crate::{Error, Result, Value};

pub struct SystemScan {
    source: SystemSource,
    rows: Option<std::vec::IntoIter<Row>>,
}

impl SystemScan {
    pub fn new(source: SystemSource) -> Self {
        SystemScan { source, rows: None }
    }

    fn generate(&self) -> Result<Vec<Row>> {
        let env = crate::env::catalog()?;
        match &self.source {
            SystemSource::Table { schema, name } => {
                let t = crate::system::lookup(*schema, name)
                    .ok_or_else(|| Error::Internal(format!("no system relation {name}")))?;
                // The binder's scope ends with the `tableoid` system column.
                let mut rows = (t.rows)(&crate::system::Context { env: &env })?;
                for r in &mut rows {
                    r.push(Value::Int(i64::from(t.oid)));
                }
                Ok(rows)
            }
            SystemSource::Sequence(oid) => {
                let seq = env
                    .catalog
                    .sequence_by_id(*oid)
                    .ok_or_else(|| Error::UndefinedTable(format!("#{oid}")))?;
                let (last, called) = env.services.sequence_state(seq)?;
                Ok(vec![vec![
                    Value::Int(last),
                    Value::Int(0),
                    Value::Bool(called),
                ]])
            }
        }
    }
}

impl Operator for SystemScan {
    fn next(&mut self, _ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.rows.is_none() {
            self.rows = Some(self.generate()?.into_iter());
        }
        let rows = self.rows.as_mut().expect("generated above");
        Ok(rows.next().map(Tuple::derived))
    }
}
