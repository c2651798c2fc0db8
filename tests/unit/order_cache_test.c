/* order_cache_test.c - unit tests for fill deduplication and reconciliation
 * diffs (server/broker/order_cache). */
#include "server/broker/order_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "server/util/alloc.h"
#include "tests/unit/cunit_main.h"

static st_dec D(const char *s) {
  st_dec d = {0};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

/* A stream update for order id. */
static st_trade_update U(const char *id, st_trade_event ev, st_ostatus st,
                         const char *filled, const char *avg,
                         const char *exec) {
  st_trade_update u;

  memset(&u, 0, sizeof(u));
  snprintf(u.order.id, sizeof(u.order.id), "%s", id);
  snprintf(u.order.symbol, sizeof(u.order.symbol), "AAPL");
  u.order.side = ST_SIDE_BUY;
  u.order.qty = D("10");
  u.event = ev;
  u.order.status = st;
  u.order.filled_qty = D(filled);
  u.order.filled_avg_price = D(avg);
  snprintf(u.execution_id, sizeof(u.execution_id), "%s", exec);
  return u;
}

static st_order O(const char *id, st_ostatus st, const char *filled,
                  const char *avg) {
  return U(id, ST_TE_OTHER, st, filled, avg, "").order;
}

static st_ocache *make(size_t cap) {
  st_ocache *c = NULL;

  CU_ASSERT_EQUAL_FATAL(st_ocache_create(cap, &c), ST_OK);
  return c;
}

static void test_in_order(void) {
  st_ocache *c = make(0);
  st_trade_update u;
  st_ocache_state s;

  u = U("o1", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "7", "100", "x2");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o1", ST_TE_FILL, ST_OS_FILLED, "10", "100", "x3");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "o1", &s), 1);
  CU_ASSERT_EQUAL(s.status, ST_OS_FILLED);
  CU_ASSERT_EQUAL(s.filled_qty.v, D("10").v);
  CU_ASSERT_EQUAL(s.terminal, 1);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "nope", &s), 0);
  st_ocache_destroy(c);
}

static void test_duplicates(void) {
  st_ocache *c = make(0);
  st_trade_update u;

  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  /* The very same message again. */
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* The same execution id with another body. */
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "6", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* A fill that does not raise filled_qty (other or no execution id). */
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "x9");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* A repeated status event. */
  u = U("o2", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* Not a status change, but news: passes. */
  u = U("o2", ST_TE_CANCEL_REJECTED, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  st_ocache_destroy(c);
}

static void test_out_of_order(void) {
  st_ocache *c = make(0);
  st_trade_update u;
  st_ocache_state s;

  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "7", "100", "x2");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  /* An earlier fill, late: lower filled_qty, dropped. */
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* A late "new": an earlier status at the same filled_qty... */
  u = U("o1", ST_TE_NEW, ST_OS_NEW, "7", "100", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* ... or a lower one. */
  u = U("o1", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "o1", &s), 1);
  CU_ASSERT_EQUAL(s.filled_qty.v, D("7").v);
  CU_ASSERT_EQUAL(s.status, ST_OS_PARTIALLY_FILLED);
  /* pending_cancel then canceled are progress. */
  u = U("o1", ST_TE_PENDING_CANCEL, ST_OS_PENDING_CANCEL, "7", "100", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o1", ST_TE_CANCELED, ST_OS_CANCELED, "7", "100", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  st_ocache_destroy(c);
}

static void test_terminal_final(void) {
  st_ocache *c = make(0);
  st_trade_update u;

  u = U("o1", ST_TE_CANCELED, ST_OS_CANCELED, "2", "50", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o1", ST_TE_FILL, ST_OS_FILLED, "10", "50", "x5");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  u = U("o1", ST_TE_CANCELED, ST_OS_CANCELED, "2", "50", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  u = U("o1", ST_TE_OTHER, ST_OS_NEW, "2", "50", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* A fill that ends the order is terminal too. */
  u = U("o2", ST_TE_FILL, ST_OS_UNKNOWN, "10", "50", "y1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o2", ST_TE_CANCELED, ST_OS_CANCELED, "10", "50", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  st_ocache_destroy(c);
}

/* The stream saw 4 @ 100; meanwhile the order filled to 10 @ 101.2.
 * Reconciliation reports one fill of 6 at (1012 - 400) / 6 = 102; the
 * stream's own fill of the same shares, arriving after, is dropped. */
static void test_reconcile_then_stream(void) {
  st_ocache *c = make(0);
  st_trade_update u, out[2];
  st_order o;
  size_t n;

  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "4", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  o = O("o1", ST_OS_FILLED, "10", "101.2");
  o.updated_at_ns = 777;
  n = st_ocache_reconcile(c, &o, 999, out);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(out[0].event, ST_TE_FILL);
  CU_ASSERT_EQUAL(out[0].reconciled, 1);
  CU_ASSERT_EQUAL(out[0].qty.v, D("6").v);
  CU_ASSERT_EQUAL(out[0].price.v, D("102").v);
  CU_ASSERT_EQUAL(out[0].order.status, ST_OS_FILLED);
  CU_ASSERT_EQUAL(out[0].order.filled_qty.v, D("10").v);
  CU_ASSERT_EQUAL(out[0].ts_ns, 777);
  CU_ASSERT_STRING_EQUAL(out[0].execution_id, "rc:o1:10");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &out[0]), 1);
  /* The stream's fills, late. */
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "8", "101", "x2");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  u = U("o1", ST_TE_FILL, ST_OS_FILLED, "10", "101.2", "x3");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  /* Reconciling again finds nothing new. */
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 999, out), 0);
  st_ocache_destroy(c);
}

