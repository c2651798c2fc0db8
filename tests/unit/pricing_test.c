/* pricing_test.c - unit tests of server/pricing: subscriptions, the quote
 * book, listeners and the service over a fake broker. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/pricing/pricing.h"
#include "server/pricing/symbol.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "tests/unit/cunit_main.h"

#define SEC 1000000000LL
#define MS 1000000LL

/* --- A fake broker: records set_quote_symbols, serves latest_quotes. --- */

#define FAKE_MAX 64

typedef struct fake {
  st_broker base;
  pthread_mutex_t mu;
  int limit;      /* set_quote_symbols refuses more (ST_EOVERFLOW). */
  st_err set_err; /* Next set_quote_symbols fails with this when set. */
  int nset;       /* Successful set_quote_symbols calls. */
  char set[FAKE_MAX][ST_SYMBOL_LEN];
  size_t nsyms;
  st_err latest_err;
  int nlatest;         /* latest_quotes calls. */
  size_t latest_asked; /* Symbols in the last latest_quotes call. */
  st_quote rest[FAKE_MAX];
  size_t nrest;
} fake;

static st_err fake_set(st_broker *b, const char *const *symbols, size_t n,
                       st_brokerr *e) {
  fake *f = (fake *)b;
  st_err err = ST_OK;

  pthread_mutex_lock(&f->mu);
  if (f->set_err != ST_OK) {
    err = f->set_err;
  } else if (n > (size_t)f->limit || n > FAKE_MAX) {
    err = ST_EOVERFLOW;
  } else {
    for (size_t i = 0; i < n; i++) {
      snprintf(f->set[i], ST_SYMBOL_LEN, "%s", symbols[i]);
    }
    f->nsyms = n;
    f->nset++;
  }
  pthread_mutex_unlock(&f->mu);
  if (err != ST_OK && e != NULL) {
    memset(e, 0, sizeof(*e));
    snprintf(e->message, sizeof(e->message), "refused");
  }
  return err;
}

static st_err fake_latest(st_broker *b, const char *const *symbols, size_t n,
                          st_quote *out, st_brokerr *e) {
  fake *f = (fake *)b;
  st_err err;

  pthread_mutex_lock(&f->mu);
  f->nlatest++;
  f->latest_asked = n;
  err = f->latest_err;
  for (size_t i = 0; i < n && err == ST_OK; i++) {
    memset(&out[i], 0, sizeof(out[i]));
    snprintf(out[i].symbol, ST_SYMBOL_LEN, "%s", symbols[i]);
    for (size_t k = 0; k < f->nrest; k++) {
      if (strcmp(f->rest[k].symbol, symbols[i]) == 0) {
        out[i] = f->rest[k];
      }
    }
  }
  pthread_mutex_unlock(&f->mu);
  return err;
}

static void fake_destroy(st_broker *b) {
}

static const st_broker_ops fake_ops = {
    .latest_quotes = fake_latest,
    .set_quote_symbols = fake_set,
    .destroy = fake_destroy,
};

static void fake_init(fake *f) {
  memset(f, 0, sizeof(*f));
  f->base.ops = &fake_ops;
  f->base.name = "fake";
  pthread_mutex_init(&f->mu, NULL);
  f->limit = ST_BROKER_MAX_QUOTE_SYMBOLS;
}

static void fake_rest(fake *f, const char *sym, const char *bid,
                      const char *ask, int64_t ts) {
  st_quote *q = &f->rest[f->nrest++];

  memset(q, 0, sizeof(*q));
  snprintf(q->symbol, ST_SYMBOL_LEN, "%s", sym);
  st_dec_parse(bid, &q->bid);
  st_dec_parse(ask, &q->ask);
  q->bid_size = st_dec_from_int(100);
  q->ask_size = st_dec_from_int(100);
  q->ts_ns = ts;
  q->source = ST_QUOTE_SIM;
}

/* True when the broker's set is exactly the given symbols (any order). */
static int fake_has(fake *f, const char *const *syms, size_t n) {
  int ok;

  pthread_mutex_lock(&f->mu);
  ok = f->nsyms == n;
  for (size_t i = 0; i < n && ok; i++) {
    int found = 0;

    for (size_t k = 0; k < f->nsyms; k++) {
      found |= strcmp(f->set[k], syms[i]) == 0;
    }
    ok = found;
  }
  pthread_mutex_unlock(&f->mu);
  return ok;
}

static int fake_nset(fake *f) {
  int n;

  pthread_mutex_lock(&f->mu);
  n = f->nset;
  pthread_mutex_unlock(&f->mu);
  return n;
}

static st_pricing *open_pricing(fake *f, size_t limit) {
  st_pricing_opts o = {.limit = limit};
  st_pricing *p = NULL;

  fake_init(f);
  CU_ASSERT_EQUAL_FATAL(st_pricing_create(&f->base, &o, &p), ST_OK);
  return p;
}

static void close_pricing(st_pricing *p, fake *f) {
  st_pricing_destroy(p);
  pthread_mutex_destroy(&f->mu);
}

static st_dec D(const char *s) {
  st_dec d = ST_DEC_ZERO;

  CU_ASSERT_EQUAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

static st_quote Q(const char *sym, const char *bid, const char *ask,
                  int64_t received_ns) {
  st_quote q;

  memset(&q, 0, sizeof(q));
  snprintf(q.symbol, ST_SYMBOL_LEN, "%s", sym);
  q.bid = D(bid);
  q.ask = D(ask);
  q.bid_size = st_dec_from_int(100);
  q.ask_size = st_dec_from_int(200);
  q.ts_ns = received_ns;
  q.received_ns = received_ns;
  q.source = ST_QUOTE_STREAM;
  return q;
}

static void sub_ok(st_pricing *p, const char *owner, const char *const *syms,
                   size_t n, double prio) {
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, owner, syms, n, prio, NULL, NULL),
                  ST_OK);
}

