/* quote_check_test.c - unit tests for quote checks (server/exec). */
#include "server/exec/quote_check.h"

#include <stdint.h>
#include <string.h>

#include "tests/unit/cunit_main.h"

#define SEC 1000000000LL
#define NOW (1700000000LL * SEC)

/* Parses s strictly; the test fails if s is not valid. */
static st_dec D(const char *s) {
  st_dec d = {INT64_MIN};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

/* A quote bid x ask with sizes of 100, taken at ts_ns. */
static st_quote Q(const char *bid, const char *ask, int64_t ts_ns) {
  st_quote q;

  memset(&q, 0, sizeof(q));
  strcpy(q.symbol, "TEST");
  q.bid = D(bid);
  q.ask = D(ask);
  q.bid_size = st_dec_from_int(100);
  q.ask_size = st_dec_from_int(100);
  q.ts_ns = ts_ns;
  q.received_ns = ts_ns;
  q.source = ST_QUOTE_STREAM;
  return q;
}

/* The seed's strict rules: 10% spread cap, 5 s freshness. */
static const st_quote_rules seed_rules = {{10 * ST_DEC_SCALE}, 5 * SEC};

static void test_ok(void) {
  st_quote q = Q("100.00", "100.02", NOW - SEC);

  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_OK);
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_OK);
}

static void test_none(void) {
  st_quote q = Q("100.00", "100.02", 0);

  CU_ASSERT_EQUAL(st_quote_check(NULL, &seed_rules, NOW), ST_QV_NONE);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_NONE);
  memset(&q, 0, sizeof(q));
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_NONE);
}

/* One-sided and empty quotes (seed lesson 7c86c4d5b; TECL ask 0). */
static void test_missing_side(void) {
  st_quote q;

  q = Q("100.00", "0", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_MISSING_SIDE);
  q = Q("0", "100.02", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_MISSING_SIDE);
  q = Q("0", "0", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_MISSING_SIDE);
  q = Q("-1.00", "100.02", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_MISSING_SIDE);
  q = Q("100.00", "-0.01", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_MISSING_SIDE);
}

static void test_too_low(void) {
  st_quote q;

  q = Q("0.009", "0.01", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_TOO_LOW);
  q = Q("0.0099", "0.0099", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_TOO_LOW);
  q = Q("0.01", "0.0101", NOW); /* Exactly $0.01 is fine. */
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_OK);
}

static void test_crossed(void) {
  st_quote q;

  q = Q("100.03", "100.02", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_CROSSED);
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_CROSSED);
  q = Q("100.02", "100.02", NOW); /* Zero width is not crossed. */
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_OK);
}

static void test_wide(void) {
  st_quote_rules r = {D("0.50"), 5 * SEC};
  st_quote q;

  /* Spread 0.50 on a mid of 100.00: exactly half a percent, not wide. */
  q = Q("99.75", "100.25", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &r, NOW), ST_QV_OK);
  q = Q("99.74", "100.25", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &r, NOW), ST_QV_WIDE);
  /* The seed's 10% cap: 9.5 to 10.5 is exactly 10% of 10.00. */
  q = Q("9.50", "10.50", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_OK);
  q = Q("9.49", "10.50", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_WIDE);
  /* A sub-dollar quote: 0.0100 x 0.0200 is 66.7% of mid. */
  q = Q("0.0100", "0.0200", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_WIDE);
  /* Zero width passes even a zero limit; a huge spread is wide. */
  r.max_spread_pct = ST_DEC_ZERO;
  q = Q("5.00", "5.00", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &r, NOW), ST_QV_OK);
  q = Q("0.01", "9000000000", NOW);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_WIDE);
  /* Without rules, no spread limit. */
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_OK);
}

static void test_stale(void) {
  st_quote q;

  q = Q("100.00", "100.02", NOW - 5 * SEC); /* Exactly 5 s: fresh. */
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_OK);
  q.ts_ns = NOW - 5 * SEC - 1;
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_STALE);
  q.ts_ns = NOW - 3600 * SEC;
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_STALE);
  CU_ASSERT_EQUAL(st_quote_check(&q, NULL, NOW), ST_QV_OK);
  /* A timestamp from the future (clock skew) is age 0. */
  q.ts_ns = NOW + 60 * SEC;
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_OK);
  /* No overflow on extreme times. */
  q.ts_ns = INT64_MIN;
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, INT64_MAX), ST_QV_STALE);
}

