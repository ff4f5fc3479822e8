//! `--auth-rules FILE`: which clients may connect and how they authenticate, as
//! PostgreSQL's `pg_hba.conf` decides it — one rule per line, the first rule matching the
//! connection wins, and a connection no rule matches is refused.
//!
//! ```text
//! # TYPE     DATABASE   USER         ADDRESS          METHOD
//! host       all        all          127.0.0.1/32     trust
//! hostssl    app,audit  alice,bob    10.0.0.0/8       scram-sha-256
//! host       all        "Carol"      ::1/128          scram
//! host       all        all          all              reject
//! ```
//!
//! - TYPE: `host` (with or without TLS), `hostssl` (TLS only), `hostnossl` (without TLS).
//! - DATABASE and USER: `all` or a comma-separated list of names (`"quoted"` to keep case;
//!   unquoted names are kept as written, as PostgreSQL does in pg_hba.conf).
//! - ADDRESS: `all`, an IP address (a host on its own), or CIDR `addr/bits` (IPv4 or IPv6);
//!   an IPv4 client connected over IPv6 (`::ffff:a.b.c.d`) matches IPv4 rules.
//! - METHOD: `trust`, `scram-sha-256` (or `scram`; `md5` and `password` ask for the same
//!   SCRAM exchange, as PostgreSQL does for roles with SCRAM verifiers) or `reject`.
//!
//! Pure: parsing is a function of the text, deciding a function of the connection.

use std::net::IpAddr;

/// What a matching rule asks of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMethod {
    Trust,
    Scram,
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Any,
    Tls,
    NoTls,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Names {
    All,
    These(Vec<String>),
}

