/* broker_contract.c - the broker contract suite (see broker_contract.h). */
#include "tests/unit/broker_contract.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

static const st_contract_backend *be;

/* --- Collected callbacks. --- */

#define MAX_UPDATES 4096

typedef struct sink {
  pthread_mutex_t mu;
  st_trade_update *u;
  size_t n;
  st_quote quotes[256];
  size_t nq;
  int trades_up;
} sink;

static sink S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void on_trade(void *ud, const st_trade_update *u) {
  pthread_mutex_lock(&S.mu);
  if (S.n < MAX_UPDATES) {
    S.u[S.n++] = *u;
  }
  pthread_mutex_unlock(&S.mu);
}

static void on_quote(void *ud, const st_quote *q) {
  pthread_mutex_lock(&S.mu);
  S.quotes[S.nq % 256] = *q;
  S.nq++;
  pthread_mutex_unlock(&S.mu);
}

static void on_stream(void *ud, st_stream_kind k, int up) {
  pthread_mutex_lock(&S.mu);
  if (k == ST_STREAM_TRADES) {
    S.trades_up = up;
  }
  pthread_mutex_unlock(&S.mu);
}

static st_broker *open_started(void) {
  st_broker_cbs cbs = {on_trade, on_quote, on_stream, NULL};
  st_broker *b = be->open();
  st_brokerr e;

  pthread_mutex_lock(&S.mu);
  S.n = 0;
  S.nq = 0;
  S.trades_up = 0;
  pthread_mutex_unlock(&S.mu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL_FATAL(b->ops->start(b, &cbs, &e), ST_OK);
  return b;
}

/* Waits until an update with event ev for order id has arrived (deadline
 * ms); copies it to *out when found. */
static int wait_update(const char *id, st_trade_event ev, int ms,
                       st_trade_update *out) {
  int64_t end = st_mono_ns() + (int64_t)ms * ST_NS_PER_MS;

  do {
    pthread_mutex_lock(&S.mu);
    for (size_t i = 0; i < S.n; i++) {
      if (S.u[i].event == ev && strcmp(S.u[i].order.id, id) == 0) {
        if (out != NULL) {
          *out = S.u[i];
        }
        pthread_mutex_unlock(&S.mu);
        return 1;
      }
    }
    pthread_mutex_unlock(&S.mu);
    st_sleep_ms(5);
  } while (st_mono_ns() < end);
  return 0;
}

static size_t count_updates(const char *id, st_trade_event ev) {
  size_t n = 0;

  pthread_mutex_lock(&S.mu);
  for (size_t i = 0; i < S.n; i++) {
    n += S.u[i].event == ev && strcmp(S.u[i].order.id, id) == 0;
  }
  pthread_mutex_unlock(&S.mu);
  return n;
}

/* Waits until the order reaches status (polling get_order). */

static st_dec D(const char *s) {
  st_dec d = ST_DEC_ZERO;

  CU_ASSERT_EQUAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

static int cid_seq;

/* A unique client order id per test run. */
static const char *cid(char *buf) {
  snprintf(buf, 48, "ct-%lld-%d", (long long)(st_now_ns() / 1000), ++cid_seq);
  return buf;
}

static st_err submit(st_broker *b, const char *c, const char *sym, st_side side,
                     st_otype type, const char *qty, const char *limit,
                     st_order *out, st_brokerr *e) {
  st_order_req r;

  memset(&r, 0, sizeof(r));
  r.client_order_id = c;
  r.symbol = sym;
  r.side = side;
  r.type = type;
  r.qty = D(qty);
  if (limit != NULL) {
    r.limit_price = D(limit);
  }
  return b->ops->submit_order(b, &r, out, e);
}

/* --- Tests. --- */

static void test_account_assets_positions(void) {
  st_broker *b = open_started();
  st_account a;
  st_asset as;
  st_position p, *ps = NULL;
  size_t n = 0;
  st_brokerr e;
  st_clock c;

  CU_ASSERT_EQUAL(b->ops->get_account(b, &a, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(a.cash, D("25000")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(a.buying_power, D("25000")), 0);
  CU_ASSERT(st_dec_cmp(a.equity, a.cash) > 0);
  CU_ASSERT_EQUAL(b->ops->get_asset(b, "AAPL", &as, &e), ST_OK);
  CU_ASSERT(as.tradable && as.fractionable);
  CU_ASSERT_EQUAL(b->ops->get_asset(b, "BRK.A", &as, &e), ST_OK);
  CU_ASSERT(!as.fractionable);
  CU_ASSERT_EQUAL(b->ops->get_asset(b, "NOPE", &as, &e), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(b->ops->list_positions(b, &ps, &n, &e), ST_OK);
  CU_ASSERT_EQUAL(n, 7);
  st_free(ps);
  CU_ASSERT_EQUAL(b->ops->get_position(b, "AMZN", &p, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(p.qty, D("15.5")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(p.qty_available, D("15.5")), 0);
  CU_ASSERT_EQUAL(b->ops->get_position(b, "TSLA", &p, &e), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(b->ops->get_clock(b, &c, &e), ST_OK);
  CU_ASSERT(c.is_open);
  CU_ASSERT(c.last_open_ns > 0 && c.last_open_ns < c.now_ns);
  be->close(b);
}

static void test_market_fill(void) {
  st_broker *b = open_started();
  st_order o, got;
  st_trade_update u;
  st_brokerr e;
  char c[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "AAPL", D("190.00"), D("190.04")),
                        ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "AAPL", ST_SIDE_BUY, ST_OTYPE_MARKET,
                               "3", NULL, &o, &e),
                        ST_OK);
  CU_ASSERT_STRING_EQUAL(o.client_order_id, c);
  CU_ASSERT(o.id[0] != '\0');
  CU_ASSERT(wait_update(o.id, ST_TE_FILL, 5000, &u));
  CU_ASSERT_EQUAL(st_dec_cmp(u.price, D("190.04")), 0); /* Far touch. */
  CU_ASSERT_EQUAL(st_dec_cmp(u.qty, D("3")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(u.order.filled_qty, D("3")), 0);
  if (!u.reconciled) {
    /* Only the stream knows the position after the fill. */
    CU_ASSERT_EQUAL(st_dec_cmp(u.position_qty, D("53")), 0);
  }
  CU_ASSERT(u.execution_id[0] != '\0');
  CU_ASSERT_EQUAL(b->ops->get_order_by_client_id(b, c, &got, &e), ST_OK);
  CU_ASSERT_STRING_EQUAL(got.id, o.id);
  CU_ASSERT_EQUAL(got.status, ST_OS_FILLED);
  CU_ASSERT_EQUAL(count_updates(o.id, ST_TE_FILL), 1);
  be->close(b);
}

static void test_limit_only_when_marketable_and_cancel(void) {
  st_broker *b = open_started();
  st_order o;
  st_brokerr e;
  st_account before, held, after;
  char c[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "MSFT", D("420.00"), D("420.10")),
                        ST_OK);
  CU_ASSERT_EQUAL(b->ops->get_account(b, &before, &e), ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "MSFT", ST_SIDE_BUY, ST_OTYPE_LIMIT,
                               "10", "400.00", &o, &e),
                        ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_NEW, 5000, NULL));
  /* The open buy holds 10 x 400 of buying power. */
  CU_ASSERT_EQUAL(b->ops->get_account(b, &held, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(held.buying_power, D("21000")), 0);
  CU_ASSERT_EQUAL(b->ops->cancel_order(b, o.id, &e), ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_CANCELED, 5000, NULL));
  CU_ASSERT_EQUAL(count_updates(o.id, ST_TE_FILL), 0);
  CU_ASSERT_EQUAL(b->ops->get_account(b, &after, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(after.buying_power, before.buying_power), 0);
  /* Cancelling again: already terminal. */
  CU_ASSERT_EQUAL(b->ops->cancel_order(b, o.id, &e), ST_ETERMINAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "canceled"));
  CU_ASSERT_EQUAL(
      b->ops->cancel_order(b, "00000000-0000-4000-8000-000000000000", &e),
      ST_ENOTFOUND);
  be->close(b);
}

static void test_partial_fill(void) {
  st_broker *b = open_started();
  st_order o, got;
  st_trade_update u;
  st_brokerr e;
  char c[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "NVDA", D("120.00"), D("120.02")),
                        ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "NVDA", ST_SIDE_SELL, ST_OTYPE_LIMIT,
                               "10", "125.00", &o, &e),
                        ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_NEW, 5000, NULL));
  CU_ASSERT_EQUAL(be->force_fill(b, o.id, D("4"), D("125.00")), ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_PARTIAL_FILL, 5000, &u));
  CU_ASSERT_EQUAL(st_dec_cmp(u.qty, D("4")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(u.order.filled_qty, D("4")), 0);
  CU_ASSERT_EQUAL(u.order.status, ST_OS_PARTIALLY_FILLED);
  CU_ASSERT_EQUAL(b->ops->get_order(b, o.id, &got, &e), ST_OK);
  CU_ASSERT_EQUAL(got.status, ST_OS_PARTIALLY_FILLED);
  /* Cancel the rest: the order ends canceled with 4 filled. */
  CU_ASSERT_EQUAL(b->ops->cancel_order(b, o.id, &e), ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_CANCELED, 5000, &u));
  CU_ASSERT_EQUAL(st_dec_cmp(u.order.filled_qty, D("4")), 0);
  be->close(b);
}

