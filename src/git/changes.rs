//! Part of the one git layer ([`crate::git`]). Local git for `dora report`: deployments from tags (`--source git`) and
//! the change set of every deployment (both sources), through git2.
//!
//! Change sets: the commits reachable from a deployment and from no earlier
//! successful deployment. Rather than hiding every earlier SHA on each walk,
//! [`GitChanges`] keeps the *frontier*: the earlier deployed commits that are
//! not ancestors of another one. Everything reachable from earlier
//! deployments is reachable from the frontier, so `push D, hide frontier`
//! is exact; in linear-ish history the frontier holds one commit and each
//! walk only visits the deployment's own commits. A rollback to an older SHA
//! (or a redeploy) walks nothing and leaves the frontier as it was, so the
//! deployment after a rollback does not re-ship what was already shipped.

use obsctl_core::series::TagPatterns;
use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::{DateTime, TimeZone, Utc};
use git2::{ObjectType, Oid, Repository};

use obsctl_core::dora::engine::ChangeSource;
use obsctl_core::dora::model::{Change, ChangeSet, Deployment};

pub fn git_time(t: git2::Time) -> DateTime<Utc> {
    Utc.timestamp_opt(t.seconds(), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Commits at the boundary of a shallow clone (their parents are missing).
/// The same reading as `release create` ([`super::shallow_roots`]): the
/// `shallow` file of the common directory, so a linked worktree of a shallow
/// clone is shallow too.
pub fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    super::shallow_roots(repo)
}

/// Deployments from the tags that match `pattern` (a glob, as `git tag -l`):
/// the tag name is the id, the tagged commit the SHA, the deploy time the
/// tagger time of an annotated tag, else the commit's committer time. Tags
/// that do not point at a commit are skipped and counted.
pub fn tag_deployments(
    repo: &Repository,
    patterns: &TagPatterns,
) -> Result<(Vec<Deployment>, u64)> {
    // One pass over the tag refs (each read once), not a list of names and
    // then a lookup per name.
    let refs = repo
        .references_glob("refs/tags/*")
        .context("git: listing tags")?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for reference in refs {
        let Ok(reference) = reference else {
            skipped += 1;
            continue;
        };
        let Some(name) = reference
            .name_bytes()
            .strip_prefix(b"refs/tags/")
            .and_then(|n| std::str::from_utf8(n).ok())
        else {
            continue;
        };
        if !patterns.matches(name) {
            continue;
        }
        let Some(target) = reference.target() else {
            skipped += 1;
            continue;
        };
        let Ok(object) = repo.find_object(target, None) else {
            skipped += 1;
            continue;
        };
        let tagger_time = object
            .as_tag()
            .and_then(|t| t.tagger().map(|s| git_time(s.when())));
        let Ok(commit) = object
            .peel(ObjectType::Commit)
            .and_then(|o| o.peel_to_commit())
        else {
            skipped += 1;
            continue;
        };
        let at = tagger_time.unwrap_or_else(|| git_time(commit.committer().when()));
        out.push(Deployment::success(name, &commit.id().to_string(), at));
    }
    Ok((out, skipped))
}

/// Change sets from a local repository.
pub struct GitChanges<'r> {
    repo: &'r Repository,
    frontier: Vec<Oid>,
    shallow: HashSet<Oid>,
    /// Change sets computed by [`ChangeSource::prepare`] (one walk), in
    /// call order; `None`: computed call by call.
    planned: Option<std::collections::VecDeque<ChangeSet>>,
    /// Commits visited by all walks (for -v and the benchmark).
    pub walked: u64,
}

impl<'r> GitChanges<'r> {
    pub fn new(repo: &'r Repository) -> Self {
        Self {
            repo,
            frontier: Vec::new(),
            shallow: shallow_boundary(repo),
            planned: None,
            walked: 0,
        }
    }

    /// Whether the repository is a shallow clone (or a worktree of one).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow() || !self.shallow.is_empty()
    }

    fn resolve(&self, sha: &str) -> Option<Oid> {
        let sha = sha.trim();
        if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        if sha.len() == 40 {
            // A full SHA: no ref lookups.
            let oid = Oid::from_str(sha).ok()?;
            return self.repo.find_commit(oid).ok().map(|c| c.id());
        }
        let object = self.repo.revparse_single(sha).ok()?;
        object.peel_to_commit().ok().map(|c| c.id())
    }

    /// Walk `push oid, hide frontier`. Returns the commits (with author
    /// times when `detail`), whether the walk reached the shallow boundary,
    /// and the frontier commits that are direct parents of walked commits:
    /// exactly the frontier members that are ancestors of `oid` (frontier
    /// members are never ancestors of one another, so the first unwalked
    /// commit on any path down from `oid` into the frontier's history is a
    /// frontier member itself).
    fn walk(
        &mut self,
        oid: Oid,
        detail: bool,
    ) -> Result<(Vec<Change>, bool, Vec<Oid>), git2::Error> {
        let mut walk = self.repo.revwalk()?;
        walk.push(oid)?;
        for &f in &self.frontier {
            walk.hide(f)?;
        }
        let mut changes = Vec::new();
        let mut cut = false;
        let mut reached = Vec::new();
        for id in walk {
            let id = id?;
            self.walked += 1;
            let commit = self.repo.find_commit(id)?;
            if self.shallow.contains(&id) {
                cut = true;
            }
            for p in commit.parent_ids() {
                if self.frontier.contains(&p) && !reached.contains(&p) {
                    reached.push(p);
                }
            }
            changes.push(Change {
                sha: if detail {
                    id.to_string()
                } else {
                    String::new()
                },
                author_time: git_time(commit.author().when()),
                is_merge: commit.parent_count() > 1,
            });
        }
        Ok((changes, cut, reached))
    }
}

