/* engine_scenario_test.c - the execution engine on the in-process simulated
 * broker, with a fixed seed and a clock the test moves: the seed's asserted
 * behaviours and its lessons as regression tests. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/broker/sim_broker.h"
#include "server/events/journal.h"
#include "server/exec/engine.h"
#include "server/pricing/pricing.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"
#include "tests/unit/cunit_main.h"

#define ES(x) SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_##x

/* --- A clock the test moves: wall time plus an offset. --- */

static atomic_llong offset;

static int64_t fake_now(void *ud) {
  return st_now_ns() + atomic_load(&offset);
}

static int fake_wait(void *ud, void *cv, void *mu, int64_t deadline) {
  int64_t left = deadline - fake_now(NULL);
  struct timespec ts;

  if (left <= 0) {
    return 1;
  }
  if (left > 5 * ST_NS_PER_MS) {
    left = 5 * ST_NS_PER_MS; /* Re-check: the test may move time. */
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += left;
  while (ts.tv_nsec >= ST_NS_PER_SEC) {
    ts.tv_sec++;
    ts.tv_nsec -= ST_NS_PER_SEC;
  }
  pthread_cond_timedwait(cv, mu, &ts);
  return fake_now(NULL) >= deadline;
}

static void advance_s(double s) {
  atomic_fetch_add(&offset, (long long)(s * 1e9));
}

/* --- The fixture: broker, journal, pricing, engine. --- */

typedef struct fixture {
  char dir[256];
  st_broker *broker;
  st_journal *journal;
  st_pricing *pricing;
  st_engine *engine;
} fixture;

static fixture F;
static int run_seq;

static void setup(int cash_only, const char *cash) {
  st_sim_broker_opts so;
  st_sim_config sc;
  st_sim_start start;
  st_engine_opts eo;
  st_pricing_opts po;
  st_errbuf eb;
  char path[400];
  const char *tmp = getenv("TEST_TMPDIR");

  memset(&F, 0, sizeof(F));
  snprintf(F.dir, sizeof(F.dir), "%s/scenario-%d", tmp != NULL ? tmp : "/tmp",
           ++run_seq);
  snprintf(path, sizeof(path), "rm -rf %s && mkdir -p %s", F.dir, F.dir);
  CU_ASSERT_EQUAL_FATAL(system(path), 0);
  st_sim_config_default(&sc);
  sc.seed = 7;
  sc.partial_share = ST_DEC_ZERO;
  sc.fill_latency_ns = 0;
  if (cash_only) {
    st_dec c;

    st_dec_parse(cash, &c);
    st_sim_start_cash(&start, c);
  } else {
    st_sim_start_demo(&start);
  }
  memset(&so, 0, sizeof(so));
  snprintf(path, sizeof(path), "%s/sim.state", F.dir);
  so.state_path = path;
  so.cfg = &sc;
  so.start = &start;
  so.tick_ms = 2;
  so.now = fake_now;
  CU_ASSERT_EQUAL_FATAL(st_sim_broker_create(&so, &F.broker, &eb), ST_OK);
  snprintf(path, sizeof(path), "%s/journal.db", F.dir);
  CU_ASSERT_EQUAL_FATAL(st_journal_open(path, &F.journal, &eb), ST_OK);
  memset(&po, 0, sizeof(po));
  CU_ASSERT_EQUAL_FATAL(st_pricing_create(F.broker, &po, &F.pricing), ST_OK);
  memset(&eo, 0, sizeof(eo));
  eo.broker = F.broker;
  eo.pricing = F.pricing;
  eo.journal = F.journal;
  eo.time.now = fake_now;
  eo.time.wait = fake_wait;
  eo.check_market_open = 1;
  CU_ASSERT_EQUAL_FATAL(st_engine_create(&eo, &F.engine, &eb), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_engine_start(F.engine, &eb), ST_OK);
}

static void teardown(void) {
  st_engine_stop(F.engine);
  st_pricing_shutdown(F.pricing);
  F.broker->ops->destroy(F.broker);
  st_engine_free(F.engine);
  st_pricing_destroy(F.pricing);
  st_journal_close(F.journal);
}

/* --- Broker levers. --- */

typedef struct quote_args {
  const char *sym;
  const char *bid, *ask;
} quote_args;

static st_dec D(const char *s) {
  st_dec d = ST_DEC_ZERO;

  CU_ASSERT_EQUAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

static st_err do_pin(st_sim *s, int64_t now, void *ud) {
  quote_args *a = ud;

  return st_sim_market_set_quote(st_sim_get_market(s), a->sym, D(a->bid),
                                 D(a->ask), 500, 500, now);
}

static void pin(const char *sym, const char *bid, const char *ask) {
  quote_args a = {sym, bid, ask};

  CU_ASSERT_EQUAL(st_sim_broker_with(F.broker, do_pin, &a), ST_OK);
}

static st_err do_hold(st_sim *s, int64_t now, void *ud) {
  return st_sim_delay_fills(s, NULL, now + 3600 * ST_NS_PER_SEC);
}

/* No order fills by itself: only force_fill fills. */
static void hold_fills(void) {
  CU_ASSERT_EQUAL(st_sim_broker_with(F.broker, do_hold, NULL), ST_OK);
}

typedef struct fill_args {
  const char *id;
  const char *qty, *price;
} fill_args;

static st_err do_fill(st_sim *s, int64_t now, void *ud) {
  fill_args *a = ud;

  return st_sim_force_fill(s, a->id, a->qty != NULL ? D(a->qty) : ST_DEC_ZERO,
                           D(a->price), now, NULL);
}

static void fill(const char *id, const char *qty, const char *price) {
  fill_args a = {id, qty, price};

  CU_ASSERT_EQUAL(st_sim_broker_with(F.broker, do_fill, &a), ST_OK);
}

/* Every order of symbol at the broker, oldest first (caller frees). */
static size_t orders_of(const char *sym, st_order **out) {
  st_order_query q;
  st_order *os = NULL;
  size_t n = 0;
  const char *syms[] = {sym};

  memset(&q, 0, sizeof(q));
  q.status = ST_ORDERS_ALL;
  q.symbols = syms;
  q.nsymbols = 1;
  q.limit = 500;
  CU_ASSERT_EQUAL(F.broker->ops->list_orders(F.broker, &q, &os, &n, NULL),
                  ST_OK);
  /* Newest first from the broker: reverse. */
  for (size_t i = 0; i < n / 2; i++) {
    st_order t = os[i];

    os[i] = os[n - 1 - i];
    os[n - 1 - i] = t;
  }
  *out = os;
  return n;
}

/* Waits (real time) until symbol has an open order; copies the newest. */
static int wait_open(const char *sym, size_t nth, st_order *out) {
  int64_t end = st_mono_ns() + 10 * ST_NS_PER_SEC;

  while (st_mono_ns() < end) {
    st_order *os = NULL;
    size_t n = orders_of(sym, &os);
    int found = 0;

    if (n >= nth && !st_ostatus_terminal(os[nth - 1].status) &&
        os[nth - 1].status != ST_OS_ACCEPTED) {
      *out = os[nth - 1];
      found = 1;
    }
    st_free(os);
    if (found) {
      return 1;
    }
    st_sleep_ms(5);
  }
  return 0;
}

/* Whether symbol has an open order now; copies the newest. */
static int wait_open_quick(const char *sym, st_order *out) {
  st_order *os = NULL;
  size_t n = orders_of(sym, &os);
  int found = n > 0 && !st_ostatus_terminal(os[n - 1].status) &&
              os[n - 1].status != ST_OS_ACCEPTED;

  if (found) {
    *out = os[n - 1];
  }
  st_free(os);
  return found;
}

/* --- Plans. --- */

typedef struct item {
  const char *symbol;
  int action; /* 1 buy, 2 sell, 3 hold */
  const char *amount;
  const char *target_weight;
} item;

typedef struct cfg {
  const char *fill_wait;
  int max_repegs; /* -1: default */
  const char *max_wait;
  const char *sell_failure_threshold;
  int fractional; /* 0: whole shares */
  int urgency;    /* settled.v1.ExecutionUrgency; 0: unset */
  int ttl_s;      /* Plan time to live; 0: the default */
} cfg;

static Settled__V1__ExecutionResult *execute(const char *plan_id,
                                             const item *items, size_t n,
                                             const cfg *c) {
  Settled__V1__ExecutePlanRequest req = SETTLED__V1__EXECUTE_PLAN_REQUEST__INIT;
  Settled__V1__RebalancePlan plan = SETTLED__V1__REBALANCE_PLAN__INIT;
  Settled__V1__ExecutionConfig conf = SETTLED__V1__EXECUTION_CONFIG__INIT;
  Settled__V1__RebalancePlanItem its[40], *ptrs[40];
  Google__Protobuf__Int32Value repegs = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
  Google__Protobuf__BoolValue frac = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
  uint8_t *res = NULL;
  size_t len = 0;
  st_errbuf eb;
  Settled__V1__ExecutionResult *r;
  st_err err;

  for (size_t i = 0; i < n; i++) {
    settled__v1__rebalance_plan_item__init(&its[i]);
    its[i].symbol = (char *)items[i].symbol;
    its[i].action = (Settled__V1__TradeAction)items[i].action;
    its[i].trade_amount = (char *)(items[i].amount ? items[i].amount : "");
    its[i].target_weight =
        (char *)(items[i].target_weight ? items[i].target_weight : "");
    ptrs[i] = &its[i];
  }
  Google__Protobuf__Duration ttl = GOOGLE__PROTOBUF__DURATION__INIT;

  plan.plan_id = (char *)plan_id;
  plan.execution_urgency = (Settled__V1__ExecutionUrgency)c->urgency;
  if (c->ttl_s > 0) {
    ttl.seconds = c->ttl_s;
    plan.time_to_live = &ttl;
  }
  plan.n_items = n;
  plan.items = ptrs;
  conf.fill_wait_seconds = (char *)c->fill_wait;
  if (c->max_repegs >= 0) {
    repegs.value = c->max_repegs;
    conf.max_repegs_per_order = &repegs;
  }
  conf.max_wait_seconds = (char *)(c->max_wait ? c->max_wait : "");
  conf.sell_failure_threshold =
      (char *)(c->sell_failure_threshold ? c->sell_failure_threshold : "");
  frac.value = c->fractional;
  conf.allow_fractional = &frac;
  req.plan = &plan;
  req.config = &conf;
  req.detach = 1;
  err = st_engine_submit(F.engine, &req, &res, &len, &eb);
  CU_ASSERT_EQUAL(err, ST_OK);
  if (err != ST_OK) {
    fprintf(stderr, "submit: %s\n", eb.msg);
    return NULL;
  }
  r = settled__v1__execution_result__unpack(NULL, len, res);
  st_free(res);
  return r;
}

static Settled__V1__ExecutionResult *result_of(const char *plan_id) {
  uint8_t *res = NULL;
  size_t len = 0;
  Settled__V1__ExecutionResult *r = NULL;

  if (st_engine_get(F.engine, plan_id, &res, &len) == ST_OK) {
    r = settled__v1__execution_result__unpack(NULL, len, res);
  }
  st_free(res);
  return r;
}

/* Waits (real time, moving the fake clock by step_s each 20 ms when step_s
 * > 0) for the execution to end. */
static Settled__V1__ExecutionResult *wait_end(const char *plan_id,
                                              double step_s) {
  int64_t end = st_mono_ns() + 20 * ST_NS_PER_SEC;

  while (st_mono_ns() < end) {
    Settled__V1__ExecutionResult *r = result_of(plan_id);

    if (r != NULL && r->status >= ES(SUCCESS)) {
      return r;
    }
    if (r != NULL) {
      settled__v1__execution_result__free_unpacked(r, NULL);
    }
    if (step_s > 0) {
      advance_s(step_s);
    }
    st_sleep_ms(20);
  }
  return NULL;
}

static Settled__V1__OrderResult *order_for(Settled__V1__ExecutionResult *r,
                                           const char *sym) {
  for (size_t i = 0; r != NULL && i < r->n_orders; i++) {
    if (strcmp(r->orders[i]->symbol, sym) == 0) {
      return r->orders[i];
    }
  }
  return NULL;
}

typedef struct counter {
  const char *type;
  const char *plan;
  int n;
  char last_body_hint[64];
} counter;

static int count_event(void *ud, const st_event_row *row) {
  counter *c = ud;

  if (strcmp(row->type, c->type) == 0 &&
      (c->plan == NULL || strcmp(row->plan_id, c->plan) == 0)) {
    c->n++;
  }
  return 0;
}

static int events(const char *plan, const char *type) {
  counter c = {type, plan, 0, ""};

  st_journal_read(F.journal, 0, 0, plan, count_event, &c, NULL);
  return c.n;
}

/* --- Tests. --- */

static const cfg FAST = {"1", -1, NULL, NULL, 0, 0, 0};

/* Sells fill before any buy is sent; every phase event is there. */
static void test_sell_then_buy(void) {
  const item plan[] = {
      {"AAPL", 2, "-3000", NULL},
      {"AGG", 2, "-1000", "0"},
      {"GOOGL", 1, "6000", NULL},
      {"SPY", 3, NULL, NULL},
  };
  Settled__V1__ExecutionResult *r;
  st_order *buys = NULL, *sells = NULL, *agg = NULL;
  size_t nb, ns, na;

  setup(0, NULL);
  r = execute("scn-basic", plan, 4, &FAST);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-basic", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS));
  CU_ASSERT_EQUAL(r->n_orders, 3);
  CU_ASSERT_EQUAL(r->orders[0]->action,
                  SETTLED__V1__TRADE_ACTION__TRADE_ACTION_SELL);
  /* The liquidation sold the whole AGG position (60), not $1,000. */
  CU_ASSERT_STRING_EQUAL(order_for(r, "AGG")->shares, "60");
  ns = orders_of("AAPL", &sells);
  na = orders_of("AGG", &agg);
  nb = orders_of("GOOGL", &buys);
  CU_ASSERT(ns >= 1 && nb >= 1 && na >= 1);
  if (ns >= 1 && nb >= 1 && na >= 1) {
    CU_ASSERT(buys[0].created_at_ns >= sells[ns - 1].filled_at_ns);
    CU_ASSERT(buys[0].created_at_ns >= agg[na - 1].filled_at_ns);
  }
  CU_ASSERT_EQUAL(events("scn-basic", "ExecutionStarted"), 1);
  CU_ASSERT_EQUAL(events("scn-basic", "BulkSettlementCompleted"), 1);
  CU_ASSERT_EQUAL(events("scn-basic", "OrderSettlementCompleted"), 2);
  CU_ASSERT_EQUAL(events("scn-basic", "ExecutionPhaseCompleted"), 2);
  CU_ASSERT_EQUAL(events("scn-basic", "TradeExecuted"), 1);
  settled__v1__execution_result__free_unpacked(r, NULL);
  st_free(buys);
  st_free(sells);
  st_free(agg);
  teardown();
}

/* A partial fill, then a re-peg for the remaining quantity only; fills
 * are summed over the chain. */
static void test_partial_fill_across_repeg(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}};
  Settled__V1__ExecutionResult *r;
  Settled__V1__OrderResult *o;
  st_order first, second, *os = NULL;
  size_t n;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-partial", plan, 1, &FAST);
  settled__v1__execution_result__free_unpacked(r, NULL);
  CU_ASSERT_FATAL(wait_open("NVDA", 1, &first));
  /* 1200 / mid 120.00 = 10 shares, one tick above the bid. */
  CU_ASSERT_EQUAL(st_dec_cmp(first.qty, D("10")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(first.limit_price, D("119.81")), 0);
  fill(first.id, "4", "119.81");
  advance_s(1.2);
  CU_ASSERT_FATAL(wait_open("NVDA", 2, &second));
  CU_ASSERT_EQUAL(st_dec_cmp(second.qty, D("6")), 0); /* The rest only. */
  CU_ASSERT_NOT_EQUAL(st_dec_cmp(second.limit_price, first.limit_price), 0);
  fill(second.id, NULL, "119.80");
  r = wait_end("scn-partial", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS));
  o = order_for(r, "NVDA");
  CU_ASSERT_STRING_EQUAL(o->shares, "10");
  CU_ASSERT_STRING_EQUAL(o->requested_shares, "10");
  CU_ASSERT_EQUAL(o->repeg_count, 1);
  CU_ASSERT_EQUAL(o->n_order_ids, 2);
  /* 4 x 119.81 + 6 x 119.80 */
  CU_ASSERT_STRING_EQUAL(o->filled_value, "1198.04");
  n = orders_of("NVDA", &os);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_EQUAL(events("scn-partial", "OrderRepegged"), 1);
  settled__v1__execution_result__free_unpacked(r, NULL);
  st_free(os);
  teardown();
}

