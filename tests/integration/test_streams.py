"""Event streams end to end: SubscribeEvents and WatchExecution against the
real binary.

- start positions: from_oldest, after_sequence (replays exactly what was
  missed), only_new (nothing old), a subscriber opened before the events and
  one opened after them see the same events;
- filters: event_types, plan_id, correlation_id (alone and combined);
- retention: --event-retention-count 10 --housekeeping-interval 1, then a
  start older than the history is OUT_OF_RANGE naming the oldest sequence
  held, and from_oldest / after_sequence = oldest - 1 still work;
- WatchExecution of a finished and of a running execution (ends after
  TradeExecuted, every event of the plan in order), NOT_FOUND for unknown;
- a slow consumer (--stream-queue 2, a small HTTP/2 window) cut off with
  RESOURCE_EXHAUSTED "resume after sequence N" and resumed with no gap, raw
  and through the Python client;
- 1,000 concurrent grpc.aio subscribers on four channels all see every event
  of a plan;
- the Python client's subscribe() generator, running in a thread, resumes
  across two `kill -9` + restarts on the same --data-dir and port, with the
  in-process broker and with alpaca-sim: no gap, no duplicate;
- the acceptance test: a subscriber following BulkSettlementCompleted and
  ExecutionPhaseCompleted sees every such event of 20 plans executed while
  the server is killed and restarted twice, each exactly once and in
  sequence order (compared with the journal's events table afterwards).

Every server has its own tmp dir, listens on port 0 (restarts reuse the port
the first start got) and is stopped by pid; waits are deadlines.
"""

import asyncio
import os
import re
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, List, Optional

import grpc
import grpc.aio
import pytest

from alpaca_sim import sim_factory  # noqa: F401 (fixture)
from conftest import scaled, wait_for
from settled.client import Client
from settled.resume import RetryPolicy
from settled.v1 import execution_pb2 as E
from settled.v1 import execution_pb2_grpc as EG
from settled.v1 import types_pb2 as T

FAST = ("--sim-fill-latency-ms", "0", "--sim-partial-fill-share", "0")
MARKET = {"enable_smart_execution": False, "market_open_delay_minutes": 0}
TERMINAL = {T.EXECUTION_STATUS_SUCCESS, T.EXECUTION_STATUS_SUCCESS_WITH_SKIPS,
            T.EXECUTION_STATUS_PARTIAL_SUCCESS, T.EXECUTION_STATUS_FAILURE,
            T.EXECUTION_STATUS_CANCELED}
SETTLEMENT_TYPES = ["BulkSettlementCompleted", "ExecutionPhaseCompleted"]
FAST_RETRY = RetryPolicy(initial=0.05, maximum=0.5)


# ---------------------------------------------------------------- helpers

def plan(plan_id: str, corr: Optional[str] = None, sells=(("AAPL", "-150"), ("NVDA", "-150")),
         buys=(("JPM", "100"), ("GOOGL", "100")), config=MARKET) -> dict:
    """A small ExecutePlanRequest (JSON form) for the demo portfolio."""
    items = []
    for sym, amount in sells:
        items.append({"symbol": sym, "action": "TRADE_ACTION_SELL", "trade_amount": amount,
                      "current_weight": "0.10", "target_weight": "0.09"})
    for sym, amount in buys:
        items.append({"symbol": sym, "action": "TRADE_ACTION_BUY", "trade_amount": amount,
                      "current_weight": "0", "target_weight": "0.01"})
    total = sum(abs(float(a)) for _, a in (*sells, *buys))
    return {"plan": {"plan_id": plan_id, "correlation_id": corr or f"corr-{plan_id}",
                     "causation_id": f"cause-{plan_id}", "items": items,
                     "total_portfolio_value": "79400.00", "total_trade_value": f"{total:.2f}",
                     "max_drift_tolerance": "0.05"},
            "config": dict(config)}


def connect(server, **kw) -> Client:
    client = Client(server.address, retry=FAST_RETRY, **kw)
    grpc.channel_ready_future(client.channel).result(timeout=scaled(10))
    return client


def execute(client: Client, plan_id: str, **kw):
    result = client.execute_plan(plan(plan_id, **kw), timeout=scaled(60))
    assert result.status in TERMINAL, f"{plan_id}: {T.ExecutionStatus.Name(result.status)}"
    return result


