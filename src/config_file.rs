//! Reading `obsctl.toml`: the one place the config file is read from disk.
//! Parsing and checking are [`obsctl_core::config`]'s; this module finds the
//! file (`--config FILE` / `OBSCTL_CONFIG`, else `obsctl.toml` at the
//! repository root, else in the working directory) and reads it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use obsctl_core::config::{Config, ConfigError, FILE_NAME, Problem};

/// Where the config came from, and what it says.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The file read, as the user would name it (None: no file; defaults apply).
    pub path: Option<PathBuf>,
    /// The parsed, checked configuration (the default when no file exists).
    pub config: Config,
    /// The file's text (for `alerts lint` positions); empty when no file.
    pub source: String,
    /// Problems of the `[[alert]]`, `[alerts]` and `[slack]` parts, for a
    /// command that does not read them (see [`load`]); in file order.
    pub alert_problems: Vec<Problem>,
}

impl LoadedConfig {
    /// One line about [`LoadedConfig::alert_problems`] (the first, and how
    /// many more), or `None` when there are none.
    pub fn alert_warning(&self) -> Option<String> {
        let first = self.alert_problems.first()?;
        let file = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let at = first
            .position
            .map(|p| format!("{file}:{}:{}", p.line, p.column))
            .unwrap_or(file);
        let more = match self.alert_problems.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more problem)".to_string(),
            n => format!(" (and {n} more problems)"),
        };
        Some(format!(
            "{at}: {}{more}; this command does not read the alerts, `obsctl alerts lint` lists every problem",
            first.message
        ))
    }
}

/// Load the config: `explicit` (from `--config` / `OBSCTL_CONFIG`) must
/// exist; otherwise `obsctl.toml` in `search_dirs` (first found wins), and
/// no file at all is an empty config.
///
/// `alerts`: the command reads the `[[alert]]`, `[alerts]` and `[slack]`
/// parts, so their problems are errors too; otherwise they are kept in
/// [`LoadedConfig::alert_problems`] for one warning.
///
/// Errors: an unreadable file (I/O error, named); a [`ConfigError`] with
/// `file:line:column` for every problem (the caller maps it to exit 2).
pub fn load(explicit: Option<&Path>, search_dirs: &[&Path], alerts: bool) -> Result<LoadedConfig> {
    let Some((path, source)) = read_source(explicit, search_dirs)? else {
        return Ok(LoadedConfig {
            path: None,
            config: Config::default(),
            source: String::new(),
            alert_problems: Vec::new(),
        });
    };
    let file = path.display().to_string();
    let (config, alert_problems) = if alerts {
        (Config::parse(&file, &source)?, Vec::new())
    } else {
        Config::parse_lenient(&file, &source)?
    };
    Ok(LoadedConfig {
        path: Some(path),
        config,
        source,
        alert_problems,
    })
}

/// Find and read the config file without parsing it (`alerts lint` reports
/// every problem itself): `explicit` must exist; otherwise the first
/// `obsctl.toml` in `search_dirs`; `None` when there is none.
pub fn read_source(
    explicit: Option<&Path>,
    search_dirs: &[&Path],
) -> Result<Option<(PathBuf, String)>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => search_dirs
            .iter()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file()),
    };
    let Some(path) = path else {
        return Ok(None);
    };
    let source = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    Ok(Some((path, source)))
}

/// True when `err` is a problem in the config file's contents (exit 2).
pub fn is_config_error(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<ConfigError>())
}
