/* account.c - cash, positions, and what open orders hold. */
#include "server/sim/account.h"

#include <string.h>

#include "server/sim/internal.h"
#include "server/util/alloc.h"

st_err st_sim__pos_push(st_sim *s, st_sim__pos **out) {
  if (s->npos == s->cappos) {
    size_t cap = s->cappos == 0 ? 16 : s->cappos * 2;
    st_sim__pos *p = st_realloc(s->pos, cap * sizeof(*p));

    if (p == NULL) {
      return ST_ENOMEM;
    }
    s->pos = p;
    s->cappos = cap;
  }
  *out = &s->pos[s->npos++];
  memset(*out, 0, sizeof(**out));
  return ST_OK;
}

long st_sim__pos_find(const st_sim *s, const char *sym) {
  for (size_t i = 0; i < s->npos; i++) {
    if (strcmp(s->pos[i].symbol, sym) == 0) {
      return (long)i;
    }
  }
  return -1;
}

st_dec st_sim__pos_qty(const st_sim *s, const char *sym) {
  long i = st_sim__pos_find(s, sym);

  return i < 0 ? ST_DEC_ZERO : s->pos[i].qty;
}

st_err st_sim__pos_buy(st_sim *s, const char *sym, st_dec q, st_dec value) {
  long i = st_sim__pos_find(s, sym);
  st_sim__pos *p;
  st_dec cost;
  st_dec qty;
  st_err rv;

  if (i < 0) {
    rv = st_sim__pos_push(s, &p);
    if (rv != ST_OK) {
      return rv;
    }
    strncpy(p->symbol, sym, sizeof(p->symbol) - 1);
  } else {
    p = &s->pos[i];
  }
  /* New average = (old qty x old average + value) / (old qty + q). */
  rv = st_dec_mul(p->qty, p->avg_entry_price, ST_ROUND_HALF_EVEN, &cost);
  if (rv == ST_OK) {
    rv = st_dec_add(cost, value, &cost);
  }
  if (rv == ST_OK) {
    rv = st_dec_add(p->qty, q, &qty);
  }
  if (rv == ST_OK) {
    rv = st_dec_div(cost, qty, ST_ROUND_HALF_EVEN, &p->avg_entry_price);
  }
  if (rv != ST_OK) {
    if (i < 0) {
      s->npos--; /* Drop the slot just added. */
    }
    return rv;
  }
  p->qty = qty;
  return ST_OK;
}

st_err st_sim__pos_sell(st_sim *s, const char *sym, st_dec q) {
  long i = st_sim__pos_find(s, sym);
  st_sim__pos *p;

  if (i < 0) {
    return ST_EINTERNAL;
  }
  p = &s->pos[i];
  if (st_dec_cmp(q, p->qty) > 0) {
    return ST_EINTERNAL;
  }
  p->qty.v -= q.v;
  if (st_dec_is_zero(p->qty)) {
    memmove(p, p + 1, (s->npos - (size_t)i - 1) * sizeof(*p));
    s->npos--;
  }
  return ST_OK;
}

static int is_open(const st_sim_order *o) {
  return !st_sim_status_is_terminal(o->status);
}

st_dec st_sim__held_for_sells(const st_sim *s, const char *sym, size_t skip) {
  st_dec held = ST_DEC_ZERO;

  for (size_t i = 0; i < s->norders; i++) {
    const st_sim_order *o = &s->orders[i];

    if (i == skip || o->side != ST_SIM_SELL || !is_open(o) ||
        strcmp(o->symbol, sym) != 0) {
      continue;
    }
    if (st_dec_is_pos(o->notional)) {
      held.v += o->hold_qty.v;
    } else {
      held.v += st_sim_order_remaining(o).v;
    }
  }
  return held;
}

st_dec st_sim__order_reserved(const st_sim_order *o) {
  st_dec r = ST_DEC_ZERO;

  if (o->side != ST_SIM_BUY || !is_open(o)) {
    return ST_DEC_ZERO;
  }
  if (st_dec_is_pos(o->notional)) {
    r.v = o->notional.v - o->filled_value.v;
    return r.v < 0 ? ST_DEC_ZERO : r;
  }
  if (st_dec_mul(st_sim_order_remaining(o), o->hold_price, ST_ROUND_CEIL, &r) !=
      ST_OK) {
    return ST_DEC_ZERO;
  }
  return st_dec_round(r, 2, ST_ROUND_CEIL);
}

