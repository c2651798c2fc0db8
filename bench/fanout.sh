#!/usr/bin/env bash
# Event fan-out: settled against a reference server in Go (grpc-go), with
# 100 and 1,000 SubscribeEvents subscribers. Prints delivered events/s, p50/p99
# publish-to-receive latency, server CPU and peak RSS side by side, and the
# ratios settled / reference. It reports figures only; it does not pass or fail.
#
# For each subscriber count N (and first a 1-subscriber baseline):
#   1. settled (-c opt, fresh data dir, instant simulated fills) is driven by
#      the load client submitting PLAN_RATE plans/s (ExecutePlan, detach),
#      each of ITEMS market BUYs (3*ITEMS+5 events); the client measures the
#      event rate settled actually produced;
#   2. the reference server (bench/fanout/refserver) makes the same kind of
#      events at that same rate, each engine step committed to SQLite (WAL,
#      synchronous=FULL) before it is published.
# Both are measured over the same window by bench/fanout/loadgen.
#
# Environment (defaults in brackets):
#   SUBS ["100 1000"]  DURATION [20] (s, window)  WARMUP [3] (s)
#   BASELINE [1] (also run with 1 subscriber)  ITEMS [10]  PLAN_RATE [3]
#   (plans/s; 0: closed loop, INFLIGHT [2] plans at a time, as fast as settled goes)
#   STREAM_QUEUE [4096]  SETTLED_BIN (use this binary instead of building)
#   KEEP_WORK [0] (keep the temp dir with logs and JSON results)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$ROOT"
setup_go_path

SUBS="${SUBS:-100 1000}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
BASELINE="${BASELINE:-1}"
ITEMS="${ITEMS:-10}"
INFLIGHT="${INFLIGHT:-2}"
PLAN_RATE="${PLAN_RATE:-3}"
STREAM_QUEUE="${STREAM_QUEUE:-4096}"

command -v go >/dev/null || { echo "fanout: go not found; run scripts/setup.sh" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/settled-fanout.XXXXXX")"
PID=""
stop_server() { # TERM, wait up to 10 s, then KILL; sets STOP_RC.
  STOP_RC=0
  [ -n "$PID" ] || return 0
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  wait "$PID" 2>/dev/null || STOP_RC=$?
  PID=""
}
cleanup() {
  stop_server
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "fanout: results kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
if [ -n "${SETTLED_BIN:-}" ]; then
  cp "$SETTLED_BIN" "$WORK/settled"
else
  echo "fanout: bazel build -c opt //server:settled"
  bazel build "${BAZEL_FLAGS[@]}" -c opt //server:settled
  cp "$ROOT/bazel-bin/server/settled" "$WORK/settled"
fi

FANOUT="$ROOT/bench/fanout"
# The generated settled.v1 Go code comes from the Go client module
# (clients/go/settledv1), through a replace directive in bench/fanout/go.mod.
echo "fanout: go build bench/fanout (refserver, loadgen)"
(cd "$FANOUT" && go build -o "$WORK/" ./refserver ./loadgen)

# ---------------------------------------------------------------- runs
wait_ready() { # $1 ready file, $2 log
  for _ in $(seq 300); do
    [ -s "$1" ] && return 0
    kill -0 "$PID" 2>/dev/null || { echo "fanout: server exited:" >&2; cat "$2" >&2; exit 1; }
    sleep 0.05
  done
  echo "fanout: server not ready after 15 s" >&2
  exit 1
}

json_num() { # $1 file, $2 key
  sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" "$1" | head -n 1
}

run_settled() { # $1 subscribers
  local n="$1" d="$WORK/settled-$1"
  mkdir -p "$d"
  "$WORK/settled" --listen 127.0.0.1:0 --ready-file "$d/ready" --data-dir "$d/data" \
    --sim-fill-latency-ms 0 --sim-partial-fill-share 0 --sim-portfolio cash \
    --sim-cash 100000000 --stream-queue "$STREAM_QUEUE" --log-level warn 2>"$d/server.log" &
  PID=$!
  wait_ready "$d/ready" "$d/server.log"
  if [ "$PLAN_RATE" = 0 ]; then
    echo "fanout: settled pid $PID, $n subscriber(s), plans of $ITEMS BUYs, $INFLIGHT in flight, ${DURATION}s window"
  else
    echo "fanout: settled pid $PID, $n subscriber(s), $PLAN_RATE plans/s of $ITEMS BUYs, ${DURATION}s window"
  fi
  "$WORK/loadgen" -addr "$(head -n 1 "$d/ready")" -subs "$n" -drive plans -items "$ITEMS" \
    -plan-rate "$PLAN_RATE" -inflight "$INFLIGHT" -warmup "${WARMUP}s" -duration "${DURATION}s" -pid "$PID" \
    -label "settled $n" >"$WORK/settled-$n.json"
  stop_server
  if [ "$STOP_RC" -ne 0 ]; then
    echo "fanout: note: settled exited with status $STOP_RC on SIGTERM (log: $d/server.log)" >&2
  fi
}

run_reference() { # $1 subscribers, $2 events/s
  local n="$1" d="$WORK/reference-$1"
  mkdir -p "$d"
  "$WORK/refserver" -listen 127.0.0.1:0 -ready-file "$d/ready" -data-dir "$d/data" \
    -rate "$2" -items "$ITEMS" -stream-queue "$STREAM_QUEUE" 2>"$d/server.log" &
  PID=$!
  wait_ready "$d/ready" "$d/server.log"
  echo "fanout: reference pid $PID, $n subscriber(s), $2 events/s, ${DURATION}s window"
  "$WORK/loadgen" -addr "$(head -n 1 "$d/ready")" -subs "$n" -drive none \
    -warmup "${WARMUP}s" -duration "${DURATION}s" -pid "$PID" \
    -label "reference $n" >"$WORK/reference-$n.json"
  stop_server
}

counts="$SUBS"
if [ "$BASELINE" = 1 ]; then
  counts="1 $SUBS"
fi
results=()
for n in $counts; do
  run_settled "$n"
  rate="$(json_num "$WORK/settled-$n.json" produced_per_s)"
  results+=("$WORK/settled-$n.json")
  if [ -z "$rate" ] || awk -v r="$rate" 'BEGIN { exit !(r < 1) }'; then
    echo "fanout: settled produced no events with $n subscriber(s); skipping the reference" >&2
    continue
  fi
  run_reference "$n" "$(awk -v r="$rate" 'BEGIN { printf "%.1f", r }')"
  results+=("$WORK/reference-$n.json")
done

echo
echo "Event fan-out, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs; window ${DURATION}s after ${WARMUP}s warm-up;"
echo "reference driven at the event rate settled produced in the same configuration."
"$WORK/loadgen" report "${results[@]}"
echo
echo "ratio = settled / reference (throughput: higher is better; latency, CPU, RSS: lower is better)."
echo "settled's CPU includes executing the plans (engine, simulated broker, journal"
echo "rows besides events); the 1-subscriber rows show that cost with almost no"
echo "fan-out, and 'above the 1-subscriber run' what the subscribers added."
