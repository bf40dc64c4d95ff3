//! The health verdict of one check, and the confirmation plan.
//!
//! - **up**: an expected status (default any 2xx) within `max_latency_ms`
//!   (default 1,000 ms);
//! - **degraded**: an expected status, slower than that;
//! - **down**: anything else: another status, a timeout, a refused
//!   connection, a TLS error.
//!
//! A down or degraded first result is confirmed (Upptime's defence against
//! false alarms) by retrying after each delay of `--confirm` (default
//! `2s,10s`); it counts only when every retry is bad too. `--confirm none`
//! takes the first result as it is.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The default latency above which an expected answer is degraded, ms.
pub const DEFAULT_MAX_LATENCY_MS: u64 = 1_000;
/// The default confirmation delays, seconds.
pub const DEFAULT_CONFIRM: &str = "2s,10s";
/// The timeout of one health check request, seconds.
pub const CHECK_TIMEOUT_SECS: u64 = 10;

/// The health of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Answering as expected, in time.
    Up,
    /// Answering as expected, too slowly.
    Degraded,
    /// Not answering as expected.
    Down,
}

impl Health {
    /// `up`, `degraded`, `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
        }
    }

    /// Parse `up|degraded|down`.
    pub fn parse(s: &str) -> Option<Health> {
        match s {
            "up" => Some(Health::Up),
            "degraded" => Some(Health::Degraded),
            "down" => Some(Health::Down),
            _ => None,
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one request saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The HTTP status, when an answer came back.
    pub http_status: Option<u16>,
    /// Time from sending to the answer (or the failure), ms.
    pub latency_ms: u64,
    /// Why no usable answer came (timeout, refused, TLS), safe to print.
    pub error: Option<String>,
}

/// The verdict for one probe. `expected` empty means any 2xx.
pub fn verdict(probe: &Probe, expected: &[u16], max_latency_ms: u64) -> Health {
    let Some(status) = probe.http_status else {
        return Health::Down;
    };
    if probe.error.is_some() {
        return Health::Down;
    }
    let ok = if expected.is_empty() {
        (200..300).contains(&status)
    } else {
        expected.contains(&status)
    };
    if !ok {
        Health::Down
    } else if probe.latency_ms > max_latency_ms {
        Health::Degraded
    } else {
        Health::Up
    }
}

/// The reason a probe is not up, for tables and issues.
pub fn reason(
    probe: &Probe,
    health: Health,
    expected: &[u16],
    max_latency_ms: u64,
) -> Option<String> {
    match health {
        Health::Up => None,
        Health::Degraded => Some(format!(
            "slow: {} ms (max {max_latency_ms} ms)",
            probe.latency_ms
        )),
        Health::Down => Some(match (&probe.error, probe.http_status) {
            (Some(e), _) => e.clone(),
            (None, Some(s)) => {
                let want = if expected.is_empty() {
                    "2xx".to_string()
                } else {
                    expected
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("unexpected HTTP status {s} (expected {want})")
            }
            (None, None) => "no answer".into(),
        }),
    }
}

/// Parse `--confirm`: `none` (no retry), or comma-separated delays such as
/// `2s,10s`, `0s`, `500ms`, `1m`. Returns the delays in milliseconds.
///
/// Errors: a delay that is not `<number><ms|s|m>`, or longer than 5 minutes.
pub fn parse_confirm(s: &str) -> Result<Vec<u64>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("none") || s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let p = part.trim();
            let (num, mult) = if let Some(n) = p.strip_suffix("ms") {
                (n, 1)
            } else if let Some(n) = p.strip_suffix('s') {
                (n, 1_000)
            } else if let Some(n) = p.strip_suffix('m') {
                (n, 60_000)
            } else {
                return Err(format!(
                    "--confirm {part:?}: expected a delay such as 0s, 2s, 500ms or 1m (or `none`)"
                ));
            };
            let n: u64 = num.trim().parse().map_err(|_| {
                format!("--confirm {part:?}: expected a delay such as 0s, 2s, 500ms or 1m")
            })?;
            let ms = n.saturating_mul(mult);
            if ms > 300_000 {
                return Err(format!("--confirm {part:?}: at most 5 minutes per delay"));
            }
            Ok(ms)
        })
        .collect()
}

/// Whether a first result must be confirmed: it is bad, and it differs
/// from what the open incident already says (nothing would be written
/// otherwise, so there is nothing to confirm).
pub fn needs_confirmation(first: Health, open: Option<Health>) -> bool {
    first != Health::Up && open != Some(first)
}

/// The confirmed health after the first result and the retries (in order):
/// up as soon as any of them is up (a flap), else the last one.
pub fn confirmed(results: &[Health]) -> Health {
    if results.contains(&Health::Up) {
        Health::Up
    } else {
        results.last().copied().unwrap_or(Health::Up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(status: Option<u16>, ms: u64, err: Option<&str>) -> Probe {
        Probe {
            http_status: status,
            latency_ms: ms,
            error: err.map(String::from),
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(&p(Some(200), 10, None), &[], 1000), Health::Up);
        assert_eq!(
            verdict(&p(Some(204), 1001, None), &[], 1000),
            Health::Degraded
        );
        assert_eq!(verdict(&p(Some(500), 10, None), &[], 1000), Health::Down);
        assert_eq!(verdict(&p(Some(301), 10, None), &[], 1000), Health::Down);
        assert_eq!(verdict(&p(Some(301), 10, None), &[301], 1000), Health::Up);
        assert_eq!(verdict(&p(Some(200), 10, None), &[204], 1000), Health::Down);
        assert_eq!(
            verdict(&p(None, 10_000, Some("timeout")), &[], 1000),
            Health::Down
        );
        assert_eq!(
            reason(&p(Some(500), 3, None), Health::Down, &[], 1000).unwrap(),
            "unexpected HTTP status 500 (expected 2xx)"
        );
    }

    #[test]
    fn confirm_flags() {
        assert_eq!(parse_confirm("2s,10s").unwrap(), vec![2000, 10_000]);
        assert_eq!(parse_confirm("0s").unwrap(), vec![0]);
        assert_eq!(parse_confirm("none").unwrap(), Vec::<u64>::new());
        assert_eq!(parse_confirm("250ms, 1m").unwrap(), vec![250, 60_000]);
        assert!(parse_confirm("2").is_err());
        assert!(parse_confirm("10m").is_err());
        assert!(parse_confirm("xs").is_err());
    }

    #[test]
    fn confirmation() {
        assert!(needs_confirmation(Health::Down, None));
        assert!(needs_confirmation(Health::Degraded, Some(Health::Down)));
        assert!(!needs_confirmation(Health::Down, Some(Health::Down)));
        assert!(!needs_confirmation(Health::Up, Some(Health::Down)));
        assert_eq!(confirmed(&[Health::Down, Health::Up]), Health::Up);
        assert_eq!(
            confirmed(&[Health::Down, Health::Down, Health::Degraded]),
            Health::Degraded
        );
        assert_eq!(confirmed(&[Health::Down]), Health::Down);
    }
}
