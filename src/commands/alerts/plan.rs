//! `obsctl alerts plan`: what `apply` would change, per key. Reads only
//! (token scope `alerts:read`). `--detailed-exitcode`: 3 when changes are pending.

use anyhow::Result;

use crate::cli::AlertsPlanArgs;
use crate::context::{Context, ExitStatus};

pub async fn run(args: AlertsPlanArgs, ctx: &Context) -> Result<()> {
    let (_, plan) = super::make_plan(ctx, args.prune, "alerts:read").await?;
    ctx.ui.result(&plan.render_text(), &plan);
    ctx.write_summary(&plan.render_markdown("obsctl alerts plan"))?;
    ctx.write_outputs(&[
        ("alerts_pending", plan.pending().to_string()),
        ("alerts_summary", plan.summary()),
    ])?;
    if args.detailed_exitcode && plan.pending() {
        return Err(ExitStatus(3).into());
    }
    Ok(())
}
