/* limit_price.c - the price grid, first limit prices and re-peg prices. */
#include "server/exec/limit_price.h"

#include <stdint.h>

#define ONE ((st_dec){ST_DEC_SCALE})         /* $1, where the tick changes. */
#define CENT ((st_dec){ST_DEC_SCALE / 100})  /* The tick at or above $1. */
#define BIP ((st_dec){ST_DEC_SCALE / 10000}) /* The tick below $1. */

st_dec st_price_tick(st_dec p) {
  return st_dec_cmp(p, ONE) >= 0 ? CENT : BIP;
}

/* The smallest grid price >= p, for p > 0. May fall below p only at the
 * very top of the st_dec range (st_dec_round truncates there). */
static st_dec grid_ceil(st_dec p) {
  return st_dec_round_price(p, ST_ROUND_CEIL);
}

/* The largest grid price <= p, for p > 0 (0 when p < 0.0001). */
static st_dec grid_floor(st_dec p) {
  return st_dec_round_price(p, ST_ROUND_FLOOR);
}

int st_price_on_grid(st_dec p) {
  return st_dec_is_pos(p) && st_dec_cmp(grid_floor(p), p) == 0;
}

/* The nearest grid price strictly above p (p > 0). */
static st_err next_up(st_dec p, st_dec *out) {
  st_dec g = grid_ceil(p);

  if (st_dec_cmp(g, p) == 0 && st_dec_add(p, st_price_tick(p), &g) != ST_OK) {
    return ST_ERANGE;
  }
  if (st_dec_cmp(g, p) <= 0) {
    return ST_ERANGE; /* The top of the range. */
  }
  *out = g;
  return ST_OK;
}

/* The nearest grid price strictly below p (p > 0); ST_ERANGE if none > 0.
 * At exactly $1 the step down is a sub-dollar tick: 1.00 -> 0.9999. */
static st_err next_down(st_dec p, st_dec *out) {
  st_dec g = grid_floor(p);

  if (st_dec_cmp(g, p) == 0) {
    st_dec tick = st_dec_cmp(p, ONE) > 0 ? CENT : BIP;

    if (st_dec_sub(p, tick, &g) != ST_OK) {
      return ST_ERANGE;
    }
  }
  if (!st_dec_is_pos(g)) {
    return ST_ERANGE;
  }
  *out = g;
  return ST_OK;
}

/* g + n ticks of size tick, for n >= 0. */
static st_err add_ticks(st_dec g, int64_t n, st_dec tick, st_dec *out) {
  st_dec d;

  if (st_dec_mul(st_dec_from_int(n), tick, ST_ROUND_DOWN, &d) != ST_OK ||
      st_dec_add(g, d, out) != ST_OK) {
    return ST_ERANGE;
  }
  return ST_OK;
}

/* Moves n >= 1 ticks up from p, in O(1). */
static st_err steps_up(st_dec p, int64_t n, st_dec *out) {
  st_dec g;

  if (next_up(p, &g) != ST_OK) {
    return ST_ERANGE;
  }
  n--;
  if (st_dec_cmp(g, ONE) < 0) {
    int64_t room = (ONE.v - g.v) / BIP.v; /* Sub-dollar ticks up to $1. */

    if (n <= room) {
      return add_ticks(g, n, BIP, out);
    }
    n -= room;
    g = ONE;
  }
  return add_ticks(g, n, CENT, out);
}

/* Moves n >= 1 ticks down from p, in O(1); ST_ERANGE at or below 0. */
static st_err steps_down(st_dec p, int64_t n, st_dec *out) {
  st_dec g;

  if (next_down(p, &g) != ST_OK) {
    return ST_ERANGE;
  }
  n--;
  if (st_dec_cmp(g, ONE) > 0) {
    int64_t room = (g.v - ONE.v) / CENT.v; /* Cent ticks down to $1. */

    if (n <= room) {
      return add_ticks(g, -n, CENT, out);
    }
    n -= room;
    g = ONE;
  }
  if (add_ticks(g, -n, BIP, &g) != ST_OK || !st_dec_is_pos(g)) {
    return ST_ERANGE;
  }
  *out = g;
  return ST_OK;
}

st_err st_price_step(st_dec p, int steps, st_dec *out) {
  st_dec g;
  st_err err;

  if (out == NULL || !st_dec_is_pos(p)) {
    return ST_EINVAL;
  }
  if (steps == 0) {
    g = grid_floor(p);
    err = st_dec_is_pos(g) ? ST_OK : ST_ERANGE;
  } else if (steps > 0) {
    err = steps_up(p, steps, &g);
  } else {
    err = steps_down(p, -(int64_t)steps, &g);
  }
  if (err == ST_OK) {
    *out = g;
  }
  return err;
}

/* The quote seen from one side: the touches snapped onto the grid, and the
 * direction toward the far touch (+1 up for a BUY, -1 down for a SELL). */
typedef struct touches {
  st_dec far;
  st_dec near;
  st_dec far_size;
  int dir;
} touches;

static st_err get_touches(st_side side, const st_quote *q, touches *t) {
  st_dec lo, hi;

  if ((side != ST_SIDE_BUY && side != ST_SIDE_SELL) || q == NULL ||
      !st_dec_is_pos(q->bid) || !st_dec_is_pos(q->ask) ||
      st_dec_cmp(q->bid, q->ask) > 0) {
    return ST_EINVAL;
  }
  lo = grid_ceil(q->bid);
  hi = grid_floor(q->ask);
  if (!st_dec_is_pos(hi)) {
    return ST_EINVAL; /* The ask is below the grid: it would price at 0. */
  }
  if (st_dec_cmp(lo, q->bid) < 0 || st_dec_cmp(lo, hi) > 0) {
    return ST_ERANGE; /* No grid price within [bid, ask]. */
  }
  if (side == ST_SIDE_BUY) {
    *t = (touches){.far = hi, .near = lo, .far_size = q->ask_size, .dir = 1};
  } else {
    *t = (touches){.far = lo, .near = hi, .far_size = q->bid_size, .dir = -1};
  }
  return ST_OK;
}

