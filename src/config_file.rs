//! # config_file: `--config FILE` and `STRATA_*` variables
//!
//! Every flag of the server subcommands (`safekeeper`, `pageserver`,
//! `compute`, `start`) and of the admin commands can also come from an
//! environment variable named after it (`--data-dir` → `STRATA_DATA_DIR`),
//! and the server subcommands read a TOML file given by `--config FILE` (or
//! `STRATA_CONFIG`) whose keys are the flags' long names (`data-dir` or
//! `data_dir`). Precedence: flag > environment > file > built-in default.
//!
//! How: clap already ranks a flag above its `env` variable above its default
//! value, so [`with_env`] adds an `env` to every flag, and [`apply_table`]
//! makes the file's values the flags' defaults (and a flag the file supplies
//! no longer required). [`config_path`] finds `--config` in the raw
//! arguments before clap parses them, since the file changes how they parse.
//! Everything here is pure except [`apply_file`], which reads the file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Command;

use crate::admin::AdminError;

/// The subcommands that take `--config`.
pub const SERVER_COMMANDS: &[&str] = &["safekeeper", "pageserver", "compute", "start"];

/// Subcommands whose flags get no `STRATA_*` variable: one-off tools whose
/// flags would only collide with the servers' variables.
const NO_ENV: &[&str] = &["waldump", "users"];

/// The variable for a flag: `data-dir` → `STRATA_DATA_DIR`.
pub fn env_name(long: &str) -> String {
    format!("STRATA_{}", long.to_ascii_uppercase().replace('-', "_"))
}

fn is_builtin(id: &str) -> bool {
    matches!(id, "help" | "version")
}

/// Gives every flag of every subcommand (recursively, except [`NO_ENV`]) its
/// `STRATA_*` variable; `--help` then shows it.
pub fn with_env(cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| !NO_ENV.contains(&n.as_str()))
        .collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| {
            let sub = with_env(sub);
            let longs: Vec<(String, String)> = sub
                .get_arguments()
                .filter(|a| !is_builtin(a.get_id().as_str()))
                .filter_map(|a| Some((a.get_id().to_string(), a.get_long()?.to_string())))
                .collect();
            longs.into_iter().fold(sub, |sub, (id, long)| {
                sub.mut_arg(id, |a| a.env(env_name(&long)))
            })
        })
    })
}

/// The server subcommand being run and its config file: `--config FILE`
/// (or `--config=FILE`) after the subcommand's name, else `env_config`
/// (`STRATA_CONFIG`). `None` when no server subcommand or no file is given.
pub fn config_path(args: &[OsString], env_config: Option<OsString>) -> Option<(String, PathBuf)> {
    let mut rest = args.iter().skip(1).map(|a| a.to_string_lossy());
    let sub = rest.by_ref().find(|a| !a.starts_with('-'))?.to_string();
    if !SERVER_COMMANDS.contains(&sub.as_str()) {
        return None;
    }
    let mut file = None;
    while let Some(a) = rest.next() {
        if a == "--" {
            break;
        } else if a == "--config" {
            file = rest.next().map(|f| PathBuf::from(f.as_ref()));
        } else if let Some(f) = a.strip_prefix("--config=") {
            file = Some(PathBuf::from(f));
        }
    }
    let file = file.or_else(|| env_config.map(PathBuf::from))?;
    Some((sub, file))
}

/// Reads `path` and applies it to subcommand `sub` ([`apply_table`]).
pub fn apply_file(cmd: Command, sub: &str, path: &Path) -> Result<Command, AdminError> {
    let bad = |reason: String| AdminError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    apply_table(cmd, sub, &table).map_err(bad)
}

/// Makes each of the table's values the default of `sub`'s flag of that
/// name. Keys are long flag names, `-` or `_` alike; values are strings,
/// numbers, booleans, or arrays of them (list flags such as `safekeepers`).
/// An unknown key or a table value is an error naming the key.
pub fn apply_table(cmd: Command, sub: &str, table: &toml::Table) -> Result<Command, String> {
    let Some(subcommand) = cmd.find_subcommand(sub) else {
        return Err(format!("`strata {sub}` takes no config file"));
    };
    let flags: Vec<(String, String)> = subcommand
        .get_arguments()
        .filter(|a| !is_builtin(a.get_id().as_str()) && a.get_id() != "config")
        .filter_map(|a| Some((a.get_long()?.to_string(), a.get_id().to_string())))
        .collect();
    let mut settings = Vec::new();
    for (key, value) in table {
        let long = key.replace('_', "-");
        let Some((_, id)) = flags.iter().find(|(l, _)| *l == long) else {
            let known: Vec<&str> = flags.iter().map(|(l, _)| l.as_str()).collect();
            return Err(format!(
                "unknown key {key:?} for `strata {sub}` (known: {})",
                known.join(", ")
            ));
        };
        let values = match value {
            toml::Value::Array(items) => items
                .iter()
                .map(|v| scalar(key, v))
                .collect::<Result<Vec<_>, _>>()?,
            v => vec![scalar(key, v)?],
        };
        settings.push((id.clone(), values));
    }
    Ok(cmd.mut_subcommand(sub, |mut sc| {
        for (id, values) in settings {
            sc = sc.mut_arg(id, |a| a.default_values(values).required(false));
        }
        sc
    }))
}

