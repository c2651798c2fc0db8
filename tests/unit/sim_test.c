/* sim_test.c - unit tests of server/sim: market, matching, account, events. */
#include <stdio.h>
#include <string.h>

#include "server/sim/sim.h"
#include "server/util/alloc.h"
#include "tests/unit/cunit_main.h"

#define SEC 1000000000LL
/* 2024-01-10 15:00:00 UTC, a Wednesday: 10:00 in New York. */
#define T0 (1704898800LL * SEC)

static st_dec D(const char *s) {
  st_dec d = ST_DEC_ZERO;

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

static int deq(st_dec a, const char *s) {
  return st_dec_cmp(a, D(s)) == 0;
}

/* A quiet config: no walk, no partial fills, no latency. */
static void quiet(st_sim_config *cfg) {
  st_sim_config_default(cfg);
  cfg->walk.vol_bps = 0;
  cfg->partial_share = ST_DEC_ZERO;
}

/* A simulator with `cash` and no positions, AAPL quoted 100.00 x 100.05. */
static st_sim *cash_sim(const char *cash, const st_sim_config *cfg) {
  st_sim_config c;
  st_sim_start start;
  st_sim *s = NULL;

  if (cfg == NULL) {
    quiet(&c);
    cfg = &c;
  }
  st_sim_start_cash(&start, D(cash));
  CU_ASSERT_EQUAL_FATAL(st_sim_create(cfg, &start, T0, &s), ST_OK);
  CU_ASSERT_EQUAL_FATAL(
      st_sim_market_set_quote(st_sim_get_market(s), "AAPL", D("100.00"),
                              D("100.05"), 300, 400, T0),
      ST_OK);
  return s;
}

static st_sim_order_req req(const char *sym, st_sim_side side, st_sim_type type,
                            const char *qty, const char *limit,
                            const char *coid) {
  st_sim_order_req r;

  memset(&r, 0, sizeof(r));
  r.symbol = sym;
  r.side = side;
  r.type = type;
  r.tif = ST_SIM_DAY;
  r.qty = qty != NULL ? D(qty) : ST_DEC_ZERO;
  r.limit_price = limit != NULL ? D(limit) : ST_DEC_ZERO;
  r.client_order_id = coid;
  return r;
}

static st_dec bp(const st_sim *s) {
  st_sim_account a;

  CU_ASSERT_EQUAL(st_sim_get_account(s, &a), ST_OK);
  return a.buying_power;
}

static void drain(st_sim *s) {
  st_sim_event ev;

  while (st_sim_next_event(s, &ev) == ST_OK) {
  }
}

static void test_demo_portfolio(void) {
  long live = st_alloc_live();
  st_sim *s = NULL;
  st_sim_account a;
  st_sim_position p;
  st_sim_asset asset;

  CU_ASSERT_EQUAL_FATAL(st_sim_create(NULL, NULL, T0, &s), ST_OK);
  CU_ASSERT_EQUAL(st_sim_get_account(s, &a), ST_OK);
  CU_ASSERT(deq(a.cash, "25000"));
  CU_ASSERT(deq(a.buying_power, "25000"));
  CU_ASSERT_EQUAL(strncmp(a.account_number, "PA", 2), 0);
  CU_ASSERT_EQUAL(st_sim_position_count(s), 7);
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_OK);
  CU_ASSERT(deq(p.qty, "50"));
  CU_ASSERT(deq(p.qty_available, "50"));
  CU_ASSERT(deq(p.avg_entry_price, "172.50"));
  CU_ASSERT(deq(p.cost_basis, "8625"));
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AMZN", &p), ST_OK);
  CU_ASSERT(deq(p.qty, "15.5"));
  CU_ASSERT_EQUAL(st_sim_get_position(s, "TSLA", &p), ST_ENOTFOUND);
  CU_ASSERT(st_dec_cmp(a.equity, D("70000")) > 0);
  CU_ASSERT(st_sim_market_count(st_sim_get_market(s)) >= 30);
  CU_ASSERT_EQUAL(st_sim_market_asset(st_sim_get_market(s), "BRK.A", &asset),
                  ST_OK);
  CU_ASSERT_FALSE(asset.fractionable);
  CU_ASSERT_EQUAL(st_sim_market_asset(st_sim_get_market(s), "SPY", &asset),
                  ST_OK);
  CU_ASSERT_TRUE(asset.fractionable);
  CU_ASSERT_TRUE(asset.tradable);
  st_sim_free(s);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

/* Runs a fixed script on a fresh simulator and returns its saved state. */
static char *script(uint64_t seed, size_t *len) {
  st_sim_config cfg;
  st_sim *s = NULL;
  st_sim_order_req r;
  char *buf = NULL;

  st_sim_config_default(&cfg);
  cfg.seed = seed;
  cfg.partial_share = D("0.5");
  CU_ASSERT_EQUAL_FATAL(st_sim_create(&cfg, NULL, T0, &s), ST_OK);
  r = req("AAPL", ST_SIM_SELL, ST_SIM_MARKET, "20", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, NULL), ST_OK);
  r = req("NVDA", ST_SIM_BUY, ST_SIM_MARKET, "30", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, NULL), ST_OK);
  for (int i = 1; i <= 20; i++) {
    CU_ASSERT_EQUAL(st_sim_step(s, T0 + i * SEC), ST_OK);
  }
  drain(s);
  CU_ASSERT_EQUAL(st_sim_save(s, &buf, len), ST_OK);
  st_sim_free(s);
  return buf;
}

