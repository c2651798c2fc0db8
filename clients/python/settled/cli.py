"""``settled`` -- the command line client.

Exit status: 0 ok, 1 the execution was not successful, 2 usage error (bad
arguments, unreadable plan or token file), 3 RPC error (one line on stderr:
the status code and details), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, TextIO

import grpc

from settled import __version__, format as fmt
from settled._channel import DEFAULT_TARGET
from settled.client import Client
from settled.plans import PlanError, load_request
from settled.progress import ExecutionProgress, ProgressPrinter, is_terminal
from settled.v1 import events_pb2, execution_pb2

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_RPC", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RPC = 3
EXIT_INTERRUPTED = 130

#: Seconds between GetExecution polls when the server has no WatchExecution.
POLL_INTERVAL = 0.5


class UsageError(Exception):
    """A bad argument found after parsing (exit 2)."""


# -- arguments ---------------------------------------------------------------

def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def build_parser(environ: Mapping[str, str] = os.environ) -> argparse.ArgumentParser:
    """The argument parser; ``environ`` supplies SETTLED_TARGET and SETTLED_TOKEN."""
    parser = argparse.ArgumentParser(
        prog="settledctl", description="Command line client of the settled trade execution service.",
        epilog="exit status: 0 ok, 1 execution not successful, 2 usage, 3 RPC error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--target", default=environ.get("SETTLED_TARGET", DEFAULT_TARGET),
                        help="server HOST:PORT (env SETTLED_TARGET; default %(default)s)")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument("--token", default=environ.get("SETTLED_TOKEN") or None,
                      help="bearer token (env SETTLED_TOKEN)")
    auth.add_argument("--token-file", metavar="FILE", help="read the bearer token from FILE")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca", metavar="FILE", help="CA certificates (PEM); implies --tls")
    parser.add_argument("--cert", metavar="FILE", help="client certificate (PEM) for mutual TLS")
    parser.add_argument("--key", metavar="FILE", help="client key (PEM) for mutual TLS")
    parser.add_argument("--timeout", type=_positive_float, default=30.0, metavar="SECONDS",
                        help="deadline of each unary call (default %(default)s)")

    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print protobuf JSON")

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("execute", parents=[json_flag], help="execute a plan file",
                       description="Executes a plan (a RebalancePlan or an ExecutePlanRequest "
                       "in protobuf JSON, like examples/plan.json) and follows it to the end.")
    p.add_argument("plan", metavar="PLAN_JSON")
    p.add_argument("--detach", action="store_true", help="return once the execution started")
    p.add_argument("--dry-run", action="store_true", help="size the orders, place nothing")

    p = sub.add_parser("watch", parents=[json_flag], help="follow one execution's events")
    p.add_argument("plan_id", metavar="PLAN_ID")

    p = sub.add_parser("events", parents=[json_flag], help="print server-wide events",
                       description="Prints events, one a line. Without --after or "
                       "--from-oldest only new events are shown, which implies --follow.")
    p.add_argument("--type", dest="types", action="append", default=[], metavar="TYPE",
                   help="payload message name, e.g. BulkSettlementCompleted (repeatable)")
    p.add_argument("--plan", metavar="PLAN_ID", help="only events of this plan")
    p.add_argument("--correlation", metavar="ID", help="only events of this correlation id")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--after", type=_non_negative_int, metavar="N",
                       help="start after sequence N (0: from the first)")
    start.add_argument("--from-oldest", action="store_true",
                       help="start from the oldest retained event")
    p.add_argument("--follow", "-f", action="store_true",
                   help="keep streaming (resuming after disconnects)")
    p.add_argument("--idle", type=_positive_float, default=1.0, metavar="SECONDS",
                   help="without --follow, stop after this long without an event "
                   "(default %(default)s)")

    sub.add_parser("account", parents=[json_flag], help="show the broker account")
    sub.add_parser("positions", parents=[json_flag], help="list open positions")
    p = sub.add_parser("orders", parents=[json_flag], help="list broker orders")
    p.add_argument("--status", choices=["open", "closed", "all"], default="open")
    p.add_argument("--symbol", dest="symbols", action="append", default=[], metavar="SYMBOL")
    p.add_argument("--limit", type=_non_negative_int, default=0)

    p = sub.add_parser("get", parents=[json_flag], help="show one execution")
    p.add_argument("plan_id", metavar="PLAN_ID")
    p = sub.add_parser("list", parents=[json_flag], help="list executions, newest first")
    p.add_argument("--status", dest="statuses", action="append", default=[], metavar="STATUS",
                   help="only this status, e.g. running (repeatable)")
    p.add_argument("--limit", type=_non_negative_int, default=0, help="page size (default 100)")
    p = sub.add_parser("cancel", parents=[json_flag], help="cancel an execution")
    p.add_argument("plan_id", metavar="PLAN_ID")
    p.add_argument("--reason", default="canceled from the command line")
    return parser


def _read_token(args: argparse.Namespace) -> Optional[str]:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as exc:
            raise UsageError(f"--token-file: {exc.strerror}: {args.token_file}") from exc
        if not token:
            raise UsageError(f"--token-file: {args.token_file} is empty")
        return token
    return args.token


def make_client(args: argparse.Namespace) -> Client:
    """The Client the global options describe."""
    if (args.cert is None) != (args.key is None):
        raise UsageError("--cert and --key go together")
    try:
        return Client(args.target, token=_read_token(args), tls=args.tls,
                      root_certificates=args.ca, client_cert=args.cert, client_key=args.key)
    except OSError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}") from exc


# -- commands ----------------------------------------------------------------

class Output:
    """Where a command writes; stdout and stderr unless a test says otherwise."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        self.err.write(f"settled: {text}\n")
        self.err.flush()

    @property
    def tty(self) -> bool:
        isatty = getattr(self.out, "isatty", None)
        return bool(isatty and isatty())


