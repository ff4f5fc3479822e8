//! Black-box test of component auth (`proto::auth`) on real processes: one
//! `strata safekeeper` and one `strata pageserver` started with
//! `--auth-public-key`, keys and tokens made with `strata auth keygen|token`.
//!
//! 1. `strata timeline create` is refused without a token and with a compute
//!    token, and works with an admin token;
//! 2. a compute started with a compute token for tenant `default` serves SQL;
//! 3. raw gRPC calls: no token and an expired token are `Unauthenticated`; the
//!    compute token on another tenant's pages, status or WAL, a pageserver
//!    token reading pages, and the compute token claiming a generation are
//!    `PermissionDenied`; the lean Append wire closes a connection without a
//!    token;
//! 4. the servers logged each refusal with the peer's address, and the
//!    pageserver counted them in `strata_grpc_auth_refused_total`.
//!
//! Every wait is bounded.

use std::path::Path;
use std::time::Duration;

use crate::harness::{Process, TestDir, exec, pg_connect, strata, text_rows};
use proto::auth::{Claims, Role, Signer, Token};
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::grpc::safekeeper as sk;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use tonic::Code;

const STEP: Duration = Duration::from_secs(20);

fn token_file(dir: &Path, key: &Path, name: &str, args: &[&str]) -> String {
    let key = key.display().to_string();
    let out = strata(&[&["auth", "token", "--key", &key], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).expect("write the token");
    path.display().to_string()
}

async fn ps_client(addr: &str, token: &Token) -> PageserverClient<proto::auth::AuthChannel> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("url")
        .connect()
        .await
        .expect("connect to the pageserver");
    PageserverClient::new(proto::auth::channel(ch, token))
}

async fn sk_client(addr: &str, token: &Token) -> SafekeeperClient<proto::auth::AuthChannel> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("url")
        .connect()
        .await
        .expect("connect to the safekeeper");
    SafekeeperClient::new(proto::auth::channel(ch, token))
}

fn status_of(tenant: &str) -> pb::TimelineStatusRequest {
    pb::TimelineStatusRequest {
        tenant: tenant.into(),
        timeline: "main".into(),
        with_logical_size: false,
    }
}