static void test_determinism(void) {
  long live = st_alloc_live();
  size_t la;
  size_t lb;
  size_t lc;
  char *a = script(7, &la);
  char *b = script(7, &lb);
  char *c = script(8, &lc);

  CU_ASSERT_FATAL(a != NULL && b != NULL && c != NULL);
  CU_ASSERT_EQUAL(la, lb);
  CU_ASSERT_EQUAL(memcmp(a, b, la), 0);
  CU_ASSERT(la != lc || memcmp(a, c, la) != 0);
  st_free(a);
  st_free(b);
  st_free(c);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static void test_random_walk(void) {
  st_sim_config cfg;
  st_sim *s = NULL;
  st_sim_quote q0;
  st_sim_quote q1;
  st_sim_market *m;

  st_sim_config_default(&cfg);
  CU_ASSERT_EQUAL_FATAL(st_sim_create(&cfg, NULL, T0, &s), ST_OK);
  m = st_sim_get_market(s);
  CU_ASSERT_EQUAL(st_sim_market_quote(m, "MSFT", &q0), ST_OK);
  CU_ASSERT(st_dec_cmp(q0.bid, q0.ask) < 0);
  CU_ASSERT(q0.bid_size > 0 && q0.ask_size > 0);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 60 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_market_quote(m, "MSFT", &q1), ST_OK);
  CU_ASSERT(st_dec_cmp(q1.bid, q1.ask) < 0);
  CU_ASSERT(q1.ts_ns > q0.ts_ns);
  /* Prices stay on the cent grid. */
  CU_ASSERT(st_dec_cmp(st_dec_round(q1.bid, 2, ST_ROUND_DOWN), q1.bid) == 0);
  CU_ASSERT_EQUAL(st_sim_market_quote(m, "NOPE", &q1), ST_ENOTFOUND);
  st_sim_free(s);
}

