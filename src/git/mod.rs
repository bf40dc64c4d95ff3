//! Local git through git2 (libgit2): owned data out, no printing, no policy.
//!
//! What callers decide (whether a shallow history is acceptable, what to tell
//! the user) stays with them: this module reports facts, such as a commit that
//! is not in the clone ([`GitError::Missing`]) or a walk that ran into the
//! edge of a shallow clone ([`Walk::shallow_boundary`]). A git "object not
//! found" is never swallowed.
//!
//! File changes of a commit are computed against its **first parent** (the
//! empty tree for a root commit), with rename detection (only run when a
//! commit both adds and deletes files, since it reads blobs). For a merge
//! commit that is what the merge brought into the branch it was merged into.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, ObjectType, Oid, Repository, Sort};
use obsctl_core::series::{PreviousRelease, TagPatterns};

use crate::context::UsageError;

pub mod changes;
pub mod memory;

/// A git failure that callers may want to tell apart.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The name does not resolve to anything in this repository.
    #[error("{spec:?} is not a commit, branch or tag in this repository")]
    UnknownRef { spec: String },
    /// The object is named (by a ref, or as a SHA) but is not in this clone,
    /// typically because the clone is shallow.
    #[error("commit {sha} ({spec}) is not in this clone")]
    Missing { spec: String, sha: String },
    #[error("git: {context}: {source}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },
}

fn git_err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

pub type GitResult<T> = Result<T, GitError>;

pub use obsctl_core::commit::{
    ChangeKind, CommitInfo, FileChange, Person, PreviousTag, TagInfo, Walk, glob_match,
    normalize_path,
};

/// An open repository.
pub struct Git {
    repo: Repository,
    shallow_roots: HashSet<Oid>,
    /// What [`memory::relieve`] may give back from this handle's thread.
    relief: std::cell::Cell<memory::Relief>,
    budget: memory::Budget,
    stats: Counters,
    /// The trees of the commits a walk kept for [`Git::add_changes`].
    trees: std::cell::RefCell<HashMap<Oid, Oid>>,
    /// Diffs being computed ahead of time ([`Git::diff_ahead`]).
    ahead: std::cell::RefCell<Option<Ahead>>,
    /// What that thread computed, once joined.
    ahead_done: std::cell::RefCell<HashMap<Oid, Vec<FileChange>>>,
    /// Diffs [`Git::add_changes`] took from there.
    ahead_used: std::cell::Cell<u64>,
    /// The size of the pack indexes ([`Git::pack_index_bytes`]).
    index_bytes: std::cell::OnceCell<u64>,
}

/// Diffs computed ahead of time on another thread ([`Git::diff_ahead`]).
struct Ahead {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(HashMap<Oid, Vec<FileChange>>, GitStats)>,
}

impl Drop for Git {
    fn drop(&mut self) {
        let _ = self.take_ahead();
    }
}

/// What the git layer did so far (for `-v`, tests and the benchmark:
/// counts, unlike wall times, do not depend on the machine's load).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GitStats {
    /// Commits returned by history walks.
    pub walked: u64,
    /// Commits whose message and author were read (a walk reads only
    /// what its caller uses: [`Reading`]).
    pub read: u64,
    /// Commits whose file changes were computed.
    pub diffs: u64,
    /// Of those, computed ahead of time on another thread
    /// ([`Git::diff_ahead`]).
    pub diffs_ahead: u64,
    /// Tree objects read by those diffs.
    pub trees_read: u64,
    /// Diffs that also ran libgit2's diff (restricted to the changed paths)
    /// for rename detection or a type change.
    pub rename_passes: u64,
}

#[derive(Default)]
struct Counters {
    walked: std::cell::Cell<u64>,
    read: std::cell::Cell<u64>,
    diffs: std::cell::Cell<u64>,
    trees_read: std::cell::Cell<u64>,
    rename_passes: std::cell::Cell<u64>,
    /// Commits read since memory was last given back ([`memory::relieve`]).
    since_relief: std::cell::Cell<u64>,
}

fn bump(c: &std::cell::Cell<u64>) {
    c.set(c.get() + 1);
}

/// From this many commits to diff, [`Git::add_changes`] uses a second
/// thread: below it, opening a second handle on the repository and starting
/// a thread cost more than they save.
pub const PARALLEL_DIFFS_FROM: usize = 64;

/// The thread of [`Git::diff_ahead`]: its own handle on the repository,
/// its own walk from `target` by date, each commit diffed against its first
/// parent until `stop`, `max` diffs, the end of the history or a failure.
fn diff_ahead_worker(
    path: &Path,
    roots: HashSet<Oid>,
    target: Oid,
    max: usize,
    stop: &std::sync::atomic::AtomicBool,
) -> (HashMap<Oid, Vec<FileChange>>, GitStats) {
    let mut out = HashMap::new();
    let Some(g) = Git::second_handle(path, roots) else {
        return (out, GitStats::default());
    };
    let Ok(mut walk) = g.repo.revwalk() else {
        return (out, g.stats());
    };
    if walk.set_sorting(Sort::NONE).is_err() || walk.push(target).is_err() {
        return (out, g.stats());
    }
    for oid in walk {
        if stop.load(std::sync::atomic::Ordering::Relaxed) || out.len() >= max {
            break;
        }
        let Ok(oid) = oid else { break };
        g.read_objects(1);
        if g.is_boundary(oid) {
            continue;
        }
        let Ok(commit) = g.repo.find_commit(oid) else {
            break;
        };
        match g.changes_of(oid, commit.tree_id(), commit.parent_ids().next()) {
            Ok(files) => {
                out.insert(oid, files);
            }
            Err(_) => break,
        }
    }
    let stats = g.stats();
    drop(g);
    // Give this thread's free memory back: the results are all it keeps,
    // and the other thread may walk on for long.
    memory::trim_allocator();
    (out, stats)
}

/// One commit [`Git::add_changes`] diffs: its index in the caller's list.
struct DiffJob {
    i: usize,
    oid: Oid,
    parent: Option<Oid>,
}

/// One revision walk and the commits it parsed ([`Git::history`]).
pub struct History<'r> {
    walk: git2::Revwalk<'r>,
}

/// What [`Git::walk_each`] reads of each commit of a range.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    /// The newest this many commits (all when `None`) carry their whole
    /// body; older ones only what the notes read of it ([`notes_body`]).
    pub full_first: Option<usize>,
    /// The newest `full_first` commits also carry their file changes.
    pub diff: bool,
    /// Commits older than `full_first` are read at all; when `false` they
    /// are only counted ([`Walk::unread`]), for callers that need nothing
    /// of them but their number.
    pub rest: bool,
}

