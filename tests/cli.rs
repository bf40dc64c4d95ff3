//! The command line as a whole: exit codes, help, blank variables,
//! backtraces, Actions annotations, completions and the man page.

mod common;

use common::obsctl;

const TOKEN: &str = "ghp_cli_test_token_0123456789";

fn run(cmd: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&mut obsctl());
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(obsctl().args(["release", "create", "--no-such-flag"]));
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(obsctl().args(["dora", "report", "--format", "yaml"]));
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn version_and_help() {
    let (code, out, _) = run(obsctl().arg("--version"));
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("obsctl {}", env!("CARGO_PKG_VERSION")));
    // Secrets from the environment never show in --help.
    let (code, out, _) = run(obsctl()
        .env("GITHUB_TOKEN", TOKEN)
        .env("SLACK_WEBHOOK_URL", "https://hooks.example/secret-path-123")
        .args(["deploy", "start", "--help"]));
    assert_eq!(code, Some(0));
    assert!(out.contains("GITHUB_TOKEN"), "{out}");
    assert!(!out.contains(TOKEN), "{out}");
    assert!(!out.contains("secret-path-123"), "{out}");
}

#[test]
fn blank_variables_count_as_unset() {
    // A blank number would not parse, a blank org would be "set": both are unset.
    let repo = common::GitRepo::new();
    repo.commit("a.txt", "a", "feat: a");
    let (code, _, err) = run(obsctl()
        .env("OBSCTL_TIMEOUT", "")
        .env("OBSCTL_RETRY_BUDGET", "  ")
        .env("GITHUB_TOKEN", "")
        .env("SENTRY_AUTH_TOKEN", " ")
        .arg("-C")
        .arg(repo.path())
        .args(["dora", "report", "--source", "git"]));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn errors_are_one_chain_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(obsctl()
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .arg("-C")
        .arg(dir.path())
        .args(["release", "create", "1.0.0"]));
    assert_eq!(code, Some(2), "{out}{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("not in a git repository"), "{err}");
    assert!(!err.contains("stack backtrace"), "{err}");
    assert!(!err.contains("Stack backtrace"), "{err}");
}

#[test]
fn errors_are_annotations_in_actions_and_secrets_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(obsctl()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_TOKEN", TOKEN)
        .arg("-C")
        .arg(dir.path())
        .args(["release", "create", "1.0.0"]));
    assert_eq!(code, Some(2), "{out}{err}");
    // Masks go to stderr: stdout stays the result alone.
    assert!(err.contains(&format!("::add-mask::{TOKEN}")), "{err}");
    assert!(!out.contains("::add-mask::"), "{out}");
    assert!(err.lines().any(|l| l.starts_with("::error::")), "{err}");
    let rest: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!rest.join("\n").contains(TOKEN), "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(obsctl().args(["completions", shell]));
        assert_eq!(code, Some(0), "{shell}: {err}");
        for sub in ["release", "deploy", "notify", "dora"] {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let (code, out, _) = run(obsctl().arg("man"));
    assert_eq!(code, Some(0));
    assert!(out.contains(".TH obsctl 1"), "{out}");
    let (code, _, _) = run(obsctl().args(["completions", "tcsh"]));
    assert_eq!(code, Some(2));
    // They print text only: another --format is a usage error naming it.
    for (args, name) in [
        (
            &["completions", "bash", "--format", "json"][..],
            "completions",
        ),
        (&["man", "--format", "csv"], "man"),
    ] {
        let (code, out, err) = run(obsctl().args(args));
        assert_eq!(code, Some(2), "{args:?}: {out}\n{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains(&format!("{name} does not support --format")) && err.contains("use text"),
            "{err}"
        );
    }
    let (code, _, err) = run(obsctl().args(["man", "--format", "text"]));
    assert_eq!(code, Some(0), "{err}");
}

/// The help of the subcommand at `path` (`["dora", "report"]`).
fn help_of(path: &[&str]) -> String {
    let mut cmd = obsctl::cli::command();
    cmd.build();
    let mut sub = &mut cmd;
    for name in path {
        sub = sub.find_subcommand_mut(name).unwrap();
    }
    sub.render_long_help().to_string()
}

#[test]
fn each_command_shows_and_accepts_only_the_provider_flags_it_uses() {
    const GITHUB: &[&str] = &["--no-github", "--github-token", "--github-repository"];
    const SENTRY: &[&str] = &["--no-sentry", "--sentry-auth-token", "--sentry-org"];
    const SLACK: &[&str] = &["--no-slack", "--slack-bot-token", "--slack-webhook-url"];
    const DISCORD: &[&str] = &["--discord-webhook-url"];
    let all = [GITHUB, SENTRY, SLACK, DISCORD];
    // (command, GitHub, Sentry, Slack, Discord)
    let table: &[(&[&str], [bool; 4])] = &[
        (&["dora", "report"], [true, false, false, false]),
        (&["deploy", "start"], [true, true, true, true]),
        (&["deploy", "finish"], [true, true, true, true]),
        (&["deploy", "verify"], [true, true, true, true]),
        (&["release", "create"], [true, true, true, true]),
        (&["notify"], [false, false, true, true]),
        (&["report"], [true, true, false, false]),
        (&["status", "check"], [true, false, true, true]),
        (&["status", "build"], [true, false, false, false]),
        (&["incident", "open"], [true, false, false, false]),
        (&["alerts", "lint"], [false, false, false, false]),
        (&["alerts", "plan"], [false, true, true, false]),
        (&["alerts", "test"], [false, true, false, false]),
        (&["events", "test"], [false, true, false, false]),
    ];
    for (path, uses) in table {
        let help = help_of(path);
        for (flags, used) in all.iter().zip(uses) {
            for flag in *flags {
                assert_eq!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    *used,
                    "`obsctl {} --help` and {flag}:\n{help}",
                    path.join(" ")
                );
            }
        }
        // Own flags first, then the provider groups, then the global options.
        let global = help.find("Global options:").unwrap();
        for heading in ["GitHub:", "Sentry:", "Slack:", "Discord:"] {
            if let Some(at) = help.find(heading) {
                assert!(at < global, "{heading} before Global options:\n{help}");
            }
        }
    }
    // A flag of a provider the command does not use is a usage error.
    let (code, _, err) = run(obsctl().args(["dora", "report", "--slack-bot-token", "x"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--slack-bot-token"), "{err}");
    // Provider flags belong to the subcommand, not before it.
    let (code, _, err) = run(obsctl().args(["--no-github", "dora", "report"]));
    assert_eq!(code, Some(2), "{err}");
    // …and the error says where it goes.
    assert!(err.contains("--no-github is a provider flag"), "{err}");
    assert!(err.contains("dora report"), "{err}");
    let (code, _, err) = run(obsctl().args(["deploy", "start", "--tag-pattern", "v*"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains("provider flag"), "{err}");
}

#[test]
fn dash_e_means_environment_on_every_command_that_has_one() {
    fn walk(cmd: &clap::Command, path: String, found: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if arg.get_long() == Some("environment") {
                assert_eq!(arg.get_short(), Some('e'), "{path} --environment has no -e");
                found.push(path.clone());
            } else {
                assert_ne!(
                    arg.get_short(),
                    Some('e'),
                    "{path}: -e is not --environment"
                );
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, format!("{path} {}", sub.get_name()), found);
        }
    }
    let mut cmd = obsctl::cli::command();
    cmd.build();
    let mut found = Vec::new();
    walk(&cmd, "obsctl".into(), &mut found);
    for want in [
        "obsctl deploy start",
        "obsctl deploy finish",
        "obsctl deploy verify",
        "obsctl dora report",
        "obsctl events test",
        "obsctl alerts init",
    ] {
        assert!(found.iter().any(|f| f == want), "{want}: {found:?}");
    }
    use clap::Parser;
    for argv in [
        &["obsctl", "dora", "report", "-e", "staging"][..],
        &["obsctl", "events", "test", "-e", "staging"],
        &[
            "obsctl",
            "alerts",
            "init",
            "--service",
            "web",
            "-e",
            "staging",
        ],
        &["obsctl", "deploy", "verify", "-e", "staging"],
    ] {
        obsctl::cli::Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    }
}

#[test]
fn a_named_config_file_that_is_missing_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let nope = dir.path().join("nope.toml");
    let nope = nope.to_str().unwrap();
    let (code, out, err) = run(obsctl().args(["--config", nope, "alerts", "lint"]));
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        err.contains(nope) && err.contains("(from --config) does not exist"),
        "{err}"
    );
    let (code, out, err) = run(obsctl()
        .env("OBSCTL_CONFIG", nope)
        .args(["dora", "report", "--source", "git"]));
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        err.contains(nope) && err.contains("(from OBSCTL_CONFIG)"),
        "{err}"
    );
    let (code, _, err) =
        run(obsctl().args(["--config", dir.path().to_str().unwrap(), "dora", "report"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not a file"), "{err}");
}

/// `-q` and `-v` contradict each other: a usage error, not `-v` winning.
#[test]
fn quiet_and_verbose_together_are_a_usage_error() {
    let out = common::obsctl()
        .args(["-q", "-v", "notify", "--title", "x", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}
