//! The same contract checked on every backend: local folder, memory, and an
//! S3-compatible server (moto on 127.0.0.1, one bucket per test).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use remote_storage::moto::MotoServer;
use remote_storage::{Error, Intercept, Op, RemoteStorage, S3Options};

async fn contract(s: &RemoteStorage) {
    // put / get / overwrite
    s.put("a/one", Bytes::from_static(b"hello")).await.unwrap();
    assert_eq!(s.get("a/one").await.unwrap(), Bytes::from_static(b"hello"));
    s.put("a/one", Bytes::from_static(b"world!")).await.unwrap();
    assert_eq!(s.get("a/one").await.unwrap(), Bytes::from_static(b"world!"));
    assert_eq!(
        s.get_range("a/one", 1..4).await.unwrap(),
        Bytes::from_static(b"orl")
    );

    // missing objects are NotFound, deletes are idempotent
    assert!(matches!(
        s.get("a/missing").await,
        Err(Error::NotFound { .. })
    ));
    s.delete("a/missing").await.unwrap();

    // list is sorted, scoped by prefix
    s.put("a/two", Bytes::from_static(b"2")).await.unwrap();
    s.put("b/three", Bytes::from_static(b"3")).await.unwrap();
    let keys: Vec<_> = s
        .list("a")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["a/one", "a/two"]);
    assert_eq!(s.list("").await.unwrap().len(), 3);
    assert_eq!(s.list("a").await.unwrap()[0].size, 6);

    // list_dir: only the directory's own objects, not its sub-directories'
    s.put("a/sub/deep", Bytes::from_static(b"d")).await.unwrap();
    let keys: Vec<_> = s
        .list_dir("a")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["a/one", "a/two"]);
    assert_eq!(s.list("a").await.unwrap().len(), 3);
    s.delete("a/sub/deep").await.unwrap();

    // conditional put: one winner among racing writers
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.put_if_absent("race", Bytes::from(vec![i as u8; 16]))
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => winners += 1,
            Err(Error::AlreadyExists { .. }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(winners, 1, "exactly one conditional put must win");
    let won = s.get("race").await.unwrap();
    assert_eq!(won.len(), 16);

    s.delete("a/one").await.unwrap();
    assert!(matches!(s.get("a/one").await, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let s = RemoteStorage::local(dir.path().join("store")).unwrap();
    contract(&s).await;
    // The data is really in the folder, under the key's path.
    assert!(dir.path().join("store/a/two").is_file());
}

#[tokio::test]
async fn memory() {
    let s = RemoteStorage::from_url("memory://", &S3Options::default()).unwrap();
    contract(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_compatible_server() {
    let Some(moto) = MotoServer::start().await else {
        return;
    };
    let s = moto.storage("conformance", "some/prefix").await;
    contract(&s).await;
    // The prefix isolates: a second storage on the same bucket without it
    // sees the objects under the prefix.
    let root = RemoteStorage::from_url("s3://conformance", &moto.options()).unwrap();
    assert_eq!(
        root.get("some/prefix/a/two").await.unwrap(),
        Bytes::from_static(b"2")
    );
}

/// Every object written carries the encryption asked for (SSE-S3, SSE-KMS with its key),
/// and the server says so when asked; without settings, none is asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_server_side_encryption_is_asked_for_on_every_write() {
    let Some(moto) = MotoServer::start().await else {
        return;
    };
    for (bucket, sse, key_id) in [
        ("plain", None, None),
        ("sse-s3", Some("AES256"), None),
        ("sse-kms", Some("aws:kms"), Some("alias/strata-layers")),
    ] {
        moto.storage(bucket, "").await;
        let options = S3Options {
            sse: sse.map(str::to_string),
            sse_kms_key_id: key_id.map(str::to_string),
            ..moto.options()
        };
        let s = RemoteStorage::from_url(&format!("s3://{bucket}/p"), &options).unwrap();
        s.put("layer", Bytes::from_static(b"x")).await.unwrap();
        s.put_if_absent("index", Bytes::from_static(b"y"))
            .await
            .unwrap();
        let state: serde_json::Value =
            serde_json::from_str(&moto.state_json().await.unwrap()).unwrap();
        for key in ["p/layer", "p/index"] {
            let object = state["s3"]["FakeKey"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["bucket_name"] == bucket && o["name"] == key)
                .unwrap_or_else(|| panic!("{bucket}/{key} not in moto's state"));
            assert_eq!(
                object["encryption"].as_str(),
                sse,
                "{bucket}/{key}: {object}"
            );
            assert_eq!(
                object["kms_key_id"].as_str(),
                key_id,
                "{bucket}/{key}: {object}"
            );
        }
        assert_eq!(s.get("layer").await.unwrap(), Bytes::from_static(b"x"));
    }
}

#[test]
fn bad_encryption_settings_are_explained() {
    for (sse, key_id, bucket_key, needle) in [
        (
            Some("aes"),
            None,
            None,
            "unknown server-side encryption \"aes\"",
        ),
        (None, Some("k"), None, "a KMS key id needs"),
        (Some("AES256"), Some("k"), None, "a KMS key id needs"),
        (Some("AES256"), None, Some(true), "Bucket Keys need"),
    ] {
        let options = S3Options {
            sse: sse.map(str::to_string),
            sse_kms_key_id: key_id.map(str::to_string),
            sse_bucket_key: bucket_key,
            ..S3Options::default()
        };
        let err = RemoteStorage::from_url("s3://b", &options).unwrap_err();
        assert!(
            err.to_string().contains(needle),
            "{sse:?} {key_id:?}: {err}"
        );
    }
}

/// Records every call it sees.
#[derive(Debug, Default)]
struct Record(Mutex<Vec<(Op, String)>>);

impl Intercept for Record {
    fn before<'a>(&'a self, op: Op, key: &'a str) -> BoxFuture<'a, ()> {
        self.0.lock().unwrap().push((op, key.to_string()));
        Box::pin(async {})
    }
}

#[tokio::test]
async fn an_intercept_sees_every_call_of_its_handle_only() {
    let plain = RemoteStorage::from_url("memory://", &S3Options::default()).unwrap();
    let record = Arc::new(Record::default());
    let seen = plain.with_intercept(record.clone());
    seen.put("k", Bytes::from_static(b"v")).await.unwrap();
    seen.put_if_absent("k2", Bytes::from_static(b"v"))
        .await
        .unwrap();
    seen.get("k").await.unwrap();
    seen.get_range("k", 0..1).await.unwrap();
    seen.list("").await.unwrap();
    seen.list_dir("").await.unwrap();
    seen.delete("k").await.unwrap();
    // The same objects, but calls through the plain handle are not seen.
    assert!(matches!(plain.get("k").await, Err(Error::NotFound { .. })));
    let ops: Vec<Op> = record.0.lock().unwrap().iter().map(|(op, _)| *op).collect();
    assert_eq!(
        ops,
        [
            Op::Put,
            Op::PutIfAbsent,
            Op::Get,
            Op::GetRange,
            Op::List,
            Op::ListDir,
            Op::Delete
        ]
    );
}

#[test]
fn bad_urls_are_explained() {
    for (url, needle) in [
        ("ftp://x", "unsupported scheme"),
        ("s3://", "bucket"),
        ("not a url", "object store URL"),
    ] {
        let err = RemoteStorage::from_url(url, &S3Options::default()).unwrap_err();
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
}
