//! obsctl: releases, deployments, notifications and DORA metrics for CI.
//!
//! Layout: [`cli`] holds the clap types; [`context`] resolves flags,
//! environment and CI context once; [`commands`] orchestrates one command per
//! file; [`providers`] holds one client per remote API, all on the single HTTP
//! policy in [`http`]; pure cores (no I/O) live in their own modules.

pub mod actions;
pub mod cli;
pub mod commands;
pub mod config_file;
pub mod context;
pub mod git;
pub mod http;
pub mod notifier;
pub mod providers;
pub mod ui;

// The domain lives in `obsctl-core` (no I/O); these paths are kept so
// `crate::message::…`, `obsctl::dora::…` and friends still resolve.
pub use obsctl_core::{commit, deploy, message, notes, redact, release, text};

/// The old name of [`notifier`] (kept so `crate::notify::…` paths resolve).
pub use notifier as notify;

/// DORA metrics: the pure engine from `obsctl-core`, and local git's change
/// sets from this crate's git layer.
pub mod dora {
    pub use crate::git::changes as git_source;
    pub use obsctl_core::dora::{engine, input, model, render};
}

use std::sync::Once;

use crate::context::{Context, Env, UsageError};

/// Install the one rustls crypto provider (ring) before any TLS use.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Exit codes: 0 ok, 1 failure, 2 usage or bad input.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if let Some(e) = err
        .chain()
        .find_map(|c| c.downcast_ref::<context::ExitWith>())
    {
        return e.code;
    }
    if err.chain().any(|c| c.is::<UsageError>()) || config_file::is_config_error(err) {
        2
    } else {
        1
    }
}

/// Run the CLI with the process's arguments and environment; returns the
/// exit code. Errors are printed here as one readable chain, never with a
/// backtrace (`RUST_BACKTRACE=1` is common on CI images).
pub fn run() -> i32 {
    install_panic_hook();
    unset_blank_env_vars();
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if let Some(hint) = provider_flag_hint(&e) {
                eprintln!("{hint}");
            }
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let env = Env::from_process();
    let json = cli.global.format == ui::Format::Json;
    let ctx = match Context::new(cli.global, &cli.command, env.clone()) {
        Ok(ctx) => ctx,
        Err(e) => {
            if let Some(out) = json
                .then(|| commands::alerts::lint::problems_json(&cli.command, &e))
                .flatten()
            {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out).unwrap_or_else(|_| "null".into())
                );
            }
            for line in context::config_error_annotations(&e, &env) {
                eprintln!("{line}");
            }
            eprintln!("error: {e:#}");
            return exit_code(&e);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(commands::dispatch(cli.command, &ctx)) {
        Ok(()) => 0,
        Err(e) => {
            if let Some(status) = e.downcast_ref::<context::ExitStatus>() {
                return status.0;
            }
            let silent = e
                .downcast_ref::<context::ExitWith>()
                .is_some_and(|x| x.message.is_empty());
            if !silent {
                ctx.ui.error(&format!("{e:#}"));
            }
            exit_code(&e)
        }
    }
}

/// For an unknown flag that is a provider flag of other subcommands (they
/// are per command, after the subcommand): which commands take it.
fn provider_flag_hint(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    if e.kind() != clap::error::ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.strip_prefix("--")?.split('=').next()?;
    let mut cmd = cli::command();
    cmd.build();
    let mut takers = Vec::new();
    for (path, leaf) in cli::leaf_commands(&cmd) {
        let takes = leaf.get_arguments().any(|a| {
            a.get_long() == Some(long)
                && matches!(
                    a.get_help_heading(),
                    Some("GitHub" | "Sentry" | "Slack" | "Discord")
                )
        });
        if takes {
            takers.push(path);
        }
    }
    (!takers.is_empty()).then(|| {
        format!(
            "note: --{long} is a provider flag, given after the subcommand, of: {}",
            takers.join(", ")
        )
    })
}

/// Empty (or blank) environment variables count as unset. clap reads the
/// environment itself and would reject `OBSCTL_TIMEOUT=""` or take
/// `SENTRY_ORG=""` as a value, so blank variables that the CLI reads are
/// removed before parsing.
fn unset_blank_env_vars() {
    fn collect(cmd: &clap::Command, names: &mut Vec<std::ffi::OsString>) {
        names.extend(
            cmd.get_arguments()
                .filter_map(|a| a.get_env().map(|e| e.to_os_string())),
        );
        for sub in cmd.get_subcommands() {
            collect(sub, names);
        }
    }
    let mut names = Vec::new();
    collect(&cli::command(), &mut names);
    for name in names {
        let blank = std::env::var_os(&name).is_some_and(|v| v.to_string_lossy().trim().is_empty());
        if blank {
            // SAFETY: called first thing in `run`, before the async runtime or
            // any other thread exists, so nothing reads the environment concurrently.
            unsafe { std::env::remove_var(&name) };
        }
    }
}

/// A panic is a bug in obsctl: say so in one line, without the backtrace that
/// `RUST_BACKTRACE=1` (set on many CI images) would add to the step log.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        eprintln!(
            "error: internal error in obsctl{location}: {}\n(this is a bug; please report it)",
            redact::redact_patterns(&payload)
        );
    }));
}
