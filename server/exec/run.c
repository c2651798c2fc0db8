/* run.c - one execution: cancel stale orders, subscribe, the sell phase
 * with its settlement, the buying-power check, the buy phase, the summary.
 * Runs on the engine's worker thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/exec/internal.h"
#include "server/exec/limit_price.h"
#include "server/exec/quote_check.h"
#include "server/exec/sizing.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

#define ES(x) SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_##x
#define PH(x) SETTLED__V1__PHASE_TYPE__PHASE_TYPE_##x
#define TA(x) SETTLED__V1__TRADE_ACTION__TRADE_ACTION_##x

#define SLICE_NS (100 * ST_NS_PER_MS)         /* Longest sleep of the loop. */
#define CANCEL_CONFIRM_NS (5 * ST_NS_PER_SEC) /* Then ask the broker. */
#define DRAIN_NS (5 * ST_NS_PER_SEC) /* Wait for cancels at the deadline. */

static const char *side_name(st_side s) {
  return s == ST_SIDE_SELL ? "SELL" : "BUY";
}

static Settled__V1__TradeAction side_action(st_side s) {
  return s == ST_SIDE_SELL ? TA(SELL) : TA(BUY);
}

static void fmt(st_dec d, int frac, char *buf) {
  st_dec_format(d, frac, buf);
}

#define LOGX(x, lvl, ...)                                               \
  st_log_plan(lvl, "exec", (x)->plan.plan_id, (x)->plan.correlation_id, \
              __VA_ARGS__)

static st_dec filled_of(const chain *c) {
  st_dec f;

  if (st_dec_add(c->prior_filled, c->cur_filled, &f) != ST_OK) {
    return c->prior_filled;
  }
  return f;
}

static st_dec value_of(const chain *c) {
  st_dec v = c->prior_value, cv;

  if (st_dec_is_pos(c->cur_filled) &&
      st_dec_mul(c->cur_filled, c->cur_avg, ST_ROUND_HALF_EVEN, &cv) == ST_OK) {
    st_dec_add(v, cv, &v);
  }
  return v;
}

static st_dec remaining_of(const chain *c) {
  st_dec r;

  if (st_dec_sub(c->requested, filled_of(c), &r) != ST_OK || st_dec_is_neg(r)) {
    return ST_DEC_ZERO;
  }
  return r;
}

chain *st__chain_by_order(execution *x, const char *order_id) {
  for (size_t i = 0; i < x->nchains; i++) {
    if (strcmp(x->chains[i].order_id, order_id) == 0) {
      return &x->chains[i];
    }
  }
  return NULL;
}

static chain *chain_by_coid(execution *x, const char *coid) {
  for (size_t i = 0; i < x->nchains; i++) {
    if (strcmp(x->chains[i].coid, coid) == 0) {
      return &x->chains[i];
    }
  }
  return NULL;
}

/* --- Events. --- */

static void emit_notice(st_engine *e, execution *x, const char *level,
                        const char *code, const char *symbol, const char *msg) {
  Settled__V1__Event ev;
  Settled__V1__ExecutionNotice n = SETTLED__V1__EXECUTION_NOTICE__INIT;
  char key[128];

  st__event_init(e, x, &ev, "exec.engine", x->started_event_id);
  n.level = (char *)level;
  n.code = (char *)code;
  n.message = (char *)msg;
  n.symbol = (char *)(symbol != NULL ? symbol : "");
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_EXECUTION_NOTICE;
  ev.execution_notice = &n;
  snprintf(key, sizeof(key), "notice:%s:%s", code, symbol ? symbol : "");
  st__emit(e, x, &ev, key);
  LOGX(x, level[0] == 'e' ? ST_LOG_ERROR : ST_LOG_WARN, "%s%s%s: %s", code,
       symbol ? " " : "", symbol ? symbol : "", msg);
}

static void emit_skipped(st_engine *e, execution *x, chain *c) {
  Settled__V1__Event ev;
  Settled__V1__OrderSkipped s = SETTLED__V1__ORDER_SKIPPED__INIT;
  char amt[ST_DEC_STRLEN], key[64];

  st__event_init(e, x, &ev, "exec.order", x->started_event_id);
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  s.reason = c->reason;
  fmt(c->amount, 2, amt);
  s.trade_amount = amt;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_SKIPPED;
  ev.order_skipped = &s;
  snprintf(key, sizeof(key), "skip:%s", c->symbol);
  st__emit(e, x, &ev, key);
  LOGX(x, ST_LOG_INFO, "⏭️ %s %s skipped: %s", side_name(c->side),
       c->symbol, c->reason);
}

static void emit_submitted(st_engine *e, execution *x, chain *c, st_dec qty,
                           int adopted) {
  Settled__V1__Event ev;
  Settled__V1__OrderSubmitted s = SETTLED__V1__ORDER_SUBMITTED__INIT;
  char q[ST_DEC_STRLEN], p[ST_DEC_STRLEN] = "", key[96];

  st__event_init(e, x, &ev, "exec.order",
                 c->last_event_id[0] ? c->last_event_id : x->started_event_id);
  s.order_id = c->order_id;
  s.client_order_id = c->coid;
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  s.order_type = c->type == ST_OTYPE_MARKET
                     ? SETTLED__V1__ORDER_TYPE__ORDER_TYPE_MARKET
                     : SETTLED__V1__ORDER_TYPE__ORDER_TYPE_LIMIT;
  fmt(qty, 0, q);
  s.quantity = q;
  if (c->type == ST_OTYPE_LIMIT) {
    fmt(c->limit, 2, p);
  }
  s.limit_price = p;
  s.attempt = c->attempt;
  s.adopted = adopted;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_SUBMITTED;
  ev.order_submitted = &s;
  snprintf(key, sizeof(key), "submit:%s", c->coid);
  st__emit(e, x, &ev, key);
  snprintf(c->last_event_id, sizeof(c->last_event_id), "%s", ev.event_id);
  LOGX(x, ST_LOG_INFO, "📤 %s %s %s %s%s (ID: %s)%s", side_name(c->side), q,
       c->symbol, c->type == ST_OTYPE_MARKET ? "at market" : "limit ", p,
       c->order_id, adopted ? ", adopted" : "");
}

/* OrderUpdated for u; prev_filled/prev_avg are the order's cumulative fill
 * before u, so that a fill found by reconciliation (a status, no fill
 * message) still reports the quantity and price it added. */
static void emit_updated(st_engine *e, execution *x, chain *c,
                         const st_trade_update *u, st_dec prev_filled,
                         st_dec prev_avg) {
  Settled__V1__Event ev;
  Settled__V1__OrderUpdated s = SETTLED__V1__ORDER_UPDATED__INIT;
  char fq[ST_DEC_STRLEN], fa[ST_DEC_STRLEN] = "", q[ST_DEC_STRLEN] = "",
                          p[ST_DEC_STRLEN] = "";
  char key[256];

  st__event_init(e, x, &ev, "exec.order", c->last_event_id);
  s.order_id = (char *)u->order.id;
  s.client_order_id = (char *)u->order.client_order_id;
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  s.status = (Settled__V1__OrderStatus)u->order.status;
  fmt(u->order.filled_qty, 0, fq);
  s.filled_qty = fq;
  if (st_dec_is_pos(u->order.filled_avg_price)) {
    fmt(u->order.filled_avg_price, 2, fa);
  }
  s.filled_avg_price = fa;
  {
    st_dec dq, before, after, dv, price;

    if (st_dec_sub(u->order.filled_qty, prev_filled, &dq) == ST_OK &&
        st_dec_is_pos(dq)) {
      fmt(dq, 0, q);
      if ((u->event == ST_TE_FILL || u->event == ST_TE_PARTIAL_FILL) &&
          st_dec_is_pos(u->price) && st_dec_cmp(u->qty, dq) == 0) {
        price = u->price;
      } else if (st_dec_mul(prev_filled, prev_avg, ST_ROUND_HALF_EVEN,
                            &before) == ST_OK &&
                 st_dec_mul(u->order.filled_qty, u->order.filled_avg_price,
                            ST_ROUND_HALF_EVEN, &after) == ST_OK &&
                 st_dec_sub(after, before, &dv) == ST_OK &&
                 st_dec_div(dv, dq, ST_ROUND_HALF_EVEN, &price) == ST_OK) {
        /* The fills in between, at their average price. */
        price = st_dec_round(price, 4, ST_ROUND_HALF_EVEN);
      } else {
        price = u->order.filled_avg_price;
      }
      fmt(price, 2, p);
    }
  }
  s.fill_qty = q;
  s.fill_price = p;
  s.reason = "";
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_UPDATED;
  ev.order_updated = &s;
  snprintf(key, sizeof(key), "update:%s:%s:%s", u->order.client_order_id,
           st_ostatus_name(u->order.status), fq);
  st__emit(e, x, &ev, key);
}

static void emit_repegged(st_engine *e, execution *x, chain *c,
                          const char *old_id, st_dec old_price,
                          const char *reason) {
  Settled__V1__Event ev;
  Settled__V1__OrderRepegged s = SETTLED__V1__ORDER_REPEGGED__INIT;
  char op[ST_DEC_STRLEN], np[ST_DEC_STRLEN], rq[ST_DEC_STRLEN], key[96];

  st__event_init(e, x, &ev, "exec.order", c->last_event_id);
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  s.old_order_id = (char *)old_id;
  s.new_order_id = c->order_id;
  fmt(old_price, 2, op);
  fmt(c->limit, 2, np);
  fmt(remaining_of(c), 0, rq);
  s.old_price = op;
  s.new_price = np;
  s.remaining_quantity = rq;
  s.repeg_count = c->repegs;
  s.reason = (char *)reason;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_REPEGGED;
  ev.order_repegged = &s;
  snprintf(key, sizeof(key), "repeg:%s", c->coid);
  st__emit(e, x, &ev, key);
  LOGX(x, ST_LOG_INFO, "🔁 re-peg %s %s %s -> %s (%d/%d, %s)",
       side_name(c->side), c->symbol, op, np, c->repegs, x->cfg.max_repegs,
       reason);
}

