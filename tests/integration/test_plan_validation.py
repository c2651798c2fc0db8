"""Plan validation and the Executor/Account/Pricing request checks, against
the default in-process sim broker.

Every invalid plan is refused with INVALID_ARGUMENT whose details start with
the offending field (e.g. "plan.items[1].symbol"), and nothing is placed: the
broker's order list is unchanged and no execution exists for the plan id.
"""

import time

import grpc
import pytest

from conftest import scaled
from settled_client import (BUY, HOLD, SELL, TERMINAL, Client, connect, dec, fast_config,
                            item, order_summary, pb, plan, status_name)

UNSPEC = pb.types.TRADE_ACTION_UNSPECIFIED
ALL = pb.account.ORDER_QUERY_STATUS_ALL
OK_ITEM = item("AAPL", SELL, "-100.00")  # Index 0 of most bad plans: valid.

# 35 symbols of the simulated universe (the pricing limit is 30).
UNIVERSE = ("AAPL MSFT NVDA AMZN GOOGL META TSLA AVGO BRK.B JPM V MA UNH JNJ WMT PG HD "
            "XOM CVX KO PEP COST ABBV MRK ORCL CSCO INTC AMD NFLX DIS BAC PFE T VZ SPY").split()


def expect_code(fn, code):
    with pytest.raises(grpc.RpcError) as err:
        fn()
    assert err.value.code() == code, f"{err.value.code()}: {err.value.details()}"
    return err.value


def assert_invalid(client: Client, request_plan, field: str, config=None, dry_run=False):
    """INVALID_ARGUMENT naming field, and nothing placed or recorded."""
    before = client.orders(status=ALL)
    err = expect_code(lambda: client.execute(request_plan, config, dry_run=dry_run, timeout=10),
                      grpc.StatusCode.INVALID_ARGUMENT)
    details = err.details() or ""
    fields = (field,) if isinstance(field, str) else field
    assert details.startswith(fields), f"details {details!r} do not start with {fields}"
    after = client.orders(status=ALL)
    assert [o.id for o in after] == [o.id for o in before], "orders were placed"
    if request_plan is not None and 0 < len(request_plan.plan_id) <= 64:
        expect_code(lambda: client.get(request_plan.plan_id), grpc.StatusCode.NOT_FOUND)
    assert len(client.list_executions().executions) == 0
    return details


@pytest.fixture
def client(settled) -> Client:
    return connect(settled)


def bad_plan(*items, plan_id="bad-plan", **kw):
    return plan(plan_id, [OK_ITEM, *items], **kw)


NOW = time.time()

