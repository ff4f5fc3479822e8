//! Session information and server signalling functions: `version()`,
//! `current_database()`, `current_user` / `session_user` / `user` /
//! `current_role`, `pg_backend_pid()`, `pg_sleep(seconds)`, `current_setting(name [, missing_ok])`,
//! `set_config(name, value, is_local)`, `pg_cancel_backend(pid)` and
//! `pg_terminate_backend(pid [, timeout])`. They read the session the running statement
//! belongs to ([`crate::env::SessionInfo`]: its identity and its
//! [`crate::settings::Settings`], the same store SET and SHOW use) and the server's session
//! list ([`crate::env::Activity`]).
//!
//! `set_config` is a SET: checked and normalised the same way, undone when the transaction
//! aborts, and with `is_local` a `SET LOCAL`. Names with a dot (`myapp.user_id`) are custom
//! settings and may be created, as in PostgreSQL; other unknown names are 42704.

use super::{Function, text};
use crate::env;
use crate::{Error, Result, Value};

/// The text `version()` returns: PostgreSQL's form, which drivers and ORMs parse for the
/// version number, with Strata's.
pub fn version() -> String {
    let server = env::with(|e| e.session.setting("server_version"))
        .unwrap_or_else(|| crate::settings::SERVER_VERSION.into());
    format!(
        "PostgreSQL {server} (Strata {}) on {}-pc-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// Calls a session information function (the caller handled strictness).
pub fn call(f: Function, args: Vec<Value>) -> Result<Value> {
    let session = env::with(|e| e.session.clone());
    let t = |s: String| Ok(Value::Text(s));
    match f {
        Function::Version => t(version()),
        Function::CurrentDatabase => t(session.database.clone()),
        Function::CurrentUser => t(env::with(|e| e.catalog.as_ref().map(|c| c.user.clone()))
            .unwrap_or_else(|| session.user.clone())),
        Function::SessionUser => t(session.user.clone()),
        Function::BackendPid => Ok(Value::Int(i64::from(session.backend_pid))),
        Function::Sleep => {
            if let Some(Value::Float(secs)) = args.first() {
                sleep(*secs)?;
            }
            t(String::new())
        }
        Function::TransactionId(if_assigned) => {
            Ok(transaction_id(&session, if_assigned).map_or(Value::Null, |x| Value::Int(x as i64)))
        }
        Function::XactStatus => match args.first() {
            Some(Value::Int(x)) => {
                Ok(xact_status(*x as u64)?.map_or(Value::Null, |s| Value::Text(s.into())))
            }
            _ => Ok(Value::Null),
        },
        Function::StatsNoOp => t(String::new()),
        Function::CurrentSetting => {
            let name = text(args.first().unwrap_or(&Value::Null))?;
            let missing_ok = matches!(args.get(1), Some(Value::Bool(true)));
            match session.settings().show(name) {
                Ok(v) => t(v),
                Err(Error::UndefinedParameter(_)) if missing_ok => Ok(Value::Null),
                Err(e) => Err(e),
            }
        }
        Function::SetConfig => {
            let name = text(args.first().unwrap_or(&Value::Null))?;
            let value = text(args.get(1).unwrap_or(&Value::Null))?;
            let local = matches!(args.get(2), Some(Value::Bool(true)));
            let mut settings = session.settings();
            // The isolation level belongs to the transaction (SET TRANSACTION): checked only.
            let v = if name.eq_ignore_ascii_case("transaction_isolation") {
                settings.check(name, value)?
            } else {
                settings.set(name, value, local)?
            };
            t(v)
        }
        Function::CancelBackend | Function::TerminateBackend => {
            let Some(Value::Int(pid)) = args.first() else {
                return Ok(Value::Null);
            };
            let pid = i32::try_from(*pid).unwrap_or(0);
            let activity = env::catalog()?.activity.clone();
            let found = activity.is_some_and(|a| {
                if f == Function::CancelBackend {
                    a.cancel(pid)
                } else {
                    a.terminate(pid)
                }
            });
            Ok(Value::Bool(found))
        }
        Function::Advisory(call) => advisory(&session, call, &args),
        Function::AdvisoryUnlockAll => {
            env::catalog()?
                .services
                .advisory_release(session.backend_pid, false);
            t(String::new())
        }
        Function::Notify => {
            let arg = |i: usize| match args.get(i) {
                Some(Value::Text(t)) => t.as_str(),
                _ => "",
            };
            let cenv = env::catalog()?;
            if cenv.services.replication().in_recovery {
                return Err(crate::session::during_recovery("NOTIFY"));
            }
            session.notify.notify(arg(0), arg(1))?;
            t(String::new())
        }
        Function::NotificationQueueUsage => Ok(Value::Float(session.notify.queue_usage())),
        Function::BlockingPids => {
            let Some(Value::Int(pid)) = args.first() else {
                return Ok(Value::Null);
            };
            let locks = env::catalog()?.services.locks();
            let pids =
                crate::system::locks::blocking_pids(&locks, i32::try_from(*pid).unwrap_or(0));
            Ok(Value::Array(Box::new(crate::types::Array::from_items(
                pids.into_iter().map(|p| Value::Int(i64::from(p))).collect(),
            ))))
        }
        other => Err(Error::Internal(format!(
            "{other:?} is not a system function"
        ))),
    }
}

/// The current transaction's id (`txid_current()`, `pg_current_xact_id()`), assigned on
/// the first call in the transaction and the same for the rest of it; with `if_assigned`
/// (`..._if_assigned()`), `None` when no call assigned one yet.
///
/// Strata's MVCC orders transactions by commit LSN and has no PostgreSQL xid, so these ids
/// come from one counter per server process, started at the wall clock in microseconds: they
/// increase across transactions, also across restarts (unless a process started more than
/// a million transactions a second), and are unique per server but are not WAL positions,
/// not shared between computes, and not assigned by writes alone (PostgreSQL also assigns one
/// at a transaction's first write, which `_if_assigned` would then report).
pub fn transaction_id(session: &env::SessionInfo, if_assigned: bool) -> Option<u64> {
    use std::sync::atomic::Ordering;
    match session.xid.load(Ordering::Relaxed) {
        0 if if_assigned => None,
        0 => {
            let id = XIDS.next.fetch_add(1, Ordering::Relaxed);
            session.xid.store(id, Ordering::Relaxed);
            XIDS.set(id, XactStatus::InProgress);
            Some(id)
        }
        id => Some(id),
    }
}

/// The outcome of a transaction that had an id ([`transaction_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XactStatus {
    InProgress,
    Committed,
    Aborted,
}

/// The ids this server process handed out and the outcomes of their transactions (the
/// newest [`Xids::KEPT`]).
struct Xids {
    /// The first id of this process.
    first: u64,
    next: std::sync::atomic::AtomicU64,
    status: std::sync::Mutex<std::collections::BTreeMap<u64, XactStatus>>,
}

impl Xids {
    const KEPT: usize = 1 << 16;

    fn set(&self, id: u64, s: XactStatus) {
        let mut m = self.status.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(id, s);
        while m.len() > Self::KEPT {
            m.pop_first();
        }
    }
}

static XIDS: std::sync::LazyLock<Xids> = std::sync::LazyLock::new(|| {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_micros() as u64)
        .max(1);
    Xids {
        first: micros,
        next: std::sync::atomic::AtomicU64::new(micros),
        status: std::sync::Mutex::new(std::collections::BTreeMap::new()),
    }
});

