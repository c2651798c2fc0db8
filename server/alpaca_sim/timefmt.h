/* timefmt.h - RFC3339 times as Alpaca writes and accepts them.
 *
 * Times are int64 nanoseconds since the Unix epoch (UTC). Thread-safe (no
 * shared state).
 */
#ifndef ST_ASIM_TIMEFMT_H
#define ST_ASIM_TIMEFMT_H

#include <stdint.h>

#include "server/util/err.h"

/* Longest string st_asim_time_format writes, with its NUL. */
#define ST_ASIM_TIME_LEN 64

/* Writes ns as RFC3339 with nine fractional digits into buf (at least
 * ST_ASIM_TIME_LEN bytes): "2024-05-01T14:03:07.123456789Z" when offset_s
 * is 0, else local time with the offset ("...-04:00"). Returns buf. */
char *st_asim_time_format(int64_t ns, int32_t offset_s, char *buf);

/* Writes ns in New York time with its offset, as GET /v2/clock does.
 * Returns buf (ST_ASIM_TIME_LEN bytes). */
char *st_asim_time_format_ny(int64_t ns, char *buf);

/* Parses an RFC3339 time ("2024-05-01T14:03:07Z", with optional fraction
 * and a Z, +HH:MM or -HH:MM offset; a missing offset means UTC; a blank in
 * place of '+' is taken as '+', since query strings turn '+' into ' ') or
 * a plain date ("2024-05-01", midnight UTC) into *ns. ST_EINVAL. */
st_err st_asim_time_parse(const char *s, int64_t *ns);

/* The current wall-clock time in ns since the epoch. */
int64_t st_asim_now_ns(void);

#endif
