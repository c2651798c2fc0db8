/* decimal.h - fixed-point decimals for money, prices and quantities.
 *
 * No binary floating point touches money in settled. An st_dec is a signed
 * 64-bit count of billionths (9 fractional digits): the range is about
 * +/-9.2 billion, enough for any single price, quantity or account balance
 * this service handles. Products and quotients use 128-bit intermediates.
 * Operations that could overflow return ST_EOVERFLOW instead of wrapping.
 * The range is symmetric, +/-INT64_MAX billionths: no function here returns
 * INT64_MIN, so st_dec_neg and st_dec_abs cannot overflow on their results.
 *
 * Strings are plain decimal notation: optional sign, digits, optional '.'
 * and 1 to 9 fractional digits ("1234.50", "-0.5", "7.2273576"). There must
 * be a digit on each side of a '.': "5." and ".5" are refused. No exponent,
 * no thousands separator, no surrounding blanks.
 */
#ifndef ST_UTIL_DECIMAL_H
#define ST_UTIL_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"

#define ST_DEC_SCALE 1000000000LL /* Units per 1: 9 fractional digits. */
#define ST_DEC_DIGITS 9

/* A decimal number: v / ST_DEC_SCALE. Plain value type. */
typedef struct st_dec {
  int64_t v;
} st_dec;

/* Rounding modes. */
typedef enum st_round {
  ST_ROUND_DOWN = 0,  /* Toward zero (truncate). */
  ST_ROUND_UP,        /* Away from zero. */
  ST_ROUND_FLOOR,     /* Toward negative infinity. */
  ST_ROUND_CEIL,      /* Toward positive infinity. */
  ST_ROUND_HALF_EVEN, /* To nearest; ties to even (banker's rounding). */
  ST_ROUND_HALF_UP,   /* To nearest; ties away from zero. */
} st_round;

/* Longest string st_dec_format writes, with its NUL. */
#define ST_DEC_STRLEN 32

#define ST_DEC_ZERO ((st_dec){0})

/* Returns the decimal for a whole number i. |i| must be below 9.2e9; there
 * is no error return, so values outside the range saturate at +/-INT64_MAX
 * billionths rather than wrap. */
st_dec st_dec_from_int(int64_t i);

/* Returns the decimal for units / 10^exp, e.g. (12345, 2) is 123.45.
 * exp must be 0..9 (other values give zero); out-of-range results saturate
 * like st_dec_from_int. */
st_dec st_dec_from_units(int64_t units, int exp);

/* Parses s (the whole string) into *out. ST_EINVAL for anything that is not
 * plain decimal notation, or that has more than 9 fractional digits;
 * ST_EOVERFLOW when out of range. */
st_err st_dec_parse(const char *s, st_dec *out);

/* Like st_dec_parse, but more than 9 fractional digits are rounded half-even
 * instead of refused (for numbers from brokers). */
st_err st_dec_parse_lenient(const char *s, st_dec *out);

/* Converts a binary double (e.g. a JSON number from a broker) by rounding
 * its exact binary value half-even to 9 fractional digits. ST_EINVAL for
 * NaN or infinity, ST_EOVERFLOW when out of range. Never used for
 * arithmetic. */
st_err st_dec_from_double(double d, st_dec *out);

/* Writes d into buf (at least ST_DEC_STRLEN bytes) with at least min_frac
 * and at most 9 fractional digits, trailing zeros beyond min_frac removed:
 * (1234.5, 2) -> "1234.50", (3, 0) -> "3", (0.000001, 2) -> "0.000001".
 * min_frac outside 0..9 is clamped. Zero is never written as "-0".
 * Returns buf. */
char *st_dec_format(st_dec d, int min_frac, char *buf);

/* Arithmetic. Each returns ST_EOVERFLOW instead of wrapping. */
st_err st_dec_add(st_dec a, st_dec b, st_dec *out);
st_err st_dec_sub(st_dec a, st_dec b, st_dec *out);
/* a * b rounded to 9 digits with mode; ST_EINVAL for an unknown mode. */
st_err st_dec_mul(st_dec a, st_dec b, st_round mode, st_dec *out);
/* a / b rounded to 9 digits with mode; ST_EINVAL when b is zero or the
 * mode is unknown. */
st_err st_dec_div(st_dec a, st_dec b, st_round mode, st_dec *out);

/* Rounds d to `digits` fractional digits (0..9; fewer than 0 counts as 0)
 * with mode. If rounding away from zero would leave the range, the result
 * is rounded toward zero instead. An unknown mode truncates. */
st_dec st_dec_round(st_dec d, int digits, st_round mode);

/* Rounds a price to the broker's increment: cents when |d| is at or above
 * $1, 1/100 of a cent (4 digits) below $1, with mode. */
st_dec st_dec_round_price(st_dec d, st_round mode);

/* -1, 0 or 1 as a < b, a == b, a > b. */
int st_dec_cmp(st_dec a, st_dec b);

static inline int st_dec_is_zero(st_dec d) {
  return d.v == 0;
}
static inline int st_dec_is_neg(st_dec d) {
  return d.v < 0;
}
static inline int st_dec_is_pos(st_dec d) {
  return d.v > 0;
}
static inline st_dec st_dec_neg(st_dec d) {
  return (st_dec){-d.v};
}
static inline st_dec st_dec_abs(st_dec d) {
  return (st_dec){d.v < 0 ? -d.v : d.v};
}
static inline st_dec st_dec_min(st_dec a, st_dec b) {
  return a.v < b.v ? a : b;
}
static inline st_dec st_dec_max(st_dec a, st_dec b) {
  return a.v > b.v ? a : b;
}

#endif
