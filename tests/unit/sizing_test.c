/* sizing_test.c - unit tests for order sizing and buy scaling (server/exec). */
#include "server/exec/sizing.h"

#include <stdint.h>
#include <string.h>

#include "tests/unit/cunit_main.h"

/* Parses s strictly; the test fails if s is not valid. */
static st_dec D(const char *s) {
  st_dec d = {INT64_MIN};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

#define ASSERT_DEC(got, want) CU_ASSERT_EQUAL(st_dec_cmp((got), D(want)), 0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A fractional BUY of amount dollars at price. */
static st_size_in buy(const char *amount, const char *price) {
  st_size_in in;

  memset(&in, 0, sizeof(in));
  in.side = ST_SIDE_BUY;
  in.amount = D(amount);
  in.price = D(price);
  in.fractionable = 1;
  in.allow_fractional = 1;
  return in;
}

/* A fractional SELL of amount dollars at price, from a position. */
static st_size_in sell(const char *amount, const char *price,
                       const char *available) {
  st_size_in in = buy(amount, price);

  in.side = ST_SIDE_SELL;
  in.has_position = 1;
  in.position_available = D(available);
  return in;
}

/* Sizes in; asserts ST_OK, not skipped, and qty == want. */
static st_size_out expect_qty(const st_size_in *in, const char *want) {
  st_size_out out;

  CU_ASSERT_EQUAL(st_size_order(in, &out), ST_OK);
  CU_ASSERT_EQUAL(out.skipped, 0);
  CU_ASSERT_STRING_EQUAL(out.reason, "");
  ASSERT_DEC(out.qty, want);
  return out;
}

/* Sizes in; asserts ST_OK, skipped with a reason, qty 0. */
static st_size_out expect_skip(const st_size_in *in) {
  st_size_out out;

  CU_ASSERT_EQUAL(st_size_order(in, &out), ST_OK);
  CU_ASSERT_EQUAL(out.skipped, 1);
  CU_ASSERT_NOT_EQUAL(out.reason[0], '\0');
  CU_ASSERT_TRUE(st_dec_is_zero(out.qty));
  CU_ASSERT_TRUE(st_dec_is_zero(out.notional_estimate));
  return out;
}

static void test_buy_fractional(void) {
  st_size_in in = buy("1000.00", "150.00");
  st_size_out out = expect_qty(&in, "6.666666666");

  ASSERT_DEC(out.notional_estimate, "999.9999999");
  CU_ASSERT_EQUAL(out.capped, 0);
  in = buy("10.00", "3.00");
  expect_qty(&in, "3.333333333");
}

/* Whole shares round DOWN: non-fractionable, or fractional disallowed. */
static void test_buy_whole_shares(void) {
  st_size_in in = buy("1000.00", "150.00");
  st_size_out out;

  in.fractionable = 0;
  out = expect_qty(&in, "6");
  ASSERT_DEC(out.notional_estimate, "900");
  in = buy("1000.00", "150.00");
  in.allow_fractional = 0;
  expect_qty(&in, "6");
  in = buy("299.99", "150.00");
  in.fractionable = 0;
  expect_qty(&in, "1");
  /* A quantity that rounds to 0 is skipped with a reason. */
  in = buy("149.99", "150.00");
  in.fractionable = 0;
  out = expect_skip(&in);
  CU_ASSERT_PTR_NOT_NULL(strstr(out.reason, "0"));
}

/* The $1.00 minimum: 0.1 x $5 is too small, exactly $1 is not (seed). */
static void test_buy_min_notional(void) {
  st_size_in in = buy("0.50", "5.00");
  st_size_out out = expect_skip(&in);

  CU_ASSERT_STRING_EQUAL(out.reason, "notional below $1.00");
  CU_ASSERT_STRING_EQUAL(out.reason, ST_SIZE_REASON_MIN_NOTIONAL);
  in = buy("1.00", "5.00");
  out = expect_qty(&in, "0.2");
  ASSERT_DEC(out.notional_estimate, "1.00");
  /* Just under a dollar after rounding the quantity down: skipped. */
  in = buy("1.00", "3.00"); /* 0.333333333 x 3 = 0.999999999 */
  out = expect_skip(&in);
  CU_ASSERT_STRING_EQUAL(out.reason, ST_SIZE_REASON_MIN_NOTIONAL);
  /* Whole-share orders have no minimum (seed: micro skip only for
   * fractionable). */
  in = buy("0.50", "0.50");
  in.fractionable = 0;
  out = expect_qty(&in, "1");
  ASSERT_DEC(out.notional_estimate, "0.50");
  /* Sells have no minimum either. */
  in = sell("0.50", "5.00", "10");
  expect_qty(&in, "0.1");
}

/* A SELL is capped at the available position. */
static void test_sell_capped(void) {
  st_size_in in = sell("500.00", "100.00", "3");
  st_size_out out = expect_qty(&in, "3");

  CU_ASSERT_EQUAL(out.capped, 1);
  ASSERT_DEC(out.notional_estimate, "300");
  in = sell("200.00", "100.00", "3");
  out = expect_qty(&in, "2");
  CU_ASSERT_EQUAL(out.capped, 0);
  /* Whole shares: the cap rounds down too. */
  in = sell("500.00", "100.00", "3.7");
  in.fractionable = 0;
  out = expect_qty(&in, "3");
  CU_ASSERT_EQUAL(out.capped, 1);
}

/* SQQQ (seed 8837931c9): 7.2273576 available sells exactly 7.2273576. */
static void test_liquidate(void) {
  st_size_in in = sell("0", "10.00", "7.2273576");
  st_size_out out;

  in.liquidate = 1;
  out = expect_qty(&in, "7.2273576");
  ASSERT_DEC(out.notional_estimate, "72.273576");
  /* Whatever the amount. */
  in.amount = D("1000000");
  expect_qty(&in, "7.2273576");
  in.amount = D("1.00");
  expect_qty(&in, "7.2273576");
  /* Same through the cap of an ordinary SELL. */
  in = sell("1000.00", "10.00", "7.2273576");
  out = expect_qty(&in, "7.2273576");
  CU_ASSERT_EQUAL(out.capped, 1);
  /* Positions keep at most 9 decimals; nothing is rounded up. */
  in = sell("0", "10.00", "7.227357699");
  in.liquidate = 1;
  expect_qty(&in, "7.227357699");
  /* Whole shares only: the fractional remnant stays. */
  in = sell("0", "10.00", "7.2273576");
  in.liquidate = 1;
  in.fractionable = 0;
  expect_qty(&in, "7");
  in.position_available = D("0.5");
  expect_skip(&in);
}

static void test_sell_without_position(void) {
  st_size_in in = sell("100.00", "10.00", "5");
  st_size_out out;

  in.has_position = 0;
  out = expect_skip(&in);
  CU_ASSERT_STRING_EQUAL(out.reason, "no position to sell");
  in = sell("100.00", "10.00", "0");
  out = expect_skip(&in);
  CU_ASSERT_STRING_EQUAL(out.reason, "no shares available to sell");
  in = sell("100.00", "10.00", "-3"); /* Short: nothing to sell. */
  expect_skip(&in);
  in.liquidate = 1;
  expect_skip(&in);
  in = sell("0", "10.00", "5"); /* A zero amount rounds to 0. */
  expect_skip(&in);
}

/* Never "1 share" for a bad price (the seed's bug): ST_EINVAL. */
static void test_invalid(void) {
  st_size_in in = buy("100.00", "0");
  st_size_out out;

  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  CU_ASSERT_TRUE(st_dec_is_zero(out.qty));
  in.price = D("-1");
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  in = sell("100.00", "0", "10");
  in.liquidate = 1;
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  in = buy("-100.00", "10.00");
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  in = buy("100.00", "10.00");
  in.liquidate = 1;
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  in = buy("100.00", "10.00");
  in.side = ST_SIDE_NONE;
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EINVAL);
  CU_ASSERT_EQUAL(st_size_order(NULL, &out), ST_EINVAL);
  CU_ASSERT_EQUAL(st_size_order(&in, NULL), ST_EINVAL);
  /* amount / price beyond the range. */
  in = buy("9000000000", "0.0001");
  CU_ASSERT_EQUAL(st_size_order(&in, &out), ST_EOVERFLOW);
  CU_ASSERT_TRUE(st_dec_is_zero(out.qty));
}

