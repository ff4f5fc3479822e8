//! # remote_storage: object storage as Strata needs it
//!
//! One [`RemoteStorage`] type over object_store, opened from a URL:
//!
//! - `file:///path` — the embedded default. Writes go to a staging file that
//!   is fsynced and atomically published, and the directory is fsynced, so a
//!   successful `put` is durable (object_store's `with_fsync`); creates are
//!   hard links, so `put_if_absent` is atomic.
//! - `memory://` — for tests.
//! - `s3://bucket/prefix` — S3 and anything S3-compatible (MinIO, moto):
//!   endpoint, region and `allow_http` from [`S3Options`], keys from the
//!   usual `AWS_*` variables or the options. Path-style requests, conditional
//!   puts with `If-None-Match: *`. Server-side encryption (SSE-S3, SSE-KMS with
//!   an optional key and Bucket Keys, DSSE-KMS, SSE-C) is asked for on every
//!   write when [`S3Options::sse`] or `AWS_SERVER_SIDE_ENCRYPTION` says so.
//!
//! Keys are `/`-separated strings relative to the URL's prefix; where every
//! component's objects live is [`layout`]'s job. Invariants callers rely on:
//! `put` returns only once the object is durable; `put_if_absent` succeeds for
//! exactly one of several racing writers; `get` of a missing key is
//! [`Error::NotFound`], never an empty object.
//!
//! An [`Intercept`] installed with [`RemoteStorage::with_intercept`] runs
//! before every call: tests use it to pause one process's calls at chosen
//! steps and interleave two pageservers deterministically (no sleeps).
//! Without one, a call costs one `Option` check more.
//!
//! [`durable`] is the other half of "durable on return" for local files:
//! the fsync every component's local writes go through, and the policy when
//! one fails (the process stops; see its docs).

pub mod durable;
pub mod layout;
pub mod metrics;
pub mod moto;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use futures::future::BoxFuture;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

/// Connection settings for `s3://` URLs (ignored by the other schemes).
#[derive(Clone, Debug, Default)]
pub struct S3Options {
    /// e.g. `http://127.0.0.1:9000` for MinIO or moto; AWS when `None`.
    pub endpoint: Option<String>,
    /// Defaults to `AWS_REGION`/`AWS_DEFAULT_REGION`, then `us-east-1`.
    pub region: Option<String>,
    /// Permit plain-HTTP endpoints (local MinIO, moto).
    pub allow_http: bool,
    /// Credentials; default to `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Server-side encryption of every object written: `AES256` (SSE-S3), `aws:kms`
    /// (SSE-KMS), `aws:kms:dsse` or `sse-c` (then the key comes from
    /// `AWS_SSE_CUSTOMER_KEY_BASE64`); default `AWS_SERVER_SIDE_ENCRYPTION`, else the
    /// bucket's default encryption.
    pub sse: Option<String>,
    /// The KMS key for `aws:kms` / `aws:kms:dsse` (default `AWS_SSE_KMS_KEY_ID`, else the
    /// account's AWS-managed key).
    pub sse_kms_key_id: Option<String>,
    /// S3 Bucket Keys for SSE-KMS (fewer KMS calls); default `AWS_SSE_BUCKET_KEY_ENABLED`.
    pub sse_bucket_key: Option<bool>,
}

/// The encryption modes [`S3Options::sse`] takes, as S3 names them.
pub const SSE_MODES: [&str; 4] = ["AES256", "aws:kms", "aws:kms:dsse", "sse-c"];

/// What went wrong, by what the caller does about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL or options are unusable: a configuration mistake.
    #[error("object store URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("object {key:?} not found in {store}")]
    NotFound { store: String, key: String },
    /// `put_if_absent` lost: the object exists.
    #[error("object {key:?} already exists in {store}")]
    AlreadyExists { store: String, key: String },
    /// Anything else from the store (network, permissions, disk): retry or
    /// report.
    #[error("{op} {key:?} in {store}: {source}")]
    Store {
        op: &'static str,
        store: String,
        key: String,
        source: Box<object_store::Error>,
    },
}

/// A listed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key relative to the storage's prefix.
    pub key: String,
    pub size: u64,
}

/// Which call of [`RemoteStorage`] an [`Intercept`] is about to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Put,
    PutIfAbsent,
    Get,
    GetRange,
    List,
    ListDir,
    Delete,
}

