//! Evaluation: three-valued logic, overflow at the expression's width, casts.

use super::{ArithOp, CmpOp, Expr};
use crate::types::{DataType, Value};

fn lit(v: Value) -> Box<Expr> {
    Box::new(Expr::Literal(v))
}

fn eval(e: Expr) -> crate::Result<Value> {
    e.eval(&[], &super::Params(&[]))
}

#[test]
fn kleene_logic() {
    let (t, f, n) = (Value::Bool(true), Value::Bool(false), Value::Null);
    let and = |a: &Value, b: &Value| eval(Expr::And(lit(a.clone()), lit(b.clone()))).unwrap();
    let or = |a: &Value, b: &Value| eval(Expr::Or(lit(a.clone()), lit(b.clone()))).unwrap();
    assert_eq!(and(&t, &n), n);
    assert_eq!(and(&f, &n), f);
    assert_eq!(and(&n, &f), f);
    assert_eq!(or(&t, &n), t);
    assert_eq!(or(&n, &t), t);
    assert_eq!(or(&f, &n), n);
    assert_eq!(eval(Expr::Not(lit(n.clone()))).unwrap(), n);
    assert!(
        !Expr::Literal(Value::Null)
            .is_true(&[], &super::Params(&[]))
            .unwrap()
    );
}

#[test]
fn arithmetic_checks_the_result_width() {
    let add = |a, b, ty| {
        eval(Expr::Arith(
            ArithOp::Add,
            lit(Value::Int(a)),
            lit(Value::Int(b)),
            ty,
        ))
    };
    assert_eq!(
        add(i32::MAX as i64, 1, DataType::Int8).unwrap(),
        Value::Int(2147483648)
    );
    assert_eq!(
        add(i32::MAX as i64, 1, DataType::Int4)
            .unwrap_err()
            .to_string(),
        "integer out of range"
    );
    assert_eq!(
        add(i16::MAX as i64, 1, DataType::Int2)
            .unwrap_err()
            .to_string(),
        "smallint out of range"
    );
    assert_eq!(
        add(i64::MAX, 1, DataType::Int8).unwrap_err().to_string(),
        "bigint out of range"
    );
    let div = |a, b| {
        eval(Expr::Arith(
            ArithOp::Div,
            lit(Value::Int(a)),
            lit(Value::Int(b)),
            DataType::Int4,
        ))
    };
    assert_eq!(div(7, -2).unwrap(), Value::Int(-3));
    assert_eq!(div(1, 0).unwrap_err().code(), "22012");
    assert_eq!(div(i32::MIN as i64, -1).unwrap_err().code(), "22003");
    let fmul = eval(Expr::Arith(
        ArithOp::Mul,
        lit(Value::Float(1e300)),
        lit(Value::Float(1e300)),
        DataType::Float8,
    ));
    assert_eq!(fmul.unwrap_err().code(), "22003");
    assert_eq!(
        eval(Expr::Neg(lit(Value::Int(i32::MIN as i64)), DataType::Int4))
            .unwrap_err()
            .code(),
        "22003"
    );
    let plus_null = eval(Expr::Arith(
        ArithOp::Add,
        lit(Value::Null),
        lit(Value::Int(1)),
        DataType::Int4,
    ));
    assert_eq!(plus_null.unwrap(), Value::Null);
}

#[test]
fn comparisons_in_lists_and_case() {
    let cmp = |op, a, b| eval(Expr::Compare(op, lit(a), lit(b))).unwrap();
    assert_eq!(
        cmp(CmpOp::Lt, Value::Int(1), Value::Float(1.5)),
        Value::Bool(true)
    );
    assert_eq!(cmp(CmpOp::Eq, Value::Null, Value::Null), Value::Null);
    let in_list = |v, list: Vec<Value>, negated| {
        eval(Expr::InList {
            expr: lit(v),
            list: list.into_iter().map(Expr::Literal).collect(),
            negated,
        })
        .unwrap()
    };
    assert_eq!(
        in_list(Value::Int(1), vec![Value::Int(2), Value::Null], false),
        Value::Null
    );
    assert_eq!(
        in_list(Value::Int(2), vec![Value::Int(2), Value::Null], false),
        Value::Bool(true)
    );
    assert_eq!(
        in_list(Value::Int(1), vec![Value::Int(2)], true),
        Value::Bool(true)
    );
    let case = Expr::Case {
        whens: vec![(Expr::Literal(Value::Null), Expr::Literal(Value::Int(1)))],
        otherwise: Some(lit(Value::Int(2))),
    };
    assert_eq!(eval(case).unwrap(), Value::Int(2));
}

#[test]
fn casts_and_concat() {
    let c = Expr::Cast {
        expr: lit(Value::Text("12".into())),
        from: DataType::Text,
        to: DataType::Int2,
        explicit: true,
    };
    assert_eq!(eval(c).unwrap(), Value::Int(12));
    let c = Expr::Concat(lit(Value::Text("a".into())), lit(Value::Null));
    assert_eq!(eval(c).unwrap(), Value::Null);
    let c = Expr::Concat(lit(Value::Text("v".into())), lit(Value::Float(0.5)));
    assert_eq!(eval(c).unwrap(), Value::Text("v0.5".into()));
}