static void test_replace(void) {
  st_broker *b = open_started();
  st_order o, n, old;
  st_replace_req r;
  st_brokerr e;
  char c[48], c2[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "SPY", D("540.00"), D("540.05")),
                        ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "SPY", ST_SIDE_BUY, ST_OTYPE_LIMIT,
                               "2", "530.00", &o, &e),
                        ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_NEW, 5000, NULL));
  /* A replace is refused until the broker itself has the order as new
   * (an update made by reconciliation can come first). */
  {
    int64_t end = st_mono_ns() + 5 * ST_NS_PER_SEC;
    st_order cur;

    while (st_mono_ns() < end &&
           !(b->ops->get_order(b, o.id, &cur, NULL) == ST_OK &&
             cur.status == ST_OS_NEW)) {
      st_sleep_ms(10);
    }
  }
  memset(&r, 0, sizeof(r));
  r.limit_price = D("531.00");
  r.client_order_id = cid(c2);
  CU_ASSERT_EQUAL_FATAL(b->ops->replace_order(b, o.id, &r, &n, &e), ST_OK);
  CU_ASSERT_STRING_NOT_EQUAL(n.id, o.id);
  CU_ASSERT_STRING_EQUAL(n.replaces, o.id);
  CU_ASSERT_STRING_EQUAL(n.client_order_id, c2);
  CU_ASSERT_EQUAL(st_dec_cmp(n.limit_price, D("531.00")), 0);
  CU_ASSERT(wait_update(o.id, ST_TE_REPLACED, 5000, NULL));
  CU_ASSERT_EQUAL(b->ops->get_order(b, o.id, &old, &e), ST_OK);
  CU_ASSERT_EQUAL(old.status, ST_OS_REPLACED);
  CU_ASSERT_STRING_EQUAL(old.replaced_by, n.id);
  /* A replaced order cannot be replaced again. */
  CU_ASSERT_NOT_EQUAL(b->ops->replace_order(b, o.id, &r, &n, &e), ST_OK);
  be->close(b);
}

