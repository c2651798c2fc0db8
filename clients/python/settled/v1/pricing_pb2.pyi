from google.protobuf import wrappers_pb2 as _wrappers_pb2
from settled.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscribeSymbolsRequest(_message.Message):
    __slots__ = ("symbols", "priority")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    priority: _wrappers_pb2.DoubleValue
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., priority: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ...) -> None: ...

class SymbolSubscription(_message.Message):
    __slots__ = ("symbol", "subscribed", "priority", "reason")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    subscribed: bool
    priority: float
    reason: str
    def __init__(self, symbol: _Optional[str] = ..., subscribed: _Optional[bool] = ..., priority: _Optional[float] = ..., reason: _Optional[str] = ...) -> None: ...

class SubscribeSymbolsResponse(_message.Message):
    __slots__ = ("results", "evicted")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    EVICTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SymbolSubscription]
    evicted: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, results: _Optional[_Iterable[_Union[SymbolSubscription, _Mapping]]] = ..., evicted: _Optional[_Iterable[str]] = ...) -> None: ...

class UnsubscribeSymbolsRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class UnsubscribeSymbolsResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, removed: _Optional[_Iterable[str]] = ...) -> None: ...

class GetQuotesRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class GetQuotesResponse(_message.Message):
    __slots__ = ("quotes", "missing")
    QUOTES_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    quotes: _containers.RepeatedCompositeFieldContainer[_types_pb2.Quote]
    missing: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, quotes: _Optional[_Iterable[_Union[_types_pb2.Quote, _Mapping]]] = ..., missing: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamQuotesRequest(_message.Message):
    __slots__ = ("symbols", "priority")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    priority: _wrappers_pb2.DoubleValue
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., priority: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ...) -> None: ...
