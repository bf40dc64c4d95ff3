//! The shared HTTP policy against a loopback server: retries, Retry-After,
//! no blind retry of creates, the retry budget, timeouts, dry-run, redaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use obsctl::http::{Http, HttpError, Policy, Provider, Request};
use obsctl::redact::Redactor;
use obsctl::ui::{Format, Ui};
use reqwest::Url;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const SECRET: &str = "s3cr3t-token-value-123";

fn http(policy: Policy, dry_run: bool) -> Http {
    let ui = Ui::new(
        Format::Text,
        1,
        true,
        false,
        Redactor::new().with_secret("TOKEN", SECRET),
    );
    Http::new(policy, Arc::new(ui), dry_run).unwrap()
}

fn fast_policy() -> Policy {
    Policy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        retry_budget: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        ..Policy::default()
    }
}

fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&format!("{}{p}", server.uri())).unwrap()
}

/// Answers with the given templates in order, then repeats the last one.
struct Sequence {
    answers: Vec<ResponseTemplate>,
    calls: Arc<AtomicUsize>,
}

impl Respond for Sequence {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.answers[n.min(self.answers.len() - 1)].clone()
    }
}

async fn mount_sequence(
    server: &MockServer,
    verb: &str,
    p: &str,
    answers: Vec<ResponseTemplate>,
) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method(verb))
        .and(path(p))
        .respond_with(Sequence {
            answers,
            calls: calls.clone(),
        })
        .mount(server)
        .await;
    calls
}

#[tokio::test]
async fn get_is_retried_after_a_5xx() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "GET",
        "/x",
        vec![
            ResponseTemplate::new(503),
            ResponseTemplate::new(200).set_body_json(json!({"ok": true})),
        ],
    )
    .await;
    let resp = http(fast_policy(), false)
        .send(Request::get(Provider::GitHub, "read x", url(&server, "/x")))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "POST",
        "/msg",
        vec![
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            ResponseTemplate::new(200).set_body_json(json!({"ok": true})),
        ],
    )
    .await;
    let started = Instant::now();
    let resp = http(fast_policy(), false)
        .send(
            Request::post(Provider::Slack, "post message", url(&server, "/msg"))
                .json(&json!({"text": "hi"})),
        )
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    // A 429 means "not processed": safe to repeat even for a create, after the wait.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn discord_retry_after_body_is_honoured() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "POST",
        "/hook",
        vec![
            ResponseTemplate::new(429).set_body_json(
                json!({"message": "rate limited", "retry_after": 0.3, "global": false}),
            ),
            ResponseTemplate::new(200).set_body_json(json!({"id": "1"})),
        ],
    )
    .await;
    let started = Instant::now();
    let resp = http(fast_policy(), false)
        .send(Request::post(
            Provider::Discord,
            "execute webhook",
            url(&server, "/hook"),
        ))
        .await
        .unwrap();
    assert!(resp.is_success());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_create_is_not_blindly_retried_after_a_5xx() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "POST",
        "/deployments",
        vec![ResponseTemplate::new(502)],
    )
    .await;
    let err = http(fast_policy(), false)
        .send(Request::post(
            Provider::GitHub,
            "create deployment",
            url(&server, "/deployments"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Unconfirmed { .. }), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        err.to_string().contains("GitHub: create deployment"),
        "{err}"
    );
}