static void test_market_fill_far_touch(void) {
  long live = st_alloc_live();
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "10", NULL, "buy-1");
  st_sim_order o;
  st_sim_event ev;
  st_sim_account a;
  st_sim_position p;

  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(o.status, ST_SIM_ACCEPTED);
  CU_ASSERT_EQUAL(strlen(o.id), 36);
  CU_ASSERT_EQUAL(o.id[14], '4');
  CU_ASSERT_EQUAL(st_sim_pending_events(s), 0);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(ev.order.status, ST_SIM_NEW);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  CU_ASSERT_STRING_EQUAL(st_sim_event_kind_name(ev.kind), "fill");
  CU_ASSERT(deq(ev.price, "100.05"));
  CU_ASSERT(deq(ev.qty, "10"));
  CU_ASSERT(deq(ev.position_qty, "10"));
  CU_ASSERT_EQUAL(strlen(ev.execution_id), 36);
  CU_ASSERT_EQUAL(ev.order.status, ST_SIM_FILLED);
  CU_ASSERT(deq(ev.order.filled_qty, "10"));
  CU_ASSERT(deq(ev.order.filled_avg_price, "100.05"));
  CU_ASSERT_EQUAL(ev.order.filled_at_ns, T0 + SEC);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_sim_get_account(s, &a), ST_OK);
  CU_ASSERT(deq(a.cash, "8999.50"));
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_OK);
  CU_ASSERT(deq(p.avg_entry_price, "100.05"));

  /* A market sell fills at the bid. */
  r = req("AAPL", ST_SIM_SELL, ST_SIM_MARKET, "4", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0 + 2 * SEC, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 3 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  CU_ASSERT(deq(ev.price, "100.00"));
  CU_ASSERT(deq(ev.position_qty, "6"));
  CU_ASSERT_TRUE(ev.seq > 1);
  CU_ASSERT_EQUAL(st_sim_get_account(s, &a), ST_OK);
  CU_ASSERT(deq(a.cash, "9399.50"));
  st_sim_free(s);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static void test_limit_only_when_marketable(void) {
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "10", "99.00", NULL);
  st_sim_order o;
  st_sim_event ev;

  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 2 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_sim_get_order(s, o.id, &o), ST_OK);
  CU_ASSERT_EQUAL(o.status, ST_SIM_NEW);
  /* The ask comes down through the limit: the fill is at the touch. */
  CU_ASSERT_EQUAL(
      st_sim_market_set_quote(st_sim_get_market(s), "AAPL", D("98.80"),
                              D("98.90"), 100, 100, T0 + 3 * SEC),
      ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 3 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  CU_ASSERT(deq(ev.price, "98.90"));

  /* A sell limit above the bid waits. */
  r = req("AAPL", ST_SIM_SELL, ST_SIM_LIMIT, "10", "99.00", NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0 + 4 * SEC, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 5 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(
      st_sim_market_set_quote(st_sim_get_market(s), "AAPL", D("99.10"),
                              D("99.20"), 100, 100, T0 + 6 * SEC),
      ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 6 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  CU_ASSERT(deq(ev.price, "99.10"));
  CU_ASSERT(deq(ev.position_qty, "0"));
  CU_ASSERT_EQUAL(st_sim_position_count(s), 0);
  st_sim_free(s);
}

static void test_partial_fills(void) {
  st_sim_config cfg;
  st_sim *s;
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "100", NULL, NULL);
  st_sim_order o;
  st_sim_event ev;
  st_dec total = ST_DEC_ZERO;
  int partials = 0;
  int fills = 0;

  quiet(&cfg);
  cfg.partial_share = st_dec_from_int(1);
  s = cash_sim("20000", &cfg);
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  for (int i = 1; i <= 200 && fills == 0; i++) {
    CU_ASSERT_EQUAL(st_sim_step(s, T0 + i * SEC), ST_OK);
    while (st_sim_next_event(s, &ev) == ST_OK) {
      if (ev.kind == ST_SIM_EV_PARTIAL_FILL) {
        partials++;
        CU_ASSERT_EQUAL(ev.order.status, ST_SIM_PARTIALLY_FILLED);
        CU_ASSERT(st_dec_cmp(ev.qty, D("100")) < 0);
        CU_ASSERT(st_dec_cmp(st_dec_round(ev.qty, 0, ST_ROUND_DOWN), ev.qty) ==
                  0);
      }
      if (ev.kind == ST_SIM_EV_FILL || ev.kind == ST_SIM_EV_PARTIAL_FILL) {
        CU_ASSERT_EQUAL(st_dec_add(total, ev.qty, &total), ST_OK);
        CU_ASSERT(st_dec_cmp(ev.position_qty, total) == 0);
      }
      if (ev.kind == ST_SIM_EV_FILL) {
        fills++;
      }
    }
  }
  CU_ASSERT(partials >= 1);
  CU_ASSERT_EQUAL(fills, 1);
  CU_ASSERT(deq(total, "100"));
  CU_ASSERT_EQUAL(st_sim_get_order(s, o.id, &o), ST_OK);
  CU_ASSERT_EQUAL(o.status, ST_SIM_FILLED);
  CU_ASSERT(deq(o.filled_avg_price, "100.05"));
  st_sim_free(s);
}

static void test_fill_latency(void) {
  st_sim_config cfg;
  st_sim *s;
  st_sim_order_req r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, NULL);
  st_sim_order o;
  st_sim_event ev;

  quiet(&cfg);
  cfg.fill_latency_ns = 5 * SEC;
  s = cash_sim("1000", &cfg);
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 4 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 5 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);

  /* delay_fills holds one order beyond its latency. */
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0 + 6 * SEC, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_delay_fills(s, o.id, T0 + 30 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 20 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 30 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  CU_ASSERT_EQUAL(st_sim_delay_fills(s, "nope", 0), ST_ENOTFOUND);
  st_sim_free(s);
}

static void test_buying_power_reserved_and_released(void) {
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "50", "90.00", NULL);
  st_sim_order o;
  st_sim_order m;
  st_sim_event ev;
  st_sim_errinfo ei;
  st_sim_account a;

  CU_ASSERT(deq(bp(s), "10000"));
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT(deq(bp(s), "5500"));
  CU_ASSERT_EQUAL(st_sim_get_account(s, &a), ST_OK);
  CU_ASSERT(deq(a.held_for_orders, "4500"));
  CU_ASSERT(deq(a.cash, "10000"));
  /* A market buy holds ask + 3 %: 100.05 x 1.03 = 103.0515 -> 103.06. */
  r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "10", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, &m, NULL), ST_OK);
  CU_ASSERT(deq(bp(s), "4469.40"));
  CU_ASSERT_EQUAL(st_sim_cancel(s, m.id, T0, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  drain(s);
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0 + 2 * SEC, &ei), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_CANCELED);
  CU_ASSERT_EQUAL(ev.order.status, ST_SIM_CANCELED);
  CU_ASSERT_EQUAL(ev.order.canceled_at_ns, T0 + 2 * SEC);
  CU_ASSERT(deq(bp(s), "10000"));
  st_sim_free(s);
}

