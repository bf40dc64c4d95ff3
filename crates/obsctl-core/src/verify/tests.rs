use super::report::{Report, ServiceReport, baseline_search_bound_warning, format_quantity};
use super::windows::{WindowSpec, plan};
use super::*;
use proptest::prelude::*;

fn traffic(tx: u64, fr: f64, p95: f64) -> ReleaseData {
    ReleaseData {
        traffic: Some(Traffic {
            transactions: tx,
            failure_rate: fr,
            p95_ms: p95,
            epm: tx as f64 / 30.0,
        }),
        sessions: None,
        buckets: None,
    }
}

fn with_sessions(mut d: ReleaseData, cfs: f64) -> ReleaseData {
    d.sessions = Some(Sessions {
        crash_free_sessions: Some(cfs),
        crash_free_users: Some(cfs),
        users: Some(100.0),
    });
    d
}

fn result(checks: &[CheckResult], c: Check) -> &CheckResult {
    checks.iter().find(|r| r.check == c).unwrap()
}

fn run(b: &ReleaseData, c: &ReleaseData) -> (Vec<CheckResult>, Verdict) {
    let checks = evaluate(b, c, &Thresholds::default(), Method::Threshold);
    let v = roll_up(&checks);
    (checks, v)
}

#[test]
fn error_rate_3_percent_against_0_2_fails_the_error_rate_check_only() {
    let (checks, v) = run(&traffic(5000, 0.002, 300.0), &traffic(5000, 0.03, 300.0));
    assert_eq!(v, Verdict::Fail);
    let e = result(&checks, Check::ErrorRate);
    assert_eq!(e.result, Verdict::Fail);
    assert!(e.detail.contains("3 %"), "{}", e.detail);
    assert!(e.detail.contains("ceiling"), "{}", e.detail);
    assert_eq!(result(&checks, Check::P95Latency).result, Verdict::Pass);
    assert_eq!(result(&checks, Check::Throughput).result, Verdict::Pass);
}

#[test]
fn equal_releases_pass_even_without_sessions() {
    let (checks, v) = run(&traffic(5000, 0.002, 300.0), &traffic(5000, 0.002, 300.0));
    assert_eq!(v, Verdict::Pass);
    let cf = result(&checks, Check::CrashFreeSessions);
    assert_eq!(cf.result, Verdict::Inconclusive);
    assert_eq!(cf.reason, Some(Reason::NoSessions));
}

#[test]
fn forty_transactions_are_inconclusive_never_pass() {
    let (checks, v) = run(&traffic(40, 0.0, 100.0), &traffic(40, 0.0, 100.0));
    assert_eq!(v, Verdict::Inconclusive);
    for c in [Check::ErrorRate, Check::P95Latency, Check::Throughput] {
        assert_eq!(result(&checks, c).reason, Some(Reason::LowTraffic), "{c:?}");
    }
    // A quiet candidate against a busy baseline is a collapse, not a lack of data.
    let (checks, v) = run(&traffic(5000, 0.0, 100.0), &traffic(40, 0.0, 100.0));
    assert_eq!(result(&checks, Check::Throughput).result, Verdict::Fail);
    assert_eq!(v, Verdict::Fail);
}

#[test]
fn p95_1400_against_900_fails_both_ways() {
    let (checks, v) = run(&traffic(5000, 0.001, 900.0), &traffic(5000, 0.001, 1400.0));
    assert_eq!(v, Verdict::Fail);
    let p = result(&checks, Check::P95Latency);
    assert_eq!(p.result, Verdict::Fail);
    assert!(
        p.detail.contains("ceiling") && p.detail.contains("+56 %"),
        "{}",
        p.detail
    );
    // Relative only: 700 → 900 ms is +29 % (limit +20 %) under the ceiling.
    let (checks, _) = run(&traffic(5000, 0.001, 700.0), &traffic(5000, 0.001, 900.0));
    let p = result(&checks, Check::P95Latency);
    assert_eq!(p.result, Verdict::Fail);
    assert!(!p.detail.contains("ceiling"), "{}", p.detail);
}

