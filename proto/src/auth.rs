//! # Tokens between components: who may call which gRPC method, for which tenant
//!
//! Every gRPC call between Strata processes (compute → safekeepers and
//! pageserver, pageserver → safekeepers, safekeeper → peers, admin commands)
//! may carry a JWT in the `authorization: Bearer …` metadata, as Neon does:
//! signed with an Ed25519 key (EdDSA, PEM files), with claims
//!
//! ```text
//! { "role": "compute" | "pageserver" | "safekeeper" | "admin",
//!   "tenant": "a",          optional: the only tenant the token is good for
//!   "timeline": "main",     optional: the only timeline (with a tenant)
//!   "exp": 1700000000 }     seconds since the Unix epoch
//! ```
//!
//! A server started with a public key ([`Verifier`]) checks every call in two
//! steps: [`authenticate`] (a token is present, its signature and expiry are
//! good: else `Unauthenticated`) once per call, then [`Grant::permit`] for
//! each tenant/timeline the call names (the token's role may call the method
//! — [`Method::roles`] is the one table of that — and its scope covers what
//! the request names: else `PermissionDenied`). Refusals are logged with the
//! peer's address and counted in `strata_grpc_auth_refused_total{method,
//! code}`; the status text says why without naming other tenants.
//! A server without a key lets everything through, as before auth existed.
//!
//! The rules of [`check`] are pure; clients attach their token with the
//! [`Bearer`] interceptor ([`AuthChannel`] is the channel type every client
//! uses, with or without a token).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};

/// What a token holder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A compute node: proposer on the safekeepers, reader of pages. Always
    /// scoped to a tenant.
    Compute,
    /// A pageserver: reads WAL, claims generations, reports feedback.
    Pageserver,
    /// A safekeeper talking to its peers (status, peer recovery).
    Safekeeper,
    /// An operator or the control plane: every method.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Compute => "compute",
            Role::Pageserver => "pageserver",
            Role::Safekeeper => "safekeeper",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Role, AuthError> {
        match s {
            "compute" => Ok(Role::Compute),
            "pageserver" => Ok(Role::Pageserver),
            "safekeeper" => Ok(Role::Safekeeper),
            "admin" => Ok(Role::Admin),
            _ => Err(AuthError::Invalid(format!(
                "unknown role {s:?} (compute, pageserver, safekeeper or admin)"
            ))),
        }
    }
}

/// A token's claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// Every gRPC method a server checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    SkGreet,
    SkVote,
    SkElected,
    SkAppend,
    SkReadWal,
    SkStatus,
    SkListTimelines,
    SkPageserverFeedback,
    SkIssueGeneration,
    PsGetPages,
    PsCreateTimeline,
    PsListTimelines,
    PsTimelineStatus,
    PsLeaseLsn,
}

impl Method {
    /// The roles that may call this method besides [`Role::Admin`], which may
    /// call every method. The one place the rules live.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            // Only a proposer (the compute) votes, is elected and appends; a
            // pageserver creating a timeline greets the safekeepers with its
            // start LSN (a greet changes no term).
            Method::SkGreet => &[Compute, Pageserver],
            Method::SkVote | Method::SkElected | Method::SkAppend => &[Compute],
            // WAL and status: replicas and proposers, the pageserver, peers.
            Method::SkReadWal | Method::SkStatus => &[Compute, Pageserver, Safekeeper],
            Method::SkListTimelines => &[Pageserver, Safekeeper],
            // Generations fence pageservers: only a pageserver claims one.
            Method::SkPageserverFeedback | Method::SkIssueGeneration => &[Pageserver],
            Method::PsGetPages | Method::PsTimelineStatus | Method::PsLeaseLsn => &[Compute],
            Method::PsListTimelines => &[Compute],
            // Creating timelines and branches is the operator's.
            Method::PsCreateTimeline => &[],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::SkGreet => "safekeeper.Greet",
            Method::SkVote => "safekeeper.Vote",
            Method::SkElected => "safekeeper.Elected",
            Method::SkAppend => "safekeeper.Append",
            Method::SkReadWal => "safekeeper.ReadWal",
            Method::SkStatus => "safekeeper.Status",
            Method::SkListTimelines => "safekeeper.ListTimelines",
            Method::SkPageserverFeedback => "safekeeper.PageserverFeedback",
            Method::SkIssueGeneration => "safekeeper.IssueGeneration",
            Method::PsGetPages => "pageserver.GetPages",
            Method::PsCreateTimeline => "pageserver.CreateTimeline",
            Method::PsListTimelines => "pageserver.ListTimelines",
            Method::PsTimelineStatus => "pageserver.TimelineStatus",
            Method::PsLeaseLsn => "pageserver.LeaseLsn",
        }
    }
}