/// Records how the session's transaction ended, if it had an id.
pub fn transaction_ended(session: &env::SessionInfo, committed: bool) {
    let id = session.xid.swap(0, std::sync::atomic::Ordering::Relaxed);
    if id != 0 {
        XIDS.set(
            id,
            if committed {
                XactStatus::Committed
            } else {
                XactStatus::Aborted
            },
        );
    }
}

/// `pg_xact_status(xid)`: `in progress`, `committed` or `aborted` for an id this process
/// handed out among the newest [`Xids::KEPT`]; NULL for an older one (PostgreSQL: one
/// whose commit log is truncated), which includes the ids of other computes and of earlier
/// runs; 22023 for one not handed out yet.
pub fn xact_status(id: u64) -> Result<Option<&'static str>> {
    if id >= XIDS.next.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::InvalidParameterValue(format!(
            "transaction ID {id} is in the future"
        )));
    }
    if id < XIDS.first {
        return Ok(None);
    }
    let m = XIDS.status.lock().unwrap_or_else(|e| e.into_inner());
    Ok(m.get(&id).map(|s| match s {
        XactStatus::InProgress => "in progress",
        XactStatus::Committed => "committed",
        XactStatus::Aborted => "aborted",
    }))
}

/// An advisory lock function over its key (a bigint, or two int4s packed high-low).
fn advisory(
    session: &env::SessionInfo,
    call: super::AdvisoryCall,
    args: &[Value],
) -> Result<Value> {
    use std::sync::atomic::Ordering;
    let key = match args {
        [Value::Int(k)] => crate::storage::AdvisoryKey {
            key: *k,
            two_part: false,
        },
        [Value::Int(hi), Value::Int(lo)] => crate::storage::AdvisoryKey {
            key: (*hi << 32) | i64::from(*lo as u32),
            two_part: true,
        },
        _ => return Ok(Value::Null),
    };
    let services = env::catalog()?.services.clone();
    let pid = session.backend_pid;
    if call.unlock {
        let released = services.advisory_unlock(pid, key, call.shared)?;
        if !released {
            let mode = if call.shared {
                "ShareLock"
            } else {
                "ExclusiveLock"
            };
            crate::notice::emit(crate::notice::Notice::warning(
                "01000",
                format!("you don't own a lock of type {mode}"),
            ));
        }
        return Ok(Value::Bool(released));
    }
    let taken = services.advisory_lock(pid, key, call.shared, call.xact, !call.try_)?;
    if taken {
        let flag = if call.xact {
            &session.advisory_xact
        } else {
            &session.advisory_session
        };
        flag.store(true, Ordering::Relaxed);
    }
    Ok(if call.try_ {
        Value::Bool(taken)
    } else {
        Value::Text(String::new())
    })
}

/// `pg_sleep`: sleeps in short slices so a cancel or `statement_timeout` ends it (57014).
fn sleep(secs: f64) -> Result<()> {
    const SLICE: std::time::Duration = std::time::Duration::from_millis(10);
    if secs.is_nan() || secs <= 0.0 {
        return Ok(());
    }
    let total = std::time::Duration::try_from_secs_f64(secs).unwrap_or(std::time::Duration::MAX);
    let end = std::time::Instant::now().checked_add(total);
    loop {
        crate::interrupt::check()?;
        let now = std::time::Instant::now();
        let left = match end {
            Some(end) if end > now => end - now,
            Some(_) => return Ok(()),
            None => SLICE,
        };
        std::thread::sleep(left.min(SLICE));
    }
}
