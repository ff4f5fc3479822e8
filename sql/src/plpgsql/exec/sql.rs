//! The interpreter's SQL half: expressions and embedded statements run through the
//! session's statement machinery with the variables they name bound as parameters
//! ([`Interp::eval`], `run_sql`, EXECUTE's dynamic text), their results stored into
//! variables, record fields and INTO targets (cast to the target's type), and FOUND /
//! ROW_COUNT set after each statement.

use super::*;

impl Interp<'_> {
    /// Runs one SQL statement with the variables it names as parameters (`$n` the
    /// function's parameters, or `using` for EXECUTE ... USING).
    pub(super) fn run_sql(
        &mut self,
        text: &str,
        using: Option<&[(Value, DataType)]>,
    ) -> Result<StatementResult> {
        let mut stmts = crate::parse::parse(text)?;
        if stmts.len() != 1 {
            return Err(if stmts.is_empty() {
                Error::SyntaxError("syntax error at end of input".into())
            } else {
                raised("42601", "query has more than one statement")
            });
        }
        let mut stmt = stmts.pop().expect("one statement");
        let (mut values, mut types, mut names) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(using) = using {
            values = using.iter().map(|(v, _)| v.clone()).collect();
            types = using.iter().map(|(_, t)| *t).collect();
        } else if let Statement::Sql(s) = &mut stmt {
            (values, types, names) = self.scopes.bind_sql(s, true)?;
        }
        self.txn.begin_statement()?;
        super::super::conflict::with_names(self.conflict, names, || {
            crate::session::run_nested(&mut *self.txn, &stmt, &values, &types)
        })
    }

    /// Evaluates an expression: its value and type (NULL for no row; 21000 past one).
    pub fn eval(&mut self, expr: &str) -> Result<(Value, DataType)> {
        let r = self.run_sql(&format!("SELECT {expr}"), None)?;
        let columns = r.columns.unwrap_or_default();
        if columns.len() != 1 {
            return Err(raised(
                "42601",
                format!("query \"SELECT {expr}\" returned {} columns", columns.len()),
            ));
        }
        let ty = columns[0].data_type;
        let mut rows = r.rows.into_iter();
        let first = rows.next();
        if rows.next().is_some() {
            return Err(Error::CardinalityViolation(format!(
                "query \"SELECT {expr}\" returned more than one row"
            )));
        }
        Ok((
            first
                .and_then(|r| r.into_iter().next())
                .unwrap_or(Value::Null),
            ty,
        ))
    }

    /// Evaluates a condition (NULL is false).
    pub fn eval_bool(&mut self, expr: &str) -> Result<bool> {
        let (v, ty) = self.eval(expr)?;
        let v = cast(v, ty, DataType::Bool)?;
        Ok(v == Value::Bool(true))
    }

    pub(super) fn eval_int(&mut self, expr: &str, what: &str) -> Result<i64> {
        let (v, ty) = self.eval(expr)?;
        match cast(v, ty, DataType::Int8)? {
            Value::Int(i) => Ok(i),
            _ => Err(Error::NullValueNotAllowed(format!(
                "{what} of FOR loop cannot be null"
            ))),
        }
    }

    // ---- assignment ---------------------------------------------------------------------

    pub(super) fn place_of(&self, target: &str) -> Result<Place> {
        let parts: Vec<String> = target.split('.').map(str::to_string).collect();
        self.scopes
            .resolve(&parts)?
            .ok_or_else(|| Error::SyntaxError(format!("\"{target}\" is not a known variable")))
    }

    /// Stores `v` (of type `ty`) at `place`, cast to the variable's type.
    pub(super) fn store(&mut self, place: Place, v: Value, ty: DataType) -> Result<()> {
        match place {
            Place::Var(s, i) => {
                let var = self.scopes.var_mut((s, i));
                if var.constant {
                    return Err(Error::SyntaxError(format!(
                        "variable \"{}\" is declared CONSTANT",
                        var.name
                    )));
                }
                let name = var.name.clone();
                let not_null = var.not_null;
                match &mut var.slot {
                    Slot::Scalar { ty: to, value } => {
                        let c = cast(v, ty, *to)?;
                        if not_null && c.is_null() {
                            return Err(Error::NullValueNotAllowed(format!(
                                "null value cannot be assigned to variable \"{name}\" declared NOT NULL"
                            )));
                        }
                        *value = c;
                    }
                    Slot::Record(r) => {
                        *r = match v {
                            Value::Null => None,
                            Value::Record(rec) => Some(Rec {
                                names: (1..=rec.values.len()).map(|i| format!("f{i}")).collect(),
                                types: rec.types.to_vec(),
                                values: rec.values,
                                type_oid: rec.type_oid,
                                null: false,
                            }),
                            _ => {
                                return Err(Error::DatatypeMismatch(
                                    "cannot assign non-composite value to a record variable".into(),
                                ));
                            }
                        };
                        if let (Some(r), Some(names)) = (r.as_mut(), record_names(ty)) {
                            r.names = names;
                        }
                    }
                }
            }
            Place::Field(s, i, f) => {
                if let Slot::Record(Some(r)) = &mut self.scopes.var_mut((s, i)).slot {
                    r.values[f] = cast(v, ty, r.types[f])?;
                    r.null = false;
                }
            }
        }
        Ok(())
    }

    /// Assigns a result row to INTO targets (one record variable, or scalars in order).
    pub(super) fn store_row(
        &mut self,
        targets: &[String],
        row: Option<(&[String], &[DataType], Vec<Value>)>,
    ) -> Result<()> {
        let places: Vec<Place> = targets
            .iter()
            .map(|t| self.place_of(t))
            .collect::<Result<_>>()?;
        if let [Place::Var(s, i)] = places.as_slice()
            && matches!(self.scopes.var((*s, *i)).slot, Slot::Record(_))
        {
            let rec = row.map(|(names, types, values)| Rec {
                names: names.to_vec(),
                types: types.to_vec(),
                values,
                type_oid: 0,
                null: false,
            });
            // A %ROWTYPE variable keeps its field names and types when it has them.
            let var = self.scopes.var_mut((*s, *i));
            match (rec, &mut var.slot) {
                (Some(new), Slot::Record(Some(old))) if old.type_oid != 0 => {
                    for (k, v) in new.values.into_iter().enumerate() {
                        if k < old.values.len() {
                            old.values[k] = cast(v, new.types[k], old.types[k])?;
                        }
                    }
                }
                (Some(new), slot) => *slot = Slot::Record(Some(new)),
                (None, Slot::Record(Some(old))) if old.type_oid != 0 => {
                    old.values.iter_mut().for_each(|v| *v = Value::Null)
                }
                (None, slot) => *slot = Slot::Record(None),
            }
            return Ok(());
        }
        // One variable of a composite type (an OUT parameter of a table's row type) takes
        // the row's columns as its fields, unless the row is one value of that type.
        if let [Place::Var(s, i)] = places.as_slice()
            && let Slot::Scalar {
                ty: DataType::Composite(oid),
                ..
            } = self.scopes.var((*s, *i)).slot
            && row
                .as_ref()
                .is_none_or(|(_, t, _)| **t != [DataType::Composite(oid)])
        {
            let place = places[0];
            let value = match row {
                None => Value::Null,
                Some((_, types, values)) => {
                    let fields = crate::types::record::fields_of(oid)?.fields;
                    let mut out = Vec::with_capacity(fields.len());
                    for (k, (_, to)) in fields.iter().enumerate() {
                        let v = values.get(k).cloned().unwrap_or(Value::Null);
                        let from = types.get(k).copied().unwrap_or(*to);
                        out.push(cast(v, from, *to)?);
                    }
                    Value::Record(Box::new(crate::types::Record {
                        types: fields.iter().map(|(_, t)| *t).collect(),
                        values: out,
                        type_oid: oid,
                    }))
                }
            };
            return self.store(place, value, DataType::Composite(oid));
        }
        let (types, mut values) = match row {
            Some((_, t, v)) => (t.to_vec(), v),
            None => (Vec::new(), Vec::new()),
        };
        for (k, place) in places.into_iter().enumerate() {
            let v = if k < values.len() {
                std::mem::replace(&mut values[k], Value::Null)
            } else {
                Value::Null
            };
            let ty = types.get(k).copied().unwrap_or(DataType::Text);
            self.store(place, v, ty)?;
        }
        Ok(())
    }

    pub(super) fn eval_list(&mut self, exprs: &[String]) -> Result<Vec<(Value, DataType)>> {
        exprs.iter().map(|e| self.eval(e)).collect()
    }

    /// The text of an EXECUTE's query (22004 when NULL).
    pub(super) fn dynamic_text(&mut self, expr: &str) -> Result<String> {
        let (v, ty) = self.eval(expr)?;
        match cast(v, ty, DataType::Text)? {
            Value::Text(s) => Ok(s),
            _ => Err(Error::NullValueNotAllowed(
                "query string argument of EXECUTE is null".into(),
            )),
        }
    }

    pub(super) fn run_source(&mut self, q: &QuerySource) -> Result<StatementResult> {
        match q {
            QuerySource::Static(text) => self.run_sql(text, None),
            QuerySource::Dynamic { expr, using } => {
                let sql = self.dynamic_text(expr)?;
                let using = self.eval_list(using)?;
                self.run_sql(&sql, Some(&using))
            }
        }
    }

    /// FOUND, ROW_COUNT and INTO after an SQL statement.
    pub(super) fn after_sql(
        &mut self,
        r: StatementResult,
        into: Option<&Into>,
        text: &str,
    ) -> Result<Flow> {
        let returns_rows = r.columns.is_some();
        let n = if returns_rows && r.tag.starts_with("SELECT") {
            r.rows.len() as u64
        } else {
            tag_count(&r.tag)
        };
        self.row_count = n;
        let is_select = r.tag.starts_with("SELECT");
        let Some(into) = into else {
            if is_select && returns_rows {
                return Err(raised("42601", "query has no destination for result data"));
            }
            self.set_found(n > 0);
            return Ok(Flow::Normal);
        };
        let Some(columns) = r.columns else {
            return Err(raised(
                "42601",
                format!("INTO used with a command that cannot return data: {text}"),
            ));
        };
        let dml = !is_select;
        if r.rows.len() > 1 && (into.strict || dml) {
            return Err(Error::Raised(Box::new(crate::error::Raised {
                code: "P0003",
                message: "query returned more than one row".into(),
                detail: None,
                hint: dml.then(|| {
                    "Make sure the query returns a single row, or use LIMIT 1.".to_string()
                }),
            })));
        }
        if r.rows.is_empty() && into.strict {
            return Err(raised("P0002", "query returned no rows"));
        }
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let types: Vec<DataType> = columns.iter().map(|c| c.data_type).collect();
        let found = !r.rows.is_empty();
        let first = r.rows.into_iter().next();
        self.store_row(
            &into.targets,
            first.map(|row| (&names[..], &types[..], row)),
        )?;
        self.set_found(found);
        Ok(Flow::Normal)
    }
}

/// The number a command tag ends with (`INSERT 0 3`, `UPDATE 2`).
fn tag_count(tag: &str) -> u64 {
    tag.rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The field names of a composite type, when it has them.
fn record_names(ty: DataType) -> Option<Vec<String>> {
    match ty {
        DataType::Composite(oid) => crate::types::record::lookup(oid)
            .map(|c| c.fields.iter().map(|f| f.0.clone()).collect()),
        _ => None,
    }
}
