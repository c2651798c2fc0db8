"""Shared helpers for the settled.v1 black-box tests.

The Python stubs are generated from proto/settled/v1/*.proto with
grpcio-tools into a temporary directory the first time this module is
imported (nothing generated is committed); the directory is removed at exit.

    from settled_client import pb, Client, plan, item, fast_config
"""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "proto"
MULTIPLIER = float(os.environ.get("SETTLED_TEST_TIMEOUT_MULTIPLIER", "1"))

_MODULES = ("types", "plan", "events", "execution", "account", "pricing")


def scaled(seconds: float) -> float:
    return seconds * MULTIPLIER


def _generate() -> types.SimpleNamespace:
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    out = tempfile.mkdtemp(prefix="settled-stubs-")
    atexit.register(shutil.rmtree, out, True)
    protos = sorted(str(p) for p in (PROTO_DIR / "settled" / "v1").glob("*.proto"))
    res = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{include}",
         f"--python_out={out}", f"--grpc_python_out={out}", *protos],
        capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"protoc failed: {res.stderr}")
    # Regular packages, first on the path: they win over any installed
    # `settled` package.
    for pkg in ("settled", "settled/v1"):
        Path(out, pkg, "__init__.py").touch()
    for name in [m for m in sys.modules if m == "settled" or m.startswith("settled.")]:
        del sys.modules[name]
    sys.path.insert(0, out)
    ns = types.SimpleNamespace()
    for m in _MODULES:
        setattr(ns, m, importlib.import_module(f"settled.v1.{m}_pb2"))
        setattr(ns, m + "_grpc", importlib.import_module(f"settled.v1.{m}_pb2_grpc"))
    return ns


pb = _generate()
from google.protobuf import duration_pb2  # noqa: E402

# Short names.
BUY = pb.types.TRADE_ACTION_BUY
SELL = pb.types.TRADE_ACTION_SELL
HOLD = pb.types.TRADE_ACTION_HOLD
ES = pb.types.ExecutionStatus
QUEUED = pb.types.EXECUTION_STATUS_QUEUED
RUNNING = pb.types.EXECUTION_STATUS_RUNNING
SUCCESS = pb.types.EXECUTION_STATUS_SUCCESS
SUCCESS_WITH_SKIPS = pb.types.EXECUTION_STATUS_SUCCESS_WITH_SKIPS
PARTIAL_SUCCESS = pb.types.EXECUTION_STATUS_PARTIAL_SUCCESS
FAILURE = pb.types.EXECUTION_STATUS_FAILURE
CANCELED = pb.types.EXECUTION_STATUS_CANCELED
TERMINAL = {SUCCESS, SUCCESS_WITH_SKIPS, PARTIAL_SUCCESS, FAILURE, CANCELED}


def status_name(s: int) -> str:
    return pb.types.ExecutionStatus.Name(s)