static void emit_escalated(st_engine *e, execution *x, chain *c,
                           const char *old_id, const char *reason) {
  Settled__V1__Event ev;
  Settled__V1__OrderEscalated s = SETTLED__V1__ORDER_ESCALATED__INIT;
  char rq[ST_DEC_STRLEN], key[96];

  st__event_init(e, x, &ev, "exec.order", c->last_event_id);
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  s.old_order_id = (char *)old_id;
  s.new_order_id = c->order_id;
  fmt(remaining_of(c), 0, rq);
  s.remaining_quantity = rq;
  s.reason = (char *)reason;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_ESCALATED;
  ev.order_escalated = &s;
  snprintf(key, sizeof(key), "escalate:%s", c->coid);
  st__emit(e, x, &ev, key);
  LOGX(x, ST_LOG_INFO, "⏫ %s %s: market order for the remaining %s (%s)",
       side_name(c->side), c->symbol, rq, reason);
}

static void emit_settled(st_engine *e, execution *x, chain *c) {
  Settled__V1__Event ev;
  Settled__V1__OrderSettlementCompleted s =
      SETTLED__V1__ORDER_SETTLEMENT_COMPLETED__INIT;
  char q[ST_DEC_STRLEN], p[ST_DEC_STRLEN], v[ST_DEC_STRLEN], key[96];
  st_dec filled = filled_of(c), value = value_of(c), avg = ST_DEC_ZERO;

  if (c->settlement_emitted || !st_dec_is_pos(filled)) {
    return;
  }
  c->settlement_emitted = 1;
  st_dec_div(value, filled, ST_ROUND_HALF_EVEN, &avg);
  st__event_init(e, x, &ev, "exec.settlement", c->last_event_id);
  s.order_id = c->order_id;
  s.symbol = c->symbol;
  s.side = side_action(c->side);
  fmt(filled, 0, q);
  fmt(st_dec_round(avg, 4, ST_ROUND_HALF_EVEN), 2, p);
  fmt(st_dec_round(value, 2, ST_ROUND_HALF_EVEN), 2, v);
  s.settled_quantity = q;
  s.settlement_price = p;
  s.settled_value = v;
  s.buying_power_released = c->side == ST_SIDE_SELL ? v : "0";
  s.original_correlation_id = x->plan.correlation_id;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_ORDER_SETTLEMENT_COMPLETED;
  ev.order_settlement_completed = &s;
  snprintf(key, sizeof(key), "settled:%s:%s", c->symbol, side_name(c->side));
  st__emit(e, x, &ev, key);
  if (c->side == ST_SIDE_SELL) {
    LOGX(x, ST_LOG_INFO, "✅ Sell order %s settled: $%s buying power released",
         c->order_id, v);
  }
}

/* --- Journal intents. --- */

static void put_intent(st_engine *e, execution *x, chain *c, st_dec qty,
                       int state) {
  st_intent in;

  memset(&in, 0, sizeof(in));
  snprintf(in.client_order_id, sizeof(in.client_order_id), "%s", c->coid);
  snprintf(in.plan_id, sizeof(in.plan_id), "%s", x->plan.plan_id);
  snprintf(in.symbol, sizeof(in.symbol), "%s", c->symbol);
  in.side = c->side;
  in.chain = (int)c->idx;
  in.attempt = c->attempt;
  in.type = c->type;
  fmt(qty, 0, in.qty);
  fmt(c->limit, 0, in.limit_price);
  in.state = state;
  snprintf(in.broker_id, sizeof(in.broker_id), "%s", c->order_id);
  in.status = c->status;
  fmt(c->cur_filled, 0, in.filled_qty);
  fmt(c->cur_avg, 0, in.filled_avg_price);
  in.created_ns = c->placed_ns;
  in.updated_ns = st__now(e);
  if (st_journal_intent_put(e->o.journal, &in) != ST_OK) {
    LOGX(x, ST_LOG_ERROR, "cannot journal the intent %s", c->coid);
  }
}

static void finish_chain(st_engine *e, execution *x, chain *c, int failed,
                         const char *reason) {
  st_dec filled = filled_of(c);

  c->state = CH_DONE;
  (void)failed;
  c->success = st_dec_is_pos(filled); /* Partly filled counts (seed). */
  c->failed = !c->success && !c->skipped;
  if (reason != NULL && (c->failed || c->reason[0] == '\0')) {
    snprintf(c->reason, sizeof(c->reason), "%s", reason);
  }
  if (c->success) {
    char v[ST_DEC_STRLEN];

    fmt(st_dec_round(value_of(c), 2, ST_ROUND_HALF_EVEN), 2, v);
    LOGX(x, ST_LOG_INFO, "✅ %s %s completed successfully (ID: %s, $%s)",
         side_name(c->side), c->symbol, c->order_id, v);
    if (c->side == ST_SIDE_SELL) {
      emit_settled(e, x, c);
    }
  } else if (c->failed) {
    LOGX(x, ST_LOG_WARN, "❌ %s %s failed: %s", side_name(c->side), c->symbol,
         c->reason);
  }
}

/* --- Placing orders. --- */

static void apply_update(st_engine *e, execution *x, chain *c,
                         const st_trade_update *u);

/* What submitting one order came to. */
typedef enum outcome {
  OUT_SENT = 0, /* Working at the broker (sent now). */
  OUT_ADOPTED,  /* Found at the broker under its client order id. */
  OUT_RETRY,    /* Refused for quantity: try again with what is there. */
  OUT_FAILED,   /* Refused; the chain is over. */
} outcome;

typedef struct placing {
  chain *c;
  st_dec qty;
  outcome out;
  st_order o;
  char why[300];
} placing;

/* Submits one journaled intent; network only, no journal writes. */
static void submit_one(st_engine *e, execution *x, placing *p) {
  st_broker *b = e->o.broker;
  chain *c = p->c;
  st_order_req r;
  st_brokerr be;
  st_err err;

  memset(&r, 0, sizeof(r));
  r.client_order_id = c->coid;
  r.symbol = c->symbol;
  r.side = c->side;
  r.type = c->type;
  r.qty = p->qty;
  r.limit_price = c->type == ST_OTYPE_LIMIT ? c->limit : ST_DEC_ZERO;
  r.time_in_force = "day";
  memset(&p->o, 0, sizeof(p->o));
  memset(&be, 0, sizeof(be));
  err = b->ops->submit_order(b, &r, &p->o, &be);
  if (err == ST_OK) {
    p->out = OUT_SENT;
    return;
  }
  if (err == ST_EDUPLICATE && p->o.id[0] != '\0') {
    /* Sent before (a crash or a lost reply): adopt only what matches. */
    if (strcmp(p->o.symbol, c->symbol) != 0 || p->o.side != c->side ||
        st_dec_cmp(p->o.qty, p->qty) != 0) {
      p->out = OUT_FAILED;
      snprintf(p->why, sizeof(p->why),
               "an order with this client_order_id exists at the broker and "
               "does not match the intent");
      return;
    }
    p->out = OUT_ADOPTED;
    return;
  }
  if (err == ST_EQTY && c->side == ST_SIDE_SELL &&
      st_dec_is_pos(be.available) && st_dec_cmp(be.available, p->qty) < 0) {
    /* "insufficient qty available": retry with what is available. */
    p->out = OUT_RETRY;
    p->qty = be.available;
    return;
  }
  if ((err == ST_ETRANSIENT || err == ST_ERATELIMIT || err == ST_EPROTO) &&
      b->ops->get_order_by_client_id(b, c->coid, &p->o, NULL) == ST_OK) {
    /* It landed after all. */
    p->out = OUT_ADOPTED;
    return;
  }
  p->out = OUT_FAILED;
  snprintf(p->why, sizeof(p->why), "%s: %s", st_strerror(err),
           be.message[0] ? be.message : "no detail");
}

/* Sends the next order of each chain in ps[0..n): the intents are
 * journaled first, in one transaction; then the orders are submitted; then
 * the outcomes are journaled, in one transaction. Each chain's c->type and
 * c->limit are set, ps[i].qty is the order's quantity. */
