//! The users file: who may log in with a password, stored as SCRAM-SHA-256 verifiers.
//!
//! One user per line, `name:verifier`, where the verifier is PostgreSQL's own
//! `pg_authid.rolpassword` format, so no password is stored and a verifier can be copied
//! from a PostgreSQL server (`SELECT rolpassword FROM pg_authid`):
//!
//! ```text
//! # Strata users: name:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//! alice:SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$u3P2...Tg=:k5Xc...A8=
//! ```
//!
//! Salt and keys are standard base64; both keys are 32 bytes (SHA-256). Blank lines and
//! lines starting with `#` are ignored; a user name cannot contain `:` and appears once.
//! `strata users add` writes lines ([`set_password`]); the file is read once when the
//! compute starts.
//!
//! Unknown users still get a full SCRAM exchange against a *mock* verifier whose salt is
//! derived from the name and a per-process secret (as PostgreSQL does), so a client cannot
//! tell an unknown user from a wrong password.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pgwire::api::auth::sasl::scram::{ScramSecret, gen_salted_password};

use crate::{Error, Result};

/// Iterations of verifiers Strata makes (PostgreSQL's default).
pub const ITERATIONS: usize = 4096;

const PREFIX: &str = "SCRAM-SHA-256$";
const KEY_LEN: usize = 32;

/// A SCRAM-SHA-256 verifier: what the server keeps instead of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: usize,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("iterations", &self.iterations)
            .field("salt", &STANDARD.encode(&self.salt))
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The verifier of `password` with `salt` (SASLprep-normalized, as PostgreSQL does).
    pub fn from_password(password: &str, salt: Vec<u8>, iterations: usize) -> Verifier {
        let salted = gen_salted_password(password, &salt, iterations);
        match ScramSecret::verifier_from_salted_password(salt, salted, iterations) {
            ScramSecret::Verifier {
                salt,
                iterations,
                stored_key,
                server_key,
            } => Verifier {
                iterations,
                salt,
                stored_key,
                server_key,
            },
            ScramSecret::SaltedPassword { .. } => {
                unreachable!("verifier_from_salted_password returns a verifier")
            }
        }
    }

    /// A new verifier of `password` with a random 16-byte salt.
    pub fn generate(password: &str) -> Verifier {
        Verifier::from_password(password, rand::random::<[u8; 16]>().to_vec(), ITERATIONS)
    }

    /// Parses PostgreSQL's `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`.
    pub fn parse(text: &str) -> std::result::Result<Verifier, String> {
        let rest = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| format!("a verifier starts with {PREFIX:?}"))?;
        let (params, keys) = rest
            .split_once('$')
            .ok_or("expected <iterations>:<salt>$<StoredKey>:<ServerKey>")?;
        let (iterations, salt) = params
            .split_once(':')
            .ok_or("expected <iterations>:<salt> after SCRAM-SHA-256$")?;
        let (stored, server) = keys
            .split_once(':')
            .ok_or("expected <StoredKey>:<ServerKey>")?;
        let iterations: usize = iterations
            .parse()
            .ok()
            .filter(|i| *i > 0)
            .ok_or_else(|| format!("invalid iteration count {iterations:?}"))?;
        let decode = |what: &str, b64: &str| {
            STANDARD
                .decode(b64)
                .map_err(|e| format!("{what} is not base64: {e}"))
        };
        let salt = decode("the salt", salt)?;
        let stored_key = decode("StoredKey", stored)?;
        let server_key = decode("ServerKey", server)?;
        if salt.is_empty() {
            return Err("the salt is empty".into());
        }
        if stored_key.len() != KEY_LEN || server_key.len() != KEY_LEN {
            return Err(format!("StoredKey and ServerKey must be {KEY_LEN} bytes"));
        }
        Ok(Verifier {
            iterations,
            salt,
            stored_key,
            server_key,
        })
    }

    /// The secret pgwire's SCRAM exchange checks a client's proof against.
    pub fn to_secret(&self) -> ScramSecret {
        ScramSecret::Verifier {
            salt: self.salt.clone(),
            iterations: self.iterations,
            stored_key: self.stored_key.clone(),
            server_key: self.server_key.clone(),
        }
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

/// The users of a users file, and the secret that makes unknown users' mock verifiers.
pub struct Users {
    users: HashMap<String, Verifier>,
    mock_secret: [u8; 32],
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// Checks a user name for the file format: non-empty, no `:`, no line breaks.
fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.contains([':', '\n', '\r']) || name.trim() != name {
        return Err(format!(
            "invalid user name {name:?}: it must be non-empty, without ':', line breaks or \
             surrounding spaces"
        ));
    }
    Ok(())
}

impl Users {
    /// Parses a users file's text; errors name `origin` and the line.
    pub fn parse(text: &str, origin: &str) -> Result<Users> {
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| Error::Config(format!("{origin}, line {}: {reason}", n + 1));
            let (name, verifier) = line
                .split_once(':')
                .ok_or_else(|| bad("expected name:SCRAM-SHA-256$...".into()))?;
            check_name(name).map_err(bad)?;
            let verifier = Verifier::parse(verifier).map_err(bad)?;
            if users.insert(name.to_string(), verifier).is_some() {
                return Err(bad(format!("user {name:?} appears twice")));
            }
        }
        Ok(Users {
            users,
            mock_secret: rand::random(),
        })
    }

    /// Reads and parses the users file at `path`.
    pub fn load(path: &Path) -> Result<Users> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("read the users file {}: {e}", path.display())))?;
        Users::parse(&text, &path.display().to_string())
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// `user`'s verifier, or `None` for an unknown user.
    pub fn get(&self, user: &str) -> Option<&Verifier> {
        self.users.get(user)
    }

    /// The SCRAM secret to run the exchange with: `user`'s verifier, or for an unknown user a
    /// mock that no password matches, with a salt stable per name (so repeated attempts do
    /// not reveal that the user is unknown).
    pub fn secret_for(&self, user: &str) -> ScramSecret {
        if let Some(v) = self.get(user) {
            return v.to_secret();
        }
        self.mock_secret(user)
    }

    /// A secret no password matches, with a salt stable per name.
    pub fn mock_secret(&self, user: &str) -> ScramSecret {
        // One PBKDF2 round keyed by the name: an HMAC of the per-process secret.
        let salt = gen_salted_password(user, &self.mock_secret, 1)[..16].to_vec();
        ScramSecret::Verifier {
            salt,
            iterations: ITERATIONS,
            stored_key: rand::random::<[u8; KEY_LEN]>().to_vec(),
            server_key: rand::random::<[u8; KEY_LEN]>().to_vec(),
        }
    }
}