def data_dir(server) -> Path:
    return server.tmp / "data"


def journal(data: Path) -> List[tuple]:
    """(seq, event_id, plan_id, type, correlation_id) of every journaled event."""
    db = sqlite3.connect(f"file:{data / 'journal.db'}?mode=ro", uri=True, timeout=10)
    try:
        return [tuple(r) for r in db.execute(
            "SELECT seq, event_id, plan_id, type, correlation_id FROM events ORDER BY seq")]
    finally:
        db.close()


def start_after(call) -> int:
    for key, value in call.initial_metadata() or ():
        if key == "settled-start-after":
            return int(value)
    raise AssertionError(f"no settled-start-after header in {call.initial_metadata()}")


def read_until(call, done: Callable[[list], bool], what: str) -> list:
    """Reads the stream until done(events) is true; the call's own deadline
    (set by the caller) bounds the wait."""
    events = []
    try:
        if done(events):
            return events
        for ev in call:
            events.append(ev)
            if done(events):
                return events
    except grpc.RpcError as e:
        raise AssertionError(f"stream ended with {e.code()} {e.details()!r} before {what}; "
                             f"got sequences {[x.sequence for x in events]}")
    finally:
        call.cancel()
    raise AssertionError(f"stream ended cleanly before {what}; "
                         f"got sequences {[x.sequence for x in events]}")


def seqs(events) -> List[int]:
    return [e.sequence for e in events]


def ids(events) -> List[tuple]:
    return [(e.sequence, e.event_id) for e in events]


def assert_contiguous(numbers: List[int], first: int, last: int, what: str):
    expected = list(range(first, last + 1))
    if numbers != expected:
        dups = [n for n, c in Counter(numbers).items() if c > 1]
        missing = sorted(set(expected) - set(numbers))
        raise AssertionError(f"{what}: expected sequences {first}..{last}; duplicates {dups}, "
                             f"missing {missing}, out of order "
                             f"{numbers != sorted(numbers)}; got {numbers}")


def subscribe(stub, timeout=30, **kw):
    return stub.SubscribeEvents(E.SubscribeEventsRequest(**kw), timeout=scaled(timeout))


def last_seq(data: Path) -> int:
    rows = journal(data)
    return rows[-1][0] if rows else 0


# ---------------------------------------------------------------- start positions

def test_start_positions_from_oldest_after_sequence_and_only_new(launcher):
    server = launcher.start(*FAST)
    client = connect(server)
    stub = EG.ExecutorStub(client.channel)

    # Opened before anything happened: sees plan A live.
    early = subscribe(stub, only_new=True)
    assert start_after(early) == 0

    a = execute(client, "plan-a")
    s_a = a.last_sequence
    assert s_a > 5, a
    early_events = read_until(early, lambda ev: ev and ev[-1].sequence >= s_a, "plan-a's end")
    assert_contiguous(seqs(early_events), 1, s_a, "only_new opened before plan-a")

    # from_oldest after the fact: the same events, with the same ids.
    call = subscribe(stub, from_oldest=True)
    assert start_after(call) == 0
    late = read_until(call, lambda ev: ev and ev[-1].sequence >= s_a, "sequence s_a")
    assert ids(late) == ids(early_events)
    rows = journal(data_dir(server))
    assert [(r[0], r[1]) for r in rows] == ids(late), "stream differs from the journal"
    assert late[0].event_type == "ExecutionStarted" and late[-1].event_type == "TradeExecuted"
    assert all(e.plan_id == "plan-a" for e in late)

    # only_new opened now gets nothing old: its first event is plan B's first.
    fresh = subscribe(stub, only_new=True)
    assert start_after(fresh) == s_a
    # after_sequence in the middle of A: exactly the missed ones, then live.
    k = s_a // 2
    mid = subscribe(stub, after_sequence=k)
    assert start_after(mid) == k
    # after_sequence = the last one: nothing old either.
    at_end = subscribe(stub, after_sequence=s_a)

    b = execute(client, "plan-b")
    s_b = b.last_sequence
    assert s_b > s_a
    fresh_events = read_until(fresh, lambda ev: ev and ev[-1].sequence >= s_b, "plan-b's end")
    assert_contiguous(seqs(fresh_events), s_a + 1, s_b, "only_new opened after plan-a")
    assert {e.plan_id for e in fresh_events} == {"plan-b"}
    mid_events = read_until(mid, lambda ev: ev and ev[-1].sequence >= s_b, "plan-b's end")
    assert_contiguous(seqs(mid_events), k + 1, s_b, f"after_sequence {k}")
    assert ids(mid_events[: s_a - k]) == ids(late[k:])
    end_events = read_until(at_end, lambda ev: ev and ev[-1].sequence >= s_b, "plan-b's end")
    assert ids(end_events) == ids(fresh_events)

    # after_sequence 0 is every event so far.
    everything = read_until(subscribe(stub, after_sequence=0),
                            lambda ev: ev and ev[-1].sequence >= s_b, "plan-b's end")
    assert_contiguous(seqs(everything), 1, s_b, "after_sequence 0")
    assert ids(everything) == [(r[0], r[1]) for r in journal(data_dir(server))]


