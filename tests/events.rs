//! `obsctl events test` against the one Sentry fake (client keys, envelope
//! intake, events by id, stats_v2): real HTTP over loopback, envelopes
//! validated against `sentry/envelope.json` and the DSN/auth against
//! `sentry/dsn.json` by the fake.
mod common;
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::sentry::envelope::{parse_envelope, posts as envelope_posts, received};
use support::sentry::events::Indexing;
use support::sentry::forbidden;
use support::sentry::keys::{self, KEY, Keys, OLD_KEY};
use support::sentry::stats::{self, Stats};
use support::{Act, At, Fake, SENTRY_TOKEN as TOKEN, always, contract};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    elapsed: Duration,
}

/// Run obsctl with the fake as Sentry (API and ingestion), in a simulated
/// GitHub Actions job with `$GITHUB_OUTPUT` in a temp file.
async fn run(server: &Fake, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let mut cmd = common::obsctl();
    cmd.current_dir(dir.path())
        .env("SENTRY_AUTH_TOKEN", TOKEN)
        .env("SENTRY_ORG", "acme")
        .env("SENTRY_URL", server.uri())
        .env("GITHUB_OUTPUT", &out)
        .env("OBSCTL_RETRY_BUDGET", "5")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let o = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        outputs: std::fs::read_to_string(&out).unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

fn no_key_anywhere(r: &Run) {
    for (name, text) in [
        ("stdout", &r.stdout),
        ("stderr", &r.stderr),
        ("outputs", &r.outputs),
    ] {
        for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
            for key in [KEY, OLD_KEY] {
                assert!(
                    !line.contains(&key[..12]),
                    "{name} shows the DSN key: {line}"
                );
            }
        }
    }
}

fn no_violations(server: &Fake) {
    server.assert_no_violations();
}

/// Sentry's answer to an envelope over the quota.
fn rate_limited(headers: &[(&str, &str)]) -> Act {
    Act::with_headers(
        429,
        headers,
        json!({"detail": "Sentry dropped data due to a quota or internal rate limit being reached. This will not affect your application."}),
    )
}

