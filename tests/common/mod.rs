//! Shared test support: real git repositories in temp dirs, the obsctl
//! binary with a clean environment, and contract validation
//! ([`contract`], the one implementation, in `tests/support/contract.rs`).
//! Each integration test file does `mod common;` (and `mod support;` for the
//! fakes of the remote APIs) and uses what it needs.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[path = "../support/contract.rs"]
pub mod contract;

#[allow(unused_imports)]
pub use contract::{assert_valid, is_valid};

/// Load a contract file (e.g. `"sentry/create-release.json"`); `None` when
/// the contracts are absent (see [`contract`]).
pub fn contract(file: &str) -> Option<Value> {
    contract::load(file)
}

/// The obsctl binary with an empty environment (PATH and HOME kept), so that
/// the developer's or CI's own tokens never leak into a test.
pub fn obsctl() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("obsctl").expect("binary built");
    cmd.env_clear();
    for key in ["PATH", "HOME", "SYSTEMROOT", "TMPDIR"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A real git repository in a temp dir, driven through the git CLI with
/// fixed identities and dates so that SHAs are reproducible.
pub struct GitRepo {
    pub dir: tempfile::TempDir,
    clock: std::cell::Cell<i64>,
}

impl GitRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = GitRepo {
            dir,
            clock: std::cell::Cell::new(1_700_000_000),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test User"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo.git(&["config", "tag.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run git in the repository; panics on failure; returns stdout trimmed.
    pub fn git(&self, args: &[&str]) -> String {
        let t = self.clock.get();
        let date = format!("@{t} +0000");
        let out = Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Set the clock used for the next commits/tags (unix seconds).
    pub fn set_time(&self, unix: i64) {
        self.clock.set(unix);
    }

    /// Write a file and commit it; the clock advances one minute. Returns the SHA.
    pub fn commit(&self, file: &str, content: &str, message: &str) -> String {
        let path = self.dir.path().join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.clock.set(self.clock.get() + 60);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    pub fn annotated_tag(&self, name: &str, message: &str) {
        self.git(&["tag", "-a", name, "-m", message]);
    }
}