# ---------------------------------------------------------------- filters

def test_filters_event_types_plan_id_and_correlation_id(launcher):
    server = launcher.start(*FAST)
    client = connect(server)
    stub = EG.ExecutorStub(client.channel)

    live_types = subscribe(stub, only_new=True, event_types=SETTLEMENT_TYPES)
    live_plan = subscribe(stub, only_new=True, plan_id="plan-y")
    live_corr = subscribe(stub, only_new=True, correlation_id="workflow-x")
    for call in (live_types, live_plan, live_corr):
        start_after(call)  # subscribed before the plans

    execute(client, "plan-x", corr="workflow-x")
    execute(client, "plan-y", corr="workflow-y")
    last = execute(client, "plan-z", corr="workflow-x").last_sequence
    everything = read_until(subscribe(stub, from_oldest=True),
                            lambda ev: ev and ev[-1].sequence >= last, "the last event")
    assert ids(everything) == [(r[0], r[1]) for r in journal(data_dir(server))]

    cases = {
        "types": ({"event_types": SETTLEMENT_TYPES},
                  lambda e: e.event_type in SETTLEMENT_TYPES),
        "one type": ({"event_types": ["TradeExecuted"]}, lambda e: e.event_type == "TradeExecuted"),
        "plan": ({"plan_id": "plan-y"}, lambda e: e.plan_id == "plan-y"),
        "correlation": ({"correlation_id": "workflow-x"},
                        lambda e: e.correlation_id == "workflow-x"),
        "types+plan": ({"event_types": ["OrderSubmitted"], "plan_id": "plan-z"},
                       lambda e: e.event_type == "OrderSubmitted" and e.plan_id == "plan-z"),
        "types+correlation": ({"event_types": ["ExecutionPhaseCompleted"],
                               "correlation_id": "workflow-y"},
                              lambda e: e.event_type == "ExecutionPhaseCompleted"
                              and e.correlation_id == "workflow-y"),
    }
    for name, (filters, keep) in cases.items():
        expected = [e for e in everything if keep(e)]
        assert expected, name
        n = len(expected)
        got = read_until(subscribe(stub, from_oldest=True, **filters),
                         lambda ev: len(ev) >= n, f"{n} events ({name})")
        assert ids(got) == ids(expected), f"filter {name}: {filters}"
        # The payload is the one the type names.
        for e in got:
            payload = e.WhichOneof("payload")
            assert payload and e.event_type == getattr(e, payload).DESCRIPTOR.name, e

    # A sentinel after the live filters, so that anything wrongly let through
    # would show up before it.
    sentinel = execute(client, "plan-x2", corr="workflow-x").last_sequence
    expected_types = [e for e in everything if e.event_type in SETTLEMENT_TYPES]
    got = read_until(live_types, lambda ev: ev and ev[-1].plan_id == "plan-x2"
                     and ev[-1].event_type == "ExecutionPhaseCompleted"
                     and ev[-1].execution_phase_completed.phase_type == T.PHASE_TYPE_BUY_PHASE,
                     "plan-x2's buy phase")
    assert ids(got[: len(expected_types)]) == ids(expected_types)
    assert all(e.event_type in SETTLEMENT_TYPES for e in got)
    expected_plan = [e for e in everything if e.plan_id == "plan-y"]
    got = read_until(live_plan, lambda ev: len(ev) >= len(expected_plan), "plan-y's events")
    assert ids(got) == ids(expected_plan)
    expected_corr = [e for e in everything if e.correlation_id == "workflow-x"]
    got = read_until(live_corr, lambda ev: ev and ev[-1].sequence >= sentinel, "plan-x2's end")
    assert ids(got[: len(expected_corr)]) == ids(expected_corr)
    assert {e.plan_id for e in got} == {"plan-x", "plan-z", "plan-x2"}
    assert all(e.correlation_id == "workflow-x" for e in got)


