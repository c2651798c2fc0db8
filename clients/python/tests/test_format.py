"""Output formatting: event lines, tables, enum names, the progress line."""

import io
import json

import pytest
from fakes import ev
from google.protobuf import timestamp_pb2

from settled import format as fmt
from settled.enums import parse_enum, short_name
from settled.progress import ExecutionProgress, ProgressPrinter
from settled.v1 import events_pb2, execution_pb2, types_pb2 as S


def test_timestamp():
    assert fmt.timestamp(timestamp_pb2.Timestamp()) == "-"
    ts = timestamp_pb2.Timestamp(seconds=1714573800, nanos=123_456_789)
    assert fmt.timestamp(ts) == "2024-05-01T14:30:00.123Z"


def test_event_line_columns_and_summaries():
    event = ev(42, plan_id="plan-7", order_submitted=events_pb2.OrderSubmitted(
        symbol="AAPL", side=S.TRADE_ACTION_SELL, order_type=S.ORDER_TYPE_LIMIT,
        quantity="16", limit_price="187.23", order_id="o-1"))
    event.timestamp.FromSeconds(1714573800)
    assert fmt.event_line(event) == (
        "      42 2024-05-01T14:30:00.000Z OrderSubmitted           plan-7 "
        "SELL 16 AAPL LIMIT @ 187.23 attempt 0 order o-1")

    cases = {
        "order_repegged": (events_pb2.OrderRepegged(symbol="X", side=S.TRADE_ACTION_BUY,
                                                    old_price="1.00", new_price="1.01",
                                                    remaining_quantity="5", repeg_count=2,
                                                    reason="market_moved"),
                           "X BUY re-peg #2 1.00 -> 1.01, 5 left (market_moved)"),
        "bulk_settlement_completed": (
            events_pb2.BulkSettlementCompleted(settled_order_ids=["a", "b"],
                                               total_buying_power_released="8880.00",
                                               elapsed_seconds="1.250", timed_out=True,
                                               failed_sell_value="12.00"),
            "2 orders settled, released 8880.00 in 1.250s; TIMED OUT, unfilled sells 12.00"),
        "execution_phase_completed": (
            events_pb2.ExecutionPhaseCompleted(phase_type=S.PHASE_TYPE_SELL_PHASE,
                                               successful_orders=["a"], failed_orders=["b"]),
            "SELL_PHASE done: 1 ok, 1 failed, 0 skipped"),
        "trade_executed": (
            events_pb2.TradeExecuted(status=S.EXECUTION_STATUS_PARTIAL_SUCCESS, orders_placed=4,
                                     orders_succeeded=3, total_trade_value="20000.00",
                                     failed_symbols=["JPM"], failure_reason="JPM rejected"),
            "PARTIAL_SUCCESS: 3/4 orders ok, 0 skipped, value 20000.00, failed JPM: "
            "JPM rejected"),
    }
    for field, (payload, summary) in cases.items():
        event = ev(1, **{field: payload})
        assert fmt.event_summary(event) == summary
        assert fmt.event_type(event) == payload.DESCRIPTOR.name


def test_event_without_payload_and_json_is_one_line():
    event = events_pb2.Event(sequence=3, event_type="SomethingNew")
    assert fmt.event_type(event) == "SomethingNew"
    assert fmt.event_line(event).split() == ["3", "-", "SomethingNew", "-"]
    text = fmt.message_json(ev(5, trade_executed=events_pb2.TradeExecuted(success=True)))
    assert "\n" not in text
    assert json.loads(text) == {"sequence": "5", "planId": "p1", "eventType": "TradeExecuted",
                                "tradeExecuted": {"success": True}}


def test_table_alignment():
    text = fmt.table(["A", "NUM"], [["x", "1"], ["long", "100"]], right=(1,))
    assert text.splitlines() == ["A     NUM", "x       1", "long  100"]


def test_enum_names():
    assert short_name(S.TradeAction, S.TRADE_ACTION_SELL) == "SELL"
    assert short_name(S.OrderStatus, 999) == "999"
    assert parse_enum(S.ExecutionStatus, "running") == S.EXECUTION_STATUS_RUNNING
    assert parse_enum(S.ExecutionStatus, "success-with-skips") == \
        S.EXECUTION_STATUS_SUCCESS_WITH_SKIPS
    assert parse_enum(S.ExecutionStatus, "EXECUTION_STATUS_QUEUED") == S.EXECUTION_STATUS_QUEUED
    assert parse_enum(S.ExecutionStatus, 7) == 7
    with pytest.raises(ValueError, match="queued"):
        parse_enum(S.ExecutionStatus, "nope")


def test_result_summary_for_a_failure():
    result = execution_pb2.ExecutionResult(
        plan_id="p", status=S.EXECUTION_STATUS_FAILURE, failure_reason="plan expired",
        orders=[execution_pb2.OrderResult(symbol="AAPL", action=S.TRADE_ACTION_SELL,
                                          error_message="rejected: insufficient qty",
                                          status=S.ORDER_STATUS_REJECTED)])
    lines = fmt.result_summary(result).splitlines()
    assert lines[0] == "plan p: FAILURE"
    assert lines[3].split()[:3] == ["AAPL", "SELL", "-"] and "FAILED" in lines[3]
    assert lines[3].endswith("rejected: insufficient qty")
    assert lines[-1] == "reason: plan expired"


def test_progress_folds_events():
    progress = ExecutionProgress("p")
    assert progress.line() == "p  starting  filled 0/?  skipped 0  buying power released 0"
    progress.update(ev(1, execution_queued=events_pb2.ExecutionQueued(waiting_for_plan_id="q")))
    assert progress.phase == "queued"
    progress.update(ev(2, execution_started=events_pb2.ExecutionStarted(sell_count=0,
                                                                        buy_count=2)))
    assert progress.phase == "BUY phase" and progress.total == 2
    note = progress.update(ev(3, order_skipped=events_pb2.OrderSkipped(
        symbol="X", side=S.TRADE_ACTION_BUY, reason="notional below $1.00")))
    assert note == "X: skipped (notional below $1.00)"
    # A fill reported twice (e.g. replayed) counts once.
    for seq in (4, 5):
        progress.update(ev(seq, order_updated=events_pb2.OrderUpdated(
            symbol="Y", side=S.TRADE_ACTION_BUY, status=S.ORDER_STATUS_FILLED)))
    progress.update(ev(6, trade_executed=events_pb2.TradeExecuted(
        status=S.EXECUTION_STATUS_SUCCESS_WITH_SKIPS)))
    assert progress.line() == ("p  SUCCESS_WITH_SKIPS  filled 1/2  skipped 1  "
                               "buying power released 0")


def test_progress_printer_plain_and_tty():
    plain = io.StringIO()
    printer = ProgressPrinter(plain, tty=False)
    for line in ["a", "a", "b"]:
        printer.show(line)
    printer.message("note")
    printer.finish()
    assert plain.getvalue() == "a\nb\nnote\n"

    tty = io.StringIO()
    printer = ProgressPrinter(tty, tty=True)
    printer.show("a")
    printer.show("b")
    printer.message("note")
    printer.finish()
    assert tty.getvalue() == "\r\x1b[2Ka\r\x1b[2Kb\r\x1b[2Knote\n\r\x1b[2Kb\n"
