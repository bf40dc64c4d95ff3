//! ONE loopback fake per remote API — GitHub (REST + GraphQL), Sentry, Slack
//! (Web API + incoming webhooks), Discord (webhooks) — served together by one
//! wiremock server, stateful, validating everything it receives against the
//! contracts, with declarative fault injection and a request log.
//!
//! Use it from a test file with
//! ```ignore
//! mod common;   // git repositories, the obsctl binary, contract validation
//! mod support;  // the fakes (uses `crate::common`)
//! let fake = support::Fake::start().await;          // or support::World::new()
//! cmd.env("GITHUB_API_URL", fake.uri());           // see Fake::env_* helpers
//! ```
//!
//! # Layout
//! - `mod.rs` (this file): the request pipeline, [`Route`], [`State`],
//!   [`Fake`] (the running server); re-exports.
//! - `faults.rs`: [`At`], [`Act`], [`Rule`] — declarative faults.
//! - `world.rs`: [`World`] — a fake plus a git repository with two tags and
//!   the `obsctl` command wired to it (faults, secrets, bad input).
//! - `contract.rs`: JSON-schema validation (compiled via `tests/common`).
//! - `github/mod.rs` (+ `github/<area>.rs`), `sentry/mod.rs`
//!   (+ `sentry/<area>.rs`), `slack.rs`, `discord.rs`: one file per API or
//!   per area: its routes, its records, its checks.
//!
//! # What one request goes through
//! 1. It is logged ([`State::seen`], a [`Seen`] with method, path, query,
//!    JSON body, raw body, arrival time, the route's name).
//! 2. It is matched to a [`Route`] (method + path pattern). Unknown
//!    endpoints answer 404 and are listed in [`State::unrouted`].
//! 3. It is validated: the route's contract (`contract("github/x.json",
//!    "request")`: the body against `$defs/request`; `query_contract(file)`:
//!    the query against the operation's parameters) and its extra check
//!    (`check(fn)`: Block Kit, Discord limits, GraphQL against GitHub's full
//!    schema, ...). Every problem goes to [`State::violations`] and the fake
//!    answers as the service would (GitHub 422, Sentry 400, Slack `ok:false
//!    invalid_blocks`, Discord 400 50035). When the [`Fake`] is dropped at
//!    the end of the test, any violation fails the test — also when obsctl
//!    treated the answer as a mere warning. A test that sends invalid
//!    bodies on purpose reads and clears them with [`Fake::take_violations`].
//! 4. Faults: the first [`Rule`] whose [`At`] matches (and whose `after` /
//!    `times` allow) decides the answer instead ([`Act`]).
//! 5. Auth: each API checks its credential (GitHub and Sentry `Bearer`
//!    tokens, the Slack bot token, the Discord webhook id/token in the URL)
//!    and answers 401 / `invalid_auth` / 10015 as the service does.
//! 6. The route's handler answers from and updates [`State`]; with
//!    [`checked_reply`] its answer is checked against the contract's
//!    `response_200` too (a fake answering off-contract is a violation).
//!
//! # How to add an endpoint (one file, one line)
//! 1. Create `tests/support/<api>/<area>.rs` (e.g. `sentry/detectors.rs`)
//!    with `pub fn routes() -> Vec<Route>`:
//!    ```ignore
//!    use super::super::{Call, Route, State, json_reply};
//!    /// Records of this area: any `Default + Send` type, kept in the state.
//!    #[derive(Default)]
//!    pub struct Detectors { pub list: Vec<serde_json::Value> }
//!    pub fn routes() -> Vec<Route> {
//!        vec![Route::new("sentry.create_detector", "POST",
//!                "/api/0/projects/{org}/{project}/detectors/", create)
//!            .contract("sentry/create-project-detector.json", "request")]
//!    }
//!    fn create(s: &mut State, c: &Call) -> wiremock::ResponseTemplate {
//!        let id = s.id();
//!        s.area::<Detectors>().list.push(c.body.clone());
//!        json_reply(201, serde_json::json!({"id": id.to_string()}))
//!    }
//!    ```
//!    The API of a route comes from its path ([`Api::of`]); path patterns
//!    match segment by segment, `{name}` binds one (percent-decoded) segment
//!    ([`Call::param`]), a final `{*rest}` binds the rest; a trailing `/`
//!    is significant (Sentry's paths end with one).
//! 2. Add `pub mod <area>;` and `routes.extend(<area>::routes());` to the
//!    API's `routes()` in `<api>/mod.rs`.
//! 3. Tests seed and read the records with `fake.state().area::<T>()`, and
//!    aim faults at the route by name: `once(At::Route("sentry.create_detector"),
//!    Act::status(500, json!({})))`.
//!
//! Routes are tried in order; the first whose method and pattern match wins.
#![allow(dead_code, unused_imports)]