#[test]
fn zero_baseline_error_rate_uses_the_ceiling_only() {
    let (checks, _) = run(&traffic(5000, 0.0, 100.0), &traffic(5000, 0.005, 100.0));
    assert_eq!(result(&checks, Check::ErrorRate).result, Verdict::Pass);
}

#[test]
fn crash_free_drop_in_percentage_points() {
    let b = with_sessions(traffic(5000, 0.0, 100.0), 0.995);
    let ok = with_sessions(traffic(5000, 0.0, 100.0), 0.991);
    let bad = with_sessions(traffic(5000, 0.0, 100.0), 0.989);
    assert_eq!(
        result(&run(&b, &ok).0, Check::CrashFreeSessions).result,
        Verdict::Pass
    );
    let (checks, v) = run(&b, &bad);
    assert_eq!(
        result(&checks, Check::CrashFreeSessions).result,
        Verdict::Fail
    );
    assert_eq!(v, Verdict::Fail);
}

#[test]
fn no_sessions_does_not_block_but_low_traffic_does() {
    let checks = evaluate(
        &traffic(5000, 0.0, 100.0),
        &traffic(5000, 0.0, 100.0),
        &Thresholds::default(),
        Method::Threshold,
    );
    assert_eq!(roll_up(&checks), Verdict::Pass);
    // Sessions say fine, traffic too low: inconclusive.
    let b = with_sessions(traffic(10, 0.0, 100.0), 0.99);
    let c = with_sessions(traffic(10, 0.0, 100.0), 0.99);
    assert_eq!(run(&b, &c).1, Verdict::Inconclusive);
    // Sessions fail, traffic too low: the failure wins.
    let c = with_sessions(traffic(10, 0.0, 100.0), 0.90);
    assert_eq!(run(&b, &c).1, Verdict::Fail);
}

#[test]
fn slo_overrides_defaults() {
    let slo = crate::config::Slo {
        p95_ms_max: Some(2000.0),
        p95_increase_max: Some(1.0),
        min_transactions: Some(10),
        ..Default::default()
    };
    let t = Thresholds::from_slo(Some(&slo));
    assert_eq!(t.p95_ms_max, 2000.0);
    assert_eq!(t.error_rate_max, 0.01);
    let checks = evaluate(
        &traffic(50, 0.0, 900.0),
        &traffic(50, 0.0, 1400.0),
        &t,
        Method::Threshold,
    );
    assert_eq!(roll_up(&checks), Verdict::Pass);
    assert!(Thresholds::default().problems().is_empty());
    let bad = Thresholds {
        error_rate_max: 2.0,
        p95_ms_max: -1.0,
        ..Default::default()
    };
    let p = bad.problems();
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].starts_with("error_rate_max"));
}

#[test]
fn mann_whitney_needs_significance_for_relative_failures() {
    let t = Thresholds::default();
    let mut b = traffic(5000, 0.002, 500.0);
    let mut c = traffic(5000, 0.002, 640.0); // +28 %: fails by threshold
    // Overlapping noisy buckets: not significant → passes under mann-whitney.
    b.buckets = Some(Buckets {
        failure_rate: vec![0.002; 10],
        p95_ms: vec![
            300.0, 900.0, 400.0, 800.0, 500.0, 700.0, 450.0, 650.0, 350.0, 750.0,
        ],
    });
    c.buckets = Some(Buckets {
        failure_rate: vec![0.002; 10],
        p95_ms: vec![
            310.0, 910.0, 410.0, 790.0, 520.0, 690.0, 460.0, 660.0, 340.0, 760.0,
        ],
    });
    assert_eq!(
        result(&evaluate(&b, &c, &t, Method::Threshold), Check::P95Latency).result,
        Verdict::Fail
    );
    let mw = evaluate(&b, &c, &t, Method::MannWhitney);
    let p = result(&mw, Check::P95Latency);
    assert_eq!(p.result, Verdict::Pass, "{p:?}");
    assert!(p.p_value.unwrap() > 0.05);
    // Clearly shifted buckets: significant → fails.
    c.buckets = Some(Buckets {
        failure_rate: vec![0.002; 10],
        p95_ms: vec![
            900.0, 950.0, 920.0, 980.0, 940.0, 960.0, 930.0, 970.0, 910.0, 990.0,
        ],
    });
    let mw = evaluate(&b, &c, &t, Method::MannWhitney);
    let p = result(&mw, Check::P95Latency);
    assert_eq!(p.result, Verdict::Fail);
    assert!(p.p_value.unwrap() < 0.05);
    assert!(p.detail.contains("Mann-Whitney"));
}

