//! Orchestration: one file per command. Commands resolve what they need from
//! the [`Context`], call provider clients and pure cores, and report.

pub mod completions;
pub mod deploy;
pub mod dora;
pub mod notify;
pub mod release;
pub mod report;

use anyhow::Result;

use crate::cli::{Command, DeployCommand, DoraCommand, ReleaseCommand};
use crate::context::Context;
use crate::http::PlannedRequest;

pub async fn dispatch(command: Command, ctx: &Context) -> Result<()> {
    match command {
        Command::Release(ReleaseCommand::Create(args)) => release::create(args, ctx).await,
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Deploy(DeployCommand::Start(args)) => deploy::start(args, ctx).await,
        Command::Deploy(DeployCommand::Finish(args)) => deploy::finish(args, ctx).await,
        Command::Deploy(DeployCommand::Verify(args)) => deploy::verify::run(args, ctx).await,
        Command::Notify(args) => notify::run(args, ctx).await,
        Command::Dora(DoraCommand::Report(args)) => dora::report(args, ctx).await,
        Command::Report(args) => report::run(args, ctx).await,
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
