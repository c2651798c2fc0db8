"""Request builders shared by the blocking and the asyncio client."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Union, cast

from google.protobuf import wrappers_pb2

from settled.enums import parse_enum
from settled.v1 import account_pb2, execution_pb2, pricing_pb2, types_pb2

StatusLike = Union[int, str]


def _symbols(symbols: Union[str, Iterable[str]]) -> List[str]:
    if isinstance(symbols, str):
        return [symbols]
    return list(symbols)


def list_executions(page_size: int = 0, page_token: str = "",
                    statuses: Iterable[StatusLike] = ()
                    ) -> execution_pb2.ListExecutionsRequest:
    return execution_pb2.ListExecutionsRequest(
        page_size=page_size, page_token=page_token,
        statuses=cast(List[Any], [parse_enum(types_pb2.ExecutionStatus, s) for s in statuses]))


def subscribe_filters(types: Optional[Iterable[str]] = None, plan_id: Optional[str] = None,
                      correlation_id: Optional[str] = None
                      ) -> execution_pb2.SubscribeEventsRequest:
    return execution_pb2.SubscribeEventsRequest(
        event_types=list(types or ()), plan_id=plan_id or "",
        correlation_id=correlation_id or "")


def list_orders(status: StatusLike = "open", symbols: Iterable[str] = (),
                limit: int = 0) -> account_pb2.ListOrdersRequest:
    return account_pb2.ListOrdersRequest(
        status=cast(Any, parse_enum(account_pb2.OrderQueryStatus, status)),
        symbols=list(symbols), limit=limit)


def _priority(priority: Optional[float]) -> Optional[wrappers_pb2.DoubleValue]:
    return None if priority is None else wrappers_pb2.DoubleValue(value=priority)


def get_quotes(symbols: Union[str, Iterable[str]]) -> pricing_pb2.GetQuotesRequest:
    return pricing_pb2.GetQuotesRequest(symbols=_symbols(symbols))


def stream_quotes(symbols: Union[str, Iterable[str]], priority: Optional[float] = None
                  ) -> pricing_pb2.StreamQuotesRequest:
    return pricing_pb2.StreamQuotesRequest(symbols=_symbols(symbols),
                                           priority=_priority(priority))


def subscribe_symbols(symbols: Union[str, Iterable[str]], priority: Optional[float] = None
                      ) -> pricing_pb2.SubscribeSymbolsRequest:
    return pricing_pb2.SubscribeSymbolsRequest(symbols=_symbols(symbols),
                                               priority=_priority(priority))


def unsubscribe_symbols(symbols: Union[str, Iterable[str]]
                        ) -> pricing_pb2.UnsubscribeSymbolsRequest:
    return pricing_pb2.UnsubscribeSymbolsRequest(symbols=_symbols(symbols))
