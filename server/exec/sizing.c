/* sizing.c - order quantities from dollar amounts, and scaling buys down. */
#include "server/exec/sizing.h"

#include <stdio.h>
#include <string.h>

#define MIN_NOTIONAL ((st_dec){ST_DEC_SCALE}) /* $1.00 */

st_dec st_qty_round_down(st_dec qty, int whole_shares) {
  return whole_shares ? st_dec_round(qty, 0, ST_ROUND_DOWN) : qty;
}

static void skip(st_size_out *out, const char *why) {
  out->qty = ST_DEC_ZERO;
  out->notional_estimate = ST_DEC_ZERO;
  out->skipped = 1;
  snprintf(out->reason, sizeof(out->reason), "%s", why);
}

/* 1 when a fractional BUY of qty at price is under the $1.00 minimum. The
 * product is rounded down, so exactly $1.00 passes and anything truly
 * below fails. */
static int below_min_notional(st_dec qty, st_dec price) {
  st_dec n;

  if (st_dec_mul(qty, price, ST_ROUND_DOWN, &n) != ST_OK) {
    return 0; /* Above the range: far above $1. */
  }
  return st_dec_cmp(n, MIN_NOTIONAL) < 0;
}

st_err st_size_order(const st_size_in *in, st_size_out *out) {
  int fractional, whole;
  st_dec qty;

  if (out == NULL) {
    return ST_EINVAL;
  }
  memset(out, 0, sizeof(*out));
  if (in == NULL || (in->side != ST_SIDE_BUY && in->side != ST_SIDE_SELL) ||
      !st_dec_is_pos(in->price) || st_dec_is_neg(in->amount) ||
      (in->liquidate && in->side != ST_SIDE_SELL)) {
    return ST_EINVAL;
  }
  fractional = in->fractionable && in->allow_fractional;
  whole = !fractional;

  if (in->side == ST_SIDE_SELL &&
      (!in->has_position || !st_dec_is_pos(in->position_available))) {
    skip(out, in->has_position ? "no shares available to sell"
                               : "no position to sell");
    return ST_OK;
  }
  if (in->liquidate) {
    qty = in->position_available;
  } else {
    if (st_dec_div(in->amount, in->price, ST_ROUND_DOWN, &qty) != ST_OK) {
      return ST_EOVERFLOW;
    }
    if (in->side == ST_SIDE_SELL &&
        st_dec_cmp(qty, in->position_available) > 0) {
      qty = in->position_available;
      out->capped = 1;
    }
  }
  qty = st_qty_round_down(qty, whole);
  if (!st_dec_is_pos(qty)) {
    skip(out,
         whole ? "quantity rounds to 0 whole shares" : "quantity rounds to 0");
    return ST_OK;
  }
  if (in->side == ST_SIDE_BUY && fractional &&
      below_min_notional(qty, in->price)) {
    skip(out, ST_SIZE_REASON_MIN_NOTIONAL);
    return ST_OK;
  }
  out->qty = qty;
  if (st_dec_mul(qty, in->price, ST_ROUND_DOWN, &out->notional_estimate) !=
      ST_OK) {
    memset(out, 0, sizeof(*out));
    return ST_EOVERFLOW;
  }
  return ST_OK;
}

/* qty * ask * mult, each product rounded up. */
static st_err required_bp(st_dec qty, st_dec ask, st_dec mult, st_dec *out) {
  st_dec v;

  if (st_dec_mul(qty, ask, ST_ROUND_UP, &v) != ST_OK ||
      st_dec_mul(v, mult, ST_ROUND_UP, out) != ST_OK) {
    return ST_EOVERFLOW;
  }
  return ST_OK;
}

/* Scales every item by factor into out[]; writes the sum of the new
 * requirements into *total. Cannot overflow: each scaled requirement is at
 * most the unscaled one, and their sum was computed. */
