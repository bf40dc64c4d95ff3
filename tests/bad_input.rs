//! A catalogue of bad input for `release create`, `deploy start`, `deploy
//! finish` and `notify`: versions, environment names, SHAs, URLs, payload
//! files, blank or malformed environment variables, paths, repository slugs,
//! flags without their `=`. Each must be a clear error on stderr (one line
//! naming what is wrong), exit 2, no panic, and NO remote write: every
//! provider is configured against one loopback fake, which must see no
//! request other than GET.
//!
//! Hostile but valid text (huge, control-laden, non-UTF-8 commit messages,
//! workflow-command injection) is a second table: it must succeed, without a
//! panic, an injected workflow command or an oversized request body.
mod common;
mod support;

use std::path::PathBuf;

use support::{Dest, World};

/// One bad input: what to run and what the error must say.
struct Bad {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Text the error must contain (what is wrong, named as the user wrote it).
    says: &'static str,
    /// Not even a read may be sent (`dora report` only reads).
    no_request: bool,
}

fn bad<S: ToString>(
    name: &'static str,
    args: impl IntoIterator<Item = S>,
    says: &'static str,
) -> Bad {
    Bad {
        name,
        args: args.into_iter().map(|s| s.to_string()).collect(),
        env: vec![],
        says,
        no_request: false,
    }
}

impl Bad {
    fn no_request(mut self) -> Self {
        self.no_request = true;
        self
    }
    fn env(mut self, k: &'static str, v: &str) -> Self {
        self.env.push((k, v.to_string()));
        self
    }
}