static void test_refusals(void) {
  st_broker *b = open_started();
  st_order o, dup;
  st_brokerr e;
  char c[48], c2[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "AAPL", D("190.00"), D("190.04")),
                        ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT,
                               "1", "150.00", &o, &e),
                        ST_OK);
  /* Duplicate client order id: refused, the existing order handed back. */
  memset(&dup, 0, sizeof(dup));
  CU_ASSERT_EQUAL(submit(b, c, "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT, "1",
                         "150.00", &dup, &e),
                  ST_EDUPLICATE);
  CU_ASSERT_STRING_EQUAL(dup.id, o.id);
  /* Still unique after a cancel. */
  CU_ASSERT_EQUAL(b->ops->cancel_order(b, o.id, &e), ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_CANCELED, 5000, NULL));
  CU_ASSERT_EQUAL(submit(b, c, "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT, "1",
                         "150.00", NULL, &e),
                  ST_EDUPLICATE);
  /* Insufficient buying power: 200 x 190 > 25,000. */
  CU_ASSERT_EQUAL(submit(b, cid(c2), "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT, "200",
                         "190.00", NULL, &e),
                  ST_EBUYPOWER);
  CU_ASSERT_EQUAL(e.code, 40310000);
  /* Insufficient quantity: 60 AAPL held 50. */
  CU_ASSERT_EQUAL(submit(b, cid(c2), "AAPL", ST_SIDE_SELL, ST_OTYPE_MARKET,
                         "60", NULL, NULL, &e),
                  ST_EQTY);
  CU_ASSERT_EQUAL(st_dec_cmp(e.available, D("50")), 0);
  /* Sub-penny limit price. */
  CU_ASSERT_EQUAL(submit(b, cid(c2), "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT, "1",
                         "150.123", NULL, &e),
                  ST_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "sub-penny"));
  /* Fractional under $1, and fractional on a non-fractionable asset. */
  CU_ASSERT_NOT_EQUAL(submit(b, cid(c2), "AAPL", ST_SIDE_BUY, ST_OTYPE_MARKET,
                             "0.001", NULL, NULL, &e),
                      ST_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(e.message, ">= 1"));
  CU_ASSERT_NOT_EQUAL(submit(b, cid(c2), "BRK.A", ST_SIDE_BUY, ST_OTYPE_MARKET,
                             "0.01", NULL, NULL, &e),
                      ST_OK);
  be->close(b);
}

