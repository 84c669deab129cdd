#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo fuzz (libFuzzer): builds every target in fuzz/, fills
# fuzz/corpus/<target>/ with seeds made at run time from the shared vectors and fixtures and
# the repository's example blocks, runs each target for a bounded time, and fails naming the
# target and the saved input (printed as base64 and hex, so a CI log is enough to reproduce)
# if any input crashes, times out or runs out of memory.
#
#   bash scripts/fuzz.sh [SECONDS]      # SECONDS per target, default 30
#
# Environment:
#   FERRY_VECTORS, FERRY_FIXTURES   seed sources (default ../shared/vectors, ../shared/fixtures
#                                   relative to the repository root); with CI=true a missing
#                                   set fails the run, otherwise it is left out with a warning
#   FUZZ_TARGETS                    targets to run, space-separated (default: all five)
#   FUZZ_SANITIZER                  none (default: the code is safe Rust; fastest) or address
#   FUZZ_TIMEOUT                    seconds one input may take (default 10)
#   FUZZ_RSS_MB                     memory limit in MB (default 2048)
#
# Reproduce a failure: cargo +nightly fuzz run <target> --sanitizer none --debug-assertions \
#   <saved input>   (or decode the base64 printed in the log into a file first).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash scripts/fuzz.sh [SECONDS per target, default 30]" >&2
    exit 64
fi
all_targets=(light_block_verify protobuf ics23_proof evidence cli_files)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
sanitizer="${FUZZ_SANITIZER:-none}"
timeout="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"
build_flags=(--sanitizer "$sanitizer" --debug-assertions)
start_all=$(date +%s)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: cargo fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
cargo +nightly fuzz --version

echo "== fuzz: formatting of the fuzz crate (not a member of the main workspace)"
cargo +nightly fmt --manifest-path fuzz/Cargo.toml --check

echo "== fuzz: build every target (sanitizer: $sanitizer, debug assertions on)"
t0=$(date +%s)
cargo +nightly fuzz build "${build_flags[@]}"
build_secs=$(($(date +%s) - t0))

echo "== fuzz: seed corpora (fuzz/corpus/<target>/)"
t0=$(date +%s)
seed_args=(--out fuzz/corpus --repo .)
for set in vectors fixtures; do
    if [[ "$set" == vectors ]]; then dir="${FERRY_VECTORS:-../shared/vectors}"; var=FERRY_VECTORS
    else dir="${FERRY_FIXTURES:-../shared/fixtures}"; var=FERRY_FIXTURES; fi
    if [[ -d "$dir" ]]; then
        seed_args+=("--$set" "$dir")
    elif [[ "${CI:-}" == true ]]; then
        echo "fuzz: $dir ($var) is missing; CI needs it for seeds" >&2
        exit 1
    else
        echo "WARNING: $dir ($var) not found: no seeds from the shared $set" >&2
    fi
done
cargo +nightly run -q --manifest-path fuzz/Cargo.toml --no-default-features --features seed \
    --bin seed -- "${seed_args[@]}"
seed_secs=$(($(date +%s) - t0))

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
failed=()
summary=()
for t in "${targets[@]}"; do
    echo "== fuzz: $t for ${seconds}s"
    log="$logs/$t.log"
    t0=$(date +%s)
    set +e
    cargo +nightly fuzz run "${build_flags[@]}" "$t" -- \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss_mb" \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    secs=$(($(date +%s) - t0))
    # libFuzzer's final stats, and its last coverage figure (none if the seeds crashed).
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    runs=$(stat number_of_executed_units)
    rate=$(stat average_exec_per_sec)
    new=$(stat new_units_added)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    if [[ $rc -eq 0 ]]; then
        summary+=("$(printf '%-20s %6ss %10s runs %8s exec/s %6s cov %6s new  ok' \
            "$t" "$secs" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${new:-?}")")
        grep -E '^Done [0-9]+ runs' "$log" | sed 's/^/    /' || true
        continue
    fi
    failed+=("$t")
    summary+=("$(printf '%-20s %6ss %10s runs %8s exec/s %6s cov %6s new  FAILED (exit %s)' \
        "$t" "$secs" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${new:-?}" "$rc")")
    echo "fuzz: target $t FAILED (exit $rc); the panic, if any, and the end of its log ($log):" >&2
    { grep -A 3 -m 1 'panicked at' "$log" || true; } | sed 's/^/    /' >&2
    echo "    ..." >&2
    { sed '/^Error: Fuzz target exited/,$d' "$log" | grep -v '^#[0-9]' || true; } |
        tail -n 40 | sed 's/^/    /' >&2
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [[ -n "$input" && -f "$input" ]]; then
        echo "fuzz: target $t: the input is saved at $input ($(wc -c <"$input") bytes)" >&2
        echo "fuzz: reproduce: cargo +nightly fuzz run ${build_flags[*]} $t $input" >&2
        echo "--- base64 (decode with: base64 -d > input) ---" >&2
        base64 -w 76 "$input" >&2
        echo "--- hex (first 4 KiB) ---" >&2
        head -c 4096 "$input" | od -An -tx1 -v >&2
        echo "--- end of input ---" >&2
    else
        echo "fuzz: target $t: no saved input found in its log" >&2
    fi
done

echo "== fuzz: summary (build ${build_secs}s, seeds ${seed_secs}s, total $(($(date +%s) - start_all))s)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs under fuzz/artifacts/<target>/, logs under $logs/)" >&2
    exit 1
fi
