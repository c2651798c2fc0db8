/* decimal_test.c - unit tests for fixed-point decimals (server/util). */
#include "server/util/decimal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/cunit_main.h"

/* Parses s strictly; the test fails if s is not valid. */
static st_dec D(const char *s) {
  st_dec d = {INT64_MIN};

  CU_ASSERT_EQUAL_FATAL(st_dec_parse(s, &d), ST_OK);
  return d;
}

/* Asserts that d formats (with min_frac) as want. */
#define ASSERT_FMT(d, min_frac, want)     \
  do {                                    \
    char buf_[ST_DEC_STRLEN];             \
    st_dec_format((d), (min_frac), buf_); \
    CU_ASSERT_STRING_EQUAL(buf_, (want)); \
  } while (0)

static void test_parse_valid(void) {
  static const struct {
    const char *s;
    int64_t v;
  } cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+0.000", 0},
      {"-0.0", 0},
      {"1", 1000000000LL},
      {"+5", 5000000000LL},
      {"-0.5", -500000000LL},
      {"1234.50", 1234500000000LL},
      {"7.2273576", 7227357600LL},
      {"0.000000001", 1},
      {"-0.000000001", -1},
      {"007.10", 7100000000LL},
      {"000000000000000000000000000001", 1000000000LL},
      {"9223372036.854775807", INT64_MAX},
      {"-9223372036.854775807", -INT64_MAX},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    st_dec d = {42};

    CU_ASSERT_EQUAL(st_dec_parse(cases[i].s, &d), ST_OK);
    CU_ASSERT_EQUAL(d.v, cases[i].v);
    d.v = 42;
    CU_ASSERT_EQUAL(st_dec_parse_lenient(cases[i].s, &d), ST_OK);
    CU_ASSERT_EQUAL(d.v, cases[i].v);
  }
}

static void test_parse_invalid(void) {
  static const char *const bad[] = {
      "",
      "-",
      "+",
      "1e3",
      "1E3",
      " 1",
      "1 ",
      "1,000",
      "0x10",
      "nan",
      "NaN",
      "inf",
      "-inf",
      "1.",
      ".5",
      "-.5",
      "+.",
      ".",
      "--1",
      "+-1",
      "1.2.3",
      "1..2",
      "1-",
      "1.5x",
      "\t1",
      "1.0e-2",
      "12 34",
      "$1",
      "1.0000000001",
      "0.1234567890",
      "-7.22735761234",
  };
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    st_dec d = {42};

    CU_ASSERT_EQUAL(st_dec_parse(bad[i], &d), ST_EINVAL);
    CU_ASSERT_EQUAL(d.v, 42); /* Untouched on failure. */
  }
  /* The lenient parser refuses the same syntax errors; only extra
   * fractional digits are allowed. */
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    st_dec d = {42};
    st_err want = ST_EINVAL;

    if (strcmp(bad[i], "1.0000000001") == 0 ||
        strcmp(bad[i], "0.1234567890") == 0 ||
        strcmp(bad[i], "-7.22735761234") == 0) {
      want = ST_OK;
    }
    CU_ASSERT_EQUAL(st_dec_parse_lenient(bad[i], &d), want);
  }
  CU_ASSERT_EQUAL(st_dec_parse(NULL, &(st_dec){0}), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_parse("1", NULL), ST_EINVAL);
  /* Malformed text is EINVAL even when its digits would also overflow. */
  CU_ASSERT_EQUAL(st_dec_parse("99999999999999999999999x", &(st_dec){0}),
                  ST_EINVAL);
}

