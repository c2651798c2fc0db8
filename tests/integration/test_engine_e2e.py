"""End-to-end executions: settled against alpaca-sim (--broker alpaca, the
Alpaca wire protocol) and, where the scenario does not need the simulator's
control API, against the in-process sim broker.

The broker's own records are the evidence: alpaca-sim's GET /_sim/orders
(every order ever, with created_at / filled_at / canceled_at), or
Account.ListOrders for the in-process broker.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import List, Optional

import grpc
import pytest

from alpaca_sim import sim_factory, wait_for  # noqa: F401 (fixture)
from conftest import scaled
from settled_client import (BUY, CANCELED, HOLD, QUEUED, RUNNING, SELL, SUCCESS,
                            SUCCESS_WITH_SKIPS, PARTIAL_SUCCESS, TERMINAL, Client, alpaca_env,
                            connect, dec, fast_config, item, order_summary, pb, plan,
                            status_name, ts_ns)

BROKERS = ["alpaca", "sim"]
OPEN_STATUSES = {"new", "accepted", "pending_new", "partially_filled", "pending_cancel",
                 "pending_replace", "accepted_for_bidding", "held", "calculated"}


def rfc3339_ns(s: Optional[str]) -> Optional[int]:
    """'2026-11-25T03:02:51.174398694Z' as ns since the epoch."""
    if not s:
        return None
    s = s.rstrip("Z")
    frac = "0"
    if "." in s:
        s, frac = s.split(".", 1)
    secs = int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return secs * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


@dataclass
class BOrder:
    """One broker order, from the broker's own records."""
    id: str
    client_order_id: str
    symbol: str
    side: str  # buy / sell
    type: str  # limit / market
    qty: Decimal
    filled_qty: Decimal
    status: str
    created_ns: int
    end_ns: Optional[int]  # filled, canceled, expired, rejected or replaced

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Env:
    """A settled server on one broker, and that broker's records."""

    def __init__(self, kind: str, client: Client, server, sim=None):
        self.kind = kind
        self.client = client
        self.server = server
        self.sim = sim

    def orders(self) -> List[BOrder]:
        out = []
        if self.sim is not None:
            for o in self.sim.orders():
                ends = [rfc3339_ns(o.get(k)) for k in
                        ("filled_at", "canceled_at", "expired_at", "failed_at", "replaced_at")]
                ends = [e for e in ends if e]
                out.append(BOrder(o["id"], o["client_order_id"], o["symbol"], o["side"],
                                  o["type"], Decimal(o["qty"] or "0"),
                                  Decimal(o["filled_qty"] or "0"), o["status"],
                                  rfc3339_ns(o["submitted_at"] or o["created_at"]),
                                  max(ends) if ends else None))
        else:
            for o in self.client.orders(status=pb.account.ORDER_QUERY_STATUS_ALL, limit=500):
                ends = [ts_ns(t) for t in (o.filled_at, o.canceled_at) if ts_ns(t)]
                status = pb.types.OrderStatus.Name(o.status)[len("ORDER_STATUS_"):].lower()
                if not ends and status in ("filled", "canceled", "expired", "rejected",
                                           "replaced"):
                    ends = [ts_ns(o.updated_at)]
                out.append(BOrder(o.id, o.client_order_id, o.symbol,
                                  "buy" if o.side == BUY else "sell",
                                  "limit" if o.type == pb.types.ORDER_TYPE_LIMIT else "market",
                                  Decimal(o.qty or "0"), Decimal(o.filled_qty or "0"), status,
                                  ts_ns(o.created_at), max(ends) if ends else None))
        out.sort(key=lambda o: o.created_ns)
        return out

    def open_orders(self) -> List[BOrder]:
        return [o for o in self.orders() if o.is_open]

    def hold_fills(self, ms: int) -> None:
        """No order fills for ms (alpaca-sim only)."""
        self.sim.control("POST", "/_sim/fill_delay", {"ms": ms})

    def diagnostics(self) -> str:
        text = "settled log (tail):\n" + self.server.log()[-6000:]
        if self.sim is not None:
            text += "\nalpaca-sim log (tail):\n" + self.sim.log()[-3000:]
        return text


@pytest.fixture
def make_env(launcher, sim_factory):  # noqa: F811
    """make_env(kind, sim_args=(), settled_args=()) -> Env."""

    servers = []

    def make(kind: str, sim_args=(), settled_args=()) -> Env:
        if kind == "alpaca":
            sim = sim_factory(*sim_args)
            server = launcher.start("--broker", "alpaca", *settled_args, env=alpaca_env(sim))
            servers.append(server)
            return Env(kind, connect(server), server, sim)
        server = launcher.start("--broker", "sim", *settled_args)
        servers.append(server)
        return Env(kind, connect(server), server)

    yield make
    # settled (before alpaca-sim) must shut down cleanly after every scenario.
    for server in servers:
        code = server.stop()
        assert code == 0, f"settled exited with {code}:\n{server.log()[-4000:]}"


