/* market.c - symbol universe and seeded random-walk NBBO quotes. */
#include "server/sim/market.h"

#include <stdio.h>
#include <string.h>

#include "server/sim/internal.h"
#include "server/util/alloc.h"

#define MAX_MOVES_PER_STEP 100

void st_sim_walk_default(st_sim_walk *w) {
  w->interval_ns = 1000000000LL;
  w->vol_bps = 5;
  w->spread_bps = 4;
}

static int walk_valid(const st_sim_walk *w) {
  return w->vol_bps >= 0 && w->vol_bps <= 1000 && w->spread_bps >= 0 &&
         w->spread_bps <= 5000;
}

/* The price increment at price p: a cent at or above $1, else 1/100 cent. */
static st_dec tick_at(st_dec p) {
  return st_dec_cmp(p, st_dec_from_int(1)) >= 0 ? st_dec_from_units(1, 2)
                                                : st_dec_from_units(1, 4);
}

/* Rebuilds the quote of e around its mid. Sizes are 1-20 round lots. */
static void build_quote(st_sim_market *m, st_sim__sym *e, int64_t now_ns) {
  st_dec half = ST_DEC_ZERO;
  st_dec lo;
  st_dec hi;
  st_dec bid;
  st_dec ask;
  st_dec min_price = st_dec_from_units(1, 4);

  if (st_dec_mul(e->mid, st_dec_from_units(m->walk.spread_bps, 4),
                 ST_ROUND_HALF_EVEN, &half) != ST_OK) {
    half = ST_DEC_ZERO;
  }
  half.v /= 2;
  lo.v = e->mid.v - half.v;
  hi.v = e->mid.v + half.v;
  bid = st_dec_round_price(lo, ST_ROUND_FLOOR);
  ask = st_dec_round_price(hi, ST_ROUND_CEIL);
  if (st_dec_cmp(bid, min_price) < 0) {
    bid = min_price;
  }
  if (st_dec_cmp(ask, bid) <= 0) {
    ask.v = bid.v + tick_at(bid).v;
  }
  e->quote.bid = bid;
  e->quote.ask = ask;
  e->quote.bid_size = 100 * st_sim_rng_range(&m->rng, 1, 20);
  e->quote.ask_size = 100 * st_sim_rng_range(&m->rng, 1, 20);
  e->quote.ts_ns = now_ns;
}

/* One random move of e's mid, in whole basis points. */
static void move(st_sim_market *m, st_sim__sym *e) {
  int64_t bps = st_sim_rng_range(&m->rng, -m->walk.vol_bps, m->walk.vol_bps);
  st_dec delta;
  st_dec floor_price = st_dec_from_units(1, 2);

  if (bps == 0) {
    return;
  }
  if (st_dec_mul(e->mid, st_dec_from_units(bps, 4), ST_ROUND_HALF_EVEN,
                 &delta) != ST_OK) {
    return;
  }
  e->mid.v += delta.v;
  /* A walk never takes a price to zero: a cent is the floor. */
  if (st_dec_cmp(e->mid, floor_price) < 0) {
    e->mid = floor_price;
  }
}

st_err st_sim__market_push(st_sim_market *m, st_sim__sym **out) {
  if (m->n == m->cap) {
    size_t cap = m->cap == 0 ? 16 : m->cap * 2;
    st_sim__sym *p = st_realloc(m->syms, cap * sizeof(*p));

    if (p == NULL) {
      return ST_ENOMEM;
    }
    m->syms = p;
    m->cap = cap;
  }
  *out = &m->syms[m->n++];
  memset(*out, 0, sizeof(**out));
  return ST_OK;
}

long st_sim__market_find(const st_sim_market *m, const char *sym) {
  if (sym == NULL) {
    return -1;
  }
  for (size_t i = 0; i < m->n; i++) {
    if (strcmp(m->syms[i].asset.symbol, sym) == 0) {
      return (long)i;
    }
  }
  return -1;
}

static int row_valid(const st_sim_asset_init *row) {
  size_t len;

  if (row->symbol == NULL) {
    return 0;
  }
  len = strlen(row->symbol);
  return len > 0 && len < ST_SIM_SYMBOL_LEN && st_dec_is_pos(row->price);
}

static void copy_str(char *dst, size_t n, const char *src, const char *dflt) {
  snprintf(dst, n, "%s", src != NULL ? src : dflt);
}

st_err st_sim_market_add(st_sim_market *m, const st_sim_asset_init *row,
                         int64_t now_ns) {
  st_sim__sym *e;
  st_err rv;

  if (m == NULL || row == NULL || !row_valid(row)) {
    return ST_EINVAL;
  }
  if (st_sim__market_find(m, row->symbol) >= 0) {
    return ST_EEXIST;
  }
  rv = st_sim__market_push(m, &e);
  if (rv != ST_OK) {
    return rv;
  }
  st_sim_rng_uuid(&m->rng, e->asset.id);
  copy_str(e->asset.symbol, sizeof(e->asset.symbol), row->symbol, "");
  copy_str(e->asset.name, sizeof(e->asset.name), row->name, row->symbol);
  copy_str(e->asset.exchange, sizeof(e->asset.exchange), row->exchange, "NYSE");
  e->asset.tradable = row->tradable != 0;
  e->asset.fractionable = row->fractionable != 0;
  e->mid = row->price;
  build_quote(m, e, now_ns);
  return ST_OK;
}