const START: &[&str] = &["deploy", "start", "--environment", "production"];
const FINISH: &[&str] = &[
    "deploy",
    "finish",
    "--environment",
    "production",
    "--status",
    "success",
];
const NOTIFY: &[&str] = &["notify", "--title", "Deployed"];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn catalogue(dir: &std::path::Path) -> Vec<Bad> {
    let not_json = dir.join("not-json.json");
    std::fs::write(&not_json, "{\"slack\": ").unwrap();
    let wrong_shape = dir.join("array.json");
    std::fs::write(&wrong_shape, "[1, 2, 3]").unwrap();
    let binary = dir.join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let empty = dir.join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let not_git = dir.join("not-git");
    std::fs::create_dir_all(&not_git).unwrap();
    let p = |p: &PathBuf| p.display().to_string();
    let long = "v".repeat(201);
    let long_env = "e".repeat(65);
    vec![
        // ------------------------------------------------ versions
        bad("empty version", ["release", "create", ""], "empty"),
        bad(
            "version with a slash",
            ["release", "create", "v1/2"],
            "slash",
        ),
        bad(
            "version with a backslash",
            ["release", "create", "v1\\2"],
            "slash",
        ),
        bad(
            "reserved version",
            ["release", "create", "latest"],
            "reserved",
        ),
        bad("version `..`", ["release", "create", ".."], "reserved"),
        bad(
            "version with a line break",
            ["release", "create", "1.0\n::error::x"],
            "line break",
        ),
        bad(
            "version with a tab",
            ["release", "create", "1.0\t2"],
            "line break",
        ),
        bad(
            "version with spaces around",
            ["release", "create", " 1.0 "],
            "white space",
        ),
        bad(
            "version too long",
            ["release", "create", &long],
            "at most 200",
        ),
        bad(
            "version that cannot be a tag",
            ["release", "create", "1.0 beta", "--target", "HEAD~1"],
            "tag",
        ),
        bad(
            "deploy version with a space",
            with(START, &["--version", "1 0"]),
            "white space",
        ),
        bad(
            "deploy version reserved",
            with(START, &["--version", "latest"]),
            "reserved",
        ),
        // ------------------------------------------------ environments
        bad(
            "empty environment",
            ["deploy", "start", "--environment", ""],
            "--environment is empty",
        ),
        bad(
            "blank environment",
            [
                "deploy",
                "finish",
                "--environment",
                "  ",
                "--status",
                "success",
            ],
            "--environment is empty",
        ),
        bad(
            "environment with a space",
            ["deploy", "start", "--environment", "prod env"],
            "characters",
        ),
        bad(
            "environment with a slash",
            ["deploy", "start", "--environment", "prod/eu"],
            "characters",
        ),
        bad(
            "environment None",
            ["deploy", "start", "--environment", "None"],
            "reserved",
        ),
        bad(
            "environment too long",
            ["deploy", "start", "--environment", &long_env],
            "longer than 64",
        ),
        // ------------------------------------------------ SHAs, refs, statuses, ids
        bad(
            "SHA not hex",
            with(START, &["--sha", "not-a-sha"]),
            "not a commit SHA",
        ),
        bad(
            "SHA too short",
            with(START, &["--sha", "abc"]),
            "not a commit SHA",
        ),
        bad(
            "abbreviated SHA unknown here",
            with(START, &["--sha", "abcdef1"]),
            "full 40-character SHA",
        ),
        bad(
            "unknown --target",
            ["release", "create", "v9", "--target", "no-such-ref"],
            "no-such-ref",
        ),
        bad(
            "unknown --previous",
            ["release", "create", "--previous", "no-such-tag"],
            "no-such-tag",
        ),
        bad(
            "unknown finish status",
            [
                "deploy",
                "finish",
                "--environment",
                "production",
                "--status",
                "done",
            ],
            "done",
        ),
        bad(
            "deployment id not a number",
            with(FINISH, &["--deployment-id", "abc"]),
            "abc",
        ),
        bad(
            "negative deployment id",
            with(FINISH, &["--deployment-id=-5"]),
            "-5",
        ),
        bad(
            "deployment id 0",
            with(FINISH, &["--deployment-id", "0"]),
            "--deployment-id 0",
        ),
        bad("blank --task", with(START, &["--task", "  "]), "--task"),
        bad(
            "finish --mention not an id",
            with(FINISH, &["--mention", "bob"]),
            "--mention \"bob\"",
        ),
        bad(
            "OBSCTL_DEPLOY_MENTIONS with a bad id",
            FINISH,
            "OBSCTL_DEPLOY_MENTIONS",
        )
        .env("OBSCTL_DEPLOY_MENTIONS", "U0123ABCD, ,@channel"),
        // ------------------------------------------------ URLs in flags
        bad(
            "deploy --url not http",
            with(START, &["--url", "javascript:alert(1)"]),
            "--url",
        ),
        bad(
            "deploy --url with credentials",
            with(
                START,
                &["--url", "https://deployer:hunter2-secret@prod.example.com"],
            ),
            "--url carries credentials",
        ),
        bad(
            "--link with credentials",
            with(
                NOTIFY,
                &[
                    "--link",
                    "Logs=https://ops:hunter2-secret@logs.example.com/x",
                ],
            ),
            "the URL carries credentials",
        ),
        bad(
            "finish --url not a URL",
            with(FINISH, &["--url", "prod.example.com"]),
            "--url",
        ),
        bad(
            "--link without =",
            with(NOTIFY, &["--link", "Docs"]),
            "LABEL=URL",
        ),
        bad(
            "--link with an empty label",
            with(NOTIFY, &["--link", "=https://x.example"]),
            "LABEL=URL",
        ),
        bad(
            "--link not http",
            with(NOTIFY, &["--link", "Docs=ftp://x.example"]),
            "http(s)",
        ),
        // ------------------------------------------------ other notify flags
        bad(
            "--field without =",
            with(NOTIFY, &["--field", "novalue"]),
            "KEY=VALUE",
        ),
        bad(
            "--mention not an id",
            with(NOTIFY, &["--mention", "bob"]),
            "--mention",
        ),
        bad(
            "--thread not a ts",
            with(NOTIFY, &["--thread", "yesterday"]),
            "--thread",
        ),
        bad(
            "blank --channel",
            with(NOTIFY, &["--channel", "  "]),
            "--channel",
        ),
        bad("blank --title", ["notify", "--title", "   "], "--title"),
        bad(
            "--var without =",
            with(NOTIFY, &["--var", "version"]),
            "NAME=VALUE",
        ),
        bad(
            "--var of an unknown name",
            with(NOTIFY, &["--var", "colour=red"]),
            "colour",
        ),
        bad(
            "unknown template variable",
            ["notify", "--title", "Deployed {{verison}}"],
            "verison",
        ),
        bad(
            "unknown severity",
            with(NOTIFY, &["--severity", "fatal"]),
            "fatal",
        ),
        // ------------------------------------------------ files and paths
        bad(
            "missing --notes-file",
            ["release", "create", "--notes-file", "/nonexistent/notes.md"],
            "/nonexistent/notes.md",
        ),
        bad(
            "--notes-file is a directory",
            ["release", "create", "--notes-file", &p(&dir.to_path_buf())],
            "--notes-file",
        ),
        bad(
            "missing --payload",
            with(NOTIFY, &["--payload", "/nonexistent/p.json"]),
            "/nonexistent/p.json",
        ),
        bad(
            "--payload not JSON",
            with(NOTIFY, &["--payload", &p(&not_json)]),
            "not valid JSON",
        ),
        bad(
            "--payload of the wrong shape",
            with(NOTIFY, &["--payload", &p(&wrong_shape)]),
            "--payload",
        ),
        bad(
            "--payload binary",
            with(NOTIFY, &["--payload", &p(&binary)]),
            "--payload",
        ),
        bad(
            "--payload empty",
            with(NOTIFY, &["--payload", &p(&empty)]),
            "--payload",
        ),
        bad(
            "-C not a repository",
            ["-C", &p(&not_git), "release", "create", "v1"],
            "not in a git repository",
        ),
        bad(
            "-C missing",
            ["-C", "/nonexistent/repo", "release", "create", "v1"],
            "/nonexistent/repo",
        ),
        // ------------------------------------------------ environment variables
        bad("blank GITHUB_TOKEN for a deploy", START, "GITHUB_TOKEN").env("GITHUB_TOKEN", "   "),
        bad("empty SENTRY_ORG", ["release", "create"], "SENTRY_ORG").env("SENTRY_ORG", ""),
        bad(
            "blank SENTRY_PROJECT",
            ["release", "create"],
            "SENTRY_PROJECT",
        )
        .env("SENTRY_PROJECT", " \t "),
        bad("SENTRY_PROJECT only commas", START, "SENTRY_PROJECT").env("SENTRY_PROJECT", " , ,"),
        bad(
            "SENTRY_ORG with a slash",
            ["release", "create"],
            "not a valid slug",
        )
        .env("SENTRY_ORG", "acme/evil"),
        bad(
            "repository slug without owner",
            ["release", "create"],
            "OWNER/NAME",
        )
        .env("GITHUB_REPOSITORY", "web"),
        bad("repository slug with three parts", START, "OWNER/NAME")
            .env("GITHUB_REPOSITORY", "a/b/c"),
        bad("repository slug with a space", FINISH, "OWNER/NAME")
            .env("GITHUB_REPOSITORY", "acme/my web"),
        bad(
            "GITHUB_API_URL not a URL",
            ["release", "create"],
            "GITHUB_API_URL",
        )
        .env("GITHUB_API_URL", "api.github.com"),
        bad("GITHUB_API_URL not http", START, "GITHUB_API_URL")
            .env("GITHUB_API_URL", "ftp://ghe.example/api/v3"),
        bad(
            "SENTRY_URL without scheme",
            ["release", "create"],
            "SENTRY_URL",
        )
        .env("SENTRY_URL", "localhost:9000"),
        bad("SENTRY_URL with spaces", FINISH, "SENTRY_URL")
            .env("SENTRY_URL", "https://sentry example.com"),
        bad("SLACK_WEBHOOK_URL not a URL", NOTIFY, "SLACK_WEBHOOK_URL")
            .env("SLACK_WEBHOOK_URL", "hooks.slack.com/services/x"),
        bad(
            "DISCORD_WEBHOOK_URL without host",
            START,
            "DISCORD_WEBHOOK_URL",
        )
        .env("DISCORD_WEBHOOK_URL", "https://"),
        bad("SLACK_API_URL not a URL", NOTIFY, "SLACK_API_URL").env("SLACK_API_URL", "::"),
        bad("OBSCTL_TIMEOUT not a number", NOTIFY, "--timeout").env("OBSCTL_TIMEOUT", "ten"),
        bad("OBSCTL_RETRY_BUDGET negative", START, "-1").env("OBSCTL_RETRY_BUDGET", "-1"),
        bad(
            "--channel by name without a bot token",
            with(NOTIFY, &["--channel", "#random"]),
            "SLACK_BOT_TOKEN",
        )
        .env("SLACK_BOT_TOKEN", ""),
    ]
}

