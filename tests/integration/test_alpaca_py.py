"""alpaca-sim against the official alpaca-py SDK, plus raw wire checks.

Each test starts its own alpaca-sim (see alpaca_sim.py) on a free port and
drives it through alpaca-py's TradingClient, TradingStream and
StockDataStream (url_override pointed at the simulator), or through plain
HTTP and WebSocket clients for what the SDK hides: status codes, headers,
fault injection, stream drops and plan limits.
"""

import contextlib
import json
import signal
import threading
import time
import warnings

import pytest
import requests

pytest.importorskip("alpaca", reason="alpaca-py is not installed (pip install alpaca-py)")
msgpack = pytest.importorskip("msgpack")
ws_sync = pytest.importorskip("websockets.sync.client")

with warnings.catch_warnings():
    # alpaca-py still imports websockets.legacy.
    warnings.simplefilter("ignore", DeprecationWarning)
    import alpaca.data.live  # noqa: F401
    import alpaca.trading.stream  # noqa: F401

from alpaca.common.exceptions import APIError  # noqa: E402
from alpaca.data.historical import StockHistoricalDataClient  # noqa: E402
from alpaca.data.live import StockDataStream  # noqa: E402
from alpaca.data.requests import StockLatestQuoteRequest  # noqa: E402
from alpaca.trading.client import TradingClient  # noqa: E402
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce  # noqa: E402
from alpaca.trading.requests import (  # noqa: E402
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)
from alpaca.trading.stream import TradingStream  # noqa: E402

from alpaca_sim import KEY_ID, SECRET_KEY, scaled, sim_bin, sim_factory, wait_for  # noqa: E402,F401

# Deterministic fills: no random partial fills unless a test asks.
NO_PARTIALS = ("--partial-fill-share", "0")


def trading(sim) -> TradingClient:
    return TradingClient(KEY_ID, SECRET_KEY, paper=True, url_override=sim.http)


def order_status(sim, order_id: str) -> str:
    return sim.get(f"/v2/orders/{order_id}").json()["status"]


class StreamThread:
    """Runs an alpaca-py stream's blocking run() in a daemon thread."""

    def __init__(self, stream):
        self.stream = stream
        self.thread = threading.Thread(target=stream.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        return False

    def stop(self, sim, which: str):
        # stop() only flags the loop, which checks the flag between receives;
        # dropping the server side makes it look at once.
        self.stream.stop()
        sim.drop_streams(which)
        self.thread.join(timeout=scaled(15))
        assert not self.thread.is_alive(), "stream thread did not stop"


def test_account_clock_assets(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    account = client.get_account()
    assert account.status == "ACTIVE"
    assert account.cash == "25000"
    assert account.buying_power == "25000"
    assert float(account.equity) > 25000
    clock = client.get_clock()
    assert clock.is_open
    assert clock.next_close > clock.timestamp
    asset = client.get_asset("AAPL")
    assert asset.symbol == "AAPL" and asset.fractionable and asset.tradable
    assert any(a.symbol == "SPY" for a in client.get_all_assets())
    positions = {p.symbol: p for p in client.get_all_positions()}
    assert positions["AAPL"].qty == "50"
    assert positions["AMZN"].qty == "15.5"


def test_market_and_limit_orders(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    market = client.submit_order(MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        client_order_id="py-market-1"))
    assert market.status in (OrderStatus.ACCEPTED, OrderStatus.NEW)
    assert market.client_order_id == "py-market-1"
    filled = wait_for(
        lambda: (o := client.get_order_by_client_id("py-market-1")).status == OrderStatus.FILLED
        and o, what="market order filled")
    assert filled.filled_qty == "1"
    assert float(filled.filled_avg_price) > 0
    assert filled.filled_at is not None

    limit = client.submit_order(LimitOrderRequest(
        symbol="MSFT", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=100.5))
    assert limit.limit_price == "100.5"
    assert limit.qty == "2"
    wait_for(lambda: client.get_order_by_id(limit.id).status == OrderStatus.NEW,
             what="limit order new")
    client.cancel_order_by_id(limit.id)
    assert client.get_order_by_id(limit.id).status == OrderStatus.CANCELED
    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert {str(o.id) for o in closed} == {str(market.id), str(limit.id)}
    assert client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN)) == []


