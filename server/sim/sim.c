/* sim.c - the simulated broker engine: orders, matching and events. */
#include "server/sim/sim.h"

#include <stdio.h>
#include <string.h>

#include "server/sim/internal.h"
#include "server/util/alloc.h"

/* The engine's generator is seeded apart from the market's walk. */
#define ENGINE_SEED_SALT 0x5e771edULL

void st_sim_config_default(st_sim_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->seed = 1;
  st_sim_walk_default(&cfg->walk);
  cfg->partial_share = st_dec_from_units(10, 2);
  cfg->ack_latency_ns = 0;
  cfg->fill_latency_ns = 0;
  cfg->market_buy_buffer = st_dec_from_units(3, 2);
  cfg->wash_trade_check = 0;
  cfg->clock_mode = ST_SIM_CLOCK_ALWAYS_OPEN;
}

static int config_valid(const st_sim_config *c) {
  st_sim_clock probe;

  return !st_dec_is_neg(c->partial_share) &&
         st_dec_cmp(c->partial_share, st_dec_from_int(1)) <= 0 &&
         c->ack_latency_ns >= 0 && c->fill_latency_ns >= 0 &&
         !st_dec_is_neg(c->market_buy_buffer) &&
         st_dec_cmp(c->market_buy_buffer, st_dec_from_int(1)) <= 0 &&
         c->walk.vol_bps >= 0 && c->walk.vol_bps <= 1000 &&
         c->walk.spread_bps >= 0 && c->walk.spread_bps <= 5000 &&
         st_sim_clock_get(c->clock_mode, 0, &probe) == ST_OK;
}

static int is_whole(st_dec d) {
  return d.v % ST_DEC_SCALE == 0;
}

static long find_order(const st_sim *s, const char *id) {
  if (id == NULL) {
    return -1;
  }
  for (size_t i = 0; i < s->norders; i++) {
    if (strcmp(s->orders[i].id, id) == 0) {
      return (long)i;
    }
  }
  return -1;
}

static long find_coid(const st_sim *s, const char *coid) {
  if (coid == NULL) {
    return -1;
  }
  for (size_t i = 0; i < s->norders; i++) {
    if (strcmp(s->orders[i].client_order_id, coid) == 0) {
      return (long)i;
    }
  }
  return -1;
}

static st_err add_start_position(st_sim *s, const st_sim_position_init *p) {
  st_sim_asset asset;
  st_dec value;
  long i;
  st_err rv;

  if (p->symbol == NULL || !st_dec_is_pos(p->qty) ||
      !st_dec_is_pos(p->avg_entry_price) ||
      st_sim_market_asset(s->market, p->symbol, &asset) != ST_OK ||
      st_sim__pos_find(s, p->symbol) >= 0 ||
      (!is_whole(p->qty) && !asset.fractionable)) {
    return ST_EINVAL;
  }
  rv = st_dec_mul(p->qty, p->avg_entry_price, ST_ROUND_HALF_EVEN, &value);
  if (rv == ST_OK) {
    rv = st_sim__pos_buy(s, p->symbol, p->qty, value);
  }
  if (rv != ST_OK) {
    return rv;
  }
  /* Keep the documented entry price exactly. */
  i = st_sim__pos_find(s, p->symbol);
  s->pos[i].avg_entry_price = p->avg_entry_price;
  return ST_OK;
}

st_err st_sim_create(const st_sim_config *cfg, const st_sim_start *start,
                     int64_t now_ns, st_sim **out) {
  st_sim_start demo;
  st_sim *s;
  st_err rv;

  if (out == NULL) {
    return ST_EINVAL;
  }
  if (start == NULL) {
    st_sim_start_demo(&demo);
    start = &demo;
  }
  if (st_dec_is_neg(start->cash) ||
      (start->positions == NULL && start->npositions != 0)) {
    return ST_EINVAL;
  }
  s = st_calloc(1, sizeof(*s));
  if (s == NULL) {
    return ST_ENOMEM;
  }
  if (cfg != NULL) {
    s->cfg = *cfg;
  } else {
    st_sim_config_default(&s->cfg);
  }
  if (!config_valid(&s->cfg)) {
    rv = ST_EINVAL;
    goto fail;
  }
  rv = st_sim_market_create(start->universe, start->nuniverse, &s->cfg.walk,
                            s->cfg.seed, now_ns, &s->market);
  if (rv != ST_OK) {
    goto fail;
  }
  st_sim_rng_seed(&s->rng, s->cfg.seed ^ ENGINE_SEED_SALT);
  st_sim_rng_uuid(&s->rng, s->account_id);
  snprintf(s->account_number, sizeof(s->account_number), "PA%010llu",
           (unsigned long long)st_sim_rng_below(&s->rng, 10000000000ULL));
  s->created_at_ns = now_ns;
  s->last_now_ns = now_ns;
  s->cash = start->cash;
  for (size_t i = 0; i < start->npositions; i++) {
    rv = add_start_position(s, &start->positions[i]);
    if (rv != ST_OK) {
      goto fail;
    }
  }
  *out = s;
  return ST_OK;

fail:
  st_sim_free(s);
  return rv;
}

