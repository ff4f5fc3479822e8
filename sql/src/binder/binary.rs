//! Binding of binary operators: arithmetic, comparison, AND / OR, `||`.
//!
//! Operator chains such as `a OR b OR c ...` (ORMs send hundreds of terms) parse into
//! left-deep trees. Outside aggregate mode the left spine is walked iteratively, so binding
//! costs no stack per term; the chain length is still bounded ([`MAX_OPERATOR_CHAIN`])
//! because evaluating and dropping the bound tree recurse.

use super::Binder;
use super::expr::{ExprCtx, MAX_EXPR_DEPTH, mismatch};
use crate::expr::{ArithOp, CmpOp, Expr, Function};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast::{self, BinaryOperator};

/// The longest operator chain accepted (see module docs).
pub const MAX_OPERATOR_CHAIN: usize = 2 * MAX_EXPR_DEPTH;

/// The common type of the operands of `lt sym rt` (a comparison or `IS DISTINCT FROM`), or
/// PostgreSQL's "operator does not exist" (42883).
pub fn operand_type(lt: DataType, sym: &str, rt: DataType) -> Result<DataType> {
    // A composite type's operators are record's: an unknown literal beside one is a
    // `record` (whose input PostgreSQL refuses, 0A000).
    if let (DataType::Composite(_), DataType::Unknown)
    | (DataType::Unknown, DataType::Composite(_)) = (lt, rt)
    {
        return Ok(DataType::Record);
    }
    // `json` has no comparison operators (no btree order); `xid` has only `=` and `<>`,
    // `cid` only `=` (PostgreSQL: 42883 for `xmin < xmin`)
    let only_equality = |t: &DataType| match t {
        DataType::Xid => !matches!(sym, "<" | "<=" | ">" | ">="),
        DataType::Cid => !matches!(sym, "<" | "<=" | ">" | ">=" | "<>"),
        _ => true,
    };
    DataType::common(lt, rt)
        .filter(DataType::is_orderable)
        .filter(only_equality)
        .ok_or_else(|| {
            Error::UndefinedFunction(format!(
                "operator does not exist: {} {sym} {}",
                lt.name(),
                rt.name()
            ))
        })
}

/// The comparison operator `op` is, with its symbol, if it is one.
pub fn comparison(op: &BinaryOperator) -> Option<(CmpOp, &'static str)> {
    use BinaryOperator as B;
    Some(match op {
        B::Eq => (CmpOp::Eq, "="),
        B::NotEq => (CmpOp::NotEq, "<>"),
        B::Lt => (CmpOp::Lt, "<"),
        B::LtEq => (CmpOp::LtEq, "<="),
        B::Gt => (CmpOp::Gt, ">"),
        B::GtEq => (CmpOp::GtEq, ">="),
        _ => return None,
    })
}

/// `OPERATOR(pg_catalog.op)` (what psql writes) as the plain operator `op`.
fn qualified_operator(op: &BinaryOperator) -> Option<BinaryOperator> {
    let BinaryOperator::PGCustomBinaryOperator(parts) = op else {
        return None;
    };
    let sym = match parts.as_slice() {
        [schema, sym] if schema == "pg_catalog" => sym.as_str(),
        [sym] => sym.as_str(),
        _ => return None,
    };
    use BinaryOperator as B;
    Some(match sym {
        "~" => B::PGRegexMatch,
        "~*" => B::PGRegexIMatch,
        "!~" => B::PGRegexNotMatch,
        "!~*" => B::PGRegexNotIMatch,
        "~~" => B::PGLikeMatch,
        "~~*" => B::PGILikeMatch,
        "!~~" => B::PGNotLikeMatch,
        "!~~*" => B::PGNotILikeMatch,
        "=" => B::Eq,
        "<>" | "!=" => B::NotEq,
        "<" => B::Lt,
        "<=" => B::LtEq,
        ">" => B::Gt,
        ">=" => B::GtEq,
        "+" => B::Plus,
        "-" => B::Minus,
        "*" => B::Multiply,
        "/" => B::Divide,
        "%" => B::Modulo,
        "||" => B::StringConcat,
        _ => return None,
    })
}

impl Binder {
    /// Binds a `BinaryOp` node (and, outside aggregate mode, its whole left spine).
    pub(super) fn bind_binary(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        if super::record::is_row_comparison(e) {
            return self.bind_row_comparison(e, ctx);
        }
        if let ast::Expr::BinaryOp {
            left,
            op: BinaryOperator::Overlaps,
            right,
        } = e
        {
            return self.bind_overlaps(left, right, ctx);
        }
        let mut spine: Vec<(&BinaryOperator, &ast::Expr)> = Vec::new();
        let mut cur = e;
        while let ast::Expr::BinaryOp { left, op, right } = cur {
            if super::record::is_row_comparison(cur) {
                break;
            }
            // In aggregate mode every node may match a GROUP BY expression: no shortcut.
            if !spine.is_empty() && ctx.agg.is_some() {
                break;
            }
            spine.push((op, right));
            cur = left;
            if spine.len() > MAX_OPERATOR_CHAIN {
                return Err(Error::StackDepthExceeded);
            }
        }
        let mut acc = self.bind_expr(cur, ctx)?;
        for (op, right) in spine.into_iter().rev() {
            let r = self.bind_expr(right, ctx)?;
            let op = qualified_operator(op).unwrap_or_else(|| op.clone());
            acc = self.apply_binary(&op, acc, r)?;
        }
        Ok(acc)
    }