static void test_sell_releases_bp_when_filled(void) {
  st_sim_position_init pos[] = {{"AAPL", D("10"), D("50.00")}};
  st_sim_config cfg;
  st_sim_start start;
  st_sim *s = NULL;
  st_sim_order_req r =
      req("AAPL", ST_SIM_SELL, ST_SIM_LIMIT, "10", "250.00", NULL);
  st_sim_order o;
  st_sim_position p;

  quiet(&cfg);
  st_sim_start_cash(&start, D("100"));
  start.positions = pos;
  start.npositions = 1;
  CU_ASSERT_EQUAL_FATAL(st_sim_create(&cfg, &start, T0, &s), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT(deq(bp(s), "100"));
  CU_ASSERT_EQUAL(
      st_sim_force_fill(s, o.id, D("4"), D("150.00"), T0 + 2 * SEC, NULL),
      ST_OK);
  CU_ASSERT(deq(bp(s), "700"));
  CU_ASSERT_EQUAL(st_sim_get_order(s, o.id, &o), ST_OK);
  CU_ASSERT_EQUAL(o.status, ST_SIM_PARTIALLY_FILLED);
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_OK);
  CU_ASSERT(deq(p.qty, "6"));
  CU_ASSERT(deq(p.qty_available, "0"));
  CU_ASSERT(deq(p.avg_entry_price, "50"));
  CU_ASSERT_EQUAL(
      st_sim_force_fill(s, o.id, ST_DEC_ZERO, D("151.00"), T0 + 3 * SEC, NULL),
      ST_OK);
  CU_ASSERT(deq(bp(s), "1606"));
  CU_ASSERT_EQUAL(st_sim_get_order(s, o.id, &o), ST_OK);
  CU_ASSERT_EQUAL(o.status, ST_SIM_FILLED);
  CU_ASSERT(deq(o.filled_avg_price, "150.6"));
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_ENOTFOUND);
  st_sim_free(s);
}

static void test_qty_available_held_by_sells(void) {
  st_sim *s = NULL;
  st_sim_order_req r =
      req("AAPL", ST_SIM_SELL, ST_SIM_LIMIT, "20", "500.00", NULL);
  st_sim_order o;
  st_sim_position p;
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL_FATAL(st_sim_create(NULL, NULL, T0, &s), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_OK);
  CU_ASSERT(deq(p.qty, "50"));
  CU_ASSERT(deq(p.qty_available, "30"));
  CU_ASSERT(deq(p.held_for_orders, "20"));
  r.qty = D("40");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EQTY);
  CU_ASSERT(deq(ei.available, "30"));
  CU_ASSERT(deq(ei.existing_qty, "50"));
  CU_ASSERT(deq(ei.held_for_orders, "20"));
  CU_ASSERT_STRING_EQUAL(ei.message,
                         "insufficient qty available for order "
                         "(requested: 40, available: 30)");
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_get_position(s, "AAPL", &p), ST_OK);
  CU_ASSERT(deq(p.qty_available, "50"));
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  st_sim_free(s);
}

static void test_duplicate_client_order_id(void) {
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", "90.00", "plan-1-AAPL-buy-1");
  st_sim_order o;
  st_sim_order got;
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_STRING_EQUAL(o.client_order_id, "plan-1-AAPL-buy-1");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EDUPLICATE);
  CU_ASSERT_STRING_EQUAL(ei.message, "client_order_id must be unique");
  CU_ASSERT_EQUAL(ei.http_status, 422);
  CU_ASSERT_EQUAL(ei.code, 40010001);
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EDUPLICATE);
  CU_ASSERT_EQUAL(st_sim_order_count(s), 1);
  CU_ASSERT_EQUAL(st_sim_get_order_by_client_id(s, "plan-1-AAPL-buy-1", &got),
                  ST_OK);
  CU_ASSERT_STRING_EQUAL(got.id, o.id);
  CU_ASSERT_EQUAL(st_sim_get_order_by_client_id(s, "other", &got),
                  ST_ENOTFOUND);
  /* Without a client_order_id one is made up. */
  r.client_order_id = NULL;
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(strlen(o.client_order_id), 36);
  st_sim_free(s);
}

