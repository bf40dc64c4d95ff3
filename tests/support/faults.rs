//! Declarative fault injection: a list of [`Rule`]s (`fake.rules(vec![...])`),
//! each saying where ([`At`]), when (`after` n passes, `times`) and what
//! ([`Act`]). The first rule that matches a request decides its answer;
//! validation and the request log happen before, whatever the fault.
//!
//! ```ignore
//! w.rules(vec![
//!     once(At::Route("github.create_deployment"), Act::RecordThenStatus(502)),
//!     always(At::Api(Api::Slack), Act::status(503, json!({}))).after(1),
//! ]);
//! ```

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::{Api, Seen, State, json_reply};

/// How long a hanging answer takes: longer than `OBSCTL_TIMEOUT=1`.
pub const HANG: Duration = Duration::from_secs(4);

/// Which requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// One route, by its name (`github.create_release`, `sentry.create_deploy`,
    /// `slack.post_message`, ...: see the `routes()` of each API).
    Route(&'static str),
    /// Every request to one API (GitHub: REST and GraphQL).
    Api(Api),
    /// A GitHub GraphQL request whose query names this operation
    /// (`ObsctlDoraDeployments`); `At::Route("github.graphql")` is any.
    Graphql(&'static str),
}

impl At {
    pub fn matches(self, s: &Seen) -> bool {
        match self {
            At::Route(name) => s.route == Some(name),
            At::Api(api) => s.api == api,
            At::Graphql(op) => {
                s.route == Some("github.graphql")
                    && s.body["query"].as_str().is_some_and(|q| q.contains(op))
            }
        }
    }
}

/// What the fake does instead of (or besides) answering normally.
#[derive(Clone, Debug)]
pub enum Act {
    /// Answer this, record nothing.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer only after [`HANG`] (past the client's timeout); record nothing.
    Hang,
    /// Answer normally (and record), this much later: a slow service.
    Delay(Duration),
    /// Record the write as usual, then answer only after [`HANG`]: the
    /// response is lost although the record exists.
    RecordThenHang,
    /// Record the write as usual, then answer this status instead.
    RecordThenStatus(u16),
    /// Answer with this status and a body that reflects the request's
    /// `Authorization` header and full URL (a careless server).
    Echo(u16),
    /// Like `Echo`, as plain text placing the secret (the token, else the
    /// URL's last segment) across characters 200 and 400, where error texts
    /// are cut: a cut must never leave part of a secret behind.
    EchoLong(u16),
}

impl Act {
    pub fn status(status: u16, body: Value) -> Act {
        Act::Reply {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn text(status: u16, body: &str) -> Act {
        Act::Reply {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn with_headers(status: u16, headers: &[(&str, &str)], body: Value) -> Act {
        Act::Reply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub at: At,
    /// How many matching requests pass untouched before it applies.
    pub after: usize,
    /// How many requests it applies to (`usize::MAX`: always).
    pub times: usize,
    pub act: Act,
}

/// A fault for the first matching request.
pub fn once(at: At, act: Act) -> Rule {
    Rule {
        at,
        after: 0,
        times: 1,
        act,
    }
}

/// A fault for every matching request.
pub fn always(at: At, act: Act) -> Rule {
    Rule {
        at,
        after: 0,
        times: usize::MAX,
        act,
    }
}

impl Rule {
    /// Let the first `n` matching requests through.
    pub fn after(mut self, n: usize) -> Rule {
        self.after = n;
        self
    }

    /// Apply to `n` requests.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = n;
        self
    }
}

/// The answer under a fault; `normal` is the fake's usual answer (it records).
pub(super) fn apply(
    act: Act,
    s: &mut State,
    req: &Request,
    path: &str,
    normal: impl FnOnce(&mut State) -> ResponseTemplate,
) -> ResponseTemplate {
    let auth = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match act {
        Act::Reply {
            status,
            headers,
            body,
        } => {
            let mut t = ResponseTemplate::new(status).set_body_raw(body, "application/json");
            for (k, v) in headers {
                t = t.insert_header(k.as_str(), v.as_str());
            }
            t
        }
        Act::Hang => ResponseTemplate::new(503).set_delay(HANG),
        Act::Delay(d) => normal(s).set_delay(d),
        Act::RecordThenHang => normal(s).set_delay(HANG),
        Act::RecordThenStatus(code) => {
            let _ = normal(s);
            json_reply(
                code,
                json!({"message": "Server Error", "detail": "Server Error"}),
            )
        }
        Act::EchoLong(code) => {
            let secret = match auth.strip_prefix("Bearer ") {
                Some(t) => t.to_string(),
                None => path.rsplit('/').next().unwrap_or("").to_string(),
            };
            let text = format!("{}{secret}", "x".repeat(190));
            let text = format!("{text}{}{secret} {}", "y".repeat(390 - text.len()), req.url);
            ResponseTemplate::new(code).set_body_string(text)
        }
        Act::Echo(code) => {
            let url = req.url.to_string();
            let raw = auth.strip_prefix("Bearer ").unwrap_or(&auth);
            let text = format!(
                "invalid credentials {auth} (token {raw}) for {url} (path {path}, query {})",
                req.url.query().unwrap_or("")
            );
            json_reply(
                code,
                json!({
                    "message": text, "detail": text, "error": text, "ok": false,
                    "code": 50027,
                }),
            )
        }
    }
}
