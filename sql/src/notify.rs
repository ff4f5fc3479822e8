//! LISTEN / NOTIFY / UNLISTEN, `pg_notify`, `pg_listening_channels` and
//! `pg_notification_queue_usage`, with PostgreSQL's transactional semantics:
//!
//! * NOTIFY (or `pg_notify`) queues a notification in the session's transaction
//!   ([`SessionNotify::notify`]); it is published when the transaction commits and dropped
//!   when it (or the savepoint it was queued under) rolls back. Duplicates — the same channel
//!   and payload — within one transaction are folded into the first.
//! * LISTEN / UNLISTEN / UNLISTEN * are queued the same way and take effect at commit, before
//!   the transaction's notifications are published, so a session hears its own.
//! * Publishing ([`Hub::publish`]) puts each notification in the mailbox of every session
//!   listening on its channel at that moment, in commit order, and wakes its front end
//!   ([`SessionNotify::set_waker`]); the front end takes them ([`SessionNotify::take`]) when
//!   the session is idle outside a transaction, as PostgreSQL delivers them. A notification is
//!   only delivered if the session still listens on its channel when it is taken.
//!
//! The [`Hub`] is the set of listening sessions of one database server: the compute's front
//! end gives all its sessions one hub; a session without one (the reference session of the
//! SQL tests) has a private hub and hears only itself. PostgreSQL's hub is the cluster.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{Error, Result};

/// Longest payload, in bytes (PostgreSQL's `NOTIFY_PAYLOAD_MAX_LENGTH` - 1).
pub const MAX_PAYLOAD: usize = 7999;
/// Longest channel name, in bytes (`NAMEDATALEN` - 1).
const MAX_CHANNEL: usize = 63;
/// PostgreSQL's queue is at most this many bytes (`max_notify_queue_pages` 8 kB pages).
const QUEUE_BYTES: f64 = 1_048_576.0 * 8192.0;

/// One delivered notification: the sending backend's pid, the channel, the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub pid: i32,
    pub channel: String,
    pub payload: String,
}

/// A listen-state change queued by a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// One session's receiving end, shared with the hub.
#[derive(Default)]
struct Mailbox {
    /// The committed LISTEN channels, in the order they were added.
    channels: Mutex<Vec<String>>,
    queue: Mutex<VecDeque<Notification>>,
    /// Wakes the session's front end when something arrives.
    waker: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is a single push or take: a panicking holder leaves nothing half-done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Mailbox {
    fn listens(&self, channel: &str) -> bool {
        lock(&self.channels).iter().any(|c| c == channel)
    }
}

/// The listening sessions of one server. See the module docs.
#[derive(Default)]
pub struct Hub {
    listeners: Mutex<BTreeMap<u64, Arc<Mailbox>>>,
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub::default())
    }

    /// Delivers `notes` to every session listening on their channels.
    fn publish(&self, notes: &[Notification]) {
        let listeners: Vec<Arc<Mailbox>> = lock(&self.listeners).values().cloned().collect();
        for mailbox in listeners {
            let mut got = false;
            {
                let mut queue = lock(&mailbox.queue);
                for n in notes.iter().filter(|n| mailbox.listens(&n.channel)) {
                    queue.push_back(n.clone());
                    got = true;
                }
            }
            if got && let Some(wake) = lock(&mailbox.waker).clone() {
                wake();
            }
        }
    }

    /// The fraction of PostgreSQL's queue the undelivered notifications would fill.
    fn usage(&self) -> f64 {
        let bytes = lock(&self.listeners)
            .values()
            .map(|m| {
                lock(&m.queue)
                    .iter()
                    .map(|n| n.channel.len() + n.payload.len() + 32)
                    .sum::<usize>()
            })
            .max()
            .unwrap_or(0);
        if bytes == 0 {
            0.0
        } else {
            // PostgreSQL counts whole 8 kB pages.
            (bytes as f64 / 8192.0).ceil() * 8192.0 / QUEUE_BYTES
        }
    }
}

/// What the open transaction queued, with a mark per open savepoint.
#[derive(Default)]
struct Pending {
    actions: Vec<Action>,
    notes: Vec<(String, String)>,
    /// `(actions, notes)` lengths when each open savepoint was set.
    marks: Vec<(usize, usize)>,
}