def sells_then_buys(orders) -> None:
    seen_buy = False
    for o in orders:
        if o.action == BUY:
            seen_buy = True
        elif o.action == SELL:
            assert not seen_buy, "a SELL result after a BUY result:\n" + order_summary(orders)


def chain_orders(env_orders: List[BOrder], result) -> List[BOrder]:
    by_id = {o.id: o for o in env_orders}
    return [by_id[i] for r in result.orders for i in r.order_ids if i in by_id]


# --- The settlement-aware ordering. ----------------------------------------

SELLS = [("AAPL", "-6000.00"), ("MSFT", "-5000.00"), ("NVDA", "-3000.00"),
         ("VTI", "-4000.00"), ("AGG", "-4000.00")]
BUYS = [("GOOGL", "8000.00"), ("JPM", "8000.00"), ("KO", "6000.00"),
        ("PG", "8000.00"), ("XOM", "8000.00")]  # $38,000 > the $25,000 cash.
PINNED = "KO"


class RepegForcer(threading.Thread):
    """Holds every limit order of one symbol so that it cannot fill (its
    chain re-pegs and then goes to market), and fills part of the first one
    by hand so that the market order must be for the remainder only."""

    def __init__(self, sim, symbol: str, first_fill_qty: str):
        super().__init__(daemon=True)
        self.sim, self.symbol, self.first_fill_qty = sim, symbol, first_fill_qty
        self.seen = set()
        self.stop_flag = threading.Event()
        self.errors: List[str] = []

    def run(self):
        while not self.stop_flag.is_set():
            try:
                for o in self.sim.orders():
                    if o["symbol"] != self.symbol or o["type"] != "limit" or o["id"] in self.seen:
                        continue
                    self.seen.add(o["id"])
                    self.sim.control("POST", "/_sim/fill_delay",
                                     {"ms": 120000, "order_id": o["id"]})
                    if len(self.seen) == 1 and self.first_fill_qty:
                        self.sim.fill(o["id"], qty=self.first_fill_qty)
            except Exception as e:  # Reported by the test.
                self.errors.append(repr(e))
            time.sleep(0.01)


