//! Sentry ingestion: `POST /api/{project_id}/envelope/`, as Relay answers it.
//! - Validation (a violation is recorded and answered 400): the envelope's
//!   header, its item header (with `length`) and the event payload against
//!   `sentry/envelope.json`; `X-Sentry-Auth` must say `sentry_version=7`,
//!   and the DSN it implies must satisfy `sentry/dsn.json`.
//! - Auth: the `sentry_key` must be an active key of the project
//!   ([`super::keys::Keys`]); else 403, as Relay says it.
//! - Accepted: 200 `{"id": …}`; the event is kept in [`Envelopes`] and
//!   becomes readable by id after the indexing delay ([`super::events`]).
//! - Rate limits and other refusals are faults on `sentry.envelope`:
//!   `always(At::Route("sentry.envelope"), Act::with_headers(429,
//!   &[("retry-after", "30")], ...)).after(3)` accepts three, then limits.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::super::{At, Call, Fake, Route, State, contract, json_reply};
use super::keys::Keys;

/// One envelope the fake accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub at: Instant,
    pub payload: Value,
    pub header: Value,
    /// The `X-Sentry-Auth` header.
    pub auth: String,
}

/// What the fake keeps of ingestion.
#[derive(Default)]
pub struct Envelopes {
    /// Accepted events, in order.
    pub received: Vec<Received>,
}

/// The envelopes `fake` accepted.
pub fn received(fake: &Fake) -> Vec<Received> {
    fake.state().area::<Envelopes>().received.clone()
}

/// How many envelopes were posted to `fake` (accepted or not).
pub fn posts(fake: &Fake) -> usize {
    fake.state().count("POST", At::Route("sentry.envelope"))
}

impl Envelopes {
    /// When the `n`-th accepted event (1-based) arrived.
    pub fn nth_at(s: &mut State, n: usize) -> Option<Instant> {
        n.checked_sub(1)
            .and_then(|i| s.area::<Envelopes>().received.get(i))
            .map(|r| r.at)
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "sentry.envelope",
            "POST",
            "/api/{project_id}/envelope/",
            accept,
        )
        .check(check),
    ]
}

/// The `X-Sentry-Auth` pairs (`sentry_key`, `sentry_version`, ...).
fn auth_pairs(c: &Call) -> HashMap<String, String> {
    c.header("x-sentry-auth")
        .unwrap_or("")
        .trim_start_matches("Sentry ")
        .split(',')
        .filter_map(|p| p.trim().split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn check(_: &State, c: &Call) -> Vec<String> {
    let mut out = Vec::new();
    let auth = auth_pairs(c);
    if let Some(key) = auth.get("sentry_key") {
        if auth.get("sentry_version").map(String::as_str) != Some("7") {
            out.push("X-Sentry-Auth without sentry_version=7".to_string());
        }
        let host = c.base.trim_start_matches("http://");
        let dsn = format!("http://{key}@{host}/{}", c.param("project_id"));
        out.extend(contract::errors(
            "sentry/dsn.json",
            None,
            &Value::String(dsn),
        ));
    }
    match parse_envelope(&c.raw) {
        Err(e) => out.push(e),
        Ok((header, payload)) => {
            out.extend(contract::errors(
                "sentry/envelope.json",
                Some("envelopeHeader"),
                &header,
            ));
            out.extend(contract::errors(
                "sentry/envelope.json",
                Some("eventPayload"),
                &payload,
            ));
        }
    }
    out
}

fn accept(s: &mut State, c: &Call) -> ResponseTemplate {
    let auth = auth_pairs(c);
    let Some(key) = auth.get("sentry_key") else {
        return json_reply(403, json!({"detail": "missing authorization information"}));
    };
    if !s.area::<Keys>().accepts(key, c.param("project_id")) {
        return json_reply(
            403,
            json!({"detail": "event submission rejected with_reason: ProjectId"}),
        );
    }
    let (header, payload) = parse_envelope(&c.raw).expect("checked");
    let event_id = payload["event_id"].as_str().unwrap_or("").to_string();
    s.area::<Envelopes>().received.push(Received {
        event_id: event_id.clone(),
        at: Instant::now(),
        payload,
        header,
        auth: c.header("x-sentry-auth").unwrap_or("").to_string(),
    });
    json_reply(200, json!({"id": event_id}))
}

/// Split an envelope into its header and its one event payload, checking
/// the item header against the contract and its `length` (contract
/// `x-wire-format.rules`) and that the header's `event_id` is the payload's.
pub fn parse_envelope(body: &[u8]) -> Result<(Value, Value), String> {
    let text = std::str::from_utf8(body).map_err(|_| "envelope is not UTF-8".to_string())?;
    let mut lines = text.splitn(3, '\n');
    let header: Value = serde_json::from_str(lines.next().unwrap_or(""))
        .map_err(|e| format!("envelope header is not one JSON line: {e}"))?;
    let item: Value = serde_json::from_str(lines.next().unwrap_or(""))
        .map_err(|e| format!("item header is not one JSON line: {e}"))?;
    let bad = contract::errors("sentry/envelope.json", Some("itemHeader"), &item);
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    if item["type"] != "event" {
        return Err(format!("expected an event item, got {}", item["type"]));
    }
    let rest = lines.next().unwrap_or("");
    let payload = match item["length"].as_u64() {
        Some(n) => {
            let n = n as usize;
            if rest.len() < n || !(rest.len() == n || rest.as_bytes()[n] == b'\n') {
                return Err(format!(
                    "item length {n} does not match the payload ({} bytes)",
                    rest.len()
                ));
            }
            &rest[..n]
        }
        None => rest.split('\n').next().unwrap_or(""),
    };
    let payload: Value =
        serde_json::from_str(payload).map_err(|e| format!("event payload is not JSON: {e}"))?;
    let id = payload["event_id"].as_str().unwrap_or("");
    let hid = header["event_id"].as_str().unwrap_or("").replace('-', "");
    if id != hid {
        return Err(format!(
            "envelope event_id {hid} differs from the payload's {id}"
        ));
    }
    Ok((header, payload))
}
