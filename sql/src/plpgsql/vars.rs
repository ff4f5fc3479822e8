//! The variables of a running PL/pgSQL body: nested scopes (one per block, the outermost
//! labeled with the function's name), scalar variables with their declared types, and
//! record variables (`record`, `%ROWTYPE`, `NEW` / `OLD`) whose fields are read as
//! `rec.field`. [`Scopes::bind_sql`] turns the variables an SQL statement names into `$n`
//! parameters with their values and types.

use crate::binder::ident;
use crate::types::{DataType, Record, Value};
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

/// A record variable's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Rec {
    pub names: Vec<String>,
    pub types: Vec<DataType>,
    pub values: Vec<Value>,
    /// The row type's OID (a table's), 0 for an anonymous record.
    pub type_oid: u32,
    /// The row itself is NULL, its fields read as NULL: a trigger's OLD on INSERT, NEW on
    /// DELETE, both at statement level (PostgreSQL 11 on). Assigning a field clears it.
    pub null: bool,
}

impl Rec {
    /// The record as a composite value and its type.
    pub fn as_value(&self) -> (Value, DataType) {
        let v = if self.null {
            Value::Null
        } else {
            Value::Record(Box::new(Record {
                types: Arc::from(self.types.clone()),
                values: self.values.clone(),
                type_oid: self.type_oid,
            }))
        };
        let t = if self.type_oid != 0 {
            DataType::Composite(self.type_oid)
        } else {
            DataType::Record
        };
        (v, t)
    }
}

#[derive(Debug, Clone)]
pub enum Slot {
    Scalar {
        ty: DataType,
        value: Value,
    },
    /// `None` until assigned.
    Record(Option<Rec>),
}

#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub slot: Slot,
    pub constant: bool,
    pub not_null: bool,
}

#[derive(Debug, Default)]
pub struct Scope {
    pub label: Option<String>,
    pub vars: Vec<Var>,
    /// The bound cursors declared here (`c CURSOR FOR ...`): their variables are `vars`
    /// of type refcursor; OPEN reads the query here.
    pub cursors: Vec<(String, std::rc::Rc<super::ast::CursorDecl>)>,
}

/// The parameters [`Scopes::bind_sql`] made: values, types, and the plain variable name each
/// stands for (`None` for `rec.f`, `label.x`, `$n`).
pub type BoundParams = (Vec<Value>, Vec<DataType>, Vec<Option<String>>);

/// Where a name resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Var(usize, usize),
    Field(usize, usize, usize),
}

#[derive(Debug, Default)]
pub struct Scopes {
    pub scopes: Vec<Scope>,
    /// `$n`: the function's parameters, as places in the outermost scope.
    pub params: Vec<(usize, usize)>,
}

impl Scopes {
    pub fn push(&mut self, label: Option<String>) {
        self.scopes.push(Scope {
            label,
            ..Scope::default()
        });
    }

    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    pub fn declare(&mut self, var: Var) {
        if let Some(s) = self.scopes.last_mut() {
            s.vars.retain(|v| v.name != var.name);
            s.vars.push(var);
        }
    }

    fn find_var(&self, name: &str) -> Option<(usize, usize)> {
        for (si, s) in self.scopes.iter().enumerate().rev() {
            if let Some(vi) = s.vars.iter().rposition(|v| v.name == name) {
                return Some((si, vi));
            }
        }
        None
    }

    fn find_in_label(&self, label: &str, name: &str) -> Option<(usize, usize)> {
        for (si, s) in self.scopes.iter().enumerate().rev() {
            if s.label.as_deref() == Some(label) {
                return s
                    .vars
                    .iter()
                    .rposition(|v| v.name == name)
                    .map(|vi| (si, vi));
            }
        }
        None
    }

    pub fn var(&self, (s, v): (usize, usize)) -> &Var {
        &self.scopes[s].vars[v]
    }

    pub fn var_mut(&mut self, (s, v): (usize, usize)) -> &mut Var {
        &mut self.scopes[s].vars[v]
    }