static double prio_of(st_pricing *p, const char *sym) {
  double d = -1;

  if (st_pricing_priority(p, sym, &d) != ST_OK) {
    return -1;
  }
  return d;
}

/* --- Symbols. --- */

static void test_symbol_norm(void) {
  char out[ST_SYMBOL_LEN];

  CU_ASSERT_EQUAL(st_pricing_symbol_norm("aapl", out), ST_OK);
  CU_ASSERT_STRING_EQUAL(out, "AAPL");
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("brk.b", out), ST_OK);
  CU_ASSERT_STRING_EQUAL(out, "BRK.B");
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("ABCDEFGHIJ", out), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("ABCDEFGHIJK", out), ST_EINVAL);
  CU_ASSERT_STRING_EQUAL(out, "");
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("", out), ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_symbol_norm(NULL, out), ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("AA PL", out), ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_symbol_norm("AA-PL", out), ST_EINVAL);
}

/* --- Subscriptions. --- */

static void test_bulk_is_one_broker_call(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *syms[] = {"aapl", "MSFT", "spy", "QQQ", "IWM"};
  const char *want[] = {"AAPL", "MSFT", "SPY", "QQQ", "IWM"};
  st_pricing_sub_report rep;

  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:p1", syms, 5,
                                       ST_PRICING_EXEC_PRIORITY, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(fake_nset(&f), 1);
  CU_ASSERT(fake_has(&f, want, 5));
  CU_ASSERT_EQUAL(rep.nresults, 5);
  CU_ASSERT_EQUAL(rep.nrefused, 0);
  CU_ASSERT_EQUAL(rep.nevicted, 0);
  for (size_t i = 0; i < 5; i++) {
    CU_ASSERT_STRING_EQUAL(rep.results[i].symbol, want[i]);
    CU_ASSERT_EQUAL(rep.results[i].status, ST_PRICING_SUB_ADDED);
    CU_ASSERT_EQUAL(rep.results[i].priority, ST_PRICING_EXEC_PRIORITY);
  }
  st_pricing_sub_report_free(&rep);
  CU_ASSERT_PTR_NULL(rep.results);
  /* Symbols already held: the claim is added, the broker is not called. */
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "rpc", syms, 2, 1.0, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_KEPT);
  CU_ASSERT_EQUAL(rep.results[0].priority, ST_PRICING_EXEC_PRIORITY);
  CU_ASSERT_EQUAL(fake_nset(&f), 1);
  st_pricing_sub_report_free(&rep);
  close_pricing(p, &f);
}

static void test_resubscribe_keeps_max(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *a[] = {"AAPL"};

  sub_ok(p, "rpc", a, 1, 5.0);
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), 5.0);
  sub_ok(p, "rpc", a, 1, 3.0);
  CU_ASSERT_EQUAL(prio_of(p, "aapl"), 5.0);
  sub_ok(p, "rpc", a, 1, 7.0);
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), 7.0);
  /* Another owner lower: the symbol keeps the max over its claims. */
  sub_ok(p, "stream:1", a, 1, 2.0);
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), 7.0);
  CU_ASSERT_EQUAL(fake_nset(&f), 1);
  close_pricing(p, &f);
}

static void test_equal_priority_rejected(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 3);
  const char *abc[] = {"A", "B", "C"};
  const char *d[] = {"D"};
  st_pricing_sub_report rep;

  sub_ok(p, "rpc", abc, 3, 5.0);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "x", d, 1, 5.0, &rep, NULL), ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_FULL);
  CU_ASSERT_EQUAL(rep.nrefused, 1);
  CU_ASSERT_EQUAL(rep.nevicted, 0);
  CU_ASSERT_EQUAL(fake_nset(&f), 1); /* Nothing changed: no broker call. */
  CU_ASSERT(fake_has(&f, abc, 3));
  st_pricing_sub_report_free(&rep);
  /* Lower is rejected too. */
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "x", d, 1, 4.0, &rep, NULL), ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_FULL);
  st_pricing_sub_report_free(&rep);
  /* Strictly higher replaces the oldest of the lowest. */
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "x", d, 1, 5.5, &rep, NULL), ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.nevicted, 1);
  CU_ASSERT_STRING_EQUAL(rep.evicted[0].symbol, "A");
  CU_ASSERT_STRING_EQUAL(rep.evicted[0].owner, "rpc");
  CU_ASSERT_EQUAL(rep.evicted[0].priority, 5.0);
  st_pricing_sub_report_free(&rep);
  {
    const char *want[] = {"B", "C", "D"};

    CU_ASSERT(fake_has(&f, want, 3));
  }
  CU_ASSERT_EQUAL(fake_nset(&f), 2);
  CU_ASSERT_EQUAL(prio_of(p, "A"), -1);
  close_pricing(p, &f);
}