/// Why a token is not accepted, or a key or token file is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token, a malformed or badly signed one, or an expired one.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// A valid token whose role or scope does not cover the request.
    #[error("permission denied: {0}")]
    Denied(String),
    /// A key or token that cannot be used (files, PEM, arguments).
    #[error("{0}")]
    Invalid(String),
}

/// The pure rule: may `claims` call `method` on what the request names?
/// `tenant`/`timeline` are `None` when the request names none (a listing of
/// every tenant): then only an unscoped token may call it.
pub fn check(
    claims: &Claims,
    method: Method,
    tenant: Option<&str>,
    timeline: Option<&str>,
) -> Result<(), AuthError> {
    if claims.role != Role::Admin && !method.roles().contains(&claims.role) {
        return Err(AuthError::Denied(format!(
            "a {} token may not call {}",
            claims.role,
            method.name()
        )));
    }
    if let Some(scope) = &claims.tenant
        && tenant != Some(scope.as_str())
    {
        return Err(AuthError::Denied(format!(
            "the token is not valid for this tenant ({})",
            method.name()
        )));
    }
    if let Some(scope) = &claims.timeline
        && timeline != Some(scope.as_str())
    {
        return Err(AuthError::Denied(format!(
            "the token is not valid for this timeline ({})",
            method.name()
        )));
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks tokens against the public keys of `--auth-public-key`: one PEM file holding one
/// or more keys, or a directory of `*.pem` files. A token signed by any of them is good, so
/// keys rotate without downtime: add the new public key, move the signers to the new
/// private key, then remove the old public key. [`Verifier::reload`] re-reads the source
/// (the servers do on SIGHUP and every few seconds); clones share the keys.
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<RwLock<Vec<DecodingKey>>>,
    source: Option<PathBuf>,
    validation: Validation,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier(Ed25519 x{})", self.key_count())
    }
}

/// The Ed25519 public keys in `pem` (every `PUBLIC KEY` block); at least one.
fn public_keys(pem: &[u8]) -> Result<Vec<DecodingKey>, AuthError> {
    const END: &str = "-----END PUBLIC KEY-----";
    let text = std::str::from_utf8(pem)
        .map_err(|_| AuthError::Invalid("a public key PEM must be text".into()))?;
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN PUBLIC KEY-----") {
        let block = &rest[at..];
        let end = block
            .find(END)
            .ok_or_else(|| AuthError::Invalid("unterminated PUBLIC KEY block".into()))?;
        let key = DecodingKey::from_ed_pem(&block.as_bytes()[..end + END.len()])
            .map_err(|e| AuthError::Invalid(format!("not an Ed25519 public key PEM: {e}")))?;
        keys.push(key);
        rest = &block[end + END.len()..];
    }
    if keys.is_empty() {
        return Err(AuthError::Invalid(
            "not an Ed25519 public key PEM: no PUBLIC KEY block".into(),
        ));
    }
    Ok(keys)
}

