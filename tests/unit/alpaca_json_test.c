/* alpaca_json_test.c - unit tests for Alpaca JSON parsing, RFC 3339 times
 * and error mapping (server/broker/alpaca_json, alpaca_time,
 * alpaca_error), including malformed and hostile bodies. */
#include "server/broker/alpaca_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/broker/alpaca_error.h"
#include "server/broker/alpaca_time.h"
#include "server/util/alloc.h"
#include "tests/unit/cunit_main.h"

/* A filled order as Alpaca's paper API returns it (notes/alpaca-wire.md). */
static const char ORDER[] =
    "{\"id\":\"61e69015-8549-4bfd-b9c3-01e75843f47d\","
    "\"client_order_id\":\"st-1a2b-AAPL-buy-1\","
    "\"created_at\":\"2022-04-19T17:45:04.123456Z\","
    "\"updated_at\":\"2022-04-19T17:45:05.024916716Z\","
    "\"submitted_at\":\"2022-04-19T17:45:04.2Z\","
    "\"filled_at\":\"2022-04-19T17:45:05.024916716Z\","
    "\"expired_at\":null,\"canceled_at\":null,\"failed_at\":null,"
    "\"replaced_at\":null,\"replaced_by\":null,\"replaces\":null,"
    "\"asset_id\":\"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415\","
    "\"symbol\":\"AAPL\",\"asset_class\":\"us_equity\",\"notional\":null,"
    "\"qty\":\"10\",\"filled_qty\":\"10\",\"filled_avg_price\":\"105.89\","
    "\"order_class\":\"\",\"order_type\":\"limit\",\"type\":\"limit\","
    "\"side\":\"buy\",\"position_intent\":\"buy_to_open\","
    "\"time_in_force\":\"day\",\"limit_price\":\"106.00\","
    "\"stop_price\":null,\"status\":\"filled\",\"extended_hours\":false,"
    "\"legs\":null,\"trail_percent\":null,\"trail_price\":null,"
    "\"hwm\":null}";

static cJSON *P(const char *s) {
  cJSON *j = NULL;
  st_errbuf eb;

  CU_ASSERT_EQUAL_FATAL(st_alpaca_json_parse(s, strlen(s), &j, &eb), ST_OK);
  return j;
}

