//! A simulated acceptor disk: a control file replaced atomically, and a WAL
//! file whose bytes past the last fsync may be lost (in part) on a crash.

use proto::Lsn;
use proto::frame::scan_frames;
use safekeeper::ControlState;
use safekeeper::acceptor::Action;

use crate::START;

#[derive(Default)]
pub struct Disk {
    pub control: Option<ControlState>,
    /// WAL bytes from `START` (what a read of the file would return).
    pub data: Vec<u8>,
    /// `data[..durable]` has been fsynced.
    pub durable: usize,
}

/// What executing an action did, for the counters and the checker.
pub enum Effect {
    None,
    /// A truncation that really dropped WAL.
    Truncated,
}

impl Disk {
    pub fn apply(&mut self, action: Action) -> Effect {
        match action {
            Action::PersistControl(state) => self.control = Some(state),
            Action::TruncateWal { at } => {
                let at = off(at);
                assert!(at <= self.data.len(), "truncate past the end");
                let dropped = self.data.len() - at;
                self.data.truncate(at);
                // The shell truncates and fsyncs before the next action.
                self.durable = self.durable.min(at);
                if dropped > 0 {
                    return Effect::Truncated;
                }
            }
            Action::WriteWal { at, bytes } => {
                assert_eq!(off(at), self.data.len(), "writes are at the end of WAL");
                self.data.extend_from_slice(&bytes);
            }
            Action::FlushWal { up_to } => {
                assert_eq!(off(up_to), self.data.len(), "flush up to the end of WAL");
                self.durable = self.data.len();
            }
        }
        Effect::None
    }

    /// Power loss: keep what was fsynced plus a random prefix of the rest
    /// (`keep` bytes of it, possibly ending inside a frame).
    pub fn crash(&mut self, keep: usize) {
        let len = (self.durable + keep).min(self.data.len());
        self.data.truncate(len);
        self.durable = len;
    }

    /// Recovery: the WAL ends at the last whole frame; the torn tail goes.
    pub fn recover(&mut self) -> Lsn {
        let (end, _, _) = scan_frames(START, &self.data);
        self.data.truncate(off(end));
        self.durable = self.data.len();
        end
    }
}

pub fn off(lsn: Lsn) -> usize {
    lsn.distance_from(START) as usize
}
