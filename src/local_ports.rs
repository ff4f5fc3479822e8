//! The loopback ports `strata start` runs its safekeepers and pageserver on, kept in
//! `DATA_DIR/ports.toml` across restarts: the embedded cluster comes back on the same
//! addresses, so a dashboard, a script or `strata status --pageserver ADDR` keeps working.
//! A remembered port that something else has taken since is replaced by a free one (and the
//! file updated). The file is a convenience, not state: deleting it only means new ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The ports of one start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub safekeepers: Vec<u16>,
    pub pageserver: u16,
}

/// Where the ports are remembered.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("ports.toml")
}

/// Ports for `safekeepers` safekeepers and a pageserver: the remembered ones where they
/// can be bound, else fresh ones; every port is held while the others are chosen, so
/// the result has no duplicates. Writes the choice back.
pub fn choose(dir: &Path, safekeepers: usize) -> std::io::Result<Ports> {
    let before: Ports = std::fs::read_to_string(path(dir))
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default();
    let mut held = Vec::new();
    let mut take = |want: Option<u16>| -> std::io::Result<u16> {
        let l = want
            .filter(|p| *p != 0)
            .and_then(|p| TcpListener::bind(("127.0.0.1", p)).ok())
            .map_or_else(|| TcpListener::bind("127.0.0.1:0"), Ok)?;
        let port = l.local_addr()?.port();
        held.push(l);
        Ok(port)
    };
    let mut ports = Ports::default();
    for i in 0..safekeepers {
        ports
            .safekeepers
            .push(take(before.safekeepers.get(i).copied())?);
    }
    ports.pageserver = take(Some(before.pageserver))?;
    drop(held);
    if ports != before {
        let text = toml::to_string(&ports).expect("ports serialize to TOML");
        let tmp = dir.join("ports.toml.tmp");
        std::fs::write(
            &tmp,
            format!("# The loopback ports of `strata start`, reused when free.\n{text}"),
        )?;
        std::fs::rename(&tmp, path(dir))?;
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_ports_are_reused_and_taken_ones_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = choose(dir.path(), 3).unwrap();
        assert_eq!(first.safekeepers.len(), 3);
        let mut all = first.safekeepers.clone();
        all.push(first.pageserver);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4, "distinct ports: {first:?}");
        assert_eq!(
            choose(dir.path(), 3).unwrap(),
            first,
            "free ports are reused"
        );

        // Someone else takes the second safekeeper's port.
        let squatter = TcpListener::bind(("127.0.0.1", first.safekeepers[1])).unwrap();
        let second = choose(dir.path(), 3).unwrap();
        assert_eq!(second.safekeepers[0], first.safekeepers[0]);
        assert_ne!(second.safekeepers[1], first.safekeepers[1]);
        assert_eq!(second.pageserver, first.pageserver);
        drop(squatter);
        assert_eq!(
            choose(dir.path(), 3).unwrap(),
            second,
            "the new choice is remembered"
        );

        // A damaged file means fresh ports, not an error.
        std::fs::write(path(dir.path()), "not toml [").unwrap();
        assert_eq!(choose(dir.path(), 3).unwrap().safekeepers.len(), 3);
    }
}
