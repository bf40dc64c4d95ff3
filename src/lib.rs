//! obsctl: releases, deployments, notifications and DORA metrics for CI.
//!
//! Layout: [`cli`] holds the clap types; [`context`] resolves flags,
//! environment and CI context once; [`commands`] orchestrates one command per
//! file; [`providers`] holds one client per remote API, all on the single HTTP
//! policy in [`http`]; pure cores (no I/O) live in their own modules.

pub mod actions;
pub mod cli;
pub mod commands;
pub mod context;
pub mod dora;
pub mod http;
pub mod providers;
pub mod redact;
pub mod ui;

use std::sync::Once;

use clap::Parser;

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
    if err.chain().any(|c| c.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Run the CLI with the process's arguments and environment; returns the
/// exit code. Errors are printed here as one readable chain, never with a
/// backtrace (`RUST_BACKTRACE=1` is common on CI images).
pub fn run() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let ctx = match Context::new(cli.global, Env::from_process()) {
        Ok(ctx) => ctx,
        Err(e) => {
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
            ctx.ui.error(&format!("{e:#}"));
            exit_code(&e)
        }
    }
}