static void test_bulk_evicts_lowest_and_reports_overflow(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 4);
  const char *a[] = {"A"}, *b[] = {"B"}, *c[] = {"C"}, *d[] = {"D"};
  const char *bulk[] = {"E", "F", "G", "H"};
  st_pricing_sub_report rep;

  sub_ok(p, "o1", a, 1, 1.0);
  sub_ok(p, "o2", b, 1, 3.0);
  sub_ok(p, "o3", c, 1, 2.0);
  sub_ok(p, "o4", d, 1, 10.0);
  sub_ok(p, "o5", a, 1, 1.0); /* A has two claims: both are reported. */
  CU_ASSERT_EQUAL(fake_nset(&f), 4);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:p", bulk, 4, 5.0, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(fake_nset(&f), 5); /* One call for the whole bulk. */
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.results[1].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.results[2].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.results[3].status, ST_PRICING_SUB_FULL);
  CU_ASSERT_EQUAL(rep.results[3].priority, 0);
  CU_ASSERT_EQUAL(rep.nrefused, 1);
  /* Evicted lowest first: A (two claims), C, B; D (10) stays. */
  CU_ASSERT_EQUAL_FATAL(rep.nevicted, 4);
  CU_ASSERT_STRING_EQUAL(rep.evicted[0].symbol, "A");
  CU_ASSERT_STRING_EQUAL(rep.evicted[0].owner, "o1");
  CU_ASSERT_STRING_EQUAL(rep.evicted[1].symbol, "A");
  CU_ASSERT_STRING_EQUAL(rep.evicted[1].owner, "o5");
  CU_ASSERT_STRING_EQUAL(rep.evicted[2].symbol, "C");
  CU_ASSERT_STRING_EQUAL(rep.evicted[3].symbol, "B");
  st_pricing_sub_report_free(&rep);
  {
    const char *want[] = {"D", "E", "F", "G"};

    CU_ASSERT(fake_has(&f, want, 4));
  }
  close_pricing(p, &f);
}

static void test_limit_30(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  char names[31][8];
  const char *syms[31];
  st_pricing_sub_report rep;
  st_pricing_claim *claims;
  size_t n;

  for (int i = 0; i < 31; i++) {
    snprintf(names[i], sizeof(names[i]), "S%d", i);
    syms[i] = names[i];
  }
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "rpc", syms, 31, 1.0, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(rep.nrefused, 1);
  CU_ASSERT_EQUAL(rep.results[30].status, ST_PRICING_SUB_FULL);
  st_pricing_sub_report_free(&rep);
  CU_ASSERT_EQUAL(fake_nset(&f), 1);
  CU_ASSERT(fake_has(&f, syms, 30));
  CU_ASSERT_EQUAL(st_pricing_claims(p, &claims, &n), ST_OK);
  CU_ASSERT_EQUAL(n, 30);
  st_free(claims);
  /* An execution still gets its slot. */
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:p", &syms[30], 1,
                                       ST_PRICING_EXEC_PRIORITY, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.nevicted, 1);
  CU_ASSERT_STRING_EQUAL(rep.evicted[0].symbol, "S0");
  st_pricing_sub_report_free(&rep);
  close_pricing(p, &f);
}

static void test_owners(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *two[] = {"AAPL", "MSFT"};
  const char *aapl[] = {"AAPL"};
  st_pricing_claim *claims;
  size_t n;

  sub_ok(p, "exec:p1", two, 2, ST_PRICING_EXEC_PRIORITY);
  sub_ok(p, "rpc", aapl, 1, ST_PRICING_RPC_PRIORITY);
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), ST_PRICING_EXEC_PRIORITY);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe_all(p, "exec:p1", NULL), ST_OK);
  CU_ASSERT(fake_has(&f, aapl, 1));
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), ST_PRICING_RPC_PRIORITY);
  CU_ASSERT_EQUAL(prio_of(p, "MSFT"), -1);
  CU_ASSERT_EQUAL(st_pricing_claims(p, &claims, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_STRING_EQUAL(claims[0].symbol, "AAPL");
  CU_ASSERT_STRING_EQUAL(claims[0].owner, "rpc");
  st_free(claims);
  /* Another owner's unsubscribe does not touch the manual claim. */
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "exec:p2", aapl, 1, NULL), ST_OK);
  CU_ASSERT_EQUAL(prio_of(p, "AAPL"), ST_PRICING_RPC_PRIORITY);
  close_pricing(p, &f);
}

static void test_unsubscribe_idempotent(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *ab[] = {"A", "B"};
  const char *a[] = {"a"}, *b[] = {"B"}, *zz[] = {"ZZ"}, *bad[] = {"A-B"};

  sub_ok(p, "rpc", ab, 2, 1.0);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", a, 1, NULL), ST_OK);
  CU_ASSERT(fake_has(&f, b, 1));
  CU_ASSERT_EQUAL(fake_nset(&f), 2);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", a, 1, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", zz, 1, NULL), ST_OK);
  CU_ASSERT_EQUAL(fake_nset(&f), 2);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", bad, 1, NULL), ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, NULL, b, 1, NULL), ST_EINVAL);
  CU_ASSERT_EQUAL(prio_of(p, "B"), 1.0);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe_all(p, "rpc", NULL), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_unsubscribe_all(p, "rpc", NULL), ST_OK);
  CU_ASSERT(fake_has(&f, NULL, 0));
  CU_ASSERT_EQUAL(fake_nset(&f), 3);
  close_pricing(p, &f);
}