static void test_insufficient_buying_power(void) {
  st_sim *s = cash_sim("1000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "20", "100.00", NULL);
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EBUYPOWER);
  CU_ASSERT_EQUAL(ei.err, ST_EBUYPOWER);
  CU_ASSERT_EQUAL(ei.http_status, 403);
  CU_ASSERT_EQUAL(ei.code, 40310000);
  CU_ASSERT_STRING_EQUAL(ei.message, "insufficient buying power");
  CU_ASSERT(deq(ei.buying_power, "1000"));
  CU_ASSERT(deq(ei.cost_basis, "2000"));
  CU_ASSERT_EQUAL(st_sim_order_count(s), 0);
  r.qty = D("10");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  r.qty = D("1");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EBUYPOWER);
  CU_ASSERT(deq(ei.buying_power, "0"));
  st_sim_free(s);
}

static void test_insufficient_qty(void) {
  st_sim *s = cash_sim("1000", NULL);
  st_sim_order_req r =
      req("MSFT", ST_SIM_SELL, ST_SIM_MARKET, "10", NULL, NULL);
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EQTY);
  CU_ASSERT_STRING_EQUAL(ei.message,
                         "insufficient qty available for order "
                         "(requested: 10, available: 0)");
  CU_ASSERT(deq(ei.available, "0"));
  CU_ASSERT(deq(ei.requested, "10"));
  CU_ASSERT_STRING_EQUAL(ei.symbol, "MSFT");
  CU_ASSERT_EQUAL(ei.http_status, 403);
  st_sim_free(s);
}

static void test_validation(void) {
  st_sim *s = cash_sim("1000", NULL);
  st_sim_order_req r = req("ZZZZ", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, NULL);
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "invalid symbol");
  r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, NULL, NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "-1", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "qty must be > 0");
  r = req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_EQUAL(st_sim_market_set_flags(st_sim_get_market(s), "TSLA", 0, 1),
                  ST_OK);
  r = req("TSLA", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EREJECTED);
  CU_ASSERT_EQUAL(st_sim_order_count(s), 0);
  st_sim_free(s);
}

static void test_sub_penny(void) {
  st_sim *s = cash_sim("100000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", "290.123", NULL);
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message,
                         "invalid limit_price 290.123. sub-penny increment "
                         "does not fulfill minimum pricing criteria");
  CU_ASSERT_EQUAL(ei.http_status, 422);
  CU_ASSERT_EQUAL(ei.code, 42210000);
  r.limit_price = D("1.001");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  r.limit_price = D("0.12345");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  r.limit_price = D("0.1234");
  r.qty = D("100");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  r.limit_price = D("99.99");
  r.qty = D("1");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  CU_ASSERT_EQUAL(st_sim_check_price(D("1.00"), NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_check_price(D("0.9999"), NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_check_price(D("0"), NULL), ST_EINVAL);
  st_sim_free(s);
}

static void test_fractional_rules(void) {
  st_sim *s = cash_sim("1000000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "0.001", NULL, NULL);
  st_sim_order o;
  st_sim_event ev;
  st_sim_errinfo ei;

  /* 0.001 x 100.05 is under a dollar. */
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EREJECTED);
  CU_ASSERT_STRING_EQUAL(ei.message, "cost basis must be >= 1");
  r.qty = ST_DEC_ZERO;
  r.notional = D("0.50");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EREJECTED);
  r.notional = D("50");
  r.tif = ST_SIM_GTC;
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "fractional orders must be DAY orders");
  r.tif = ST_SIM_DAY;
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  /* $50 at 100.05 is 0.499750124 shares (rounded down). */
  CU_ASSERT(deq(ev.qty, "0.499750124"));
  r.notional = ST_DEC_ZERO;
  r.qty = D("0.5");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  r.symbol = "BRK.A";
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "asset \"BRK.A\" is not fractionable");
  r.qty = D("1");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, &ei), ST_OK);
  st_sim_free(s);
}

