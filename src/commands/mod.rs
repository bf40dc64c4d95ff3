//! Commands as verbs: `commands/<noun>/<verb>.rs`, each taking the parsed
//! arguments and the resolved [`Context`]. Adding a command: a module here,
//! one arm in [`dispatch`] with the formats it supports.

pub mod alerts;
pub mod completions;
pub mod deploy;
pub mod dora;
pub mod events;
pub mod incident;
pub mod notify;
pub mod release;
pub mod report;
pub mod status;

use anyhow::Result;

use crate::cli::{
    AlertsCommand, Command, DeployCommand, DoraCommand, EventsCommand, IncidentCommand,
    ReleaseCommand, StatusCommand,
};
use crate::context::{Context, usage};
use crate::http::PlannedRequest;
use crate::ui::Format;

/// `text` and `json`: what every command supports.
pub const TEXT_JSON: &[Format] = &[Format::Text, Format::Json];

/// `deploy verify`: the table, the JSON report, or the step summary's Markdown.
pub const VERIFY_FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown];

/// Every report format (`dora report`).
pub const REPORT_FORMATS: &[Format] = &[
    Format::Text,
    Format::Json,
    Format::Markdown,
    Format::Csv,
    Format::Ndjson,
    Format::Html,
];

pub async fn dispatch(command: Command, ctx: &Context) -> Result<()> {
    match command {
        Command::Release(ReleaseCommand::Create(args)) => {
            formats(ctx, "release create", TEXT_JSON)?;
            release::create::create(args, ctx).await
        }
        Command::Deploy(DeployCommand::Start(args)) => {
            formats(ctx, "deploy start", TEXT_JSON)?;
            deploy::start(args, ctx).await
        }
        Command::Deploy(DeployCommand::Finish(args)) => {
            formats(ctx, "deploy finish", TEXT_JSON)?;
            deploy::finish(args, ctx).await
        }
        Command::Deploy(DeployCommand::Verify(args)) => {
            formats(ctx, "deploy verify", VERIFY_FORMATS)?;
            deploy::verify::run(args, ctx).await
        }
        Command::Notify(args) => {
            formats(ctx, "notify", TEXT_JSON)?;
            notify::run(args, ctx).await
        }
        Command::Dora(DoraCommand::Report(args)) => {
            formats(ctx, "dora report", REPORT_FORMATS)?;
            dora::report::report(args, ctx).await
        }
        Command::Report(args) => {
            formats(ctx, "report", report::FORMATS)?;
            report::run(args, ctx).await
        }
        Command::Completions { shell } => completions::completions(shell),
        Command::Man(args) => completions::man(args),
        Command::Status(StatusCommand::Check(args)) => {
            formats(ctx, "status check", TEXT_JSON)?;
            status::check::run(args, ctx).await
        }
        Command::Status(StatusCommand::Build(args)) => {
            formats(ctx, "status build", TEXT_JSON)?;
            status::build::run(args, ctx).await
        }
        Command::Incident(IncidentCommand::Open(args)) => {
            formats(ctx, "incident open", TEXT_JSON)?;
            incident::open::run(args, ctx).await
        }
        Command::Incident(IncidentCommand::Update(args)) => {
            formats(ctx, "incident update", TEXT_JSON)?;
            incident::update::run(args, ctx).await
        }
        Command::Incident(IncidentCommand::Resolve(args)) => {
            formats(ctx, "incident resolve", TEXT_JSON)?;
            incident::resolve::run(args, ctx).await
        }
        Command::Alerts(AlertsCommand::Lint(args)) => {
            formats(ctx, "alerts lint", TEXT_JSON)?;
            alerts::lint::run(args, ctx)
        }
        Command::Alerts(AlertsCommand::Plan(args)) => {
            formats(ctx, "alerts plan", TEXT_JSON)?;
            alerts::plan::run(args, ctx).await
        }
        Command::Alerts(AlertsCommand::Apply(args)) => {
            formats(ctx, "alerts apply", TEXT_JSON)?;
            alerts::apply::run(args, ctx).await
        }
        Command::Alerts(AlertsCommand::Import(args)) => {
            formats(ctx, "alerts import", TEXT_JSON)?;
            alerts::import::run(args, ctx).await
        }
        Command::Alerts(AlertsCommand::Init(args)) => {
            formats(ctx, "alerts init", TEXT_JSON)?;
            alerts::init::run(args, ctx)
        }
        Command::Alerts(AlertsCommand::Test(args)) => {
            formats(ctx, "alerts test", TEXT_JSON)?;
            alerts::test::run(args, ctx).await
        }
        Command::Events(EventsCommand::Test(args)) => {
            formats(ctx, "events test", TEXT_JSON)?;
            events::test::run(args, ctx).await
        }
    }
}

/// A `--format` the command does not support is a usage error (exit 2)
/// naming the ones it does, before anything is read or sent.
pub fn formats(ctx: &Context, command: &str, supported: &[Format]) -> Result<()> {
    if supported.contains(&ctx.ui.format) {
        return Ok(());
    }
    let names: Vec<&str> = supported.iter().map(|f| f.as_str()).collect();
    usage(format!(
        "{command} does not support --format {}: use {}",
        ctx.ui.format.as_str(),
        names.join(" or ")
    ))
}

/// Text form of the requests `--dry-run` recorded.
pub fn dry_run_text(planned: &[PlannedRequest]) -> String {
    let mut out = String::from("dry run: nothing was sent. Requests that would be sent:\n");
    for p in planned {
        out.push_str(&format!("\n{p}\n"));
    }
    out
}