st_err st_sim_market_create(const st_sim_asset_init *universe, size_t n,
                            const st_sim_walk *walk, uint64_t seed,
                            int64_t now_ns, st_sim_market **out) {
  st_sim_market *m;
  st_err rv = ST_OK;

  if (out == NULL || (universe == NULL && n != 0)) {
    return ST_EINVAL;
  }
  if (universe == NULL) {
    st_sim_market_default_universe(&universe, &n);
  }
  m = st_calloc(1, sizeof(*m));
  if (m == NULL) {
    return ST_ENOMEM;
  }
  if (walk != NULL) {
    m->walk = *walk;
  } else {
    st_sim_walk_default(&m->walk);
  }
  if (!walk_valid(&m->walk)) {
    rv = ST_EINVAL;
    goto fail;
  }
  st_sim_rng_seed(&m->rng, seed);
  m->last_ns = now_ns;
  for (size_t i = 0; i < n; i++) {
    rv = st_sim_market_add(m, &universe[i], now_ns);
    if (rv == ST_EEXIST) {
      rv = ST_EINVAL;
    }
    if (rv != ST_OK) {
      goto fail;
    }
  }
  *out = m;
  return ST_OK;

fail:
  st_sim_market_free(m);
  return rv;
}

void st_sim_market_free(st_sim_market *m) {
  if (m == NULL) {
    return;
  }
  st_free(m->syms);
  st_free(m);
}

st_err st_sim_market_step(st_sim_market *m, int64_t now_ns) {
  int64_t moves;
  int64_t k;

  if (m == NULL) {
    return ST_EINVAL;
  }
  if (m->walk.interval_ns <= 0 || now_ns <= m->last_ns) {
    return ST_OK;
  }
  moves = (now_ns - m->last_ns) / m->walk.interval_ns;
  if (moves == 0) {
    return ST_OK;
  }
  m->last_ns += moves * m->walk.interval_ns;
  k = moves < MAX_MOVES_PER_STEP ? moves : MAX_MOVES_PER_STEP;
  for (size_t i = 0; i < m->n; i++) {
    st_sim__sym *e = &m->syms[i];

    if (e->quote.pinned) {
      continue;
    }
    for (int64_t j = 0; j < k; j++) {
      move(m, e);
    }
    build_quote(m, e, m->last_ns);
  }
  return ST_OK;
}

st_err st_sim_market_set_quote(st_sim_market *m, const char *sym, st_dec bid,
                               st_dec ask, int64_t bid_size, int64_t ask_size,
                               int64_t now_ns) {
  long i;
  st_sim__sym *e;

  if (m == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__market_find(m, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  if (st_dec_is_neg(bid) || st_dec_is_neg(ask) || bid_size < 0 ||
      ask_size < 0) {
    return ST_EINVAL;
  }
  if (st_dec_cmp(st_dec_round_price(bid, ST_ROUND_DOWN), bid) != 0 ||
      st_dec_cmp(st_dec_round_price(ask, ST_ROUND_DOWN), ask) != 0) {
    return ST_EINVAL;
  }
  if (st_dec_is_pos(bid) && st_dec_is_pos(ask) && st_dec_cmp(bid, ask) >= 0) {
    return ST_EINVAL;
  }
  e = &m->syms[i];
  e->quote.bid = bid;
  e->quote.ask = ask;
  e->quote.bid_size = bid_size;
  e->quote.ask_size = ask_size;
  e->quote.ts_ns = now_ns;
  e->quote.pinned = 1;
  if (st_dec_is_pos(bid) && st_dec_is_pos(ask)) {
    e->mid.v = bid.v + (ask.v - bid.v) / 2;
  } else if (st_dec_is_pos(bid) || st_dec_is_pos(ask)) {
    e->mid = st_dec_is_pos(bid) ? bid : ask;
  }
  return ST_OK;
}

st_err st_sim_market_unpin(st_sim_market *m, const char *sym) {
  long i;

  if (m == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__market_find(m, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  m->syms[i].quote.pinned = 0;
  return ST_OK;
}

st_err st_sim_market_quote(const st_sim_market *m, const char *sym,
                           st_sim_quote *out) {
  long i;

  if (m == NULL || out == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__market_find(m, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  *out = m->syms[i].quote;
  return ST_OK;
}

st_err st_sim_market_asset(const st_sim_market *m, const char *sym,
                           st_sim_asset *out) {
  long i;

  if (m == NULL || out == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__market_find(m, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  *out = m->syms[i].asset;
  return ST_OK;
}

size_t st_sim_market_count(const st_sim_market *m) {
  return m == NULL ? 0 : m->n;
}

st_err st_sim_market_at(const st_sim_market *m, size_t i, st_sim_asset *asset,
                        st_sim_quote *quote) {
  if (m == NULL) {
    return ST_EINVAL;
  }
  if (i >= m->n) {
    return ST_ENOTFOUND;
  }
  if (asset != NULL) {
    *asset = m->syms[i].asset;
  }
  if (quote != NULL) {
    *quote = m->syms[i].quote;
  }
  return ST_OK;
}

st_err st_sim_market_set_flags(st_sim_market *m, const char *sym, int tradable,
                               int fractionable) {
  long i;

  if (m == NULL) {
    return ST_EINVAL;
  }
  i = st_sim__market_find(m, sym);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  m->syms[i].asset.tradable = tradable != 0;
  m->syms[i].asset.fractionable = fractionable != 0;
  return ST_OK;
}

st_err st_sim_market_mid(const st_sim_market *m, const char *sym, st_dec *out) {
  st_sim_quote q;
  st_err rv = st_sim_market_quote(m, sym, &q);
  st_dec mid;

  if (rv != ST_OK) {
    return rv;
  }
  if (st_dec_is_pos(q.bid) && st_dec_is_pos(q.ask)) {
    mid.v = q.bid.v + (q.ask.v - q.bid.v) / 2;
    *out = st_dec_round_price(mid, ST_ROUND_HALF_EVEN);
  } else {
    *out = st_dec_is_pos(q.bid) ? q.bid : q.ask;
  }
  return ST_OK;
}
