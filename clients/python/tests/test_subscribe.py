"""subscribe()/watch() resume by themselves: no gap, no duplicate."""

import itertools

import grpc
import pytest
from fakes import FakeChannel, FakeRpcError, Meta, Script, ev

import settled.client
from settled import Client, RetryPolicy
from settled.resume import Backoff, EventCursor, is_resumable
from settled.v1 import events_pb2, types_pb2

UNAVAILABLE = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "Socket closed")
TOO_SLOW = FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                        "subscriber too slow: resume after sequence 9")


@pytest.fixture
def sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr(settled.client.time, "sleep", slept.append)
    return slept


def make_client(script, token="tok"):
    return Client(token=token, channel=FakeChannel(script))


def seqs(events):
    return [e.sequence for e in events]


def test_resumes_after_unavailable_and_resource_exhausted(sleeps):
    script = Script(streams={"SubscribeEvents": [
        [ev(5), ev(6), ev(7), UNAVAILABLE],
        [ev(6), ev(7), ev(8), ev(9), TOO_SLOW],   # 6 and 7 replayed
        [ev(9), ev(10), ev(11)],                 # 9 replayed; clean end
    ]})
    client = make_client(script)
    got = list(client.subscribe(types=["OrderUpdated", "TradeExecuted"], plan_id="p1",
                                correlation_id="c1"))

    assert seqs(got) == [5, 6, 7, 8, 9, 10, 11]  # no gap, no duplicate
    first, second, third = script.requests("SubscribeEvents")
    assert first.WhichOneof("start") == "only_new" and first.only_new
    assert second.WhichOneof("start") == "after_sequence" and second.after_sequence == 7
    assert third.WhichOneof("start") == "after_sequence" and third.after_sequence == 9
    for req in (first, second, third):
        assert list(req.event_types) == ["OrderUpdated", "TradeExecuted"]
        assert req.plan_id == "p1" and req.correlation_id == "c1"
    assert all(c.metadata == (("authorization", "Bearer tok"),) for c in script.calls)
    assert len(sleeps) == 2 and all(0 < s <= 5.0 for s in sleeps)
    assert script.cancelled == 3  # every call is released


def test_start_positions_and_resume_with_nothing_seen(sleeps):
    script = Script(streams={"SubscribeEvents": [
        [UNAVAILABLE], [ev(1), UNAVAILABLE], [ev(1), ev(2)]]})
    got = list(make_client(script).subscribe(from_oldest=True))
    assert seqs(got) == [1, 2]
    reqs = script.requests("SubscribeEvents")
    assert [r.WhichOneof("start") for r in reqs] == ["from_oldest", "from_oldest",
                                                      "after_sequence"]
    assert reqs[2].after_sequence == 1

    script = Script(streams={"SubscribeEvents": [[UNAVAILABLE], [ev(1)]]})
    assert seqs(make_client(script).subscribe(after=0)) == [1]
    reqs = script.requests("SubscribeEvents")
    assert [r.WhichOneof("start") for r in reqs] == ["after_sequence", "after_sequence"]
    assert [r.after_sequence for r in reqs] == [0, 0]


def test_resource_exhausted_names_the_resume_point_when_nothing_was_seen(sleeps):
    script = Script(streams={"SubscribeEvents": [[TOO_SLOW], [ev(9), ev(10)]]})
    assert seqs(make_client(script).subscribe()) == [10]
    first, second = script.requests("SubscribeEvents")
    assert first.WhichOneof("start") == "only_new"
    assert second.after_sequence == 9


def test_only_new_resumes_where_the_server_said_it_starts(sleeps):
    # Lost before the first event: resume after the settled-start-after header,
    # not "only new" again (that would skip what was published meanwhile).
    script = Script(streams={"SubscribeEvents": [
        [Meta([("settled-start-after", "41")]), UNAVAILABLE],
        [Meta([("settled-start-after", "41")]), ev(42), ev(43)]]})
    assert seqs(make_client(script).subscribe()) == [42, 43]
    first, second = script.requests("SubscribeEvents")
    assert first.WhichOneof("start") == "only_new"
    assert second.WhichOneof("start") == "after_sequence" and second.after_sequence == 41

    # The header never overrides what the client has seen (or asked for).
    script = Script(streams={"SubscribeEvents": [
        [Meta([("settled-start-after", "2")]), ev(3), UNAVAILABLE],
        [Meta([("settled-start-after", "1")]), ev(4)]]})
    assert seqs(make_client(script).subscribe(after=2)) == [3, 4]
    assert script.requests("SubscribeEvents")[1].after_sequence == 3


def test_out_of_range_propagates(sleeps):
    gone = FakeRpcError(grpc.StatusCode.OUT_OF_RANGE, "the oldest sequence held is 500")
    script = Script(streams={"SubscribeEvents": [[gone]]})
    with pytest.raises(grpc.RpcError) as info:
        list(make_client(script).subscribe(after=3))
    assert info.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert len(script.calls) == 1 and sleeps == []

    # Also when the history is gone by the time of a resume.
    script = Script(streams={"SubscribeEvents": [[ev(3), UNAVAILABLE], [gone]]})
    stream = make_client(script).subscribe(after=2)
    assert next(stream).sequence == 3
    with pytest.raises(grpc.RpcError) as info:
        next(stream)
    assert info.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert script.requests("SubscribeEvents")[1].after_sequence == 3