/* Sub-dollar prices size like any other. */
static void test_sub_dollar(void) {
  st_size_in in = buy("100.00", "0.5123");

  expect_qty(&in, "195.198126097");
  in.fractionable = 0;
  expect_qty(&in, "195");
}

/* A re-peg remainder rounds the same way as the first sizing. */
static void test_remainder_rounding(void) {
  st_dec rem;

  CU_ASSERT_EQUAL(st_dec_sub(D("100"), D("40"), &rem), ST_OK);
  ASSERT_DEC(st_qty_round_down(rem, 1), "60");
  CU_ASSERT_EQUAL(st_dec_sub(D("100"), D("99.995"), &rem), ST_OK);
  ASSERT_DEC(st_qty_round_down(rem, 1), "0"); /* Done. */
  ASSERT_DEC(st_qty_round_down(rem, 0), "0.005");
  CU_ASSERT_EQUAL(st_dec_sub(D("7.2273576"), D("2.1"), &rem), ST_OK);
  ASSERT_DEC(st_qty_round_down(rem, 0), "5.1273576");
  ASSERT_DEC(st_qty_round_down(rem, 1), "5");
}

/* Sum of out[].required. */
static st_dec total_required(const st_scale_out *out, size_t n) {
  st_dec sum = ST_DEC_ZERO;

  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL(st_dec_add(sum, out[i].required, &sum), ST_OK);
  }
  return sum;
}

