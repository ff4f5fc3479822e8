//! Each [`Fault`] done to the running cluster, and undone: after [`inject`] returns, every
//! process runs again and nothing is cut (the scheduler then waits for the cluster to be
//! healthy before the next fault).

use std::time::{Duration, Instant};

use super::cluster::Cluster;
use super::damage::{self, FlippedObject};
use super::schedule::Fault;
use super::workload::Shared;
use crate::harness::Rng;
use crate::harness::proxy::Cut;

/// What an injection did.
pub enum Injected {
    /// Done, as described.
    Done(String),
    /// Nothing to act on yet (no layer file, no offloaded WAL); try again later.
    Skipped(String),
}

/// Everything the run remembers about damage it did, for the final checks.
#[derive(Default)]
pub struct Damage {
    pub flipped_wal_objects: Vec<FlippedObject>,
}

/// Injects `fault` and undoes it; `Err` is a broken promise (a process that must start
/// did not, a fenced compute that did not exit).
pub fn inject(
    fault: Fault,
    cluster: &mut Cluster,
    shared: &Shared,
    rng: &mut Rng,
    damage: &mut Damage,
) -> Result<Injected, String> {
    let ms = |d: Duration| d.as_millis();
    Ok(Injected::Done(match fault {
        Fault::KillCompute => {
            let old = cluster.compute.name.clone();
            cluster.compute.kill9();
            let c = cluster.start_compute()?;
            let name = c.name.clone();
            cluster.promote(c, shared);
            format!("killed {old}; {name} took over")
        }
        Fault::TwoComputes => {
            let c = cluster.start_compute()?;
            let name = c.name.clone();
            let mut old = cluster.promote(c, shared);
            let deadline = Instant::now() + Duration::from_secs(30);
            let status = loop {
                if let Some(s) = old.exited() {
                    break s;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{} was fenced by {name} but still runs 30 s later",
                        old.name
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            if status.success() {
                return Err(format!("fenced {} exited with {status}", old.name));
            }
            format!(
                "{name} started beside {}, which exited with {status}",
                old.name
            )
        }
        Fault::KillPageserver | Fault::WipePageserver => {
            let down = rng.duration(Duration::ZERO, Duration::from_millis(1000));
            cluster.ps.kill9();
            let wiped = fault == Fault::WipePageserver;
            if wiped {
                std::fs::remove_dir_all(&cluster.ps.data_dir).expect("wipe the pageserver");
            }
            std::thread::sleep(down);
            cluster.ps.try_start(Duration::from_secs(60))?;
            format!(
                "pageserver down {} ms{}",
                ms(down),
                if wiped { ", disk wiped" } else { "" }
            )
        }
        Fault::KillSafekeeper | Fault::KillTwoSafekeepers => {
            let first = rng.below(3);
            let mut victims = vec![first];
            if fault == Fault::KillTwoSafekeepers {
                victims.push((first + 1 + rng.below(2)) % 3);
            }
            let down = rng.duration(Duration::from_millis(200), Duration::from_millis(3000));
            for &i in &victims {
                cluster.sks[i].kill9();
            }
            std::thread::sleep(down);
            for &i in &victims {
                cluster.sks[i].try_start(Duration::from_secs(60))?;
            }
            let names: Vec<String> = victims
                .iter()
                .map(|&i| cluster.sks[i].name.clone())
                .collect();
            format!("{} down {} ms", names.join(" and "), ms(down))
        }
        Fault::StopSafekeeper => {
            let i = rng.below(3);
            // Longer than the proposer's RPC timeout (5 s) and its stall detection.
            let held = rng.duration(Duration::from_millis(6000), Duration::from_millis(8000));
            cluster.sks[i].signal("STOP");
            std::thread::sleep(held);
            cluster.sks[i].signal("CONT");
            format!("{} stopped for {} ms", cluster.sks[i].name, ms(held))
        }
        Fault::StoreOutage => {
            let Some(proxy) = &cluster.proxy else {
                return Ok(Injected::Skipped("no proxy in front of this store".into()));
            };
            let how = if rng.chance(50) {
                Cut::Refuse
            } else {
                Cut::Blackhole
            };
            proxy.cut(how);
            std::thread::sleep(Duration::from_secs(10));
            proxy.heal();
            format!("object store unreachable for 10 s ({how:?})")
        }
        Fault::TornSafekeeperTail => {
            let i = rng.below(3);
            cluster.sks[i].kill9();
            let what = damage::tear_wal_tail(&cluster.sks[i].data_dir, rng);
            cluster.sks[i]
                .try_start(Duration::from_secs(60))
                .map_err(|e| {
                    format!(
                        "{} did not restart after a torn tail ({what}): {e}",
                        cluster.sks[i].name
                    )
                })?;
            format!("{}: {what}", cluster.sks[i].name)
        }
        Fault::FlipLayerByte => {
            let Some(what) = damage::flip_layer_byte(&cluster.ps.data_dir, rng) else {
                return Ok(Injected::Skipped(
                    "the pageserver has no layer file yet".into(),
                ));
            };
            // Half the time the pageserver restarts on the damaged file (attach opens it).
            if rng.chance(50) {
                cluster.ps.kill9();
                cluster.ps.try_start(Duration::from_secs(60))?;
                format!("flipped {what}; pageserver restarted")
            } else {
                format!("flipped {what}")
            }
        }
        Fault::FlipWalObjectByte => {
            let flipped = cluster
                .rt
                .block_on(damage::flip_wal_object_byte(&cluster.store, rng));
            match flipped {
                Some(f) => {
                    let what = format!("flipped byte {} of {}", f.offset, f.key);
                    damage.flipped_wal_objects.push(f);
                    what
                }
                None => return Ok(Injected::Skipped("no WAL offloaded yet".into())),
            }
        }
    }))
}
