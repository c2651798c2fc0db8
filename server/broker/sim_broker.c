/* sim_broker.c - the in-process simulated broker over server/sim. */
#include "server/broker/sim_broker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/file.h"
#include "server/util/log.h"

typedef struct sim_broker {
  st_broker base;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  st_sim *sim;
  char *state_path;
  int tick_ms;
  int max_quote_symbols;
  int64_t (*now)(void *ud);
  void *now_ud;
  st_broker_cbs cbs;
  pthread_t ticker;
  int running;
  int stop;
  int wake;
  /* Quote subscription, under mu. */
  char (*qsyms)[ST_SYMBOL_LEN];
  int64_t *qsent; /* ts_ns of the last quote delivered per symbol. */
  size_t nq;
} sim_broker;

static const st_broker_ops ops;

static int64_t now_of(const struct sim_broker *b) {
  return b->now != NULL ? b->now(b->now_ud) : st_now_ns();
}

static st_side side_from(st_sim_side s) {
  return s == ST_SIM_BUY ? ST_SIDE_BUY : ST_SIDE_SELL;
}

static st_ostatus status_from(st_sim_status s) {
  switch (s) {
    case ST_SIM_ACCEPTED:
      return ST_OS_ACCEPTED;
    case ST_SIM_PENDING_NEW:
      return ST_OS_PENDING_NEW;
    case ST_SIM_NEW:
      return ST_OS_NEW;
    case ST_SIM_PARTIALLY_FILLED:
      return ST_OS_PARTIALLY_FILLED;
    case ST_SIM_FILLED:
      return ST_OS_FILLED;
    case ST_SIM_CANCELED:
      return ST_OS_CANCELED;
    case ST_SIM_EXPIRED:
      return ST_OS_EXPIRED;
    case ST_SIM_REPLACED:
      return ST_OS_REPLACED;
    case ST_SIM_REJECTED:
      return ST_OS_REJECTED;
  }
  return ST_OS_UNKNOWN;
}

static void order_from(const st_sim_order *so, st_order *o) {
  memset(o, 0, sizeof(*o));
  snprintf(o->id, sizeof(o->id), "%s", so->id);
  snprintf(o->client_order_id, sizeof(o->client_order_id), "%s",
           so->client_order_id);
  snprintf(o->symbol, sizeof(o->symbol), "%s", so->symbol);
  o->side = side_from(so->side);
  o->type = so->type == ST_SIM_MARKET ? ST_OTYPE_MARKET : ST_OTYPE_LIMIT;
  snprintf(o->time_in_force, sizeof(o->time_in_force), "%s",
           st_sim_tif_name(so->tif));
  o->qty = so->qty;
  o->notional = so->notional;
  o->filled_qty = so->filled_qty;
  o->filled_avg_price = so->filled_avg_price;
  o->limit_price = so->limit_price;
  o->status = status_from(so->status);
  o->created_at_ns = so->created_at_ns;
  o->updated_at_ns = so->updated_at_ns;
  o->submitted_at_ns = so->submitted_at_ns;
  o->filled_at_ns = so->filled_at_ns;
  o->canceled_at_ns = so->canceled_at_ns;
  snprintf(o->replaced_by, sizeof(o->replaced_by), "%s", so->replaced_by);
  snprintf(o->replaces, sizeof(o->replaces), "%s", so->replaces);
}

static st_err fail_from(st_err err, const st_sim_errinfo *ei, st_brokerr *e) {
  if (e != NULL) {
    memset(e, 0, sizeof(*e));
    e->http_status = ei->http_status;
    e->code = ei->code;
    snprintf(e->message, sizeof(e->message), "%s",
             ei->message[0] != '\0' ? ei->message : st_strerror(err));
    e->available = ei->available;
  }
  return err;
}

static st_err fail_msg(st_err err, st_brokerr *e, const char *msg) {
  if (e != NULL) {
    memset(e, 0, sizeof(*e));
    snprintf(e->message, sizeof(e->message), "%s", msg);
  }
  return err;
}

