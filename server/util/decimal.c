/* decimal.c - fixed-point decimals: parsing, formatting, exact arithmetic. */
#include "server/util/decimal.h"

#include <string.h>

/* Intermediates for products and quotients. Every value an st_dec operation
 * builds fits: |a * b| < 2^126 and |a * 10^9| < 2^93. */
__extension__ typedef __int128 i128;

/* The range is symmetric: INT64_MIN is never produced, so st_dec_neg and
 * st_dec_abs cannot overflow on anything this file returns. */
#define DEC_MAX INT64_MAX

static const int64_t pow10_tab[ST_DEC_DIGITS + 1] = {
    1LL,      10LL,      100LL,      1000LL,      10000LL,
    100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
};

static int in_range(i128 v) {
  return v >= -(i128)DEC_MAX && v <= (i128)DEC_MAX;
}

static int mode_valid(st_round mode) {
  return mode >= ST_ROUND_DOWN && mode <= ST_ROUND_HALF_UP;
}

/* Returns n / d rounded with mode; d must be positive. An unknown mode
 * truncates. */
static i128 div_round(i128 n, i128 d, st_round mode) {
  i128 q = n / d; /* Truncated toward zero. */
  i128 r = n % d; /* Same sign as n. */
  i128 away = n < 0 ? -1 : 1;
  i128 twice;

  if (r == 0) {
    return q;
  }
  switch (mode) {
    case ST_ROUND_UP:
      return q + away;
    case ST_ROUND_FLOOR:
      return n < 0 ? q - 1 : q;
    case ST_ROUND_CEIL:
      return n > 0 ? q + 1 : q;
    case ST_ROUND_HALF_EVEN:
    case ST_ROUND_HALF_UP:
      twice = 2 * (r < 0 ? -r : r);
      if (twice < d) {
        return q;
      }
      if (twice > d) {
        return q + away;
      }
      if (mode == ST_ROUND_HALF_UP || q % 2 != 0) {
        return q + away;
      }
      return q;
    case ST_ROUND_DOWN:
    default:
      return q;
  }
}

/* Clamps v into the symmetric range. */
static st_dec saturate(i128 v) {
  if (v > (i128)DEC_MAX) {
    return (st_dec){DEC_MAX};
  }
  if (v < -(i128)DEC_MAX) {
    return (st_dec){-DEC_MAX};
  }
  return (st_dec){(int64_t)v};
}

st_dec st_dec_from_int(int64_t i) {
  return saturate((i128)i * ST_DEC_SCALE);
}

