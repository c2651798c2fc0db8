import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from settled.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("event_id", "sequence", "correlation_id", "causation_id", "source_module", "timestamp", "plan_id", "event_type", "schema_version", "execution_queued", "execution_started", "order_submitted", "order_updated", "order_repegged", "order_settlement_completed", "bulk_settlement_completed", "execution_phase_completed", "trade_executed", "order_escalated", "order_skipped", "buy_orders_adjusted", "execution_notice")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSATION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MODULE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_QUEUED_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_STARTED_FIELD_NUMBER: _ClassVar[int]
    ORDER_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    ORDER_UPDATED_FIELD_NUMBER: _ClassVar[int]
    ORDER_REPEGGED_FIELD_NUMBER: _ClassVar[int]
    ORDER_SETTLEMENT_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    BULK_SETTLEMENT_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PHASE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    TRADE_EXECUTED_FIELD_NUMBER: _ClassVar[int]
    ORDER_ESCALATED_FIELD_NUMBER: _ClassVar[int]
    ORDER_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    BUY_ORDERS_ADJUSTED_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_NOTICE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    sequence: int
    correlation_id: str
    causation_id: str
    source_module: str
    timestamp: _timestamp_pb2.Timestamp
    plan_id: str
    event_type: str
    schema_version: str
    execution_queued: ExecutionQueued
    execution_started: ExecutionStarted
    order_submitted: OrderSubmitted
    order_updated: OrderUpdated
    order_repegged: OrderRepegged
    order_settlement_completed: OrderSettlementCompleted
    bulk_settlement_completed: BulkSettlementCompleted
    execution_phase_completed: ExecutionPhaseCompleted
    trade_executed: TradeExecuted
    order_escalated: OrderEscalated
    order_skipped: OrderSkipped
    buy_orders_adjusted: BuyOrdersAdjusted
    execution_notice: ExecutionNotice
    def __init__(self, event_id: _Optional[str] = ..., sequence: _Optional[int] = ..., correlation_id: _Optional[str] = ..., causation_id: _Optional[str] = ..., source_module: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., plan_id: _Optional[str] = ..., event_type: _Optional[str] = ..., schema_version: _Optional[str] = ..., execution_queued: _Optional[_Union[ExecutionQueued, _Mapping]] = ..., execution_started: _Optional[_Union[ExecutionStarted, _Mapping]] = ..., order_submitted: _Optional[_Union[OrderSubmitted, _Mapping]] = ..., order_updated: _Optional[_Union[OrderUpdated, _Mapping]] = ..., order_repegged: _Optional[_Union[OrderRepegged, _Mapping]] = ..., order_settlement_completed: _Optional[_Union[OrderSettlementCompleted, _Mapping]] = ..., bulk_settlement_completed: _Optional[_Union[BulkSettlementCompleted, _Mapping]] = ..., execution_phase_completed: _Optional[_Union[ExecutionPhaseCompleted, _Mapping]] = ..., trade_executed: _Optional[_Union[TradeExecuted, _Mapping]] = ..., order_escalated: _Optional[_Union[OrderEscalated, _Mapping]] = ..., order_skipped: _Optional[_Union[OrderSkipped, _Mapping]] = ..., buy_orders_adjusted: _Optional[_Union[BuyOrdersAdjusted, _Mapping]] = ..., execution_notice: _Optional[_Union[ExecutionNotice, _Mapping]] = ...) -> None: ...

class ExecutionQueued(_message.Message):
    __slots__ = ("waiting_for_plan_id",)
    WAITING_FOR_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    waiting_for_plan_id: str
    def __init__(self, waiting_for_plan_id: _Optional[str] = ...) -> None: ...

class ExecutionStarted(_message.Message):
    __slots__ = ("item_count", "sell_count", "buy_count", "hold_count", "execution_urgency", "max_drift_tolerance", "resumed", "symbols")
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELL_COUNT_FIELD_NUMBER: _ClassVar[int]
    BUY_COUNT_FIELD_NUMBER: _ClassVar[int]
    HOLD_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_URGENCY_FIELD_NUMBER: _ClassVar[int]
    MAX_DRIFT_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    item_count: int
    sell_count: int
    buy_count: int
    hold_count: int
    execution_urgency: _types_pb2.ExecutionUrgency
    max_drift_tolerance: str
    resumed: bool
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, item_count: _Optional[int] = ..., sell_count: _Optional[int] = ..., buy_count: _Optional[int] = ..., hold_count: _Optional[int] = ..., execution_urgency: _Optional[_Union[_types_pb2.ExecutionUrgency, str]] = ..., max_drift_tolerance: _Optional[str] = ..., resumed: _Optional[bool] = ..., symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class OrderSubmitted(_message.Message):
    __slots__ = ("order_id", "client_order_id", "symbol", "side", "order_type", "quantity", "limit_price", "attempt", "adopted")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ADOPTED_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    client_order_id: str
    symbol: str
    side: _types_pb2.TradeAction
    order_type: _types_pb2.OrderType
    quantity: str
    limit_price: str
    attempt: int
    adopted: bool
    def __init__(self, order_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., order_type: _Optional[_Union[_types_pb2.OrderType, str]] = ..., quantity: _Optional[str] = ..., limit_price: _Optional[str] = ..., attempt: _Optional[int] = ..., adopted: _Optional[bool] = ...) -> None: ...

