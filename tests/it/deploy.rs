//! The deployment files in `deploy/` are tested, not just written:
//!
//! - every `strata` invocation in `docker-compose.yml` and `k8s/*.yaml` passes only flags
//!   (and `STRATA_*` variables) that `strata <command> --help` lists, probes point at the
//!   `/healthz` and `/readyz` of the `--metrics` port, and every metric the Grafana dashboard
//!   queries is one a component registers;
//! - the compose file's services run: this test starts the exact commands the compose file
//!   gives (with moto standing in for MinIO, free loopback ports for the containers' ports and
//!   a temporary directory per named volume), in `depends_on` order, waiting on each
//!   healthcheck, and then logs in with the password the `users` service set.
//!
//! No Docker is needed (or available here): what is checked is what Strata sees.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_yaml_ng::Value;

use crate::harness::{Process, TestDir, free_port, http_get};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn load_yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .expect("a scalar")
                        .trim()
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One `strata` command line found in a manifest: its subcommand path and its words.
#[derive(Debug)]
struct Invocation {
    origin: String,
    subcommand: Vec<String>,
    flags: Vec<String>,
    env: Vec<String>,
}

/// The `strata` invocations in `words`: either an argument list (`["safekeeper", "--id",
/// ...]`, the image's entrypoint being `strata`) or a shell script (`sh -c "... strata users
/// add --file ..."`).
fn invocations(origin: &str, words: &[String], shell: bool, env: &[String]) -> Vec<Invocation> {
    let tokens: Vec<String> = if shell {
        words
            .iter()
            .flat_map(|w| w.split_whitespace())
            .map(|t| t.trim_matches(|c| c == '"' || c == '\'').to_string())
            .collect()
    } else {
        std::iter::once("strata".to_string())
            .chain(words.iter().cloned())
            .collect()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] != "strata" {
            i += 1;
            continue;
        }
        i += 1;
        let mut inv = Invocation {
            origin: origin.to_string(),
            subcommand: Vec::new(),
            flags: Vec::new(),
            env: env.to_vec(),
        };
        while i < tokens.len() && !tokens[i].starts_with('-') && inv.flags.is_empty() {
            if ["|", "&&", ";", "||"].contains(&tokens[i].as_str()) {
                break;
            }
            inv.subcommand.push(tokens[i].clone());
            i += 1;
        }
        while i < tokens.len() && !["|", "&&", ";", "||"].contains(&tokens[i].as_str()) {
            if let Some(flag) = tokens[i].strip_prefix("--") {
                inv.flags
                    .push(flag.split('=').next().unwrap_or(flag).to_string());
            }
            i += 1;
        }
        // Only the subcommand's own words: a value such as "/data" is not a subcommand.
        inv.subcommand.truncate(2);
        out.push(inv);
    }
    out
}

