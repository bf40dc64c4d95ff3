//! The contract helper itself must be able to fail.
mod common;

use serde_json::json;

#[test]
fn contract_validation_accepts_and_rejects() {
    let good = json!({"version": "1.0.0", "projects": ["web"]});
    common::assert_valid("sentry/create-release.json", Some("request"), &good);
    let bad = json!({"version": 5});
    assert!(!common::is_valid("sentry/create-release.json", Some("request"), &bad));
}
