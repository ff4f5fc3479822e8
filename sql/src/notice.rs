//! Notices and warnings: the messages PostgreSQL sends a client while a statement runs, next
//! to its result — `NOTICE: table "t" does not exist, skipping` for `DROP TABLE IF EXISTS t`,
//! `WARNING: there is no transaction in progress` for a `COMMIT` outside a block.
//!
//! Like [`crate::interrupt`] and [`crate::env`], the sink is *installed* on the session's
//! thread rather than passed through every call: DDL, the transaction state machine and
//! (later) functions [`emit`] where they are, and [`Session`](crate::Session) [`take`]s what a
//! statement emitted when it ends, keeps what the session's `client_min_messages` lets
//! through ([`passes`]), and hands it to the front end with the statement's
//! [`StatementResult`](crate::StatementResult).
//!
//! Invariant: a statement's notices never leak into another's — the session takes (and so
//! clears) the sink at the start and at the end of each statement, and a statement runs
//! synchronously on one thread.

use std::cell::RefCell;

/// How severe a notice is; only the two a statement of ours can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Notice,
    Warning,
    /// PL/pgSQL's `RAISE INFO`: always sent, whatever `client_min_messages` says.
    Info,
}

impl Severity {
    /// The severity as the wire's `S` / `V` fields spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }

    /// Rank against `client_min_messages` (PostgreSQL's order for messages to the client:
    /// debug5 … debug1, log, notice, warning, error).
    fn rank(self) -> u8 {
        match self {
            Severity::Notice => 6,
            Severity::Warning => 7,
            Severity::Info => 9,
        }
    }
}

/// One NoticeResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub severity: Severity,
    /// SQLSTATE (`00000` for a plain notice).
    pub code: &'static str,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Notice {
    /// A NOTICE with SQLSTATE `code`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: Severity::Notice,
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// A WARNING with SQLSTATE `code`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Notice {
        Notice {
            severity: Severity::Warning,
            ..Notice::new(code, message)
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Notice {
        self.detail = Some(detail.into());
        self
    }
}

thread_local! {
    static PENDING: RefCell<Vec<Notice>> = const { RefCell::new(Vec::new()) };
}

/// Queues `notice` for the statement running on this thread.
pub fn emit(notice: Notice) {
    PENDING.with(|p| p.borrow_mut().push(notice));
}

/// `NOTICE: <what> "<name>" does not exist, skipping` (a DROP ... IF EXISTS of nothing).
pub fn skipping_missing(what: &str, name: &str) {
    emit(Notice::new(
        "00000",
        format!("{what} \"{name}\" does not exist, skipping"),
    ));
}

/// `NOTICE: <what> "<name>" already exists, skipping` (a CREATE ... IF NOT EXISTS of
/// something there), with the SQLSTATE the error would have had.
pub fn skipping_existing(code: &'static str, what: &str, name: &str) {
    emit(Notice::new(
        code,
        format!("{what} \"{name}\" already exists, skipping"),
    ));
}

/// Everything queued on this thread since the last take, oldest first.
pub fn take() -> Vec<Notice> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// Whether a notice of `severity` reaches a client whose `client_min_messages` is `setting`
/// (an unknown setting lets everything through).
pub fn passes(severity: Severity, setting: &str) -> bool {
    let min = match setting.to_ascii_lowercase().as_str() {
        "debug5" | "debug4" | "debug3" | "debug2" | "debug1" | "debug" => 1,
        "log" => 5,
        "info" | "notice" => 6,
        "warning" => 7,
        "error" => 8,
        _ => 0,
    };
    severity.rank() >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_drains_in_order() {
        take();
        emit(Notice::new("00000", "a"));
        emit(Notice::warning("25P01", "b"));
        let got = take();
        assert_eq!(
            got.iter().map(|n| n.message.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(got[1].severity, Severity::Warning);
        assert!(take().is_empty());
    }

    #[test]
    fn client_min_messages_filters() {
        assert!(passes(Severity::Notice, "notice"));
        assert!(passes(Severity::Notice, "DEBUG1"));
        assert!(!passes(Severity::Notice, "warning"));
        assert!(passes(Severity::Warning, "warning"));
        assert!(!passes(Severity::Warning, "error"));
    }
}