static void apply_factor(const st_scale_in *in, size_t n, st_dec factor,
                         st_dec mult, st_scale_out *out, st_dec *total) {
  st_dec sum = ST_DEC_ZERO;

  for (size_t i = 0; i < n; i++) {
    st_scale_out *o = &out[i];
    st_dec qty = ST_DEC_ZERO;

    memset(o, 0, sizeof(*o));
    if (st_dec_is_pos(in[i].qty) &&
        st_dec_mul(in[i].qty, factor, ST_ROUND_DOWN, &qty) != ST_OK) {
      qty = ST_DEC_ZERO; /* Unreachable: factor <= 1. */
    }
    qty = st_qty_round_down(qty, !in[i].fractional);
    if (!st_dec_is_pos(qty)) {
      o->skipped = 1;
      snprintf(o->reason, sizeof(o->reason), "%s",
               st_dec_is_pos(in[i].qty) ? "scaled quantity rounds to 0"
                                        : "nothing to buy");
      continue;
    }
    if (in[i].fractional && below_min_notional(qty, in[i].ask)) {
      o->skipped = 1;
      snprintf(o->reason, sizeof(o->reason), "%s", ST_SIZE_REASON_MIN_NOTIONAL);
      continue;
    }
    o->qty = qty;
    if (required_bp(qty, in[i].ask, mult, &o->required) != ST_OK ||
        st_dec_add(sum, o->required, &sum) != ST_OK) {
      o->required = ST_DEC_ZERO; /* Unreachable: see above. */
    }
  }
  *total = sum;
}

st_err st_buy_scale(const st_scale_in *in, size_t n, st_dec buying_power,
                    st_dec buffer_pct, st_scale_out *out, st_dec *factor) {
  st_dec mult, sum = ST_DEC_ZERO, f, total, step = {1};

  if (factor == NULL || (n > 0 && (in == NULL || out == NULL)) ||
      st_dec_is_neg(buffer_pct)) {
    return ST_EINVAL;
  }
  /* mult = 1 + buffer_pct / 100, rounded up (reserve a little more). */
  if (st_dec_div(buffer_pct, st_dec_from_int(100), ST_ROUND_UP, &mult) !=
          ST_OK ||
      st_dec_add(mult, st_dec_from_int(1), &mult) != ST_OK) {
    return ST_EOVERFLOW;
  }
  for (size_t i = 0; i < n; i++) {
    st_dec req;

    if (st_dec_is_neg(in[i].qty) ||
        (st_dec_is_pos(in[i].qty) && !st_dec_is_pos(in[i].ask))) {
      return ST_EINVAL;
    }
    if (!st_dec_is_pos(in[i].qty)) {
      continue;
    }
    if (required_bp(in[i].qty, in[i].ask, mult, &req) != ST_OK ||
        st_dec_add(sum, req, &sum) != ST_OK) {
      return ST_EOVERFLOW;
    }
  }
  if (st_dec_cmp(sum, buying_power) <= 0) {
    f = st_dec_from_int(1);
  } else if (!st_dec_is_pos(buying_power)) {
    f = ST_DEC_ZERO;
  } else if (st_dec_div(buying_power, sum, ST_ROUND_DOWN, &f) != ST_OK) {
    return ST_EINTERNAL; /* Unreachable: 0 < buying_power < sum. */
  }
  /* Each requirement is rounded up again after scaling, which can add a
   * billionth per item: lower the factor until the sum fits. The step
   * doubles, so this ends after a few passes. */
  for (;;) {
    apply_factor(in, n, f, mult, out, &total);
    if (st_dec_cmp(total, st_dec_max(buying_power, ST_DEC_ZERO)) <= 0 ||
        !st_dec_is_pos(f)) {
      break;
    }
    f = st_dec_cmp(f, step) > 0 ? (st_dec){f.v - step.v} : ST_DEC_ZERO;
    step.v = step.v < ST_DEC_SCALE ? step.v * 2 : step.v;
  }
  *factor = f;
  return ST_OK;
}
