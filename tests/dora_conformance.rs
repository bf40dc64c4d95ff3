//! Conformance with Apache DevLake's DORA e2e fixtures
//! (`../shared/conformance/dora/devlake/`, see its README.md): the commit
//! graphs are built as real git repositories (git2), and the engine, in its
//! DevLake-compatible mode, reproduces the expected tables: `commits_diffs`,
//! deployment chaining, incident attribution, and for each pull request the
//! deployment that first shipped its merge commit with `pr_deploy_time`.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use git2::{Oid, Repository, Signature, Time};

use obsctl::dora::engine::{self, ChangeSource, Options};
use obsctl::dora::git_source::GitChanges;
use obsctl::dora::input::{parse_csv, parse_time};
use obsctl::dora::model::{Deployment, Incident, Outcome, Status, StatusState};

type Row = BTreeMap<String, String>;
/// Who first shipped a commit: deployment id, started, finished, lead seconds.
type FirstShipped = (String, DateTime<Utc>, DateTime<Utc>, Option<i64>);

/// The fixtures, or `None` (the test skips; one notice per binary) where
/// `../shared/conformance` is absent and `OBSCTL_CONFORMANCE_DIR` unset.
fn fixtures() -> Option<PathBuf> {
    common::contract::conformance_dir().map(|d| d.join("dora/devlake"))
}

/// A CSV file as maps column → value (empty cell = "").
fn table(rel: &str) -> Vec<BTreeMap<String, String>> {
    let path = fixtures().expect("checked by the test").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows = parse_csv(&text).expect("fixture is CSV");
    let header = rows[0].clone();
    rows[1..]
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{rel}: {r:?}");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

fn time(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or_else(|| panic!("bad fixture time {s:?}"))
}

/// A repository with one commit per symbolic name; `parents` lists each
/// commit's parents, `times` its author time (default: epoch + index).
struct Graph {
    _dir: tempfile::TempDir,
    repo: Repository,
    oids: HashMap<String, Oid>,
}

impl Graph {
    fn build(parents: &[(String, String)], times: &HashMap<String, DateTime<Utc>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut parents_of: HashMap<String, Vec<String>> = HashMap::new();
        for (c, p) in parents {
            names.insert(c.clone());
            if !p.is_empty() {
                names.insert(p.clone());
                parents_of.entry(c.clone()).or_default().push(p.clone());
            }
        }
        for n in times.keys() {
            names.insert(n.clone());
        }
        let tree = {
            let oid = repo.treebuilder(None).unwrap().write().unwrap();
            repo.find_tree(oid).unwrap()
        };
        let mut oids: HashMap<String, Oid> = HashMap::new();
        // Create parents first.
        while oids.len() < names.len() {
            let before = oids.len();
            for name in &names {
                if oids.contains_key(name) {
                    continue;
                }
                let ps = parents_of.get(name).cloned().unwrap_or_default();
                if ps.iter().all(|p| oids.contains_key(p)) {
                    let at = times
                        .get(name)
                        .map(|t| t.timestamp())
                        .unwrap_or(1_600_000_000);
                    let sig = Signature::new("Dev", "dev@example.com", &Time::new(at, 0)).unwrap();
                    let parent_commits: Vec<git2::Commit> = ps
                        .iter()
                        .map(|p| repo.find_commit(oids[p]).unwrap())
                        .collect();
                    let refs: Vec<&git2::Commit> = parent_commits.iter().collect();
                    let oid = repo.commit(None, &sig, &sig, name, &tree, &refs).unwrap();
                    oids.insert(name.clone(), oid);
                }
            }
            assert!(oids.len() > before, "cycle in the fixture graph");
        }
        drop(tree);
        Graph {
            _dir: dir,
            repo,
            oids,
        }
    }

    fn name_of(&self, oid: &str) -> String {
        self.oids
            .iter()
            .find(|(_, o)| o.to_string() == oid)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| panic!("unknown oid {oid}"))
    }
}

fn success(id: &str, sha: &str, started: &str, finished: &str) -> Deployment {
    Deployment {
        id: id.into(),
        sha: sha.into(),
        created_at: time(started),
        statuses: vec![Status {
            state: StatusState::Success,
            at: time(finished),
        }],
    }
}

