#!/usr/bin/env bash
# Times Ferry and tendermint-rs (../shared/peer-bench) on the same fixtures in one run and
# prints the comparison table. Usage: scripts/bench.sh [SIZES, default 4,32,150,300]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-4,32,150,300}"
out="$(pwd)/target/bench"
mkdir -p "$out"
CARGO_TARGET_DIR=target/peer-bench cargo build -q --release --manifest-path ../shared/peer-bench/Cargo.toml
cargo bench -q -p ferry-verifier --bench verify --no-run
# For each size the bench runs the peer before and after timing Ferry and keeps the faster of
# the two peer medians, so machine noise cannot flatter Ferry's ratio.
cargo bench -q -p ferry-verifier --bench verify -- --sizes "$sizes" \
    --peer-bin "$(pwd)/target/peer-bench/release/peer" --peer-dir "$out" | tee "$out/ferry.txt"
