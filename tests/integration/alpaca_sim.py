"""Starts alpaca-sim (the loopback Alpaca server) for black-box tests.

The binary is $ALPACA_SIM_BIN (default: bazel-bin/server/alpaca-sim of this
checkout). Every instance listens on 127.0.0.1:0 in the test's tmp dir and
announces its address through --ready-file; nothing waits with fixed sleeps.
Deadlines scale with SETTLED_TEST_TIMEOUT_MULTIPLIER.

Use from a test module:

    from alpaca_sim import sim_factory, wait_for  # noqa: F401 (fixture)

    def test_x(sim_factory):
        sim = sim_factory("--rate-limit", "5")
        sim.get("/v2/account").json()
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, List, Optional

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
MULTIPLIER = float(os.environ.get("SETTLED_TEST_TIMEOUT_MULTIPLIER", "1"))
KEY_ID = "sim-key"
SECRET_KEY = "sim-secret"


def scaled(seconds: float) -> float:
    """A deadline in seconds, scaled for slow machines."""
    return seconds * MULTIPLIER


def sim_bin() -> Path:
    path = Path(os.environ.get("ALPACA_SIM_BIN", REPO_ROOT / "bazel-bin/server/alpaca-sim"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def wait_for(predicate: Callable, timeout: float = 10.0, interval: float = 0.02,
             what: str = "condition"):
    """Polls predicate() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {scaled(timeout):.1f}s waiting for {what}")
        time.sleep(interval)


class AlpacaSim:
    """A running alpaca-sim process and a keep-alive HTTP session to it."""

    def __init__(self, process: subprocess.Popen, address: str, tmp: Path, log_path: Path):
        self.process = process
        self.address = address
        self.tmp = tmp
        self.log_path = log_path
        self.session = requests.Session()
        self.session.headers.update(
            {"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET_KEY})

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http(self) -> str:
        return f"http://{self.address}"

    @property
    def ws(self) -> str:
        return f"ws://{self.address}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # Authenticated REST (the Alpaca API).
    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", scaled(10))
        return self.session.request(method, self.http + path, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> requests.Response:
        return self.request("POST", path, json=body, **kw)

    # The /_sim/ control API (no auth).
    def control(self, method: str, path: str, body=None):
        r = requests.request(method, self.http + path, json=body, timeout=scaled(10))
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def state(self) -> dict:
        return self.control("GET", "/_sim/state")

    def orders(self) -> List[dict]:
        return self.control("GET", "/_sim/orders")

    def events(self) -> List[dict]:
        """Every trade_updates message emitted so far, oldest first."""
        return [e["message"] for e in self.control("GET", "/_sim/log")]

    def quote(self, symbol: str, bid, ask, bid_size: int = 100, ask_size: int = 100):
        return self.control("POST", "/_sim/quote", {
            "symbol": symbol, "bid": bid, "ask": ask,
            "bid_size": bid_size, "ask_size": ask_size})

    def faults(self, **kw) -> dict:
        return self.control("POST", "/_sim/faults", kw)

    def drop_streams(self, which: str = "all") -> int:
        return self.control("POST", "/_sim/drop_streams", {"which": which})["dropped"]

    def fill(self, order_id: str, qty=None, price=None) -> dict:
        body = {}
        if qty is not None:
            body["qty"] = qty
        if price is not None:
            body["price"] = price
        return self.control("POST", f"/_sim/orders/{order_id}/fill", body)

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, sig)

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after the deadline. Returns the exit code."""
        self.session.close()
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def start_sim(tmp: Path, *args: str, name: str = "sim") -> AlpacaSim:
    """Starts alpaca-sim with args and waits for its ready file."""
    binary = sim_bin()
    if not binary.exists():
        pytest.skip(f"alpaca-sim not built: {binary} (bazel build //server:alpaca-sim)")
    tmp.mkdir(parents=True, exist_ok=True)
    ready = tmp / f"{name}.ready"
    log_path = tmp / f"{name}.log"
    if ready.exists():
        ready.unlink()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(binary), "--listen", "127.0.0.1:0", "--ready-file", str(ready), *args],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def is_ready():
        if process.poll() is not None:
            raise RuntimeError(
                f"alpaca-sim exited with {process.returncode}: {log_path.read_text()}")
        return ready.exists() and ready.read_text().endswith("\n")

    try:
        wait_for(is_ready, timeout=15, what="alpaca-sim ready file")
    except Exception:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise
    return AlpacaSim(process, ready.read_text().strip(), tmp, log_path)


@pytest.fixture
def sim_factory(tmp_path):
    """Starts alpaca-sim instances (args as for the binary); stops them at teardown."""
    sims: List[AlpacaSim] = []

    def start(*args: str) -> AlpacaSim:
        sim = start_sim(tmp_path, *args, name=f"sim{len(sims)}")
        sims.append(sim)
        return sim

    yield start
    failures = []
    for sim in sims:
        killed = sim.process.poll() is not None  # A test ended it on purpose.
        code = sim.stop()
        if not killed and code != 0:
            failures.append(f"alpaca-sim exited with {code}:\n{sim.log()}")
    assert not failures, "\n".join(failures)


def ws_json(frame) -> object:
    """Decodes a trade_updates or JSON data frame (text or binary)."""
    return json.loads(frame)