fn devlake() -> Options {
    Options {
        devlake: true,
        ..Default::default()
    }
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// refdiff/e2e/deployment_commit_diff: `git rev-list <new> ^<old>` per
/// deployment of project1's scope, chained in deploy order.
#[test]
fn refdiff_commits_diffs() {
    if fixtures().is_none() {
        return;
    }
    let dir = "refdiff/e2e/deployment_commit_diff";
    let parents: Vec<(String, String)> = table(&format!("{dir}/commit_parents.csv"))
        .into_iter()
        .map(|r| (r["commit_sha"].clone(), r["parent_commit_sha"].clone()))
        .collect();
    let mut times = HashMap::new();
    for r in table(&format!("{dir}/repo_commits.csv")) {
        times.insert(r["commit_sha"].clone(), epoch());
    }
    let g = Graph::build(&parents, &times);
    let scope = "github:GithubRepo:1:484251804";
    let mut deps: Vec<_> = table(&format!("{dir}/cicd_deployment_commits.csv"))
        .into_iter()
        .filter(|r| r["cicd_scope_id"] == scope && r["result"] == "SUCCESS")
        .collect();
    deps.sort_by_key(|r| time(&r["started_date"]));

    // What the engine's change source walks, seed included.
    let mut src = GitChanges::new(&g.repo);
    let mut got: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut earlier: Vec<String> = Vec::new();
    let mut prev_name = String::new();
    for r in &deps {
        let name = r["commit_sha"].clone();
        let sha = g.oids[&name].to_string();
        let set = match src.changes(&sha, &earlier, true) {
            obsctl::dora::model::ChangeSet::Known(c) => c,
            other => panic!("{name}: {other:?}"),
        };
        for c in set {
            got.insert((name.clone(), prev_name.clone(), g.name_of(&c.sha)));
        }
        pairs.insert((name.clone(), prev_name.clone()));
        earlier.push(sha);
        prev_name = name;
    }
    let want: BTreeSet<(String, String, String)> = table(&format!("{dir}/commits_diffs.csv"))
        .into_iter()
        .map(|r| {
            (
                r["new_commit_sha"].clone(),
                r["old_commit_sha"].clone(),
                r["commit_sha"].clone(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let want_pairs: BTreeSet<(String, String)> =
        table(&format!("{dir}/_tool_refdiff_finished_commits_diffs.csv"))
            .into_iter()
            .map(|r| (r["new_commit_sha"].clone(), r["old_commit_sha"].clone()))
            .collect();
    assert_eq!(pairs, want_pairs);

    // The engine itself: the seed is left out, the others match.
    let deployments: Vec<Deployment> = deps
        .iter()
        .map(|r| {
            let sha = g.oids[&r["commit_sha"]].to_string();
            success(&r["id"], &sha, &r["started_date"], &r["started_date"])
        })
        .collect();
    let a = engine::analyze(
        &deployments,
        &[],
        devlake(),
        epoch(),
        &mut GitChanges::new(&g.repo),
    );
    for rec in &a.records {
        let name = g.name_of(&rec.sha);
        let mut shipped: Vec<String> = rec.commits.iter().map(|c| g.name_of(&c.sha)).collect();
        shipped.sort();
        let mut expected: Vec<String> = want
            .iter()
            .filter(|(n, old, _)| *n == name && !old.is_empty())
            .map(|(_, _, c)| c.clone())
            .collect();
        expected.sort();
        assert_eq!(shipped, expected, "{name}");
    }
    assert_eq!(a.records[0].change_state, engine::ChangeState::Seed);
}

/// Group deployment rows of `projects` scopes by (scope, repo, environment),
/// as DevLake does; failures stay in their group.
fn chain_groups(
    rows: &[BTreeMap<String, String>],
    scopes: &BTreeSet<String>,
) -> HashMap<String, String> {
    let mut groups: BTreeMap<(String, String, String), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        if !scopes.contains(&r["cicd_scope_id"])
            || r["environment"].is_empty()
            || r["repo_url"].is_empty()
        {
            continue;
        }
        groups
            .entry((
                r["cicd_scope_id"].clone(),
                r["repo_url"].clone(),
                r["environment"].clone(),
            ))
            .or_default()
            .push(r);
    }
    let mut prev: HashMap<String, String> = HashMap::new();
    for members in groups.values() {
        let deployments: Vec<Deployment> = members
            .iter()
            .map(|r| {
                let mut d = success(
                    &r["id"],
                    &r["commit_sha"],
                    &r["started_date"],
                    &r["finished_date"],
                );
                if r["result"] != "SUCCESS" {
                    d.statuses[0].state = StatusState::Failure;
                }
                d
            })
            .collect();
        let mut none =
            |_: &str, _: &[String], _: bool| obsctl::dora::model::ChangeSet::Known(vec![]);
        let a = engine::analyze(&deployments, &[], devlake(), epoch(), &mut none);
        for rec in &a.records {
            if let Some(p) = rec.prev_success {
                prev.insert(rec.id.clone(), a.records[p].id.clone());
            }
        }
    }
    prev
}

fn project_scopes(mapping: &str, project: &str) -> BTreeSet<String> {
    table(mapping)
        .into_iter()
        .filter(|r| r["project_name"] == project && r["table"] == "cicd_scopes")
        .map(|r| r["row_id"].clone())
        .collect()
}

/// dora/e2e/prev_success_deployment_commit: deployment chaining.
#[test]
fn deployment_chaining() {
    if fixtures().is_none() {
        return;
    }
    let dir = "dora/e2e/prev_success_deployment_commit";
    let rows = table(&format!("{dir}/cicd_deployment_commits_before.csv"));
    let scopes = project_scopes(&format!("{dir}/project_mapping.csv"), "project1");
    let prev = chain_groups(&rows, &scopes);
    let expected = table(&format!("{dir}/cicd_deployment_commits_after.csv"));
    assert_eq!(expected.len(), rows.len());
    for r in expected {
        let got = prev.get(&r["id"]).cloned().unwrap_or_default();
        assert_eq!(
            got, r["prev_success_deployment_commit_id"],
            "deployment {}",
            r["id"]
        );
    }
}

/// dora/e2e/connect_incident_to_deployment: incident attribution, strict `<`.
#[test]
fn incident_attribution() {
    if fixtures().is_none() {
        return;
    }
    let dir = "dora/e2e/connect_incident_to_deployment";
    let rows = table(&format!(
        "{dir}/prev_success_deployment_commit/cicd_deployment_commits_after.csv"
    ));
    let mapping = table(&format!("{dir}/raw_tables/project_mapping.csv"));
    let scopes = project_scopes(&format!("{dir}/raw_tables/project_mapping.csv"), "project1");
    let project_rows: BTreeSet<(String, String)> = mapping
        .iter()
        .filter(|r| r["project_name"] == "project1")
        .map(|r| (r["table"].clone(), r["row_id"].clone()))
        .collect();
    let deployments: Vec<Deployment> = rows
        .iter()
        .filter(|r| {
            scopes.contains(&r["cicd_scope_id"])
                && r["result"] == "SUCCESS"
                && r["environment"] == "PRODUCTION"
        })
        .map(|r| {
            success(
                &r["id"],
                &r["commit_sha"],
                &r["started_date"],
                &r["finished_date"],
            )
        })
        .collect();
    let pipeline: HashMap<String, String> = rows
        .iter()
        .map(|r| (r["id"].clone(), r["cicd_deployment_id"].clone()))
        .collect();
    let incidents: Vec<Incident> = table(&format!("{dir}/raw_tables/incidents.csv"))
        .into_iter()
        .filter(|r| project_rows.contains(&(r["table"].clone(), r["scope_id"].clone())))
        .map(|r| Incident {
            id: r["id"].clone(),
            created_at: time(&r["created_date"]),
            resolved_at: Some(time(&r["updated_date"])),
            deployment: None,
        })
        .collect();
    let mut none = |_: &str, _: &[String], _: bool| obsctl::dora::model::ChangeSet::Known(vec![]);
    let a = engine::analyze(&deployments, &incidents, devlake(), epoch(), &mut none);
    let got: BTreeSet<(String, String)> = a
        .incidents
        .iter()
        .filter_map(|i| {
            Some((
                i.incident.id.clone(),
                pipeline[&a.records[i.deployment?].id].clone(),
            ))
        })
        .collect();
    let want: BTreeSet<(String, String)> = table(&format!(
        "{dir}/snapshot_tables/project_incident_deployment_relationships.csv"
    ))
    .into_iter()
    .filter(|r| r["project_name"] == "project1")
    .map(|r| (r["id"].clone(), r["deployment_id"].clone()))
    .collect();
    assert_eq!(got, want);

    // The default (≤) differs only for an incident at the very deploy time.
    let mut at_deploy = incidents[0].clone();
    at_deploy.created_at = time("2022-09-14T06:51:47Z");
    let mut none = |_: &str, _: &[String], _: bool| obsctl::dora::model::ChangeSet::Known(vec![]);
    let strict = engine::analyze(
        &deployments,
        &[at_deploy.clone()],
        devlake(),
        epoch(),
        &mut none,
    );
    let mut none = |_: &str, _: &[String], _: bool| obsctl::dora::model::ChangeSet::Known(vec![]);
    let default = engine::analyze(
        &deployments,
        &[at_deploy],
        Options::default(),
        epoch(),
        &mut none,
    );
    let id_of =
        |a: &engine::Analysis| pipeline[&a.records[a.incidents[0].deployment.unwrap()].id].clone();
    assert_eq!(id_of(&default), "pipeline2");
    assert_eq!(id_of(&strict), "pipeline1");
}

/// dora/e2e/change_lead_time: for each merged PR, the deployment that first
/// shipped its merge commit and `pr_deploy_time` (minutes, rounded up; NULL
/// when negative). The graph reproduces the fixture's `commits_diffs`; each
/// merge commit carries its PR's merge time as author time, as GitHub's
/// merge commits do.
#[test]
fn pull_request_deploy_time() {
    if fixtures().is_none() {
        return;
    }
    let dir = "dora/e2e/change_lead_time";
    let prs = table(&format!("{dir}/pull_requests.csv"));
    let rows = table(&format!("{dir}/cicd_deployment_commits.csv"));
    let scopes = project_scopes(&format!("{dir}/project_mapping.csv"), "project1");
    let diffs = table(&format!("{dir}/commits_diffs.csv"));

    // Graph: new ← (the diff's commits, chained) ← old (or a root).
    let mut times: HashMap<String, DateTime<Utc>> = HashMap::new();
    for pr in &prs {
        if !pr["merged_date"].is_empty() {
            times.insert(pr["merge_commit_sha"].clone(), time(&pr["merged_date"]));
        }
    }
    let mut parents: Vec<(String, String)> = Vec::new();
    let mut by_new: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for d in &diffs {
        by_new
            .entry((d["new_commit_sha"].clone(), d["old_commit_sha"].clone()))
            .or_default()
            .push(d["commit_sha"].clone());
    }
    for ((new, old), commits) in &by_new {
        let mut below = old.clone();
        for c in commits {
            parents.push((c.clone(), below.clone()));
            below = c.clone();
        }
        parents.push((new.clone(), below));
    }
    // Every deployed commit exists; later deployments descend from earlier ones.
    for r in &rows {
        times.entry(r["commit_sha"].clone()).or_insert_with(epoch);
    }
    let g = Graph::build(&parents, &times);

    // Deployment chains per (scope, repo, environment), PRODUCTION of project1.
    let mut groups: BTreeMap<(String, String), Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for r in &rows {
        if scopes.contains(&r["cicd_scope_id"]) && r["environment"] == "PRODUCTION" {
            groups
                .entry((r["cicd_scope_id"].clone(), r["repo_url"].clone()))
                .or_default()
                .push(r);
        }
    }
    // merge commit name → (deployment id, started, finished, lead seconds)
    let mut shipped: HashMap<String, FirstShipped> = HashMap::new();
    for members in groups.values() {
        let deployments: Vec<Deployment> = members
            .iter()
            .map(|r| {
                let mut d = success(
                    &r["id"],
                    &g.oids[&r["commit_sha"]].to_string(),
                    &r["started_date"],
                    &r["finished_date"],
                );
                if r["result"] != "SUCCESS" {
                    d.statuses[0].state = StatusState::Failure;
                }
                d
            })
            .collect();
        let a = engine::analyze(
            &deployments,
            &[],
            devlake(),
            epoch(),
            &mut GitChanges::new(&g.repo),
        );
        for rec in a.records.iter().filter(|r| r.outcome == Outcome::Success) {
            let started = deployments
                .iter()
                .find(|d| d.id == rec.id)
                .unwrap()
                .created_at;
            for c in &rec.commits {
                let name = g.name_of(&c.sha);
                let entry = (rec.id.clone(), started, rec.time, c.lead_time);
                match shipped.get(&name) {
                    Some(e) if e.1 <= started => {}
                    _ => {
                        shipped.insert(name, entry);
                    }
                }
            }
        }
    }

    let expected = table(&format!("{dir}/project_pr_metrics.csv"));
    assert_eq!(expected.len(), 6);
    for want in expected {
        let pr = prs.iter().find(|p| p["id"] == want["id"]).unwrap();
        let got = shipped.get(&pr["merge_commit_sha"]);
        assert_eq!(
            got.map(|g| g.0.clone()).unwrap_or_default(),
            want["deployment_commit_id"],
            "{}: deployment",
            want["id"]
        );
        let deploy_minutes = got.and_then(|g| g.3).map(|s| {
            assert_eq!(s % 60, 0, "whole minutes");
            (s / 60).to_string()
        });
        assert_eq!(
            deploy_minutes.unwrap_or_default(),
            want["pr_deploy_time"],
            "{}: pr_deploy_time",
            want["id"]
        );
        if let Some(g) = got {
            // pr_deployed_date is the deployment's finish, even when the
            // deploy time is NULL (merged after the deployment finished).
            if !want["pr_deployed_date"].is_empty() {
                assert_eq!(
                    g.2,
                    time(&want["pr_deployed_date"]),
                    "{}: pr_deployed_date",
                    want["id"]
                );
            }
        }
    }
}