fn help(subcommand: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(subcommand)
        .arg("--help")
        .output()
        .expect("run strata --help");
    assert!(
        out.status.success(),
        "`strata {} --help` failed: {}",
        subcommand.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `--metrics` port of an invocation given as an argument list.
fn metrics_port(words: &[String]) -> Option<u16> {
    let i = words.iter().position(|w| w == "--metrics")?;
    words.get(i + 1)?.rsplit(':').next()?.parse().ok()
}

#[test]
fn deploy_files_use_only_flags_strata_knows() {
    let mut found: Vec<Invocation> = Vec::new();

    // docker-compose.yml
    let compose = &load_yaml(&deploy_dir().join("docker-compose.yml"))[0];
    let services = compose["services"].as_mapping().expect("services");
    for (name, svc) in services {
        let name = name.as_str().expect("service name");
        if svc["image"].as_str() != Some("strata:latest") {
            continue;
        }
        let command = strings(&svc["command"]);
        let shell = strings(&svc["entrypoint"]) == ["sh", "-c"];
        let env: Vec<String> = svc["environment"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        found.extend(invocations(
            &format!("compose {name}"),
            &command,
            shell,
            &env,
        ));
        if let Some(test) = svc["healthcheck"]["test"].as_sequence() {
            let url = test
                .last()
                .and_then(Value::as_str)
                .expect("healthcheck URL");
            let port = metrics_port(&command).expect("a service with a healthcheck has --metrics");
            assert_eq!(
                url,
                format!("http://127.0.0.1:{port}/readyz"),
                "compose {name}: the healthcheck must ask the --metrics port's /readyz"
            );
        }
    }

    // k8s/*.yaml
    let mut config_keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut workloads = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join("k8s"))
        .expect("deploy/k8s")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "deploy/k8s has the config, safekeepers, pageserver, compute"
    );
    for file in &files {
        for doc in load_yaml(file) {
            let kind = doc["kind"].as_str().unwrap_or_default().to_string();
            assert!(
                !kind.is_empty(),
                "{}: a document without kind",
                file.display()
            );
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match kind.as_str() {
                "ConfigMap" | "Secret" => {
                    let data = if kind == "ConfigMap" {
                        &doc["data"]
                    } else {
                        &doc["stringData"]
                    };
                    let keys = data
                        .as_mapping()
                        .map(|m| {
                            m.keys()
                                .filter_map(|k| k.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    config_keys.insert(name, keys);
                }
                "StatefulSet" | "Deployment" => workloads.push((file.clone(), doc)),
                _ => {}
            }
        }
    }
    for (file, doc) in &workloads {
        let template = &doc["spec"]["template"];
        let annotations = &template["metadata"]["annotations"];
        assert_eq!(
            annotations["prometheus.io/scrape"].as_str(),
            Some("true"),
            "{}: pods are scraped by Prometheus",
            file.display()
        );
        for c in template["spec"]["containers"]
            .as_sequence()
            .expect("containers")
        {
            let origin = format!("{} {}", file.display(), c["name"].as_str().unwrap_or("?"));
            let mut env: Vec<String> = c["env"]
                .as_sequence()
                .map(|s| {
                    s.iter()
                        .filter_map(|e| e["name"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            for from in c["envFrom"].as_sequence().into_iter().flatten() {
                let src = from["configMapRef"]["name"]
                    .as_str()
                    .or(from["secretRef"]["name"].as_str())
                    .expect("envFrom names a ConfigMap or Secret");
                env.extend(
                    config_keys
                        .get(src)
                        .unwrap_or_else(|| panic!("{origin}: envFrom {src} is not defined"))
                        .iter()
                        .cloned(),
                );
            }
            let shell = strings(&c["command"]) == ["sh", "-c"];
            let args = strings(&c["args"]);
            let invs = invocations(&origin, &args, shell, &env);
            assert_eq!(invs.len(), 1, "{origin}: one strata command per container");
            // Probes: readiness on /readyz, liveness on /healthz, of the port named
            // "metrics", which is the one --metrics serves.
            let ports: HashMap<&str, u64> = c["ports"]
                .as_sequence()
                .expect("ports")
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().expect("port name"),
                        p["containerPort"].as_u64().expect("port"),
                    )
                })
                .collect();
            let words: Vec<String> = if shell {
                args.iter()
                    .flat_map(|a| a.split_whitespace())
                    .map(String::from)
                    .collect()
            } else {
                args.clone()
            };
            assert_eq!(
                metrics_port(&words).map(u64::from),
                ports.get("metrics").copied(),
                "{origin}: --metrics serves the port named metrics"
            );
            for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
                assert_eq!(
                    c[probe]["httpGet"]["path"].as_str(),
                    Some(path),
                    "{origin}: {probe}"
                );
                assert_eq!(
                    c[probe]["httpGet"]["port"].as_str(),
                    Some("metrics"),
                    "{origin}: {probe}"
                );
            }
            found.extend(invs);
        }
    }

    let subcommands: BTreeSet<Vec<String>> = found.iter().map(|i| i.subcommand.clone()).collect();
    for want in [["safekeeper"], ["pageserver"], ["compute"]] {
        assert!(
            subcommands.iter().any(|s| s == &want),
            "no `strata {}` found",
            want[0]
        );
    }
    let mut helps: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for inv in &found {
        let text = helps
            .entry(inv.subcommand.clone())
            .or_insert_with(|| help(&inv.subcommand));
        for flag in &inv.flags {
            let known = [" ", "\n", " <", "="]
                .iter()
                .any(|end| text.contains(&format!("--{flag}{end}")));
            assert!(
                known,
                "{}: `strata {}` has no --{flag}",
                inv.origin,
                inv.subcommand.join(" ")
            );
        }
        for var in inv
            .env
            .iter()
            .filter(|v| v.starts_with("STRATA_") && *v != "STRATA_PASSWORD")
        {
            assert!(
                text.contains(&format!("[env: {var}=")),
                "{}: `strata {}` reads no {var}",
                inv.origin,
                inv.subcommand.join(" ")
            );
        }
    }
}

#[test]
fn grafana_dashboard_queries_registered_metrics() {
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy_dir().join("grafana/strata.json")).expect("dashboard"),
    )
    .expect("the dashboard is JSON");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = String::new();
    for krate in ["compute", "safekeeper", "pageserver", "remote_storage"] {
        collect_rs(&root.join(krate).join("src"), &mut sources);
    }
    let mut queried = BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("strata_") {
                    queried.insert(word.trim_end_matches("_bucket").to_string());
                }
            }
        }
    }
    assert!(queried.len() >= 10, "the dashboard queries {queried:?}");
    for name in &queried {
        assert!(
            sources.contains(&format!("\"{name}\"")),
            "the dashboard queries {name}, which no component registers"
        );
    }
}