# ---------------------------------------------------------------- retention

def test_start_older_than_retention_is_out_of_range(launcher):
    server = launcher.start(*FAST, "--event-retention-count", "10",
                            "--housekeeping-interval", "1")
    client = connect(server)
    stub = EG.ExecutorStub(client.channel)
    last = 0
    for i in range(3):
        last = execute(client, f"ret-{i}").last_sequence
    assert last > 30

    def oldest_held():
        call = subscribe(stub, from_oldest=True, timeout=5)
        first = start_after(call) + 1
        call.cancel()
        return first if last - first + 1 <= 10 else None

    oldest = wait_for(oldest_held, scaled(15), interval=0.2,
                      what="retention to keep at most 10 events")
    rows = journal(data_dir(server))
    assert rows[0][0] == oldest and rows[-1][0] == last, (oldest, rows[0], rows[-1])

    for after in (0, 1, oldest - 2):
        call = subscribe(stub, after_sequence=after)
        with pytest.raises(grpc.RpcError) as err:
            next(iter(call))
        assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE, (after, err.value)
        details = err.value.details()
        assert re.search(rf"(?<!\d){oldest}(?!\d)", details), \
            f"after_sequence {after}: details {details!r} do not name the oldest {oldest}"

    # The Python client raises it too (not resumable).
    with pytest.raises(grpc.RpcError) as err:
        next(iter(client.subscribe(after=0)))
    assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE

    # from_oldest and after_sequence = oldest - 1 still work.
    got = read_until(subscribe(stub, from_oldest=True),
                     lambda ev: ev and ev[-1].sequence >= last, "the last event")
    assert_contiguous(seqs(got), oldest, last, "from_oldest after retention")
    got = read_until(subscribe(stub, after_sequence=oldest - 1),
                     lambda ev: ev and ev[-1].sequence >= last, "the last event")
    assert_contiguous(seqs(got), oldest, last, "after_sequence oldest-1")
    # And new events keep flowing with the sequence continuing.
    live = subscribe(stub, from_oldest=True, event_types=["TradeExecuted"])
    nxt = execute(client, "ret-next").last_sequence
    got = read_until(live, lambda ev: ev and ev[-1].plan_id == "ret-next", "ret-next")
    assert got[-1].sequence == nxt > last


# ---------------------------------------------------------------- WatchExecution

def test_watch_execution_finished_running_and_unknown(launcher):
    server = launcher.start("--sim-fill-latency-ms", "300", "--sim-partial-fill-share", "0")
    client = connect(server)
    stub = EG.ExecutorStub(client.channel)

    # Unknown plan.
    with pytest.raises(grpc.RpcError) as err:
        list(stub.WatchExecution(E.WatchExecutionRequest(plan_id="no-such-plan"),
                                 timeout=scaled(10)))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND, err.value

    # A finished execution: the whole history, then the stream ends.
    done = execute(client, "watch-done")
    t0 = time.monotonic()
    finished = list(stub.WatchExecution(E.WatchExecutionRequest(plan_id="watch-done"),
                                        timeout=scaled(10)))
    assert time.monotonic() - t0 < scaled(5)
    rows = [r for r in journal(data_dir(server)) if r[2] == "watch-done"]
    assert ids(finished) == [(r[0], r[1]) for r in rows]
    assert finished[0].event_type == "ExecutionStarted"
    assert finished[-1].event_type == "TradeExecuted"
    assert finished[-1].sequence == done.last_sequence

    # A running one: starts from its beginning, follows it live, ends after
    # TradeExecuted.
    r = client.execute_plan(plan("watch-live"), wait=False, timeout=scaled(10))
    assert r.status in (T.EXECUTION_STATUS_RUNNING, T.EXECUTION_STATUS_QUEUED), r
    watch = stub.WatchExecution(E.WatchExecutionRequest(plan_id="watch-live"),
                                timeout=scaled(30))
    live = []
    statuses_during = set()
    for ev in watch:
        live.append(ev)
        if len(live) == 1:
            statuses_during.add(client.get_execution("watch-live").status)
    assert T.EXECUTION_STATUS_RUNNING in statuses_during or T.EXECUTION_STATUS_QUEUED \
        in statuses_during, "the execution had ended before the watch began"
    assert live[-1].event_type == "TradeExecuted"
    assert client.get_execution("watch-live").status in TERMINAL
    rows = [r for r in journal(data_dir(server)) if r[2] == "watch-live"]
    assert ids(live) == [(r[0], r[1]) for r in rows]
    assert seqs(live) == sorted(seqs(live))
    types_seen = [e.event_type for e in live]
    assert types_seen.count("ExecutionPhaseCompleted") == 2
    assert types_seen.index("BulkSettlementCompleted") < len(types_seen) - 1

    # The Python client's watch ends too.
    assert ids(list(client.watch("watch-live"))) == ids(live)


