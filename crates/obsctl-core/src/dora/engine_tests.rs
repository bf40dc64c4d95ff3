//! Table-driven tests of the metric engine on an in-memory commit graph.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::dora::input::parse_time;
use crate::dora::model::{Change, Status, StatusState};

fn t(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or_else(|| panic!("bad time {s}"))
}

/// An in-memory commit graph: name → (parents, author time, merge?).
#[derive(Default)]
struct Graph {
    commits: HashMap<String, (Vec<String>, DateTime<Utc>)>,
}

impl Graph {
    /// `spec`: "name:parent+parent@time" entries.
    fn linear(names: &[(&str, &str)]) -> Self {
        let mut g = Graph::default();
        let mut prev: Option<&str> = None;
        for (name, time) in names {
            g.add(name, prev.map(|p| vec![p]).unwrap_or_default(), time);
            prev = Some(name);
        }
        g
    }

    fn add(&mut self, name: &str, parents: Vec<&str>, time: &str) {
        self.commits.insert(
            name.into(),
            (parents.into_iter().map(String::from).collect(), t(time)),
        );
    }

    fn reach(&self, from: &str, into: &mut HashSet<String>) {
        let mut stack = vec![from.to_string()];
        while let Some(c) = stack.pop() {
            if into.insert(c.clone()) {
                if let Some((parents, _)) = self.commits.get(&c) {
                    stack.extend(parents.iter().cloned());
                }
            }
        }
    }
}

impl ChangeSource for Graph {
    fn changes(&mut self, sha: &str, earlier: &[String], wanted: bool) -> ChangeSet {
        if !self.commits.contains_key(sha) {
            return ChangeSet::Missing;
        }
        if !wanted {
            return ChangeSet::Known(vec![]);
        }
        let mut old = HashSet::new();
        for e in earlier {
            self.reach(e, &mut old);
        }
        let mut new = HashSet::new();
        self.reach(sha, &mut new);
        let mut out: Vec<Change> = new
            .difference(&old)
            .map(|c| {
                let (parents, at) = &self.commits[c];
                Change {
                    sha: c.clone(),
                    author_time: *at,
                    is_merge: parents.len() > 1,
                }
            })
            .collect();
        out.sort_by(|a, b| a.sha.cmp(&b.sha));
        ChangeSet::Known(out)
    }
}

fn ok(id: &str, sha: &str, at: &str) -> Deployment {
    Deployment::success(id, sha, t(at))
}

fn failed(id: &str, sha: &str, at: &str) -> Deployment {
    Deployment::failed(id, sha, t(at))
}

fn incident(id: &str, created: &str, resolved: Option<&str>) -> Incident {
    Incident {
        id: id.into(),
        created_at: t(created),
        resolved_at: resolved.map(t),
        deployment: None,
    }
}

fn window(since: &str, until: &str) -> Window {
    Window {
        since: t(since),
        until: t(until),
    }
}

fn run(
    g: &mut Graph,
    deps: &[Deployment],
    incidents: &[Incident],
    w: Window,
    devlake: bool,
) -> (Analysis, Metrics) {
    let a = analyze(
        deps,
        incidents,
        Options {
            devlake,
            ..Default::default()
        },
        w.since,
        g,
    );
    let m = metrics(&a, w);
    (a, m)
}

fn changes_of<'a>(a: &'a Analysis, id: &str) -> Vec<&'a str> {
    let r = a.records.iter().find(|r| r.id == id).expect("record");
    let mut v: Vec<&str> = r.commits.iter().map(|c| c.sha.as_str()).collect();
    v.sort();
    v
}

const HOUR: f64 = 3600.0;

