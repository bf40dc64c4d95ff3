//! `cargo bench --bench dora`: the DORA engine on a generated history of
//! 5,000 deployments over 50,000 commits. Prints the engine time (change
//! sets given), the time to read the change sets from a real git repository
//! of that history, the peak memory (VmHWM), and the number of GraphQL
//! requests a GitHub fetch of it needs. Targets on 2 cores: engine ≤ 0.5 s,
//! ≤ 100 MB. A benchmark, not a test: it prints, it does not fail.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use git2::{Oid, Repository, Signature, Time};

use obsctl::dora::engine::{self, Options, Window};
use obsctl::dora::git_source::GitChanges;
use obsctl::dora::model::{Change, ChangeSet, Deployment, Incident};
use obsctl::providers::github::dora::PAGE_SIZE;

const COMMITS: usize = 50_000;
const DEPLOYMENTS: usize = 5_000;
const START: i64 = 1_600_000_000;
/// One commit every 30 minutes; a deployment every 10 commits.
const STEP: i64 = 1_800;

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct History {
    /// Commit i: (author time, is_merge); parent i-1 (and a side commit for merges).
    commits: Vec<(i64, bool)>,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    /// Deployment index → the commit index range it ships [from, to).
    changes: HashMap<String, (usize, usize)>,
}

fn generate() -> History {
    let commits: Vec<(i64, bool)> = (0..COMMITS)
        .map(|i| (START + i as i64 * STEP, i % 10 == 9))
        .collect();
    let mut deployments = Vec::with_capacity(DEPLOYMENTS);
    let mut changes = HashMap::new();
    let mut shipped_to = 0usize;
    for k in 0..DEPLOYMENTS {
        let tip = k * 10 + 9; // deploys commit tip
        let t = START + tip as i64 * STEP + 3_600;
        let id = format!("d{k}");
        let d = if k % 20 == 13 {
            Deployment::failed(&id, &format!("c{tip}"), at(t))
        } else if k % 97 == 50 {
            // a rollback to the commit deployed ~3 deployments ago
            Deployment::success(&id, &format!("c{}", tip - 30), at(t))
        } else {
            let d = Deployment::success(&id, &format!("c{tip}"), at(t));
            changes.insert(id.clone(), (shipped_to, tip + 1));
            shipped_to = tip + 1;
            d
        };
        deployments.push(d);
    }
    let incidents = (0..200)
        .map(|i| {
            let t = START + (i * 250 * STEP) + 7_200;
            Incident {
                id: format!("#{i}"),
                created_at: at(t),
                resolved_at: (i % 7 != 0).then(|| at(t + 5_400)),
                deployment: None,
            }
        })
        .collect();
    History {
        commits,
        deployments,
        incidents,
        changes,
    }
}

fn window(h: &History) -> Window {
    // Everything but the first 50 deployments.
    let first = h.deployments[50].statuses[0].at;
    Window {
        since: first,
        until: h.deployments.last().unwrap().statuses[0].at + Duration::hours(1),
    }
}

/// Pages a newest-first, 100-per-page fetch needs with the client's stop rule.
fn pages_needed(h: &History, since: DateTime<Utc>) -> usize {
    let mut newest_first = h.deployments.clone();
    newest_first.reverse();
    let mut pages = 0;
    let mut fetched = 0;
    let mut not_rollback = |_: &str, _: &str| false;
    while fetched < newest_first.len() {
        pages += 1;
        fetched = (fetched + PAGE_SIZE).min(newest_first.len());
        if engine::history_covers(&newest_first[..fetched], since, &mut not_rollback) {
            break;
        }
    }
    pages
}

fn build_repo(h: &History) -> (tempfile::TempDir, Repository, HashMap<String, Oid>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let oids = {
        let tree_id = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree_id).unwrap();
        let mut oids: HashMap<String, Oid> = HashMap::with_capacity(COMMITS);
        let mut prev: Option<Oid> = None;
        for (i, (t, merge)) in h.commits.iter().enumerate() {
            let sig = Signature::new("Dev", "dev@example.com", &Time::new(*t, 0)).unwrap();
            let mut parents = Vec::new();
            if let Some(p) = prev {
                parents.push(repo.find_commit(p).unwrap());
            }
            if *merge {
                // a side commit off the previous one, merged here
                let base: Vec<git2::Commit> = parents.clone();
                let refs: Vec<&git2::Commit> = base.iter().collect();
                let side = repo
                    .commit(None, &sig, &sig, &format!("side {i}"), &tree, &refs)
                    .unwrap();
                parents.push(repo.find_commit(side).unwrap());
            }
            let refs: Vec<&git2::Commit> = parents.iter().collect();
            let oid = repo
                .commit(None, &sig, &sig, &format!("c{i}"), &tree, &refs)
                .unwrap();
            oids.insert(format!("c{i}"), oid);
            prev = Some(oid);
        }
        oids
    };
    (dir, repo, oids)
}

