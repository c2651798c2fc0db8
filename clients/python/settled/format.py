"""Plain-text renderings of events, executions and account data (for the CLI)."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Callable, Dict, List, Sequence

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.message import Message

from settled.enums import short_name
from settled.v1 import account_pb2, events_pb2, execution_pb2, types_pb2

__all__ = [
    "account_text",
    "event_line",
    "event_summary",
    "event_type",
    "execution_row",
    "message_json",
    "order_rows",
    "orders_table",
    "positions_table",
    "result_summary",
    "status_text",
    "table",
    "timestamp",
]

_action = functools.partial(short_name, types_pb2.TradeAction)


def _status(value: int) -> str:
    return short_name(types_pb2.OrderStatus, value) if value else "-"


_exec_status = functools.partial(short_name, types_pb2.ExecutionStatus)
_phase = functools.partial(short_name, types_pb2.PhaseType)


def timestamp(ts: timestamp_pb2.Timestamp) -> str:
    """``2024-05-01T14:30:00.123Z``, or ``-`` when unset."""
    if ts.seconds == 0 and ts.nanos == 0:
        return "-"
    when = _dt.datetime.fromtimestamp(ts.seconds, tz=_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts.nanos // 1_000_000:03d}Z"


def message_json(message: Message) -> str:
    """The protobuf JSON form of a message on one line."""
    return json_format.MessageToJson(message, indent=None)


def event_type(event: events_pb2.Event) -> str:
    """The payload's message name, e.g. ``OrderSubmitted``."""
    field = event.WhichOneof("payload")
    if field is None:
        return event.event_type or "-"
    return getattr(event, field).DESCRIPTOR.name


def _price(p: str) -> str:
    return f" @ {p}" if p else ""


def _queued(m: events_pb2.ExecutionQueued) -> str:
    return f"waiting for {m.waiting_for_plan_id or 'another execution'}"


def _started(m: events_pb2.ExecutionStarted) -> str:
    text = (f"{m.item_count} items: {m.sell_count} sell, {m.buy_count} buy, "
            f"{m.hold_count} hold; urgency {short_name(types_pb2.ExecutionUrgency, m.execution_urgency)}")
    return text + (" (resumed)" if m.resumed else "")


def _submitted(m: events_pb2.OrderSubmitted) -> str:
    kind = short_name(types_pb2.OrderType, m.order_type)
    text = f"{_action(m.side)} {m.quantity} {m.symbol} {kind}{_price(m.limit_price)}"
    text += f" attempt {m.attempt} order {m.order_id or '-'}"
    return text + (" (adopted)" if m.adopted else "")


def _updated(m: events_pb2.OrderUpdated) -> str:
    text = f"{m.symbol} {_action(m.side)} {_status(m.status)} filled {m.filled_qty or '0'}"
    if m.filled_avg_price:
        text += f" avg {m.filled_avg_price}"
    if m.fill_qty:
        text += f" (fill {m.fill_qty}{_price(m.fill_price)})"
    return text + (f": {m.reason}" if m.reason else "")


def _repegged(m: events_pb2.OrderRepegged) -> str:
    return (f"{m.symbol} {_action(m.side)} re-peg #{m.repeg_count} {m.old_price} -> "
            f"{m.new_price}, {m.remaining_quantity} left ({m.reason})")


def _escalated(m: events_pb2.OrderEscalated) -> str:
    return f"{m.symbol} {_action(m.side)} to MARKET, {m.remaining_quantity} left ({m.reason})"


def _skipped(m: events_pb2.OrderSkipped) -> str:
    return f"{m.symbol} {_action(m.side)} skipped: {m.reason} ({m.trade_amount})"


def _order_settled(m: events_pb2.OrderSettlementCompleted) -> str:
    return (f"{m.symbol} settled {m.settled_quantity}{_price(m.settlement_price)} = "
            f"{m.settled_value}, released {m.buying_power_released or '0'}")


def _bulk_settled(m: events_pb2.BulkSettlementCompleted) -> str:
    text = (f"{len(m.settled_order_ids)} orders settled, released "
            f"{m.total_buying_power_released or '0'} in {m.elapsed_seconds or '?'}s")
    if m.timed_out:
        text += f"; TIMED OUT, unfilled sells {m.failed_sell_value or '0'}"
    return text


def _adjusted(m: events_pb2.BuyOrdersAdjusted) -> str:
    return (f"buys scaled by {m.scale}: available {m.buying_power_available}, "
            f"requested {m.buying_power_requested} ({m.reason})")


def _phase_done(m: events_pb2.ExecutionPhaseCompleted) -> str:
    return (f"{_phase(m.phase_type)} done: {len(m.successful_orders)} ok, "
            f"{len(m.failed_orders)} failed, {len(m.skipped_symbols)} skipped")


def _notice(m: events_pb2.ExecutionNotice) -> str:
    text = f"[{m.level or 'info'}] {m.code}: {m.message}"
    return text + (f" ({m.symbol})" if m.symbol else "")


def _trade_executed(m: events_pb2.TradeExecuted) -> str:
    text = (f"{_exec_status(m.status)}: {m.orders_succeeded}/{m.orders_placed} orders ok, "
            f"{m.orders_skipped} skipped, value {m.total_trade_value or '0'}")
    if m.failed_symbols:
        text += f", failed {','.join(m.failed_symbols)}"
    return text + (f": {m.failure_reason}" if m.failure_reason else "")


