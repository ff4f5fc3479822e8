//! Identifiers that cross process boundaries.
//!
//! Tenants and timelines are identified by their names, validated once at the
//! boundary (`[a-z0-9_-]{1,63}`): a [`TenantName`] or [`TimelineName`] that
//! exists is valid. There is no separate id registry.
//!
//! Pages are addressed by [`PageKey`] = `(RelId, BlockNo)`. A `RelId` is never
//! reused: dropping a relation writes a key-range tombstone instead. Keys order
//! by relation, then block, and [`PageKey::to_be_bytes`] preserves that order
//! so layer files can sort keys as bytes.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Longest tenant or timeline name.
pub const MAX_NAME_LEN: usize = 63;

fn validate_name(what: &'static str, s: &str) -> Result<(), Error> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what,
            name: s.chars().take(80).collect(),
        })
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// Validates `s` as a name (`[a-z0-9_-]{1,63}`).
            pub fn new(s: impl Into<String>) -> Result<Self, Error> {
                let s = s.into();
                validate_name($what, &s)?;
                Ok(Self(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// A tenant's name: its identity.
    TenantName,
    "tenant"
);
name_type!(
    /// A timeline's name, unique within its tenant: its identity.
    TimelineName,
    "timeline"
);

/// A timeline, fully qualified.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TimelineId {
    pub tenant: TenantName,
    pub timeline: TimelineName,
}

impl TimelineId {
    pub fn new(tenant: &str, timeline: &str) -> Result<TimelineId, Error> {
        Ok(TimelineId {
            tenant: TenantName::new(tenant)?,
            timeline: TimelineName::new(timeline)?,
        })
    }
}

impl fmt::Display for TimelineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.timeline)
    }
}

/// A relation (table, index, catalog, sequence). Never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct RelId(pub u32);

/// A block number within a relation.
pub type BlockNo = u32;

/// The address of one 8 KiB page.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PageKey {
    pub rel: RelId,
    pub block: BlockNo,
}

impl PageKey {
    pub const MIN: PageKey = PageKey {
        rel: RelId(0),
        block: 0,
    };
    pub const MAX: PageKey = PageKey {
        rel: RelId(u32::MAX),
        block: u32::MAX,
    };

    pub fn new(rel: u32, block: BlockNo) -> PageKey {
        PageKey {
            rel: RelId(rel),
            block,
        }
    }

    /// Big-endian bytes: byte order equals key order.
    pub fn to_be_bytes(self) -> [u8; 8] {
        (((self.rel.0 as u64) << 32) | self.block as u64).to_be_bytes()
    }

    pub fn from_be_bytes(b: [u8; 8]) -> PageKey {
        let v = u64::from_be_bytes(b);
        PageKey::new((v >> 32) as u32, v as u32)
    }

    /// The key as one ordered integer.
    pub fn as_u64(self) -> u64 {
        ((self.rel.0 as u64) << 32) | self.block as u64
    }
}

impl fmt::Display for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rel {} block {}", self.rel.0, self.block)
    }
}

impl fmt::Debug for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.rel.0, self.block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_validated() {
        for ok in ["default", "main", "a", "t-1_x", &"a".repeat(63)] {
            TenantName::new(ok).unwrap();
            TimelineName::new(ok).unwrap();
        }
        for bad in ["", "Main", "a b", "a/b", "é", "a.b", &"a".repeat(64)] {
            let err = TenantName::new(bad).unwrap_err();
            assert!(err.to_string().contains("tenant"), "{err}");
            assert!(TimelineName::new(bad).is_err());
        }
    }

    proptest! {
        #[test]
        fn key_bytes_preserve_order(a: (u32, u32), b: (u32, u32)) {
            let (ka, kb) = (PageKey::new(a.0, a.1), PageKey::new(b.0, b.1));
            prop_assert_eq!(ka.cmp(&kb), ka.to_be_bytes().cmp(&kb.to_be_bytes()));
            prop_assert_eq!(PageKey::from_be_bytes(ka.to_be_bytes()), ka);
        }
    }
}