impl Op {
    /// The operation's name in metrics and errors.
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::PutIfAbsent => "put_if_absent",
            Op::Get => "get",
            Op::GetRange => "get_range",
            Op::List => "list",
            Op::ListDir => "list_dir",
            Op::Delete => "delete",
        }
    }
}

/// Runs before every call of the [`RemoteStorage`] it is installed on, with
/// the call and its key (the prefix, for listings); the call goes ahead when
/// the returned future resolves. For tests that interleave processes' calls
/// step by step.
pub trait Intercept: Send + Sync + std::fmt::Debug + 'static {
    fn before<'a>(&'a self, op: Op, key: &'a str) -> BoxFuture<'a, ()>;
}

/// `b` with [`S3Options`]' server-side encryption settings (over the `AWS_*` variables
/// `from_env` read). A KMS key or a Bucket Key without an encryption mode that takes it is
/// refused here, where object_store would silently ignore it.
fn with_encryption(mut b: AmazonS3Builder, s3: &S3Options) -> Result<AmazonS3Builder, String> {
    use object_store::aws::AmazonS3ConfigKey;
    // The encryption keys' enum is not exported: name them as the AWS_* variables do.
    let key = |name: &str| -> AmazonS3ConfigKey {
        name.parse()
            .expect("object_store knows its own encryption config keys")
    };
    let (mode_key, kms_key, bucket_key) = (
        key("aws_server_side_encryption"),
        key("aws_sse_kms_key_id"),
        key("aws_sse_bucket_key_enabled"),
    );
    if let Some(mode) = &s3.sse {
        if !SSE_MODES.contains(&mode.as_str()) {
            return Err(format!(
                "unknown server-side encryption {mode:?} (expected one of {})",
                SSE_MODES.join(", ")
            ));
        }
        b = b.with_config(mode_key, mode);
    }
    if let Some(id) = &s3.sse_kms_key_id {
        b = b.with_config(kms_key, id);
    }
    if let Some(on) = s3.sse_bucket_key {
        b = b.with_config(bucket_key, on.to_string());
    }
    let mode = b.get_config_value(&mode_key);
    let kms = matches!(mode.as_deref(), Some("aws:kms" | "aws:kms:dsse"));
    if !kms && b.get_config_value(&kms_key).is_some() {
        return Err("a KMS key id needs server-side encryption aws:kms or aws:kms:dsse".into());
    }
    if !kms && s3.sse_bucket_key == Some(true) {
        return Err("S3 Bucket Keys need server-side encryption aws:kms or aws:kms:dsse".into());
    }
    Ok(b)
}

/// Object storage opened from a URL.
#[derive(Clone, Debug)]
pub struct RemoteStorage {
    store: Arc<dyn ObjectStore>,
    /// The URL, for messages.
    url: String,
    intercept: Option<Arc<dyn Intercept>>,
}

