"""The command line: arguments, exit codes and what it prints (no server)."""

import io
import json
import threading

import grpc
import pytest
from conftest import REPO_ROOT
from fakes import FakeChannel, FakeRpcError, Script, ev

import settled.cli as cli
from settled import Client
from settled.v1 import account_pb2, events_pb2, execution_pb2, types_pb2

EXAMPLE = str(REPO_ROOT / "examples" / "plan.json")
S = types_pb2


class TTY(io.StringIO):
    def isatty(self):
        return True


def run(script, *argv, out=None, environ=None):
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    rc = cli.main(list(argv), out=out, err=err, environ=environ or {},
                  client_factory=lambda args: Client(token=args.token,
                                                     channel=FakeChannel(script)))
    return rc, out.getvalue(), err.getvalue()


def result(status=S.EXECUTION_STATUS_SUCCESS, **kw):
    ok = status in (S.EXECUTION_STATUS_SUCCESS, S.EXECUTION_STATUS_SUCCESS_WITH_SKIPS)
    base = dict(plan_id="example-rebalance-001", status=status, success=ok)
    base.update(kw)
    return execution_pb2.ExecutionResult(**base)


FINAL = result(
    orders=[execution_pb2.OrderResult(symbol="AAPL", action=S.TRADE_ACTION_SELL, shares="16",
                                      price="187.50", filled_value="3000.00", success=True,
                                      status=S.ORDER_STATUS_FILLED, repeg_count=1),
            execution_pb2.OrderResult(symbol="GOOGL", action=S.TRADE_ACTION_BUY, skipped=True,
                                      skip_reason="notional below $1.00")],
    orders_placed=1, orders_succeeded=1, orders_skipped=1, total_trade_value="3000.00",
    buying_power_released="3000.00")


def execution_events(final_status=S.EXECUTION_STATUS_SUCCESS):
    return [
        ev(10, execution_started=events_pb2.ExecutionStarted(item_count=5, sell_count=2,
                                                             buy_count=2, hold_count=1)),
        ev(11, order_updated=events_pb2.OrderUpdated(symbol="AAPL", side=S.TRADE_ACTION_SELL,
                                                     status=S.ORDER_STATUS_FILLED,
                                                     filled_qty="16")),
        ev(12, order_settlement_completed=events_pb2.OrderSettlementCompleted(
            symbol="AAPL", buying_power_released="3000.00")),
        ev(13, bulk_settlement_completed=events_pb2.BulkSettlementCompleted(
            total_buying_power_released="8880.00")),
        ev(14, execution_notice=events_pb2.ExecutionNotice(level="warning", code="no_quote",
                                                           message="no quote", symbol="JPM")),
        ev(15, order_updated=events_pb2.OrderUpdated(symbol="GOOGL", side=S.TRADE_ACTION_BUY,
                                                     status=S.ORDER_STATUS_FILLED)),
        ev(16, trade_executed=events_pb2.TradeExecuted(status=final_status)),
    ]


# -- arguments -------------------------------------------------------------------

def test_global_defaults_and_environment():
    args = cli.build_parser({}).parse_args(["account"])
    assert args.target == "127.0.0.1:50051" and args.token is None and not args.tls
    env = {"SETTLED_TARGET": "h:1", "SETTLED_TOKEN": "t"}
    args = cli.build_parser(env).parse_args(["account"])
    assert (args.target, args.token) == ("h:1", "t")
    args = cli.build_parser(env).parse_args(["--target", "x:2", "--token", "u", "account"])
    assert (args.target, args.token) == ("x:2", "u")


