//! Release series: which tags are releases, and which one came before.
//!
//! One concept for `release create` (the previous release, hence the commit
//! range and the notes) and `dora report --source git` (which tags are
//! deployments):
//!
//! - Tag patterns ([`TagPatterns`]) are globs (`*`, `?`, `[0-9]`), repeatable; a
//!   pattern starting with `!` excludes (`v*`, `!*-snapshot.*`). No include
//!   pattern means every tag.
//! - A tag is a version when it parses as one ([`TagVersion`]): an optional
//!   prefix that ends in a non-digit (`v`, `grep-searcher-`), numbers
//!   separated by dots, an optional pre-release after `-`, optional build
//!   metadata after `+`. A tag that is not a version (`nightly`) is never a
//!   previous release.
//! - The series of a version is its prefix: `v1.2.0` and `v2.0.0` are one
//!   series, `grep-searcher-0.1.17` another.
//! - The previous release of a stable version is the nearest earlier
//!   *stable* version of the same series (pre-releases skipped); of a
//!   pre-release, the nearest earlier version of the series. "Nearest" is
//!   in history, walked from the target newest first; "earlier" is by
//!   version. Two versions on the same commit have nothing between them.

use std::cmp::Ordering;

use crate::commit::glob_match;

/// Tag globs (git's: `*`, `?`, `[a-z]`, `[!a-z]`) with `!` excludes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagPatterns {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl TagPatterns {
    /// Parse patterns as given on the command line or in `obsctl.toml`.
    ///
    /// Errors (naming `--tag-pattern`): a blank pattern, one with a control
    /// character, or an unclosed `[`.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        let mut out = TagPatterns::default();
        for p in patterns {
            let raw = p.as_ref();
            crate::dora::input::check_tag_pattern(raw)?;
            let p = raw.trim();
            let (neg, glob) = match p.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, p),
            };
            crate::dora::input::check_tag_pattern(glob)?;
            if neg {
                out.exclude.push(glob.to_string());
            } else {
                out.include.push(glob.to_string());
            }
        }
        Ok(out)
    }

    /// True when `name` matches an include pattern (or there is none) and no exclude.
    pub fn matches(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| glob_match(p, name)))
            && !self.exclude.iter().any(|p| glob_match(p, name))
    }

    /// True when no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// The patterns as written (`!` for excludes), for messages.
    pub fn describe(&self) -> String {
        let mut all: Vec<String> = self.include.iter().map(|p| format!("\"{p}\"")).collect();
        all.extend(self.exclude.iter().map(|p| format!("\"!{p}\"")));
        all.join(", ")
    }
}

/// A tag read as a version: `v1.2.3-rc.1+build` → prefix `v`, numbers
/// `[1, 2, 3]`, pre-release `rc.1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagVersion {
    /// Everything before the first number (the series): `v`, `grep-searcher-`, or empty.
    pub prefix: String,
    /// The dot-separated numbers (at least one).
    pub numbers: Vec<u64>,
    /// The pre-release identifiers after `-`, if any.
    pub pre: Option<String>,
}

