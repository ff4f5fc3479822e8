//! Black-box test of `strata timeline create|list` and `strata status`
//! against real processes: three `strata safekeeper`s and one `strata
//! pageserver` (`file://` object store), WAL appended by the compute's
//! proposer driver ([`WalProposer`]).
//!
//! 1. `timeline create` makes the root timeline on the pageserver and on
//!    every safekeeper (the proposer then greets the same start LSN);
//! 2. two commits with known timestamps are appended and ingested;
//! 3. branches are created at the pageserver's last record, at an LSN and at
//!    an RFC 3339 time, and `timeline list` shows them with their branch
//!    points;
//! 4. `status` prints the pageserver's and each safekeeper's view, the
//!    timelines' logical sizes (growing with a third commit) and lags in seconds;
//! 5. bad requests (an existing name, a branch point past the WAL, a garbled
//!    `--at`, an unreachable pageserver) fail with a non-zero exit and a
//!    message saying why.
//!
//! Every wait is bounded.

use std::process::Output;
use std::time::Duration;

use crate::harness::{Process, TestDir, strata};
use proto::frame::record_framed_len;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::page::zeroed_page;
use proto::redo::diff;
use proto::{Lsn, PageKey, Record, TimelineId};
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::time::timeout;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Appends one commit (a fresh image of `key`) stamped `ts`; returns its end.
async fn commit(p: &WalProposer, start: Lsn, key: PageKey, ts: i64) -> Lsn {
    let mut page = zeroed_page();
    page[100..200].fill(7);
    let probe = Record::commit(ts, vec![diff(key, None, &page, Lsn(0))]);
    let end = start + record_framed_len(&probe) as u64;
    let rec = Record::commit(ts, vec![diff(key, None, &page, end)]);
    let got = timeout(Duration::from_secs(20), p.append(&rec))
        .await
        .expect("append in time")
        .expect("append");
    assert_eq!(got, (start, end));
    end
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_create_list_and_status() {
    let dir = TestDir::new("timeline-cli");
    let (sks, sk_arg) = crate::harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let ps_arg = ps.addr.to_string();
    let base = ["--pageserver", &ps_arg, "--safekeepers", &sk_arg];

    // 1. The root timeline, on the pageserver and the safekeepers.
    let out = strata(&[&["timeline", "create"], &base[..], &["--timeline", "main"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("created timeline default/main"), "{text}");
    assert_eq!(
        text.matches("timeline starts at 0/1000000").count(),
        3,
        "{text}"
    );

    // 2. Two commits, ingested.
    let id = TimelineId::new("default", "main").expect("valid names");
    let mut cfg = DriverConfig::new(id.clone(), sks.iter().map(|s| s.url()).collect(), 1);
    cfg.start_timeout = Duration::from_secs(30);
    let p = timeout(Duration::from_secs(30), WalProposer::start(cfg))
        .await
        .expect("proposer elected in time")
        .expect("proposer elected");
    let t0 = strata::admin::parse_rfc3339("2026-01-01T00:00:00Z").expect("valid time");
    let first = commit(&p, p.ready_lsn(), PageKey::new(5, 1), t0).await;
    let second = commit(&p, first, PageKey::new(5, 2), t0 + 10_000_000).await;
    let mut client = PageserverClient::connect(ps.url()).await.expect("connect");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info = client
            .timeline_status(pb::TimelineStatusRequest {
                tenant: "default".into(),
                timeline: "main".into(),
                with_logical_size: true,
            })
            .await
            .expect("timeline status")
            .into_inner();
        if info.last_record_lsn >= second.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ingest stuck at {}; log:\n{}",
            Lsn(info.last_record_lsn),
            ps.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 3. Branches at the last record, an LSN and a time.
    let create = |name: &str, extra: &[&str]| {
        let args = [
            &["timeline", "create"][..],
            &base[..],
            &["--timeline", name, "--from", "main"],
            extra,
        ]
        .concat();
        strata(&args)
    };
    let out = create("latest", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("(branch of main at {second})")),
        "{}",
        stdout(&out)
    );
    let out = create("at-lsn", &["--at", &first.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("(branch of main at {first})")));
    let out = create("at-time", &["--at", "2026-01-01T00:00:05Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("(branch of main at {first})")),
        "5 s after the first commit and before the second: {}",
        stdout(&out)
    );

    let out = strata(&["timeline", "list", "--pageserver", &ps_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("(4 timelines)"), "{text}");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .to_string()
    };
    assert!(
        line("at-lsn").contains(&format!("main {first}"))
            || line("at-lsn").contains(&first.to_string())
    );
    assert!(line("latest").contains(&second.to_string()));
    assert!(line("main").contains(" - "), "a root has no ancestor");
    let out = strata(&[
        "timeline",
        "list",
        "--pageserver",
        &ps_arg,
        "--tenant",
        "other",
    ]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("(0 timelines)"));

    // 4. Status: both sides.
    let out = strata(&[&["status"], &base[..], &["--timeline", "main"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("timeline default/main\n"), "{text}");
    assert!(
        text.contains(&format!("  pageserver {ps_arg}: generation ")),
        "{text}"
    );
    assert!(text.contains(&format!("ingested_lsn {second}")), "{text}");
    for sk in &sks {
        assert!(
            text.contains(&format!("  safekeeper {} (node ", sk.addr)),
            "{text}"
        );
    }
    assert_eq!(
        text.matches(&format!("  commit_lsn {second}")).count(),
        3,
        "{text}"
    );
    assert!(text.contains("lag: ingest 0 bytes"), "{text}");
    // Without --timeline: every timeline of the tenant (main and its three branches).
    let out = strata(&[&["status"], &base[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let timelines = text.lines().filter(|l| l.starts_with("timeline default/"));
    assert_eq!(timelines.count(), 4, "{text}");

    // Logical size and lag in seconds (`--json`): main's relation 5 has blocks 0..=2;
    // each branch has its ancestor's relations at its branch point.
    let status_json = |timeline: Option<&str>| {
        let mut args = [&["status", "--json"], &base[..]].concat();
        if let Some(t) = timeline {
            args.extend(["--timeline", t]);
        }
        let out = strata(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        json
    };
    let json = status_json(None);
    let logical = |json: &serde_json::Value, name: &str| {
        let t = json["timelines"]
            .as_array()
            .expect("timelines")
            .iter()
            .find(|t| t["timeline"] == name)
            .unwrap_or_else(|| panic!("no {name} in {json}"));
        t["pageserver"]["logical_size_bytes"]
            .as_u64()
            .expect("logical size")
    };
    assert_eq!(logical(&json, "main"), 3 * 8192, "{json}");
    assert_eq!(logical(&json, "latest"), 3 * 8192, "{json}");
    assert_eq!(logical(&json, "at-lsn"), 2 * 8192, "{json}");
    // More data: the logical size grows; once ingested, the ingest lag is 0 s.
    let third = commit(&p, second, PageKey::new(5, 9), t0 + 20_000_000).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let main = loop {
        let json = status_json(Some("main"));
        let t = &json["timelines"][0];
        if t["pageserver"]["ingested_lsn"] == third.to_string() {
            break t.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not ingested: {json}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        main["pageserver"]["logical_size_bytes"],
        10 * 8192,
        "{main}"
    );
    assert_eq!(main["ingest_lag_seconds"], 0.0, "{main}");
    let upload = main["upload_lag_seconds"]
        .as_f64()
        .expect("upload lag seconds");
    assert!((0.0..120.0).contains(&upload), "{main}");
    let text = stdout(&strata(
        &[&["status"], &base[..], &["--timeline", "main"]].concat(),
    ));
    assert!(text.contains("logical size 81920 bytes"), "{text}");
    assert!(text.contains("lag: ingest 0 bytes 0.000 s"), "{text}");

    // 5. Clear errors, non-zero exits.
    let out = strata(&[&["timeline", "create"], &base[..], &["--timeline", "main"]].concat());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
    let out = create("too-far", &["--at", "0/FFFFFFFF"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("outside"), "{}", stderr(&out));
    let out = create("garbled", &["--at", "yesterday"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("RFC 3339"), "{}", stderr(&out));
    let out = strata(&[&["status"], &base[..], &["--timeline", "nope"]].concat());
    assert!(!out.status.success());
    assert!(stdout(&out).contains("not found") || stderr(&out).contains("not found"));
    ps.kill9();
    let out = strata(&["timeline", "list", "--pageserver", &ps_arg]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("cannot reach {ps_arg}")),
        "{}",
        stderr(&out)
    );
}