# ---------------------------------------------------------------- slow consumer

SLOW_OPTIONS = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024),
                ("grpc.max_receive_message_length", 1 << 20)]
SLOW_SUBSCRIBERS = 30
NINE = ("AAPL", "MSFT", "NVDA", "AMZN", "SPY", "VTI", "AGG", "GOOGL", "JPM")


def many_events(client: Client, prefix: str, plans: int = 20) -> int:
    last = 0
    for i in range(plans):
        last = execute(client, f"{prefix}-{i}", sells=(),
                       buys=tuple((s, "50") for s in NINE)).last_sequence
    return last


def test_slow_consumer_is_cut_off_and_resumes_without_gap(launcher):
    server = launcher.start(*FAST, "--stream-queue", "2", "--sim-portfolio", "cash",
                            "--sim-cash", "1000000", "--cq-threads", "1")
    client = connect(server)
    # Slow subscribers that never read, each on its own connection with its
    # own receive window (1,100 to 6,900 bytes: 5 to 30 events).
    slow = []
    for i in range(SLOW_SUBSCRIBERS):
        options = dict(SLOW_OPTIONS)
        options["grpc.http2.lookahead_bytes"] = 1100 + 200 * i
        stub = EG.ExecutorStub(server.channel(options=list(options.items())))
        call = stub.SubscribeEvents(E.SubscribeEventsRequest(only_new=True),
                                    timeout=scaled(60))
        slow.append((call, start_after(call)))
    last = many_events(client, "slow", plans=12)
    journaled = [(r[0], r[1]) for r in journal(data_dir(server))]
    misnamed = []
    for i, (call, s0) in enumerate(slow):
        got = []
        with pytest.raises(grpc.RpcError) as err:
            for ev in call:
                got.append(ev)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, \
            f"not cut off ({err.value.code()}); got {len(got)} of {last - s0} events"
        m = re.search(r"resume after sequence (\d+)", err.value.details())
        assert m, err.value.details()
        n = int(m.group(1))
        assert got and n < last, (n, last)
        assert_contiguous(seqs(got), s0 + 1, got[-1].sequence, "before the cut-off")
        assert n <= got[-1].sequence, f"gap: named {n}, but only {got[-1].sequence} arrived"
        if i < 3:
            # Resumed (read promptly) after N: the rest, no gap.
            rest = read_until(subscribe(EG.ExecutorStub(client.channel), after_sequence=n),
                              lambda ev: ev and ev[-1].sequence >= last, "the last event")
            assert_contiguous(seqs(rest), n + 1, last, f"resumed after {n}")
            merged = {e.sequence: e.event_id for e in got + rest}
            assert sorted(merged.items()) == journaled[s0:]
        # The message in flight when the stream was cut may still arrive:
        # at most one event after N (clients drop sequences they have).
        if got[-1].sequence - n > 1:
            misnamed.append((n, seqs(got)))

    # The Python client resumes by itself. It follows TradeExecuted only, so
    # that its first event leaves it caught up and live; it pauses after that
    # event while 20 plans run, is cut off, and carries on after the named
    # sequence.
    slow_client = Client(server.address, retry=FAST_RETRY, options=SLOW_OPTIONS)
    retries = []
    gen = slow_client.subscribe(types=["TradeExecuted"], after=last,
                                on_retry=lambda e, d: retries.append((e.code(), e.details())))
    try:
        first_plan = execute(client, "slow2-first", sells=(),
                             buys=tuple((s, "50") for s in NINE))
        first = next(gen)
        assert first.sequence == first_plan.last_sequence
        last2 = many_events(client, "slow2")
        seen = [first]
        for ev in gen:
            seen.append(ev)
            if ev.sequence >= last2:
                break
    finally:
        gen.close()
        slow_client.close()
    assert first_plan.last_sequence < last2
    assert any(code == grpc.StatusCode.RESOURCE_EXHAUSTED for code, _ in retries), retries
    expected = [(r[0], r[1]) for r in journal(data_dir(server))
                if r[0] > last and r[3] == "TradeExecuted"]
    assert ids(seen) == expected, "Python client across a cut-off"
    assert len(seen) == 21

    # "resume after sequence N" names the last event whose send completed;
    # only the one in flight at the cut-off can have arrived after it (never
    # a gap; at most one repeat, which clients drop).
    assert not misnamed, (
        f"{len(misnamed)} of {SLOW_SUBSCRIBERS} cut-off subscribers received more than one "
        "event after the sequence they were told to resume after; e.g. "
        + "; ".join(f"'resume after sequence {n}' after receiving {got}"
                    for n, got in misnamed[:3]))