/// One session's LISTEN / NOTIFY state. See the module docs.
pub struct SessionNotify {
    id: u64,
    hub: Mutex<Option<Arc<Hub>>>,
    mailbox: Arc<Mailbox>,
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for SessionNotify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionNotify")
            .field("channels", &self.channels())
            .finish_non_exhaustive()
    }
}

impl Default for SessionNotify {
    fn default() -> SessionNotify {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SessionNotify {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            hub: Mutex::new(None),
            mailbox: Arc::default(),
            pending: Mutex::default(),
        }
    }
}

/// Checks a channel name and payload as PostgreSQL's `Async_Notify` does (22023).
pub fn check(channel: &str, payload: &str) -> Result<()> {
    if channel.is_empty() {
        return Err(Error::InvalidParameterValue(
            "channel name cannot be empty".into(),
        ));
    }
    if channel.len() > MAX_CHANNEL {
        return Err(Error::InvalidParameterValue("channel name too long".into()));
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::InvalidParameterValue(
            "payload string too long".into(),
        ));
    }
    Ok(())
}

impl SessionNotify {
    /// Joins `hub` (the server's): other sessions of it hear this one's notifications.
    pub fn set_hub(&self, hub: Arc<Hub>) {
        let old = lock(&self.hub).replace(hub.clone());
        if let Some(old) = old {
            lock(&old.listeners).remove(&self.id);
        }
        if !lock(&self.mailbox.channels).is_empty() {
            lock(&hub.listeners).insert(self.id, self.mailbox.clone());
        }
    }

    fn hub(&self) -> Arc<Hub> {
        lock(&self.hub).get_or_insert_with(Hub::new).clone()
    }

    /// Called whenever a notification arrives for this session (on the publisher's thread).
    pub fn set_waker(&self, wake: Arc<dyn Fn() + Send + Sync>) {
        *lock(&self.mailbox.waker) = Some(wake);
    }

