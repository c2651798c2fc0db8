"""The asyncio client: :class:`settled.Client`'s methods over ``grpc.aio``.

    from settled.aio import AsyncClient

    async def main() -> None:
        async with AsyncClient(token="s3cret") as client:
            print(await client.account())
            async for event in client.subscribe(from_oldest=True):
                print(event.sequence, event.event_type)

Create the client inside the event loop that uses it. Streams are async
generators; :meth:`AsyncClient.subscribe` resumes by itself exactly like the
blocking one (see :meth:`settled.Client.subscribe`).
"""

from __future__ import annotations

import asyncio
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

import grpc
import grpc.aio

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

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient:
    """An asyncio connection to a settled server; arguments as :class:`settled.Client`."""

    def __init__(self, target: str = DEFAULT_TARGET, token: Optional[str] = None,
                 tls: bool = False, root_certificates: Optional[PemSource] = None,
                 client_cert: Optional[PemSource] = None,
                 client_key: Optional[PemSource] = None, *,
                 options: Optional[Sequence[Tuple[str, object]]] = None,
                 retry: RetryPolicy = RetryPolicy(),
                 channel: Optional[grpc.aio.Channel] = None) -> None:
        if channel is None:
            creds = credentials(tls, root_certificates, client_cert, client_key)
            opts = channel_options(options)
            channel = (grpc.aio.insecure_channel(target, options=opts) if creds is None
                       else grpc.aio.secure_channel(target, creds, options=opts))
        self.target = target
        self._channel = channel
        self._metadata = auth_metadata(token)
        self._retry = retry
        self._executor = execution_pb2_grpc.ExecutorStub(channel)
        self._pricing = pricing_pb2_grpc.PricingStub(channel)
        self._account = account_pb2_grpc.AccountStub(channel)

    # -- lifecycle ---------------------------------------------------------

    @property
    def channel(self) -> grpc.aio.Channel:
        """The underlying grpc.aio channel."""
        return self._channel

    async def close(self) -> None:
        """Closes the channel; open streams end with CANCELLED."""
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _unary(self, method: Callable[..., Awaitable[T]], request: object,
                     timeout: Optional[float]) -> T:
        return await method(request, timeout=timeout, metadata=self._metadata)

    # -- Executor ----------------------------------------------------------

    async def execute_plan(self, plan: PlanLike, config: Optional[ConfigLike] = None,
                           wait: bool = True, timeout: Optional[float] = None,
                           dry_run: bool = False) -> execution_pb2.ExecutionResult:
        """See :meth:`settled.Client.execute_plan`."""
        request = as_request(plan, config, dry_run=dry_run, detach=not wait)
        return await self._unary(self._executor.ExecutePlan, request, timeout)

    async def get_execution(self, plan_id: str, timeout: Optional[float] = None
                            ) -> execution_pb2.ExecutionResult:
        """One execution (NOT_FOUND when unknown)."""
        return await self._unary(self._executor.GetExecution,
                                 execution_pb2.GetExecutionRequest(plan_id=plan_id), timeout)

    async def list_executions(self, page_size: int = 0, page_token: str = "",
                              statuses: Iterable[_requests.StatusLike] = (),
                              timeout: Optional[float] = None
                              ) -> execution_pb2.ListExecutionsResponse:
        """A page of executions, newest first."""
        request = _requests.list_executions(page_size, page_token, statuses)
        return await self._unary(self._executor.ListExecutions, request, timeout)

    async def cancel_execution(self, plan_id: str, reason: str = "",
                               timeout: Optional[float] = None
                               ) -> execution_pb2.ExecutionResult:
        """Cancels an execution's open orders; it ends CANCELED."""
        request = execution_pb2.CancelExecutionRequest(plan_id=plan_id, reason=reason)
        return await self._unary(self._executor.CancelExecution, request, timeout)

    def watch(self, plan_id: str, on_retry: Optional[RetryCallback] = None
              ) -> AsyncIterator[events_pb2.Event]:
        """See :meth:`settled.Client.watch`."""
        request = execution_pb2.WatchExecutionRequest(plan_id=plan_id)
        return self._resuming(
            lambda: self._executor.WatchExecution(request, metadata=self._metadata),
            EventCursor(), on_retry)

    def subscribe(self, types: Optional[Iterable[str]] = None, plan_id: Optional[str] = None,
                  correlation_id: Optional[str] = None, after: Optional[int] = None,
                  from_oldest: bool = False, on_retry: Optional[RetryCallback] = None
                  ) -> AsyncIterator[events_pb2.Event]:
        """See :meth:`settled.Client.subscribe`: same filters, start and resume."""
        filters = _requests.subscribe_filters(types, plan_id, correlation_id)
        cursor = EventCursor(after, from_oldest)
        return self._resuming(
            lambda: self._executor.SubscribeEvents(cursor.request(filters),
                                                   metadata=self._metadata),
            cursor, on_retry)

    async def _resuming(self, open_stream: Callable[[], Any], cursor: EventCursor,
                        on_retry: Optional[RetryCallback]
                        ) -> AsyncIterator[events_pb2.Event]:
        backoff = Backoff(self._retry)
        while True:
            call = open_stream()
            try:
                if cursor.last_seq is None:
                    cursor.note_start(await call.initial_metadata())
                async for event in call:
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
            await asyncio.sleep(delay)

    # -- Account -----------------------------------------------------------

    async def account(self, timeout: Optional[float] = None) -> account_pb2.AccountInfo:
        """The broker account's balances."""
        return await self._unary(self._account.GetAccount,
                                 account_pb2.GetAccountRequest(), timeout)

    async def positions(self, timeout: Optional[float] = None) -> List[account_pb2.Position]:
        """Open positions, by symbol."""
        reply = await self._unary(self._account.ListPositions,
                                  account_pb2.ListPositionsRequest(), timeout)
        return list(reply.positions)

    async def orders(self, status: _requests.StatusLike = "open", symbols: Iterable[str] = (),
                     limit: int = 0, timeout: Optional[float] = None
                     ) -> List[account_pb2.Order]:
        """Broker orders, newest first; ``status`` is ``open``, ``closed`` or ``all``."""
        reply = await self._unary(self._account.ListOrders,
                                  _requests.list_orders(status, symbols, limit), timeout)
        return list(reply.orders)

    # -- Pricing -----------------------------------------------------------

    async def quotes(self, symbols: Union[str, Iterable[str]],
                     timeout: Optional[float] = None) -> pricing_pb2.GetQuotesResponse:
        """The latest quote of each symbol."""
        return await self._unary(self._pricing.GetQuotes, _requests.get_quotes(symbols),
                                 timeout)

    async def stream_quotes(self, symbols: Union[str, Iterable[str]],
                            priority: Optional[float] = None
                            ) -> AsyncIterator[types_pb2.Quote]:
        """Quotes as they change (not resumed)."""
        call = self._pricing.StreamQuotes(_requests.stream_quotes(symbols, priority),
                                          metadata=self._metadata)
        try:
            async for quote in call:
                yield quote
        finally:
            call.cancel()

    async def subscribe_symbols(self, symbols: Union[str, Iterable[str]],
                                priority: Optional[float] = None,
                                timeout: Optional[float] = None
                                ) -> pricing_pb2.SubscribeSymbolsResponse:
        """Subscribes symbols to market data in bulk, with a priority."""
        return await self._unary(self._pricing.SubscribeSymbols,
                                 _requests.subscribe_symbols(symbols, priority), timeout)

    async def unsubscribe_symbols(self, symbols: Union[str, Iterable[str]],
                                  timeout: Optional[float] = None
                                  ) -> pricing_pb2.UnsubscribeSymbolsResponse:
        """Removes symbols from the market-data subscription."""
        return await self._unary(self._pricing.UnsubscribeSymbols,
                                 _requests.unsubscribe_symbols(symbols), timeout)