pub mod discord;
pub mod faults;
pub mod github;
pub mod sentry;
pub mod slack;
pub mod slack_conversations;
pub mod world;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use crate::common::contract;
pub use faults::{Act, At, HANG, Rule, always, once};
pub use world::{Cmd, DORA_DEPLOYMENTS, DORA_FAILED, DORA_TOTAL, Dest, World};

pub const GH_TOKEN: &str = "sekrit-gh-token-0123456789";
pub const SENTRY_TOKEN: &str = "sekrit-sentry-token-0123456789";
pub const SLACK_TOKEN: &str = "xoxb-test-4242-sEkRiTsLaCkToKeN";
pub const HOOK_SECRET: &str = "HoOkSeCrEt0123456789abcd";
pub const DISCORD_ID: &str = "112233445566778899";
pub const DISCORD_SECRET: &str = "dIsCoRdSeCrEt_0123456789-abcdef";
/// The key of a DSN in the environment (obsctl never needs it, but must not print it).
pub const DSN_KEY: &str = "f00dfacecafebeef0123456789abcdef";
/// The one repository the GitHub fake knows (`GITHUB_REPOSITORY`).
pub const GH_OWNER: &str = "acme";
pub const GH_REPO: &str = "web";
/// The one Sentry organization the fake knows (`SENTRY_ORG`).
pub const SENTRY_ORG: &str = "acme";

/// Which API a request is for, from its path (all share one server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// `/repos/...`, `/graphql`, `/rate_limit`, anything not below.
    GitHub,
    /// `/api/0/...` and the envelope endpoint `/api/{project_id}/envelope/`.
    Sentry,
    /// The Slack Web API: `/api/<family>.<method>` (`SLACK_API_URL` = `{uri}/api`).
    Slack,
    /// Slack incoming webhooks: `/services/...`, `/hooks/...`.
    SlackWebhook,
    /// Discord webhooks: `/api/webhooks/{id}/{token}[/messages/{id}]`.
    Discord,
}

impl Api {
    pub fn of(path: &str) -> Api {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segs.as_slice() {
            ["api", "webhooks", ..] => Api::Discord,
            ["api", "0", ..] => Api::Sentry,
            ["api", id, "envelope" | "store", ..] if id.chars().all(|c| c.is_ascii_digit()) => {
                Api::Sentry
            }
            ["api", m] if m.contains('.') => Api::Slack,
            ["services" | "hooks", ..] => Api::SlackWebhook,
            _ => Api::GitHub,
        }
    }

    /// The answer of this service to a body that breaks its contract.
    fn reject(self, problems: &[String]) -> ResponseTemplate {
        match self {
            Api::GitHub => json_reply(
                422,
                json!({"message": "Invalid request.", "errors": problems,
                       "documentation_url": "https://docs.github.com/rest", "status": "422"}),
            ),
            Api::Sentry => json_reply(400, json!({"detail": problems.join("; ")})),
            Api::Slack => json_reply(
                200,
                json!({"ok": false, "error": slack_code(problems), "errors": problems}),
            ),
            Api::SlackWebhook => ResponseTemplate::new(400).set_body_string(slack_code(problems)),
            Api::Discord => json_reply(
                400,
                json!({"code": 50035, "message": "Invalid Form Body", "errors": problems}),
            ),
        }
    }
}

