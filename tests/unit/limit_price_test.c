/* limit_price_test.c - unit tests for limit and re-peg prices (server/exec). */
#include "server/exec/limit_price.h"

#include <stdint.h>
#include <string.h>

#include "tests/unit/cunit_main.h"

/* Parses s strictly; the test fails if s is not valid. */
static st_dec D(const char *s) {
  st_dec d = {INT64_MIN};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

/* A quote bid x ask with sizes of 100 shares each. */
static st_quote Q(const char *bid, const char *ask) {
  st_quote q;

  memset(&q, 0, sizeof(q));
  strcpy(q.symbol, "TEST");
  q.bid = D(bid);
  q.ask = D(ask);
  q.bid_size = st_dec_from_int(100);
  q.ask_size = st_dec_from_int(100);
  q.ts_ns = 1;
  return q;
}

#define ASSERT_DEC(got, want) CU_ASSERT_EQUAL(st_dec_cmp((got), D(want)), 0)

/* Asserts st_limit_price(side, q, qty) == want. */
static void expect_limit(st_side side, const st_quote *q, const char *qty,
                         const char *want) {
  st_dec p = ST_DEC_ZERO;

  CU_ASSERT_EQUAL(st_limit_price(side, q, D(qty), &p), ST_OK);
  ASSERT_DEC(p, want);
}

/* Asserts st_repeg_price(...) == want, or ST_ERANGE when want is NULL. */
static void expect_repeg(st_side side, const st_quote *q, const char *prev,
                         const char *const *tried, size_t ntried,
                         const char *want) {
  st_dec t[16];
  st_dec p = D("777");

  CU_ASSERT_FATAL(ntried <= 16);
  for (size_t i = 0; i < ntried; i++) {
    t[i] = D(tried[i]);
  }
  if (want == NULL) {
    CU_ASSERT_EQUAL(st_repeg_price(side, q, D(prev), t, ntried, &p), ST_ERANGE);
    ASSERT_DEC(p, "777");
  } else {
    CU_ASSERT_EQUAL(st_repeg_price(side, q, D(prev), t, ntried, &p), ST_OK);
    ASSERT_DEC(p, want);
  }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_tick_and_grid(void) {
  ASSERT_DEC(st_price_tick(D("1.00")), "0.01");
  ASSERT_DEC(st_price_tick(D("250.37")), "0.01");
  ASSERT_DEC(st_price_tick(D("0.9999")), "0.0001");
  ASSERT_DEC(st_price_tick(D("0.0001")), "0.0001");
  CU_ASSERT_TRUE(st_price_on_grid(D("1.01")));
  CU_ASSERT_TRUE(st_price_on_grid(D("0.5001")));
  CU_ASSERT_TRUE(st_price_on_grid(D("0.0001")));
  CU_ASSERT_FALSE(st_price_on_grid(D("1.005")));
  CU_ASSERT_FALSE(st_price_on_grid(D("0.50001")));
  CU_ASSERT_FALSE(st_price_on_grid(D("0.00005")));
  CU_ASSERT_FALSE(st_price_on_grid(D("0")));
  CU_ASSERT_FALSE(st_price_on_grid(D("-1.00")));
}

static void test_price_step(void) {
  static const struct {
    const char *p;
    int steps;
    const char *want; /* NULL: ST_ERANGE. */
  } cases[] = {
      {"1.00", -1, "0.9999"},      {"0.9999", 1, "1.00"},
      {"1.00", 1, "1.01"},         {"1.01", -1, "1.00"},
      {"10.005", 1, "10.01"},      {"10.005", -1, "10.00"},
      {"10.005", 0, "10.00"},      {"0.9998", 3, "1.01"},
      {"1.02", -4, "0.9998"},      {"0.5000", 10000, "51.00"},
      {"51.00", -10000, "0.5000"}, {"0.0002", -1, "0.0001"},
      {"0.0001", -1, NULL},        {"0.0002", -2, NULL},
      {"0.00005", 0, NULL},        {"0.00005", 1, "0.0001"},
      {"9223372036.85", 1, NULL},
  };

  for (size_t i = 0; i < N(cases); i++) {
    st_dec p = D("777");
    st_err err = st_price_step(D(cases[i].p), cases[i].steps, &p);

    if (cases[i].want == NULL) {
      CU_ASSERT_EQUAL(err, ST_ERANGE);
      ASSERT_DEC(p, "777");
    } else {
      CU_ASSERT_EQUAL(err, ST_OK);
      ASSERT_DEC(p, cases[i].want);
    }
  }
  {
    st_dec p;

    CU_ASSERT_EQUAL(st_price_step(D("0"), 1, &p), ST_EINVAL);
    CU_ASSERT_EQUAL(st_price_step(D("-1"), 1, &p), ST_EINVAL);
    CU_ASSERT_EQUAL(st_price_step(D("1"), 1, NULL), ST_EINVAL);
  }
}

/* n single steps equal one n-step, across the $1 boundary both ways. */
static void test_price_step_consistent(void) {
  const char *starts[] = {"0.9950", "0.99995", "1.00", "1.004", "0.0001"};

  for (size_t s = 0; s < N(starts); s++) {
    for (int dir = -1; dir <= 1; dir += 2) {
      st_dec one = D(starts[s]);

      for (int n = 1; n <= 120; n++) {
        st_dec many;
        st_err e1 = st_price_step(one, dir, &one);
        st_err en = st_price_step(D(starts[s]), dir * n, &many);

        CU_ASSERT_EQUAL(e1, en);
        if (e1 != ST_OK) {
          break;
        }
        CU_ASSERT_EQUAL(st_dec_cmp(one, many), 0);
        CU_ASSERT_TRUE(st_price_on_grid(one));
      }
    }
  }
}

static void test_limit_basic(void) {
  st_quote q = Q("100.00", "100.10");

  expect_limit(ST_SIDE_BUY, &q, "10", "100.09");
  expect_limit(ST_SIDE_SELL, &q, "10", "100.01");
  /* A one-tick spread: BUY at the bid, SELL at the ask. */
  q = Q("100.00", "100.01");
  expect_limit(ST_SIDE_BUY, &q, "10", "100.00");
  expect_limit(ST_SIDE_SELL, &q, "10", "100.01");
  /* Zero width: both at the one price. */
  q = Q("42.00", "42.00");
  expect_limit(ST_SIDE_BUY, &q, "10", "42.00");
  expect_limit(ST_SIDE_SELL, &q, "10", "42.00");
}

/* The seed's asserted pricing properties, over many quotes: BUY >= bid and
 * < ask; SELL > bid and <= ask; on the grid (cents at or above $1); > 0;
 * tight spread -> BUY <= mid, SELL >= mid. */
static void test_limit_properties(void) {
  const char *bids[] = {"0.0001", "0.0150", "0.5000", "0.9990", "0.9999",
                        "1.00",   "1.37",   "99.99",  "100.00", "4321.09"};

  for (size_t b = 0; b < N(bids); b++) {
    for (int width = 1; width <= 25; width++) {
      st_quote q = Q(bids[b], bids[b]);
      st_dec buy, sell, mid2;

      CU_ASSERT_EQUAL_FATAL(st_price_step(q.bid, width, &q.ask), ST_OK);
      CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &q, D("1"), &buy), ST_OK);
      CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_SELL, &q, D("1"), &sell), ST_OK);
      CU_ASSERT_TRUE(st_dec_cmp(buy, q.bid) >= 0);
      CU_ASSERT_TRUE(st_dec_cmp(buy, q.ask) < 0);
      CU_ASSERT_TRUE(st_dec_cmp(sell, q.bid) > 0);
      CU_ASSERT_TRUE(st_dec_cmp(sell, q.ask) <= 0);
      CU_ASSERT_TRUE(st_price_on_grid(buy));
      CU_ASSERT_TRUE(st_price_on_grid(sell));
      if (st_dec_cmp(buy, D("1")) >= 0) {
        CU_ASSERT_EQUAL(st_dec_cmp(st_dec_round(buy, 2, ST_ROUND_DOWN), buy),
                        0);
      }
      if (width == 1) {
        st_dec buy2, sell2;

        CU_ASSERT_EQUAL(st_dec_add(q.bid, q.ask, &mid2), ST_OK);
        CU_ASSERT_EQUAL(st_dec_add(buy, buy, &buy2), ST_OK);
        CU_ASSERT_EQUAL(st_dec_add(sell, sell, &sell2), ST_OK);
        CU_ASSERT_TRUE(st_dec_cmp(buy2, mid2) <= 0);
        CU_ASSERT_TRUE(st_dec_cmp(sell2, mid2) >= 0);
      }
    }
  }
}

