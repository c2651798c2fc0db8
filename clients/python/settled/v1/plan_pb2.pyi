import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from settled.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RebalancePlanItem(_message.Message):
    __slots__ = ("symbol", "action", "current_weight", "target_weight", "weight_diff", "target_value", "current_value", "trade_amount", "priority")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CURRENT_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TARGET_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_DIFF_FIELD_NUMBER: _ClassVar[int]
    TARGET_VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VALUE_FIELD_NUMBER: _ClassVar[int]
    TRADE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    action: _types_pb2.TradeAction
    current_weight: str
    target_weight: str
    weight_diff: str
    target_value: str
    current_value: str
    trade_amount: str
    priority: int
    def __init__(self, symbol: _Optional[str] = ..., action: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., current_weight: _Optional[str] = ..., target_weight: _Optional[str] = ..., weight_diff: _Optional[str] = ..., target_value: _Optional[str] = ..., current_value: _Optional[str] = ..., trade_amount: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class RebalancePlan(_message.Message):
    __slots__ = ("plan_id", "correlation_id", "causation_id", "timestamp", "items", "total_portfolio_value", "total_trade_value", "max_drift_tolerance", "execution_urgency", "metadata", "schema_version", "estimated_duration_minutes", "time_to_live")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSATION_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PORTFOLIO_VALUE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TRADE_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAX_DRIFT_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_URGENCY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_LIVE_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    correlation_id: str
    causation_id: str
    timestamp: _timestamp_pb2.Timestamp
    items: _containers.RepeatedCompositeFieldContainer[RebalancePlanItem]
    total_portfolio_value: str
    total_trade_value: str
    max_drift_tolerance: str
    execution_urgency: _types_pb2.ExecutionUrgency
    metadata: _containers.ScalarMap[str, str]
    schema_version: str
    estimated_duration_minutes: _wrappers_pb2.Int32Value
    time_to_live: _duration_pb2.Duration
    def __init__(self, plan_id: _Optional[str] = ..., correlation_id: _Optional[str] = ..., causation_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., items: _Optional[_Iterable[_Union[RebalancePlanItem, _Mapping]]] = ..., total_portfolio_value: _Optional[str] = ..., total_trade_value: _Optional[str] = ..., max_drift_tolerance: _Optional[str] = ..., execution_urgency: _Optional[_Union[_types_pb2.ExecutionUrgency, str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., schema_version: _Optional[str] = ..., estimated_duration_minutes: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., time_to_live: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ExecutionConfig(_message.Message):
    __slots__ = ("enable_smart_execution", "market_open_delay_minutes", "max_spread_percent", "repeg_threshold_percent", "max_repegs_per_order", "fill_wait_seconds", "polling_interval_seconds", "max_wait_seconds", "sell_failure_threshold", "cancel_open_orders", "market_order_without_quote", "quote_max_age_seconds", "buy_price_buffer_percent", "allow_fractional")
    ENABLE_SMART_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    MARKET_OPEN_DELAY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAX_SPREAD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    REPEG_THRESHOLD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MAX_REPEGS_PER_ORDER_FIELD_NUMBER: _ClassVar[int]
    FILL_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    POLLING_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SELL_FAILURE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CANCEL_OPEN_ORDERS_FIELD_NUMBER: _ClassVar[int]
    MARKET_ORDER_WITHOUT_QUOTE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_MAX_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    BUY_PRICE_BUFFER_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FRACTIONAL_FIELD_NUMBER: _ClassVar[int]
    enable_smart_execution: _wrappers_pb2.BoolValue
    market_open_delay_minutes: _wrappers_pb2.Int32Value
    max_spread_percent: str
    repeg_threshold_percent: str
    max_repegs_per_order: _wrappers_pb2.Int32Value
    fill_wait_seconds: str
    polling_interval_seconds: str
    max_wait_seconds: str
    sell_failure_threshold: str
    cancel_open_orders: _wrappers_pb2.BoolValue
    market_order_without_quote: _wrappers_pb2.BoolValue
    quote_max_age_seconds: str
    buy_price_buffer_percent: str
    allow_fractional: _wrappers_pb2.BoolValue
    def __init__(self, enable_smart_execution: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., market_open_delay_minutes: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., max_spread_percent: _Optional[str] = ..., repeg_threshold_percent: _Optional[str] = ..., max_repegs_per_order: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., fill_wait_seconds: _Optional[str] = ..., polling_interval_seconds: _Optional[str] = ..., max_wait_seconds: _Optional[str] = ..., sell_failure_threshold: _Optional[str] = ..., cancel_open_orders: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., market_order_without_quote: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., quote_max_age_seconds: _Optional[str] = ..., buy_price_buffer_percent: _Optional[str] = ..., allow_fractional: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ...) -> None: ...
