//! `obsctl alerts lint`: offline, no token. The file is checked when obsctl
//! starts (`obsctl_core::config::Config::parse`, which includes the alert
//! checks of `obsctl_core::alerts::lint`): any problem stops it there with
//! exit 2, every problem listed as `file:line:column: message` (and as an
//! `::error file=…,line=…::` annotation in Actions). Reaching this command
//! means the file is clean.

use anyhow::Result;
use serde_json::json;

use crate::cli::AlertsLintArgs;
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