/// c1..c8, one per hour from 2024-01-01T00:00Z.
fn history() -> Graph {
    Graph::linear(&[
        ("c1", "2024-01-01T00:00:00Z"),
        ("c2", "2024-01-01T01:00:00Z"),
        ("c3", "2024-01-01T02:00:00Z"),
        ("c4", "2024-01-01T03:00:00Z"),
        ("c5", "2024-01-01T04:00:00Z"),
        ("c6", "2024-01-01T05:00:00Z"),
        ("c7", "2024-01-01T06:00:00Z"),
        ("c8", "2024-01-01T07:00:00Z"),
    ])
}

#[test]
fn change_sets_redeploy_rollback_and_seed() {
    struct Case {
        name: &'static str,
        deps: Vec<Deployment>,
        /// (deployment, expected changes; None = not a known set)
        want: Vec<(&'static str, Option<Vec<&'static str>>)>,
        lead_changes: u64,
        seeds: u64,
    }
    let cases = vec![
        Case {
            name: "linear",
            deps: vec![
                ok("d1", "c2", "2024-01-02T00:00:00Z"),
                ok("d2", "c4", "2024-01-03T00:00:00Z"),
                ok("d3", "c6", "2024-01-04T00:00:00Z"),
            ],
            want: vec![
                ("d1", None),
                ("d2", Some(vec!["c3", "c4"])),
                ("d3", Some(vec!["c5", "c6"])),
            ],
            lead_changes: 4,
            seeds: 1,
        },
        Case {
            name: "redeploy of the same sha has no changes",
            deps: vec![
                ok("d1", "c2", "2024-01-02T00:00:00Z"),
                ok("d2", "c4", "2024-01-03T00:00:00Z"),
                ok("d2-again", "c4", "2024-01-03T06:00:00Z"),
            ],
            want: vec![("d2", Some(vec!["c3", "c4"])), ("d2-again", Some(vec![]))],
            lead_changes: 2,
            seeds: 1,
        },
        Case {
            name: "rollback to an older sha, then forward",
            deps: vec![
                ok("d1", "c2", "2024-01-02T00:00:00Z"),
                ok("d2", "c6", "2024-01-03T00:00:00Z"),
                ok("rollback", "c4", "2024-01-03T01:00:00Z"),
                ok("d3", "c8", "2024-01-04T00:00:00Z"),
            ],
            want: vec![
                ("d2", Some(vec!["c3", "c4", "c5", "c6"])),
                ("rollback", Some(vec![])),
                ("d3", Some(vec!["c7", "c8"])),
            ],
            lead_changes: 6,
            seeds: 1,
        },
        Case {
            name: "failed deployments are not earlier successful deployments",
            deps: vec![
                ok("d1", "c2", "2024-01-02T00:00:00Z"),
                failed("f1", "c4", "2024-01-02T12:00:00Z"),
                ok("d2", "c5", "2024-01-03T00:00:00Z"),
            ],
            want: vec![("f1", None), ("d2", Some(vec!["c3", "c4", "c5"]))],
            lead_changes: 3,
            seeds: 1,
        },
        Case {
            name: "a missing sha is counted, not fatal",
            deps: vec![
                ok("d1", "c2", "2024-01-02T00:00:00Z"),
                ok("ghost", "ffff", "2024-01-03T00:00:00Z"),
                ok("d2", "c4", "2024-01-04T00:00:00Z"),
            ],
            want: vec![("ghost", None), ("d2", Some(vec!["c3", "c4"]))],
            lead_changes: 2,
            seeds: 1,
        },
    ];
    for case in cases {
        let mut g = history();
        let (a, m) = run(
            &mut g,
            &case.deps,
            &[],
            window("2024-01-01", "2024-02-01"),
            false,
        );
        for (id, want) in &case.want {
            let rec = a.records.iter().find(|r| r.id == *id).unwrap();
            match want {
                Some(w) => {
                    assert_eq!(rec.change_state, ChangeState::Known, "{}: {id}", case.name);
                    assert_eq!(&changes_of(&a, id), w, "{}: {id}", case.name);
                }
                None => assert_ne!(rec.change_state, ChangeState::Known, "{}: {id}", case.name),
            }
        }
        assert_eq!(m.lead_time.changes, case.lead_changes, "{}", case.name);
        assert_eq!(
            m.diagnostics.get(Diagnostic::SeedDeployments),
            case.seeds,
            "{}",
            case.name
        );
        assert_eq!(
            m.deployment_frequency.deployments,
            case.deps
                .iter()
                .filter(|d| d.outcome().unwrap().0 == Outcome::Success)
                .count() as u64,
            "{}",
            case.name
        );
    }
}