impl GitChanges<'_> {
    /// Every wanted change set from ONE walk: push the wanted deployments,
    /// hide every deployment before them (the window's start bounds the
    /// walk, as `git log A B --not C D` does), then give each walked commit
    /// to the earliest wanted deployment that reaches it. A topological walk
    /// emits children before parents, so "earliest" flows down in one pass.
    /// The same sets as the frontier walks of [`ChangeSource::changes`]:
    /// reachable from the deployment and from no earlier one.
    fn plan(&mut self, successes: &[(&str, bool)]) -> Result<Vec<ChangeSet>, git2::Error> {
        let oids: Vec<Option<Oid>> = successes.iter().map(|(s, _)| self.resolve(s)).collect();
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
        let mut tips: std::collections::HashMap<Oid, usize> = Default::default();
        let mut any = false;
        for (i, ((_, wanted), oid)) in successes.iter().zip(&oids).enumerate() {
            let Some(oid) = *oid else { continue };
            if *wanted {
                tips.entry(oid).or_insert(i);
                walk.push(oid)?;
                any = true;
            } else {
                walk.hide(oid)?;
            }
        }
        let mut sets: Vec<Vec<Change>> = vec![Vec::new(); successes.len()];
        let mut cut = vec![false; successes.len()];
        if any {
            let mut owner: std::collections::HashMap<Oid, usize> = Default::default();
            for id in walk {
                let id = id?;
                self.walked += 1;
                let commit = self.repo.find_commit(id)?;
                let mine = match (owner.remove(&id), tips.get(&id)) {
                    (Some(a), Some(&b)) => a.min(b),
                    (Some(a), None) => a,
                    (None, Some(&b)) => b,
                    (None, None) => continue,
                };
                for p in commit.parent_ids() {
                    let e = owner.entry(p).or_insert(mine);
                    *e = (*e).min(mine);
                }
                if self.shallow.contains(&id) {
                    cut[mine] = true;
                }
                sets[mine].push(Change {
                    sha: id.to_string(),
                    author_time: git_time(commit.author().when()),
                    is_merge: commit.parent_count() > 1,
                });
            }
        }
        let mut out = Vec::with_capacity(successes.len());
        let mut resolved_before = false;
        for (i, ((_, wanted), oid)) in successes.iter().zip(&oids).enumerate() {
            let set = std::mem::take(&mut sets[i]);
            out.push(match (wanted, oid) {
                (false, _) => ChangeSet::Known(Vec::new()),
                (true, None) => ChangeSet::Missing,
                // As the walks call by call: the shallow edge first.
                (true, Some(_)) if cut[i] => ChangeSet::Truncated(set),
                (true, Some(_)) if !resolved_before => ChangeSet::Unbounded,
                (true, Some(_)) => ChangeSet::Known(set),
            });
            resolved_before |= oid.is_some();
        }
        Ok(out)
    }
}

impl ChangeSource for GitChanges<'_> {
    fn prepare(&mut self, successes: &[(&str, bool)]) {
        // On a git error, fall back to the walks call by call (which
        // report each set as missing where they fail).
        self.planned = self.plan(successes).ok().map(Into::into);
    }

    fn changes(&mut self, sha: &str, earlier: &[String], wanted: bool) -> ChangeSet {
        if let Some(set) = self.planned.as_mut().and_then(|p| p.pop_front()) {
            return set;
        }
        let Some(oid) = self.resolve(sha) else {
            return ChangeSet::Missing;
        };
        if !wanted && self.frontier.is_empty() {
            // A seed: nothing to hide, nothing to walk.
            self.frontier.push(oid);
            return ChangeSet::Known(Vec::new());
        }
        // Earlier deployments exist but none of their commits is here.
        let unbounded = self.frontier.is_empty() && !earlier.is_empty();
        match self.walk(oid, wanted) {
            Ok((changes, cut, reached)) => {
                // Empty: `oid` was already reachable (a redeploy or a
                // rollback), the frontier stays. Otherwise `oid` joins it and
                // its ancestors leave.
                if !changes.is_empty() {
                    self.frontier.retain(|f| !reached.contains(f));
                    self.frontier.push(oid);
                }
                if !wanted {
                    ChangeSet::Known(Vec::new())
                } else if cut {
                    ChangeSet::Truncated(changes)
                } else if unbounded {
                    ChangeSet::Unbounded
                } else {
                    ChangeSet::Known(changes)
                }
            }
            Err(_) => ChangeSet::Missing,
        }
    }
}

/// A change source for when there is no local repository: every change set
/// is unknown.
pub struct NoChanges;

impl ChangeSource for NoChanges {
    fn changes(&mut self, _: &str, _: &[String], _: bool) -> ChangeSet {
        ChangeSet::Missing
    }
}

/// Open the repository at (or above) `path`.
pub fn open(path: &Path) -> Result<Repository, git2::Error> {
    // libgit2's object cache bounded, as for `release create`.
    super::configure_libgit2(super::DORA_OBJECT_CACHE_BYTES);
    Repository::discover(path)
}

/// Every tag name, sorted (for "nothing matched" messages).
pub fn tag_names(repo: &Repository) -> Vec<String> {
    let mut names: Vec<String> = repo
        .tag_names(None)
        .map(|n| n.iter().flatten().flatten().map(String::from).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Whether `repo` is a shallow clone, or a linked worktree of one: the
/// one test `dora report` and `release create` share.
pub fn is_shallow(repo: &Repository) -> bool {
    repo.is_shallow() || !super::shallow_roots(repo).is_empty()
}
