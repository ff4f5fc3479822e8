//! # The acceptor: one timeline's consensus state on one safekeeper
//!
//! A pure state machine: [`Acceptor::step`] takes a proposer's [`Request`]
//! and returns an [`Output`], a list of [`Action`]s for the shell to execute
//! **in order** and a [`Reply`] to send **only after** every action is done
//! (durably). That is how "persist before answering" is expressed without
//! I/O here: the in-memory state already reflects the actions, and if any
//! action fails the shell must drop this `Acceptor` and [`Acceptor::restore`]
//! it from disk (after a failed fsync nothing in memory can be trusted).
//!
//! ## State
//! [`ControlState`] (defined with its file format in `storage::control`) is
//! what the control file holds: `term`, `voted_for`, `term_history`,
//! `timeline_start_lsn`, `commit_lsn`, `backup_lsn`, `peer_horizon_lsn`,
//! plus fields this core only carries (`remote_consistent_lsn`,
//! `pageserver_generation`). Its `flush_lsn` is informational: the real one
//! is the end of the last whole frame found in the WAL on restart.
//!
//! ## Rules (each has a unit test below)
//! - **Votes**: granted only for a term above the current one, so at most
//!   one vote per term; the new term and vote are persisted before the reply.
//! - **Elected(term, history)**: from a lower term it is refused. Otherwise
//!   the term is adopted, the WAL is cut at the highest point where the
//!   acceptor's effective history agrees with the proposer's
//!   ([`history::highest_common_point`]), the proposer's history is adopted
//!   and persisted. A cut below `commit_lsn` would lose committed WAL: it is
//!   refused with [`Error::WouldTruncateCommitted`] and nothing changes.
//! - **Append**: from a lower term it is refused with the acceptor's term
//!   (this fences an old proposer). An append of the current term is taken
//!   only after that term's `Elected` (the history's last term is the
//!   append's term), so everything the acceptor holds is a prefix of the
//!   proposer's WAL. WAL must be whole frames and contiguous: bytes already
//!   held are skipped, a gap is not written (the reply's `flush_lsn` tells
//!   the proposer where to resume). Written WAL is fsynced before the ack,
//!   which reports `flush_lsn`.
//! - **commit_lsn** learned from the proposer never goes backwards and never
//!   passes `flush_lsn` (so the WAL up to it is always a committed prefix
//!   held locally, ending at a record boundary); it is persisted lazily
//!   ([`Acceptor::persist_if_dirty`], or with the next control-file write).
//! - A truncation is durable (truncate + fsync) before the control file that
//!   names the new history is written: the shell executes actions in order.

use bytes::Bytes;
use proto::Lsn;
use proto::frame::scan_frames;
use proto::grpc::TermSwitch;
use proto::record::Term;

use crate::error::{Error, Result};
use crate::history;
use crate::messages::{
    Append, AppendReply, Elected, ElectedReply, Greet, GreetReply, NodeId, Reply, Request,
    VoteReply, VoteRequest,
};
pub use crate::storage::ControlState;

/// The state of a timeline nobody has written yet.
pub fn initial_state(timeline_start_lsn: Lsn) -> ControlState {
    ControlState {
        timeline_start_lsn,
        flush_lsn: timeline_start_lsn,
        commit_lsn: timeline_start_lsn,
        backup_lsn: timeline_start_lsn,
        peer_horizon_lsn: timeline_start_lsn,
        ..ControlState::default()
    }
}

/// Something the shell must do, durably, before sending the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Replace the control file with this state, atomically and durably.
    PersistControl(ControlState),
    /// Drop all WAL at and past `at` (a frame boundary), durably.
    TruncateWal { at: Lsn },
    /// Write whole frames at `at`, which is the current end of the WAL.
    WriteWal { at: Lsn, bytes: Bytes },
    /// fsync the WAL up to `up_to`.
    FlushWal { up_to: Lsn },
}

/// The result of one [`Acceptor::step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Execute in order; all must complete before `reply` is sent.
    pub actions: Vec<Action>,
    pub reply: Reply,
}

/// One timeline's acceptor. See the module docs.
#[derive(Debug)]
pub struct Acceptor {
    node_id: NodeId,
    state: ControlState,
    /// The control state as last handed out for persisting.
    persisted: ControlState,
    /// End of the WAL (whole frames, fsynced once the current step's actions
    /// are done).
    flush_lsn: Lsn,
}

impl Acceptor {
    /// A new timeline: returns the acceptor and the control file to create.
    pub fn create(node_id: NodeId, timeline_start_lsn: Lsn) -> (Acceptor, Action) {
        let state = initial_state(timeline_start_lsn);
        let action = Action::PersistControl(state.clone());
        let acceptor = Acceptor {
            node_id,
            persisted: state.clone(),
            flush_lsn: timeline_start_lsn,
            state,
        };
        (acceptor, action)
    }

