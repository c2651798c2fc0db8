"""grpc.health.v1.Health: Check and Watch, including deadlines."""

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import scaled

SERVING = health_pb2.HealthCheckResponse.SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
SETTLED_SERVICES = ["settled.v1.Executor", "settled.v1.Pricing", "settled.v1.Account"]


def check(channel, service=""):
    stub = health_pb2_grpc.HealthStub(channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=scaled(5))


@pytest.mark.parametrize("service", ["", *SETTLED_SERVICES])
def test_check_serving(channel, service):
    assert check(channel, service).status == SERVING


def test_check_unknown_service_is_not_found(channel):
    with pytest.raises(grpc.RpcError) as err:
        check(channel, "no.such.Service")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("service", ["", "settled.v1.Executor"])
def test_watch_first_message_is_serving(channel, service):
    stub = health_pb2_grpc.HealthStub(channel)
    call = stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=scaled(5))
    try:
        first = next(call)
        assert first.status == SERVING
    finally:
        call.cancel()


def test_watch_unknown_service_stays_open(channel):
    """SERVICE_UNKNOWN first, then the stream stays open: the only way it
    ends is our own deadline, not an early status from the server."""
    stub = health_pb2_grpc.HealthStub(channel)
    hold = 1.5
    start = time.monotonic()
    call = stub.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"),
                      timeout=hold)
    first = next(call)
    assert first.status == SERVICE_UNKNOWN
    with pytest.raises(grpc.RpcError) as err:
        extra = next(call)
        pytest.fail(f"unexpected second message on the stream: {extra}")
    elapsed = time.monotonic() - start
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, err.value
    assert elapsed >= hold - 0.1, f"stream ended after {elapsed:.2f}s, before its deadline"


def test_watch_deadline_exceeded_and_server_stays_healthy(settled, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    start = time.monotonic()
    call = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
    statuses = []
    with pytest.raises(grpc.RpcError) as err:
        for msg in call:
            statuses.append(msg.status)
    elapsed = time.monotonic() - start
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, err.value
    assert statuses[:1] == [SERVING]
    assert elapsed < scaled(5), f"deadline of 0.5s took {elapsed:.2f}s to fire"
    # The server keeps serving, on this connection and on a new one.
    assert check(channel).status == SERVING
    assert check(settled.channel()).status == SERVING


def test_many_deadlines_in_a_row(settled, channel):
    """Repeated short-lived Watch calls leave the server healthy."""
    stub = health_pb2_grpc.HealthStub(channel)
    calls = [stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=0.3)
             for _ in range(50)]
    for call in calls:
        with pytest.raises(grpc.RpcError) as err:
            for _ in call:
                pass
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert check(channel).status == SERVING
    assert settled.process.poll() is None