/* Large against the quoted size (> 0.3), or size unknown: at the touch. */
static void test_limit_large(void) {
  st_quote q = Q("100.00", "100.10");

  expect_limit(ST_SIDE_BUY, &q, "30", "100.09"); /* 0.3: not large. */
  expect_limit(ST_SIDE_BUY, &q, "30.000000001", "100.10");
  expect_limit(ST_SIDE_BUY, &q, "31", "100.10");
  expect_limit(ST_SIDE_SELL, &q, "30", "100.01");
  expect_limit(ST_SIDE_SELL, &q, "31", "100.00");
  /* The far touch's size decides: a BUY looks at the ask size. */
  q.bid_size = st_dec_from_int(1);
  expect_limit(ST_SIDE_BUY, &q, "30", "100.09");
  expect_limit(ST_SIDE_SELL, &q, "1", "100.00");
  q.ask_size = ST_DEC_ZERO;
  expect_limit(ST_SIDE_BUY, &q, "0.001", "100.10");
  q.ask_size = st_dec_from_int(-5);
  expect_limit(ST_SIDE_BUY, &q, "0.001", "100.10");
  /* A huge order against a tiny size (the ratio overflows). */
  q = Q("100.00", "100.10");
  q.ask_size = D("0.000000001");
  expect_limit(ST_SIDE_BUY, &q, "1000", "100.10");
}