    /// Restarts from the persisted control state and the end of the whole
    /// frames found in the WAL (the shell scans and cuts off any torn tail).
    pub fn restore(node_id: NodeId, state: ControlState, wal_end: Lsn) -> Result<Acceptor> {
        if wal_end < state.commit_lsn || wal_end < state.timeline_start_lsn {
            return Err(Error::Invariant(format!(
                "WAL ends at {wal_end}, below commit_lsn {} or the timeline start {}: committed WAL was lost",
                state.commit_lsn, state.timeline_start_lsn
            )));
        }
        let mut state = state;
        state.flush_lsn = wal_end;
        Ok(Acceptor {
            node_id,
            persisted: state.clone(),
            state,
            flush_lsn: wal_end,
        })
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }
    pub fn term(&self) -> Term {
        self.state.term
    }
    pub fn flush_lsn(&self) -> Lsn {
        self.flush_lsn
    }
    pub fn commit_lsn(&self) -> Lsn {
        self.state.commit_lsn
    }
    pub fn state(&self) -> &ControlState {
        &self.state
    }

    /// The history of the WAL actually held: entries up to `flush_lsn`.
    pub fn effective_history(&self) -> Vec<TermSwitch> {
        history::up_to(&self.state.term_history, self.flush_lsn)
    }

    /// Handles one request. An `Err` means the request was refused and the
    /// state is unchanged (nothing to execute, an error to return).
    pub fn step(&mut self, request: Request) -> Result<Output> {
        match request {
            Request::Greet(m) => self.greet(m),
            Request::Vote(m) => Ok(self.vote(m)),
            Request::Elected(m) => self.elected(m),
            Request::Append(m) => self.append(m),
        }
    }

    /// A control-file write if `commit_lsn` (or another lazily persisted
    /// field) moved since the last one. The shell calls it periodically.
    /// (`flush_lsn` alone does not make the state dirty: the control file's
    /// copy is informational, the WAL is the truth.)
    pub fn persist_if_dirty(&mut self) -> Option<Action> {
        (self.state != self.persisted).then(|| self.persist())
    }

    /// Records how far WAL has been offloaded (never backwards).
    pub fn advance_backup_lsn(&mut self, lsn: Lsn) {
        self.state.backup_lsn = self.state.backup_lsn.max(lsn.min(self.state.commit_lsn));
    }

    /// Records how far every peer holds the WAL (never backwards).
    pub fn advance_peer_horizon_lsn(&mut self, lsn: Lsn) {
        self.state.peer_horizon_lsn = self.state.peer_horizon_lsn.max(lsn.min(self.flush_lsn));
    }

    /// Lowers the peer horizon to `lsn` if it is above it: a horizon loaded
    /// from the control file may have been computed by an older, wrong
    /// rule, and the first one this process computes replaces it
    /// (`server::offload`).
    pub fn clamp_peer_horizon_lsn(&mut self, lsn: Lsn) {
        self.state.peer_horizon_lsn = self.state.peer_horizon_lsn.min(lsn);
    }

    /// Whether this acceptor may serve `[start, end)` to the proposer of
    /// `term` (a donor read during sync): only while it is still at that
    /// term, so the bytes cannot have been truncated by a later proposer.
    pub fn check_donor_read(&self, term: Term, start: Lsn, end: Lsn) -> Result<()> {
        if self.state.term > term {
            return Err(Error::Fenced {
                term: self.state.term,
                own_term: term,
            });
        }
        if self.state.term != term || start < self.state.timeline_start_lsn || end > self.flush_lsn
        {
            return Err(Error::InvalidRequest(format!(
                "cannot serve [{start}, {end}) for term {term}: at term {}, WAL ends at {}",
                self.state.term, self.flush_lsn
            )));
        }
        Ok(())
    }

    fn persist(&mut self) -> Action {
        self.state.flush_lsn = self.flush_lsn;
        self.persisted = self.state.clone();
        Action::PersistControl(self.state.clone())
    }

    fn greet(&mut self, m: Greet) -> Result<Output> {
        if m.timeline_start_lsn != self.state.timeline_start_lsn {
            return Err(Error::InvalidRequest(format!(
                "proposer {} says the timeline starts at {}, this acceptor has it at {}",
                m.proposer_id, m.timeline_start_lsn, self.state.timeline_start_lsn
            )));
        }
        Ok(Output {
            actions: Vec::new(),
            reply: Reply::Greet(GreetReply {
                node_id: self.node_id,
                term: self.state.term,
                flush_lsn: self.flush_lsn,
                commit_lsn: self.state.commit_lsn,
                term_history: self.effective_history(),
                timeline_start_lsn: self.state.timeline_start_lsn,
            }),
        })
    }