/// libgit2 keeps every object it parsed in a process-wide cache of up to
/// 256 MiB by default, and maps pack files in 1 GiB windows: reading a long
/// range of history would keep all of it. `release create` and the other
/// commands read each object once or twice (a walk reads each commit once;
/// a diff reads the trees on the changed paths), so they keep no cache at
/// all (`0`: libgit2's caching off): storing and evicting in a small cache
/// cost a tenth of a 3,000-commit `release create` and saved nothing, and
/// peak memory stays flat. `dora report` reads each deployed commit twice
/// (its tag, then the walk), so it keeps some ([`DORA_OBJECT_CACHE_BYTES`]).
pub const OBJECT_CACHE_BYTES: isize = 0;
/// The object cache of `dora report` (see [`OBJECT_CACHE_BYTES`]).
pub const DORA_OBJECT_CACHE_BYTES: isize = 16 * 1024 * 1024;
const MWINDOW_BYTES: usize = 4 * 1024 * 1024;
const MWINDOW_MAPPED_BYTES: usize = 8 * 1024 * 1024;

/// libgit2's process-wide settings for obsctl, set once per process (the
/// first call wins; each command makes one): the object cache of
/// `cache_bytes` (none at `0`), pack windows of [`MWINDOW_BYTES`] and at most
/// [`MWINDOW_MAPPED_BYTES`] mapped, and no re-hashing of every object read
/// (libgit2's "strict hash verification", which git itself does not do on
/// reads: about a tenth of the time of a long walk).
pub(crate) fn configure_libgit2(cache_bytes: isize) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // SAFETY: global libgit2 options, set once, before this process
        // opens any repository through `Git` (libgit2 is initialised by
        // these calls); no other thread reads them concurrently.
        unsafe {
            if cache_bytes == 0 {
                git2::opts::enable_caching(false);
            }
            let _ = git2::opts::set_cache_max_size(cache_bytes);
            let _ = git2::opts::set_mwindow_size(MWINDOW_BYTES);
            let _ = git2::opts::set_mwindow_mapped_limit(MWINDOW_MAPPED_BYTES);
        }
    });
}

impl fmt::Debug for Git {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Git")
            .field("path", &self.repo.path())
            .finish()
    }
}

