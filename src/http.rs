//! The one HTTP policy every provider client uses: a shared reqwest client
//! (rustls, `User-Agent: obsctl/<version>`, connect and request timeouts),
//! retries with exponential backoff and jitter on transient faults, honouring
//! `Retry-After`, GitHub's `x-ratelimit-reset` and Discord's `retry_after`,
//! bounded by one retry budget per command; no blind retry of a request that
//! could create a duplicate; redacted verbose logs; `--dry-run` recording.
//!
//! [`Http::send`] returns `Ok` for every final HTTP answer (2xx, and the
//! 4xx that retrying cannot fix) so that provider clients can turn the status
//! and body into an error that names the fix; it returns `Err` when no usable
//! answer came back: unreachable, unconfirmed (a create that may have
//! happened), or retries given up (the budget or the attempts ran out).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::text::truncate_chars as truncate;

pub mod tls;
use crate::ui::Ui;

pub const USER_AGENT: &str = concat!("obsctl/", env!("CARGO_PKG_VERSION"));

/// Which remote API a request is for; used in every error and log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Provider {
    GitHub,
    Sentry,
    Slack,
    Discord,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::GitHub => "GitHub",
            Provider::Sentry => "Sentry",
            Provider::Slack => "Slack",
            Provider::Discord => "Discord",
        })
    }
}

/// Whether a request may be repeated after an ambiguous failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Safety {
    /// Repeating it cannot create a second record (GET, PATCH, PUT, and
    /// creates that the API deduplicates, such as Sentry releases).
    Idempotent,
    /// Repeating it could create a duplicate (a deployment, a Slack message):
    /// retried only when the request certainly did not reach the server
    /// (connect errors, 429); otherwise [`HttpError::Unconfirmed`] so that the
    /// caller can look for the record before trying again.
    CreateOnce,
}

/// Retry and timeout settings, from flags and environment.
#[derive(Clone, Debug)]
pub struct Policy {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Total time a command may spend retrying: the waits between attempts
    /// and the attempts that failed and were retried.
    pub retry_budget: Duration,
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry_budget: Duration::from_secs(60),
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(15),
        }
    }
}

/// One request, described before it is sent (and printed by `--dry-run`).
#[derive(Clone, Debug)]
pub struct Request {
    pub provider: Provider,
    /// What it does, in words: "create release", "post message".
    pub op: String,
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Value>,
    pub safety: Safety,
    /// What `--dry-run` answers in place of the server.
    pub dry_run_reply: Value,
    /// What `--dry-run` shows as the URL when the real one is not known yet
    /// (a path with an id the server assigns on an earlier create).
    pub dry_run_url: Option<String>,
    /// A non-JSON body (content type, bytes): a Sentry envelope. Sent as is;
    /// `--dry-run` shows it as text, redacted.
    pub raw_body: Option<(String, Bytes)>,
    /// Retry 429s after the server's wait (the default). Off where the 429
    /// itself is the answer to report (an envelope: Sentry's rate limit).
    pub retry_rate_limits: bool,
}

impl Request {
    pub fn new(provider: Provider, op: impl Into<String>, method: Method, url: Url) -> Self {
        let safety = if method == Method::POST {
            Safety::CreateOnce
        } else {
            Safety::Idempotent
        };
        Self {
            provider,
            op: op.into(),
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            safety,
            dry_run_reply: Value::Null,
            dry_run_url: None,
            raw_body: None,
            retry_rate_limits: true,
        }
    }

    pub fn get(provider: Provider, op: impl Into<String>, url: Url) -> Self {
        Self::new(provider, op, Method::GET, url)
    }

    pub fn post(provider: Provider, op: impl Into<String>, url: Url) -> Self {
        Self::new(provider, op, Method::POST, url)
    }

    pub fn patch(provider: Provider, op: impl Into<String>, url: Url) -> Self {
        Self::new(provider, op, Method::PATCH, url)
    }

    pub fn put(provider: Provider, op: impl Into<String>, url: Url) -> Self {
        Self::new(provider, op, Method::PUT, url)
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(mut v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            if n == reqwest::header::AUTHORIZATION || n.as_str() == "x-sentry-auth" {
                v.set_sensitive(true);
            }
            self.headers.insert(n, v);
        }
        self
    }

    pub fn json<T: Serialize>(mut self, body: &T) -> Self {
        self.body = Some(serde_json::to_value(body).expect("request bodies serialize"));
        self
    }