/* Rewrites the state file; with mu held. */
static void save(sim_broker *b) {
  char *buf = NULL;
  size_t len = 0;
  st_errbuf eb;

  if (b->state_path == NULL) {
    return;
  }
  if (st_sim_save(b->sim, &buf, &len) != ST_OK) {
    ST_ERROR("sim", "cannot serialize the simulated account");
    return;
  }
  if (st_write_file_atomic(b->state_path, buf, len, &eb) != ST_OK) {
    ST_ERROR("sim", "%s", eb.msg);
  }
  st_free(buf);
}

/* Wakes the ticker to deliver events now; with mu held. */
static void kick(sim_broker *b) {
  b->wake = 1;
  pthread_cond_signal(&b->cv);
}

static void deliver(sim_broker *b, const st_sim_event *ev) {
  st_trade_update u;
  static const st_trade_event kinds[] = {
      [ST_SIM_EV_NEW] = ST_TE_NEW,
      [ST_SIM_EV_FILL] = ST_TE_FILL,
      [ST_SIM_EV_PARTIAL_FILL] = ST_TE_PARTIAL_FILL,
      [ST_SIM_EV_CANCELED] = ST_TE_CANCELED,
      [ST_SIM_EV_EXPIRED] = ST_TE_EXPIRED,
      [ST_SIM_EV_REPLACED] = ST_TE_REPLACED,
      [ST_SIM_EV_REJECTED] = ST_TE_REJECTED,
  };

  memset(&u, 0, sizeof(u));
  u.event = (size_t)ev->kind < sizeof(kinds) / sizeof(kinds[0])
                ? kinds[ev->kind]
                : ST_TE_OTHER;
  order_from(&ev->order, &u.order);
  snprintf(u.execution_id, sizeof(u.execution_id), "%s", ev->execution_id);
  u.price = ev->price;
  u.qty = ev->qty;
  u.position_qty = ev->position_qty;
  u.ts_ns = ev->ts_ns;
  if (b->cbs.on_trade_update != NULL) {
    b->cbs.on_trade_update(b->cbs.ud, &u);
  }
}

#define BATCH 64

static void *ticker(void *arg) {
  sim_broker *b = arg;
  st_sim_event *evs = st_malloc(BATCH * sizeof(*evs));
  st_quote *quotes =
      st_malloc(ST_BROKER_MAX_QUOTE_SYMBOLS * 4 * sizeof(st_quote));
  struct timespec dl;

  if (evs == NULL || quotes == NULL) {
    ST_ERROR("sim", "out of memory: the simulated market is stopped");
    goto out;
  }
  pthread_mutex_lock(&b->mu);
  while (!b->stop) {
    size_t nev = 0, nq = 0;
    int more;
    int64_t now = now_of(b);

    if (st_sim_step(b->sim, now) != ST_OK) {
      ST_WARN("sim", "market step failed; retrying");
    }
    while (nev < BATCH && st_sim_next_event(b->sim, &evs[nev]) == ST_OK) {
      nev++;
    }
    more = st_sim_pending_events(b->sim) > 0;
    if (nev > 0) {
      save(b);
    }
    for (size_t i = 0; i < b->nq && b->cbs.on_quote != NULL; i++) {
      st_sim_quote sq;
      st_quote *q = &quotes[nq];

      if (st_sim_market_quote(st_sim_get_market(b->sim), b->qsyms[i], &sq) !=
              ST_OK ||
          sq.ts_ns == b->qsent[i]) {
        continue;
      }
      b->qsent[i] = sq.ts_ns;
      memset(q, 0, sizeof(*q));
      snprintf(q->symbol, sizeof(q->symbol), "%s", b->qsyms[i]);
      q->bid = sq.bid;
      q->ask = sq.ask;
      q->bid_size = st_dec_from_int(sq.bid_size);
      q->ask_size = st_dec_from_int(sq.ask_size);
      q->ts_ns = sq.ts_ns;
      q->received_ns = now;
      q->source = ST_QUOTE_SIM;
      nq++;
    }
    pthread_mutex_unlock(&b->mu);
    /* Callbacks run without the lock, in order, from this thread only. */
    for (size_t i = 0; i < nev; i++) {
      deliver(b, &evs[i]);
    }
    for (size_t i = 0; i < nq; i++) {
      b->cbs.on_quote(b->cbs.ud, &quotes[i]);
    }
    pthread_mutex_lock(&b->mu);
    if (more || b->wake) {
      b->wake = 0;
      continue;
    }
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += (long)b->tick_ms * 1000000L;
    while (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    while (!b->stop && !b->wake &&
           pthread_cond_timedwait(&b->cv, &b->mu, &dl) != ETIMEDOUT) {
    }
    b->wake = 0;
  }
  pthread_mutex_unlock(&b->mu);
out:
  st_free(evs);
  st_free(quotes);
  return NULL;
}

static sim_broker *impl(st_broker *b) {
  return (sim_broker *)b;
}

static st_err op_start(st_broker *bb, const st_broker_cbs *cbs, st_brokerr *e) {
  sim_broker *b = impl(bb);

  if (b->running) {
    return fail_msg(ST_EPRECOND, e, "already started");
  }
  b->cbs = *cbs;
  if (pthread_create(&b->ticker, NULL, ticker, b) != 0) {
    return fail_msg(ST_EINTERNAL, e, "cannot start the market thread");
  }
  b->running = 1;
  if (cbs->on_stream != NULL) {
    cbs->on_stream(cbs->ud, ST_STREAM_TRADES, 1);
    cbs->on_stream(cbs->ud, ST_STREAM_QUOTES, 1);
  }
  return ST_OK;
}

static st_err op_get_account(st_broker *bb, st_account *out, st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_account a;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_get_account(b->sim, &a);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_msg(err, e, "cannot value the account");
  }
  memset(out, 0, sizeof(*out));
  snprintf(out->id, sizeof(out->id), "%s", a.id);
  snprintf(out->status, sizeof(out->status), "ACTIVE");
  snprintf(out->currency, sizeof(out->currency), "USD");
  out->cash = a.cash;
  out->buying_power = a.buying_power;
  out->equity = a.equity;
  out->portfolio_value = a.equity;
  out->long_market_value = a.long_market_value;
  out->multiplier = st_dec_from_int(1);
  return ST_OK;
}