fn main() {
    let h = generate();
    let w = window(&h);
    let in_window = h
        .deployments
        .iter()
        .filter(|d| w.contains(d.outcome().unwrap().1))
        .count();
    println!(
        "history: {COMMITS} commits, {DEPLOYMENTS} deployments ({in_window} in the window), {} incidents",
        h.incidents.len()
    );

    // 1. The pure engine, change sets given.
    let commit_changes = |from: usize, to: usize| -> Vec<Change> {
        (from..to)
            .map(|i| Change {
                sha: format!("c{i}"),
                author_time: at(h.commits[i].0),
                is_merge: h.commits[i].1,
            })
            .collect()
    };
    let ids_by_sha: HashMap<&str, &str> = h
        .deployments
        .iter()
        .filter(|d| h.changes.contains_key(&d.id))
        .map(|d| (d.sha.as_str(), d.id.as_str()))
        .collect();
    let started = Instant::now();
    let mut given = |sha: &str, _: &[String], wanted: bool| {
        if !wanted {
            return ChangeSet::Known(vec![]);
        }
        match ids_by_sha.get(sha).and_then(|id| h.changes.get(*id)) {
            Some(&(from, to)) => ChangeSet::Known(commit_changes(from, to)),
            None => ChangeSet::Known(vec![]),
        }
    };
    let a = engine::analyze(
        &h.deployments,
        &h.incidents,
        Options::default(),
        w.since,
        &mut given,
    );
    let m = engine::metrics(&a, w);
    let engine_time = started.elapsed();
    println!(
        "engine: {:.3} s (lead time over {} changes, median {:?} s, CFR {:?})",
        engine_time.as_secs_f64(),
        m.lead_time.changes,
        m.lead_time.median_seconds,
        m.change_failure_rate.rate
    );
    println!(
        "peak memory after the engine: {:.1} MB",
        peak_memory_mb().unwrap_or(f64::NAN)
    );

    // 2. The request count of a GitHub fetch.
    let pages = pages_needed(&h, w.since);
    let incident_pages = h
        .incidents
        .iter()
        .filter(|i| i.created_at >= w.since)
        .count()
        .div_ceil(PAGE_SIZE);
    println!(
        "GitHub requests: {pages} deployment pages (⌈{in_window} ÷ {PAGE_SIZE}⌉ = {}) + {incident_pages} incident pages = {}",
        in_window.div_ceil(PAGE_SIZE),
        pages + incident_pages
    );

    // 3. Change sets from a real repository of that history.
    let started = Instant::now();
    let (dir, repo, oids) = build_repo(&h);
    println!(
        "building the repository: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // A real clone is packed; loose objects would measure the file system.
    let packed = std::process::Command::new("git")
        .args(["repack", "-a", "-d", "-q"])
        .current_dir(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    println!("repository packed with `git repack`: {packed}");
    drop(repo);
    let repo = Repository::open(dir.path()).unwrap();
    let deployments: Vec<Deployment> = h
        .deployments
        .iter()
        .map(|d| Deployment {
            sha: oids[&d.sha].to_string(),
            ..d.clone()
        })
        .collect();
    let started = Instant::now();
    let mut src = GitChanges::new(&repo);
    let a2 = engine::analyze(
        &deployments,
        &h.incidents,
        Options::default(),
        w.since,
        &mut src,
    );
    let m2 = engine::metrics(&a2, w);
    println!(
        "engine with change sets from git: {:.3} s ({} commits walked; lead time over {} changes)",
        started.elapsed().as_secs_f64(),
        src.walked,
        m2.lead_time.changes
    );
    println!(
        "peak memory (whole run): {:.1} MB",
        peak_memory_mb().unwrap_or(f64::NAN)
    );
    if m2.lead_time.changes != m.lead_time.changes {
        println!(
            "note: git walk and given change sets differ ({} vs {} changes): the git side counts the merged side commits",
            m2.lead_time.changes, m.lead_time.changes
        );
    }
}