impl Names {
    fn matches(&self, name: &str) -> bool {
        match self {
            Names::All => true,
            Names::These(names) => names.iter().any(|n| n == name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Address {
    All,
    Net { addr: IpAddr, bits: u8 },
}

impl Address {
    fn matches(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (*self, ip) {
            (Address::All, _) => true,
            (
                Address::Net {
                    addr: IpAddr::V4(net),
                    bits,
                },
                IpAddr::V4(ip),
            ) => prefix_eq(&net.octets(), &ip.octets(), bits),
            (
                Address::Net {
                    addr: IpAddr::V6(net),
                    bits,
                },
                IpAddr::V6(ip),
            ) => prefix_eq(&net.octets(), &ip.octets(), bits),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = ((bits / 8) as usize, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    line: usize,
    transport: Transport,
    databases: Names,
    users: Names,
    address: Address,
    method: RuleMethod,
}

/// The rules of one file, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRules {
    rules: Vec<Rule>,
}

/// The rule that decided a connection: its method and its line in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub method: RuleMethod,
    pub line: usize,
}

impl AuthRules {
    /// Parses the file's text; an error names the line and what is wrong with it.
    pub fn parse(text: &str) -> Result<AuthRules, String> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            rules.push(parse_rule(line, content).map_err(|e| format!("line {line}: {e}"))?);
        }
        Ok(AuthRules { rules })
    }

    /// Whether any rule asks for a password (then a password source must exist).
    pub fn wants_passwords(&self) -> bool {
        self.rules.iter().any(|r| r.method == RuleMethod::Scram)
    }

    /// The first rule matching a client at `ip` (over TLS or not) asking for `database` as
    /// `user`; `None` when no rule matches (the connection is refused).
    pub fn decide(&self, ip: IpAddr, tls: bool, database: &str, user: &str) -> Option<Decision> {
        self.rules
            .iter()
            .find(|r| {
                let transport = match r.transport {
                    Transport::Any => true,
                    Transport::Tls => tls,
                    Transport::NoTls => !tls,
                };
                transport
                    && r.databases.matches(database)
                    && r.users.matches(user)
                    && r.address.matches(ip)
            })
            .map(|r| Decision {
                method: r.method,
                line: r.line,
            })
    }
}

fn parse_rule(line: usize, content: &str) -> Result<Rule, String> {
    let fields: Vec<&str> = content.split_whitespace().collect();
    let [kind, databases, users, address, method] = fields[..] else {
        return Err(format!(
            "expected 5 fields (TYPE DATABASE USER ADDRESS METHOD), found {}: {content:?}",
            fields.len()
        ));
    };
    let transport = match kind {
        "host" => Transport::Any,
        "hostssl" => Transport::Tls,
        "hostnossl" => Transport::NoTls,
        "local" => {
            return Err(
                "\"local\" (Unix-domain sockets) is not supported: Strata listens on TCP only"
                    .into(),
            );
        }
        other => {
            return Err(format!(
                "unknown connection type {other:?}: use host, hostssl or hostnossl"
            ));
        }
    };
    let method = match method {
        "trust" => RuleMethod::Trust,
        "scram-sha-256" | "scram" | "md5" | "password" => RuleMethod::Scram,
        "reject" => RuleMethod::Reject,
        other => {
            return Err(format!(
                "unknown method {other:?}: use trust, scram-sha-256 or reject"
            ));
        }
    };
    Ok(Rule {
        line,
        transport,
        databases: names(databases)?,
        users: names(users)?,
        address: address_of(address)?,
        method,
    })
}

fn names(field: &str) -> Result<Names, String> {
    if field == "all" {
        return Ok(Names::All);
    }
    let mut out = Vec::new();
    for name in field.split(',') {
        let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => quoted,
            None => name,
        };
        if name.is_empty() {
            return Err(format!("empty name in {field:?}"));
        }
        out.push(name.to_string());
    }
    Ok(Names::These(out))
}

fn address_of(field: &str) -> Result<Address, String> {
    if field == "all" {
        return Ok(Address::All);
    }
    let (addr, bits) = match field.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (field, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("bad address {field:?}: want all, an IP address or addr/bits"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        None => max,
        Some(b) => match b.parse::<u8>() {
            Ok(b) if b <= max => b,
            _ => return Err(format!("bad prefix length in {field:?}: want 0 to {max}")),
        },
    };
    Ok(Address::Net { addr, bits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const RULES: &str = "
        # local tools
        host      all        all        127.0.0.1/32   trust
        hostssl   app,audit  alice,bob  10.0.0.0/8     scram-sha-256
        hostnossl app        alice      10.0.0.0/8     reject
        host      all        \"Mixed\"    ::1            md5
        host      all        all        all            reject  # everyone else
    ";

    #[test]
    fn the_first_matching_rule_wins() {
        let r = AuthRules::parse(RULES).unwrap();
        let d = |a: &str, tls: bool, db: &str, user: &str| {
            r.decide(ip(a), tls, db, user).map(|d| (d.method, d.line))
        };
        assert_eq!(
            d("127.0.0.1", false, "x", "y"),
            Some((RuleMethod::Trust, 3))
        );
        // IPv4 over IPv6 is IPv4.
        assert_eq!(
            d("::ffff:127.0.0.1", true, "x", "y"),
            Some((RuleMethod::Trust, 3))
        );
        assert_eq!(
            d("10.1.2.3", true, "audit", "bob"),
            Some((RuleMethod::Scram, 4))
        );
        assert_eq!(
            d("10.1.2.3", false, "app", "alice"),
            Some((RuleMethod::Reject, 5))
        );
        assert_eq!(
            d("10.1.2.3", false, "app", "bob"),
            Some((RuleMethod::Reject, 7))
        );
        assert_eq!(d("::1", false, "db", "Mixed"), Some((RuleMethod::Scram, 6)));
        assert_eq!(
            d("::1", false, "db", "mixed"),
            Some((RuleMethod::Reject, 7))
        );
        assert_eq!(
            d("11.0.0.1", true, "app", "alice"),
            Some((RuleMethod::Reject, 7))
        );
        assert!(r.wants_passwords());
    }

    #[test]
    fn no_matching_rule_is_none() {
        let r = AuthRules::parse("host all alice 192.168.0.0/16 trust").unwrap();
        assert_eq!(
            r.decide(ip("192.168.200.1"), false, "d", "alice")
                .map(|d| d.line),
            Some(1)
        );
        assert_eq!(r.decide(ip("192.169.0.1"), false, "d", "alice"), None);
        assert_eq!(r.decide(ip("192.168.0.1"), false, "d", "bob"), None);
        assert!(!r.wants_passwords());
    }

    #[test]
    fn prefixes_cut_inside_a_byte() {
        let r =
            AuthRules::parse("host all all 10.0.0.0/9 trust\nhost all all fd00::/7 trust").unwrap();
        assert!(r.decide(ip("10.127.255.255"), false, "d", "u").is_some());
        assert!(r.decide(ip("10.128.0.0"), false, "d", "u").is_none());
        assert!(r.decide(ip("fdff::1"), false, "d", "u").is_some());
        assert!(r.decide(ip("fe00::1"), false, "d", "u").is_none());
        let zero = AuthRules::parse("host all all 0.0.0.0/0 trust").unwrap();
        assert!(zero.decide(ip("8.8.8.8"), false, "d", "u").is_some());
        assert!(zero.decide(ip("::2"), false, "d", "u").is_none());
    }

    #[test]
    fn errors_name_the_line() {
        for (text, wanted) in [
            ("host all all", "line 1: expected 5 fields"),
            (
                "\n\nhost all all 1.2.3.4/33 trust",
                "line 3: bad prefix length",
            ),
            ("host all all 1.2.3 trust", "line 1: bad address"),
            (
                "hostgssenc all all all trust",
                "line 1: unknown connection type",
            ),
            ("local all all all trust", "line 1: \"local\""),
            ("host all all all ident", "line 1: unknown method \"ident\""),
            ("host a,,b all all trust", "line 1: empty name"),
        ] {
            let e = AuthRules::parse(text).unwrap_err();
            assert!(e.starts_with(wanted), "{text:?}: {e}");
        }
    }
}
