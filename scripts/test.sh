#!/usr/bin/env bash
# Runs every test: the no_std binary and no-alloc builds, doc tests, then the workspace's unit,
# integration and conformance tests (nextest when installed, cargo test otherwise), last so
# that the runner's summary closes the output.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== no_std: the verifier with no std and no allocator anywhere in its graph"
# Built alone: in a workspace build, feature unification would give it the relayer's std.
cargo run -q -p ferry-no-std-tests
cargo run -q --release -p ferry-no-std-tests

echo "== the verifier builds without alloc for each backend"
cargo build -q -p ferry-verifier --no-default-features --features zebra
cargo build -q -p ferry-verifier --no-default-features --features consensus
cargo build -q -p ferry-verifier --no-default-features --features zebra,serde

echo "== doc tests"
cargo test --doc

echo "== real chain binaries (target/chains: cometbft, simd)"
# Built from pinned upstream releases when Go is present (seconds once built; ~12 min cold).
# Without them the real-chain tests print SKIPPED, or fail when CI=true.
if command -v go >/dev/null 2>&1; then
    if ! bash scripts/chains/install.sh; then
        [[ "${CI:-}" == "true" ]] && exit 1
        echo "chains: install failed; the real-chain tests will print SKIPPED" >&2
    fi
else
    echo "chains: go is not on PATH; the real-chain tests will print SKIPPED (CI=true fails them)" >&2
fi

echo "== workspace tests"
status=0
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast || status=$?
else
    cargo test || status=$?
fi

# Said once more at the end, where it cannot be missed: which tests did not run.
chains="${FERRY_CHAINS:-target/chains}"
if [[ ! -x "$chains/cometbft" || ! -x "$chains/simd" ]]; then
    echo "" >&2
    echo "!! The real-chain tests did NOT run (no cometbft/simd in $chains): they passed as SKIPPED." >&2
    echo "!! Files: $(grep -l 'require_chains()' testnet/tests/*.rs relayer/tests/*.rs 2>/dev/null | tr '\n' ' ')" >&2
    echo "!! Install Go >= 1.24 and run: bash scripts/chains/install.sh" >&2
fi
exit "$status"