const DORA: &[&str] = &["dora", "report", "--source", "github"];

/// `dora report`: bad windows, names, incident files and output paths are
/// exit 2 before GitHub is asked anything.
fn dora_catalogue(dir: &std::path::Path) -> Vec<Bad> {
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let no_header = file("inc-no-header.csv", "INC-1,2026-01-01T00:00:00Z,\n");
    let wrong_header = file("inc-header.csv", "id,opened,closed\nINC-1,2026-01-01,\n");
    let bad_json = file("inc.json", "[{\"id\": \"INC-1\", \"created_at\": ");
    let bad_time_csv = file(
        "inc-time.csv",
        "id,created_at,resolved_at\nINC-1,last tuesday,\n",
    );
    let bad_time_json = file(
        "inc-time.json",
        r#"[{"id": "INC-1", "created_at": "2026-01-01T00:00:00Z", "resolved_at": "2026-02-30T00:00:00Z"}]"#,
    );
    let backwards_csv = file(
        "inc-back.csv",
        "id,created_at,resolved_at\nINC-1,2026-01-02T10:00:00Z,2026-01-02T09:00:00Z\n",
    );
    let backwards_json = file(
        "inc-back.json",
        r#"[{"id": "INC-1", "created_at": "2026-01-02", "resolved_at": "2026-01-01"}]"#,
    );
    let no_id = file(
        "inc-no-id.json",
        r#"[{"id": " ", "created_at": "2026-01-02"}]"#,
    );
    let missing_dir = dir.join("no-such-dir").join("dora.html");
    let d = |more: &[&str]| with(DORA, more);
    vec![
        bad(
            "dora: --since unparsable",
            d(&["--since", "last month"]),
            "--since",
        )
        .no_request(),
        bad("dora: --since 0d", d(&["--since", "0d"]), "--since \"0d\"").no_request(),
        bad(
            "dora: --since negative",
            d(&["--since=-5d"]),
            "--since \"-5d\"",
        )
        .no_request(),
        bad("dora: --since 0w", d(&["--since", "0w"]), "--since").no_request(),
        bad(
            "dora: --since too many days",
            d(&["--since", "99999999999d"]),
            "--since",
        )
        .no_request(),
        bad(
            "dora: --until unparsable",
            d(&["--until", "2026-13-45"]),
            "--until",
        )
        .no_request(),
        bad(
            "dora: since equals until",
            d(&["--since", "2026-01-01", "--until", "2026-01-01"]),
            "window is empty",
        )
        .no_request(),
        bad(
            "dora: since after until",
            d(&["--since", "2026-02-01", "--until", "2026-01-01"]),
            "window is empty",
        )
        .no_request(),
        bad(
            "dora: --since far future",
            d(&["--since", "2999-01-01"]),
            "window is empty",
        )
        .no_request(),
        bad(
            "dora: --until far future",
            d(&["--until", "2999-01-01"]),
            "in the future",
        )
        .no_request(),
        bad(
            "dora: window in the future",
            d(&["--since", "2998-01-01", "--until", "2999-01-01"]),
            "in the future",
        )
        .no_request(),
        bad(
            "dora: --tag-pattern unclosed [",
            with(
                &["dora", "report", "--source", "git"],
                &["--tag-pattern", "v[0-9"],
            ),
            "--tag-pattern",
        )
        .no_request(),
        bad(
            "dora: --tag-pattern empty",
            d(&["--tag-pattern", ""]),
            "--tag-pattern is empty",
        )
        .no_request(),
        bad(
            "dora: --environment empty",
            d(&["--environment", ""]),
            "--environment is empty",
        )
        .no_request(),
        bad(
            "dora: --environment blank",
            d(&["--environment", "  "]),
            "--environment is empty",
        )
        .no_request(),
        bad(
            "dora: --environment with a line break",
            d(&["--environment", "prod\n::error::x"]),
            "control characters",
        )
        .no_request(),
        bad(
            "dora: --incident-label blank",
            d(&["--incident-label", " "]),
            "--incident-label is empty",
        )
        .no_request(),
        bad(
            "dora: --incidents missing file",
            d(&["--incidents", "/nonexistent/incidents.csv"]),
            "--incidents /nonexistent/incidents.csv",
        )
        .no_request(),
        bad(
            "dora: --incidents bad JSON",
            d(&["--incidents", &bad_json]),
            "not valid JSON",
        )
        .no_request(),
        bad(
            "dora: --incidents CSV without header",
            d(&["--incidents", &no_header]),
            "bad CSV header",
        )
        .no_request(),
        bad(
            "dora: --incidents CSV wrong header",
            d(&["--incidents", &wrong_header]),
            "expected id,created_at,resolved_at",
        )
        .no_request(),
        bad(
            "dora: --incidents CSV bad time",
            d(&["--incidents", &bad_time_csv]),
            "\"last tuesday\" is not a time",
        )
        .no_request(),
        bad(
            "dora: --incidents JSON impossible date",
            d(&["--incidents", &bad_time_json]),
            "resolved_at \"2026-02-30T00:00:00Z\" is not a time",
        )
        .no_request(),
        bad(
            "dora: --incidents CSV resolved before created",
            d(&["--incidents", &backwards_csv]),
            "line 2: resolved_at",
        )
        .no_request(),
        bad(
            "dora: --incidents JSON resolved before created",
            d(&["--incidents", &backwards_json]),
            "is before created_at",
        )
        .no_request(),
        bad(
            "dora: --incidents JSON blank id",
            d(&["--incidents", &no_id]),
            "`id` is missing",
        )
        .no_request(),
        bad(
            "dora: --output into a missing directory",
            d(&["--output", &missing_dir.display().to_string()]),
            "does not exist",
        )
        .no_request(),
        bad(
            "dora: --output is a directory",
            d(&["--output", &dir.display().to_string()]),
            "is a directory",
        )
        .no_request(),
        // The documentation promises an error (not a fallback to tags) for
        // an explicit --source github without a token.
        bad(
            "dora: --source github without a token",
            DORA,
            "needs GITHUB_TOKEN",
        )
        .env("GITHUB_TOKEN", "")
        .no_request(),
        bad(
            "dora: --source github, blank GH_TOKEN",
            DORA,
            "needs GITHUB_TOKEN",
        )
        .env("GITHUB_TOKEN", " ")
        .env("GH_TOKEN", "  ")
        .no_request(),
        bad(
            "dora: --source git outside a repository",
            [
                "-C",
                &dir.display().to_string(),
                "dora",
                "report",
                "--source",
                "git",
            ],
            "no git repository",
        )
        .no_request(),
        bad(
            "dora: --source unknown",
            ["dora", "report", "--source", "gitlab"],
            "invalid value 'gitlab'",
        )
        .no_request(),
        bad(
            "dora: --format unknown",
            d(&["--format", "xlsx"]),
            "--format",
        )
        .no_request(),
    ]
}