static void test_limit_sub_dollar(void) {
  st_quote q = Q("0.5000", "0.5010");

  expect_limit(ST_SIDE_BUY, &q, "10", "0.5009");
  expect_limit(ST_SIDE_SELL, &q, "10", "0.5001");
  /* Across $1: one tick below 1.00 is 0.9999; above 0.9999 is 1.00. */
  q = Q("0.9990", "1.00");
  expect_limit(ST_SIDE_BUY, &q, "10", "0.9999");
  q = Q("0.9999", "1.05");
  expect_limit(ST_SIDE_SELL, &q, "10", "1.00");
  /* Floor: never <= 0, even at the bottom of the grid. */
  q = Q("0.0001", "0.0002");
  expect_limit(ST_SIDE_BUY, &q, "10", "0.0001");
  expect_limit(ST_SIDE_SELL, &q, "10", "0.0002");
  q = Q("0.0001", "0.0001");
  expect_limit(ST_SIDE_BUY, &q, "10", "0.0001");
  expect_limit(ST_SIDE_SELL, &q, "10", "0.0001");
}

/* Off-grid quote sides snap inward: BUY never above the ask, SELL never
 * below the bid. */
static void test_limit_off_grid(void) {
  st_quote q = Q("10.001", "10.109");
  st_dec p = D("777");

  expect_limit(ST_SIDE_BUY, &q, "1", "10.09");
  expect_limit(ST_SIDE_SELL, &q, "1", "10.02");
  expect_limit(ST_SIDE_BUY, &q, "100", "10.10");
  expect_limit(ST_SIDE_SELL, &q, "100", "10.01");
  q = Q("10.001", "10.009"); /* No grid price within the quote. */
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &q, D("1"), &p), ST_ERANGE);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_SELL, &q, D("1"), &p), ST_ERANGE);
  q = Q("0.00001", "0.00002"); /* Below the grid: would price at 0. */
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &q, D("1"), &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_SELL, &q, D("1"), &p), ST_EINVAL);
  ASSERT_DEC(p, "777");
}

/* Bad side or quote rejected (seed), and nothing written. */
static void test_limit_invalid(void) {
  st_quote good = Q("100.00", "100.10");
  const char *bad[][2] = {
      {"0", "100.10"},  {"100.00", "0"},      {"0", "0"},
      {"-1", "100.10"}, {"100.11", "100.10"},
  };
  st_dec p = D("777");

  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_NONE, &good, D("1"), &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price((st_side)7, &good, D("1"), &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, NULL, D("1"), &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &good, D("1"), NULL), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &good, D("0"), &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_SELL, &good, D("-1"), &p), ST_EINVAL);
  for (size_t i = 0; i < N(bad); i++) {
    st_quote q = Q(bad[i][0], bad[i][1]);

    CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_BUY, &q, D("1"), &p), ST_EINVAL);
    CU_ASSERT_EQUAL(st_limit_price(ST_SIDE_SELL, &q, D("1"), &p), ST_EINVAL);
  }
  ASSERT_DEC(p, "777");
}

