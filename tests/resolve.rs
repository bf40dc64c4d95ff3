//! Configuration resolved once: providers disabled on purpose are not
//! "missing", `--config FILE` / `OBSCTL_CONFIG` load obsctl.toml, and a bad
//! config file is a usage error with its position.
mod common;
mod support;

use support::{At, Dest, World};

#[tokio::test]
async fn deploy_start_no_github_without_a_token_records_sentry_and_posts_to_slack() {
    let w = World::new().await;
    let mut cmd = w.cmd();
    cmd.env_remove("GITHUB_TOKEN")
        .envs(w.notify_env(Dest::SlackBot))
        .args(["deploy", "start", "-e", "production", "--no-github"]);
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (support::stdout(&out), support::stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("pass --no-github"), "{stderr}");
    let s = w.state();
    assert_eq!(s.count("POST", At::Route("github.create_deployment")), 0);
    assert_eq!(
        s.count("POST", At::Route("sentry.create_release")),
        1,
        "{:?}",
        s.writes()
    );
    assert_eq!(
        s.count("POST", At::Route("slack.post_message")),
        1,
        "{:?}",
        s.writes()
    );
}

#[tokio::test]
async fn deploy_start_without_a_token_and_without_no_github_is_a_usage_error() {
    let w = World::new().await;
    let mut cmd = w.cmd();
    cmd.env_remove("GITHUB_TOKEN")
        .args(["deploy", "start", "-e", "production"]);
    let out = cmd.output().unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-github"), "{stderr}");
    assert!(w.state().writes().is_empty());
}

#[tokio::test]
async fn a_bad_config_file_is_exit_2_with_its_position_and_an_actions_annotation() {
    let w = World::new().await;
    let file = w.dir.path().join("obsctl.toml");
    std::fs::write(&file, "[sentry]\norg = \"acme\"\nbogus = 1\n").unwrap();
    for via_env in [false, true] {
        let mut cmd = w.cmd();
        cmd.env("GITHUB_ACTIONS", "true");
        if via_env {
            cmd.env("OBSCTL_CONFIG", &file);
        } else {
            cmd.arg("--config").arg(&file);
        }
        cmd.args(["notify", "--title", "hi", "--dry-run"]);
        let out = cmd.output().unwrap();
        let stderr = support::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let name = file.display().to_string();
        assert!(stderr.contains(&format!("{name}:3:")), "{stderr}");
        assert!(
            stderr.contains("::error file=") && stderr.contains(",line=3,col="),
            "{stderr}"
        );
    }
    assert!(w.state().writes().is_empty());
}

#[tokio::test]
async fn the_config_file_supplies_the_sentry_org() {
    let w = World::new().await;
    let file = w.dir.path().join("custom.toml");
    std::fs::write(&file, "[sentry]\norg = \"acme\"\n").unwrap();
    let mut cmd = w.cmd();
    cmd.env_remove("SENTRY_ORG")
        .arg("--config")
        .arg(&file)
        .args(["deploy", "start", "-e", "staging", "--no-github"]);
    let out = cmd.output().unwrap();
    let stderr = support::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        w.state().count("POST", At::Route("sentry.create_release")),
        1
    );
}

#[tokio::test]
async fn a_missing_config_file_named_explicitly_fails() {
    let w = World::new().await;
    let mut cmd = w.cmd();
    cmd.arg("--config")
        .arg(w.dir.path().join("nope.toml"))
        .args(["notify", "--title", "hi", "--dry-run"]);
    let out = cmd.output().unwrap();
    let stderr = support::stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("nope.toml"), "{stderr}");
}
