#!/usr/bin/env python3
"""End-to-end time of a 30-symbol plan with instant fills.

The plan: 30 BUYs of distinct symbols of the simulated universe, $5,000
each, on an all-cash account of $1,000,000. Four combinations, each on a
fresh settled (and a fresh alpaca-sim):

  broker  in-process: settled --sim-portfolio cash --sim-cash 1000000
                      --sim-fill-latency-ms 0 --sim-partial-fill-share 0
          alpaca-sim: settled --broker alpaca against alpaca-sim
                      --portfolio cash --cash 1000000 --fill-latency-ms 0
                      --partial-fill-share 0 --tick-ms 5 --rate-limit 100000
  config  market: enable_smart_execution false (market orders)
          smart:  the default config but fill_wait_seconds "0.2"
                  (limit orders, re-pegged after 0.2 s if unfilled)

Each combination runs --runs plans (new plan_id each) one after the other
with ExecutePlan (waiting) and reports:
  - wall time of ExecutePlan at the client: median and min;
  - the server's CPU time per plan: utime+stime of settled
    (/proc/PID/stat) before and after each ExecutePlan, averaged over the
    runs (the kernel counts in 10 ms ticks);
  - the server's peak RSS (VmHWM of /proc/PID/status) after the runs.

Over alpaca-sim the wall time is bounded by the adapter's own rate limiter
(Alpaca allows 200 REST requests/min; the adapter keeps a bucket of 10
refilled at 3.33/s), not by settled: the requests column gives the REST
requests settled made per plan (counted from alpaca-sim's X-Ratelimit-Remaining),
and "limiter s" what the limiter alone needs for them (requests - 10) x 0.3 s.

Prints a table; it never passes or fails.
"""

import argparse
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

SYMBOLS = ("AAPL MSFT NVDA AMZN GOOGL META TSLA AVGO BRK.B JPM V MA UNH JNJ WMT PG HD "
           "XOM CVX KO PEP COST ABBV MRK ORCL CSCO INTC AMD NFLX DIS BAC PFE T VZ SPY "
           "QQQ IWM VTI AGG BND GLD TLT").split()
RATE_PER_S = 200 / 60.0
BURST = 10


class RequestCounter:
    """Counts settled's REST requests to alpaca-sim from the sim's own
    rate-limit headers: a thread calls GET /v2/clock every `interval` s and
    adds up the drops of X-Ratelimit-Remaining (less its own call). The sim
    counts in fixed 60 s windows; when one rolls over between two probes,
    the requests of the old window after the earlier probe are lost (at
    most `interval` s worth), so a count that spans a roll-over may read
    one or two low."""

    def __init__(self, sim, interval: float = 0.2):
        self.sim, self.interval = sim, interval
        self.count = 0
        self.last = self._probe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _probe(self):
        req = urllib.request.Request(self.sim.http + "/v2/clock", headers={
            "APCA-API-KEY-ID": c.SIM_KEY_ID, "APCA-API-SECRET-KEY": c.SIM_SECRET_KEY})
        with urllib.request.urlopen(req, timeout=30) as r:
            return (int(r.headers["X-Ratelimit-Limit"]),
                    int(r.headers["X-Ratelimit-Remaining"]),
                    int(r.headers["X-Ratelimit-Reset"]))

    def sample(self) -> int:
        """Requests by settled so far (probes the sim once more)."""
        now = self._probe()
        limit, rem, reset = now
        _, prev_rem, prev_reset = self.last
        if reset == prev_reset:
            self.count += prev_rem - rem - 1
        else:
            self.count += limit - rem - 1
        self.last = now
        return self.count

    def _loop(self):
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except OSError:
                pass

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.sample()