    /// A raw (non-JSON) body with its content type.
    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.raw_body = Some((content_type.to_string(), Bytes::from(body)));
        self
    }

    /// A 429 is returned as the answer instead of being retried.
    pub fn no_rate_limit_retry(mut self) -> Self {
        self.retry_rate_limits = false;
        self
    }

    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        {
            let mut q = self.url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, v);
            }
        }
        self
    }

    /// Mark a POST as safe to repeat (the API deduplicates it).
    pub fn idempotent(mut self) -> Self {
        self.safety = Safety::Idempotent;
        self
    }

    pub fn create_once(mut self) -> Self {
        self.safety = Safety::CreateOnce;
        self
    }

    pub fn dry_run_reply(mut self, reply: Value) -> Self {
        self.dry_run_reply = reply;
        self
    }

    /// The URL `--dry-run` shows instead of `url` (a placeholder for an id
    /// that only the server assigns).
    pub fn dry_run_url(mut self, url: String) -> Self {
        self.dry_run_url = Some(url);
        self
    }
}

/// A request that `--dry-run` did not send.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedRequest {
    pub provider: Provider,
    pub op: String,
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl fmt::Display for PlannedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}  # {}: {}",
            self.method, self.url, self.provider, self.op
        )?;
        if let Some(body) = &self.body {
            let pretty = serde_json::to_string_pretty(body).map_err(|_| fmt::Error)?;
            write!(f, "\n{pretty}")?;
        }
        Ok(())
    }
}

/// A final HTTP answer.
#[derive(Clone, Debug)]
pub struct Response {
    pub provider: Provider,
    pub op: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Synthesised by `--dry-run`; nothing was sent.
    pub dry_run: bool,
}

impl Response {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Decode the body; a body that is not the expected JSON is an error
    /// naming the provider and the operation.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Malformed {
            provider: self.provider,
            op: self.op.clone(),
            detail: format!("{e} (HTTP {})", self.status.as_u16()),
        })
    }

    /// The message a provider put in an error body (`message`, `detail`,
    /// `error`), or the start of the body.
    pub fn error_message(&self) -> String {
        if let Ok(v) = serde_json::from_slice::<Value>(&self.body) {
            for key in ["message", "detail", "error", "error_description"] {
                if let Some(s) = v.get(key).and_then(Value::as_str) {
                    let mut msg = s.to_string();
                    if let Some(errors) = v.get("errors").filter(|e| !e.is_null()) {
                        msg.push_str(&format!(" {errors}"));
                    }
                    return truncate(&msg, 400);
                }
            }
            return truncate(&v.to_string(), 400);
        }
        let text = self.text();
        if text.trim().is_empty() {
            self.status
                .canonical_reason()
                .unwrap_or("no body")
                .to_string()
        } else {
            truncate(text.trim(), 400)
        }
    }

    /// An error for this answer, with the fix a user should apply.
    pub fn error(&self, hint: Option<String>) -> HttpError {
        HttpError::Status {
            provider: self.provider,
            op: self.op.clone(),
            status: self.status.as_u16(),
            message: self.error_message(),
            hint,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{provider}: {op} failed: HTTP {status}: {message}{}", hint_suffix(.hint))]
    Status {
        provider: Provider,
        op: String,
        status: u16,
        message: String,
        hint: Option<String>,
    },
    #[error("{provider}: {op} failed: could not reach {url}: {detail}")]
    Unreachable {
        provider: Provider,
        op: String,
        url: String,
        detail: String,
    },
    #[error(
        "{provider}: {op}: no clear answer came back ({detail}), so it may or may not have been recorded; \
         not retried blindly to avoid a duplicate"
    )]
    Unconfirmed {
        provider: Provider,
        op: String,
        detail: String,
    },
    #[error("{provider}: {op} failed: {detail}")]
    GaveUp {
        provider: Provider,
        op: String,
        detail: String,
    },
    #[error("{provider}: {op}: the answer was not the JSON expected: {detail}")]
    Malformed {
        provider: Provider,
        op: String,
        detail: String,
    },
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(". {h}")).unwrap_or_default()
}

impl HttpError {
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn provider(&self) -> Provider {
        match self {
            HttpError::Status { provider, .. }
            | HttpError::Unreachable { provider, .. }
            | HttpError::Unconfirmed { provider, .. }
            | HttpError::GaveUp { provider, .. }
            | HttpError::Malformed { provider, .. } => *provider,
        }
    }
}

/// The most pages a list is read to (100 items each on GitHub and Sentry):
/// beyond it the list is reported as cut, never silently.
pub const MAX_PAGES: usize = 50;

/// Items read from every page of a list ([`Http::get_pages`]).
#[derive(Debug)]
pub struct Paged<T> {
    /// The items, in the order the pages gave them.
    pub items: Vec<T>,
    /// True when [`MAX_PAGES`] (or the caller's bound) stopped the reading.
    pub truncated: bool,
}

