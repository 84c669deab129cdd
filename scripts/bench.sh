#!/usr/bin/env bash
# Times Ferry beside tendermint-rs 0.41 in one process, interleaved, on the shared fixtures
# (bench/, a crate outside the workspace so tendermint-rs never enters the product's graph),
# then the IBC benchmark. Usage: scripts/bench.sh [SIZES, default 4,32,150,300]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-4,32,150,300}"
out="$(pwd)/target/bench"
mkdir -p "$out"
CARGO_TARGET_DIR=target/bench cargo build -q --release --manifest-path bench/Cargo.toml
target/bench/release/ferry-bench --sizes "$sizes" | tee "$out/verify.txt"
cargo bench -q -p ferry-verifier --bench ibc | tee "$out/ibc.txt"
