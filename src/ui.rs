//! Human-facing output: notices, warnings and verbose lines on stderr,
//! redacted, as workflow commands when running in GitHub Actions. Results go
//! to stdout through [`Ui::result`]. One `Ui` is built per run and passed
//! down; there is no global state.

use std::io::Write;

use serde::Serialize;

use crate::actions;
use crate::redact::Redactor;

/// `--format`: every command accepts `text` and `json`; `dora report` also
/// the report formats. A command checks its own list
/// ([`crate::commands::formats`]): anything else is a usage error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable text (the default).
    #[value(alias = "table")]
    Text,
    /// One JSON document on stdout.
    Json,
    /// Markdown (dora report).
    Markdown,
    /// Comma-separated rows (dora report).
    Csv,
    /// One JSON object per line (dora report).
    Ndjson,
    /// A self-contained HTML dashboard (dora report).
    Html,
}

impl Format {
    pub fn is_json(self) -> bool {
        self == Format::Json
    }

    /// The name as given to `--format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Html => "html",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Ui {
    pub format: Format,
    pub verbose: u8,
    pub quiet: bool,
    /// Running inside GitHub Actions: warnings and errors become annotations.
    pub actions: bool,
    pub redactor: Redactor,
}

impl Ui {
    pub fn new(
        format: Format,
        verbose: u8,
        quiet: bool,
        actions: bool,
        redactor: Redactor,
    ) -> Self {
        Self {
            format,
            verbose,
            quiet,
            actions,
            redactor,
        }
    }

    /// A quiet default for tests and library use.
    pub fn silent() -> Self {
        Self::new(Format::Text, 0, true, false, Redactor::new())
    }

    fn emit(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// Register every secret with the runner (`::add-mask::`), so that the
    /// runner hides them even if a later step prints one. Written to stderr
    /// (the runner reads workflow commands on both streams), so that stdout
    /// stays the command's result: `--format json > report.json` is valid.
    pub fn mask_secrets(&self) {
        if !self.actions {
            return;
        }
        let mut err = std::io::stderr().lock();
        for secret in self.redactor.secrets() {
            for line in actions::add_mask_lines(&secret) {
                let _ = writeln!(err, "{line}");
            }
        }
    }

    /// Register a secret learned while running (a DSN key read from an
    /// API): redacted from then on everywhere, and masked in Actions.
    pub fn add_secret(&self, label: &str, value: &str) {
        if self.redactor.add_late(label, value) && self.actions {
            let mut err = std::io::stderr().lock();
            for line in actions::add_mask_lines(value) {
                let _ = writeln!(err, "{line}");
            }
        }
    }

    /// An informational line (a skipped provider, a decision made).
    pub fn notice(&self, msg: &str) {
        if self.quiet {
            return;
        }
        let msg = self.redactor.redact(msg);
        if self.actions {
            self.emit(&actions::command("notice", None, &msg));
        } else {
            self.emit(&format!("note: {msg}"));
        }
    }

    /// Something went wrong that does not fail the command (a notification).
    pub fn warn(&self, msg: &str) {
        let msg = self.redactor.redact(msg);
        if self.actions {
            self.emit(&actions::command("warning", None, &msg));
        } else {
            self.emit(&format!("warning: {msg}"));
        }
    }

    /// The final error of a failed command.
    pub fn error(&self, msg: &str) {
        let msg = self.redactor.redact(msg);
        if self.actions {
            self.emit(&actions::command("error", None, &msg));
        } else {
            self.emit(&format!("error: {msg}"));
        }
    }

    /// `-v` diagnostics (requests, timings).
    pub fn verbose(&self, msg: &str) {
        if self.verbose > 0 {
            self.emit(&format!("debug: {}", self.redactor.redact(msg)));
        }
    }

    /// Print the command's result on stdout: `text` unless `--format json`,
    /// where `json` is printed instead. Both are redacted.
    pub fn result<T: Serialize>(&self, text: &str, json: &T) {
        let mut out = std::io::stdout().lock();
        if self.format.is_json() {
            let s = serde_json::to_string_pretty(json).unwrap_or_else(|_| "null".into());
            let _ = writeln!(out, "{}", self.redactor.redact(&s));
        } else if !text.is_empty() {
            let _ = writeln!(out, "{}", self.redactor.redact(text.trim_end()));
        }
    }
}