@pytest.mark.parametrize("code,details", [
    (grpc.StatusCode.UNAUTHENTICATED, "no"), (grpc.StatusCode.NOT_FOUND, "no"),
    (grpc.StatusCode.INVALID_ARGUMENT, "no"),
    (grpc.StatusCode.CANCELLED, "Locally cancelled by application!")])
def test_other_errors_propagate(sleeps, code, details):
    script = Script(streams={"SubscribeEvents": [[ev(1), FakeRpcError(code, details)]]})
    stream = make_client(script).subscribe()
    assert next(stream).sequence == 1
    with pytest.raises(grpc.RpcError):
        next(stream)
    assert len(script.calls) == 1


def test_a_server_side_cancel_is_resumed(sleeps):
    """A server going down can cancel a stream that had just opened."""
    script = Script(streams={"SubscribeEvents": [
        [ev(1), FakeRpcError(grpc.StatusCode.CANCELLED, "CANCELLED")], [ev(2)]]})
    stream = make_client(script).subscribe()
    assert [next(stream).sequence, next(stream).sequence] == [1, 2]
    assert script.requests("SubscribeEvents")[1].after_sequence == 1


def test_on_retry_sees_each_reconnection_and_can_stop_it(sleeps):
    seen = []
    script = Script(streams={"SubscribeEvents": [[ev(1), UNAVAILABLE], [ev(2), TOO_SLOW],
                                                 [ev(3)]]})
    got = list(make_client(script).subscribe(
        on_retry=lambda err, delay: seen.append((err.code(), delay))))
    assert seqs(got) == [1, 2, 3]
    assert [c for c, _ in seen] == [grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert [d for _, d in seen] == sleeps

    def give_up(err, delay):
        raise err

    script = Script(streams={"SubscribeEvents": [[ev(1), UNAVAILABLE]]})
    with pytest.raises(grpc.RpcError):
        list(make_client(script).subscribe(on_retry=give_up))


def test_backoff_grows_caps_and_resets_after_progress(sleeps):
    script = Script(streams={"SubscribeEvents": [[UNAVAILABLE]] * 8 + [[ev(1), UNAVAILABLE],
                                                                        [ev(2)]]})
    client = Client(channel=FakeChannel(script), retry=RetryPolicy(initial=0.1, maximum=1.0, jitter=0.0))
    assert seqs(client.subscribe(after=0)) == [1, 2]
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 0.1])


def test_stopping_early_cancels_the_call(sleeps):
    script = Script(streams={"SubscribeEvents": [[ev(1), ev(2), ev(3)]]})
    stream = make_client(script, token=None).subscribe()
    assert next(stream).sequence == 1
    stream.close()
    assert script.cancelled == 1
    assert script.calls[0].metadata == ()  # no token, no authorization header


def test_watch_reconnects_and_skips_the_replay(sleeps):
    done = events_pb2.TradeExecuted(status=types_pb2.EXECUTION_STATUS_SUCCESS, success=True)
    script = Script(streams={"WatchExecution": [
        [ev(1), ev(2), UNAVAILABLE],
        [ev(1), ev(2), ev(3), ev(4, trade_executed=done)],
    ]})
    got = list(make_client(script).watch("p1"))
    assert seqs(got) == [1, 2, 3, 4]
    assert got[-1].trade_executed.success
    assert [r.plan_id for r in script.requests("WatchExecution")] == ["p1", "p1"]
    assert len(sleeps) == 1


def test_watch_not_found_propagates(sleeps):
    script = Script(streams={"WatchExecution": [
        [FakeRpcError(grpc.StatusCode.NOT_FOUND, "no execution")]]})
    with pytest.raises(grpc.RpcError):
        list(make_client(script).watch("nope"))


# -- the pieces ------------------------------------------------------------------

def test_backoff_policy_and_jitter():
    b = Backoff(RetryPolicy(initial=0.1, maximum=5.0, jitter=0.0))
    delays = [b.next_delay() for _ in range(10)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0])
    b.reset()
    assert b.next_delay() == pytest.approx(0.1)

    values = itertools.cycle([0.0, 1.0])
    j = Backoff(RetryPolicy(initial=1.0, maximum=1.0, jitter=0.5), rng=lambda: next(values))
    assert [j.next_delay(), j.next_delay()] == pytest.approx([1.0, 0.5])
    with pytest.raises(ValueError):
        RetryPolicy(initial=2.0, maximum=1.0)


def test_cursor_dedups_and_rejects_conflicting_starts():
    cursor = EventCursor(after=4)
    assert not cursor.accept(ev(4)) and not cursor.accept(ev(2))
    assert cursor.accept(ev(5)) and cursor.last_seq == 5
    assert not cursor.accept(ev(5))
    with pytest.raises(ValueError):
        EventCursor(after=1, from_oldest=True)
    with pytest.raises(ValueError):
        EventCursor(after=-1)


@pytest.mark.parametrize("code, details, expected", [
    (grpc.StatusCode.UNAVAILABLE, "", True),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber too slow", True),
    (grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2", True),
    (grpc.StatusCode.INTERNAL, "bad payload", False),
    (grpc.StatusCode.OUT_OF_RANGE, "", False),
    (grpc.StatusCode.CANCELLED, "Locally cancelled", False),
    (grpc.StatusCode.DEADLINE_EXCEEDED, "", False),
])
def test_is_resumable(code, details, expected):
    assert is_resumable(code, details) is expected
