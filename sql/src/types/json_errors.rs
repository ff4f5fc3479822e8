//! PostgreSQL's description of malformed JSON input: the DETAIL (`Token "x" is invalid.`,
//! `The input string ended unexpectedly.`, `Expected ":", but found "}".`, ...) and the
//! CONTEXT (`JSON data, line 1: {"a":x...`) of 22P02 `invalid input syntax for type json`.
//!
//! serde_json decides whether text is JSON; when it refuses, [`describe`] walks the text with
//! PostgreSQL's lexer and recursive-descent parser ([`super::json_lexer`]) to find the
//! token they stop at and word it as `json_errdetail` and `report_json_context` do: the
//! context is the line of the token up to its end (at most 50 bytes, `...` before when cut),
//! with `...` after when more input follows on that line.

use super::json_lexer::{Lexer, Tok};

/// PostgreSQL's DETAIL and CONTEXT for `s` as JSON input, `None` when its grammar accepts
/// `s` (serde_json refused it for another reason).
pub fn describe(s: &str) -> Option<(String, String)> {
    let mut lex = Lexer::new(s);
    let detail = match lex.value().and_then(|()| match lex.next()? {
        Tok::End => Ok(()),
        _ => Err(lex.unexpected("Expected end of input")),
    }) {
        Ok(()) => return None,
        Err(d) => d,
    };
    let bytes = s.as_bytes();
    let end = lex.end.min(bytes.len());
    let mut start = lex.line_start.min(end);
    let mut prefix = "";
    if end - start >= 50 {
        start = end - 49;
        while start < end && !s.is_char_boundary(start) {
            start += 1;
        }
        prefix = "...";
    }
    // The failing token is not the end of input, and more follows it on its line.
    let more =
        lex.start < bytes.len() && end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r';
    let mut shown_end = end;
    while shown_end < bytes.len() && !s.is_char_boundary(shown_end) {
        shown_end += 1;
    }
    let context = format!(
        "JSON data, line {}: {prefix}{}{}",
        lex.line,
        &s[start..shown_end],
        if more { "..." } else { "" }
    );
    Some((detail, context))
}

#[cfg(test)]
mod tests {
    use super::describe;

    fn d(s: &str) -> (String, String) {
        describe(s).expect("an error")
    }

    #[test]
    fn errors_are_worded_as_postgresql() {
        // From PostgreSQL 15.
        assert_eq!(
            d(r#"{"a":x}"#),
            (
                "Token \"x\" is invalid.".into(),
                "JSON data, line 1: {\"a\":x...".into()
            )
        );
        assert_eq!(
            d(r#"{"a":"#),
            (
                "The input string ended unexpectedly.".into(),
                "JSON data, line 1: {\"a\":".into()
            )
        );
        assert_eq!(
            d("{\"a\":1,\n \"b\": x}"),
            (
                "Token \"x\" is invalid.".into(),
                "JSON data, line 2:  \"b\": x...".into()
            )
        );
        assert!(describe(r#"{"a": [1, 2.5e3, true, null, "x\n"]}"#).is_none());
    }
}