void st_sim_free(st_sim *s) {
  if (s == NULL) {
    return;
  }
  st_sim__evq_free(&s->events);
  st_free(s->orders);
  st_free(s->pos);
  st_sim_market_free(s->market);
  st_free(s);
}

st_sim_market *st_sim_get_market(st_sim *s) {
  return s == NULL ? NULL : s->market;
}

st_err st_sim_get_config(const st_sim *s, st_sim_config *out) {
  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  *out = s->cfg;
  return ST_OK;
}

st_err st_sim_set_config(st_sim *s, const st_sim_config *cfg) {
  st_sim_config c;

  if (s == NULL || cfg == NULL) {
    return ST_EINVAL;
  }
  c = *cfg;
  c.seed = s->cfg.seed;
  if (!config_valid(&c)) {
    return ST_EINVAL;
  }
  s->cfg = c;
  s->market->walk = c.walk;
  return ST_OK;
}

st_err st_sim_get_clock(const st_sim *s, int64_t now_ns, st_sim_clock *out) {
  if (s == NULL) {
    return ST_EINVAL;
  }
  return st_sim_clock_get(s->cfg.clock_mode, now_ns, out);
}

/* Queues an event of kind for order index i; room must be reserved. */
static void emit(st_sim *s, size_t i, st_sim_event_kind kind, int64_t now_ns,
                 st_sim_event *fill) {
  st_sim_event ev;

  if (fill != NULL) {
    ev = *fill;
  } else {
    memset(&ev, 0, sizeof(ev));
  }
  ev.kind = kind;
  ev.ts_ns = now_ns;
  ev.order = s->orders[i];
  (void)st_sim__evq_push(&s->events, &ev);
}

st_err st_sim__order_push(st_sim *s, st_sim_order **out) {
  if (s->norders == s->caporders) {
    size_t cap = s->caporders == 0 ? 64 : s->caporders * 2;
    st_sim_order *p = st_realloc(s->orders, cap * sizeof(*p));

    if (p == NULL) {
      return ST_ENOMEM;
    }
    s->orders = p;
    s->caporders = cap;
  }
  *out = &s->orders[s->norders++];
  memset(*out, 0, sizeof(**out));
  return ST_OK;
}

/* The close at which a day order submitted at now_ns expires (NYSE clock
 * only; the always-open market never closes). */
static int64_t day_expiry(const st_sim *s, st_sim_tif tif, int64_t now_ns) {
  st_sim_clock clk;

  if (tif != ST_SIM_DAY || s->cfg.clock_mode != ST_SIM_CLOCK_NYSE ||
      st_sim_clock_get(s->cfg.clock_mode, now_ns, &clk) != ST_OK) {
    return 0;
  }
  return clk.next_close_ns;
}

/* Checks and copies a client_order_id, or makes one up. */
static st_err take_coid(st_sim *s, const char *coid, char *dst,
                        st_sim_errinfo *ei) {
  if (coid == NULL || coid[0] == '\0') {
    /* A made-up UUID never collides in practice; retry if it does. */
    do {
      st_sim_rng_uuid(&s->rng, dst);
    } while (find_coid(s, dst) >= 0);
    return ST_OK;
  }
  if (strlen(coid) > ST_SIM_COID_MAX) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "client_order_id must be no more than %d characters",
                        ST_SIM_COID_MAX);
  }
  if (find_coid(s, coid) >= 0) {
    return st_sim__fail(ei, ST_EDUPLICATE, 422, ST_SIM_CODE_INVALID,
                        "client_order_id must be unique");
  }
  snprintf(dst, ST_SIM_COID_LEN, "%s", coid);
  return ST_OK;
}

static st_err fail_qty(st_sim_errinfo *ei, const char *sym, st_dec requested,
                       st_dec existing, st_dec held) {
  char rbuf[ST_DEC_STRLEN];
  char abuf[ST_DEC_STRLEN];
  st_dec avail;

  avail.v = existing.v - held.v;
  if (st_dec_is_neg(avail)) {
    avail = ST_DEC_ZERO;
  }
  st_sim__fail(ei, ST_EQTY, 403, ST_SIM_CODE_FORBIDDEN,
               "insufficient qty available for order (requested: %s, "
               "available: %s)",
               st_dec_format(requested, 0, rbuf),
               st_dec_format(avail, 0, abuf));
  if (ei != NULL) {
    snprintf(ei->symbol, sizeof(ei->symbol), "%s", sym);
    ei->requested = requested;
    ei->available = avail;
    ei->existing_qty = existing;
    ei->held_for_orders = held;
  }
  return ST_EQTY;
}

