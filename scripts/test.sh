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

echo "== workspace tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast
else
    cargo test
fi
