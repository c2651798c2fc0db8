/* timefmt.c - RFC3339 formatting and parsing. */
#include "server/alpaca_sim/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/sim/clock.h"

#define NS_PER_SEC 1000000000LL

char *st_asim_time_format(int64_t ns, int32_t offset_s, char *buf) {
  int64_t sec = ns / NS_PER_SEC;
  int64_t frac = ns % NS_PER_SEC;
  time_t t;
  struct tm tm;
  char zone[16];

  if (frac < 0) {
    frac += NS_PER_SEC;
    sec -= 1;
  }
  t = (time_t)(sec + offset_s);
  gmtime_r(&t, &tm);
  if (offset_s == 0) {
    snprintf(zone, sizeof(zone), "Z");
  } else {
    int32_t a = offset_s < 0 ? -offset_s : offset_s;
    snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_s < 0 ? '-' : '+',
             (int)(a / 3600), (int)(a % 3600 / 60));
  }
  snprintf(buf, ST_ASIM_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09lld%s",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (long long)frac, zone);
  return buf;
}

char *st_asim_time_format_ny(int64_t ns, char *buf) {
  int32_t off = 0;

  if (st_sim_clock_ny_offset(ns, &off) != ST_OK) {
    off = 0;
  }
  return st_asim_time_format(ns, off, buf);
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int digits(const char **p, int n, int *out) {
  int v = 0;

  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) {
      return 0;
    }
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 1;
}

st_err st_asim_time_parse(const char *s, int64_t *ns) {
  const char *p = s;
  struct tm tm;
  int y, mo, d, h = 0, mi = 0, se = 0;
  int64_t frac = 0;
  int32_t off = 0;
  time_t t;

  memset(&tm, 0, sizeof(tm));
  if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
      !digits(&p, 2, &d)) {
    return ST_EINVAL;
  }
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) {
      return ST_EINVAL;
    }
    if (*p == ':') {
      p++;
      if (!digits(&p, 2, &se)) {
        return ST_EINVAL;
      }
    }
    if (*p == '.') {
      int64_t scale = NS_PER_SEC / 10;

      p++;
      if (!isdigit((unsigned char)*p)) {
        return ST_EINVAL;
      }
      while (isdigit((unsigned char)*p)) {
        frac += (*p - '0') * scale;
        scale /= 10;
        p++;
      }
    }
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
      int sign = *p == '-' ? -1 : 1;
      int oh, om;

      p++;
      if (!digits(&p, 2, &oh)) {
        return ST_EINVAL;
      }
      if (*p == ':') {
        p++;
      }
      if (!digits(&p, 2, &om)) {
        return ST_EINVAL;
      }
      off = sign * (oh * 3600 + om * 60);
    }
  }
  if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      se > 60) {
    return ST_EINVAL;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  t = timegm(&tm);
  *ns = ((int64_t)t - off) * NS_PER_SEC + frac;
  return ST_OK;
}

int64_t st_asim_now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