static st_err op_get_asset(st_broker *bb, const char *symbol, st_asset *out,
                           st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_asset a;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_market_asset(st_sim_get_market(b->sim), symbol, &a);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_msg(ST_ENOTFOUND, e, "asset not found");
  }
  memset(out, 0, sizeof(*out));
  snprintf(out->symbol, sizeof(out->symbol), "%s", a.symbol);
  out->tradable = a.tradable;
  out->fractionable = a.fractionable;
  return ST_OK;
}

static void position_from(const st_sim_position *sp, st_position *p) {
  memset(p, 0, sizeof(*p));
  snprintf(p->symbol, sizeof(p->symbol), "%s", sp->symbol);
  p->qty = sp->qty;
  p->qty_available = sp->qty_available;
  p->avg_entry_price = sp->avg_entry_price;
  p->market_value = sp->market_value;
  p->current_price = sp->current_price;
  p->cost_basis = sp->cost_basis;
}

static st_err op_list_positions(st_broker *bb, st_position **out, size_t *n,
                                st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_position *ps;
  size_t count, k = 0;

  pthread_mutex_lock(&b->mu);
  count = st_sim_position_count(b->sim);
  ps = st_calloc(count, sizeof(*ps));
  for (size_t i = 0; ps != NULL && i < count; i++) {
    st_sim_position sp;

    if (st_sim_position_at(b->sim, i, &sp) == ST_OK &&
        !st_dec_is_zero(sp.qty)) {
      position_from(&sp, &ps[k++]);
    }
  }
  pthread_mutex_unlock(&b->mu);
  if (ps == NULL) {
    return fail_msg(ST_ENOMEM, e, "out of memory");
  }
  *out = ps;
  *n = k;
  return ST_OK;
}

static st_err op_get_position(st_broker *bb, const char *symbol,
                              st_position *out, st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_position sp;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_get_position(b->sim, symbol, &sp);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK || st_dec_is_zero(sp.qty)) {
    if (e != NULL) {
      memset(e, 0, sizeof(*e));
      e->http_status = 404;
      e->code = 40410000;
      snprintf(e->message, sizeof(e->message), "position does not exist");
    }
    return ST_ENOTFOUND;
  }
  position_from(&sp, out);
  return ST_OK;
}

