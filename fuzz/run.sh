#!/usr/bin/env bash
# Run every fuzz target (or the ones named) for a bounded time each.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 30 s, all)
#
# Engines (FUZZ_ENGINE):
#   libfuzzer  cargo-fuzz + libFuzzer with AddressSanitizer, coverage-guided.
#              cargo-fuzz needs nightly flags; on a stable toolchain they are
#              enabled with RUSTC_BOOTSTRAP=1 (set here). Needs `cargo fuzz`
#              (`cargo install cargo-fuzz`, or FUZZ_INSTALL=1 to let this
#              script install it) and a C++ compiler.
#   stable     the same target functions (src/lib.rs) under a plain mutational
#              fuzzer (src/bin/fuzz-stable.rs) built with the stable
#              toolchain: no coverage feedback, no sanitizer, no extra tools.
#   auto       (default) libfuzzer when `cargo fuzz` is installed, else stable.
#
# Safe for CI: bounded time (each target is also killed after SECONDS + 120 s),
# no network beyond what `cargo build` needs, seeds in corpus/ are read, not
# changed (libFuzzer grows a copy under target/corpus-work/). Exit status 1
# when a target crashed; the input is kept under artifacts/TARGET/.
# Reproduce one: `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET artifacts/TARGET/crash-…`
# or `cargo run --release --bin fuzz-stable -- TARGET --replay FILE`.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-${FUZZ_SECONDS:-30}}"
[ "$#" -gt 0 ] && shift
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

engine="${FUZZ_ENGINE:-auto}"
if [ "$engine" = auto ] || [ "$engine" = libfuzzer ]; then
    if ! cargo fuzz --version >/dev/null 2>&1 && [ "${FUZZ_INSTALL:-0}" = 1 ]; then
        cargo install cargo-fuzz --locked
    fi
    if cargo fuzz --version >/dev/null 2>&1; then
        engine=libfuzzer
    elif [ "$engine" = libfuzzer ]; then
        echo "fuzz/run.sh: cargo-fuzz is not installed (cargo install cargo-fuzz, or FUZZ_INSTALL=1)" >&2
        exit 2
    else
        engine=stable
    fi
fi
echo "fuzz/run.sh: engine $engine, ${secs} s per target: ${targets[*]}"

failed=()
start=$(date +%s)
case "$engine" in
libfuzzer)
    export RUSTC_BOOTSTRAP=1
    cargo fuzz build
    for t in "${targets[@]}"; do
        work="target/corpus-work/$t"
        log="target/fuzz-$t.log"
        mkdir -p "$work" "artifacts/$t"
        cp -n "corpus/$t"/* "$work"/ 2>/dev/null || true
        echo "== $t"
        set +e
        timeout --kill-after=10 "$((secs + 120))" \
            cargo fuzz run "$t" "$work" "corpus/$t" -- \
            -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 >"$log" 2>&1
        rc=$?
        set -e
        grep -E '^(#[0-9]+ +DONE|SUMMARY|stat::number_of_executed_units|stat::peak_rss_mb|Test unit written|thread .* panicked|Failing input)' "$log" || tail -n 20 "$log"
        case "$rc" in
        0) ;;
        124 | 137) echo "$t: killed after $((secs + 120)) s (see $log)"; failed+=("$t(timeout)") ;;
        *) failed+=("$t") ;;
        esac
    done
    ;;
stable)
    cargo build --release --bin fuzz-stable
    for t in "${targets[@]}"; do
        echo "== $t"
        if ! timeout --kill-after=10 "$((secs + 120))" \
            target/release/fuzz-stable "$t" "$secs"; then
            failed+=("$t")
        fi
    done
    ;;
*)
    echo "fuzz/run.sh: unknown FUZZ_ENGINE=$engine (libfuzzer|stable|auto)" >&2
    exit 2
    ;;
esac

echo "fuzz/run.sh: $(( $(date +%s) - start )) s in all"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/run.sh: FAILED: ${failed[*]} (crash inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz/run.sh: no crash"