/// The keys of a file, or of every `*.pem` file of a directory (in name order).
fn keys_at(path: &Path) -> Result<Vec<DecodingKey>, AuthError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| AuthError::Invalid(format!("read {}: {e}", p.display())))
    };
    if !path.is_dir() {
        return public_keys(&read(path)?)
            .map_err(|e| AuthError::Invalid(format!("{}: {e}", path.display())));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| AuthError::Invalid(format!("read {}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem") && p.is_file())
        .collect();
    files.sort();
    let mut keys = Vec::new();
    for f in &files {
        keys.extend(
            public_keys(&read(f)?)
                .map_err(|e| AuthError::Invalid(format!("{}: {e}", f.display())))?,
        );
    }
    if keys.is_empty() {
        return Err(AuthError::Invalid(format!(
            "{}: no *.pem public key in the directory",
            path.display()
        )));
    }
    Ok(keys)
}

impl Verifier {
    fn with_keys(keys: Vec<DecodingKey>, source: Option<PathBuf>) -> Verifier {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        Verifier {
            keys: Arc::new(RwLock::new(keys)),
            source,
            validation,
        }
    }

    /// From Ed25519 public keys in PEM (`-----BEGIN PUBLIC KEY-----`, one or more).
    pub fn from_pem(pem: &[u8]) -> Result<Verifier, AuthError> {
        Ok(Verifier::with_keys(public_keys(pem)?, None))
    }

    /// From a PEM file, or a directory of `*.pem` files; [`Verifier::reload`] reads it again.
    pub fn from_file(path: &Path) -> Result<Verifier, AuthError> {
        Ok(Verifier::with_keys(
            keys_at(path)?,
            Some(path.to_path_buf()),
        ))
    }

    /// How many keys tokens are checked against.
    pub fn key_count(&self) -> usize {
        self.keys.read().map_or(0, |k| k.len())
    }

    /// Reads the keys' file or directory again and uses what it holds now; on an error
    /// the keys in use stay. Returns the new key count (`None`: not from a file).
    pub fn reload(&self) -> Result<Option<usize>, AuthError> {
        let Some(path) = &self.source else {
            return Ok(None);
        };
        let keys = keys_at(path)?;
        let n = keys.len();
        *self
            .keys
            .write()
            .map_err(|_| AuthError::Invalid("the key set's lock is poisoned".into()))? = keys;
        Ok(Some(n))
    }

    /// The claims of a token signed by one of the keys and unexpired. A compute token must
    /// be scoped to a tenant, a timeline scope needs a tenant.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let keys = self
            .keys
            .read()
            .map_err(|_| AuthError::Invalid("the key set's lock is poisoned".into()))?;
        let mut result = Err(AuthError::Unauthenticated("no public key".into()));
        for key in keys.iter() {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(data) => {
                    result = Ok(data.claims);
                    break;
                }
                // Signed by another key (or not at all): the next key may know it.
                Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    result = Err(AuthError::Unauthenticated(format!("invalid token: {e}")));
                }
                Err(e) => {
                    result = Err(AuthError::Unauthenticated(format!("invalid token: {e}")));
                    break;
                }
            }
        }
        let claims = result?;
        if claims.role == Role::Compute && claims.tenant.is_none() {
            return Err(AuthError::Unauthenticated(
                "a compute token must name its tenant".into(),
            ));
        }
        if claims.timeline.is_some() && claims.tenant.is_none() {
            return Err(AuthError::Unauthenticated(
                "a timeline scope needs a tenant".into(),
            ));
        }
        Ok(claims)
    }
}

/// Signs tokens with an Ed25519 private key (`strata auth token --key`).
pub struct Signer {
    key: EncodingKey,
}

impl Signer {
    /// From an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &[u8]) -> Result<Signer, AuthError> {
        let key = EncodingKey::from_ed_pem(pem)
            .map_err(|e| AuthError::Invalid(format!("not an Ed25519 private key PEM: {e}")))?;
        Ok(Signer { key })
    }

    pub fn from_file(path: &Path) -> Result<Signer, AuthError> {
        let pem = std::fs::read(path)
            .map_err(|e| AuthError::Invalid(format!("read {}: {e}", path.display())))?;
        Signer::from_pem(&pem)
    }

    /// A token for `role`, scoped as given, valid for `ttl` from now.
    pub fn token(
        &self,
        role: Role,
        tenant: Option<&str>,
        timeline: Option<&str>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        if role == Role::Compute && tenant.is_none() {
            return Err(AuthError::Invalid("a compute token needs --tenant".into()));
        }
        if timeline.is_some() && tenant.is_none() {
            return Err(AuthError::Invalid("--timeline needs --tenant".into()));
        }
        self.sign(&Claims {
            role,
            tenant: tenant.map(str::to_string),
            timeline: timeline.map(str::to_string),
            exp: now_secs().saturating_add(ttl.as_secs()),
        })
    }

    /// Signs `claims` as they are (tests make expired tokens with this).
    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(|e| AuthError::Invalid(format!("sign a token: {e}")))
    }
}