class OrderUpdated(_message.Message):
    __slots__ = ("order_id", "client_order_id", "symbol", "side", "status", "filled_qty", "filled_avg_price", "fill_qty", "fill_price", "reason")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILLED_QTY_FIELD_NUMBER: _ClassVar[int]
    FILLED_AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    FILL_QTY_FIELD_NUMBER: _ClassVar[int]
    FILL_PRICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    client_order_id: str
    symbol: str
    side: _types_pb2.TradeAction
    status: _types_pb2.OrderStatus
    filled_qty: str
    filled_avg_price: str
    fill_qty: str
    fill_price: str
    reason: str
    def __init__(self, order_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., status: _Optional[_Union[_types_pb2.OrderStatus, str]] = ..., filled_qty: _Optional[str] = ..., filled_avg_price: _Optional[str] = ..., fill_qty: _Optional[str] = ..., fill_price: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderRepegged(_message.Message):
    __slots__ = ("symbol", "side", "old_order_id", "new_order_id", "old_price", "new_price", "remaining_quantity", "repeg_count", "reason")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    OLD_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_PRICE_FIELD_NUMBER: _ClassVar[int]
    REMAINING_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REPEG_COUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: _types_pb2.TradeAction
    old_order_id: str
    new_order_id: str
    old_price: str
    new_price: str
    remaining_quantity: str
    repeg_count: int
    reason: str
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., old_order_id: _Optional[str] = ..., new_order_id: _Optional[str] = ..., old_price: _Optional[str] = ..., new_price: _Optional[str] = ..., remaining_quantity: _Optional[str] = ..., repeg_count: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderEscalated(_message.Message):
    __slots__ = ("symbol", "side", "old_order_id", "new_order_id", "remaining_quantity", "reason")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    OLD_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REMAINING_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: _types_pb2.TradeAction
    old_order_id: str
    new_order_id: str
    remaining_quantity: str
    reason: str
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., old_order_id: _Optional[str] = ..., new_order_id: _Optional[str] = ..., remaining_quantity: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderSkipped(_message.Message):
    __slots__ = ("symbol", "side", "reason", "trade_amount")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRADE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: _types_pb2.TradeAction
    reason: str
    trade_amount: str
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., reason: _Optional[str] = ..., trade_amount: _Optional[str] = ...) -> None: ...

class SettlementDetails(_message.Message):
    __slots__ = ("order_id", "symbol", "side", "settled_quantity", "settlement_price", "settled_value", "status", "client_order_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    SETTLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SETTLED_VALUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    symbol: str
    side: _types_pb2.TradeAction
    settled_quantity: str
    settlement_price: str
    settled_value: str
    status: _types_pb2.OrderStatus
    client_order_id: str
    def __init__(self, order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., settled_quantity: _Optional[str] = ..., settlement_price: _Optional[str] = ..., settled_value: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.OrderStatus, str]] = ..., client_order_id: _Optional[str] = ...) -> None: ...

