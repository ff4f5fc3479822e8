//! The `DateStyle` setting as the date/time code uses it: an output style (`ISO`, `SQL`,
//! `Postgres`, `German`) and the field order (`MDY`, `DMY`, `YMD`) that input uses for
//! ambiguous numeric dates and that the `SQL` and `Postgres` styles print in.

use super::decode::DateOrder;

/// How dates and timestamps print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputStyle {
    #[default]
    Iso,
    Sql,
    Postgres,
    German,
}

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateStyle {
    pub output: OutputStyle,
    pub order: DateOrder,
}

impl DateStyle {
    /// Reads the setting's canonical text (`ISO, MDY`, `Postgres, DMY`, ...).
    pub fn from_setting(s: &str) -> DateStyle {
        let (style, order) = s.split_once(',').unwrap_or((s, ""));
        let output = match style.trim().to_ascii_lowercase().as_str() {
            "sql" => OutputStyle::Sql,
            "postgres" => OutputStyle::Postgres,
            "german" => OutputStyle::German,
            _ => OutputStyle::Iso,
        };
        let order = match order.trim().to_ascii_lowercase().as_str() {
            "dmy" => DateOrder::Dmy,
            "ymd" => DateOrder::Ymd,
            _ => DateOrder::Mdy,
        };
        DateStyle { output, order }
    }

    /// The session's setting.
    pub fn current() -> DateStyle {
        crate::env::with(|e| e.date_style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_canonical_settings() {
        assert_eq!(DateStyle::from_setting("ISO, MDY"), DateStyle::default());
        let g = DateStyle::from_setting("German, DMY");
        assert_eq!((g.output, g.order), (OutputStyle::German, DateOrder::Dmy));
        let p = DateStyle::from_setting("Postgres, YMD");
        assert_eq!((p.output, p.order), (OutputStyle::Postgres, DateOrder::Ymd));
    }
}