static st_err fail_bp(st_sim_errinfo *ei, st_dec bp, st_dec cost) {
  st_sim__fail(ei, ST_EBUYPOWER, 403, ST_SIM_CODE_FORBIDDEN,
               "insufficient buying power");
  if (ei != NULL) {
    ei->buying_power = bp;
    ei->cost_basis = cost;
  }
  return ST_EBUYPOWER;
}

/* Checks that a sell of `requested` shares of sym fits what is available,
 * not counting what the order at index skip holds. */
static st_err check_qty(const st_sim *s, const char *sym, st_dec requested,
                        size_t skip, st_sim_errinfo *ei) {
  st_dec existing = st_sim__pos_qty(s, sym);
  st_dec held = st_sim__held_for_sells(s, sym, skip);

  if (requested.v > existing.v - held.v) {
    return fail_qty(ei, sym, requested, existing, held);
  }
  return ST_OK;
}

/* Buying power a buy of qty at hold_price (or of a notional) needs. */
static st_err buy_cost(st_dec qty, st_dec notional, st_dec hold_price,
                       st_dec *cost) {
  st_err rv;

  if (st_dec_is_pos(notional)) {
    *cost = notional;
    return ST_OK;
  }
  rv = st_dec_mul(qty, hold_price, ST_ROUND_CEIL, cost);
  if (rv == ST_OK) {
    *cost = st_dec_round(*cost, 2, ST_ROUND_CEIL);
  }
  return rv;
}

static st_err check_bp(const st_sim *s, st_dec cost, size_t skip,
                       st_sim_errinfo *ei) {
  st_dec bp = st_sim__buying_power(s, skip);

  if (st_dec_cmp(cost, bp) > 0) {
    return fail_bp(ei, bp, cost);
  }
  return ST_OK;
}

/* A reference price for sizing: the limit, else the near side of the
 * touch for the order's side, else the other side. Zero if none. */
static st_dec ref_price(const st_sim_quote *q, st_sim_side side, st_dec limit) {
  st_dec near = side == ST_SIM_BUY ? q->ask : q->bid;
  st_dec far = side == ST_SIM_BUY ? q->bid : q->ask;

  if (st_dec_is_pos(limit)) {
    return limit;
  }
  return st_dec_is_pos(near) ? near : far;
}

/* Validates the shape of a request (everything but account state). */
static st_err validate(const st_sim *s, const st_sim_order_req *req,
                       st_sim_asset *asset, st_sim_errinfo *ei) {
  int fractional;
  st_err rv;

  if (req->symbol == NULL ||
      st_sim_market_asset(s->market, req->symbol, asset) != ST_OK) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "invalid symbol");
  }
  if (!asset->tradable) {
    return st_sim__fail(ei, ST_EREJECTED, 422, ST_SIM_CODE_UNPROC,
                        "asset \"%s\" is not tradable", asset->symbol);
  }
  if (req->side != ST_SIM_BUY && req->side != ST_SIM_SELL) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "invalid side");
  }
  if (req->tif != ST_SIM_DAY && req->tif != ST_SIM_GTC) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "invalid time_in_force");
  }
  if (st_dec_is_neg(req->qty) || st_dec_is_neg(req->notional)) {
    return st_sim__fail(
        ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
        st_dec_is_neg(req->qty) ? "qty must be > 0" : "notional must be > 0");
  }
  if (st_dec_is_zero(req->qty) && st_dec_is_zero(req->notional)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "qty or notional is required");
  }
  if (st_dec_is_pos(req->qty) && st_dec_is_pos(req->notional)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "only one of qty or notional can be set");
  }
  if (req->type == ST_SIM_LIMIT) {
    rv = st_sim_check_price(req->limit_price, ei);
    if (rv != ST_OK) {
      return rv;
    }
  } else if (req->type == ST_SIM_MARKET) {
    if (!st_dec_is_zero(req->limit_price)) {
      return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                          "limit_price is only allowed for limit orders");
    }
  } else {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "invalid order type");
  }
  fractional = st_dec_is_pos(req->notional) || !is_whole(req->qty);
  if (fractional && !asset->fractionable) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                        "asset \"%s\" is not fractionable", asset->symbol);
  }
  if (fractional && req->tif != ST_SIM_DAY) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                        "fractional orders must be DAY orders");
  }
  return ST_OK;
}