static st_err op_submit(st_broker *bb, const st_order_req *req, st_order *out,
                        st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_order_req sr;
  st_sim_order so;
  st_sim_errinfo ei;
  st_err err;

  memset(&sr, 0, sizeof(sr));
  if (req->client_order_id == NULL || req->client_order_id[0] == '\0') {
    return fail_msg(ST_EINVAL, e, "client_order_id is required");
  }
  if (req->time_in_force != NULL &&
      st_sim_tif_parse(req->time_in_force, &sr.tif) != ST_OK) {
    return fail_msg(ST_EINVAL, e, "invalid time_in_force");
  }
  sr.symbol = req->symbol;
  sr.side = req->side == ST_SIDE_SELL ? ST_SIM_SELL : ST_SIM_BUY;
  sr.type = req->type == ST_OTYPE_LIMIT ? ST_SIM_LIMIT : ST_SIM_MARKET;
  sr.qty = req->qty;
  sr.notional = req->notional;
  sr.limit_price = req->limit_price;
  sr.client_order_id = req->client_order_id;
  st_sim_errinfo_clear(&ei);
  pthread_mutex_lock(&b->mu);
  err = st_sim_submit(b->sim, &sr, now_of(b), &so, &ei);
  if (err == ST_OK) {
    save(b);
    kick(b);
  } else if (err == ST_EDUPLICATE && out != NULL &&
             st_sim_get_order_by_client_id(b->sim, req->client_order_id, &so) ==
                 ST_OK) {
    /* Hand the existing order back so the caller can adopt it after
     * checking it matches its intent. */
    order_from(&so, out);
  }
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_from(err, &ei, e);
  }
  if (out != NULL) {
    order_from(&so, out);
  }
  return ST_OK;
}

static st_err op_get_order(st_broker *bb, const char *id, st_order *out,
                           st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_order so;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_get_order(b->sim, id, &so);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_msg(ST_ENOTFOUND, e, "order not found");
  }
  order_from(&so, out);
  return ST_OK;
}

static st_err op_get_order_by_cid(st_broker *bb, const char *cid, st_order *out,
                                  st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_order so;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_get_order_by_client_id(b->sim, cid, &so);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_msg(ST_ENOTFOUND, e, "order not found");
  }
  order_from(&so, out);
  return ST_OK;
}

static int wanted(const st_order_query *q, const st_sim_order *so) {
  int term = st_sim_status_is_terminal(so->status);

  if ((q->status == ST_ORDERS_OPEN && term) ||
      (q->status == ST_ORDERS_CLOSED && !term)) {
    return 0;
  }
  if (q->after_ns > 0 && so->submitted_at_ns <= q->after_ns &&
      so->updated_at_ns <= q->after_ns) {
    return 0;
  }
  if (q->nsymbols > 0) {
    for (size_t i = 0; i < q->nsymbols; i++) {
      if (strcmp(q->symbols[i], so->symbol) == 0) {
        return 1;
      }
    }
    return 0;
  }
  return 1;
}

static st_err op_list_orders(st_broker *bb, const st_order_query *q,
                             st_order **out, size_t *n, st_brokerr *e) {
  sim_broker *b = impl(bb);
  size_t limit = q->limit <= 0 ? 50 : (size_t)(q->limit > 500 ? 500 : q->limit);
  st_order *os = st_calloc(limit, sizeof(*os));
  size_t k = 0, count;

  if (os == NULL) {
    return fail_msg(ST_ENOMEM, e, "out of memory");
  }
  pthread_mutex_lock(&b->mu);
  count = st_sim_order_count(b->sim);
  for (size_t i = count; i > 0 && k < limit; i--) {
    st_sim_order so;

    if (st_sim_order_at(b->sim, i - 1, &so) == ST_OK && wanted(q, &so)) {
      order_from(&so, &os[k++]);
    }
  }
  pthread_mutex_unlock(&b->mu);
  *out = os;
  *n = k;
  return ST_OK;
}

