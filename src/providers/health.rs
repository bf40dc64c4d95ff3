//! Health checks: one request to a service's `health_url`, timed. Not a
//! provider API: no retries here (confirmation is `status check`'s, see
//! [`obsctl_core::status::health`]), no redirects followed (a 301 is an
//! answer, expected only when `expected_status` says so), and no URL, header
//! or reqwest error text in what it reports (those may hold secrets or
//! internal names): only the kind of failure.

use std::time::{Duration, Instant};

use obsctl_core::status::health::Probe;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// A health-check client with its own timeout.
#[derive(Clone)]
pub struct Prober {
    client: reqwest::Client,
    timeout: Duration,
}

/// One check to run.
#[derive(Clone, Debug)]
pub struct Target {
    /// `GET`, `HEAD`, …
    pub method: Method,
    /// The health URL.
    pub url: reqwest::Url,
    /// Request headers (values are secrets: never printed).
    pub headers: HeaderMap,
}

impl Target {
    /// Build a target; `headers` are `(name, value)`. A bad method or
    /// header name is an error naming it (never the value).
    pub fn new(
        method: &str,
        url: reqwest::Url,
        headers: &[(String, String)],
    ) -> Result<Self, String> {
        let method = Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("method {method:?} is not an HTTP method"))?;
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let n = HeaderName::try_from(name.as_str())
                .map_err(|_| format!("header name {name:?} is not valid"))?;
            let mut v = HeaderValue::try_from(value.as_str())
                .map_err(|_| format!("the value of header {name:?} is not a valid header value"))?;
            v.set_sensitive(true);
            map.insert(n, v);
        }
        Ok(Self {
            method,
            url,
            headers: map,
        })
    }
}

impl Prober {
    /// A client that gives up on a check after `timeout`.
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let (tls, _) = crate::http::tls::client_config()?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent(crate::http::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("building the health-check client: {e}"))?;
        Ok(Self { client, timeout })
    }

    /// Run one check; never fails: a failure is a [`Probe`] with an error.
    pub async fn probe(&self, t: &Target) -> Probe {
        let started = Instant::now();
        let result = self
            .client
            .request(t.method.clone(), t.url.clone())
            .headers(t.headers.clone())
            .send()
            .await;
        let latency_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(resp) => Probe {
                http_status: Some(resp.status().as_u16()),
                latency_ms,
                error: None,
            },
            Err(e) => Probe {
                http_status: None,
                latency_ms,
                error: Some(self.describe(&e)),
            },
        }
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("timed out after {} s", self.timeout.as_secs_f64());
        }
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut text = String::new();
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                    std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                    std::io::ErrorKind::TimedOut => {
                        return format!("timed out after {} s", self.timeout.as_secs_f64());
                    }
                    _ => {}
                }
            }
            text.push_str(&s.to_string().to_ascii_lowercase());
            text.push(' ');
            source = s.source();
        }
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            "TLS error (certificate or handshake)".into()
        } else if text.contains("dns") || text.contains("resolve") || text.contains("lookup") {
            "DNS lookup failed".into()
        } else if e.is_connect() {
            "could not connect".into()
        } else if e.is_body() || e.is_decode() {
            "the answer broke off".into()
        } else {
            "request failed".into()
        }
    }
}