#[tokio::test]
async fn an_idempotent_post_is_retried() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "POST",
        "/releases/",
        vec![
            ResponseTemplate::new(500),
            ResponseTemplate::new(208).set_body_json(json!({"version": "1"})),
        ],
    )
    .await;
    let resp = http(fast_policy(), false)
        .send(
            Request::post(
                Provider::Sentry,
                "create release",
                url(&server, "/releases/"),
            )
            .idempotent(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 208);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn retrying_stops_at_the_budget() {
    let server = MockServer::start().await;
    let calls = mount_sequence(
        &server,
        "GET",
        "/down",
        vec![ResponseTemplate::new(500).set_body_string("boom")],
    )
    .await;
    let policy = Policy {
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(1),
        retry_budget: Duration::from_millis(700),
        max_attempts: 50,
        ..fast_policy()
    };
    let started = Instant::now();
    let err = http(policy, false)
        .send(Request::get(
            Provider::Sentry,
            "list releases",
            url(&server, "/down"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::GaveUp { .. }), "{err}");
    assert!(err.to_string().contains("retry budget"), "{err}");
    assert!(
        err.to_string().contains("boom"),
        "the last answer is reported: {err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    let n = calls.load(Ordering::SeqCst);
    assert!((2..=5).contains(&n), "{n} attempts");
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_fails_at_once() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "GET",
        "/limited",
        vec![ResponseTemplate::new(429).insert_header("retry-after", "600")],
    )
    .await;
    let started = Instant::now();
    let err = http(fast_policy(), false)
        .send(Request::get(
            Provider::GitHub,
            "list deployments",
            url(&server, "/limited"),
        ))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let msg = err.to_string();
    assert!(
        msg.contains("rate limited") && msg.contains("OBSCTL_RETRY_BUDGET"),
        "{msg}"
    );
}

#[tokio::test]
async fn github_primary_rate_limit_waits_for_reset() {
    let server = MockServer::start().await;
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    let calls = mount_sequence(
        &server,
        "GET",
        "/rl",
        vec![
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
            ResponseTemplate::new(200).set_body_json(json!([])),
        ],
    )
    .await;
    let resp = http(fast_policy(), false)
        .send(Request::get(Provider::GitHub, "list", url(&server, "/rl")))
        .await
        .unwrap();
    assert!(resp.is_success());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn timeouts_are_retried_for_reads_and_unconfirmed_for_creates() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    let get_calls = mount_sequence(
        &server,
        "GET",
        "/slow",
        vec![slow.clone(), ResponseTemplate::new(200)],
    )
    .await;
    let post_calls = mount_sequence(&server, "POST", "/slow", vec![slow]).await;
    let policy = Policy {
        request_timeout: Duration::from_millis(500),
        ..fast_policy()
    };
    let client = http(policy, false);
    let resp = client
        .send(Request::get(
            Provider::Sentry,
            "read",
            url(&server, "/slow"),
        ))
        .await
        .unwrap();
    assert!(resp.is_success());
    assert_eq!(get_calls.load(Ordering::SeqCst), 2);
    let err = client
        .send(Request::post(
            Provider::Slack,
            "post message",
            url(&server, "/slow"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Unconfirmed { .. }), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(post_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_refused_is_reported_without_secrets() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let u = Url::parse(&format!("http://127.0.0.1:{port}/hooks/{SECRET}")).unwrap();
    let policy = Policy {
        retry_budget: Duration::from_millis(100),
        ..fast_policy()
    };
    let err = http(policy, false)
        .send(Request::post(Provider::Slack, "post webhook", u).bearer(SECRET))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("Slack: post webhook"), "{msg}");
    assert!(msg.contains("connection"), "{msg}");
    assert!(!msg.contains(SECRET), "{msg}");
}

#[tokio::test]
async fn dry_run_sends_nothing_and_redacts() {
    let server = MockServer::start().await;
    let calls = mount_sequence(&server, "POST", "/x", vec![ResponseTemplate::new(200)]).await;
    let client = http(fast_policy(), true);
    let resp = client
        .send(
            Request::post(Provider::GitHub, "create", url(&server, "/x"))
                .bearer(SECRET)
                .json(&json!({"note": format!("token {SECRET}")}))
                .dry_run_reply(json!({"id": 7})),
        )
        .await
        .unwrap();
    assert!(resp.dry_run);
    assert_eq!(resp.json::<serde_json::Value>().unwrap()["id"], 7);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let planned = client.planned();
    assert_eq!(planned.len(), 1);
    let shown = planned[0].to_string();
    assert!(shown.contains("POST") && shown.contains("/x"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("<TOKEN>"), "{shown}");
}

#[tokio::test]
async fn user_agent_and_auth_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ua"))
        .and(wiremock::matchers::header(
            "user-agent",
            obsctl::http::USER_AGENT,
        ))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {SECRET}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let resp = http(fast_policy(), false)
        .send(Request::get(Provider::GitHub, "ua", url(&server, "/ua")).bearer(SECRET))
        .await
        .unwrap();
    assert!(resp.is_success());
    assert!(obsctl::http::USER_AGENT.starts_with("obsctl/"));
}

#[tokio::test]
async fn malformed_json_names_the_provider() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "GET",
        "/bad",
        vec![ResponseTemplate::new(200).set_body_string("<html>oops")],
    )
    .await;
    let resp = http(fast_policy(), false)
        .send(Request::get(
            Provider::Sentry,
            "get release",
            url(&server, "/bad"),
        ))
        .await
        .unwrap();
    let err = resp.json::<serde_json::Value>().unwrap_err();
    assert!(err.to_string().starts_with("Sentry: get release"), "{err}");
}
