//! Contract validation, in ONE place: the JSON schemas of
//! `../shared/contracts/` (one file per operation; see its README.md).
//!
//! Where the contracts are:
//! - `OBSCTL_CONTRACTS_DIR`, when set. Set to a directory that does not
//!   exist, every validation panics: a CI that means to validate must not
//!   pass silently because of a typo.
//! - else `../shared/contracts` next to the repository root
//!   (`CARGO_MANIFEST_DIR`; from a worktree `/work/wt/NAME` that is
//!   `/work/wt/shared/contracts`).
//! - else nowhere (a fresh clone): validation is skipped and ONE line per test
//!   binary says so on stderr (written past libtest's capture, so it shows).
//!   `.ci/run` requires the contracts, so CI always validates.
//!
//! This file is compiled through `tests/common/mod.rs` (`common::contract`,
//! with `common::assert_valid` & co. re-exported) and used by the fakes in
//! `tests/support/` as `crate::common::contract`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once, OnceLock};

use serde_json::Value;

/// Where shared reference material lives: `var` when set (it must exist),
/// else `default` when it exists, else `None` (skip). `Err` says why a set
/// variable is unusable.
pub fn resolve(
    var: &str,
    set: Option<OsString>,
    default: &Path,
) -> Result<Option<PathBuf>, String> {
    match set {
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v);
            if p.is_dir() {
                Ok(Some(p))
            } else {
                Err(format!(
                    "{var}={} is set but is not a directory: fix or unset it \
                     (unset, the tests look in {} and skip what needs it when absent)",
                    p.display(),
                    default.display()
                ))
            }
        }
        _ => Ok(default.is_dir().then(|| default.to_path_buf())),
    }
}

/// `../shared/<rel>` seen from the repository root.
pub fn shared_default(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn notice(what: &str, looked: &Path, var: &str) {
    // Straight to the process's stderr: `eprintln!` is captured by libtest
    // and would only show for a failing test.
    let _ = writeln!(
        std::io::stderr().lock(),
        "NOTICE: {what} did NOT run in this test binary: no {} and {var} is not set \
         (.ci/run requires it; set {var} to run it locally)",
        looked.display(),
    );
}

/// The contracts directory, or `None` when absent (prints the notice once).
/// Panics when `OBSCTL_CONTRACTS_DIR` is set to a missing directory.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    static ONCE: Once = Once::new();
    let default = shared_default("contracts");
    let found = DIR.get_or_init(|| {
        resolve(
            "OBSCTL_CONTRACTS_DIR",
            std::env::var_os("OBSCTL_CONTRACTS_DIR"),
            &default,
        )
    });
    match found {
        Err(e) => panic!("{e}"),
        Ok(Some(p)) => Some(p.as_path()),
        Ok(None) => {
            ONCE.call_once(|| notice("contract validation", &default, "OBSCTL_CONTRACTS_DIR"));
            None
        }
    }
}

/// The DORA conformance fixtures (`../shared/conformance/dora/devlake`):
/// `OBSCTL_CONFORMANCE_DIR`, else `conformance/` beside a set
/// `OBSCTL_CONTRACTS_DIR`, else `../shared/conformance`. Same rules as [`dir`].
pub fn conformance_dir() -> Option<PathBuf> {
    static ONCE: Once = Once::new();
    let default = shared_default("conformance");
    let (var, set) = match std::env::var_os("OBSCTL_CONFORMANCE_DIR") {
        Some(v) => ("OBSCTL_CONFORMANCE_DIR", Some(v)),
        None => (
            "OBSCTL_CONTRACTS_DIR",
            std::env::var_os("OBSCTL_CONTRACTS_DIR")
                .filter(|v| !v.is_empty())
                .map(|v| PathBuf::from(v).join("../conformance").into_os_string()),
        ),
    };
    match resolve(var, set, &default) {
        Err(e) => panic!("{e}"),
        Ok(Some(p)) => Some(p),
        Ok(None) => {
            ONCE.call_once(|| {
                notice(
                    "the DORA conformance test",
                    &default,
                    "OBSCTL_CONFORMANCE_DIR",
                )
            });
            None
        }
    }
}

/// Whether contracts are here (validation runs).
pub fn available() -> bool {
    dir().is_some()
}

/// Load a contract file (e.g. `"sentry/create-release.json"`); `None` when
/// the contracts are absent.
pub fn load(file: &str) -> Option<Value> {
    let path = dir()?.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading contract {}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("contract is JSON"))
}

/// Like [`load`], for a text file (the GraphQL schema).
pub fn load_text(file: &str) -> Option<String> {
    let path = dir()?.join(file);
    Some(
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading contract {}: {e}", path.display())),
    )
}

