"""Short, prefix-free names for the ``settled.v1`` enums.

Every value carries its enum's name as a prefix (``TRADE_ACTION_SELL``); for
people, ``SELL`` is enough. These helpers convert both ways.
"""

from __future__ import annotations

from typing import Union

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

__all__ = ["parse_enum", "short_name"]


def _prefix(enum: EnumTypeWrapper) -> str:
    unspecified = enum.DESCRIPTOR.values[0].name  # <PREFIX>_UNSPECIFIED
    return unspecified[: -len("UNSPECIFIED")]


def short_name(enum: EnumTypeWrapper, value: int) -> str:
    """``short_name(TradeAction, 2) == "SELL"``; unknown numbers print as digits."""
    try:
        name = enum.Name(value)
    except ValueError:
        return str(value)
    prefix = _prefix(enum)
    return name[len(prefix):] if name.startswith(prefix) else name


def parse_enum(enum: EnumTypeWrapper, value: Union[int, str]) -> int:
    """A value from its number, full name or short name (any case).

    ``parse_enum(ExecutionStatus, "running") == EXECUTION_STATUS_RUNNING``.
    Raises ValueError for anything else.
    """
    if isinstance(value, int):
        enum.Name(value)  # raises ValueError when unknown
        return value
    text = value.strip().upper().replace("-", "_")
    prefix = _prefix(enum)
    for candidate in (text, prefix + text):
        if candidate in enum.keys():
            return enum.Value(candidate)
    choices = ", ".join(n[len(prefix):].lower() for n in enum.keys()[1:])
    raise ValueError(f"unknown {enum.DESCRIPTOR.name} {value!r} (one of: {choices})")