static void test_scale_fits(void) {
  st_scale_in in[] = {
      {D("10"), D("100.00"), 0},
      {D("2.5"), D("40.00"), 1},
  };
  st_scale_out out[2];
  st_dec f;

  /* 1000 + 100 = 1100, with a 1% buffer 1111.00. */
  CU_ASSERT_EQUAL(st_buy_scale(in, 2, D("1111.00"), D("1"), out, &f), ST_OK);
  ASSERT_DEC(f, "1");
  ASSERT_DEC(out[0].qty, "10");
  ASSERT_DEC(out[1].qty, "2.5");
  ASSERT_DEC(out[0].required, "1010");
  ASSERT_DEC(out[1].required, "101");
  CU_ASSERT_EQUAL(out[0].skipped + out[1].skipped, 0);
}

static void test_scale_down(void) {
  st_scale_in in[] = {
      {D("10"), D("100.00"), 0},
      {D("2.5"), D("40.00"), 1},
      {D("0.02"), D("60.00"), 1}, /* $1.20: below $1 once halved. */
      {D("1"), D("50.00"), 0},    /* 1 share halves to 0 whole shares. */
  };
  st_scale_out out[4];
  st_dec f;

  /* Needs 1000 + 100 + 1.2 + 50 = 1151.2 (no buffer); 575.60 available. */
  CU_ASSERT_EQUAL(st_buy_scale(in, 4, D("575.60"), D("0"), out, &f), ST_OK);
  ASSERT_DEC(f, "0.5");
  ASSERT_DEC(out[0].qty, "5");
  ASSERT_DEC(out[1].qty, "1.25");
  CU_ASSERT_EQUAL(out[2].skipped, 1);
  CU_ASSERT_STRING_EQUAL(out[2].reason, ST_SIZE_REASON_MIN_NOTIONAL);
  CU_ASSERT_EQUAL(out[3].skipped, 1);
  CU_ASSERT_TRUE(st_dec_is_zero(out[3].qty));
  CU_ASSERT_TRUE(st_dec_cmp(total_required(out, 4), D("575.60")) <= 0);
  /* Whole shares round down again: 10 x 0.39 = 3.9 -> 3. */
  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("390"), D("0"), out, &f), ST_OK);
  ASSERT_DEC(f, "0.39");
  ASSERT_DEC(out[0].qty, "3");
  ASSERT_DEC(out[0].required, "300");
}

/* The factor is buying_power / need, rounded down to 9 digits. */
static void test_scale_factor_exact(void) {
  st_scale_in in[] = {{D("3"), D("1.00"), 1}};
  st_scale_out out[1];
  st_dec f;

  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("2"), D("0"), out, &f), ST_OK);
  ASSERT_DEC(f, "0.666666666");
  ASSERT_DEC(out[0].qty, "1.999999998");
  CU_ASSERT_TRUE(st_dec_cmp(out[0].required, D("2")) <= 0);
}

/* Rounding each scaled requirement up can overshoot by a billionth: the
 * factor is lowered until the sum fits (found by a randomized search). */
static void test_scale_rounding_fixup(void) {
  st_scale_in in[] = {{D("0.099977219"), D("40.9276"), 1}};
  st_scale_out out[1];
  st_dec f;

  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("1.346958328"), D("0.865"), out, &f),
                  ST_OK);
  ASSERT_DEC(f, "0.326359557"); /* 0.326359558 would need 1.346958329. */
  ASSERT_DEC(out[0].qty, "0.03262852");
  ASSERT_DEC(out[0].required, "1.346958287");
}

static void test_scale_no_buying_power(void) {
  st_scale_in in[] = {{D("3"), D("10.00"), 1}, {D("0"), D("0"), 0}};
  st_scale_out out[2];
  st_dec f;

  CU_ASSERT_EQUAL(st_buy_scale(in, 2, D("0"), D("0.5"), out, &f), ST_OK);
  ASSERT_DEC(f, "0");
  CU_ASSERT_EQUAL(out[0].skipped, 1);
  CU_ASSERT_EQUAL(out[1].skipped, 1);
  CU_ASSERT_EQUAL(st_buy_scale(in, 2, D("-50"), D("0.5"), out, &f), ST_OK);
  ASSERT_DEC(f, "0");
  CU_ASSERT_TRUE(st_dec_is_zero(total_required(out, 2)));
  /* Nothing to scale. */
  CU_ASSERT_EQUAL(st_buy_scale(NULL, 0, D("10"), D("0"), NULL, &f), ST_OK);
  ASSERT_DEC(f, "1");
}

