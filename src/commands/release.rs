//! `obsctl release create`.

use anyhow::Result;

use crate::cli::ReleaseCreateArgs;
use crate::context::Context;

pub async fn create(_args: ReleaseCreateArgs, _ctx: &Context) -> Result<()> {
    anyhow::bail!("release create: not implemented yet")
}