/* After the last re-peg only the remainder goes to market; prices are
 * never repeated. */
static void test_escalation_of_remainder_no_repeated_price(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}};
  cfg c = {"1", 2, NULL, NULL, 0, 0, 0};
  Settled__V1__ExecutionResult *r;
  Settled__V1__OrderResult *o;
  st_order a, b, m, *os = NULL;
  size_t n;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-escalate", plan, 1, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  CU_ASSERT_FATAL(wait_open("NVDA", 1, &a));
  fill(a.id, "3", "119.81");
  advance_s(1.2);
  CU_ASSERT_FATAL(wait_open("NVDA", 2, &b));
  CU_ASSERT_EQUAL(st_dec_cmp(b.qty, D("7")), 0);
  advance_s(1.2);
  CU_ASSERT_FATAL(wait_open("NVDA", 3, &m));
  advance_s(1.2);
  n = orders_of("NVDA", &os);
  /* Three limits at three prices, then the market for 7 shares only. */
  CU_ASSERT_FATAL(n >= 3);
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < i; k++) {
      if (os[i].type == ST_OTYPE_LIMIT && os[k].type == ST_OTYPE_LIMIT) {
        CU_ASSERT_NOT_EQUAL(st_dec_cmp(os[i].limit_price, os[k].limit_price),
                            0);
      }
    }
  }
  st_free(os);
  /* Wait for the market order, then fill it. */
  {
    int64_t end = st_mono_ns() + 10 * ST_NS_PER_SEC;
    int found = 0;

    while (!found && st_mono_ns() < end) {
      n = orders_of("NVDA", &os);
      if (n > 0 && os[n - 1].type == ST_OTYPE_MARKET &&
          !st_ostatus_terminal(os[n - 1].status)) {
        found = 1;
        CU_ASSERT_EQUAL(st_dec_cmp(os[n - 1].qty, D("7")), 0);
        fill(os[n - 1].id, NULL, "119.80");
      }
      st_free(os);
      if (!found) {
        advance_s(0.5);
        st_sleep_ms(10);
      }
    }
    CU_ASSERT(found);
  }
  r = wait_end("scn-escalate", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  o = order_for(r, "NVDA");
  CU_ASSERT_STRING_EQUAL(o->shares, "10"); /* Never more than intended. */
  CU_ASSERT(o->escalated_to_market);
  CU_ASSERT_EQUAL(o->repeg_count, 2);
  CU_ASSERT_EQUAL(events("scn-escalate", "OrderEscalated"), 1);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* The order fills just as the engine cancels it for a re-peg: "already
 * filled" is terminal and no new order is sent. */
static void test_cancel_races_fill(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}};
  Settled__V1__ExecutionResult *r;
  st_order a, *os = NULL;
  size_t n;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-race", plan, 1, &FAST);
  settled__v1__execution_result__free_unpacked(r, NULL);
  CU_ASSERT_FATAL(wait_open("NVDA", 1, &a));
  fill(a.id, NULL, "119.81");
  advance_s(1.2); /* The re-peg timer fires with the fill in flight. */
  r = wait_end("scn-race", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS));
  CU_ASSERT_STRING_EQUAL(order_for(r, "NVDA")->shares, "10");
  n = orders_of("NVDA", &os);
  CU_ASSERT_EQUAL(n, 1);
  settled__v1__execution_result__free_unpacked(r, NULL);
  st_free(os);
  teardown();
}