static void test_parse_overflow(void) {
  st_dec d = {42};

  CU_ASSERT_EQUAL(st_dec_parse("9223372036.854775808", &d), ST_EOVERFLOW);
  /* The range is symmetric: INT64_MIN billionths is refused too. */
  CU_ASSERT_EQUAL(st_dec_parse("-9223372036.854775808", &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_parse("9223372037", &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_parse("10000000000", &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(
      st_dec_parse("-99999999999999999999999999999999999999999999", &d),
      ST_EOVERFLOW);
  CU_ASSERT_EQUAL(d.v, 42);
}

static void test_parse_lenient_rounding(void) {
  static const struct {
    const char *s;
    int64_t v;
  } cases[] = {
      {"7.22735761234", 7227357612LL},
      {"7.22735761264", 7227357613LL},
      {"0.0000000005", 0},           /* Tie: 0 is even. */
      {"0.0000000015", 2},           /* Tie: 1 is odd, up to 2. */
      {"0.0000000025", 2},           /* Tie: 2 is even. */
      {"0.00000000250000000001", 3}, /* Above the tie. */
      {"0.00000000249999999999", 2},
      {"0.0000000014999", 1},
      {"-0.0000000015", -2},
      {"-0.0000000025", -2},
      {"-0.0000000005", 0},
      {"1.9999999995", 2000000000LL},
      {"0.1234567890000", 123456789LL},
      {"9223372036.8547758064", INT64_MAX - 1},
      {"9223372036.8547758065", INT64_MAX - 1}, /* Tie: ...06 is even. */
      {"9223372036.8547758070", INT64_MAX},
  };
  size_t i;
  st_dec d;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    d.v = 42;
    CU_ASSERT_EQUAL(st_dec_parse_lenient(cases[i].s, &d), ST_OK);
    CU_ASSERT_EQUAL(d.v, cases[i].v);
  }
  /* Rounding up past the end of the range overflows. */
  CU_ASSERT_EQUAL(st_dec_parse_lenient("9223372036.8547758075", &d),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_parse_lenient("-9223372036.8547758076", &d),
                  ST_EOVERFLOW);
}

static void test_from_int_units(void) {
  CU_ASSERT_EQUAL(st_dec_from_int(0).v, 0);
  CU_ASSERT_EQUAL(st_dec_from_int(20).v, 20000000000LL);
  CU_ASSERT_EQUAL(st_dec_from_int(-3).v, -3000000000LL);
  CU_ASSERT_EQUAL(st_dec_from_int(9223372036LL).v, 9223372036000000000LL);
  /* Out of range saturates instead of wrapping. */
  CU_ASSERT_EQUAL(st_dec_from_int(9223372037LL).v, INT64_MAX);
  CU_ASSERT_EQUAL(st_dec_from_int(INT64_MIN).v, -INT64_MAX);

  CU_ASSERT_EQUAL(st_dec_from_units(12345, 2).v, D("123.45").v);
  CU_ASSERT_EQUAL(st_dec_from_units(-5, 1).v, D("-0.5").v);
  CU_ASSERT_EQUAL(st_dec_from_units(7, 0).v, D("7").v);
  CU_ASSERT_EQUAL(st_dec_from_units(1, 9).v, 1);
  CU_ASSERT_EQUAL(st_dec_from_units(INT64_MIN, 9).v, -INT64_MAX);
  CU_ASSERT_EQUAL(st_dec_from_units(INT64_MAX, 0).v, INT64_MAX);
  CU_ASSERT_EQUAL(st_dec_from_units(5, 10).v, 0);
  CU_ASSERT_EQUAL(st_dec_from_units(5, -1).v, 0);
}

static void test_from_double(void) {
  static const struct {
    double d;
    int64_t v;
  } cases[] = {
      {0.0, 0},
      {-0.0, 0},
      {0.1, 100000000LL},
      {0.3, 300000000LL},
      {150.5, 150500000000LL},
      {-2.5, -2500000000LL},
      {7.2273576, 7227357600LL},
      {1e-10, 0},
      {-1e-10, 0},
      {6e-10, 1},
      {5e-324, 0},             /* Smallest subnormal. */
      {0.0009765625, 976562},  /* 2^-10: an exact tie, to even. */
      {0.0029296875, 2929688}, /* 3 * 2^-10: an exact tie, to even. */
      {-0.0029296875, -2929688},
      {9200000000.0, 9200000000000000000LL},
      {-9200000000.0, -9200000000000000000LL},
  };
  size_t i;
  st_dec d;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    d.v = 42;
    CU_ASSERT_EQUAL(st_dec_from_double(cases[i].d, &d), ST_OK);
    CU_ASSERT_EQUAL(d.v, cases[i].v);
  }
  d.v = 42;
  CU_ASSERT_EQUAL(st_dec_from_double(NAN, &d), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_from_double(-NAN, &d), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_from_double(INFINITY, &d), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_from_double(-INFINITY, &d), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_from_double(9300000000.0, &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_from_double(-1e10, &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_from_double(1e300, &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_from_double(4503599627370496.0, &d), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(d.v, 42);
  CU_ASSERT_EQUAL(st_dec_from_double(1.0, NULL), ST_EINVAL);
}

static void test_format(void) {
  ASSERT_FMT(D("1234.5"), 2, "1234.50");
  ASSERT_FMT(D("3"), 0, "3");
  ASSERT_FMT(D("0.000001"), 2, "0.000001");
  ASSERT_FMT(D("0"), 0, "0");
  ASSERT_FMT(D("-0"), 0, "0");
  ASSERT_FMT(D("0"), 2, "0.00");
  ASSERT_FMT(D("-0.5"), 0, "-0.5");
  ASSERT_FMT(D("-0.5"), 4, "-0.5000");
  ASSERT_FMT(D("-0.000000001"), 0, "-0.000000001");
  ASSERT_FMT(D("7.2273576"), 0, "7.2273576");
  ASSERT_FMT(D("100.000"), 0, "100");
  ASSERT_FMT(D("1.1"), 9, "1.100000000");
  ASSERT_FMT(D("1.1"), 12, "1.100000000"); /* min_frac clamped. */
  ASSERT_FMT(D("1.10"), -3, "1.1");
  ASSERT_FMT(D("9223372036.854775807"), 0, "9223372036.854775807");
  ASSERT_FMT(D("-9223372036.854775807"), 0, "-9223372036.854775807");
  /* Never produced here, but must still format without overflow. */
  ASSERT_FMT(((st_dec){INT64_MIN}), 0, "-9223372036.854775808");
  /* A negative value that rounds to zero prints "0.00", not "-0.00". */
  ASSERT_FMT(st_dec_round(D("-0.001"), 2, ST_ROUND_HALF_EVEN), 2, "0.00");
  ASSERT_FMT(st_dec_round(D("-0.4"), 0, ST_ROUND_CEIL), 0, "0");
}

static void test_format_roundtrip(void) {
  static const char *const strs[] = {
      "0",
      "1",
      "-1",
      "0.5",
      "-0.000000001",
      "123.456789",
      "9223372036.854775807",
      "-9223372036.854775807",
      "7.2273576",
  };
  size_t i;
  char buf[ST_DEC_STRLEN];
  st_dec d;
  st_dec back;

  for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
    d = D(strs[i]);
    st_dec_format(d, 0, buf);
    CU_ASSERT_STRING_EQUAL(buf, strs[i]);
    CU_ASSERT_EQUAL(st_dec_parse(buf, &back), ST_OK);
    CU_ASSERT_EQUAL(back.v, d.v);
  }
}

static void test_add_sub(void) {
  st_dec r = {42};
  st_dec max = {INT64_MAX};
  st_dec min = {-INT64_MAX};
  st_dec tiny = {1};

  CU_ASSERT_EQUAL(st_dec_add(D("0.1"), D("0.2"), &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.3").v);
  CU_ASSERT_EQUAL(st_dec_sub(D("1"), D("1.5"), &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("-0.5").v);
  CU_ASSERT_EQUAL(st_dec_add(max, min, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, 0);

  r.v = 42;
  CU_ASSERT_EQUAL(st_dec_add(max, tiny, &r), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_add(max, max, &r), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_sub(min, max, &r), ST_EOVERFLOW);
  /* -INT64_MAX - 1e-9 would be INT64_MIN: outside the symmetric range. */
  CU_ASSERT_EQUAL(st_dec_sub(min, tiny, &r), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_sub(tiny, (st_dec){INT64_MIN}, &r), ST_EOVERFLOW);
  CU_ASSERT_EQUAL(r.v, 42);
}

static void test_mul(void) {
  st_dec r = {42};
  char buf[ST_DEC_STRLEN];

  /* 10 @ 150.50 -> 1505.00. */
  CU_ASSERT_EQUAL(st_dec_mul(D("10"), D("150.50"), ST_ROUND_HALF_EVEN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, D("1505").v);
  CU_ASSERT_STRING_EQUAL(st_dec_format(r, 2, buf), "1505.00");
  /* 20 @ 300 = 6000. */
  CU_ASSERT_EQUAL(st_dec_mul(D("20"), D("300"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("6000").v);
  /* 0.1 x $5 = 0.5, below $1. */
  CU_ASSERT_EQUAL(st_dec_mul(D("0.1"), D("5"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.5").v);
  CU_ASSERT_TRUE(st_dec_cmp(r, D("1")) < 0);
  CU_ASSERT_EQUAL(st_dec_mul(D("-1.5"), D("-2"), ST_ROUND_HALF_EVEN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, D("3").v);
  CU_ASSERT_EQUAL(st_dec_mul(D("-1.5"), D("2"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("-3").v);

  /* 1e-9 * 0.5 is an exact tie at the ninth digit. */
  CU_ASSERT_EQUAL(
      st_dec_mul(D("0.000000001"), D("0.5"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, 0);
  CU_ASSERT_EQUAL(
      st_dec_mul(D("0.000000003"), D("0.5"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, 2);
  CU_ASSERT_EQUAL(st_dec_mul(D("0.000000001"), D("0.5"), ST_ROUND_HALF_UP, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 1);
  CU_ASSERT_EQUAL(st_dec_mul(D("-0.000000001"), D("0.5"), ST_ROUND_HALF_UP, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, -1);
  CU_ASSERT_EQUAL(st_dec_mul(D("-0.000000001"), D("0.1"), ST_ROUND_FLOOR, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, -1);
  CU_ASSERT_EQUAL(st_dec_mul(D("-0.000000001"), D("0.1"), ST_ROUND_CEIL, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 0);
  CU_ASSERT_EQUAL(st_dec_mul(D("0.000000001"), D("0.1"), ST_ROUND_UP, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 1);
  CU_ASSERT_EQUAL(st_dec_mul(D("0.000000001"), D("0.9"), ST_ROUND_DOWN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 0);

  r.v = 42;
  CU_ASSERT_EQUAL(st_dec_mul(D("100000"), D("100000"), ST_ROUND_DOWN, &r),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_mul((st_dec){INT64_MAX}, (st_dec){INT64_MAX},
                             ST_ROUND_HALF_EVEN, &r),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_mul((st_dec){INT64_MIN}, (st_dec){INT64_MIN},
                             ST_ROUND_HALF_EVEN, &r),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(
      st_dec_mul((st_dec){INT64_MIN}, D("-1"), ST_ROUND_HALF_EVEN, &r),
      ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_mul(D("1"), D("1"), (st_round)99, &r), ST_EINVAL);
  CU_ASSERT_EQUAL(r.v, 42);
  CU_ASSERT_EQUAL(st_dec_mul((st_dec){INT64_MAX}, D("1"), ST_ROUND_DOWN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, INT64_MAX);
}

static void test_div(void) {
  st_dec r = {42};

  CU_ASSERT_EQUAL(st_dec_div(D("1"), D("3"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.333333333").v);
  CU_ASSERT_EQUAL(st_dec_div(D("2"), D("3"), ST_ROUND_HALF_EVEN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.666666667").v);
  CU_ASSERT_EQUAL(st_dec_div(D("2"), D("3"), ST_ROUND_DOWN, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.666666666").v);
  CU_ASSERT_EQUAL(st_dec_div(D("-1"), D("3"), ST_ROUND_FLOOR, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("-0.333333334").v);
  CU_ASSERT_EQUAL(st_dec_div(D("1"), D("-3"), ST_ROUND_CEIL, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("-0.333333333").v);
  CU_ASSERT_EQUAL(st_dec_div(D("-1"), D("-3"), ST_ROUND_UP, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("0.333333334").v);
  CU_ASSERT_EQUAL(st_dec_div(D("6000"), D("20"), ST_ROUND_HALF_EVEN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, D("300").v);
  /* 1e-9 / 2 is a tie: half-even gives 0, half-up 1e-9. */
  CU_ASSERT_EQUAL(st_dec_div(D("0.000000001"), D("2"), ST_ROUND_HALF_EVEN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 0);
  CU_ASSERT_EQUAL(st_dec_div(D("0.000000001"), D("2"), ST_ROUND_HALF_UP, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, 1);

  r.v = 42;
  CU_ASSERT_EQUAL(st_dec_div(D("1"), D("0"), ST_ROUND_HALF_EVEN, &r),
                  ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_div(D("1"), D("1"), (st_round)-1, &r), ST_EINVAL);
  CU_ASSERT_EQUAL(st_dec_div(D("10"), D("0.000000001"), ST_ROUND_DOWN, &r),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(
      st_dec_div((st_dec){INT64_MIN}, D("-0.000000001"), ST_ROUND_DOWN, &r),
      ST_EOVERFLOW);
  CU_ASSERT_EQUAL(st_dec_div((st_dec){INT64_MIN}, D("1"), ST_ROUND_DOWN, &r),
                  ST_EOVERFLOW);
  CU_ASSERT_EQUAL(r.v, 42);
  CU_ASSERT_EQUAL(st_dec_div((st_dec){INT64_MAX}, D("-1"), ST_ROUND_DOWN, &r),
                  ST_OK);
  CU_ASSERT_EQUAL(r.v, -INT64_MAX);
}

/* A fill moved 50% of the way from 100 toward 110 lands on 105. */
static void test_interpolate(void) {
  st_dec from = D("100");
  st_dec to = D("110");
  st_dec span;
  st_dec step;
  st_dec r;

  CU_ASSERT_EQUAL(st_dec_sub(to, from, &span), ST_OK);
  CU_ASSERT_EQUAL(st_dec_mul(span, D("0.5"), ST_ROUND_HALF_EVEN, &step), ST_OK);
  CU_ASSERT_EQUAL(st_dec_add(from, step, &r), ST_OK);
  CU_ASSERT_EQUAL(r.v, D("105").v);
}

static void test_round_modes(void) {
  static const struct {
    const char *in;
    int digits;
    const char *want[6]; /* Indexed by st_round. */
  } cases[] = {
      /*                   DOWN    UP      FLOOR   CEIL    HEVEN   HUP */
      {"2.5", 0, {"2", "3", "2", "3", "2", "3"}},
      {"3.5", 0, {"3", "4", "3", "4", "4", "4"}},
      {"-2.5", 0, {"-2", "-3", "-3", "-2", "-2", "-3"}},
      {"-3.5", 0, {"-3", "-4", "-4", "-3", "-4", "-4"}},
      {"2.4", 0, {"2", "3", "2", "3", "2", "2"}},
      {"2.6", 0, {"2", "3", "2", "3", "3", "3"}},
      {"-2.6", 0, {"-2", "-3", "-3", "-2", "-3", "-3"}},
      {"1.005", 2, {"1", "1.01", "1", "1.01", "1", "1.01"}},
      {"1.015", 2, {"1.01", "1.02", "1.01", "1.02", "1.02", "1.02"}},
      {"1.0051", 2, {"1", "1.01", "1", "1.01", "1.01", "1.01"}},
      {"-1.005", 2, {"-1", "-1.01", "-1.01", "-1", "-1", "-1.01"}},
      {"1.25", 2, {"1.25", "1.25", "1.25", "1.25", "1.25", "1.25"}},
  };
  size_t i;
  int m;
  char buf[ST_DEC_STRLEN];

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    st_dec in = D(cases[i].in);

    for (m = ST_ROUND_DOWN; m <= ST_ROUND_HALF_UP; m++) {
      st_dec_format(st_dec_round(in, cases[i].digits, (st_round)m), 0, buf);
      CU_ASSERT_STRING_EQUAL(buf, cases[i].want[m]);
    }
  }
}

static void test_round_edges(void) {
  st_dec x = D("1.123456789");

  CU_ASSERT_EQUAL(st_dec_round(x, 9, ST_ROUND_UP).v, x.v);
  CU_ASSERT_EQUAL(st_dec_round(x, 12, ST_ROUND_UP).v, x.v);
  CU_ASSERT_EQUAL(st_dec_round(x, -2, ST_ROUND_DOWN).v, D("1").v);
  CU_ASSERT_EQUAL(st_dec_round(x, 8, ST_ROUND_HALF_EVEN).v, D("1.12345679").v);
  CU_ASSERT_EQUAL(st_dec_round(x, 3, (st_round)77).v, D("1.123").v);
  /* Rounding away past the end of the range falls back toward zero. */
  CU_ASSERT_EQUAL(st_dec_round((st_dec){INT64_MAX}, 0, ST_ROUND_UP).v,
                  D("9223372036").v);
  CU_ASSERT_EQUAL(st_dec_round((st_dec){-INT64_MAX}, 2, ST_ROUND_FLOOR).v,
                  D("-9223372036.85").v);
  CU_ASSERT_EQUAL(st_dec_round((st_dec){INT64_MIN}, 0, ST_ROUND_HALF_EVEN).v,
                  D("-9223372036").v);
  CU_ASSERT_EQUAL(st_dec_round((st_dec){INT64_MAX}, 2, ST_ROUND_HALF_EVEN).v,
                  D("9223372036.85").v);
}

static void test_round_price(void) {
  /* Cents at or above $1. */
  CU_ASSERT_EQUAL(st_dec_round_price(D("150.505"), ST_ROUND_HALF_EVEN).v,
                  D("150.50").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("150.515"), ST_ROUND_HALF_EVEN).v,
                  D("150.52").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("150.505"), ST_ROUND_HALF_UP).v,
                  D("150.51").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("1"), ST_ROUND_UP).v, D("1").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("1.00001"), ST_ROUND_UP).v, D("1.01").v);
  /* Four digits below $1. */
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.12345"), ST_ROUND_HALF_EVEN).v,
                  D("0.1234").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.12355"), ST_ROUND_HALF_EVEN).v,
                  D("0.1236").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.99999"), ST_ROUND_DOWN).v,
                  D("0.9999").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.99995"), ST_ROUND_HALF_EVEN).v,
                  D("1").v);
  /* The magnitude decides for negative prices. */
  CU_ASSERT_EQUAL(st_dec_round_price(D("-0.12345"), ST_ROUND_HALF_EVEN).v,
                  D("-0.1234").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("-1.005"), ST_ROUND_HALF_EVEN).v,
                  D("-1").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("-1.005"), ST_ROUND_HALF_UP).v,
                  D("-1.01").v);
  /* 0.1 x $5 = 0.5: below $1, so it keeps four digits. */
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.50005"), ST_ROUND_HALF_EVEN).v,
                  D("0.5").v);
  CU_ASSERT_EQUAL(st_dec_round_price(D("0.50015"), ST_ROUND_HALF_EVEN).v,
                  D("0.5002").v);
  CU_ASSERT_EQUAL(st_dec_round_price((st_dec){INT64_MIN}, ST_ROUND_DOWN).v,
                  D("-9223372036.85").v);
}

static void test_cmp(void) {
  CU_ASSERT_EQUAL(st_dec_cmp(D("1"), D("2")), -1);
  CU_ASSERT_EQUAL(st_dec_cmp(D("2"), D("1")), 1);
  CU_ASSERT_EQUAL(st_dec_cmp(D("1.50"), D("1.5")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(D("-0"), D("0")), 0);
  CU_ASSERT_EQUAL(st_dec_cmp(D("-1"), D("0.000000001")), -1);
  CU_ASSERT_EQUAL(st_dec_cmp((st_dec){INT64_MIN}, (st_dec){INT64_MAX}), -1);
  CU_ASSERT_EQUAL(st_dec_cmp((st_dec){INT64_MAX}, (st_dec){INT64_MIN}), 1);
}

static void test_inline_helpers(void) {
  st_dec lo = D("-9223372036.854775807");

  CU_ASSERT_EQUAL(st_dec_neg(lo).v, INT64_MAX);
  CU_ASSERT_EQUAL(st_dec_abs(lo).v, INT64_MAX);
  CU_ASSERT_TRUE(st_dec_is_neg(lo));
  CU_ASSERT_TRUE(st_dec_is_pos(st_dec_abs(lo)));
  CU_ASSERT_TRUE(st_dec_is_zero(D("-0.000")));
  CU_ASSERT_EQUAL(st_dec_min(D("1"), D("2")).v, D("1").v);
  CU_ASSERT_EQUAL(st_dec_max(D("1"), D("2")).v, D("2").v);
}

static const st_test tests[] = {
    {"parse_valid", test_parse_valid},
    {"parse_invalid", test_parse_invalid},
    {"parse_overflow", test_parse_overflow},
    {"parse_lenient_rounding", test_parse_lenient_rounding},
    {"from_int_units", test_from_int_units},
    {"from_double", test_from_double},
    {"format", test_format},
    {"format_roundtrip", test_format_roundtrip},
    {"add_sub", test_add_sub},
    {"mul", test_mul},
    {"div", test_div},
    {"interpolate", test_interpolate},
    {"round_modes", test_round_modes},
    {"round_edges", test_round_edges},
    {"round_price", test_round_price},
    {"cmp", test_cmp},
    {"inline_helpers", test_inline_helpers},
    {NULL, NULL},
};

ST_TEST_MAIN("decimal", tests)