static void test_bad_arguments(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *mixed[] = {"AAPL", "bad sym", "TOOLONGSYMBOL", "msft", "AAPL"};
  const char *a[] = {"A"};
  char longowner[ST_PRICING_OWNER_LEN + 1];
  st_pricing_sub_report rep;

  memset(longowner, 'x', sizeof(longowner) - 1);
  longowner[sizeof(longowner) - 1] = '\0';
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, NULL, a, 1, 1.0, &rep, NULL),
                  ST_EINVAL);
  CU_ASSERT_PTR_NULL(rep.results);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "", a, 1, 1.0, NULL, NULL),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, longowner, a, 1, 1.0, NULL, NULL),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "rpc", a, 1, NAN, NULL, NULL),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(fake_nset(&f), 0);
  /* Invalid symbols are reported; the rest proceed; repeats count once. */
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "rpc", mixed, 5, 1.0, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(rep.results[0].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_EQUAL(rep.results[1].status, ST_PRICING_SUB_INVALID);
  CU_ASSERT_EQUAL(rep.results[2].status, ST_PRICING_SUB_INVALID);
  CU_ASSERT_EQUAL(rep.results[3].status, ST_PRICING_SUB_ADDED);
  CU_ASSERT_STRING_EQUAL(rep.results[3].symbol, "MSFT");
  CU_ASSERT_STRING_EQUAL(rep.results[4].symbol, "AAPL");
  CU_ASSERT_EQUAL(rep.results[4].priority, 1.0);
  CU_ASSERT_EQUAL(rep.nrefused, 2);
  st_pricing_sub_report_free(&rep);
  {
    const char *want[] = {"AAPL", "MSFT"};

    CU_ASSERT(fake_has(&f, want, 2));
  }
  close_pricing(p, &f);
}

static void test_rollback_on_broker_refusal(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 2);
  const char *ab[] = {"A", "B"};
  const char *cd[] = {"C", "D"};
  st_pricing_sub_report rep;
  st_brokerr e;

  sub_ok(p, "rpc", ab, 2, 1.0);
  f.set_err = ST_ETRANSIENT;
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:p", cd, 2,
                                       ST_PRICING_EXEC_PRIORITY, &rep, &e),
                  ST_ETRANSIENT);
  CU_ASSERT_STRING_EQUAL(e.message, "refused");
  CU_ASSERT_PTR_NULL(rep.results);
  CU_ASSERT_EQUAL(rep.nevicted, 0);
  /* Nothing changed: A and B (not evicted), and the broker kept them. */
  CU_ASSERT_EQUAL(prio_of(p, "A"), 1.0);
  CU_ASSERT_EQUAL(prio_of(p, "B"), 1.0);
  CU_ASSERT_EQUAL(prio_of(p, "C"), -1);
  CU_ASSERT(fake_has(&f, ab, 2));
  f.set_err = ST_OK;
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:p", cd, 2,
                                       ST_PRICING_EXEC_PRIORITY, &rep, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(rep.nevicted, 2);
  st_pricing_sub_report_free(&rep);
  CU_ASSERT(fake_has(&f, cd, 2));
  close_pricing(p, &f);
}

static void test_broker_limit_refusal(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 40); /* Above the broker's 30. */
  char names[35][8];
  const char *syms[35];

  for (int i = 0; i < 35; i++) {
    snprintf(names[i], sizeof(names[i]), "T%d", i);
    syms[i] = names[i];
  }
  sub_ok(p, "rpc", syms, 20, 1.0);
  CU_ASSERT_EQUAL(
      st_pricing_subscribe(p, "rpc", &syms[20], 15, 1.0, NULL, NULL),
      ST_EOVERFLOW);
  CU_ASSERT_EQUAL(prio_of(p, "T19"), 1.0);
  CU_ASSERT_EQUAL(prio_of(p, "T20"), -1);
  CU_ASSERT(fake_has(&f, syms, 20));
  close_pricing(p, &f);
}

static void test_unsubscribe_push_failure(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *ab[] = {"A", "B"};
  const char *a[] = {"A"}, *b[] = {"B"};

  sub_ok(p, "rpc", ab, 2, 1.0);
  f.set_err = ST_ETRANSIENT;
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", a, 1, NULL), ST_ETRANSIENT);
  CU_ASSERT_EQUAL(prio_of(p, "A"), -1); /* The claim is gone all the same. */
  CU_ASSERT(fake_has(&f, ab, 2));
  f.set_err = ST_OK;
  /* Repeating the unsubscribe sends the set again. */
  CU_ASSERT_EQUAL(st_pricing_unsubscribe(p, "rpc", a, 1, NULL), ST_OK);
  CU_ASSERT(fake_has(&f, b, 1));
  CU_ASSERT_EQUAL(fake_nset(&f), 2);
  close_pricing(p, &f);
}

/* --- The quote book. --- */

static void test_one_sided_quotes(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  int64_t t = st_now_ns();
  st_quote q = Q("aapl", "100.00", "100.05", t);
  st_quote got;
  st_pricing_record r;

  CU_ASSERT_EQUAL(st_pricing_get(p, "AAPL", &got), ST_ENOTFOUND);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "AAPL", &got), ST_OK);
  CU_ASSERT_STRING_EQUAL(got.symbol, "AAPL");
  CU_ASSERT_EQUAL(st_dec_cmp(got.bid, D("100.00")), 0);
  CU_ASSERT_EQUAL(got.received_ns, t);
  /* Bid only: stored as it came; the ask is not filled from the bid. */
  q = Q("AAPL", "100.10", "0", t + 1);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "AAPL", &got), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(got.bid, D("100.10")), 0);
  CU_ASSERT(st_dec_is_zero(got.ask));
  /* ...and the zero did not overwrite the good ask of the record. */
  CU_ASSERT_EQUAL(st_pricing_get_record(p, "AAPL", &r), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(r.ask, D("100.05")), 0);
  CU_ASSERT_EQUAL(r.ask_received_ns, t);
  CU_ASSERT_EQUAL(st_dec_cmp(r.bid, D("100.10")), 0);
  CU_ASSERT_EQUAL(r.bid_received_ns, t + 1);
  /* Ask only. */
  q = Q("AAPL", "0", "100.20", t + 2);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get_record(p, "AAPL", &r), ST_OK);
  CU_ASSERT(st_dec_is_zero(r.quote.bid));
  CU_ASSERT_EQUAL(st_dec_cmp(r.bid, D("100.10")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(r.ask, D("100.20")), 0);
  /* Neither side: dropped, the earlier quote stays. */
  q = Q("AAPL", "0", "0", t + 3);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "AAPL", &got), ST_OK);
  CU_ASSERT_EQUAL(got.received_ns, t + 2);
  close_pricing(p, &f);
}

