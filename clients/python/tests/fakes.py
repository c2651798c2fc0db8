"""Test doubles: a scripted grpc channel (blocking and asyncio flavours).

A stream is scripted as a list of items, each an Event/message (delivered) or
an exception (raised at that point, ending the stream). Every call is
recorded with its method, request and metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import grpc

from settled.v1 import events_pb2


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str = "") -> None:
        super().__init__(f"{code.name}: {details}")
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


@dataclass
class Meta:
    """As the first item of a scripted stream: its initial metadata."""
    pairs: Sequence = ()


def _split(items: List[Any]):
    if items and isinstance(items[0], Meta):
        return tuple(items[0].pairs), items[1:]
    return (), items


def ev(seq: int, plan_id: str = "p1", **payload: Any) -> events_pb2.Event:
    """An Event with a sequence (and an optional payload, e.g. trade_executed=...)."""
    event = events_pb2.Event(sequence=seq, plan_id=plan_id, **payload)
    field_name = event.WhichOneof("payload")
    if field_name:
        event.event_type = getattr(event, field_name).DESCRIPTOR.name
    return event


@dataclass
class Recorded:
    method: str
    request: Any
    metadata: Sequence
    timeout: Optional[float]


@dataclass
class Script:
    streams: Dict[str, List[List[Any]]] = field(default_factory=dict)
    unary: Dict[str, List[Any]] = field(default_factory=dict)
    calls: List[Recorded] = field(default_factory=list)
    cancelled: int = 0

    def record(self, method: str, request: Any, metadata: Any, timeout: Any) -> None:
        copy = type(request)()
        copy.CopyFrom(request)
        self.calls.append(Recorded(method, copy, tuple(metadata or ()), timeout))

    def requests(self, method_suffix: str) -> List[Any]:
        return [c.request for c in self.calls if c.method.endswith(method_suffix)]

    def next_stream(self, method: str) -> List[Any]:
        scripted = self.streams.get(method.rsplit("/", 1)[-1])
        if not scripted:
            raise AssertionError(f"unexpected (re)connection to {method}")
        return scripted.pop(0)

    def next_reply(self, method: str) -> Any:
        replies = self.unary.get(method.rsplit("/", 1)[-1])
        if not replies:
            raise AssertionError(f"unexpected call to {method}")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply


# -- blocking ------------------------------------------------------------------

class _SyncStream:
    def __init__(self, script: Script, items: List[Any]) -> None:
        self._script = script
        self._metadata, rest = _split(items)
        self._items = iter(rest)

    def initial_metadata(self) -> Sequence:
        return self._metadata

    def __iter__(self) -> "_SyncStream":
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> bool:
        self._script.cancelled += 1
        return True


class FakeChannel:
    """Stands in for grpc.Channel under the generated stubs."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.closed = False

    def unary_stream(self, method: str, *args: Any, **kwargs: Any):
        def call(request: Any, timeout: Optional[float] = None, metadata: Any = None, **_: Any):
            self.script.record(method, request, metadata, timeout)
            return _SyncStream(self.script, self.script.next_stream(method))
        return call

    def unary_unary(self, method: str, *args: Any, **kwargs: Any):
        def call(request: Any, timeout: Optional[float] = None, metadata: Any = None, **_: Any):
            self.script.record(method, request, metadata, timeout)
            return self.script.next_reply(method)
        return call

    def close(self) -> None:
        self.closed = True


# -- asyncio -------------------------------------------------------------------

class _AsyncStream:
    def __init__(self, script: Script, items: List[Any]) -> None:
        self._script = script
        self._metadata, rest = _split(items)
        self._items = iter(rest)

    async def initial_metadata(self) -> Sequence:
        return self._metadata

    def __aiter__(self) -> "_AsyncStream":
        return self

    async def __anext__(self) -> Any:
        try:
            item = next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> bool:
        self._script.cancelled += 1
        return True


class FakeAioChannel:
    """Stands in for grpc.aio.Channel under the generated stubs."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.closed = False

    def unary_stream(self, method: str, *args: Any, **kwargs: Any):
        def call(request: Any, timeout: Optional[float] = None, metadata: Any = None, **_: Any):
            self.script.record(method, request, metadata, timeout)
            return _AsyncStream(self.script, self.script.next_stream(method))
        return call

    def unary_unary(self, method: str, *args: Any, **kwargs: Any):
        def call(request: Any, timeout: Optional[float] = None, metadata: Any = None, **_: Any):
            self.script.record(method, request, metadata, timeout)

            async def reply() -> Any:
                return self.script.next_reply(method)
            return reply()
        return call

    async def close(self) -> None:
        self.closed = True
