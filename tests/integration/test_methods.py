"""Routing and request decoding: unknown methods, empty requests, and
requests the server cannot decode."""

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import scaled


def raw_unary(channel, method, body=b"", timeout=5.0):
    """Calls method with a raw request body (identity serializers)."""
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    return call(body, timeout=timeout)


def raw_stream(channel, method, body=b"", timeout=5.0):
    call = channel.unary_stream(method, request_serializer=None, response_deserializer=None)
    return list(call(body, timeout=timeout))


def expect_code(fn, code, within=None):
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as err:
        fn()
    elapsed = time.monotonic() - start
    assert err.value.code() == code, f"{err.value.code()}: {err.value.details()}"
    if within is not None:
        assert elapsed < within, f"took {elapsed:.2f}s (should answer at once)"
    return err.value


@pytest.mark.parametrize("method", [
    "/settled.v1.Nope/Foo",
    "/foo.Bar/Baz",
    "/settled.v1.Executor/NoSuchMethod",
    "/grpc.health.v1.Health/Nope",
])
def test_unknown_method_is_unimplemented_at_once(channel, method):
    expect_code(lambda: raw_unary(channel, method, timeout=5.0),
                grpc.StatusCode.UNIMPLEMENTED, within=2.0)


def test_unknown_streaming_method_is_unimplemented_at_once(channel):
    expect_code(lambda: raw_stream(channel, "/foo.Bar/Stream", timeout=5.0),
                grpc.StatusCode.UNIMPLEMENTED, within=2.0)


def test_many_unknown_methods_do_not_exhaust_the_server(channel):
    """Each unknown call re-arms the generic handler; none may hang."""
    for i in range(200):
        expect_code(lambda: raw_unary(channel, f"/x.Y/M{i}", timeout=5.0),
                    grpc.StatusCode.UNIMPLEMENTED, within=5.0)
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=scaled(5)).status == \
        health_pb2.HealthCheckResponse.SERVING


# An empty request names the missing field.
@pytest.mark.parametrize("method,field", [
    ("/settled.v1.Executor/ExecutePlan", "plan"),
    ("/settled.v1.Executor/GetExecution", "plan_id"),
    ("/settled.v1.Executor/CancelExecution", "plan_id"),
    ("/settled.v1.Pricing/SubscribeSymbols", "symbols"),
    ("/settled.v1.Pricing/UnsubscribeSymbols", "symbols"),
    ("/settled.v1.Pricing/GetQuotes", "symbols"),
])
def test_settled_empty_request_names_the_field(channel, method, field):
    err = expect_code(lambda: raw_unary(channel, method),
                      grpc.StatusCode.INVALID_ARGUMENT, within=scaled(4))
    assert err.details().startswith(field), err.details()


# Streams check their request too.
@pytest.mark.parametrize("method,field", [
    ("/settled.v1.Executor/WatchExecution", "plan_id"),
    ("/settled.v1.Pricing/StreamQuotes", "symbols"),
])
def test_settled_empty_stream_request_names_the_field(channel, method, field):
    err = expect_code(lambda: raw_stream(channel, method),
                      grpc.StatusCode.INVALID_ARGUMENT, within=scaled(4))
    assert err.details().startswith(field), err.details()


@pytest.mark.parametrize("body", [
    pytest.param(b"\xff\xff\xff", id="garbage"),
    pytest.param(b"\x0a\x05ab", id="truncated-string"),
    pytest.param(b"\x0a\x02\xc3\x28", id="invalid-utf8"),
])
def test_undecodable_check_request_is_invalid_argument(channel, body):
    expect_code(lambda: raw_unary(channel, "/grpc.health.v1.Health/Check", body),
                grpc.StatusCode.INVALID_ARGUMENT, within=scaled(4))
    # The server is still fine afterwards.
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=scaled(5)).status == \
        health_pb2.HealthCheckResponse.SERVING


def test_undecodable_watch_request_is_invalid_argument(channel):
    expect_code(lambda: raw_stream(channel, "/grpc.health.v1.Health/Watch", b"\x0a\x02\xc3\x28"),
                grpc.StatusCode.INVALID_ARGUMENT, within=scaled(4))


def test_hand_encoded_valid_check_request_works(channel):
    """The same encoding with valid UTF-8 is accepted (guards the test above)."""
    reply = raw_unary(channel, "/grpc.health.v1.Health/Check",
                      b"\x0a\x13settled.v1.Executor")
    assert health_pb2.HealthCheckResponse.FromString(reply).status == \
        health_pb2.HealthCheckResponse.SERVING