def _outcome(result: execution_pb2.ExecutionResult) -> int:
    """1 for a finished execution that did not succeed, else 0."""
    return EXIT_FAILED if is_terminal(result.status) and not result.success else EXIT_OK


def _show_result(io: Output, args: argparse.Namespace,
                 result: execution_pb2.ExecutionResult) -> None:
    io.print(fmt.message_json(result) if args.json else fmt.result_summary(result))


def _retry_notice(io: Output, last: List[int]) -> Callable[[grpc.RpcError, float], None]:
    def notice(error: grpc.RpcError, delay: float) -> None:
        where = f" after sequence {last[0]}" if last[0] else ""
        io.warn(f"stream interrupted ({rpc_error_text(error)}); resuming{where} in {delay:.1f}s")
    return notice


def _follow_events(client: Client, plan_id: str, progress: ExecutionProgress,
                   printer: ProgressPrinter, io: Output) -> None:
    """Feeds the execution's events into the progress line until it ends;
    polls GetExecution instead when the server has no WatchExecution."""
    last = [0]
    try:
        for event in client.watch(plan_id, on_retry=_retry_notice(io, last)):
            last[0] = event.sequence
            message = progress.update(event)
            if message:
                printer.message(message)
            printer.show(progress.line())
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise
    while progress.status is None:
        progress.update_from_result(client.get_execution(plan_id))
        printer.show(progress.line())
        if progress.status is None:
            time.sleep(POLL_INTERVAL)


def cmd_execute(client: Client, args: argparse.Namespace, io: Output) -> int:
    try:
        request = load_request(args.plan)
    except (OSError, PlanError) as exc:
        raise UsageError(str(exc) if isinstance(exc, PlanError)
                         else f"{args.plan}: {exc.strerror}") from exc
    if args.dry_run:
        result = client.execute_plan(request, dry_run=True, wait=True, timeout=args.timeout)
        _show_result(io, args, result)
        return _outcome(result)
    result = client.execute_plan(request, wait=False, timeout=args.timeout)
    plan_id = result.plan_id or request.plan.plan_id
    if args.detach and not is_terminal(result.status):
        if args.json:
            io.print(fmt.message_json(result))
        else:
            io.print(f"plan {plan_id}: {fmt.status_text(result.status)} "
                     f"(follow with: settled watch {plan_id})")
        return EXIT_OK
    if not is_terminal(result.status):
        progress = ExecutionProgress(plan_id)
        progress.update_from_result(result)
        printer = ProgressPrinter(io.out if not args.json else io.err,
                                  tty=io.tty and not args.json)
        printer.show(progress.line())
        try:
            _follow_events(client, plan_id, progress, printer, io)
        except KeyboardInterrupt:
            printer.finish()
            io.warn(f"stopped following; the execution continues (settled watch {plan_id})")
            return EXIT_INTERRUPTED
        printer.finish()
        result = client.get_execution(plan_id, timeout=args.timeout)
        if not args.json:
            io.print()
    _show_result(io, args, result)
    return _outcome(result)


def cmd_watch(client: Client, args: argparse.Namespace, io: Output) -> int:
    client.get_execution(args.plan_id, timeout=args.timeout)  # NOT_FOUND before streaming
    last = [0]
    for event in client.watch(args.plan_id, on_retry=_retry_notice(io, last)):
        last[0] = event.sequence
        io.print(fmt.message_json(event) if args.json else fmt.event_line(event))
    result = client.get_execution(args.plan_id, timeout=args.timeout)
    if not args.json:
        io.print()
        io.print(fmt.result_summary(result))
    return _outcome(result)


_END = object()