    /// Queues `NOTIFY channel, payload` in the open transaction (checked first).
    pub fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        check(channel, payload)?;
        let mut p = lock(&self.pending);
        if !p.notes.iter().any(|(c, m)| c == channel && m == payload) {
            p.notes.push((channel.to_string(), payload.to_string()));
        }
        Ok(())
    }

    /// Queues `LISTEN channel`.
    pub fn listen(&self, channel: &str) {
        lock(&self.pending)
            .actions
            .push(Action::Listen(channel.to_string()));
    }

    /// Queues `UNLISTEN channel`, or `UNLISTEN *` for `None`.
    pub fn unlisten(&self, channel: Option<&str>) {
        let action = match channel {
            Some(c) => Action::Unlisten(c.to_string()),
            None => Action::UnlistenAll,
        };
        lock(&self.pending).actions.push(action);
    }

    /// A savepoint was set.
    pub fn savepoint(&self) {
        let mut p = lock(&self.pending);
        let mark = (p.actions.len(), p.notes.len());
        p.marks.push(mark);
    }

    /// `ROLLBACK TO` the savepoint at `pos` (0-based, counted from the outermost): what was
    /// queued since is dropped; the savepoint stays.
    pub fn rollback_to(&self, pos: usize) {
        let mut p = lock(&self.pending);
        p.marks.truncate(pos + 1);
        if let Some(&(actions, notes)) = p.marks.get(pos) {
            p.actions.truncate(actions);
            p.notes.truncate(notes);
        }
    }

    /// `RELEASE` of the savepoint at `pos`: what it queued joins the enclosing level.
    pub fn release(&self, pos: usize) {
        lock(&self.pending).marks.truncate(pos);
    }

    /// The transaction rolled back: everything it queued is dropped.
    pub fn aborted(&self) {
        *lock(&self.pending) = Pending::default();
    }

    /// The transaction committed (`pid` is this session's backend pid): its LISTEN and
    /// UNLISTEN take effect, then its notifications go to every listening session.
    pub fn committed(&self, pid: i32) {
        let Pending { actions, notes, .. } = std::mem::take(&mut *lock(&self.pending));
        if !actions.is_empty() {
            let hub = self.hub();
            let listening = {
                let mut channels = lock(&self.mailbox.channels);
                for a in actions {
                    match a {
                        Action::Listen(c) => {
                            if !channels.contains(&c) {
                                channels.push(c);
                            }
                        }
                        Action::Unlisten(c) => channels.retain(|x| *x != c),
                        Action::UnlistenAll => channels.clear(),
                    }
                }
                !channels.is_empty()
            };
            let mut listeners = lock(&hub.listeners);
            if listening {
                listeners.insert(self.id, self.mailbox.clone());
            } else {
                listeners.remove(&self.id);
            }
        }
        if !notes.is_empty() {
            let notes: Vec<Notification> = notes
                .into_iter()
                .map(|(channel, payload)| Notification {
                    pid,
                    channel,
                    payload,
                })
                .collect();
            self.hub().publish(&notes);
        }
    }

    /// The notifications that arrived, on channels the session still listens on, oldest
    /// first.
    pub fn take(&self) -> Vec<Notification> {
        let arrived: Vec<Notification> = lock(&self.mailbox.queue).drain(..).collect();
        if arrived.is_empty() {
            return arrived;
        }
        let channels = lock(&self.mailbox.channels);
        arrived
            .into_iter()
            .filter(|n| channels.contains(&n.channel))
            .collect()
    }

    /// Whether notifications wait to be taken.
    pub fn has_arrived(&self) -> bool {
        !lock(&self.mailbox.queue).is_empty()
    }

    /// `pg_listening_channels()`: the committed LISTEN channels.
    pub fn channels(&self) -> Vec<String> {
        lock(&self.mailbox.channels).clone()
    }

    /// `pg_notification_queue_usage()`.
    pub fn queue_usage(&self) -> f64 {
        self.hub().usage()
    }

    /// The session ended: it stops listening (PostgreSQL's `Async_UnlistenOnExit`).
    pub fn exit(&self) {
        lock(&self.mailbox.channels).clear();
        lock(&self.mailbox.queue).clear();
        if let Some(hub) = lock(&self.hub).as_ref() {
            lock(&hub.listeners).remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(hub: &Arc<Hub>) -> SessionNotify {
        let s = SessionNotify::default();
        s.set_hub(hub.clone());
        s
    }

    #[test]
    fn notifications_go_out_at_commit_folded_and_only_to_listeners() {
        let hub = Hub::new();
        let (a, b, c) = (joined(&hub), joined(&hub), joined(&hub));
        a.listen("ch");
        a.committed(1);
        b.notify("ch", "x").unwrap();
        b.notify("ch", "x").unwrap();
        b.notify("ch", "y").unwrap();
        b.notify("other", "x").unwrap();
        assert!(a.take().is_empty(), "nothing before the commit");
        b.committed(2);
        let got: Vec<_> = a.take().into_iter().map(|n| (n.pid, n.payload)).collect();
        assert_eq!(got, vec![(2, "x".to_string()), (2, "y".to_string())]);
        assert!(c.take().is_empty());
        b.notify("ch", "z").unwrap();
        b.aborted();
        b.committed(2);
        assert!(a.take().is_empty(), "a rollback drops them");
    }

    #[test]
    fn savepoints_drop_what_they_queued_and_listen_counts_at_commit() {
        let hub = Hub::new();
        let a = joined(&hub);
        a.listen("ch");
        a.notify("ch", "1").unwrap();
        a.savepoint();
        a.notify("ch", "2").unwrap();
        a.unlisten(None);
        a.rollback_to(0);
        a.notify("ch", "3").unwrap();
        a.committed(7);
        let got: Vec<_> = a.take().into_iter().map(|n| n.payload).collect();
        assert_eq!(got, ["1", "3"]);
        assert_eq!(a.channels(), ["ch"]);
        a.unlisten(Some("ch"));
        a.committed(7);
        assert!(a.channels().is_empty());
    }

    #[test]
    fn a_payload_of_8000_bytes_is_too_long() {
        assert!(check("c", &"x".repeat(MAX_PAYLOAD)).is_ok());
        let e = check("c", &"x".repeat(MAX_PAYLOAD + 1)).unwrap_err();
        assert_eq!(e.code(), "22023");
        assert_eq!(e.to_string(), "payload string too long");
    }
}