static st_dec D(const char *s) {
  st_dec d = {0};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

static void test_order_real(void) {
  cJSON *j = P(ORDER);
  st_order o;
  st_errbuf eb;
  int64_t t;

  CU_ASSERT_EQUAL(st_alpaca_json_order(j, &o, &eb), ST_OK);
  CU_ASSERT_STRING_EQUAL(o.id, "61e69015-8549-4bfd-b9c3-01e75843f47d");
  CU_ASSERT_STRING_EQUAL(o.client_order_id, "st-1a2b-AAPL-buy-1");
  CU_ASSERT_STRING_EQUAL(o.symbol, "AAPL");
  CU_ASSERT_EQUAL(o.side, ST_SIDE_BUY);
  CU_ASSERT_EQUAL(o.type, ST_OTYPE_LIMIT);
  CU_ASSERT_STRING_EQUAL(o.time_in_force, "day");
  CU_ASSERT_EQUAL(o.status, ST_OS_FILLED);
  CU_ASSERT_EQUAL(o.qty.v, D("10").v);
  CU_ASSERT_EQUAL(o.filled_qty.v, D("10").v);
  CU_ASSERT_EQUAL(o.filled_avg_price.v, D("105.89").v);
  CU_ASSERT_EQUAL(o.limit_price.v, D("106").v);
  CU_ASSERT(st_dec_is_zero(o.notional));
  CU_ASSERT_EQUAL(
      st_alpaca_time_parse("2022-04-19T17:45:05.024916716Z", &t, NULL), ST_OK);
  CU_ASSERT_EQUAL(o.updated_at_ns, t);
  CU_ASSERT_EQUAL(o.filled_at_ns, t);
  CU_ASSERT_EQUAL(o.canceled_at_ns, 0);
  CU_ASSERT_STRING_EQUAL(o.replaced_by, "");
  cJSON_Delete(j);
}

/* alpaca-py style: numbers for decimals, missing optional keys; Go style:
 * "" for client_order_id. */
static void test_order_lenient(void) {
  cJSON *j =
      P("{\"id\":\"x1\",\"symbol\":\"BRK.B\",\"side\":\"sell\",\"type\":"
        "\"market\",\"status\":\"partially_filled\",\"qty\":1.5,"
        "\"filled_qty\":0.5,\"filled_avg_price\":401.123456789123,"
        "\"client_order_id\":\"\"}");
  st_order o;
  st_errbuf eb;

  CU_ASSERT_EQUAL(st_alpaca_json_order(j, &o, &eb), ST_OK);
  CU_ASSERT_EQUAL(o.side, ST_SIDE_SELL);
  CU_ASSERT_EQUAL(o.type, ST_OTYPE_MARKET);
  CU_ASSERT_EQUAL(o.status, ST_OS_PARTIALLY_FILLED);
  CU_ASSERT_EQUAL(o.qty.v, D("1.5").v);
  CU_ASSERT_EQUAL(o.filled_qty.v, D("0.5").v);
  CU_ASSERT_EQUAL(o.filled_avg_price.v, D("401.123456789").v);
  CU_ASSERT_STRING_EQUAL(o.client_order_id, "");
  cJSON_Delete(j);

  /* Unknown type and status are not errors. */
  j =
      P("{\"id\":\"x2\",\"symbol\":\"A\",\"side\":\"buy\",\"type\":"
        "\"trailing_stop\",\"status\":\"calculated\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_order(j, &o, &eb), ST_OK);
  CU_ASSERT_EQUAL(o.type, ST_OTYPE_NONE);
  CU_ASSERT_EQUAL(o.status, ST_OS_NEW); /* A rare working status. */
  cJSON_Delete(j);
}

/* Replaces the first occurrence of from in ORDER with to. */
static char *order_with(const char *from, const char *to) {
  const char *p = strstr(ORDER, from);
  size_t n = strlen(ORDER) - strlen(from) + strlen(to) + 1;
  char *s = malloc(n);

  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  snprintf(s, n, "%.*s%s%s", (int)(p - ORDER), ORDER, to, p + strlen(from));
  return s;
}

static void test_order_bad_fields(void) {
  static const char *const cases[][2] = {
      {"\"id\":\"61e69015-8549-4bfd-b9c3-01e75843f47d\",", ""}, /* no id */
      {"\"id\":\"61e69015-8549-4bfd-b9c3-01e75843f47d\"", "\"id\":42"},
      {"\"id\":\"61e69015-8549-4bfd-b9c3-01e75843f47d\"", "\"id\":null"},
      {"\"symbol\":\"AAPL\"", "\"symbol\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\""},
      {"\"symbol\":\"AAPL\"", "\"symbol\":[\"AAPL\"]"},
      {"\"side\":\"buy\"", "\"side\":\"short\""},
      {"\"side\":\"buy\"", "\"side\":true"},
      {"\"status\":\"filled\"", "\"status\":7"},
      {"\"qty\":\"10\"", "\"qty\":{\"v\":10}"},
      {"\"qty\":\"10\"", "\"qty\":\"ten\""},
      {"\"qty\":\"10\"", "\"qty\":\"1e5\""},
      {"\"qty\":\"10\"", "\"qty\":1e400"},
      {"\"qty\":\"10\"", "\"qty\":-1e300"},
      {"\"qty\":\"10\"", "\"qty\":\"99999999999999999999999\""},
      {"\"qty\":\"10\"", "\"qty\":\"-5\""},
      {"\"filled_qty\":\"10\"", "\"filled_qty\":false"},
      {"\"filled_avg_price\":\"105.89\"", "\"filled_avg_price\":[]"},
      {"\"updated_at\":\"2022-04-19T17:45:05.024916716Z\"",
       "\"updated_at\":\"yesterday\""},
      {"\"updated_at\":\"2022-04-19T17:45:05.024916716Z\"",
       "\"updated_at\":1650390305"},
      {"\"updated_at\":\"2022-04-19T17:45:05.024916716Z\"",
       "\"updated_at\":\"9999-12-31T23:59:59Z\""},
      {"\"time_in_force\":\"day\"", "\"time_in_force\":\"good-til-forever\""},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *s = order_with(cases[i][0], cases[i][1]);
    cJSON *j = NULL;
    st_errbuf eb;
    st_order o;

    eb.msg[0] = '\0';
    if (st_alpaca_json_parse(s, strlen(s), &j, &eb) == ST_OK) {
      CU_ASSERT_EQUAL(st_alpaca_json_order(j, &o, &eb), ST_EPROTO);
      CU_ASSERT(eb.msg[0] != '\0');
    }
    cJSON_Delete(j);
    free(s);
  }
}

/* Every proper prefix of a body is refused cleanly, never a crash. */
static void test_truncated(void) {
  size_t n = strlen(ORDER), i;

  for (i = 0; i < n; i++) {
    cJSON *j = (cJSON *)1;
    st_errbuf eb;

    CU_ASSERT_EQUAL(st_alpaca_json_parse(ORDER, i, &j, &eb), ST_EPROTO);
    CU_ASSERT_PTR_NULL(j);
  }
}

static void test_malformed_bodies(void) {
  static const char *const bad[] = {
      "",
      "   ",
      "{",
      "}",
      "[1,2",
      "nul",
      "{\"a\":}",
      "{\"a\" 1}",
      "{}x",
      "{} {}",
      "\"\\u",
      "<html>502</html>",
      "{\"id\":\"a\",}",
  };
  size_t i;
  char *deep;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cJSON *j = NULL;
    st_errbuf eb;

    CU_ASSERT_EQUAL(st_alpaca_json_parse(bad[i], strlen(bad[i]), &j, &eb),
                    ST_EPROTO);
    CU_ASSERT_PTR_NULL(j);
  }
  /* Far deeper nesting than cJSON allows. */
  deep = malloc(200001);
  memset(deep, '[', 100000);
  memset(deep + 100000, ']', 100000);
  deep[200000] = '\0';
  {
    cJSON *j = NULL;
    st_errbuf eb;

    CU_ASSERT_EQUAL(st_alpaca_json_parse(deep, 200000, &j, &eb), ST_EPROTO);
    CU_ASSERT_PTR_NULL(j);
  }
  free(deep);
}

static void test_wrong_top_level(void) {
  static const char *const bodies[] = {"[]", "42", "\"x\"", "null", "true"};
  size_t i;

  for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    cJSON *j = P(bodies[i]);
    st_errbuf eb;
    st_order o;
    st_account a;
    st_position p;
    st_asset as;
    st_clock c;
    st_quote q;
    st_trade_update u;

    CU_ASSERT_EQUAL(st_alpaca_json_order(j, &o, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_account(j, &a, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_position(j, &p, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_asset(j, &as, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_clock(j, &c, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_quote(j, "AAPL", &q, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_stream_quote(j, &q, &eb), ST_EPROTO);
    CU_ASSERT_EQUAL(st_alpaca_json_trade_update(j, &u, &eb), ST_EPROTO);
    cJSON_Delete(j);
  }
  /* Lists want arrays. */
  {
    cJSON *j = P("{}");
    st_order *ov = (st_order *)1;
    st_position *pv = (st_position *)1;
    size_t n = 7;
    st_errbuf eb;

    CU_ASSERT_EQUAL(st_alpaca_json_orders(j, &ov, &n, &eb), ST_EPROTO);
    CU_ASSERT_PTR_NULL(ov);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(st_alpaca_json_positions(j, &pv, &n, &eb), ST_EPROTO);
    CU_ASSERT_PTR_NULL(pv);
    cJSON_Delete(j);
  }
  CU_ASSERT_EQUAL(st_alpaca_json_order(NULL, &(st_order){0}, NULL), ST_EPROTO);
}

static void test_orders_list(void) {
  char body[8192];
  cJSON *j;
  st_order *v = NULL;
  size_t n = 0;
  st_errbuf eb;

  snprintf(body, sizeof(body), "[%s,%s]", ORDER, ORDER);
  j = P(body);
  CU_ASSERT_EQUAL(st_alpaca_json_orders(j, &v, &n, &eb), ST_OK);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_STRING_EQUAL(v[1].symbol, "AAPL");
  st_free(v);
  cJSON_Delete(j);

  j = P("[]");
  CU_ASSERT_EQUAL(st_alpaca_json_orders(j, &v, &n, &eb), ST_OK);
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_PTR_NOT_NULL(v);
  st_free(v);
  cJSON_Delete(j);

  /* One bad element spoils the list, with nothing leaked. */
  snprintf(body, sizeof(body), "[%s,{\"id\":\"x\"}]", ORDER);
  j = P(body);
  CU_ASSERT_EQUAL(st_alpaca_json_orders(j, &v, &n, &eb), ST_EPROTO);
  CU_ASSERT_PTR_NULL(v);
  CU_ASSERT_EQUAL(n, 0);
  cJSON_Delete(j);
}

static void test_account(void) {
  cJSON *j =
      P("{\"id\":\"904837e3-3b76-47ec-b432-046db621571b\","
        "\"account_number\":\"PA1234\",\"status\":\"ACTIVE\","
        "\"currency\":\"USD\",\"cash\":\"100000.00\","
        "\"buying_power\":\"176531.28\",\"regt_buying_power\":\"1\","
        "\"equity\":\"100000\",\"last_equity\":\"99000\","
        "\"portfolio_value\":\"100000.5\",\"long_market_value\":\"0\","
        "\"multiplier\":\"2\",\"daytrade_count\":0,"
        "\"pattern_day_trader\":false,\"trading_blocked\":false,"
        "\"account_blocked\":false,\"shorting_enabled\":true}");
  st_account a;
  st_errbuf eb;

  CU_ASSERT_EQUAL(st_alpaca_json_account(j, &a, &eb), ST_OK);
  CU_ASSERT_STRING_EQUAL(a.status, "ACTIVE");
  CU_ASSERT_STRING_EQUAL(a.currency, "USD");
  CU_ASSERT_EQUAL(a.cash.v, D("100000").v);
  CU_ASSERT_EQUAL(a.buying_power.v, D("176531.28").v);
  CU_ASSERT_EQUAL(a.portfolio_value.v, D("100000.5").v);
  CU_ASSERT_EQUAL(a.multiplier.v, D("2").v);
  CU_ASSERT_EQUAL(a.trading_blocked, 0);
  cJSON_Delete(j);

  /* PDT fields gone (2026), portfolio_value missing: falls back. */
  j =
      P("{\"id\":\"a\",\"cash\":5,\"buying_power\":\"5\",\"equity\":"
        "\"7.25\",\"trading_blocked\":true}");
  CU_ASSERT_EQUAL(st_alpaca_json_account(j, &a, &eb), ST_OK);
  CU_ASSERT_EQUAL(a.portfolio_value.v, D("7.25").v);
  CU_ASSERT_EQUAL(a.trading_blocked, 1);
  cJSON_Delete(j);

  j = P("{\"id\":\"a\",\"cash\":\"5\",\"equity\":\"7\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_account(j, &a, &eb), ST_EPROTO);
  CU_ASSERT(strstr(eb.msg, "buying_power") != NULL);
  cJSON_Delete(j);

  j =
      P("{\"id\":\"a\",\"cash\":\"5\",\"buying_power\":\"1\",\"equity\":"
        "\"7\",\"trading_blocked\":\"no\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_account(j, &a, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_positions(void) {
  cJSON *j =
      P("[{\"asset_id\":\"x\",\"symbol\":\"TSLA\",\"exchange\":\"NASDAQ\","
        "\"qty\":\"-3\",\"qty_available\":\"-1\",\"avg_entry_price\":"
        "\"180.5\",\"side\":\"short\",\"market_value\":\"-541.5\","
        "\"cost_basis\":\"-541.5\",\"current_price\":\"180.5\"},"
        "{\"symbol\":\"SPY\",\"qty\":7.2273576}]");
  st_position *v = NULL;
  size_t n = 0;
  st_errbuf eb;

  CU_ASSERT_EQUAL(st_alpaca_json_positions(j, &v, &n, &eb), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_EQUAL(v[0].qty.v, D("-3").v);
  CU_ASSERT_EQUAL(v[0].qty_available.v, D("-1").v);
  CU_ASSERT_EQUAL(v[0].avg_entry_price.v, D("180.5").v);
  CU_ASSERT_EQUAL(v[1].qty.v, D("7.2273576").v);
  CU_ASSERT_EQUAL(v[1].qty_available.v, D("7.2273576").v);
  st_free(v);
  cJSON_Delete(j);
}

static void test_asset(void) {
  cJSON *j =
      P("{\"id\":\"x\",\"class\":\"us_equity\",\"symbol\":\"AAPL\","
        "\"tradable\":true,\"fractionable\":true,\"shortable\":true}");
  st_asset a;
  st_errbuf eb;

  CU_ASSERT_EQUAL(st_alpaca_json_asset(j, &a, &eb), ST_OK);
  CU_ASSERT_STRING_EQUAL(a.symbol, "AAPL");
  CU_ASSERT_EQUAL(a.tradable, 1);
  CU_ASSERT_EQUAL(a.fractionable, 1);
  cJSON_Delete(j);
  j = P("{\"symbol\":\"X\",\"tradable\":1}");
  CU_ASSERT_EQUAL(st_alpaca_json_asset(j, &a, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_clock(void) {
  cJSON *j =
      P("{\"timestamp\":\"2024-01-02T10:15:30.5-05:00\","
        "\"is_open\":true,\"next_open\":\"2024-01-03T09:30:00-05:00\","
        "\"next_close\":\"2024-01-02T16:00:00-05:00\"}");
  st_clock c;
  st_errbuf eb;
  int64_t t;

  CU_ASSERT_EQUAL(st_alpaca_json_clock(j, &c, &eb), ST_OK);
  CU_ASSERT_EQUAL(c.is_open, 1);
  st_alpaca_time_parse("2024-01-02T15:15:30.5Z", &t, NULL);
  CU_ASSERT_EQUAL(c.now_ns, t);
  st_alpaca_time_parse("2024-01-02T21:00:00Z", &t, NULL);
  CU_ASSERT_EQUAL(c.next_close_ns, t);
  st_alpaca_time_parse("2024-01-02T14:30:00Z", &t, NULL);
  CU_ASSERT_EQUAL(c.last_open_ns, t);
  cJSON_Delete(j);

  /* Closed: no last open. Summer offset. */
  j =
      P("{\"timestamp\":\"2024-07-02T20:00:00-04:00\",\"is_open\":false,"
        "\"next_open\":\"2024-07-03T09:30:00-04:00\","
        "\"next_close\":\"2024-07-03T16:00:00-04:00\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_clock(j, &c, &eb), ST_OK);
  CU_ASSERT_EQUAL(c.is_open, 0);
  CU_ASSERT_EQUAL(c.last_open_ns, 0);
  st_alpaca_time_parse("2024-07-03T13:30:00Z", &t, NULL);
  CU_ASSERT_EQUAL(c.next_open_ns, t);
  cJSON_Delete(j);

  j =
      P("{\"timestamp\":\"2024-07-02T20:00:00-04:00\",\"is_open\":\"yes\","
        "\"next_open\":\"2024-07-03T09:30:00-04:00\","
        "\"next_close\":\"2024-07-03T16:00:00-04:00\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_clock(j, &c, &eb), ST_EPROTO);
  cJSON_Delete(j);
  j = P("{\"timestamp\":\"2024-07-02T20:00:00-04:00\",\"is_open\":true}");
  CU_ASSERT_EQUAL(st_alpaca_json_clock(j, &c, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_latest_quotes(void) {
  cJSON *j =
      P("{\"quotes\":{\"AAPL\":{\"t\":\"2024-01-02T15:00:00.123456789Z\","
        "\"ax\":\"V\",\"ap\":156.47,\"as\":3,\"bx\":\"V\",\"bp\":156.45,"
        "\"bs\":1,\"c\":[\"R\"],\"z\":\"C\"},"
        "\"TSLA\":{\"t\":\"2024-01-02T15:00:01Z\",\"ap\":\"250.10\","
        "\"as\":\"2\",\"bp\":\"250.00\",\"bs\":\"4\"},"
        "\"MSFT\":{\"ap\":1}}}");
  const char *syms[] = {"AAPL", "TSLA", "NVDA"};
  st_quote q[3];
  st_errbuf eb;

  CU_ASSERT_EQUAL(st_alpaca_json_latest_quotes(j, syms, 3, q, &eb), ST_OK);
  CU_ASSERT_STRING_EQUAL(q[0].symbol, "AAPL");
  CU_ASSERT_EQUAL(q[0].ask.v, D("156.47").v);
  CU_ASSERT_EQUAL(q[0].bid.v, D("156.45").v);
  CU_ASSERT_EQUAL(q[0].ask_size.v, D("3").v);
  CU_ASSERT_EQUAL(q[0].source, ST_QUOTE_REST);
  CU_ASSERT(q[0].ts_ns > 0);
  CU_ASSERT_EQUAL(q[1].ask.v, D("250.1").v);
  CU_ASSERT_EQUAL(q[1].bid_size.v, D("4").v);
  CU_ASSERT_STRING_EQUAL(q[2].symbol, "NVDA");
  CU_ASSERT_EQUAL(q[2].ts_ns, 0);
  CU_ASSERT(st_dec_is_zero(q[2].ask));
  cJSON_Delete(j);

  j = P("{\"quotes\":{\"AAPL\":{\"ap\":\"abc\"}}}");
  CU_ASSERT_EQUAL(st_alpaca_json_latest_quotes(j, syms, 1, q, &eb), ST_EPROTO);
  cJSON_Delete(j);
  j = P("{\"quotes\":[1]}");
  CU_ASSERT_EQUAL(st_alpaca_json_latest_quotes(j, syms, 1, q, &eb), ST_EPROTO);
  cJSON_Delete(j);
  j = P("{\"quotes\":{\"AAPL\":{\"ap\":-1}}}");
  CU_ASSERT_EQUAL(st_alpaca_json_latest_quotes(j, syms, 1, q, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_stream_quote(void) {
  cJSON *j =
      P("[{\"T\":\"q\",\"S\":\"AMD\",\"bx\":\"U\",\"bp\":87.66,"
        "\"bs\":1,\"ax\":\"Q\",\"ap\":87.68,\"as\":4,"
        "\"t\":\"2021-02-22T15:51:45.335689322Z\",\"c\":[\"R\"],"
        "\"z\":\"C\"}]");
  st_quote q;
  st_errbuf eb;

  CU_ASSERT_EQUAL(
      st_alpaca_json_stream_quote(cJSON_GetArrayItem(j, 0), &q, &eb), ST_OK);
  CU_ASSERT_STRING_EQUAL(q.symbol, "AMD");
  CU_ASSERT_EQUAL(q.bid.v, D("87.66").v);
  CU_ASSERT_EQUAL(q.ask.v, D("87.68").v);
  CU_ASSERT_EQUAL(q.source, ST_QUOTE_STREAM);
  CU_ASSERT_EQUAL(q.received_ns, 0);
  cJSON_Delete(j);

  j = P("{\"T\":\"t\",\"S\":\"AMD\",\"p\":1}");
  CU_ASSERT_EQUAL(st_alpaca_json_stream_quote(j, &q, &eb), ST_EPROTO);
  cJSON_Delete(j);
  j = P("{\"T\":\"q\",\"bp\":1}");
  CU_ASSERT_EQUAL(st_alpaca_json_stream_quote(j, &q, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_trade_update(void) {
  char body[8192];
  cJSON *j, *data;
  st_trade_update u;
  st_errbuf eb;

  snprintf(body, sizeof(body),
           "{\"stream\":\"trade_updates\",\"data\":{\"event\":\"fill\","
           "\"execution_id\":\"5f0b6ecb-3b8c-4c21-9d59-5b3b5f6d3f1a\","
           "\"order\":%s,\"timestamp\":\"2022-04-19T17:45:05.024916716Z\","
           "\"price\":\"105.89\",\"qty\":\"10\",\"position_qty\":\"10\"}}",
           ORDER);
  j = P(body);
  data = cJSON_GetObjectItemCaseSensitive(j, "data");
  CU_ASSERT_EQUAL(st_alpaca_json_trade_update(data, &u, &eb), ST_OK);
  CU_ASSERT_EQUAL(u.event, ST_TE_FILL);
  CU_ASSERT_STRING_EQUAL(u.execution_id,
                         "5f0b6ecb-3b8c-4c21-9d59-5b3b5f6d3f1a");
  CU_ASSERT_EQUAL(u.price.v, D("105.89").v);
  CU_ASSERT_EQUAL(u.qty.v, D("10").v);
  CU_ASSERT_EQUAL(u.position_qty.v, D("10").v);
  CU_ASSERT_EQUAL(u.order.status, ST_OS_FILLED);
  CU_ASSERT(u.ts_ns > 0);
  CU_ASSERT_EQUAL(u.reconciled, 0);
  cJSON_Delete(j);

  /* Unknown events are kept as OTHER; a missing order is an error. */
  snprintf(body, sizeof(body), "{\"event\":\"restated\",\"order\":%s}", ORDER);
  j = P(body);
  CU_ASSERT_EQUAL(st_alpaca_json_trade_update(j, &u, &eb), ST_OK);
  CU_ASSERT_EQUAL(u.event, ST_TE_OTHER);
  cJSON_Delete(j);
  j = P("{\"event\":\"fill\",\"price\":\"1\"}");
  CU_ASSERT_EQUAL(st_alpaca_json_trade_update(j, &u, &eb), ST_EPROTO);
  cJSON_Delete(j);
  j = P("{\"event\":\"fill\",\"order\":null}");
  CU_ASSERT_EQUAL(st_alpaca_json_trade_update(j, &u, &eb), ST_EPROTO);
  cJSON_Delete(j);
  snprintf(body, sizeof(body), "{\"event\":5,\"order\":%s}", ORDER);
  j = P(body);
  CU_ASSERT_EQUAL(st_alpaca_json_trade_update(j, &u, &eb), ST_EPROTO);
  cJSON_Delete(j);
}

static void test_time(void) {
  static const struct {
    const char *s;
    int64_t ns;
    int32_t off;
  } ok[] = {
      {"1970-01-01T00:00:00Z", 0, 0},
      {"1970-01-01T00:00:00.000000001Z", 1, 0},
      {"1970-01-01T00:00:00.1234567891234Z", 123456789, 0},
      {"2024-01-02T09:30:00-05:00", 1704205800000000000LL, -18000},
      {"2024-01-02T14:30:00+00:00", 1704205800000000000LL, 0},
      {"2024-01-02t14:30:00z", 1704205800000000000LL, 0},
      {"2024-01-02 20:00:00+05:30", 1704205800000000000LL, 19800},
      {"2024-02-29T00:00:00Z", 1709164800000000000LL, 0},
      {"2016-12-31T23:59:60Z", 1483228799999999999LL, 0},
      {"1969-12-31T23:59:59Z", -1000000000LL, 0},
      {"2262-04-11T23:47:16.854775807Z", INT64_MAX, 0},
  };
  static const char *const bad[] = {
      "",
      "2024-01-02",
      "2024-01-02T09:30:00",
      "2024-13-02T09:30:00Z",
      "2023-02-29T09:30:00Z",
      "2024-01-32T09:30:00Z",
      "2024-01-02T24:00:00Z",
      "2024-01-02T09:60:00Z",
      "2024-01-02T09:30:61Z",
      "2024-01-02T09:30:00.Z",
      "2024-01-02T09:30:00+24:00",
      "2024-01-02T09:30:00+0500",
      "2024-01-02T09:30:00Zjunk",
      "24-01-02T09:30:00Z",
      "2024/01/02T09:30:00Z",
  };
  char buf[ST_ALPACA_TIME_STRLEN];
  size_t i;

  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    int64_t ns = 42;
    int32_t off = 42;

    CU_ASSERT_EQUAL(st_alpaca_time_parse(ok[i].s, &ns, &off), ST_OK);
    CU_ASSERT_EQUAL(ns, ok[i].ns);
    CU_ASSERT_EQUAL(off, ok[i].off);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ns;

    CU_ASSERT_EQUAL(st_alpaca_time_parse(bad[i], &ns, NULL), ST_EINVAL);
  }
  {
    int64_t ns;

    CU_ASSERT_EQUAL(
        st_alpaca_time_parse("2262-04-11T23:47:16.854775808Z", &ns, NULL),
        ST_EOVERFLOW);
    CU_ASSERT_EQUAL(st_alpaca_time_parse("9999-12-31T23:59:59Z", &ns, NULL),
                    ST_EOVERFLOW);
  }
  CU_ASSERT_STRING_EQUAL(st_alpaca_time_format(1704205800123456789LL, buf),
                         "2024-01-02T14:30:00.123456789Z");
  CU_ASSERT_STRING_EQUAL(st_alpaca_time_format(-1, buf),
                         "1969-12-31T23:59:59.999999999Z");
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    int64_t back;

    st_alpaca_time_format(ok[i].ns, buf);
    CU_ASSERT_EQUAL(st_alpaca_time_parse(buf, &back, NULL), ST_OK);
    CU_ASSERT_EQUAL(back, ok[i].ns);
  }
}

static void test_error_map(void) {
  static const struct {
    long status;
    const char *body;
    st_err want;
    long code;
  } cases[] = {
      {403,
       "{\"buying_power\":\"176531.28\",\"code\":40310000,\"cost_basis\":"
       "\"48640000\",\"message\":\"insufficient buying power\"}",
       ST_EBUYPOWER, 40310000},
      {403,
       "{\"code\":40310000,\"message\":\"insufficient day trading buying "
       "power\"}",
       ST_EBUYPOWER, 40310000},
      {403,
       "{\"code\":40310000,\"message\":\"potential wash trade detected. use "
       "complex orders\",\"reject_reason\":\"opposite side market/stop "
       "order exists\"}",
       ST_EWASH, 40310000},
      {422,
       "{\"code\":42210000,\"message\":\"potential wash trade detected. use "
       "complex orders\"}",
       ST_EWASH, 42210000},
      {422,
       "{\"code\":42210000,\"message\":\"order is already in "
       "\\\"filled\\\" state\"}",
       ST_ETERMINAL, 42210000},
      {422,
       "{\"code\":42210000,\"message\":\"order is already in "
       "\\\"canceled\\\" state\"}",
       ST_ETERMINAL, 42210000},
      {422,
       "{\"code\":42210000,\"message\":\"order is already in "
       "\\\"pending_cancel\\\" state\"}",
       ST_EINVAL, 42210000},
      {422,
       "{\"code\":40010001,\"message\":\"client_order_id must be "
       "unique\"}",
       ST_EDUPLICATE, 40010001},
      {422,
       "{\"code\":42210000,\"message\":\"invalid limit_price 290.123. "
       "sub-penny increment does not fulfill minimum pricing "
       "criteria\"}",
       ST_EINVAL, 42210000},
      {400, "{\"code\":40010000,\"message\":\"invalid qty\"}", ST_EINVAL,
       40010000},
      {404, "{\"code\":40410000,\"message\":\"order not found\"}", ST_ENOTFOUND,
       40410000},
      {401, "{\"code\":40110000,\"message\":\"request is not authorized\"}",
       ST_EAUTH, 40110000},
      {403,
       "{\"code\":40310100,\"message\":\"trade denied due to pattern "
       "day trading protection\"}",
       ST_EREJECTED, 40310100},
      {429, "Too Many Requests", ST_ERATELIMIT, 0},
      {500, "<html>Internal Server Error</html>", ST_ETRANSIENT, 0},
      {503, NULL, ST_ETRANSIENT, 0},
      {409, "{}", ST_EREJECTED, 0},
      {422, "not json", ST_EINVAL, 0},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *b = cases[i].body;
    st_brokerr e;

    CU_ASSERT_EQUAL(
        st_alpaca_error_map(cases[i].status, b, b ? strlen(b) : 0, &e),
        cases[i].want);
    CU_ASSERT_EQUAL(e.http_status, cases[i].status);
    CU_ASSERT_EQUAL(e.code, cases[i].code);
    CU_ASSERT(e.message[0] != '\0');
  }
}

static void test_error_qty(void) {
  const char *b1 =
      "{\"available\":\"3\",\"code\":40310000,\"existing_qty\":\"10\","
      "\"held_for_orders\":\"7\",\"message\":\"insufficient qty available "
      "for order (requested: 10, available: 3)\",\"symbol\":\"AAPL\"}";
  const char *b2 =
      "{\"code\":40310000,\"message\":\"insufficient qty available for "
      "order (requested: 10, available: 2.5)\"}";
  const char *b3 =
      "{\"code\":40310000,\"available\":1.25,\"message\":\"insufficient qty "
      "available for order\"}";
  st_brokerr e;

  CU_ASSERT_EQUAL(st_alpaca_error_map(403, b1, strlen(b1), &e), ST_EQTY);
  CU_ASSERT_EQUAL(e.available.v, D("3").v);
  CU_ASSERT_STRING_EQUAL(e.message,
                         "insufficient qty available for order "
                         "(requested: 10, available: 3)");
  CU_ASSERT_EQUAL(st_alpaca_error_map(403, b2, strlen(b2), &e), ST_EQTY);
  CU_ASSERT_EQUAL(e.available.v, D("2.5").v);
  CU_ASSERT_EQUAL(st_alpaca_error_map(403, b3, strlen(b3), &e), ST_EQTY);
  CU_ASSERT_EQUAL(e.available.v, D("1.25").v);
  /* No e: still mapped. */
  CU_ASSERT_EQUAL(st_alpaca_error_map(403, b1, strlen(b1), NULL), ST_EQTY);
}

static void test_errbody_hostile(void) {
  char big[4096];
  st_alpaca_errbody b;

  memset(big, 'A', sizeof(big));
  big[0] = '\x01';
  st_alpaca_json_errbody(big, sizeof(big), &b);
  CU_ASSERT_EQUAL(b.code, 0);
  CU_ASSERT(strlen(b.message) <= 200);
  {
    const char *s = "{\"code\":1e300,\"message\":7}";

    st_alpaca_json_errbody(s, strlen(s), &b);
  }
  CU_ASSERT_EQUAL(b.code, 0);
  CU_ASSERT_STRING_EQUAL(b.message, "");
  {
    const char *s = "{\"code\":\"40410000\",\"available\":\"x\"}";

    st_alpaca_json_errbody(s, strlen(s), &b);
  }
  CU_ASSERT_EQUAL(b.code, 40410000);
  CU_ASSERT_EQUAL(b.has_available, 0);
  st_alpaca_json_errbody(NULL, 0, &b);
  CU_ASSERT_EQUAL(b.code, 0);
}

static void test_no_leaks(void) {
  CU_ASSERT_EQUAL(st_alloc_live(), 0);
}

static const st_test tests[] = {
    {"order_real", test_order_real},
    {"order_lenient", test_order_lenient},
    {"order_bad_fields", test_order_bad_fields},
    {"truncated", test_truncated},
    {"malformed_bodies", test_malformed_bodies},
    {"wrong_top_level", test_wrong_top_level},
    {"orders_list", test_orders_list},
    {"account", test_account},
    {"positions", test_positions},
    {"asset", test_asset},
    {"clock", test_clock},
    {"latest_quotes", test_latest_quotes},
    {"stream_quote", test_stream_quote},
    {"trade_update", test_trade_update},
    {"time", test_time},
    {"error_map", test_error_map},
    {"error_qty", test_error_qty},
    {"errbody_hostile", test_errbody_hostile},
    {"no_leaks", test_no_leaks},
    {NULL, NULL},
};

ST_TEST_MAIN("alpaca_json", tests)
