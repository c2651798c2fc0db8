/* quote_check.c - quote sanity checks and the mid price. */
#include "server/exec/quote_check.h"

#include <stddef.h>

static const char *const verdict_names[] = {
    [ST_QV_OK] = "ok",
    [ST_QV_NONE] = "none",
    [ST_QV_MISSING_SIDE] = "missing_side",
    [ST_QV_TOO_LOW] = "too_low",
    [ST_QV_CROSSED] = "crossed",
    [ST_QV_WIDE] = "wide",
    [ST_QV_STALE] = "stale",
};

const char *st_quote_verdict_name(st_quote_verdict v) {
  if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0])) {
    return "unknown";
  }
  return verdict_names[v];
}

/* True when (ask - bid) / mid * 100 > max_pct, with mid = (bid + ask) / 2,
 * i.e. (ask - bid) * 200 / (bid + ask) > max_pct. Needs 0 < bid <= ask.
 * The percentage is rounded up to 9 digits; since max_pct has 9 digits,
 * the comparison is exact. A quote too large to compute with (a spread
 * above $46 million, or both sides above $4.6 billion) counts as wide. */
static int too_wide(st_dec bid, st_dec ask, st_dec max_pct) {
  st_dec spread, scaled, sum, pct;

  if (st_dec_sub(ask, bid, &spread) != ST_OK ||
      st_dec_mul(spread, st_dec_from_int(200), ST_ROUND_DOWN, &scaled) !=
          ST_OK ||
      st_dec_add(bid, ask, &sum) != ST_OK ||
      st_dec_div(scaled, sum, ST_ROUND_UP, &pct) != ST_OK) {
    return 1;
  }
  return st_dec_cmp(pct, max_pct) > 0;
}

/* now_ns - ts_ns, or 0 when ts_ns is not in the past; saturates. */
static int64_t quote_age(int64_t ts_ns, int64_t now_ns) {
  if (now_ns <= ts_ns) {
    return 0;
  }
  if (ts_ns < 0 && now_ns > INT64_MAX + ts_ns) {
    return INT64_MAX;
  }
  return now_ns - ts_ns;
}

st_quote_verdict st_quote_check(const st_quote *q, const st_quote_rules *r,
                                int64_t now_ns) {
  const st_dec min_price = st_dec_from_units(1, 2);

  if (q == NULL || q->ts_ns == 0) {
    return ST_QV_NONE;
  }
  if (!st_dec_is_pos(q->bid) || !st_dec_is_pos(q->ask)) {
    return ST_QV_MISSING_SIDE;
  }
  if (st_dec_cmp(q->bid, min_price) < 0 || st_dec_cmp(q->ask, min_price) < 0) {
    return ST_QV_TOO_LOW;
  }
  if (st_dec_cmp(q->bid, q->ask) > 0) {
    return ST_QV_CROSSED;
  }
  if (r == NULL) {
    return ST_QV_OK;
  }
  if (too_wide(q->bid, q->ask, r->max_spread_pct)) {
    return ST_QV_WIDE;
  }
  if (quote_age(q->ts_ns, now_ns) > r->max_age_ns) {
    return ST_QV_STALE;
  }
  return ST_QV_OK;
}

st_err st_quote_mid(const st_quote *q, st_dec *out) {
  st_dec spread, mid;

  if (q == NULL || out == NULL || !st_dec_is_pos(q->bid) ||
      !st_dec_is_pos(q->ask) || st_dec_cmp(q->bid, q->ask) > 0) {
    return ST_EINVAL;
  }
  /* bid + (ask - bid) / 2 cannot overflow for 0 < bid <= ask. The halving
   * is exact for prices with at most 8 decimals; st_dec_div rounds the 9th
   * half-even otherwise, before the grid rounding below. */
  if (st_dec_sub(q->ask, q->bid, &spread) != ST_OK ||
      st_dec_div(spread, st_dec_from_int(2), ST_ROUND_HALF_EVEN, &spread) !=
          ST_OK ||
      st_dec_add(q->bid, spread, &mid) != ST_OK) {
    return ST_EINVAL;
  }
  mid = st_dec_round_price(mid, ST_ROUND_HALF_EVEN);
  if (!st_dec_is_pos(mid)) {
    return ST_ERANGE;
  }
  *out = mid;
  return ST_OK;
}