async fn check(b: Bad) -> Result<(), String> {
    let w = World::new().await;
    w.seed_deployment(false);
    let mut cmd = if b.args.first().is_some_and(|a| a == "-C") {
        w.cmd_outside_repo()
    } else {
        w.cmd()
    };
    for (k, v) in w.notify_env(Dest::All) {
        cmd.env(k, v);
    }
    cmd.env("SLACK_WEBHOOK_URL", w.hook_url());
    for (k, v) in &b.env {
        cmd.env(k, v);
    }
    cmd.env("GITHUB_SHA", &w.head).args(&b.args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let err = support::stderr(&out);
    let mut problems = vec![];
    if out.status.code() != Some(2) {
        problems.push(format!("exit {:?}, expected 2", out.status.code()));
    }
    if !err.contains(b.says) {
        problems.push(format!("the error does not say {:?}", b.says));
    }
    if !err.lines().any(|l| l.starts_with("error")) {
        problems.push("no `error:` line on stderr".into());
    }
    if err.contains("panicked") || err.contains("internal error") || err.contains("backtrace") {
        problems.push("panic".into());
    }
    if err.lines().count() > 12 {
        problems.push(format!(
            "{} lines of stderr: not one clear error",
            err.lines().count()
        ));
    }
    let seen = w.state().seen.len();
    if b.no_request && seen > 0 {
        problems.push(format!(
            "{seen} request(s) sent before the input was checked"
        ));
    }
    let writes = w.state().writes();
    if !writes.is_empty() {
        problems.push(format!(
            "remote writes before the input was checked: {writes:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "[{}] {}\n--- stderr:\n{err}--- stdout:\n{}",
            b.name,
            problems.join("; "),
            support::stdout(&out)
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_is_exit_2_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = catalogue(dir.path());
    cases.extend(dora_catalogue(dir.path()));
    let n = cases.len();
    assert!(n >= 30, "the catalogue has {n} cases");
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = tokio::task::JoinSet::new();
    for b in cases {
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            check(b).await
        });
    }
    let mut failures = vec![];
    while let Some(r) = set.join_next().await {
        if let Err(e) = r.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} bad inputs misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ------------------------------------------------------------ hostile text

/// Commit messages and names nobody should write, but someone will: they
/// are data, not input errors. Each run must succeed, print no injected
/// workflow command, and keep the Sentry body within its limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_commit_messages_are_data() {
    let w = World::new().await;
    // A 2 MB message, one with terminal escapes and workflow commands, one
    // in Latin-1 (not UTF-8) as an old repository may have.
    let huge = format!(
        "feat: huge\n\n{}",
        "lorem ipsum dolor sit amet ".repeat(80_000)
    );
    let huge_file = w.dir.path().join("huge.txt");
    std::fs::write(&huge_file, &huge).unwrap();
    std::fs::write(w.repo.path().join("big.txt"), "1\n").unwrap();
    w.repo.git(&["add", "-A"]);
    w.repo
        .git(&["commit", "-q", "-F", &huge_file.display().to_string()]);
    w.repo.commit(
        "esc.txt",
        "2\n",
        "fix: \u{1b}[31mred\u{1b}[0m\n\n::error::injected\n::add-mask::nothing\n%0A::warning::x",
    );
    let latin1 = w.dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"fix: caf\xe9 cr\xe8me br\xfbl\xe9e\n").unwrap();
    std::fs::write(w.repo.path().join("l.txt"), "3\n").unwrap();
    w.repo.git(&["add", "-A"]);
    w.repo.git(&[
        "-c",
        "i18n.commitEncoding=ISO-8859-1",
        "commit",
        "-q",
        "-F",
        &latin1.display().to_string(),
    ]);
    // And an invalid-UTF-8 message with no encoding header at all.
    let raw = w.dir.path().join("raw.txt");
    std::fs::write(&raw, b"fix: \xff\xfe broken \xc3\x28 bytes\n").unwrap();
    std::fs::write(w.repo.path().join("r.txt"), "4\n").unwrap();
    w.repo.git(&["add", "-A"]);
    w.repo
        .git(&["commit", "-q", "-F", &raw.display().to_string()]);
    w.repo.tag("v1.2.0");

    let mut cmd = w.cmd();
    for (k, v) in w.actions_env() {
        cmd.env(k, v);
    }
    cmd.env("GITHUB_REF_NAME", "v1.2.0")
        .env("GITHUB_SHA", w.repo.git(&["rev-parse", "HEAD"]));
    cmd.args(["release", "create", "v1.2.0", "--previous", "v1.1.0"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = support::stdout(&out);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for text in [
        &stdout,
        &stderr,
        &support::read(&w.summary_file()),
        &support::read(&w.output_file()),
    ] {
        for line in text.lines() {
            assert!(
                !line.contains("::error::injected") && !line.starts_with("::warning::x"),
                "a commit message became a workflow command: {line}"
            );
            assert!(
                !line.contains('\u{1b}'),
                "a terminal escape got through: {line:?}"
            );
        }
    }
    let s = w.state();
    let sentry = s
        .seen
        .iter()
        .find(|r| r.method == "POST" && r.path == "/api/0/organizations/acme/releases/")
        .expect("the Sentry release was created");
    let size = sentry.body.to_string().len();
    assert!(size < 5 * 1024 * 1024, "Sentry body of {size} bytes");
    let messages: Vec<String> = sentry.body["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap_or("").to_string())
        .collect();
    // Never print the 2 MB message in a failure.
    let short: Vec<String> = messages
        .iter()
        .map(|m| m.chars().take(80).collect())
        .collect();
    assert_eq!(messages.len(), 4, "{short:?}");
    assert!(
        messages.iter().any(|m| m.contains("café crème brûlée")),
        "Latin-1 decoded: {short:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("broken")),
        "invalid UTF-8 kept (lossily): {short:?}"
    );
    let longest = messages.iter().map(|m| m.chars().count()).max().unwrap();
    assert!(
        longest <= 65_537,
        "a commit message of {longest} characters sent whole"
    );
    let notes = s.github.releases[0]["body"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        notes.len() <= 125_000,
        "GitHub notes of {} bytes",
        notes.len()
    );
    // Workflow commands in a commit message are data in the notes, not commands.
    assert!(
        !notes.lines().any(|l| l.starts_with("::error::")),
        "{notes}"
    );
}

// ------------------------------------------------------------ dora report: hostile data

/// Tag names with markup and CSV metacharacters, incident ids with
/// `<script>` and terminal escapes, commit messages with escapes and
/// workflow commands, an environment name with markup: all valid data. The
/// report succeeds in every format, HTML and Markdown escape it, CSV quotes
/// it, and no terminal escape or workflow command gets through.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_dora_data_is_escaped() {
    let w = World::new().await;
    let tags = [
        "v2<script>alert(1)</script>",
        "v3,\"x\"|y",
        "v4<img_src=x_onerror=alert(1)>",
    ];
    for (i, tag) in tags.iter().enumerate() {
        w.repo.commit(
            &format!("h{i}.txt"),
            "x\n",
            &format!("fix: \u{1b}[31mred\u{1b}[0m <script>c{i}</script>\n\n::error::injected{i}"),
        );
        w.repo.tag(tag);
    }
    let t = |secs: i64| {
        chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0)
            .unwrap()
            .to_rfc3339()
    };
    let incidents = w.dir.path().join("incidents.json");
    std::fs::write(
        &incidents,
        serde_json::json!([
            {"id": "<script>alert(\"inc\")</script>", "created_at": t(400), "resolved_at": t(900)},
            {"id": "\u{1b}]8;;https://evil.example\u{7}click\u{1b}[31m", "created_at": t(410), "resolved_at": null},
            {"id": "=HYPERLINK(\"https://evil.example\")", "created_at": t(420), "resolved_at": t(430)},
        ])
        .to_string(),
    )
    .unwrap();
    let env = "<script>alert(2)</script>,eu";
    let mut set = tokio::task::JoinSet::new();
    for format in ["text", "json", "markdown", "html", "csv", "ndjson"] {
        let compare = if matches!(format, "csv" | "ndjson") {
            vec![]
        } else {
            vec!["--compare-previous"]
        };
        let mut cmd = w.cmd();
        for (k, v) in w.actions_env() {
            cmd.env(k, v);
        }
        cmd.env(
            "GITHUB_STEP_SUMMARY",
            w.dir.path().join(format!("summary-{format}")),
        );
        cmd.args(["dora", "report", "--source", "git", "--tag-pattern", "v*"])
            .args(["--since", "2023-11-14", "--until", "2023-11-16"])
            .args(["--environment", env, "--format", format])
            .args(compare)
            .arg("--incidents")
            .arg(&incidents);
        set.spawn_blocking(move || (format, cmd.output().unwrap()));
    }
    let mut failures = vec![];
    while let Some(r) = set.join_next().await {
        let (format, out) = r.unwrap();
        let stdout = support::stdout(&out);
        let stderr = support::stderr(&out);
        let summary = support::read(&w.dir.path().join(format!("summary-{format}")));
        let mut problems = vec![];
        if !out.status.success() {
            problems.push(format!("exit {:?}", out.status.code()));
        }
        for (where_, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("summary", &summary),
        ] {
            if text.contains('\u{1b}') || text.contains('\u{7}') {
                problems.push(format!("a terminal escape in {where_}"));
            }
            if text.lines().any(|l| l.starts_with("::error::")) {
                problems.push(format!("a workflow command in {where_}"));
            }
        }
        let lower = stdout.to_lowercase();
        match format {
            "html" => {
                for raw in ["<script", "<img"] {
                    if lower.contains(raw) {
                        problems.push(format!("raw {raw} in the HTML"));
                    }
                }
                if !stdout.contains("v2&lt;script&gt;alert(1)&lt;/script&gt;") {
                    problems.push("the tag is not in the HTML, escaped".into());
                }
                if !stdout.contains("&lt;script&gt;alert(2)&lt;/script&gt;") {
                    problems.push("the environment is not escaped in the HTML".into());
                }
            }
            "markdown" => {
                for text in [&stdout, &summary] {
                    // Escaped as `\<`: never a bare `<` (markup) in the table.
                    let bare = text
                        .char_indices()
                        .any(|(i, c)| c == '<' && !text[..i].ends_with('\\'));
                    if bare {
                        problems.push("raw markup in the Markdown".into());
                    }
                }
                if !stdout.contains("\\<script\\>") {
                    problems.push("the environment is not escaped in the Markdown".into());
                }
                if summary.is_empty() {
                    problems.push("nothing in the step summary".into());
                }
            }
            "csv" => {
                let rows: Vec<&str> = stdout
                    .lines()
                    .filter(|l| !l.starts_with("::add-mask::"))
                    .skip(1)
                    .collect();
                if rows.len() < 3 {
                    problems.push(format!("{} CSV rows, expected the tags", rows.len()));
                }
                for row in &rows {
                    if !row.starts_with("acme/web,\"<script>alert(2)</script>,eu\",") {
                        problems.push(format!("environment not quoted: {row}"));
                    }
                }
                if !rows.iter().any(|r| r.contains(",\"v3,\"\"x\"\"|y\",")) {
                    problems.push("the tag with a comma and quotes is not quoted".into());
                }
            }
            // In Actions the ::add-mask:: lines come first on stdout.
            "json" => match serde_json::from_str::<serde_json::Value>(
                &stdout
                    .lines()
                    .filter(|l| !l.starts_with("::add-mask::"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ) {
                Ok(v) => {
                    let ids: Vec<&str> = v["deployments"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d["id"].as_str())
                        .collect();
                    if !ids.contains(&"v2<script>alert(1)</script>") {
                        problems.push(format!("JSON keeps data as it is: ids {ids:?}"));
                    }
                }
                Err(e) => problems.push(format!("not JSON: {e}")),
            },
            _ => {}
        }
        if stderr.contains("panicked") {
            problems.push("panic".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[{format}] {}\n--- stdout:\n{stdout}--- stderr:\n{stderr}",
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// GitHub's answers are data too: a node id with terminal escapes loses
/// them, a `commitOid` that is not a commit is counted as unreadable, and
/// neither reaches the CSV or the terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_github_data_is_not_printed_raw() {
    let w = World::new().await;
    w.seed_dora();
    {
        let at = (chrono::Utc::now() - chrono::Duration::days(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut s = w.state();
        for (id, sha) in [
            (
                "DE_\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}x",
                w.head.as_str(),
            ),
            ("DE_2", "\u{1b}[31mdeadbeef"),
        ] {
            s.github.gql_deployments.insert(
                0,
                serde_json::json!({
                    "id": id, "databaseId": null, "createdAt": at, "commitOid": sha,
                    "statuses": {"totalCount": 1, "nodes": [{"state": "SUCCESS", "createdAt": at}]},
                }),
            );
        }
    }
    let mut cmd = w.cmd();
    cmd.args(["dora", "report", "--source", "github", "--format", "csv"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = support::stdout(&out);
    let stderr = support::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stderr.contains('\u{1b}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("DE_[2J]8;;https://evil.example"),
        "{stdout}"
    );
    assert!(!stdout.contains("deadbeef"), "{stdout}");
}