/// Sets `user`'s password in the users file at `path` (created if missing, with mode 0600 on
/// Unix): replaces the user's line or appends one, keeping every other line. The file is
/// replaced atomically (a temporary file renamed over it).
pub fn set_password(path: &Path, user: &str, password: &str) -> Result<()> {
    check_name(user).map_err(Error::Config)?;
    if password.is_empty() {
        return Err(Error::Config("the password is empty".into()));
    }
    let io = |what: &str, e: std::io::Error| {
        Error::Config(format!("{what} the users file {}: {e}", path.display()))
    };
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Strata users: name:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>\n"
                .to_string()
        }
        Err(e) => return Err(io("read", e)),
    };
    // Refuse to rewrite a file that does not parse: its other lines would be kept as they are.
    Users::parse(&old, &path.display().to_string())?;
    let line = format!("{user}:{}", Verifier::generate(password));
    let mut out = String::with_capacity(old.len() + line.len() + 1);
    let mut replaced = false;
    for l in old.lines() {
        if l.trim()
            .split_once(':')
            .is_some_and(|(name, _)| name == user)
        {
            out.push_str(&line);
            replaced = true;
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    if !replaced {
        out.push_str(&line);
        out.push('\n');
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| io("write", e))?;
    file.write_all(out.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("replace", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_match_an_independent_computation() {
        // Python's hashlib/hmac, following RFC 5802 and PostgreSQL's rolpassword layout:
        // SaltedPassword = pbkdf2_hmac('sha256', b'secret', b'saltsaltsaltsalt', 4096),
        // StoredKey = sha256(hmac(SaltedPassword, 'Client Key')),
        // ServerKey = hmac(SaltedPassword, 'Server Key').
        let expected = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==\
                        $Ce3wZiZ+yIBCjltccfRiqM0+XDsLE3qPdkEeZKe3hus=\
                        :k3q4nlLsA09ST5FLo9zNmfyXR+Ci1J4KmBK5JRVSxeI=";
        let v = Verifier::from_password("secret", b"saltsaltsaltsalt".to_vec(), 4096);
        assert_eq!(v.to_string(), expected);
        assert_eq!(Verifier::parse(expected), Ok(v.clone()));
        assert_ne!(
            v,
            Verifier::from_password("Secret", b"saltsaltsaltsalt".to_vec(), 4096)
        );
    }

    #[test]
    fn malformed_verifiers_are_refused() {
        let good = Verifier::generate("pw").to_string();
        assert!(Verifier::parse(&good).is_ok());
        for bad in [
            "md5abcdef",
            "SCRAM-SHA-256$4096:c2FsdA==",
            "SCRAM-SHA-256$0:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$x:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:!!$AAAA:AAAA",
            "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn users_files_parse_with_errors_naming_the_line() {
        let v = Verifier::generate("pw").to_string();
        let text = format!("# comment\n\nalice:{v}\n  bob:{v}  \n");
        let users = Users::parse(&text, "f").unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.get("alice").is_some() && users.get("bob").is_some());
        assert!(users.get("carol").is_none());

        let err = |text: &str| Users::parse(text, "f").unwrap_err().to_string();
        assert!(err(&format!("alice:{v}\nalice:{v}\n")).contains("line 2"));
        assert!(err("alice\n").contains("line 1"));
        assert!(err(&format!("# x\n:{v}\n")).contains("line 2"));
        assert!(err("alice:plaintext\n").contains("SCRAM-SHA-256$"));
    }

    #[test]
    fn unknown_users_get_a_stable_mock_salt() {
        let users = Users::parse("", "f").unwrap();
        let salt = |u: &str| match users.secret_for(u) {
            ScramSecret::Verifier { salt, .. } => salt,
            ScramSecret::SaltedPassword { .. } => panic!("a verifier"),
        };
        assert_eq!(salt("mallory"), salt("mallory"));
        assert_ne!(salt("mallory"), salt("eve"));
        assert_eq!(salt("mallory").len(), 16);
    }

    #[test]
    fn set_password_adds_and_replaces_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        set_password(&path, "alice", "one").unwrap();
        set_password(&path, "bob", "two").unwrap();
        let first = Users::load(&path).unwrap();
        let alice = first.get("alice").unwrap().clone();
        assert_eq!(
            alice,
            Verifier::from_password("one", alice.salt.clone(), alice.iterations)
        );
        set_password(&path, "alice", "three").unwrap();
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        let alice = users.get("alice").unwrap();
        assert_eq!(
            *alice,
            Verifier::from_password("three", alice.salt.clone(), alice.iterations)
        );
        assert_eq!(users.get("bob"), first.get("bob"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(set_password(&path, "a:b", "x").is_err());
        assert!(set_password(&path, "carol", "").is_err());
    }
}
