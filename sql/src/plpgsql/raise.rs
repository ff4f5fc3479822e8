//! `RAISE level 'format' [, args] [USING option = expr, ...]`: a NOTICE / WARNING / INFO
//! for the client ([`crate::notice`]) or an error (EXCEPTION, SQLSTATE P0001 unless a
//! condition or `USING ERRCODE` says otherwise). `%` in the format takes the next
//! argument's text (`<NULL>` for NULL), `%%` is a percent sign.

use super::ast::RaiseLevel;
use super::conditions;
use super::exec::{Flow, Interp, cast, raised};
use crate::notice::{Notice, Severity};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// The format with each `%` replaced by the next argument.
pub fn format(f: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if chars.peek() == Some(&'%') {
                chars.next();
                out.push('%');
            } else if let Some(a) = args.next() {
                out.push_str(a);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn as_text(v: Value, ty: DataType) -> Result<Option<String>> {
    Ok(match cast(v, ty, DataType::Text)? {
        Value::Null => None,
        v => Some(v.to_string()),
    })
}

pub fn raise(
    it: &mut Interp,
    level: RaiseLevel,
    condition: Option<&str>,
    fmt: Option<&str>,
    args: &[String],
    options: &[(String, String)],
) -> Result<Flow> {
    let mut texts = Vec::new();
    for a in args {
        let (v, ty) = it.eval(a)?;
        texts.push(as_text(v, ty)?.unwrap_or_else(|| "<NULL>".into()));
    }
    let mut message = fmt.map(|f| format(f, &texts));
    let mut code = condition.map(str::to_string);
    let (mut detail, mut hint) = (None, None);
    for (name, e) in options {
        let (v, ty) = it.eval(e)?;
        let Some(text) = as_text(v, ty)? else {
            return Err(Error::NullValueNotAllowed(
                "RAISE statement option cannot be null".into(),
            ));
        };
        match name.as_str() {
            "message" => {
                if message.is_some() {
                    return Err(raised("42601", "RAISE option already specified: MESSAGE"));
                }
                message = Some(text)
            }
            "detail" => detail = Some(text),
            "hint" => hint = Some(text),
            "errcode" => {
                if code.is_some() {
                    return Err(raised("42601", "RAISE option already specified: ERRCODE"));
                }
                code = Some(
                    if text.len() == 5 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        text
                    } else {
                        conditions::code(&text)
                            .ok_or_else(|| {
                                Error::UndefinedObject(format!(
                                    "unrecognized exception condition \"{text}\""
                                ))
                            })?
                            .to_string()
                    },
                );
            }
            "column" | "constraint" | "datatype" | "table" | "schema" => {}
            other => {
                return Err(Error::SyntaxError(format!(
                    "unrecognized RAISE statement option \"{other}\""
                )));
            }
        }
    }
    let code = code.unwrap_or_else(|| {
        if level == RaiseLevel::Exception {
            "P0001".into()
        } else {
            "00000".into()
        }
    });
    let message = message.unwrap_or_else(|| match condition {
        Some(c) => conditions::name(c)
            .map(str::to_string)
            .unwrap_or_else(|| c.to_string()),
        None => code.clone(),
    });
    let severity = match level {
        RaiseLevel::Exception => {
            return Err(Error::Raised(Box::new(crate::error::Raised {
                code: conditions::intern(&code),
                message,
                detail,
                hint,
            })));
        }
        RaiseLevel::Warning => Severity::Warning,
        RaiseLevel::Notice => Severity::Notice,
        RaiseLevel::Info => Severity::Info,
        // Below client_min_messages' lowest useful level: PostgreSQL logs them only.
        RaiseLevel::Debug | RaiseLevel::Log => return Ok(Flow::Normal),
    };
    crate::notice::emit(Notice {
        severity,
        code: conditions::intern(&code),
        message,
        detail,
        hint,
    });
    Ok(Flow::Normal)
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_formatting() {
        assert_eq!(
            super::format("a % b %% c %", &["1".into(), "2".into()]),
            "a 1 b % c 2"
        );
    }
}
