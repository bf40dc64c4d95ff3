//! Run the fuzz targets on the stable toolchain, for a bounded time.
//!
//! `fuzz-stable TARGET|all [SECONDS] [--replay FILE…]`
//!
//! A mutational fuzzer without coverage feedback (libFuzzer, through
//! `cargo fuzz`, has it; see `run.sh`): it starts from the committed seeds
//! in `corpus/TARGET/`, mutates them (bit flips, byte edits, splices,
//! repeats, target tokens) and keeps a pool of recent mutants. A panic is a
//! finding: the input is written to `artifacts/TARGET/crash-HASH` and the
//! run exits 1. `--replay` runs the given files only (to reproduce one).

use std::panic;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use obsctl_fuzz::TARGETS;

const MAX_LEN: usize = 64 * 1024;

const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{{title}}",
    "{{version}}",
    "{{ x }}",
    "://",
    "@",
    ":",
    "/",
    ".git",
    "\n",
    "\n\n",
    "\n---\n",
    " ",
    "\t",
    "\r\n",
    "..",
    ".",
    "latest",
    "\\",
    "retry-after: ",
    "x-ratelimit-remaining: 0\n",
    "x-ratelimit-reset: ",
    "1e309",
    "inf",
    "NaN",
    "-1",
    "18446744073709551616",
    "-9223372036854775808",
    "9223372036854775807",
    "0.000001",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "{\"retry_after\": ",
    "ghp_",
    "github_pat_",
    "xoxb-",
    "xoxe.xoxp-",
    "xapp-",
    "sntrys_",
    "Bearer ",
    "bearer\t",
    "hooks.slack.com/services/",
    "discord.com/api/webhooks/1/",
    "https://",
    "http://",
    "ssh://git@",
    "git@github.com:",
    "0123456789abcdef0123456789abcdef",
    "\"blocks\"",
    "\"embeds\"",
    "\"text\"",
    "\"type\"",
    "\"header\"",
    "\"section\"",
    "\"fields\"",
    "\"context\"",
    "\"actions\"",
    "\"elements\"",
    "\"content\"",
    "\"title\"",
    "\"description\"",
    "\"footer\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "\u{1f}",
    "\u{1e}",
    "😀",
    "\u{200b}",
    "é",
    "<!channel>",
    "@everyone",
    "&",
    "<",
    ">",
    "*",
    "_",
    "~",
    "`",
    "%2F",
    "%00",
    "\u{0}",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(which) = args.first() else {
        eprintln!(
            "usage: fuzz-stable TARGET|all [SECONDS] [--replay FILE...]\ntargets: {}",
            TARGETS.iter().map(|t| t.0).collect::<Vec<_>>().join(" ")
        );
        std::process::exit(2);
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let targets: Vec<_> = TARGETS
        .iter()
        .filter(|(n, _)| which == "all" || n == which)
        .collect();
    if targets.is_empty() {
        eprintln!("unknown target {which}");
        std::process::exit(2);
    }
    // Quiet panics: a finding is reported once, with its input file.
    panic::set_hook(Box::new(|_| {}));
    if let Some(i) = args.iter().position(|a| a == "--replay") {
        let (_, f) = targets[0];
        let mut failed = false;
        for file in &args[i + 1..] {
            let data = std::fs::read(file).expect("read replay file");
            if let Err(msg) = run_one(*f, &data) {
                eprintln!("{file}: panicked: {msg}");
                failed = true;
            } else {
                eprintln!("{file}: ok");
            }
        }
        std::process::exit(i32::from(failed));
    }
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let mut failed = false;
    for (name, f) in targets {
        let rng = fastrand::Rng::with_seed(seed);
        if let Err(e) = fuzz(&root, name, *f, Duration::from_secs(seconds), rng) {
            eprintln!("{name}: FOUND A CRASH: {e}");
            failed = true;
        }
    }
    std::process::exit(i32::from(failed));
}

fn run_one(f: fn(&[u8]), data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(|| f(data)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

fn fuzz(
    root: &Path,
    name: &str,
    f: fn(&[u8]),
    budget: Duration,
    mut rng: fastrand::Rng,
) -> Result<(), String> {
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(root.join("corpus").join(name))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    let start = Instant::now();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut execs: u64 = 0;
    let mut check = |data: &[u8]| -> Result<(), String> {
        execs += 1;
        run_one(f, data).map_err(|msg| {
            let dir = root.join("artifacts").join(name);
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("crash-{:016x}", fnv(data)));
            let _ = std::fs::write(&path, data);
            format!("{msg}\n  input: {} ({} bytes)", path.display(), data.len())
        })
    };
    for s in &seeds {
        check(s)?;
    }
    while start.elapsed() < budget {
        let base = if !pool.is_empty() && rng.bool() {
            pool[rng.usize(..pool.len())].clone()
        } else {
            seeds[rng.usize(..seeds.len())].clone()
        };
        let mut data = base;
        for _ in 0..rng.usize(1..=8) {
            mutate(&mut data, &seeds, &mut rng);
        }
        data.truncate(MAX_LEN);
        check(&data)?;
        if pool.len() < 256 {
            pool.push(data);
        } else {
            let i = rng.usize(..pool.len());
            pool[i] = data;
        }
    }
    eprintln!(
        "{name}: {execs} inputs in {:.0} s, no crash",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn mutate(data: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut fastrand::Rng) {
    let pos = |rng: &mut fastrand::Rng, d: &Vec<u8>| rng.usize(..=d.len());
    match rng.u8(..9) {
        0 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            data[i] ^= 1 << rng.u8(..8);
        }
        1 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            data[i] = rng.u8(..);
        }
        2 => {
            let i = pos(rng, data);
            data.insert(i, rng.u8(..));
        }
        3 if !data.is_empty() => {
            let i = rng.usize(..data.len());
            let n = rng.usize(1..=(data.len() - i).min(16));
            data.drain(i..i + n);
        }
        4 | 5 => {
            let t = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
            let i = pos(rng, data);
            data.splice(i..i, t.iter().copied());
        }
        6 => {
            let other = &seeds[rng.usize(..seeds.len())];
            if !other.is_empty() {
                let a = rng.usize(..other.len());
                let b = rng.usize(a..=other.len());
                let i = pos(rng, data);
                data.splice(i..i, other[a..b].iter().copied());
            }
        }
        7 if !data.is_empty() => {
            // Repeat a chunk many times: long values hit the limits.
            let a = rng.usize(..data.len());
            let b = rng.usize(a..=data.len().min(a + 32));
            let chunk = data[a..b].to_vec();
            let times = rng.usize(1..400);
            let i = pos(rng, data);
            for _ in 0..times {
                data.splice(i..i, chunk.iter().copied());
            }
        }
        _ => {
            // An ASCII digit or letter run (numbers for Retry-After, names).
            let i = pos(rng, data);
            let n = rng.usize(1..24);
            let digits = rng.bool();
            let run: Vec<u8> = (0..n)
                .map(|_| {
                    if digits {
                        rng.u8(b'0'..=b'9')
                    } else {
                        rng.alphanumeric() as u8
                    }
                })
                .collect();
            data.splice(i..i, run);
        }
    }
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