/* The stream got there first: the reconciliation snapshot is stale. */
static void test_stream_then_reconcile(void) {
  st_ocache *c = make(0);
  st_trade_update u, out[2];
  st_order o;

  u = U("o1", ST_TE_FILL, ST_OS_FILLED, "10", "100", "x1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  o = O("o1", ST_OS_PARTIALLY_FILLED, "4", "100");
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 1, out), 0);
  o = O("o1", ST_OS_FILLED, "10", "100");
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 1, out), 0);

  u = U("o2", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "5", "10", "z1");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  o = O("o2", ST_OS_NEW, "0", "0");
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 1, out), 0);
  o = O("o2", ST_OS_PARTIALLY_FILLED, "5", "10");
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 1, out), 0);
  st_ocache_destroy(c);
}

static void test_reconcile_status(void) {
  st_ocache *c = make(0);
  st_trade_update out[2];
  st_order o;
  size_t n;

  /* A tracked order the stream never mentioned: now working. */
  CU_ASSERT_EQUAL(st_ocache_track(c, "o1"), ST_OK);
  o = O("o1", ST_OS_NEW, "0", "0");
  n = st_ocache_reconcile(c, &o, 5, out);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(out[0].event, ST_TE_NEW);
  CU_ASSERT_EQUAL(out[0].ts_ns, 5);
  CU_ASSERT_EQUAL(st_ocache_admit(c, &out[0]), 1);
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 5, out), 0);

  /* Canceled after a partial fill we missed: the fill, then the cancel. */
  o = O("o1", ST_OS_CANCELED, "3", "20");
  n = st_ocache_reconcile(c, &o, 5, out);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_EQUAL(out[0].event, ST_TE_PARTIAL_FILL);
  CU_ASSERT_EQUAL(out[0].order.status, ST_OS_PARTIALLY_FILLED);
  CU_ASSERT_EQUAL(out[0].qty.v, D("3").v);
  CU_ASSERT_EQUAL(out[0].price.v, D("20").v);
  CU_ASSERT_EQUAL(out[1].event, ST_TE_CANCELED);
  CU_ASSERT_EQUAL(out[1].order.status, ST_OS_CANCELED);
  CU_ASSERT_EQUAL(st_ocache_admit(c, &out[0]), 1);
  CU_ASSERT_EQUAL(st_ocache_admit(c, &out[1]), 1);
  /* The stream's cancel, late. */
  {
    st_trade_update u = U("o1", ST_TE_CANCELED, ST_OS_CANCELED, "3", "20", "");

    CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 0);
  }
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 5, out), 0);

  /* An order never seen: its whole state. */
  o = O("o9", ST_OS_FILLED, "2", "7.5");
  n = st_ocache_reconcile(c, &o, 5, out);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(out[0].event, ST_TE_FILL);
  CU_ASSERT_EQUAL(out[0].qty.v, D("2").v);
  CU_ASSERT_EQUAL(out[0].price.v, D("7.5").v);
  /* Unknown statuses are left alone. */
  o = O("o8", ST_OS_UNKNOWN, "0", "0");
  CU_ASSERT_EQUAL(st_ocache_reconcile(c, &o, 5, out), 0);
  st_ocache_destroy(c);
}

static void test_track_and_open_ids(void) {
  st_ocache *c = make(0);
  char ids[4][ST_ORDER_ID_LEN];
  char longid[ST_ORDER_ID_LEN + 5];
  st_trade_update u;
  size_t n;

  CU_ASSERT_EQUAL(st_ocache_track(c, ""), ST_EINVAL);
  CU_ASSERT_EQUAL(st_ocache_track(c, NULL), ST_EINVAL);
  memset(longid, 'x', sizeof(longid) - 1);
  longid[sizeof(longid) - 1] = '\0';
  CU_ASSERT_EQUAL(st_ocache_track(c, longid), ST_EINVAL);
  CU_ASSERT_EQUAL(st_ocache_track(c, "a"), ST_OK);
  CU_ASSERT_EQUAL(st_ocache_track(c, "b"), ST_OK);
  CU_ASSERT_EQUAL(st_ocache_track(c, "c"), ST_OK);
  u = U("b", ST_TE_FILL, ST_OS_FILLED, "10", "1", "e");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  /* Tracking again keeps what is known. */
  CU_ASSERT_EQUAL(st_ocache_track(c, "b"), ST_OK);
  n = st_ocache_open_ids(c, ids, 4);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_STRING_EQUAL(ids[0], "c");
  CU_ASSERT_STRING_EQUAL(ids[1], "a");
  CU_ASSERT_EQUAL(st_ocache_open_ids(c, ids, 1), 1);
  st_ocache_destroy(c);
}