static void place_many(st_engine *e, execution *x, placing *ps, size_t n) {
  size_t retries = 0;

  for (int round = 0; round < 3 && n > 0; round++) {
    st__begin(e);
    for (size_t i = 0; i < n; i++) {
      chain *c = ps[i].c;

      c->attempt = c->next_attempt++;
      st_coid_make(st_journal_namespace(e->o.journal), x->plan.plan_id,
                   c->symbol, c->side, c->attempt, c->coid);
      c->order_id[0] = '\0';
      c->status = ST_OS_UNKNOWN;
      c->cur_filled = ST_DEC_ZERO;
      c->cur_avg = ST_DEC_ZERO;
      c->placed_ns = st__now(e);
      put_intent(e, x, c, ps[i].qty, ST_INTENT_INTENDED);
    }
    /* Journal first: every intent is durable before the broker sees it. */
    st__commit(e);
    for (size_t i = 0; i < n; i++) {
      submit_one(e, x, &ps[i]);
    }
    st__begin(e);
    retries = 0;
    for (size_t i = 0; i < n; i++) {
      placing *p = &ps[i];
      chain *c = p->c;

      if (p->out == OUT_FAILED || p->out == OUT_RETRY) {
        put_intent(e, x, c, p->qty, ST_INTENT_ABANDONED);
        if (p->out == OUT_FAILED || round == 2) {
          finish_chain(e, x, c, 1,
                       p->out == OUT_FAILED ? p->why : "quantity refused");
          continue;
        }
        LOGX(x, ST_LOG_WARN, "%s %s: less available, retrying with that",
             side_name(c->side), c->symbol);
        st_dec_add(filled_of(c), p->qty, &c->requested);
        ps[retries++] = *p; /* Again, with the available quantity. */
        continue;
      }
      snprintf(c->order_id, sizeof(c->order_id), "%s", p->o.id);
      c->status = p->o.status;
      if (p->out == OUT_ADOPTED) {
        c->cur_filled = p->o.filled_qty;
        c->cur_avg = p->o.filled_avg_price;
      }
      put_intent(e, x, c, p->qty, ST_INTENT_SENT);
      emit_submitted(e, x, c, p->qty, p->out == OUT_ADOPTED);
      if (c->norders < MAX_CHAIN_ORDERS) {
        snprintf(c->order_ids[c->norders++], ST_ORDER_ID_LEN, "%s",
                 c->order_id);
      }
      if (c->type == ST_OTYPE_LIMIT && c->ntried < MAX_TRIED) {
        c->tried[c->ntried++] = c->limit;
      }
      c->state = CH_WORKING;
      c->next = NEXT_NONE;
    }
    st__commit(e);
    n = retries;
  }
  st__snapshot(e, x);
}

/* Sends one order of chain c (see place_many). Returns 0 when an order is
 * working (sent or adopted). */
static int place(st_engine *e, execution *x, chain *c, st_dec qty) {
  placing p;

  memset(&p, 0, sizeof(p));
  p.c = c;
  p.qty = qty;
  place_many(e, x, &p, 1);
  return c->state == CH_WORKING ? 0 : -1;
}

static st_quote_rules rules_of(const execution *x) {
  st_quote_rules r;

  r.max_spread_pct = x->cfg.max_spread_pct;
  r.max_age_ns = x->cfg.quote_max_age_ns;
  return r;
}

/* A REST read tells the NBBO as of the moment it was read: its age counts
 * from then, not from the last change at the exchange. */
static void fresh_as_read(st_quote *q) {
  if (q->source == ST_QUOTE_REST && q->received_ns > q->ts_ns) {
    q->ts_ns = q->received_ns;
  }
}

/* A usable quote for c now: the stream's, or (at most once a second per
 * chain, to spare the rate limit) a REST read. 0 when there is none. */
static int usable_quote(st_engine *e, execution *x, chain *c, st_quote *q) {
  st_quote_rules r = rules_of(x);
  const char *sym = c->symbol;
  int64_t now = st__now(e);

  if (st_pricing_get(e->o.pricing, sym, q) == ST_OK) {
    fresh_as_read(q);
    if (st_quote_check(q, &r, now) == ST_QV_OK) {
      return 1;
    }
  }
  if (now - c->rest_read_ns < ST_NS_PER_SEC) {
    return 0;
  }
  c->rest_read_ns = now;
  if (st_pricing_fetch(e->o.pricing, &sym, 1, q, NULL) == ST_OK) {
    fresh_as_read(q);
    if (st_quote_check(q, &r, now) == ST_QV_OK) {
      return 1;
    }
  }
  return 0;
}

/* Any price for sizing when no quote is usable: a one-sided or wide quote
 * still tells roughly what a share costs. */
static int rough_price(st_engine *e, chain *c, st_dec *price) {
  st_quote q;
  const char *sym = c->symbol;

  if (st_pricing_fetch(e->o.pricing, &sym, 1, &q, NULL) != ST_OK) {
    return 0;
  }
  if (c->side == ST_SIDE_BUY && st_dec_is_pos(q.ask)) {
    *price = q.ask;
  } else if (st_dec_is_pos(q.bid)) {
    *price = q.bid;
  } else if (st_dec_is_pos(q.ask)) {
    *price = q.ask;
  } else {
    return 0;
  }
  return 1;
}

/* Sizes chain c at price; sets requested or skips it. */
static void size_chain(st_engine *e, execution *x, chain *c, st_dec price,
                       const st_position *pos) {
  st_size_in in;
  st_size_out out;

  memset(&in, 0, sizeof(in));
  in.side = c->side;
  in.amount = c->amount;
  in.price = price;
  in.fractionable = c->fractionable;
  in.allow_fractional = x->cfg.allow_fractional;
  in.liquidate = c->liquidate;
  in.has_position = pos != NULL;
  in.position_available = pos != NULL ? pos->qty_available : ST_DEC_ZERO;
  if (st_size_order(&in, &out) != ST_OK) {
    c->skipped = 0;
    finish_chain(e, x, c, 1, "cannot size the order: no valid price");
    return;
  }
  c->sized = 1;
  if (out.skipped) {
    c->skipped = 1;
    snprintf(c->reason, sizeof(c->reason), "%s", out.reason);
    c->state = CH_DONE;
    emit_skipped(e, x, c);
    return;
  }
  c->requested = out.qty;
  if (c->side == ST_SIDE_BUY) {
    st_dec buf, need;

    st_dec_div(x->cfg.buy_buffer_pct, st_dec_from_int(100), ST_ROUND_UP, &buf);
    st_dec_add(buf, st_dec_from_int(1), &buf);
    if (st_dec_mul(out.qty, price, ST_ROUND_UP, &need) == ST_OK &&
        st_dec_mul(need, buf, ST_ROUND_UP, &need) == ST_OK) {
      c->need_bp = need;
    }
  }
}

/* Prepares chain c's first order if it can: a usable quote gives a limit
 * order (smart) or sizes a market order; without one it waits until its
 * quote deadline, then falls back per the configuration. Returns 1 when
 * the order is ready to send (type, limit and requested set). */
static int start_chain(st_engine *e, execution *x, chain *c,
                       const st_position *pos, int force) {
  st_quote q;
  int have = usable_quote(e, x, c, &q);
  st_dec price;

  if (!have && !force && st__now(e) < c->quote_deadline_ns) {
    return 0; /* Wait for a usable quote. */
  }
  if (have) {
    if (st_quote_mid(&q, &price) != ST_OK) {
      price = c->side == ST_SIDE_BUY ? q.ask : q.bid;
    }
  } else if (!rough_price(e, c, &price)) {
    emit_notice(e, x, "error", "no_quote", c->symbol,
                "no quote to size the order from");
    finish_chain(e, x, c, 1, "no quote to size the order from");
    return 0;
  }
  if (!c->sized) {
    size_chain(e, x, c, price, pos);
    if (c->state == CH_DONE) {
      return 0;
    }
  }
  if (x->cfg.smart && have) {
    c->type = ST_OTYPE_LIMIT;
    if (st_limit_price(c->side, &q, c->requested, &c->limit) != ST_OK) {
      c->type = ST_OTYPE_MARKET;
    } else {
      c->anchor = c->side == ST_SIDE_BUY ? q.ask : q.bid;
    }
  } else {
    if (x->cfg.smart && !have) {
      if (!x->cfg.market_without_quote) {
        emit_notice(e, x, "error", "no_quote", c->symbol,
                    "no usable quote and market orders without a quote are "
                    "disabled");
        finish_chain(e, x, c, 1, "no usable quote");
        return 0;
      }
      emit_notice(e, x, "warning", "no_quote", c->symbol,
                  "no usable quote: placing a market order");
    }
    c->type = ST_OTYPE_MARKET;
    c->escalated = x->cfg.smart;
  }
  c->limit = c->type == ST_OTYPE_LIMIT ? c->limit : ST_DEC_ZERO;
  return 1;
}

/* After a confirmed cancel (or a broker cancel): the next order of the
 * chain for what remains. */