    fn vote(&mut self, m: VoteRequest) -> Output {
        let mut actions = Vec::new();
        let granted = m.term > self.state.term;
        if granted {
            self.state.term = m.term;
            self.state.voted_for = Some(m.proposer_id);
            actions.push(self.persist());
        }
        Output {
            actions,
            reply: Reply::Vote(VoteReply {
                node_id: self.node_id,
                term: self.state.term,
                granted,
                flush_lsn: self.flush_lsn,
                commit_lsn: self.state.commit_lsn,
                term_history: self.effective_history(),
                timeline_start_lsn: self.state.timeline_start_lsn,
            }),
        }
    }

    fn elected(&mut self, m: Elected) -> Result<Output> {
        let reply = |s: &Acceptor, accepted| ElectedReply {
            node_id: s.node_id,
            term: s.state.term,
            accepted,
            flush_lsn: s.flush_lsn,
        };
        if m.term < self.state.term {
            return Ok(Output {
                actions: Vec::new(),
                reply: Reply::Elected(reply(self, false)),
            });
        }
        history::validate(&m.term_history, self.state.timeline_start_lsn)?;
        if history::last_term(&m.term_history) != m.term {
            return Err(Error::InvalidRequest(format!(
                "elected history {:?} does not end with term {}",
                m.term_history, m.term
            )));
        }
        let point = history::highest_common_point(
            &m.term_history,
            &self.effective_history(),
            self.flush_lsn,
        )?
        .unwrap_or(self.state.timeline_start_lsn);
        if point < self.state.commit_lsn {
            return Err(Error::WouldTruncateCommitted {
                truncate_at: point,
                commit_lsn: self.state.commit_lsn,
            });
        }
        let mut actions = Vec::new();
        if point < self.flush_lsn {
            actions.push(Action::TruncateWal { at: point });
            self.flush_lsn = point;
        }
        if m.term > self.state.term {
            self.state.term = m.term;
            self.state.voted_for = None;
        }
        self.state.term_history = m.term_history;
        self.learn_commit(m.commit_lsn);
        actions.push(self.persist());
        Ok(Output {
            actions,
            reply: Reply::Elected(reply(self, true)),
        })
    }

    fn append(&mut self, m: Append) -> Result<Output> {
        let in_term =
            m.term == self.state.term && history::last_term(&self.state.term_history) == m.term;
        if !in_term {
            // Lower term: fenced. Higher term or no Elected yet: the reply's
            // lower term tells the proposer to send Elected first.
            return Ok(self.append_reply(Vec::new(), false));
        }
        let mut actions = Vec::new();
        let end = m
            .begin_lsn
            .checked_add(m.wal.len() as u64)
            .ok_or_else(|| Error::InvalidRequest("append runs past the largest LSN".into()))?;
        if !m.wal.is_empty() && m.begin_lsn <= self.flush_lsn && end > self.flush_lsn {
            let skip = self.flush_lsn.distance_from(m.begin_lsn) as usize;
            let bytes = m.wal.slice(skip..);
            check_whole_frames(self.flush_lsn, &bytes)?;
            actions.push(Action::WriteWal {
                at: self.flush_lsn,
                bytes,
            });
            actions.push(Action::FlushWal { up_to: end });
            self.flush_lsn = end;
        }
        self.learn_commit(m.commit_lsn);
        Ok(self.append_reply(actions, true))
    }

    fn append_reply(&self, actions: Vec<Action>, accepted: bool) -> Output {
        Output {
            actions,
            reply: Reply::Append(AppendReply {
                node_id: self.node_id,
                term: self.state.term,
                flush_lsn: self.flush_lsn,
                commit_lsn: self.state.commit_lsn,
                accepted,
            }),
        }
    }

    /// Takes the proposer's `commit_lsn` if it is ahead and covered by the
    /// local WAL (which, in the current term, is the proposer's WAL).
    fn learn_commit(&mut self, commit_lsn: Lsn) {
        if commit_lsn > self.state.commit_lsn && commit_lsn <= self.flush_lsn {
            self.state.commit_lsn = commit_lsn;
        }
    }
}

/// Checks that `bytes` (starting at `start`) are whole, valid frames: the one
/// CRC check an append gets on a safekeeper (the shell writes the
/// `WriteWal` bytes with [`crate::storage::Wal::write_validated`]).
fn check_whole_frames(start: Lsn, bytes: &[u8]) -> Result<()> {
    let (end, _, err) = scan_frames(start, bytes);
    if let Some(source) = err {
        return Err(Error::CorruptWal { lsn: end, source });
    }
    if end != start + bytes.len() as u64 {
        return Err(Error::InvalidRequest(format!(
            "append ends inside a frame at {end}"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "acceptor_tests.rs"]
mod tests;
