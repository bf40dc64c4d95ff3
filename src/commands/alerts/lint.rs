//! `obsctl alerts lint`: offline, no token. The file is checked when obsctl
//! starts (`obsctl_core::config::Config::parse`, which includes the alert
//! checks of `obsctl_core::alerts::lint`): any problem stops it there with
//! exit 2, every problem listed as `file:line:column: message` (and as an
//! `::error file=…,line=…::` annotation in Actions; with `--format json`,
//! `{"ok": false, "problems": [...]}` on stdout too, see [`problems_json`]).
//! Reaching this command means the file is clean.

use anyhow::Result;
use serde_json::json;

use crate::cli::{AlertsCommand, AlertsLintArgs, Command};
use crate::context::Context;

pub fn run(_args: AlertsLintArgs, ctx: &Context) -> Result<()> {
    let linted = super::load_linted(ctx)?;
    let c = &linted.config;
    let file = linted.path.display().to_string();
    ctx.ui.result(
        &format!(
            "{file}: ok ({} services, {} alerts)",
            c.services.len(),
            c.alerts.len()
        ),
        &json!({
            "file": file,
            "ok": true,
            "services": c.services.len(),
            "alerts": c.alerts.len(),
            "problems": [],
        }),
    );
    Ok(())
}

/// `alerts lint --format json` stopped by the config check (`err` holds a
/// [`ConfigError`](obsctl_core::config::ConfigError)): the clean output's
/// shape with `"ok": false` and every problem (message, line and column
/// when known). `None` for any other command or error.
pub fn problems_json(command: &Command, err: &anyhow::Error) -> Option<serde_json::Value> {
    if !matches!(command, Command::Alerts(AlertsCommand::Lint(_))) {
        return None;
    }
    let ce = err
        .chain()
        .find_map(|c| c.downcast_ref::<obsctl_core::config::ConfigError>())?;
    let problems: Vec<serde_json::Value> = ce
        .problems
        .iter()
        .map(|p| {
            json!({
                "message": p.message,
                "line": p.position.map(|p| p.line),
                "column": p.position.map(|p| p.column),
            })
        })
        .collect();
    Some(json!({
        "file": ce.file,
        "ok": false,
        "problems": problems,
    }))
}
