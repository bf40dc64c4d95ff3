//! Reading `obsctl.toml`: the one place the config file is read from disk.
//! Parsing and checking are [`obsctl_core::config`]'s; this module finds the
//! file (`--config FILE` / `OBSCTL_CONFIG`, else `obsctl.toml` at the
//! repository root, else in the working directory) and reads it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use obsctl_core::config::{Config, ConfigError, FILE_NAME};

/// Where the config came from, and what it says.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The file read, as the user would name it (None: no file; defaults apply).
    pub path: Option<PathBuf>,
    /// The parsed, checked configuration (the default when no file exists).
    pub config: Config,
    /// The file's text (for `alerts lint` positions); empty when no file.
    pub source: String,
}

/// Load the config: `explicit` (from `--config` / `OBSCTL_CONFIG`) must
/// exist; otherwise `obsctl.toml` in `search_dirs` (first found wins), and
/// no file at all is an empty config.
///
/// Errors: an unreadable file (I/O error, named); a [`ConfigError`] with
/// `file:line:column` for every problem (the caller maps it to exit 2).
pub fn load(explicit: Option<&Path>, search_dirs: &[&Path]) -> Result<LoadedConfig> {
    let Some((path, source)) = read_source(explicit, search_dirs)? else {
        return Ok(LoadedConfig {
            path: None,
            config: Config::default(),
            source: String::new(),
        });
    };
    let config = Config::parse(&path.display().to_string(), &source)?;
    Ok(LoadedConfig {
        path: Some(path),
        config,
        source,
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
