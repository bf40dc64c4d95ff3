//! The contract helper itself must be able to fail, and the contracts'
//! lookup must skip (unset, absent) or fail loudly (set, missing).
mod common;

use std::ffi::OsString;

use common::contract;
use serde_json::json;

#[test]
fn contract_validation_accepts_and_rejects() {
    if !contract::available() {
        return; // said once, on stderr
    }
    let good = json!({"version": "1.0.0", "projects": ["web"]});
    common::assert_valid("sentry/create-release.json", Some("request"), &good);
    let bad = json!({"version": 5});
    assert!(!common::is_valid(
        "sentry/create-release.json",
        Some("request"),
        &bad
    ));
    assert!(
        std::panic::catch_unwind(|| {
            common::assert_valid("sentry/create-release.json", Some("request"), &bad)
        })
        .is_err()
    );
}

#[test]
fn contracts_lookup_skips_when_absent_and_fails_when_set_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let absent = tmp.path().join("shared/contracts");
    // Unset and absent: skip.
    assert_eq!(contract::resolve("V", None, &absent), Ok(None));
    // Set to empty: as unset.
    assert_eq!(
        contract::resolve("V", Some(OsString::new()), &absent),
        Ok(None)
    );
    // Unset and present: the default.
    std::fs::create_dir_all(&absent).unwrap();
    assert_eq!(
        contract::resolve("V", None, &absent),
        Ok(Some(absent.clone()))
    );
    // Set and present: the variable wins.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    assert_eq!(
        contract::resolve("V", Some(other.clone().into_os_string()), &absent),
        Ok(Some(other))
    );
    // Set and missing: an error naming the variable and the path.
    let missing = tmp.path().join("nope");
    let err = contract::resolve("V", Some(missing.clone().into_os_string()), &absent).unwrap_err();
    assert!(err.contains("V=") && err.contains("nope"), "{err}");
}
