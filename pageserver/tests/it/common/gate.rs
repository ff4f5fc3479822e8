//! [`Gate`]: an object-store intercept that pauses chosen calls of one
//! pageserver until the test lets them go, so two pageservers' steps
//! interleave in exactly the order a test names — no sleeps.
//!
//! ```text
//! gate.pause_after(Op::Get, "index-");   // the call after reading a manifest
//! let p = gate.paused().await;           // that pageserver is now stopped there
//! ... the other pageserver acts ...
//! p.release();                           // and it goes on
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use remote_storage::{Intercept, Op};
use tokio::sync::{Notify, oneshot};

/// Where a rule pauses.
#[derive(Debug)]
struct Rule {
    op: Op,
    needle: String,
    /// Pause the call after the matching one, not the matching one itself.
    after: bool,
    /// `after` rules: the matching call was seen, the next call pauses.
    armed: bool,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    paused: VecDeque<Paused>,
    log: Vec<(Op, String)>,
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<State>,
    arrived: Notify,
}

/// A call stopped at the gate.
#[derive(Debug)]
pub struct Paused {
    pub op: Op,
    pub key: String,
    go: oneshot::Sender<()>,
}

impl Paused {
    /// Lets the call go ahead.
    pub fn release(self) {
        let _ = self.go.send(());
    }
}

impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next call of `op` whose key contains `needle` pauses (once).
    pub fn pause_at(&self, op: Op, needle: &str) {
        self.add(op, needle, false);
    }

    /// The first call (of any kind) after the next call of `op` whose key
    /// contains `needle` pauses (once): that call has returned by then.
    pub fn pause_after(&self, op: Op, needle: &str) {
        self.add(op, needle, true);
    }

    fn add(&self, op: Op, needle: &str, after: bool) {
        self.lock().rules.push(Rule {
            op,
            needle: needle.to_string(),
            after,
            armed: false,
        });
    }

    /// Waits (at most 30 s) until a call is paused, and returns it.
    pub async fn paused(&self) -> Paused {
        let wait = async {
            loop {
                let notified = self.arrived.notified();
                if let Some(p) = self.lock().paused.pop_front() {
                    return p;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("no call paused within 30 s; calls: {:?}", self.log()))
    }

    /// Every call seen so far.
    pub fn log(&self) -> Vec<(Op, String)> {
        self.lock().log.clone()
    }
}

impl Intercept for Gate {
    fn before<'a>(&'a self, op: Op, key: &'a str) -> BoxFuture<'a, ()> {
        let rx = {
            let mut st = self.lock();
            st.log.push((op, key.to_string()));
            let pause = if let Some(i) = st.rules.iter().position(|r| r.armed) {
                st.rules.remove(i);
                true
            } else if let Some(i) = st
                .rules
                .iter()
                .position(|r| r.op == op && key.contains(&r.needle))
            {
                if st.rules[i].after {
                    st.rules[i].armed = true;
                    false
                } else {
                    st.rules.remove(i);
                    true
                }
            } else {
                false
            };
            pause.then(|| {
                let (go, rx) = oneshot::channel();
                st.paused.push_back(Paused {
                    op,
                    key: key.to_string(),
                    go,
                });
                rx
            })
        };
        Box::pin(async move {
            if let Some(rx) = rx {
                self.arrived.notify_one();
                let _ = rx.await;
            }
        })
    }
}