# ---------------------------------------------------------------- fan-out

def test_thousand_concurrent_subscribers_see_every_event(launcher):
    server = launcher.start(*FAST)
    client = connect(server)
    execute(client, "fan-warmup")
    subscribers, channels = 1000, 4

    async def run():
        chans = [grpc.aio.insecure_channel(server.address) for _ in range(channels)]
        try:
            stubs = [EG.ExecutorStub(c) for c in chans]
            calls = [stubs[i % channels].SubscribeEvents(
                E.SubscribeEventsRequest(only_new=True), timeout=scaled(90))
                for i in range(subscribers)]
            headers = await asyncio.wait_for(
                asyncio.gather(*(c.initial_metadata() for c in calls)), scaled(60))
            starts = {dict(h).get("settled-start-after") for h in headers}
            assert len(starts) == 1, starts

            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(None, execute, client, "fan-plan")

            async def consume(call):
                out = []
                async for ev in call:
                    out.append((ev.sequence, ev.event_id))
                    if ev.sequence >= result.last_sequence:
                        break
                call.cancel()
                return out

            got = await asyncio.wait_for(asyncio.gather(*(consume(c) for c in calls)),
                                         scaled(90))
            return int(starts.pop()), result, got
        finally:
            await asyncio.gather(*(c.close() for c in chans))

    s0, result, got = asyncio.run(run())
    rows = [(r[0], r[1]) for r in journal(data_dir(server)) if r[0] > s0]
    assert rows[-1][0] == result.last_sequence
    assert_contiguous([r[0] for r in rows], s0 + 1, result.last_sequence, "journal")
    bad = [i for i, g in enumerate(got) if g != rows]
    assert not bad, (f"{len(bad)} of {subscribers} subscribers differ, e.g. #{bad[0]}: "
                     f"{[s for s, _ in got[bad[0]]]} vs {[s for s, _ in rows]}")


# ---------------------------------------------------------------- kill -9 and resume

class Restartable:
    """One settled on a fixed data dir and port, killed and restarted."""

    def __init__(self, launcher, *args: str, env: Optional[dict] = None):
        self.launcher = launcher
        self.args = args
        self.env = env
        self.data = launcher.tmp_path / "shared-data"
        self.server = launcher.start(*args, "--data-dir", str(self.data), env=env)
        self.address = self.server.address
        self.port = self.server.port
        self.logs = [self.server.log_path]

    def kill9(self):
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.process.wait(timeout=scaled(10))

    def restart(self):
        deadline = time.monotonic() + scaled(20)
        while True:  # the port is ours again at once (SO_REUSEADDR); retry briefly
            try:
                self.server = self.launcher.start(
                    *self.args, "--data-dir", str(self.data),
                    listen=f"127.0.0.1:{self.port}", env=self.env)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.logs.append(self.server.log_path)
        assert self.server.address == self.address

    def log(self) -> str:
        return "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self.logs)