static void test_capacity(void) {
  st_ocache *c = make(2);
  st_ocache_state s;
  st_trade_update u;

  u = U("o1", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o2", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  /* o1 updated most recently, so o2 is forgotten first. */
  u = U("o1", ST_TE_PARTIAL_FILL, ST_OS_PARTIALLY_FILLED, "1", "1", "a");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  u = U("o3", ST_TE_NEW, ST_OS_NEW, "0", "0", "");
  CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "o2", &s), 0);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "o1", &s), 1);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "o3", &s), 1);
  st_ocache_destroy(c);
}

/* Many ids: hash chains and eviction under load. */
static void test_many(void) {
  st_ocache *c = make(1000);
  st_ocache_state s;
  char id[32];
  int i;

  for (i = 0; i < 5000; i++) {
    st_trade_update u;

    snprintf(id, sizeof(id), "order-%d", i);
    u = U(id, ST_TE_FILL, ST_OS_FILLED, "1", "1", "x");
    CU_ASSERT_EQUAL(st_ocache_admit(c, &u), 1);
  }
  snprintf(id, sizeof(id), "order-%d", 4999);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, id, &s), 1);
  CU_ASSERT_EQUAL(st_ocache_lookup(c, "order-0", &s), 0);
  st_ocache_destroy(c);
}

/* Two threads race the same fills of one order (as the stream and the
 * reconciliation may): whatever the interleaving, what is delivered, in
 * delivery order, has strictly growing filled_qty and ends at 10. */
typedef struct race {
  st_ocache *c;
  pthread_mutex_t mu; /* Plays the adapter's delivery lock. */
  int64_t got[64];
  int ngot;
  int reconcile; /* This thread synthesizes from snapshots. */
} race;

typedef struct racer {
  race *r;
  int reconcile;
} racer;

static void *run_race(void *arg) {
  racer *me = arg;
  race *r = me->r;
  static const char *const filled[] = {"1", "2", "3", "5", "8", "10"};
  size_t i;

  for (i = 0; i < 6; i++) {
    const char *f = filled[i];
    st_ostatus st = i == 5 ? ST_OS_FILLED : ST_OS_PARTIALLY_FILLED;

    pthread_mutex_lock(&r->mu);
    if (me->reconcile) {
      st_order o = O("o1", st, f, "10");
      st_trade_update out[2];
      size_t n = st_ocache_reconcile(r->c, &o, 1, out), k;

      for (k = 0; k < n; k++) {
        if (st_ocache_admit(r->c, &out[k]) && r->ngot < 64) {
          r->got[r->ngot++] = out[k].order.filled_qty.v;
        }
      }
    } else {
      char x[8];
      st_trade_update u;

      snprintf(x, sizeof(x), "x%zu", i);
      u = U("o1", i == 5 ? ST_TE_FILL : ST_TE_PARTIAL_FILL, st, f, "10", x);
      if (st_ocache_admit(r->c, &u) && r->ngot < 64) {
        r->got[r->ngot++] = u.order.filled_qty.v;
      }
    }
    pthread_mutex_unlock(&r->mu);
  }
  return NULL;
}

static void test_race(void) {
  int round;

  for (round = 0; round < 200; round++) {
    race r;
    racer a, b;
    pthread_t ta, tb;
    int i;

    memset(&r, 0, sizeof(r));
    r.c = make(0);
    pthread_mutex_init(&r.mu, NULL);
    a.r = b.r = &r;
    a.reconcile = 0;
    b.reconcile = 1;
    pthread_create(&ta, NULL, run_race, &a);
    pthread_create(&tb, NULL, run_race, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CU_ASSERT(r.ngot >= 1 && r.ngot <= 6);
    for (i = 1; i < r.ngot; i++) {
      CU_ASSERT(r.got[i] > r.got[i - 1]);
    }
    CU_ASSERT_EQUAL(r.got[r.ngot - 1], D("10").v);
    pthread_mutex_destroy(&r.mu);
    st_ocache_destroy(r.c);
  }
}

static void test_no_leaks(void) {
  CU_ASSERT_EQUAL(st_alloc_live(), 0);
}

static const st_test tests[] = {
    {"in_order", test_in_order},
    {"duplicates", test_duplicates},
    {"out_of_order", test_out_of_order},
    {"terminal_final", test_terminal_final},
    {"reconcile_then_stream", test_reconcile_then_stream},
    {"stream_then_reconcile", test_stream_then_reconcile},
    {"reconcile_status", test_reconcile_status},
    {"track_and_open_ids", test_track_and_open_ids},
    {"capacity", test_capacity},
    {"many", test_many},
    {"race", test_race},
    {"no_leaks", test_no_leaks},
    {NULL, NULL},
};

ST_TEST_MAIN("order_cache", tests)