static void test_bad_quotes_refused(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  int64_t t = st_now_ns();
  st_quote q = Q("MSFT", "-1.00", "2.00", t), got;

  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "MSFT", &got), ST_ENOTFOUND);
  q = Q("MSFT", "1.00", "2.00", t);
  st_pricing_on_quote(p, &q);
  q = Q("MSFT", "1.50", "-2.00", t + 1);
  st_pricing_on_quote(p, &q);
  q = Q("MSFT", "1.50", "2.50", t + 1);
  q.ask_size = st_dec_from_int(-5);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "MSFT", &got), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(got.bid, D("1.00")), 0);
  /* Older than the one held (exchange time): dropped. */
  q = Q("MSFT", "0.90", "2.00", t - 1);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "MSFT", &got), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(got.bid, D("1.00")), 0);
  /* Bad symbols. */
  q = Q("BAD SYM", "1.00", "2.00", t);
  st_pricing_on_quote(p, &q);
  memset(q.symbol, 'A', sizeof(q.symbol)); /* Not even NUL-terminated. */
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "BAD SYM", &got), ST_EINVAL);
  /* No received time: stamped on arrival. */
  q = Q("SPY", "1.00", "2.00", 0);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_get(p, "SPY", &got), ST_OK);
  CU_ASSERT(got.received_ns >= t);
  close_pricing(p, &f);
}

typedef struct later {
  st_pricing *p;
  st_quote q;
  int delay_ms;
} later;

static void *send_later(void *arg) {
  later *l = arg;

  st_sleep_ms(l->delay_ms);
  l->q.received_ns = 0; /* Stamped on arrival. */
  st_pricing_on_quote(l->p, &l->q);
  return NULL;
}

static void test_wait(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  int64_t t0 = st_now_ns();
  st_quote got;
  later l;
  pthread_t th;

  /* Times out without a quote. */
  CU_ASSERT_EQUAL(st_pricing_wait(p, "AAPL", t0, t0 + 50 * MS, &got),
                  ST_ETIMEDOUT);
  CU_ASSERT(st_now_ns() - t0 >= 49 * MS);
  /* Wakes on arrival. */
  l.p = p;
  l.q = Q("aapl", "10.00", "10.01", 0);
  l.delay_ms = 50;
  t0 = st_now_ns();
  pthread_create(&th, NULL, send_later, &l);
  CU_ASSERT_EQUAL(st_pricing_wait(p, "AAPL", t0, t0 + 10 * SEC, &got), ST_OK);
  CU_ASSERT(st_now_ns() - t0 < 5 * SEC);
  CU_ASSERT(got.received_ns > t0);
  CU_ASSERT_EQUAL(st_dec_cmp(got.ask, D("10.01")), 0);
  pthread_join(th, NULL);
  /* A quote already newer than after_ns: at once. */
  CU_ASSERT_EQUAL(st_pricing_wait(p, "AAPL", t0, t0 + 1, &got), ST_OK);
  /* Not newer: waits for the next one. */
  CU_ASSERT_EQUAL(
      st_pricing_wait(p, "AAPL", got.received_ns, st_now_ns() + 20 * MS, &got),
      ST_ETIMEDOUT);
  close_pricing(p, &f);
}

typedef struct waiter {
  st_pricing *p;
  st_err err;
} waiter;

static void *wait_forever(void *arg) {
  waiter *w = arg;
  st_quote q;

  w->err = st_pricing_wait(w->p, "NONE", 0, 0, &q);
  return NULL;
}

static void test_shutdown_wakes_waiters(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  waiter w = {p, ST_OK};
  pthread_t th;
  st_quote q;

  pthread_create(&th, NULL, wait_forever, &w);
  st_sleep_ms(20);
  st_pricing_shutdown(p);
  pthread_join(th, NULL);
  CU_ASSERT_EQUAL(w.err, ST_ECANCELED);
  CU_ASSERT_EQUAL(st_pricing_wait(p, "X", 0, st_now_ns() + SEC, &q),
                  ST_ECANCELED);
  close_pricing(p, &f);
}