#[test]
fn lead_time_median_and_p90_interpolate_like_numpy() {
    // Changes authored 1..=4 hours before their deployments.
    let mut g = Graph::linear(&[
        ("c1", "2024-01-01T00:00:00Z"),
        ("c2", "2024-01-01T08:00:00Z"),
        ("c3", "2024-01-01T09:00:00Z"),
        ("c4", "2024-01-01T10:00:00Z"),
        ("c5", "2024-01-01T11:00:00Z"),
    ]);
    let deps = [
        ok("seed", "c1", "2024-01-01T00:30:00Z"),
        ok("d1", "c5", "2024-01-01T12:00:00Z"),
    ];
    let (_, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-02"),
        false,
    );
    // [1h, 2h, 3h, 4h]: median 2.5h; p90 at rank 2.7 → 3h + 0.7h.
    assert_eq!(m.lead_time.changes, 4);
    assert_eq!(m.lead_time.median_seconds, Some(2.5 * HOUR));
    assert!((m.lead_time.p90_seconds.unwrap() - 3.7 * HOUR).abs() < 1e-6);
    assert_eq!(m.lead_time.band, Some(Band::Elite));
    assert_eq!(m.deployments[1].median_lead_time_seconds, Some(2.5 * HOUR));

    for (values, q, want) in [
        (vec![10], 0.5, 10.0),
        (vec![10], 0.9, 10.0),
        (vec![1, 3], 0.5, 2.0),
        (vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
        (vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 0.5, 5.5),
        // numeric, not lexicographic, order: 9 < 10 < 100
        (vec![9, 10, 100], 0.5, 10.0),
    ] {
        let got = percentile(&values, q).unwrap();
        assert!(
            (got - want).abs() < 1e-9,
            "{values:?} q={q}: {got} != {want}"
        );
    }
    assert_eq!(percentile(&[], 0.5), None);
}

#[test]
fn merges_and_negative_lead_times_are_left_out() {
    let mut g = Graph::default();
    g.add("base", vec![], "2024-01-01T00:00:00Z");
    g.add("feature", vec!["base"], "2024-01-01T01:00:00Z");
    g.add("main", vec!["base"], "2024-01-01T02:00:00Z");
    g.add("merge", vec!["main", "feature"], "2024-01-01T03:00:00Z");
    // Authored "in the future" (a skewed clock).
    g.add("future", vec!["merge"], "2024-01-05T00:00:00Z");
    let deps = [
        ok("seed", "base", "2024-01-01T00:10:00Z"),
        ok("d1", "future", "2024-01-01T04:00:00Z"),
    ];
    let (a, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-02"),
        false,
    );
    assert_eq!(changes_of(&a, "d1"), ["feature", "future", "main", "merge"]);
    assert_eq!(m.lead_time.changes, 2);
    assert_eq!(m.lead_time.median_seconds, Some(2.5 * HOUR));
    assert_eq!(m.diagnostics.get(Diagnostic::MergeCommitsExcluded), 1);
    assert_eq!(m.diagnostics.get(Diagnostic::NegativeLeadTimesExcluded), 1);
    assert_eq!(m.deployments[1].changes, Some(4));
}

#[test]
fn commit_times_with_mixed_utc_offsets() {
    // The same instant written three ways, and one more an hour later.
    let mut g = Graph::default();
    g.add("root", vec![], "2024-01-01T00:00:00Z");
    g.add("a", vec!["root"], "2024-01-01T10:00:00+05:30");
    g.add("b", vec!["a"], "2024-01-01T04:30:00Z");
    g.add("c", vec!["b"], "2023-12-31T23:30:00-05:00");
    g.add("d", vec!["c"], "2024-01-01T06:30:00+01:00");
    let deps = [
        ok("seed", "root", "2024-01-01T00:00:00Z"),
        ok("d1", "d", "2024-01-01T07:30:00+02:00"),
    ];
    let (_, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-02"),
        false,
    );
    // Deployed 05:30Z; changes at 04:30Z ×3 and 05:30Z: 1h,1h,1h,0.
    assert_eq!(m.lead_time.changes, 4);
    assert_eq!(m.lead_time.median_seconds, Some(HOUR));
    assert_eq!(m.lead_time.p90_seconds, Some(HOUR));
    assert_eq!(m.deployments[1].deployed_at, "2024-01-01T05:30:00Z");
}

#[test]
fn outcome_classification() {
    let at = |s: &str| t(s);
    let st = |state, s: &str| Status { state, at: at(s) };
    let dep = |statuses| Deployment {
        id: "x".into(),
        sha: "c1".into(),
        created_at: at("2024-01-01T00:00:00Z"),
        statuses,
    };
    use StatusState::*;
    let cases = [
        (vec![], None),
        (vec![st(Other, "2024-01-01T00:01:00Z")], None),
        (
            vec![
                st(Failure, "2024-01-01T00:02:00Z"),
                st(Success, "2024-01-01T00:05:00Z"),
                st(Success, "2024-01-01T00:03:00Z"),
            ],
            Some((Outcome::Success, "2024-01-01T00:03:00Z")),
        ),
        (
            vec![
                st(Other, "2024-01-01T00:01:00Z"),
                st(Error, "2024-01-01T00:02:00Z"),
            ],
            Some((Outcome::Failure, "2024-01-01T00:02:00Z")),
        ),
        // failed, then marked inactive: the latest status is not a failure.
        (
            vec![
                st(Failure, "2024-01-01T00:02:00Z"),
                st(Other, "2024-01-01T00:09:00Z"),
            ],
            None,
        ),
        // newest first in the list, as GitHub returns them.
        (
            vec![
                st(Failure, "2024-01-01T00:09:00Z"),
                st(Other, "2024-01-01T00:02:00Z"),
            ],
            Some((Outcome::Failure, "2024-01-01T00:09:00Z")),
        ),
    ];
    for (statuses, want) in cases {
        let d = dep(statuses.clone());
        assert_eq!(d.outcome(), want.map(|(o, s)| (o, at(s))), "{statuses:?}");
    }
}

#[test]
fn change_failure_rate_recovery_and_attribution() {
    let mut g = history();
    let deps = vec![
        ok("d1", "c1", "2024-01-02T00:00:00Z"),
        ok("d2", "c2", "2024-01-03T00:00:00Z"),
        failed("f1", "c3", "2024-01-04T00:00:00Z"),
        ok("d3", "c3", "2024-01-04T00:30:00Z"),
        ok("d4", "c4", "2024-01-05T00:00:00Z"),
        failed("f2", "c5", "2024-01-06T00:00:00Z"),
        // excluded: only pending
        Deployment {
            id: "p".into(),
            sha: "c5".into(),
            created_at: t("2024-01-06T01:00:00Z"),
            statuses: vec![Status {
                state: StatusState::Other,
                at: t("2024-01-06T01:00:00Z"),
            }],
        },
    ];
    let incidents = vec![
        // exactly at d2's deploy time: ≤ attributes it to d2 (DevLake: to d1)
        incident("i1", "2024-01-03T00:00:00Z", Some("2024-01-03T02:00:00Z")),
        incident("i2", "2024-01-03T01:00:00Z", Some("2024-01-03T05:00:00Z")),
        // open: d4 is unrecovered
        incident("i3", "2024-01-05T06:00:00Z", None),
        // before any deployment
        incident("i0", "2024-01-01T00:00:00Z", Some("2024-01-01T01:00:00Z")),
    ];
    let w = window("2024-01-01", "2024-01-08");
    let (a, m) = run(&mut g, &deps, &incidents, w, false);
    assert_eq!(
        a.records
            .iter()
            .find(|r| r.id == "d2")
            .unwrap()
            .incidents
            .len(),
        2
    );
    assert_eq!(m.deployment_frequency.deployments, 4);
    assert_eq!(m.deployment_frequency.per_day, Some(4.0 / 7.0));
    assert_eq!(m.deployment_frequency.per_week, Some(4.0));
    assert_eq!(m.deployment_frequency.band, Some(Band::High));
    // failed = f1, f2, d2 (incidents), d4 (incident) out of 6.
    assert_eq!(
        (m.change_failure_rate.failed, m.change_failure_rate.total),
        (4, 6)
    );
    assert_eq!(m.change_failure_rate.band, Some(Band::Low));
    // f1 → d3: 30 min; d2: i1 created 00:00 → i2 resolved 05:00: 5h; f2, d4 unrecovered.
    assert_eq!(m.recovery_time.failures, 4);
    assert_eq!(m.recovery_time.recovered, 2);
    assert_eq!(
        m.recovery_time.median_seconds,
        Some((1800.0 + 5.0 * HOUR) / 2.0)
    );
    assert_eq!(m.recovery_time.band, Some(Band::High));
    assert_eq!(m.diagnostics.get(Diagnostic::DeploymentsWithoutOutcome), 1);
    assert_eq!(m.diagnostics.get(Diagnostic::FailuresUnrecovered), 2);
    assert_eq!(
        m.diagnostics
            .get(Diagnostic::IncidentsBeforeFirstDeployment),
        1
    );
    assert_eq!(m.diagnostics.get(Diagnostic::IncidentsOpen), 1);
    let f1 = m.deployments.iter().find(|r| r.id == "f1").unwrap();
    assert_eq!(
        (f1.status, f1.changes, f1.recovery_seconds),
        (Outcome::Failure, None, Some(1800))
    );

    // DevLake mode: strict `<` moves i1 to d1.
    let mut g = history();
    let (a, _) = run(&mut g, &deps, &incidents, w, true);
    let by_id = |id: &str| {
        a.records
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .incidents
            .len()
    };
    assert_eq!((by_id("d1"), by_id("d2")), (1, 1));

    // An incident that names its deployment goes there.
    let mut named = incident("i9", "2024-01-05T12:00:00Z", Some("2024-01-05T13:00:00Z"));
    named.deployment = Some("c2".into());
    let mut g = history();
    let (a, _) = run(&mut g, &deps, &[named.clone()], w, false);
    assert_eq!(
        a.incidents[0].deployment.map(|i| a.records[i].id.as_str()),
        Some("d2")
    );
    named.deployment = Some("nope".into());
    let mut g = history();
    let (a, m) = run(&mut g, &deps, &[named], w, false);
    assert_eq!(
        a.incidents[0].deployment.map(|i| a.records[i].id.as_str()),
        Some("d4")
    );
    assert_eq!(
        m.diagnostics
            .get(Diagnostic::IncidentsNamingUnknownDeployment),
        1
    );
}

#[test]
fn no_incidents() {
    let mut g = history();
    let deps = [
        ok("d1", "c1", "2024-01-02T00:00:00Z"),
        ok("d2", "c2", "2024-01-03T00:00:00Z"),
    ];
    let (_, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-08"),
        false,
    );
    assert_eq!(m.change_failure_rate.failed, 0);
    assert_eq!(m.change_failure_rate.rate, Some(0.0));
    assert_eq!(m.change_failure_rate.band, Some(Band::Elite));
    assert_eq!(m.recovery_time.median_seconds, None);
    assert_eq!(m.recovery_time.band, None);
    assert_eq!(m.recovery_time.failures, 0);
}

#[test]
fn empty_window_is_null_not_zero() {
    let mut g = history();
    let deps = [
        ok("d1", "c1", "2023-06-01T00:00:00Z"),
        ok("d2", "c2", "2023-06-02T00:00:00Z"),
    ];
    let (_, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-31"),
        false,
    );
    assert_eq!(m.deployment_frequency.deployments, 0);
    assert_eq!(m.deployment_frequency.per_day, Some(0.0));
    assert_eq!(m.deployment_frequency.band, Some(Band::Low));
    assert_eq!(m.lead_time.median_seconds, None);
    assert_eq!(m.lead_time.p90_seconds, None);
    assert_eq!(m.lead_time.band, None);
    assert_eq!(m.change_failure_rate.rate, None);
    assert_eq!(m.change_failure_rate.band, None);
    assert_eq!(m.recovery_time.median_seconds, None);
    assert!(m.deployments.is_empty());

    // No deployment at all: frequency is unknown too.
    let (_, m) = run(&mut g, &[], &[], window("2024-01-01", "2024-01-31"), false);
    assert_eq!(m.deployment_frequency.per_day, None);
    assert_eq!(m.deployment_frequency.band, None);
    assert_eq!(m.diagnostics.get(Diagnostic::NoDeploymentsFound), 1);
    let json = serde_json::to_value(&m).unwrap();
    assert!(json["lead_time"]["median_seconds"].is_null());
    assert!(json["change_failure_rate"]["rate"].is_null());
}

#[test]
fn window_is_half_open() {
    let mut g = history();
    let deps = [
        ok("d1", "c1", "2024-01-01T00:00:00Z"),
        ok("d2", "c2", "2024-01-01T12:00:00Z"),
        ok("d3", "c3", "2024-01-02T00:00:00Z"),
    ];
    let (_, m) = run(
        &mut g,
        &deps,
        &[],
        window("2024-01-01", "2024-01-02"),
        false,
    );
    let ids: Vec<&str> = m.deployments.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["d1", "d2"]);
}