static void test_sell_releases_only_when_filled(void) {
  st_broker *b = open_started();
  st_order o;
  st_brokerr e;
  st_account a0, a1, a2;
  st_position p;
  char c[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "VTI", D("270.00"), D("270.04")),
                        ST_OK);
  CU_ASSERT_EQUAL(b->ops->get_account(b, &a0, &e), ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "VTI", ST_SIDE_SELL, ST_OTYPE_LIMIT,
                               "10", "280.00", &o, &e),
                        ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_NEW, 5000, NULL));
  CU_ASSERT_EQUAL(b->ops->get_account(b, &a1, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(a1.buying_power, a0.buying_power), 0);
  CU_ASSERT_EQUAL(b->ops->get_position(b, "VTI", &p, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(p.qty_available, D("15")), 0);
  CU_ASSERT_EQUAL(be->force_fill(b, o.id, ST_DEC_ZERO, D("280.00")), ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_FILL, 5000, NULL));
  CU_ASSERT_EQUAL(b->ops->get_account(b, &a2, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(a2.buying_power, D("27800")), 0);
  be->close(b);
}

static void test_list_orders(void) {
  st_broker *b = open_started();
  st_order o1, o2, *os = NULL;
  size_t n = 0;
  st_brokerr e;
  st_order_query q;
  const char *syms[] = {"AGG"};
  char c[48];

  CU_ASSERT_EQUAL_FATAL(be->pin_quote(b, "AGG", D("98.00"), D("98.02")), ST_OK);
  CU_ASSERT_EQUAL(submit(b, cid(c), "AGG", ST_SIDE_SELL, ST_OTYPE_LIMIT, "5",
                         "99.00", &o1, &e),
                  ST_OK);
  CU_ASSERT_EQUAL(submit(b, cid(c), "AGG", ST_SIDE_SELL, ST_OTYPE_MARKET, "5",
                         NULL, &o2, &e),
                  ST_OK);
  CU_ASSERT(wait_update(o2.id, ST_TE_FILL, 5000, NULL));
  memset(&q, 0, sizeof(q));
  q.status = ST_ORDERS_OPEN;
  CU_ASSERT_EQUAL(b->ops->list_orders(b, &q, &os, &n, &e), ST_OK);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT(n == 1 && strcmp(os[0].id, o1.id) == 0);
  st_free(os);
  q.status = ST_ORDERS_ALL;
  q.symbols = syms;
  q.nsymbols = 1;
  CU_ASSERT_EQUAL(b->ops->list_orders(b, &q, &os, &n, &e), ST_OK);
  CU_ASSERT_EQUAL(n, 2);
  /* Newest first. */
  CU_ASSERT(n == 2 && strcmp(os[0].id, o2.id) == 0);
  st_free(os);
  be->close(b);
}

static void test_quotes(void) {
  st_broker *b = open_started();
  const char *syms[31];
  char names[31][8];
  st_quote q[2];
  st_brokerr e;
  const char *two[] = {"AAPL", "NOPE"};
  int64_t end;
  int seen = 0;

  CU_ASSERT_EQUAL(be->pin_quote(b, "AAPL", D("190.00"), D("190.04")), ST_OK);
  CU_ASSERT_EQUAL(b->ops->latest_quotes(b, two, 2, q, &e), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(q[0].bid, D("190.00")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(q[0].ask, D("190.04")), 0);
  CU_ASSERT(q[0].ts_ns > 0);
  CU_ASSERT_EQUAL(q[1].ts_ns, 0);
  CU_ASSERT_EQUAL(b->ops->set_quote_symbols(b, two, 1, &e), ST_OK);
  /* The stream may take a moment to subscribe: keep moving the quote until
   * one arrives. */
  end = st_mono_ns() + 10 * ST_NS_PER_SEC;
  for (int i = 0; !seen && st_mono_ns() < end; i++) {
    char bid[16], ask[16];

    snprintf(bid, sizeof(bid), "190.%02d", 10 + i % 80);
    snprintf(ask, sizeof(ask), "190.%02d", 14 + i % 80);
    CU_ASSERT_EQUAL(be->pin_quote(b, "AAPL", D(bid), D(ask)), ST_OK);
    for (int k = 0; k < 10 && !seen; k++) {
      pthread_mutex_lock(&S.mu);
      for (size_t j = 0; j < S.nq && j < 256; j++) {
        seen |= strcmp(S.quotes[j].symbol, "AAPL") == 0 &&
                st_dec_cmp(S.quotes[j].bid, D("190.10")) >= 0;
      }
      pthread_mutex_unlock(&S.mu);
      st_sleep_ms(10);
    }
  }
  CU_ASSERT(seen);
  /* The 30-symbol limit. */
  for (int i = 0; i < 31; i++) {
    snprintf(names[i], sizeof(names[i]), "S%d", i);
    syms[i] = names[i];
  }
  CU_ASSERT_EQUAL(b->ops->set_quote_symbols(b, syms, 31, &e), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(b->ops->set_quote_symbols(b, syms, 30, &e), ST_OK);
  be->close(b);
}

static void test_retries(void) {
  st_broker *b;
  st_account a;
  st_brokerr e;
  st_order o;
  char c[48];

  if (be->burst_429 == NULL) {
    return; /* The backend has no HTTP to fail. */
  }
  b = open_started();
  CU_ASSERT_EQUAL(be->burst_429(b, 3), ST_OK);
  CU_ASSERT_EQUAL(b->ops->get_account(b, &a, &e), ST_OK);
  CU_ASSERT_EQUAL(be->share_5xx(b, 0.5), ST_OK);
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(b->ops->get_account(b, &a, &e), ST_OK);
  }
  /* A submit through 5xx lands exactly once. */
  CU_ASSERT_EQUAL(submit(b, cid(c), "AAPL", ST_SIDE_BUY, ST_OTYPE_LIMIT, "1",
                         "100.00", &o, &e),
                  ST_OK);
  CU_ASSERT_EQUAL(be->share_5xx(b, 0.0), ST_OK);
  CU_ASSERT_STRING_EQUAL(o.client_order_id, c);
  be->close(b);
}

static void test_stream_drop_reconciles(void) {
  st_broker *b;
  st_order o;
  st_brokerr e;
  char c[48];
  int64_t end;
  int up = 0;

  if (be->drop_streams == NULL) {
    return;
  }
  b = open_started();
  CU_ASSERT_EQUAL(be->pin_quote(b, "MSFT", D("420.00"), D("420.10")), ST_OK);
  CU_ASSERT_EQUAL_FATAL(submit(b, cid(c), "MSFT", ST_SIDE_SELL, ST_OTYPE_LIMIT,
                               "5", "430.00", &o, &e),
                        ST_OK);
  CU_ASSERT(wait_update(o.id, ST_TE_NEW, 5000, NULL));
  CU_ASSERT_EQUAL(be->drop_streams(b), ST_OK);
  CU_ASSERT_EQUAL(be->force_fill(b, o.id, ST_DEC_ZERO, D("430.00")), ST_OK);
  /* The fill made while the stream was down arrives exactly once, from
   * the stream or from the reconciliation after the reconnect. */
  CU_ASSERT(wait_update(o.id, ST_TE_FILL, 15000, NULL));
  end = st_mono_ns() + 10 * ST_NS_PER_SEC;
  while (!up && st_mono_ns() < end) {
    up = b->ops->trade_stream_up(b);
    st_sleep_ms(20);
  }
  CU_ASSERT(up);
  st_sleep_ms(300);
  CU_ASSERT_EQUAL(count_updates(o.id, ST_TE_FILL), 1);
  be->close(b);
}

static const st_test tests[] = {
    {"account_assets_positions", test_account_assets_positions},
    {"market_fill", test_market_fill},
    {"limit_only_when_marketable_and_cancel",
     test_limit_only_when_marketable_and_cancel},
    {"partial_fill", test_partial_fill},
    {"replace", test_replace},
    {"refusals", test_refusals},
    {"sell_releases_only_when_filled", test_sell_releases_only_when_filled},
    {"list_orders", test_list_orders},
    {"quotes", test_quotes},
    {"retries", test_retries},
    {"stream_drop_reconciles", test_stream_drop_reconciles},
    {NULL, NULL},
};

int st_contract_run(const st_contract_backend *backend) {
  char suite[64];
  int rc;

  be = backend;
  st_log_init(ST_LOG_TEXT, ST_LOG_WARN, 2);
  S.u = st_calloc(MAX_UPDATES, sizeof(st_trade_update));
  snprintf(suite, sizeof(suite), "broker_contract_%s", backend->name);
  rc = st_test_run(suite, tests, NULL, NULL);
  st_free(S.u);
  return rc;
}
