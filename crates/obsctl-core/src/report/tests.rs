use super::*;

const D: i64 = 86_400;
// 2025-12-20T00:00:00Z: the window crosses a year.
const START: i64 = 1_766_188_800;

fn ax(y: &str, release: Option<&str>, pts: &[(i64, f64)]) -> AxisSeries {
    AxisSeries {
        y_axis: y.into(),
        release: release.map(String::from),
        points: pts.iter().map(|(d, v)| (START + d * D, *v)).collect(),
    }
}

fn window() -> WindowInfo {
    WindowInfo::new(START, START + 20 * D)
}

pub(super) fn sample_performance() -> Performance {
    let overall = vec![
        ax(
            "count()",
            None,
            &[(0, 100.0), (1, 300.0), (2, 0.0), (3, 100.0)],
        ),
        ax(
            "failure_rate()",
            None,
            &[(0, 0.01), (1, 0.03), (2, 0.0), (3, 0.02)],
        ),
        ax(
            "p50(span.duration)",
            None,
            &[(0, 80.0), (1, 100.0), (2, 0.0), (3, 90.0)],
        ),
        ax(
            "p95(span.duration)",
            None,
            &[(0, 200.0), (1, 400.0), (2, 0.0), (3, 300.0)],
        ),
    ];
    let by_release = vec![
        ax("count()", Some("1.0"), &[(0, 100.0), (1, 100.0)]),
        ax("failure_rate()", Some("1.0"), &[(0, 0.01), (1, 0.03)]),
        ax("count()", Some("1.1"), &[(1, 200.0), (3, 100.0)]),
        ax("p95(span.duration)", Some("1.1"), &[(1, 400.0), (3, 100.0)]),
    ];
    performance(&window(), &overall, &by_release)
}

#[test]
fn performance_totals_and_gaps() {
    let p = sample_performance();
    assert_eq!(p.status, Status::Ok);
    let t = p.totals.as_ref().unwrap();
    assert_eq!(t.transactions_count, 500.0);
    assert_eq!(t.transactions_per_day, 25.0);
    // (100·0.01 + 300·0.03 + 100·0.02) / 500
    assert!((t.failure_ratio.unwrap() - 0.024).abs() < 1e-12);
    assert_eq!(p.buckets.len(), 20);
    // Day 2 had no transactions: latency and failure rate are gaps, not 0.
    assert_eq!(p.buckets[2].transactions_count, Some(0.0));
    assert_eq!(p.buckets[2].p95_ms, None);
    assert_eq!(p.buckets[2].failure_ratio, None);
    // Day 5 was not in the answer at all.
    assert_eq!(p.buckets[5].transactions_count, None);
    assert_eq!(p.releases[0].release, "1.1");
    assert_eq!(p.releases[0].p95_ms, Some(300.0));
    assert_eq!(p.releases[1].failure_ratio, Some(0.02));
}

#[test]
fn no_traffic_is_no_data() {
    let p = performance(&window(), &[ax("count()", None, &[(0, 0.0)])], &[]);
    assert_eq!(p.status, Status::NoData);
    assert!(p.totals.is_none());
    assert!(p.buckets.iter().all(|b| b.p95_ms.is_none()));
}