/// The `rel="next"` URL of an RFC 8288 `Link` header, if the answer has one
/// (Sentry's `results="false"` means there is no next page).
pub fn next_page(resp: &Response) -> Option<Url> {
    resp.headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(parse_next_link)
}

/// The `rel="next"` target of one `Link` header value.
pub fn parse_next_link(header: &str) -> Option<Url> {
    for link in split_links(header) {
        let link = link.trim();
        let Some(end) = link.find('>') else { continue };
        let Some(target) = link.strip_prefix('<').map(|l| &l[..end - 1]) else {
            continue;
        };
        let mut next = false;
        let mut results = true;
        for param in link[end + 1..].split(';') {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "rel" => {
                    next = v
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
                }
                "results" => results = v != "false",
                _ => {}
            }
        }
        if next && results {
            return Url::parse(target).ok();
        }
    }
    None
}

/// Split a `Link` header at the commas between links (not inside `<…>` or quotes).
fn split_links(header: &str) -> Vec<&str> {
    let (mut out, mut start, mut in_url, mut in_quote) = (Vec::new(), 0, false, false);
    for (i, c) in header.char_indices() {
        match c {
            '<' if !in_quote => in_url = true,
            '>' if !in_quote => in_url = false,
            '"' if !in_url => in_quote = !in_quote,
            ',' if !in_url && !in_quote => {
                out.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&header[start..]);
    out
}

/// The outcome of [`Http::create_once`].
#[derive(Debug)]
pub enum Created<T> {
    /// The create request was answered; the caller reads the status and body.
    Answered(Response),
    /// An answer was unclear and the look-up found the record.
    Found(T),
}

/// The shared client. Cheap to clone: clones share the connection pool, the
/// retry budget and the dry-run record.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    policy: Policy,
    ui: Arc<Ui>,
    dry_run: bool,
    budget_used: Arc<Mutex<Duration>>,
    planned: Arc<Mutex<Vec<PlannedRequest>>>,
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

/// The decision after one attempt.
enum Next {
    Done(Response),
    Retry {
        wait: Option<Duration>,
        reason: String,
        last: Option<Response>,
    },
    Fail(HttpError),
}

impl Http {
    pub fn new(policy: Policy, ui: Arc<Ui>, dry_run: bool) -> anyhow::Result<Self> {
        let (tls, _) = tls::client_config()?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent(USER_AGENT)
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
        Ok(Self {
            client,
            policy,
            ui,
            dry_run,
            budget_used: Arc::default(),
            planned: Arc::default(),
            sent: Arc::default(),
        })
    }

    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// A handle on the same pool, budget and record that sends even under
    /// `--dry-run`: for the reads a dry run needs to plan its writes (list
    /// monitors, look up channel IDs). Never use it for a write.
    pub fn for_reads(&self) -> Http {
        let mut h = self.clone();
        h.dry_run = false;
        h
    }

    /// The requests `--dry-run` recorded instead of sending.
    pub fn planned(&self) -> Vec<PlannedRequest> {
        self.planned.lock().expect("planned lock").clone()
    }

    /// How many HTTP requests went out (attempts included).
    pub fn requests_sent(&self) -> usize {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Send a request under the policy.
    pub async fn send(&self, mut req: Request) -> Result<Response, HttpError> {
        let redactor = &self.ui.redactor;
        // No body ever carries a known secret (credentials go in headers):
        // an error text that reflects a token, put into a Slack message or a
        // deployment payload, is sent with the token replaced.
        if let Some(body) = &req.body {
            // A read-only scan first: large bodies (a release's commits) are
            // only copied when a secret is actually in them.
            if has_known_secret(body, redactor) {
                req.body = Some(redact_known_json(body, redactor));
            }
        }
        if self.dry_run {
            let shown_url = redactor.redact(req.url.as_str());
            return Ok(self.plan_instead(req, shown_url));
        }
        // Redacting runs the token patterns: only for what is shown.
        let shown_url = if self.ui.verbose > 0 {
            redactor.redact(req.url.as_str())
        } else {
            String::new()
        };
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            if self.ui.verbose > 0 {
                self.ui.verbose(&format!(
                    "{} {} ({}: {})",
                    req.method, shown_url, req.provider, req.op
                ));
            }
            match self.attempt(&req).await {
                Next::Done(resp) => {
                    if self.ui.verbose > 0 {
                        self.ui.verbose(&format!(
                            "{} {} -> {} in {} ms",
                            req.method,
                            shown_url,
                            resp.status.as_u16(),
                            started.elapsed().as_millis()
                        ));
                    }
                    return Ok(resp);
                }
                Next::Fail(err) => return Err(err),
                Next::Retry { wait, reason, last } => {
                    let wait = self.retry_wait(&req, attempt, started, wait, &reason, last)?;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// `--dry-run`: record the request (redacted) and answer with its
    /// `dry_run_reply`, sending nothing.
    fn plan_instead(&self, req: Request, shown_url: String) -> Response {
        let redactor = &self.ui.redactor;
        let planned = PlannedRequest {
            provider: req.provider,
            op: req.op.clone(),
            method: req.method.to_string(),
            url: match &req.dry_run_url {
                Some(u) => redactor.redact(u),
                None => shown_url,
            },
            body: req
                .body
                .as_ref()
                .map(|b| redact_json(b, redactor))
                .or_else(|| {
                    req.raw_body.as_ref().map(|(_, bytes)| {
                        Value::String(redactor.redact(&String::from_utf8_lossy(bytes)))
                    })
                }),
        };
        self.planned.lock().expect("planned lock").push(planned);
        Response {
            provider: req.provider,
            op: req.op,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(serde_json::to_vec(&req.dry_run_reply).unwrap_or_default()),
            dry_run: true,
        }
    }

    /// How long to wait before attempt `attempt + 1` (the server's `wait`,
    /// else the backoff), charged to the retry budget; `GaveUp` when the
    /// attempts or the budget are spent (naming `last`'s answer).
    fn retry_wait(
        &self,
        req: &Request,
        attempt: u32,
        started: Instant,
        wait: Option<Duration>,
        reason: &str,
        last: Option<Response>,
    ) -> Result<Duration, HttpError> {
        let wait = wait.unwrap_or_else(|| self.backoff(attempt));
        let give_up = |detail: String| {
            let detail = match &last {
                Some(resp) => format!("{detail} (last answer: {})", resp.error_message()),
                None => detail,
            };
            Err(HttpError::GaveUp {
                provider: req.provider,
                op: req.op.clone(),
                detail,
            })
        };
        if attempt >= self.policy.max_attempts {
            return give_up(format!("{reason}; gave up after {attempt} attempts"));
        }
        // The failed attempt's own time counts too: an endpoint that hangs
        // until the timeout is retried within the same budget as one that
        // fails at once, so a command's total time stays bounded by the
        // budget plus one timeout per request.
        let remaining = {
            let mut used = self.budget_used.lock().expect("budget lock");
            *used += started.elapsed();
            self.policy.retry_budget.saturating_sub(*used)
        };
        if wait > remaining {
            return give_up(format!(
                "{reason}; waiting {} s more would exceed the retry budget ({} s, \
                 set with --retry-budget or OBSCTL_RETRY_BUDGET)",
                wait.as_secs_f64().ceil(),
                self.policy.retry_budget.as_secs()
            ));
        }
        *self.budget_used.lock().expect("budget lock") += wait;
        self.ui.verbose(&format!(
            "{}: {}: {reason}; retrying in {} ms (attempt {})",
            req.provider,
            req.op,
            wait.as_millis(),
            attempt + 1
        ));
        Ok(wait)
    }

    /// The one create-once mechanism, for every request that creates a
    /// record (a GitHub deployment or release, a Sentry deploy, monitor,
    /// alert, an incident issue):
    ///
    /// 1. send the create built by `make` (marked [`Safety::CreateOnce`], so
    ///    the policy itself never repeats it after it may have arrived);
    /// 2. on an unclear answer ([`HttpError::Unconfirmed`]: a 5xx, a timeout,
    ///    a connection reset after sending) call `lookup`, which returns the
    ///    record when it exists — a failing look-up is itself retried;
    /// 3. create again only when the look-up says the record is absent;
    /// 4. repeat with backoff while the retry budget (and the policy's
    ///    attempt limit) lasts.
    ///
    /// Returns [`Created::Answered`] with the create's answer (any status:
    /// the caller reads it), or [`Created::Found`] with the looked-up record.
    /// When the budget runs out the error is [`HttpError::Unconfirmed`] and
    /// says that running again is safe (every caller looks up before it
    /// creates on a re-run).
    pub async fn create_once<T, F, Fut>(
        &self,
        make: impl Fn() -> Request,
        lookup: F,
    ) -> Result<Created<T>, HttpError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, HttpError>>,
    {
        let mut round: u32 = 0;
        loop {
            round += 1;
            let req = make().create_once();
            let (provider, op) = (req.provider, req.op.clone());
            let started = Instant::now();
            let detail = match self.send(req).await {
                Err(HttpError::Unconfirmed { detail, .. }) => detail,
                Ok(resp) => return Ok(Created::Answered(resp)),
                Err(e) => return Err(e),
            };
            self.charge(started.elapsed());
            let unconfirmed = |why: String| HttpError::Unconfirmed {
                provider,
                op: op.clone(),
                detail: format!(
                    "{why}. Running obsctl again is safe: it looks for the record before \
                     creating another"
                ),
            };
            self.ui.verbose(&format!(
                "{provider}: {op}: no clear answer ({detail}); checking whether it was recorded"
            ));
            let mut lookups: u32 = 0;
            loop {
                lookups += 1;
                let started = Instant::now();
                match lookup().await {
                    Ok(Some(found)) => return Ok(Created::Found(found)),
                    Ok(None) => break,
                    Err(e) => {
                        self.charge(started.elapsed());
                        let wait = self.backoff(lookups);
                        if lookups >= self.policy.max_attempts || !self.reserve(wait) {
                            return Err(unconfirmed(format!(
                                "{detail}; looking it up failed too: {e}"
                            )));
                        }
                        self.ui.verbose(&format!(
                            "{provider}: {op}: the look-up failed ({e}); retrying in {} ms",
                            wait.as_millis()
                        ));
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            let wait = self.backoff(round);
            if round >= self.policy.max_attempts || !self.reserve(wait) {
                return Err(unconfirmed(format!(
                    "{detail}; it was not recorded, and {round} attempt{} used the retry budget \
                     ({} s, --retry-budget or OBSCTL_RETRY_BUDGET)",
                    if round == 1 { "" } else { "s" },
                    self.policy.retry_budget.as_secs()
                )));
            }
            self.ui.verbose(&format!(
                "{provider}: {op}: not recorded; creating again in {} ms (attempt {})",
                wait.as_millis(),
                round + 1
            ));
            tokio::time::sleep(wait).await;
        }
    }

    /// Read a list to its end: send `first`, then follow the answer's
    /// `Link: <…>; rel="next"` (GitHub REST, Sentry — a Sentry link with
    /// `results="false"` is the end) while `keep_going` accepts the items so
    /// far, for at most `max_pages` pages. `check` turns a non-2xx page into
    /// the caller's error. When the bound is reached with more pages left,
    /// [`Paged::truncated`] is true and a warning names the bound.
    pub async fn get_pages<T: DeserializeOwned>(
        &self,
        first: Request,
        max_pages: usize,
        check: impl Fn(Response) -> Result<Response, HttpError>,
        keep_going: impl Fn(&[T]) -> bool,
    ) -> Result<Paged<T>, HttpError> {
        let mut items: Vec<T> = Vec::new();
        let mut req = first;
        for page in 1..=max_pages.max(1) {
            let resp = check(self.send(req.clone()).await?)?;
            let next = next_page(&resp);
            items.extend(resp.json::<Vec<T>>()?);
            match next {
                Some(url) if keep_going(&items) => {
                    if page == max_pages.max(1) {
                        self.ui.warn(&format!(
                            "{}: {}: stopped after {page} pages ({} items); the list is longer",
                            req.provider,
                            req.op,
                            items.len()
                        ));
                        return Ok(Paged {
                            items,
                            truncated: true,
                        });
                    }
                    req.url = url;
                }
                _ => break,
            }
        }
        Ok(Paged {
            items,
            truncated: false,
        })
    }

    /// Count time spent against the retry budget.
    fn charge(&self, spent: Duration) {
        *self.budget_used.lock().expect("budget lock") += spent;
    }

    /// Reserve `wait` from the retry budget; false when it does not fit.
    fn reserve(&self, wait: Duration) -> bool {
        let mut used = self.budget_used.lock().expect("budget lock");
        if self.policy.retry_budget.saturating_sub(*used) < wait {
            return false;
        }
        *used += wait;
        true
    }

    async fn attempt(&self, req: &Request) -> Next {
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone());
        if let Some(body) = &req.body {
            builder = builder.json(body);
        } else if let Some((content_type, bytes)) = &req.raw_body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                .body(bytes.clone());
        }
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = builder.send().await;
        let redact = |s: String| self.ui.redactor.redact(&s);
        let resp = match result {
            Ok(r) => r,
            Err(e) => {
                // Never print reqwest's Display directly: it contains the URL.
                let detail = redact(describe_reqwest_error(&e));
                if e.is_connect() {
                    // The request never reached the server: always safe to retry.
                    // Say where it tried to go (scheme, host and port: never the
                    // path, where webhook secrets live).
                    let origin = redact(req.url.origin().ascii_serialization());
                    return Next::Retry {
                        wait: None,
                        reason: format!(
                            "could not connect to {origin} ({detail}); check {} and the network",
                            match req.provider {
                                Provider::GitHub => "GITHUB_API_URL",
                                Provider::Sentry => "SENTRY_URL",
                                Provider::Slack => "SLACK_API_URL or the webhook URL",
                                Provider::Discord => "the webhook URL",
                            }
                        ),
                        last: None,
                    };
                }
                if e.is_builder() {
                    return Next::Fail(HttpError::Unreachable {
                        provider: req.provider,
                        op: req.op.clone(),
                        url: redact(req.url.to_string()),
                        detail,
                    });
                }
                return ambiguous(req, detail);
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let detail = redact(format!(
                    "reading the answer: {}",
                    describe_reqwest_error(&e)
                ));
                return ambiguous(req, detail);
            }
        };
        let response = Response {
            provider: req.provider,
            op: req.op.clone(),
            status,
            headers,
            body: self.scrub(body),
            dry_run: false,
        };
        if !req.retry_rate_limits && response.status.as_u16() == 429 {
            return Next::Done(response);
        }
        classify(response, req.safety)
    }

    /// Replace known secrets in an answer: a server that reflects the token
    /// or the webhook URL in an error body must not get it into an error
    /// message, and the replacement must happen before any message cuts the
    /// text (a cut secret would no longer be recognised).
    fn scrub(&self, body: Bytes) -> Bytes {
        let redactor = &self.ui.redactor;
        match std::str::from_utf8(&body) {
            Ok(text) if redactor.secrets().iter().any(|s| text.contains(s.as_str())) => {
                Bytes::from(redactor.redact_known(text))
            }
            _ => body,
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16));
        let capped = exp.min(self.policy.max_delay);
        // "Equal jitter": half fixed, half random, so waits never collapse to 0.
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// No answer, or a broken one, after the request may have arrived: repeat
/// it only when repeating cannot create a duplicate.
fn ambiguous(req: &Request, detail: String) -> Next {
    match req.safety {
        Safety::Idempotent => Next::Retry {
            wait: None,
            reason: detail,
            last: None,
        },
        Safety::CreateOnce => Next::Fail(HttpError::Unconfirmed {
            provider: req.provider,
            op: req.op.clone(),
            detail,
        }),
    }
}

/// Decide what a status means under the policy.
fn classify(resp: Response, safety: Safety) -> Next {
    let status = resp.status.as_u16();
    let wait = server_requested_wait(&resp);
    let rate_limited = status == 429
        || (status == 403 && is_github_rate_limit(&resp))
        || is_graphql_rate_limit(&resp);
    if rate_limited {
        // A rate-limited request was rejected, not processed: safe to repeat.
        let reason = if status == 200 {
            "rate limited (GitHub GraphQL quota spent)".to_string()
        } else {
            format!("rate limited (HTTP {status})")
        };
        // GitHub's secondary limit without a Retry-After asks for at least a minute.
        let wait = wait.or_else(|| (status == 403).then(|| Duration::from_secs(60)));
        return Next::Retry {
            wait,
            reason,
            last: Some(resp),
        };
    }
    if resp.status.is_server_error() {
        return match safety {
            Safety::Idempotent => Next::Retry {
                wait,
                reason: format!("HTTP {status} from the server"),
                last: Some(resp),
            },
            Safety::CreateOnce => Next::Fail(HttpError::Unconfirmed {
                provider: resp.provider,
                op: resp.op.clone(),
                detail: format!("HTTP {status}: {}", resp.error_message()),
            }),
        };
    }
    Next::Done(resp)
}

/// GitHub's GraphQL API answers a spent quota with HTTP 200, an `errors`
/// entry of type `RATE_LIMITED` and `x-ratelimit-remaining: 0`: the query
/// was not run, so it is repeated once the quota resets (within the budget).
fn is_graphql_rate_limit(resp: &Response) -> bool {
    resp.status.as_u16() == 200
        && resp.header("x-ratelimit-remaining") == Some("0")
        && serde_json::from_slice::<Value>(&resp.body).is_ok_and(|v| {
            v["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["type"] == "RATE_LIMITED"))
        })
}

fn is_github_rate_limit(resp: &Response) -> bool {
    resp.header("x-ratelimit-remaining") == Some("0")
        || resp.headers.contains_key("retry-after")
        || resp.text().to_ascii_lowercase().contains("rate limit")
}

/// `Retry-After` (seconds or an HTTP date), GitHub's `x-ratelimit-reset`
/// when the quota is spent, or Discord's JSON `retry_after` (seconds).
///
/// Any value is accepted without panicking: negative or NaN is no wait, and
/// a wait beyond [`MAX_SERVER_WAIT`] (`Retry-After: 1e30`, `inf`) is capped
/// there, which is longer than any retry budget, so the request fails at once.
pub fn server_requested_wait(resp: &Response) -> Option<Duration> {
    if let Some(v) = resp.header("retry-after") {
        if let Ok(secs) = v.trim().parse::<f64>() {
            return Some(wait_from_secs(secs));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(v.trim()) {
            let secs = (date.timestamp() - chrono::Utc::now().timestamp()).max(0);
            return Some(Duration::from_secs(secs as u64));
        }
    }
    if resp.header("x-ratelimit-remaining") == Some("0") {
        if let Some(reset) = resp
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
        {
            let secs = reset
                .saturating_sub(chrono::Utc::now().timestamp())
                .max(0)
                .saturating_add(1);
            return Some(Duration::from_secs(secs as u64).min(MAX_SERVER_WAIT));
        }
    }
    if resp.status.as_u16() == 429 {
        if let Ok(v) = serde_json::from_slice::<Value>(&resp.body) {
            if let Some(secs) = v.get("retry_after").and_then(Value::as_f64) {
                return Some(wait_from_secs(secs));
            }
        }
    }
    None
}

/// The longest wait a server can ask for; more than any retry budget.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// Seconds a server asked for, as a wait within `0..=MAX_SERVER_WAIT`.
fn wait_from_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs)
        .unwrap_or(MAX_SERVER_WAIT)
        .min(MAX_SERVER_WAIT)
}

fn describe_reqwest_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "request failed"
    };
    // The innermost cause says what happened (refused, reset, DNS) without the URL.
    let mut cause: Option<&dyn std::error::Error> = e.source();
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    match last {
        Some(c) => format!("{kind}: {c}"),
        None => kind.to_string(),
    }
}

fn has_known_secret(v: &Value, redactor: &crate::redact::Redactor) -> bool {
    has_any_secret(v, &redactor.secrets())
}

fn has_any_secret(v: &Value, secrets: &[String]) -> bool {
    let hit = |s: &str| secrets.iter().any(|secret| s.contains(secret.as_str()));
    match v {
        Value::String(s) => hit(s),
        Value::Array(a) => a.iter().any(|x| has_any_secret(x, secrets)),
        Value::Object(o) => o.iter().any(|(k, x)| hit(k) || has_any_secret(x, secrets)),
        _ => false,
    }
}

/// Replace the known secrets in every string of a JSON value (keys too).
fn redact_known_json(v: &Value, redactor: &crate::redact::Redactor) -> Value {
    match v {
        Value::String(s) => Value::String(redactor.redact_known(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_known_json(x, redactor)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (redactor.redact_known(k), redact_known_json(x, redactor)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Redact secrets in every string of a JSON value.
pub fn redact_json(v: &Value, redactor: &crate::redact::Redactor) -> Value {
    match v {
        Value::String(s) => Value::String(redactor.redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_json(x, redactor)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), redact_json(x, redactor)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Join a path onto a base URL that may carry a path prefix (GHES
/// `https://ghe.example/api/v3`, self-hosted Sentry under a sub-path).
pub fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

/// Percent-encode one path segment (a version, a tag, a branch).
pub fn segment(s: &str) -> String {
    crate::text::path_segment(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_headers_next_page() {
        let gh = r#"<https://api.github.com/repositories/1/deployments?page=2>; rel="next", <https://api.github.com/repositories/1/deployments?page=5>; rel="last""#;
        assert_eq!(
            parse_next_link(gh).unwrap().as_str(),
            "https://api.github.com/repositories/1/deployments?page=2"
        );
        let last = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(parse_next_link(last), None);
        let sentry = r#"<https://sentry.io/api/0/x/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/x/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        assert_eq!(
            parse_next_link(sentry).unwrap().as_str(),
            "https://sentry.io/api/0/x/?&cursor=0:100:0"
        );
        let sentry_end = r#"<https://sentry.io/api/0/x/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/x/?&cursor=0:100:0>; rel="next"; results="false"; cursor="0:100:0""#;
        assert_eq!(parse_next_link(sentry_end), None);
        // A comma inside the URL does not split it.
        assert_eq!(
            parse_next_link(r#"<https://h/x?a=1,2>; rel="next""#)
                .unwrap()
                .as_str(),
            "https://h/x?a=1,2"
        );
        assert_eq!(parse_next_link("garbage"), None);
        assert_eq!(parse_next_link(""), None);
    }

    use super::*;

    #[test]
    fn join_keeps_prefixes() {
        let ghes = Url::parse("https://ghe.example/api/v3").unwrap();
        assert_eq!(
            join(&ghes, "/repos/o/r").as_str(),
            "https://ghe.example/api/v3/repos/o/r"
        );
        let gh = Url::parse("https://api.github.com/").unwrap();
        assert_eq!(
            join(&gh, "repos/o/r").as_str(),
            "https://api.github.com/repos/o/r"
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("v1.0 beta/x"), "v1.0%20beta%2Fx");
        assert_eq!(segment("1.2.3+build"), "1.2.3+build");
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                HeaderName::try_from(*k).unwrap(),
                HeaderValue::try_from(*v).unwrap(),
            );
        }
        Response {
            provider: Provider::GitHub,
            op: "test".into(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::from(body.to_string()),
            dry_run: false,
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            server_requested_wait(&resp(429, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        let reset = (chrono::Utc::now().timestamp() + 10).to_string();
        let w = server_requested_wait(&resp(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ],
            "",
        ))
        .unwrap();
        assert!(
            w >= Duration::from_secs(9) && w <= Duration::from_secs(12),
            "{w:?}"
        );
        assert_eq!(
            server_requested_wait(&resp(429, &[], r#"{"retry_after": 0.5, "global": false}"#)),
            Some(Duration::from_millis(500))
        );
        assert_eq!(server_requested_wait(&resp(500, &[], "")), None);
    }

    #[test]
    fn absurd_waits_do_not_panic() {
        // Found by fuzzing (fuzz/corpus/retry_after/huge): a Retry-After
        // beyond Duration's range panicked in Duration::from_secs_f64.
        let huge = format!("1{}2.5", "2".repeat(80));
        for v in [
            huge.as_str(),
            "inf",
            "1e309",
            "18446744073709551616",
            "1e30",
        ] {
            assert_eq!(
                server_requested_wait(&resp(429, &[("retry-after", v)], "")),
                Some(MAX_SERVER_WAIT),
                "{v}"
            );
        }
        for v in ["NaN", "-1", "-inf", "0"] {
            assert_eq!(
                server_requested_wait(&resp(503, &[("retry-after", v)], "")),
                Some(Duration::ZERO),
                "{v}"
            );
        }
        assert_eq!(
            server_requested_wait(&resp(429, &[], r#"{"retry_after": 1e300}"#)),
            Some(MAX_SERVER_WAIT)
        );
        for reset in ["-9223372036854775808", "9223372036854775807"] {
            let w = server_requested_wait(&resp(
                403,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset)],
                "",
            ));
            assert!(w.is_some_and(|w| w <= MAX_SERVER_WAIT), "{reset}: {w:?}");
        }
    }

    #[test]
    fn graphql_rate_limits_are_retried_after_the_reset() {
        let reset = (chrono::Utc::now().timestamp() + 5).to_string();
        let limited = resp(
            200,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ],
            r#"{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#,
        );
        match classify(limited, Safety::Idempotent) {
            Next::Retry { wait: Some(w), .. } => assert!(w >= Duration::from_secs(4), "{w:?}"),
            _ => panic!("a GraphQL rate limit is retried after the reset"),
        }
        // Other GraphQL errors are answers, not faults.
        let not_found = resp(
            200,
            &[("x-ratelimit-remaining", "4999")],
            r#"{"data":null,"errors":[{"type":"NOT_FOUND","message":"Could not resolve"}]}"#,
        );
        assert!(matches!(
            classify(not_found, Safety::Idempotent),
            Next::Done(_)
        ));
    }

    #[test]
    fn create_once_is_not_retried_on_5xx() {
        assert!(matches!(
            classify(resp(502, &[], ""), Safety::CreateOnce),
            Next::Fail(HttpError::Unconfirmed { .. })
        ));
        assert!(matches!(
            classify(resp(502, &[], ""), Safety::Idempotent),
            Next::Retry { .. }
        ));
        assert!(matches!(
            classify(resp(429, &[], ""), Safety::CreateOnce),
            Next::Retry { .. }
        ));
        assert!(matches!(
            classify(resp(404, &[], ""), Safety::Idempotent),
            Next::Done(_)
        ));
        // A plain permission 403 is final; a rate-limit 403 is not.
        assert!(matches!(
            classify(
                resp(
                    403,
                    &[],
                    r#"{"message":"Resource not accessible by integration"}"#
                ),
                Safety::Idempotent
            ),
            Next::Done(_)
        ));
        assert!(matches!(
            classify(
                resp(403, &[("x-ratelimit-remaining", "0")], ""),
                Safety::Idempotent
            ),
            Next::Retry { .. }
        ));
    }

    #[test]
    fn error_messages_come_from_bodies() {
        assert_eq!(
            resp(
                422,
                &[],
                r#"{"message":"Validation Failed","errors":[{"code":"already_exists"}]}"#
            )
            .error_message(),
            r#"Validation Failed [{"code":"already_exists"}]"#
        );
        assert_eq!(resp(400, &[], r#"{"detail":"bad"}"#).error_message(), "bad");
        assert_eq!(resp(500, &[], "").error_message(), "Internal Server Error");
    }
}
