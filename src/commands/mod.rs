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

/// `text` only: `completions` and `man` print a script and a roff page.
pub const TEXT_ONLY: &[Format] = &[Format::Text];

/// `text` and `json`: what most commands support.
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

/// Run `command`: its `--format` checked first (see [`formats`]), then its verb.
pub async fn dispatch(command: Command, ctx: &Context) -> Result<()> {
    if let Some((name, supported)) = name_and_formats(&command) {
        formats(ctx, name, supported)?;
    }
    match command {
        Command::Release(ReleaseCommand::Create(args)) => release::create::create(args, ctx).await,
        Command::Deploy(DeployCommand::Start(args)) => deploy::start(args, ctx).await,
        Command::Deploy(DeployCommand::Finish(args)) => deploy::finish(args, ctx).await,
        Command::Deploy(DeployCommand::Verify(args)) => deploy::verify::run(args, ctx).await,
        Command::Notify(args) => notify::run(args, ctx).await,
        Command::Dora(DoraCommand::Report(args)) => dora::report::report(args, ctx).await,
        Command::Report(args) => report::run(args, ctx).await,
        Command::Completions { shell } => completions::completions(shell),
        Command::Man(args) => completions::man(args),
        Command::Status(StatusCommand::Check(args)) => status::check::run(args, ctx).await,
        Command::Status(StatusCommand::Build(args)) => status::build::run(args, ctx).await,
        Command::Incident(IncidentCommand::Open(args)) => incident::open::run(args, ctx).await,
        Command::Incident(IncidentCommand::Update(args)) => incident::update::run(args, ctx).await,
        Command::Incident(IncidentCommand::Resolve(args)) => {
            incident::resolve::run(args, ctx).await
        }
        Command::Alerts(AlertsCommand::Lint(args)) => alerts::lint::run(args, ctx),
        Command::Alerts(AlertsCommand::Plan(args)) => alerts::plan::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Apply(args)) => alerts::apply::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Import(args)) => alerts::import::run(args, ctx).await,
        Command::Alerts(AlertsCommand::Init(args)) => alerts::init::run(args, ctx),
        Command::Alerts(AlertsCommand::Test(args)) => alerts::test::run(args, ctx).await,
        Command::Events(EventsCommand::Test(args)) => events::test::run(args, ctx).await,
    }
}

/// The command's name as typed and the `--format`s it supports.
pub fn name_and_formats(command: &Command) -> Option<(&'static str, &'static [Format])> {
    Some(match command {
        Command::Release(ReleaseCommand::Create(_)) => ("release create", TEXT_JSON),
        Command::Deploy(DeployCommand::Start(_)) => ("deploy start", TEXT_JSON),
        Command::Deploy(DeployCommand::Finish(_)) => ("deploy finish", TEXT_JSON),
        Command::Deploy(DeployCommand::Verify(_)) => ("deploy verify", VERIFY_FORMATS),
        Command::Notify(_) => ("notify", TEXT_JSON),
        Command::Dora(DoraCommand::Report(_)) => ("dora report", REPORT_FORMATS),
        Command::Report(_) => ("report", report::FORMATS),
        Command::Completions { .. } => ("completions", TEXT_ONLY),
        Command::Man(_) => ("man", TEXT_ONLY),
        Command::Status(StatusCommand::Check(_)) => ("status check", TEXT_JSON),
        Command::Status(StatusCommand::Build(_)) => ("status build", TEXT_JSON),
        Command::Incident(IncidentCommand::Open(_)) => ("incident open", TEXT_JSON),
        Command::Incident(IncidentCommand::Update(_)) => ("incident update", TEXT_JSON),
        Command::Incident(IncidentCommand::Resolve(_)) => ("incident resolve", TEXT_JSON),
        Command::Alerts(AlertsCommand::Lint(_)) => ("alerts lint", TEXT_JSON),
        Command::Alerts(AlertsCommand::Plan(_)) => ("alerts plan", TEXT_JSON),
        Command::Alerts(AlertsCommand::Apply(_)) => ("alerts apply", TEXT_JSON),
        Command::Alerts(AlertsCommand::Import(_)) => ("alerts import", TEXT_JSON),
        Command::Alerts(AlertsCommand::Init(_)) => ("alerts init", TEXT_JSON),
        Command::Alerts(AlertsCommand::Test(_)) => ("alerts test", TEXT_JSON),
        Command::Events(EventsCommand::Test(_)) => ("events test", TEXT_JSON),
    })
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