# (case id, plan, field the details must start with)
INVALID_PLANS = [
    ("empty-plan-id", plan("", [OK_ITEM]), "plan.plan_id"),
    ("plan-id-65", plan("p" * 65, [OK_ITEM]), "plan.plan_id"),
    ("plan-id-control-char", plan("bad\nid", [OK_ITEM]), "plan.plan_id"),
    ("no-items", plan("bad-plan", []), "plan.items"),
    ("symbol-empty", bad_plan(item("", BUY, "100")), "plan.items[1].symbol"),
    ("symbol-11", bad_plan(item("ABCDEFGHIJK", BUY, "100")), "plan.items[1].symbol"),
    ("symbol-space", bad_plan(item("MS FT", BUY, "100")), "plan.items[1].symbol"),
    ("symbol-punct", bad_plan(item("MSFT!", BUY, "100")), "plan.items[1].symbol"),
    ("symbol-non-ascii", bad_plan(item("MSFTÄ", BUY, "100")), "plan.items[1].symbol"),
    ("duplicate-symbol", bad_plan(item("AAPL", BUY, "100")), "plan.items[1].symbol"),
    ("duplicate-symbol-case", bad_plan(item("aapl", SELL, "-50")), "plan.items[1].symbol"),
    ("buy-negative", bad_plan(item("MSFT", BUY, "-100")), "plan.items[1].trade_amount"),
    ("buy-zero", bad_plan(item("MSFT", BUY, "0")), "plan.items[1].trade_amount"),
    ("buy-empty", bad_plan(item("MSFT", BUY)), "plan.items[1].trade_amount"),
    ("sell-positive", bad_plan(item("MSFT", SELL, "100")), "plan.items[1].trade_amount"),
    ("sell-zero-not-liquidating",
     bad_plan(item("MSFT", SELL, "0", target_weight="0.1")), "plan.items[1].trade_amount"),
    ("hold-with-amount", bad_plan(item("MSFT", HOLD, "100")), "plan.items[1].trade_amount"),
    ("hold-with-negative", bad_plan(item("MSFT", HOLD, "-100")), "plan.items[1].trade_amount"),
    ("action-unspecified", bad_plan(item("MSFT", UNSPEC, "100")), "plan.items[1].action"),
    ("action-unknown-enum", bad_plan(item("MSFT", 9, "100")), "plan.items[1].action"),
    ("amount-abc", bad_plan(item("MSFT", BUY, "abc")), "plan.items[1].trade_amount"),
    ("amount-exponent", bad_plan(item("MSFT", BUY, "1e3")), "plan.items[1].trade_amount"),
    ("amount-thousands", bad_plan(item("MSFT", BUY, "1,000")), "plan.items[1].trade_amount"),
    ("amount-10-decimals", bad_plan(item("MSFT", BUY, "1.0000000001")),
     "plan.items[1].trade_amount"),
    ("amount-nan", bad_plan(item("MSFT", BUY, "NaN")), "plan.items[1].trade_amount"),
    ("target-weight-1.5", bad_plan(item("MSFT", BUY, "100", target_weight="1.5")),
     "plan.items[1].target_weight"),
    ("target-weight-neg", bad_plan(item("MSFT", BUY, "100", target_weight="-0.1")),
     "plan.items[1].target_weight"),
    ("current-weight-1.5", bad_plan(item("MSFT", BUY, "100", current_weight="1.5")),
     "plan.items[1].current_weight"),
    ("current-weight-abc", bad_plan(item("MSFT", BUY, "100", current_weight="abc")),
     "plan.items[1].current_weight"),
    ("weight-diff-bad", bad_plan(item("MSFT", BUY, "100", weight_diff="1e-2")),
     "plan.items[1].weight_diff"),
    ("target-value-bad", bad_plan(item("MSFT", BUY, "100", target_value="1,000")),
     "plan.items[1].target_value"),
    ("total-portfolio-value-bad", bad_plan(total_portfolio_value="lots"),
     "plan.total_portfolio_value"),
    ("ttl-negative", bad_plan(ttl_seconds=-60), "plan.time_to_live"),
    ("ttl-zero-nanos", None, "plan.time_to_live"),  # Built below (seconds=0, nanos=0 set).
    ("timestamp-far-future", bad_plan(timestamp=NOW + 86400), "plan.timestamp"),
    ("ttl-already-ended", bad_plan(timestamp=NOW - 3600, ttl_seconds=60),
     ("plan.timestamp", "plan.time_to_live")),
]


def _ttl_zero():
    p = bad_plan()
    p.time_to_live.SetInParent()  # Present, 0 s.
    return p


@pytest.mark.parametrize("case,request_plan,field", INVALID_PLANS,
                         ids=[c[0] for c in INVALID_PLANS])
def test_invalid_plan_is_refused_naming_the_field(client, case, request_plan, field):
    if request_plan is None:
        request_plan = _ttl_zero()
    assert_invalid(client, request_plan, field)
    # A dry run validates the same way.
    assert_invalid(client, request_plan, field, dry_run=True)


def test_plan_id_is_printable_ascii(client):
    """plan_id is 1-64 printable ASCII characters: so characters and bytes
    agree, and ids travel safely into client order ids and logs."""
    r = client.execute(plan("p" * 64, [OK_ITEM]), fast_config(), dry_run=True)
    assert r.dry_run and r.plan_id == "p" * 64
    for pid in ("ü" * 3, "計", "tab\there"):
        details = assert_invalid(client, plan(pid, [OK_ITEM]), "plan.plan_id")
        assert "printable ASCII" in details, details


def test_no_plan_is_refused(client):
    assert_invalid(client, None, "plan")


