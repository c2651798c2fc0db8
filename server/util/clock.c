/* clock.c - time helpers. */
#include "server/util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static int64_t read_clock(clockid_t id) {
  struct timespec ts;

  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * ST_NS_PER_SEC + ts.tv_nsec;
}

int64_t st_now_ns(void) {
  return read_clock(CLOCK_REALTIME);
}

int64_t st_mono_ns(void) {
  return read_clock(CLOCK_MONOTONIC);
}

void st_sleep_ms(int64_t ms) {
  struct timespec ts;

  if (ms <= 0) {
    return;
  }
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

char *st_rfc3339(int64_t ns, char *buf) {
  time_t sec = (time_t)(ns / ST_NS_PER_SEC);
  long frac = (long)(ns % ST_NS_PER_SEC);
  struct tm tm;

  if (frac < 0) {
    frac += ST_NS_PER_SEC;
    sec--;
  }
  gmtime_r(&sec, &tm);
  snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}