@pytest.mark.parametrize("argv", [
    [], ["bogus"], ["events", "--after", "3", "--from-oldest"], ["events", "--after", "-1"],
    ["orders", "--status", "pending"], ["--token", "a", "--token-file", "f", "account"],
    ["execute"], ["get"], ["--timeout", "0", "account"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv, environ={}) == 2
    assert "usage:" in capsys.readouterr().err


def test_version_and_help_exit_0(capsys):
    assert cli.main(["--version"], environ={}) == 0
    assert cli.main(["execute", "--help"], environ={}) == 0
    assert "--detach" in capsys.readouterr().out


def test_token_and_tls_options_reach_the_client(monkeypatch, tmp_path):
    made = []
    monkeypatch.setattr(cli, "Client", lambda *a, **kw: made.append((a, kw)) or
                        Client(channel=FakeChannel(Script(unary={"GetAccount": [
                            account_pb2.AccountInfo()]}))))
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    ca = tmp_path / "ca.pem"
    rc = cli.main(["--target", "h:9", "--token-file", str(token_file), "--ca", str(ca),
                   "account"], out=io.StringIO(), environ={"SETTLED_TOKEN": "env"})
    assert rc == 0
    (target,), kw = made[0]
    assert target == "h:9" and kw["token"] == "from-file" and kw["root_certificates"] == str(ca)

    err = io.StringIO()
    rc = cli.main(["--token-file", str(tmp_path / "missing"), "account"], err=err, environ={})
    assert rc == 2 and err.getvalue().startswith("settled: --token-file")
    assert cli.main(["--cert", "c.pem", "account"], err=io.StringIO(), environ={}) == 2


def test_token_is_sent_as_bearer_metadata():
    script = Script(unary={"GetAccount": [account_pb2.AccountInfo()]})
    rc, _, _ = run(script, "account", environ={"SETTLED_TOKEN": "s3cret"})
    assert rc == 0
    assert script.calls[0].metadata == (("authorization", "Bearer s3cret"),)


# -- exit codes --------------------------------------------------------------------

def test_rpc_error_exits_3_with_one_stderr_line():
    script = Script(unary={"GetExecution": [
        FakeRpcError(grpc.StatusCode.NOT_FOUND, "execution\n'nope' not found")]})
    rc, out, err = run(script, "get", "nope")
    assert rc == 3 and out == ""
    assert err == "settled: NOT_FOUND: execution 'nope' not found\n"


def test_get_exit_code_follows_the_outcome():
    assert run(Script(unary={"GetExecution": [FINAL]}), "get", "x")[0] == 0
    failed = result(S.EXECUTION_STATUS_FAILURE, failure_reason="sells failed")
    rc, out, _ = run(Script(unary={"GetExecution": [failed]}), "get", "x")
    assert rc == 1 and "FAILURE" in out and "reason: sells failed" in out
    running = result(S.EXECUTION_STATUS_RUNNING, success=False)
    assert run(Script(unary={"GetExecution": [running]}), "get", "x")[0] == 0


def test_bad_plan_file_exits_2(tmp_path):
    rc, _, err = run(Script(), "execute", str(tmp_path / "none.json"))
    assert rc == 2 and "none.json" in err and len(err.splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"plan_id": 1, "itemz": []}')
    rc, _, err = run(Script(), "execute", str(bad))
    assert rc == 2 and err.startswith("settled: ")


# -- execute -------------------------------------------------------------------------

def execute_script(final_status=S.EXECUTION_STATUS_SUCCESS, final=FINAL):
    return Script(
        unary={"ExecutePlan": [result(S.EXECUTION_STATUS_RUNNING, success=False)],
               "GetExecution": [final]},
        streams={"WatchExecution": [execution_events(final_status)]})


def test_execute_follows_progress_in_plain_lines():
    script = execute_script()
    rc, out, err = run(script, "execute", EXAMPLE)
    assert rc == 0, err
    request = script.requests("ExecutePlan")[0]
    assert request.detach and not request.dry_run
    assert request.plan.plan_id == "example-rebalance-001"
    assert request.config.fill_wait_seconds == "2"
    assert script.requests("WatchExecution")[0].plan_id == "example-rebalance-001"
    lines = out.splitlines()
    assert "\r" not in out
    assert "example-rebalance-001  SELL phase  filled 0/4  skipped 0  " \
           "buying power released 0" in lines
    assert any("SELL phase  filled 1/4" in line and "released 3000.00" in line for line in lines)
    assert any("BUY phase  filled 2/4" in line and "released 8880.00" in line for line in lines)
    assert "warning: no quote (JPM)" in lines
    assert any(line.startswith("SYMBOL") and "SHARES" in line for line in lines)
    assert any(line.startswith("AAPL") and "3000.00" in line for line in lines)
    assert "plan example-rebalance-001: SUCCESS" in lines


def test_execute_on_a_terminal_rewrites_one_line():
    out = TTY()
    rc, text, _ = run(execute_script(), "execute", EXAMPLE, out=out)
    assert rc == 0
    assert "\r\x1b[2K" in text and "SUCCESS" in text


def test_execute_not_successful_exits_1():
    final = result(S.EXECUTION_STATUS_PARTIAL_SUCCESS, failed_symbols=["JPM"])
    rc, out, _ = run(execute_script(S.EXECUTION_STATUS_PARTIAL_SUCCESS, final),
                     "execute", EXAMPLE)
    assert rc == 1 and "failed symbols: JPM" in out


def test_execute_detach_and_dry_run():
    script = Script(unary={"ExecutePlan": [result(S.EXECUTION_STATUS_RUNNING, success=False)]})
    rc, out, _ = run(script, "execute", EXAMPLE, "--detach")
    assert rc == 0 and "RUNNING" in out and "settled watch example-rebalance-001" in out
    assert script.requests("ExecutePlan")[0].detach

    dry = result(dry_run=True, buying_power_needed="12000.00", orders=FINAL.orders)
    script = Script(unary={"ExecutePlan": [dry]})
    rc, out, _ = run(script, "execute", EXAMPLE, "--dry-run")
    request = script.requests("ExecutePlan")[0]
    assert rc == 0 and request.dry_run and not request.detach
    assert "dry run" in out and "buying power needed: 12000.00" in out and "planned" in out


def test_execute_polls_when_watch_is_unimplemented(monkeypatch):
    monkeypatch.setattr(cli, "POLL_INTERVAL", 0)
    script = Script(
        unary={"ExecutePlan": [result(S.EXECUTION_STATUS_RUNNING, success=False)],
               "GetExecution": [result(S.EXECUTION_STATUS_RUNNING, success=False,
                                       current_phase=S.PHASE_TYPE_BUY_PHASE), FINAL]},
        streams={"WatchExecution": [[FakeRpcError(grpc.StatusCode.UNIMPLEMENTED)]]})
    rc, out, _ = run(script, "execute", EXAMPLE)
    assert rc == 0 and "BUY PHASE" in out and "plan example-rebalance-001: SUCCESS" in out


def test_execute_json_prints_the_result():
    rc, out, _ = run(execute_script(), "execute", EXAMPLE, "--json")
    assert rc == 0
    assert json.loads(out.splitlines()[-1])["status"] == "EXECUTION_STATUS_SUCCESS"


# -- streams ---------------------------------------------------------------------------

def test_watch_prints_one_line_per_event_then_the_summary():
    script = Script(unary={"GetExecution": [FINAL]},
                    streams={"WatchExecution": [execution_events()]})
    rc, out, _ = run(script, "watch", "example-rebalance-001")
    lines = out.splitlines()
    assert rc == 0
    assert lines[0].split()[0] == "10" and "ExecutionStarted" in lines[0]
    assert "TradeExecuted" in lines[6] and lines[7] == ""
    assert "plan example-rebalance-001: SUCCESS" in lines


def test_events_from_oldest_plain_and_json():
    events = execution_events()[:3]
    script = Script(streams={"SubscribeEvents": [list(events)]})
    rc, out, _ = run(script, "events", "--from-oldest", "--type", "OrderUpdated",
                     "--plan", "p1")
    assert rc == 0 and [l.split()[0] for l in out.splitlines()] == ["10", "11", "12"]
    req = script.requests("SubscribeEvents")[0]
    assert req.from_oldest and list(req.event_types) == ["OrderUpdated"] and req.plan_id == "p1"

    script = Script(streams={"SubscribeEvents": [list(events)]})
    rc, out, _ = run(script, "events", "--after", "9", "--json")
    parsed = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [p["sequence"] for p in parsed] == ["10", "11", "12"]
    assert script.requests("SubscribeEvents")[0].after_sequence == 9


def test_events_without_follow_does_not_resume():
    script = Script(streams={"SubscribeEvents": [
        [ev(1), FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused")]]})
    rc, out, err = run(script, "events", "--after", "0")
    assert rc == 3 and out.split()[0] == "1"
    assert err == "settled: UNAVAILABLE: connection refused\n"


def test_events_follow_resumes_and_says_so(monkeypatch):
    monkeypatch.setattr("settled.client.time.sleep", lambda s: None)
    script = Script(streams={"SubscribeEvents": [
        [ev(1), ev(2), FakeRpcError(grpc.StatusCode.UNAVAILABLE, "gone")], [ev(2), ev(3)]]})
    rc, out, err = run(script, "events", "--follow", "--after", "0")
    assert rc == 0 and [l.split()[0] for l in out.splitlines()] == ["1", "2", "3"]
    assert "resuming after sequence 2" in err
    assert script.requests("SubscribeEvents")[1].after_sequence == 2


def test_events_only_new_implies_follow():
    script = Script(streams={"SubscribeEvents": [[ev(7)]]})
    rc, out, _ = run(script, "events")
    assert rc == 0 and script.requests("SubscribeEvents")[0].only_new


def test_until_idle_stops_a_quiet_stream():
    release = threading.Event()

    def stream():
        yield ev(1)
        yield ev(2)
        release.wait(10)  # "no more events for a while"
        yield ev(3)

    got = [e.sequence for e in cli.until_idle(stream(), idle=0.2)]
    release.set()
    assert got == [1, 2]


# -- other commands --------------------------------------------------------------------

def test_account_positions_orders_list_cancel():
    script = Script(unary={
        "GetAccount": [account_pb2.AccountInfo(account_id="sim-1", cash="1000.00",
                                               buying_power="1000.00", broker="sim",
                                               paper=True)],
        "ListPositions": [account_pb2.ListPositionsResponse(positions=[
            account_pb2.Position(symbol="AAPL", qty="10", market_value="1875.00")])],
        "ListOrders": [account_pb2.ListOrdersResponse(orders=[
            account_pb2.Order(symbol="AAPL", side=S.TRADE_ACTION_SELL, qty="5",
                              status=S.ORDER_STATUS_FILLED)])],
        "ListExecutions": [execution_pb2.ListExecutionsResponse(executions=[FINAL])],
        "CancelExecution": [result(S.EXECUTION_STATUS_CANCELED,
                                   failure_reason="canceled from the command line")],
    })
    rc, out, _ = run(script, "account")
    assert rc == 0 and "cash:" in out and "sim (paper)" in out
    rc, out, _ = run(script, "positions")
    assert out.splitlines()[0].split()[:3] == ["SYMBOL", "SIDE", "QTY"] and "AAPL" in out
    rc, out, _ = run(script, "orders", "--status", "closed", "--symbol", "AAPL")
    req = script.requests("ListOrders")[0]
    assert req.status == account_pb2.ORDER_QUERY_STATUS_CLOSED and list(req.symbols) == ["AAPL"]
    assert "FILLED" in out
    rc, out, _ = run(script, "list", "--status", "running", "--status", "SUCCESS")
    assert list(script.requests("ListExecutions")[0].statuses) == [
        S.EXECUTION_STATUS_RUNNING, S.EXECUTION_STATUS_SUCCESS]
    assert "example-rebalance-001" in out
    rc, out, _ = run(script, "cancel", "example-rebalance-001")
    assert rc == 0 and "CANCELED" in out
    assert script.requests("CancelExecution")[0].reason == "canceled from the command line"
    rc, _, err = run(script, "list", "--status", "bogus")
    assert rc == 2 and "bogus" in err
