"""Crash recovery: kill -9 settled during the sell phase and again during
the buy phase, restart it on the same --data-dir, and the execution
completes with no order sent twice.

Each scenario:
  1. starts settled (the in-process broker, or --broker alpaca against an
     alpaca-sim that keeps running across the crashes) and executes a plan of
     two sells and two buys, detached, with slow phases: fill_wait 0.5 s, two
     re-pegs, and a broker fill latency (800 ms) above the fill wait, so
     chains go limit, re-peg, re-peg, market (8 orders a phase), unless a
     limit order fills first;
  2. SIGKILLs settled once the sell phase runs and the k-th sell order exists
     at the broker (sooner if an order of the phase already has fills, so
     the kill stays inside the phase), and checks it did (the journal has no
     sell ExecutionPhaseCompleted yet);
  3. restarts settled on the same data dir and does the same in the buy
     phase;
  4. restarts again and waits for a terminal status (SUCCESS or
     PARTIAL_SUCCESS expected); executing the same plan again places nothing;
  5. checks the broker's own records (alpaca-sim's GET /_sim/orders, or
     Account.ListOrders on the in-process broker): per (symbol, side) total
     filled <= the intended quantity (attempt 0's qty in the journal), no
     order sized beyond the remainder, never two orders open at once, every
     client_order_id once, nothing left open, no order unknown to the
     journal; the result's shares match the broker's fills;
  6. stops settled and checks the journal (events, intents): gapless
     server-wide sequence, one ExecutionStarted / BulkSettlementCompleted /
     TradeExecuted, one ExecutionPhaseCompleted per phase, one OrderSubmitted
     per client_order_id (naming the broker's order id), and each broker fill
     journaled exactly once as a fill (sum of OrderUpdated.fill_qty ==
     the broker's filled_qty, per order).

The loop variant runs the scenario ten times per broker with fresh data dirs,
moving the kill points through the phase's orders. With alpaca-sim, two of
three iterations hold every fill until the kill (POST /_sim/fill_delay), so
that it lands at exactly the k-th order, then fill the orders it left open
(by half, or fully) through /_sim/orders/{id}/fill while settled is down.
With the in-process broker (down together with settled), two of three
iterations use partial fills and one of three a shorter fill latency, so
that limit orders fill too.

Deadlines scale with SETTLED_TEST_TIMEOUT_MULTIPLIER; SETTLED_TEST_LOG_LEVEL
(e.g. debug) is passed to the servers as --log-level. On failure the message
lists the problems, the broker's orders, the journal and the servers' logs
(alpaca-sim's trade_updates log is saved as sim-events.json in the tmp dir).
"""

import json
import os
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from alpaca_sim import sim_factory  # noqa: F401 (fixture)
from engine_helpers import (
    TERMINAL_ORDER,
    AlpacaBroker,
    Engine,
    SimBroker,
    check_broker_invariants,
    check_journal,
    journal_summary,
    make_config,
    make_plan,
    poll,
    read_journal,
    stubs,
    tail,
)

# Timings: fill_wait < fill latency, so a chain is usually 4 orders (limit,
# 2 re-pegs, market): 8 orders a phase.
FILL_WAIT = "0.3"
MAX_REPEGS = 2
FILL_LATENCY_MS = 500
ORDERS_PER_PHASE = 2 * (MAX_REPEGS + 2)
ITERATIONS = 10
LOG_ARGS = ("--log-level", os.environ["SETTLED_TEST_LOG_LEVEL"]) \
    if os.environ.get("SETTLED_TEST_LOG_LEVEL") else ()
OK_STATUSES = {"EXECUTION_STATUS_SUCCESS", "EXECUTION_STATUS_PARTIAL_SUCCESS"}


def make_broker(kind: str, sim_factory, partial_share: str = "0",
                latency_ms: int = FILL_LATENCY_MS):
    if kind == "alpaca":
        sim = sim_factory("--fill-latency-ms", str(latency_ms),
                          "--partial-fill-share", partial_share, "--tick-ms", "20", *LOG_ARGS)
        return AlpacaBroker(sim)
    return SimBroker(fill_latency_ms=latency_ms, partial_share=partial_share)


def phase_completed(data_dir: Path, plan_id: str, phase: str) -> bool:
    pb = stubs()
    j = read_journal(data_dir)
    return any(e[4] == "ExecutionPhaseCompleted" and e[2] == plan_id
               and pb.types_pb2.PhaseType.Name(e[7].execution_phase_completed.phase_type)
               == phase for e in j.events)


