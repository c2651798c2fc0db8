/* alpaca_time.c - RFC 3339 timestamp parsing and formatting. */
#include "server/broker/alpaca_time.h"

#include <stdio.h>

#define NS_PER_SEC 1000000000LL

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dim[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};

  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n decimal digits at *p into *out and advances *p. */
static int digits(const char **p, int n, unsigned *out) {
  unsigned v = 0;
  int i;

  for (i = 0; i < n; i++) {
    char c = (*p)[i];

    if (c < '0' || c > '9') {
      return 0;
    }
    v = v * 10 + (unsigned)(c - '0');
  }
  *p += n;
  *out = v;
  return 1;
}

st_err st_alpaca_time_parse(const char *s, int64_t *ns, int32_t *offset_s) {
  const char *p = s;
  unsigned year, mon, day, hh, mm, ss, oh = 0, om = 0;
  int64_t frac = 0, scale = NS_PER_SEC / 10;
  int32_t off = 0;
  __int128 total;

  if (s == NULL || ns == NULL) {
    return ST_EINVAL;
  }
  if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) ||
      *p++ != '-' || !digits(&p, 2, &day)) {
    return ST_EINVAL;
  }
  if (*p != 'T' && *p != 't' && *p != ' ') {
    return ST_EINVAL;
  }
  p++;
  if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm) ||
      *p++ != ':' || !digits(&p, 2, &ss)) {
    return ST_EINVAL;
  }
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') {
      return ST_EINVAL;
    }
    /* Digits beyond nanoseconds are read and dropped (truncation). */
    while (*p >= '0' && *p <= '9') {
      frac += (*p - '0') * scale;
      scale /= 10;
      p++;
    }
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int neg = *p == '-';

    p++;
    if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om)) {
      return ST_EINVAL;
    }
    if (oh > 23 || om > 59) {
      return ST_EINVAL;
    }
    off = (int32_t)(oh * 3600 + om * 60);
    if (neg) {
      off = -off;
    }
  } else {
    return ST_EINVAL;
  }
  if (*p != '\0') {
    return ST_EINVAL;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
      hh > 23 || mm > 59 || ss > 60) {
    return ST_EINVAL;
  }
  if (ss == 60) {
    ss = 59;
    frac = NS_PER_SEC - 1;
  }
  total = (__int128)days_from_civil(year, mon, day) * 86400 + hh * 3600 +
          mm * 60 + ss - off;
  total = total * NS_PER_SEC + frac;
  if (total > INT64_MAX || total < INT64_MIN) {
    return ST_EOVERFLOW;
  }
  *ns = (int64_t)total;
  if (offset_s != NULL) {
    *offset_s = off;
  }
  return ST_OK;
}

char *st_alpaca_time_format(int64_t ns, char *buf) {
  int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC, days, rem, y;
  unsigned m, d;

  if (frac < 0) {
    frac += NS_PER_SEC;
    secs--;
  }
  days = secs / 86400;
  rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  civil_from_days(days, &y, &m, &d);
  /* Every int64 ns falls in years 1677..2262: the fields fit an int. */
  snprintf(buf, ST_ALPACA_TIME_STRLEN, "%04d-%02u-%02uT%02d:%02d:%02d.%09dZ",
           (int)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
           (int)(rem % 60), (int)frac);
  return buf;
}