@pytest.mark.parametrize("kind", BROKERS)
def test_ten_symbol_plan_buys_only_after_the_sells_filled(make_env, kind):
    """A 10-symbol plan whose buys ($38,000) cannot be paid for with the
    $25,000 cash until the sells ($22,000) filled."""
    if kind == "alpaca":
        env = make_env(kind, sim_args=("--partial-fill-share", "0.5", "--fill-latency-ms", "300",
                                       "--seed", "7"))
        env.sim.quote(PINNED, "61.99", "62.00", bid_size=5000, ask_size=5000)
        forcer = RepegForcer(env.sim, PINNED, "5")
        forcer.start()
    else:
        env = make_env(kind, settled_args=("--sim-partial-fill-share", "0.5"))
        forcer = None
    c = env.client
    items = [item(s, SELL, a) for s, a in SELLS] + [item(s, BUY, a) for s, a in BUYS]
    items.append(item("SPY", HOLD, current_weight="0.2", target_weight="0.2"))
    p = plan("ten-symbols", items)
    try:
        r = c.execute(p, fast_config(), timeout=60)
        if r.status not in TERMINAL:
            r = c.wait_terminal("ten-symbols", timeout=30)
    finally:
        if forcer is not None:
            forcer.stop_flag.set()
            forcer.join(timeout=5)
    info = f"{status_name(r.status)} {r.failure_reason}\n{order_summary(r.orders)}"
    assert r.status in (SUCCESS, PARTIAL_SUCCESS), info + "\n" + env.diagnostics()
    sells_then_buys(r.orders)
    assert {o.symbol for o in r.orders if o.action == SELL} == {s for s, _ in SELLS}, info
    assert {o.symbol for o in r.orders if o.action == BUY} == {s for s, _ in BUYS}, info
    assert dec(r.buying_power_released) > 20000, info

    orders = env.orders()
    sells = [o for o in orders if o.side == "sell"]
    buys = [o for o in orders if o.side == "buy"]
    assert sells and buys
    assert all(o.end_ns for o in sells), "a sell order never ended"
    last_sell_end = max(o.end_ns for o in sells)
    early = [o for o in buys if o.created_ns < last_sell_end]
    assert not early, (f"BUY orders submitted before the last SELL ended "
                       f"({last_sell_end}): {early}")
    # Needed the proceeds: what the buys filled is more than the cash was.
    bought = sum(dec(o.filled_value) for o in r.orders if o.action == BUY)
    assert bought > 25000, info
    # Never more than the buying power: no refusal at the broker.
    assert not [o for o in orders if o.status == "rejected"], orders
    assert "insufficient buying power" not in env.server.log()
    if env.sim is not None:
        assert "order refused" not in env.sim.log(), env.sim.log()
        assert not forcer.errors, forcer.errors
    # Each chain: orders one after the other, filled total never above the
    # request, and the result's order_ids are the broker's chain.
    by_id = {o.id: o for o in orders}
    for res in r.orders:
        chain = [by_id[i] for i in res.order_ids]
        assert chain == sorted(chain, key=lambda o: o.created_ns), res
        for prev, nxt in zip(chain, chain[1:]):
            assert prev.end_ns is not None and nxt.created_ns >= prev.end_ns, (
                f"{res.symbol}: {nxt.id} created while {prev.id} was still open")
        filled = sum(o.filled_qty for o in chain)
        assert filled <= Decimal(res.requested_shares), (res.symbol, filled,
                                                         res.requested_shares)
        assert abs(filled - Decimal(res.shares or "0")) < Decimal("0.000000002"), (
            res.symbol, filled, res.shares)
        limits = sum(1 for o in chain if o.type == "limit")
        assert res.repeg_count == max(limits - 1, 0), (res.symbol, res.repeg_count, chain)
        assert res.escalated_to_market == (chain[-1].type == "market"), (res.symbol, chain)
    if env.sim is None:
        return
    # The pinned symbol: re-pegged, then the remainder (only) went to market.
    ko = next(o for o in r.orders if o.symbol == PINNED)
    assert ko.repeg_count >= 1 and ko.escalated_to_market, order_summary([ko])
    assert ko.success, order_summary([ko])
    chain = [by_id[i] for i in ko.order_ids]
    assert [o.type for o in chain] == ["limit"] * (len(chain) - 1) + ["market"], chain
    assert len(chain) == ko.repeg_count + 2, chain
    requested = Decimal(ko.requested_shares)
    assert chain[0].filled_qty == 5, chain[0]
    before_market = sum(o.filled_qty for o in chain[:-1])
    assert chain[-1].qty == requested - before_market, (chain, requested)
    assert sum(o.filled_qty for o in chain) == requested, chain
    # alpaca-sim saw partial fills (the forced one at least).
    assert any(e.get("data", {}).get("event") == "partial_fill" for e in env.sim.events())


# --- Detach and the one-at-a-time queue. -----------------------------------

@pytest.mark.parametrize("kind", BROKERS)
def test_detach_and_two_plans_run_one_after_the_other(make_env, kind):
    env = make_env(kind)
    c = env.client
    p1 = plan("queue-1", [item("AAPL", SELL, "-1500.00"), item("KO", BUY, "1000.00")])
    p2 = plan("queue-2", [item("MSFT", SELL, "-1200.00"), item("PG", BUY, "800.00")])
    t0 = time.monotonic()
    r1 = c.execute(p1, fast_config(), detach=True)
    r2 = c.execute(p2, fast_config(), detach=True)
    elapsed = time.monotonic() - t0
    assert elapsed < scaled(2.0), f"detach took {elapsed:.2f}s"
    assert r1.status in (RUNNING, QUEUED), status_name(r1.status)
    assert r2.status == QUEUED, status_name(r2.status)
    assert c.get("queue-2").status == QUEUED
    c.wait_status("queue-1", {RUNNING} | TERMINAL, timeout=10)
    f1 = c.wait_terminal("queue-1", timeout=40)
    f2 = c.wait_terminal("queue-2", timeout=40)
    assert f1.status == SUCCESS, order_summary(f1.orders) + env.diagnostics()
    assert f2.status == SUCCESS, order_summary(f2.orders) + env.diagnostics()
    orders = env.orders()
    o1, o2 = chain_orders(orders, f1), chain_orders(orders, f2)
    assert o1 and o2
    assert len(o1) + len(o2) == len(orders), "orders outside the two chains"
    end1 = max(o.end_ns for o in o1)
    first2 = min(o.created_ns for o in o2)
    assert first2 >= end1, "plan 2 placed an order before plan 1's last order ended"
    assert ts_ns(f2.started_at) >= ts_ns(f1.started_at)
    assert ts_ns(f1.execution_timestamp) <= first2


