//! Parsing user input for `dora report`: the window and the `--incidents`
//! file (JSON array or CSV). Pure: errors are plain messages that the
//! command turns into usage errors (exit 2).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use super::engine::Window;
use super::model::Incident;

/// A timestamp: RFC 3339 (any offset, converted to UTC), or
/// `YYYY-MM-DD[ T]HH:MM:SS` taken as UTC, or `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

/// `--since` (default 90 days before `until`): `Nd`, `Nw`, a date or a
/// timestamp. `--until` (default `now`): a date (exclusive, midnight UTC)
/// or a timestamp.
pub fn parse_window(
    since: Option<&str>,
    until: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Window, String> {
    let until = match until.map(str::trim).filter(|s| !s.is_empty()) {
        None => now,
        Some(u) => parse_time(u).ok_or_else(|| {
            format!("--until {u:?}: expected YYYY-MM-DD or an RFC 3339 timestamp")
        })?,
    };
    let since = match since.map(str::trim).filter(|s| !s.is_empty()) {
        None => until - Duration::days(90),
        Some(s) => {
            let relative = |suffix: char, days: i64| -> Option<DateTime<Utc>> {
                let n: i64 = s.strip_suffix(suffix)?.parse().ok()?;
                (n > 0 && n <= 36_500).then(|| until - Duration::days(n * days))
            };
            relative('d', 1)
                .or_else(|| relative('w', 7))
                .or_else(|| parse_time(s))
                .ok_or_else(|| {
                    format!(
                        "--since {s:?}: expected a number of days (90d), weeks (12w), YYYY-MM-DD or an RFC 3339 timestamp"
                    )
                })?
        }
    };
    // A window reaching past tomorrow would count days that have not
    // happened yet (deployment frequency per day would look lower).
    if until > now + Duration::days(1) {
        return Err(format!(
            "--until ({}) is in the future: the window must end by now (leave --until out for now)",
            super::engine::ts(until)
        ));
    }
    if since >= until {
        return Err(format!(
            "the window is empty: --since ({}) must be before --until ({})",
            super::engine::ts(since),
            super::engine::ts(until)
        ));
    }
    Ok(Window { since, until })
}

/// Read an incidents file: a JSON array of objects, or CSV with the header
/// `id,created_at,resolved_at[,deployment|sha]`. `resolved_at` empty or
/// null means still open.
pub fn parse_incidents(text: &str) -> Result<Vec<Incident>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        parse_incidents_json(trimmed)
    } else {
        parse_incidents_csv(trimmed)
    }
}

fn parse_incidents_json(text: &str) -> Result<Vec<Incident>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let items = v.as_array().ok_or("expected a JSON array of incidents")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |msg: String| format!("incident #{}: {msg}", i + 1);
        let obj = item.as_object().ok_or_else(|| at("not an object".into()))?;
        let text_field = |k: &str| -> Option<String> {
            match obj.get(k) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        let id = text_field("id").ok_or_else(|| at("`id` is missing".into()))?;
        let created =
            text_field("created_at").ok_or_else(|| at("`created_at` is missing".into()))?;
        let created_at = parse_time(&created)
            .ok_or_else(|| at(format!("created_at {created:?} is not a time")))?;
        let resolved_at = match text_field("resolved_at") {
            None => None,
            Some(r) => {
                Some(parse_time(&r).ok_or_else(|| at(format!("resolved_at {r:?} is not a time")))?)
            }
        };
        if let Some(r) = resolved_at.filter(|r| *r < created_at) {
            return Err(at(resolved_before(r, created_at)));
        }
        out.push(Incident {
            id,
            created_at,
            resolved_at,
            deployment: text_field("deployment").or_else(|| text_field("sha")),
        });
    }
    Ok(out)
}

fn parse_incidents_csv(text: &str) -> Result<Vec<Incident>, String> {
    let rows = parse_csv(text)?;
    let mut rows = rows.into_iter();
    let header: Vec<String> = rows
        .next()
        .ok_or("the file is empty: expected the header id,created_at,resolved_at")?
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(id), Some(created), Some(resolved)) =
        (col("id"), col("created_at"), col("resolved_at"))
    else {
        return Err(format!(
            "bad CSV header {:?}: expected id,created_at,resolved_at[,deployment|sha]",
            header.join(",")
        ));
    };
    let reference = col("deployment").or_else(|| col("sha"));
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let line = n + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() != header.len() {
            return Err(format!(
                "line {line}: {} fields, the header has {}",
                row.len(),
                header.len()
            ));
        }
        let cell = |i: usize| row[i].trim().to_string();
        let idv = cell(id);
        if idv.is_empty() {
            return Err(format!("line {line}: `id` is empty"));
        }
        let c = cell(created);
        let created_at =
            parse_time(&c).ok_or_else(|| format!("line {line}: created_at {c:?} is not a time"))?;
        let r = cell(resolved);
        let resolved_at = if r.is_empty() {
            None
        } else {
            Some(
                parse_time(&r)
                    .ok_or_else(|| format!("line {line}: resolved_at {r:?} is not a time"))?,
            )
        };
        if let Some(r) = resolved_at.filter(|r| *r < created_at) {
            return Err(format!("line {line}: {}", resolved_before(r, created_at)));
        }
        out.push(Incident {
            id: idv,
            created_at,
            resolved_at,
            deployment: reference.map(cell).filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

fn resolved_before(resolved: DateTime<Utc>, created: DateTime<Utc>) -> String {
    format!(
        "resolved_at ({}) is before created_at ({}): an incident is resolved after it starts",
        super::engine::ts(resolved),
        super::engine::ts(created)
    )
}

/// `--environment`, `--incident-label`, `--tag-pattern`: not blank, no
/// control characters (they are shown in the report and sent to GitHub).
pub fn check_name(flag: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!(
            "{flag} is empty: give a value or leave the flag out for the default"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{flag} {value:?} contains control characters (a line break?)"
        ));
    }
    if value.chars().count() > 255 {
        return Err(format!("{flag} is longer than 255 characters"));
    }
    Ok(())
}

