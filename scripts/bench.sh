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
for n in ${sizes//,/ }; do
    target/peer-bench/release/peer bench --dir "../shared/fixtures/$n" --iters 200 --json "$out/peer-$n.json" >/dev/null
done
cargo bench -q -p ferry-verifier --bench verify -- --sizes "$sizes" --peer-dir "$out"