static st_err op_cancel(st_broker *bb, const char *id, st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_errinfo ei;
  st_err err;

  st_sim_errinfo_clear(&ei);
  pthread_mutex_lock(&b->mu);
  err = st_sim_cancel(b->sim, id, now_of(b), &ei);
  if (err == ST_OK) {
    save(b);
    kick(b);
  }
  pthread_mutex_unlock(&b->mu);
  return err == ST_OK ? ST_OK : fail_from(err, &ei, e);
}

static st_err op_replace(st_broker *bb, const char *id, const st_replace_req *r,
                         st_order *out, st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_replace_req sr;
  st_sim_order so;
  st_sim_errinfo ei;
  st_err err;

  memset(&sr, 0, sizeof(sr));
  sr.qty = r->qty;
  sr.limit_price = r->limit_price;
  sr.client_order_id = r->client_order_id;
  st_sim_errinfo_clear(&ei);
  pthread_mutex_lock(&b->mu);
  err = st_sim_replace(b->sim, id, &sr, now_of(b), &so, &ei);
  if (err == ST_OK) {
    save(b);
    kick(b);
  }
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_from(err, &ei, e);
  }
  if (out != NULL) {
    order_from(&so, out);
  }
  return ST_OK;
}

static st_err op_latest_quotes(st_broker *bb, const char *const *symbols,
                               size_t n, st_quote *out, st_brokerr *e) {
  sim_broker *b = impl(bb);
  int64_t now = now_of(b);

  pthread_mutex_lock(&b->mu);
  for (size_t i = 0; i < n; i++) {
    st_sim_quote sq;

    memset(&out[i], 0, sizeof(out[i]));
    snprintf(out[i].symbol, sizeof(out[i].symbol), "%s", symbols[i]);
    if (st_sim_market_quote(st_sim_get_market(b->sim), symbols[i], &sq) !=
        ST_OK) {
      continue;
    }
    out[i].bid = sq.bid;
    out[i].ask = sq.ask;
    out[i].bid_size = st_dec_from_int(sq.bid_size);
    out[i].ask_size = st_dec_from_int(sq.ask_size);
    out[i].ts_ns = sq.ts_ns;
    out[i].received_ns = now;
    out[i].source = ST_QUOTE_SIM;
  }
  pthread_mutex_unlock(&b->mu);
  return ST_OK;
}

static st_err op_get_clock(st_broker *bb, st_clock *out, st_brokerr *e) {
  sim_broker *b = impl(bb);
  st_sim_clock c;
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = st_sim_get_clock(b->sim, now_of(b), &c);
  pthread_mutex_unlock(&b->mu);
  if (err != ST_OK) {
    return fail_msg(err, e, "clock unavailable");
  }
  memset(out, 0, sizeof(*out));
  out->now_ns = c.timestamp_ns;
  out->is_open = c.is_open;
  out->next_open_ns = c.next_open_ns;
  out->next_close_ns = c.next_close_ns;
  out->last_open_ns = c.session_open_ns;
  return ST_OK;
}

static st_err op_set_quote_symbols(st_broker *bb, const char *const *symbols,
                                   size_t n, st_brokerr *e) {
  sim_broker *b = impl(bb);
  char(*syms)[ST_SYMBOL_LEN] = NULL;
  int64_t *sent = NULL;

  if (n > (size_t)b->max_quote_symbols) {
    if (e != NULL) {
      memset(e, 0, sizeof(*e));
      e->code = 405;
      snprintf(e->message, sizeof(e->message), "symbol limit exceeded");
    }
    return ST_EOVERFLOW;
  }
  if (n > 0) {
    syms = st_calloc(n, ST_SYMBOL_LEN);
    sent = st_calloc(n, sizeof(int64_t));
    if (syms == NULL || sent == NULL) {
      st_free(syms);
      st_free(sent);
      return fail_msg(ST_ENOMEM, e, "out of memory");
    }
  }
  for (size_t i = 0; i < n; i++) {
    snprintf(syms[i], ST_SYMBOL_LEN, "%s", symbols[i]);
  }
  pthread_mutex_lock(&b->mu);
  /* Keep what was already sent for symbols that stay subscribed. */
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < b->nq; k++) {
      if (strcmp(b->qsyms[k], syms[i]) == 0) {
        sent[i] = b->qsent[k];
      }
    }
  }
  st_free(b->qsyms);
  st_free(b->qsent);
  b->qsyms = syms;
  b->qsent = sent;
  b->nq = n;
  kick(b);
  pthread_mutex_unlock(&b->mu);
  return ST_OK;
}