static void continue_chain(st_engine *e, execution *x, chain *c,
                           const char *why) {
  st_dec rem = remaining_of(c);
  st_quote q;
  char old_id[ST_ORDER_ID_LEN];
  st_dec old_price = c->limit;

  snprintf(old_id, sizeof(old_id), "%s", c->order_id);
  if (!st_dec_is_pos(rem) ||
      st_dec_is_zero(st_qty_round_down(
          rem, !(c->fractionable && x->cfg.allow_fractional)))) {
    finish_chain(e, x, c, 0, NULL);
    return;
  }
  if (c->fractionable && x->cfg.allow_fractional) {
    st_dec notional;

    if (st_dec_mul(rem, c->anchor, ST_ROUND_DOWN, &notional) == ST_OK &&
        st_dec_cmp(notional, st_dec_from_int(1)) < 0 &&
        st_dec_is_pos(c->anchor)) {
      finish_chain(e, x, c, 0, "remainder below $1.00");
      return;
    }
  }
  rem = st_qty_round_down(rem, !(c->fractionable && x->cfg.allow_fractional));
  if (c->next == NEXT_REPEG && usable_quote(e, x, c, &q) &&
      st_repeg_price(c->side, &q, c->limit, c->tried, c->ntried, &c->limit) ==
          ST_OK) {
    c->repegs++;
    c->type = ST_OTYPE_LIMIT;
    c->anchor = c->side == ST_SIDE_BUY ? q.ask : q.bid;
    if (place(e, x, c, rem) == 0) {
      st__begin(e);
      emit_repegged(e, x, c, old_id, old_price, why);
      st__commit(e);
    }
    return;
  }
  /* The market for the remainder only. */
  if (c->side == ST_SIDE_BUY) {
    /* Never an order the account cannot pay for. */
    st_account a;
    st_quote mq;
    const char *sym = c->symbol;

    if (e->o.broker->ops->get_account(e->o.broker, &a, NULL) == ST_OK &&
        st_pricing_fetch(e->o.pricing, &sym, 1, &mq, NULL) == ST_OK &&
        st_dec_is_pos(mq.ask)) {
      st_dec per, fit,
          bp = e->o.allow_margin ? a.buying_power
                                 : st_dec_min(a.cash, a.buying_power);

      if (st_dec_mul(mq.ask, st_dec_from_units(104, 2), ST_ROUND_UP, &per) ==
              ST_OK &&
          st_dec_div(bp, per, ST_ROUND_DOWN, &fit) == ST_OK) {
        fit = st_qty_round_down(fit,
                                !(c->fractionable && x->cfg.allow_fractional));
        if (st_dec_cmp(fit, rem) < 0) {
          if (!st_dec_is_pos(fit)) {
            finish_chain(e, x, c, 1, "no buying power left for the remainder");
            return;
          }
          rem = fit;
        }
      }
    }
  }
  c->type = ST_OTYPE_MARKET;
  c->limit = ST_DEC_ZERO;
  c->escalated = 1;
  if (place(e, x, c, rem) == 0) {
    st__begin(e);
    emit_escalated(e, x, c, old_id, why);
    st__commit(e);
  }
}

/* Asks the broker to cancel c's working order; `next` says what follows
 * the confirmation. */
static void request_cancel(st_engine *e, execution *x, chain *c,
                           chain_next next) {
  st_brokerr be;
  st_err err;
  st_order o;

  c->next = next;
  c->state = CH_CANCELING;
  c->cancel_sent_ns = st__now(e);
  err = e->o.broker->ops->cancel_order(e->o.broker, c->order_id, &be);
  if (err == ST_ETERMINAL || err == ST_ENOTFOUND) {
    /* Already filled (or ended): the broker's record decides. */
    if (e->o.broker->ops->get_order(e->o.broker, c->order_id, &o, NULL) ==
        ST_OK) {
      st_trade_update u;

      memset(&u, 0, sizeof(u));
      u.event = o.status == ST_OS_FILLED ? ST_TE_FILL : ST_TE_CANCELED;
      u.order = o;
      u.reconciled = 1;
      c->cancel_sent_ns = 0;
      apply_update(e, x, c, &u);
    }
  } else if (err != ST_OK) {
    LOGX(x, ST_LOG_WARN, "cancel of %s failed: %s (%s); will retry",
         c->order_id, st_strerror(err), be.message);
    c->state = CH_WORKING;
    c->placed_ns = st__now(e) - x->cfg.fill_wait_ns + ST_NS_PER_SEC;
  }
}

static void apply_update(st_engine *e, execution *x, chain *c,
                         const st_trade_update *u) {
  const st_order *o = &u->order;
  st_dec prev_filled, prev_avg;
  int fill = u->event == ST_TE_FILL || u->event == ST_TE_PARTIAL_FILL;

  if (strcmp(o->id, c->order_id) != 0) {
    return; /* An earlier order of the chain: already accounted for. */
  }
  if (st_dec_cmp(o->filled_qty, c->cur_filled) < 0) {
    return; /* Stale: filled_qty only grows. */
  }
  if (fill && u->execution_id[0] != '\0' &&
      st_journal_fill_seen(e->o.journal, u->execution_id, o->id) == ST_EEXIST &&
      st_dec_cmp(o->filled_qty, c->cur_filled) == 0 && o->status == c->status) {
    return; /* This fill was seen before. */
  }
  if (st_dec_cmp(o->filled_qty, c->cur_filled) == 0 && o->status == c->status) {
    return; /* Nothing new. */
  }
  prev_filled = c->cur_filled;
  prev_avg = c->cur_avg;
  c->cur_filled = o->filled_qty;
  if (st_dec_is_pos(o->filled_avg_price)) {
    c->cur_avg = o->filled_avg_price;
  }
  c->status = o->status;
  if (fill || o->filled_at_ns > 0) {
    c->filled_at_ns = o->filled_at_ns > 0 ? o->filled_at_ns : st__now(e);
  }
  st__begin(e);
  emit_updated(e, x, c, u, prev_filled, prev_avg);
  put_intent(e, x, c, o->qty,
             st_ostatus_terminal(o->status) ? ST_INTENT_DONE : ST_INTENT_SENT);
  if (o->status == ST_OS_FILLED) {
    c->prior_filled = filled_of(c);
    c->prior_value = value_of(c);
    c->cur_filled = ST_DEC_ZERO;
    finish_chain(e, x, c, 0, NULL);
    st__commit(e);
    return;
  }
  if (!st_ostatus_terminal(o->status)) {
    st__commit(e);
    return;
  }
  /* Canceled, expired, rejected or replaced: fold its fills in. */
  c->prior_filled = filled_of(c);
  c->prior_value = value_of(c);
  c->cur_filled = ST_DEC_ZERO;
  c->cur_avg = ST_DEC_ZERO;
  st__commit(e);
  if (c->state == CH_CANCELING) {
    if (c->next == NEXT_NONE) {
      finish_chain(
          e, x, c, 1,
          x->cancel_requested ? "execution canceled" : "phase deadline passed");
    } else {
      continue_chain(
          e, x, c,
          c->next == NEXT_REPEG ? "fill_wait_elapsed" : "max_repegs_reached");
    }
    return;
  }
  if (o->status == ST_OS_REJECTED) {
    finish_chain(e, x, c, 1, "order rejected by the broker");
    return;
  }
  if (c->type == ST_OTYPE_MARKET) {
    finish_chain(e, x, c, 1, "market order ended unfilled");
    return;
  }
  /* The broker canceled or expired it with quantity unfilled: escalate. */
  c->next = NEXT_MARKET;
  continue_chain(
      e, x, c,
      o->status == ST_OS_EXPIRED ? "expired_by_broker" : "canceled_by_broker");
}

/* Timers of working chains: re-peg or escalate, confirm stuck cancels. */
static void check_timers(st_engine *e, execution *x, chain *c) {
  int64_t now = st__now(e);

  if (c->state == CH_WORKING && c->type == ST_OTYPE_LIMIT) {
    int due = now - c->placed_ns >= x->cfg.fill_wait_ns;
    int moved = 0;
    st_quote q;

    if (!due && st_dec_is_pos(c->anchor) &&
        st_pricing_get(e->o.pricing, c->symbol, &q) == ST_OK) {
      st_dec far = c->side == ST_SIDE_BUY ? q.ask : q.bid, d, pct;

      if (st_dec_is_pos(far) && st_dec_sub(far, c->anchor, &d) == ST_OK) {
        if (c->side == ST_SIDE_SELL) {
          d = st_dec_neg(d);
        }
        if (st_dec_is_pos(d) &&
            st_dec_div(d, c->anchor, ST_ROUND_DOWN, &pct) == ST_OK &&
            st_dec_mul(pct, st_dec_from_int(100), ST_ROUND_DOWN, &pct) ==
                ST_OK &&
            st_dec_cmp(pct, x->cfg.repeg_threshold_pct) > 0) {
          moved = 1;
        }
      }
    }
    if (due || moved) {
      request_cancel(e, x, c,
                     c->repegs < x->cfg.max_repegs ? NEXT_REPEG : NEXT_MARKET);
    }
  } else if (c->state == CH_CANCELING && c->cancel_sent_ns > 0 &&
             now - c->cancel_sent_ns >= CANCEL_CONFIRM_NS) {
    st_order o;

    /* No confirmation on the stream: ask the broker. */
    c->cancel_sent_ns = now;
    if (e->o.broker->ops->get_order(e->o.broker, c->order_id, &o, NULL) ==
            ST_OK &&
        st_ostatus_terminal(o.status)) {
      st_trade_update u;

      memset(&u, 0, sizeof(u));
      u.event = o.status == ST_OS_FILLED ? ST_TE_FILL : ST_TE_CANCELED;
      u.order = o;
      u.reconciled = 1;
      apply_update(e, x, c, &u);
    }
  }
}

/* While the trade stream is down: one order-list call per interval. */
static void poll_orders(st_engine *e, execution *x, int64_t since_ns) {
  st_order_query q;
  st_order *os = NULL;
  size_t n = 0;

  memset(&q, 0, sizeof(q));
  q.status = ST_ORDERS_ALL;
  q.after_ns = since_ns;
  q.limit = 500;
  if (e->o.broker->ops->list_orders(e->o.broker, &q, &os, &n, NULL) != ST_OK) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    chain *c = st__chain_by_order(x, os[i].id);

    if (c != NULL && c->state != CH_DONE) {
      st_trade_update u;

      memset(&u, 0, sizeof(u));
      u.event =
          os[i].status == ST_OS_FILLED
              ? ST_TE_FILL
              : (os[i].status == ST_OS_PARTIALLY_FILLED ? ST_TE_PARTIAL_FILL
                                                        : ST_TE_OTHER);
      u.order = os[i];
      u.reconciled = 1;
      apply_update(e, x, c, &u);
    }
  }
  st_free(os);
}

static int trades_up(st_engine *e) {
  int up;

  pthread_mutex_lock(&e->mu);
  up = e->trades_up;
  pthread_mutex_unlock(&e->mu);
  return up;
}

