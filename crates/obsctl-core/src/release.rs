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

/// A release version for the providers used: never empty, without white
/// space around it or a line break, tab or form feed; Sentry's rules
/// ([`validate_version`]) only when Sentry is used (`web/v1.2.3` and
/// `latest` are fine with `--no-sentry`), the error then naming Sentry and
/// suggesting `--no-sentry`. GitHub's tag rules are checked where the tag
/// is made.
pub fn validate_version_for(v: &str, sentry: bool) -> Result<(), String> {
    let bad = |why: &str| Err(format!("invalid release version {v:?}: {why}"));
    if v.is_empty() {
        return bad("it is empty");
    }
    if v.trim() != v {
        return bad("it has white space around it");
    }
    if v.chars().any(|c| matches!(c, '\n' | '\r' | '\t' | '\x0c')) {
        return bad("it contains a line break, tab or form feed");
    }
    if sentry {
        validate_version(v).map_err(|e| format!("Sentry: {e} (or pass --no-sentry)"))?;
    }
    Ok(())
}

/// Which tag a release is for, among the tags at the target commit: the
/// workflow's tag when it is one of them (or when no tag is at the target,
/// as the CI says it is the ref), else one named like the version (`None`
/// when a version is given and no tag names it: its tag is to be created),
/// else, without a version, [`pick_tag`]'s choice.
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
        // A tag that names the version another way (`release-1.2.3`,
        // `web@1.2.3` for `1.2.3`); never an unrelated tag such as the
        // previous release's on the same commit: the version's own tag is
        // created with the release then (`None`).
        let bare = v.trim_start_matches(['v', 'V']);
        let named = tags_at_target
            .iter()
            .filter(|t| !bare.is_empty() && t.ends_with(bare))
            .cloned()
            .collect::<Vec<_>>();
        return pick_tag(named);
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

/// Commits taken for a first release (no earlier tag, no `--previous`).
pub const FIRST_RELEASE_DEPTH: usize = 100;

/// How to get out of a shallow clone, for every message that needs it.
pub const SHALLOW_FIX: &str = "fetch the full history (actions/checkout with `fetch-depth: 0`, \
     or `git fetch --unshallow`), or pass --allow-shallow to go on with the commits that are here";

/// What git answered for `--previous SPEC`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviousLookup {
    /// The commit is here: its full SHA.
    Found(String),
    /// The name resolves (or is a full SHA) but the commit is not in this
    /// clone: the SHA it names.
    Missing(String),
    /// The name resolves to nothing: git's message.
    Unknown(String),
}

/// Where the range starts, as read from git (the command reads, this module decides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeStart {
    /// `--previous SPEC` was given.
    Given {
        /// As the user wrote it.
        spec: String,
        /// Whether `refs/tags/{spec}` exists.
        is_tag: bool,
        /// What resolving it gave.
        lookup: PreviousLookup,
    },
    /// No `--previous`: the nearest earlier tag, or why there is none.
    Nearest(crate::commit::PreviousTag),
}

/// Everything the range choice depends on.
#[derive(Clone, Debug)]
pub struct RangeFacts {
    /// The release's commit, shortened for messages (7 characters).
    pub target_short: String,
    /// Where the range starts.
    pub start: RangeStart,
    /// The clone is shallow (or a worktree of a shallow clone).
    pub shallow: bool,
    /// `--allow-shallow`: go on with the commits that are here.
    pub allow_shallow: bool,
}

/// The chosen range: what to walk and how to describe it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeChoice {
    /// The start as given or found (a tag name, a ref, a SHA).
    pub previous: Option<String>,
    /// The previous release's tag, when it is one (for GitHub's notes).
    pub previous_tag: Option<String>,
    /// Walk from the target down to (excluding) this SHA; `None`: no lower bound.
    pub since: Option<String>,
    /// At most this many commits (first releases); `None`: no limit.
    pub limit: Option<usize>,
    /// Human description of the range, e.g. `v1.0.0..abc1234`.
    pub range: String,
    /// Things to tell the user (a shallow clone accepted with --allow-shallow).
    pub notices: Vec<String>,
}