def test_duplicate_client_order_id(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    req = LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY,
                            time_in_force=TimeInForce.DAY, limit_price=10,
                            client_order_id="dup-1")
    first = client.submit_order(req)
    client.cancel_order_by_id(first.id)
    with pytest.raises(APIError) as e:
        client.submit_order(req)  # Unique forever, even after a cancel.
    assert e.value.status_code == 422
    assert e.value.code == 40010001
    assert e.value.message == "client_order_id must be unique"


def test_insufficient_buying_power(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    with pytest.raises(APIError) as e:
        client.submit_order(MarketOrderRequest(
            symbol="AAPL", qty=1000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    assert e.value.status_code == 403
    assert e.value.code == 40310000
    body = json.loads(str(e.value))
    assert body["message"] == "insufficient buying power"
    assert body["buying_power"] == "25000"
    assert float(body["cost_basis"]) > 25000
    assert list(body) == sorted(body)  # Alpaca writes the keys sorted.


def test_replace_order_by_id(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    old = client.submit_order(LimitOrderRequest(
        symbol="NVDA", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        limit_price=50))
    wait_for(lambda: client.get_order_by_id(old.id).status == OrderStatus.NEW,
             what="order acknowledged")
    new = client.replace_order_by_id(old.id, ReplaceOrderRequest(limit_price=51))
    assert new.id != old.id
    assert str(new.replaces) == str(old.id)
    assert new.limit_price == "51"
    assert new.qty == "3"  # Omitted fields keep their values.
    assert new.client_order_id != old.client_order_id
    replaced = client.get_order_by_id(old.id)
    assert replaced.status == OrderStatus.REPLACED
    assert str(replaced.replaced_by) == str(new.id)
    assert replaced.replaced_at is not None
    with pytest.raises(APIError) as e:
        client.replace_order_by_id(old.id, ReplaceOrderRequest(limit_price=52))
    assert e.value.status_code == 422


def test_positions_404(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    assert client.get_open_position("MSFT").qty == "20"
    with pytest.raises(APIError) as e:
        client.get_open_position("TSLA")
    assert e.value.status_code == 404
    assert e.value.code == 40410000
    assert e.value.message == "position does not exist"


def test_trading_stream_receives_fill_and_reconnects(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    client = trading(sim)
    updates = []

    async def on_update(update):
        updates.append(update)

    stream = TradingStream(KEY_ID, SECRET_KEY, paper=True, url_override=f"{sim.ws}/stream")
    stream.subscribe_trade_updates(on_update)
    with StreamThread(stream) as st:
        wait_for(lambda: sim.state()["streams"]["trades_listening"] == 1,
                 what="trade stream listening")
        order = client.submit_order(MarketOrderRequest(
            symbol="AAPL", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))

        def fill_of(order_id):
            for u in updates:
                if u.event == "fill" and str(u.order.id) == str(order_id):
                    return u
            return None

        fill = wait_for(lambda: fill_of(order.id), what="fill on the trade stream")
        assert fill.qty == 2
        assert fill.price > 0
        assert fill.position_qty == 52
        assert fill.order.status == OrderStatus.FILLED
        assert fill.timestamp is not None
        events = [u.event for u in updates if str(u.order.id) == str(order.id)]
        assert events == ["new", "fill"]

        # A dropped connection: alpaca-py reconnects and listens again.
        assert sim.drop_streams("trades") == 1
        wait_for(lambda: sim.state()["streams"]["trades_listening"] == 1, timeout=20,
                 what="trade stream reconnected")
        again = client.submit_order(MarketOrderRequest(
            symbol="MSFT", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
        wait_for(lambda: fill_of(again.id), what="fill after the reconnect")
        st.stop(sim, "trades")
    logged = [m["data"]["event"] for m in sim.events()
              if m["data"]["order"]["id"] == str(order.id)]
    assert logged == ["new", "fill"]


def test_stock_data_stream_quotes_msgpack(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    quotes = []

    async def on_quote(q):
        quotes.append(q)

    stream = StockDataStream(KEY_ID, SECRET_KEY, url_override=f"{sim.ws}/v2/iex")
    stream.subscribe_quotes(on_quote, "AAPL")
    with StreamThread(stream) as st:
        wait_for(lambda: sim.state()["streams"]["data_quote_subscribers"] == 1,
                 what="quote subscription")
        sim.quote("AAPL", "187.01", "187.05", bid_size=3, ask_size=4)
        q = wait_for(lambda: next((q for q in quotes if q.bid_price == 187.01), None),
                     what="pinned quote on the data stream")
        assert q.symbol == "AAPL"
        assert q.ask_price == 187.05
        assert q.bid_size == 3 and q.ask_size == 4
        assert q.timestamp.tzinfo is not None
        st.stop(sim, "data")


def test_latest_quote_rest(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    sim.quote("SPY", 500.10, 500.12, 7, 9)
    client = StockHistoricalDataClient(KEY_ID, SECRET_KEY, url_override=sim.http)
    got = client.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["SPY", "AAPL"]))
    assert got["SPY"].bid_price == 500.10 and got["SPY"].ask_size == 9
    assert got["AAPL"].ask_price > got["AAPL"].bid_price
    raw = sim.get("/v2/stocks/SPY/quotes/latest", params={"feed": "iex"}).json()
    assert raw["symbol"] == "SPY" and raw["quote"]["ap"] == 500.12
    assert raw["quote"]["c"] == ["R"] and raw["quote"]["ax"] == "V"


def test_401_without_keys(sim_factory):
    sim = sim_factory()
    r = requests.get(sim.http + "/v2/account", timeout=scaled(5))
    assert r.status_code == 401
    assert r.json() == {"code": 40110000, "message": "request is not authorized"}
    r = requests.get(sim.http + "/v2/account", timeout=scaled(5),
                     headers={"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": "wrong"})
    assert r.status_code == 401


def test_rate_limit_headers_and_429(sim_factory):
    sim = sim_factory("--rate-limit", "5")
    now = time.time()
    for i in range(5):
        r = sim.get("/v2/clock")
        assert r.status_code == 200
        assert r.headers["X-Ratelimit-Limit"] == "5"
        assert r.headers["X-Ratelimit-Remaining"] == str(4 - i)
        assert now - 5 <= int(r.headers["X-Ratelimit-Reset"]) <= now + 65
    r = sim.get("/v2/account")
    assert r.status_code == 429
    assert r.headers["X-Ratelimit-Remaining"] == "0"
    # The control API is not limited.
    assert sim.state()["orders"] == 0


def read_response(sock) -> tuple:
    """Reads one HTTP/1.1 response with a Content-Length; (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the headers"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        body += chunk
    return int(lines[0].split()[1]), body


def test_keep_alive_and_body_in_pieces(sim_factory):
    import select
    import socket
    sim = sim_factory(*NO_PARTIALS)
    for _ in range(20):  # One pooled connection serves them all.
        assert sim.get("/v2/clock").status_code == 200
    body = json.dumps({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit",
                       "limit_price": "10", "time_in_force": "day",
                       "client_order_id": "pieces-1"}).encode()
    host, port = sim.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=scaled(5)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = (f"PATCH /v2/orders/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\n"
                f"Host: {sim.address}\r\nAPCA-API-KEY-ID: {KEY_ID}\r\n"
                f"APCA-API-SECRET-KEY: {SECRET_KEY}\r\nContent-Type: application/json\r\n")
        req = (head.replace("PATCH /v2/orders/00000000-0000-4000-8000-000000000000",
                            "POST /v2/orders")
               + f"Content-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(req + body[:9])
        # The server must wait for the rest of the body, not answer early.
        assert select.select([sock], [], [], scaled(0.2))[0] == []
        sock.sendall(body[9:40])
        sock.sendall(body[40:])
        status, got = read_response(sock)
        assert status == 200, got
        assert json.loads(got)["client_order_id"] == "pieces-1"
        # The same connection serves the next request (keep-alive).
        patch = b'{"limit_price":"11"}'
        sock.sendall((head + f"Content-Length: {len(patch)}\r\n\r\n").encode() + patch)
        status, got = read_response(sock)
        assert status == 404 and json.loads(got)["message"] == "order not found"
        # A 204 (no body, no Content-Length) keeps the connection too.
        oid = sim.get("/v2/orders:by_client_order_id",
                      params={"client_order_id": "pieces-1"}).json()["id"]
        delete = head.replace("PATCH /v2/orders/00000000-0000-4000-8000-000000000000",
                              f"DELETE /v2/orders/{oid}") + "\r\n"
        sock.sendall(delete.encode())
        status, got = read_response(sock)
        assert status == 204 and got == b""
        sock.sendall(delete.encode())
        status, got = read_response(sock)
        assert status == 422


def test_faults_5xx_share_and_burst_429(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    sim.faults(error_5xx_share=1)
    for _ in range(3):
        r = sim.get("/v2/account")
        assert r.status_code in (500, 503)
        assert r.json()["code"] in (50010000, 50310000)
    # A lost reply: the order is taken, the client sees 5xx.
    sim.faults(error_5xx_share="1", error_5xx_after=True)
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
                                "limit_price": 10, "time_in_force": "day",
                                "client_order_id": "lost-reply"})
    assert r.status_code in (500, 503)
    sim.faults(error_5xx_share=0, error_5xx_after=False, burst_429=2)
    assert [sim.get("/v2/clock").status_code for _ in range(3)] == [429, 429, 200]
    r = sim.get("/v2/orders:by_client_order_id", params={"client_order_id": "lost-reply"})
    assert r.status_code == 200 and r.json()["status"] in ("accepted", "new")
    assert sim.state()["faults"]["injected_429"] == 2


def test_reject_next(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    sim.faults(reject_next="halted")
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy",
                                "type": "market", "time_in_force": "day"})
    assert r.status_code == 200
    oid = r.json()["id"]
    wait_for(lambda: order_status(sim, oid) == "rejected", what="rejection")
    assert any(m["data"]["event"] == "rejected" for m in sim.events())


@contextlib.contextmanager
def trade_stream(sim):
    """A raw /stream connection, authenticated and listening."""
    with ws_sync.connect(f"{sim.ws}/stream", open_timeout=scaled(5)) as ws:
        handshake(ws)
        yield ws


def handshake(ws):
    ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
    assert json.loads(ws.recv(timeout=scaled(5))) == {
        "stream": "authorization", "data": {"status": "unauthorized", "action": "listen"}}
    ws.send(json.dumps({"action": "authenticate",
                        "data": {"key_id": KEY_ID, "secret_key": SECRET_KEY}}))
    assert json.loads(ws.recv(timeout=scaled(5))) == {
        "stream": "authorization", "data": {"status": "authorized", "action": "authenticate"}}
    ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
    frame = ws.recv(timeout=scaled(5))
    assert isinstance(frame, bytes)  # Binary frames holding JSON, like paper.
    assert json.loads(frame) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}


def test_drop_streams_closes_trade_stream(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    with trade_stream(sim) as ws:
        r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": "1", "side": "buy",
                                    "type": "limit", "limit_price": "10",
                                    "time_in_force": "gtc"})
        assert r.status_code == 200
        msg = json.loads(ws.recv(timeout=scaled(5)))
        assert msg["stream"] == "trade_updates" and msg["data"]["event"] == "new"
        assert msg["data"]["order"]["id"] == r.json()["id"]
        assert "timestamp" in msg["data"]
        assert sim.drop_streams("trades") == 1
        with pytest.raises(Exception) as e:
            ws.recv(timeout=scaled(5))
        assert "ConnectionClosed" in type(e.value).__name__
        wait_for(lambda: sim.state()["streams"]["trades_connected"] == 0,
                 what="dropped session gone")


def connect(sim, path, **kw):
    return ws_sync.connect(f"{sim.ws}{path}", open_timeout=scaled(5), **kw)


def data_auth(ws):
    """Reads "connected", authenticates; returns the answer."""
    assert json.loads(ws.recv(timeout=scaled(5))) == [{"T": "success", "msg": "connected"}]
    ws.send(json.dumps({"action": "auth", "key": KEY_ID, "secret": SECRET_KEY}))
    return json.loads(ws.recv(timeout=scaled(5)))


def test_data_stream_limits_and_errors(sim_factory):
    sim = sim_factory()
    with connect(sim, "/v2/iex") as ws:
        assert data_auth(ws) == [{"T": "success", "msg": "authenticated"}]
        ws.send(json.dumps({"action": "subscribe", "quotes": ["AAPL", "MSFT"],
                            "trades": ["AAPL"], "bars": ["*"]}))
        sub = json.loads(ws.recv(timeout=scaled(5)))[0]
        assert sub["T"] == "subscription"
        assert sub["quotes"] == ["AAPL", "MSFT"] and sub["trades"] == ["AAPL"]
        assert sub["bars"] == ["*"] and sub["corrections"] == ["AAPL"]
        many = [f"SYM{i}" for i in range(29)]
        ws.send(json.dumps({"action": "subscribe", "quotes": many}))
        assert json.loads(ws.recv(timeout=scaled(5))) == [
            {"T": "error", "code": 405, "msg": "symbol limit exceeded"}]
        ws.send(json.dumps({"action": "unsubscribe", "quotes": ["MSFT"]}))
        sub = json.loads(ws.recv(timeout=scaled(5)))[0]
        assert sub["quotes"] == ["AAPL"]  # The refused subscribe changed nothing.
        ws.send(json.dumps({"action": "auth", "key": KEY_ID, "secret": SECRET_KEY}))
        assert json.loads(ws.recv(timeout=scaled(5)))[0]["code"] == 403
        ws.send("not json")
        assert json.loads(ws.recv(timeout=scaled(5)))[0]["code"] == 400
        # A second connection for the same key.
        with connect(sim, "/v2/iex") as ws2:
            assert data_auth(ws2) == [
                {"T": "error", "code": 406, "msg": "connection limit exceeded"}]
        # Subscribing before auth, and a bad key.
        with connect(sim, "/v2/sip") as ws3:
            ws3.recv(timeout=scaled(5))
            ws3.send(json.dumps({"action": "subscribe", "quotes": ["AAPL"]}))
            assert json.loads(ws3.recv(timeout=scaled(5)))[0]["code"] == 401
            ws3.send(json.dumps({"action": "auth", "key": "nope", "secret": "nope"}))
            assert json.loads(ws3.recv(timeout=scaled(5)))[0]["code"] == 402
    # Auth by headers on the upgrade; /v2/test streams FAKEPACA.
    with connect(sim, "/v2/test", additional_headers={
            "APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET_KEY}) as ws4:
        assert json.loads(ws4.recv(timeout=scaled(5))) == [{"T": "success", "msg": "connected"}]
        assert json.loads(ws4.recv(timeout=scaled(5))) == [
            {"T": "success", "msg": "authenticated"}]
        ws4.send(json.dumps({"action": "subscribe", "quotes": ["FAKEPACA"]}))
        assert json.loads(ws4.recv(timeout=scaled(5)))[0]["quotes"] == ["FAKEPACA"]
        q = json.loads(ws4.recv(timeout=scaled(5)))[0]
        assert q["T"] == "q" and q["S"] == "FAKEPACA" and q["bp"] < q["ap"]


def test_data_stream_msgpack_types(sim_factory):
    sim = sim_factory()
    with connect(sim, "/v2/iex",
                 additional_headers={"Content-Type": "application/msgpack"}) as ws:
        assert msgpack.unpackb(ws.recv(timeout=scaled(5))) == [
            {"T": "success", "msg": "connected"}]
        ws.send(msgpack.packb({"action": "auth", "key": KEY_ID, "secret": SECRET_KEY}))
        assert msgpack.unpackb(ws.recv(timeout=scaled(5)))[0]["msg"] == "authenticated"
        ws.send(msgpack.packb({"action": "subscribe", "quotes": ["TSLA"]}))
        assert msgpack.unpackb(ws.recv(timeout=scaled(5)))[0]["quotes"] == ["TSLA"]
        sim.quote("TSLA", 240, 240.02, 5, 6)

        def pinned():
            for q in msgpack.unpackb(ws.recv(timeout=scaled(5))):
                if q["T"] == "q" and q["S"] == "TSLA" and q["bp"] == 240.0:
                    return q
            return None

        q = wait_for(pinned, what="pinned TSLA quote")
        assert isinstance(q["t"], msgpack.Timestamp)
        assert isinstance(q["bp"], float) and isinstance(q["ap"], float)
        assert isinstance(q["bs"], int) and q["as"] == 6


def test_delete_returns_204(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    oid = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
                                  "limit_price": 10, "time_in_force": "gtc"}).json()["id"]
    r = sim.request("DELETE", f"/v2/orders/{oid}")
    assert r.status_code == 204 and r.content == b""
    r = sim.request("DELETE", f"/v2/orders/{oid}")
    assert r.status_code == 422
    assert r.json() == {"code": 42210000, "message": 'order is already in "canceled" state'}
    r = sim.request("DELETE", "/v2/orders/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json()["code"] == 40410000
    # Cancel all: 207 with one result per open order.
    ids = {sim.post("/v2/orders", {"symbol": s, "qty": 1, "side": "buy", "type": "limit",
                                   "limit_price": 10, "time_in_force": "day"}).json()["id"]
           for s in ("MSFT", "NVDA")}
    r = sim.request("DELETE", "/v2/orders")
    assert r.status_code == 207
    assert {x["id"] for x in r.json()} == ids
    assert all(x["status"] == 200 and x["body"]["status"] == "canceled" for x in r.json())


def test_patch_replace_semantics(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    old = sim.post("/v2/orders", {"symbol": "AAPL", "qty": "4", "side": "buy",
                                  "type": "limit", "limit_price": "100",
                                  "time_in_force": "day", "client_order_id": "rep-old"}).json()
    wait_for(lambda: order_status(sim, old["id"]) == "new", what="ack")
    r = sim.request("PATCH", f"/v2/orders/{old['id']}", json={"limit_price": "100.5"})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["id"] != old["id"] and new["replaces"] == old["id"]
    assert new["qty"] == "4" and new["limit_price"] == "100.5"
    assert new["time_in_force"] == "day" and new["client_order_id"] != "rep-old"
    assert new["status"] in ("accepted", "pending_new", "new")
    got = sim.get(f"/v2/orders/{old['id']}").json()
    assert got["status"] == "replaced" and got["replaced_by"] == new["id"]
    wait_for(lambda: order_status(sim, new["id"]) == "new", what="replacement ack")
    r = sim.request("PATCH", f"/v2/orders/{new['id']}",
                    json={"qty": 2, "client_order_id": "rep-new", "time_in_force": "gtc"})
    assert r.status_code == 200
    newer = r.json()
    assert newer["qty"] == "2" and newer["limit_price"] == "100.5"
    assert newer["client_order_id"] == "rep-new" and newer["time_in_force"] == "gtc"
    r = sim.request("PATCH", f"/v2/orders/{old['id']}", json={"limit_price": "99"})
    assert r.status_code == 422
    replaced = [m["data"]["order"]["id"] for m in sim.events()
                if m["data"]["event"] == "replaced"]
    assert replaced == [old["id"], new["id"]]


def test_lenient_go_style_body(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": "1", "notional": None,
                                "side": "buy", "type": "market", "time_in_force": "day",
                                "limit_price": None, "client_order_id": "",
                                "order_class": "", "legs": None, "extended_hours": False})
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["notional"] is None and order["qty"] == "1"
    assert len(order["client_order_id"]) == 36  # Made up.
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 0, "side": "buy",
                                "type": "market", "time_in_force": "day"})
    assert r.status_code == 422 and r.json()["code"] == 40010001
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
                                "limit_price": "190.123", "time_in_force": "day"})
    assert r.status_code == 422 and r.json()["code"] == 42210000
    r = requests.post(sim.http + "/v2/orders", data="{not json", timeout=scaled(5),
                      headers={"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET_KEY})
    assert r.status_code == 400


def test_sim_orders_and_fill_control(sim_factory):
    sim = sim_factory(*NO_PARTIALS)
    a = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 10, "side": "buy", "type": "limit",
                                "limit_price": 100, "time_in_force": "gtc"}).json()
    b = sim.post("/v2/orders", {"symbol": "MSFT", "qty": 5, "side": "sell", "type": "limit",
                                "limit_price": 999, "time_in_force": "gtc"}).json()
    wait_for(lambda: order_status(sim, a["id"]) == "new", what="ack")
    part = sim.fill(a["id"], qty=4, price="99.5")
    assert part["status"] == "partially_filled" and part["filled_qty"] == "4"
    sim.fill(a["id"])
    assert order_status(sim, a["id"]) == "filled"
    sim.control("POST", f"/_sim/expire/{b['id']}")
    orders = sim.orders()
    assert [o["id"] for o in orders] == [a["id"], b["id"]]  # Oldest first.
    assert orders[0]["filled_qty"] == "10" and orders[1]["status"] == "expired"
    for key in ("client_order_id", "created_at", "filled_avg_price", "replaced_by", "legs"):
        assert key in orders[0]
    events = [(m["data"]["event"], m["data"].get("qty")) for m in sim.events()
              if m["data"]["order"]["id"] == a["id"]]
    assert events == [("new", None), ("partial_fill", "4"), ("fill", "6")]
    state = sim.state()
    assert {"cash", "buying_power", "equity"} <= set(state)


def test_fill_delay_and_order_filters(sim_factory):
    from datetime import datetime
    sim = sim_factory(*NO_PARTIALS)
    sim.control("POST", "/_sim/fill_delay", {"ms": 300})
    first = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy",
                                    "type": "market", "time_in_force": "day"}).json()
    wait_for(lambda: order_status(sim, first["id"]) == "filled", what="delayed fill")
    got = sim.get(f"/v2/orders/{first['id']}").json()
    created = datetime.fromisoformat(got["created_at"][:26] + "+00:00")
    filled = datetime.fromisoformat(got["filled_at"][:26] + "+00:00")
    assert (filled - created).total_seconds() >= 0.29
    ids = [first["id"]]
    for sym, side in (("MSFT", "sell"), ("NVDA", "buy"), ("MSFT", "buy")):
        ids.append(sim.post("/v2/orders", {"symbol": sym, "qty": 1, "side": side,
                                           "type": "limit", "time_in_force": "gtc",
                                           "limit_price": 5 if side == "buy" else 9999}
                            ).json()["id"])

    def listed(**params):
        r = sim.get("/v2/orders", params=params)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()]

    assert listed() == ids[:0:-1]  # Open ones, newest first.
    assert listed(status="all", direction="asc") == ids
    assert listed(status="all", limit=2) == [ids[3], ids[2]]
    assert listed(status="closed") == [ids[0]]
    assert listed(symbols="MSFT") == [ids[3], ids[1]]
    assert listed(symbols="MSFT,NVDA", side="buy") == [ids[3], ids[2]]
    second = sim.get(f"/v2/orders/{ids[1]}").json()["submitted_at"]
    assert listed(status="all", after=second, direction="asc") == ids[2:]
    assert listed(status="all", until=second, direction="asc") == ids[:1]
    assert sim.get("/v2/orders", params={"status": "bogus"}).status_code == 422


def test_state_file_survives_a_crash(sim_factory, tmp_path):
    state = tmp_path / "asim.state"
    sim = sim_factory("--state-file", str(state), *NO_PARTIALS)
    r = sim.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
                                "limit_price": 10, "time_in_force": "gtc",
                                "client_order_id": "survivor"})
    assert r.status_code == 200
    oid = r.json()["id"]
    wait_for(lambda: state.exists() and "survivor" in state.read_text(), what="state saved")
    sim.signal(signal.SIGKILL)
    sim.process.wait()
    again = sim_factory("--state-file", str(state), *NO_PARTIALS)
    r = again.get("/v2/orders:by_client_order_id", params={"client_order_id": "survivor"})
    assert r.status_code == 200 and r.json()["id"] == oid
    r = again.post("/v2/orders", {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
                                  "limit_price": 10, "time_in_force": "gtc",
                                  "client_order_id": "survivor"})
    assert r.status_code == 422


def test_bad_flag_and_help():
    import subprocess
    binary = sim_bin()
    if not binary.exists():
        pytest.skip(f"alpaca-sim not built: {binary}")
    r = subprocess.run([str(binary), "--nope"], capture_output=True, text=True,
                       timeout=scaled(10))
    assert r.returncode == 2
    assert r.stderr.startswith("alpaca-sim: ") and r.stderr.count("\n") == 1
    r = subprocess.run([str(binary), "--help"], capture_output=True, text=True,
                       timeout=scaled(10))
    assert r.returncode == 0 and "--rate-limit" in r.stdout
