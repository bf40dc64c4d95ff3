//! The pure core of `release create` (no I/O): version rules and choices.

/// Sentry's longest release version.
pub const MAX_VERSION_LEN: usize = 200;

/// Check a release version against Sentry's rules (also sane for a GitHub
/// tag): not empty, no surrounding white space, not `.`, `..` or `latest`,
/// no `/`, `\`, line break, tab or form feed, at most 200 characters.
/// The error says what is wrong, for a usage error (exit 2).
pub fn validate_version(v: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid release version {v:?}: {why}"));
    if v.is_empty() {
        return bad("it is empty");
    }
    if v.trim() != v {
        return bad("it has white space around it");
    }
    if matches!(v, "." | ".." | "latest") {
        return bad("`.`, `..` and `latest` are reserved by Sentry");
    }
    if let Some(c) = v.chars().find(|c| matches!(c, '/' | '\\')) {
        return bad(&format!("it contains {c:?} (Sentry forbids slashes)"));
    }
    if v.chars().any(|c| matches!(c, '\n' | '\r' | '\t' | '\x0c')) {
        return bad("it contains a line break, tab or form feed");
    }
    if v.chars().count() > MAX_VERSION_LEN {
        return bad(&format!(
            "it is {} characters long; Sentry allows at most {MAX_VERSION_LEN}",
            v.chars().count()
        ));
    }
    Ok(())
}

/// Which tag a release is for, among the tags at the target commit: the
/// workflow's tag when it is one of them (or when no tag is at the target,
/// as the CI says it is the ref), else one named like the version, else the
/// first by name.
pub fn choose_tag(
    tags_at_target: &[String],
    ci_tag: Option<&str>,
    version: Option<&str>,
) -> Option<String> {
    if let Some(t) = ci_tag {
        if tags_at_target.is_empty() || tags_at_target.iter().any(|x| x == t) {
            return Some(t.to_string());
        }
    }
    if let Some(v) = version {
        if let Some(t) = tags_at_target.iter().find(|t| *t == v) {
            return Some(t.clone());
        }
        let with_v = format!("v{v}");
        if let Some(t) = tags_at_target.iter().find(|t| **t == with_v) {
            return Some(t.clone());
        }
    }
    tags_at_target.first().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in [
            "1.2.3",
            "web@1.2.3",
            "v1.0.0-rc.1+build.5",
            "a b",
            &"x".repeat(200),
        ] {
            assert_eq!(validate_version(ok), Ok(()), "{ok:?}");
        }
        for (bad, why) in [
            ("", "empty"),
            (" 1.0", "white space"),
            ("1.0\n", "white space"),
            (".", "reserved"),
            ("..", "reserved"),
            ("latest", "reserved"),
            ("a/b", "slashes"),
            ("a\\b", "slashes"),
            ("a\tb", "tab"),
            ("a\nb", "line break"),
            ("a\x0cb", "form feed"),
            (&"x".repeat(201), "at most 200"),
        ] {
            let err = validate_version(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn tag_choice() {
        let tags = vec!["release-7".to_string(), "v1.2.0".to_string()];
        assert_eq!(
            choose_tag(&tags, Some("v1.2.0"), None).as_deref(),
            Some("v1.2.0")
        );
        assert_eq!(
            choose_tag(&tags, None, Some("1.2.0")).as_deref(),
            Some("v1.2.0")
        );
        assert_eq!(
            choose_tag(&tags, None, Some("release-7")).as_deref(),
            Some("release-7")
        );
        assert_eq!(choose_tag(&tags, None, None).as_deref(), Some("release-7"));
        assert_eq!(choose_tag(&[], Some("v9"), None).as_deref(), Some("v9"));
        assert_eq!(choose_tag(&[], None, Some("1.0")), None);
    }
}
