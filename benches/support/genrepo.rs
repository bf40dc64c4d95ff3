//! Generated git repositories for the performance tests and benchmarks,
//! written with `git fast-import` (200,000 commits take seconds).
//!
//! Shape: `files` files in nested directories (`dN/sN/tN/fK.rs`, three
//! levels), one root commit adding them all, then commits changing 1–3
//! files each, on one branch `main`. Every `rename_every`-th commit renames
//! a file into another directory (with a small edit, as `git mv` + edit),
//! every `merge_every`-th commit merges a side branch (two commits) whose
//! changes it brings in, every `churn_every`-th commit deletes a file and
//! adds one in a new directory. Contents are unique per file and revision,
//! so rename detection has one answer. Author and committer times increase
//! by a minute per commit. Tags: `v1.0.0` on commit `before` (annotated),
//! and every `tag_every`-th commit (or `tags` commits spread evenly) gets a
//! lightweight `t{n}` tag.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub files: usize,
    /// Commits up to and including the one tagged `v1.0.0` (≥ 1).
    pub before: usize,
    /// Commits after it (HEAD is the last).
    pub range: usize,
    pub rename_every: usize,
    pub merge_every: usize,
    pub churn_every: usize,
    /// 0: no `t{n}` tags.
    pub tag_every: usize,
    /// Lightweight `t{n}` tags spread evenly over the history (besides
    /// `tag_every`): exactly this many.
    pub tags: usize,
    /// Seconds between commits (60).
    pub spacing: usize,
    /// Unix time of the last commit; `None`: fixed (2020-09-13 onwards).
    pub end_at: Option<usize>,
}

impl Spec {
    pub fn new(files: usize, before: usize, range: usize) -> Spec {
        Spec {
            files,
            before,
            range,
            rename_every: 50,
            merge_every: 100,
            churn_every: 70,
            tag_every: 0,
            tags: 0,
            spacing: 60,
            end_at: None,
        }
    }
}

fn dir_of(k: usize) -> String {
    format!("d{}/s{}/t{}", k % 10, (k / 10) % 10, (k / 100) % 20)
}

fn content(k: usize, rev: usize) -> String {
    let mut s = format!("// file {k}\n");
    for l in 0..12 {
        s.push_str(&format!("fn f{k}_{l}() -> u32 {{ {} }}\n", k * 31 + l));
    }
    s.push_str(&format!("// revision {rev}\n"));
    s
}

fn blob(out: &mut impl Write, path: &str, data: &str) -> std::io::Result<()> {
    write!(out, "M 100644 inline {path}\ndata {}\n{data}\n", data.len())
}

fn header(
    out: &mut impl Write,
    branch: &str,
    mark: usize,
    when: usize,
    msg: &str,
) -> std::io::Result<()> {
    let (name, email) = [
        ("Ann Example", "ann@example.com"),
        ("Bo Example", "bo@example.com"),
        ("Cy Example", "cy@example.com"),
    ][mark % 3];
    write!(
        out,
        "commit refs/heads/{branch}\nmark :{mark}\nauthor {name} <{email}> {when} +0000\n\
         committer {name} <{email}> {when} +0000\ndata {}\n{msg}\n",
        msg.len()
    )
}

/// Generate into `dir` (created; `git init`). Returns the SHA of `v1.0.0`.
pub fn generate(dir: &Path, spec: &Spec) -> String {
    std::fs::create_dir_all(dir).expect("mkdir");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["remote", "add", "origin", "https://github.com/acme/web.git"]);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    {
        let stdin = child.stdin.take().expect("stdin");
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdin);
        write_stream(&mut out, spec).expect("write the fast-import stream");
        out.flush().expect("flush");
    }
    assert!(child.wait().expect("fast-import").success());
    git(&["reset", "-q", "--hard", "main"]);
    git(&["rev-parse", "v1.0.0^{commit}"])
}

fn write_stream(out: &mut impl Write, spec: &Spec) -> std::io::Result<()> {
    let mut paths: Vec<String> = (0..spec.files)
        .map(|k| format!("{}/f{k}.rs", dir_of(k)))
        .collect();
    let total = spec.before + spec.range;
    let base = match spec.end_at {
        Some(end) => end - total * spec.spacing,
        None => 1_600_000_000usize,
    };
    // Marks: commit i on main is :i; side commits use marks above total.
    let mut side_mark = total + 1;
    let mut main_mark = 0;
    let mut new_dir = 0;
    for i in 1..=total {
        let when = base + i * spec.spacing;
        let kind = ["feat", "fix", "chore", "docs"][i % 4];
        let msg = format!(
            "{kind}: change {i} in module {}\n\nA body line explaining change {i}.\nRefs #{}\n",
            i % 17,
            1000 + i
        );
        if i == 1 {
            header(out, "main", i, when, &msg)?;
            for (k, p) in paths.iter().enumerate() {
                blob(out, p, &content(k, 0))?;
            }
            writeln!(out)?;
            main_mark = i;
            continue;
        }
        let merge = spec.merge_every > 0 && i % spec.merge_every == 0;
        let mut side = None;
        let mut brought = Vec::new();
        if merge {
            // Two commits on a side branch from the current main.
            writeln!(out, "reset refs/heads/side\nfrom :{main_mark}\n")?;
            let mut from = main_mark;
            for s in 0..2 {
                let k = (i * 13 + s * 7) % spec.files;
                let data = content(k, i * 10 + s);
                header(
                    out,
                    "side",
                    side_mark,
                    when - 30 + s,
                    &format!("feat: side {i}.{s}\n"),
                )?;
                writeln!(out, "from :{from}")?;
                blob(out, &paths[k], &data)?;
                writeln!(out)?;
                brought.push((k, data));
                from = side_mark;
                side_mark += 1;
            }
            side = Some(from);
        }
        header(out, "main", i, when, &msg)?;
        writeln!(out, "from :{main_mark}")?;
        if let Some(s) = side {
            writeln!(out, "merge :{s}")?;
            for (k, data) in &brought {
                blob(out, &paths[*k], data)?;
            }
        }
        if spec.rename_every > 0 && i % spec.rename_every == 0 {
            let k = (i * 17) % spec.files;
            let to = format!("{}/r{i}.rs", dir_of(k + 3));
            writeln!(out, "R {} {to}", paths[k])?;
            // A small edit, as `git mv` followed by a change.
            blob(out, &to, &content(k, i))?;
            paths[k] = to;
        }
        if spec.churn_every > 0 && i % spec.churn_every == 0 {
            let k = (i * 29) % spec.files;
            writeln!(out, "D {}", paths[k])?;
            new_dir += 1;
            let to = format!("n{new_dir}/deep/er/f{k}.rs");
            blob(out, &to, &format!("// new {i}\n{}", "x\n".repeat(i % 5)))?;
            paths[k] = to;
        }
        for f in 0..(1 + i % 3) {
            let k = (i * 7 + f * 101) % spec.files;
            blob(out, &paths[k], &content(k, i))?;
        }
        writeln!(out)?;
        main_mark = i;
        if i == spec.before {
            write!(
                out,
                "tag v1.0.0\nfrom :{i}\ntagger Ann Example <ann@example.com> {when} +0000\ndata 6\nv1.0.0\n"
            )?;
        }
        let spread = spec.tags > 0 && (i * spec.tags) / total != ((i - 1) * spec.tags) / total;
        if spread || spec.tag_every > 0 && i % spec.tag_every == 0 {
            writeln!(out, "reset refs/tags/t{i}\nfrom :{i}\n")?;
        }
    }
    Ok(())
}
