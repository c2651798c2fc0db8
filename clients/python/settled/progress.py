"""Live progress of one execution, folded from its events (for ``settled execute``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional, Set, TextIO, Tuple

from settled.enums import short_name
from settled.v1 import events_pb2, execution_pb2, types_pb2

__all__ = ["ExecutionProgress", "ProgressPrinter", "TERMINAL_STATUSES", "is_terminal"]

TERMINAL_STATUSES = frozenset({
    types_pb2.EXECUTION_STATUS_SUCCESS,
    types_pb2.EXECUTION_STATUS_SUCCESS_WITH_SKIPS,
    types_pb2.EXECUTION_STATUS_PARTIAL_SUCCESS,
    types_pb2.EXECUTION_STATUS_FAILURE,
    types_pb2.EXECUTION_STATUS_CANCELED,
})


def is_terminal(status: int) -> bool:
    """True for an ExecutionStatus an execution never leaves."""
    return status in TERMINAL_STATUSES


def _decimal(text: str) -> Optional[Decimal]:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


@dataclass
class ExecutionProgress:
    """Where an execution stands: phase, orders filled of total, buying power
    released. Feed it events with :meth:`update` (or, without a stream,
    results with :meth:`update_from_result`) and render it with :meth:`line`."""

    plan_id: str
    phase: str = "starting"
    total: Optional[int] = None
    filled: Set[Tuple[str, int]] = field(default_factory=set)
    skipped: Set[Tuple[str, int]] = field(default_factory=set)
    released: Decimal = Decimal(0)
    status: Optional[int] = None

    def update(self, event: events_pb2.Event) -> Optional[str]:
        """Folds in one event; returns a message worth its own line, if any."""
        kind = event.WhichOneof("payload")
        if kind == "execution_queued":
            self.phase = "queued"
        elif kind == "execution_started":
            started = event.execution_started
            self.total = started.sell_count + started.buy_count
            self.phase = "SELL phase" if started.sell_count else "BUY phase"
        elif kind == "order_updated":
            update = event.order_updated
            if update.status == types_pb2.ORDER_STATUS_FILLED:
                self.filled.add((update.symbol, update.side))
        elif kind == "order_skipped":
            skip = event.order_skipped
            self.skipped.add((skip.symbol, skip.side))
            return f"{skip.symbol}: skipped ({skip.reason})"
        elif kind == "order_settlement_completed":
            amount = _decimal(event.order_settlement_completed.buying_power_released)
            if amount is not None:
                self.released += amount
        elif kind == "bulk_settlement_completed":
            total = _decimal(event.bulk_settlement_completed.total_buying_power_released)
            if total is not None:
                self.released = total
            self.phase = "BUY phase"
        elif kind == "execution_phase_completed":
            done = event.execution_phase_completed.phase_type
            self.phase = "BUY phase" if done == types_pb2.PHASE_TYPE_SELL_PHASE else "finishing"
        elif kind == "execution_notice":
            notice = event.execution_notice
            if notice.level in ("warning", "error"):
                where = f" ({notice.symbol})" if notice.symbol else ""
                return f"{notice.level}: {notice.message or notice.code}{where}"
        elif kind == "trade_executed":
            self.status = event.trade_executed.status
            self.phase = short_name(types_pb2.ExecutionStatus, self.status)
        return None

    def update_from_result(self, result: execution_pb2.ExecutionResult) -> None:
        """Takes the state from a GetExecution result (when events are not available)."""
        traded = [o for o in result.orders if o.action != types_pb2.TRADE_ACTION_HOLD]
        if traded:
            self.total = len(traded)
        self.filled = {(o.symbol, o.action) for o in traded
                       if o.status == types_pb2.ORDER_STATUS_FILLED}
        self.skipped = {(o.symbol, o.action) for o in traded if o.skipped}
        released = _decimal(result.buying_power_released)
        if released is not None:
            self.released = released
        if is_terminal(result.status):
            self.status = result.status
            self.phase = short_name(types_pb2.ExecutionStatus, result.status)
        elif result.status == types_pb2.EXECUTION_STATUS_QUEUED:
            self.phase = "queued"
        elif result.current_phase:
            self.phase = short_name(types_pb2.PhaseType, result.current_phase).replace("_", " ")

    def line(self) -> str:
        """``plan  SELL phase  filled 1/4  skipped 0  buying power released 3000.00``."""
        total = "?" if self.total is None else str(self.total)
        return (f"{self.plan_id}  {self.phase}  filled {len(self.filled)}/{total}  "
                f"skipped {len(self.skipped)}  buying power released {self.released:f}")


class ProgressPrinter:
    """Shows a changing status line: rewritten in place on a terminal, or one
    plain line per change otherwise. Messages go on lines of their own."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self._stream = stream
        self._tty = tty
        self._last = ""

    def show(self, line: str) -> None:
        """Displays ``line`` if it differs from the one shown."""
        if line == self._last:
            return
        self._last = line
        if self._tty:
            width = max(shutil.get_terminal_size().columns - 1, 20)
            self._stream.write("\r\x1b[2K" + line[:width])
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def message(self, text: str) -> None:
        """Prints ``text`` on its own line (above the status line on a terminal)."""
        if self._tty:
            self._stream.write("\r\x1b[2K" + text + "\n")
            last, self._last = self._last, ""
            if last:
                self.show(last)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """Ends the status line (a newline on a terminal)."""
        if self._tty and self._last:
            self._stream.write("\n")
            self._stream.flush()
        self._last = ""
