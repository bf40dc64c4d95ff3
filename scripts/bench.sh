#!/usr/bin/env bash
# obsctl's benchmarks, in one command:
#
#   scripts/bench.sh            # writes target/bench/results.md and prints it
#
# Installs what it needs when missing: sentry-cli (PyPI's `sentry-cli` wheel,
# a binary; SENTRY_CLI_VERSION pins it, default 3.8.2), hyperfine (Debian)
# and GNU time (Debian). Then:
#   1. `cargo bench --bench release_flow`: obsctl against sentry-cli on one
#      loopback fake of Sentry and GitHub with 50 ms per request (release
#      flow, deploy record, 3,000-commit collection; see benches/release_flow.rs);
#   2. `obsctl --version` start-up time (hyperfine, else a loop of 100 runs);
#   3. the size of the release binary.
# Step 1 also runs issue 12's table (commit collection at 300 / 3,000 /
# 30,000 commits, a 20,000-file tree, a 304-commit range in a 200,000-commit
# history, `dora report --source git` with 500 / 5,000 / 20,000 tags over
# 50,000 commits and 20,000 tags over 200,000 commits),
# on repositories generated with `git fast-import` in one temp dir, each
# deleted after its row; paired runs against sentry-cli and the git floor.
# Knobs: BENCH_RUNS (5), BENCH_LATENCY_MS (50), BENCH_RANGE (300),
# BENCH_BIG_RANGE (3000), SENTRY_CLI (a sentry-cli binary to use instead),
# BENCH_SCALE (1; 0 skips issue 12's table), BENCH_ONLY_SCALE (only that
# table), BENCH_ROWS (e.g. 3,5: only those rows; 1-5 commit collection, 6-9
# dora report), BENCH_DORA_TAGS (one tag count over 50,000 commits instead of
# rows 6-8).
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=target/bench
mkdir -p "$out_dir"

# sentry-cli: the PyPI wheel ships the real binary; call it directly (a
# pyenv shim in front of it would add ~50 ms of Python per call).
if [ -z "${SENTRY_CLI:-}" ]; then
    scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
    if [ ! -x "$scripts_dir/sentry-cli" ]; then
        python3 -m pip install --quiet "sentry-cli==${SENTRY_CLI_VERSION:-3.8.2}"
        scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    fi
    SENTRY_CLI="$scripts_dir/sentry-cli"
fi
export SENTRY_CLI
"$SENTRY_CLI" --version

apt_install() {
    if command -v apt-get >/dev/null 2>&1; then
        apt-get install -y "$@" >/dev/null 2>&1 ||
            { apt-get update >/dev/null 2>&1 && apt-get install -y "$@" >/dev/null 2>&1; } || true
    fi
}
command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# 1. The flows (builds obsctl with the release profile).
BENCH_OUT="$out_dir/flows.md" cargo bench --bench release_flow

# 2. Start-up time and 3. binary size of that same binary (the bench
# profile inherits the release profile: it is the shipped build).
bin="${CARGO_TARGET_DIR:-target}/release/obsctl"
{
    echo "### Start-up and size"
    echo
    if command -v hyperfine >/dev/null 2>&1; then
        hyperfine --warmup 20 --runs 200 -N --export-json "$out_dir/version.json" \
            "$bin --version" "$SENTRY_CLI --version" >/dev/null
        python3 - "$out_dir/version.json" <<'EOF'
import json, sys
for r, name in zip(json.load(open(sys.argv[1]))["results"], ["obsctl", "sentry-cli"]):
    print(f"- `{name} --version`: {r['mean']*1000:.1f} ms ± {r['stddev']*1000:.1f} ms "
          f"(min {r['min']*1000:.1f} ms; hyperfine, {len(r['times'])} runs)")
EOF
    else
        for b in "$bin" "$SENTRY_CLI"; do
            t0=$(date +%s%N)
            for _ in $(seq 100); do "$b" --version >/dev/null; done
            t1=$(date +%s%N)
            echo "- \`$(basename "$b") --version\`: $(( (t1 - t0) / 100 / 1000 )) µs (mean of 100 runs)"
        done
    fi
    size() { du -b "$1" | cut -f1 | awk '{printf "%.1f MiB", $1/1048576}'; }
    echo "- release binary: $(size "$bin") (stripped, thin LTO, rustls with ring, no OpenSSL); sentry-cli's: $(size "$(readlink -f "$SENTRY_CLI")")"
    echo
} >"$out_dir/startup.md"

{
    cat "$out_dir/flows.md" "$out_dir/startup.md"
    echo "Load average when the run started: $load_start (1, 5, 15 min)."
} >"$out_dir/results.md"
echo
cat "$out_dir/results.md"
echo "written to $out_dir/results.md (copy the tables into docs/performance.md)"