fn scalar(key: &str, v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!(
            "key {key:?}: want a string, number, boolean or array of them, not a {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn cli() -> Command {
        Command::new("strata")
            .subcommand(
                Command::new("pageserver")
                    .arg(Arg::new("listen").long("listen").required(true))
                    .arg(Arg::new("data_dir").long("data-dir").default_value("d"))
                    .arg(
                        Arg::new("safekeepers")
                            .long("safekeepers")
                            .value_delimiter(',')
                            .action(ArgAction::Append),
                    )
                    .arg(Arg::new("allow").long("allow").action(ArgAction::SetTrue))
                    .arg(Arg::new("config").long("config")),
            )
            .subcommand(Command::new("waldump").arg(Arg::new("start").long("start")))
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn env_names_follow_the_flags() {
        assert_eq!(env_name("data-dir"), "STRATA_DATA_DIR");
        let cmd = with_env(cli());
        let ps = cmd.find_subcommand("pageserver").expect("defined above");
        let env = |id: &str| {
            ps.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_env())
                .map(|e| e.to_string_lossy().into_owned())
        };
        assert_eq!(env("data_dir").as_deref(), Some("STRATA_DATA_DIR"));
        assert_eq!(env("config").as_deref(), Some("STRATA_CONFIG"));
        let waldump = cmd.find_subcommand("waldump").expect("defined above");
        assert!(waldump.get_arguments().all(|a| a.get_env().is_none()));
    }

    #[test]
    fn finds_the_config_flag_of_a_server_subcommand() {
        let got = config_path(&os(&["strata", "pageserver", "--config", "a.toml"]), None);
        assert_eq!(got, Some(("pageserver".into(), "a.toml".into())));
        let got = config_path(
            &os(&["strata", "start", "--config=b.toml"]),
            Some("c".into()),
        );
        assert_eq!(got, Some(("start".into(), "b.toml".into())));
        let got = config_path(&os(&["strata", "compute"]), Some("c.toml".into()));
        assert_eq!(got, Some(("compute".into(), "c.toml".into())));
        assert_eq!(config_path(&os(&["strata", "compute"]), None), None);
        assert_eq!(
            config_path(&os(&["strata", "waldump", "--config", "x"]), None),
            None
        );
    }

    #[test]
    fn file_values_rank_below_flags() {
        let table: toml::Table = r#"
            listen = "127.0.0.1:1"
            data_dir = "from-file"
            safekeepers = ["a:1", "b:2"]
            allow = true
        "#
        .parse()
        .expect("valid TOML");
        let cmd = apply_table(cli(), "pageserver", &table).expect("known keys");
        // The file satisfies the required --listen.
        let m = cmd
            .clone()
            .try_get_matches_from(["strata", "pageserver"])
            .expect("parses");
        let (_, m) = m.subcommand().expect("a subcommand");
        assert_eq!(m.get_one::<String>("listen").unwrap(), "127.0.0.1:1");
        assert_eq!(m.get_one::<String>("data_dir").unwrap(), "from-file");
        let sks: Vec<&String> = m.get_many("safekeepers").unwrap().collect();
        assert_eq!(sks, ["a:1", "b:2"]);
        assert!(m.get_flag("allow"));
        // A flag wins over the file.
        let m = cmd
            .try_get_matches_from(["strata", "pageserver", "--data-dir", "flag"])
            .expect("parses");
        let (_, m) = m.subcommand().expect("a subcommand");
        assert_eq!(m.get_one::<String>("data_dir").unwrap(), "flag");
    }

    #[test]
    fn unknown_keys_and_tables_are_named() {
        let table: toml::Table = "lisen = \"x\"".parse().expect("valid TOML");
        let err = apply_table(cli(), "pageserver", &table).unwrap_err();
        assert!(err.contains("\"lisen\"") && err.contains("listen"), "{err}");
        let table: toml::Table = "[listen]\na = 1".parse().expect("valid TOML");
        let err = apply_table(cli(), "pageserver", &table).unwrap_err();
        assert!(err.contains("listen") && err.contains("table"), "{err}");
    }
}