class Follower(threading.Thread):
    """Runs Client.subscribe(**kw) in a thread, keeping every event."""

    def __init__(self, address: str, **kw):
        super().__init__(daemon=True)
        self.client = Client(address, retry=FAST_RETRY)
        self.kw = kw
        self.events: List = []
        self.retries: List = []
        self.error: Optional[BaseException] = None
        self.stopping = False

    def run(self):
        try:
            for ev in self.client.subscribe(
                    on_retry=lambda e, d: self.retries.append(e.code()), **self.kw):
                self.events.append(ev)
        except BaseException as e:  # noqa: BLE001 (reported by the test)
            if not self.stopping:
                self.error = e

    def wait_for(self, predicate: Callable[[list], bool], timeout: float, what: str):
        def check():
            if self.error is not None:
                raise AssertionError(f"subscriber failed: {self.error!r}")
            return predicate(self.events)
        return wait_for(check, scaled(timeout), interval=0.01, what=what)

    def stop(self):
        self.stopping = True
        self.client.close()
        self.join(timeout=scaled(10))
        assert not self.is_alive(), "the subscriber thread did not stop"


def wait_all_terminal(rs: Restartable, plan_ids, timeout: float):
    client = Client(rs.address)
    try:
        def done():
            try:
                return all(client.get_execution(p, timeout=5).status in TERMINAL
                           for p in plan_ids)
            except grpc.RpcError:
                return False
        try:
            wait_for(done, scaled(timeout), interval=0.1, what="every plan to end")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{rs.log()}")
        return {p: client.get_execution(p, timeout=5) for p in plan_ids}
    finally:
        client.close()


def submit(address: str, plans: List[dict]):
    client = Client(address)
    try:
        for p in plans:
            r = client.execute_plan(p, wait=False, timeout=scaled(10))
            assert r.status != T.EXECUTION_STATUS_UNSPECIFIED, r
    finally:
        client.close()


def check_against_journal(seen: list, data: Path, keep=lambda row: True):
    rows = [r for r in journal(data) if keep(r)]
    got = ids(seen)
    dups = [s for s, c in Counter(seqs(seen)).items() if c > 1]
    assert not dups, f"duplicates: {dups}"
    assert seqs(seen) == sorted(seqs(seen)), f"out of order: {seqs(seen)}"
    missing = sorted({r[0] for r in rows} - set(seqs(seen)))
    extra = sorted(set(seqs(seen)) - {r[0] for r in rows})
    assert not missing and not extra, f"missing {missing}, not in the journal {extra}"
    assert got == [(r[0], r[1]) for r in rows]


def run_kill_scenario(rs: Restartable, plan_count: int = 3):
    plans = [plan(f"k9-{i}") for i in range(plan_count)]
    follower = Follower(rs.address, after=0)
    follower.start()
    try:
        submit(rs.address, plans)
        # Kill while orders are in flight: once an order of plan 0 (then of
        # plan 1) has been submitted.
        for i, target in enumerate(("k9-0", "k9-1")):
            follower.wait_for(lambda ev: any(e.plan_id == target and
                                             e.event_type == "OrderSubmitted" for e in ev),
                              30, f"an order of {target}")
            rs.kill9()
            # The kill landed while the plan ran.
            assert not [r for r in journal(rs.data)
                        if r[2] == target and r[3] == "TradeExecuted"], f"{target} had ended"
            rs.restart()
        results = wait_all_terminal(rs, [p["plan"]["plan_id"] for p in plans], 60)
        last = last_seq(rs.data)
        follower.wait_for(lambda ev: ev and ev[-1].sequence >= last, 30,
                          f"sequence {last}")
    finally:
        follower.stop()
    assert follower.error is None, follower.error
    assert grpc.StatusCode.UNAVAILABLE in follower.retries, follower.retries
    assert_contiguous(seqs(follower.events), 1, last, "subscriber across two kill -9")
    rs.server.stop()
    check_against_journal(follower.events, rs.data)
    return results


def test_client_subscribe_resumes_across_kill9_inprocess_broker(launcher):
    rs = Restartable(launcher, "--sim-fill-latency-ms", "300", "--sim-partial-fill-share", "0")
    run_kill_scenario(rs)


def test_client_subscribe_resumes_across_kill9_alpaca_sim(launcher, sim_factory):  # noqa: F811
    sim = sim_factory("--fill-latency-ms", "300", "--partial-fill-share", "0",
                      "--rate-limit", "100000")
    env = {"APCA_API_KEY_ID": "sim-key", "APCA_API_SECRET_KEY": "sim-secret",
           "APCA_API_BASE_URL": sim.http, "APCA_API_DATA_URL": sim.http}
    rs = Restartable(launcher, "--broker", "alpaca", env=env)
    run_kill_scenario(rs)
    # No order placed twice at the broker.
    coids = Counter(o["client_order_id"] for o in sim.orders())
    assert all(c == 1 for c in coids.values()), coids