/// The code of the first answer of a GetPages stream with one batch for `tenant`.
async fn get_pages_code(c: &mut PageserverClient<proto::auth::AuthChannel>, tenant: &str) -> Code {
    let batch = pb::GetPagesRequest {
        tenant: tenant.into(),
        timeline: "main".into(),
        batch_id: 1,
        pages: vec![pb::GetPageRequest {
            key: Some(pb::PageKey { rel: 1, block: 0 }),
            request_lsn: 0x0100_0000,
            not_modified_since: 0,
        }],
    };
    let call = c.get_pages(futures::stream::iter(vec![batch]));
    match tokio::time::timeout(STEP, call)
        .await
        .expect("GetPages in time")
    {
        Err(s) => s.code(),
        Ok(resp) => {
            let mut stream = resp.into_inner();
            match tokio::time::timeout(STEP, stream.message())
                .await
                .expect("an answer")
            {
                Err(s) => s.code(),
                Ok(_) => Code::Ok,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_per_role_and_tenant() {
    let dir = TestDir::new("component-auth");
    let keys = dir.path().join("keys");
    let out = strata(&["auth", "keygen", "--out", &keys.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = keys.join("auth_key.pem");
    let public = keys.join("auth_key.pub.pem").display().to_string();
    let d = dir.path();
    let admin = token_file(d, &private, "admin.token", &["--role", "admin"]);
    let ps_token = token_file(d, &private, "ps.token", &["--role", "pageserver"]);
    let sk_token = token_file(d, &private, "sk.token", &["--role", "safekeeper"]);
    let compute_a = token_file(
        d,
        &private,
        "compute-a.token",
        &[
            "--role",
            "compute",
            "--tenant",
            "default",
            "--timeline",
            "main",
            "--ttl",
            "1h",
        ],
    );
    // A compute token must name its tenant.
    let out = strata(&[
        "auth",
        "token",
        "--key",
        &private.display().to_string(),
        "--role",
        "compute",
    ]);
    assert!(!out.status.success());

    let mut sk1 = Process::safekeeper(&dir, 1);
    sk1.push_args(&["--auth-public-key", &public, "--auth-token-file", &sk_token]);
    sk1.start();
    let sk_arg = sk1.addr.to_string();
    let mut ps = Process::pageserver(&dir, &sk_arg).with_metrics();
    ps.push_args(&["--auth-public-key", &public, "--auth-token-file", &ps_token]);
    ps.start();
    let ps_arg = ps.addr.to_string();
    let base = [
        "timeline",
        "create",
        "--pageserver",
        &ps_arg,
        "--safekeepers",
        &sk_arg,
    ];
    let data_dir = d.join("no-cluster").display().to_string();

    // 1. Only an admin creates timelines.
    let out = strata(&[&base[..], &["--timeline", "main", "--data-dir", &data_dir]].concat());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success() && err.contains("nauthenticated"),
        "{err}"
    );
    let out = strata(
        &[
            &base[..],
            &["--timeline", "main", "--auth-token-file", &compute_a],
        ]
        .concat(),
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success() && err.contains("ermission"), "{err}");
    let out = strata(
        &[
            &base[..],
            &["--timeline", "main", "--auth-token-file", &admin],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 2. A correctly authed compute serves SQL.
    let mut compute = Process::compute(&dir, "compute", &ps, &sk_arg, Some("16MiB"));
    compute.push_args(&["--auth-token-file", &compute_a]);
    compute.start();
    let c = pg_connect(compute.addr.port()).await;
    exec(
        &c,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    )
    .await;
    let rows = text_rows(&c, "SELECT count(*) FROM t").await;
    assert_eq!(rows, vec![vec![Some("2".to_string())]]);

    // 3. Raw calls.
    let token = |p: &str| Token::from_file(Path::new(p)).expect("token file");
    let (compute_a, ps_token) = (token(&compute_a), token(&ps_token));
    let mut pa = ps_client(&ps_arg, &compute_a).await;
    let ok = pa.timeline_status(status_of("default")).await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(get_pages_code(&mut pa, "default").await, Code::Ok);
    let denied = pa.timeline_status(status_of("b")).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    assert!(!denied.message().contains("\"b\""), "{denied:?}");
    assert_eq!(get_pages_code(&mut pa, "b").await, Code::PermissionDenied);
    let create = pa
        .create_timeline(pb::CreateTimelineRequest {
            tenant: "default".into(),
            timeline: "other".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(create.code(), Code::PermissionDenied);
    let mut anonymous = ps_client(&ps_arg, &Token::none()).await;
    let none = anonymous
        .timeline_status(status_of("default"))
        .await
        .unwrap_err();
    assert_eq!(none.code(), Code::Unauthenticated);
    let signer = Signer::from_file(&private).expect("private key");
    let expired = signer
        .sign(&Claims {
            role: Role::Admin,
            tenant: None,
            timeline: None,
            exp: 1_000_000_000,
        })
        .expect("sign");
    let mut old = ps_client(&ps_arg, &Token::new(&expired).expect("token")).await;
    let e = old.timeline_status(status_of("default")).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    let mut wrong_role = ps_client(&ps_arg, &ps_token).await;
    assert_eq!(
        get_pages_code(&mut wrong_role, "default").await,
        Code::PermissionDenied
    );

    let mut sa = sk_client(&sk_arg, &compute_a).await;
    let tl = |tenant: &str| sk::TimelineRef {
        tenant: tenant.into(),
        timeline: "main".into(),
    };
    let own = sa
        .status(sk::StatusRequest {
            timeline: Some(tl("default")),
        })
        .await;
    assert!(own.is_ok(), "{own:?}");
    let wal = sa
        .read_wal(sk::ReadWalRequest {
            timeline: Some(tl("b")),
            start_lsn: 0x0100_0000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(wal.code(), Code::PermissionDenied);
    let generation = sa
        .issue_generation(sk::GenerationRequest {
            timeline: Some(tl("default")),
            pageserver_id: "rogue".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(generation.code(), Code::PermissionDenied);
    let vote = sk_client(&sk_arg, &Token::none())
        .await
        .vote(sk::VoteRequest {
            timeline: Some(tl("default")),
            term: 1_000_000,
            proposer_id: 9,
        })
        .await
        .unwrap_err();
    assert_eq!(vote.code(), Code::Unauthenticated);
    // The lean Append wire: no token, no stream.
    let lean = safekeeper::wire::connect(&sk_arg, "", STEP, None).await;
    assert!(
        lean.is_err(),
        "the lean wire accepted a connection without a token"
    );
    assert!(
        safekeeper::wire::connect(&sk_arg, &compute_a.secret(), STEP, None)
            .await
            .is_ok(),
        "the lean wire refused a compute token"
    );

    // The compute still commits (nothing above fenced it).
    exec(&c, "INSERT INTO t VALUES (3, 'c')").await;

    // 4. Refusals are counted and logged with the peer. The pageserver refused: timeline
    // create without a token and with a compute token, TimelineStatus and GetPages on
    // tenant b, CreateTimeline with a compute token, no token, an expired token, and
    // GetPages with a pageserver token.
    let refused = ps.scrape_metrics().sum("strata_grpc_auth_refused_total");
    assert_eq!(refused, 8.0, "refusals counted by the pageserver");
    for (p, method) in [
        (&ps, "pageserver.GetPages"),
        (&ps, "pageserver.CreateTimeline"),
        (&sk1, "safekeeper.IssueGeneration"),
        (&sk1, "safekeeper.Append"),
    ] {
        let log = p.log_tail(400);
        assert!(
            log.lines().any(|l| l.contains("refused a gRPC call")
                && l.contains("peer=127.0.0.1:")
                && l.contains(method)),
            "{method}: {log}"
        );
    }
}

/// Whether `token` gets past the pageserver's authentication (any answer but
/// Unauthenticated), within [`STEP`].
async fn accepted(ps: &str, token: &str) -> bool {
    let token = Token::from_file(Path::new(token)).expect("token file");
    let mut c = ps_client(ps, &token).await;
    !matches!(
        c.timeline_status(status_of("default")).await,
        Err(s) if s.code() == Code::Unauthenticated
    )
}

/// Waits (bounded) until `token`'s acceptance by the pageserver is `want`.
async fn until_accepted(ps: &str, token: &str, want: bool) {
    let deadline = tokio::time::Instant::now() + STEP;
    while accepted(ps, token).await != want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{token}: accepted should be {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Key rotation without a restart: the servers' `--auth-public-key` file gains the new key
/// (SIGHUP), the processes' token files are rewritten with tokens of the new key (read
/// again by the processes themselves), the old key is removed (SIGHUP): the old key's
/// tokens are then refused, and the cluster — whose pageserver and compute now speak with
/// the new tokens — still serves SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_and_tokens_renew_without_a_restart() {
    let dir = TestDir::new("auth-rotation");
    let d = dir.path();
    let keygen = |name: &str| {
        let out = strata(&[
            "auth",
            "keygen",
            "--out",
            &d.join(name).display().to_string(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read = |f: &str| std::fs::read_to_string(d.join(name).join(f)).expect("key file");
        (d.join(name).join("auth_key.pem"), read("auth_key.pub.pem"))
    };
    let (old_private, old_public) = keygen("old");
    let (new_private, new_public) = keygen("new");
    let keys = d.join("keys.pem");
    std::fs::write(&keys, &old_public).expect("write keys");
    let keys_arg = keys.display().to_string();
    let role = |key: &Path, name: &str, role: &str| {
        let args: &[&str] = if role == "compute" {
            &["--role", "compute", "--tenant", "default"]
        } else {
            &["--role", role]
        };
        token_file(d, key, name, args)
    };
    let sk_token = role(&old_private, "sk.token", "safekeeper");
    let ps_token = role(&old_private, "ps.token", "pageserver");
    let compute_token = role(&old_private, "compute.token", "compute");
    let admin_old = role(&old_private, "admin-old.token", "admin");
    let admin_new = role(&new_private, "admin-new.token", "admin");

    let mut sk1 = Process::safekeeper(&dir, 1);
    sk1.push_args(&[
        "--auth-public-key",
        &keys_arg,
        "--auth-token-file",
        &sk_token,
    ]);
    sk1.start();
    let sk_arg = sk1.addr.to_string();
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.push_args(&[
        "--auth-public-key",
        &keys_arg,
        "--auth-token-file",
        &ps_token,
    ]);
    ps.start();
    let ps_arg = ps.addr.to_string();
    assert!(accepted(&ps_arg, &admin_old).await);
    assert!(!accepted(&ps_arg, &admin_new).await);

    // 1. Both keys: the new key's tokens are accepted after a SIGHUP.
    std::fs::write(&keys, format!("{old_public}{new_public}")).expect("write keys");
    ps.signal("HUP");
    sk1.signal("HUP");
    until_accepted(&ps_arg, &admin_new, true).await;
    assert!(accepted(&ps_arg, &admin_old).await);

    // 2. Every token file now holds a token of the new key (the processes read them again
    // by themselves, within their 10 s poll); then the old key goes.
    for (name, r) in [
        ("sk.token", "safekeeper"),
        ("ps.token", "pageserver"),
        ("compute.token", "compute"),
    ] {
        role(&new_private, name, r);
    }
    std::fs::write(&keys, &new_public).expect("write keys");
    ps.signal("HUP");
    sk1.signal("HUP");
    until_accepted(&ps_arg, &admin_old, false).await;
    assert!(accepted(&ps_arg, &admin_new).await);

    // 3. The cluster works with only the new key: the timeline is made with the new admin
    // token, and the compute's and the pageserver's calls carry new-key tokens.
    let out = strata(&[
        "timeline",
        "create",
        "--pageserver",
        &ps_arg,
        "--safekeepers",
        &sk_arg,
        "--timeline",
        "main",
        "--auth-token-file",
        &admin_new,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The pageserver's own token must have been renewed before it can read the WAL.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = ps.log_tail(200);
        if log.contains("reloaded --auth-token-file") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pageserver never reloaded its token: {log}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut compute = Process::compute(&dir, "compute", &ps, &sk_arg, Some("16MiB"));
    compute.push_args(&["--auth-token-file", &compute_token]);
    compute.start();
    let c = pg_connect(compute.addr.port()).await;
    exec(
        &c,
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)",
    )
    .await;
    let rows = text_rows(&c, "SELECT count(*) FROM t").await;
    assert_eq!(rows, vec![vec![Some("2".to_string())]]);
}
