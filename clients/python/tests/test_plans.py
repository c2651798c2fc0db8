"""Plan files and dicts: bare RebalancePlan and wrapped ExecutePlanRequest forms."""

import json

import pytest
from conftest import REPO_ROOT

from settled import PlanError, load_plan, load_request
from settled.plans import as_request
from settled.v1 import execution_pb2, plan_pb2, types_pb2

EXAMPLE = REPO_ROOT / "examples" / "plan.json"


@pytest.fixture
def bare_file(tmp_path):
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(json.loads(EXAMPLE.read_text())["plan"]))
    return path


def test_wrapped_example_loads_plan_and_config():
    req = load_request(EXAMPLE)
    assert isinstance(req, execution_pb2.ExecutePlanRequest)
    assert req.plan.plan_id == "example-rebalance-001"
    assert req.plan.correlation_id == "example-workflow-001"
    assert [i.symbol for i in req.plan.items] == ["AAPL", "AGG", "GOOGL", "JPM", "SPY"]
    assert req.plan.items[0].action == types_pb2.TRADE_ACTION_SELL
    assert req.plan.items[0].trade_amount == "-3000.00"
    assert req.plan.items[4].action == types_pb2.TRADE_ACTION_HOLD
    assert req.plan.execution_urgency == types_pb2.EXECUTION_URGENCY_NORMAL
    assert req.config.fill_wait_seconds == "2"
    assert req.config.HasField("max_repegs_per_order")
    assert req.config.max_repegs_per_order.value == 2
    assert not req.dry_run and not req.detach


def test_load_plan_accepts_both_forms(bare_file):
    wrapped = load_plan(EXAMPLE)
    bare = load_plan(bare_file)
    assert isinstance(bare, plan_pb2.RebalancePlan)
    assert bare == wrapped
    bare_req = load_request(bare_file)
    assert bare_req.plan == wrapped and not bare_req.HasField("config")


def test_camel_case_field_names(tmp_path):
    path = tmp_path / "camel.json"
    path.write_text(json.dumps({"planId": "p-1", "items": [
        {"symbol": "AAPL", "action": "TRADE_ACTION_BUY", "tradeAmount": "10.00"}],
        "timeToLive": "600s"}))
    plan = load_plan(path)
    assert plan.plan_id == "p-1" and plan.items[0].trade_amount == "10.00"
    assert plan.time_to_live.seconds == 600


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"plan_id": "x", "itemz": []}', "itemz"),
    ('{"plan": {"plan_id": "x"}, "config": {"fill_wait": "1"}}', "fill_wait"),
    ('{"plan_id": "x", "execution_urgency": "SOON"}', "SOON"),
])
def test_bad_plan_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(PlanError, match=message) as info:
        load_request(path)
    assert str(path) in str(info.value)


def test_missing_file_is_os_error(tmp_path):
    with pytest.raises(OSError):
        load_plan(tmp_path / "nope.json")


def test_as_request_from_dicts_and_messages():
    plan = load_plan(EXAMPLE)
    req = as_request(plan, {"fill_wait_seconds": "3"}, detach=True)
    assert req.plan == plan and req.config.fill_wait_seconds == "3" and req.detach

    from_dict = as_request({"plan_id": "d", "items": [{"symbol": "X"}]}, dry_run=True)
    assert from_dict.plan.plan_id == "d" and from_dict.dry_run and not from_dict.detach

    wrapped = load_request(EXAMPLE)
    wrapped.dry_run = True
    again = as_request(wrapped)
    assert again.dry_run and again.config == wrapped.config  # kept
    override = as_request(wrapped, plan_pb2.ExecutionConfig(fill_wait_seconds="9"))
    assert override.config.fill_wait_seconds == "9"
    assert not override.config.HasField("max_repegs_per_order")  # replaced, not merged
    assert wrapped.config.fill_wait_seconds == "2"  # the input is not modified


def test_as_request_rejects_other_types():
    with pytest.raises(TypeError):
        as_request("examples/plan.json")  # a path is not a plan; use load_request