/* Resolves a chain restored from the journal whose last order may or may
 * not have reached the broker: look it up by client order id. */
static void resolve_restored(st_engine *e, execution *x, chain *c,
                             const st_dec *qty) {
  st_order o;
  st_err err;

  err =
      e->o.broker->ops->get_order_by_client_id(e->o.broker, c->coid, &o, NULL);
  if (err == ST_OK) {
    st_trade_update u;

    if (strcmp(o.symbol, c->symbol) != 0 || o.side != c->side ||
        st_dec_cmp(o.qty, *qty) != 0) {
      finish_chain(e, x, c, 1,
                   "the broker's order under this client_order_id does not "
                   "match the intent");
      return;
    }
    snprintf(c->order_id, sizeof(c->order_id), "%s", o.id);
    if (c->norders == 0 || strcmp(c->order_ids[c->norders - 1], o.id) != 0) {
      if (c->norders < MAX_CHAIN_ORDERS) {
        snprintf(c->order_ids[c->norders++], ST_ORDER_ID_LEN, "%s", o.id);
      }
    }
    if (c->status == ST_OS_UNKNOWN) {
      st__begin(e);
      emit_submitted(e, x, c, *qty, 1);
      put_intent(e, x, c, *qty, ST_INTENT_SENT);
      st__commit(e);
    }
    c->state = CH_WORKING;
    memset(&u, 0, sizeof(u));
    u.event = ST_TE_OTHER;
    u.order = o;
    u.reconciled = 1;
    apply_update(e, x, c, &u);
  } else if (err == ST_ENOTFOUND) {
    /* Never reached the broker: send it now, same client order id. */
    c->next_attempt = c->attempt;
    place(e, x, c, *qty);
  } else {
    LOGX(x, ST_LOG_WARN, "cannot look up %s yet: %s", c->coid,
         st_strerror(err));
  }
}

/* Runs one phase until every chain of side is done or its deadline. */
static void run_phase(st_engine *e, execution *x, st_side side,
                      const st_position *pos, size_t npos) {
  placing *ready;
  int64_t start = st__now(e);
  int64_t deadline = start + x->cfg.max_wait_ns;
  int64_t last_poll = 0, drain_until = 0;
  int draining = 0;

  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];

    if (c->side == side && c->state == CH_PENDING) {
      c->quote_deadline_ns = start + x->cfg.fill_wait_ns;
    }
  }
  ready = st_calloc(x->nchains + 1, sizeof(*ready));
  if (ready == NULL) {
    LOGX(x, ST_LOG_ERROR, "out of memory running the phase");
    return;
  }
  for (;;) {
    int64_t now = st__now(e), wake = now + SLICE_NS;
    int open = 0;
    size_t nready = 0;
    inbox_item *it, *next;

    for (size_t i = 0; i < x->nchains; i++) {
      chain *c = &x->chains[i];
      const st_position *p = NULL;

      if (c->side != side || c->state == CH_DONE) {
        continue;
      }
      for (size_t k = 0; k < npos; k++) {
        if (strcmp(pos[k].symbol, c->symbol) == 0) {
          p = &pos[k];
        }
      }
      if (c->state == CH_PENDING && !draining) {
        if (start_chain(e, x, c, p, 0)) {
          ready[nready].c = c;
          ready[nready].qty = c->requested;
          nready++;
        }
      } else if (!draining) {
        check_timers(e, x, c);
      } else if (c->state == CH_PENDING) {
        finish_chain(e, x, c, 1, "not placed before the deadline");
      }
      open += c->state != CH_DONE;
    }
    /* All the orders ready now go out together: one commit for their
     * intents, one for the outcomes. */
    if (nready > 0) {
      place_many(e, x, ready, nready);
    }
    st__snapshot(e, x);
    if (open == 0) {
      break;
    }
    if (!draining &&
        (now >= deadline || x->cancel_requested || st__stopping(e))) {
      if (st__stopping(e)) {
        break; /* Resumes at the next start. */
      }
      draining = 1;
      drain_until = now + DRAIN_NS;
      if (!x->cancel_requested) {
        emit_notice(
            e, x, "warning",
            side == ST_SIDE_SELL ? "sell_phase_deadline" : "buy_phase_deadline",
            NULL, "phase deadline passed: canceling open orders");
      }
      for (size_t i = 0; i < x->nchains; i++) {
        chain *c = &x->chains[i];

        if (c->side == side && c->state == CH_WORKING) {
          request_cancel(e, x, c, NEXT_NONE);
        } else if (c->side == side && c->state == CH_CANCELING) {
          c->next = NEXT_NONE;
        }
      }
      continue;
    }
    if (draining && now >= drain_until) {
      for (size_t i = 0; i < x->nchains; i++) {
        chain *c = &x->chains[i];

        if (c->side == side && c->state != CH_DONE) {
          finish_chain(e, x, c, 1, "cancel not confirmed by the deadline");
        }
      }
      break;
    }
    if (!trades_up(e) && now - last_poll >= x->cfg.poll_interval_ns) {
      poll_orders(e, x, start - 60 * ST_NS_PER_SEC);
      last_poll = now;
    }
    it = st__wait_inbox(e, wake);
    st__reap_canceled(e);
    st__note_queued(e, x);
    for (; it != NULL; it = next) {
      next = it->next;
      if (it->kind == IN_UPDATE) {
        chain *c = st__chain_by_order(x, it->u.order.id);

        if (c == NULL) {
          c = chain_by_coid(x, it->u.order.client_order_id);
          if (c != NULL && c->order_id[0] == '\0') {
            snprintf(c->order_id, sizeof(c->order_id), "%s", it->u.order.id);
          }
        }
        if (c != NULL && c->state != CH_DONE) {
          apply_update(e, x, c, &it->u);
        }
      }
      st_free(it);
    }
  }
  st_free(ready);
}

static st_dec sum_value(execution *x, st_side side) {
  st_dec s = ST_DEC_ZERO;

  for (size_t i = 0; i < x->nchains; i++) {
    if (x->chains[i].side == side) {
      st_dec_add(s, value_of(&x->chains[i]), &s);
    }
  }
  return s;
}

/* The settlement of the sell phase: BulkSettlementCompleted (always, even
 * empty) and the phase's completion. */
static void settle_sells(st_engine *e, execution *x, int64_t started_ns) {
  Settled__V1__Event ev;
  Settled__V1__BulkSettlementCompleted b =
      SETTLED__V1__BULK_SETTLEMENT_COMPLETED__INIT;
  Settled__V1__BulkSettlementCompleted__SettlementDetailsEntry *ents = NULL,
                                                               **eptrs = NULL;
  Settled__V1__SettlementDetails *dets = NULL;
  char(*strs)[4][ST_DEC_STRLEN] = NULL;
  char **ids = NULL;
  char total[ST_DEC_STRLEN], failed[ST_DEC_STRLEN], elapsed[ST_DEC_STRLEN];
  size_t n = 0, k = 0;
  st_dec fail_value = ST_DEC_ZERO;
  int timed_out = 0;

  for (size_t i = 0; i < x->nchains; i++) {
    n += x->chains[i].side == ST_SIDE_SELL;
  }
  if (n > 0) {
    ents = st_calloc(n, sizeof(*ents));
    eptrs = st_calloc(n, sizeof(*eptrs));
    dets = st_calloc(n, sizeof(*dets));
    strs = st_calloc(n, sizeof(*strs));
    ids = st_calloc(n, sizeof(*ids));
    if (ents == NULL || eptrs == NULL || dets == NULL || strs == NULL ||
        ids == NULL) {
      goto out;
    }
  }
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];
    st_dec filled = filled_of(c), value = value_of(c), avg = ST_DEC_ZERO,
           rem = remaining_of(c), lost;

    if (c->side != ST_SIDE_SELL) {
      continue;
    }
    if (c->failed && st_dec_is_pos(rem) && st_dec_is_pos(c->anchor) &&
        st_dec_mul(rem, c->anchor, ST_ROUND_HALF_EVEN, &lost) == ST_OK) {
      st_dec_add(fail_value, lost, &fail_value);
    } else if (c->failed && !st_dec_is_pos(filled)) {
      st_dec_add(fail_value, c->amount, &fail_value);
    }
    if (strstr(c->reason, "deadline") != NULL) {
      timed_out = 1;
    }
    if (!st_dec_is_pos(filled) || c->order_id[0] == '\0') {
      continue;
    }
    st_dec_div(value, filled, ST_ROUND_HALF_EVEN, &avg);
    settled__v1__settlement_details__init(&dets[k]);
    dets[k].order_id = c->order_id;
    dets[k].client_order_id = c->coid;
    dets[k].symbol = c->symbol;
    dets[k].side = TA(SELL);
    fmt(filled, 0, strs[k][0]);
    fmt(st_dec_round(avg, 4, ST_ROUND_HALF_EVEN), 2, strs[k][1]);
    fmt(st_dec_round(value, 2, ST_ROUND_HALF_EVEN), 2, strs[k][2]);
    dets[k].settled_quantity = strs[k][0];
    dets[k].settlement_price = strs[k][1];
    dets[k].settled_value = strs[k][2];
    dets[k].status = (Settled__V1__OrderStatus)c->status;
    settled__v1__bulk_settlement_completed__settlement_details_entry__init(
        &ents[k]);
    ents[k].key = c->order_id;
    ents[k].value = &dets[k];
    eptrs[k] = &ents[k];
    ids[k] = c->order_id;
    k++;
  }
  x->released = sum_value(x, ST_SIDE_SELL);
  x->failed_sell_value = fail_value;
  fmt(st_dec_round(x->released, 2, ST_ROUND_HALF_EVEN), 2, total);
  fmt(st_dec_round(fail_value, 2, ST_ROUND_HALF_EVEN), 2, failed);
  fmt(st_dec_from_units((st__now(e) - started_ns) / ST_NS_PER_MS, 3), 3,
      elapsed);
  st__event_init(e, x, &ev, "exec.settlement", x->started_event_id);
  b.n_settled_order_ids = k;
  b.settled_order_ids = ids;
  b.total_buying_power_released = total;
  b.n_settlement_details = k;
  b.settlement_details = eptrs;
  b.execution_plan_id = x->plan.plan_id;
  b.timed_out = timed_out;
  b.failed_sell_value = failed;
  b.elapsed_seconds = elapsed;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_BULK_SETTLEMENT_COMPLETED;
  ev.bulk_settlement_completed = &b;
  st__begin(e);
  st__emit(e, x, &ev, "bulk_settlement");
  st__commit(e);
  LOGX(x, ST_LOG_INFO,
       "🎯 Settlement monitoring complete: %zu/%zu orders settled, $%s "
       "buying power released in %ss",
       k, n, total, elapsed);
