//! The fake of `tests/support/` itself: routing, records kept per area,
//! fault rules, authentication, and that a body breaking a contract fails
//! the test (a fake that accepted anything could not catch a bug).
mod common;
mod support;

use serde_json::{Value, json};
use support::{Act, Api, At, Fake, GH_TOKEN, Route, SENTRY_TOKEN, always, once};

async fn post(url: String, token: &str, body: Value) -> (u16, Value) {
    obsctl::install_crypto_provider();
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[test]
fn routes_match_segments_and_decode_parameters() {
    let routes = support::all_routes();
    let find = |method: &str, path: &str| {
        routes
            .iter()
            .find_map(|r| r.matches(method, path).map(|p| (r.name, p)))
    };
    let (name, p) = find("PUT", "/api/0/organizations/acme/releases/v1.0%2Bbuild/").unwrap();
    assert_eq!(name, "sentry.update_release");
    assert_eq!(p["version"], "v1.0+build");
    // The trailing slash is significant, as on Sentry.
    assert!(find("PUT", "/api/0/organizations/acme/releases/v1").is_none());
    let (name, p) = find("POST", "/services/T000/B000/XYZ").unwrap();
    assert_eq!(
        (name, p["hook"].as_str()),
        ("slack.webhook", "T000/B000/XYZ")
    );
    assert_eq!(
        find("PATCH", "/api/webhooks/1/t/messages/9").unwrap().0,
        "discord.edit"
    );
    assert!(find("DELETE", "/repos/acme/web/releases/1").is_none());
    assert_eq!(Api::of("/api/0/organizations/acme/"), Api::Sentry);
    assert_eq!(Api::of("/api/42/envelope/"), Api::Sentry);
    assert_eq!(Api::of("/api/chat.postMessage"), Api::Slack);
    assert_eq!(Api::of("/api/webhooks/1/t"), Api::Discord);
    assert_eq!(Api::of("/graphql"), Api::GitHub);
    // Every route name is `<api>.<operation>`.
    for r in &routes {
        assert!(r.name.split_once('.').is_some(), "{}", r.name);
    }
    let _: fn(&'static str, &'static str, &'static str, support::Handler) -> Route = Route::new;
}

#[tokio::test(flavor = "multi_thread")]
async fn records_auth_faults_and_unknown_endpoints() {
    let fake = Fake::start().await;
    let releases = format!("{}/api/0/organizations/acme/releases/", fake.uri());
    let body = json!({"version": "v1", "projects": ["web"]});
    // Wrong token: 401, nothing recorded.
    let (status, _) = post(releases.clone(), "nope", body.clone()).await;
    assert_eq!(status, 401);
    assert!(fake.state().sentry.releases.is_empty());
    // Created, then 208 for the same version.
    assert_eq!(
        post(releases.clone(), SENTRY_TOKEN, body.clone()).await.0,
        201
    );
    assert_eq!(
        post(releases.clone(), SENTRY_TOKEN, body.clone()).await.0,
        208
    );
    // A fault once, after one pass.
    fake.rules(vec![
        once(
            At::Route("sentry.create_release"),
            Act::status(503, json!({})),
        )
        .after(1),
    ]);
    assert_eq!(
        post(releases.clone(), SENTRY_TOKEN, body.clone()).await.0,
        208
    );
    assert_eq!(
        post(releases.clone(), SENTRY_TOKEN, body.clone()).await.0,
        503
    );
    assert_eq!(
        post(releases.clone(), SENTRY_TOKEN, body.clone()).await.0,
        208
    );
    fake.rules(vec![always(
        At::Api(Api::GitHub),
        Act::status(500, json!({})),
    )]);
    let gh = format!("{}/repos/acme/web/deployments", fake.uri());
    let deployment = json!({"ref": "main", "environment": "production"});
    assert_eq!(post(gh.clone(), GH_TOKEN, deployment.clone()).await.0, 500);
    fake.rules(vec![]);
    assert_eq!(post(gh, GH_TOKEN, deployment).await.0, 201);
    {
        let s = fake.state();
        assert_eq!(s.github.deployments.len(), 1);
        assert_eq!(s.count("POST", At::Route("sentry.create_release")), 6);
        assert_eq!(s.count_api(Api::GitHub), 2);
    }
    // An unknown endpoint: 404, listed.
    let (status, _) = post(
        format!("{}/repos/acme/web/nope", fake.uri()),
        GH_TOKEN,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(fake.state().unrouted, vec!["POST /repos/acme/web/nope"]);
    // Records of an area added later live in their own type.
    #[derive(Default)]
    struct Detectors(Vec<u32>);
    fake.state().area::<Detectors>().0.push(7);
    assert_eq!(fake.state().area::<Detectors>().0, vec![7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_breaks_a_contract_fails_the_test() {
    if !support::contract::available() {
        return; // said once, on stderr
    }
    let fake = Fake::start().await;
    let releases = format!("{}/api/0/organizations/acme/releases/", fake.uri());
    // `version` must be a string: Sentry answers 400 and records nothing.
    let (status, answer) = post(releases, SENTRY_TOKEN, json!({"version": 5})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(fake.state().sentry.releases.is_empty());
    let violations = fake.state().violations.clone();
    assert!(!violations.is_empty());
    assert!(
        violations
            .iter()
            .all(|v| v.contains("(sentry.create_release)")),
        "{violations:?}"
    );
    // The check run when the fake is dropped panics (fails the test).
    let checked =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fake.assert_no_violations()));
    let message = checked.unwrap_err();
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("break the contracts"), "{message}");
    assert!(message.contains("sentry.create_release"), "{message}");
}

/// A query that breaks the operation's parameters is refused and recorded;
/// so is a release list answer of the fake that broke its own contract.
#[tokio::test(flavor = "multi_thread")]
async fn a_query_that_breaks_a_contract_fails_the_test() {
    if !support::contract::available() {
        return; // said once, on stderr
    }
    let fake = Fake::start().await;
    obsctl::install_crypto_provider();
    let get = |query: &'static str| {
        let url = format!("{}/api/0/organizations/acme/stats_v2/?{query}", fake.uri());
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(SENTRY_TOKEN)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(get("field=sum(quantity)&groupBy=outcome").await, 200);
    assert!(fake.take_violations().is_empty());
    // `groupBy` is required, `category` an enum, `nope` unknown.
    assert_eq!(
        get("field=sum(quantity)&category=martians&nope=1").await,
        400
    );
    let v = fake.take_violations();
    for want in ["groupBy", "martians", "unknown query parameter nope"] {
        assert!(v.iter().any(|p| p.contains(want)), "{want}: {v:?}");
    }
    assert!(v.iter().all(|p| p.contains("(sentry.stats_v2)")), "{v:?}");
    // The fake's own answers are checked too: a release without a version.
    fake.state()
        .sentry
        .releases
        .insert("x".into(), json!({"version": 5, "projects": []}));
    let url = format!("{}/api/0/organizations/acme/releases/", fake.uri());
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(SENTRY_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v = fake.take_violations();
    assert!(
        v.iter()
            .any(|p| p.starts_with("the fake's own answer breaks sentry/list-releases.json")),
        "{v:?}"
    );
}
