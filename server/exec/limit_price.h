/* limit_price.h - smart limit prices: the first price and each re-peg.
 *
 * Pure functions: no I/O, no threads, no global state.
 *
 * The price grid. Valid limit prices are the multiples of $0.01 at or above
 * $1 and the multiples of $0.0001 below $1 (the broker's increments). A
 * "tick" is one step to the adjacent grid price, so the tick depends on
 * where the step lands: one tick below 1.00 is 0.9999, one tick above
 * 0.9999 is 1.00, one tick above 1.00 is 1.01. Every price these functions
 * return is on the grid and > 0.
 *
 * The touches. For a BUY the far touch is the ask and the near touch the
 * bid; for a SELL the far touch is the bid and the near touch the ask. A
 * quote side that is off the grid is first snapped inward onto it: the ask
 * down, the bid up (so a BUY never pays above the ask and a SELL never
 * sells below the bid, seed lesson 08ea8f11a).
 *
 * Both functions need a two-sided, uncrossed quote (bid > 0, ask > 0,
 * bid <= ask; a zero-width quote is fine). Check it first with
 * st_quote_check (server/exec/quote_check.h); these functions refuse only
 * what they cannot price from.
 */
#ifndef ST_EXEC_LIMIT_PRICE_H
#define ST_EXEC_LIMIT_PRICE_H

#include <stddef.h>

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

/* An order is "large" when qty / (size at the far touch) is above
 * ST_LIMIT_LARGE_NUM / ST_LIMIT_LARGE_DEN (0.3); it is then priced at the
 * far touch instead of one tick inside. */
#define ST_LIMIT_LARGE_NUM 3
#define ST_LIMIT_LARGE_DEN 10

/* How many ticks past the far touch a re-peg may cross, once. */
#define ST_LIMIT_CROSS_TICKS 2

/* Returns the tick at price p: 0.01 when p >= 1, else 0.0001. */
st_dec st_price_tick(st_dec p);

/* Returns 1 when p > 0 and p is on the grid, else 0. */
int st_price_on_grid(st_dec p);

/* Writes the grid price `steps` ticks away from p into *out: steps > 0 moves
 * up, steps < 0 down, 0 snaps p onto the grid (down). Starting from an
 * off-grid p, the first step goes to the nearest grid price strictly above
 * (or below) p. ST_EINVAL if out is NULL or p <= 0; ST_ERANGE if the result
 * would be <= 0 or out of range. *out is written only on success. */
st_err st_price_step(st_dec p, int steps, st_dec *out);

/* The first limit price of an order for qty (> 0) shares on side, from q:
 * - BUY: one tick below the ask; SELL: one tick above the bid.
 * - Never past the near touch: a BUY is never below the bid, a SELL never
 *   above the ask (so with a one-tick spread a BUY sits at the bid, and
 *   with a zero-width spread both sides price at bid == ask).
 * - At the far touch (BUY at the ask, SELL at the bid) when the order is
 *   large: qty / size at the far touch > 0.3, or that size is <= 0
 *   (unknown).
 * Writes the price into *out, only on success.
 * ST_EINVAL: side is not BUY or SELL, q or out is NULL, qty <= 0, a side of
 * the quote is <= 0, bid > ask, or the quote is below the grid (the far
 * touch would price at 0).
 * ST_ERANGE: no grid price lies within [bid, ask] (both sides inside the
 * same tick, off the grid). */
st_err st_limit_price(st_side side, const st_quote *q, st_dec qty, st_dec *out);

/* The next price of a re-peg: the order was working at prev_price (> 0)
 * and did not fill; tried[0..ntried) are the prices already sent for this
 * order (tried may be NULL when ntried is 0). prev_price counts as tried
 * whether or not it is in tried. Rules, for a BUY (a SELL mirrors: bid for
 * ask, down for up, "rounded DOWN", "- 2 ticks"):
 * 1. Toward the far touch: when prev < ask, the target is
 *    prev + 50% of (ask - prev), rounded UP to the grid, at least one tick
 *    above prev, at most the ask, and at least the bid (a market that ran
 *    away above prev is met at the near touch). 100 toward 110 gives 105.
 * 2. Market moved away: when prev > ask (the ask fell below the order),
 *    the target is the price st_limit_price gives for a small order at the
 *    current quote (one tick inside the ask, not below the bid).
 * 3. A tried target steps one more tick toward the ask, repeatedly, up to
 *    and including the ask itself: the first untried grid price in
 *    [target, ask] is returned.
 * 4. Cross: when no price up to the ask is left (which includes prev at
 *    the ask) and the ask itself was tried, the price is the ask + 2 ticks,
 *    unless that price was tried too. Crossing therefore happens once per
 *    ask level, and only after the touch itself was tried.
 * 5. Otherwise ST_ERANGE: no untried limit price is left and the caller
 *    escalates to a market order.
 * Writes the price into *out, only on success. The result is never a tried
 * price, never <= 0, always on the grid.
 * ST_EINVAL: side is not BUY or SELL, q or out is NULL, prev_price <= 0,
 * tried is NULL with ntried > 0, or the quote is unusable (as for
 * st_limit_price). ST_ERANGE as in rule 5, or when no grid price lies
 * within [bid, ask]. */
st_err st_repeg_price(st_side side, const st_quote *q, st_dec prev_price,
                      const st_dec *tried, size_t ntried, st_dec *out);

#endif