    fn bool_operand(&mut self, x: Expr, t: DataType, what: &str) -> Result<Expr> {
        match t {
            DataType::Bool => Ok(x),
            DataType::Unknown => self.coerce(x, t, DataType::Bool),
            _ => Err(mismatch(what, t)),
        }
    }

    /// Types `l op r` for already bound operands.
    fn apply_binary(
        &mut self,
        op: &BinaryOperator,
        l: (Expr, DataType),
        r: (Expr, DataType),
    ) -> Result<(Expr, DataType)> {
        use BinaryOperator as B;
        let ((le, lt), (re, rt)) = (l, r);
        let arith = match op {
            B::Plus => Some((ArithOp::Add, "+")),
            B::Minus => Some((ArithOp::Sub, "-")),
            B::Multiply => Some((ArithOp::Mul, "*")),
            B::Divide => Some((ArithOp::Div, "/")),
            B::Modulo => Some((ArithOp::Mod, "%")),
            B::BitwiseAnd => Some((ArithOp::BitAnd, "&")),
            B::BitwiseOr => Some((ArithOp::BitOr, "|")),
            B::PGBitwiseXor => Some((ArithOp::BitXor, "#")),
            B::PGBitwiseShiftLeft => Some((ArithOp::ShiftLeft, "<<")),
            B::PGBitwiseShiftRight => Some((ArithOp::ShiftRight, ">>")),
            _ => None,
        };
        let no_op = |sym: &str| {
            Error::UndefinedFunction(format!(
                "operator does not exist: {} {sym} {}",
                lt.name(),
                rt.name()
            ))
        };
        // `inet` has `<<`, `>>`, `&`, `|` of its own (containment and bitwise masks), ranges
        // `<<`, `>>`, `+`, `*`, `-` (position, union, intersection, difference).
        let own_ops =
            |t: DataType| matches!(t, DataType::Inet | DataType::Cidr | DataType::Range(_));
        if let Some((_, sym)) = arith
            && (own_ops(lt) || own_ops(rt))
            && let Some(r) = crate::expr::operators::resolve(sym, lt, rt)
        {
            let r = r?;
            let le = self.coerce(le, lt, r.args[0])?;
            let re = self.coerce(re, rt, r.args[1])?;
            return Ok((Expr::Call(r.func, vec![le, re]), r.ret));
        }
        if let Some((aop, sym)) = arith
            && aop.is_bitwise()
        {
            let integer = |t: DataType| t.is_integer() || t == DataType::Unknown;
            if !integer(lt) || !integer(rt) || (lt == DataType::Unknown && rt == DataType::Unknown)
            {
                return Err(no_op(sym));
            }
            // A shift keeps the left operand's type (its count is an int4); the others unify.
            let (t, right) = match aop {
                ArithOp::ShiftLeft | ArithOp::ShiftRight if lt == DataType::Unknown => {
                    (DataType::Int4, DataType::Int4)
                }
                ArithOp::ShiftLeft | ArithOp::ShiftRight => (lt, DataType::Int4),
                _ => {
                    let t = operand_type(lt, sym, rt)?;
                    (t, t)
                }
            };
            let (le, re) = (self.coerce(le, lt, t)?, self.coerce(re, rt, right)?);
            return Ok((Expr::Arith(aop, Box::new(le), Box::new(re), t), t));
        }
        if *op == B::PGExp {
            return self.bind_call("power", vec![(le, lt), (re, rt)]);
        }
        if *op == B::PGStartsWith {
            return self.bind_call("starts_with", vec![(le, lt), (re, rt)]);
        }
        if let Some((aop, sym)) = arith {
            let no_op = || no_op(sym);
            if lt == DataType::Unknown && rt == DataType::Unknown {
                return Err(Error::UndefinedFunction(format!(
                    "operator is not unique: unknown {sym} unknown"
                )));
            }
            if let Some(r) = crate::expr::operators::resolve(sym, lt, rt) {
                let r = r?;
                let le = self.coerce(le, lt, r.args[0])?;
                let re = self.coerce(re, rt, r.args[1])?;
                return Ok((Expr::Call(r.func, vec![le, re]), r.ret));
            }
            let t = DataType::common(lt, rt)
                .filter(|t| t.is_numeric())
                .ok_or_else(no_op)?
                .without_typmod();
            if aop == ArithOp::Mod && t.is_float() {
                return Err(no_op());
            }
            let (le, re) = (self.coerce(le, lt, t)?, self.coerce(re, rt, t)?);
            return Ok((Expr::Arith(aop, Box::new(le), Box::new(re), t), t));
        }
        let cmp = comparison(op);
        if let Some((cop, sym)) = cmp {
            let common = operand_type(lt, sym, rt)?;
            let (le, re) = (self.coerce(le, lt, common)?, self.coerce(re, rt, common)?);
            return Ok((
                Expr::Compare(cop, Box::new(le), Box::new(re)),
                DataType::Bool,
            ));
        }
        let other = match op {
            B::PGExp => Some("^"),
            B::BitwiseAnd => Some("&"),
            B::BitwiseOr => Some("|"),
            B::PGBitwiseXor => Some("#"),
            B::PGBitwiseShiftLeft => Some("<<"),
            B::PGBitwiseShiftRight => Some(">>"),
            B::StringConcat => Some("||"),
            B::AtArrow => Some("@>"),
            B::ArrowAt => Some("<@"),
            B::PGOverlap => Some("&&"),
            B::Arrow => Some("->"),
            B::LongArrow => Some("->>"),
            B::HashArrow => Some("#>"),
            B::HashLongArrow => Some("#>>"),
            B::Question => Some("?"),
            B::QuestionPipe => Some("?|"),
            B::QuestionAnd => Some("?&"),
            B::HashMinus => Some("#-"),
            B::AtQuestion => Some("@?"),
            B::AtAt => Some("@@"),
            // operators the tokenizer has no token of its own for
            B::Custom(s) if s == "<<=" => Some("<<="),
            B::Custom(s) if s == ">>=" => Some(">>="),
            B::Custom(s) if s == "-|-" => Some("-|-"),
            B::AndLt => Some("&<"),
            B::LtDashGt => Some("<->"),
            B::AndGt => Some("&>"),
            _ => None,
        };
        if let Some(sym) = other {
            match crate::expr::operators::resolve(sym, lt, rt) {
                Some(r) => {
                    let r = r?;
                    let le = self.coerce(le, lt, r.args[0])?;
                    let re = self.coerce(re, rt, r.args[1])?;
                    return Ok((Expr::Call(r.func, vec![le, re]), r.ret));
                }
                None if sym != "||" => {
                    return Err(Error::UndefinedFunction(format!(
                        "operator does not exist: {} {sym} {}",
                        lt.name(),
                        rt.name()
                    )));
                }
                None => {}
            }
        }
        Ok(match op {
            B::And => {
                let (a, b) = (
                    self.bool_operand(le, lt, "AND")?,
                    self.bool_operand(re, rt, "AND")?,
                );
                (Expr::And(Box::new(a), Box::new(b)), DataType::Bool)
            }
            B::Or => {
                let (a, b) = (
                    self.bool_operand(le, lt, "OR")?,
                    self.bool_operand(re, rt, "OR")?,
                );
                (Expr::Or(Box::new(a), Box::new(b)), DataType::Bool)
            }
            B::PGRegexMatch
            | B::PGRegexIMatch
            | B::PGRegexNotMatch
            | B::PGRegexNotIMatch
            | B::PGLikeMatch
            | B::PGILikeMatch
            | B::PGNotLikeMatch
            | B::PGNotILikeMatch => {
                let (func, negated) = match op {
                    B::PGRegexMatch => (
                        Function::RegexMatch {
                            case_insensitive: false,
                        },
                        false,
                    ),
                    B::PGRegexIMatch => (
                        Function::RegexMatch {
                            case_insensitive: true,
                        },
                        false,
                    ),
                    B::PGRegexNotMatch => (
                        Function::RegexMatch {
                            case_insensitive: false,
                        },
                        true,
                    ),
                    B::PGRegexNotIMatch => (
                        Function::RegexMatch {
                            case_insensitive: true,
                        },
                        true,
                    ),
                    B::PGLikeMatch => (
                        Function::Like {
                            case_insensitive: false,
                        },
                        false,
                    ),
                    B::PGILikeMatch => (
                        Function::Like {
                            case_insensitive: true,
                        },
                        false,
                    ),
                    B::PGNotLikeMatch => (
                        Function::Like {
                            case_insensitive: false,
                        },
                        true,
                    ),
                    _ => (
                        Function::Like {
                            case_insensitive: true,
                        },
                        true,
                    ),
                };
                let args = self.text_operands((le, lt), &op.to_string(), (re, rt))?;
                let call = Expr::Call(func, args);
                let e = if negated {
                    Expr::Not(Box::new(call))
                } else {
                    call
                };
                (e, DataType::Bool)
            }
            B::StringConcat => {
                let le = self.coerce(le, lt, DataType::Text)?;
                let re = self.coerce(re, rt, DataType::Text)?;
                (Expr::Concat(Box::new(le), Box::new(re)), DataType::Text)
            }
            other => {
                return Err(Error::unsupported(format!(
                    "operator {other} is not supported yet"
                )));
            }
        })
    }
}