static void test_replace(void) {
  long live = st_alloc_live();
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "10", "90.00", "orig");
  st_sim_replace_req rr;
  st_sim_order o;
  st_sim_order n;
  st_sim_order old;
  st_sim_event ev;
  st_sim_errinfo ei;

  memset(&rr, 0, sizeof(rr));
  rr.limit_price = D("95.00");
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_replace(s, o.id, &rr, T0, &n, &ei), ST_EPRECOND);
  CU_ASSERT_STRING_EQUAL(ei.message,
                         "unable to replace order, order isn't sent to "
                         "exchange yet");
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  drain(s);
  CU_ASSERT(deq(bp(s), "9100"));
  /* Nothing changed. */
  memset(&rr, 0, sizeof(rr));
  CU_ASSERT_EQUAL(st_sim_replace(s, o.id, &rr, T0, &n, &ei), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "order parameters are not changed");
  /* The held $900 counts for the new order: 95 x 100 = 9500 fits. */
  rr.limit_price = D("95.00");
  rr.qty = D("100");
  CU_ASSERT_EQUAL(st_sim_replace(s, o.id, &rr, T0 + 2 * SEC, &n, &ei), ST_OK);
  CU_ASSERT_STRING_NOT_EQUAL(n.id, o.id);
  CU_ASSERT_STRING_EQUAL(n.replaces, o.id);
  CU_ASSERT_STRING_NOT_EQUAL(n.client_order_id, "orig");
  CU_ASSERT_EQUAL(n.status, ST_SIM_ACCEPTED);
  CU_ASSERT(deq(n.qty, "100"));
  CU_ASSERT(deq(n.limit_price, "95"));
  CU_ASSERT(deq(bp(s), "500"));
  CU_ASSERT_EQUAL(st_sim_get_order(s, o.id, &old), ST_OK);
  CU_ASSERT_EQUAL(old.status, ST_SIM_REPLACED);
  CU_ASSERT_STRING_EQUAL(old.replaced_by, n.id);
  CU_ASSERT_EQUAL(old.replaced_at_ns, T0 + 2 * SEC);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_REPLACED);
  CU_ASSERT_STRING_EQUAL(ev.order.id, o.id);
  /* A replaced order cannot be replaced again, nor canceled. */
  CU_ASSERT_EQUAL(st_sim_replace(s, o.id, &rr, T0 + 2 * SEC, NULL, &ei),
                  ST_ETERMINAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "order is already in \"replaced\" state");
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0, &ei), ST_ETERMINAL);
  /* The new order's own life: new, then (marketable) fill. */
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 3 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_STRING_EQUAL(ev.order.id, n.id);
  /* Too much for the buying power. */
  rr.limit_price = D("99.00");
  rr.qty = D("1000");
  CU_ASSERT_EQUAL(st_sim_replace(s, n.id, &rr, T0 + 4 * SEC, NULL, &ei),
                  ST_EBUYPOWER);
  /* A duplicate client_order_id is refused too. */
  rr.qty = D("10");
  rr.client_order_id = "orig";
  CU_ASSERT_EQUAL(st_sim_replace(s, n.id, &rr, T0 + 4 * SEC, NULL, &ei),
                  ST_EDUPLICATE);
  CU_ASSERT_EQUAL(st_sim_replace(s, "nope", &rr, T0, NULL, &ei), ST_ENOTFOUND);
  st_sim_free(s);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static void test_cancel_filled(void) {
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, NULL);
  st_sim_order o;
  st_sim_errinfo ei;

  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0 + 2 * SEC, &ei), ST_ETERMINAL);
  CU_ASSERT_STRING_EQUAL(ei.message, "order is already in \"filled\" state");
  CU_ASSERT_EQUAL(ei.http_status, 422);
  CU_ASSERT_EQUAL(ei.code, 42210000);
  CU_ASSERT_EQUAL(st_sim_cancel(s, "no-such-order", T0, &ei), ST_ENOTFOUND);
  CU_ASSERT_STRING_EQUAL(ei.message, "order not found");
  CU_ASSERT_EQUAL(ei.http_status, 404);
  st_sim_free(s);
}

static void test_reject_and_expire(void) {
  st_sim *s = cash_sim("10000", NULL);
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", "90.00", NULL);
  st_sim_order o;
  st_sim_event ev;

  CU_ASSERT_EQUAL(st_sim_reject_next(s, "test says no"), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT(deq(bp(s), "9910"));
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_REJECTED);
  CU_ASSERT_EQUAL(ev.order.status, ST_SIM_REJECTED);
  CU_ASSERT_STRING_EQUAL(ev.order.reject_reason, "test says no");
  CU_ASSERT(deq(bp(s), "10000"));
  /* Only the next order. */
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0 + SEC, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_force_expire(s, o.id, T0 + 2 * SEC, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_EXPIRED);
  CU_ASSERT_EQUAL(ev.order.expired_at_ns, T0 + 2 * SEC);
  st_sim_free(s);
}

static void test_wash_trade(void) {
  st_sim_config cfg;
  st_sim *s;
  st_sim_order_req buy =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", "90.00", NULL);
  st_sim_order_req sell =
      req("AAPL", ST_SIM_SELL, ST_SIM_MARKET, "1", NULL, NULL);
  st_sim_errinfo ei;
  st_sim_position_init pos[] = {{"AAPL", D("5"), D("80.00")}};
  st_sim_start start;

  quiet(&cfg);
  cfg.wash_trade_check = 1;
  st_sim_start_cash(&start, D("1000"));
  start.positions = pos;
  start.npositions = 1;
  CU_ASSERT_EQUAL_FATAL(st_sim_create(&cfg, &start, T0, &s), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &buy, T0, NULL, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &sell, T0, NULL, &ei), ST_EWASH);
  CU_ASSERT_STRING_EQUAL(ei.message,
                         "potential wash trade detected. use complex orders");
  /* Same side is fine; with the check off, so is the opposite side. */
  CU_ASSERT_EQUAL(st_sim_submit(s, &buy, T0, NULL, NULL), ST_OK);
  cfg.wash_trade_check = 0;
  CU_ASSERT_EQUAL(st_sim_set_config(s, &cfg), ST_OK);
  CU_ASSERT_EQUAL(st_sim_submit(s, &sell, T0, NULL, &ei), ST_OK);
  st_sim_free(s);
}

