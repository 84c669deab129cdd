#!/usr/bin/env bash
# Records answers of real chains (CometBFT kvstore network, ibc-go simd) into
# fixtures/data/real/ for the offline tests in relayer/tests/real_recorded.rs: builds the chain
# binaries if needed, then runs the recorder (testnet/examples/ferry-record.rs).
#
#   bash scripts/record-real.sh [OUT_DIR]      (default fixtures/data/real)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/chains/install.sh
cargo run -q -p ferry-testnet --example ferry-record -- "${1:-fixtures/data/real}"
