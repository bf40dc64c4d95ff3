//! `X-Sentry-Rate-Limits`: `retry_after:categories:scope:reason_code[:namespaces]`,
//! comma-separated; `categories` is `;`-separated and empty means all
//! (contract `sentry/envelope.json`, `x-wire-format.responses.429`). The
//! header may arrive on a 200 too: the envelope was taken, later ones of
//! those categories will be dropped until `retry_after` seconds pass.

use serde::Serialize;

/// One limit of the header.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateLimit {
    /// Seconds until the limit lifts.
    pub retry_after_secs: f64,
    /// Data categories (`error`, `transaction`, …); empty = every category.
    pub categories: Vec<String>,
    /// `organization`, `project`, `key`, … (empty when not given).
    pub scope: String,
    /// Why (`usage_exceeded`, `key_quota`, `smart_rate_limit`, …), when given.
    pub reason_code: Option<String>,
}

impl RateLimit {
    /// Whether it applies to the data category `category` (`error` for events).
    pub fn applies_to(&self, category: &str) -> bool {
        self.categories.is_empty()
            || self
                .categories
                .iter()
                .any(|c| c == category || (category == "error" && c == "default"))
    }

    /// One line: "error events limited for 60 s (scope key, reason key_quota)".
    pub fn describe(&self) -> String {
        let cats = if self.categories.is_empty() {
            "all data".to_string()
        } else {
            format!("{} data", self.categories.join("/"))
        };
        let mut s = format!("{cats} limited for {} s", self.retry_after_secs.ceil());
        let mut details = vec![];
        if !self.scope.is_empty() {
            details.push(format!("scope {}", self.scope));
        }
        if let Some(r) = &self.reason_code {
            details.push(format!("reason {r}: {}", explain_reason(r)));
        }
        if !details.is_empty() {
            s.push_str(&format!(" ({})", details.join(", ")));
        }
        s
    }
}

/// What a rate-limit or quota reason code means, in words.
pub fn explain_reason(code: &str) -> &'static str {
    match code {
        "usage_exceeded" => {
            "over quota: the organization's event quota for this billing period is used up"
        }
        "grace_period" => "over quota (grace period)",
        "smart_rate_limit" => "spike protection dropped events",
        "key_quota" => "the DSN key's own rate limit (Client Keys → rate limit)",
        "project_quota" => "the project's rate limit",
        "org_quota" => "the organization's rate limit",
        c if c.contains("abuse") => "Sentry's abuse limit",
        c if c.contains("quota") => "over quota",
        c if c.contains("disabled") => "ingestion is disabled for this project or key",
        _ => "rate limited",
    }
}

/// Parse the header. Malformed entries are skipped (the header is advice).
pub fn parse(header: &str) -> Vec<RateLimit> {
    header
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.trim().split(':');
            let secs: f64 = parts.next()?.trim().parse().ok()?;
            if !secs.is_finite() || secs < 0.0 {
                return None;
            }
            let categories = parts
                .next()
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect();
            let scope = parts.next().unwrap_or("").trim().to_string();
            let reason_code = parts
                .next()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(String::from);
            Some(RateLimit {
                retry_after_secs: secs,
                categories,
                scope,
                reason_code,
            })
        })
        .collect()
}

/// The longest wait among the limits that apply to `category`, in seconds.
pub fn wait_for(limits: &[RateLimit], category: &str) -> Option<f64> {
    limits
        .iter()
        .filter(|l| l.applies_to(category))
        .map(|l| l.retry_after_secs)
        .fold(None, |acc, s| Some(acc.map_or(s, |a: f64| a.max(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let l = parse(
            "60:error;transaction:key:key_quota, 2700::organization:usage_exceeded:custom, junk, -1:error:key",
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].categories, vec!["error", "transaction"]);
        assert_eq!(l[0].scope, "key");
        assert_eq!(l[0].reason_code.as_deref(), Some("key_quota"));
        assert!(l[1].categories.is_empty());
        assert!(l[1].applies_to("error"));
        assert!(
            !parse("10:transaction:project")
                .first()
                .unwrap()
                .applies_to("error")
        );
        assert_eq!(wait_for(&l, "error"), Some(2700.0));
        assert_eq!(wait_for(&parse("5:transaction:key"), "error"), None);
        assert!(
            l[1].describe().contains("over quota"),
            "{}",
            l[1].describe()
        );
        assert!(parse("").is_empty());
    }
}
