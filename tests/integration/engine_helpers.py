"""Helpers for black-box tests of the execution engine (plans, brokers,
the journal).

- settled.v1 Python stubs are generated once per session with grpcio-tools
  into a temporary directory (never into the tree) and imported from there:
  ``pb = stubs()`` then ``pb.execution_pb2``, ``pb.execution_pb2_grpc``...
- ``SimBroker`` / ``AlpacaBroker`` say how to start settled on a broker and
  how to read the broker's own order records, normalized to ``BrokerOrder``.
- ``check_broker_invariants`` and ``check_journal`` hold the crash-safety
  properties: no overfill, never two orders open at once for one (plan,
  symbol, side), every client order id sent once, every event journaled
  exactly once with a gapless sequence.
"""

import atexit
import calendar
import importlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List, Optional

import grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "proto"
MULTIPLIER = float(os.environ.get("SETTLED_TEST_TIMEOUT_MULTIPLIER", "1"))

_STUBS: Optional[SimpleNamespace] = None


def scaled(seconds: float) -> float:
    return seconds * MULTIPLIER


def stubs() -> SimpleNamespace:
    """Generates (once per process) and imports the settled.v1 stubs."""
    global _STUBS
    if _STUBS is not None:
        return _STUBS
    try:
        import grpc_tools
        from grpc_tools import protoc  # noqa: F401
    except ImportError:  # pragma: no cover
        import pytest
        pytest.skip("grpcio-tools is not installed (pip install grpcio-tools)")
    out = tempfile.mkdtemp(prefix="settled-stubs-")
    atexit.register(shutil.rmtree, out, True)
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    protos = sorted(str(p.relative_to(PROTO_DIR))
                    for p in (PROTO_DIR / "settled/v1").glob("*.proto"))
    res = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", str(PROTO_DIR), "-I", include,
         f"--python_out={out}", f"--grpc_python_out={out}", *protos],
        cwd=PROTO_DIR, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"protoc failed: {res.stderr}")
    sys.path.insert(0, out)
    ns = SimpleNamespace()
    for name in ("types", "plan", "events", "execution", "account", "pricing"):
        setattr(ns, f"{name}_pb2", importlib.import_module(f"settled.v1.{name}_pb2"))
        setattr(ns, f"{name}_pb2_grpc",
                importlib.import_module(f"settled.v1.{name}_pb2_grpc"))
    from google.protobuf import wrappers_pb2
    ns.wrappers_pb2 = wrappers_pb2
    _STUBS = ns
    return ns


# ---------------------------------------------------------------- plans

TERMINAL_EXEC = {"EXECUTION_STATUS_SUCCESS", "EXECUTION_STATUS_SUCCESS_WITH_SKIPS",
                 "EXECUTION_STATUS_PARTIAL_SUCCESS", "EXECUTION_STATUS_FAILURE",
                 "EXECUTION_STATUS_CANCELED"}

# Two sells and two buys on the demo portfolio that alpaca-sim and the
# in-process broker both start from (AAPL 50 @190, NVDA 40 @120, AGG 60 @98,
# VTI 25 @270, $25,000 cash).
DEMO_ITEMS = [
    ("AAPL", "SELL", "0.12", "0.10", "9500", "7600", "-1900"),
    ("NVDA", "SELL", "0.06", "0.05", "4800", "3600", "-1200"),
    ("AGG", "BUY", "0.07", "0.10", "5880", "7840", "1960"),
    ("VTI", "BUY", "0.08", "0.10", "6750", "8100", "1350"),
]


def make_plan(plan_id: str, items=DEMO_ITEMS):
    pb = stubs()
    P, T = pb.plan_pb2, pb.types_pb2
    out = []
    for sym, action, cw, tw, cv, tv, amount in items:
        out.append(P.RebalancePlanItem(
            symbol=sym, action=getattr(T, f"TRADE_ACTION_{action}"),
            current_weight=cw, target_weight=tw,
            weight_diff=str(Decimal(tw) - Decimal(cw)),
            current_value=cv, target_value=tv, trade_amount=amount))
    total = sum(abs(Decimal(i[6])) for i in items)
    return P.RebalancePlan(plan_id=plan_id, items=out, total_portfolio_value="79397.50",
                           total_trade_value=str(total), max_drift_tolerance="0.05")


