"""Shared helpers of the Python benchmarks in bench/ (not a test module).

- stubs(): generates the settled.v1 Python stubs from proto/settled/v1/*.proto
  into a temp dir with grpcio-tools and imports them;
- Proc / start_settled() / start_sim(): start settled and alpaca-sim on
  127.0.0.1:0 with a ready file (no fixed sleeps) and stop them by pid;
- cpu_seconds() / peak_rss_kib(): the server's utime+stime (/proc/PID/stat)
  and VmHWM (/proc/PID/status);
- percentile() and a small table printer.

Binaries: $SETTLED_BIN and $ALPACA_SIM_BIN, default bazel-bin/server/... of
this checkout (bench/engine.sh copies the optimized build to a temp dir and
sets both).
"""

import atexit
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import List, Optional

REPO_ROOT = Path(__file__).resolve().parents[1]
SIM_KEY_ID = "sim-key"
SIM_SECRET_KEY = "sim-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")

_TMP_ROOT: Optional[Path] = None
_PROCS: List["Proc"] = []


def tmp_root() -> Path:
    """One temp dir per benchmark run, removed at exit (KEEP_TMP=1 keeps it)."""
    global _TMP_ROOT
    if _TMP_ROOT is None:
        _TMP_ROOT = Path(tempfile.mkdtemp(prefix="settled-bench."))

        def cleanup():
            for p in list(_PROCS):
                p.stop()
            if os.environ.get("KEEP_TMP") == "1":
                print(f"bench: kept {_TMP_ROOT}", file=sys.stderr)
            else:
                shutil.rmtree(_TMP_ROOT, ignore_errors=True)

        atexit.register(cleanup)
        # SIGTERM/SIGINT: run the atexit cleanup (stops the servers).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return _TMP_ROOT


def stubs():
    """Returns (types_pb2, plan_pb2, execution_pb2, execution_pb2_grpc)."""
    out = tmp_root() / "stubs"
    if not (out / "settled" / "v1" / "execution_pb2_grpc.py").exists():
        out.mkdir(parents=True, exist_ok=True)
        from grpc_tools import protoc
        import grpc_tools

        std = Path(grpc_tools.__file__).parent / "_proto"
        protos = sorted(str(p.relative_to(REPO_ROOT / "proto"))
                        for p in (REPO_ROOT / "proto/settled/v1").glob("*.proto"))
        rc = protoc.main(["grpc_tools.protoc", f"-I{REPO_ROOT / 'proto'}", f"-I{std}",
                          f"--python_out={out}", f"--grpc_python_out={out}", *protos])
        if rc != 0:
            raise SystemExit(f"bench: protoc failed ({rc})")
        for d in (out / "settled", out / "settled" / "v1"):
            (d / "__init__.py").touch()
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    mods = [importlib.import_module(f"settled.v1.{m}")
            for m in ("types_pb2", "plan_pb2", "execution_pb2", "execution_pb2_grpc")]
    return tuple(mods)


def binary(env_name: str, default: str) -> Path:
    path = Path(os.environ.get(env_name) or REPO_ROOT / default)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        raise SystemExit(f"bench: {path} not found (bazel build -c opt //server:settled "
                         f"//server:alpaca-sim, or set {env_name})")
    return path


class Proc:
    """A server process started with --listen 127.0.0.1:0 --ready-file."""

    def __init__(self, name: str, args: List[str], env: Optional[dict] = None,
                 ready_timeout: float = 20.0):
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=name + ".", dir=tmp_root()))
        ready = self.dir / "ready"
        self.log_path = self.dir / "log"
        full = [*args, "--listen", "127.0.0.1:0", "--ready-file", str(ready)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(full, cwd=self.dir, env=env,
                                            stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log)
        _PROCS.append(self)
        deadline = time.monotonic() + ready_timeout
        while True:
            if ready.exists():
                text = ready.read_text()
                if text.endswith("\n") and text.strip():
                    self.address = text.strip()
                    break
            if self.process.poll() is not None:
                raise SystemExit(f"bench: {name} exited with {self.process.returncode}:\n"
                                 f"{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"bench: {name} not ready after {ready_timeout:.0f} s:\n"
                                 f"{self.log()}")
            time.sleep(0.02)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM this pid, SIGKILL after timeout."""
        if self in _PROCS:
            _PROCS.remove(self)
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    # /proc figures of the running process.
    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime

    def peak_rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SETTLED_", "APCA_", "ALPACA_SIM_"))}


def start_sim(*args: str) -> "Sim":
    return Sim(args)


class Sim(Proc):
    def __init__(self, args):
        super().__init__("alpaca-sim",
                         [str(binary("ALPACA_SIM_BIN", "bazel-bin/server/alpaca-sim")),
                          "--log-level", "warn", *args], env=_clean_env())

    @property
    def http(self) -> str:
        return f"http://{self.address}"

    def control(self, method: str, path: str):
        req = urllib.request.Request(self.http + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def orders(self) -> List[dict]:
        return self.control("GET", "/_sim/orders")


def start_settled(*args: str, alpaca: Optional[Sim] = None) -> Proc:
    """settled with a fresh --data-dir; over alpaca-sim when alpaca is given."""
    env = _clean_env()
    extra = []
    if alpaca is not None:
        env.update(APCA_API_KEY_ID=SIM_KEY_ID, APCA_API_SECRET_KEY=SIM_SECRET_KEY,
                   APCA_API_BASE_URL=alpaca.http, APCA_API_DATA_URL=alpaca.http)
        extra = ["--broker", "alpaca"]
    data = Path(tempfile.mkdtemp(prefix="data.", dir=tmp_root()))
    return Proc("settled",
                [str(binary("SETTLED_BIN", "bazel-bin/server/settled")),
                 "--data-dir", str(data), "--log-level", "warn",
                 "--shutdown-timeout", "2", *extra, *args], env=env)


def parse_ns(ts: str) -> int:
    """RFC3339 UTC time with up to 9 fractional digits -> ns since the epoch."""
    if not ts:
        raise ValueError("empty time")
    ts = ts.strip()
    if ts.endswith("Z"):
        ts = ts[:-1]
    elif ts.endswith("+00:00"):
        ts = ts[:-6]
    whole, _, frac = ts.partition(".")
    import calendar
    secs = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return secs * 1_000_000_000 + int((frac + "000000000")[:9])


def percentile(values: List[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def table(headers: List[str], rows: List[list]) -> str:
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