/* 50% from 100 toward 110 = 105 (seed), both sides. */
static void test_repeg_halfway(void) {
  st_quote q = Q("99.00", "110.00");

  expect_repeg(ST_SIDE_BUY, &q, "100.00", NULL, 0, "105.00");
  q = Q("100.00", "111.00");
  expect_repeg(ST_SIDE_SELL, &q, "110.00", NULL, 0, "105.00");
  /* Rounded toward the far touch: BUY up, SELL down. */
  q = Q("99.00", "100.05");
  expect_repeg(ST_SIDE_BUY, &q, "100.00", NULL, 0, "100.03");
  q = Q("100.00", "101.00");
  expect_repeg(ST_SIDE_SELL, &q, "100.05", NULL, 0, "100.02");
  /* Sub-dollar: 4 decimals. */
  q = Q("0.4990", "0.5010");
  expect_repeg(ST_SIDE_BUY, &q, "0.5000", NULL, 0, "0.5005");
  expect_repeg(ST_SIDE_SELL, &q, "0.5000", NULL, 0, "0.4995");
}

/* At least one tick better than prev, at most the far touch. */
static void test_repeg_min_step_and_clamp(void) {
  st_quote q = Q("100.00", "100.09");

  expect_repeg(ST_SIDE_BUY, &q, "100.08", NULL, 0, "100.09");
  q = Q("100.00", "100.01");
  expect_repeg(ST_SIDE_BUY, &q, "100.00", NULL, 0, "100.01");
  expect_repeg(ST_SIDE_SELL, &q, "100.01", NULL, 0, "100.00");
  /* An off-grid prev still moves at least one grid step. */
  q = Q("100.00", "100.10");
  expect_repeg(ST_SIDE_BUY, &q, "100.095", NULL, 0, "100.10");
}

/* The market ran away from prev: met at the near touch, not below it. */
static void test_repeg_ran_away(void) {
  st_quote q = Q("101.00", "101.10");

  expect_repeg(ST_SIDE_BUY, &q, "100.00", NULL, 0, "101.00");
  q = Q("98.90", "99.00");
  expect_repeg(ST_SIDE_SELL, &q, "100.00", NULL, 0, "99.00");
}

/* The market moved toward the order (BUY ask below prev): price from the
 * current quote as st_limit_price would, unless tried. */
static void test_repeg_moved_away(void) {
  st_quote q = Q("99.90", "100.00");
  const char *t1[] = {"99.99"};
  const char *t2[] = {"99.99", "100.00"};
  const char *t3[] = {"99.99", "100.00", "100.02"};

  expect_repeg(ST_SIDE_BUY, &q, "100.10", NULL, 0, "99.99");
  expect_repeg(ST_SIDE_BUY, &q, "100.10", t1, N(t1), "100.00");
  expect_repeg(ST_SIDE_BUY, &q, "100.10", t2, N(t2), "100.02");
  expect_repeg(ST_SIDE_BUY, &q, "100.10", t3, N(t3), NULL);
  q = Q("100.00", "100.10");
  expect_repeg(ST_SIDE_SELL, &q, "99.90", NULL, 0, "100.01");
}