/// Slack's error code for a rejected message.
fn slack_code(problems: &[String]) -> &'static str {
    if problems.iter().any(|p| p.starts_with("no_text")) {
        "no_text"
    } else {
        "invalid_blocks"
    }
}

/// A JSON answer.
pub fn json_reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A JSON 200 answer that must itself satisfy `$defs/response_200` of a
/// contract file: a fake answering off-contract would test nothing, so a
/// mismatch is recorded as a violation (failing the test) naming the fake.
pub fn checked_reply(s: &mut State, file: &str, body: Value) -> ResponseTemplate {
    check_answer(s, file, &body);
    json_reply(200, body)
}

/// Check a 200 answer of the fake against `$defs/response_200` of a contract file.
pub fn check_answer(s: &mut State, file: &str, body: &Value) {
    for e in contract::errors(file, Some("response_200"), body) {
        s.violations
            .push(format!("the fake's own answer breaks {e}"));
    }
}

/// Now, as the APIs write it (RFC 3339, seconds, `Z`).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Percent-decoding of one path segment or query value.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query parameters (a repeated one keeps its last value: see `pairs`).
    pub query: HashMap<String, String>,
    /// The query parameters in order, repeated ones included (`field`, `project`).
    pub pairs: Vec<(String, String)>,
    /// The body as JSON (`Null` when it is not JSON: see `raw`).
    pub body: Value,
    pub raw: Vec<u8>,
    /// The `Authorization` header, if any.
    pub auth: Option<String>,
    pub api: Api,
    /// The name of the route that matched (`None`: unknown endpoint).
    pub route: Option<&'static str>,
    /// When it arrived (its answer leaves [`State::delay`] later).
    pub at: Instant,
}

/// What a handler sees of a request.
pub struct Call {
    pub method: String,
    pub path: String,
    /// Path parameters by pattern name, percent-decoded.
    pub params: HashMap<String, String>,
    pub query: HashMap<String, String>,
    /// Every query parameter in order, repeated ones included (`yAxis`, `field`).
    pub pairs: Vec<(String, String)>,
    pub body: Value,
    pub raw: Vec<u8>,
    pub auth: Option<String>,
    /// Every header, names in lower case.
    pub headers: HashMap<String, String>,
    /// The fake's own origin (`http://127.0.0.1:PORT`), for the absolute
    /// URLs an API puts in its answers (`Link` headers).
    pub base: String,
}

impl Call {
    /// A path parameter (panics if the pattern has no such name).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .unwrap_or_else(|| panic!("route has no {{{name}}}"))
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// Every value of a repeated query parameter, in order.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        values(&self.pairs, name)
    }

    /// A header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Every value of a query parameter, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        values(&self.pairs, name)
    }
}

impl Seen {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.all(name).first().copied()
    }

    /// Every value of a query parameter, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        values(&self.pairs, name)
    }
}

fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

pub type Handler = fn(&mut State, &Call) -> ResponseTemplate;
pub type Check = fn(&State, &Call) -> Vec<String>;

/// One endpoint of one API.
#[derive(Clone)]
pub struct Route {
    /// `<api>.<operation>`, e.g. `github.create_release`: what faults aim at.
    pub name: &'static str,
    pub method: &'static str,
    /// `/repos/{owner}/{repo}/releases/tags/{tag}`; `{*rest}` last matches the rest.
    pub path: &'static str,
    /// `(file, $defs name)` the request body must satisfy.
    pub contracts: Vec<(&'static str, Option<&'static str>)>,
    /// Contract files whose `x-operation.parameters` the query must satisfy.
    pub query_contracts: Vec<&'static str>,
    /// Extra checks of what the service enforces beyond the schema.
    pub checks: Vec<Check>,
    pub handle: Handler,
}

impl Route {
    pub fn new(
        name: &'static str,
        method: &'static str,
        path: &'static str,
        handle: Handler,
    ) -> Route {
        Route {
            name,
            method,
            path,
            contracts: vec![],
            query_contracts: vec![],
            checks: vec![],
            handle,
        }
    }