#[test]
fn exit_codes() {
    use InconclusiveAs as I;
    assert_eq!(exit_code(Verdict::Pass, I::Inconclusive), 0);
    assert_eq!(exit_code(Verdict::Fail, I::Pass), 3);
    assert_eq!(exit_code(Verdict::Inconclusive, I::Inconclusive), 4);
    assert_eq!(exit_code(Verdict::Inconclusive, I::Fail), 3);
    assert_eq!(exit_code(Verdict::Inconclusive, I::Pass), 0);
    assert_eq!(
        overall(&[Verdict::Pass, Verdict::Inconclusive]),
        Verdict::Inconclusive
    );
    assert_eq!(
        overall(&[Verdict::Inconclusive, Verdict::Fail]),
        Verdict::Fail
    );
    assert_eq!(overall(&[Verdict::Pass, Verdict::Pass]), Verdict::Pass);
    assert_eq!(overall(&[]), Verdict::Inconclusive);
}

#[test]
fn quantities_carry_units() {
    assert_eq!(format_quantity(Quantity::new(0.03, Unit::Ratio)), "3 %");
    assert_eq!(format_quantity(Quantity::new(0.002, Unit::Ratio)), "0.2 %");
    assert_eq!(format_quantity(Quantity::new(1400.4, Unit::Ms)), "1,400 ms");
    assert_eq!(
        format_quantity(Quantity::new(12.25, Unit::PerMinute)),
        "12.2/min"
    );
    assert_eq!(
        format_quantity(Quantity::new(0.5, Unit::PercentagePoints)),
        "0.5 pp"
    );
    assert_eq!(
        format_quantity(Quantity::new(1234567.0, Unit::Count)),
        "1,234,567"
    );
}

fn sample_report() -> Report {
    let t = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let windows = plan(
        &WindowSpec {
            deploy_started: Some(t("2026-11-29T10:00:00Z")),
            deploy_finished: t("2026-11-29T10:05:00Z"),
            warmup: chrono::Duration::minutes(2),
            window: chrono::Duration::minutes(30),
        },
        t("2026-11-29T12:00:00Z"),
    )
    .unwrap();
    let checks = evaluate(
        &traffic(5000, 0.002, 300.0),
        &traffic(5000, 0.03, 300.0),
        &Thresholds::default(),
        Method::Threshold,
    );
    let services = vec![ServiceReport {
        service: "web|api".into(),
        project: "web".into(),
        verdict: roll_up(&checks),
        baseline_transactions: 5000,
        candidate_transactions: 5000,
        thresholds: Thresholds::default(),
        checks,
    }];
    Report {
        environment: "production".into(),
        candidate: "v1.1.0".into(),
        baseline: "v1.0.0".into(),
        baseline_source: "flag".into(),
        deploy_finished_at: t("2026-11-29T10:05:00Z"),
        windows,
        window_minutes: 30.0,
        method: Method::Threshold,
        failed_checks: Report::failed(&services),
        verdict: Verdict::Fail,
        services,
        exit_code: 3,
        inconclusive_as: InconclusiveAs::Inconclusive,
        warnings: Vec::new(),
    }
}