impl Git {
    /// Open the repository containing `path` (like git, searching upwards).
    /// Not a repository: a [`UsageError`] (exit 2).
    pub fn open(path: &Path) -> anyhow::Result<Git> {
        configure_libgit2(OBJECT_CACHE_BYTES);
        let repo = match Repository::discover(path) {
            Ok(r) => r,
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(UsageError(format!(
                    "{} is not in a git repository: run obsctl inside a clone, or pass -C <path>",
                    path.display()
                ))
                .into());
            }
            Err(e) => {
                return Err(GitError::Git {
                    context: format!("opening the repository at {}", path.display()),
                    source: e,
                }
                .into());
            }
        };
        let shallow_roots = shallow_roots(&repo);
        Ok(Git::with_repo(repo, shallow_roots))
    }

    fn with_repo(repo: Repository, shallow_roots: HashSet<Oid>) -> Git {
        Git {
            repo,
            shallow_roots,
            relief: std::cell::Cell::new(memory::Relief::IndexesAndPacks),
            budget: memory::Budget::default(),
            stats: Counters::default(),
            trees: Default::default(),
            ahead: Default::default(),
            ahead_done: Default::default(),
            ahead_used: Default::default(),
            index_bytes: Default::default(),
        }
    }

    /// Another handle on the repository at `path` (its git directory), for
    /// a second thread: two threads in libgit2, so it gives back only index
    /// pages ([`memory::Relief::Indexes`]). `None` when it cannot be opened.
    fn second_handle(path: &Path, shallow_roots: HashSet<Oid>) -> Option<Git> {
        let g = Git::with_repo(Repository::open(path).ok()?, shallow_roots);
        g.relief.set(memory::Relief::Indexes);
        Some(g)
    }

    /// The size of this repository's pack indexes, read once.
    fn pack_index_bytes(&self) -> u64 {
        *self
            .index_bytes
            .get_or_init(|| memory::pack_index_bytes(&self.repo.commondir().join("objects")))
    }

    /// Whether a second thread may read this repository: two cores, and
    /// pack indexes small enough to stay resident within the memory budget
    /// ([`memory::PARALLEL_INDEXES_UP_TO`]).
    fn parallel_ok(&self) -> bool {
        // Read once: std reads the cgroup's CPU quota on every call.
        static TWO_CORES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *TWO_CORES.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2))
            && self.pack_index_bytes() <= memory::PARALLEL_INDEXES_UP_TO
    }

    /// Start diffing, on another thread, the newest `max` commits from
    /// `target` in date order (what the range's diffs will most likely
    /// need), while this thread looks for the previous release and walks
    /// the range: [`Git::add_changes`] then takes the diffs it needs from
    /// there and computes the rest. A diff is the same whichever thread
    /// computes it (a commit against its first parent); one not needed is
    /// work done on an otherwise idle core. Nothing happens on one core, or
    /// with pack indexes over [`memory::AHEAD_INDEXES_UP_TO`]; a failure on
    /// that thread only ends it (this thread finds and reports it).
    pub fn diff_ahead(&self, target: &str, max: usize) {
        if self.ahead.borrow().is_some()
            || !self.parallel_ok()
            || self.pack_index_bytes() > memory::AHEAD_INDEXES_UP_TO
        {
            return;
        }
        let Ok(target) = self.oid(target) else {
            return;
        };
        let path = self.repo.path().to_path_buf();
        let roots = self.shallow_roots.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("obsctl-diff-ahead".into())
            .spawn(move || diff_ahead_worker(&path, roots, target, max, &flag));
        if let Ok(thread) = thread {
            // Two threads in libgit2: only index pages may be given back.
            self.relief.set(memory::Relief::Indexes);
            *self.ahead.borrow_mut() = Some(Ahead { stop, thread });
        }
    }

    /// Stop the thread of [`Git::diff_ahead`] (after its current diff) and
    /// take what it computed.
    fn take_ahead(&self) -> HashMap<Oid, Vec<FileChange>> {
        self.join_ahead(true);
        std::mem::take(&mut *self.ahead_done.borrow_mut())
    }

    /// Let the thread of [`Git::diff_ahead`] run to its end (its `max`
    /// diffs or the end of the history) and keep what it computed for
    /// [`Git::add_changes`]; returns how many diffs that is. For tests and
    /// benchmarks: a command never waits for diffs it may not need.
    pub fn finish_diffs_ahead(&self) -> usize {
        self.join_ahead(false);
        self.ahead_done.borrow().len()
    }

    fn join_ahead(&self, stop: bool) {
        let Some(ahead) = self.ahead.borrow_mut().take() else {
            return;
        };
        ahead.stop.store(stop, std::sync::atomic::Ordering::Relaxed);
        let (diffs, stats) = ahead.thread.join().unwrap_or_default();
        self.relief.set(memory::Relief::IndexesAndPacks);
        // Its reads count; its diffs count when used ([`Git::add_changes`]).
        self.add_stats(&GitStats { diffs: 0, ..stats });
        self.ahead_done.borrow_mut().extend(diffs);
    }

    /// Count `n` objects looked up; every [`memory::EVERY`] objects, when
    /// the process's resident set is over [`memory::RELIEVE_AT_BYTES`], give
    /// back the resident pages of the pack files ([`memory::relieve`]).
    fn read_objects(&self, n: u64) {
        let n = self.stats.since_relief.get() + n;
        if n >= memory::EVERY {
            self.check_memory(self.relief.get());
            self.stats.since_relief.set(0);
        } else {
            self.stats.since_relief.set(n);
        }
    }

    /// Give pack pages back (`what` of them) when over the budget.
    fn check_memory(&self, what: memory::Relief) {
        self.budget
            .check(&self.repo.commondir().join("objects"), what);
    }

    /// What this repository handle has read so far.
    pub fn stats(&self) -> GitStats {
        GitStats {
            diffs_ahead: self.ahead_used.get(),
            walked: self.stats.walked.get(),
            read: self.stats.read.get(),
            diffs: self.stats.diffs.get(),
            trees_read: self.stats.trees_read.get(),
            rename_passes: self.stats.rename_passes.get(),
        }
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow() || !self.shallow_roots.is_empty()
    }

    /// The commit HEAD points at (a detached HEAD is fine).
    pub fn head_sha(&self) -> anyhow::Result<String> {
        match self.repo.head() {
            Ok(head) => {
                let commit = head
                    .peel_to_commit()
                    .map_err(git_err("reading the commit at HEAD"))?;
                Ok(commit.id().to_string())
            }
            Err(e) if e.code() == ErrorCode::UnbornBranch => {
                Err(UsageError("the repository has no commits yet (HEAD is unborn)".into()).into())
            }
            Err(e) => Err(git_err("reading HEAD")(e).into()),
        }
    }

    /// Resolve a branch, tag, SHA or other revision to a commit SHA. A name
    /// (or a full SHA) whose commit is not in this clone is
    /// [`GitError::Missing`] naming the SHA.
    pub fn resolve(&self, spec: &str) -> GitResult<String> {
        match self.repo.revparse_single(spec) {
            Ok(obj) => match obj.peel_to_commit() {
                Ok(c) => Ok(c.id().to_string()),
                Err(e) if e.code() == ErrorCode::NotFound => Err(GitError::Missing {
                    spec: spec.to_string(),
                    sha: obj.id().to_string(),
                }),
                Err(e) => Err(git_err(format!("{spec:?} is not a commit"))(e)),
            },
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::Ambiguous) => {
                // A ref may exist whose object is missing (shallow clone):
                // name the SHA it holds.
                for name in [
                    spec.to_string(),
                    format!("refs/tags/{spec}"),
                    format!("refs/heads/{spec}"),
                    format!("refs/remotes/{spec}"),
                ] {
                    if let Ok(r) = self.repo.find_reference(&name) {
                        if let Some(oid) = r.target() {
                            return Err(GitError::Missing {
                                spec: spec.to_string(),
                                sha: oid.to_string(),
                            });
                        }
                    }
                }
                // A full SHA that is not here.
                let hex = spec.len() >= 40 && spec.chars().all(|c| c.is_ascii_hexdigit());
                if hex {
                    return Err(GitError::Missing {
                        spec: spec.to_string(),
                        sha: spec.to_ascii_lowercase(),
                    });
                }
                Err(GitError::UnknownRef {
                    spec: spec.to_string(),
                })
            }
            Err(e) => Err(git_err(format!("resolving {spec:?}"))(e)),
        }
    }

    /// The subject line of a commit, when it is in this clone.
    pub fn subject(&self, sha: &str) -> Option<String> {
        let commit = self.repo.revparse_single(sha).ok()?.peel_to_commit().ok()?;
        let subject = commit.summary().ok().flatten()?.trim().to_string();
        (!subject.is_empty()).then_some(subject)
    }

    /// The branch HEAD is on (`None` when detached or unborn).
    pub fn head_branch(&self) -> Option<String> {
        let head = self.repo.head().ok()?;
        if !head.is_branch() {
            return None;
        }
        head.shorthand().ok().map(String::from)
    }

    /// `user.name` from git's configuration (a deploy from a laptop).
    pub fn user_name(&self) -> Option<String> {
        let name = self.repo.config().ok()?.get_string("user.name").ok()?;
        crate::context::nonblank(Some(name))
    }

    /// Whether `name` is a tag (`refs/tags/{name}` exists).
    pub fn is_tag(&self, name: &str) -> bool {
        self.repo
            .find_reference(&format!("refs/tags/{name}"))
            .is_ok()
    }

    /// Whether the commit object is in this clone.
    pub fn has_commit(&self, sha: &str) -> bool {
        Oid::from_str(sha)
            .ok()
            .and_then(|oid| self.repo.find_commit(oid).ok())
            .is_some()
    }

    /// Every tag (optionally only names matching a glob: `*`, `?`), peeled to
    /// its commit, sorted by name. Tags of trees or blobs are left out.
    pub fn tags(&self, pattern: Option<&str>) -> GitResult<Vec<TagInfo>> {
        let refs = self
            .repo
            .references_glob("refs/tags/*")
            .map_err(git_err("listing tags"))?;
        let mut tags = Vec::new();
        for r in refs {
            let r = r.map_err(git_err("reading a tag"))?;
            let full = String::from_utf8_lossy(r.name_bytes()).into_owned();
            let Some(name) = full.strip_prefix("refs/tags/").map(String::from) else {
                continue;
            };
            if pattern.is_some_and(|p| !glob_match(p, &name)) {
                continue;
            }
            let Some(mut oid) = r.target() else {
                continue;
            };
            let mut tagger_time = None;
            // Peel annotated tags (possibly nested) down to their target.
            let mut kind = None;
            for _ in 0..8 {
                match self.repo.find_object(oid, None) {
                    Ok(obj) => match obj.kind() {
                        Some(ObjectType::Tag) => {
                            let tag = obj.as_tag().expect("a tag object");
                            if tagger_time.is_none() {
                                tagger_time = tag.tagger().map(|s| to_datetime(s.when()));
                            }
                            oid = tag.target_id();
                        }
                        k => {
                            kind = k;
                            break;
                        }
                    },
                    Err(e) if e.code() == ErrorCode::NotFound => break,
                    Err(e) => return Err(git_err(format!("reading tag {name}"))(e)),
                }
            }
            let commit_time = match kind {
                Some(ObjectType::Commit) => Some(to_datetime(
                    self.repo
                        .find_commit(oid)
                        .map_err(git_err(format!("reading the commit of tag {name}")))?
                        .time(),
                )),
                None => None,
                // A tag of a tree or a blob.
                Some(_) => continue,
            };
            tags.push(TagInfo {
                name,
                sha: oid.to_string(),
                tagger_time,
                commit_time,
            });
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tags)
    }

    /// Names of the tags (matching `pattern`) that point at `sha`, sorted.
    /// Peels tag objects only: no commit is read (O(tags), cheap).
    pub fn tags_at(&self, sha: &str, pattern: Option<&str>) -> GitResult<Vec<String>> {
        let Ok(target) = Oid::from_str(sha) else {
            return Ok(Vec::new());
        };
        let refs = self
            .repo
            .references_glob("refs/tags/*")
            .map_err(git_err("listing tags"))?;
        let mut names = Vec::new();
        for r in refs {
            let r = r.map_err(git_err("reading a tag"))?;
            let full = String::from_utf8_lossy(r.name_bytes()).into_owned();
            let Some(name) = full.strip_prefix("refs/tags/") else {
                continue;
            };
            if pattern.is_some_and(|p| !glob_match(p, name)) {
                continue;
            }
            if self.peel_tag(r.target()) == Some(target) {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The object a tag ref points at, annotated tags (possibly nested)
    /// peeled.
    fn peel_tag(&self, oid: Option<Oid>) -> Option<Oid> {
        let mut oid = oid?;
        for _ in 0..8 {
            match self.repo.find_tag(oid) {
                Ok(tag) => oid = tag.target_id(),
                Err(_) => break,
            }
        }
        Some(oid)
    }

    /// Tag names by the commit they point at (annotated tags peeled), only
    /// those `patterns` accept. Reads tag objects, never commits.
    pub fn tags_by_commit(&self, patterns: &TagPatterns) -> GitResult<HashMap<Oid, Vec<String>>> {
        let refs = self
            .repo
            .references_glob("refs/tags/*")
            .map_err(git_err("listing tags"))?;
        let mut by_commit: HashMap<Oid, Vec<String>> = HashMap::new();
        for r in refs {
            let r = r.map_err(git_err("reading a tag"))?;
            let full = String::from_utf8_lossy(r.name_bytes()).into_owned();
            let Some(name) = full.strip_prefix("refs/tags/") else {
                continue;
            };
            if !patterns.matches(name) {
                continue;
            }
            let Some(oid) = self.peel_tag(r.target()) else {
                continue;
            };
            by_commit.entry(oid).or_default().push(name.to_string());
        }
        Ok(by_commit)
    }

    /// The previous release of `target_name` (a version, possibly not
    /// tagged yet) whose commit is `target`: walk from the target newest
    /// first by commit time and stop at the first commit that carries a
    /// release of the series ([`obsctl_core::series`]: same prefix, an
    /// earlier version, stable before a stable target). The target's own
    /// commit counts: two versions on one commit have nothing between them.
    /// Costs O(range), never the whole history.
    pub fn previous_release(
        &self,
        target: &str,
        target_name: &str,
        patterns: &TagPatterns,
    ) -> GitResult<PreviousTag> {
        let mut history = self.history()?;
        self.previous_release_in(&mut history, target, target_name, patterns)
    }

    /// A revision walk whose parsed commits are kept for the next walk on
    /// it: [`Git::previous_release_in`] then [`Git::walk_each`] read the
    /// range once, as git does (libgit2's `git_revwalk_reset` clears only
    /// the walk's marks, not the commits it parsed). Drop it after the last
    /// walk: it holds a small node per commit read.
    pub fn history(&self) -> GitResult<History<'_>> {
        Ok(History {
            walk: self.repo.revwalk().map_err(git_err("walking history"))?,
        })
    }

    /// [`Git::previous_release`] on `history`, whose parsed commits a later
    /// [`Git::walk_each`] on it reuses.
    pub fn previous_release_in(
        &self,
        history: &mut History<'_>,
        target: &str,
        target_name: &str,
        patterns: &TagPatterns,
    ) -> GitResult<PreviousTag> {
        let target = self.oid(target)?;
        let by_commit = self.tags_by_commit(patterns)?;
        let rule = PreviousRelease::new(target_name);
        // `Sort::NONE` on purpose: libgit2 treats any sorting (even
        // `Sort::TIME`) as a "limited" walk that reads the whole history
        // before returning the first commit. Unsorted, it pops commits by
        // date as git's default order does, reading parents as it goes.
        let walk = &mut history.walk;
        walk.reset().map_err(git_err("walking history"))?;
        walk.set_sorting(Sort::NONE)
            .map_err(git_err("walking history"))?;
        walk.push(target)
            .map_err(git_err(format!("walking history from {target}")))?;
        let mut boundary = None;
        for oid in walk {
            let oid = oid.map_err(git_err("walking history"))?;
            bump(&self.stats.walked);
            self.read_objects(1);
            if let Some(name) = by_commit.get(&oid).and_then(|names| rule.pick(names)) {
                return Ok(PreviousTag::Found {
                    name: name.to_string(),
                    sha: oid.to_string(),
                });
            }
            if boundary.is_none() && self.is_boundary(oid) {
                boundary = Some(oid.to_string());
            }
        }
        Ok(PreviousTag::NotFound {
            shallow_boundary: boundary,
        })
    }

    /// The commits reachable from `target` and not from `since` (all of
    /// them when `since` is `None`), newest first, at most `limit`. Each
    /// carries its file changes against its first parent.
    ///
    /// `since` must be in the clone: check with [`Git::has_commit`] first; a
    /// missing one is an error here, never skipped.
    pub fn walk(&self, target: &str, since: Option<&str>, limit: Option<usize>) -> GitResult<Walk> {
        self.walk_diffing(target, since, limit, None)
    }

    /// [`Git::walk`], with file changes computed only for the newest
    /// `diff_first` commits (all when `None`); the older ones carry
    /// `files: None` (like a commit at the edge of a shallow clone, which
    /// [`Walk::shallow_boundary`] names separately) and, since they are not
    /// sent anywhere, only the lines of their bodies that release notes read
    /// ([`notes_body`]). For callers that send the changes of a capped number
    /// of commits but need the notes of the whole range.
    pub fn walk_diffing(
        &self,
        target: &str,
        since: Option<&str>,
        limit: Option<usize>,
        diff_first: Option<usize>,
    ) -> GitResult<Walk> {
        let mut commits = Vec::new();
        let reading = Reading {
            full_first: diff_first,
            diff: true,
            rest: true,
        };
        let mut history = self.history()?;
        let mut walk = self.walk_each(&mut history, target, since, limit, reading, |c| {
            commits.push(c)
        })?;
        walk.commits = commits;
        Ok(walk)
    }

    /// Hand each commit of the range to `each` as it is read (newest first)
    /// instead of keeping them: the [`Walk`] returned has no `commits`, and
    /// a long range costs what the caller keeps. What is read of each
    /// commit: [`Reading`]. [`Git::add_changes`] diffs commits kept from a
    /// walk without `diff`. Commits `history` parsed in an earlier walk are
    /// not read again.
    pub fn walk_each(
        &self,
        history: &mut History<'_>,
        target: &str,
        since: Option<&str>,
        limit: Option<usize>,
        reading: Reading,
        mut each: impl FnMut(CommitInfo),
    ) -> GitResult<Walk> {
        let target_oid = self.oid(target)?;
        let walk = &mut history.walk;
        walk.reset().map_err(git_err("walking history"))?;
        // With a start (`since` hidden) the walk is bounded by the range, so
        // the topological sort costs O(range). Without one, any sorting
        // would make libgit2 read the whole history first (see
        // `previous_release`): walk unsorted (by date, incrementally).
        let sorting = if since.is_some() {
            Sort::TOPOLOGICAL | Sort::TIME
        } else {
            Sort::NONE
        };
        walk.set_sorting(sorting)
            .map_err(git_err("walking history"))?;
        walk.push(target_oid)
            .map_err(git_err(format!("walking history from {target}")))?;
        if let Some(since) = since {
            let oid = self.oid(since)?;
            walk.hide(oid).map_err(|e| {
                if e.code() == ErrorCode::NotFound {
                    GitError::Missing {
                        spec: since.to_string(),
                        sha: oid.to_string(),
                    }
                } else {
                    git_err(format!("excluding the history of {since}"))(e)
                }
            })?;
        }
        let mut out = Walk::default();
        for (n, oid) in walk.enumerate() {
            let oid = oid.map_err(git_err("walking history"))?;
            if limit.is_some_and(|l| n >= l) {
                out.truncated = true;
                break;
            }
            bump(&self.stats.walked);
            let full = reading.full_first.is_none_or(|d| n < d);
            if self.is_boundary(oid) {
                out.shallow_boundary.push(oid.to_string());
            }
            if !full && !reading.rest {
                out.unread += 1;
                continue;
            }
            self.read_objects(1);
            each(self.commit_info(oid, full, full && reading.diff)?);
        }
        Ok(out)
    }

    /// Compute the file changes of `commits` (read by a walk without
    /// `diff`) that have none yet, except at the edge of a shallow clone:
    /// the same changes a diffing walk gives them.
    ///
    /// From [`PARALLEL_DIFFS_FROM`] commits on, the older half is diffed on
    /// a second thread with its own handle on the repository (diffs are
    /// independent; libgit2 shares the pack files between handles) — unless
    /// the pack indexes are over [`memory::PARALLEL_INDEXES_UP_TO`]: then
    /// keeping memory flat means giving index pages back every few look-ups,
    /// and two threads would touch them twice as fast.
    pub fn add_changes(&self, commits: &mut [CommitInfo]) -> GitResult<()> {
        let mut ahead = self.take_ahead();
        let mut jobs = Vec::new();
        for (i, c) in commits.iter_mut().enumerate() {
            let oid = self.oid(&c.sha)?;
            if c.files.is_some() || self.is_boundary(oid) {
                continue;
            }
            if let Some(files) = ahead.remove(&oid) {
                bump(&self.stats.diffs);
                bump(&self.ahead_used);
                c.files = Some(files);
                continue;
            }
            let parent = match c.parents.first() {
                Some(p) => Some(self.oid(p)?),
                None => None,
            };
            jobs.push(DiffJob { i, oid, parent });
        }
        drop(ahead);
        let helper = (jobs.len() >= PARALLEL_DIFFS_FROM && self.parallel_ok())
            .then(|| Git::second_handle(self.repo.path(), self.shallow_roots.clone()))
            .flatten();
        let results = match helper {
            Some(helper) => {
                *helper.trees.borrow_mut() = self.trees.borrow().clone();
                self.relief.set(memory::Relief::Indexes);
                let results = self.diff_in_two(helper, &jobs);
                self.relief.set(memory::Relief::IndexesAndPacks);
                results?
            }
            // One thread (or no second handle: not worth failing for).
            None => self.diff_jobs(&jobs)?,
        };
        for (job, files) in jobs.iter().zip(results) {
            commits[job.i].files = Some(files);
        }
        // Diffed: the trees are not needed any more.
        self.trees.borrow_mut().clear();
        Ok(())
    }

    /// Diff the newer half of `jobs` here and the older half on a thread
    /// with `helper`. Only index pages are given back meanwhile
    /// ([`memory::Relief::Indexes`]); pack data stays within libgit2's
    /// mapped limit.
    fn diff_in_two(&self, helper: Git, jobs: &[DiffJob]) -> GitResult<Vec<Vec<FileChange>>> {
        let (newer, older) = jobs.split_at(jobs.len() / 2);
        let (mine, (theirs, stats)) = std::thread::scope(|s| {
            let theirs = s.spawn(move || {
                let r = helper.diff_jobs(older);
                (r, helper.stats())
            });
            let mine = self.diff_jobs(newer);
            (mine, theirs.join().expect("the diff thread panicked"))
        });
        self.add_stats(&stats);
        let mut all = mine?;
        all.extend(theirs?);
        Ok(all)
    }

    fn diff_jobs(&self, jobs: &[DiffJob]) -> GitResult<Vec<Vec<FileChange>>> {
        jobs.iter()
            .map(|j| {
                let tree = self.tree_of(j.oid, || j.oid.to_string())?;
                self.changes_of(j.oid, tree, j.parent)
            })
            .collect()
    }

    /// Add another handle's counts to this one's.
    fn add_stats(&self, other: &GitStats) {
        let add = |c: &std::cell::Cell<u64>, n: u64| c.set(c.get() + n);
        add(&self.stats.walked, other.walked);
        add(&self.stats.read, other.read);
        add(&self.stats.diffs, other.diffs);
        add(&self.stats.trees_read, other.trees_read);
        add(&self.stats.rename_passes, other.rename_passes);
    }

    fn oid(&self, sha: &str) -> GitResult<Oid> {
        Oid::from_str(sha).map_err(git_err(format!("{sha:?} is not a SHA")))
    }

    fn is_boundary(&self, oid: Oid) -> bool {
        self.shallow_roots.contains(&oid)
    }

    /// One commit: its whole body when `full`, else what the notes read of
    /// it ([`notes_body`]); its changes when `diff` (and not at the edge of
    /// a shallow clone).
    fn commit_info(&self, oid: Oid, full: bool, diff: bool) -> GitResult<CommitInfo> {
        bump(&self.stats.read);
        let sha = oid.to_string();
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(git_err(format!("reading commit {sha}")))?;
        let encoding = commit.message_encoding().ok().flatten();
        let message = decode_text(commit.message_bytes(), encoding);
        let (subject, body) = match message.trim_start().split_once('\n') {
            Some((s, b)) if full => (s.trim().to_string(), b.trim().to_string()),
            // Not sent anywhere: only the notes read it.
            Some((s, b)) => (s.trim().to_string(), notes_body(b.trim())),
            None => (message.trim().to_string(), String::new()),
        };
        let author = commit.author();
        let author = Person {
            name: decode_text(author.name_bytes(), encoding),
            email: decode_text(author.email_bytes(), encoding),
            time: to_datetime(author.when()),
        };
        let parents: Vec<String> = commit.parent_ids().map(|p| p.to_string()).collect();
        if full && !diff {
            // Kept to be diffed later ([`Git::add_changes`]): its tree, and
            // its parent's once it is walked, need no second read.
            self.trees.borrow_mut().insert(oid, commit.tree_id());
        }
        let files = if !diff || self.is_boundary(oid) {
            None
        } else {
            Some(self.changes(&commit)?)
        };
        Ok(CommitInfo {
            sha,
            parents,
            subject,
            body,
            author,
            committer_time: to_datetime(commit.time()),
            files,
        })
    }

    /// Changes against the first parent, renames as D old + A new.
    ///
    /// Done the way git does it: compare tree ids and descend only into
    /// subtrees whose ids differ ([`TreeDiff`]), so the cost follows the
    /// size of the change, not of the tree (libgit2's tree-to-tree diff
    /// expands both whole trees). When a rename is possible (files both
    /// added and deleted) or an entry changed type, libgit2's diff runs as
    /// before, restricted to exactly the changed paths, with its rename
    /// detection: the result is the same list, in the same order.
    fn changes(&self, commit: &git2::Commit<'_>) -> GitResult<Vec<FileChange>> {
        let parent = commit.parent_ids().next();
        self.changes_of(commit.id(), commit.tree_id(), parent)
    }

    /// The tree of commit `oid`: from the walk that read it
    /// ([`Git::walk_each`] remembers the trees of the commits it keeps for
    /// diffing), else read from the commit. `what` names it in errors: a
    /// missing commit is [`GitError::Missing`].
    fn tree_of(&self, oid: Oid, what: impl FnOnce() -> String) -> GitResult<Oid> {
        if let Some(tree) = self.trees.borrow().get(&oid) {
            return Ok(*tree);
        }
        self.read_objects(1);
        self.repo
            .find_commit(oid)
            .map(|c| c.tree_id())
            .map_err(|e| {
                if e.code() == ErrorCode::NotFound {
                    GitError::Missing {
                        spec: what(),
                        sha: oid.to_string(),
                    }
                } else {
                    git_err(format!("reading commit {oid} ({})", what()))(e)
                }
            })
    }

    /// [`Git::changes`] of commit `sha`, whose tree is `tree_id`, against
    /// its first parent `parent` (none for a root commit).
    fn changes_of(
        &self,
        sha: Oid,
        tree_id: Oid,
        parent: Option<Oid>,
    ) -> GitResult<Vec<FileChange>> {
        bump(&self.stats.diffs);
        let parent_tree = match parent {
            None => None,
            Some(p) => Some(self.tree_of(p, || format!("first parent of {sha}"))?),
        };
        let odb = self
            .repo
            .odb()
            .map_err(git_err("opening the object database"))?;
        let mut td = TreeDiff {
            odb: &odb,
            changes: Vec::new(),
            type_changed: false,
            trees_read: 0,
        };
        td.diff(parent_tree, Some(tree_id), &mut Vec::new())
            .map_err(git_err(format!("diffing {sha}")))?;
        // The roots are not counted: the subtrees read show the savings.
        let roots = 1 + u64::from(parent_tree.is_some());
        self.stats
            .trees_read
            .set(self.stats.trees_read.get() + td.trees_read.saturating_sub(roots));
        self.read_objects(td.trees_read);
        let adds = td.changes.iter().any(|c| c.1 == ChangeKind::Added);
        let dels = td.changes.iter().any(|c| c.1 == ChangeKind::Deleted);
        if !(td.type_changed || adds && dels) {
            return Ok(td
                .changes
                .into_iter()
                .map(|(path, kind)| FileChange::new(path, kind))
                .collect());
        }
        bump(&self.stats.rename_passes);
        let paths: Vec<String> = td.changes.into_iter().map(|c| c.0).collect();
        let find_tree = |id: Oid| {
            self.repo
                .find_tree(id)
                .map_err(git_err(format!("reading the tree of {sha}")))
        };
        let tree = find_tree(tree_id)?;
        let parent_tree = parent_tree.map(find_tree).transpose()?;
        self.libgit2_changes(parent_tree.as_ref(), &tree, Some(&paths), sha)
    }

    /// libgit2's tree-to-tree diff against the first parent (restricted to
    /// `paths` when given), with rename detection when a rename is possible.
    fn libgit2_changes(
        &self,
        parent_tree: Option<&git2::Tree<'_>>,
        tree: &git2::Tree<'_>,
        paths: Option<&[String]>,
        sha: Oid,
    ) -> GitResult<Vec<FileChange>> {
        let mut opts = DiffOptions::new();
        // Names and statuses only: never read blob contents for this.
        opts.skip_binary_check(true);
        if let Some(paths) = paths {
            // Exact paths (no globbing): libgit2 only descends into their
            // parent directories.
            opts.disable_pathspec_match(true);
            for p in paths {
                opts.pathspec(p);
            }
        }
        let mut diff = self
            .repo
            .diff_tree_to_tree(parent_tree, Some(tree), Some(&mut opts))
            .map_err(git_err(format!("diffing {sha}")))?;
        let (mut adds, mut dels) = (0, 0);
        for d in diff.deltas() {
            match d.status() {
                Delta::Added => adds += 1,
                Delta::Deleted => dels += 1,
                _ => {}
            }
        }
        // Rename detection reads blobs: only when a rename is possible.
        if adds > 0 && dels > 0 {
            let mut find = DiffFindOptions::new();
            find.renames(true);
            diff.find_similar(Some(&mut find))
                .map_err(git_err(format!("finding renames in {sha}")))?;
        }
        let path = |f: git2::DiffFile<'_>| {
            f.path_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let mut files = Vec::new();
        for d in diff.deltas() {
            let (old, new) = (path(d.old_file()), path(d.new_file()));
            let change = match (d.status(), old, new) {
                (Delta::Added | Delta::Copied, _, Some(p)) => FileChange::new(p, ChangeKind::Added),
                (Delta::Deleted, Some(p), _) => FileChange::new(p, ChangeKind::Deleted),
                (Delta::Modified | Delta::Typechange, _, Some(p)) => {
                    FileChange::new(p, ChangeKind::Modified)
                }
                (Delta::Renamed, Some(from), Some(p)) => FileChange {
                    path: p,
                    kind: ChangeKind::Renamed,
                    from: Some(from),
                },
                _ => continue,
            };
            files.push(change);
        }
        Ok(files)
    }

    /// The file changes of `sha` computed by libgit2's whole-tree diff, as
    /// obsctl did before [`TreeDiff`]: the reference the tests and the
    /// benchmark compare with.
    #[doc(hidden)]
    pub fn changes_reference(&self, sha: &str) -> GitResult<Option<Vec<FileChange>>> {
        let oid = self.oid(sha)?;
        if self.is_boundary(oid) {
            return Ok(None);
        }
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(git_err(format!("reading commit {sha}")))?;
        let tree = commit
            .tree()
            .map_err(git_err(format!("reading the tree of {sha}")))?;
        let parent = match commit.parents().next() {
            Some(p) => Some(p.tree().map_err(git_err("reading a parent"))?),
            None => None,
        };
        self.libgit2_changes(parent.as_ref(), &tree, None, oid)
            .map(Some)
    }
}

/// A tree-to-tree diff that skips identical subtrees (as git's
/// `diff-tree` does): entries are merged in git's tree order, equal ids are
/// skipped without reading anything, and only subtrees whose ids differ are
/// read. Yields paths in git's order (byte order of the full paths), which
/// is libgit2's order for the same diff.
struct TreeDiff<'o> {
    /// Trees are read as raw objects and their entries parsed in place: no
    /// libgit2 tree object is built, no entry name copied.
    odb: &'o git2::Odb<'o>,
    changes: Vec<(String, ChangeKind)>,
    /// An entry changed type (file ↔ symlink ↔ submodule): libgit2 reports
    /// those as a delete and an add, left to it.
    type_changed: bool,
    /// Tree objects read, the two roots included.
    trees_read: u64,
}