static int wash_conflict(const st_sim *s, const char *sym, st_sim_side side) {
  for (size_t i = 0; i < s->norders; i++) {
    const st_sim_order *o = &s->orders[i];

    if (o->side != side && !st_sim_status_is_terminal(o->status) &&
        strcmp(o->symbol, sym) == 0) {
      return 1;
    }
  }
  return 0;
}

st_err st_sim_submit(st_sim *s, const st_sim_order_req *req, int64_t now_ns,
                     st_sim_order *out, st_sim_errinfo *ei) {
  st_sim_asset asset;
  st_sim_quote quote;
  st_sim_order o;
  st_sim_order *slot;
  st_dec ref;
  st_dec value;
  st_dec hold_price = ST_DEC_ZERO;
  st_dec hold_qty = ST_DEC_ZERO;
  st_err rv;

  st_sim_errinfo_clear(ei);
  if (s == NULL || req == NULL) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "invalid request");
  }
  rv = validate(s, req, &asset, ei);
  if (rv != ST_OK) {
    return rv;
  }
  memset(&o, 0, sizeof(o));
  rv = take_coid(s, req->client_order_id, o.client_order_id, ei);
  if (rv != ST_OK) {
    return rv;
  }
  (void)st_sim_market_quote(s->market, asset.symbol, &quote);
  ref = ref_price(&quote, req->side, req->limit_price);
  if (st_dec_is_pos(req->notional) || !is_whole(req->qty)) {
    value = req->notional;
    if (st_dec_is_zero(value) &&
        st_dec_mul(req->qty, ref, ST_ROUND_HALF_EVEN, &value) != ST_OK) {
      value = ST_DEC_ZERO;
    }
    if (st_dec_cmp(value, st_dec_from_int(1)) < 0) {
      return st_sim__fail(ei, ST_EREJECTED, 403, ST_SIM_CODE_FORBIDDEN,
                          "cost basis must be >= 1");
    }
  }
  if (s->cfg.wash_trade_check && wash_conflict(s, asset.symbol, req->side)) {
    return st_sim__fail(ei, ST_EWASH, 403, ST_SIM_CODE_FORBIDDEN,
                        "potential wash trade detected. use complex orders");
  }
  if (!st_dec_is_pos(ref)) {
    return st_sim__fail(ei, ST_EREJECTED, 403, ST_SIM_CODE_FORBIDDEN,
                        "no market price for \"%s\"", asset.symbol);
  }
  if (req->side == ST_SIM_SELL) {
    st_dec want = req->qty;

    if (st_dec_is_pos(req->notional)) {
      rv = st_dec_div(req->notional, ref, ST_ROUND_CEIL, &hold_qty);
      if (rv != ST_OK) {
        return st_sim__fail(ei, rv, 422, ST_SIM_CODE_INVALID, "bad notional");
      }
      want = hold_qty;
    }
    rv = check_qty(s, asset.symbol, want, (size_t)-1, ei);
    if (rv != ST_OK) {
      return rv;
    }
  } else {
    st_dec cost;

    if (req->type == ST_SIM_LIMIT) {
      hold_price = req->limit_price;
    } else {
      rv = st_dec_mul(ref, s->cfg.market_buy_buffer, ST_ROUND_CEIL, &value);
      if (rv == ST_OK) {
        rv = st_dec_add(ref, value, &hold_price);
      }
      if (rv != ST_OK) {
        return st_sim__fail(ei, rv, 422, ST_SIM_CODE_INVALID, "bad price");
      }
      hold_price = st_dec_round_price(hold_price, ST_ROUND_CEIL);
    }
    rv = buy_cost(req->qty, req->notional, hold_price, &cost);
    if (rv != ST_OK) {
      return st_sim__fail(ei, rv, 422, ST_SIM_CODE_INVALID, "bad qty");
    }
    rv = check_bp(s, cost, (size_t)-1, ei);
    if (rv != ST_OK) {
      return rv;
    }
  }
  rv = st_sim__order_push(s, &slot);
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "out of memory");
  }
  st_sim_rng_uuid(&s->rng, o.id);
  memcpy(o.symbol, asset.symbol, sizeof(o.symbol));
  memcpy(o.asset_id, asset.id, sizeof(o.asset_id));
  o.side = req->side;
  o.type = req->type;
  o.tif = req->tif;
  o.status = ST_SIM_ACCEPTED;
  o.qty = req->qty;
  o.notional = req->notional;
  o.limit_price = req->type == ST_SIM_LIMIT ? req->limit_price : ST_DEC_ZERO;
  o.created_at_ns = now_ns;
  o.updated_at_ns = now_ns;
  o.submitted_at_ns = now_ns;
  o.expires_at_ns = day_expiry(s, req->tif, now_ns);
  o.hold_price = hold_price;
  o.hold_qty = hold_qty;
  o.eligible_at_ns = now_ns + s->cfg.fill_latency_ns;
  if (s->reject_next) {
    o.reject_pending = 1;
    memcpy(o.reject_reason, s->reject_reason, sizeof(o.reject_reason));
    s->reject_next = 0;
  }
  *slot = o;
  if (out != NULL) {
    *out = o;
  }
  return ST_OK;
}

