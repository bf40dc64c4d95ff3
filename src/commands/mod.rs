//! Orchestration: one file per command. Commands resolve what they need from
//! the [`Context`], call provider clients and pure cores, and report.

pub mod alerts;
pub mod completions;
pub mod deploy;
pub mod dora;
pub mod events;
pub mod notify;
pub mod release;

use anyhow::Result;

use crate::cli::{
    AlertsCommand, Command, DeployCommand, DoraCommand, EventsCommand, ReleaseCommand,
};
use crate::context::Context;
use crate::http::PlannedRequest;

pub async fn dispatch(command: Command, ctx: &Context) -> Result<()> {
    match command {
        Command::Release(ReleaseCommand::Create(args)) => release::create(args, ctx).await,
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Deploy(DeployCommand::Start(args)) => deploy::start(args, ctx).await,
        Command::Deploy(DeployCommand::Finish(args)) => deploy::finish(args, ctx).await,
        Command::Notify(args) => notify::run(args, ctx).await,
        Command::Dora(DoraCommand::Report(args)) => dora::report(args, ctx).await,
        Command::Alerts(AlertsCommand::Lint(args)) => alerts::lint::run(args, ctx),
        Command::Alerts(AlertsCommand::Plan(args)) => alerts::plan::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Apply(args)) => alerts::apply::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Import(args)) => alerts::import::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Init(args)) => alerts::init::run(args, ctx),
        Command::Events(EventsCommand::Test(args)) => events::test::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Test(args)) => alerts::test::run(args, ctx).await,
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