st_dec st_sim__reserved(const st_sim *s, size_t skip) {
  st_dec sum = ST_DEC_ZERO;

  for (size_t i = 0; i < s->norders; i++) {
    if (i != skip) {
      sum.v += st_sim__order_reserved(&s->orders[i]).v;
    }
  }
  return sum;
}

st_dec st_sim__buying_power(const st_sim *s, size_t skip) {
  st_dec bp;

  bp.v = s->cash.v - st_sim__reserved(s, skip).v;
  return bp.v < 0 ? ST_DEC_ZERO : bp;
}

/* Fills *out for the internal position p. */
static st_err snapshot(const st_sim *s, const st_sim__pos *p,
                       st_sim_position *out) {
  st_sim_asset asset;
  st_err rv;

  memset(out, 0, sizeof(*out));
  memcpy(out->symbol, p->symbol, sizeof(out->symbol));
  if (st_sim_market_asset(s->market, p->symbol, &asset) == ST_OK) {
    memcpy(out->asset_id, asset.id, sizeof(out->asset_id));
  }
  out->qty = p->qty;
  out->held_for_orders = st_sim__held_for_sells(s, p->symbol, (size_t)-1);
  out->qty_available.v = p->qty.v - out->held_for_orders.v;
  if (st_dec_is_neg(out->qty_available)) {
    out->qty_available = ST_DEC_ZERO;
  }
  out->avg_entry_price = p->avg_entry_price;
  rv = st_dec_mul(p->qty, p->avg_entry_price, ST_ROUND_HALF_EVEN,
                  &out->cost_basis);
  if (rv != ST_OK) {
    return rv;
  }
  out->cost_basis = st_dec_round(out->cost_basis, 2, ST_ROUND_HALF_EVEN);
  if (st_sim_market_mid(s->market, p->symbol, &out->current_price) != ST_OK) {
    out->current_price = p->avg_entry_price;
  }
  rv = st_dec_mul(p->qty, out->current_price, ST_ROUND_HALF_EVEN,
                  &out->market_value);
  if (rv != ST_OK) {
    return rv;
  }
  out->market_value = st_dec_round(out->market_value, 2, ST_ROUND_HALF_EVEN);
  return st_dec_sub(out->market_value, out->cost_basis, &out->unrealized_pl);
}

st_err st_sim_get_account(const st_sim *s, st_sim_account *out) {
  st_sim_position p;
  st_err rv;

  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  memset(out, 0, sizeof(*out));
  memcpy(out->id, s->account_id, sizeof(out->id));
  memcpy(out->account_number, s->account_number, sizeof(out->account_number));
  out->created_at_ns = s->created_at_ns;
  out->cash = s->cash;
  out->held_for_orders = st_sim__reserved(s, (size_t)-1);
  out->buying_power = st_sim__buying_power(s, (size_t)-1);
  for (size_t i = 0; i < s->npos; i++) {
    rv = snapshot(s, &s->pos[i], &p);
    if (rv == ST_OK) {
      rv = st_dec_add(out->long_market_value, p.market_value,
                      &out->long_market_value);
    }
    if (rv != ST_OK) {
      return rv;
    }
  }
  return st_dec_add(out->cash, out->long_market_value, &out->equity);
}

size_t st_sim_position_count(const st_sim *s) {
  return s == NULL ? 0 : s->npos;
}

st_err st_sim_position_at(const st_sim *s, size_t i, st_sim_position *out) {
  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  if (i >= s->npos) {
    return ST_ENOTFOUND;
  }
  return snapshot(s, &s->pos[i], out);
}

st_err st_sim_get_position(const st_sim *s, const char *sym,
                           st_sim_position *out) {
  long i;

  if (s == NULL || sym == NULL || out == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__pos_find(s, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  return snapshot(s, &s->pos[i], out);
}