st_dec st_dec_from_units(int64_t units, int exp) {
  if (exp < 0 || exp > ST_DEC_DIGITS) {
    return ST_DEC_ZERO;
  }
  return saturate((i128)units * pow10_tab[ST_DEC_DIGITS - exp]);
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Parses plain notation: [+-] digits [. digits]. With lenient, fractional
 * digits beyond the ninth are rounded half-even; otherwise they are refused.
 * The syntax is checked in full before any value is computed, so malformed
 * text is ST_EINVAL even when its digits would also overflow. */
static st_err parse(const char *s, int lenient, st_dec *out) {
  const char *p;
  const char *int_start;
  const char *int_end;
  const char *frac_start = NULL;
  const char *frac_end = NULL;
  int neg = 0;
  i128 mag = 0;
  int64_t frac = 0;
  int n;

  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  p = s;
  if (*p == '+' || *p == '-') {
    neg = *p == '-';
    p++;
  }
  int_start = p;
  while (is_digit(*p)) {
    p++;
  }
  int_end = p;
  if (int_end == int_start) {
    return ST_EINVAL; /* "", "-", ".5", "nan", ... */
  }
  if (*p == '.') {
    p++;
    frac_start = p;
    while (is_digit(*p)) {
      p++;
    }
    frac_end = p;
    if (frac_end == frac_start) {
      return ST_EINVAL; /* "5." */
    }
    if (!lenient && frac_end - frac_start > ST_DEC_DIGITS) {
      return ST_EINVAL;
    }
  }
  if (*p != '\0') {
    return ST_EINVAL; /* "1e3", "1,000", "0x10", "1 ", ... */
  }

  /* Whole part, stopping as soon as it is out of range (leading zeros keep
   * mag at zero, so any number of them is fine). */
  for (p = int_start; p < int_end; p++) {
    mag = mag * 10 + (*p - '0');
    if (mag > (i128)DEC_MAX / ST_DEC_SCALE) {
      return ST_EOVERFLOW;
    }
  }
  mag *= ST_DEC_SCALE;

  if (frac_start != NULL) {
    for (n = 0, p = frac_start; n < ST_DEC_DIGITS; n++) {
      frac *= 10;
      if (p < frac_end) {
        frac += *p++ - '0';
      }
    }
    mag += frac;
    if (p < frac_end) {
      /* Lenient only: p is the tenth fractional digit. */
      int first = *p++ - '0';
      int rest = 0;

      for (; p < frac_end; p++) {
        rest |= *p != '0';
      }
      if (first > 5 || (first == 5 && (rest || mag % 2 != 0))) {
        mag++;
      }
    }
  }
  if (mag > (i128)DEC_MAX) {
    return ST_EOVERFLOW;
  }
  out->v = (int64_t)(neg ? -mag : mag);
  return ST_OK;
}

st_err st_dec_parse(const char *s, st_dec *out) {
  return parse(s, 0, out);
}

st_err st_dec_parse_lenient(const char *s, st_dec *out) {
  return parse(s, 1, out);
}

/* Decodes the IEEE 754 binary64 bits directly: d is m * 2^e exactly, so
 * d * 10^9 = m * 10^9 / 2^-e is rounded half-even in integer arithmetic,
 * without libm, printf rounding or the locale's decimal point. */
st_err st_dec_from_double(double d, st_dec *out) {
  uint64_t bits;
  int biased;
  int64_t m;
  int e;
  i128 q;

  if (out == NULL) {
    return ST_EINVAL;
  }
  memcpy(&bits, &d, sizeof(bits));
  biased = (int)((bits >> 52) & 0x7ff);
  m = (int64_t)(bits & ((1ULL << 52) - 1));
  if (biased == 0x7ff) {
    return ST_EINVAL; /* NaN or infinity. */
  }
  if (biased == 0) {
    e = -1074; /* Zero or subnormal. */
  } else {
    m |= 1LL << 52;
    e = biased - 1075;
  }
  if (m == 0) {
    q = 0;
  } else if (e >= 0) {
    /* A normal double with e >= 0 is at least 2^52, far out of range. */
    return ST_EOVERFLOW;
  } else if (-e > 120) {
    /* m * 10^9 < 2^83, so the quotient is below 2^-37: rounds to zero. */
    q = 0;
  } else {
    q = div_round((i128)m * ST_DEC_SCALE, (i128)1 << -e, ST_ROUND_HALF_EVEN);
  }
  if (q > (i128)DEC_MAX) {
    return ST_EOVERFLOW;
  }
  out->v = (int64_t)((bits >> 63) ? -q : q);
  return ST_OK;
}

char *st_dec_format(st_dec d, int min_frac, char *buf) {
  /* Unsigned magnitude, so that even INT64_MIN formats without overflow. */
  uint64_t mag = d.v < 0 ? 0 - (uint64_t)d.v : (uint64_t)d.v;
  uint64_t whole = mag / ST_DEC_SCALE;
  uint64_t frac = mag % ST_DEC_SCALE;
  char digits[ST_DEC_STRLEN];
  char *p = buf;
  int n = 0;
  int nfrac;
  int i;

  if (min_frac < 0) {
    min_frac = 0;
  }
  if (min_frac > ST_DEC_DIGITS) {
    min_frac = ST_DEC_DIGITS;
  }
  if (d.v < 0) {
    *p++ = '-'; /* d is not zero, so this is never "-0". */
  }
  do {
    digits[n++] = (char)('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  while (n > 0) {
    *p++ = digits[--n];
  }

  for (i = ST_DEC_DIGITS - 1; i >= 0; i--) {
    digits[i] = (char)('0' + frac % 10);
    frac /= 10;
  }
  nfrac = ST_DEC_DIGITS;
  while (nfrac > min_frac && digits[nfrac - 1] == '0') {
    nfrac--;
  }
  if (nfrac > 0) {
    *p++ = '.';
    memcpy(p, digits, (size_t)nfrac);
    p += nfrac;
  }
  *p = '\0';
  return buf;
}

static st_err finish(i128 v, st_dec *out) {
  if (!in_range(v)) {
    return ST_EOVERFLOW;
  }
  out->v = (int64_t)v;
  return ST_OK;
}

st_err st_dec_add(st_dec a, st_dec b, st_dec *out) {
  return finish((i128)a.v + b.v, out);
}

st_err st_dec_sub(st_dec a, st_dec b, st_dec *out) {
  return finish((i128)a.v - b.v, out);
}

st_err st_dec_mul(st_dec a, st_dec b, st_round mode, st_dec *out) {
  if (!mode_valid(mode)) {
    return ST_EINVAL;
  }
  return finish(div_round((i128)a.v * b.v, ST_DEC_SCALE, mode), out);
}

st_err st_dec_div(st_dec a, st_dec b, st_round mode, st_dec *out) {
  i128 n = (i128)a.v * ST_DEC_SCALE;
  i128 d = b.v;

  if (b.v == 0 || !mode_valid(mode)) {
    return ST_EINVAL;
  }
  if (d < 0) {
    n = -n;
    d = -d;
  }
  return finish(div_round(n, d, mode), out);
}

st_dec st_dec_round(st_dec d, int digits, st_round mode) {
  int64_t unit;
  i128 q;

  if (digits < 0) {
    digits = 0;
  }
  if (digits >= ST_DEC_DIGITS) {
    return d;
  }
  unit = pow10_tab[ST_DEC_DIGITS - digits];
  q = div_round(d.v, unit, mode);
  if (!in_range(q * unit)) {
    /* Rounded away past the end of the range: the nearest multiple of unit
     * that exists is the truncated one. */
    q = div_round(d.v, unit, ST_ROUND_DOWN);
  }
  return (st_dec){(int64_t)(q * unit)};
}

st_dec st_dec_round_price(st_dec d, st_round mode) {
  int at_least_one = d.v >= ST_DEC_SCALE || d.v <= -ST_DEC_SCALE;

  return st_dec_round(d, at_least_one ? 2 : 4, mode);
}

int st_dec_cmp(st_dec a, st_dec b) {
  return (a.v > b.v) - (a.v < b.v);
}