/// Why no range can be chosen. [`RangeError::is_usage`] tells bad input
/// (exit 2) from a clone that lacks history (exit 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// `--previous` names a commit that is not in this clone.
    #[error("{}", missing_previous(.spec, .sha, *.shallow))]
    PreviousMissing {
        /// As given.
        spec: String,
        /// The SHA it names.
        sha: String,
        /// Whether the clone is shallow (changes the fix).
        shallow: bool,
    },
    /// `--previous` names nothing, in a shallow clone (it may exist upstream).
    #[error("--previous {spec}: not found in this clone, which is shallow: {SHALLOW_FIX}")]
    PreviousNotInShallowClone {
        /// As given.
        spec: String,
    },
    /// `--previous` names nothing (bad input).
    #[error("--previous: {0}")]
    PreviousUnknown(String),
    /// No earlier tag before the edge of a shallow clone.
    #[error(
        "no earlier tag in this shallow clone: its history stops at commit {boundary}, so \
         the previous release cannot be found: {SHALLOW_FIX} (or name it with --previous)"
    )]
    NoTagInShallowClone {
        /// The commit at the edge.
        boundary: String,
    },
}

impl RangeError {
    /// Bad input (exit 2) rather than missing history (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, RangeError::PreviousUnknown(_))
    }
}

/// `sha (name)`, or the SHA alone when it was given as one.
pub fn label(spec: &str, sha: &str) -> String {
    if spec.eq_ignore_ascii_case(sha) {
        sha.to_string()
    } else {
        format!("{sha} ({spec})")
    }
}

/// The message for a previous release whose commit is not in the clone.
pub fn missing_previous(spec: &str, sha: &str, shallow: bool) -> String {
    let what = label(spec, sha);
    if shallow {
        format!(
            "the previous release's commit {what} is not in this clone, which is shallow: {SHALLOW_FIX}"
        )
    } else {
        format!(
            "the previous release's commit {what} is not in this clone: fetch it \
             (`git fetch origin {sha}`), or pass --allow-shallow to go on with the commits that are here"
        )
    }
}