def run_combo(broker: str, config: str, runs: int, nsym: int, amount: str,
              settle: float, verbose: bool) -> dict:
    import grpc
    from google.protobuf import wrappers_pb2

    types_pb2, plan_pb2, ex_pb2, ex_grpc = c.stubs()
    sim = None
    if broker == "alpaca-sim":
        sim = c.start_sim("--portfolio", "cash", "--cash", "1000000",
                          "--fill-latency-ms", "0", "--partial-fill-share", "0",
                          "--tick-ms", "5", "--rate-limit", "100000")
        server = c.start_settled(alpaca=sim)
    else:
        server = c.start_settled("--sim-portfolio", "cash", "--sim-cash", "1000000",
                                 "--sim-fill-latency-ms", "0",
                                 "--sim-partial-fill-share", "0")
    if config == "market":
        cfg = plan_pb2.ExecutionConfig(
            enable_smart_execution=wrappers_pb2.BoolValue(value=False))
    else:
        cfg = plan_pb2.ExecutionConfig(fill_wait_seconds="0.2")
    channel = grpc.insecure_channel(server.address)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = ex_grpc.ExecutorStub(channel)
    if sim is not None:
        time.sleep(settle)  # start-up requests done, rate-limit bucket full
    items = [plan_pb2.RebalancePlanItem(symbol=s, action=types_pb2.TRADE_ACTION_BUY,
                                        trade_amount=amount) for s in SYMBOLS[:nsym]]
    stamp = f"{int(time.time())}"
    walls, cpus, statuses, orders_ok, requests = [], [], [], [], []
    for i in range(runs):
        plan = plan_pb2.RebalancePlan(plan_id=f"e2e-{broker}-{config}-{stamp}-{i}",
                                      items=items)
        cpu0 = server.cpu_seconds()
        if sim is not None and i > 0:
            time.sleep(settle)  # refill the rate-limit bucket: each run starts rested
        counter = RequestCounter(sim) if sim is not None else None
        t = time.monotonic()
        try:
            r = stub.ExecutePlan(ex_pb2.ExecutePlanRequest(plan=plan, config=cfg),
                                 timeout=600)
        except grpc.RpcError as err:
            raise SystemExit(f"bench: {broker}/{config} run {i}: {err.code()} "
                             f"{err.details()}\n{server.log()}")
        walls.append(time.monotonic() - t)
        cpus.append(server.cpu_seconds() - cpu0)
        if counter is not None:
            requests.append(counter.stop())
        statuses.append(types_pb2.ExecutionStatus.Name(r.status)
                        .replace("EXECUTION_STATUS_", ""))
        orders_ok.append(r.orders_succeeded)
        if verbose:
            print(f"  {broker}/{config} run {i + 1}: {walls[-1]:.3f} s, "
                  f"CPU {cpus[-1] * 1000:.0f} ms, "
                  f"{statuses[-1]}, {r.orders_succeeded} ok"
                  + (f", {requests[-1]} requests" if requests else ""), file=sys.stderr)
    hwm = server.peak_rss_kib()
    channel.close()
    server.stop()
    if sim is not None:
        sim.stop()
    return {"walls": walls, "cpu": sum(cpus) / runs, "cpus": cpus, "hwm_kib": hwm,
            "statuses": statuses, "ok": orders_ok, "requests": requests}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="plans per combination (5)")
    ap.add_argument("--alpaca-runs", type=int, default=None,
                    help="plans per combination over alpaca-sim (default: --runs)")
    ap.add_argument("--brokers", default="in-process,alpaca-sim",
                    help="comma-separated: in-process, alpaca-sim (both)")
    ap.add_argument("--configs", default="market,smart",
                    help="comma-separated: market, smart (both)")
    ap.add_argument("--symbols", type=int, default=30, help="BUY items per plan (30)")
    ap.add_argument("--amount", default="5000", help="dollars per BUY (5000)")
    ap.add_argument("--settle", type=float, default=3.5,
                    help="idle seconds before each run over alpaca-sim, so that "
                         "every run starts with a full rate-limit bucket (3.5)")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-run lines on stderr")
    a = ap.parse_args()
    if not 1 <= a.symbols <= len(SYMBOLS):
        raise SystemExit(f"bench: --symbols must be 1..{len(SYMBOLS)}")

    rows = []
    for broker in [b.strip() for b in a.brokers.split(",") if b.strip()]:
        if broker not in ("in-process", "alpaca-sim"):
            raise SystemExit(f"bench: unknown broker {broker!r}")
        runs = a.runs if broker == "in-process" or a.alpaca_runs is None else a.alpaca_runs
        for config in [x.strip() for x in a.configs.split(",") if x.strip()]:
            if config not in ("market", "smart"):
                raise SystemExit(f"bench: unknown config {config!r}")
            print(f"bench: plan e2e, {broker}/{config}: {runs} runs of {a.symbols} buys ...",
                  file=sys.stderr, flush=True)
            res = run_combo(broker, config, runs, a.symbols, a.amount, a.settle,
                            a.verbose)
            status = ",".join(sorted(set(res["statuses"])))
            req = (f"{statistics.median(res['requests']):.0f}"
                   if res["requests"] else "-")
            limiter = (f"{max(0, statistics.median(res['requests']) - BURST) / RATE_PER_S:.1f}"
                       if res["requests"] else "-")
            rows.append([broker, config, runs, f"{statistics.median(res['walls']):.3f}",
                         f"{min(res['walls']):.3f}", f"{res['cpu'] * 1000:.0f}",
                         f"{res['hwm_kib'] / 1024:.1f}", req, limiter,
                         f"{min(res['ok'])}/{a.symbols}", status])
    print()
    print(f"End-to-end ExecutePlan time, {a.symbols} BUYs x ${a.amount}, instant fills")
    print()
    print(c.table(["broker", "config", "runs", "median s", "min s", "CPU ms/plan",
                   "peak RSS MiB", "requests", "limiter s", "filled", "status"], rows))
    print()
    print("CPU: settled's utime+stime during ExecutePlan, mean over the runs; "
          "peak RSS: settled's VmHWM after the runs.")
    print("requests: REST requests per plan (median); limiter s: (requests - 10) / 3.33 per s,")
    print("the least time the adapter's 200/min limiter allows them from a full bucket.")


if __name__ == "__main__":
    main()
