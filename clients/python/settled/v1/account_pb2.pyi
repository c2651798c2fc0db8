import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from settled.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderQueryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_QUERY_STATUS_UNSPECIFIED: _ClassVar[OrderQueryStatus]
    ORDER_QUERY_STATUS_OPEN: _ClassVar[OrderQueryStatus]
    ORDER_QUERY_STATUS_CLOSED: _ClassVar[OrderQueryStatus]
    ORDER_QUERY_STATUS_ALL: _ClassVar[OrderQueryStatus]
ORDER_QUERY_STATUS_UNSPECIFIED: OrderQueryStatus
ORDER_QUERY_STATUS_OPEN: OrderQueryStatus
ORDER_QUERY_STATUS_CLOSED: OrderQueryStatus
ORDER_QUERY_STATUS_ALL: OrderQueryStatus

class GetAccountRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AccountInfo(_message.Message):
    __slots__ = ("account_id", "status", "currency", "cash", "buying_power", "equity", "portfolio_value", "long_market_value", "multiplier", "trading_blocked", "broker", "paper")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    PORTFOLIO_VALUE_FIELD_NUMBER: _ClassVar[int]
    LONG_MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    TRADING_BLOCKED_FIELD_NUMBER: _ClassVar[int]
    BROKER_FIELD_NUMBER: _ClassVar[int]
    PAPER_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    status: str
    currency: str
    cash: str
    buying_power: str
    equity: str
    portfolio_value: str
    long_market_value: str
    multiplier: str
    trading_blocked: bool
    broker: str
    paper: bool
    def __init__(self, account_id: _Optional[str] = ..., status: _Optional[str] = ..., currency: _Optional[str] = ..., cash: _Optional[str] = ..., buying_power: _Optional[str] = ..., equity: _Optional[str] = ..., portfolio_value: _Optional[str] = ..., long_market_value: _Optional[str] = ..., multiplier: _Optional[str] = ..., trading_blocked: _Optional[bool] = ..., broker: _Optional[str] = ..., paper: _Optional[bool] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Position(_message.Message):
    __slots__ = ("symbol", "qty", "qty_available", "avg_entry_price", "market_value", "current_price", "side", "cost_basis")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QTY_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    AVG_ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    qty: str
    qty_available: str
    avg_entry_price: str
    market_value: str
    current_price: str
    side: str
    cost_basis: str
    def __init__(self, symbol: _Optional[str] = ..., qty: _Optional[str] = ..., qty_available: _Optional[str] = ..., avg_entry_price: _Optional[str] = ..., market_value: _Optional[str] = ..., current_price: _Optional[str] = ..., side: _Optional[str] = ..., cost_basis: _Optional[str] = ...) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("status", "symbols", "limit")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    status: OrderQueryStatus
    symbols: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, status: _Optional[_Union[OrderQueryStatus, str]] = ..., symbols: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "client_order_id", "symbol", "side", "type", "time_in_force", "qty", "filled_qty", "filled_avg_price", "limit_price", "status", "created_at", "updated_at", "filled_at", "canceled_at", "replaced_by", "replaces")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    FILLED_QTY_FIELD_NUMBER: _ClassVar[int]
    FILLED_AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    FILLED_AT_FIELD_NUMBER: _ClassVar[int]
    CANCELED_AT_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_order_id: str
    symbol: str
    side: _types_pb2.TradeAction
    type: _types_pb2.OrderType
    time_in_force: str
    qty: str
    filled_qty: str
    filled_avg_price: str
    limit_price: str
    status: _types_pb2.OrderStatus
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    filled_at: _timestamp_pb2.Timestamp
    canceled_at: _timestamp_pb2.Timestamp
    replaced_by: str
    replaces: str
    def __init__(self, id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., type: _Optional[_Union[_types_pb2.OrderType, str]] = ..., time_in_force: _Optional[str] = ..., qty: _Optional[str] = ..., filled_qty: _Optional[str] = ..., filled_avg_price: _Optional[str] = ..., limit_price: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.OrderStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., canceled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replaced_by: _Optional[str] = ..., replaces: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...
