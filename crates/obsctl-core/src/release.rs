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
/// as the CI says it is the ref), else one named like the version, else
/// [`pick_tag`]'s choice.
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
    pick_tag(tags_at_target.to_vec())
}

/// Pick one tag among those at a commit: version-looking tags first, then
/// the highest by a natural (digit-aware) order.
pub fn pick_tag(mut tags: Vec<String>) -> Option<String> {
    tags.sort_by(|a, b| {
        let va = looks_like_version(a);
        let vb = looks_like_version(b);
        va.cmp(&vb).then_with(|| natural_cmp(a, b))
    });
    tags.pop()
}

fn looks_like_version(tag: &str) -> bool {
    let t = tag.rsplit('@').next().unwrap_or(tag);
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let d = c.is_ascii_digit();
            match out.last_mut() {
                Some((kind, buf)) if *kind == d => buf.push(c),
                _ => out.push((d, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x.0, y.0) {
            (true, true) => {
                let xs = x.1.trim_start_matches('0');
                let ys = y.1.trim_start_matches('0');
                xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys))
            }
            _ => x.1.cmp(&y.1),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
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
        // Version-looking tags win over other names.
        assert_eq!(choose_tag(&tags, None, None).as_deref(), Some("v1.2.0"));
        assert_eq!(choose_tag(&[], Some("v9"), None).as_deref(), Some("v9"));
        assert_eq!(choose_tag(&[], None, Some("1.0")), None);
    }

    #[test]
    fn tags() {
        assert_eq!(
            pick_tag(vec![
                "v1.9.0".into(),
                "v1.10.0".into(),
                "latest-stable".into()
            ])
            .as_deref(),
            Some("v1.10.0")
        );
        assert_eq!(
            pick_tag(vec!["deployed".into()]).as_deref(),
            Some("deployed")
        );
        assert_eq!(pick_tag(vec![]), None);
    }
}