impl TagVersion {
    /// Parse a tag name; `None` when it is not a version.
    pub fn parse(tag: &str) -> Option<TagVersion> {
        let start = tag.find(|c: char| c.is_ascii_digit())?;
        let prefix = &tag[..start];
        // A prefix is a name part: it must end in a separator or a letter
        // (`v`, `release-`, `grep-searcher-`), never inside a word with digits.
        if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let rest = &tag[start..];
        let rest = rest.split_once('+').map_or(rest, |(v, _build)| v);
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_string())),
            Some(_) => return None,
            None => (rest, None),
        };
        let numbers: Option<Vec<u64>> = core.split('.').map(|n| n.parse().ok()).collect();
        let numbers = numbers?;
        if numbers.is_empty() || numbers.len() > 4 {
            return None;
        }
        Some(TagVersion {
            prefix: prefix.to_string(),
            numbers,
            pre,
        })
    }

    /// A version without a pre-release part.
    pub fn is_stable(&self) -> bool {
        self.pre.is_none()
    }

    /// Compare two versions of one series (semver precedence: missing
    /// numbers are 0, a pre-release is below its release, pre-release
    /// identifiers compare numerically when both are numbers).
    pub fn cmp_version(&self, other: &TagVersion) -> Ordering {
        let len = self.numbers.len().max(other.numbers.len());
        for i in 0..len {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => cmp_pre(a, b),
        }
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Decides, commit by commit, which tag is the previous release of
/// `target`. Feed it the commits reachable from the target, newest first
/// (the target's own commit first), with the tags on each (already
/// filtered by the [`TagPatterns`]); it answers as soon as it can, so the
/// walk stops at the first commit that carries a release of the series.
#[derive(Clone, Debug)]
pub struct PreviousRelease {
    target_name: String,
    target: Option<TagVersion>,
}

impl PreviousRelease {
    /// For the release named `target` (a tag that may not exist yet).
    pub fn new(target: &str) -> Self {
        Self {
            target_name: target.to_string(),
            target: TagVersion::parse(target),
        }
    }

    /// Whether tag `name` can be the previous release of the target.
    pub fn eligible(&self, name: &str) -> bool {
        if name == self.target_name {
            return false;
        }
        let Some(v) = TagVersion::parse(name) else {
            return false;
        };
        match &self.target {
            // A target that is not a version: any earlier version tag.
            None => true,
            Some(t) => {
                v.prefix == t.prefix
                    && v.cmp_version(t) == Ordering::Less
                    && (v.is_stable() || !t.is_stable())
            }
        }
    }

    /// The previous release among the tags of one commit, if any: the
    /// highest eligible version there.
    pub fn pick<'a>(&self, tags_on_commit: &'a [String]) -> Option<&'a str> {
        tags_on_commit
            .iter()
            .filter(|t| self.eligible(t))
            .max_by(|a, b| {
                let (va, vb) = (
                    TagVersion::parse(a).expect("eligible tags parse"),
                    TagVersion::parse(b).expect("eligible tags parse"),
                );
                va.cmp_version(&vb).then_with(|| b.len().cmp(&a.len()))
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prev(target: &str, history: &[&[&str]]) -> Option<String> {
        let p = PreviousRelease::new(target);
        history.iter().find_map(|tags| {
            let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            p.pick(&tags).map(str::to_string)
        })
    }

    #[test]
    fn stable_releases_skip_prereleases() {
        // git-cliff: v1.3.0's previous release is v1.2.0, not v1.3.0-rc.1.
        assert_eq!(
            prev("v1.3.0", &[&["v1.3.0"], &["v1.3.0-rc.1"], &[], &["v1.2.0"]]).as_deref(),
            Some("v1.2.0")
        );
        assert_eq!(
            prev("v2.1.0", &[&[], &["v2.1.0-rc.1"], &["v2.0.0"]]).as_deref(),
            Some("v2.0.0")
        );
        // A pre-release's previous release is the nearest earlier version.
        assert_eq!(
            prev("v2.1.0-rc.2", &[&[], &["v2.1.0-rc.1"], &["v2.0.0"]]).as_deref(),
            Some("v2.1.0-rc.1")
        );
    }

    #[test]
    fn other_series_and_non_versions_are_not_releases() {
        // ripgrep tags its library crates too.
        assert_eq!(
            prev("15.2.0", &[&[], &["grep-searcher-0.1.17"], &["15.1.0"]]).as_deref(),
            Some("15.1.0")
        );
        assert_eq!(
            prev("v1.1.0", &[&[], &["nightly"], &["v1.0.0"]]).as_deref(),
            Some("v1.0.0")
        );
    }

    #[test]
    fn two_versions_on_one_commit() {
        // v2.0.1 and v2.0.2 on the same commit: nothing between them.
        assert_eq!(
            prev("v2.0.2", &[&["v2.0.1", "v2.0.2"], &["v2.0.0"]]).as_deref(),
            Some("v2.0.1")
        );
        // A later version on the same commit is not "previous".
        assert_eq!(
            prev("v2.0.1", &[&["v2.0.1", "v2.0.2"], &["v2.0.0"]]).as_deref(),
            Some("v2.0.0")
        );
    }

    #[test]
    fn versions_compare_by_precedence() {
        let v = |s| TagVersion::parse(s).unwrap();
        assert_eq!(v("v1.10.0").cmp_version(&v("v1.9.0")), Ordering::Greater);
        assert_eq!(
            v("1.0.0-rc.2").cmp_version(&v("1.0.0-rc.10")),
            Ordering::Less
        );
        assert_eq!(
            v("1.0.0-alpha").cmp_version(&v("1.0.0-alpha.1")),
            Ordering::Less
        );
        assert_eq!(v("1.0.0-beta").cmp_version(&v("1.0.0")), Ordering::Less);
        assert_eq!(v("1.0").cmp_version(&v("1.0.0")), Ordering::Equal);
        assert_eq!(v("v1.0.0+build.5").numbers, vec![1, 0, 0]);
        assert_eq!(v("grep-searcher-0.1.17").prefix, "grep-searcher-");
        for not in ["nightly", "latest", "v1..2", "v1.x", "1.0.0-", "release 1"] {
            assert_eq!(TagVersion::parse(not), None, "{not}");
        }
    }

    #[test]
    fn patterns_include_and_exclude() {
        let p = TagPatterns::parse(&["v*", "!*-snapshot.*"]).unwrap();
        assert!(p.matches("v1.0.0"));
        assert!(!p.matches("v1.0.0-snapshot.3"));
        assert!(!p.matches("release-1"));
        let only_exclude = TagPatterns::parse(&["!nightly"]).unwrap();
        assert!(only_exclude.matches("v1"));
        assert!(!only_exclude.matches("nightly"));
        assert!(TagPatterns::parse(&[" "]).is_err());
        assert!(TagPatterns::parse(&["!"]).is_err());
        assert!(TagPatterns::parse(&["v[0-9"]).is_err());
        let classes = TagPatterns::parse(&["release-[0-9]*", "![!0-9]*x"]).unwrap();
        assert!(classes.matches("release-12"));
        assert!(!classes.matches("release-x"));
        assert_eq!(p.describe(), "\"v*\", \"!*-snapshot.*\"");
    }
}