    /// The body must satisfy `$defs/<def>` of this contract file.
    pub fn contract(mut self, file: &'static str, def: &'static str) -> Route {
        self.contracts.push((file, Some(def)));
        self
    }

    /// The body must satisfy this contract file's root schema.
    pub fn contract_root(mut self, file: &'static str) -> Route {
        self.contracts.push((file, None));
        self
    }

    /// The query must satisfy this contract file's query parameters
    /// ([`contract::query_errors`]: known names, types, enums, required ones).
    pub fn query_contract(mut self, file: &'static str) -> Route {
        self.query_contracts.push(file);
        self
    }

    pub fn check(mut self, f: Check) -> Route {
        self.checks.push(f);
        self
    }

    /// The path parameters, when `method` and `path` match this route.
    pub fn matches(&self, method: &str, path: &str) -> Option<HashMap<String, String>> {
        if self.method != method {
            return None;
        }
        let pat: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        let got: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut params = HashMap::new();
        for (i, p) in pat.iter().enumerate() {
            if let Some(name) = p.strip_prefix("{*").and_then(|p| p.strip_suffix('}')) {
                if i >= got.len() {
                    return None;
                }
                params.insert(name.to_string(), got[i..].join("/"));
                return Some(params);
            }
            let g = got.get(i)?;
            match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    if g.is_empty() {
                        return None;
                    }
                    params.insert(name.to_string(), decode(g));
                }
                None if p == g => {}
                None => return None,
            }
        }
        (pat.len() == got.len()).then_some(params)
    }
}

/// Parse GitHub's GraphQL schema and compile every route's contract, once
/// per test binary: slow in a debug build, so not while a request waits
/// (an answer past `OBSCTL_TIMEOUT` would be a fault nobody declared).
fn warm_up() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        github::graphql::schema();
        let r = all_routes();
        for r in &r {
            for (file, def) in &r.contracts {
                contract::errors(file, *def, &Value::Null);
            }
        }
        for file in r.iter().flat_map(|r| r.query_contracts.clone()) {
            contract::query_errors(file, &[]);
        }
        sentry::warm_up();
        contract::errors("slack/block-kit-message.json", None, &Value::Null);
        slack::web_api_problems(&Value::Null, "chat.postMessage");
        slack::web_api_problems(&Value::Null, "chat.update");
        slack::webhook_problems(&Value::Null);
        discord::problems(&Value::Null, false);
        discord::problems(&Value::Null, true);
    });
}

/// Every route of every API, in matching order.
pub fn all_routes() -> Vec<Route> {
    let mut r = discord::routes(); // before Sentry/Slack: /api/webhooks/...
    r.extend(github::routes());
    r.extend(sentry::routes());
    r.extend(slack::routes());
    r.extend(slack_conversations::routes());
    r
}

/// Everything the fake keeps. Per API its records (`github`, `sentry`,
/// `slack`, `discord`); areas added later keep theirs in their own type
/// through [`State::area`].
#[derive(Default)]
pub struct State {
    /// Every request, in order of arrival.
    pub seen: Vec<Seen>,
    /// Requests to endpoints the fake does not know (`METHOD path`).
    pub unrouted: Vec<String>,
    /// Contract violations of what obsctl sent (fail the test on drop).
    pub violations: Vec<String>,
    pub rules: Vec<Rule>,
    /// Latency added to every answer.
    pub delay: Option<Duration>,
    next_id: u64,
    pub github: github::Records,
    pub sentry: sentry::Records,
    pub slack: slack::Records,
    pub discord: discord::Records,
    areas: HashMap<TypeId, Box<dyn Any + Send>>,
}

