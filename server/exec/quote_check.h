/* quote_check.h - is a quote good enough to price a limit order from?
 *
 * Pure functions: no I/O, no threads, no global state. A quote whose
 * verdict is not ST_QV_OK must not be used to price a limit order; the
 * caller asks the REST NBBO instead, or falls back to a market order.
 */
#ifndef ST_EXEC_QUOTE_CHECK_H
#define ST_EXEC_QUOTE_CHECK_H

#include <stdint.h>

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

/* Limits a quote must meet. Both are always applied: a zeroed struct
 * accepts only zero-width quotes not older than now_ns: it fails safe. */
typedef struct st_quote_rules {
  st_dec max_spread_pct; /* percent of mid: 0.50 means half a percent */
  int64_t max_age_ns;
} st_quote_rules;

/* What st_quote_check found. When a quote has several faults, the first in
 * this order is reported. */
typedef enum st_quote_verdict {
  ST_QV_OK = 0,
  ST_QV_NONE,         /* No quote: NULL, or ts_ns == 0. */
  ST_QV_MISSING_SIDE, /* bid <= 0 or ask <= 0 (one-sided or empty). */
  ST_QV_TOO_LOW,      /* bid or ask below $0.01 (bad data). */
  ST_QV_CROSSED,      /* bid > ask. bid == ask is fine. */
  ST_QV_WIDE,         /* (ask - bid) / mid * 100 > max_spread_pct. */
  ST_QV_STALE,        /* now_ns - ts_ns > max_age_ns. */
  ST_QV_COUNT
} st_quote_verdict;

/* Returns a static lower-case name for v ("ok", "missing_side"), or
 * "unknown" for a value outside the enum. Never NULL. */
const char *st_quote_verdict_name(st_quote_verdict v);

/* Checks q against r at time now_ns (ns since the epoch), in the order of
 * the enum: NONE, MISSING_SIDE, TOO_LOW, CROSSED, WIDE, STALE.
 * - The spread test is exact (no rounding can turn a spread at the limit
 *   into WIDE); a spread too large to compute is WIDE.
 * - A ts_ns ahead of now_ns (clock skew) counts as age 0, never STALE.
 * - Sizes are not checked: a size of 0 means "unknown", and st_limit_price
 *   then prices at the touch.
 * r may be NULL: no spread or age limit (structural checks only). */
st_quote_verdict st_quote_check(const st_quote *q, const st_quote_rules *r,
                                int64_t now_ns);

/* Writes the mid price (bid + ask) / 2, rounded half-even to the price grid
 * (cents at or above $1, 1/100 cent below), into *out.
 * ST_EINVAL if q or out is NULL, a side is <= 0, or bid > ask;
 * ST_ERANGE if the mid rounds to 0 (a quote below the grid).
 * *out is written only on success. */
st_err st_quote_mid(const st_quote *q, st_dec *out);

#endif
