//! `obsctl alerts test KEY` (placeholder until the monitors client lands).

use anyhow::{Result, bail};

use crate::cli::AlertsTestArgs;
use crate::context::Context;

pub async fn run(args: AlertsTestArgs, _ctx: &Context) -> Result<()> {
    bail!("alerts test {}: not implemented yet", args.key)
}