impl State {
    /// A fresh id, unique in this fake.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The records of an area (created on first use).
    pub fn area<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.areas
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut::<T>()
            .expect("area type")
    }

    /// Requests that could have written something (anything but GET and
    /// GraphQL queries, which only read).
    pub fn writes(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|s| s.method != "GET" && !github::is_graphql_query(s))
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    /// How many requests with this method matched `at`.
    pub fn count(&self, method: &str, at: At) -> usize {
        self.seen
            .iter()
            .filter(|s| s.method == method && at.matches(s))
            .count()
    }

    /// How many requests went to `api` (refused ones included).
    pub fn count_api(&self, api: Api) -> usize {
        self.seen.iter().filter(|s| s.api == api).count()
    }

    /// The requests that matched `at`.
    pub fn requests(&self, at: At) -> Vec<Seen> {
        self.seen
            .iter()
            .filter(|s| at.matches(s))
            .cloned()
            .collect()
    }

    pub fn sentry_deploy_count(&self) -> usize {
        self.sentry.deploys.values().map(Vec::len).sum()
    }

    pub fn statuses_count(&self) -> usize {
        self.github.statuses.values().map(Vec::len).sum()
    }
}

/// The wiremock responder: the pipeline described at the top.
struct Responder {
    state: Arc<Mutex<State>>,
    routes: Arc<Vec<Route>>,
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.state.lock().unwrap();
        let answer = self.answer(&mut s, req);
        match s.delay {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

impl Responder {
    fn answer(&self, s: &mut State, req: &Request) -> ResponseTemplate {
        let method = req.method.to_string();
        let path = req.url.path().to_string();
        let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
        let query: HashMap<String, String> = pairs.iter().cloned().collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let api = Api::of(&path);
        let found = self
            .routes
            .iter()
            .find_map(|r| r.matches(&method, &path).map(|p| (r, p)));
        let seen = Seen {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            pairs: pairs.clone(),
            body: body.clone(),
            raw: req.body.clone(),
            auth: auth.clone(),
            api,
            route: found.as_ref().map(|(r, _)| r.name),
            at: Instant::now(),
        };
        s.seen.push(seen.clone());
        let call = Call {
            method: method.clone(),
            path: path.clone(),
            params: found.as_ref().map(|(_, p)| p.clone()).unwrap_or_default(),
            query,
            pairs,
            body,
            raw: req.body.clone(),
            auth,
            headers: req
                .headers
                .iter()
                .filter_map(|(k, v)| {
                    Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.into()))
                })
                .collect(),
            // wiremock's `req.url` is always `http://localhost/...`: the
            // Host header has the port.
            base: req
                .headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .map(|h| format!("http://{h}"))
                .unwrap_or_else(|| req.url.origin().ascii_serialization()),
        };
        // Validation: what obsctl sent, whatever the fake answers.
        let mut problems = Vec::new();
        if let Some((route, _)) = &found {
            for (file, def) in &route.contracts {
                problems.extend(contract::errors(file, *def, &call.body));
            }
            for file in &route.query_contracts {
                problems.extend(contract::query_errors(file, &call.pairs));
            }
            for check in &route.checks {
                problems.extend(check(s, &call));
            }
            for p in &problems {
                s.violations
                    .push(format!("{} {} ({}): {p}", method, path, route.name));
            }
        }
        // Faults.
        let mut act = None;
        for r in s.rules.iter_mut() {
            if r.times == 0 || !r.at.matches(&seen) {
                continue;
            }
            if r.after > 0 {
                r.after -= 1;
                continue;
            }
            r.times = r.times.saturating_sub(1);
            act = Some(r.act.clone());
            break;
        }
        let normal = |s: &mut State| -> ResponseTemplate {
            if let Some(denied) = auth_problem(api, &call) {
                return denied;
            }
            if !problems.is_empty() {
                return api.reject(&problems);
            }
            match &found {
                Some((route, _)) => (route.handle)(s, &call),
                None => {
                    s.unrouted.push(format!("{method} {path}"));
                    json_reply(
                        404,
                        json!({"message": "Not Found", "detail": format!("no route in the fake for {method} {path}")}),
                    )
                }
            }
        };
        match act {
            None => normal(s),
            Some(act) => faults::apply(act, s, req, &path, normal),
        }
    }
}

