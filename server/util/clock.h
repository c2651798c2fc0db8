/* clock.h - wall and monotonic time in nanoseconds. */
#ifndef ST_UTIL_CLOCK_H
#define ST_UTIL_CLOCK_H

#include <stdint.h>

#define ST_NS_PER_MS 1000000LL
#define ST_NS_PER_SEC 1000000000LL

/* Nanoseconds since the Unix epoch (UTC), from CLOCK_REALTIME. */
int64_t st_now_ns(void);

/* Nanoseconds from CLOCK_MONOTONIC: for measuring intervals. */
int64_t st_mono_ns(void);

/* Sleeps for ms milliseconds (restarting after signals). */
void st_sleep_ms(int64_t ms);

/* Formats ns as RFC 3339 UTC with nanoseconds into buf (at least 64
 * bytes): "2026-11-25T02:14:49.123456789Z". Returns buf. */
char *st_rfc3339(int64_t ns, char *buf);

#endif
