//! `obsctl alerts lint`: offline, no token. Exit 2 listing every problem
//! as `file:line:column: message` (with `--format json`, also
//! `{"ok": false, "problems": [{"position": {"line", "column"}, "message"}]}` on stdout).

use anyhow::Result;
use obsctl_core::config::ConfigError;
use serde_json::json;

use crate::cli::AlertsLintArgs;
use crate::context::Context;

pub fn run(args: AlertsLintArgs, ctx: &Context) -> Result<()> {
    super::check_format(ctx)?;
    let linted = match super::load_linted(ctx, &args.file) {
        Ok(l) => l,
        Err(e) => {
            if let Some(c) = e.downcast_ref::<ConfigError>() {
                if ctx.ui.format.is_json() {
                    ctx.ui.result(
                        "",
                        &json!({ "file": c.file, "ok": false, "problems": c.problems }),
                    );
                }
            }
            return Err(e);
        }
    };
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