/* Applies a fill of q at px to order index i and queues its event. Room for
 * one event must be reserved. */
static st_err apply_fill(st_sim *s, size_t i, st_dec q, st_dec px,
                         int64_t now_ns) {
  st_sim_order *o = &s->orders[i];
  st_sim_event ev;
  st_dec value;
  st_dec cash_delta;
  int done;
  st_err rv;

  rv = st_dec_mul(q, px, ST_ROUND_HALF_EVEN, &value);
  if (rv != ST_OK) {
    return rv;
  }
  cash_delta = st_dec_round(value, 2, ST_ROUND_HALF_EVEN);
  if (o->side == ST_SIM_BUY) {
    rv = st_sim__pos_buy(s, o->symbol, q, value);
    if (rv != ST_OK) {
      return rv;
    }
    s->cash.v -= cash_delta.v;
  } else {
    rv = st_sim__pos_sell(s, o->symbol, q);
    if (rv != ST_OK) {
      return rv;
    }
    s->cash.v += cash_delta.v;
  }
  o->filled_qty.v += q.v;
  o->filled_value.v += value.v;
  if (st_dec_div(o->filled_value, o->filled_qty, ST_ROUND_HALF_EVEN,
                 &o->filled_avg_price) != ST_OK) {
    o->filled_avg_price = px;
  }
  done = st_dec_is_pos(o->notional) || st_dec_cmp(o->filled_qty, o->qty) >= 0;
  o->status = done ? ST_SIM_FILLED : ST_SIM_PARTIALLY_FILLED;
  o->updated_at_ns = now_ns;
  if (done) {
    o->filled_at_ns = now_ns;
  }
  memset(&ev, 0, sizeof(ev));
  st_sim_rng_uuid(&s->rng, ev.execution_id);
  ev.qty = q;
  ev.price = px;
  ev.position_qty = st_sim__pos_qty(s, o->symbol);
  emit(s, i, done ? ST_SIM_EV_FILL : ST_SIM_EV_PARTIAL_FILL, now_ns, &ev);
  return ST_OK;
}

/* The qty a notional order buys or sells at px: what remains of its
 * notional, in shares to 9 digits, capped by the position for sells. */
static st_dec notional_qty(const st_sim *s, const st_sim_order *o, st_dec px) {
  st_dec rest;
  st_dec q = ST_DEC_ZERO;

  rest.v = o->notional.v - o->filled_value.v;
  if (st_dec_div(rest, px, ST_ROUND_DOWN, &q) != ST_OK) {
    return ST_DEC_ZERO;
  }
  if (o->side == ST_SIM_SELL) {
    q = st_dec_min(q, st_sim__pos_qty(s, o->symbol));
  }
  return q;
}

/* Matches the working order at index i against its quote. */
static st_err match(st_sim *s, size_t i, int64_t now_ns) {
  st_sim_order *o = &s->orders[i];
  st_sim_quote quote;
  st_dec px;
  st_dec q;
  st_dec rest;
  uint64_t draw;

  if (st_sim_market_quote(s->market, o->symbol, &quote) != ST_OK) {
    return ST_OK;
  }
  px = o->side == ST_SIM_BUY ? quote.ask : quote.bid;
  if (!st_dec_is_pos(px)) {
    return ST_OK;
  }
  if (o->type == ST_SIM_LIMIT &&
      ((o->side == ST_SIM_BUY && st_dec_cmp(o->limit_price, px) < 0) ||
       (o->side == ST_SIM_SELL && st_dec_cmp(o->limit_price, px) > 0))) {
    return ST_OK;
  }
  if (st_dec_is_pos(o->notional)) {
    q = notional_qty(s, o, px);
    if (!st_dec_is_pos(q)) {
      return ST_OK;
    }
    return apply_fill(s, i, q, px, now_ns);
  }
  rest = st_sim_order_remaining(o);
  if (o->side == ST_SIM_SELL) {
    /* Holds keep this from binding unless a test forced fills. */
    rest = st_dec_min(rest, st_sim__pos_qty(s, o->symbol));
    if (!st_dec_is_pos(rest)) {
      return ST_OK;
    }
  }
  q = rest;
  /* One draw per match keeps the sequence independent of the outcome. */
  draw = st_sim_rng_below(&s->rng, 1000000);
  if (draw < (uint64_t)(s->cfg.partial_share.v / 1000)) {
    int64_t pct = st_sim_rng_range(&s->rng, 10, 90);
    st_dec part;

    if (st_dec_mul(rest, st_dec_from_units(pct, 2), ST_ROUND_DOWN, &part) ==
        ST_OK) {
      part = st_dec_round(part, is_whole(o->qty) ? 0 : 9, ST_ROUND_DOWN);
      if (st_dec_is_pos(part) && st_dec_cmp(part, rest) < 0) {
        q = part;
      }
    }
  }
  return apply_fill(s, i, q, px, now_ns);
}