out:
  st_free(ents);
  st_free(eptrs);
  st_free(dets);
  st_free(strs);
  st_free(ids);
}

static void phase_completed(st_engine *e, execution *x, st_side side) {
  Settled__V1__Event ev;
  Settled__V1__ExecutionPhaseCompleted p =
      SETTLED__V1__EXECUTION_PHASE_COMPLETED__INIT;
  Settled__V1__ExecutionPhaseCompleted__PhaseMetadataEntry me[2];
  Settled__V1__ExecutionPhaseCompleted__PhaseMetadataEntry *mp[2];
  char **completed = NULL, **ok = NULL, **bad = NULL, **skipped = NULL;
  char v[ST_DEC_STRLEN], rel[ST_DEC_STRLEN];

  if (x->nchains > 0) {
    completed = st_calloc(x->nchains, sizeof(char *));
    ok = st_calloc(x->nchains, sizeof(char *));
    bad = st_calloc(x->nchains, sizeof(char *));
    skipped = st_calloc(x->nchains, sizeof(char *));
    if (completed == NULL || ok == NULL || bad == NULL || skipped == NULL) {
      goto out;
    }
  }
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];

    if (c->side != side) {
      continue;
    }
    if (c->order_id[0] != '\0') {
      completed[p.n_completed_orders++] = c->order_id;
    }
    if (c->success) {
      ok[p.n_successful_orders++] = c->order_id;
    }
    if (c->failed) {
      bad[p.n_failed_orders++] =
          c->order_id[0] != '\0' ? c->order_id : c->symbol;
    }
    if (c->skipped) {
      skipped[p.n_skipped_symbols++] = c->symbol;
    }
  }
  st__event_init(e, x, &ev, "exec.engine", x->started_event_id);
  p.phase_type = side == ST_SIDE_SELL ? PH(SELL_PHASE) : PH(BUY_PHASE);
  p.plan_id = x->plan.plan_id;
  p.completed_orders = completed;
  p.successful_orders = ok;
  p.failed_orders = bad;
  p.skipped_symbols = skipped;
  fmt(st_dec_round(sum_value(x, side), 2, ST_ROUND_HALF_EVEN), 2, v);
  settled__v1__execution_phase_completed__phase_metadata_entry__init(&me[0]);
  me[0].key = "filled_value";
  me[0].value = v;
  mp[0] = &me[0];
  p.n_phase_metadata = 1;
  if (side == ST_SIDE_SELL) {
    fmt(st_dec_round(x->released, 2, ST_ROUND_HALF_EVEN), 2, rel);
    settled__v1__execution_phase_completed__phase_metadata_entry__init(&me[1]);
    me[1].key = "buying_power_released";
    me[1].value = rel;
    mp[1] = &me[1];
    p.n_phase_metadata = 2;
  }
  p.phase_metadata = mp;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_EXECUTION_PHASE_COMPLETED;
  ev.execution_phase_completed = &p;
  st__begin(e);
  st__emit(e, x, &ev, side == ST_SIDE_SELL ? "phase:SELL" : "phase:BUY");
  st__commit(e);
  LOGX(x, ST_LOG_INFO, "%s phase complete: %zu ok, %zu failed, %zu skipped",
       side_name(side), p.n_successful_orders, p.n_failed_orders,
       p.n_skipped_symbols);
out:
  st_free(completed);
  st_free(ok);
  st_free(bad);
  st_free(skipped);
}

/* Buying power the account can spend on buys now. */
static int buying_power(st_engine *e, st_dec *out) {
  st_account a;

  if (e->o.broker->ops->get_account(e->o.broker, &a, NULL) != ST_OK) {
    return 0;
  }
  *out =
      e->o.allow_margin ? a.buying_power : st_dec_min(a.cash, a.buying_power);
  if (st_dec_is_neg(*out)) {
    *out = ST_DEC_ZERO;
  }
  return 1;
}

/* Sizes every pending buy, checks the buying power (with backoff while the
 * sells' proceeds arrive) and scales the buys down to what is there. */
static void prepare_buys(st_engine *e, execution *x) {
  st_dec need = ST_DEC_ZERO, avail = ST_DEC_ZERO;
  st_scale_in *in = NULL;
  st_scale_out *out = NULL;
  size_t n = 0, k = 0;
  int64_t backoff = ST_NS_PER_SEC;
  int ok = 0;

  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];
    st_quote q;
    st_dec price;

    if (c->side != ST_SIDE_BUY || c->state != CH_PENDING || c->sized) {
      continue;
    }
    if (usable_quote(e, x, c, &q) && st_quote_mid(&q, &price) == ST_OK) {
      c->anchor = q.ask;
      size_chain(e, x, c, price, NULL);
    } else if (rough_price(e, c, &price)) {
      c->anchor = price;
      size_chain(e, x, c, price, NULL);
    } else {
      emit_notice(e, x, "error", "no_quote", c->symbol,
                  "no quote to size the buy from");
      finish_chain(e, x, c, 1, "no quote to size the order from");
    }
    if (c->state == CH_PENDING) {
      st_dec_add(need, c->need_bp, &need);
      n++;
    }
  }
  if (n == 0) {
    return;
  }
  /* Poll until the released buying power shows up (4 tries, 1-2-4 s,
   * capped), then size to what is there. With nothing released there is
   * nothing to wait for. */
  for (int t = 0; t < (st_dec_is_pos(x->released) ? 4 : 1) &&
                  !x->cancel_requested && !st__stopping(e);
       t++) {
    ok = buying_power(e, &avail);
    if (ok && st_dec_cmp(avail, need) >= 0) {
      break;
    }
    if (t < 3 && st_dec_is_pos(x->released)) {
      int64_t until = st__now(e) + backoff;

      while (st__now(e) < until && !x->cancel_requested) {
        inbox_item *it = st__wait_inbox(e, until), *nx;

        for (; it != NULL; it = nx) {
          nx = it->next;
          st_free(it);
        }
      }
      backoff =
          backoff * 2 > 10 * ST_NS_PER_SEC ? 10 * ST_NS_PER_SEC : backoff * 2;
    }
  }
  if (!ok) {
    emit_notice(e, x, "error", "account_unavailable", NULL,
                "cannot read the buying power: buys not placed");
    for (size_t i = 0; i < x->nchains; i++) {
      if (x->chains[i].side == ST_SIDE_BUY &&
          x->chains[i].state == CH_PENDING) {
        finish_chain(e, x, &x->chains[i], 1, "buying power unknown");
      }
    }
    return;
  }
  if (st_dec_cmp(avail, need) >= 0) {
    return;
  }
  in = st_calloc(n, sizeof(*in));
  out = st_calloc(n, sizeof(*out));
  if (in == NULL || out == NULL) {
    goto done;
  }
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];

    if (c->side == ST_SIDE_BUY && c->state == CH_PENDING) {
      in[k].qty = c->requested;
      in[k].ask = c->anchor;
      in[k].fractional = c->fractionable && x->cfg.allow_fractional;
      k++;
    }
  }
  {
    st_dec factor = ST_DEC_ZERO;
    Settled__V1__Event ev;
    Settled__V1__BuyOrdersAdjusted adj = SETTLED__V1__BUY_ORDERS_ADJUSTED__INIT;
    char a[ST_DEC_STRLEN], r[ST_DEC_STRLEN], f[ST_DEC_STRLEN];

    if (st_buy_scale(in, n, avail, x->cfg.buy_buffer_pct, out, &factor) !=
        ST_OK) {
      goto done;
    }
    k = 0;
    for (size_t i = 0; i < x->nchains; i++) {
      chain *c = &x->chains[i];

      if (c->side != ST_SIDE_BUY || c->state != CH_PENDING) {
        continue;
      }
      c->requested = out[k].qty;
      c->need_bp = out[k].required;
      if (out[k].skipped) {
        c->skipped = 1;
        snprintf(c->reason, sizeof(c->reason), "%s", out[k].reason);
        c->state = CH_DONE;
        st__begin(e);
        emit_skipped(e, x, c);
        st__commit(e);
      }
      k++;
    }
    fmt(st_dec_round(avail, 2, ST_ROUND_DOWN), 2, a);
    fmt(st_dec_round(need, 2, ST_ROUND_UP), 2, r);
    fmt(factor, 4, f);
    st__event_init(e, x, &ev, "exec.engine", x->started_event_id);
    adj.buying_power_available = a;
    adj.buying_power_requested = r;
    adj.scale = f;
    adj.reason = "insufficient buying power";
    ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_BUY_ORDERS_ADJUSTED;
    ev.buy_orders_adjusted = &adj;
    st__begin(e);
    st__emit(e, x, &ev, "buys_adjusted");
    st__commit(e);
    LOGX(x, ST_LOG_WARN, "💰 buys need $%s but $%s is available: scaled by %s",
         r, a, f);
  }
