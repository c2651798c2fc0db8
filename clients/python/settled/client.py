"""The blocking client: a thin, typed layer over the generated ``settled.v1`` stubs.

    from settled import Client, load_request

    with Client("127.0.0.1:50051", token="s3cret") as client:
        result = client.execute_plan(load_request("examples/plan.json"))
        for event in client.subscribe(types=["TradeExecuted"], after=0):
            print(event.sequence, event.plan_id, event.trade_executed.status)

Every call carries ``authorization: Bearer <token>`` when a token is given.
Errors are the ``grpc.RpcError`` raised by grpcio (``.code()``, ``.details()``).
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

import grpc

from settled import _requests
from settled._channel import (
    DEFAULT_TARGET,
    PemSource,
    auth_metadata,
    channel_options,
    credentials,
)
from settled.plans import ConfigLike, PlanLike, as_request
from settled.resume import Backoff, EventCursor, RetryCallback, RetryPolicy, error_resumable
from settled.v1 import (
    account_pb2,
    account_pb2_grpc,
    events_pb2,
    execution_pb2,
    execution_pb2_grpc,
    pricing_pb2,
    pricing_pb2_grpc,
    types_pb2,
)

__all__ = ["Client"]

T = TypeVar("T")


class Client:
    """A connection to a settled server.

    Args:
        target: ``HOST:PORT`` of the server.
        token: bearer token sent with every call, if the server requires one.
        tls: use TLS (implied by any of the certificate arguments).
        root_certificates: CA certificates (PEM bytes or a file path); the
            system roots when omitted.
        client_cert, client_key: client certificate chain and key for mutual
            TLS (PEM bytes or file paths).
        options: extra grpc channel options.
        retry: backoff of the self-resuming streams.
        channel: use this channel instead of opening one (the other
            connection arguments except ``token`` are then ignored).
    """

    def __init__(self, target: str = DEFAULT_TARGET, token: Optional[str] = None,
                 tls: bool = False, root_certificates: Optional[PemSource] = None,
                 client_cert: Optional[PemSource] = None,
                 client_key: Optional[PemSource] = None, *,
                 options: Optional[Sequence[Tuple[str, object]]] = None,
                 retry: RetryPolicy = RetryPolicy(),
                 channel: Optional[grpc.Channel] = None) -> None:
        if channel is None:
            creds = credentials(tls, root_certificates, client_cert, client_key)
            opts = channel_options(options)
            channel = (grpc.insecure_channel(target, options=opts) if creds is None
                       else grpc.secure_channel(target, creds, options=opts))
        self.target = target
        self._channel = channel
        self._metadata = auth_metadata(token)
        self._retry = retry
        self._executor = execution_pb2_grpc.ExecutorStub(channel)
        self._pricing = pricing_pb2_grpc.PricingStub(channel)
        self._account = account_pb2_grpc.AccountStub(channel)

    # -- lifecycle ---------------------------------------------------------

    @property
    def channel(self) -> grpc.Channel:
        """The underlying grpc channel."""
        return self._channel

    def close(self) -> None:
        """Closes the channel; open streams end with CANCELLED."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _unary(self, method: Callable[..., T], request: object,
               timeout: Optional[float]) -> T:
        return method(request, timeout=timeout, metadata=self._metadata)

    # -- Executor ----------------------------------------------------------

    def execute_plan(self, plan: PlanLike, config: Optional[ConfigLike] = None,
                     wait: bool = True, timeout: Optional[float] = None,
                     dry_run: bool = False) -> execution_pb2.ExecutionResult:
        """Executes a plan (idempotent on its plan_id).

        ``plan`` is a RebalancePlan, an ExecutePlanRequest (e.g. from
        :func:`settled.load_request`) or the JSON-form dict of either.
        With ``wait`` the call returns the terminal result (within
        ``timeout`` seconds, if given); ``wait=False`` sets ``detach`` and
        returns at once with the execution RUNNING or QUEUED.
        """
        request = as_request(plan, config, dry_run=dry_run, detach=not wait)
        return self._unary(self._executor.ExecutePlan, request, timeout)

    def get_execution(self, plan_id: str, timeout: Optional[float] = None
                      ) -> execution_pb2.ExecutionResult:
        """One execution (NOT_FOUND when unknown)."""
        return self._unary(self._executor.GetExecution,
                           execution_pb2.GetExecutionRequest(plan_id=plan_id), timeout)

    def list_executions(self, page_size: int = 0, page_token: str = "",
                        statuses: Iterable[_requests.StatusLike] = (),
                        timeout: Optional[float] = None
                        ) -> execution_pb2.ListExecutionsResponse:
        """A page of executions, newest first; ``statuses`` as enum values or
        names such as ``"RUNNING"``."""
        request = _requests.list_executions(page_size, page_token, statuses)
        return self._unary(self._executor.ListExecutions, request, timeout)

    def cancel_execution(self, plan_id: str, reason: str = "",
                         timeout: Optional[float] = None) -> execution_pb2.ExecutionResult:
        """Cancels an execution's open orders; it ends CANCELED."""
        request = execution_pb2.CancelExecutionRequest(plan_id=plan_id, reason=reason)
        return self._unary(self._executor.CancelExecution, request, timeout)

    def watch(self, plan_id: str, on_retry: Optional[RetryCallback] = None
              ) -> Iterator[events_pb2.Event]:
        """The events of one execution from its start; ends when it ends.

        A broken connection is re-opened (the server replays the execution
        from its start; events already yielded are dropped).
        """
        cursor = EventCursor()
        request = execution_pb2.WatchExecutionRequest(plan_id=plan_id)
        return self._resuming(
            lambda: self._executor.WatchExecution(request, metadata=self._metadata),
            cursor, on_retry)

    def subscribe(self, types: Optional[Iterable[str]] = None, plan_id: Optional[str] = None,
                  correlation_id: Optional[str] = None, after: Optional[int] = None,
                  from_oldest: bool = False, on_retry: Optional[RetryCallback] = None
                  ) -> Iterator[events_pb2.Event]:
        """Server-wide events, filtered, that resume by themselves.

        Args:
            types: payload message names, e.g. ``["BulkSettlementCompleted"]``.
            plan_id, correlation_id: only events of this plan / workflow.
            after: start after this sequence (0: from the first event).
            from_oldest: start from the oldest retained event.
                Neither: only events published from now on.
            on_retry: called with (error, delay) before each reconnection;
                raise from it to give up.

        After UNAVAILABLE, a connection error or RESOURCE_EXHAUSTED (too slow)
        the stream is re-opened after a capped, jittered backoff with
        ``after_sequence`` = the last sequence yielded (before the first
        event: the sequence the server said the stream starts after), and
        events at or below it are dropped: no gap, no duplicate. OUT_OF_RANGE (the
        history is gone) and other errors are raised. The stream never ends
        by itself unless the server ends it cleanly.
        """
        filters = _requests.subscribe_filters(types, plan_id, correlation_id)
        cursor = EventCursor(after, from_oldest)
        return self._resuming(
            lambda: self._executor.SubscribeEvents(cursor.request(filters),
                                                   metadata=self._metadata),
            cursor, on_retry)

    def _resuming(self, open_stream: Callable[[], "grpc.Call"], cursor: EventCursor,
                  on_retry: Optional[RetryCallback]) -> Iterator[events_pb2.Event]:
        backoff = Backoff(self._retry)
        while True:
            call = open_stream()
            try:
                if cursor.last_seq is None:
                    cursor.note_start(call.initial_metadata())
                for event in call:  # type: ignore[attr-defined]
                    if cursor.accept(event):
                        backoff.reset()
                        yield event
                return
            except grpc.RpcError as error:
                if not error_resumable(error):
                    raise
                cursor.note_error(error)
                delay = backoff.next_delay()
                if on_retry is not None:
                    on_retry(error, delay)
            finally:
                call.cancel()
            time.sleep(delay)

    # -- Account -----------------------------------------------------------

    def account(self, timeout: Optional[float] = None) -> account_pb2.AccountInfo:
        """The broker account's balances."""
        return self._unary(self._account.GetAccount, account_pb2.GetAccountRequest(), timeout)

    def positions(self, timeout: Optional[float] = None) -> List[account_pb2.Position]:
        """Open positions, by symbol."""
        reply = self._unary(self._account.ListPositions,
                            account_pb2.ListPositionsRequest(), timeout)
        return list(reply.positions)

    def orders(self, status: _requests.StatusLike = "open", symbols: Iterable[str] = (),
               limit: int = 0, timeout: Optional[float] = None) -> List[account_pb2.Order]:
        """Broker orders, newest first; ``status`` is ``open``, ``closed`` or ``all``."""
        reply = self._unary(self._account.ListOrders,
                            _requests.list_orders(status, symbols, limit), timeout)
        return list(reply.orders)

    # -- Pricing -----------------------------------------------------------

    def quotes(self, symbols: Union[str, Iterable[str]], timeout: Optional[float] = None
               ) -> pricing_pb2.GetQuotesResponse:
        """The latest quote of each symbol (``missing`` lists those without one)."""
        return self._unary(self._pricing.GetQuotes, _requests.get_quotes(symbols), timeout)

    def stream_quotes(self, symbols: Union[str, Iterable[str]],
                      priority: Optional[float] = None) -> Iterator[types_pb2.Quote]:
        """Quotes as they change, until the caller stops iterating (not resumed:
        quotes are not journaled; call again after an error)."""
        call = self._pricing.StreamQuotes(_requests.stream_quotes(symbols, priority),
                                          metadata=self._metadata)
        try:
            yield from call
        finally:
            call.cancel()

    def subscribe_symbols(self, symbols: Union[str, Iterable[str]],
                          priority: Optional[float] = None, timeout: Optional[float] = None
                          ) -> pricing_pb2.SubscribeSymbolsResponse:
        """Subscribes symbols to market data in bulk, with a priority."""
        return self._unary(self._pricing.SubscribeSymbols,
                           _requests.subscribe_symbols(symbols, priority), timeout)

    def unsubscribe_symbols(self, symbols: Union[str, Iterable[str]],
                            timeout: Optional[float] = None
                            ) -> pricing_pb2.UnsubscribeSymbolsResponse:
        """Removes symbols from the market-data subscription."""
        return self._unary(self._pricing.UnsubscribeSymbols,
                           _requests.unsubscribe_symbols(symbols), timeout)
