#!/usr/bin/env bash
# Builds the real chain binaries that tests run against, into target/chains/:
#
#   cometbft  CometBFT (pinned in scripts/chains/cometbft/go.mod), with the built-in kvstore
#             app (`cometbft node --proxy_app=kvstore`).
#   simd      ibc-go v10's test chain: package testing/simapp with the SDK's commands around it
#             (scripts/chains/simd/main.go; pinned in scripts/chains/simd/go.mod).
#
# Each binary is built from upstream's released modules through a small module of ours that
# requires them (go.sum committed): cometbft as a `tool` of its go.mod; simd from our main.go of
# about 100 lines, which puts the SDK's own commands around ibc-go's app. No upstream code is
# copied. A binary
# is rebuilt only when its pin (go.mod, go.sum) or build flags change: target/chains/NAME.stamp
# records what it was built from. Go's module cache and build cache stay in their default
# places, so a re-run after `rm -rf target/chains` only links again.
#
# Usage: bash scripts/chains/install.sh [--force]     (from anywhere; needs Go >= 1.24)
# Exit status: 0 when both binaries are there and run at the pinned versions; 1 otherwise
# (a module that cannot be fetched is named, with go's error).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CHAINS="$ROOT/scripts/chains"
OUT="$ROOT/target/chains"
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$arg' (usage: install.sh [--force])" >&2; exit 64 ;;
    esac
done

die() { echo "chains: error: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.24 is needed to build the chain binaries)"
GO_MINOR="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[[ "$GO_MINOR" =~ ^[0-9]+$ && "$GO_MINOR" -ge 24 ]] \
    || die "Go >= 1.24 is needed (go.mod 'tool' directives); found $(go env GOVERSION)"

# Both builds are pure Go, as upstream's Makefiles build them (cometbft: CGO_ENABLED ?= 0; simd
# without ledger support); this also keeps the binaries free of C library dependencies.
export CGO_ENABLED=0

mkdir -p "$OUT"
# One install at a time (a test run and a developer may start it together).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUT/.lock"
    flock 9
fi

# The version of MODULE that the go.mod in DIR pins (require line).
pinned() {
    awk -v m="$2" '($1 == m && $2 ~ /^v/) { print $2; exit } ($1 == "require" && $2 == m) { print $3; exit }' "$1/go.mod"
}

# Downloads every module DIR's go.mod needs; on failure names each module that could not be
# fetched, with go's own error, and exits 1.
fetch() {
    local dir="$1" name="$2" json err
    json="$(mktemp)"; err="$(mktemp)"
    if ! (cd "$dir" && nice -n 15 go mod download -json >"$json" 2>"$err"); then
        echo "chains: error: cannot fetch the Go modules $name needs (scripts/chains/$name/go.mod):" >&2
        # go mod download -json prints one object per module; failed ones carry "Error".
        awk '
            /^\t"Path": /    { path = $0; sub(/^\t"Path": "/, "", path); sub(/",?$/, "", path) }
            /^\t"Version": / { ver = $0; sub(/^\t"Version": "/, "", ver); sub(/",?$/, "", ver) }
            /^\t"Error": /   { e = $0; sub(/^\t"Error": "/, "", e); sub(/",?$/, "", e)
                               gsub(/\\n/, "\n      ", e); gsub(/\\t/, "  ", e); gsub(/\\"/, "\"", e)
                               printf "  module %s@%s:\n      %s\n", path, ver, e; n++ }
            END { if (n == 0) print "  (go named the module in its own message, below)" }
        ' "$json" >&2
        sed 's/^/  go: /; s/^  go: go: /  go: /' "$err" >&2
        rm -f "$json" "$err"
        exit 1
    fi
    rm -f "$json" "$err"
}

# build NAME PACKAGE VERSION_MODULE WANT_VERSION_OUTPUT BUILD_ARGS...
# Builds PACKAGE (a `tool` of scripts/chains/NAME/go.mod) to target/chains/NAME unless the stamp
# says it is already built from the same pin and flags.
build() {
    local name="$1" pkg="$2" mod="$3"; shift 3
    local dir="$CHAINS/$name" bin="$OUT/$name" stamp="$OUT/$name.stamp" version want
    version="$(pinned "$dir" "$mod")"
    [[ -n "$version" ]] || die "scripts/chains/$name/go.mod does not require $mod"
    want="$(printf '%s\n' "$name $mod $version" "build: CGO_ENABLED=$CGO_ENABLED -trimpath $*" \
        "$(cd "$dir" && sha256sum go.mod go.sum)")"
    if [[ "$FORCE" == 0 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        echo "chains: $name $version is up to date ($bin)"
        return
    fi
    echo "chains: building $name ($mod $version) ..."
    local t0=$SECONDS
    fetch "$dir" "$name"
    rm -f "$stamp"
    if ! (cd "$dir" && nice -n 15 go build -mod=readonly -trimpath -o "$bin.tmp" "$@" "$pkg"); then
        rm -f "$bin.tmp"
        die "go build of $pkg ($mod $version) failed (go's error is above)"
    fi
    mv -f "$bin.tmp" "$bin"
    printf '%s\n' "$want" >"$stamp"
    echo "chains: built $name $version in $((SECONDS - t0))s"
}

# Runs "BIN version" and checks that it prints WANT.
check() {
    local name="$1" want="$2" got
    got="$("$OUT/$name" version 2>&1)" || die "target/chains/$name does not run: $got"
    got="$(printf '%s' "$got" | head -n 1)"
    [[ "$got" == "$want" ]] || die "target/chains/$name version prints '$got', expected '$want'"
    printf '  %-9s %-9s (%s version: %s)\n' "$name" "$3" "$name" "$got"
}

# CometBFT: the flags of its Makefile (common.mk): CGO off, tag `cometbft`, stripped.
build cometbft github.com/cometbft/cometbft/cmd/cometbft github.com/cometbft/cometbft \
    -tags cometbft -ldflags "-s -w"
COMETBFT_VERSION="$(pinned "$CHAINS/cometbft" github.com/cometbft/cometbft)"

# simd: ibc-go v10's app (package testing/simapp of the published module) with the Cosmos SDK's
# commands around it (scripts/chains/simd/main.go, ours: ibc-go's own simd main is in a module
# the proxy does not serve). The flags of ibc-go's Makefile without ledger support (which needs
# cgo and a USB library), so build tags `netgo` only; the version ldflags as upstream sets them
# (no `v`).
IBC_GO_VERSION="$(pinned "$CHAINS/simd" github.com/cosmos/ibc-go/v10)"
SDK=github.com/cosmos/cosmos-sdk/version
build simd . github.com/cosmos/ibc-go/v10 \
    -tags netgo \
    -ldflags "-X $SDK.Name=sim -X $SDK.AppName=simd -X $SDK.Version=${IBC_GO_VERSION#v} -X $SDK.BuildTags=netgo"

echo "chains: installed in $OUT:"
check cometbft "${COMETBFT_VERSION#v}" "$COMETBFT_VERSION"
check simd "${IBC_GO_VERSION#v}" "$IBC_GO_VERSION"
