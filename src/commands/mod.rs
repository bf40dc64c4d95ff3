//! Orchestration: one file per command. Commands resolve what they need from
//! the [`Context`], call provider clients and pure cores, and report.

pub mod dora;
pub mod release;

use anyhow::Result;

use crate::cli::{Command, DoraCommand, ReleaseCommand};
use crate::context::Context;
use crate::http::PlannedRequest;

pub async fn dispatch(command: Command, ctx: &Context) -> Result<()> {
    match command {
        Command::Release(ReleaseCommand::Create(args)) => release::create(args, ctx).await,
        Command::Dora(DoraCommand::Report(args)) => dora::report(args, ctx).await,
    }
}

/// Text form of the requests `--dry-run` recorded.
pub fn dry_run_text(planned: &[PlannedRequest]) -> String {
    let mut out = String::from("dry run: nothing was sent. Requests that would be sent:\n");
    for p in planned {
        out.push_str(&format!("\n{p}\n"));
    }
    out
}