static void test_clock(void) {
  st_sim *s = cash_sim("1", NULL);
  st_sim_clock c;
  int32_t off;

  /* Open by default, since two hours ago, whatever the time. */
  CU_ASSERT_EQUAL(st_sim_get_clock(s, T0 + 9 * 3600 * SEC, &c), ST_OK);
  CU_ASSERT_TRUE(c.is_open);
  CU_ASSERT_EQUAL(c.session_open_ns, T0 + 7 * 3600 * SEC);
  CU_ASSERT(c.next_close_ns > T0 + 9 * 3600 * SEC);
  CU_ASSERT(c.next_open_ns > c.next_close_ns);
  st_sim_free(s);

  /* NYSE hours: Wednesday 10:00 EST is open until 21:00 UTC. */
  CU_ASSERT_EQUAL(st_sim_clock_get(ST_SIM_CLOCK_NYSE, T0, &c), ST_OK);
  CU_ASSERT_TRUE(c.is_open);
  CU_ASSERT_EQUAL(c.session_open_ns, (1704897000LL) * SEC);
  CU_ASSERT_EQUAL(c.next_close_ns, (1704920400LL) * SEC);
  CU_ASSERT_EQUAL(c.next_open_ns, (1704983400LL) * SEC);
  /* Saturday 2024-01-13 12:00 UTC: closed until Monday 14:30 UTC. */
  CU_ASSERT_EQUAL(st_sim_clock_get(ST_SIM_CLOCK_NYSE, 1705147200LL * SEC, &c),
                  ST_OK);
  CU_ASSERT_FALSE(c.is_open);
  CU_ASSERT_EQUAL(c.next_open_ns, 1705329000LL * SEC);
  CU_ASSERT_EQUAL(c.next_close_ns, 1705352400LL * SEC);
  /* Summer (EDT): 2024-07-10 13:30 UTC is the 09:30 open. */
  CU_ASSERT_EQUAL(st_sim_clock_get(ST_SIM_CLOCK_NYSE, 1720618200LL * SEC, &c),
                  ST_OK);
  CU_ASSERT_TRUE(c.is_open);
  CU_ASSERT_EQUAL(
      st_sim_clock_get(ST_SIM_CLOCK_NYSE, 1720618200LL * SEC - 1, &c), ST_OK);
  CU_ASSERT_FALSE(c.is_open);
  CU_ASSERT_EQUAL(st_sim_clock_ny_offset(1720618200LL * SEC, &off), ST_OK);
  CU_ASSERT_EQUAL(off, -4 * 3600);
  CU_ASSERT_EQUAL(st_sim_clock_ny_offset(T0, &off), ST_OK);
  CU_ASSERT_EQUAL(off, -5 * 3600);
}

static void test_nyse_day_orders(void) {
  st_sim_config cfg;
  st_sim *s;
  st_sim_order_req r =
      req("AAPL", ST_SIM_BUY, ST_SIM_LIMIT, "1", "90.00", NULL);
  st_sim_order o;
  st_sim_event ev;
  int64_t close = 1704920400LL * SEC;

  quiet(&cfg);
  cfg.clock_mode = ST_SIM_CLOCK_NYSE;
  s = cash_sim("1000", &cfg);
  CU_ASSERT_EQUAL_FATAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(o.expires_at_ns, close);
  CU_ASSERT_EQUAL(st_sim_step(s, close - SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  /* A market order after the close waits for the open. */
  r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, NULL);
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, close + SEC, NULL, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, close + 2 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_EXPIRED);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_NEW);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_sim_step(s, 1704983400LL * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_next_event(s, &ev), ST_OK);
  CU_ASSERT_EQUAL(ev.kind, ST_SIM_EV_FILL);
  st_sim_free(s);
}