# --- Cancel. ---------------------------------------------------------------

@pytest.mark.parametrize("kind", BROKERS)
def test_cancel_a_running_execution(make_env, kind):
    if kind == "alpaca":
        env = make_env(kind)
        env.hold_fills(120000)
        # Far from the market: these limit orders could not fill anyway.
        env.sim.quote("AAPL", "150.00", "150.02")
        env.sim.quote("MSFT", "350.00", "350.02")
    else:
        env = make_env(kind, settled_args=("--sim-fill-latency-ms", "120000"))
    c = env.client
    p = plan("cancel-me", [item("AAPL", SELL, "-1500.00"), item("MSFT", SELL, "-1000.00"),
                           item("KO", BUY, "1000.00")])
    r = c.execute(p, fast_config(fill_wait="5"), detach=True)
    assert r.status in (RUNNING, QUEUED)
    wait_for(lambda: len(env.open_orders()) >= 2, timeout=10, what="two open sell orders")
    t0 = time.monotonic()
    cr = c.cancel("cancel-me", reason="test says stop")
    assert cr.plan_id == "cancel-me"
    assert cr.status in (RUNNING, CANCELED), status_name(cr.status)
    final = c.wait_terminal("cancel-me", timeout=15)
    took = time.monotonic() - t0
    assert final.status == CANCELED, status_name(final.status) + env.diagnostics()
    assert took < scaled(8), f"cancel took {took:.1f}s"
    assert "test says stop" in final.failure_reason
    assert not final.success
    open_left = env.open_orders()
    assert not open_left, f"open orders left at the broker: {open_left}"
    assert not [o for o in env.orders() if o.side == "buy"], "a buy was placed"
    for o in final.orders:
        assert not o.success, order_summary([o])
    err = None
    try:
        c.cancel("cancel-me")
    except grpc.RpcError as e:
        err = e
    assert err is not None and err.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize("kind", BROKERS)
def test_cancel_a_queued_execution_places_nothing(make_env, kind):
    """A plan canceled while QUEUED behind another ends CANCELED without its
    turn coming, and never sends an order to the broker."""
    if kind == "alpaca":
        env = make_env(kind)
        env.hold_fills(3000)  # The first plan runs for about 3 s.
    else:
        env = make_env(kind, settled_args=("--sim-fill-latency-ms", "2500"))
    c = env.client
    first = c.execute(plan("runs-first", [item("AAPL", SELL, "-500.00")]), fast_config(),
                      detach=True)
    queued = c.execute(plan("queued-then-canceled", [item("NVDA", SELL, "-500.00")]),
                       fast_config(), detach=True)
    assert first.status in (RUNNING, QUEUED) and queued.status == QUEUED
    cr = c.cancel("queued-then-canceled", reason="not needed any more")
    assert cr.status in (QUEUED, CANCELED), status_name(cr.status)
    f1 = c.wait_terminal("runs-first", timeout=30)
    f2 = c.wait_terminal("queued-then-canceled", timeout=30)
    assert f1.status == SUCCESS, order_summary(f1.orders) + env.diagnostics()
    assert f2.status == CANCELED, status_name(f2.status)
    assert "not needed any more" in f2.failure_reason
    nvda = [o for o in env.orders() if o.symbol == "NVDA"]
    assert not nvda, (f"the canceled QUEUED plan sent {len(nvda)} order(s) to the broker: "
                      f"{nvda}\n{order_summary(f2.orders)}")
    assert not any(o.order_ids for o in f2.orders), order_summary(f2.orders)
    assert ts_ns(f2.execution_timestamp) < ts_ns(f1.execution_timestamp), (
        "the canceled QUEUED plan only ended after the plan ahead of it")


def test_cancel_during_the_buy_phase(make_env):
    """alpaca-sim: the sell fills, the buy's limit orders are held; a cancel
    then leaves no open order and the execution CANCELED."""
    env = make_env("alpaca", sim_args=("--fill-latency-ms", "200"))
    env.sim.quote("KO", "61.99", "62.00")
    forcer = RepegForcer(env.sim, "KO", None)
    forcer.start()
    c = env.client
    try:
        c.execute(plan("cancel-buys", [item("AAPL", SELL, "-1000.00"),
                                       item("KO", BUY, "1500.00")]),
                  fast_config(fill_wait="10"), detach=True)
        wait_for(lambda: [o for o in env.open_orders() if o.symbol == "KO"], timeout=15,
                 what="an open KO buy")
        c.cancel("cancel-buys")
        final = c.wait_terminal("cancel-buys", timeout=15)
    finally:
        forcer.stop_flag.set()
        forcer.join(timeout=5)
    assert final.status == CANCELED, status_name(final.status) + env.diagnostics()
    assert not env.open_orders(), env.open_orders()
    by = {o.symbol: o for o in final.orders}
    assert by["AAPL"].success and dec(by["AAPL"].shares) > 0, order_summary(final.orders)
    assert not by["KO"].success, order_summary(final.orders)
    assert len([o for o in env.orders() if o.symbol == "KO"]) == 1