#[test]
fn devlake_rounds_up_to_whole_minutes() {
    let mut g = Graph::linear(&[
        ("c1", "2024-01-01T00:00:00Z"),
        ("c2", "2024-01-01T00:00:01Z"),
    ]);
    let deps = [
        ok("d1", "c1", "2024-01-01T00:00:00Z"),
        ok("d2", "c2", "2024-01-01T00:01:02Z"),
    ];
    let w = window("2024-01-01", "2024-01-02");
    let (_, m) = run(&mut g, &deps, &[], w, true);
    assert_eq!(m.lead_time.median_seconds, Some(120.0));
    let (_, m) = run(&mut g, &deps, &[], w, false);
    assert_eq!(m.lead_time.median_seconds, Some(61.0));
}

#[test]
fn bands() {
    for (n, days, want) in [
        (90, 90.0, Band::Elite),
        (89, 90.0, Band::High),
        (13, 90.0, Band::High),
        (12, 90.0, Band::Medium),
        (3, 90.0, Band::Medium),
        (2, 90.0, Band::Low),
        (0, 90.0, Band::Low),
    ] {
        assert_eq!(Band::frequency(n, days), want, "{n}/{days}");
    }
    let day = 86_400.0;
    for (s, want) in [
        (day - 1.0, Band::Elite),
        (day, Band::High),
        (7.0 * day, Band::Medium),
        (30.0 * day, Band::Low),
    ] {
        assert_eq!(Band::lead_time(s), want, "{s}");
    }
    for (f, total, want) in [
        (1, 20, Band::Elite),
        (2, 20, Band::High),
        (3, 20, Band::Medium),
        (4, 20, Band::Low),
        (0, 1, Band::Elite),
    ] {
        assert_eq!(Band::change_failure(f, total), want, "{f}/{total}");
    }
    for (s, want) in [
        (3599.0, Band::Elite),
        (3600.0, Band::High),
        (day, Band::Medium),
        (7.0 * day, Band::Low),
    ] {
        assert_eq!(Band::recovery(s), want, "{s}");
    }
}

