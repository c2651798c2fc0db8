"""Off-the-shelf gRPC tools against the server: grpcurl (through reflection)
and grpc-health-probe."""

import subprocess

import pytest

from conftest import require_tool, scaled


def run(args, timeout=20.0):
    return subprocess.run(args, capture_output=True, text=True, timeout=scaled(timeout),
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def grpcurl(settled):
    tool = require_tool("grpcurl")

    def call(*args, flags=()):
        # grpcurl [flags] ADDRESS (list|describe [SYMBOL] | METHOD)
        return run([tool, "-plaintext", *flags, settled.address, *args])

    return call


def ok(res):
    assert res.returncode == 0, f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return res.stdout


def test_grpcurl_list(grpcurl):
    out = ok(grpcurl("list"))
    services = set(out.split())
    for name in [
        "settled.v1.Executor",
        "settled.v1.Pricing",
        "settled.v1.Account",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]:
        assert name in services, out


def test_grpcurl_list_service_methods(grpcurl):
    out = ok(grpcurl("list", "settled.v1.Executor"))
    for m in ["ExecutePlan", "GetExecution", "ListExecutions", "CancelExecution",
              "WatchExecution", "SubscribeEvents"]:
        assert f"settled.v1.Executor.{m}" in out, out


def test_grpcurl_describe_service(grpcurl):
    out = ok(grpcurl("describe", "settled.v1.Executor"))
    assert "settled.v1.Executor is a service" in out, out
    assert "rpc ExecutePlan" in out, out
    assert "rpc SubscribeEvents" in out, out
    assert "returns ( stream .settled.v1.Event )" in out, out


def test_grpcurl_describe_message_with_comments(grpcurl):
    out = ok(grpcurl("describe", "settled.v1.RebalancePlan"))
    assert "plan_id" in out, out
    # Field comments reach the client: the descriptors carry source info.
    assert "Unique plan identifier" in out, out


def test_grpcurl_describe_event_oneof(grpcurl):
    out = ok(grpcurl("describe", "settled.v1.Event"))
    assert "oneof payload" in out, out
    for name in ["ExecutionStarted", "OrderSubmitted", "BulkSettlementCompleted", "TradeExecuted"]:
        assert name in out, out


def test_grpcurl_describe_method(grpcurl):
    out = ok(grpcurl("describe", "settled.v1.Executor.ExecutePlan"))
    assert "ExecutePlanRequest" in out, out


def test_grpcurl_describe_unknown_symbol_fails(grpcurl):
    res = grpcurl("describe", "settled.v1.NoSuchThing")
    assert res.returncode != 0, res.stdout
    assert "NoSuchThing" in res.stderr, res.stderr


def test_grpcurl_health_check(grpcurl):
    out = ok(grpcurl("grpc.health.v1.Health/Check"))
    assert "SERVING" in out and "NOT_SERVING" not in out, out


def test_grpcurl_health_check_service(grpcurl):
    out = ok(grpcurl("grpc.health.v1.Health/Check",
                     flags=("-d", '{"service":"settled.v1.Pricing"}')))
    assert '"SERVING"' in out, out


def test_grpcurl_unknown_execution_is_not_found(grpcurl):
    res = grpcurl("settled.v1.Executor/GetExecution", flags=("-d", '{"plan_id":"p-1"}'))
    assert res.returncode != 0
    assert "NotFound" in res.stderr and "p-1" in res.stderr, res.stderr


def test_grpcurl_watch_unknown_execution_is_not_found(grpcurl):
    res = grpcurl("settled.v1.Executor/WatchExecution", flags=("-d", '{"plan_id":"nope"}'))
    assert res.returncode != 0
    assert "NotFound" in res.stderr, res.stderr


def test_grpc_health_probe(settled):
    probe = require_tool("grpc-health-probe")
    res = run([probe, f"-addr={settled.address}", "-connect-timeout=5s", "-rpc-timeout=5s"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SERVING" in res.stdout + res.stderr


def test_grpc_health_probe_service(settled):
    probe = require_tool("grpc-health-probe")
    res = run([probe, f"-addr={settled.address}", "-service=settled.v1.Executor"])
    assert res.returncode == 0, res.stdout + res.stderr
    res = run([probe, f"-addr={settled.address}", "-service=no.such.Service"])
    assert res.returncode != 0, res.stdout + res.stderr
