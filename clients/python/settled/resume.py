"""Resuming event streams: start position, de-duplication and backoff.

The pieces here hold every decision of a self-resuming ``SubscribeEvents`` (or
``WatchExecution``) stream, so that the blocking client (:mod:`settled.client`)
and the asyncio client (:mod:`settled.aio`) only differ in how they wait.

- :class:`EventCursor` remembers the last sequence handed to the caller, builds
  the request of each (re)connection and drops replayed events.
- :class:`Backoff` computes capped, jittered delays between reconnections.
- :func:`is_resumable` tells a broken connection from a real error.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Tuple

import grpc

from settled.v1 import events_pb2, execution_pb2

__all__ = [
    "START_AFTER_HEADER",
    "Backoff",
    "EventCursor",
    "RetryCallback",
    "RetryPolicy",
    "is_resumable",
]

#: Called before each reconnection with the error that ended the stream and
#: the delay (seconds) about to be slept. Raising from it stops the stream
#: with that exception instead of resuming.
RetryCallback = Callable[[grpc.RpcError, float], None]

_RESUMABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
# A stream reset under a live connection surfaces as INTERNAL or UNKNOWN with
# one of these details; it is a connection error too.
_CONNECTION_DETAILS = ("RST_STREAM", "Stream removed", "Socket closed", "Connection reset")
_RESUME_AFTER = re.compile(r"resume after sequence (\d+)")
#: Initial-metadata key in which SubscribeEvents says which sequence it starts after.
START_AFTER_HEADER = "settled-start-after"


def is_resumable(code: Optional[grpc.StatusCode], details: Optional[str]) -> bool:
    """True when a stream ended by ``code``/``details`` should be resumed.

    UNAVAILABLE (server down, restarting or unreachable), RESOURCE_EXHAUSTED
    (the server cut off a too-slow subscriber) and stream resets are; anything
    else -- notably OUT_OF_RANGE (history gone), NOT_FOUND, UNAUTHENTICATED,
    INVALID_ARGUMENT and a local CANCELLED -- is not. A CANCELLED that came
    from the server (a restart racing a reconnect) is resumed.
    """
    if code in _RESUMABLE:
        return True
    if code == grpc.StatusCode.CANCELLED:
        # A server going down can cancel a stream that had just opened; only
        # a cancel of our own (the caller closed the generator) is final.
        return "locally cancelled" not in (details or "").lower()
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
        return any(marker in (details or "") for marker in _CONNECTION_DETAILS)
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Delays between reconnections: ``initial`` seconds, multiplied by
    ``multiplier`` after each failed attempt up to ``maximum``; each delay is
    scaled by a random factor in ``[1 - jitter, 1]``."""

    initial: float = 0.1
    maximum: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial:
            raise ValueError("RetryPolicy needs 0 <= initial <= maximum")
        if self.multiplier < 1:
            raise ValueError("RetryPolicy.multiplier must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be in [0, 1]")


class Backoff:
    """Capped exponential backoff with jitter; :meth:`reset` after progress."""

    def __init__(self, policy: RetryPolicy = RetryPolicy(),
                 rng: Callable[[], float] = random.random) -> None:
        self._policy = policy
        self._rng = rng
        self._base = policy.initial

    def next_delay(self) -> float:
        """The delay before the next attempt; grows the following one."""
        p = self._policy
        delay = self._base * (1.0 - p.jitter * self._rng())
        self._base = min(self._base * p.multiplier, p.maximum)
        return delay

    def reset(self) -> None:
        """Starts over from the initial delay (call after an event arrived)."""
        self._base = self._policy.initial


class EventCursor:
    """Position of a resuming subscription: no gap and no duplicate.

    ``last_seq`` is the sequence of the last event handed to the caller (or
    the ``after`` start). The first connection starts as asked: after a
    sequence, from the oldest retained event, or only new events (the
    ``only_new`` oneof field). Every later connection resumes with
    ``after_sequence = last_seq``. With nothing seen yet it resumes after the
    sequence the server said the stream starts after (the
    ``settled-start-after`` header, see :meth:`note_start`) or named in a
    RESOURCE_EXHAUSTED "resume after sequence N"; failing both, it repeats
    the first start.
    """

    def __init__(self, after: Optional[int] = None, from_oldest: bool = False) -> None:
        if after is not None and from_oldest:
            raise ValueError("give either after or from_oldest, not both")
        if after is not None and after < 0:
            raise ValueError("after must be >= 0")
        self.last_seq: Optional[int] = after
        self._from_oldest = from_oldest
        self.connections = 0

    def request(self, filters: execution_pb2.SubscribeEventsRequest
                ) -> execution_pb2.SubscribeEventsRequest:
        """The request for the next connection: ``filters`` plus the start."""
        req = execution_pb2.SubscribeEventsRequest()
        req.CopyFrom(filters)
        if self.last_seq is not None:
            req.after_sequence = self.last_seq
        elif self._from_oldest:
            req.from_oldest = True
        else:
            req.only_new = True
        self.connections += 1
        return req

    def accept(self, event: events_pb2.Event) -> bool:
        """True (and advances) for a new event; False for a replayed one."""
        if self.last_seq is not None and event.sequence <= self.last_seq:
            return False
        self.last_seq = event.sequence
        return True

    def note_start(self, metadata: Optional[Iterable[Tuple[str, Any]]]) -> None:
        """Learns where a new stream starts from its initial metadata (the
        ``settled-start-after`` header), when no event was seen yet."""
        if self.last_seq is not None or not metadata:
            return
        for key, value in metadata:
            if key == START_AFTER_HEADER:
                text = value.decode() if isinstance(value, bytes) else str(value)
                if text.isdigit():
                    self.last_seq = int(text)
                return

    def note_error(self, error: grpc.RpcError) -> None:
        """Learns the resume point from a RESOURCE_EXHAUSTED cut-off when no
        event was seen yet (the client's own ``last_seq`` always wins)."""
        if self.last_seq is not None or _code(error) != grpc.StatusCode.RESOURCE_EXHAUSTED:
            return
        match = _RESUME_AFTER.search(_details(error))
        if match:
            self.last_seq = int(match.group(1))


def _code(error: grpc.RpcError) -> Optional[grpc.StatusCode]:
    code = getattr(error, "code", None)
    return code() if callable(code) else None


def _details(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    return (details() if callable(details) else None) or ""


def error_resumable(error: grpc.RpcError) -> bool:
    """:func:`is_resumable` for an ``RpcError``."""
    return is_resumable(_code(error), _details(error))
