"""The command line: --help, --version, bad flags and values, environment
variables, JSON logs, and refusing a port that is already taken."""

import json
import os
import signal
import subprocess

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import scaled, settled_bin, wait_for


def run_cli(tmp_path, *args, env=None, timeout=10.0):
    """Runs settled to completion (for flags that exit at once)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SETTLED_")}
    full_env.update(env or {})
    proc = subprocess.Popen(
        [str(settled_bin()), *args], cwd=tmp_path, env=full_env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        out, err = proc.communicate(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"settled {' '.join(args)} still running after {timeout}s "
                    f"(should have exited); stderr:\n{err}")
    return proc.returncode, out, err


def assert_usage_error(rc, out, err):
    lines = err.splitlines()
    assert rc == 2, f"exit {rc}, stderr:\n{err}"
    assert len(lines) == 1, f"expected exactly one stderr line, got:\n{err}"
    assert lines[0].startswith("settled: "), lines[0]


def check_serving(address, service=""):
    with grpc.insecure_channel(address) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service),
                           timeout=scaled(5), wait_for_ready=True)
        return reply.status == health_pb2.HealthCheckResponse.SERVING


def test_help(tmp_path):
    rc, out, err = run_cli(tmp_path, "--help")
    assert rc == 0, err
    text = out + err
    for flag in ["--listen", "--ready-file", "--log-format", "--log-level", "--data-dir",
                 "--shutdown-timeout"]:
        assert flag in text, text
    assert not (tmp_path / "settled-data").exists(), "--help must not create the data dir"


def test_version(tmp_path):
    rc, out, err = run_cli(tmp_path, "--version")
    assert rc == 0, err
    assert (out + err).strip(), "--version printed nothing"


@pytest.mark.parametrize("args", [
    pytest.param(["--no-such-flag"], id="unknown-flag"),
    pytest.param(["--listen"], id="missing-value"),
    pytest.param(["--log-format", "xml"], id="bad-log-format"),
    pytest.param(["--log-level", "loud"], id="bad-log-level"),
    pytest.param(["--cq-threads", "abc"], id="bad-cq-threads"),
    pytest.param(["--max-message-bytes", "12x"], id="bad-max-message-bytes"),
    pytest.param(["--shutdown-timeout", "soon"], id="bad-shutdown-timeout"),
    pytest.param(["extra-positional"], id="positional"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args):
    rc, out, err = run_cli(tmp_path, "--listen", "127.0.0.1:0", *args)
    assert_usage_error(rc, out, err)


@pytest.mark.parametrize("addr", ["999.1.1.1:1", "127.0.0.1:99999", "127.0.0.1:-5"])
def test_bad_listen_address_exits_2(tmp_path, addr):
    rc, out, err = run_cli(tmp_path, "--listen", addr, "--data-dir", str(tmp_path / "d"),
                           "--ready-file", str(tmp_path / "ready"))
    assert_usage_error(rc, out, err)
    assert not (tmp_path / "ready").exists()


def test_bad_env_value_exits_2(tmp_path):
    rc, out, err = run_cli(tmp_path, "--listen", "127.0.0.1:0",
                           env={"SETTLED_LOG_LEVEL": "loud"})
    assert_usage_error(rc, out, err)


def test_env_listen_is_honoured(launcher):
    server = launcher.start(listen=None, env={"SETTLED_LISTEN": "127.0.0.1:0"})
    assert server.address.startswith("127.0.0.1:")
    assert server.port != 50051 and server.port > 0
    assert check_serving(server.address)


def test_flag_wins_over_env(launcher):
    # SETTLED_LISTEN names an address that cannot be bound; --listen wins.
    server = launcher.start(env={"SETTLED_LISTEN": "127.0.0.1:99999"})
    assert check_serving(server.address)


def test_env_ready_file_and_data_dir_are_honoured(tmp_path):
    ready = tmp_path / "env-ready"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETTLED_")}
    env.update({"SETTLED_READY_FILE": str(ready), "SETTLED_LISTEN": "127.0.0.1:0",
                "SETTLED_DATA_DIR": str(tmp_path / "envdata"),
                "SETTLED_LOG_FORMAT": "json"})
    err_path = tmp_path / "stderr.log"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([str(settled_bin())], cwd=tmp_path, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        def ready_text():
            if proc.poll() is not None:
                pytest.fail(f"exited {proc.returncode}: {err_path.read_text()}")
            return ready.exists() and ready.read_text().endswith("\n") and ready.read_text()
        text = wait_for(ready_text, scaled(15), what="the ready file named by SETTLED_READY_FILE")
        assert check_serving(text.strip())
        assert (tmp_path / "envdata").is_dir(), "SETTLED_DATA_DIR was not used"
        assert not (tmp_path / "settled-data").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=scaled(10))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for ln in err_path.read_text().splitlines():
        if ln.strip():
            json.loads(ln)  # SETTLED_LOG_FORMAT=json


def test_ready_file_format(settled):
    text = (settled.tmp / "ready").read_text()
    assert text == settled.address + "\n"
    host, port = settled.address.rsplit(":", 1)
    assert host == "127.0.0.1" and 0 < int(port) < 65536


def test_json_logs(launcher):
    server = launcher.start("--log-format", "json", "--log-level", "debug")
    assert check_serving(server.address)
    assert server.stop() == 0
    lines = [ln for ln in server.log().splitlines() if ln.strip()]
    assert lines, "no log lines on stderr"
    for ln in lines:
        try:
            obj = json.loads(ln)
        except json.JSONDecodeError as e:
            pytest.fail(f"stderr line is not JSON ({e}): {ln!r}")
        assert isinstance(obj, dict), ln


def test_text_logs_at_info(launcher):
    server = launcher.start("--log-format", "text", "--log-level", "info")
    assert check_serving(server.address)
    server.stop()
    lines = [ln for ln in server.log().splitlines() if ln.strip()]
    assert lines, "no log lines on stderr at info level"


def test_second_server_on_same_port_fails(launcher):
    first = launcher.start()
    second = launcher.start(listen=f"127.0.0.1:{first.port}", wait_ready=False)
    rc = second.wait(scaled(10))
    assert rc == 2, f"second server on a taken port: exit {rc}; stderr:\n{second.log()}"
    lines = second.log().splitlines()
    assert len(lines) == 1 and lines[0].startswith("settled: "), second.log()
    assert not (second.tmp / "ready").exists()
    assert first.process.poll() is None
    assert check_serving(first.address)