/* Crossing by 2 ticks only after the touch itself was tried, and once. */
static void test_repeg_cross(void) {
  st_quote q = Q("100.00", "100.10");
  const char *t1[] = {"100.09"};
  const char *t2[] = {"100.09", "100.10"};
  const char *t3[] = {"100.09", "100.10", "100.12"};
  const char *s2[] = {"100.01", "100.00"};

  expect_repeg(ST_SIDE_BUY, &q, "100.09", t1, N(t1), "100.10");
  expect_repeg(ST_SIDE_BUY, &q, "100.10", t2, N(t2), "100.12");
  /* prev counts as tried even when the caller left it out. */
  expect_repeg(ST_SIDE_BUY, &q, "100.10", NULL, 0, "100.12");
  expect_repeg(ST_SIDE_BUY, &q, "100.12", t3, N(t3), NULL);
  expect_repeg(ST_SIDE_BUY, &q, "100.10", t3, N(t3), NULL);
  expect_repeg(ST_SIDE_SELL, &q, "100.00", s2, N(s2), "99.98");
  /* Across $1 and at the bottom of the grid (never <= 0). */
  q = Q("0.9990", "0.9999");
  expect_repeg(ST_SIDE_BUY, &q, "0.9999", NULL, 0, "1.01");
  q = Q("1.00", "1.10");
  expect_repeg(ST_SIDE_SELL, &q, "1.00", NULL, 0, "0.9998");
  q = Q("0.0002", "0.0010");
  expect_repeg(ST_SIDE_SELL, &q, "0.0002", NULL, 0, NULL);
}

/* Never a price already tried: tried targets step toward the touch. */
static void test_repeg_avoids_history(void) {
  st_quote q = Q("99.00", "110.00");
  const char *t1[] = {"100.00", "105.00", "105.01"};
  const char *t2[] = {"109.98", "109.99", "110.00"};
  const char *t3[] = {"109.98", "109.99", "110.00", "110.02"};

  expect_repeg(ST_SIDE_BUY, &q, "100.00", t1, N(t1), "105.02");
  expect_repeg(ST_SIDE_BUY, &q, "109.97", t2, N(t2), "110.02");
  expect_repeg(ST_SIDE_BUY, &q, "109.97", t3, N(t3), NULL);
}

/* Re-pegging until ST_ERANGE from the first price: strictly toward the far
 * side, never repeating, on the grid, > 0, within [bid, ask] until one
 * 2-tick cross, then done. */
static void run_ladder(st_side side, const char *bid, const char *ask,
                       int max_steps) {
  st_quote q = Q(bid, ask);
  st_dec tried[4096];
  size_t n = 0;
  st_dec p, next, cross;
  int crossed = 0;

  CU_ASSERT_EQUAL_FATAL(st_limit_price(side, &q, D("1"), &p), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_price_step(side == ST_SIDE_BUY ? q.ask : q.bid,
                                      side == ST_SIDE_BUY ? 2 : -2, &cross),
                        ST_OK);
  tried[n++] = p;
  for (;;) {
    st_err err = st_repeg_price(side, &q, p, tried, n, &next);

    if (err == ST_ERANGE) {
      break;
    }
    CU_ASSERT_EQUAL_FATAL(err, ST_OK);
    CU_ASSERT_FATAL(n < 4096 && (int)n <= max_steps);
    for (size_t i = 0; i < n; i++) {
      CU_ASSERT_NOT_EQUAL(st_dec_cmp(next, tried[i]), 0);
    }
    CU_ASSERT_TRUE(st_price_on_grid(next));
    CU_ASSERT_EQUAL(st_dec_cmp(next, p), side == ST_SIDE_BUY ? 1 : -1);
    CU_ASSERT_FALSE(crossed); /* Nothing after the cross. */
    if (st_dec_cmp(next, q.ask) > 0 || st_dec_cmp(next, q.bid) < 0) {
      CU_ASSERT_EQUAL(st_dec_cmp(next, cross), 0);
      crossed = 1;
    }
    p = next;
    tried[n++] = p;
  }
  CU_ASSERT_TRUE(crossed);
}

static void test_repeg_ladder(void) {
  run_ladder(ST_SIDE_BUY, "100.00", "100.10", 4);
  run_ladder(ST_SIDE_SELL, "100.00", "100.10", 4);
  run_ladder(ST_SIDE_BUY, "100.00", "101.00", 12);
  run_ladder(ST_SIDE_SELL, "100.00", "101.00", 12);
  run_ladder(ST_SIDE_BUY, "0.5000", "0.5100", 12);
  run_ladder(ST_SIDE_SELL, "0.9900", "1.20", 12);
  run_ladder(ST_SIDE_BUY, "42.00", "42.00", 2);
  run_ladder(ST_SIDE_SELL, "0.0100", "0.0100", 2);
}

/* A deterministic generator for the randomized test. */
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* The quote moves randomly between re-pegs: every price is still untried,
 * on the grid, > 0, not past the near touch, at most 2 ticks past the far
 * touch, and the chain ends. */
