//! An open-loop GetPages load at a fixed rate, for "latency at half the
//! maximum rate".
//!
//! A std thread paces the sends (a plain sleep to each slot: tens of µs
//! late at worst, instead of tokio's 1 ms timer ticks, and no spinning that
//! would take a core from the server on a 2-core machine) and never waits
//! for answers: a slow answer does not delay the next send, so a
//! stall shows up in the latencies instead of hiding in a lower rate
//! (no coordinated omission). Latency is per batch, from its send to its
//! answer, read on one `GetPages` stream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use proto::Lsn;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

/// What a paced run measured.
pub struct Paced {
    /// Pages per second actually sent.
    pub rate: f64,
    /// Per-batch latencies, sorted.
    pub lat: Vec<Duration>,
    /// The largest number of batches outstanding at once.
    pub max_outstanding: usize,
}

/// The load: batches of `batch` pages at `lsn`, `rate` pages/s for `secs`.
pub struct Load {
    pub lsn: Lsn,
    pub batch: usize,
    pub rate: f64,
    pub secs: f64,
}

/// Sends `load` over pages `pages` (cycled); checks every answer with
/// `check(page, bytes)`.
pub async fn run(
    addr: SocketAddr,
    pages: &[u32],
    key: fn(u32) -> proto::PageKey,
    check: fn(u32, &[u8]) -> bool,
    load: Load,
) -> anyhow::Result<Paced> {
    let Load {
        lsn,
        batch,
        rate,
        secs,
    } = load;
    if pages.is_empty() || rate <= 0.0 {
        bail!("a paced run needs pages and a positive rate");
    }
    let batch = batch.max(1);
    let n_batches = ((rate * secs) as usize / batch).max(1);
    let interval = Duration::from_secs_f64(batch as f64 / rate);
    let mut client = PageserverClient::connect(format!("http://{addr}")).await?;
    let (tx, rx) = mpsc::unbounded_channel::<pb::GetPagesRequest>();
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    // Unbounded: the pacing thread never blocks on a send.
    let mut resp = client
        .get_pages(UnboundedReceiverStream::new(rx))
        .await?
        .into_inner();
    let owned: Vec<u32> = pages.to_vec();
    let sent_by_pacer = sent.clone();
    let pacer = std::thread::spawn(move || {
        let t0 = Instant::now();
        for i in 0..n_batches {
            let slot = t0 + interval * i as u32;
            let now = Instant::now();
            if slot > now {
                std::thread::sleep(slot - now);
            }
            let req = pb::GetPagesRequest {
                tenant: "bench".into(),
                timeline: "main".into(),
                batch_id: i as u64,
                pages: (0..batch)
                    .map(|j| pb::GetPageRequest {
                        key: Some(key(owned[(i * batch + j) % owned.len()]).into()),
                        request_lsn: lsn.0,
                        not_modified_since: lsn.0,
                    })
                    .collect(),
            };
            sent_by_pacer
                .lock()
                .expect("no panics while holding the map")
                .insert(i as u64, Instant::now());
            if tx.send(req).is_err() {
                break;
            }
        }
        t0.elapsed()
    });
    let mut lat = Vec::with_capacity(n_batches);
    let mut max_outstanding = 0;
    while lat.len() < n_batches {
        let r = tokio::time::timeout(Duration::from_secs(30), resp.message())
            .await
            .context("a GetPages response within 30 s")??
            .context("the stream ended early")?;
        let at = {
            let mut s = sent.lock().expect("no panics while holding the map");
            max_outstanding = max_outstanding.max(s.len());
            s.remove(&r.batch_id)
                .context("a response to a batch never sent")?
        };
        lat.push(at.elapsed());
        let i = r.batch_id as usize;
        for (j, res) in r.pages.iter().enumerate() {
            let p = pages[(i * batch + j) % pages.len()];
            match &res.result {
                Some(pb::page_result::Result::Page(b)) if check(p, b) => {}
                other => bail!("page {p}: {other:?}"),
            }
        }
    }
    let elapsed = pacer
        .join()
        .map_err(|_| anyhow::anyhow!("the pacing thread panicked"))?;
    lat.sort_unstable();
    Ok(Paced {
        rate: (n_batches * batch) as f64 / elapsed.as_secs_f64(),
        lat,
        max_outstanding,
    })
}