st_err st_sim_step(st_sim *s, int64_t now_ns) {
  st_sim_clock clk;
  st_err rv;

  if (s == NULL) {
    return ST_EINVAL;
  }
  if (now_ns < s->last_now_ns) {
    now_ns = s->last_now_ns;
  }
  s->last_now_ns = now_ns;
  rv = st_sim_market_step(s->market, now_ns);
  if (rv != ST_OK) {
    return rv;
  }
  rv = st_sim_clock_get(s->cfg.clock_mode, now_ns, &clk);
  if (rv != ST_OK) {
    return rv;
  }
  for (size_t i = 0; i < s->norders; i++) {
    st_sim_order *o = &s->orders[i];

    if (st_sim_status_is_terminal(o->status)) {
      continue;
    }
    /* An order changes at most twice per step (ack, then fill). */
    rv = st_sim__evq_reserve(&s->events, 2);
    if (rv != ST_OK) {
      return rv;
    }
    if (st_sim_status_is_pending(o->status)) {
      if (now_ns < o->submitted_at_ns + s->cfg.ack_latency_ns) {
        continue;
      }
      o->updated_at_ns = now_ns;
      if (o->reject_pending) {
        o->status = ST_SIM_REJECTED;
        o->failed_at_ns = now_ns;
        if (o->reject_reason[0] == '\0') {
          snprintf(o->reject_reason, sizeof(o->reject_reason), "%s",
                   "rejected by simulator");
        }
        emit(s, i, ST_SIM_EV_REJECTED, now_ns, NULL);
        continue;
      }
      o->status = ST_SIM_NEW;
      emit(s, i, ST_SIM_EV_NEW, now_ns, NULL);
    }
    if (o->expires_at_ns != 0 && now_ns >= o->expires_at_ns) {
      o->status = ST_SIM_EXPIRED;
      o->expired_at_ns = now_ns;
      o->updated_at_ns = now_ns;
      emit(s, i, ST_SIM_EV_EXPIRED, now_ns, NULL);
      continue;
    }
    if (!clk.is_open || now_ns < o->eligible_at_ns ||
        now_ns < s->hold_until_ns) {
      continue;
    }
    rv = match(s, i, now_ns);
    if (rv != ST_OK) {
      return rv;
    }
  }
  return ST_OK;
}

st_err st_sim_next_event(st_sim *s, st_sim_event *out) {
  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  return st_sim__evq_pop(&s->events, out);
}

size_t st_sim_pending_events(const st_sim *s) {
  return s == NULL ? 0 : st_sim__evq_len(&s->events);
}

/* Finds an order that is still open, or fails like Alpaca. */
static st_err open_order(const st_sim *s, const char *id, long *idx,
                         st_sim_errinfo *ei) {
  long i = find_order(s, id);

  if (i < 0) {
    return st_sim__fail(ei, ST_ENOTFOUND, 404, ST_SIM_CODE_NOTFOUND,
                        "order not found");
  }
  if (st_sim_status_is_terminal(s->orders[i].status)) {
    return st_sim__fail(ei, ST_ETERMINAL, 422, ST_SIM_CODE_UNPROC,
                        "order is already in \"%s\" state",
                        st_sim_status_name(s->orders[i].status));
  }
  *idx = i;
  return ST_OK;
}

st_err st_sim_cancel(st_sim *s, const char *id, int64_t now_ns,
                     st_sim_errinfo *ei) {
  st_sim_order *o;
  long i;
  st_err rv;

  st_sim_errinfo_clear(ei);
  if (s == NULL) {
    return ST_EINVAL;
  }
  rv = open_order(s, id, &i, ei);
  if (rv != ST_OK) {
    return rv;
  }
  rv = st_sim__evq_reserve(&s->events, 1);
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "out of memory");
  }
  o = &s->orders[i];
  o->status = ST_SIM_CANCELED;
  o->canceled_at_ns = now_ns;
  o->updated_at_ns = now_ns;
  emit(s, (size_t)i, ST_SIM_EV_CANCELED, now_ns, NULL);
  return ST_OK;
}

