#!/usr/bin/env python3
"""Settlement detection latency over alpaca-sim: event-driven vs polling-only.

For each mode it starts alpaca-sim (--portfolio demo, instant fills) and
settled --broker alpaca against it, then runs --plans plans one after the
other with ExecutePlan (waiting for the result). Each plan sells $50 of a
held symbol and buys $50 of another, as market orders
(enable_smart_execution false). The symbols rotate over the demo holdings
and over symbols not held, so no position runs out.

Modes:
  event    settled as deployed: fills arrive on the trade_updates WebSocket.
  polling  settled --alpaca-no-streams: no WebSocket; while a phase runs
           the engine lists the orders every polling_interval_seconds
           (default 0.5 s, kept).

Figures, per plan, from alpaca-sim's own records (GET /_sim/orders, ns
RFC3339 times):
  fill->buy  buy.created_at - sell.filled_at: the sell's fill at the broker
             to the buy's arrival there. Includes what the engine does
             in between (GET /v2/account, a quote, POST /v2/orders), and
             so any wait for a slot of the adapter's own rate limiter.
and, from settled's JSON log (timestamps truncated to the millisecond, so
up to 1 ms low):
  fill->detect  the log line "Settlement monitoring complete" - sell.filled_at:
             when the engine knew the sell had filled.

Rate limit: the Alpaca adapter spends at most 200 REST requests/min
(a token bucket of 10, refilled at 3.33/s); a 2-item plan makes ~9-14
requests, so back-to-back plans wait for tokens all the time. By default
each plan is followed by --gap 3.5 s of idleness so that every plan starts
with a full bucket (as a production plan, minutes apart, would); --gap 0
runs them back to back.

Prints a table; it never passes or fails.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

SELLS = ["AAPL", "MSFT", "NVDA", "AMZN", "SPY", "VTI", "AGG"]  # demo holdings
BUYS = ["GOOGL", "META", "JPM", "KO", "PG", "WMT", "JNJ", "XOM", "PEP", "HD", "V"]
SETTLED_MSG = "Settlement monitoring complete"


def detect_times(log_path: Path) -> dict:
    """plan_id -> ns of the settlement line (ms resolution) in a JSON log."""
    out = {}
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        if SETTLED_MSG not in line:
            continue
        try:
            rec = json.loads(line)
            out.setdefault(rec["plan_id"], c.parse_ns(rec["ts"]))
        except (ValueError, KeyError):
            continue
    return out


def run_mode(mode: str, plans: int, gap: float, amount: str, verbose: bool):
    import grpc
    from google.protobuf import wrappers_pb2

    types_pb2, plan_pb2, ex_pb2, ex_grpc = c.stubs()
    sim = c.start_sim("--portfolio", "demo", "--fill-latency-ms", "0",
                      "--partial-fill-share", "0", "--tick-ms", "5",
                      "--rate-limit", "100000")
    args = ["--log-format", "json", "--log-level", "info"]
    if mode == "polling":
        args.append("--alpaca-no-streams")
    server = c.start_settled(*args, alpaca=sim)
    channel = grpc.insecure_channel(server.address)
    stub = ex_grpc.ExecutorStub(channel)
    cfg = plan_pb2.ExecutionConfig(
        enable_smart_execution=wrappers_pb2.BoolValue(value=False))
    # Let the adapter finish its start-up requests and refill its bucket.
    time.sleep(gap)
    run_id = f"{int(time.time())}-{os.getpid()}"
    results = []
    failed = 0
    t0 = time.monotonic()
    for i in range(plans):
        sell, buy = SELLS[i % len(SELLS)], BUYS[i % len(BUYS)]
        plan = plan_pb2.RebalancePlan(plan_id=f"lat-{mode}-{run_id}-{i}", items=[
            plan_pb2.RebalancePlanItem(symbol=sell, action=types_pb2.TRADE_ACTION_SELL,
                                       trade_amount="-" + amount),
            plan_pb2.RebalancePlanItem(symbol=buy, action=types_pb2.TRADE_ACTION_BUY,
                                       trade_amount=amount)])
        try:
            r = stub.ExecutePlan(ex_pb2.ExecutePlanRequest(plan=plan, config=cfg),
                                 timeout=120)
        except grpc.RpcError as err:
            r = None
            failed += 1
            print(f"bench: {mode} plan {i}: {err.code()} {err.details()}", file=sys.stderr)
        if r is None:
            pass
        elif r.status != types_pb2.EXECUTION_STATUS_SUCCESS:
            failed += 1
            print(f"bench: {mode} plan {i}: {types_pb2.ExecutionStatus.Name(r.status)} "
                  f"{r.failure_reason}", file=sys.stderr)
        else:
            results.append(r)
        if verbose:
            print(f"  {mode} {i + 1}/{plans}", file=sys.stderr)
        if gap > 0 and i + 1 < plans:
            time.sleep(gap)
    elapsed = time.monotonic() - t0
    orders = {o["id"]: o for o in sim.orders()}
    channel.close()
    server.stop()
    detected = detect_times(server.log_path)
    sim.stop()

    buy_ms, detect_ms = [], []
    for r in results:
        sells = [o for res in r.orders if res.action == types_pb2.TRADE_ACTION_SELL
                 for o in res.order_ids]
        buys = [o for res in r.orders if res.action == types_pb2.TRADE_ACTION_BUY
                for o in res.order_ids]
        try:
            fill = max(c.parse_ns(orders[o]["filled_at"]) for o in sells)
            created = min(c.parse_ns(orders[o]["created_at"]) for o in buys)
        except (KeyError, ValueError, TypeError):
            failed += 1
            continue
        buy_ms.append((created - fill) / 1e6)
        if r.plan_id in detected:
            detect_ms.append((detected[r.plan_id] - fill) / 1e6)
    return buy_ms, detect_ms, failed, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plans", type=int, default=100, help="plans per mode (100)")
    ap.add_argument("--modes", default="event,polling",
                    help="comma-separated: event, polling (both)")
    ap.add_argument("--gap", type=float, default=3.5,
                    help="idle seconds after each plan, so that the adapter's "
                         "rate limiter refills (3.5; 0: back to back)")
    ap.add_argument("--amount", default="50", help="dollars sold and bought per plan")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    a = ap.parse_args()

    rows, dets = [], []
    for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
        if mode not in ("event", "polling"):
            raise SystemExit(f"bench: unknown mode {mode!r}")
        print(f"bench: settlement latency, {mode}: {a.plans} plans, gap {a.gap:g} s ...",
              file=sys.stderr, flush=True)
        buy_ms, detect_ms, failed, elapsed = run_mode(mode, a.plans, a.gap, a.amount,
                                                      a.verbose)
        f = lambda v: f"{v:.1f}"
        rows.append([mode, len(buy_ms), f(c.percentile(buy_ms, 50)),
                     f(c.percentile(buy_ms, 99)),
                     f(sum(buy_ms) / len(buy_ms)) if buy_ms else "nan",
                     f(max(buy_ms)) if buy_ms else "nan", failed, f"{elapsed:.0f}"])
        dets.append([mode, len(detect_ms), f(c.percentile(detect_ms, 50)),
                     f(c.percentile(detect_ms, 99)),
                     f(sum(detect_ms) / len(detect_ms)) if detect_ms else "nan",
                     f(max(detect_ms)) if detect_ms else "nan"])

    print()
    print(f"Settlement detection latency over alpaca-sim (market orders, instant fills, "
          f"gap {a.gap:g} s between plans)")
    print()
    print("sell filled_at -> buy created_at (alpaca-sim records):")
    print(c.table(["mode", "plans", "p50 ms", "p99 ms", "mean ms", "max ms", "failed",
                   "wall s"], rows))
    print()
    print("sell filled_at -> settlement seen by the engine (settled log, ms resolution):")
    print(c.table(["mode", "plans", "p50 ms", "p99 ms", "mean ms", "max ms"], dets))


if __name__ == "__main__":
    main()