/* Sells that never fill release nothing: the settlement says 0, nothing
 * crashes, and the failed-sell guard keeps the buys back. */
static void test_zero_released_and_sell_guard(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}, {"GOOGL", 1, "1000", NULL}};
  cfg c = {"1", 0, "6", NULL, 0, 0, 0};
  Settled__V1__ExecutionResult *r;
  st_order *os = NULL;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-zero", plan, 2, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-zero", 0.5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(FAILURE));
  CU_ASSERT_STRING_EQUAL(r->buying_power_released, "0.00");
  CU_ASSERT_EQUAL(events("scn-zero", "BulkSettlementCompleted"), 1);
  CU_ASSERT_EQUAL(events("scn-zero", "ExecutionPhaseCompleted"), 2);
  /* No buy was sent: $1,200 of sells failed, above the $500 guard. */
  CU_ASSERT_EQUAL(orders_of("GOOGL", &os), 0);
  CU_ASSERT(order_for(r, "GOOGL")->error_message[0] != '\0');
  st_free(os);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* With the guard off, buys go ahead sized to the cash there is. */
static void test_guard_off_buys_proceed(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}, {"GOOGL", 1, "1000", NULL}};
  cfg c = {"1", 0, "6", "0", 0, 0, 0};
  Settled__V1__ExecutionResult *r;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-guard-off", plan, 2, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  /* The sell phase runs out; then the buy is sent and filled. */
  {
    st_order buy;
    int64_t end = st_mono_ns() + 15 * ST_NS_PER_SEC;
    int placed = 0;

    while (!placed && st_mono_ns() < end) {
      advance_s(0.5);
      st_sleep_ms(20);
      placed = wait_open_quick("GOOGL", &buy);
    }
    CU_ASSERT_FATAL(placed);
    fill(buy.id, NULL, "170.00");
  }
  r = wait_end("scn-guard-off", 0.5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(PARTIAL_SUCCESS));
  CU_ASSERT(order_for(r, "GOOGL")->success);
  CU_ASSERT(order_for(r, "NVDA")->error_message[0] != '\0');
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* A one-sided quote is not priced from: after fill_wait a market order,
 * and the execution says so. */