_SUMMARIES: Dict[str, Callable[..., str]] = {
    "execution_queued": _queued,
    "execution_started": _started,
    "order_submitted": _submitted,
    "order_updated": _updated,
    "order_repegged": _repegged,
    "order_escalated": _escalated,
    "order_skipped": _skipped,
    "order_settlement_completed": _order_settled,
    "bulk_settlement_completed": _bulk_settled,
    "buy_orders_adjusted": _adjusted,
    "execution_phase_completed": _phase_done,
    "execution_notice": _notice,
    "trade_executed": _trade_executed,
}


def event_summary(event: events_pb2.Event) -> str:
    """A short human summary of the event's payload."""
    field = event.WhichOneof("payload")
    render = _SUMMARIES.get(field or "")
    return render(getattr(event, field)) if render and field else ""


def event_line(event: events_pb2.Event) -> str:
    """``sequence time type plan summary`` on one line."""
    return (f"{event.sequence:>8} {timestamp(event.timestamp)} {event_type(event):<24} "
            f"{event.plan_id or '-'} {event_summary(event)}").rstrip()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]],
          right: Sequence[int] = ()) -> str:
    """A space-aligned table; columns whose index is in ``right`` align right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in rows])


def _order_note(o: execution_pb2.OrderResult) -> str:
    if o.skipped:
        return o.skip_reason
    if o.error_message:
        return o.error_message
    notes = []
    if o.repeg_count:
        notes.append(f"{o.repeg_count} re-peg{'s' if o.repeg_count > 1 else ''}")
    if o.escalated_to_market:
        notes.append("market")
    return ", ".join(notes)


def order_rows(result: execution_pb2.ExecutionResult) -> List[List[str]]:
    """One table row per order result of an execution."""
    rows = []
    for o in result.orders:
        outcome = "skipped" if o.skipped else ("ok" if o.success else "FAILED")
        if result.dry_run:
            outcome = "planned"
        value = o.trade_amount if result.dry_run else (o.filled_value or o.trade_amount)
        rows.append([o.symbol, _action(o.action), o.shares or "-", o.price or "-",
                     value or "-", _status(o.status), outcome, _order_note(o)])
    return rows


def result_summary(result: execution_pb2.ExecutionResult) -> str:
    """An execution's outcome: a header, its orders as a table and the totals."""
    if result.dry_run:
        head = f"plan {result.plan_id}: dry run, nothing was placed"
    else:
        head = f"plan {result.plan_id}: {_exec_status(result.status)}"
    lines = [head]
    if result.orders:
        lines.append("")
        lines.append(table(["SYMBOL", "SIDE", "SHARES", "PRICE", "VALUE", "STATUS", "RESULT",
                            "NOTE"], order_rows(result), right=(2, 3, 4)))
        lines.append("")
    if result.dry_run:
        planned = sum(1 for o in result.orders if not o.skipped)
        lines.append(f"orders: {planned} to place, {result.orders_skipped} skipped")
    else:
        lines.append(f"orders: {result.orders_placed} placed, {result.orders_succeeded} ok, "
                     f"{result.orders_skipped} skipped, {result.orders_failed} failed")
        lines.append(f"traded value: {result.total_trade_value or '0'}")
    if result.buying_power_released and not result.dry_run:
        lines.append(f"buying power released: {result.buying_power_released}")
    if result.dry_run and result.buying_power_needed:
        lines.append(f"buying power needed: {result.buying_power_needed}")
    if result.failed_symbols:
        lines.append(f"failed symbols: {', '.join(result.failed_symbols)}")
    if result.failure_reason:
        lines.append(f"reason: {result.failure_reason}")
    return "\n".join(lines)


def execution_row(result: execution_pb2.ExecutionResult) -> List[str]:
    """A one-line row for ``settled list``."""
    phase = _phase(result.current_phase) if result.current_phase else "-"
    return [result.plan_id, _exec_status(result.status), phase,
            f"{result.orders_succeeded}/{len(result.orders)}",
            result.total_trade_value or "0", timestamp(result.started_at)]


def account_text(info: account_pb2.AccountInfo) -> str:
    """``key: value`` lines of the account's balances."""
    kind = "paper" if info.paper else "live"
    pairs = [("account", info.account_id or "-"), ("broker", f"{info.broker or '-'} ({kind})"),
             ("status", info.status or "-"), ("cash", info.cash),
             ("buying power", info.buying_power), ("equity", info.equity),
             ("portfolio value", info.portfolio_value),
             ("long market value", info.long_market_value),
             ("multiplier", info.multiplier),
             ("trading blocked", "yes" if info.trading_blocked else "no")]
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k + ':':<{width + 1}} {v or '-'}" for k, v in pairs)


def positions_table(positions: Sequence[account_pb2.Position]) -> str:
    rows = [[p.symbol, p.side or "-", p.qty, p.qty_available, p.avg_entry_price,
             p.current_price, p.market_value] for p in positions]
    return table(["SYMBOL", "SIDE", "QTY", "AVAILABLE", "AVG ENTRY", "PRICE", "VALUE"],
                 rows, right=(2, 3, 4, 5, 6))


def orders_table(orders: Sequence[account_pb2.Order]) -> str:
    rows = [[o.symbol, _action(o.side), short_name(types_pb2.OrderType, o.type),
             o.qty, o.filled_qty or "0", o.limit_price or "-", o.filled_avg_price or "-",
             _status(o.status), timestamp(o.created_at), o.client_order_id or o.id]
            for o in orders]
    return table(["SYMBOL", "SIDE", "TYPE", "QTY", "FILLED", "LIMIT", "AVG", "STATUS",
                  "CREATED", "CLIENT ORDER ID"], rows, right=(3, 4, 5, 6))


def status_text(status: int) -> str:
    """``SUCCESS``, ``RUNNING``... for an ExecutionStatus value."""
    return _exec_status(status)