BAD_CONFIGS = [
    ("max-wait-too-short", dict(fill_wait="2", max_repegs=5, max_wait="10"),
     "config.max_wait_seconds"),
    ("max-wait-just-short", dict(fill_wait="1", max_repegs=2, max_wait="7.9"),
     "config.max_wait_seconds"),
    ("fill-wait-abc", dict(fill_wait="abc"), "config.fill_wait_seconds"),
    ("fill-wait-negative", dict(fill_wait="-1"), "config.fill_wait_seconds"),
    ("fill-wait-exponent", dict(fill_wait="1e1"), "config.fill_wait_seconds"),
    ("max-spread-abc", dict(max_spread_percent="abc"), "config.max_spread_percent"),
    ("max-spread-comma", dict(max_spread_percent="0,5"), "config.max_spread_percent"),
    ("repeg-threshold-bad", dict(repeg_threshold_percent="1e-1"),
     "config.repeg_threshold_percent"),
    ("sell-failure-threshold-bad", dict(sell_failure_threshold="$500"),
     "config.sell_failure_threshold"),
    ("buy-buffer-bad", dict(buy_price_buffer_percent="one"), "config.buy_price_buffer_percent"),
    ("quote-age-bad", dict(quote_max_age_seconds="5s"), "config.quote_max_age_seconds"),
    ("max-repegs-negative", dict(max_repegs=-1), "config.max_repegs_per_order"),
]