#[test]
fn warnings_appear_in_the_json_only_when_there_are_some() {
    let mut r = sample_report();
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("warnings").is_none(), "{json}");
    r.warnings
        .push(baseline_search_bound_warning("production", 500));
    let json = serde_json::to_value(&r).unwrap();
    let w = json["warnings"][0].as_str().unwrap();
    assert!(w.contains("500") && w.contains("--baseline"), "{w}");
}

#[test]
fn report_renderings() {
    let r = sample_report();
    assert_eq!(r.failed_checks, vec!["web|api:error-rate"]);
    let (header, rows) = r.table_rows();
    assert_eq!(header.len(), 6);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][2], "0.2 %");
    assert_eq!(rows[0][3], "3 %");
    assert_eq!(rows[0][4], "≤ 1 %, ≤ +50 % rel.");
    assert_eq!(rows[0][5], "fail");
    assert_eq!(rows[3][5], "no sessions");
    let md = r.markdown();
    assert!(
        md.contains("| web\\|api | error-rate | 0.2 % | 3 % |"),
        "{md}"
    );
    assert!(md.contains("10:07 → 10:37"), "{md}");
    assert!(md.contains("Failed: `web\\|api:error-rate`"), "{md}");
    let json = serde_json::to_value(&r).unwrap();
    let check = &json["services"][0]["checks"][0];
    assert_eq!(check["check"], "error-rate");
    assert_eq!(check["candidate"]["unit"], "ratio");
    assert_eq!(check["limits"][0]["limit"]["value"], 0.01);
    assert_eq!(json["services"][0]["checks"][1]["baseline"]["unit"], "ms");
    assert_eq!(json["verdict"], "fail");
    assert!(r.message_lines()[0].starts_with("web|api error-rate: fail"));
}

fn arb_data() -> impl Strategy<Value = ReleaseData> {
    (
        0u64..400,
        0.0f64..0.1,
        0.0f64..3000.0,
        proptest::option::of(0.9f64..1.0),
    )
        .prop_map(|(tx, fr, p95, cfs)| {
            let mut d = traffic(tx, fr, p95);
            d.sessions = cfs.map(|c| Sessions {
                crash_free_sessions: Some(c),
                ..Default::default()
            });
            d
        })
}

proptest! {
    #[test]
    fn low_traffic_never_passes(b in arb_data(), c in arb_data()) {
        let checks = evaluate(&b, &c, &Thresholds::default(), Method::Threshold);
        let v = roll_up(&checks);
        let low = b.transactions() < 100 || c.transactions() < 100;
        if low {
            prop_assert_ne!(v, Verdict::Pass);
        }
        // Fail iff some check failed.
        prop_assert_eq!(v == Verdict::Fail, checks.iter().any(|c| c.result == Verdict::Fail));
    }

    #[test]
    fn a_candidate_identical_to_its_baseline_never_fails(b in arb_data()) {
        let checks = evaluate(&b, &b, &Thresholds::default(), Method::Threshold);
        // Only the absolute ceilings (or a silent service) can fail it.
        let t = b.traffic.unwrap();
        let may_fail = t.failure_rate > 0.01 || t.p95_ms > 1000.0;
        if !may_fail && t.transactions >= 100 {
            prop_assert_eq!(roll_up(&checks), Verdict::Pass);
        }
    }

    #[test]
    fn worse_candidate_is_never_judged_better(
        b in arb_data(), fr in 0.0f64..0.05, p in 0.0f64..500.0
    ) {
        let c = b.clone();
        let mut worse = b.clone();
        if let Some(t) = worse.traffic.as_mut() {
            t.failure_rate += fr;
            t.p95_ms += p;
        }
        let t = Thresholds::default();
        let rank = |v: Verdict| match v { Verdict::Pass => 0, Verdict::Inconclusive => 1, Verdict::Fail => 2 };
        let v1 = roll_up(&evaluate(&b, &c, &t, Method::Threshold));
        let v2 = roll_up(&evaluate(&b, &worse, &t, Method::Threshold));
        prop_assert!(rank(v2) >= rank(v1));
    }
}