/// At most 5 event lookups in any one second.
fn polls_within_rate(server: &Fake) {
    let polls: Vec<Instant> = server
        .state()
        .requests(At::Route("sentry.get_event"))
        .iter()
        .map(|r| r.at)
        .collect();
    for (i, t) in polls.iter().enumerate() {
        let in_window = polls[i..]
            .iter()
            .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 5, "{in_window} polls within one second");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn visible_after_one_and_a_half_seconds_exits_0() {
    let server = Fake::start().await;
    server.state().area::<Indexing>().visible_after = Some(Duration::from_millis(1500));
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--format",
            "json",
            "--release",
            "web@1.2.3",
            "--environment",
            "staging",
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let visible = v["visible_ms"].as_u64().unwrap();
    assert!(visible >= 1500, "{v}");
    assert_eq!(v["within_limit"], true);
    assert_eq!(v["project"], "web");
    assert!(v["ack_ms"].as_u64().unwrap() < visible);
    assert_eq!(v["server_lag_ms"], 35);
    assert!(
        v["url"]
            .as_str()
            .unwrap()
            .ends_with("/organizations/acme/issues/1001/?project=42"),
        "{v}"
    );
    let id = v["event_id"].as_str().unwrap();
    assert!(
        r.outputs.contains(&format!("event_id={id}\n")),
        "{}",
        r.outputs
    );
    assert!(
        r.outputs.contains(&format!("visible_ms={visible}\n")),
        "{}",
        r.outputs
    );
    {
        let received = received(&server);
        assert_eq!(received.len(), 1);
        let p = &received[0].payload;
        assert_eq!(p["message"], format!("obsctl test event {id}"));
        assert_eq!(p["tags"]["obsctl.test"], "true");
        assert_eq!(p["fingerprint"][0], "obsctl-test");
        assert_eq!(p["release"], "web@1.2.3");
        assert_eq!(p["environment"], "staging");
        assert!(received[0].auth.contains(&format!("sentry_key={KEY}")));
    }
    no_violations(&server);
    polls_within_rate(&server);
    no_key_anywhere(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn never_visible_exits_1_after_max_latency_with_the_reason() {
    let server = Fake::start().await;
    {
        let mut s = server.state();
        s.area::<Indexing>().visible_after = None;
        s.area::<Stats>().groups = vec![
            stats::group("accepted", None, 3),
            stats::group("filtered", Some("release-version"), 1),
        ];
    }
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--max-latency",
            "3s",
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.elapsed >= Duration::from_secs(3) && r.elapsed < Duration::from_secs(6),
        "{:?}",
        r.elapsed
    );
    assert!(
        r.stdout.contains("visible: not within 3000 ms"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("not readable within 3 s"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("filtered by inbound filter Releases (release-version)"),
        "{}",
        r.stderr
    );
    assert!(r.outputs.contains("visible_ms=\n"), "{}", r.outputs);
    no_violations(&server);
    polls_within_rate(&server);
    no_key_anywhere(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn never_visible_without_stats_scope_says_so() {
    let server = Fake::start().await;
    server.state().area::<Indexing>().visible_after = None;
    server.rules(vec![always(At::Route("sentry.stats_v2"), forbidden())]);
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--max-latency",
            "1s",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["within_limit"], false);
    assert!(v["visible_ms"].is_null());
    assert!(r.stderr.contains("org:read"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limited_envelope_is_reported_not_retried() {
    let server = Fake::start().await;
    server.rules(vec![always(
        At::Route("sentry.envelope"),
        rate_limited(&[
            ("retry-after", "30"),
            ("x-sentry-rate-limits", "30:error;default:key:key_quota"),
        ]),
    )]);
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &["events", "test", "--project", "web", "--dsn", &dsn],
        &[],
    )
    .await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("HTTP 429"), "{}", r.stderr);
    assert!(r.stderr.contains("Retry-After: 30 s"), "{}", r.stderr);
    assert!(r.stderr.contains("key_quota"), "{}", r.stderr);
    assert_eq!(envelope_posts(&server), 1, "a 429 is reported, not retried");
    assert!(r.elapsed < Duration::from_secs(10));
    no_key_anywhere(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spike_stops_at_the_rate_limit_and_counts_what_was_accepted() {
    let server = Fake::start().await;
    server.rules(vec![
        always(
            At::Route("sentry.envelope"),
            rate_limited(&[("retry-after", "60")]),
        )
        .after(3),
    ]);
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--count",
            "40",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    // The first accepted event becomes visible: exit 0, the report says 3 accepted.
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["accepted"], 3, "{v}");
    let posts = envelope_posts(&server);
    assert!(posts < 40, "kept sending into the limit: {posts} posts");
    assert!(v["reasons"].to_string().contains("held back"), "{v}");
    let runs: std::collections::HashSet<String> = received(&server)
        .iter()
        .map(|e| e.payload["fingerprint"].to_string())
        .collect();
    assert_eq!(runs.len(), 1, "one fingerprint for the spike");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_dsn_key_is_a_clear_error() {
    for (fault, code) in [
        (None, 403),
        (
            Some(Act::status(401, json!({"detail": "Unauthorized"}))),
            401,
        ),
    ] {
        let server = Fake::start().await;
        if let Some(act) = fault {
            server.rules(vec![always(At::Route("sentry.envelope"), act)]);
        }
        let dsn = keys::dsn(&server, OLD_KEY);
        let r = run(
            &server,
            &[
                "events",
                "test",
                "--project",
                "web",
                "--dsn",
                &dsn,
                "--verbose",
            ],
            &[("GITHUB_ACTIONS", "true")],
        )
        .await;
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("rejected the DSN (HTTP {code}")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("Client Keys"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("::add-mask::{OLD_KEY}")),
            "the key is masked: {}",
            r.stderr
        );
        no_key_anywhere(&r);
        assert_eq!(received(&server).len(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dsn_of_another_region_is_a_usage_error_before_sending() {
    let server = Fake::start().await;
    let de = format!("https://{KEY}@o1.ingest.de.sentry.io/42");
    let r = run(
        &server,
        &["events", "test", "--project", "web", "--dsn", &de],
        &[("SENTRY_URL", "https://us.sentry.io")],
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("de region") && r.stderr.contains("us region"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("SENTRY_URL=https://de.sentry.io"),
        "{}",
        r.stderr
    );
    // sentry.io DSN, self-hosted API (the fake): also refused.
    let r = run(
        &server,
        &["events", "test", "--project", "web", "--dsn", &de],
        &[],
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("self-hosted"), "{}", r.stderr);
    assert!(server.state().seen.is_empty());
    no_key_anywhere(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_dsn_the_first_active_key_is_used_and_masked() {
    let server = Fake::start().await;
    let r = run(
        &server,
        &["events", "test", "--project", "web", "--verbose"],
        &[("GITHUB_ACTIONS", "true")],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!("::add-mask::{KEY}")),
        "{}",
        r.stderr
    );
    let received = received(&server);
    assert_eq!(received.len(), 1);
    assert!(
        received[0].auth.contains(&format!("sentry_key={KEY}")),
        "the active key, not the inactive one"
    );
    assert_eq!(
        server.state().count("GET", At::Route("sentry.list_keys")),
        2,
        "the inactive key's page, then the active one's"
    );
    no_key_anywhere(&r);
    no_violations(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_403_names_the_scope() {
    let server = Fake::start().await;
    server.rules(vec![always(At::Route("sentry.list_keys"), forbidden())]);
    let r = run(&server, &["events", "test", "--project", "web"], &[]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("project:read"), "{}", r.stderr);
    assert_eq!(envelope_posts(&server), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dry_run_shows_the_envelope_with_the_key_redacted() {
    let server = Fake::start().await;
    let dsn = keys::dsn(&server, KEY);
    for extra in [&[][..], &["--format", "json"][..]] {
        let mut args = vec![
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--dry-run",
            "--verbose",
        ];
        args.extend_from_slice(extra);
        let r = run(&server, &args, &[]).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("sentry_key=<redacted>"), "{}", r.stdout);
        assert!(r.stdout.contains("obsctl test event"), "{}", r.stdout);
        no_key_anywhere(&r);
    }
    // SENTRY_DSN from the environment, too.
    let r = run(
        &server,
        &["events", "test", "--project", "web", "--dry-run"],
        &[("SENTRY_DSN", &dsn)],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    no_key_anywhere(&r);
    assert!(server.state().seen.is_empty(), "dry run sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_is_exit_2() {
    let server = Fake::start().await;
    let dsn = keys::dsn(&server, KEY);
    for (args, want) in [
        (vec!["--dsn", "not a dsn"], "DSN"),
        (
            vec!["--dsn", &dsn, "--max-latency", "soon"],
            "--max-latency",
        ),
        (vec!["--dsn", &dsn, "--count", "0"], "--count"),
        (vec!["--dsn", &dsn, "--format", "csv"], "text or json"),
        (vec!["--service", "nope"], "no such [[service]]"),
    ] {
        let mut full = vec!["events", "test", "--project", "web"];
        if args[0] == "--service" {
            full = vec!["events", "test"];
        }
        full.extend(args.iter().copied());
        let r = run(&server, &full, &[]).await;
        assert_eq!(r.code, 2, "{full:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{full:?}: {}", r.stderr);
    }
    assert!(server.state().seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn service_from_obsctl_toml_picks_project_and_environment() {
    let server = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("obsctl.toml");
    std::fs::write(&cfg, "[sentry]\norg = \"acme\"\n\n[[service]]\nname = \"website\"\nsentry_project = \"web\"\nenvironment = \"prod-eu\"\n").unwrap();
    let dsn = keys::dsn(&server, KEY);
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--service",
            "website",
            "--dsn",
            &dsn,
            "--format",
            "json",
        ],
        // The org comes from [sentry] org when SENTRY_ORG is unset (blank).
        &[("OBSCTL_CONFIG", cfg.to_str().unwrap()), ("SENTRY_ORG", "")],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["project"], "web");
    assert!(
        v["url"].as_str().unwrap().contains("/organizations/acme/"),
        "{v}"
    );
    let received = received(&server);
    assert_eq!(received[0].payload["environment"], "prod-eu");
    assert_eq!(received[0].payload["tags"]["obsctl.service"], "website");
}

/// The fake's own answers follow the contracts.
#[test]
fn fake_answers_match_the_contracts() {
    if !contract::available() {
        return;
    }
    let mut limited = keys::key_json(KEY, true, "127.0.0.1:9");
    limited["rateLimit"] = json!({"window": 60, "count": 3});
    let keys = json!([keys::key_json(OLD_KEY, false, "127.0.0.1:9"), limited]);
    let file = "sentry/list-project-keys.json";
    assert!(contract::is_valid(file, Some("response_200"), &keys));
    let mut broken = keys.clone();
    broken[0]["isActive"] = json!("yes");
    assert!(!contract::is_valid(file, Some("response_200"), &broken));
}

/// The fake itself must reject what Sentry rejects.
#[test]
fn fake_rejects_bad_envelopes() {
    assert!(
        parse_envelope(b"{}\n{\"type\":\"event\",\"length\":99}\n{\"event_id\":\"x\"}").is_err()
    );
    if !contract::available() {
        return;
    }
    let bad_payload = json!({"event_id": "not-hex", "timestamp": "2026-01-01T00:00:00Z"});
    assert!(!contract::is_valid(
        "sentry/envelope.json",
        Some("eventPayload"),
        &bad_payload
    ));
    assert!(!contract::is_valid(
        "sentry/dsn.json",
        None,
        &json!("https://nokey.example/1")
    ));
    let example =
        std::fs::read(contract::dir().unwrap().join("sentry/envelope-example.txt")).unwrap();
    assert!(parse_envelope(&example).is_ok());
}

/// A server that reflects the key in its error body: the key is still never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reflected_key_is_redacted() {
    let server = Fake::start().await;
    server.rules(vec![always(
        At::Route("sentry.envelope"),
        Act::status(
            403,
            json!({"detail": format!("invalid sentry_key={KEY} for project 42")}),
        ),
    )]);
    let dsn = keys::dsn(&server, KEY);
    for extra in [&["--verbose"][..], &["--format", "json", "--verbose"][..]] {
        let mut args = vec!["events", "test", "--project", "web", "--dsn", &dsn];
        args.extend_from_slice(extra);
        let r = run(&server, &args, &[("GITHUB_ACTIONS", "true")]).await;
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("rejected the DSN"), "{}", r.stderr);
        no_key_anywhere(&r);
    }
}

/// Ingestion unreachable: a clear error naming Sentry, within the retry budget, no key printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unreachable_ingestion_fails_clearly() {
    let server = Fake::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dsn = format!("http://{KEY}@127.0.0.1:{port}/42");
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--dsn",
            &dsn,
            "--count",
            "3",
            "--verbose",
        ],
        &[("OBSCTL_RETRY_BUDGET", "1")],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Sentry: send test event failed: could not connect"),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(15), "{:?}", r.elapsed);
    no_key_anywhere(&r);
}

/// A spike is kept within the client key's own rate limit (read with the key).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spike_stays_within_the_keys_rate_limit() {
    let server = Fake::start().await;
    server.state().area::<Keys>().rate_limit = json!({"window": 60, "count": 3});
    let r = run(
        &server,
        &[
            "events",
            "test",
            "--project",
            "web",
            "--count",
            "10",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("allows 3 events per 60 s"),
        "{}",
        r.stderr
    );
    assert_eq!(envelope_posts(&server), 3);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["accepted"], 3);
    no_violations(&server);
}
