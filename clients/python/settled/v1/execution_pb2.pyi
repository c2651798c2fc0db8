import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from settled.v1 import events_pb2 as _events_pb2
from settled.v1 import plan_pb2 as _plan_pb2
from settled.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderResult(_message.Message):
    __slots__ = ("symbol", "action", "trade_amount", "shares", "price", "order_id", "success", "skipped", "skip_reason", "error_message", "timestamp", "order_type", "filled_at", "client_order_id", "status", "requested_shares", "filled_value", "repeg_count", "escalated_to_market", "order_ids", "limit_price", "buying_power_needed")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TRADE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SKIP_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILLED_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_SHARES_FIELD_NUMBER: _ClassVar[int]
    FILLED_VALUE_FIELD_NUMBER: _ClassVar[int]
    REPEG_COUNT_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_MARKET_FIELD_NUMBER: _ClassVar[int]
    ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_NEEDED_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    action: _types_pb2.TradeAction
    trade_amount: str
    shares: str
    price: str
    order_id: str
    success: bool
    skipped: bool
    skip_reason: str
    error_message: str
    timestamp: _timestamp_pb2.Timestamp
    order_type: _types_pb2.OrderType
    filled_at: _timestamp_pb2.Timestamp
    client_order_id: str
    status: _types_pb2.OrderStatus
    requested_shares: str
    filled_value: str
    repeg_count: int
    escalated_to_market: bool
    order_ids: _containers.RepeatedScalarFieldContainer[str]
    limit_price: str
    buying_power_needed: str
    def __init__(self, symbol: _Optional[str] = ..., action: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., trade_amount: _Optional[str] = ..., shares: _Optional[str] = ..., price: _Optional[str] = ..., order_id: _Optional[str] = ..., success: _Optional[bool] = ..., skipped: _Optional[bool] = ..., skip_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_type: _Optional[_Union[_types_pb2.OrderType, str]] = ..., filled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_order_id: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.OrderStatus, str]] = ..., requested_shares: _Optional[str] = ..., filled_value: _Optional[str] = ..., repeg_count: _Optional[int] = ..., escalated_to_market: _Optional[bool] = ..., order_ids: _Optional[_Iterable[str]] = ..., limit_price: _Optional[str] = ..., buying_power_needed: _Optional[str] = ...) -> None: ...

class ExecutionResult(_message.Message):
    __slots__ = ("success", "status", "plan_id", "correlation_id", "causation_id", "orders", "orders_placed", "orders_succeeded", "orders_skipped", "orders_failed", "total_trade_value", "execution_timestamp", "started_at", "failure_reason", "buying_power_released", "max_drift_tolerance", "execution_urgency", "dry_run", "buying_power_needed", "current_phase", "last_sequence", "failed_symbols")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_PLACED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FAILED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TRADE_VALUE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_RELEASED_FIELD_NUMBER: _ClassVar[int]
    MAX_DRIFT_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_URGENCY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_NEEDED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PHASE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FAILED_SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    status: _types_pb2.ExecutionStatus
    plan_id: str
    correlation_id: str
    causation_id: str
    orders: _containers.RepeatedCompositeFieldContainer[OrderResult]
    orders_placed: int
    orders_succeeded: int
    orders_skipped: int
    orders_failed: int
    total_trade_value: str
    execution_timestamp: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    failure_reason: str
    buying_power_released: str
    max_drift_tolerance: str
    execution_urgency: _types_pb2.ExecutionUrgency
    dry_run: bool
    buying_power_needed: str
    current_phase: _types_pb2.PhaseType
    last_sequence: int
    failed_symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success: _Optional[bool] = ..., status: _Optional[_Union[_types_pb2.ExecutionStatus, str]] = ..., plan_id: _Optional[str] = ..., correlation_id: _Optional[str] = ..., causation_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[OrderResult, _Mapping]]] = ..., orders_placed: _Optional[int] = ..., orders_succeeded: _Optional[int] = ..., orders_skipped: _Optional[int] = ..., orders_failed: _Optional[int] = ..., total_trade_value: _Optional[str] = ..., execution_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failure_reason: _Optional[str] = ..., buying_power_released: _Optional[str] = ..., max_drift_tolerance: _Optional[str] = ..., execution_urgency: _Optional[_Union[_types_pb2.ExecutionUrgency, str]] = ..., dry_run: _Optional[bool] = ..., buying_power_needed: _Optional[str] = ..., current_phase: _Optional[_Union[_types_pb2.PhaseType, str]] = ..., last_sequence: _Optional[int] = ..., failed_symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class ExecutePlanRequest(_message.Message):
    __slots__ = ("plan", "config", "dry_run", "detach")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    plan: _plan_pb2.RebalancePlan
    config: _plan_pb2.ExecutionConfig
    dry_run: bool
    detach: bool
    def __init__(self, plan: _Optional[_Union[_plan_pb2.RebalancePlan, _Mapping]] = ..., config: _Optional[_Union[_plan_pb2.ExecutionConfig, _Mapping]] = ..., dry_run: _Optional[bool] = ..., detach: _Optional[bool] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "statuses")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[_types_pb2.ExecutionStatus]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_types_pb2.ExecutionStatus, str]]] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[ExecutionResult]
    next_page_token: str
    def __init__(self, executions: _Optional[_Iterable[_Union[ExecutionResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("plan_id", "reason")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    reason: str
    def __init__(self, plan_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchExecutionRequest(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class SubscribeEventsRequest(_message.Message):
    __slots__ = ("event_types", "plan_id", "correlation_id", "only_new", "after_sequence", "from_oldest")
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    ONLY_NEW_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_OLDEST_FIELD_NUMBER: _ClassVar[int]
    event_types: _containers.RepeatedScalarFieldContainer[str]
    plan_id: str
    correlation_id: str
    only_new: bool
    after_sequence: int
    from_oldest: bool
    def __init__(self, event_types: _Optional[_Iterable[str]] = ..., plan_id: _Optional[str] = ..., correlation_id: _Optional[str] = ..., only_new: _Optional[bool] = ..., after_sequence: _Optional[int] = ..., from_oldest: _Optional[bool] = ...) -> None: ...
