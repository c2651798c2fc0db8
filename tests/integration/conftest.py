"""Fixtures that start the real settled binary for black-box tests.

The binary is $SETTLED_BIN (default: bazel-bin/server/settled of this
checkout). Every server gets its own tmp dir, listens on 127.0.0.1:0 and
announces its address through --ready-file; nothing waits with fixed sleeps.

Environment:
  SETTLED_BIN                    the binary under test
  SETTLED_TEST_SHUTDOWN_TIMEOUT  --shutdown-timeout given to servers (default 2)
  SETTLED_TEST_TIMEOUT_MULTIPLIER  scales every deadline (slow machines, valgrind)
  SETTLED_REQUIRE_TOOLS=1        fail instead of skip when grpcurl etc. are missing
"""

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import grpc
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MULTIPLIER = float(os.environ.get("SETTLED_TEST_TIMEOUT_MULTIPLIER", "1"))
SHUTDOWN_TIMEOUT = os.environ.get("SETTLED_TEST_SHUTDOWN_TIMEOUT", "2")


def scaled(seconds: float) -> float:
    """A deadline in seconds, scaled for slow machines."""
    return seconds * MULTIPLIER


def settled_bin() -> Path:
    path = Path(os.environ.get("SETTLED_BIN", REPO_ROOT / "bazel-bin/server/settled"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def wait_for(predicate, timeout: float, interval: float = 0.02, what: str = "condition"):
    """Polls predicate() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Server:
    """A running settled process."""

    process: subprocess.Popen
    address: str  # HOST:PORT as written to the ready file
    tmp: Path
    log_path: Path  # the server's stderr (its log)
    stdout_path: Path
    channels: List[grpc.Channel] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def channel(self, options=None) -> grpc.Channel:
        """A new insecure channel to the server, closed at teardown."""
        ch = grpc.insecure_channel(self.address, options=options or [])
        self.channels.append(ch)
        return ch

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout: float) -> Optional[int]:
        """The exit code, or None if still running after timeout seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after the deadline. Returns the exit code."""
        for ch in self.channels:
            ch.close()
        self.channels.clear()
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            if self.wait(scaled(timeout)) is None:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


class Launcher:
    """Starts settled processes in a test's tmp dir and stops them at teardown."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.servers: List[Server] = []
        self.count = 0

    def start(
        self,
        *extra_args: str,
        listen: Optional[str] = "127.0.0.1:0",
        env: Optional[dict] = None,
        wait_ready: bool = True,
        ready_timeout: float = 15.0,
    ) -> Server:
        """Starts the binary with --listen, --ready-file, --data-dir and
        --shutdown-timeout, plus extra_args; waits for the ready file."""
        binary = settled_bin()
        if not binary.exists():
            pytest.fail(f"settled binary not found at {binary} (set SETTLED_BIN)")
        self.count += 1
        tmp = self.tmp_path / f"server{self.count}"
        tmp.mkdir()
        ready = tmp / "ready"
        args = [str(binary)]
        if listen is not None:
            args += ["--listen", listen]
        args += [
            "--ready-file", str(ready),
            "--data-dir", str(tmp / "data"),
            "--shutdown-timeout", SHUTDOWN_TIMEOUT,
            *extra_args,
        ]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SETTLED_")}
        full_env.update(env or {})
        log_path = tmp / "stderr.log"
        stdout_path = tmp / "stdout.log"
        with open(log_path, "wb") as err, open(stdout_path, "wb") as out:
            proc = subprocess.Popen(
                args, cwd=tmp, env=full_env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err,
            )
        server = Server(process=proc, address="", tmp=tmp, log_path=log_path,
                        stdout_path=stdout_path)
        self.servers.append(server)
        if wait_ready:
            server.address = self.wait_ready(server, ready, ready_timeout)
        return server

    @staticmethod
    def wait_ready(server: Server, ready: Path, timeout: float) -> str:
        def check():
            if ready.exists():
                text = ready.read_text()
                if text.endswith("\n") and text.strip():
                    return text.strip()
            if server.process.poll() is not None:
                raise AssertionError(
                    f"settled exited with {server.process.returncode} before it "
                    f"was ready; stderr:\n{server.log()}"
                )
            return None

        try:
            return wait_for(check, scaled(timeout), what="the ready file")
        except TimeoutError:
            raise AssertionError(
                f"settled did not write {ready} within {scaled(timeout):.0f}s; "
                f"stderr:\n{server.log()}"
            )

    def stop_all(self) -> None:
        for server in self.servers:
            try:
                server.stop()
            except Exception:  # teardown asserts nothing
                pass


@pytest.fixture
def launcher(tmp_path):
    """Starts any number of settled servers; all are stopped at teardown."""
    launch = Launcher(tmp_path)
    yield launch
    launch.stop_all()


@pytest.fixture
def settled(launcher) -> Server:
    """One running settled with default flags, ready to serve."""
    return launcher.start()


@pytest.fixture
def channel(settled) -> grpc.Channel:
    ch = settled.channel()
    grpc.channel_ready_future(ch).result(timeout=scaled(10))
    return ch


def find_tool(name: str) -> Optional[str]:
    """A Go-installed tool: $PATH, then $(go env GOPATH)/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = []
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if go:
        try:
            gopath = subprocess.run([go, "env", "GOPATH"], capture_output=True,
                                    text=True, timeout=30).stdout.strip()
            if gopath:
                candidates.append(os.path.join(gopath.split(os.pathsep)[0], "bin", name))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates.append(os.path.expanduser(f"~/go/bin/{name}"))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    return None


def require_tool(name: str) -> str:
    path = find_tool(name)
    if path:
        return path
    msg = f"{name} not found (scripts/setup.sh installs it)"
    if os.environ.get("SETTLED_REQUIRE_TOOLS") == "1":
        pytest.fail(msg)
    pytest.skip(msg)
