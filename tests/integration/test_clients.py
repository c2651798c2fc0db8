"""The clients against the real server: grpcurl, the settledctl CLI and the
Python asyncio client.

- grpcurl runs ExecutePlan from examples/plan.json (the README's command)
  and gets SUCCESS, with every sell filled before any buy was placed
  (the result's orders and Account.ListOrders agree); a grpcurl
  SubscribeEvents stream opened before the plan, filtered on
  BulkSettlementCompleted and ExecutionPhaseCompleted, shows those events;
- settledctl execute / events --from-oldest / account / positions /
  orders --status all work (text and --json);
- settled.aio.AsyncClient: subscribe (live and from the oldest), watch,
  execute_plan, account and positions.
"""

import asyncio
import json
import subprocess
import threading
from datetime import datetime
from typing import List

import grpc
import pytest

from conftest import REPO_ROOT, require_tool, scaled, wait_for
from settled.aio import AsyncClient
from settled.plans import load_request
from settled.v1 import types_pb2 as T

PLAN = REPO_ROOT / "examples" / "plan.json"
PLAN_ID = json.loads(PLAN.read_text())["plan"]["plan_id"]
TYPES = ["BulkSettlementCompleted", "ExecutionPhaseCompleted"]
# The in-process broker without partial fills, so that the example ends SUCCESS.
ARGS = ("--sim-partial-fill-share", "0")


def ts(text: str) -> datetime:
    """An RFC 3339 timestamp as grpcurl prints it (nanoseconds cut to micro)."""
    text = text.rstrip("Z")
    if "." in text:
        head, frac = text.split(".")
        text = f"{head}.{frac[:6]:0<6}"
    return datetime.fromisoformat(text)


