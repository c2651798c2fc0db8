/* faults.h - injected REST failures for tests (POST /_sim/faults).
 *
 * A share of REST requests answered 500 or 503 (optionally after the
 * request took effect, like a reply lost on the way back), and a burst of
 * 429s for the next N requests. Draws come from a generator seeded by
 * --seed, so a run is reproducible. Not thread-safe: callers lock.
 */
#ifndef ST_ASIM_FAULTS_H
#define ST_ASIM_FAULTS_H

#include <stdint.h>

#include "server/sim/rng.h"
#include "server/util/decimal.h"

typedef struct st_asim_faults {
  st_dec error_5xx_share; /* 0..1 of REST requests get 500/503. */
  int error_5xx_after;    /* 1: the request is served, then 5xx. */
  int64_t burst_429;      /* The next N REST requests get 429. */
  uint64_t injected_5xx;  /* Counters, for GET /_sim/state. */
  uint64_t injected_429;
  st_sim_rng rng;
} st_asim_faults;

/* Sets up f with no faults and a generator seeded from seed. */
void st_asim_faults_init(st_asim_faults *f, uint64_t seed);

/* Decides the fate of one REST request: 0 to serve it normally, or the
 * HTTP status to answer instead (429, 500 or 503). For a 5xx, *after is
 * set to 1 when the request must be served first and its answer replaced
 * (0 otherwise). */
int st_asim_faults_draw(st_asim_faults *f, int *after);

#endif