static void test_save_load(void) {
  long live = st_alloc_live();
  st_sim_config cfg;
  st_sim *s = NULL;
  st_sim *t = NULL;
  st_sim *u = NULL;
  st_sim_order_req r;
  st_sim_order o;
  st_sim_errinfo ei;
  char *a = NULL;
  char *b = NULL;
  size_t la;
  size_t lb;
  FILE *f;

  st_sim_config_default(&cfg);
  cfg.seed = 99;
  cfg.partial_share = D("0.5");
  cfg.fill_latency_ns = 2 * SEC;
  CU_ASSERT_EQUAL_FATAL(st_sim_create(&cfg, NULL, T0, &s), ST_OK);
  r = req("AAPL", ST_SIM_SELL, ST_SIM_MARKET, "30", NULL, "weird id %=\n x");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, NULL, NULL), ST_OK);
  r = req("NVDA", ST_SIM_BUY, ST_SIM_LIMIT, "5", "1.00", "low");
  CU_ASSERT_EQUAL(st_sim_submit(s, &r, T0, &o, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_sim_step(s, T0 + 5 * SEC), ST_OK);
  CU_ASSERT_EQUAL(st_sim_cancel(s, o.id, T0 + 6 * SEC, NULL), ST_OK);
  drain(s);
  CU_ASSERT_EQUAL(st_sim_save(s, &a, &la), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_sim_load(a, la, &t), ST_OK);
  CU_ASSERT_EQUAL(st_sim_save(t, &b, &lb), ST_OK);
  CU_ASSERT_EQUAL(la, lb);
  CU_ASSERT_EQUAL(memcmp(a, b, la), 0);
  /* Used client_order_ids survive, canceled or not. */
  r = req("AAPL", ST_SIM_BUY, ST_SIM_MARKET, "1", NULL, "weird id %=\n x");
  CU_ASSERT_EQUAL(st_sim_submit(t, &r, T0 + 7 * SEC, NULL, &ei), ST_EDUPLICATE);
  r.client_order_id = "low";
  CU_ASSERT_EQUAL(st_sim_submit(t, &r, T0 + 7 * SEC, NULL, &ei), ST_EDUPLICATE);
  /* Both continue identically. */
  for (int i = 0; i < 10; i++) {
    CU_ASSERT_EQUAL(st_sim_step(s, T0 + (8 + i) * SEC), ST_OK);
    CU_ASSERT_EQUAL(st_sim_step(t, T0 + (8 + i) * SEC), ST_OK);
  }
  st_free(a);
  st_free(b);
  drain(s);
  drain(t);
  CU_ASSERT_EQUAL(st_sim_save(s, &a, &la), ST_OK);
  CU_ASSERT_EQUAL(st_sim_save(t, &b, &lb), ST_OK);
  CU_ASSERT(la == lb && memcmp(a, b, la) == 0);
  /* Through a FILE* too. */
  f = tmpfile();
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_EQUAL(st_sim_save_file(t, f), ST_OK);
  rewind(f);
  st_sim_free(t);
  t = NULL;
  CU_ASSERT_EQUAL(st_sim_load_file(f, &t), ST_OK);
  fclose(f);
  st_free(b);
  CU_ASSERT_EQUAL(st_sim_save(t, &b, &lb), ST_OK);
  CU_ASSERT(la == lb && memcmp(a, b, la) == 0);
  /* Truncated or foreign input is refused. */
  CU_ASSERT_EQUAL(st_sim_load(a, la / 2, &u), ST_EPROTO);
  CU_ASSERT_EQUAL(st_sim_load("hello\n", 6, &u), ST_EPROTO);
  CU_ASSERT_PTR_NULL(u);
  st_free(a);
  st_free(b);
  st_sim_free(s);
  st_sim_free(t);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static const st_test tests[] = {
    {"demo_portfolio", test_demo_portfolio},
    {"determinism", test_determinism},
    {"random_walk", test_random_walk},
    {"market_fill_far_touch", test_market_fill_far_touch},
    {"limit_only_when_marketable", test_limit_only_when_marketable},
    {"partial_fills", test_partial_fills},
    {"fill_latency", test_fill_latency},
    {"buying_power_reserved_and_released",
     test_buying_power_reserved_and_released},
    {"sell_releases_bp_when_filled", test_sell_releases_bp_when_filled},
    {"qty_available_held_by_sells", test_qty_available_held_by_sells},
    {"duplicate_client_order_id", test_duplicate_client_order_id},
    {"insufficient_buying_power", test_insufficient_buying_power},
    {"insufficient_qty", test_insufficient_qty},
    {"validation", test_validation},
    {"sub_penny", test_sub_penny},
    {"fractional_rules", test_fractional_rules},
    {"replace", test_replace},
    {"cancel_filled", test_cancel_filled},
    {"reject_and_expire", test_reject_and_expire},
    {"wash_trade", test_wash_trade},
    {"clock", test_clock},
    {"nyse_day_orders", test_nyse_day_orders},
    {"save_load", test_save_load},
    {NULL, NULL},
};

ST_TEST_MAIN("sim", tests)