static void test_scale_invalid(void) {
  st_scale_in in[] = {{D("3"), D("10.00"), 1}};
  st_scale_in bad_ask[] = {{D("3"), D("0"), 1}};
  st_scale_in bad_qty[] = {{D("-3"), D("10.00"), 1}};
  st_scale_in huge[] = {{D("9000000000"), D("9000000000"), 1}};
  st_scale_out out[1] = {{D("42"), D("42"), 0, "untouched"}};
  st_dec f = D("42");

  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("10"), D("0"), out, NULL), ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(NULL, 1, D("10"), D("0"), out, &f), ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("10"), D("0"), NULL, &f), ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(in, 1, D("10"), D("-1"), out, &f), ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(bad_ask, 1, D("10"), D("0"), out, &f),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(bad_qty, 1, D("10"), D("0"), out, &f),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_buy_scale(huge, 1, D("10"), D("0"), out, &f),
                  ST_EOVERFLOW);
  ASSERT_DEC(f, "42");
  ASSERT_DEC(out[0].qty, "42");
  CU_ASSERT_STRING_EQUAL(out[0].reason, "untouched");
}

/* A deterministic generator for the randomized test. */
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* Random baskets: the scaled requirements never exceed the buying power,
 * no quantity grows, whole-share items stay whole, the factor is in
 * [0, 1], and fractional survivors keep the $1 minimum. */
static void test_scale_never_exceeds(void) {
  uint64_t seed = 777;

  for (int run = 0; run < 2000; run++) {
    st_scale_in in[12];
    st_scale_out out[12];
    size_t n = 1 + lcg(&seed) % 12;
    st_dec f, bp, buffer = st_dec_from_units((int64_t)(lcg(&seed) % 300), 2);

    for (size_t i = 0; i < n; i++) {
      in[i].fractional = (int)(lcg(&seed) % 2);
      in[i].ask = st_dec_from_units(1 + (int64_t)(lcg(&seed) % 5000000), 4);
      in[i].qty = in[i].fractional
                      ? st_dec_from_units((int64_t)(lcg(&seed) % 100000000), 7)
                      : st_dec_from_int((int64_t)(lcg(&seed) % 500));
    }
    bp = st_dec_from_units((int64_t)(lcg(&seed) % 200000000), 3);
    CU_ASSERT_EQUAL_FATAL(st_buy_scale(in, n, bp, buffer, out, &f), ST_OK);
    CU_ASSERT_TRUE(st_dec_cmp(total_required(out, n), bp) <= 0);
    CU_ASSERT_TRUE(!st_dec_is_neg(f) && st_dec_cmp(f, st_dec_from_int(1)) <= 0);
    for (size_t i = 0; i < n; i++) {
      st_dec notional;

      CU_ASSERT_TRUE(st_dec_cmp(out[i].qty, in[i].qty) <= 0);
      CU_ASSERT_TRUE(!st_dec_is_neg(out[i].qty));
      if (!in[i].fractional) {
        CU_ASSERT_EQUAL(
            st_dec_cmp(st_dec_round(out[i].qty, 0, ST_ROUND_DOWN), out[i].qty),
            0);
      }
      if (out[i].skipped) {
        CU_ASSERT_TRUE(st_dec_is_zero(out[i].qty));
        CU_ASSERT_TRUE(st_dec_is_zero(out[i].required));
        CU_ASSERT_NOT_EQUAL(out[i].reason[0], '\0');
      } else if (in[i].fractional) {
        CU_ASSERT_EQUAL(
            st_dec_mul(out[i].qty, in[i].ask, ST_ROUND_DOWN, &notional), ST_OK);
        CU_ASSERT_TRUE(st_dec_cmp(notional, D("1")) >= 0);
      }
    }
  }
}

static const st_test tests[] = {
    {"buy_fractional", test_buy_fractional},
    {"buy_whole_shares", test_buy_whole_shares},
    {"buy_min_notional", test_buy_min_notional},
    {"sell_capped", test_sell_capped},
    {"liquidate", test_liquidate},
    {"sell_without_position", test_sell_without_position},
    {"invalid", test_invalid},
    {"sub_dollar", test_sub_dollar},
    {"remainder_rounding", test_remainder_rounding},
    {"scale_fits", test_scale_fits},
    {"scale_down", test_scale_down},
    {"scale_factor_exact", test_scale_factor_exact},
    {"scale_rounding_fixup", test_scale_rounding_fixup},
    {"scale_no_buying_power", test_scale_no_buying_power},
    {"scale_invalid", test_scale_invalid},
    {"scale_never_exceeds", test_scale_never_exceeds},
    {NULL, NULL},
};

ST_TEST_MAIN("sizing", tests)