static void test_repeg_random_market(void) {
  uint64_t seed = 12345;

  for (int run = 0; run < 300; run++) {
    st_side side = run % 2 ? ST_SIDE_SELL : ST_SIDE_BUY;
    st_dec tried[512];
    size_t n = 0;
    st_dec p = ST_DEC_ZERO, base = D(run % 3 ? "20.00" : "0.9950");
    int steps = 0;

    for (;;) {
      st_quote q = Q("1", "1");
      st_dec lo, hi, far2, next;
      st_err err;

      CU_ASSERT_EQUAL_FATAL(st_price_step(base, (int)(lcg(&seed) % 40), &q.bid),
                            ST_OK);
      CU_ASSERT_EQUAL_FATAL(st_price_step(q.bid, (int)(lcg(&seed) % 6), &q.ask),
                            ST_OK);
      if (n == 0) {
        err = st_limit_price(side, &q, D("1"), &next);
      } else {
        err = st_repeg_price(side, &q, p, tried, n, &next);
      }
      if (err == ST_ERANGE) {
        break;
      }
      CU_ASSERT_EQUAL_FATAL(err, ST_OK);
      for (size_t i = 0; i < n; i++) {
        CU_ASSERT_NOT_EQUAL(st_dec_cmp(next, tried[i]), 0);
      }
      CU_ASSERT_TRUE(st_price_on_grid(next));
      lo = side == ST_SIDE_BUY ? q.bid : q.ask;
      CU_ASSERT_EQUAL_FATAL(st_price_step(side == ST_SIDE_BUY ? q.ask : q.bid,
                                          side == ST_SIDE_BUY ? 2 : -2, &far2),
                            ST_OK);
      hi = far2;
      if (side == ST_SIDE_BUY) {
        CU_ASSERT_TRUE(st_dec_cmp(next, lo) >= 0);
        CU_ASSERT_TRUE(st_dec_cmp(next, hi) <= 0);
      } else {
        CU_ASSERT_TRUE(st_dec_cmp(next, lo) <= 0);
        CU_ASSERT_TRUE(st_dec_cmp(next, hi) >= 0);
      }
      p = next;
      tried[n++] = p;
      CU_ASSERT_FATAL(++steps < 500);
    }
  }
}

static void test_repeg_invalid(void) {
  st_quote q = Q("100.00", "100.10");
  st_quote one_sided = Q("100.00", "0");
  st_quote crossed = Q("100.20", "100.10");
  st_dec t[1] = {{0}};
  st_dec p = D("777");

  t[0] = D("100.05");
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_NONE, &q, D("100"), t, 1, &p),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, NULL, D("100"), t, 1, &p),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, &q, D("0"), t, 1, &p), ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, &q, D("-1"), t, 1, &p),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, &q, D("100"), NULL, 1, &p),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, &q, D("100"), t, 1, NULL),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_BUY, &one_sided, D("100"), t, 1, &p),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_repeg_price(ST_SIDE_SELL, &crossed, D("100"), t, 1, &p),
                  ST_EINVAL);
  ASSERT_DEC(p, "777");
}

static const st_test tests[] = {
    {"tick_and_grid", test_tick_and_grid},
    {"price_step", test_price_step},
    {"price_step_consistent", test_price_step_consistent},
    {"limit_basic", test_limit_basic},
    {"limit_properties", test_limit_properties},
    {"limit_large", test_limit_large},
    {"limit_sub_dollar", test_limit_sub_dollar},
    {"limit_off_grid", test_limit_off_grid},
    {"limit_invalid", test_limit_invalid},
    {"repeg_halfway", test_repeg_halfway},
    {"repeg_min_step_and_clamp", test_repeg_min_step_and_clamp},
    {"repeg_ran_away", test_repeg_ran_away},
    {"repeg_moved_away", test_repeg_moved_away},
    {"repeg_cross", test_repeg_cross},
    {"repeg_avoids_history", test_repeg_avoids_history},
    {"repeg_ladder", test_repeg_ladder},
    {"repeg_random_market", test_repeg_random_market},
    {"repeg_invalid", test_repeg_invalid},
    {NULL, NULL},
};

ST_TEST_MAIN("limit_price", tests)