def kill_in_phase(server, engine, broker, plan_id: str, phase: str, side: str, k: int):
    """SIGKILLs server once plan_id runs `phase` and at least k orders of
    `side` exist at the broker (or, if a chain of the phase already has
    fills and the phase may end soon, at least one). Returns the number of
    orders of `side` seen at the broker just before the kill."""
    seen = {}

    def ready():
        if server.process.poll() is not None:
            raise AssertionError(f"settled exited with {server.process.returncode} before "
                                 f"the kill; log tail:\n{tail(server.log())}")
        r = engine.get(plan_id)
        status, cur = engine.status_name(r), engine.phase_name(r)
        if status not in ("EXECUTION_STATUS_RUNNING", "EXECUTION_STATUS_QUEUED"):
            raise AssertionError(f"{plan_id} ended {status} before the kill in {phase}: "
                                 f"{r.failure_reason}; log tail:\n{tail(server.log())}")
        if cur != phase:
            if phase == "PHASE_TYPE_SELL_PHASE" and cur == "PHASE_TYPE_BUY_PHASE":
                raise AssertionError("the sell phase ended before a sell order was seen")
            return None
        orders = [o for o in broker.orders(engine) if o.side == side]
        seen["n"] = len(orders)
        return len(orders) >= k or (orders and any(o.filled_qty for o in orders))

    poll(ready, timeout=30, interval=0.01, what=f"{k} {side} order(s) in {phase}")
    os.kill(server.pid, signal.SIGKILL)
    server.process.wait()
    for ch in server.channels:
        ch.close()
    server.channels.clear()
    return seen["n"]


def fill_while_down(broker, side: str, how: str) -> list:
    """With settled dead, fills (fully or half) the orders of `side` still
    open at alpaca-sim, so the restart must reconcile fills it never saw."""
    done = []
    if how is None or not isinstance(broker, AlpacaBroker):
        return done
    for o in broker.orders():
        if o.side != side or o.status in TERMINAL_ORDER:
            continue
        left = o.qty - o.filled_qty
        qty = left if how == "fill" else (left / 2).quantize(Decimal("0.000000001"))
        broker.sim.fill(o.id, qty=str(qty))
        done.append(f"{how} {qty} of {o.client_order_id}")
    return done


def hold_fills(broker, hold: bool) -> None:
    """Holds (or releases) every fill at alpaca-sim: with fills held, a phase
    goes limit, re-peg, re-peg, market for each chain and waits, so the kill
    lands at exactly the k-th order of the phase."""
    broker.sim.control("POST", "/_sim/fill_delay", {"ms": 600_000 if hold else 0})