type Validators = Mutex<HashMap<(String, Option<String>), Arc<jsonschema::Validator>>>;

fn validator(file: &str, def: Option<&str>) -> Option<Arc<jsonschema::Validator>> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let key = (file.to_string(), def.map(str::to_string));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return Some(v.clone());
    }
    let mut schema = load(file)?;
    let obj = schema.as_object_mut().expect("schema object");
    obj.remove("$id");
    if let Some(def) = def {
        assert!(
            obj.get("$defs").and_then(|d| d.get(def)).is_some(),
            "{file} has no $defs/{def}"
        );
        for key in ["type", "properties", "anyOf", "required", "allOf", "oneOf"] {
            obj.remove(key);
        }
        obj.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
    }
    let v = Arc::new(
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("compiling {file}: {e}")),
    );
    cache.lock().unwrap().insert(key, v.clone());
    Some(v)
}

/// Every violation of `instance` against a contract: `def` names one of the
/// file's `$defs` (`"request"`, `"response_201"`), or `None` for the file's
/// root schema (Block Kit, Discord message, incoming webhook). Empty when
/// valid — or when the contracts are absent (see [`available`]).
pub fn errors(file: &str, def: Option<&str>, instance: &Value) -> Vec<String> {
    let Some(v) = validator(file, def) else {
        return vec![];
    };
    v.iter_errors(instance)
        .map(|e| format!("{file}#{}: {e} at {}", def.unwrap_or(""), e.instance_path()))
        .collect()
}

/// Panics with every violation listed (no-op when the contracts are absent).
pub fn assert_valid(file: &str, def: Option<&str>, instance: &Value) {
    let errors = errors(file, def, instance);
    assert!(
        errors.is_empty(),
        "{file}#{def:?} rejects the body:\n{}\nbody: {}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

/// Whether it is valid, for negative tests. Panics when the contracts are
/// absent: a negative test must check [`available`] first, or it could not
/// fail.
pub fn is_valid(file: &str, def: Option<&str>, instance: &Value) -> bool {
    assert!(
        available(),
        "is_valid({file}) without contracts: check contract::available() first"
    );
    errors(file, def, instance).is_empty()
}

/// Every problem of a request's query (`pairs`, repeated names included)
/// against the query parameters of a contract's `x-operation.parameters`:
/// a name the operation does not define, a missing required one, a value
/// that is not an integer / not in the enum / not a date-time, a name
/// repeated that is not an array (`yAxis` excepted: Sentry takes several
/// though its schema says string). Empty when the contracts are absent.
pub fn query_errors(file: &str, pairs: &[(String, String)]) -> Vec<String> {
    let Some(contract) = load_cached(file) else {
        return vec![];
    };
    let params: Vec<&Value> = contract["x-operation"]["parameters"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["in"] == "query").collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (k, v) in pairs {
        let Some(p) = params.iter().find(|p| p["name"] == k.as_str()) else {
            out.push(format!("{file}: unknown query parameter {k}"));
            continue;
        };
        let schema = &p["schema"];
        let ty = schema["type"].as_str().unwrap_or("");
        let item = &schema["items"];
        let int = ty == "integer" || (ty == "array" && item["type"] == "integer");
        if int && v.parse::<i64>().is_err() {
            out.push(format!("{file}: {k}={v} is not an integer"));
        }
        for e in [&schema["enum"], &item["enum"]] {
            if let Some(e) = e.as_array().filter(|e| !e.iter().any(|x| x == v.as_str())) {
                out.push(format!("{file}: {k}={v} not in {e:?}"));
            }
        }
        if schema["format"] == "date-time" && !is_date_time(v) {
            out.push(format!("{file}: {k}={v} is not a date-time"));
        }
        if ty != "array" && k != "yAxis" && pairs.iter().filter(|(k2, _)| k2 == k).count() > 1 {
            out.push(format!("{file}: {k} repeated but not an array"));
        }
    }
    for p in params.iter().filter(|p| p["required"] == true) {
        if !pairs.iter().any(|(k, _)| p["name"] == k.as_str()) {
            out.push(format!(
                "{file}: required query parameter {} missing",
                p["name"]
            ));
        }
    }
    out
}

/// RFC 3339, or Sentry's naive form without an offset (taken as UTC).
fn is_date_time(v: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(v).is_ok()
        || chrono::DateTime::parse_from_rfc3339(&format!("{v}Z")).is_ok()
}

/// [`load`], parsed once per file.
fn load_cached(file: &str) -> Option<Arc<Value>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Value>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(file) {
        return Some(v.clone());
    }
    let v = Arc::new(load(file)?);
    cache.lock().unwrap().insert(file.to_string(), v.clone());
    Some(v)
}
