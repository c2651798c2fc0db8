/* alpaca_time.h - RFC 3339 timestamps as Alpaca writes and reads them.
 *
 * Alpaca sends times such as "2022-04-19T17:45:05.024916716Z" and
 * "2024-01-02T09:30:00-05:00": a date, a time with 0 to 9 (or more,
 * truncated) fractional second digits, and "Z" or a numeric offset. Times
 * are int64 nanoseconds since the Unix epoch (UTC), as in broker.h.
 * Pure functions; thread-safe.
 */
#ifndef ST_BROKER_ALPACA_TIME_H
#define ST_BROKER_ALPACA_TIME_H

#include <stdint.h>

#include "server/util/err.h"

/* Longest string st_alpaca_time_format writes, with its NUL. */
#define ST_ALPACA_TIME_STRLEN 64

/* Parses the whole of s (RFC 3339: "T" or "t" or one space between date
 * and time, "Z"/"z" or +HH:MM/-HH:MM) into *ns (UTC). If offset_s is not
 * NULL it receives the offset east of UTC in seconds (0 for "Z"). A leap
 * second (":60") counts as the last nanosecond of its minute.
 * ST_EINVAL for anything malformed or out of calendar range (month 13,
 * February 30, an offset of 24 hours); ST_EOVERFLOW for instants outside
 * the int64 nanosecond range (before 1677 or after 2262). */
st_err st_alpaca_time_parse(const char *s, int64_t *ns, int32_t *offset_s);

/* Writes ns as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" into buf (at least
 * ST_ALPACA_TIME_STRLEN bytes) and returns buf. */
char *st_alpaca_time_format(int64_t ns, char *buf);

#endif