# ---------------------------------------------------------------- acceptance

def test_acceptance_settlement_events_of_20_plans_across_two_restarts(launcher):
    """A Python subscriber following BulkSettlementCompleted and
    ExecutionPhaseCompleted sees every such event of 20 plans executed while
    the server is killed and restarted twice, each exactly once and in
    sequence order."""
    rs = Restartable(launcher, "--sim-fill-latency-ms", "150", "--sim-partial-fill-share", "0")
    plan_ids = [f"acc-{i:02d}" for i in range(20)]
    follower = Follower(rs.address, types=SETTLEMENT_TYPES, from_oldest=True)
    follower.start()
    try:
        submit(rs.address, [plan(p) for p in plan_ids])
        # Three such events a plan: kill after ~4 and ~11 plans.
        for threshold in (12, 33):
            follower.wait_for(lambda ev: len(ev) >= threshold, 60,
                              f"{threshold} settlement/phase events")
            rs.kill9()
            ended = sum(r[3] == "TradeExecuted" for r in journal(rs.data))
            assert ended < len(plan_ids), "every plan had ended before the kill"
            rs.restart()
        wait_all_terminal(rs, plan_ids, 90)
        last_type_seq = max(r[0] for r in journal(rs.data) if r[3] in SETTLEMENT_TYPES)
        follower.wait_for(lambda ev: ev and ev[-1].sequence >= last_type_seq, 30,
                          f"sequence {last_type_seq}")
    finally:
        follower.stop()
    assert follower.error is None, follower.error
    assert follower.retries.count(grpc.StatusCode.UNAVAILABLE) >= 2, follower.retries
    rs.server.stop()
    seen = follower.events
    assert all(e.event_type in SETTLEMENT_TYPES for e in seen)
    check_against_journal(seen, rs.data, keep=lambda r: r[3] in SETTLEMENT_TYPES)
    per_plan = {p: [e for e in seen if e.plan_id == p] for p in plan_ids}
    for p, evs in per_plan.items():
        kinds = Counter(e.event_type if e.event_type != "ExecutionPhaseCompleted" else
                        T.PhaseType.Name(e.execution_phase_completed.phase_type)
                        for e in evs)
        assert kinds == {"BulkSettlementCompleted": 1, "PHASE_TYPE_SELL_PHASE": 1,
                         "PHASE_TYPE_BUY_PHASE": 1}, f"{p}: {kinds}"
    assert {e.plan_id for e in seen} == set(plan_ids)


# ---------------------------------------------------------------- shutdown race

def test_streams_opened_during_sigterm_end_resumably(launcher):
    """A subscriber that (re)connects just as the server is told to stop gets
    UNAVAILABLE, or CANCELLED when grpc core cancels a call that arrived
    after the shutdown began; never anything else. Both clients resume from
    either (the server-side CANCELLED is not the caller's own cancel), and
    the stream that was open ends UNAVAILABLE."""
    seen = Counter()
    for _ in range(5):
        server = launcher.start()
        ch = server.channel()
        grpc.channel_ready_future(ch).result(timeout=scaled(10))
        stub = EG.ExecutorStub(ch)
        first = subscribe(stub, only_new=True)
        start_after(first)
        server.signal(signal.SIGTERM)
        deadline = time.monotonic() + scaled(10)
        while server.process.poll() is None and time.monotonic() < deadline:
            call = subscribe(stub, only_new=True, timeout=2)
            try:
                for _ in call:
                    pass
                seen["OK"] += 1
            except grpc.RpcError as e:
                seen[e.code().name] += 1
        with pytest.raises(grpc.RpcError) as info:
            for _ in first:
                pass
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value.details()
        assert server.wait(scaled(10)) == 0, server.log()
        server.stop()
    assert set(seen) <= {"UNAVAILABLE", "CANCELLED"}, dict(seen)
    from settled.resume import is_resumable
    assert is_resumable(grpc.StatusCode.CANCELLED, "CANCELLED")
    assert is_resumable(grpc.StatusCode.UNAVAILABLE, "server is shutting down")