def run_crash_scenario(launcher, tmp_path: Path, broker, plan_id: str,
                       sell_k: int = 1, buy_k: int = 1, while_down=None, hold=False):
    """The whole scenario (see the module docstring); returns the result."""
    data = tmp_path / "journal-data"
    log_paths = []
    hold = hold and isinstance(broker, AlpacaBroker)
    notes = [f"{broker.name} sell_k={sell_k} buy_k={buy_k} hold_fills={hold} "
             f"while_down={while_down} partial_share={getattr(broker, 'partial_share', '-')} "
             f"latency={getattr(broker, 'fill_latency_ms', FILL_LATENCY_MS)}ms"]

    def start():
        s = launcher.start(*broker.settled_args(), "--data-dir", str(data), *LOG_ARGS,
                           env=broker.env())
        log_paths.append(s.log_path)
        return s, Engine(s)

    def logs() -> str:
        return "\n".join(f"--- {p}\n{tail(p.read_text(errors='replace'), 80)}"
                         for p in log_paths)

    s1, e1 = start()
    plan, config = make_plan(plan_id), make_config(FILL_WAIT, MAX_REPEGS)
    if hold:
        hold_fills(broker, True)
    r = e1.execute_detached(plan, config)
    assert e1.status_name(r) in ("EXECUTION_STATUS_RUNNING", "EXECUTION_STATUS_QUEUED"), r

    # Crash 1: inside the sell phase.
    n = kill_in_phase(s1, e1, broker, plan_id, "PHASE_TYPE_SELL_PHASE", "sell", sell_k)
    notes.append(f"killed #1 with {n} sell order(s) at the broker")
    assert not phase_completed(data, plan_id, "PHASE_TYPE_SELL_PHASE"), \
        "the first kill landed after the sell phase ended (test timing too tight)"
    notes += fill_while_down(broker, "sell", while_down)
    if hold:
        hold_fills(broker, False)

    # Crash 2: inside the buy phase of the resumed execution.
    s2, e2 = start()
    if hold:
        # Buy orders cannot fill for FILL_LATENCY_MS; hold fills before then.
        poll(lambda: e2.phase_name(e2.get(plan_id)) == "PHASE_TYPE_BUY_PHASE", timeout=30,
             interval=0.005, what="the buy phase")
        hold_fills(broker, True)
    n = kill_in_phase(s2, e2, broker, plan_id, "PHASE_TYPE_BUY_PHASE", "buy", buy_k)
    notes.append(f"killed #2 with {n} buy order(s) at the broker")
    assert phase_completed(data, plan_id, "PHASE_TYPE_SELL_PHASE")
    assert not phase_completed(data, plan_id, "PHASE_TYPE_BUY_PHASE"), \
        "the second kill landed after the buy phase ended (test timing too tight)"
    notes += fill_while_down(broker, "buy", while_down)
    if hold:
        hold_fills(broker, False)

    # Final restart: the execution completes.
    s3, e3 = start()
    final = e3.wait_terminal(plan_id, timeout=60)
    orders = broker.orders(e3)
    # Executing the same plan again re-attaches: nothing new is placed.
    again = e3.execute_detached(plan, config)
    orders_after = broker.orders(e3)
    assert s3.stop() == 0, f"settled did not stop cleanly:\n{logs()}"

    journal = read_journal(data)
    problems = []
    status = e3.status_name(final)
    if status not in OK_STATUSES:
        problems.append(f"execution ended {status}: {final.failure_reason!r}")
    if again.status != final.status:
        problems.append(f"ExecutePlan again returned {e3.status_name(again)}, "
                        f"not the terminal {status}")
    if len(orders_after) != len(orders):
        problems.append(f"ExecutePlan again placed {len(orders_after) - len(orders)} order(s)")
    problems += check_broker_invariants(orders, journal, plan_id)
    problems += check_journal(journal, plan_id, orders)
    # The result agrees with the broker: shares per chain = broker fills.
    for res in final.orders:
        side = "buy" if res.action == e3.pb.types_pb2.TRADE_ACTION_BUY else "sell"
        filled = sum((o.filled_qty for o in orders if o.symbol == res.symbol
                      and o.side == side), Decimal(0))
        if Decimal(res.shares or "0") != filled:
            problems.append(f"result says {res.symbol} {side} filled {res.shares!r}, "
                            f"the broker says {filled}")
    if problems and isinstance(broker, AlpacaBroker):
        # Keep alpaca-sim's trade_updates log next to the servers' logs.
        (tmp_path / "sim-events.json").write_text(
            json.dumps(broker.sim.control("GET", "/_sim/log"), indent=1))
    assert not problems, (
        "; ".join(notes) + ":\n  " + "\n  ".join(problems)
        + "\nbroker orders:\n  " + "\n  ".join(
            o.describe() for o in sorted(orders, key=lambda o: o.created_ns))
        + "\njournal:\n" + journal_summary(journal, plan_id) + "\nlogs:\n" + logs())
    return final


def test_kill_during_sell_phase_then_buy_phase_alpaca(launcher, tmp_path, sim_factory):
    broker = make_broker("alpaca", sim_factory)
    run_crash_scenario(launcher, tmp_path, broker, "crash-alpaca", sell_k=1, buy_k=1)


def test_kill_during_sell_phase_then_buy_phase_sim(launcher, tmp_path):
    broker = make_broker("sim", None)
    run_crash_scenario(launcher, tmp_path, broker, "crash-sim", sell_k=1, buy_k=1)


# Ten in a row per broker, each with a fresh data dir (and alpaca-sim); see
# the module docstring for what changes between iterations.
@pytest.mark.parametrize("iteration", range(ITERATIONS))
@pytest.mark.parametrize("kind", ["alpaca", "sim"])
def test_crash_recovery_repeated(launcher, tmp_path, sim_factory, kind, iteration):
    variant = iteration % 3
    partial_share = "0.5" if kind == "sim" and variant else "0"
    # In-process, variant 2 lets limit orders fill before their re-peg.
    latency = FILL_LATENCY_MS // 2 if kind == "sim" and variant == 2 else FILL_LATENCY_MS
    broker = make_broker(kind, sim_factory, partial_share, latency)
    while_down = (None, "partial", "fill")[variant] if kind == "alpaca" else None
    hold = variant != 0
    sell_k = 1 + iteration % ORDERS_PER_PHASE
    buy_k = 1 + (iteration * 3 + 1) % ORDERS_PER_PHASE
    run_crash_scenario(launcher, tmp_path, broker, f"crash-loop-{kind}-{iteration}",
                       sell_k=sell_k, buy_k=buy_k, while_down=while_down, hold=hold)
