"""Building ``ExecutePlanRequest`` messages from messages, dicts and JSON files.

A plan file holds the protobuf JSON form (field names in ``snake_case`` or
``lowerCamelCase``, enums by name, decimals as strings) of either a bare
``RebalancePlan`` or a whole ``ExecutePlanRequest`` (``{"plan": {...},
"config": {...}}``, like ``examples/plan.json``).
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Optional, Union

from google.protobuf import json_format

from settled.v1 import execution_pb2, plan_pb2

__all__ = [
    "ConfigLike",
    "PlanError",
    "PlanLike",
    "as_config",
    "as_request",
    "load_plan",
    "load_request",
    "parse_request",
]

#: What :meth:`settled.Client.execute_plan` accepts as a plan.
PlanLike = Union[plan_pb2.RebalancePlan, execution_pb2.ExecutePlanRequest, Mapping[str, Any]]
#: What it accepts as a config.
ConfigLike = Union[plan_pb2.ExecutionConfig, Mapping[str, Any]]
PathLike = Union[str, "os.PathLike[str]"]


class PlanError(ValueError):
    """A plan (file or dict) that is not a valid RebalancePlan/ExecutePlanRequest."""


def parse_request(data: Mapping[str, Any]) -> execution_pb2.ExecutePlanRequest:
    """Parses the JSON form of a bare plan or of a whole request.

    A mapping with a ``plan`` key is an ``ExecutePlanRequest`` (RebalancePlan
    has no such field); anything else is a ``RebalancePlan``. Unknown fields
    are errors, so that a misspelt setting is not silently ignored.
    """
    if not isinstance(data, Mapping):
        raise PlanError(f"expected a JSON object, got {type(data).__name__}")
    try:
        if "plan" in data:
            return json_format.ParseDict(dict(data), execution_pb2.ExecutePlanRequest())
        plan = json_format.ParseDict(dict(data), plan_pb2.RebalancePlan())
    except json_format.ParseError as exc:
        raise PlanError(str(exc)) from exc
    return execution_pb2.ExecutePlanRequest(plan=plan)


def load_request(path: PathLike) -> execution_pb2.ExecutePlanRequest:
    """Reads a plan file (bare plan or whole request) as an ExecutePlanRequest."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise PlanError(f"{os.fspath(path)}: not JSON: {exc}") from exc
    try:
        return parse_request(data)
    except PlanError as exc:
        raise PlanError(f"{os.fspath(path)}: {exc}") from exc


def load_plan(path: PathLike) -> plan_pb2.RebalancePlan:
    """Reads the RebalancePlan of a plan file (bare plan or whole request)."""
    return load_request(path).plan


def as_config(config: ConfigLike) -> plan_pb2.ExecutionConfig:
    """An ExecutionConfig from a message or its JSON-form dict."""
    if isinstance(config, plan_pb2.ExecutionConfig):
        return config
    try:
        return json_format.ParseDict(dict(config), plan_pb2.ExecutionConfig())
    except json_format.ParseError as exc:
        raise PlanError(f"config: {exc}") from exc


def as_request(plan: PlanLike, config: Optional[ConfigLike] = None, *,
               dry_run: bool = False, detach: bool = False
               ) -> execution_pb2.ExecutePlanRequest:
    """The ExecutePlanRequest for ``plan``.

    ``plan`` may be a RebalancePlan, an ExecutePlanRequest (its config and
    dry_run are kept) or the JSON-form dict of either. An explicit ``config``
    replaces the request's; ``dry_run`` adds to it; ``detach`` is set as given.
    """
    req = execution_pb2.ExecutePlanRequest()
    if isinstance(plan, execution_pb2.ExecutePlanRequest):
        req.CopyFrom(plan)
    elif isinstance(plan, plan_pb2.RebalancePlan):
        req.plan.CopyFrom(plan)
    elif isinstance(plan, Mapping):
        req.CopyFrom(parse_request(plan))
    else:
        raise TypeError(f"plan: expected RebalancePlan, ExecutePlanRequest or dict, "
                        f"got {type(plan).__name__}")
    if config is not None:
        req.config.CopyFrom(as_config(config))
    req.dry_run = req.dry_run or dry_run
    req.detach = detach
    return req