done:
  st_free(in);
  st_free(out);
}

/* Cancels open orders on the plan's symbols that are not this plan's own,
 * and waits (briefly) until they are gone: they hold buying power and
 * shares. */
static void cancel_stale_orders(st_engine *e, execution *x) {
  st_broker *b = e->o.broker;
  st_order_query q;
  st_order *os = NULL;
  size_t n = 0;
  const char **syms = st_calloc(x->plan.n + 1, sizeof(char *));
  char prefix[ST_COID_LEN];
  size_t ns = 0, plen;
  int canceled = 0;

  if (syms == NULL) {
    return;
  }
  for (size_t i = 0; i < x->plan.n; i++) {
    if (x->plan.items[i].action != ST_ACTION_HOLD) {
      syms[ns++] = x->plan.items[i].symbol;
    }
  }
  /* This plan's own ids share everything up to the symbol. */
  st_coid_make(st_journal_namespace(e->o.journal), x->plan.plan_id, "", 0, 0,
               prefix);
  plen = strlen(prefix) - 4; /* Drop "--b-0". */
  memset(&q, 0, sizeof(q));
  q.status = ST_ORDERS_OPEN;
  q.symbols = syms;
  q.nsymbols = ns;
  q.limit = 500;
  if (ns > 0 && b->ops->list_orders(b, &q, &os, &n, NULL) == ST_OK) {
    for (size_t i = 0; i < n; i++) {
      if (strncmp(os[i].client_order_id, prefix, plen) == 0) {
        continue;
      }
      if (b->ops->cancel_order(b, os[i].id, NULL) == ST_OK) {
        canceled++;
        LOGX(x, ST_LOG_INFO, "🧹 canceled open order %s (%s %s)", os[i].id,
             os[i].side == ST_SIDE_SELL ? "SELL" : "BUY", os[i].symbol);
      }
    }
    /* Wait until the broker confirms (they hold buying power). */
    for (size_t i = 0; i < n && canceled > 0; i++) {
      int64_t until = st__now(e) + 3 * ST_NS_PER_SEC;
      st_order o;

      while (st__now(e) < until &&
             b->ops->get_order(b, os[i].id, &o, NULL) == ST_OK &&
             !st_ostatus_terminal(o.status)) {
        st_sleep_ms(20);
      }
    }
  }
  st_free(os);
  st_free(syms);
}

static void emit_started(st_engine *e, execution *x) {
  Settled__V1__Event ev;
  Settled__V1__ExecutionStarted s = SETTLED__V1__EXECUTION_STARTED__INIT;
  char **syms = st_calloc(x->plan.n + 1, sizeof(char *));

  for (size_t i = 0; syms != NULL && i < x->plan.n; i++) {
    syms[s.n_symbols++] = x->plan.items[i].symbol;
  }
  st__event_init(e, x, &ev, "exec.engine", x->plan.causation_id);
  s.item_count = (int32_t)x->plan.n;
  s.sell_count = (int32_t)x->plan.nsell;
  s.buy_count = (int32_t)x->plan.nbuy;
  s.hold_count = (int32_t)x->plan.nhold;
  s.execution_urgency = (Settled__V1__ExecutionUrgency)x->cfg.urgency;
  s.max_drift_tolerance = x->plan.max_drift_tolerance;
  s.resumed = x->resumed;
  s.symbols = syms;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_EXECUTION_STARTED;
  ev.execution_started = &s;
  st__begin(e);
  st__emit(e, x, &ev, "started");
  st__commit(e);
  snprintf(x->started_event_id, sizeof(x->started_event_id), "%s", ev.event_id);
  st_free(syms);
}

static void classify(execution *x) {
  int placed = 0, ok = 0, skipped = 0, failed = 0;

  for (size_t i = 0; i < x->nchains; i++) {
    placed += x->chains[i].order_id[0] != '\0';
    ok += x->chains[i].success;
    skipped += x->chains[i].skipped;
    failed += x->chains[i].failed;
  }
  if (x->cancel_requested) {
    x->status = ES(CANCELED);
    snprintf(x->failure_reason, sizeof(x->failure_reason), "%s",
             x->cancel_reason[0] ? x->cancel_reason : "canceled");
  } else if (x->failure_reason[0] != '\0' && ok == 0) {
    x->status = ES(FAILURE);
  } else if (placed == 0) {
    x->status = skipped > 0 && failed == 0
                    ? ES(SUCCESS_WITH_SKIPS)
                    : (x->nchains == 0 ? ES(SUCCESS) : ES(FAILURE));
  } else if (failed == 0) {
    x->status = skipped > 0 ? ES(SUCCESS_WITH_SKIPS) : ES(SUCCESS);
  } else if (ok > 0) {
    x->status = ES(PARTIAL_SUCCESS);
  } else {
    x->status = ES(FAILURE);
  }
  if (x->status == ES(FAILURE) && x->failure_reason[0] == '\0') {
    snprintf(x->failure_reason, sizeof(x->failure_reason),
             "no order succeeded");
  }
}

static void emit_trade_executed(st_engine *e, execution *x) {
  Settled__V1__Event ev;
  Settled__V1__TradeExecuted t = SETTLED__V1__TRADE_EXECUTED__INIT;
  Settled__V1__OrderResultSummary *sums = NULL, **sp = NULL;
  char(*strs)[4][ST_DEC_STRLEN] = NULL;
  char **failed = NULL;
  char total[ST_DEC_STRLEN];
  st_dec sum = ST_DEC_ZERO;

  if (x->nchains > 0) {
    sums = st_calloc(x->nchains, sizeof(*sums));
    sp = st_calloc(x->nchains, sizeof(*sp));
    strs = st_calloc(x->nchains, sizeof(*strs));
    failed = st_calloc(x->nchains, sizeof(*failed));
    if (sums == NULL || sp == NULL || strs == NULL || failed == NULL) {
      goto out;
    }
  }
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];
    st_dec f = filled_of(c), v = value_of(c), avg = ST_DEC_ZERO;

    settled__v1__order_result_summary__init(&sums[i]);
    sums[i].symbol = c->symbol;
    sums[i].action = side_action(c->side);
    if (st_dec_is_pos(f)) {
      st_dec_div(v, f, ST_ROUND_HALF_EVEN, &avg);
    }
    fmt(f, 0, strs[i][0]);
    fmt(st_dec_round(avg, 4, ST_ROUND_HALF_EVEN), 2, strs[i][1]);
    fmt(st_dec_round(v, 2, ST_ROUND_HALF_EVEN), 2, strs[i][2]);
    sums[i].shares = strs[i][0];
    sums[i].price = strs[i][1];
    sums[i].filled_value = strs[i][2];
    sums[i].status = (Settled__V1__OrderStatus)c->status;
    sums[i].success = c->success;
    sums[i].skipped = c->skipped;
    sp[i] = &sums[i];
    st_dec_add(sum, v, &sum);
    t.orders_placed += c->order_id[0] != '\0';
    t.orders_succeeded += c->success;
    t.orders_skipped += c->skipped;
    if (c->failed) {
      failed[t.n_failed_symbols++] = c->symbol;
    }
  }
  fmt(st_dec_round(sum, 2, ST_ROUND_HALF_EVEN), 2, total);
  st__event_init(e, x, &ev, "exec.engine", x->started_event_id);
  t.success = x->status == ES(SUCCESS) || x->status == ES(SUCCESS_WITH_SKIPS);
  t.status = (Settled__V1__ExecutionStatus)x->status;
  t.total_trade_value = total;
  t.failure_reason = x->failure_reason;
  t.failed_symbols = failed;
  t.n_orders = x->nchains;
  t.orders = sp;
  ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_TRADE_EXECUTED;
  ev.trade_executed = &t;
  st__emit(e, x, &ev, "trade_executed");
  LOGX(x, ST_LOG_INFO,
       "✅ Rebalance plan %s completed: %d/%d orders "
       "succeeded (%s)",
       x->plan.plan_id, t.orders_succeeded, t.orders_placed,
       st__status_name(x->status));
out:
  st_free(sums);
  st_free(sp);
  st_free(strs);
  st_free(failed);
}

/* Ends x: status, summary event, journal row, waiters. */
static void finish(st_engine *e, execution *x) {
  uint8_t *res = NULL;
  size_t len = 0;

  classify(x);
  x->finished_ns = st__now(e);
  st__begin(e);
  emit_trade_executed(e, x);
  if (st__result_pack(x, &res, &len) == ST_OK) {
    st_journal_exec_update(e->o.journal, x->plan.plan_id, x->status, 0,
                           x->finished_ns, res, len);
  }
  st__commit(e);
  st_free(res);
  st__snapshot(e, x);
}

/* Cancels the open orders of this plan after it expired. */
static void expire(st_engine *e, execution *x) {
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];

    if (c->state == CH_WORKING || c->state == CH_CANCELING) {
      e->o.broker->ops->cancel_order(e->o.broker, c->order_id, NULL);
    }
    if (c->state != CH_DONE) {
      finish_chain(e, x, c, 1, "plan expired");
    }
  }
  snprintf(x->failure_reason, sizeof(x->failure_reason),
           "plan expired before it could finish (time to live ended)");
}

