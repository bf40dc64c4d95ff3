//! obsctl's domain, without I/O.
//!
//! This crate has no clap, reqwest, tokio, git2 or filesystem dependency:
//! "the core does no I/O" is a compile-time fact, not a convention. The
//! `obsctl` crate reads files, the environment, git and the network, and
//! hands plain values to the functions here; what they return is a plan, a
//! verdict or a rendered text that the CLI then carries out or prints.
//!
//! Modules:
//! - [`config`]: `obsctl.toml`, the team's services, alerts and SLOs.
//! - [`alerts`]: Sentry monitors and alerts as code (lint, compile, normalise, plan, import).
//! - [`repository`]: repository identity as a path (GitHub, GitLab nested groups, Bitbucket, Azure DevOps).
//! - [`series`]: release series — tag patterns, versions, the previous release.
//! - [`limits`]: every outbound text's documented limit, in one table.
//! - [`text`]: the one set of text helpers (truncation, short SHAs, RFC 3339,
//!   human durations).
//! - [`commit`]: commits, tags and ranges as owned data.
//! - [`release`]: version rules and the choice of a release's commit range.
//! - [`notes`]: release notes from commits.
//! - [`deploy`]: deploy naming, states and messages.
//! - [`message`]: the messaging model, routing, templates and the Slack
//!   Block Kit / Discord builders.
//! - [`dora`]: the DORA metrics engine, its model, input parsing and renderers.
//! - [`redact`]: the redaction rules for secrets.
//! - [`verify`]: `deploy verify`'s windows, checks, verdict and report.
//! - [`status`]: health verdicts, incidents as issues, the status roll-up,
//!   uptime and the static status site.
//! - [`chart`]: SVG charts (plotters) and the HTML page shell of the reports.
//! - [`quickcheck`]: DORA Quick Check (2025) scores and benchmarks.
//! - [`report`]: `obsctl report`'s model and renderers.
//! - [`alerts`]: Sentry monitors and alerts as code (lint, compile, normalise, plan, import).
//! - [`events`]: test events, envelopes, DSNs and ingestion outcomes.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod alerts;
pub mod chart;
pub mod commit;
pub mod config;
pub mod deploy;
pub mod dora;
pub mod error;
pub mod events;
pub mod limits;
pub mod message;
pub mod notes;
pub mod quickcheck;
pub mod redact;
pub mod release;
pub mod report;
pub mod repository;
pub mod series;
pub mod status;
pub mod text;
pub mod verify;

pub use error::UsageError;