/// The service's answer to a missing or wrong credential.
fn auth_problem(api: Api, c: &Call) -> Option<ResponseTemplate> {
    let bearer = |t: &str| c.auth.as_deref() == Some(format!("Bearer {t}").as_str());
    match api {
        Api::GitHub if !bearer(GH_TOKEN) => Some(json_reply(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        )),
        Api::Sentry if c.path.starts_with("/api/0/") && !bearer(SENTRY_TOKEN) => {
            Some(json_reply(401, json!({"detail": "Invalid token"})))
        }
        Api::Slack if c.auth.is_none() => {
            Some(json_reply(200, json!({"ok": false, "error": "not_authed"})))
        }
        Api::Slack if !bearer(SLACK_TOKEN) => Some(json_reply(
            200,
            json!({"ok": false, "error": "invalid_auth"}),
        )),
        Api::Discord => {
            let segs: Vec<&str> = c.path.trim_start_matches('/').split('/').collect();
            if segs.get(2) != Some(&DISCORD_ID) {
                Some(json_reply(
                    404,
                    json!({"code": 10015, "message": "Unknown Webhook"}),
                ))
            } else if segs.get(3) != Some(&DISCORD_SECRET) {
                Some(json_reply(
                    401,
                    json!({"code": 50027, "message": "Invalid Webhook Token"}),
                ))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A running fake of every API. Dropping it fails the test if obsctl sent
/// anything that breaks a contract (see [`Fake::take_violations`]).
pub struct Fake {
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start() -> Fake {
        // GitHub's GraphQL schema takes a while to parse in a debug build:
        // once per test binary, before any request waits on it.
        let _ = tokio::task::spawn_blocking(warm_up).await;
        let server = MockServer::start().await;
        let state: Arc<Mutex<State>> = Arc::default();
        Mock::given(any())
            .respond_with(Responder {
                state: state.clone(),
                routes: Arc::new(all_routes()),
            })
            .mount(&server)
            .await;
        Fake { server, state }
    }

    /// `http://127.0.0.1:PORT`: GitHub's and Sentry's API base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the fault rules.
    pub fn rules(&self, rules: Vec<Rule>) {
        self.state().rules = rules;
    }

    /// The violations so far, cleared (for tests that send bad bodies on purpose).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.state().violations)
    }

    /// `SLACK_API_URL`.
    pub fn slack_api_url(&self) -> String {
        format!("{}/api", self.uri())
    }

    /// A Slack incoming webhook URL (`SLACK_WEBHOOK_URL`); the last segment
    /// tells webhooks apart (the secret part of a real one).
    pub fn slack_hook_url(&self, secret: &str) -> String {
        format!("{}/services/T000/B000/{secret}", self.uri())
    }

    /// `DISCORD_WEBHOOK_URL`.
    pub fn discord_url(&self) -> String {
        format!("{}/api/webhooks/{DISCORD_ID}/{DISCORD_SECRET}", self.uri())
    }

    /// GitHub pointed at the fake: `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`.
    pub fn github_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_TOKEN", GH_TOKEN.into()),
            ("GITHUB_REPOSITORY", format!("{GH_OWNER}/{GH_REPO}")),
            ("GITHUB_API_URL", self.uri()),
        ]
    }

    /// Sentry pointed at the fake (project `web`).
    pub fn sentry_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SENTRY_AUTH_TOKEN", SENTRY_TOKEN.into()),
            ("SENTRY_ORG", SENTRY_ORG.into()),
            ("SENTRY_PROJECT", "web".into()),
            ("SENTRY_URL", self.uri()),
        ]
    }

    /// The Slack bot pointed at the fake.
    pub fn slack_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SLACK_BOT_TOKEN", SLACK_TOKEN.into()),
            ("SLACK_API_URL", self.slack_api_url()),
        ]
    }
}

impl Fake {
    /// Panics listing every contract violation so far (what `drop` does).
    pub fn assert_no_violations(&self) {
        let v = self.take_violations();
        assert!(
            v.is_empty(),
            "obsctl sent {} request(s) that break the contracts:\n{}",
            v.len(),
            v.join("\n")
        );
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_no_violations();
        }
    }
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A port nobody listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