static void test_fetch(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  int64_t now = st_now_ns();
  st_quote q, out[4], got;
  const char *syms[] = {"AAPL", "msft", "SPY", "NOPE"};

  q = Q("AAPL", "100.00", "100.05", now);
  st_pricing_on_quote(p, &q);
  q = Q("MSFT", "300.00", "300.10", now - 10 * SEC); /* Stale. */
  st_pricing_on_quote(p, &q);
  fake_rest(&f, "MSFT", "301.00", "301.10", now - SEC);
  fake_rest(&f, "SPY", "500.00", "500.02", now - SEC);
  /* Fresh: from the book, no REST call. */
  CU_ASSERT_EQUAL(st_pricing_fetch(p, syms, 1, out, NULL), ST_OK);
  CU_ASSERT_EQUAL(out[0].source, ST_QUOTE_STREAM);
  CU_ASSERT_EQUAL(f.nlatest, 0);
  /* Stale and missing: one REST call for all of them. */
  CU_ASSERT_EQUAL(st_pricing_fetch(p, syms, 4, out, NULL), ST_OK);
  CU_ASSERT_EQUAL(f.nlatest, 1);
  CU_ASSERT_EQUAL(f.latest_asked, 3);
  CU_ASSERT_EQUAL(out[0].source, ST_QUOTE_STREAM);
  CU_ASSERT_STRING_EQUAL(out[1].symbol, "MSFT");
  CU_ASSERT_EQUAL(out[1].source, ST_QUOTE_REST);
  CU_ASSERT_EQUAL(st_dec_cmp(out[1].bid, D("301.00")), 0);
  CU_ASSERT_EQUAL(out[2].source, ST_QUOTE_REST);
  CU_ASSERT_EQUAL(st_dec_cmp(out[2].ask, D("500.02")), 0);
  CU_ASSERT_STRING_EQUAL(out[3].symbol, "NOPE");
  CU_ASSERT_EQUAL(out[3].ts_ns, 0);
  /* The REST quotes went into the book. */
  CU_ASSERT_EQUAL(st_pricing_get(p, "SPY", &got), ST_OK);
  CU_ASSERT_EQUAL(got.source, ST_QUOTE_REST);
  CU_ASSERT_EQUAL(st_pricing_get(p, "MSFT", &got), ST_OK);
  CU_ASSERT_EQUAL(st_dec_cmp(got.bid, D("301.00")), 0);
  /* ...so they are fresh now: only NOPE is asked again. */
  CU_ASSERT_EQUAL(st_pricing_fetch(p, syms, 4, out, NULL), ST_OK);
  CU_ASSERT_EQUAL(f.nlatest, 2);
  CU_ASSERT_EQUAL(f.latest_asked, 1);
  /* A REST failure keeps the stale book quote and says so. */
  q = Q("QQQ", "400.00", "400.10", now - 10 * SEC);
  st_pricing_on_quote(p, &q);
  f.latest_err = ST_ETRANSIENT;
  {
    const char *s2[] = {"QQQ", "NOPE"};

    CU_ASSERT_EQUAL(st_pricing_fetch(p, s2, 2, out, NULL), ST_ETRANSIENT);
    CU_ASSERT_EQUAL(st_dec_cmp(out[0].bid, D("400.00")), 0);
    CU_ASSERT_EQUAL(out[0].source, ST_QUOTE_STREAM);
    CU_ASSERT_EQUAL(out[1].ts_ns, 0);
    CU_ASSERT_STRING_EQUAL(out[1].symbol, "NOPE");
  }
  {
    const char *bad[] = {"AAPL", "no good"};

    CU_ASSERT_EQUAL(st_pricing_fetch(p, bad, 2, out, NULL), ST_EINVAL);
  }
  close_pricing(p, &f);
}

static void test_prune(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  int64_t now = st_now_ns();
  st_quote q, got;

  q = Q("OLD", "1.00", "1.01", now - 400 * SEC);
  st_pricing_on_quote(p, &q);
  q = Q("NEW", "1.00", "1.01", now - 10 * SEC);
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(st_pricing_prune(p, now, ST_PRICING_PRUNE_MAX_AGE_NS), 1);
  CU_ASSERT_EQUAL(st_pricing_get(p, "OLD", &got), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_pricing_get(p, "NEW", &got), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_prune(p, now, ST_PRICING_PRUNE_MAX_AGE_NS), 0);
  close_pricing(p, &f);
}

/* --- Listeners. --- */

typedef struct counter {
  atomic_int calls;
  atomic_int after; /* Set once unlisten returned. */
  atomic_int late;  /* Calls seen after that: must stay 0. */
  atomic_int busy;  /* Calls running now. */
  st_pricing *p;
  int id;
  int self_remove;
  int sleep_us;
  char last[ST_SYMBOL_LEN];
} counter;

static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;

static void count_fn(void *ud, const st_quote *q) {
  counter *c = ud;

  atomic_fetch_add(&c->busy, 1);
  if (atomic_load(&c->after)) {
    atomic_fetch_add(&c->late, 1);
  }
  atomic_fetch_add(&c->calls, 1);
  pthread_mutex_lock(&last_mu);
  snprintf(c->last, sizeof(c->last), "%s", q->symbol);
  pthread_mutex_unlock(&last_mu);
  if (c->self_remove) {
    CU_ASSERT_EQUAL(st_pricing_unlisten(c->p, c->id), ST_OK);
  }
  if (c->sleep_us > 0) {
    struct timespec ts = {0, (long)c->sleep_us * 1000};

    nanosleep(&ts, NULL);
  }
  atomic_fetch_sub(&c->busy, 1);
}

