/* clock.c - market hours: always open, or NYSE hours with the US DST rule. */
#include "server/sim/clock.h"

#include <string.h>

#define SEC_PER_DAY 86400LL
#define HOUR 3600LL

/* Floor division for possibly negative a (b > 0). */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;

  if ((a % b != 0) && (a < 0)) {
    q--;
  }
  return q;
}

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (Howard
 * Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era;
  int64_t yoe;
  int64_t doy;
  int64_t doe;

  y -= m <= 2;
  era = floor_div(y, 400);
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The year of day number z (days since the epoch). */
static int64_t year_from_days(int64_t z) {
  int64_t era;
  int64_t doe;
  int64_t yoe;
  int64_t doy;
  int64_t mp;
  int64_t y;

  z += 719468;
  era = floor_div(z, 146097);
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  return y + (mp >= 10);
}

/* 0 = Sunday ... 6 = Saturday. 1970-01-01 was a Thursday. */
static int weekday(int64_t days) {
  int64_t w = (days + 4) % 7;

  return (int)(w < 0 ? w + 7 : w);
}

/* Day number of the n-th (1-based) Sunday of month m of year y. */
static int64_t nth_sunday(int64_t y, int m, int n) {
  int64_t first = days_from_civil(y, m, 1);
  int w = weekday(first);

  return first + (7 - w) % 7 + 7 * (n - 1);
}

/* UTC offset of New York in seconds at UTC second t. */
static int32_t ny_offset_s(int64_t t) {
  int64_t y = year_from_days(floor_div(t, SEC_PER_DAY));
  /* 02:00 EST = 07:00 UTC; 02:00 EDT = 06:00 UTC. */
  int64_t start = nth_sunday(y, 3, 2) * SEC_PER_DAY + 7 * HOUR;
  int64_t end = nth_sunday(y, 11, 1) * SEC_PER_DAY + 6 * HOUR;

  return (t >= start && t < end) ? -4 * HOUR : -5 * HOUR;
}

/* Session open and close (UTC seconds) of local New York day `day`. */
static void session_of(int64_t day, int64_t *open, int64_t *close) {
  /* Midday is never near a DST change, so its offset is the day's. */
  int32_t off = ny_offset_s(day * SEC_PER_DAY + 17 * HOUR);

  *open = day * SEC_PER_DAY + 9 * HOUR + 30 * 60 - off;
  *close = day * SEC_PER_DAY + 16 * HOUR - off;
}

static int is_weekday(int64_t day) {
  int w = weekday(day);

  return w >= 1 && w <= 5;
}

static void nyse(int64_t now_ns, st_sim_clock *out) {
  int64_t now_s = floor_div(now_ns, ST_SIM_NS_PER_SEC);
  int64_t today = floor_div(now_s + ny_offset_s(now_s), SEC_PER_DAY);
  int64_t open;
  int64_t close;
  int have_close = 0;

  out->is_open = 0;
  out->session_open_ns = 0;
  out->next_open_ns = 0;
  out->next_close_ns = 0;
  /* A weekday is found within a few days; ten bounds the loop. */
  for (int64_t d = today; d < today + 10; d++) {
    if (!is_weekday(d)) {
      continue;
    }
    session_of(d, &open, &close);
    if (now_s >= close) {
      continue;
    }
    if (now_s >= open) {
      out->is_open = 1;
      out->session_open_ns = open * ST_SIM_NS_PER_SEC;
      out->next_close_ns = close * ST_SIM_NS_PER_SEC;
      have_close = 1;
      continue;
    }
    out->next_open_ns = open * ST_SIM_NS_PER_SEC;
    if (!have_close) {
      out->next_close_ns = close * ST_SIM_NS_PER_SEC;
    }
    break;
  }
}

st_err st_sim_clock_get(st_sim_clock_mode mode, int64_t now_ns,
                        st_sim_clock *out) {
  if (out == NULL) {
    return ST_EINVAL;
  }
  memset(out, 0, sizeof(*out));
  out->timestamp_ns = now_ns;
  switch (mode) {
    case ST_SIM_CLOCK_ALWAYS_OPEN:
      out->is_open = 1;
      out->session_open_ns = now_ns - 2 * HOUR * ST_SIM_NS_PER_SEC;
      out->next_close_ns = now_ns + (4 * HOUR + 30 * 60) * ST_SIM_NS_PER_SEC;
      out->next_open_ns = now_ns + 22 * HOUR * ST_SIM_NS_PER_SEC;
      return ST_OK;
    case ST_SIM_CLOCK_NYSE:
      nyse(now_ns, out);
      return ST_OK;
  }
  return ST_EINVAL;
}

st_err st_sim_clock_ny_offset(int64_t ns, int32_t *offset_s) {
  if (offset_s == NULL) {
    return ST_EINVAL;
  }
  *offset_s = ny_offset_s(floor_div(ns, ST_SIM_NS_PER_SEC));
  return ST_OK;
}

const char *st_sim_clock_mode_name(st_sim_clock_mode mode) {
  switch (mode) {
    case ST_SIM_CLOCK_ALWAYS_OPEN:
      return "always_open";
    case ST_SIM_CLOCK_NYSE:
      return "nyse";
  }
  return "?";
}

st_err st_sim_clock_mode_parse(const char *s, st_sim_clock_mode *out) {
  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  if (strcmp(s, "always_open") == 0) {
    *out = ST_SIM_CLOCK_ALWAYS_OPEN;
  } else if (strcmp(s, "nyse") == 0) {
    *out = ST_SIM_CLOCK_NYSE;
  } else {
    return ST_EINVAL;
  }
  return ST_OK;
}