def until_idle(events: Iterator[events_pb2.Event], idle: float) -> Iterator[events_pb2.Event]:
    """Yields from ``events`` until none arrives for ``idle`` seconds (or it ends).

    The stream is read on a daemon thread; the caller closes the client
    afterwards, which ends that thread's call.
    """
    items: "queue.Queue[Any]" = queue.Queue(maxsize=1024)

    def pump() -> None:
        try:
            for event in events:
                items.put(event)
            items.put(_END)
        except BaseException as exc:  # handed to the reading thread
            items.put(exc)

    threading.Thread(target=pump, name="settled-events", daemon=True).start()
    while True:
        try:
            item = items.get(timeout=idle)
        except queue.Empty:
            return
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def cmd_events(client: Client, args: argparse.Namespace, io: Output) -> int:
    follow = args.follow or (args.after is None and not args.from_oldest)
    last = [args.after or 0]
    notice = _retry_notice(io, last)

    def give_up(error: grpc.RpcError, delay: float) -> None:
        raise error

    stream: Iterator[events_pb2.Event] = client.subscribe(
        types=args.types, plan_id=args.plan, correlation_id=args.correlation,
        after=args.after, from_oldest=args.from_oldest,
        on_retry=notice if follow else give_up)
    if not follow:
        stream = until_idle(stream, args.idle)
    for event in stream:
        last[0] = event.sequence
        io.print(fmt.message_json(event) if args.json else fmt.event_line(event))
    return EXIT_OK


def cmd_account(client: Client, args: argparse.Namespace, io: Output) -> int:
    info = client.account(timeout=args.timeout)
    io.print(fmt.message_json(info) if args.json else fmt.account_text(info))
    return EXIT_OK


def cmd_positions(client: Client, args: argparse.Namespace, io: Output) -> int:
    positions = client.positions(timeout=args.timeout)
    if args.json:
        for p in positions:
            io.print(fmt.message_json(p))
    else:
        io.print(fmt.positions_table(positions))
    return EXIT_OK


def cmd_orders(client: Client, args: argparse.Namespace, io: Output) -> int:
    orders = client.orders(status=args.status, symbols=args.symbols, limit=args.limit,
                           timeout=args.timeout)
    if args.json:
        for o in orders:
            io.print(fmt.message_json(o))
    else:
        io.print(fmt.orders_table(orders))
    return EXIT_OK


def cmd_get(client: Client, args: argparse.Namespace, io: Output) -> int:
    result = client.get_execution(args.plan_id, timeout=args.timeout)
    _show_result(io, args, result)
    return _outcome(result)


def cmd_list(client: Client, args: argparse.Namespace, io: Output) -> int:
    try:
        reply = client.list_executions(page_size=args.limit, statuses=args.statuses,
                                       timeout=args.timeout)
    except ValueError as exc:  # an unknown --status
        raise UsageError(f"--status: {exc}") from exc
    if args.json:
        for result in reply.executions:
            io.print(fmt.message_json(result))
    else:
        rows = [fmt.execution_row(r) for r in reply.executions]
        io.print(fmt.table(["PLAN", "STATUS", "PHASE", "OK", "VALUE", "STARTED"], rows,
                           right=(3, 4)))
        if reply.next_page_token:
            io.print(f"(more: use --limit to show more than {len(rows)})")
    return EXIT_OK


def cmd_cancel(client: Client, args: argparse.Namespace, io: Output) -> int:
    result = client.cancel_execution(args.plan_id, reason=args.reason, timeout=args.timeout)
    _show_result(io, args, result)
    return EXIT_OK


COMMANDS: Mapping[str, Callable[[Client, argparse.Namespace, Output], int]] = {
    "execute": cmd_execute,
    "watch": cmd_watch,
    "events": cmd_events,
    "account": cmd_account,
    "positions": cmd_positions,
    "orders": cmd_orders,
    "get": cmd_get,
    "list": cmd_list,
    "cancel": cmd_cancel,
}


# -- entry point -------------------------------------------------------------

def _one_line(text: Optional[str]) -> str:
    return " ".join((text or "").split())


def rpc_error_text(error: grpc.RpcError) -> str:
    """``CODE: details`` of an RPC error, on one line."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = error.details() if callable(getattr(error, "details", None)) else str(error)
    return f"{code.name if code is not None else 'UNKNOWN'}: {_one_line(details) or 'no details'}"


def main(argv: Optional[Sequence[str]] = None, *,
         client_factory: Callable[[argparse.Namespace], Client] = make_client,
         out: Optional[TextIO] = None, err: Optional[TextIO] = None,
         environ: Mapping[str, str] = os.environ) -> int:
    """Runs the CLI and returns its exit status (``client_factory``, ``out``,
    ``err`` and ``environ`` let tests and embedders substitute their own)."""
    io = Output(out or sys.stdout, err or sys.stderr)
    try:
        args = build_parser(environ).parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    client: Optional[Client] = None
    try:
        client = client_factory(args)
        return COMMANDS[args.command](client, args, io)
    except UsageError as exc:
        io.warn(str(exc))
        return EXIT_USAGE
    except grpc.RpcError as exc:
        io.warn(rpc_error_text(exc))
        return EXIT_RPC
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `settled events | head`): not an error.
        # Point stdout at /dev/null so that the exit-time flush stays quiet.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    finally:
        if client is not None:
            client.close()


if __name__ == "__main__":
    sys.exit(main())
