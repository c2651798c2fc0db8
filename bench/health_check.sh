#!/usr/bin/env bash
# Unary throughput of settled's rpc layer: ghz drives grpc.health.v1.Health/Check
# against an optimized build (-c opt) on 127.0.0.1:0 and this prints
# requests/s, p50/p99 latency and the server's CPU time per request.
# It reports figures only; it does not pass or fail.
#
# Environment (defaults in brackets):
#   REQUESTS [200000]  CONCURRENCY [50]  CONNECTIONS [4]  CQ_THREADS [server default]
#   SETTLED_BIN        use this binary instead of building one
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$ROOT"
setup_go_path

REQUESTS="${REQUESTS:-200000}"
CONCURRENCY="${CONCURRENCY:-50}"
CONNECTIONS="${CONNECTIONS:-4}"

GHZ="$(command -v ghz || true)"
if [ -z "$GHZ" ]; then
  echo "bench: ghz not found; run scripts/setup.sh first" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/settled-bench.XXXXXX")"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${SETTLED_BIN:-}" ]; then
  cp "$SETTLED_BIN" "$WORK/settled"
else
  echo "bench: bazel build -c opt //server:settled"
  bazel build "${BAZEL_FLAGS[@]}" -c opt //server:settled
  # bazel-bin follows the last configuration built, i.e. this one.
  cp "$ROOT/bazel-bin/server/settled" "$WORK/settled"
fi

server_args=(--listen 127.0.0.1:0 --ready-file "$WORK/ready" --data-dir "$WORK/data"
  --log-level warn)
if [ -n "${CQ_THREADS:-}" ]; then
  server_args+=(--cq-threads "$CQ_THREADS")
fi
"$WORK/settled" "${server_args[@]}" 2>"$WORK/server.log" &
PID=$!

# Wait (with a deadline) for the ready file.
for _ in $(seq 300); do
  [ -s "$WORK/ready" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "bench: settled exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.05
done
[ -s "$WORK/ready" ] || { echo "bench: settled not ready after 15 s" >&2; exit 1; }
ADDR="$(head -n 1 "$WORK/ready")"

cpu_ticks() { # utime + stime of $PID, in clock ticks (fields 14 and 15).
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$PID/stat"
}

echo "bench: settled pid $PID on $ADDR; ghz -c $CONCURRENCY -n $REQUESTS --connections $CONNECTIONS"
# Warm-up (also lets ghz fetch the descriptors by reflection once).
"$GHZ" --insecure --call grpc.health.v1.Health.Check -d '{}' -c 10 -n 2000 "$ADDR" >/dev/null

t0="$(cpu_ticks)"
"$GHZ" --insecure --call grpc.health.v1.Health.Check -d '{}' \
  -c "$CONCURRENCY" -n "$REQUESTS" --connections "$CONNECTIONS" \
  -O json -o "$WORK/ghz.json" "$ADDR"
t1="$(cpu_ticks)"

python3 - "$WORK/ghz.json" "$t0" "$t1" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
t0, t1, hz = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lat = {int(d["percentage"]): d["latency"] for d in report.get("latencyDistribution") or []}
count = report["count"]
errors = sum((report.get("errorDistribution") or {}).values())
cpu_us = (t1 - t0) * 1e6 / hz
ms = lambda ns: f"{ns / 1e6:.3f} ms" if ns is not None else "n/a"
print()
print(f"requests          {count} ({errors} errors)")
print(f"requests/s        {report['rps']:.0f}")
print(f"latency p50       {ms(lat.get(50))}")
print(f"latency p99       {ms(lat.get(99))}")
print(f"server CPU        {cpu_us / 1e6:.2f} s total, {cpu_us / max(count, 1):.2f} us/request")
EOF
