use super::*;
use serde_json::Value;

fn contract() -> Value {
    let dir = std::env::var("OBSCTL_CONTRACTS_DIR")
        .unwrap_or_else(|_| format!("{}/../../../shared/contracts", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/dora/quickcheck-2025.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (set OBSCTL_CONTRACTS_DIR)"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_contract_example_scores_as_published() {
    let c = contract();
    let ex = &c["x-examples"]["elite-ish"]["value"];
    let inputs = &ex["inputs"];
    // Scores straight from the buckets and percentages.
    let s = |k: &str| ex["scores"][k].as_f64().unwrap();
    let b = |k: &str| inputs[k].as_i64().unwrap() as i8;
    assert_eq!(r2(categorical_score(b("leadtime"))), s("leadtime"));
    assert_eq!(r2(categorical_score(b("deployfreq"))), s("deployfreq"));
    assert_eq!(
        r2(categorical_score(b("failurerecovery"))),
        s("failurerecovery")
    );
    assert_eq!(
        r2(percentage_score(inputs["changefailure"].as_f64().unwrap())),
        s("changefailure")
    );
    assert_eq!(
        r2(percentage_score(inputs["rework"].as_f64().unwrap())),
        s("rework")
    );
    // The same through measured values that fall in those buckets.
    let q = quick_check(
        &Measured {
            lead_time_secs: Some(5.0 * 3600.0), // < 1 day → 5
            deploys_per_day: Some(3.0),         // on demand → 6
            recovery_secs: Some(20.0 * 60.0),   // < 1 hour → 6
            change_failure_rate: Some(0.08),
            rework_rate: Some(0.05),
        },
        "all",
    )
    .unwrap();
    let got = serde_json::to_value(&q).unwrap();
    for k in [
        "performance",
        "throughput",
        "stability",
        "leadtime",
        "deployfreq",
        "failurerecovery",
        "changefailure",
        "rework",
    ] {
        assert_eq!(got["scores"][k], ex["scores"][k], "{k}");
    }
    for k in [
        "leadtime",
        "deployfreq",
        "failurerecovery",
        "changefailure",
        "rework",
    ] {
        assert_eq!(got["inputs"][k].as_f64(), inputs[k].as_f64(), "{k}");
        assert_eq!(got["benchmark"]["z"][k], ex["benchmark"]["z"][k], "z {k}");
    }
    assert_eq!(got["benchmark"]["name"], ex["benchmark"]["name"]);
}

#[test]
fn known_inputs() {
    // Bucket edges (obsctl's mapping, x-obsctl-mapping in the contract).
    assert_eq!(duration_bucket(3599.0), 6);
    assert_eq!(duration_bucket(3600.0), 5);
    assert_eq!(duration_bucket(7.0 * 86_400.0), 3);
    assert_eq!(duration_bucket(200.0 * 86_400.0), 1);
    assert_eq!(frequency_bucket(1.0), 5);
    assert_eq!(frequency_bucket(1.01), 6);
    assert_eq!(frequency_bucket(1.0 / 7.0), 4);
    assert_eq!(frequency_bucket(0.0), 1);
    // Scores: (b-1)/5*10 and (100-pct)/10.
    assert_eq!(categorical_score(1), 0.0);
    assert_eq!(categorical_score(4), 6.0);
    assert_eq!(categorical_score(-1), 0.0);
    assert_eq!(percentage_score(15.0), 8.5);
    assert_eq!(percentage_score(0.0), 10.0);
    assert_eq!(percentage_score(140.0), 0.0);
    // Weekly deploys, 2-day lead time, no failures: recovery unknown is
    // left out of the means, not scored 0.
    let q = quick_check(
        &Measured {
            lead_time_secs: Some(2.0 * 86_400.0),
            deploys_per_day: Some(1.0 / 7.0),
            recovery_secs: None,
            change_failure_rate: Some(0.0),
            rework_rate: Some(0.0),
        },
        "technology",
    )
    .unwrap();
    assert_eq!(q.inputs.failurerecovery, -1);
    assert_eq!(q.scores.failurerecovery, None);
    assert_eq!(q.scores.throughput, 6.0);
    assert_eq!(q.scores.stability, 10.0);
    assert_eq!(q.scores.performance, 8.0);
    let v = serde_json::to_value(&q).unwrap();
    assert!(v["scores"].get("failurerecovery").is_none());
    // No deployments at all: no Quick Check.
    assert!(quick_check(&Measured::default(), "all").is_none());
}

#[test]
fn compiled_benchmarks_match_the_contract() {
    let c = contract();
    let b = &c["x-benchmarks-2025"];
    for (group, table) in [
        ("industry", INDUSTRIES),
        ("organization_size", ORGANIZATION_SIZES),
    ] {
        let rows = b[group].as_object().unwrap();
        assert_eq!(rows.len(), table.len(), "{group}");
        for row in table {
            let key = row.key;
            let v = &rows[key];
            assert_eq!(row.name, v["name"].as_str().unwrap());
            for (i, col) in COLUMNS.iter().enumerate() {
                assert_eq!(
                    row.values[i].0,
                    v[col]["mean"].as_f64().unwrap(),
                    "{key} {col}"
                );
                assert_eq!(
                    row.values[i].1,
                    v[col]["std"].as_f64().unwrap(),
                    "{key} {col}"
                );
            }
        }
    }
    // Bucket texts.
    for (i, t) in DURATION_BUCKETS.iter().enumerate() {
        assert_eq!(c["x-buckets"]["leadtime"][(i + 1).to_string()], *t);
        assert_eq!(c["x-buckets"]["failurerecovery"][(i + 1).to_string()], *t);
    }
    for (i, t) in FREQUENCY_BUCKETS.iter().enumerate() {
        assert_eq!(c["x-buckets"]["deployfreq"][(i + 1).to_string()], *t);
    }
    // The organisation-size file's inverted recovery, turned round.
    let all = find("all").unwrap();
    let small = find("fewer_than_100").unwrap();
    assert_eq!(all.metrics[2], ("failurerecovery", 7.4, 2.1));
    assert!((small.metrics[2].1 - 7.6).abs() < 1e-9);
    assert!(find("nope").is_none());
    assert!(benchmark_keys().contains(&"more_than_9999"));
}