/// One tree entry, borrowed from its tree object's bytes.
struct Entry<'a> {
    name: &'a [u8],
    id: Oid,
    mode: u32,
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
}

/// The entries of a tree object, in its (git's) order: each is
/// `<octal mode> <name>\0<20-byte id>`. `None` when the bytes are not that
/// (never in a valid repository).
fn tree_entries(mut data: &[u8]) -> Option<Vec<Entry<'_>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let space = data.iter().position(|&b| b == b' ')?;
        let mode = data[..space].iter().try_fold(0u32, |m, &d| {
            (b'0'..=b'7')
                .contains(&d)
                .then(|| m * 8 + u32::from(d - b'0'))
        })?;
        let rest = &data[space + 1..];
        let nul = rest.iter().position(|&b| b == 0)?;
        let id = Oid::from_bytes(rest.get(nul + 1..nul + 21)?).ok()?;
        out.push(Entry {
            name: &rest[..nul],
            id,
            mode,
        });
        data = &rest[nul + 21..];
    }
    Some(out)
}

/// The entries of a tree read by [`TreeDiff::read`] (none for no tree).
fn parsed<'a>(tree: &'a Option<git2::OdbObject<'_>>) -> Result<Vec<Entry<'a>>, git2::Error> {
    match tree {
        None => Ok(Vec::new()),
        Some(o) => tree_entries(o.data())
            .ok_or_else(|| git2::Error::from_str(&format!("tree {} cannot be parsed", o.id()))),
    }
}

