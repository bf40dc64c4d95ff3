//! The Quick Check scoring compiled into obsctl-core against the DORA
//! contract (`dora/quickcheck-2025.json`): the published example scores as
//! published, and the benchmark tables and answer texts are the contract's.

mod common;

use obsctl_core::quickcheck::{
    COLUMNS, DURATION_BUCKETS, FREQUENCY_BUCKETS, INDUSTRIES, Measured, ORGANIZATION_SIZES,
    categorical_score, find, percentage_score, quick_check,
};
use serde_json::Value;

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[test]
fn the_contract_example_scores_as_published() {
    // Without the contracts (a fresh clone) the check is skipped with one notice.
    let Some(c) = common::contract("dora/quickcheck-2025.json") else {
        return;
    };
    let ex = &c["x-examples"]["elite-ish"]["value"];
    let inputs = &ex["inputs"];
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
    common::assert_valid("dora/quickcheck-2025.json", None, &got);
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
fn compiled_benchmarks_match_the_contract() {
    // Without the contracts (a fresh clone) the check is skipped with one notice.
    let Some(c) = common::contract("dora/quickcheck-2025.json") else {
        return;
    };
    let b = &c["x-benchmarks-2025"];
    for (group, table) in [
        ("industry", INDUSTRIES),
        ("organization_size", ORGANIZATION_SIZES),
    ] {
        let rows = b[group].as_object().unwrap();
        assert_eq!(rows.len(), table.len(), "{group}");
        for row in table {
            let v: &Value = &rows[row.key];
            assert_eq!(row.name, v["name"].as_str().unwrap());
            for (i, col) in COLUMNS.iter().enumerate() {
                assert_eq!(
                    row.values[i].0,
                    v[col]["mean"].as_f64().unwrap(),
                    "{} {col}",
                    row.key
                );
                assert_eq!(
                    row.values[i].1,
                    v[col]["std"].as_f64().unwrap(),
                    "{} {col}",
                    row.key
                );
            }
        }
    }
    for (i, t) in DURATION_BUCKETS.iter().enumerate() {
        assert_eq!(c["x-buckets"]["leadtime"][(i + 1).to_string()], *t);
        assert_eq!(c["x-buckets"]["failurerecovery"][(i + 1).to_string()], *t);
    }
    for (i, t) in FREQUENCY_BUCKETS.iter().enumerate() {
        assert_eq!(c["x-buckets"]["deployfreq"][(i + 1).to_string()], *t);
    }
    // The organisation-size table's inverted recovery, turned round.
    assert_eq!(
        find("all").unwrap().metrics[2],
        ("failurerecovery", 7.4, 2.1)
    );
    assert!((find("fewer_than_100").unwrap().metrics[2].1 - 7.6).abs() < 1e-9);
    assert!(find("nope").is_none());
}