def make_config(fill_wait: str = "1", max_repegs: int = 2):
    pb = stubs()
    W = pb.wrappers_pb2
    return pb.plan_pb2.ExecutionConfig(
        fill_wait_seconds=fill_wait,
        max_repegs_per_order=W.Int32Value(value=max_repegs),
        market_open_delay_minutes=W.Int32Value(value=0),
        sell_failure_threshold="0")


class Engine:
    """Executor and Account stubs on one channel to a settled server."""

    def __init__(self, server):
        pb = stubs()
        self.pb = pb
        self.server = server
        self.channel = server.channel()
        grpc.channel_ready_future(self.channel).result(timeout=scaled(10))
        self.executor = pb.execution_pb2_grpc.ExecutorStub(self.channel)
        self.account = pb.account_pb2_grpc.AccountStub(self.channel)

    def execute_detached(self, plan, config):
        E = self.pb.execution_pb2
        return self.executor.ExecutePlan(
            E.ExecutePlanRequest(plan=plan, config=config, detach=True), timeout=scaled(10))

    def get(self, plan_id: str):
        return self.executor.GetExecution(
            self.pb.execution_pb2.GetExecutionRequest(plan_id=plan_id), timeout=scaled(5))

    def status_name(self, result) -> str:
        return self.pb.types_pb2.ExecutionStatus.Name(result.status)

    def phase_name(self, result) -> str:
        return self.pb.types_pb2.PhaseType.Name(result.current_phase)

    def wait_terminal(self, plan_id: str, timeout: float):
        last = {}

        def done():
            r = self.get(plan_id)
            last["r"] = r
            if self.server.process.poll() is not None:
                raise AssertionError(
                    f"settled exited with {self.server.process.returncode} while "
                    f"{plan_id} ran; log tail:\n{tail(self.server.log())}")
            return r if self.status_name(r) in TERMINAL_EXEC else None

        try:
            return poll(done, timeout, what=f"{plan_id} to reach a terminal status")
        except TimeoutError as e:
            r = last.get("r")
            raise AssertionError(
                f"{e}; last status {self.status_name(r) if r else '?'} phase "
                f"{self.phase_name(r) if r else '?'}; log tail:\n{tail(self.server.log())}")


