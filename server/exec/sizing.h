/* sizing.h - order quantities from dollar amounts, and scaling buys down.
 *
 * Pure functions: no I/O, no threads, no global state. All arithmetic is
 * st_dec; quantities always round DOWN (toward zero), never up, so an
 * order never asks for more than the amount, the position or the buying
 * power allows.
 *
 * Fractional sizing is in effect when the asset is fractionable AND the
 * caller allows fractional orders; quantities then keep at most 9 decimals
 * (the most Alpaca accepts). Otherwise quantities are whole shares.
 * The $1.00 minimum notional (Alpaca reject 40310000) applies to BUYs sized
 * fractionally only; whole-share orders have no minimum (seed behaviour:
 * "micro skip only for fractionable < $1").
 */
#ifndef ST_EXEC_SIZING_H
#define ST_EXEC_SIZING_H

#include <stddef.h>

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

#define ST_SIZE_REASON_LEN 128

/* The reason text of the $1.00 minimum-notional skip. */
#define ST_SIZE_REASON_MIN_NOTIONAL "notional below $1.00"

/* What to size: one plan item at a validated price. */
typedef struct st_size_in {
  st_side side;
  st_dec amount; /* |dollars| of the plan item, >= 0 */
  st_dec price;  /* validated, > 0 */
  int fractionable;
  int allow_fractional;
  int liquidate; /* SELL to target weight 0 */
  int has_position;
  st_dec position_available; /* qty_available */
} st_size_in;

/* The sized order. When skipped is 1, qty is 0 and reason says why. */
typedef struct st_size_out {
  st_dec qty;
  int skipped;
  char reason[ST_SIZE_REASON_LEN];
  st_dec notional_estimate; /* qty * price, rounded down to 9 digits. */
  int capped;               /* 1: a SELL was cut to position_available. */
} st_size_out;

/* Returns qty rounded down (toward zero) to whole shares when
 * whole_shares is non-zero, else qty itself (st_dec holds 9 decimals).
 * Use it for every quantity sent to the broker, e.g. the remainder of a
 * re-pegged order (qty - filled), so that it rounds the same way. */
st_dec st_qty_round_down(st_dec qty, int whole_shares);

/* Sizes one order into *out, which is cleared first (so it is all zero
 * after any error). Rules:
 * - BUY: qty = amount / price, rounded down (whole shares, or 9 decimals
 *   when sized fractionally). A fractional BUY whose notional is under
 *   $1.00 is skipped (ST_SIZE_REASON_MIN_NOTIONAL); exactly $1.00 is not.
 * - SELL: qty = amount / price rounded down, capped at position_available
 *   (capped = 1 when the cap applied), then rounded down again.
 * - Liquidation (SELL with liquidate set): the whole position_available,
 *   whatever the amount; rounded down to whole shares unless sized
 *   fractionally (a fractional remnant of a non-fractionable asset stays).
 * - A SELL without a position, or with position_available <= 0, is
 *   skipped; so is any order whose quantity rounds to 0.
 * A skip is a success: ST_OK with out->skipped = 1 and a reason.
 * ST_EINVAL: in or out is NULL, side is not BUY or SELL, price <= 0,
 * amount < 0, or liquidate on a BUY. ST_EOVERFLOW: amount / price does
 * not fit an st_dec. */
st_err st_size_order(const st_size_in *in, st_size_out *out);

/* One BUY to scale. */
typedef struct st_scale_in {
  st_dec qty;     /* As sized, >= 0 (0: nothing to buy). */
  st_dec ask;     /* The price buying power is reserved at; > 0 if qty > 0. */
  int fractional; /* 1: sized fractionally (see above); 0: whole shares. */
} st_scale_in;

/* One scaled BUY. When skipped is 1, qty and required are 0. */
typedef struct st_scale_out {
  st_dec qty;      /* Scaled quantity. */
  st_dec required; /* qty * ask * (1 + buffer_pct / 100), rounded up. */
  int skipped;
  char reason[ST_SIZE_REASON_LEN];
} st_scale_out;

/* Fits n BUYs into buying_power. Each needs
 * qty * ask * (1 + buffer_pct / 100) (rounded up to 9 digits). If the sum
 * fits, *factor is 1 and no quantity shrinks beyond the rounding and $1.00
 * re-checks below; otherwise *factor is
 * buying_power / sum rounded down to 9 digits (0 when buying_power <= 0),
 * and each quantity becomes qty * factor rounded down, then to whole shares
 * when not fractional. The $1.00 minimum is applied again to fractional
 * items, and a quantity that scales to 0 is skipped. Buying power freed by
 * skips and rounding is not redistributed. Guarantee: the sum of
 * out[i].required never exceeds max(buying_power, 0) (the factor is
 * lowered by billionths if rounding each item up would exceed it).
 * in[] and out[] are caller-owned arrays of n items (n may be 0; they may
 * then be NULL); factor must not be NULL.
 * ST_EINVAL: a NULL array with n > 0, factor NULL, buffer_pct < 0, a
 * negative qty, or qty > 0 with ask <= 0. ST_EOVERFLOW: a requirement or
 * the sum does not fit an st_dec. Outputs are written only on success. */
st_err st_buy_scale(const st_scale_in *in, size_t n, st_dec buying_power,
                    st_dec buffer_pct, st_scale_out *out, st_dec *factor);

#endif
