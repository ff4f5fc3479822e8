//! # durable: fsync of local files, and what a failed one means
//!
//! Every durable local write of the safekeeper (WAL segments, control and
//! meta files, their directories) and of the pageserver (layer files,
//! `timeline.meta`, tombstones, retention, their directories) is made
//! durable through [`sync_data`], [`sync_all`] or [`sync_dir`].
//!
//! ## A failed fsync is fatal
//! When `fsync`/`fdatasync` fails, Linux may already have dropped the dirty
//! pages and marked them clean: a second fsync then succeeds although the
//! data never reached the disk (PostgreSQL's "fsyncgate", 2018). Retrying in
//! place, or reopening the file in the same process and trusting what it
//! reads, would acknowledge data that is lost. So a failed fsync logs an
//! error naming the file and **exits the process** with
//! [`FSYNC_FAILED_EXIT_CODE`] (`EX_IOERR`), as PostgreSQL PANICs. The
//! supervisor restarts it; recovery then reads only what is really on disk
//! (and a safekeeper catches up from its peers, a pageserver re-ingests WAL
//! after `remote_consistent_lsn` from the safekeepers). Nothing was
//! acknowledged on the strength of the failed fsync, because every caller
//! syncs before it replies.
//!
//! ## Fault injection
//! - `STRATA_FAIL_FSYNC=N` or `N:PATTERN` in a process's environment makes
//!   its N-th fsync (counting only paths containing `PATTERN`, 1-based) fail
//!   with an I/O error without syncing anything — the fatal path then exits
//!   the process. Black-box tests start a real `strata safekeeper` with it.
//! - [`inject`] arms a fault for files under one directory whose failure is
//!   *recorded* ([`recorded`]) instead of exiting, and returned to the caller
//!   as an error, so an in-process test can see the fatal path taken.
//!
//! Cost on the write path with nothing injected: one relaxed atomic load
//! and one initialized-once check per fsync.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};

/// The exit code of a process stopped by a failed fsync (`EX_IOERR` of
/// sysexits.h).
pub const FSYNC_FAILED_EXIT_CODE: i32 = 74;

/// The environment variable of the process-wide fault (see the module docs).
pub const FAIL_FSYNC_ENV: &str = "STRATA_FAIL_FSYNC";

/// `fdatasync(file)`; a failure is fatal (see the module docs).
pub fn sync_data(file: &File, path: &Path) -> io::Result<()> {
    sync(path, || file.sync_data())
}

/// `fsync(file)`; a failure is fatal (see the module docs).
pub fn sync_all(file: &File, path: &Path) -> io::Result<()> {
    sync(path, || file.sync_all())
}

/// fsyncs directory `dir`, making creates, renames and deletes in it
/// durable; a failed fsync is fatal. (Failing to *open* the directory is an
/// ordinary error: nothing was lost.)
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let d = File::open(dir)?;
    sync(dir, || d.sync_all())
}

/// A failed fsync as an in-process test sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalFsync {
    pub path: PathBuf,
    pub error: String,
}

/// An injected fault: the `countdown`-th fsync of a file under `under`
/// fails and is recorded.
#[derive(Debug)]
struct Fault {
    under: PathBuf,
    countdown: u64,
}

/// Set once any in-process fault was injected (the fast path skips the lock).
static ARMED: AtomicBool = AtomicBool::new(false);
static FAULTS: Mutex<Vec<Fault>> = Mutex::new(Vec::new());
static RECORDED: Mutex<Vec<FatalFsync>> = Mutex::new(Vec::new());

/// The process-wide fault from [`FAIL_FSYNC_ENV`]: `(n, pattern)`.
static ENV_FAULT: LazyLock<Option<(u64, String)>> = LazyLock::new(|| {
    let v = std::env::var(FAIL_FSYNC_ENV).ok()?;
    let (n, pattern) = v.split_once(':').unwrap_or((v.as_str(), ""));
    let n = n.trim().parse().ok().filter(|&n| n > 0)?;
    tracing::warn!(n, pattern, "fault injection: fsync number {n} will fail");
    Some((n, pattern.to_string()))
});
static ENV_COUNT: AtomicU64 = AtomicU64::new(0);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes the `nth` (1-based) fsync of a file under `under` fail; the
/// failure is recorded ([`recorded`]) and returned, not fatal. For tests.
pub fn inject(under: impl Into<PathBuf>, nth: u64) {
    lock(&FAULTS).push(Fault {
        under: under.into(),
        countdown: nth.max(1),
    });
    ARMED.store(true, Ordering::SeqCst);
}

/// The injected failures the fatal path recorded for files under `under`.
pub fn recorded(under: &Path) -> Vec<FatalFsync> {
    lock(&RECORDED)
        .iter()
        .filter(|f| f.path.starts_with(under))
        .cloned()
        .collect()
}

/// How an injected failure ends.
enum Injected {
    /// From the environment: the real fatal path.
    Exit,
    /// From [`inject`]: recorded and returned.
    Record,
}

fn injected(path: &Path) -> Option<Injected> {
    if let Some((n, pattern)) = &*ENV_FAULT
        && path.to_string_lossy().contains(pattern.as_str())
        && ENV_COUNT.fetch_add(1, Ordering::SeqCst) + 1 == *n
    {
        return Some(Injected::Exit);
    }
    if !ARMED.load(Ordering::Relaxed) {
        return None;
    }
    let mut faults = lock(&FAULTS);
    let i = faults.iter().position(|f| path.starts_with(&f.under))?;
    faults[i].countdown -= 1;
    if faults[i].countdown > 0 {
        return None;
    }
    faults.remove(i);
    Some(Injected::Record)
}

fn sync(path: &Path, f: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    let (result, record) = match injected(path) {
        None => (f(), false),
        Some(how) => (
            Err(io::Error::other("injected fsync failure")),
            matches!(how, Injected::Record),
        ),
    };
    if let Err(e) = &result {
        fsync_failed(path, e, record);
    }
    result
}

/// The fatal path: log, then exit (or, for an in-process injected fault,
/// record and return so the caller's error handling runs).
fn fsync_failed(path: &Path, e: &io::Error, record: bool) {
    tracing::error!(
        file = %path.display(),
        error = %e,
        "fsync failed: the data may be lost from the page cache; stopping the process \
         (a restart recovers from what is on disk)"
    );
    if record {
        lock(&RECORDED).push(FatalFsync {
            path: path.to_path_buf(),
            error: e.to_string(),
        });
        return;
    }
    eprintln!(
        "FATAL: fsync of {} failed: {e}; exiting with code {FSYNC_FAILED_EXIT_CODE}",
        path.display()
    );
    std::process::exit(FSYNC_FAILED_EXIT_CODE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_injected_fault_fails_the_nth_fsync_under_its_directory_once() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = File::create(&path).unwrap();
        let elsewhere = File::create(other.path().join("g")).unwrap();
        inject(dir.path(), 2);
        sync_data(&file, &path).unwrap();
        sync_all(&elsewhere, &other.path().join("g")).unwrap();
        let err = sync_all(&file, &path).unwrap_err();
        assert!(err.to_string().contains("injected"), "{err}");
        let seen = recorded(dir.path());
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].path, path);
        // One failure per injection; the directory syncs again after it
        // (the callers never retry: in production the process is gone).
        sync_data(&file, &path).unwrap();
        sync_dir(dir.path()).unwrap();
        assert!(recorded(other.path()).is_empty());
    }
}