/// `--tag-pattern`: a glob as `git tag -l` takes it; an unclosed `[` would
/// silently match nothing.
pub fn check_tag_pattern(pattern: &str) -> Result<(), String> {
    check_name("--tag-pattern", pattern)?;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                // `[]...]` and `[!]...]` take the first `]` literally.
                let mut first = true;
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == ']' && !first {
                        closed = true;
                        break;
                    }
                    if !(first && c == '!') {
                        first = false;
                    }
                }
                if !closed {
                    return Err(format!(
                        "--tag-pattern {pattern:?}: `[` is not closed by `]` (a glob such as `v*` or `release-[0-9]*`)"
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A small RFC 4180 reader: quoted fields with `""` escapes and embedded
/// newlines, CRLF or LF line ends.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn windows() {
        let now = t("2024-06-01T12:00:00Z");
        let w = parse_window(None, None, now).unwrap();
        assert_eq!(w.until, now);
        assert_eq!(w.since, t("2024-03-03T12:00:00Z"));
        let w = parse_window(Some("2024-01-01"), Some("2024-02-01"), now).unwrap();
        assert_eq!((w.since, w.until), (t("2024-01-01"), t("2024-02-01")));
        assert_eq!(w.days(), 31.0);
        let w = parse_window(Some("2w"), Some("2024-02-01"), now).unwrap();
        assert_eq!(w.since, t("2024-01-18"));
        let w = parse_window(Some("2024-01-01T02:00:00+02:00"), None, now).unwrap();
        assert_eq!(w.since, Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        for (s, u) in [
            (Some("2024-02-01"), Some("2024-02-01")),
            (Some("2024-03-01"), Some("2024-02-01")),
            (Some("yesterday"), None),
            (Some("0d"), None),
            (None, Some("2024-13-01")),
            (None, Some("2024-06-03")),
            (Some("2024-07-01"), None),
            (Some("-5d"), None),
        ] {
            assert!(parse_window(s, u, now).is_err(), "{s:?} {u:?}");
        }
    }

    #[test]
    fn names_and_tag_patterns() {
        assert!(parse_window(None, Some("2024-06-02"), t("2024-06-01T12:00:00Z")).is_ok());
        for ok in ["v*", "release-[0-9]*", "[]x]*", "[!]]*", "v\\[1"] {
            assert_eq!(check_tag_pattern(ok), Ok(()), "{ok}");
        }
        for bad in ["", "  ", "v[", "v[0-9", "[]", "a\nb"] {
            assert!(check_tag_pattern(bad).is_err(), "{bad:?}");
        }
        assert!(check_name("--environment", "prod\r").is_err());
        assert!(check_name("--environment", "EU Production").is_ok());
    }

    #[test]
    fn incidents_json_and_csv() {
        let json = r#"[{"id": 7, "created_at": "2024-01-02T03:04:05+01:00", "resolved_at": null},
                       {"id": "b", "created_at": "2024-01-03 00:00:00", "resolved_at": "2024-01-03T01:00:00Z", "sha": "abc1234"}]"#;
        let v = parse_incidents(json).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id, "7");
        assert_eq!(v[0].created_at, t("2024-01-02T02:04:05Z"));
        assert_eq!(v[0].resolved_at, None);
        assert_eq!(v[1].deployment.as_deref(), Some("abc1234"));

        let csv = "id,created_at,resolved_at,deployment\r\n\"inc, 1\",2024-01-02T00:00:00Z,,v1.0\n2,2024-01-05,2024-01-06,\n";
        let v = parse_incidents(csv).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id, "inc, 1");
        assert_eq!(v[0].deployment.as_deref(), Some("v1.0"));
        assert_eq!(v[1].resolved_at, Some(t("2024-01-06")));
        assert_eq!(v[1].deployment, None);

        for bad in [
            "",
            "id,created\n1,2024-01-01\n",
            "id,created_at,resolved_at\n1,not-a-date,\n",
            "id,created_at,resolved_at\n1,2024-01-01\n",
            "[{\"id\": 1}]",
            "[1]",
            "{\"id\": 1}",
            "id,created_at,resolved_at\n\"1,2024-01-01,\n",
            "id,created_at,resolved_at\n1,2024-01-02,2024-01-01\n",
            "[{\"id\": 1, \"created_at\": \"2024-01-02\", \"resolved_at\": \"2024-01-01\"}]",
        ] {
            assert!(parse_incidents(bad).is_err(), "{bad:?}");
        }
    }
}