void st__finish_canceled(st_engine *e, execution *x) {
  for (size_t i = 0; i < x->nchains; i++) {
    if (x->chains[i].state != CH_DONE) {
      finish_chain(e, x, &x->chains[i], 1,
                   "execution canceled before it started");
    }
  }
  LOGX(x, ST_LOG_INFO, "canceled before it started: nothing was sent");
  finish(e, x);
}

void st__run(st_engine *e, execution *x) {
  st_broker *b = e->o.broker;
  st_position *pos = NULL;
  size_t npos = 0;
  st_clock clk;
  const char **syms = NULL;
  char owner[96];
  int64_t sell_start;
  st_pricing_sub_report rep;

  if (x->cancel_requested && !x->resumed) {
    st__finish_canceled(e, x);
    return;
  }
  x->status = ES(RUNNING);
  snprintf(owner, sizeof(owner), "exec:%s", x->plan.plan_id);
  LOGX(x, ST_LOG_INFO,
       "🚀 Executing rebalance plan %s with %zu items (settlement-aware)%s",
       x->plan.plan_id, x->plan.n, x->resumed ? " [resumed]" : "");
  emit_started(e, x);
  st_journal_exec_update(e->o.journal, x->plan.plan_id, x->status, x->phase,
                         st__now(e), NULL, 0);
  st__snapshot(e, x);
  if (st__now(e) >= x->plan.expires_ns) {
    expire(e, x);
    goto done;
  }
  if (!x->resumed && x->cfg.cancel_open_orders) {
    cancel_stale_orders(e, x);
  }
  syms = st_calloc(x->plan.n + 1, sizeof(char *));
  for (size_t i = 0; syms != NULL && i < x->plan.n; i++) {
    syms[i] = x->plan.items[i].symbol;
  }
  memset(&rep, 0, sizeof(rep));
  if (syms != NULL &&
      st_pricing_subscribe(e->o.pricing, owner, syms, x->plan.n,
                           ST_PRICING_EXEC_PRIORITY, &rep, NULL) == ST_OK) {
    LOGX(x, ST_LOG_INFO, "📡 Bulk subscribed %zu symbols at priority %.0f",
         x->plan.n, (double)ST_PRICING_EXEC_PRIORITY);
    st_pricing_sub_report_free(&rep);
  } else {
    emit_notice(e, x, "warning", "subscribe_failed", NULL,
                "bulk subscription failed: pricing from REST quotes");
  }
  /* Orders wait for the open delay (by the broker's clock). */
  if (b->ops->get_clock(b, &clk, NULL) == ST_OK) {
    int64_t hold_until =
        clk.last_open_ns +
        (int64_t)x->cfg.market_open_delay_min * 60 * ST_NS_PER_SEC;

    if (!clk.is_open) {
      snprintf(x->failure_reason, sizeof(x->failure_reason),
               "the market is closed");
      for (size_t i = 0; i < x->nchains; i++) {
        finish_chain(e, x, &x->chains[i], 1, "the market is closed");
      }
      goto done;
    }
    if (clk.now_ns < hold_until) {
      int64_t until = st__now(e) + (hold_until - clk.now_ns);

      emit_notice(e, x, "info", "market_open_delay", NULL,
                  "holding orders until the market-open delay has passed");
      while (st__now(e) < until && !x->cancel_requested && !st__stopping(e)) {
        inbox_item *it = st__wait_inbox(e, until), *nx;

        for (; it != NULL; it = nx) {
          nx = it->next;
          st_free(it);
        }
      }
    }
  }
  if (st__stopping(e)) {
    goto out;
  }
  /* Restored chains: find out what the broker has. */
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];

    if (c->state == CH_CANCELING && c->resume_continue) {
      /* Its last order ended before the restart with shares left. */
      c->resume_continue = 0;
      if (c->next == NEXT_NONE) {
        finish_chain(e, x, c, 1, "market order ended unfilled");
      } else {
        continue_chain(e, x, c, "resumed_after_restart");
      }
    } else if (c->state == CH_WORKING && c->status == ST_OS_UNKNOWN) {
      st_dec q = c->requested;

      resolve_restored(e, x, c, &q);
    } else if (c->state == CH_WORKING || c->state == CH_CANCELING) {
      st_order o;

      if (b->ops->get_order(b, c->order_id, &o, NULL) == ST_OK) {
        st_trade_update u;

        memset(&u, 0, sizeof(u));
        u.order = o;
        u.reconciled = 1;
        apply_update(e, x, c, &u);
      }
    }
  }
  if (b->ops->list_positions(b, &pos, &npos, NULL) != ST_OK) {
    pos = NULL;
    npos = 0;
  }
  LOGX(x, ST_LOG_INFO, "📊 Execution plan: %zu SELLs, %zu BUYs, %zu HOLDs",
       x->plan.nsell, x->plan.nbuy, x->plan.nhold);
  /* Phase 1: sells. */
  LOGX(x, ST_LOG_INFO,
       "🔄 Phase 1: Executing SELL orders with settlement "
       "monitoring...");
  x->phase = PH(SELL_PHASE);
  sell_start = st__now(e);
  st_journal_exec_update(e->o.journal, x->plan.plan_id, x->status, x->phase,
                         sell_start, NULL, 0);
  run_phase(e, x, ST_SIDE_SELL, pos, npos);
  if (st__stopping(e)) {
    goto out;
  }
  settle_sells(e, x, sell_start);
  phase_completed(e, x, ST_SIDE_SELL);
  /* Phase 2: buys, with what the sells released. */
  LOGX(x, ST_LOG_INFO,
       "🔄 Phase 2: Monitoring settlement and executing BUY orders...");
  x->phase = PH(BUY_PHASE);
  st_journal_exec_update(e->o.journal, x->plan.plan_id, x->status, x->phase,
                         st__now(e), NULL, 0);
  if (st_dec_is_pos(x->cfg.sell_failure_threshold) &&
      st_dec_cmp(x->failed_sell_value, x->cfg.sell_failure_threshold) > 0) {
    char fv[ST_DEC_STRLEN], th[ST_DEC_STRLEN], why[200];

    fmt(st_dec_round(x->failed_sell_value, 2, ST_ROUND_HALF_EVEN), 2, fv);
    fmt(st_dec_round(x->cfg.sell_failure_threshold, 2, ST_ROUND_HALF_EVEN), 2,
        th);
    snprintf(why, sizeof(why),
             "buys not placed: $%s of sells failed, above the threshold of "
             "$%s",
             fv, th);
    emit_notice(e, x, "error", "sell_failure_guard", NULL, why);
    for (size_t i = 0; i < x->nchains; i++) {
      if (x->chains[i].side == ST_SIDE_BUY &&
          x->chains[i].state == CH_PENDING) {
        finish_chain(e, x, &x->chains[i], 1, why);
      }
    }
  } else if (!x->cancel_requested) {
    prepare_buys(e, x);
    run_phase(e, x, ST_SIDE_BUY, NULL, 0);
    if (st__stopping(e)) {
      goto out;
    }
  } else {
    for (size_t i = 0; i < x->nchains; i++) {
      if (x->chains[i].state != CH_DONE) {
        finish_chain(e, x, &x->chains[i], 1, "execution canceled");
      }
    }
  }
  phase_completed(e, x, ST_SIDE_BUY);
done:
  LOGX(x, ST_LOG_INFO, "🧹 Cleaning up pricing subscriptions for %zu symbols",
       x->plan.n);
  st_pricing_unsubscribe_all(e->o.pricing, owner, NULL);
  finish(e, x);
out:
  st_free(pos);
  st_free(syms);
}

void st__dry_run(st_engine *e, execution *x) {
  st_position *pos = NULL;
  size_t npos = 0;
  int failed = 0, skipped = 0;

  e->o.broker->ops->list_positions(e->o.broker, &pos, &npos, NULL);
  x->bp_needed = ST_DEC_ZERO;
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];
    st_quote q;
    st_dec price;
    const st_position *p = NULL;
    int have;

    for (size_t k = 0; k < npos; k++) {
      if (strcmp(pos[k].symbol, c->symbol) == 0) {
        p = &pos[k];
      }
    }
    have = usable_quote(e, x, c, &q);
    if (have && st_quote_mid(&q, &price) == ST_OK) {
      /* Priced as it would be. */
    } else if (!rough_price(e, c, &price)) {
      c->failed = 1;
      snprintf(c->reason, sizeof(c->reason), "no quote to size from");
      continue;
    }
    size_chain(e, x, c, price, p);
    if (c->skipped || c->failed) {
      continue;
    }
    if (x->cfg.smart && have &&
        st_limit_price(c->side, &q, c->requested, &c->limit) == ST_OK) {
      c->type = ST_OTYPE_LIMIT;
    } else {
      c->type = ST_OTYPE_MARKET;
    }
    if (c->side == ST_SIDE_BUY) {
      st_dec_add(x->bp_needed, c->need_bp, &x->bp_needed);
    }
  }
  st_free(pos);
  /* What the execution would come to, as far as it can be told without
   * placing anything (dry_run says nothing was). */
  for (size_t i = 0; i < x->nchains; i++) {
    failed += x->chains[i].failed;
    skipped += x->chains[i].skipped;
    x->chains[i].success = !x->chains[i].failed && !x->chains[i].skipped;
  }
  x->status = failed > 0 ? (failed < (int)x->nchains ? ES(PARTIAL_SUCCESS)
                                                     : ES(FAILURE))
                         : (skipped > 0 ? ES(SUCCESS_WITH_SKIPS) : ES(SUCCESS));
}