static void test_listeners(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  const char *aapl[] = {"aapl"}, *bad[] = {"x y"};
  counter one, all;
  int id1, id2;
  st_quote q;

  memset(&one, 0, sizeof(one));
  memset(&all, 0, sizeof(all));
  CU_ASSERT_EQUAL(st_pricing_listen(p, aapl, 1, count_fn, &one, &id1), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_listen(p, NULL, 0, count_fn, &all, &id2), ST_OK);
  CU_ASSERT_NOT_EQUAL(id1, id2);
  CU_ASSERT_EQUAL(st_pricing_listen(p, bad, 1, count_fn, &one, &id1),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_pricing_listen(p, aapl, 1, NULL, &one, &id1), ST_EINVAL);
  CU_ASSERT_EQUAL(id1, 0);
  id1 = id2 - 1; /* Ids are handed out in order. */
  q = Q("AAPL", "1.00", "1.01", st_now_ns());
  st_pricing_on_quote(p, &q);
  q = Q("MSFT", "1.00", "1.01", st_now_ns());
  st_pricing_on_quote(p, &q);
  q = Q("MSFT", "-1.00", "1.01", st_now_ns()); /* Refused: not passed on. */
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(atomic_load(&one.calls), 1);
  CU_ASSERT_STRING_EQUAL(one.last, "AAPL");
  CU_ASSERT_EQUAL(atomic_load(&all.calls), 2);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, id1), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, id1), ST_ENOTFOUND);
  q = Q("AAPL", "1.00", "1.01", st_now_ns());
  st_pricing_on_quote(p, &q);
  CU_ASSERT_EQUAL(atomic_load(&one.calls), 1);
  CU_ASSERT_EQUAL(atomic_load(&all.calls), 3);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, id2), ST_OK);
  close_pricing(p, &f);
}

static void test_unlisten_from_inside(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  counter c, other;
  int other_id;
  st_quote q;

  memset(&c, 0, sizeof(c));
  memset(&other, 0, sizeof(other));
  c.p = p;
  c.self_remove = 1;
  CU_ASSERT_EQUAL(st_pricing_listen(p, NULL, 0, count_fn, &c, &c.id), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_listen(p, NULL, 0, count_fn, &other, &other_id),
                  ST_OK);
  for (int i = 0; i < 3; i++) {
    q = Q("AAPL", "1.00", "1.01", st_now_ns() + i);
    st_pricing_on_quote(p, &q);
  }
  CU_ASSERT_EQUAL(atomic_load(&c.calls), 1);
  CU_ASSERT_EQUAL(atomic_load(&other.calls), 3);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, c.id), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, other_id), ST_OK);
  close_pricing(p, &f);
}

typedef struct pump {
  st_pricing *p;
  atomic_int stop;
  atomic_long sent;
  int nsyms;
} pump;

static void *pump_quotes(void *arg) {
  pump *pm = arg;
  static const char *const syms[] = {"AAPL", "MSFT", "SPY", "QQQ",
                                     "IWM",  "TLT",  "GLD", "XLE"};
  long i = 0;

  while (!atomic_load(&pm->stop)) {
    st_quote q;

    memset(&q, 0, sizeof(q));
    snprintf(q.symbol, ST_SYMBOL_LEN, "%s", syms[i % pm->nsyms]);
    q.bid = st_dec_from_units(10000 + i % 100, 2);
    q.ask = st_dec_from_units(10001 + i % 100, 2);
    q.bid_size = st_dec_from_int(1);
    q.ask_size = st_dec_from_int(1);
    q.source = ST_QUOTE_STREAM;
    st_pricing_on_quote(pm->p, &q);
    atomic_fetch_add(&pm->sent, 1);
    i++;
  }
  return NULL;
}

static void test_unlisten_while_quotes_flow(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 0);
  pump pm;
  pthread_t th[2];
  const char *aapl[] = {"AAPL"};

  memset(&pm, 0, sizeof(pm));
  pm.p = p;
  pm.nsyms = 2;
  pthread_create(&th[0], NULL, pump_quotes, &pm);
  pthread_create(&th[1], NULL, pump_quotes, &pm);
  for (int round = 0; round < 20; round++) {
    counter *c = st_calloc(1, sizeof(*c));
    int id;
    int64_t until = st_now_ns() + 2 * SEC;

    c->sleep_us = 200;
    CU_ASSERT_EQUAL_FATAL(st_pricing_listen(p, aapl, 1, count_fn, c, &id),
                          ST_OK);
    while (atomic_load(&c->calls) < 3 && st_now_ns() < until) {
      st_sleep_ms(1);
    }
    CU_ASSERT_EQUAL(st_pricing_unlisten(p, id), ST_OK);
    /* fn is not running and will not run: c can go. */
    CU_ASSERT_EQUAL(atomic_load(&c->busy), 0);
    atomic_store(&c->after, 1);
    st_sleep_ms(2);
    CU_ASSERT_EQUAL(atomic_load(&c->late), 0);
    CU_ASSERT(atomic_load(&c->calls) >= 3);
    st_free(c); /* ASan reports any later call. */
  }
  atomic_store(&pm.stop, 1);
  pthread_join(th[0], NULL);
  pthread_join(th[1], NULL);
  CU_ASSERT(atomic_load(&pm.sent) > 0);
  close_pricing(p, &f);
}

/* --- Concurrency smoke test. --- */

typedef struct worker {
  st_pricing *p;
  int n;
  unsigned seed;
  int errors;
} worker;

static const char *const universe[] = {"AAPL", "MSFT", "SPY",   "QQQ",  "IWM",
                                       "TLT",  "GLD",  "XLE",   "XLF",  "XLK",
                                       "NVDA", "AMD",  "TSLA",  "META", "AMZN",
                                       "GOOG", "NFLX", "BRK.B", "JPM",  "BAC"};
#define NUNIVERSE (sizeof(universe) / sizeof(universe[0]))

