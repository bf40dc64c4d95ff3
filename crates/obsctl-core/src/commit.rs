//! Commits, tags and ranges as owned data: what the git layer (in the
//! `obsctl` crate) reads and what release notes, version rules and the
//! commit-range choice work on. No git access here.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

/// How a file changed in a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Added by the commit.
    Added,
    /// Changed in place.
    Modified,
    /// Removed by the commit.
    Deleted,
    /// Moved from [`FileChange::from`] (possibly edited too).
    Renamed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// One file a commit changed.
pub struct FileChange {
    /// Repository-relative, `/`-separated.
    pub path: String,
    /// How it changed.
    pub kind: ChangeKind,
    /// The old path of a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl FileChange {
    /// A change of `path` without a rename source.
    pub fn new(path: impl Into<String>, kind: ChangeKind) -> Self {
        Self {
            path: path.into(),
            kind,
            from: None,
        }
    }

    /// The paths this change touches (both sides of a rename).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.from.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// An author or committer.
pub struct Person {
    /// The name as recorded in the commit.
    pub name: String,
    /// The e-mail address as recorded (hidden in messages unless `--include-emails`).
    pub email: String,
    /// With the offset recorded in the commit.
    pub time: DateTime<FixedOffset>,
}

/// One commit, as owned data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// The full 40-hex-digit SHA.
    pub sha: String,
    /// The parent SHAs (two or more for a merge).
    pub parents: Vec<String>,
    /// The first line of the message.
    pub subject: String,
    /// The rest of the message, trimmed.
    pub body: String,
    /// Who wrote it, and when.
    pub author: Person,
    /// When it was committed, with the recorded offset.
    pub committer_time: DateTime<FixedOffset>,
    /// Changes against the first parent (the empty tree for a root commit).
    /// `None` when unknown: the commit sits on the edge of a shallow clone and
    /// its parent is not here.
    pub files: Option<Vec<FileChange>>,
}

impl CommitInfo {
    /// Whether the commit has more than one parent.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    /// The first 7 characters of the SHA ([`crate::text::short_sha`]).
    pub fn short_sha(&self) -> &str {
        crate::text::short_sha(&self.sha)
    }

    /// The full message: subject, blank line, body.
    pub fn message(&self) -> String {
        if self.body.is_empty() {
            self.subject.clone()
        } else {
            format!("{}\n\n{}", self.subject, self.body)
        }
    }

    /// Whether the commit changed a file at or under one of `paths`
    /// (repository-relative; `""` and `"."` match everything).
    pub fn touches(&self, paths: &[String]) -> bool {
        let Some(files) = &self.files else {
            return false;
        };
        paths.iter().any(|p| {
            let p = normalize_path(p);
            p.is_empty()
                || files.iter().flat_map(FileChange::paths).any(|f| {
                    f == p
                        || (f.len() > p.len()
                            && f.starts_with(p.as_str())
                            && f.as_bytes()[p.len()] == b'/')
                })
        })
    }
}

/// `./a/b/` → `a/b`; `\` becomes `/`.
pub fn normalize_path(p: &str) -> String {
    let p = p.trim().replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.trim_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

/// A tag, peeled to the commit it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagInfo {
    /// The tag name without `refs/tags/`.
    pub name: String,
    /// The commit the tag points at (for an annotated tag whose tag object is
    /// not in this clone: the id the ref holds).
    pub sha: String,
    /// Set for annotated tags.
    pub tagger_time: Option<DateTime<FixedOffset>>,
    /// `None` when the commit is not in this clone (shallow).
    pub commit_time: Option<DateTime<FixedOffset>>,
}

/// The nearest earlier tag, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviousTag {
    /// The nearest earlier tag.
    Found {
        /// The tag name.
        name: String,
        /// The commit it points at.
        sha: String,
    },
    /// No earlier tag. `shallow_boundary` is set when the search stopped at
    /// the edge of a shallow clone, so an earlier tag may exist upstream.
    NotFound {
        /// The SHA at the edge of the shallow clone where the search stopped, if it did.
        shallow_boundary: Option<String>,
    },
}

/// The commits of a range.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Newest first (topological order, by time among siblings).
    pub commits: Vec<CommitInfo>,
    /// Commits walked whose parents are not in this shallow clone: the range
    /// may be incomplete below them.
    pub shallow_boundary: Vec<String>,
    /// The walk stopped at its limit; more commits are reachable.
    pub truncated: bool,
    /// Commits of the range counted but not read (a walk asked to read only
    /// its newest commits): in neither `commits` nor a callback.
    pub unread: usize,
}

/// Shell-style glob on a whole name, as git matches tag names: `*` any run
/// of characters, `?` one, `[abc]`, `[a-z]` and `[!a-z]` one of a class,
/// `\\x` the character `x`. An unclosed `[` matches itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class_match(&p[pi..], n[ni]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (n[ni] == '[').then_some(1),
            },
            Some('\\') if pi + 1 < p.len() => (p[pi + 1] == n[ni]).then_some(2),
            Some(&c) => (c == n[ni]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                pi += len;
                ni += 1;
            }
            (None, Some((sp, sn))) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the class at the start of `p` (`[...]`): whether it
/// matched and the class's length; `None` when the `[` is not closed.
fn class_match(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}