    /// Where `parts` (`x`, `rec.f`, `label.x`, `label.rec.f`) resolves; `Ok(None)` when
    /// it names no variable; 42703 for a missing field of a record variable.
    pub fn resolve(&self, parts: &[String]) -> Result<Option<Place>> {
        let field_of = |(s, v): (usize, usize), field: &str| -> Result<Option<Place>> {
            match &self.var((s, v)).slot {
                Slot::Record(Some(r)) => match r.names.iter().position(|n| n == field) {
                    Some(f) => Ok(Some(Place::Field(s, v, f))),
                    None => Err(super::raised(
                        "42703",
                        format!(
                            "record \"{}\" has no field \"{field}\"",
                            self.var((s, v)).name
                        ),
                    )),
                },
                Slot::Record(None) => Err(Error::ObjectNotInPrerequisiteState(format!(
                    "record \"{}\" is not assigned yet",
                    self.var((s, v)).name
                ))),
                Slot::Scalar { .. } => Ok(None),
            }
        };
        match parts {
            [x] => Ok(self.find_var(x).map(|(s, v)| Place::Var(s, v))),
            [a, b] => {
                if let Some(p) = self.find_var(a)
                    && matches!(self.var(p).slot, Slot::Record(_))
                {
                    return field_of(p, b);
                }
                Ok(self.find_in_label(a, b).map(|(s, v)| Place::Var(s, v)))
            }
            [l, a, b] => match self.find_in_label(l, a) {
                Some(p) => field_of(p, b),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The value and type at `place` (a record variable as a composite value).
    pub fn read(&self, place: Place) -> Result<(Value, DataType)> {
        match place {
            Place::Var(s, v) => match &self.var((s, v)).slot {
                Slot::Scalar { ty, value } => Ok((value.clone(), *ty)),
                Slot::Record(Some(r)) => Ok(r.as_value()),
                Slot::Record(None) => Err(Error::ObjectNotInPrerequisiteState(format!(
                    "record \"{}\" is not assigned yet",
                    self.var((s, v)).name
                ))),
            },
            Place::Field(s, v, f) => match &self.var((s, v)).slot {
                Slot::Record(Some(r)) => Ok((r.values[f].clone(), r.types[f])),
                _ => Err(Error::Internal("record field of a non-record".into())),
            },
        }
    }

    /// Replaces every variable `stmt` names (and `$n` when `dollar_params` is set) by a
    /// parameter; returns the parameters' values and types.
    pub fn bind_sql(&self, stmt: &mut ast::Statement, dollar_params: bool) -> Result<BoundParams> {
        let mut values: Vec<Value> = Vec::new();
        let mut types: Vec<DataType> = Vec::new();
        let mut names: Vec<Option<String>> = Vec::new();
        let mut add = |v: Value, t: DataType, name: Option<String>| -> ast::Expr {
            values.push(v);
            types.push(t);
            names.push(name);
            ast::Expr::Value(ast::Value::Placeholder(format!("${}", values.len())).into())
        };
        crate::binder::walk::try_rewrite_expressions(stmt, |e| {
            let parts: Option<Vec<String>> = match e {
                ast::Expr::Identifier(id) => Some(vec![ident(id)]),
                ast::Expr::CompoundIdentifier(ids) => Some(ids.iter().map(ident).collect()),
                ast::Expr::Value(v) if dollar_params => match &v.value {
                    ast::Value::Placeholder(p) => {
                        let n = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok());
                        match n
                            .and_then(|n| n.checked_sub(1))
                            .and_then(|i| self.params.get(i))
                        {
                            Some(&(s, v)) => {
                                let (val, ty) = self.read(Place::Var(s, v))?;
                                *e = add(val, ty, None);
                            }
                            None => {
                                return Err(Error::UndefinedParameter(format!(
                                    "there is no parameter {p}"
                                )));
                            }
                        }
                        None
                    }
                    _ => None,
                },
                _ => None,
            };
            let Some(parts) = parts else {
                return Ok(());
            };
            if let Some(p) = self.resolve(&parts)? {
                let (val, ty) = self.read(p)?;
                // a plain name may also be a column (42702, `conflict.rs`)
                let name = match parts.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                };
                *e = add(val, ty, name);
            }
            Ok(())
        })?;
        Ok((values, types, names))
    }
}