class Client:
    """The three settled.v1 services over one channel."""

    def __init__(self, channel: grpc.Channel):
        self.channel = channel
        self.executor = pb.execution_grpc.ExecutorStub(channel)
        self.account = pb.account_grpc.AccountStub(channel)
        self.pricing = pb.pricing_grpc.PricingStub(channel)

    # Executor
    def execute(self, plan_msg, config=None, dry_run=False, detach=False,
                timeout: float = 30.0):
        req = pb.execution.ExecutePlanRequest(dry_run=dry_run, detach=detach)
        if plan_msg is not None:
            req.plan.CopyFrom(plan_msg)
        if config is not None:
            req.config.CopyFrom(config)
        return self.executor.ExecutePlan(req, timeout=scaled(timeout))

    def get(self, plan_id: str, timeout: float = 10.0):
        return self.executor.GetExecution(
            pb.execution.GetExecutionRequest(plan_id=plan_id), timeout=scaled(timeout))

    def cancel(self, plan_id: str, reason: str = "", timeout: float = 20.0):
        return self.executor.CancelExecution(
            pb.execution.CancelExecutionRequest(plan_id=plan_id, reason=reason),
            timeout=scaled(timeout))

    def list_executions(self, page_size=0, page_token="", statuses=(), timeout=10.0):
        return self.executor.ListExecutions(
            pb.execution.ListExecutionsRequest(page_size=page_size, page_token=page_token,
                                               statuses=list(statuses)),
            timeout=scaled(timeout))

    def wait_terminal(self, plan_id: str, timeout: float = 60.0):
        """Polls GetExecution until the execution is terminal."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            r = self.get(plan_id)
            if r.status in TERMINAL:
                return r
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{plan_id} still {status_name(r.status)} after {scaled(timeout):.0f}s")
            time.sleep(0.05)

    def wait_status(self, plan_id: str, statuses, timeout: float = 30.0):
        deadline = time.monotonic() + scaled(timeout)
        state = "unknown"
        while True:
            try:
                r = self.get(plan_id)
                if r.status in statuses:
                    return r
                state = status_name(r.status)
            except grpc.RpcError as e:  # Not submitted yet.
                if e.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{plan_id} still {state}")
            time.sleep(0.02)

    # Account
    def orders(self, status=None, limit=500, symbols=(), timeout=10.0):
        if status is None:
            status = pb.account.ORDER_QUERY_STATUS_ALL
        return list(self.account.ListOrders(
            pb.account.ListOrdersRequest(status=status, limit=limit, symbols=list(symbols)),
            timeout=scaled(timeout)).orders)

    def positions(self, timeout=10.0) -> Dict[str, object]:
        resp = self.account.ListPositions(pb.account.ListPositionsRequest(),
                                          timeout=scaled(timeout))
        return {p.symbol: p for p in resp.positions}

    def account_info(self, timeout=10.0):
        return self.account.GetAccount(pb.account.GetAccountRequest(), timeout=scaled(timeout))


def item(symbol: str, action: int, amount: Optional[str] = None,
         target_weight: Optional[str] = None, **kw):
    it = pb.plan.RebalancePlanItem(symbol=symbol, action=action, **kw)
    if amount is not None:
        it.trade_amount = amount
    if target_weight is not None:
        it.target_weight = target_weight
    return it


def plan(plan_id: str, items: Iterable, ttl_seconds: Optional[float] = None,
         timestamp: Optional[float] = None, **kw):
    p = pb.plan.RebalancePlan(plan_id=plan_id, items=list(items), **kw)
    if ttl_seconds is not None:
        d = duration_pb2.Duration()
        d.seconds = int(ttl_seconds) if ttl_seconds >= 0 else -int(-ttl_seconds)
        p.time_to_live.CopyFrom(d)
    if timestamp is not None:
        p.timestamp.seconds = int(timestamp)
        p.timestamp.nanos = int((timestamp - int(timestamp)) * 1e9)
    return p


def fast_config(fill_wait: str = "0.5", max_repegs: int = 2, max_wait: Optional[str] = None,
                **kw):
    """Short timings: half-second re-pegs, no market-open delay."""
    c = pb.plan.ExecutionConfig(fill_wait_seconds=fill_wait, **kw)
    c.max_repegs_per_order.value = max_repegs
    c.market_open_delay_minutes.value = 0
    if max_wait is not None:
        c.max_wait_seconds = max_wait
    return c


def alpaca_env(sim) -> Dict[str, str]:
    """The Alpaca SDK variables that point settled at an alpaca-sim."""
    return {
        "APCA_API_KEY_ID": "sim-key",
        "APCA_API_SECRET_KEY": "sim-secret",
        "APCA_API_BASE_URL": sim.http,
        "APCA_API_DATA_URL": sim.http,
    }


def connect(server) -> Client:
    ch = server.channel()
    grpc.channel_ready_future(ch).result(timeout=scaled(10))
    return Client(ch)


def ts_ns(ts) -> int:
    """A protobuf Timestamp as ns (0 when unset)."""
    return ts.seconds * 1_000_000_000 + ts.nanos


def dec(s: str) -> float:
    return float(s) if s else 0.0


def order_summary(orders: List[object]) -> str:
    return "\n".join(
        f"  {o.symbol} {pb.types.TradeAction.Name(o.action)} req={o.requested_shares} "
        f"filled={o.shares} ok={o.success} skip={o.skipped}({o.skip_reason}) "
        f"repegs={o.repeg_count} mkt={o.escalated_to_market} ids={list(o.order_ids)} "
        f"err={o.error_message}" for o in orders)
