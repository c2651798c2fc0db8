import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TradeAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRADE_ACTION_UNSPECIFIED: _ClassVar[TradeAction]
    TRADE_ACTION_BUY: _ClassVar[TradeAction]
    TRADE_ACTION_SELL: _ClassVar[TradeAction]
    TRADE_ACTION_HOLD: _ClassVar[TradeAction]

class ExecutionUrgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_URGENCY_UNSPECIFIED: _ClassVar[ExecutionUrgency]
    EXECUTION_URGENCY_LOW: _ClassVar[ExecutionUrgency]
    EXECUTION_URGENCY_NORMAL: _ClassVar[ExecutionUrgency]
    EXECUTION_URGENCY_HIGH: _ClassVar[ExecutionUrgency]
    EXECUTION_URGENCY_URGENT: _ClassVar[ExecutionUrgency]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_ACCEPTED: _ClassVar[OrderStatus]
    ORDER_STATUS_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
    ORDER_STATUS_REPLACED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_CANCEL: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_REPLACE: _ClassVar[OrderStatus]
    ORDER_STATUS_DONE_FOR_DAY: _ClassVar[OrderStatus]

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_QUEUED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_RUNNING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_SUCCESS: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_SUCCESS_WITH_SKIPS: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_PARTIAL_SUCCESS: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_FAILURE: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_CANCELED: _ClassVar[ExecutionStatus]

class PhaseType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PHASE_TYPE_UNSPECIFIED: _ClassVar[PhaseType]
    PHASE_TYPE_SELL_PHASE: _ClassVar[PhaseType]
    PHASE_TYPE_BUY_PHASE: _ClassVar[PhaseType]

class QuoteSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTE_SOURCE_UNSPECIFIED: _ClassVar[QuoteSource]
    QUOTE_SOURCE_STREAM: _ClassVar[QuoteSource]
    QUOTE_SOURCE_REST: _ClassVar[QuoteSource]
    QUOTE_SOURCE_SIMULATED: _ClassVar[QuoteSource]
TRADE_ACTION_UNSPECIFIED: TradeAction
TRADE_ACTION_BUY: TradeAction
TRADE_ACTION_SELL: TradeAction
TRADE_ACTION_HOLD: TradeAction
EXECUTION_URGENCY_UNSPECIFIED: ExecutionUrgency
EXECUTION_URGENCY_LOW: ExecutionUrgency
EXECUTION_URGENCY_NORMAL: ExecutionUrgency
EXECUTION_URGENCY_HIGH: ExecutionUrgency
EXECUTION_URGENCY_URGENT: ExecutionUrgency
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_PENDING_NEW: OrderStatus
ORDER_STATUS_ACCEPTED: OrderStatus
ORDER_STATUS_NEW: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_STATUS_REPLACED: OrderStatus
ORDER_STATUS_PENDING_CANCEL: OrderStatus
ORDER_STATUS_PENDING_REPLACE: OrderStatus
ORDER_STATUS_DONE_FOR_DAY: OrderStatus
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_QUEUED: ExecutionStatus
EXECUTION_STATUS_RUNNING: ExecutionStatus
EXECUTION_STATUS_SUCCESS: ExecutionStatus
EXECUTION_STATUS_SUCCESS_WITH_SKIPS: ExecutionStatus
EXECUTION_STATUS_PARTIAL_SUCCESS: ExecutionStatus
EXECUTION_STATUS_FAILURE: ExecutionStatus
EXECUTION_STATUS_CANCELED: ExecutionStatus
PHASE_TYPE_UNSPECIFIED: PhaseType
PHASE_TYPE_SELL_PHASE: PhaseType
PHASE_TYPE_BUY_PHASE: PhaseType
QUOTE_SOURCE_UNSPECIFIED: QuoteSource
QUOTE_SOURCE_STREAM: QuoteSource
QUOTE_SOURCE_REST: QuoteSource
QUOTE_SOURCE_SIMULATED: QuoteSource

class Quote(_message.Message):
    __slots__ = ("symbol", "bid_price", "ask_price", "bid_size", "ask_size", "mid_price", "timestamp", "received_at", "source")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BID_PRICE_FIELD_NUMBER: _ClassVar[int]
    ASK_PRICE_FIELD_NUMBER: _ClassVar[int]
    BID_SIZE_FIELD_NUMBER: _ClassVar[int]
    ASK_SIZE_FIELD_NUMBER: _ClassVar[int]
    MID_PRICE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bid_price: str
    ask_price: str
    bid_size: str
    ask_size: str
    mid_price: str
    timestamp: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    source: QuoteSource
    def __init__(self, symbol: _Optional[str] = ..., bid_price: _Optional[str] = ..., ask_price: _Optional[str] = ..., bid_size: _Optional[str] = ..., ask_size: _Optional[str] = ..., mid_price: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[QuoteSource, str]] = ...) -> None: ...