static void *work(void *arg) {
  worker *w = arg;
  char owner[32];

  snprintf(owner, sizeof(owner), "exec:%d", w->n);
  for (int i = 0; i < 300; i++) {
    const char *syms[5];
    int k = 1 + (int)(rand_r(&w->seed) % 5);
    int op = (int)(rand_r(&w->seed) % 10);
    st_pricing_sub_report rep;
    st_quote out[5];

    for (int j = 0; j < k; j++) {
      syms[j] = universe[rand_r(&w->seed) % NUNIVERSE];
    }
    if (op < 5) {
      if (st_pricing_subscribe(w->p, owner, syms, (size_t)k,
                               (double)(1 + rand_r(&w->seed) % 10), &rep,
                               NULL) != ST_OK) {
        w->errors++;
      }
      st_pricing_sub_report_free(&rep);
    } else if (op < 7) {
      if (st_pricing_unsubscribe(w->p, owner, syms, (size_t)k, NULL) != ST_OK) {
        w->errors++;
      }
    } else if (op < 8) {
      if (st_pricing_unsubscribe_all(w->p, owner, NULL) != ST_OK) {
        w->errors++;
      }
    } else {
      if (st_pricing_fetch(w->p, syms, (size_t)k, out, NULL) != ST_OK) {
        w->errors++;
      }
    }
  }
  return NULL;
}

static void test_concurrency_smoke(void) {
  fake f;
  st_pricing *p = open_pricing(&f, 10);
  worker w[4];
  pthread_t th[4], pt;
  pump pm;
  st_pricing_claim *claims;
  size_t n;
  counter c;
  int id;
  const char *held[10];
  size_t nheld = 0;

  for (size_t i = 0; i < NUNIVERSE; i++) {
    fake_rest(&f, universe[i], "10.00", "10.01", st_now_ns());
  }
  memset(&c, 0, sizeof(c));
  CU_ASSERT_EQUAL(st_pricing_listen(p, NULL, 0, count_fn, &c, &id), ST_OK);
  memset(&pm, 0, sizeof(pm));
  pm.p = p;
  pm.nsyms = 8;
  pthread_create(&pt, NULL, pump_quotes, &pm);
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){p, i, (unsigned)(i + 1) * 7919u, 0};
    pthread_create(&th[i], NULL, work, &w[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CU_ASSERT_EQUAL(w[i].errors, 0);
  }
  atomic_store(&pm.stop, 1);
  pthread_join(pt, NULL);
  CU_ASSERT_EQUAL(st_pricing_unlisten(p, id), ST_OK);
  CU_ASSERT(atomic_load(&c.calls) > 0);
  /* The broker ends with exactly the subscribed set, within the limit. */
  CU_ASSERT_EQUAL(st_pricing_claims(p, &claims, &n), ST_OK);
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(claims[i].symbol, claims[i - 1].symbol) != 0) {
      CU_ASSERT_FATAL(nheld < 10);
      held[nheld++] = claims[i].symbol;
    }
  }
  CU_ASSERT(fake_has(&f, held, nheld));
  st_free(claims);
  for (int i = 0; i < 4; i++) {
    char owner[32];

    snprintf(owner, sizeof(owner), "exec:%d", i);
    CU_ASSERT_EQUAL(st_pricing_unsubscribe_all(p, owner, NULL), ST_OK);
  }
  CU_ASSERT(fake_has(&f, NULL, 0));
  close_pricing(p, &f);
}

static void test_no_leaks(void) {
  long live = st_alloc_live();
  fake f;
  st_pricing *p = open_pricing(&f, 2);
  const char *abc[] = {"A", "B", "C"};
  st_pricing_sub_report rep;
  st_quote q = Q("A", "1.00", "1.01", st_now_ns());
  int id;
  counter c;

  memset(&c, 0, sizeof(c));
  CU_ASSERT_EQUAL(st_pricing_listen(p, abc, 3, count_fn, &c, &id), ST_OK);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "rpc", abc, 3, 1.0, &rep, NULL),
                  ST_OK);
  st_pricing_sub_report_free(&rep);
  CU_ASSERT_EQUAL(st_pricing_subscribe(p, "exec:x", abc, 3, 2.0, &rep, NULL),
                  ST_OK);
  st_pricing_sub_report_free(&rep);
  st_pricing_on_quote(p, &q);
  close_pricing(p, &f); /* With a listener and claims left. */
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static const st_test tests[] = {
    {"symbol_norm", test_symbol_norm},
    {"bulk_is_one_broker_call", test_bulk_is_one_broker_call},
    {"resubscribe_keeps_max", test_resubscribe_keeps_max},
    {"equal_priority_rejected", test_equal_priority_rejected},
    {"bulk_evicts_lowest_and_reports_overflow",
     test_bulk_evicts_lowest_and_reports_overflow},
    {"limit_30", test_limit_30},
    {"owners", test_owners},
    {"unsubscribe_idempotent", test_unsubscribe_idempotent},
    {"bad_arguments", test_bad_arguments},
    {"rollback_on_broker_refusal", test_rollback_on_broker_refusal},
    {"broker_limit_refusal", test_broker_limit_refusal},
    {"unsubscribe_push_failure", test_unsubscribe_push_failure},
    {"one_sided_quotes", test_one_sided_quotes},
    {"bad_quotes_refused", test_bad_quotes_refused},
    {"wait", test_wait},
    {"shutdown_wakes_waiters", test_shutdown_wakes_waiters},
    {"fetch", test_fetch},
    {"prune", test_prune},
    {"listeners", test_listeners},
    {"unlisten_from_inside", test_unlisten_from_inside},
    {"unlisten_while_quotes_flow", test_unlisten_while_quotes_flow},
    {"concurrency_smoke", test_concurrency_smoke},
    {"no_leaks", test_no_leaks},
    {NULL, NULL},
};

ST_TEST_MAIN("pricing", tests)