def json_objects(text: str) -> List[dict]:
    """The top-level JSON objects in grpcurl's output (one per message)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        i = text.find("\n{", i)
        if i < 0:
            return out
        obj, end = dec.raw_decode(text, i + 1)
        out.append(obj)
        i = end


class Reader(threading.Thread):
    """Collects a process's stdout as it comes."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc = proc
        self.chunks: List[str] = []

    def run(self):
        for line in self.proc.stdout:
            self.chunks.append(line)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def test_grpcurl_executes_the_example_plan_sells_before_buys(launcher):
    grpcurl = require_tool("grpcurl")
    server = launcher.start(*ARGS)
    addr = server.address

    # The README's settlement/phase subscription, opened before the plan.
    sub = subprocess.Popen(
        [grpcurl, "-v", "-plaintext", "-d", json.dumps({"event_types": TYPES}), addr,
         "settled.v1.Executor/SubscribeEvents"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = Reader(sub)
    reader.start()
    try:
        wait_for(lambda: "settled-start-after:" in reader.text or sub.poll() is not None,
                 scaled(15), what="the grpcurl subscription's headers")
        assert sub.poll() is None, reader.text

        with open(PLAN) as plan:
            out = subprocess.run(
                [grpcurl, "-plaintext", "-max-time", str(int(scaled(120))), "-d", "@", addr,
                 "settled.v1.Executor/ExecutePlan"],
                stdin=plan, capture_output=True, text=True, timeout=scaled(150))
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["status"] == "EXECUTION_STATUS_SUCCESS", result
        assert result["planId"] == PLAN_ID and result["success"] is True

        wait_for(lambda: sum(o.get("eventType") == "ExecutionPhaseCompleted"
                             for o in json_objects(reader.text)) >= 2 or sub.poll() is not None,
                 scaled(15), what="both phases on the grpcurl stream")
    finally:
        sub.kill()
        sub.wait()
        reader.join(timeout=scaled(5))
    events = json_objects(reader.text)
    assert [e["eventType"] for e in events] == [
        "BulkSettlementCompleted", "ExecutionPhaseCompleted", "ExecutionPhaseCompleted"], \
        reader.text
    bulk, sell_phase, buy_phase = events
    assert all(e["planId"] == PLAN_ID for e in events)
    seq = [int(e["sequence"]) for e in events]
    assert seq == sorted(seq) and len(set(seq)) == 3
    assert sell_phase["executionPhaseCompleted"]["phaseType"] == "PHASE_TYPE_SELL_PHASE"
    assert buy_phase["executionPhaseCompleted"]["phaseType"] == "PHASE_TYPE_BUY_PHASE"
    assert bulk["bulkSettlementCompleted"]["executionPlanId"] == PLAN_ID
    assert float(bulk["bulkSettlementCompleted"]["totalBuyingPowerReleased"]) > 0
    assert int(result["lastSequence"]) > seq[-1]

    # Sells filled before the buys were placed, in the result...
    orders = result["orders"]
    sells = [o for o in orders if o["action"] == "TRADE_ACTION_SELL"]
    buys = [o for o in orders if o["action"] == "TRADE_ACTION_BUY"]
    assert {o["symbol"] for o in sells} == {"AAPL", "AGG"}
    assert {o["symbol"] for o in buys} == {"GOOGL", "JPM"}
    assert all(o["status"] == "ORDER_STATUS_FILLED" for o in sells + buys), orders
    last_sell_fill = max(ts(o["filledAt"]) for o in sells)
    assert last_sell_fill <= min(ts(o["filledAt"]) for o in buys)

    # ... and at the broker: every buy order was created after the last sell fill.
    out = subprocess.run([grpcurl, "-plaintext", "-d", '{"status":"ORDER_QUERY_STATUS_ALL"}',
                          addr, "settled.v1.Account/ListOrders"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert out.returncode == 0, out.stderr
    broker = json.loads(out.stdout)["orders"]
    b_sells = [o for o in broker if o["side"] == "TRADE_ACTION_SELL"]
    b_buys = [o for o in broker if o["side"] == "TRADE_ACTION_BUY"]
    assert b_sells and b_buys
    assert all("filledAt" in o for o in b_sells if o["status"] == "ORDER_STATUS_FILLED")
    filled_sells = [ts(o["filledAt"]) for o in b_sells if "filledAt" in o]
    assert max(filled_sells) <= min(ts(o["createdAt"]) for o in b_buys), broker
    assert {o["symbol"] for o in b_sells} == {"AAPL", "AGG"}
    assert {o["symbol"] for o in b_buys} == {"GOOGL", "JPM"}

    # The same plan again re-attaches: same result, no new order.
    with open(PLAN) as plan:
        again = subprocess.run([grpcurl, "-plaintext", "-d", "@", addr,
                                "settled.v1.Executor/ExecutePlan"],
                               stdin=plan, capture_output=True, text=True,
                               timeout=scaled(60))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["lastSequence"] == result["lastSequence"]
    out = subprocess.run([grpcurl, "-plaintext", "-d", '{"status":"ORDER_QUERY_STATUS_ALL"}',
                          addr, "settled.v1.Account/ListOrders"],
                         capture_output=True, text=True, timeout=scaled(30))
    assert len(json.loads(out.stdout)["orders"]) == len(broker)


def settledctl(server, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    exe = require_tool("settledctl")
    return subprocess.run([exe, "--target", server.address, *args], capture_output=True,
                          text=True, timeout=scaled(timeout))


def test_settledctl_against_the_real_server(launcher):
    server = launcher.start(*ARGS)

    out = settledctl(server, "execute", str(PLAN))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"plan {PLAN_ID}: SUCCESS" in out.stdout, out.stdout
    for sym in ("AAPL", "AGG", "GOOGL", "JPM"):
        assert sym in out.stdout

    out = settledctl(server, "events", "--from-oldest")
    assert out.returncode == 0, out.stderr
    lines = [ln.split() for ln in out.stdout.splitlines() if ln.strip()]
    types = [ln[2] for ln in lines]
    assert types[0] == "ExecutionStarted" and types[-1] == "TradeExecuted", out.stdout
    assert [int(ln[0]) for ln in lines] == list(range(1, len(lines) + 1))
    assert types.count("BulkSettlementCompleted") == 1
    assert types.count("ExecutionPhaseCompleted") == 2
    assert all(ln[3] == PLAN_ID for ln in lines)
    # Filtered, as JSON.
    out = settledctl(server, "events", "--from-oldest", "--type", "TradeExecuted", "--json")
    assert out.returncode == 0, out.stderr
    evs = [json.loads(ln) for ln in out.stdout.splitlines() if ln.strip()]
    assert [e["eventType"] for e in evs] == ["TradeExecuted"]
    assert int(evs[0]["sequence"]) == len(lines)

    out = settledctl(server, "account")
    assert out.returncode == 0, out.stderr
    assert "cash" in out.stdout and "sim" in out.stdout, out.stdout
    out = settledctl(server, "account", "--json")
    account = json.loads(out.stdout)
    assert float(account["cash"]) > 0

    out = settledctl(server, "positions")
    assert out.returncode == 0, out.stderr
    held = {ln.split()[0] for ln in out.stdout.splitlines()[1:] if ln.strip()}
    assert {"GOOGL", "JPM", "AAPL"} <= held and "AGG" not in held, out.stdout

    out = settledctl(server, "orders", "--status", "all")
    assert out.returncode == 0, out.stderr
    rows = [ln.split() for ln in out.stdout.splitlines()[1:] if ln.strip()]
    assert sorted((r[0], r[1]) for r in rows) == [
        ("AAPL", "SELL"), ("AGG", "SELL"), ("GOOGL", "BUY"), ("JPM", "BUY")], out.stdout
    assert all("FILLED" in r for r in rows)
    out = settledctl(server, "orders")  # open orders: none left
    assert out.returncode == 0, out.stderr
    assert not [ln for ln in out.stdout.splitlines()[1:] if ln.strip()], out.stdout

    out = settledctl(server, "get", PLAN_ID, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "EXECUTION_STATUS_SUCCESS"

    # An RPC error exits 3 (unknown execution).
    out = settledctl(server, "get", "no-such-plan")
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr)
    assert "NOT_FOUND" in out.stderr


def test_async_client_subscribe_watch_and_execute(launcher):
    server = launcher.start(*ARGS, "--sim-fill-latency-ms", "50")
    request = load_request(PLAN)

    async def run():
        async with AsyncClient(server.address) as client:
            # Follows the plan live while it runs (after sequence 0 of a new
            # server: no race with the stream's opening).
            live = client.subscribe(types=TYPES + ["TradeExecuted"], after=0)
            seen = []

            async def follow():
                async for ev in live:
                    seen.append(ev)
                    if ev.event_type == "TradeExecuted":
                        return

            follower = asyncio.create_task(follow())
            result = await client.execute_plan(request, timeout=scaled(120))
            await asyncio.wait_for(follower, scaled(30))

            watched = [ev async for ev in client.watch(PLAN_ID)]
            oldest = []
            async for ev in client.subscribe(from_oldest=True):
                oldest.append(ev)
                if ev.sequence >= result.last_sequence:
                    break
            account = await client.account(timeout=scaled(10))
            positions = await client.positions(timeout=scaled(10))
            with pytest.raises(grpc.RpcError) as err:
                await client.get_execution("no-such-plan", timeout=scaled(10))
            return result, seen, watched, oldest, account, positions, err.value.code()

    result, seen, watched, oldest, account, positions, code = asyncio.run(run())
    assert result.status == T.EXECUTION_STATUS_SUCCESS, result
    assert code == grpc.StatusCode.NOT_FOUND
    assert [e.event_type for e in seen] == TYPES + ["ExecutionPhaseCompleted", "TradeExecuted"]
    assert [e.sequence for e in seen] == sorted(e.sequence for e in seen)
    assert seen[-1].sequence == result.last_sequence
    assert [e.sequence for e in oldest] == list(range(1, result.last_sequence + 1))
    assert [(e.sequence, e.event_id) for e in watched] == \
        [(e.sequence, e.event_id) for e in oldest]
    assert {(e.sequence, e.event_id) for e in seen} <= {(e.sequence, e.event_id) for e in oldest}
    assert float(account.cash) > 0
    assert {"GOOGL", "JPM"} <= {p.symbol for p in positions}