/// A new Ed25519 key pair as PEM: `(private PKCS#8, public SPKI)`.
pub fn generate_key_pair() -> Result<(String, String), AuthError> {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .map_err(|e| AuthError::Invalid(format!("generate an Ed25519 key: {e}")))?;
    Ok((pair.serialize_pem(), pair.public_key_pem()))
}

/// A client's token (`--auth-token-file`), or none; cheap to clone (clones share it).
/// One read from a file is read again by [`Token::reload`] (the processes do on SIGHUP and
/// every few seconds), so short-lived tokens can be replaced in place.
#[derive(Clone, Default)]
pub struct Token(Arc<TokenSource>);

#[derive(Default)]
struct TokenSource {
    value: RwLock<Option<AsciiMetadataValue>>,
    path: Option<PathBuf>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.write_str(if self.is_some() {
            "Token(..)"
        } else {
            "Token(none)"
        })
    }
}

fn bearer_value(token: &str) -> Result<AsciiMetadataValue, AuthError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::Invalid("empty token".into()));
    }
    AsciiMetadataValue::try_from(format!("Bearer {token}"))
        .map_err(|_| AuthError::Invalid("a token must be printable ASCII".into()))
}

fn read_token(path: &Path) -> Result<AsciiMetadataValue, AuthError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AuthError::Invalid(format!("read {}: {e}", path.display())))?;
    bearer_value(&text).map_err(|e| AuthError::Invalid(format!("{}: {e}", path.display())))
}

impl Token {
    /// No token: for servers without auth.
    pub fn none() -> Token {
        Token::default()
    }

    /// A token string (surrounding whitespace ignored).
    pub fn new(token: &str) -> Result<Token, AuthError> {
        Ok(Token(Arc::new(TokenSource {
            value: RwLock::new(Some(bearer_value(token)?)),
            path: None,
        })))
    }

    /// The token in `path` (as `strata auth token` prints it).
    pub fn from_file(path: &Path) -> Result<Token, AuthError> {
        Ok(Token(Arc::new(TokenSource {
            value: RwLock::new(Some(read_token(path)?)),
            path: Some(path.to_path_buf()),
        })))
    }

    /// `--auth-token-file` if given, else no token.
    pub fn from_optional_file(path: Option<&Path>) -> Result<Token, AuthError> {
        path.map_or(Ok(Token::none()), Token::from_file)
    }

    /// Reads the token's file again; on an error the token in use stays. Returns whether
    /// it changed.
    pub fn reload(&self) -> Result<bool, AuthError> {
        let Some(path) = &self.0.path else {
            return Ok(false);
        };
        let new = read_token(path)?;
        let mut value = self
            .0
            .value
            .write()
            .map_err(|_| AuthError::Invalid("the token's lock is poisoned".into()))?;
        let changed = value.as_ref() != Some(&new);
        *value = Some(new);
        Ok(changed)
    }

    fn value(&self) -> Option<AsciiMetadataValue> {
        self.0.value.read().ok().and_then(|v| v.clone())
    }

    pub fn is_some(&self) -> bool {
        self.value().is_some()
    }

    /// The bare token (the lean Append wire sends it in its handshake); empty for none.
    pub fn secret(&self) -> String {
        self.value()
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_string()
    }

    /// `Bearer` interceptor for a client on `channel`.
    pub fn bearer(&self) -> Bearer {
        Bearer(self.clone())
    }
}