/* > 0 when a is further toward the far touch than b, 0 when equal. */
static int toward(const touches *t, st_dec a, st_dec b) {
  return t->dir * st_dec_cmp(a, b);
}

/* n ticks from p toward the far touch (n < 0: away from it). */
static st_err step_toward(const touches *t, st_dec p, int n, st_dec *out) {
  return st_price_step(p, t->dir * n, out);
}

/* 1 when qty is large against the size at the far touch (or it is
 * unknown): qty / size > 0.3. The quotient is rounded up, and 0.3 has 9
 * digits, so the comparison is exact. */
static int is_large(st_dec qty, st_dec size) {
  st_dec ratio, limit;

  if (!st_dec_is_pos(size) ||
      st_dec_div(qty, size, ST_ROUND_UP, &ratio) != ST_OK) {
    return 1;
  }
  if (st_dec_div(st_dec_from_int(ST_LIMIT_LARGE_NUM),
                 st_dec_from_int(ST_LIMIT_LARGE_DEN), ST_ROUND_DOWN,
                 &limit) != ST_OK) {
    return 1;
  }
  return st_dec_cmp(ratio, limit) > 0;
}

/* One tick inside the far touch, but not past the near touch. */
static st_dec inside_price(const touches *t) {
  st_dec p;

  if (step_toward(t, t->far, -1, &p) != ST_OK || toward(t, t->near, p) > 0) {
    return t->near;
  }
  return p;
}

st_err st_limit_price(st_side side, const st_quote *q, st_dec qty,
                      st_dec *out) {
  touches t;
  st_dec p;
  st_err err;

  if (out == NULL || !st_dec_is_pos(qty)) {
    return ST_EINVAL;
  }
  if ((err = get_touches(side, q, &t)) != ST_OK) {
    return err;
  }
  p = is_large(qty, t.far_size) ? t.far : inside_price(&t);
  if (!st_dec_is_pos(p)) {
    return ST_EINVAL; /* Unreachable: the touches are > 0. */
  }
  *out = p;
  return ST_OK;
}

static int was_tried(st_dec p, st_dec prev, const st_dec *tried,
                     size_t ntried) {
  if (st_dec_cmp(p, prev) == 0) {
    return 1;
  }
  for (size_t i = 0; i < ntried; i++) {
    if (st_dec_cmp(p, tried[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Rule 1: half way from prev toward the far touch, rounded toward it onto
 * the grid; at least one tick from prev; within [near, far]. Needs prev
 * short of the far touch. */
static st_err halfway(const touches *t, st_dec prev, st_dec *out) {
  st_dec gap, half, target, one;

  if (st_dec_sub(t->far, prev, &gap) != ST_OK ||
      st_dec_div(st_dec_abs(gap), st_dec_from_int(2), ST_ROUND_UP, &half) !=
          ST_OK ||
      st_dec_add(prev, t->dir > 0 ? half : st_dec_neg(half), &target) !=
          ST_OK) {
    return ST_ERANGE;
  }
  target =
      st_dec_round_price(target, t->dir > 0 ? ST_ROUND_CEIL : ST_ROUND_FLOOR);
  if (step_toward(t, prev, 1, &one) == ST_OK && toward(t, one, target) > 0) {
    target = one;
  }
  if (toward(t, t->near, target) > 0) {
    target = t->near;
  }
  if (toward(t, target, t->far) > 0) {
    target = t->far;
  }
  *out = target;
  return ST_OK;
}

st_err st_repeg_price(st_side side, const st_quote *q, st_dec prev_price,
                      const st_dec *tried, size_t ntried, st_dec *out) {
  touches t;
  st_dec p, cross;
  int have_start = 0;
  st_err err;

  if (out == NULL || !st_dec_is_pos(prev_price) ||
      (tried == NULL && ntried > 0)) {
    return ST_EINVAL;
  }
  if ((err = get_touches(side, q, &t)) != ST_OK) {
    return err;
  }
  if (toward(&t, t.far, prev_price) > 0) {
    have_start = halfway(&t, prev_price, &p) == ST_OK; /* Rule 1. */
  } else if (toward(&t, prev_price, t.far) > 0) {
    p = inside_price(&t); /* Rule 2: the market moved away. */
    have_start = 1;
  }
  /* Rule 3: the first untried price from the start up to the far touch.
   * Each pass skips one tried price, so this runs at most ntried + 2
   * times. */
  while (have_start && toward(&t, p, t.far) <= 0) {
    if (!was_tried(p, prev_price, tried, ntried)) {
      *out = p;
      return ST_OK;
    }
    if (step_toward(&t, p, 1, &p) != ST_OK) {
      break;
    }
  }
  /* Rule 4: cross once the touch itself was tried. */
  if (was_tried(t.far, prev_price, tried, ntried) &&
      step_toward(&t, t.far, ST_LIMIT_CROSS_TICKS, &cross) == ST_OK &&
      !was_tried(cross, prev_price, tried, ntried)) {
    *out = cross;
    return ST_OK;
  }
  return ST_ERANGE; /* Rule 5: escalate to a market order. */
}