/* Several faults: the first in enum order is reported. */
static void test_order_of_checks(void) {
  st_quote q;

  q = Q("0", "100.02", NOW - 3600 * SEC);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_MISSING_SIDE);
  q = Q("200.00", "100.00", NOW - 3600 * SEC);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_CROSSED);
  q = Q("50.00", "100.00", NOW - 3600 * SEC);
  CU_ASSERT_EQUAL(st_quote_check(&q, &seed_rules, NOW), ST_QV_WIDE);
}

static void test_zeroed_rules_fail_safe(void) {
  st_quote_rules r;
  st_quote q = Q("100.00", "100.01", NOW - 1);

  memset(&r, 0, sizeof(r));
  CU_ASSERT_NOT_EQUAL(st_quote_check(&q, &r, NOW), ST_QV_OK);
}

static void test_names(void) {
  CU_ASSERT_STRING_EQUAL(st_quote_verdict_name(ST_QV_OK), "ok");
  CU_ASSERT_STRING_EQUAL(st_quote_verdict_name(ST_QV_MISSING_SIDE),
                         "missing_side");
  CU_ASSERT_STRING_EQUAL(st_quote_verdict_name(ST_QV_STALE), "stale");
  CU_ASSERT_STRING_EQUAL(st_quote_verdict_name(ST_QV_COUNT), "unknown");
  CU_ASSERT_STRING_EQUAL(st_quote_verdict_name((st_quote_verdict)-1),
                         "unknown");
  for (int v = 0; v < ST_QV_COUNT; v++) {
    CU_ASSERT_STRING_NOT_EQUAL(st_quote_verdict_name((st_quote_verdict)v),
                               "unknown");
  }
}

static void test_mid(void) {
  static const struct {
    const char *bid, *ask, *mid;
  } cases[] = {
      {"100.00", "100.02", "100.01"},
      {"100.00", "100.01", "100.00"}, /* 100.005: half-even to 100.00. */
      {"100.01", "100.02", "100.02"}, /* 100.015: half-even to 100.02. */
      {"5.00", "5.00", "5.00"},
      {"0.5000", "0.5001", "0.5000"}, /* Sub-dollar: 4 decimals. */
      {"0.5001", "0.5002", "0.5002"},
      {"0.1234", "0.1240", "0.1237"},
      {"0.9999", "1.00", "1.00"},
  };
  st_quote q;
  st_dec mid;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    q = Q(cases[i].bid, cases[i].ask, NOW);
    CU_ASSERT_EQUAL(st_quote_mid(&q, &mid), ST_OK);
    CU_ASSERT_EQUAL(st_dec_cmp(mid, D(cases[i].mid)), 0);
  }
  mid = D("42");
  q = Q("100.00", "0", NOW);
  CU_ASSERT_EQUAL(st_quote_mid(&q, &mid), ST_EINVAL);
  q = Q("100.03", "100.02", NOW);
  CU_ASSERT_EQUAL(st_quote_mid(&q, &mid), ST_EINVAL);
  CU_ASSERT_EQUAL(st_quote_mid(NULL, &mid), ST_EINVAL);
  CU_ASSERT_EQUAL(st_quote_mid(&q, NULL), ST_EINVAL);
  q = Q("0.00001", "0.00002", NOW); /* Below the grid: never 0. */
  CU_ASSERT_EQUAL(st_quote_mid(&q, &mid), ST_ERANGE);
  CU_ASSERT_EQUAL(st_dec_cmp(mid, D("42")), 0);
}

static const st_test tests[] = {
    {"ok", test_ok},
    {"none", test_none},
    {"missing_side", test_missing_side},
    {"too_low", test_too_low},
    {"crossed", test_crossed},
    {"wide", test_wide},
    {"stale", test_stale},
    {"order_of_checks", test_order_of_checks},
    {"zeroed_rules_fail_safe", test_zeroed_rules_fail_safe},
    {"names", test_names},
    {"mid", test_mid},
    {NULL, NULL},
};

ST_TEST_MAIN("quote_check", tests)