/// The client interceptor that adds the token to every call.
#[derive(Clone, Debug, Default)]
pub struct Bearer(Token);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = self.0.value() {
            request.metadata_mut().insert("authorization", v);
        }
        Ok(request)
    }
}

/// The channel every gRPC client uses: a tonic channel whose calls carry the
/// token (if any).
pub type AuthChannel = InterceptedService<Channel, Bearer>;

/// `channel` with `token` on every call.
pub fn channel(channel: Channel, token: &Token) -> AuthChannel {
    InterceptedService::new(channel, token.bearer())
}

/// What [`authenticate`] established for one call: the caller's claims (none
/// when the server has no key) and its address for the log.
#[derive(Clone, Debug)]
pub struct Grant {
    claims: Option<Claims>,
    peer: Option<SocketAddr>,
}

impl Grant {
    /// A grant for a server without auth (everything permitted).
    pub fn open() -> Grant {
        Grant {
            claims: None,
            peer: None,
        }
    }

    /// Checks `method` on what the request names; refusals are logged with
    /// the peer and become `PermissionDenied`.
    pub fn permit(
        &self,
        method: Method,
        tenant: Option<&str>,
        timeline: Option<&str>,
    ) -> Result<(), Status> {
        let Some(claims) = &self.claims else {
            return Ok(());
        };
        check(claims, method, tenant, timeline).map_err(|e| {
            tracing::warn!(
                peer = %peer_name(self.peer),
                method = method.name(),
                role = %claims.role,
                token_tenant = claims.tenant.as_deref().unwrap_or("*"),
                error = %e,
                "refused a gRPC call"
            );
            REFUSED
                .with_label_values(&[method.name(), "permission_denied"])
                .inc();
            Status::permission_denied(e.to_string())
        })
    }
}

/// Refused calls, by method and status code (Prometheus' default registry).
static REFUSED: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    prometheus::register_int_counter_vec!(
        "strata_grpc_auth_refused_total",
        "gRPC calls refused by component auth (no, bad or expired token; wrong role or scope)",
        &["method", "code"]
    )
    .expect("register strata_grpc_auth_refused_total")
});

/// How many calls of `method` were refused with `code` (`unauthenticated` or
/// `permission_denied`) in this process.
pub fn refused_count(method: Method, code: &str) -> u64 {
    REFUSED.with_label_values(&[method.name(), code]).get()
}

/// The caller's address for the log.
fn peer_name(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "unknown".to_string(), |a| a.to_string())
}

/// The token from `metadata`'s `authorization: Bearer …`, if any.
fn bearer_token(metadata: &MetadataMap) -> Option<&str> {
    metadata
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Verifies a call's token (when `verifier` is set): `Unauthenticated` if it
/// is missing, badly signed or expired, logged with the peer.
pub fn authenticate<T>(
    verifier: Option<&Verifier>,
    request: &Request<T>,
    method: Method,
) -> Result<Grant, Status> {
    let Some(verifier) = verifier else {
        return Ok(Grant::open());
    };
    let peer = request.remote_addr();
    authenticate_token(verifier, bearer_token(request.metadata()), peer, method)
}

/// [`authenticate`] for a token that came another way (the lean Append wire).
pub fn authenticate_token(
    verifier: &Verifier,
    token: Option<&str>,
    peer: Option<SocketAddr>,
    method: Method,
) -> Result<Grant, Status> {
    let verified = match token {
        None | Some("") => Err(AuthError::Unauthenticated("no token".into())),
        Some(t) => verifier.verify(t),
    };
    match verified {
        Ok(claims) => Ok(Grant {
            claims: Some(claims),
            peer,
        }),
        Err(e) => {
            tracing::warn!(
                peer = %peer_name(peer),
                method = method.name(),
                error = %e,
                "refused a gRPC call"
            );
            REFUSED
                .with_label_values(&[method.name(), "unauthenticated"])
                .inc();
            Err(Status::unauthenticated(e.to_string()))
        }
    }
}

/// A verifier shared by a server's handlers.
pub type SharedVerifier = Option<Arc<Verifier>>;

#[cfg(test)]
mod tests;