# --- Clients that go away or cannot wait. ----------------------------------

@pytest.mark.parametrize("kind", BROKERS)
def test_client_disconnect_does_not_stop_the_execution(make_env, kind):
    env = make_env(kind)
    p1 = plan("gone-1", [item("AAPL", SELL, "-1000.00"), item("KO", BUY, "700.00")])
    p2 = plan("gone-2", [item("MSFT", SELL, "-900.00"), item("PG", BUY, "600.00")])
    # 1: a waiting call whose client cancels it and closes its channel.
    ch = env.server.channel()
    stub = pb.execution_grpc.ExecutorStub(ch)
    fut = stub.ExecutePlan.future(
        pb.execution.ExecutePlanRequest(plan=p1, config=fast_config()), timeout=scaled(60))
    env.client.wait_status("gone-1", {RUNNING}, timeout=10)
    fut.cancel()
    ch.close()
    # 2: a call with a deadline far shorter than the execution.
    try:
        r = env.client.execute(p2, fast_config(), timeout=0.4)
        assert r.status in (QUEUED, RUNNING), status_name(r.status)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e
    f1 = env.client.wait_terminal("gone-1", timeout=40)
    f2 = env.client.wait_terminal("gone-2", timeout=40)
    assert f1.status == SUCCESS, order_summary(f1.orders) + env.diagnostics()
    assert f2.status == SUCCESS, order_summary(f2.orders) + env.diagnostics()
    filled = {o.symbol for o in env.orders() if o.status == "filled"}
    assert {"AAPL", "KO", "MSFT", "PG"} <= filled


@pytest.mark.parametrize("kind", BROKERS)
def test_deadline_shorter_than_the_execution_answers_running(make_env, kind):
    if kind == "alpaca":
        env = make_env(kind)
        env.hold_fills(4000)  # Fills resume after 4 s.
    else:
        env = make_env(kind, settled_args=("--sim-fill-latency-ms", "4000"))
    c = env.client
    p = plan("short-deadline", [item("AAPL", SELL, "-1000.00")])
    t0 = time.monotonic()
    r = c.execute(p, fast_config(), timeout=2.5)
    took = time.monotonic() - t0
    assert r.status == RUNNING, status_name(r.status)
    assert r.plan_id == "short-deadline"
    assert took < scaled(2.5), f"answered after {took:.2f}s"
    assert took > 1.0, f"answered after {took:.2f}s: it should have waited"
    final = c.wait_terminal("short-deadline", timeout=30)
    assert final.status == SUCCESS, order_summary(final.orders) + env.diagnostics()


# --- Liquidation and the $1 minimum. ---------------------------------------

@pytest.mark.parametrize("kind", BROKERS)
def test_liquidate_and_skip_a_buy_under_one_dollar(make_env, kind):
    env = make_env(kind)
    c = env.client
    p = plan("liquidate", [
        item("NVDA", SELL, "0", target_weight="0"),       # Liquidate, amount 0.
        item("AMZN", SELL, "-100.00", target_weight="0"),  # Liquidate a fractional 15.5.
        item("KO", BUY, "0.50"),                           # Under $1: skipped.
    ])
    # Default settings but a short fill wait: the default market-open delay
    # must not hold orders (the simulated market opened long ago).
    cfg = pb.plan.ExecutionConfig(fill_wait_seconds="0.5")
    r = c.execute(p, cfg, timeout=40)
    info = order_summary(r.orders)
    assert r.status == SUCCESS_WITH_SKIPS, status_name(r.status) + "\n" + info
    assert r.success
    by = {o.symbol: o for o in r.orders}
    assert Decimal(by["NVDA"].shares) == 40, info
    assert Decimal(by["AMZN"].shares) == Decimal("15.5"), info
    assert by["KO"].skipped and by["KO"].skip_reason and not by["KO"].order_ids, info
    assert r.orders_skipped == 1 and r.orders_succeeded == 2, r
    pos = c.positions()
    assert "NVDA" not in pos and "AMZN" not in pos, pos
    assert not [o for o in env.orders() if o.symbol == "KO"], "a KO order was placed"