@pytest.mark.parametrize("case,cfg,field", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_invalid_config_is_refused_naming_the_field(client, case, cfg, field):
    assert_invalid(client, plan("bad-config", [OK_ITEM]), field, config=fast_config(**cfg))


def test_max_wait_long_enough_for_the_chain_is_accepted(client):
    """fill_wait 1 x (2 + 1) + 5 = 8 s: exactly 8 is enough (dry run)."""
    r = client.execute(plan("cfg-ok", [OK_ITEM]),
                       fast_config(fill_wait="1", max_repegs=2, max_wait="8"), dry_run=True)
    assert r.dry_run


def test_too_many_items(launcher):
    client = connect(launcher.start("--max-plan-items", "3"))
    items = [item(s, BUY, "10") for s in ("MSFT", "NVDA", "KO", "PG")]
    details = assert_invalid(client, plan("too-many", items), "plan.items")
    assert "3" in details
    # Exactly the limit is fine.
    r = client.execute(plan("three", items[:3]), fast_config(), dry_run=True)
    assert r.dry_run and len(r.orders) == 3


def test_notional_limits(launcher):
    client = connect(launcher.start("--max-order-notional", "1000",
                                    "--max-plan-notional", "2500"))
    assert_invalid(client, bad_plan(item("MSFT", BUY, "1000.01")), "plan.items[1].trade_amount")
    assert_invalid(client, bad_plan(item("MSFT", SELL, "-1500")), "plan.items[1].trade_amount")
    # Each order under the limit, together above the plan's limit.
    big = plan("big-plan", [item("MSFT", BUY, "900"), item("NVDA", BUY, "900"),
                            item("AAPL", SELL, "-900")])
    assert_invalid(client, big, "plan.items")
    # At the limits is fine.
    r = client.execute(plan("at-limits", [item("MSFT", BUY, "1000"), item("AAPL", SELL, "-1000"),
                                          item("NVDA", BUY, "500")]),
                       fast_config(), dry_run=True)
    assert r.dry_run and len(r.orders) == 3


# --- Dry run and idempotency. ---------------------------------------------

def example_plan(plan_id):
    return plan(plan_id, [
        item("AAPL", SELL, "-3000.00", current_weight="0.12", target_weight="0.08"),
        item("AGG", SELL, "-5880.00", current_weight="0.07", target_weight="0"),
        item("GOOGL", BUY, "8000.00", current_weight="0", target_weight="0.10"),
        item("JPM", BUY, "4000.00", current_weight="0", target_weight="0.05"),
        item("SPY", HOLD, current_weight="0.20", target_weight="0.20"),
    ], max_drift_tolerance="0.05")


def test_dry_run_returns_the_orders_and_places_nothing(client):
    acct = client.account_info()
    r = client.execute(example_plan("dry-1"), fast_config(), dry_run=True)
    assert r.dry_run
    by_sym = {o.symbol: o for o in r.orders}
    assert set(by_sym) >= {"AAPL", "AGG", "GOOGL", "JPM"}, order_summary(r.orders)
    sells = [o for o in r.orders if o.action == SELL]
    buys = [o for o in r.orders if o.action == BUY]
    assert r.orders[:len(sells)] == sells, "sells first"
    for o in sells + buys:
        assert not o.skipped, order_summary([o])
        # A dry run's shares are the requested shares, its price the limit.
        assert dec(o.shares) > 0 and o.shares == o.requested_shares, order_summary([o])
        assert o.order_type == pb.types.ORDER_TYPE_LIMIT, o
        assert dec(o.limit_price) > 0 and o.price == o.limit_price, o
        assert not o.order_ids and not o.order_id and not o.client_order_id
    # AGG goes to 0: the whole position (60 shares in the demo account).
    assert dec(by_sym["AGG"].shares or by_sym["AGG"].requested_shares) == 60
    for o in buys:
        assert dec(o.buying_power_needed) > 0, order_summary([o])
    assert dec(r.buying_power_needed) >= 12000 * 0.98
    assert abs(dec(r.buying_power_needed) - sum(dec(o.buying_power_needed) for o in buys)) < 0.02
    # Nothing placed, nothing recorded, nothing spent.
    assert client.orders(status=ALL) == []
    expect_code(lambda: client.get("dry-1"), grpc.StatusCode.NOT_FOUND)
    assert client.account_info().cash == acct.cash
    assert len(client.list_executions().executions) == 0


def small_plan(plan_id, symbol="AAPL", amount="-200.00"):
    return plan(plan_id, [item(symbol, SELL if amount.startswith("-") else BUY, amount)])


def test_same_plan_id_reattaches_and_places_nothing_new(client):
    first = client.execute(small_plan("idem-1"), fast_config(), timeout=30)
    assert first.status in TERMINAL, status_name(first.status)
    assert first.status == pb.types.EXECUTION_STATUS_SUCCESS, order_summary(first.orders)
    n_orders = len(client.orders(status=ALL))
    assert n_orders >= 1
    again = client.execute(small_plan("idem-1"), fast_config(), timeout=30)
    assert again.plan_id == first.plan_id
    assert again.status == first.status
    assert [list(o.order_ids) for o in again.orders] == [list(o.order_ids) for o in first.orders]
    assert len(client.orders(status=ALL)) == n_orders
    # Also while the first call is still running (detach, then attach again).
    d = client.execute(small_plan("idem-2", "MSFT", "-400.00"), fast_config(), detach=True)
    assert d.status in (pb.types.EXECUTION_STATUS_RUNNING, pb.types.EXECUTION_STATUS_QUEUED)
    r2 = client.execute(small_plan("idem-2", "MSFT", "-400.00"), fast_config(), timeout=30)
    assert r2.status == pb.types.EXECUTION_STATUS_SUCCESS, order_summary(r2.orders)
    n2 = len(client.orders(status=ALL))
    r3 = client.execute(small_plan("idem-2", "MSFT", "-400.00"), fast_config(), detach=True)
    assert r3.status == r2.status
    assert len(client.orders(status=ALL)) == n2
    assert len(client.list_executions().executions) == 2


def test_same_plan_id_with_a_different_plan_is_already_exists(client):
    client.execute(small_plan("dup-1"), fast_config(), detach=True)
    n = len(client.orders(status=ALL))
    for other, cfg in [
        (small_plan("dup-1", "AAPL", "-300.00"), fast_config()),  # Other amount.
        (plan("dup-1", [item("AAPL", SELL, "-200.00"), item("MSFT", SELL, "-100")]),
         fast_config()),  # An extra item.
        (small_plan("dup-1", "MSFT", "-200.00"), fast_config()),  # Other symbol.
        (small_plan("dup-1"), fast_config(max_repegs=3)),  # Other config.
    ]:
        err = expect_code(lambda: client.execute(other, cfg, timeout=10),
                          grpc.StatusCode.ALREADY_EXISTS)
        assert "plan_id" in (err.details() or ""), err.details()
    client.wait_terminal("dup-1", timeout=30)
    assert len(client.list_executions().executions) == 1
    # Nothing placed for the refused plans: every order is dup-1's own (AAPL).
    assert {o.symbol for o in client.orders(status=ALL)} == {"AAPL"}
    assert len(client.orders(status=ALL)) >= n


# --- Executor reads. ------------------------------------------------------

def test_get_and_cancel_need_a_plan_id(client):
    expect_code(lambda: client.get(""), grpc.StatusCode.INVALID_ARGUMENT)
    expect_code(lambda: client.cancel(""), grpc.StatusCode.INVALID_ARGUMENT)
    expect_code(lambda: client.get("x" * 65), grpc.StatusCode.INVALID_ARGUMENT)


def test_unknown_plan_is_not_found(client):
    err = expect_code(lambda: client.get("no-such-plan"), grpc.StatusCode.NOT_FOUND)
    assert "no-such-plan" in err.details()
    expect_code(lambda: client.cancel("no-such-plan"), grpc.StatusCode.NOT_FOUND)


def test_cancel_of_an_ended_execution_is_failed_precondition(client):
    r = client.execute(small_plan("ended-1"), fast_config(), timeout=30)
    assert r.status in TERMINAL
    expect_code(lambda: client.cancel("ended-1"), grpc.StatusCode.FAILED_PRECONDITION)
    assert client.get("ended-1").status == r.status


def test_list_executions_pages_newest_first(client):
    ids = ["page-1", "page-2", "page-3"]
    for i, pid in enumerate(ids):
        client.execute(small_plan(pid, "AAPL", f"-{100 + i}.00"), fast_config(), detach=True)
    first = client.list_executions(page_size=2)
    assert [e.plan_id for e in first.executions] == ["page-3", "page-2"]
    assert first.next_page_token
    second = client.list_executions(page_size=2, page_token=first.next_page_token)
    assert [e.plan_id for e in second.executions] == ["page-1"]
    assert second.next_page_token == ""
    everything = client.list_executions()
    assert [e.plan_id for e in everything.executions] == ["page-3", "page-2", "page-1"]
    expect_code(lambda: client.list_executions(page_token="garbage"),
                grpc.StatusCode.INVALID_ARGUMENT)
    expect_code(lambda: client.list_executions(page_size=-1), grpc.StatusCode.INVALID_ARGUMENT)
    for pid in ids:
        client.wait_terminal(pid, timeout=30)


# --- Account and Pricing. -------------------------------------------------

def test_list_orders_limit(client):
    expect_code(lambda: client.orders(limit=501), grpc.StatusCode.INVALID_ARGUMENT)
    expect_code(lambda: client.orders(limit=-1), grpc.StatusCode.INVALID_ARGUMENT)
    assert client.orders(limit=500) == []


def test_account_reads(client):
    a = client.account_info()
    assert a.broker == "sim" and a.paper
    assert dec(a.cash) == 25000
    pos = client.positions()
    assert dec(pos["AAPL"].qty) == 50 and dec(pos["AMZN"].qty) == 15.5


def test_subscribe_symbols_limit(client):
    resp = client.pricing.SubscribeSymbols(
        pb.pricing.SubscribeSymbolsRequest(symbols=UNIVERSE), timeout=scaled(10))
    assert len(resp.results) == len(UNIVERSE)
    subscribed = [r for r in resp.results if r.subscribed]
    refused = [r for r in resp.results if not r.subscribed]
    assert len(subscribed) == 30, resp
    assert len(refused) == len(UNIVERSE) - 30
    assert all(r.reason for r in refused), resp
    # Unsubscribe two, then a valid subscribe of two others works.
    un = client.pricing.UnsubscribeSymbols(
        pb.pricing.UnsubscribeSymbolsRequest(symbols=[subscribed[0].symbol,
                                                      subscribed[1].symbol]),
        timeout=scaled(10))
    assert set(un.removed) == {subscribed[0].symbol, subscribed[1].symbol}
    ok = client.pricing.SubscribeSymbols(
        pb.pricing.SubscribeSymbolsRequest(symbols=[refused[0].symbol.lower(),
                                                    refused[1].symbol]),
        timeout=scaled(10))
    assert [(r.symbol, r.subscribed) for r in ok.results] == [
        (refused[0].symbol, True), (refused[1].symbol, True)], ok
    expect_code(lambda: client.pricing.SubscribeSymbols(
        pb.pricing.SubscribeSymbolsRequest(symbols=["BAD SYM"]), timeout=scaled(10)),
        grpc.StatusCode.INVALID_ARGUMENT)


def test_get_quotes_real_and_unknown(client):
    resp = client.pricing.GetQuotes(
        pb.pricing.GetQuotesRequest(symbols=["AAPL", "ZZZZZ"]), timeout=scaled(10))
    quotes = {q.symbol: q for q in resp.quotes}
    assert set(quotes) == {"AAPL"}, resp
    q = quotes["AAPL"]
    assert 0 < dec(q.bid_price) <= dec(q.ask_price)
    assert abs(dec(q.mid_price) - (dec(q.bid_price) + dec(q.ask_price)) / 2) < 0.01
    assert list(resp.missing) == ["ZZZZZ"]
    expect_code(lambda: client.pricing.GetQuotes(pb.pricing.GetQuotesRequest(),
                                                 timeout=scaled(10)),
                grpc.StatusCode.INVALID_ARGUMENT)