st_err st_sim_replace(st_sim *s, const char *id, const st_sim_replace_req *req,
                      int64_t now_ns, st_sim_order *out, st_sim_errinfo *ei) {
  st_sim_order old;
  st_sim_order n;
  st_sim_order *slot;
  st_dec rest;
  long i;
  st_err rv;

  st_sim_errinfo_clear(ei);
  if (s == NULL || req == NULL) {
    return ST_EINVAL;
  }
  rv = open_order(s, id, &i, ei);
  if (rv != ST_OK) {
    return rv;
  }
  old = s->orders[i];
  if (st_sim_status_is_pending(old.status)) {
    return st_sim__fail(ei, ST_EPRECOND, 422, ST_SIM_CODE_UNPROC,
                        "unable to replace order, order isn't sent to "
                        "exchange yet");
  }
  if (st_dec_is_pos(old.notional)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                        "notional orders cannot be replaced");
  }
  n = old;
  rest = st_sim_order_remaining(&old);
  if (st_dec_is_neg(req->qty)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "qty must be > 0");
  }
  n.qty = st_dec_is_zero(req->qty) ? rest : req->qty;
  if ((!is_whole(n.qty) || !is_whole(rest)) && st_dec_cmp(n.qty, rest) != 0) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                        "fractional qty cannot be changed");
  }
  if (!st_dec_is_zero(req->limit_price)) {
    if (old.type != ST_SIM_LIMIT) {
      return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                          "limit_price is only allowed for limit orders");
    }
    rv = st_sim_check_price(req->limit_price, ei);
    if (rv != ST_OK) {
      return rv;
    }
    n.limit_price = req->limit_price;
  }
  if (req->has_tif) {
    if (req->tif != ST_SIM_DAY && req->tif != ST_SIM_GTC) {
      return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                          "invalid time_in_force");
    }
    n.tif = req->tif;
  }
  if (!is_whole(n.qty) && n.tif != ST_SIM_DAY) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                        "fractional orders must be DAY orders");
  }
  if (st_dec_cmp(n.qty, rest) == 0 &&
      st_dec_cmp(n.limit_price, old.limit_price) == 0 && n.tif == old.tif) {
    return st_sim__fail(ei, ST_EINVAL, 403, ST_SIM_CODE_FORBIDDEN,
                        "order parameters are not changed");
  }
  rv = take_coid(s, req->client_order_id, n.client_order_id, ei);
  if (rv != ST_OK) {
    return rv;
  }
  if (old.side == ST_SIM_SELL) {
    rv = check_qty(s, old.symbol, n.qty, (size_t)i, ei);
  } else {
    st_dec cost;

    if (old.type == ST_SIM_LIMIT) {
      n.hold_price = n.limit_price;
    }
    rv = buy_cost(n.qty, ST_DEC_ZERO, n.hold_price, &cost);
    if (rv == ST_OK) {
      rv = check_bp(s, cost, (size_t)i, ei);
    }
  }
  if (rv != ST_OK) {
    return rv;
  }
  rv = st_sim__evq_reserve(&s->events, 1);
  if (rv == ST_OK) {
    rv = st_sim__order_push(s, &slot);
  }
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "out of memory");
  }
  st_sim_rng_uuid(&s->rng, n.id);
  n.status = ST_SIM_ACCEPTED;
  n.filled_qty = ST_DEC_ZERO;
  n.filled_avg_price = ST_DEC_ZERO;
  n.filled_value = ST_DEC_ZERO;
  n.created_at_ns = now_ns;
  n.updated_at_ns = now_ns;
  n.submitted_at_ns = now_ns;
  n.filled_at_ns = 0;
  n.canceled_at_ns = 0;
  n.expired_at_ns = 0;
  n.failed_at_ns = 0;
  n.replaced_at_ns = 0;
  n.expires_at_ns = day_expiry(s, n.tif, now_ns);
  memcpy(n.replaces, old.id, sizeof(n.replaces));
  n.replaced_by[0] = '\0';
  n.reject_reason[0] = '\0';
  n.reject_pending = 0;
  n.eligible_at_ns = now_ns + s->cfg.fill_latency_ns;
  *slot = n;
  /* push_order may have moved the array: index the old order afresh. */
  s->orders[i].status = ST_SIM_REPLACED;
  s->orders[i].replaced_at_ns = now_ns;
  s->orders[i].updated_at_ns = now_ns;
  memcpy(s->orders[i].replaced_by, n.id, sizeof(n.id));
  emit(s, (size_t)i, ST_SIM_EV_REPLACED, now_ns, NULL);
  if (out != NULL) {
    *out = n;
  }
  return ST_OK;
}