fn collect_rs(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("read source"));
        }
    }
}

/// The compose file's services, started as compose would start them.
#[test]
fn compose_services_run_on_moto() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let Some(moto) = rt.block_on(remote_storage::moto::MotoServer::start()) else {
        return;
    };
    let compose = &load_yaml(&deploy_dir().join("docker-compose.yml"))[0];
    let services = compose["services"].as_mapping().expect("services");
    let dir = TestDir::new("deploy-compose");

    // The bucket the createbucket service makes.
    let mc = strings(&services[&Value::from("createbucket")]["command"]).join(" ");
    let bucket = mc
        .split_whitespace()
        .skip_while(|w| *w != "mb")
        .find(|w| !w.starts_with('-') && *w != "mb")
        .and_then(|w| w.split('/').nth(1))
        .expect("createbucket runs `mc mb alias/bucket`")
        .to_string();
    drop(rt.block_on(moto.storage(&bucket, "")));

    // Every container port (listen and metrics) gets a free loopback port.
    let mut ports: HashMap<(String, u16), u16> = HashMap::new();
    let mut procs: BTreeMap<String, Process> = BTreeMap::new();
    for (name, svc) in services {
        let name = name.as_str().expect("service name").to_string();
        if svc["image"].as_str() != Some("strata:latest")
            || svc["entrypoint"].as_sequence().is_some()
        {
            continue;
        }
        let command = strings(&svc["command"]);
        let p = Process::new(&dir, &name, &[]);
        for (flag, port) in [("--listen", Some(p.addr.port())), ("--metrics", None)] {
            if let Some(i) = command.iter().position(|w| w == flag) {
                let inner: u16 = command[i + 1].rsplit(':').next().unwrap().parse().unwrap();
                ports.insert((name.clone(), inner), port.unwrap_or_else(free_port));
            }
        }
        procs.insert(name, p);
    }
    let moto_addr = moto.endpoint.trim_start_matches("http://").to_string();
    let rewrite = |svc: &str, word: &str| -> String {
        let mut w = word.replace("$$", "$");
        for ((owner, inner), outer) in &ports {
            if owner == svc {
                w = w.replace(&format!("0.0.0.0:{inner}"), &format!("127.0.0.1:{outer}"));
                w = w.replace(&format!("127.0.0.1:{inner}"), &format!("127.0.0.1:{outer}"));
            }
            w = w.replace(&format!("{owner}:{inner}"), &format!("127.0.0.1:{outer}"));
        }
        w = w.replace("minio:9000", &moto_addr);
        for v in services[&Value::from(svc)]["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let spec = v.as_str().expect("volume spec");
            let mut parts = spec.split(':');
            let (vol, path) = (parts.next().unwrap(), parts.next().unwrap());
            let host = dir.path().join("volumes").join(vol);
            std::fs::create_dir_all(&host).expect("volume dir");
            if w == path || w.starts_with(&format!("{path}/")) {
                w = format!("{}{}", host.display(), &w[path.len()..]);
            } else {
                w = w.replace(&format!(" {path}/"), &format!(" {}/", host.display()));
            }
        }
        w
    };
    let env_of = |svc: &str| -> Vec<(String, String)> {
        services[&Value::from(svc)]["environment"]
            .as_mapping()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let v = v.as_str().expect("environment value").to_string();
                // ${VAR:-default}: the test sets no VAR.
                let v = match v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                    Some(inner) => inner
                        .split_once(":-")
                        .map(|(_, d)| d.to_string())
                        .unwrap_or_default(),
                    None => v,
                };
                (k.as_str().expect("environment name").to_string(), v)
            })
            .collect()
    };

    // One-shot services (the users file), then the servers in depends_on order.
    let strata_dir = Path::new(env!("CARGO_BIN_EXE_strata"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path_var = format!(
        "{}:{}",
        strata_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env_password = String::new();
    let mut done: BTreeSet<String> = ["minio", "createbucket"]
        .into_iter()
        .map(String::from)
        .collect();
    for (name, svc) in services {
        let name = name.as_str().unwrap();
        if svc["image"].as_str() == Some("strata:latest")
            && svc["entrypoint"].as_sequence().is_some()
        {
            let script = rewrite(name, &strings(&svc["command"]).join(" "));
            let env = env_of(name);
            if let Some((_, p)) = env.iter().find(|(k, _)| k == "STRATA_PASSWORD") {
                env_password = p.clone();
            }
            let out = Command::new("sh")
                .args(["-c", &script])
                .envs(env)
                .env("PATH", &path_var)
                .output()
                .expect("run sh");
            assert!(
                out.status.success(),
                "compose {name}: {script}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            done.insert(name.to_string());
        }
    }
    assert!(
        !env_password.is_empty(),
        "the users service sets STRATA_PASSWORD"
    );
    while done.len() < services.len() {
        let ready: Vec<String> = procs
            .keys()
            .filter(|n| !done.contains(*n))
            .filter(|n| {
                services[&Value::from(n.as_str())]["depends_on"]
                    .as_mapping()
                    .into_iter()
                    .flatten()
                    .all(|(dep, _)| done.contains(dep.as_str().unwrap()))
            })
            .cloned()
            .collect();
        assert!(
            !ready.is_empty(),
            "depends_on has a cycle or names an unknown service"
        );
        for name in ready {
            let svc = &services[&Value::from(name.as_str())];
            let args: Vec<String> = strings(&svc["command"])
                .iter()
                .map(|w| rewrite(&name, w))
                .collect();
            let p = procs.get_mut(&name).unwrap();
            for (k, v) in env_of(&name) {
                p.set_env(&k, Some(&v));
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            p.push_args(&args);
            p.start();
            // Its healthcheck: /readyz on its metrics port, within compose's retries.
            let url = svc["healthcheck"]["test"]
                .as_sequence()
                .and_then(|t| t.last())
                .and_then(Value::as_str);
            if let Some(url) = url {
                let url = rewrite(&name, url);
                let addr = url
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(60);
                while let Err(e) = http_get(addr, "/readyz") {
                    assert!(
                        Instant::now() < deadline,
                        "compose {name} never became healthy: {e}"
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
                let live = http_get(addr, "/healthz").expect("/healthz");
                assert_eq!(live.trim(), "ok");
            }
            done.insert(name);
        }
    }

    // The published PostgreSQL port, with the users service's password.
    let published = strings(&services[&Value::from("compute")]["ports"]);
    let inner: u16 = published[0].rsplit(':').next().unwrap().parse().unwrap();
    let port = ports[&("compute".to_string(), inner)];
    rt.block_on(async {
        let wrong = format!("host=127.0.0.1 port={port} user=strata password=wrong dbname=postgres");
        let err = tokio_postgres::connect(&wrong, tokio_postgres::NoTls).await.err().expect("a wrong password is refused");
        assert_eq!(err.code().map(|c| c.code()), Some("28P01"), "{err}");
        let conn = format!("host=127.0.0.1 port={port} user=strata password={env_password} dbname=postgres");
        let (client, connection) = tokio::time::timeout(Duration::from_secs(30), tokio_postgres::connect(&conn, tokio_postgres::NoTls))
            .await
            .expect("connect within 30 s")
            .expect("log in with the users service's password");
        tokio::spawn(connection);
        client
            .batch_execute("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g")
            .await
            .expect("write");
        let row = client.query_one("SELECT count(*), max(body) FROM notes", &[]).await.expect("read");
        assert_eq!(row.get::<_, i64>(0), 100);
        assert_eq!(row.get::<_, &str>(1), "note 99");
    });
    // Everyone talks to the object store through moto.
    let inner = metrics_port(&strings(&services[&Value::from("pageserver")]["command"]))
        .expect("the pageserver serves metrics");
    let ps_metrics = ports[&("pageserver".to_string(), inner)];
    let text = http_get(
        format!("127.0.0.1:{ps_metrics}").parse().unwrap(),
        "/metrics",
    )
    .expect("metrics");
    assert!(
        text.contains("strata_object_store_requests_total"),
        "{text}"
    );
    assert!(text.contains("strata_pageserver_last_record_lsn"), "{text}");
}
