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
//! - [`verify`]: `deploy verify`'s windows, checks, verdict and report.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod chart;
pub mod config;
pub mod quickcheck;
pub mod report;
pub mod verify;