st_err st_sim_get_order(const st_sim *s, const char *id, st_sim_order *out) {
  long i;

  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  i = find_order(s, id);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  *out = s->orders[i];
  return ST_OK;
}

st_err st_sim_get_order_by_client_id(const st_sim *s, const char *coid,
                                     st_sim_order *out) {
  long i;

  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  i = find_coid(s, coid);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  *out = s->orders[i];
  return ST_OK;
}

size_t st_sim_order_count(const st_sim *s) {
  return s == NULL ? 0 : s->norders;
}

st_err st_sim_order_at(const st_sim *s, size_t i, st_sim_order *out) {
  if (s == NULL || out == NULL) {
    return ST_EINVAL;
  }
  if (i >= s->norders) {
    return ST_ENOTFOUND;
  }
  *out = s->orders[i];
  return ST_OK;
}

/* Moves a pending order to new (with its event) before a forced change. */
static void force_ack(st_sim *s, size_t i, int64_t now_ns) {
  st_sim_order *o = &s->orders[i];

  if (st_sim_status_is_pending(o->status)) {
    o->status = ST_SIM_NEW;
    o->reject_pending = 0;
    o->updated_at_ns = now_ns;
    emit(s, i, ST_SIM_EV_NEW, now_ns, NULL);
  }
}

st_err st_sim_force_fill(st_sim *s, const char *id, st_dec qty, st_dec price,
                         int64_t now_ns, st_sim_errinfo *ei) {
  st_sim_order *o;
  st_dec rest;
  long i;
  st_err rv;

  st_sim_errinfo_clear(ei);
  if (s == NULL) {
    return ST_EINVAL;
  }
  rv = open_order(s, id, &i, ei);
  if (rv != ST_OK) {
    return rv;
  }
  o = &s->orders[i];
  if (!st_dec_is_pos(price) || st_dec_is_neg(qty)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "price must be > 0 and qty >= 0");
  }
  if (st_dec_is_pos(o->notional)) {
    qty = notional_qty(s, o, price);
    if (!st_dec_is_pos(qty)) {
      return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                          "nothing to fill");
    }
  } else {
    rest = st_sim_order_remaining(o);
    if (st_dec_is_zero(qty)) {
      qty = rest;
    }
    if (st_dec_cmp(qty, rest) > 0) {
      return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                          "qty exceeds the remaining qty");
    }
  }
  if (o->side == ST_SIM_SELL &&
      st_dec_cmp(qty, st_sim__pos_qty(s, o->symbol)) > 0) {
    return st_sim__fail(ei, ST_EQTY, 403, ST_SIM_CODE_FORBIDDEN,
                        "position too small for the fill");
  }
  rv = st_sim__evq_reserve(&s->events, 2);
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "out of memory");
  }
  force_ack(s, (size_t)i, now_ns);
  rv = apply_fill(s, (size_t)i, qty, price, now_ns);
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "fill failed");
  }
  return ST_OK;
}

st_err st_sim_delay_fills(st_sim *s, const char *id, int64_t until_ns) {
  long i;

  if (s == NULL) {
    return ST_EINVAL;
  }
  if (id == NULL) {
    s->hold_until_ns = until_ns;
    return ST_OK;
  }
  i = find_order(s, id);
  if (i < 0) {
    return ST_ENOTFOUND;
  }
  s->orders[i].eligible_at_ns = until_ns;
  return ST_OK;
}

st_err st_sim_reject_next(st_sim *s, const char *reason) {
  if (s == NULL) {
    return ST_EINVAL;
  }
  s->reject_next = 1;
  snprintf(s->reject_reason, sizeof(s->reject_reason), "%s",
           reason != NULL ? reason : "rejected by simulator");
  return ST_OK;
}

st_err st_sim_force_expire(st_sim *s, const char *id, int64_t now_ns,
                           st_sim_errinfo *ei) {
  st_sim_order *o;
  long i;
  st_err rv;

  st_sim_errinfo_clear(ei);
  if (s == NULL) {
    return ST_EINVAL;
  }
  rv = open_order(s, id, &i, ei);
  if (rv != ST_OK) {
    return rv;
  }
  rv = st_sim__evq_reserve(&s->events, 2);
  if (rv != ST_OK) {
    return st_sim__fail(ei, rv, 500, 0, "out of memory");
  }
  force_ack(s, (size_t)i, now_ns);
  o = &s->orders[i];
  o->status = ST_SIM_EXPIRED;
  o->expired_at_ns = now_ns;
  o->updated_at_ns = now_ns;
  emit(s, (size_t)i, ST_SIM_EV_EXPIRED, now_ns, NULL);
  return ST_OK;
}