fn group(
    release: Option<&str>,
    totals: &[(&str, Option<f64>)],
    series: &[(&str, Vec<Option<f64>>)],
) -> SessionGroup {
    SessionGroup {
        release: release.map(String::from),
        totals: totals.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        series: series
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

#[test]
fn user_impact_adoption_and_days() {
    let intervals: Vec<i64> = (0..20).map(|d| START + d * D).collect();
    let overall = vec![group(
        None,
        &[
            ("sum(session)", Some(1000.0)),
            ("count_unique(user)", Some(120.0)),
            ("crash_free_rate(session)", Some(0.995)),
            ("crash_free_rate(user)", Some(0.98)),
        ],
        &[
            (
                "sum(session)",
                [Some(600.0), Some(400.0)]
                    .into_iter()
                    .chain(std::iter::repeat_n(None, 18))
                    .collect(),
            ),
            (
                "count_unique(user)",
                [Some(70.0), Some(60.0)]
                    .into_iter()
                    .chain(std::iter::repeat_n(None, 18))
                    .collect(),
            ),
        ],
    )];
    let by_release = vec![
        group(
            Some("1.0"),
            &[
                ("sum(session)", Some(250.0)),
                ("count_unique(user)", Some(40.0)),
                ("crash_free_rate(session)", Some(0.99)),
            ],
            &[],
        ),
        group(
            Some("1.1"),
            &[
                ("sum(session)", Some(750.0)),
                ("crash_free_rate(user)", None),
            ],
            &[],
        ),
    ];
    let u = user_impact(&window(), "web", &intervals, &overall, &by_release);
    assert_eq!(u.status, Status::Ok);
    assert_eq!(u.releases[0].release, "1.1");
    assert_eq!(u.releases[0].adoption_ratio, Some(0.75));
    assert_eq!(u.releases[0].crash_free_users_ratio, None);
    assert_eq!(u.buckets[0].active_users_count, Some(70.0));
    assert_eq!(u.buckets[5].active_users_count, None);
    assert_eq!(
        u.totals.as_ref().unwrap().crash_free_sessions_ratio,
        Some(0.995)
    );
}

#[test]
fn a_project_without_sessions_says_so() {
    let u = user_impact(
        &window(),
        "api",
        &[],
        &[group(None, &[("sum(session)", None)], &[])],
        &[],
    );
    assert_eq!(u.status, Status::NoData);
    assert!(u.note.as_ref().unwrap().contains("api sends no sessions"));
    assert!(u.totals.is_none());
}

pub(super) fn sample_report() -> Report {
    let w = window();
    let svc = ServiceReport {
        name: "web".into(),
        sentry_project: "web".into(),
        environment: "production".into(),
        performance: sample_performance(),
        user_impact: user_impact(&w, "web", &[], &[], &[]),
        delivery: Delivery::unavailable("no git repository"),
        deploys: vec![Deploy {
            at: ts(START + D + 3600),
            name: "v1.1 <b>".into(),
            source: "git",
            at_unix: START + D + 3600,
        }],
        sentry_requests_count: 4,
    };
    Report {
        title: "obsctl report".into(),
        generated_at: ts(START + 20 * D),
        window: w,
        units: units(),
        services: vec![svc],
    }
}

#[test]
fn formats_carry_the_same_content() {
    let r = sample_report();
    let h = render::html(&r);
    let m = render::markdown(&r);
    let t = render::text(&r);
    for s in [&h, &m, &t] {
        assert!(s.contains("web"), "service");
        assert!(s.contains("2.4 %"), "failure rate");
        assert!(s.contains("sends no sessions"), "no sessions note");
        assert!(s.contains("no git repository"), "delivery note");
    }
    // Across a year: the ticks carry it.
    assert!(h.contains(">2025-12-"), "year in ticks");
    assert!(h.contains(">2026-01-"), "year in ticks");
    assert!(!h.contains("<b>"), "escaped");
    assert!(!h.contains("<script"), "no script");
    assert!(
        !h.contains("http://") || !h.contains("src=\"http"),
        "no network"
    );
    assert!(m.len() < render::STEP_SUMMARY_MAX);
    let j: serde_json::Value = serde_json::from_str(&render::json(&r)).unwrap();
    assert_eq!(
        j["services"][0]["performance"]["totals"]["transactions_count"],
        500.0
    );
}

#[test]
fn every_json_number_names_its_unit() {
    fn walk(v: &serde_json::Value, key: &str, path: &str, bad: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(_) => {
                let ok = ["_count", "_ratio", "_ms", "_secs", "_per_day", "_score"]
                    .iter()
                    .any(|s| key.ends_with(s));
                if !ok {
                    bad.push(path.to_string());
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, path, bad)),
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    if k == "quick_check" {
                        continue; // the contract's shape; units in `units`
                    }
                    walk(x, k, &format!("{path}.{k}"), bad);
                }
            }
            _ => {}
        }
    }
    let mut r = sample_report();
    r.services[0].user_impact = user_impact_unavailable("x");
    let mut bad = Vec::new();
    walk(&serde_json::to_value(&r).unwrap(), "", "", &mut bad);
    assert!(bad.is_empty(), "{bad:?}");
}
