#!/usr/bin/env bash
# Execution-engine benchmarks over an optimized build (-c opt):
#   1. bench/settlement_latency.py: sell fill -> buy at alpaca-sim,
#      event-driven (trade_updates stream) vs polling-only (--alpaca-no-streams);
#   2. bench/plan_e2e.py: ExecutePlan wall time, server CPU and peak RSS of a
#      30-symbol plan over the in-process broker and over alpaca-sim.
# It prints figures only; it does not pass or fail. See bench/README.md.
#
# Environment (defaults in brackets):
#   PLANS [20]        plans per mode of benchmark 1 (settlement_latency.py
#                     alone defaults to 100; ~4 s each, see README)
#   GAP [3.5]         idle seconds after each plan of benchmark 1
#   RUNS [5]          plans per combination of benchmark 2, in-process broker
#   ALPACA_RUNS [2]   plans per combination of benchmark 2 over alpaca-sim
#                     (17-35 s each: the adapter's 200 requests/min limit)
#   ONLY              "latency" or "e2e": run one benchmark only
#   SETTLED_BIN, ALPACA_SIM_BIN  use these binaries instead of building
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$ROOT"

PLANS="${PLANS:-20}"
GAP="${GAP:-3.5}"
RUNS="${RUNS:-5}"
ALPACA_RUNS="${ALPACA_RUNS:-2}"
ONLY="${ONLY:-}"

if ! python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
  echo "bench: python3 needs grpcio and grpcio-tools (scripts/setup.sh installs them)" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/settled-engine-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [ -n "${SETTLED_BIN:-}" ] && [ -n "${ALPACA_SIM_BIN:-}" ]; then
  cp "$SETTLED_BIN" "$WORK/settled"
  cp "$ALPACA_SIM_BIN" "$WORK/alpaca-sim"
else
  echo "bench: bazel build -c opt //server:settled //server:alpaca-sim"
  bazel build "${BAZEL_FLAGS[@]}" -c opt //server:settled //server:alpaca-sim
  # bazel-bin follows the last configuration built, i.e. this one. Copies,
  # so that a concurrent build cannot swap the binaries mid-run.
  cp "$ROOT/bazel-bin/server/settled" "$WORK/settled"
  cp "$ROOT/bazel-bin/server/alpaca-sim" "$WORK/alpaca-sim"
fi
export SETTLED_BIN="$WORK/settled" ALPACA_SIM_BIN="$WORK/alpaca-sim"

echo "bench: $(nproc) CPUs, $(uname -sr), $("$SETTLED_BIN" --version 2>/dev/null | head -n 1), $(date -u '+%Y-%m-%d %H:%M UTC')"
start=$SECONDS
if [ -z "$ONLY" ] || [ "$ONLY" = latency ]; then
  section "1. settlement detection latency"
  python3 "$ROOT/bench/settlement_latency.py" --plans "$PLANS" --gap "$GAP"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = e2e ]; then
  section "2. end-to-end 30-symbol plan"
  python3 "$ROOT/bench/plan_e2e.py" --runs "$RUNS" --alpaca-runs "$ALPACA_RUNS" -v
fi
echo
echo "bench: done in $((SECONDS - start)) s"
