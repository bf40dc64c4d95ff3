use super::*;

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