static int op_trade_stream_up(st_broker *bb) {
  return impl(bb)->running;
}

static void op_destroy(st_broker *bb) {
  sim_broker *b = impl(bb);

  if (b == NULL) {
    return;
  }
  if (b->running) {
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->ticker, NULL);
  }
  if (b->sim != NULL) {
    save(b);
  }
  st_sim_free(b->sim);
  st_free(b->state_path);
  st_free(b->qsyms);
  st_free(b->qsent);
  pthread_cond_destroy(&b->cv);
  pthread_mutex_destroy(&b->mu);
  st_free(b);
}

static const st_broker_ops ops = {
    .start = op_start,
    .get_account = op_get_account,
    .get_asset = op_get_asset,
    .list_positions = op_list_positions,
    .get_position = op_get_position,
    .submit_order = op_submit,
    .get_order = op_get_order,
    .get_order_by_client_id = op_get_order_by_cid,
    .list_orders = op_list_orders,
    .cancel_order = op_cancel,
    .replace_order = op_replace,
    .latest_quotes = op_latest_quotes,
    .get_clock = op_get_clock,
    .set_quote_symbols = op_set_quote_symbols,
    .trade_stream_up = op_trade_stream_up,
    .destroy = op_destroy,
};

/* Loads the state file if it exists; *sim stays NULL when it does not. */
static st_err load(const char *path, st_sim **sim, st_errbuf *eb) {
  FILE *f = fopen(path, "r");
  st_err err;

  *sim = NULL;
  if (f == NULL) {
    if (errno == ENOENT) {
      return ST_OK;
    }
    return st_errf(eb, ST_EIO, "cannot read %s: %s", path, strerror(errno));
  }
  err = st_sim_load_file(f, sim);
  fclose(f);
  if (err != ST_OK) {
    return st_errf(eb, err, "cannot load the simulated account from %s: %s",
                   path, st_strerror(err));
  }
  return ST_OK;
}

st_err st_sim_broker_create(const st_sim_broker_opts *o, st_broker **out,
                            st_errbuf *eb) {
  sim_broker *b;
  st_err err;

  *out = NULL;
  b = st_calloc(1, sizeof(*b));
  if (b == NULL) {
    return ST_ENOMEM;
  }
  b->base.ops = &ops;
  b->base.name = "sim";
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  b->tick_ms = o->tick_ms > 0 ? o->tick_ms : 20;
  b->now = o->now;
  b->now_ud = o->now_ud;
  b->max_quote_symbols = o->max_quote_symbols > 0 ? o->max_quote_symbols
                                                  : ST_BROKER_MAX_QUOTE_SYMBOLS;
  if (o->state_path != NULL) {
    b->state_path = st_strdup(o->state_path);
    if (b->state_path == NULL) {
      err = ST_ENOMEM;
      goto fail;
    }
    err = load(o->state_path, &b->sim, eb);
    if (err != ST_OK) {
      goto fail;
    }
  }
  if (b->sim != NULL) {
    ST_INFO("sim", "simulated account loaded from %s", o->state_path);
    if (o->cfg != NULL && (err = st_sim_set_config(b->sim, o->cfg)) != ST_OK) {
      st_errf(eb, err, "bad simulator settings");
      goto fail;
    }
  } else {
    err = st_sim_create(o->cfg, o->start, now_of(b), &b->sim);
    if (err != ST_OK) {
      st_errf(eb, err, "cannot create the simulated account: %s",
              st_strerror(err));
      goto fail;
    }
    save(b);
  }
  *out = &b->base;
  return ST_OK;
fail:
  op_destroy(&b->base);
  return err;
}

st_err st_sim_broker_with(st_broker *bb,
                          st_err (*fn)(st_sim *sim, int64_t now_ns, void *ud),
                          void *ud) {
  sim_broker *b = impl(bb);
  st_err err;

  pthread_mutex_lock(&b->mu);
  err = fn(b->sim, now_of(b), ud);
  save(b);
  kick(b);
  pthread_mutex_unlock(&b->mu);
  return err;
}
