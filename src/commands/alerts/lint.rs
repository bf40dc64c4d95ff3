//! `obsctl alerts lint`: offline, no token. Exit 2 listing every problem
//! as `file:line:column: message`.

use anyhow::Result;
use serde_json::json;

use crate::cli::AlertsLintArgs;
use crate::context::Context;

pub fn run(args: AlertsLintArgs, ctx: &Context) -> Result<()> {
    super::check_format(ctx)?;
    let linted = super::load_linted(ctx, &args.file)?;
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