impl RemoteStorage {
    /// Opens `url` (`file:///path`, `memory://`, `s3://bucket[/prefix]`).
    /// A `file://` directory is created if missing.
    pub fn from_url(url: &str, s3: &S3Options) -> Result<RemoteStorage, Error> {
        let invalid = |reason: String| Error::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "memory" => Arc::new(InMemory::new()),
            "file" => {
                let path = parsed
                    .to_file_path()
                    .map_err(|()| invalid("not an absolute local path".into()))?;
                std::fs::create_dir_all(&path)
                    .map_err(|e| invalid(format!("create directory {}: {e}", path.display())))?;
                let fs = LocalFileSystem::new_with_prefix(&path)
                    .map_err(|e| invalid(e.to_string()))?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                Arc::new(fs)
            }
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| invalid("missing bucket name (s3://bucket/prefix)".into()))?;
                let region = s3
                    .region
                    .clone()
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
                    .unwrap_or_else(|| "us-east-1".into());
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_allow_http(s3.allow_http)
                    .with_virtual_hosted_style_request(false);
                if let Some(e) = &s3.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                b = with_encryption(b, s3).map_err(invalid)?;
                let s3store = b.build().map_err(|e| invalid(e.to_string()))?;
                let prefix = parsed.path().trim_matches('/');
                if prefix.is_empty() {
                    Arc::new(s3store)
                } else {
                    Arc::new(PrefixStore::new(s3store, prefix))
                }
            }
            other => {
                return Err(invalid(format!(
                    "unsupported scheme {other:?}: use file://, memory:// or s3://"
                )));
            }
        };
        Ok(RemoteStorage {
            store,
            url: url.to_string(),
            intercept: None,
        })
    }

    /// The same storage (same objects), with `intercept` run before every
    /// call made through the returned handle.
    pub fn with_intercept(&self, intercept: Arc<dyn Intercept>) -> RemoteStorage {
        RemoteStorage {
            intercept: Some(intercept),
            ..self.clone()
        }
    }

    async fn step(&self, op: Op, key: &str) {
        metrics::REQUESTS.with_label_values(&[op.name()]).inc();
        if let Some(i) = &self.intercept {
            i.before(op, key).await;
        }
    }

    /// Opens a local folder (the embedded default).
    pub fn local(dir: impl Into<PathBuf>) -> Result<RemoteStorage, Error> {
        let dir: PathBuf = dir.into();
        let dir = std::path::absolute(&dir).map_err(|e| Error::InvalidUrl {
            url: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let url = url::Url::from_directory_path(&dir).map_err(|()| Error::InvalidUrl {
            url: dir.display().to_string(),
            reason: "not an absolute path".into(),
        })?;
        RemoteStorage::from_url(url.as_str(), &S3Options::default())
    }

    /// The URL this storage was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn path(&self, key: &str) -> Result<Path, Error> {
        Path::parse(key).map_err(|e| Error::InvalidUrl {
            url: format!("{}/{key}", self.url),
            reason: e.to_string(),
        })
    }

    fn err(&self, op: &'static str, key: &str, e: object_store::Error) -> Error {
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound {
                store: self.url.clone(),
                key: key.into(),
            },
            object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. } => Error::AlreadyExists {
                store: self.url.clone(),
                key: key.into(),
            },
            source => {
                metrics::ERRORS.with_label_values(&[op]).inc();
                Error::Store {
                    op,
                    store: self.url.clone(),
                    key: key.into(),
                    source: Box::new(source),
                }
            }
        }
    }

    /// Writes `data` at `key`, replacing any object there; durable on return.
    pub async fn put(&self, key: &str, data: Bytes) -> Result<(), Error> {
        self.step(Op::Put, key).await;
        let path = self.path(key)?;
        self.store
            .put(&path, PutPayload::from_bytes(data))
            .await
            .map_err(|e| self.err("put", key, e))?;
        Ok(())
    }

    /// Writes `data` at `key` only if nothing is there; of several racing
    /// writers exactly one succeeds, the others get [`Error::AlreadyExists`].
    pub async fn put_if_absent(&self, key: &str, data: Bytes) -> Result<(), Error> {
        self.step(Op::PutIfAbsent, key).await;
        let path = self.path(key)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&path, PutPayload::from_bytes(data), opts)
            .await
            .map_err(|e| self.err("put_if_absent", key, e))?;
        Ok(())
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &str) -> Result<Bytes, Error> {
        self.step(Op::Get, key).await;
        let path = self.path(key)?;
        let r = self
            .store
            .get(&path)
            .await
            .map_err(|e| self.err("get", key, e))?;
        r.bytes().await.map_err(|e| self.err("get", key, e))
    }

    /// Reads `range` of an object.
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, Error> {
        self.step(Op::GetRange, key).await;
        let path = self.path(key)?;
        self.store
            .get_range(&path, range)
            .await
            .map_err(|e| self.err("get_range", key, e))
    }

    /// Lists every object whose key starts with the directory `prefix`
    /// (`""` for all), sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.step(Op::List, prefix).await;
        let p = if prefix.is_empty() {
            None
        } else {
            Some(self.path(prefix)?)
        };
        let mut out: Vec<ObjectInfo> = self
            .store
            .list(p.as_ref())
            .map_ok(|m| ObjectInfo {
                key: m.location.to_string(),
                size: m.size,
            })
            .try_collect()
            .await
            .map_err(|e| self.err("list", prefix, e))?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Lists the objects directly in the directory `dir` (not in its
    /// sub-directories), sorted by key: one request on S3 however many
    /// objects the sub-directories hold.
    pub async fn list_dir(&self, dir: &str) -> Result<Vec<ObjectInfo>, Error> {
        self.step(Op::ListDir, dir).await;
        let p = if dir.is_empty() {
            None
        } else {
            Some(self.path(dir)?)
        };
        let listed = self
            .store
            .list_with_delimiter(p.as_ref())
            .await
            .map_err(|e| self.err("list", dir, e))?;
        let mut out: Vec<ObjectInfo> = listed
            .objects
            .into_iter()
            .map(|m| ObjectInfo {
                key: m.location.to_string(),
                size: m.size,
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.step(Op::Delete, key).await;
        let path = self.path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("delete", key, e)),
        }
    }
}
