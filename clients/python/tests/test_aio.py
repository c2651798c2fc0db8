"""The asyncio client: same resume logic, async generators, awaitable unary calls."""

import asyncio

import grpc
import pytest
from fakes import FakeAioChannel, FakeRpcError, Meta, Script, ev

import settled.aio
from settled.aio import AsyncClient
from settled.v1 import account_pb2, execution_pb2


@pytest.fixture
def sleeps(monkeypatch):
    slept = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay, *args, **kwargs):
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(settled.aio.asyncio, "sleep", fake_sleep)
    return slept


async def collect(agen):
    return [e async for e in agen]


def test_async_subscribe_resumes_without_gap_or_duplicate(sleeps):
    script = Script(streams={"SubscribeEvents": [
        [Meta([("settled-start-after", "2")]), FakeRpcError(grpc.StatusCode.UNAVAILABLE)],
        [ev(5), ev(6), FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection reset")],
        [ev(5), ev(6), ev(7), FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                           "subscriber too slow: resume after sequence 7")],
        [ev(7), ev(8)],
    ]})

    async def run():
        async with AsyncClient(token="tok", channel=FakeAioChannel(script)) as client:
            return await collect(client.subscribe(types=["OrderUpdated"]))

    got = asyncio.run(run())
    assert [e.sequence for e in got] == [5, 6, 7, 8]
    reqs = script.requests("SubscribeEvents")
    assert reqs[0].WhichOneof("start") == "only_new"
    assert [r.after_sequence for r in reqs[1:]] == [2, 6, 7]
    assert all(list(r.event_types) == ["OrderUpdated"] for r in reqs)
    assert all(c.metadata == (("authorization", "Bearer tok"),) for c in script.calls)
    assert len(sleeps) == 3 and script.cancelled == 4


def test_async_out_of_range_propagates(sleeps):
    script = Script(streams={"SubscribeEvents": [
        [FakeRpcError(grpc.StatusCode.OUT_OF_RANGE, "the oldest sequence held is 9")]]})

    async def run():
        client = AsyncClient(channel=FakeAioChannel(script))
        try:
            await collect(client.subscribe(after=1))
        finally:
            await client.close()

    with pytest.raises(grpc.RpcError) as info:
        asyncio.run(run())
    assert info.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert sleeps == []


def test_async_watch_and_unary_calls(sleeps):
    script = Script(
        streams={"WatchExecution": [[ev(1), FakeRpcError(grpc.StatusCode.UNAVAILABLE)],
                                    [ev(1), ev(2)]]},
        unary={"GetAccount": [account_pb2.AccountInfo(cash="100.00")],
               "ExecutePlan": [execution_pb2.ExecutionResult(plan_id="p1")]})

    async def run():
        async with AsyncClient(channel=FakeAioChannel(script)) as client:
            events = await collect(client.watch("p1"))
            info = await client.account(timeout=2)
            result = await client.execute_plan({"plan_id": "p1"}, wait=False)
            return events, info, result

    events, info, result = asyncio.run(run())
    assert [e.sequence for e in events] == [1, 2]
    assert info.cash == "100.00" and result.plan_id == "p1"
    execute = script.requests("ExecutePlan")[0]
    assert execute.detach and execute.plan.plan_id == "p1"
    assert [c.timeout for c in script.calls if c.method.endswith("GetAccount")] == [2]