class OrderSettlementCompleted(_message.Message):
    __slots__ = ("order_id", "symbol", "side", "settled_quantity", "settlement_price", "settled_value", "buying_power_released", "original_correlation_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    SETTLED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SETTLED_VALUE_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_RELEASED_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    symbol: str
    side: _types_pb2.TradeAction
    settled_quantity: str
    settlement_price: str
    settled_value: str
    buying_power_released: str
    original_correlation_id: str
    def __init__(self, order_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., settled_quantity: _Optional[str] = ..., settlement_price: _Optional[str] = ..., settled_value: _Optional[str] = ..., buying_power_released: _Optional[str] = ..., original_correlation_id: _Optional[str] = ...) -> None: ...

class BulkSettlementCompleted(_message.Message):
    __slots__ = ("settled_order_ids", "total_buying_power_released", "settlement_details", "execution_plan_id", "timed_out", "failed_sell_value", "elapsed_seconds")
    class SettlementDetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SettlementDetails
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SettlementDetails, _Mapping]] = ...) -> None: ...
    SETTLED_ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BUYING_POWER_RELEASED_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    FAILED_SELL_VALUE_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    settled_order_ids: _containers.RepeatedScalarFieldContainer[str]
    total_buying_power_released: str
    settlement_details: _containers.MessageMap[str, SettlementDetails]
    execution_plan_id: str
    timed_out: bool
    failed_sell_value: str
    elapsed_seconds: str
    def __init__(self, settled_order_ids: _Optional[_Iterable[str]] = ..., total_buying_power_released: _Optional[str] = ..., settlement_details: _Optional[_Mapping[str, SettlementDetails]] = ..., execution_plan_id: _Optional[str] = ..., timed_out: _Optional[bool] = ..., failed_sell_value: _Optional[str] = ..., elapsed_seconds: _Optional[str] = ...) -> None: ...

class BuyOrdersAdjusted(_message.Message):
    __slots__ = ("buying_power_available", "buying_power_requested", "scale", "reason")
    BUYING_POWER_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    BUYING_POWER_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    buying_power_available: str
    buying_power_requested: str
    scale: str
    reason: str
    def __init__(self, buying_power_available: _Optional[str] = ..., buying_power_requested: _Optional[str] = ..., scale: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ExecutionPhaseCompleted(_message.Message):
    __slots__ = ("phase_type", "plan_id", "completed_orders", "successful_orders", "failed_orders", "phase_metadata", "skipped_symbols")
    class PhaseMetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PHASE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ORDERS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_ORDERS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ORDERS_FIELD_NUMBER: _ClassVar[int]
    PHASE_METADATA_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    phase_type: _types_pb2.PhaseType
    plan_id: str
    completed_orders: _containers.RepeatedScalarFieldContainer[str]
    successful_orders: _containers.RepeatedScalarFieldContainer[str]
    failed_orders: _containers.RepeatedScalarFieldContainer[str]
    phase_metadata: _containers.ScalarMap[str, str]
    skipped_symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, phase_type: _Optional[_Union[_types_pb2.PhaseType, str]] = ..., plan_id: _Optional[str] = ..., completed_orders: _Optional[_Iterable[str]] = ..., successful_orders: _Optional[_Iterable[str]] = ..., failed_orders: _Optional[_Iterable[str]] = ..., phase_metadata: _Optional[_Mapping[str, str]] = ..., skipped_symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class ExecutionNotice(_message.Message):
    __slots__ = ("level", "code", "message", "symbol")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    level: str
    code: str
    message: str
    symbol: str
    def __init__(self, level: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class TradeExecuted(_message.Message):
    __slots__ = ("success", "status", "orders_placed", "orders_succeeded", "orders_skipped", "total_trade_value", "failure_reason", "failed_symbols", "orders")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_PLACED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TRADE_VALUE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    FAILED_SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    status: _types_pb2.ExecutionStatus
    orders_placed: int
    orders_succeeded: int
    orders_skipped: int
    total_trade_value: str
    failure_reason: str
    failed_symbols: _containers.RepeatedScalarFieldContainer[str]
    orders: _containers.RepeatedCompositeFieldContainer[OrderResultSummary]
    def __init__(self, success: _Optional[bool] = ..., status: _Optional[_Union[_types_pb2.ExecutionStatus, str]] = ..., orders_placed: _Optional[int] = ..., orders_succeeded: _Optional[int] = ..., orders_skipped: _Optional[int] = ..., total_trade_value: _Optional[str] = ..., failure_reason: _Optional[str] = ..., failed_symbols: _Optional[_Iterable[str]] = ..., orders: _Optional[_Iterable[_Union[OrderResultSummary, _Mapping]]] = ...) -> None: ...

class OrderResultSummary(_message.Message):
    __slots__ = ("symbol", "action", "shares", "price", "filled_value", "status", "success", "skipped")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FILLED_VALUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    action: _types_pb2.TradeAction
    shares: str
    price: str
    filled_value: str
    status: _types_pb2.OrderStatus
    success: bool
    skipped: bool
    def __init__(self, symbol: _Optional[str] = ..., action: _Optional[_Union[_types_pb2.TradeAction, str]] = ..., shares: _Optional[str] = ..., price: _Optional[str] = ..., filled_value: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.OrderStatus, str]] = ..., success: _Optional[bool] = ..., skipped: _Optional[bool] = ...) -> None: ...