/// git's tree order: names compared bytewise, a tree as if its name ended
/// in `/`.
fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> std::cmp::Ordering {
    let n = a.name.len().min(b.name.len());
    match a.name[..n].cmp(&b.name[..n]) {
        std::cmp::Ordering::Equal => {}
        o => return o,
    }
    let next = |e: &Entry<'_>| {
        e.name
            .get(n)
            .copied()
            .unwrap_or(if e.is_tree() { b'/' } else { 0 })
    };
    next(a).cmp(&next(b))
}

impl<'o> TreeDiff<'o> {
    /// Read tree `id` (none: the empty tree).
    fn read(&mut self, id: Option<Oid>) -> Result<Option<git2::OdbObject<'o>>, git2::Error> {
        let Some(id) = id else {
            return Ok(None);
        };
        self.trees_read += 1;
        let obj = self.odb.read(id)?;
        if obj.kind() != ObjectType::Tree {
            return Err(git2::Error::from_str(&format!("{id} is not a tree")));
        }
        Ok(Some(obj))
    }

    fn diff(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &mut Vec<u8>,
    ) -> Result<(), git2::Error> {
        let (old_obj, new_obj) = (self.read(old)?, self.read(new)?);
        let (old, new) = (parsed(&old_obj)?, parsed(&new_obj)?);
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            let order = match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) => tree_order(a, b),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    self.side(&old[i], prefix, ChangeKind::Deleted)?;
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    self.side(&new[j], prefix, ChangeKind::Added)?;
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    let (a, b) = (&old[i], &new[j]);
                    if a.id != b.id || a.mode != b.mode {
                        if a.is_tree() {
                            // Both trees (the order tells a tree from a file).
                            let len = push_name(prefix, a.name);
                            self.diff(Some(a.id), Some(b.id), prefix)?;
                            prefix.truncate(len);
                        } else {
                            if a.mode & 0o170000 != b.mode & 0o170000 {
                                self.type_changed = true;
                            }
                            self.emit(prefix, b.name, ChangeKind::Modified);
                        }
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        Ok(())
    }

    /// An entry only on one side: a file, or every file of a subtree.
    fn side(
        &mut self,
        e: &Entry<'_>,
        prefix: &mut Vec<u8>,
        kind: ChangeKind,
    ) -> Result<(), git2::Error> {
        if !e.is_tree() {
            self.emit(prefix, e.name, kind);
            return Ok(());
        }
        let len = push_name(prefix, e.name);
        let (old, new) = match kind {
            ChangeKind::Deleted => (Some(e.id), None),
            _ => (None, Some(e.id)),
        };
        self.diff(old, new, prefix)?;
        prefix.truncate(len);
        Ok(())
    }

    fn emit(&mut self, prefix: &[u8], name: &[u8], kind: ChangeKind) {
        let mut path = prefix.to_vec();
        path.extend_from_slice(name);
        self.changes
            .push((String::from_utf8_lossy(&path).into_owned(), kind));
    }
}