/// Choose a release's commit range: from `--previous` when given, else
/// from the nearest earlier tag, else (a first release) the latest
/// [`FIRST_RELEASE_DEPTH`] commits. A shallow clone that hides the start is
/// an error unless `allow_shallow`, then a notice.
pub fn choose_range(f: &RangeFacts) -> Result<RangeChoice, RangeError> {
    use crate::commit::PreviousTag;
    let short = &f.target_short;
    let mut c = RangeChoice::default();
    match &f.start {
        RangeStart::Given {
            spec,
            is_tag,
            lookup,
        } => {
            c.previous = Some(spec.clone());
            if *is_tag {
                c.previous_tag = Some(spec.clone());
            }
            match lookup {
                PreviousLookup::Found(sha) => {
                    c.range = format!("{}..{short}", crate::text::display_ref(spec));
                    c.since = Some(sha.clone());
                }
                PreviousLookup::Missing(sha) => {
                    if !f.allow_shallow {
                        return Err(RangeError::PreviousMissing {
                            spec: spec.clone(),
                            sha: sha.clone(),
                            shallow: f.shallow,
                        });
                    }
                    c.notices.push(format!(
                        "the previous release's commit {} is not in this clone: going on with \
                         the commits that are here (--allow-shallow)",
                        label(spec, sha)
                    ));
                    c.range = format!(
                        "{}..{short}, previous release missing from this clone: the commits present",
                        crate::text::display_ref(spec)
                    );
                    if !f.shallow {
                        c.limit = Some(FIRST_RELEASE_DEPTH);
                    }
                }
                PreviousLookup::Unknown(_) if f.shallow => {
                    return Err(RangeError::PreviousNotInShallowClone { spec: spec.clone() });
                }
                PreviousLookup::Unknown(message) => {
                    return Err(RangeError::PreviousUnknown(message.clone()));
                }
            }
        }
        RangeStart::Nearest(PreviousTag::Found { name, sha }) => {
            c.range = format!("{name}..{short}");
            c.previous = Some(name.clone());
            c.previous_tag = Some(name.clone());
            c.since = Some(sha.clone());
        }
        RangeStart::Nearest(PreviousTag::NotFound {
            shallow_boundary: Some(b),
        }) => {
            if !f.allow_shallow {
                return Err(RangeError::NoTagInShallowClone {
                    boundary: b.clone(),
                });
            }
            c.notices.push(format!(
                "shallow clone: no earlier tag in the history present (it stops at {b}); going \
                 on with the commits that are here (--allow-shallow)"
            ));
            c.range =
                format!("no earlier tag in this shallow clone: the commits present up to {short}");
        }
        RangeStart::Nearest(PreviousTag::NotFound {
            shallow_boundary: None,
        }) => {
            c.limit = Some(FIRST_RELEASE_DEPTH);
            c.range = format!(
                "first release: no earlier tag, at most the latest {FIRST_RELEASE_DEPTH} commits up to {short}"
            );
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(start: RangeStart, shallow: bool, allow_shallow: bool) -> RangeFacts {
        RangeFacts {
            target_short: "abc1234".into(),
            start,
            shallow,
            allow_shallow,
        }
    }

    fn given(lookup: PreviousLookup) -> RangeStart {
        RangeStart::Given {
            spec: "v1.0.0".into(),
            is_tag: true,
            lookup,
        }
    }

    #[test]
    fn range_from_the_nearest_tag_or_a_first_release() {
        use crate::commit::PreviousTag;
        let c = choose_range(&facts(
            RangeStart::Nearest(PreviousTag::Found {
                name: "v1.0.0".into(),
                sha: "s".repeat(40),
            }),
            false,
            false,
        ))
        .unwrap();
        assert_eq!(c.range, "v1.0.0..abc1234");
        assert_eq!(c.previous_tag.as_deref(), Some("v1.0.0"));
        assert_eq!(c.since, Some("s".repeat(40)));
        assert_eq!(c.limit, None);
        let first = choose_range(&facts(
            RangeStart::Nearest(PreviousTag::NotFound {
                shallow_boundary: None,
            }),
            false,
            false,
        ))
        .unwrap();
        assert_eq!(first.limit, Some(FIRST_RELEASE_DEPTH));
        assert!(first.range.starts_with("first release"), "{}", first.range);
        assert_eq!(first.previous, None);
    }

    #[test]
    fn a_shallow_clone_that_hides_the_start_needs_allow_shallow() {
        use crate::commit::PreviousTag;
        let hidden = RangeStart::Nearest(PreviousTag::NotFound {
            shallow_boundary: Some("b".repeat(40)),
        });
        let e = choose_range(&facts(hidden.clone(), true, false)).unwrap_err();
        assert!(!e.is_usage());
        assert!(e.to_string().contains("fetch-depth: 0"), "{e}");
        let c = choose_range(&facts(hidden, true, true)).unwrap();
        assert_eq!(c.notices.len(), 1);
        assert_eq!(c.limit, None);

        let missing = given(PreviousLookup::Missing("d".repeat(40)));
        let e = choose_range(&facts(missing.clone(), true, false)).unwrap_err();
        assert!(e.to_string().contains("which is shallow"), "{e}");
        let e = choose_range(&facts(missing.clone(), false, false)).unwrap_err();
        assert!(e.to_string().contains("git fetch origin"), "{e}");
        // Not shallow, commit missing, allowed: bounded like a first release.
        let c = choose_range(&facts(missing, false, true)).unwrap();
        assert_eq!(c.limit, Some(FIRST_RELEASE_DEPTH));
        assert_eq!(c.since, None);
    }

    #[test]
    fn an_unknown_previous_is_bad_input_unless_the_clone_is_shallow() {
        let unknown = given(PreviousLookup::Unknown("\"v9\" is not a commit".into()));
        let e = choose_range(&facts(unknown.clone(), false, false)).unwrap_err();
        assert!(e.is_usage());
        assert_eq!(e.to_string(), "--previous: \"v9\" is not a commit");
        let e = choose_range(&facts(unknown, true, false)).unwrap_err();
        assert!(!e.is_usage());
        let full = RangeStart::Given {
            spec: "f".repeat(40),
            is_tag: false,
            lookup: PreviousLookup::Found("f".repeat(40)),
        };
        let c = choose_range(&facts(full, false, false)).unwrap();
        assert_eq!(c.range, "fffffff..abc1234");
        assert_eq!(c.previous_tag, None);
    }

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
    fn sentry_version_rules_only_with_sentry() {
        for ok in ["web/v1.2.3", "latest", "a\\b", ".."] {
            assert_eq!(validate_version_for(ok, false), Ok(()), "{ok:?}");
        }
        let err = validate_version_for("web/v1.2.3", true).unwrap_err();
        assert!(
            err.starts_with("Sentry: ") && err.contains("--no-sentry"),
            "{err}"
        );
        for bad in ["", " 1.0", "a\nb", "a\tb"] {
            assert!(validate_version_for(bad, false).is_err(), "{bad:?}");
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
        // A version no tag at the target names: its own tag, never the
        // previous release's tag on the same commit.
        assert_eq!(choose_tag(&tags, None, Some("v1.2.1")), None);
        assert_eq!(
            choose_tag(&["release-1.3.0".to_string()], None, Some("1.3.0")).as_deref(),
            Some("release-1.3.0")
        );
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