static void test_one_sided_quote(void) {
  const item plan[] = {{"JPM", 1, "2000", NULL}};
  Settled__V1__ExecutionResult *r;
  st_order *os = NULL;
  size_t n;

  setup(0, NULL);
  pin("JPM", "0", "200.04");
  r = execute("scn-onesided", plan, 1, &FAST);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-onesided", 0.3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  n = orders_of("JPM", &os);
  CU_ASSERT_EQUAL(n, 1);
  if (n == 1) {
    CU_ASSERT_EQUAL(os[0].type, ST_OTYPE_MARKET);
  }
  CU_ASSERT(events("scn-onesided", "ExecutionNotice") >= 1);
  st_free(os);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* A quote older than the configured age is not priced from either. */
static void test_stale_quote(void) {
  const item plan[] = {{"KO", 1, "1000", NULL}};
  Settled__V1__ExecutionResult *r;
  st_order *os = NULL;
  size_t n;

  setup(0, NULL);
  pin("KO", "60.00", "60.02");
  advance_s(30); /* The pinned quote is now 30 s old. */
  r = execute("scn-stale", plan, 1, &FAST);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-stale", 0.3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  n = orders_of("KO", &os);
  CU_ASSERT_EQUAL(n, 1);
  if (n == 1) {
    CU_ASSERT_EQUAL(os[0].type, ST_OTYPE_MARKET);
  }
  CU_ASSERT(events("scn-stale", "ExecutionNotice") >= 1);
  st_free(os);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* 31 symbols: one more than the stream takes. The execution still
 * trades all of them (REST quotes for the one left out). */
static void test_31_symbols(void) {
  static const char *syms[] = {
      "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO",
      "JPM",  "V",    "MA",   "UNH",  "JNJ",   "WMT",  "PG",   "HD",
      "XOM",  "CVX",  "KO",   "PEP",  "COST",  "ABBV", "MRK",  "ORCL",
      "CSCO", "INTC", "AMD",  "NFLX", "DIS",   "BAC",  "PFE"};
  item plan[31];
  cfg c = {"1", -1, NULL, NULL, 1, 0, 0};
  Settled__V1__ExecutionResult *r;

  setup(1, "100000");
  for (int i = 0; i < 31; i++) {
    plan[i] = (item){syms[i], 1, "1000", NULL};
  }
  r = execute("scn-31", plan, 31, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-31", 0.3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS));
  CU_ASSERT_EQUAL(r->orders_succeeded, 31);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* A buy under $1 of a fractionable asset is skipped, not failed. */
static void test_micro_buy_skipped(void) {
  const item plan[] = {{"AAPL", 2, "-500", NULL}, {"KO", 1, "0.50", NULL}};
  cfg c = {"1", -1, NULL, NULL, 1, 0, 0};
  Settled__V1__ExecutionResult *r;

  setup(0, NULL);
  r = execute("scn-micro", plan, 2, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-micro", 0.3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS_WITH_SKIPS));
  CU_ASSERT(order_for(r, "KO")->skipped);
  CU_ASSERT_EQUAL(r->orders_skipped, 1);
  CU_ASSERT_EQUAL(events("scn-micro", "OrderSkipped"), 1);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* URGENT urgency: market orders only. */
static void test_urgent_is_market(void) {
  const item plan[] = {{"KO", 1, "1000", NULL}};
  cfg c = {"1", -1, NULL, NULL, 0, 4, 0};
  Settled__V1__ExecutionResult *r;
  st_order *os = NULL;

  setup(0, NULL);
  pin("KO", "60.00", "60.02");
  r = execute("scn-urgent", plan, 1, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = wait_end("scn-urgent", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(SUCCESS));
  CU_ASSERT_EQUAL_FATAL(orders_of("KO", &os), 1);
  CU_ASSERT_EQUAL(os[0].type, ST_OTYPE_MARKET);
  st_free(os);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* HIGH urgency: one re-peg, then market for the rest. */
static void test_high_is_one_repeg_then_market(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}};
  cfg c = {"1", -1, NULL, NULL, 0, 3, 0};
  Settled__V1__ExecutionResult *r;
  Settled__V1__OrderResult *o;
  st_order a, b, m;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-high", plan, 1, &c);
  settled__v1__execution_result__free_unpacked(r, NULL);
  CU_ASSERT_FATAL(wait_open("NVDA", 1, &a));
  advance_s(1.2);
  CU_ASSERT_FATAL(wait_open("NVDA", 2, &b));
  CU_ASSERT_EQUAL(b.type, ST_OTYPE_LIMIT);
  advance_s(1.2);
  CU_ASSERT_FATAL(wait_open("NVDA", 3, &m));
  CU_ASSERT_EQUAL(m.type, ST_OTYPE_MARKET);
  fill(m.id, NULL, "119.80");
  r = wait_end("scn-high", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  o = order_for(r, "NVDA");
  CU_ASSERT_EQUAL(o->repeg_count, 1);
  CU_ASSERT(o->escalated_to_market);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

typedef struct expire_args {
  const char *id;
} expire_args;

static st_err do_expire(st_sim *s, int64_t now, void *ud) {
  return st_sim_force_expire(s, ((expire_args *)ud)->id, now, NULL);
}

/* An order the broker expires with shares unfilled: the rest goes to
 * market (the seed's lost BWXT/LEU remainders). */
static void test_broker_expired_remainder_escalates(void) {
  const item plan[] = {{"NVDA", 2, "-1200", NULL}};
  Settled__V1__ExecutionResult *r;
  Settled__V1__OrderResult *o;
  expire_args ea;
  st_order a, m;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-expired", plan, 1, &FAST);
  settled__v1__execution_result__free_unpacked(r, NULL);
  CU_ASSERT_FATAL(wait_open("NVDA", 1, &a));
  fill(a.id, "2", "119.81");
  ea.id = a.id;
  CU_ASSERT_EQUAL(st_sim_broker_with(F.broker, do_expire, &ea), ST_OK);
  CU_ASSERT_FATAL(wait_open("NVDA", 2, &m));
  CU_ASSERT_EQUAL(m.type, ST_OTYPE_MARKET);
  CU_ASSERT_EQUAL(st_dec_cmp(m.qty, D("8")), 0); /* The remainder only. */
  fill(m.id, NULL, "119.80");
  r = wait_end("scn-expired", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  o = order_for(r, "NVDA");
  CU_ASSERT_STRING_EQUAL(o->shares, "10");
  CU_ASSERT(o->escalated_to_market);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

/* A plan whose time to live ends while it waits in the queue ends FAILURE
 * saying so, and sends nothing. */
static void test_expired_plan_fails(void) {
  const item first[] = {{"NVDA", 2, "-1200", NULL}};
  const item second[] = {{"KO", 1, "1000", NULL}};
  cfg a = {"1", 0, "6", NULL, 0, 0, 0};
  cfg b = {"1", -1, NULL, NULL, 0, 0, 2};
  Settled__V1__ExecutionResult *r;
  st_order *os = NULL;

  setup(0, NULL);
  hold_fills();
  pin("NVDA", "119.80", "120.20");
  r = execute("scn-ttl-first", first, 1, &a);
  settled__v1__execution_result__free_unpacked(r, NULL);
  r = execute("scn-ttl-second", second, 1, &b);
  CU_ASSERT_EQUAL(r->status, ES(QUEUED));
  settled__v1__execution_result__free_unpacked(r, NULL);
  /* The first runs into its deadlines; by then the second has expired. */
  r = wait_end("scn-ttl-second", 0.5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->status, ES(FAILURE));
  CU_ASSERT_PTR_NOT_NULL(strstr(r->failure_reason, "expired"));
  CU_ASSERT_EQUAL(orders_of("KO", &os), 0);
  CU_ASSERT(events("scn-ttl-second", "ExecutionQueued") == 1);
  st_free(os);
  settled__v1__execution_result__free_unpacked(r, NULL);
  teardown();
}

static const st_test tests[] = {
    {"sell_then_buy", test_sell_then_buy},
    {"partial_fill_across_repeg", test_partial_fill_across_repeg},
    {"escalation_of_remainder_no_repeated_price",
     test_escalation_of_remainder_no_repeated_price},
    {"cancel_races_fill", test_cancel_races_fill},
    {"zero_released_and_sell_guard", test_zero_released_and_sell_guard},
    {"guard_off_buys_proceed", test_guard_off_buys_proceed},
    {"one_sided_quote", test_one_sided_quote},
    {"stale_quote", test_stale_quote},
    {"31_symbols", test_31_symbols},
    {"micro_buy_skipped", test_micro_buy_skipped},
    {"urgent_is_market", test_urgent_is_market},
    {"high_is_one_repeg_then_market", test_high_is_one_repeg_then_market},
    {"broker_expired_remainder_escalates",
     test_broker_expired_remainder_escalates},
    {"expired_plan_fails", test_expired_plan_fails},
    {NULL, NULL},
};

static int init(void) {
  st_log_init(ST_LOG_TEXT, getenv("SCENARIO_LOG") ? ST_LOG_DEBUG : ST_LOG_ERROR,
              2);
  return 0;
}

ST_TEST_MAIN_WITH("engine_scenario", tests, init, NULL)