/// Append `name/` to `prefix`; returns the length to truncate back to.
fn push_name(prefix: &mut Vec<u8>, name: &[u8]) -> usize {
    let len = prefix.len();
    prefix.extend_from_slice(name);
    prefix.push(b'/');
    len
}

/// The commits a shallow clone has without their parents (`.git/shallow`).
/// The commits at the edge of a shallow clone, from the `shallow` file of
/// the common git directory (so a linked worktree of a shallow clone reads
/// its main repository's file). Empty for a full clone.
pub fn shallow_roots(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

fn to_datetime(t: git2::Time) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(t.offset_minutes() * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
    offset
        .timestamp_opt(t.seconds(), 0)
        .single()
        .unwrap_or_else(|| {
            offset
                .timestamp_opt(0, 0)
                .single()
                .expect("the epoch exists")
        })
}

/// What the release notes read of a commit body ([`obsctl_core::notes`]),
/// for the commits of a range that are not sent anywhere: the footer
/// paragraphs from their first footer line (`Token: value`, `Token #value`,
/// `BREAKING CHANGE: …`; a `BREAKING CHANGE` footer's text runs to the end
/// of its paragraph), and each line naming a reverted commit
/// (`This reverts commit <sha>`) in its own paragraph, in their order.
/// Everything else (the prose, usually most of it) is dropped, so a long
/// range keeps a few bytes per commit instead of its whole messages. The
/// notes made from the result are the same as from the whole body (tested
/// in `tests::notes_read_the_same_from_the_reduced_body`).
pub fn notes_body(body: &str) -> String {
    static FOOTER_START: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(?:BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)(?:: | #)")
            .expect("valid regex")
    });
    static REVERTS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)This reverts commit [0-9a-f]{7,40}").expect("valid regex")
    });
    let mut out = String::new();
    let mut open = false;
    let paragraph = |out: &mut String, line: &str, new: bool| {
        if new && !out.is_empty() {
            out.push_str("\n\n");
        } else if !new {
            out.push('\n');
        }
        out.push_str(line);
    };
    for line in body.lines() {
        if line.trim().is_empty() {
            open = false;
        } else if open {
            paragraph(&mut out, line, false);
        } else if FOOTER_START.is_match(line.trim_end()) {
            open = true;
            paragraph(&mut out, line, true);
        } else if REVERTS.is_match(line) {
            paragraph(&mut out, line, true);
        }
    }
    out
}

