//! The core does no I/O: a compile-time fact checked here. `obsctl-core`'s
//! normal dependencies (transitively) must include none of clap, reqwest,
//! tokio or git2.

use std::process::Command;

#[test]
fn the_core_depends_on_no_io_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "obsctl-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && tree.contains("obsctl-core"),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for banned in [
        "clap",
        "clap_builder",
        "reqwest",
        "tokio",
        "git2",
        "libgit2-sys",
        "hyper",
    ] {
        assert!(
            !names.contains(&banned),
            "obsctl-core depends on {banned}:\n{tree}"
        );
    }
}

#[test]
fn the_core_has_no_filesystem_or_environment_access() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/obsctl-core/src");
    let mut stack = vec![src];
    let mut bad = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                for banned in [
                    "std::fs",
                    "std::env",
                    "std::net",
                    "std::process",
                    "File::open",
                ] {
                    if line.contains(banned) && !line.trim_start().starts_with("//") {
                        bad.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "I/O in the core:\n{}", bad.join("\n"));
}
