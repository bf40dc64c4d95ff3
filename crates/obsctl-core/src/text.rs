//! The one set of small text helpers: truncation by characters, short SHAs,
//! RFC 3339 timestamps and human-readable durations.
//!
//! Escaping per target lives next to the targets' rules in
//! [`crate::message::escape`] (Slack mrkdwn, Discord Markdown, control and
//! bidi characters) and limits measured the way a target counts them (UTF-16
//! code units) in [`crate::message::limits`]; both are re-exported here so
//! there is one place to look.

use chrono::{DateTime, SecondsFormat, Utc};

pub use crate::message::escape::{clean, discord_escape, slack_escape};
pub use crate::message::limits::{len as utf16_len, truncate as truncate_utf16};

/// The character that marks a cut.
pub const ELLIPSIS: char = '…';

/// `s` cut to at most `max` characters (Unicode scalar values), the last of
/// which is `…` when anything was cut. `max == 0` gives an empty string.
///
/// This is the one truncation rule for text whose limit is counted in
/// characters (GitHub status descriptions, error excerpts, Sentry names).
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push(ELLIPSIS);
    out
}

/// The first 7 characters of a SHA (or all of a shorter one), as git shows it.
pub fn short_sha(sha: &str) -> &str {
    match sha.char_indices().nth(7) {
        Some((i, _)) => &sha[..i],
        None => sha,
    }
}

/// A full (40 or 64 hex digit) commit SHA.
pub fn is_full_sha(sha: &str) -> bool {
    matches!(sha.len(), 40 | 64) && sha.chars().all(|c| c.is_ascii_hexdigit())
}

/// A full SHA shortened for display ([`short_sha`]); anything else (a tag,
/// a branch name) as it is.
pub fn display_ref(spec: &str) -> &str {
    if spec.len() >= 40 && spec.chars().all(|c| c.is_ascii_hexdigit()) {
        short_sha(spec)
    } else {
        spec
    }
}

/// Percent-encode `s` as one URL path segment (a version, a tag, a branch
/// name): `/`, `?`, `#`, `%`, spaces and the like are escaped.
pub fn path_segment(s: &str) -> String {
    let mut url = url::Url::parse("http://x/").expect("static url");
    url.path_segments_mut().expect("a base URL").push(s);
    url.path().trim_start_matches('/').to_string()
}

/// RFC 3339 in UTC with whole seconds: `2026-11-26T16:20:00Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parse an RFC 3339 timestamp (any offset) into UTC; `None` when it is not
/// one. Surrounding white space is ignored.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whole seconds from `start` to `end`; never negative (clocks differ).
pub fn duration_secs(start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (end - start).num_seconds().max(0)
}

/// A precise duration for one run, from whole seconds: `42s`, `3m 05s`,
/// `1h 02m 03s`.
pub fn human_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A coarse duration for statistics (two units at most), from seconds
/// (rounded): `3d 4h`, `2h 5m`, `12m`, `40s`.
pub fn human_duration_coarse(seconds: f64) -> String {
    let s = seconds.round() as i64;
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_by_characters() {
        assert_eq!(truncate_chars("short", 140), "short");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("😀😀😀😀", 2), "😀…");
        assert_eq!(truncate_chars("abc", 0), "");
        assert_eq!(truncate_chars(&"x".repeat(500), 140).chars().count(), 140);
    }

    #[test]
    fn shas() {
        assert_eq!(short_sha("0123456789abcdef"), "0123456");
        assert_eq!(short_sha("abc"), "abc");
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(!is_full_sha("abc"));
        assert_eq!(display_ref(&"ab".repeat(20)), "abababa");
        assert_eq!(display_ref("v1.2.3"), "v1.2.3");
    }

    #[test]
    fn times_and_durations() {
        let a = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let b = parse_rfc3339(" 2026-01-01T01:01:30.5+00:00 ").unwrap();
        assert_eq!(rfc3339(a), "2026-01-01T00:00:00Z");
        assert_eq!(duration_secs(a, b), 3690);
        assert_eq!(duration_secs(b, a), 0);
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(185), "3m 05s");
        assert_eq!(human_duration(3723), "1h 02m 03s");
        assert_eq!(human_duration_coarse(40.0), "40s");
        assert_eq!(human_duration_coarse(725.0), "12m");
        assert_eq!(human_duration_coarse(7500.0), "2h 5m");
        assert_eq!(
            human_duration_coarse(3.0 * 86_400.0 + 4.0 * 3600.0),
            "3d 4h"
        );
    }
}
