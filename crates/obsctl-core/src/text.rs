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

/// How a target counts the length of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Unicode scalar values (GitHub, Sentry, Slack: "characters").
    Chars,
    /// UTF-16 code units (Discord; never less than the characters).
    Utf16,
    /// UTF-8 bytes.
    Bytes,
    /// Items of a list (blocks, fields, commits): not a text length.
    Count,
}

impl Unit {
    /// The length of `s` in this unit ([`Unit::Count`] counts characters).
    pub fn len(self, s: &str) -> usize {
        match self {
            Unit::Chars | Unit::Count => s.chars().count(),
            Unit::Utf16 => s.encode_utf16().count(),
            Unit::Bytes => s.len(),
        }
    }

    fn width(self, c: char) -> usize {
        match self {
            Unit::Chars | Unit::Count => 1,
            Unit::Utf16 => c.len_utf16(),
            Unit::Bytes => c.len_utf8(),
        }
    }

    /// The unit as the docs name it: `characters`, `UTF-16 units`, `bytes`, `count`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Chars => "characters",
            Unit::Utf16 => "UTF-16 units",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }
}

/// `s` cut to at most `max` characters (Unicode scalar values), the last of
/// which is `…` when anything was cut. `max == 0` gives an empty string.
///
/// This is the one truncation rule for text whose limit is counted in
/// characters (GitHub status descriptions, error excerpts, Sentry names);
/// see [`truncate`] for what it never splits.
pub fn truncate_chars(s: &str, max: usize) -> String {
    truncate(s, max, Unit::Chars)
}

/// The one truncation rule for a single text: `s` cut to at most `max` in
/// `unit`, ending in `…` when anything was cut (empty when not even the
/// `…` fits). It never splits a character (multi-byte or surrogate pair),
/// a Markdown backslash escape (`\*`), or a Slack/HTML entity (`&amp;`).
pub fn truncate(s: &str, max: usize, unit: Unit) -> String {
    if unit.len(s) <= max {
        return s.to_string();
    }
    let ellipsis = unit.width(ELLIPSIS);
    if max < ellipsis {
        return String::new();
    }
    let (mut end, mut used) = (0, 0);
    for (i, c) in s.char_indices() {
        let w = unit.width(c);
        if used + w > max - ellipsis {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    format!("{}{ELLIPSIS}", whole_escapes(&s[..end]))
}

/// `s` without a trailing half of an escape: the last of an odd run of
/// backslashes (it would escape the `…`), or an entity without its `;`.
fn whole_escapes(s: &str) -> &str {
    let run = s.len() - s.trim_end_matches('\\').len();
    let s = if run % 2 == 1 { &s[..s.len() - 1] } else { s };
    if let Some(pos) = s.rfind('&') {
        let tail = &s[pos + 1..];
        if tail.len() <= 8
            && !tail.contains(';')
            && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
        {
            return &s[..pos];
        }
    }
    s
}

/// The line that ends a list cut at whole entries: `… and N more`.
pub fn more_line(omitted: usize) -> String {
    format!("{ELLIPSIS} and {omitted} more")
}

/// A list cut to fit ([`fit_list`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fitted {
    /// The text, within the limit.
    pub text: String,
    /// How many entries were left out (0 when all fit).
    pub omitted: usize,
}

/// The one rule for lists (commits, changes, entries, fields): `head`, the
/// entries one a line, then `tail` (a compare link: always kept), within
/// `max` in `unit`. Entries are dropped whole from the end, and a line
/// [`more_line`] says how many; only when not even the head, that line and
/// the tail fit is the whole text cut by [`truncate`]. Empty `head` or
/// `tail` take no line.
pub fn fit_list(head: &str, entries: &[String], tail: &str, max: usize, unit: Unit) -> Fitted {
    let join = |keep: usize| {
        let mut parts: Vec<&str> = Vec::with_capacity(keep + 3);
        if !head.is_empty() {
            parts.push(head);
        }
        parts.extend(entries[..keep].iter().map(String::as_str));
        let more = (keep < entries.len()).then(|| more_line(entries.len() - keep));
        if let Some(m) = &more {
            parts.push(m);
        }
        if !tail.is_empty() {
            parts.push(tail);
        }
        parts.join("\n")
    };
    // The length with `keep` entries, without building the text each time.
    let fixed: usize = [head, tail]
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| unit.len(p) + 1)
        .sum();
    let mut size = fixed;
    let mut keep = 0;
    let mut sizes = Vec::with_capacity(entries.len());
    for e in entries {
        size += unit.len(e) + 1;
        sizes.push(size);
    }
    for k in (0..=entries.len()).rev() {
        let body = if k == 0 { fixed } else { sizes[k - 1] };
        let more = if k < entries.len() {
            unit.len(&more_line(entries.len() - k)) + 1
        } else {
            0
        };
        // One separator fewer than parts.
        if (body + more).saturating_sub(1) <= max {
            keep = k;
            break;
        }
        if k == 0 {
            let text = truncate(&join(0), max, unit);
            return Fitted {
                text,
                omitted: entries.len(),
            };
        }
    }
    Fitted {
        text: join(keep),
        omitted: entries.len() - keep,
    }
}

/// A Markdown body for GitHub (an issue, a comment) within `max`
/// characters, its trailing HTML-comment lines (obsctl's markers,
/// `<!-- … -->`) always kept whole: the text before them is cut by
/// [`truncate`] and a line says how many characters were left out.
pub fn truncate_keeping_markers(body: &str, max: usize) -> String {
    if body.chars().count() <= max {
        return body.to_string();
    }
    let lines: Vec<&str> = body.trim_end().lines().collect();
    let mut split = lines.len();
    while split > 0 && {
        let l = lines[split - 1].trim();
        l.is_empty() || (l.starts_with("<!--") && l.ends_with("-->"))
    } {
        split -= 1;
    }
    let markers = lines[split..].join("\n");
    let text = lines[..split].join("\n");
    let total = text.chars().count();
    // The note's own length depends on the number it shows: reserve room
    // for the largest.
    let note =
        |n: usize| format!("\n\n_{ELLIPSIS} and {n} more characters (cut to fit GitHub's limit)_");
    let reserve = note(total).chars().count() + markers.chars().count() + 3;
    let room = max.saturating_sub(reserve);
    let cut = truncate(&text, room, Unit::Chars);
    let left_out = total - cut.chars().count().saturating_sub(1);
    let out = if markers.is_empty() {
        format!("{cut}{}\n", note(left_out))
    } else {
        format!("{cut}{}\n\n{markers}\n", note(left_out))
    };
    if out.chars().count() <= max {
        out
    } else {
        truncate(&out, max, Unit::Chars)
    }
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