def poll(predicate, timeout: float, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {scaled(timeout):.1f}s waiting for {what}")
        time.sleep(interval)


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------- brokers

@dataclass
class BrokerOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str  # "buy" or "sell"
    qty: Decimal
    filled_qty: Decimal
    status: str  # Alpaca's lower-case status name
    created_ns: int
    ended_ns: Optional[int]  # when it reached a terminal status; None if open

    def describe(self) -> str:
        return (f"{self.client_order_id} ({self.id}) {self.side} {self.qty} {self.symbol} "
                f"filled {self.filled_qty} {self.status} created {fmt_ns(self.created_ns)} "
                f"ended {fmt_ns(self.ended_ns) if self.ended_ns else 'never'}")


TERMINAL_ORDER = {"filled", "canceled", "expired", "rejected", "replaced", "done_for_day"}

_TS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$")


def parse_ts(text: Optional[str]) -> Optional[int]:
    """RFC 3339 to nanoseconds since the epoch; None for null/empty."""
    if not text:
        return None
    m = _TS.match(text)
    assert m, f"unparsable timestamp {text!r}"
    y, mo, d, h, mi, s, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tz = tz[1:].replace(":", "")
        secs -= sign * (int(tz[:2]) * 3600 + int(tz[2:]) * 60)
    ns = int(((frac or "") + "000000000")[:9])
    return secs * 1_000_000_000 + ns


def fmt_ns(ns: Optional[int]) -> str:
    if ns is None:
        return "-"
    return time.strftime("%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}"


class SimBroker:
    """The in-process simulated broker: settled is the broker; its account
    lives in DATA_DIR/sim-account.state."""

    name = "sim"

    def __init__(self, fill_latency_ms: int = 1500, partial_share: str = "0"):
        self.fill_latency_ms = fill_latency_ms
        self.partial_share = partial_share

    def settled_args(self) -> List[str]:
        return ["--broker", "sim", "--sim-fill-latency-ms", str(self.fill_latency_ms),
                "--sim-partial-fill-share", self.partial_share]

    def env(self) -> Dict[str, str]:
        return {}

    def orders(self, engine: Optional["Engine"]) -> List[BrokerOrder]:
        assert engine is not None, "the in-process broker is read through settled"
        pb = engine.pb
        A, T = pb.account_pb2, pb.types_pb2
        resp = engine.account.ListOrders(
            A.ListOrdersRequest(status=A.ORDER_QUERY_STATUS_ALL, limit=500), timeout=scaled(5))
        out = []
        for o in resp.orders:
            status = T.OrderStatus.Name(o.status)[len("ORDER_STATUS_"):].lower()
            side = T.TradeAction.Name(o.side)[len("TRADE_ACTION_"):].lower()

            def ts(field):
                return o.__getattribute__(field).ToNanoseconds() if o.HasField(field) else None

            ended = None
            if status in TERMINAL_ORDER:
                ended = {"filled": ts("filled_at"), "canceled": ts("canceled_at")}.get(status)
                if ended is None:
                    ended = ts("updated_at")
            out.append(BrokerOrder(o.id, o.client_order_id, o.symbol, side, Decimal(o.qty),
                                   Decimal(o.filled_qty or "0"), status, ts("created_at"), ended))
        return out


class AlpacaBroker:
    """alpaca-sim, which keeps running while settled is killed."""

    name = "alpaca"

    def __init__(self, sim):
        self.sim = sim

    def settled_args(self) -> List[str]:
        return ["--broker", "alpaca"]

    def env(self) -> Dict[str, str]:
        return {"APCA_API_KEY_ID": "sim-key", "APCA_API_SECRET_KEY": "sim-secret",
                "APCA_API_BASE_URL": self.sim.http, "APCA_API_DATA_URL": self.sim.http}

    def orders(self, engine=None) -> List[BrokerOrder]:
        out = []
        for o in self.sim.orders():
            status = o["status"]
            ended = None
            if status in TERMINAL_ORDER:
                field = {"filled": "filled_at", "canceled": "canceled_at",
                         "replaced": "replaced_at", "expired": "expired_at",
                         "rejected": "failed_at"}.get(status)
                ended = parse_ts(o.get(field)) if field else None
                if ended is None:
                    ended = parse_ts(o.get("updated_at"))
            out.append(BrokerOrder(o["id"], o["client_order_id"], o["symbol"], o["side"],
                                   Decimal(o["qty"]), Decimal(o.get("filled_qty") or "0"),
                                   status, parse_ts(o["created_at"]), ended))
        return out


# ---------------------------------------------------------------- journal

@dataclass
class Journal:
    events: list  # rows (seq, event_id, plan_id, step_key, type, correlation_id, ts_ns, Event)
    intents: List[dict]
    executions: List[dict]


def read_journal(data_dir: Path) -> Journal:
    """Reads DATA_DIR/journal.db read-only (settled must be stopped)."""
    pb = stubs()
    path = Path(data_dir) / "journal.db"
    assert path.exists(), f"no journal at {path}"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        events = []
        for r in db.execute("SELECT seq, event_id, plan_id, step_key, type, correlation_id,"
                            " ts_ns, body FROM events ORDER BY seq"):
            ev = pb.events_pb2.Event.FromString(bytes(r["body"]))
            events.append((r["seq"], r["event_id"], r["plan_id"], r["step_key"], r["type"],
                           r["correlation_id"], r["ts_ns"], ev))
        intents = [dict(r) for r in db.execute("SELECT * FROM intents ORDER BY chain, attempt")]
        execs = [dict(r) for r in db.execute(
            "SELECT plan_id, status, phase FROM executions")]
    finally:
        db.close()
    return Journal(events, intents, execs)


def side_name(side_enum: int) -> str:
    return {1: "buy", 2: "sell"}.get(side_enum, f"?{side_enum}")


def check_broker_invariants(orders: List[BrokerOrder], journal: Journal, plan_id: str) -> List[str]:
    """The broker's own records, per (symbol, side) of the plan: total filled
    never exceeds the intended quantity, no order is sized beyond what is
    left, never two orders open at once, every client order id once, no
    order the journal does not know, and nothing left open."""
    problems = []
    intents = [i for i in journal.intents if i["plan_id"] == plan_id]
    by_coid = {i["client_order_id"]: i for i in intents}
    intended = {}
    for i in intents:
        if i["attempt"] == 0:
            intended[(i["symbol"], side_name(i["side"]))] = Decimal(i["qty"])
    prefixes = {c.rsplit("-", 3)[0] for c in by_coid}
    mine = [o for o in orders if o.client_order_id in by_coid
            or any(o.client_order_id.startswith(p) for p in prefixes)]
    counts = Counter(o.client_order_id for o in mine)
    for coid, n in counts.items():
        if n > 1:
            problems.append(f"client_order_id {coid} was sent {n} times: " + "; ".join(
                o.describe() for o in mine if o.client_order_id == coid))
    for o in mine:
        if o.client_order_id not in by_coid:
            problems.append(f"broker order without an intent in the journal: {o.describe()}")
        if o.status not in TERMINAL_ORDER:
            problems.append(f"order still open after the execution ended: {o.describe()}")
    groups = defaultdict(list)
    for o in mine:
        groups[(o.symbol, o.side)].append(o)
    for key, group in sorted(groups.items()):
        group.sort(key=lambda o: (o.created_ns, o.client_order_id))
        want = intended.get(key)
        filled = sum((o.filled_qty for o in group), Decimal(0))
        if want is None:
            problems.append(f"{key}: orders at the broker but no attempt-0 intent")
            continue
        if filled > want:
            problems.append(f"{key}: OVERFILL: broker filled {filled} > intended {want}: "
                            + "; ".join(o.describe() for o in group))
        before = Decimal(0)
        for o in group:
            if o.qty + before > want:
                problems.append(f"{key}: order sized beyond the remainder: {o.describe()} "
                                f"after {before} filled of intended {want}")
            before += o.filled_qty
        for a, b in zip(group, group[1:]):
            if a.ended_ns is None or a.ended_ns > b.created_ns:
                problems.append(f"{key}: TWO ORDERS OPEN AT ONCE: {a.describe()} / "
                                f"next {b.describe()}")
    return problems


def check_journal(journal: Journal, plan_id: str, orders: List[BrokerOrder]) -> List[str]:
    """Every event of the execution in the journal exactly once."""
    pb = stubs()
    T = pb.types_pb2
    problems = []
    seqs = [e[0] for e in journal.events]
    if seqs != list(range(1, len(seqs) + 1)):
        missing = sorted(set(range(1, (max(seqs) if seqs else 0) + 1)) - set(seqs))
        problems.append(f"server-wide sequence has gaps: missing {missing[:20]}")
    ids = Counter(e[1] for e in journal.events)
    dup_ids = [k for k, n in ids.items() if n > 1]
    if dup_ids:
        problems.append(f"duplicate event_ids: {dup_ids[:10]}")
    mine = [e for e in journal.events if e[2] == plan_id]
    for e in mine:
        ev = e[7]
        if ev.sequence != e[0] or ev.plan_id != plan_id or ev.event_type != e[4] \
                or ev.WhichOneof("payload") is None:
            problems.append(f"event row {e[0]} disagrees with its body: seq {ev.sequence} "
                            f"plan {ev.plan_id} type {ev.event_type}")
    types = Counter(e[4] for e in mine)
    for t in ("ExecutionStarted", "BulkSettlementCompleted", "TradeExecuted"):
        if types[t] != 1:
            problems.append(f"{types[t]} {t} events, want exactly 1: steps "
                            f"{[e[3] for e in mine if e[4] == t]}")
    phases = Counter(T.PhaseType.Name(e[7].execution_phase_completed.phase_type)
                     for e in mine if e[4] == "ExecutionPhaseCompleted")
    if phases != Counter({"PHASE_TYPE_SELL_PHASE": 1, "PHASE_TYPE_BUY_PHASE": 1}):
        problems.append(f"ExecutionPhaseCompleted per phase: {dict(phases)}, want one each")
    order_seq = [e[0] for e in mine]
    pos = {t: [e[0] for e in mine if e[4] == t] for t in types}
    if pos.get("ExecutionStarted") and order_seq and pos["ExecutionStarted"][0] != order_seq[0]:
        problems.append("ExecutionStarted is not the first event of the execution")
    if pos.get("TradeExecuted") and order_seq and pos["TradeExecuted"][-1] != order_seq[-1]:
        problems.append("TradeExecuted is not the last event of the execution")

    submitted = Counter(e[7].order_submitted.client_order_id
                        for e in mine if e[4] == "OrderSubmitted")
    for coid, n in submitted.items():
        if n != 1:
            problems.append(f"{n} OrderSubmitted events for {coid}")
    by_coid = {o.client_order_id: o for o in orders}
    for e in mine:
        if e[4] == "OrderSubmitted":
            s = e[7].order_submitted
            o = by_coid.get(s.client_order_id)
            if o is None:
                problems.append(f"OrderSubmitted {s.client_order_id} (seq {e[0]}) but the "
                                f"broker has no such order")
            elif o.id != s.order_id:
                problems.append(f"OrderSubmitted {s.client_order_id} names order {s.order_id}, "
                                f"the broker's is {o.id}")
    plan_coids = {i["client_order_id"] for i in journal.intents if i["plan_id"] == plan_id}
    for o in orders:
        if o.client_order_id in plan_coids and submitted[o.client_order_id] == 0:
            problems.append(f"broker order {o.describe()} has no OrderSubmitted event")

    # Fills: each broker fill journaled once (OrderUpdated with fill_qty),
    # none lost, none twice.
    fills = defaultdict(Decimal)
    cumulative = defaultdict(Decimal)
    terminal_updates = Counter()
    for e in mine:
        if e[4] == "OrderUpdated":
            u = e[7].order_updated
            if u.fill_qty:
                fills[u.client_order_id] += Decimal(u.fill_qty)
            if u.filled_qty:
                cumulative[u.client_order_id] = max(cumulative[u.client_order_id],
                                                    Decimal(u.filled_qty))
            st = T.OrderStatus.Name(u.status)[len("ORDER_STATUS_"):].lower()
            if st in TERMINAL_ORDER:
                terminal_updates[(u.client_order_id, st)] += 1
    for o in orders:
        coid = o.client_order_id
        if coid not in plan_coids:
            continue
        if cumulative[coid] != o.filled_qty:
            problems.append(
                f"FILL NOT JOURNALED: {coid}: highest OrderUpdated.filled_qty "
                f"{cumulative[coid]} != broker filled_qty {o.filled_qty} ({o.status})")
        elif fills[coid] > o.filled_qty:
            problems.append(
                f"FILL JOURNALED TWICE: {coid}: sum of OrderUpdated.fill_qty {fills[coid]} "
                f"> broker filled_qty {o.filled_qty} ({o.status})")
        elif fills[coid] != o.filled_qty:
            zero = [e[0] for e in mine if e[4] == "OrderUpdated"
                    and e[7].order_updated.client_order_id == coid
                    and e[7].order_updated.fill_qty in ("0", "0.0")]
            problems.append(
                f"fill quantity lost: {coid}: sum of OrderUpdated.fill_qty {fills[coid]} "
                f"!= broker filled_qty {o.filled_qty} ({o.status})"
                + (f"; fill events with fill_qty \"0\" at seq {zero}" if zero else ""))
    for (coid, st), n in terminal_updates.items():
        if n > 1:
            problems.append(f"{n} OrderUpdated events for {coid} reaching {st}")
    repegs = Counter((e[7].order_repegged.symbol, e[7].order_repegged.side,
                      e[7].order_repegged.repeg_count) for e in mine if e[4] == "OrderRepegged")
    problems += [f"{n} OrderRepegged for {k}" for k, n in repegs.items() if n > 1]
    esc = Counter((e[7].order_escalated.symbol, e[7].order_escalated.side)
                  for e in mine if e[4] == "OrderEscalated")
    problems += [f"{n} OrderEscalated for {k}" for k, n in esc.items() if n > 1]
    settled_ev = Counter((e[7].order_settlement_completed.symbol,
                          e[7].order_settlement_completed.side)
                         for e in mine if e[4] == "OrderSettlementCompleted")
    problems += [f"{n} OrderSettlementCompleted for {k}" for k, n in settled_ev.items() if n > 1]
    return problems


def journal_summary(journal: Journal, plan_id: str) -> str:
    return "\n".join(f"  {e[0]:4d} {e[4]:26s} {e[3]}" for e in journal.events
                     if e[2] == plan_id)