#[test]
fn compare_previous_window() {
    let mut g = history();
    let deps = [
        ok("d1", "c1", "2024-01-01T00:00:00Z"),
        ok("d2", "c2", "2024-01-05T00:00:00Z"),
        ok("d3", "c3", "2024-01-09T00:00:00Z"),
        ok("d4", "c4", "2024-01-10T00:00:00Z"),
    ];
    let w = window("2024-01-08", "2024-01-15");
    let a = analyze(&deps, &[], Options::default(), w.previous().since, &mut g);
    let cur = metrics(&a, w);
    let prev = metrics(&a, w.previous());
    assert_eq!(prev.window.since, "2024-01-01T00:00:00Z");
    assert_eq!(prev.deployment_frequency.deployments, 2);
    let d = delta(&cur, &prev);
    assert_eq!(d.deployments, 0);
    assert!(d.lead_time_median_seconds.is_some());
    assert_eq!(d.recovery_median_seconds, None);
    let _ = Duration::zero();
}

#[test]
fn rework_rate_counts_fixes_of_failures_and_deployments_during_open_incidents() {
    use crate::dora::model::{ChangeSet, Deployment, Incident};
    let deps = [
        Deployment::success("v1", "c1", t("2026-03-01T10:00:00Z")),
        Deployment::failed("v2", "c2", t("2026-03-02T10:00:00Z")),
        // A second attempt while v2 is failed: rework (and failed).
        Deployment::failed("v2b", "c2", t("2026-03-02T11:00:00Z")),
        // The fix: rework, and v2's recovery.
        Deployment::success("v3", "c3", t("2026-03-02T12:00:00Z")),
        Deployment::success("v4", "c4", t("2026-03-03T10:00:00Z")),
        // v4's incident is open: rework.
        Deployment::success("v5", "c5", t("2026-03-04T10:00:00Z")),
        // Resolved before it: planned work again.
        Deployment::success("v6", "c6", t("2026-03-06T10:00:00Z")),
    ];
    let incidents = [Incident {
        id: "i1".into(),
        created_at: t("2026-03-03T12:00:00Z"),
        resolved_at: Some(t("2026-03-05T00:00:00Z")),
        deployment: Some("v4".into()),
    }];
    let mut none = |_: &str, _: &[String], _: bool| ChangeSet::Known(vec![]);
    let a = analyze(
        &deps,
        &incidents,
        Options::default(),
        t("2026-03-01"),
        &mut none,
    );
    let ids: Vec<&str> = a
        .records
        .iter()
        .filter(|r| r.rework)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["v2b", "v3", "v5"]);
    let m = metrics(
        &a,
        Window {
            since: t("2026-03-01"),
            until: t("2026-03-08"),
        },
    );
    assert_eq!(
        m.rework_rate,
        ReworkRate {
            rework: 3,
            total: 7,
            rate: Some(3.0 / 7.0)
        }
    );
    assert_eq!(m.deployments.iter().filter(|r| r.rework).count(), 3);
    // No deployments in the window: no rate, not 0.
    let empty = metrics(
        &a,
        Window {
            since: t("2026-04-01"),
            until: t("2026-04-08"),
        },
    );
    assert_eq!(empty.rework_rate.rate, None);
    // Deployments, none rework: 0.
    let calm = metrics(
        &a,
        Window {
            since: t("2026-03-06"),
            until: t("2026-03-08"),
        },
    );
    assert_eq!(calm.rework_rate.rate, Some(0.0));
}
