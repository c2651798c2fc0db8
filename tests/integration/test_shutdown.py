"""Graceful shutdown: SIGTERM with open streams, SIGINT, exit codes."""

import signal
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import SHUTDOWN_TIMEOUT, scaled

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


def open_watches(channel, n, services=("",)):
    stub = health_pb2_grpc.HealthStub(channel)
    calls = []
    for i in range(n):
        service = services[i % len(services)]
        call = stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=scaled(60))
        calls.append((service, call))
    return calls


def drain(call):
    """All further statuses and the final RpcError code of a Watch stream."""
    statuses = []
    try:
        for msg in call:
            statuses.append(msg.status)
    except grpc.RpcError as e:
        return statuses, e.code(), e.details()
    return statuses, grpc.StatusCode.OK, ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_ends_open_watch_streams_with_unavailable(settled, sig):
    channel = settled.channel()
    grpc.channel_ready_future(channel).result(timeout=scaled(10))
    services = ("", "settled.v1.Executor", "settled.v1.Pricing", "settled.v1.Account")
    calls = open_watches(channel, 20, services)
    # Every stream is established and has seen its first status.
    for service, call in calls:
        assert next(call).status == SERVING, service

    start = time.monotonic()
    settled.signal(sig)

    for service, call in calls:
        statuses, code, details = drain(call)
        # NOT_SERVING may or may not be seen before the stream is ended.
        assert set(statuses) <= {NOT_SERVING}, (service, statuses)
        assert code == grpc.StatusCode.UNAVAILABLE, (service, code, details)

    limit = float(SHUTDOWN_TIMEOUT) + scaled(8)
    rc = settled.wait(limit)
    elapsed = time.monotonic() - start
    assert rc is not None, f"still running {limit:.0f}s after the signal; log:\n{settled.log()}"
    assert rc == 0, f"exit code {rc}; log:\n{settled.log()}"
    assert elapsed < scaled(10), f"shutdown took {elapsed:.1f}s"


def test_sigterm_idle_server_exits_0_quickly(settled):
    start = time.monotonic()
    settled.signal(signal.SIGTERM)
    rc = settled.wait(scaled(10))
    assert rc == 0, f"exit {rc}; log:\n{settled.log()}"
    assert time.monotonic() - start < scaled(5)


def test_sigterm_with_unknown_service_watch(settled):
    """A SERVICE_UNKNOWN Watch is also open, and also ended."""
    channel = settled.channel()
    [(service, call)] = open_watches(channel, 1, ("no.such.Service",))
    assert next(call).status == SERVICE_UNKNOWN
    settled.signal(signal.SIGTERM)
    statuses, code, details = drain(call)
    assert code == grpc.StatusCode.UNAVAILABLE, (code, details)
    assert settled.wait(scaled(10)) == 0


def test_stream_opened_concurrently_with_shutdown(settled):
    """Watches racing SIGTERM all end; none hangs. A stream that was
    established (saw a status) ends with UNAVAILABLE; one that arrived while
    the server was going down is refused (UNAVAILABLE, or CANCELLED when grpc
    core drops a call that was never matched to a handler)."""
    channel = settled.channel()
    grpc.channel_ready_future(channel).result(timeout=scaled(10))
    stub = health_pb2_grpc.HealthStub(channel)
    results = []
    lock = threading.Lock()

    def opener():
        while True:
            call = stub.Watch(health_pb2.HealthCheckRequest(), timeout=scaled(30))
            statuses, code, details = drain(call)
            with lock:
                results.append((statuses, code, details))
            if code != grpc.StatusCode.OK:
                return

    threads = [threading.Thread(target=opener, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    settled.signal(signal.SIGTERM)
    assert settled.wait(float(SHUTDOWN_TIMEOUT) + scaled(8)) == 0, settled.log()
    for t in threads:
        t.join(timeout=scaled(15))
        assert not t.is_alive(), "a Watch call hung after the server exited"
    for statuses, code, details in results:
        if statuses:
            # A stream opened after health flipped starts at NOT_SERVING;
            # nothing goes back to SERVING.
            assert statuses == sorted(statuses, key=[SERVING, NOT_SERVING].index), statuses
            assert code == grpc.StatusCode.UNAVAILABLE, (statuses, code, details)
        else:
            assert code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), \
                (code, details)