/// Text of a commit (message, author): UTF-8 as git stores it by default;
/// Latin-1 when the commit says so in its `encoding` header (old
/// repositories, `i18n.commitEncoding`) and the bytes are not UTF-8;
/// anything else lossily (invalid bytes become U+FFFD).
pub fn decode_text(bytes: &[u8], encoding: Option<&str>) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let latin1 = encoding.is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().replace(['-', '_'], "").as_str(),
            "iso88591" | "latin1" | "l1" | "iso885915" | "latin9" | "cp1252" | "windows1252"
        )
    });
    if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn commit_text_decoding() {
        assert_eq!(decode_text("café".as_bytes(), None), "café");
        assert_eq!(decode_text(b"caf\xe9", Some("ISO-8859-1")), "café");
        assert_eq!(decode_text(b"caf\xe9", Some("latin1")), "café");
        assert_eq!(decode_text(b"caf\xe9", None), "caf\u{fffd}");
    }
    use super::*;

    #[test]
    fn globs() {
        for (p, n, want) in [
            ("v*", "v1.2.3", true),
            ("v*", "web-v1", false),
            ("web-v*", "web-v1.0", true),
            ("*", "", true),
            ("v?.0", "v1.0", true),
            ("v?.0", "v10.0", false),
            ("*-rc*", "v1-rc1", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("exact", "exact", true),
            ("release-[0-9]*", "release-1", true),
            ("release-[0-9]*", "release-x", false),
            ("v[!0-9]*", "vx", true),
            ("v[!0-9]*", "v1", false),
            ("[]]x", "]x", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("v[1-3].*", "v2.0", true),
            ("open[", "open[", true),
        ] {
            assert_eq!(glob_match(p, n), want, "{p} {n}");
        }
    }

    #[test]
    fn paths_normalize_and_match() {
        assert_eq!(normalize_path("./svc/api/"), "svc/api");
        assert_eq!(normalize_path("."), "");
        let c = CommitInfo {
            sha: "a".repeat(40),
            parents: vec![],
            subject: "s".into(),
            body: String::new(),
            author: Person {
                name: "n".into(),
                email: "e".into(),
                time: to_datetime(git2::Time::new(0, 0)),
            },
            committer_time: to_datetime(git2::Time::new(0, 0)),
            files: Some(vec![
                FileChange::new("svc/api/main.rs", ChangeKind::Modified),
                FileChange {
                    path: "web/new.rs".into(),
                    kind: ChangeKind::Renamed,
                    from: Some("legacy/old.rs".into()),
                },
            ]),
        };
        assert!(c.touches(&["svc/api".into()]));
        assert!(c.touches(&["./svc/".into()]));
        assert!(c.touches(&["svc/api/main.rs".into()]));
        assert!(!c.touches(&["svc/ap".into()]));
        assert!(c.touches(&["web".into()]));
        assert!(c.touches(&["legacy".into()]), "the old side of a rename");
        assert!(!c.touches(&["docs".into()]));
        assert!(c.touches(&[".".into()]));
    }

    #[test]
    fn notes_read_the_same_from_the_reduced_body() {
        use obsctl_core::notes;
        let bodies = [
            "",
            "Just prose.\nOver two lines.",
            "Prose first.\n\nRefs #12\nBREAKING CHANGE: the API\n  changed a lot\nSigned-off-by: A <a@b>",
            "Prose. BREAKING CHANGE: not a footer here\n\nBREAKING-CHANGE: dashed\n\nmore prose",
            "This reverts commit 0123456789abcdef0123456789abcdef01234567.\n\nBecause it broke things.",
            "Reason first.\nThis reverts commit abcdef1, and more.\n\nReviewed-by: X",
            "Intro\nBREAKING CHANGE: in the middle of a paragraph\ncontinued\n\nafter",
            "a\n   \nFixes #3\nthis reverts commit 1234567 (lower case, a continuation)\n\nThis reverts commit 7654321",
            "Closes #9\r\nBREAKING CHANGE: crlf\r\n",
            "   \n\n",
        ];
        for body in bodies {
            for subject in [
                "feat(api)!: x (#1)",
                "fix: y",
                "Revert \"feat: z\"",
                "revert: feat: w",
                "plain",
            ] {
                let commit = |body: &str| CommitInfo {
                    sha: "b".repeat(40),
                    parents: vec!["c".repeat(40)],
                    subject: subject.into(),
                    body: body.into(),
                    author: Person {
                        name: "n".into(),
                        email: "e".into(),
                        time: to_datetime(git2::Time::new(0, 0)),
                    },
                    committer_time: to_datetime(git2::Time::new(0, 0)),
                    files: None,
                };
                let reduced = notes_body(body);
                assert_eq!(
                    notes::entries(&[commit(body)]),
                    notes::entries(&[commit(&reduced)]),
                    "{subject:?} {body:?} -> {reduced:?}"
                );
                assert_eq!(
                    notes::footers(body),
                    notes::footers(&reduced),
                    "{body:?} -> {reduced:?}"
                );
            }
        }
        assert_eq!(notes_body("Just prose.\nOver two lines."), "");
    }

    #[test]
    fn tree_objects_parse_in_place() {
        let id = [7u8; 20];
        let mut data = b"100644 a.txt\0".to_vec();
        data.extend_from_slice(&id);
        data.extend_from_slice(b"40000 dir\0");
        data.extend_from_slice(&id);
        let entries = tree_entries(&data).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].name, entries[0].mode),
            (&b"a.txt"[..], 0o100644)
        );
        assert!(entries[1].is_tree() && entries[1].name == b"dir");
        assert_eq!(entries[1].id, Oid::from_bytes(&id).unwrap());
        assert!(tree_entries(b"").unwrap().is_empty());
        // Truncated, a mode that is not octal, no name terminator.
        for bad in [&data[..data.len() - 1], b"100694 a\0", b"100644 a"] {
            assert!(tree_entries(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn times_keep_offsets() {
        let t = to_datetime(git2::Time::new(1_700_000_000, 120));
        assert_eq!(t.to_rfc3339(), "2023-11-15T00:13:20+02:00");
    }
}
