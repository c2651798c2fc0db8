/* clock.h - the simulated market clock: always open, or NYSE hours.
 *
 * Pure functions of (mode, now): no state, no system clock, no time zone
 * database. Time is int64 nanoseconds since the Unix epoch (UTC).
 *
 * ST_SIM_CLOCK_ALWAYS_OPEN (the default of the simulator) reports a market
 * that is open and opened two hours before `now`, so that no market-open
 * delay of the engine ever applies; its session "closes" 4h30m after now and
 * the next one opens 22h after now. Both move with now, so it never closes.
 *
 * ST_SIM_CLOCK_NYSE reports regular NYSE hours, 09:30-16:00 in
 * America/New_York on weekdays, with the US daylight-saving rule in force
 * since 2007 (second Sunday of March to first Sunday of November, changing
 * at 02:00 local). Exchange holidays and early closes are not modelled.
 *
 * Thread-safe (no shared state).
 */
#ifndef ST_SIM_CLOCK_H
#define ST_SIM_CLOCK_H

#include <stdint.h>

#include "server/util/err.h"

#define ST_SIM_NS_PER_SEC 1000000000LL

typedef enum st_sim_clock_mode {
  ST_SIM_CLOCK_ALWAYS_OPEN = 0, /* Open, since two hours ago. */
  ST_SIM_CLOCK_NYSE,            /* Real NYSE regular hours (no holidays). */
} st_sim_clock_mode;

/* What GET /v2/clock reports, in ns since the epoch. */
typedef struct st_sim_clock {
  int64_t timestamp_ns;    /* The `now` asked about. */
  int is_open;             /* 1 during a session. */
  int64_t next_open_ns;    /* The next session's open (after now). */
  int64_t next_close_ns;   /* The close of the current or next session. */
  int64_t session_open_ns; /* Open of the current session; 0 when closed. */
} st_sim_clock;

/* Fills *out with the clock at now_ns in the given mode. ST_EINVAL for an
 * unknown mode or a NULL out. */
st_err st_sim_clock_get(st_sim_clock_mode mode, int64_t now_ns,
                        st_sim_clock *out);

/* Writes the America/New_York UTC offset in seconds at instant ns into
 * *offset_s: -14400 (EDT) or -18000 (EST). For formatting RFC3339 times
 * with an Eastern offset, as Alpaca does. ST_EINVAL for a NULL out. */
st_err st_sim_clock_ny_offset(int64_t ns, int32_t *offset_s);

/* Returns "always_open" or "nyse" for mode (never NULL; "?" if unknown). */
const char *st_sim_clock_mode_name(st_sim_clock_mode mode);

/* Parses a name from st_sim_clock_mode_name into *out; ST_EINVAL if
 * unknown. */
st_err st_sim_clock_mode_parse(const char *s, st_sim_clock_mode *out);

#endif
