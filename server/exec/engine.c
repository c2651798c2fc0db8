/* engine.c - the engine's API, worker thread, inbox, waiters and the
 * recovery of unfinished executions from the journal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/exec/internal.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

#define ES(x) SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_##x

/* --- Time. --- */

int64_t st__now(st_engine *e) {
  if (e->o.time.now != NULL) {
    return e->o.time.now(e->o.time.ud);
  }
  return st_now_ns();
}

/* Waits on e->cv (e->mu held) until signalled or deadline_ns by the
 * engine's clock. */
static void timed_wait(st_engine *e, int64_t deadline_ns) {
  struct timespec ts;
  int64_t left;

  if (e->o.time.wait != NULL) {
    e->o.time.wait(e->o.time.ud, &e->cv, &e->mu, deadline_ns);
    return;
  }
  left = deadline_ns - st_now_ns();
  if (left <= 0) {
    return;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += left / ST_NS_PER_SEC;
  ts.tv_nsec += left % ST_NS_PER_SEC;
  if (ts.tv_nsec >= ST_NS_PER_SEC) {
    ts.tv_sec++;
    ts.tv_nsec -= ST_NS_PER_SEC;
  }
  pthread_cond_timedwait(&e->cv, &e->mu, &ts);
}

int st__stopping(st_engine *e) {
  int s;

  pthread_mutex_lock(&e->mu);
  s = e->stop;
  pthread_mutex_unlock(&e->mu);
  return s;
}

/* --- Broker callbacks: never block, just queue. --- */

static void push(st_engine *e, inbox_item *it) {
  pthread_mutex_lock(&e->mu);
  if (e->in_tail != NULL) {
    e->in_tail->next = it;
  } else {
    e->in_head = it;
  }
  e->in_tail = it;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

static void on_trade_update(void *ud, const st_trade_update *u) {
  st_engine *e = ud;
  inbox_item *it = st_calloc(1, sizeof(*it));

  if (it == NULL) {
    ST_ERROR("exec",
             "out of memory: trade update for %s dropped (the "
             "poller will find it)",
             u->order.id);
    return;
  }
  it->kind = IN_UPDATE;
  it->u = *u;
  push(e, it);
}

static void on_stream(void *ud, st_stream_kind kind, int up) {
  st_engine *e = ud;

  if (kind == ST_STREAM_TRADES) {
    pthread_mutex_lock(&e->mu);
    e->trades_up = up;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    ST_INFO("exec", "trade-update stream %s%s", up ? "up" : "down",
            up ? "" : ": polling orders until it is back");
  }
}

static void on_quote(void *ud, const st_quote *q) {
  st_engine *e = ud;

  st_pricing_on_quote(e->o.pricing, q);
}

/* --- Snapshots and waiters. --- */

void st__snapshot(st_engine *e, execution *x) {
  uint8_t *buf = NULL, *old;
  size_t len = 0;

  if (st__result_pack(x, &buf, &len) != ST_OK) {
    return;
  }
  pthread_mutex_lock(&e->mu);
  old = x->snap;
  x->snap = buf;
  x->snap_len = len;
  x->terminal = st__status_terminal(x->status);
  pthread_mutex_unlock(&e->mu);
  st_free(old);
}

static execution *find_locked(st_engine *e, const char *plan_id) {
  for (execution *x = e->queue; x != NULL; x = x->next) {
    if (strcmp(x->plan.plan_id, plan_id) == 0) {
      return x;
    }
  }
  return NULL;
}

/* Calls due waiters with e->mu held: those whose execution is terminal or
 * gone, and those past their deadline. */
static void service_waiters_locked(st_engine *e) {
  waiter **pw = &e->waiters;
  int64_t now = st__now(e);

  while (*pw != NULL) {
    waiter *w = *pw;
    execution *x = find_locked(e, w->plan_id);
    int due = x == NULL || x->terminal || now >= w->deadline_ns;

    if (!due) {
      pw = &w->next;
      continue;
    }
    *pw = w->next;
    if (x != NULL && x->snap != NULL) {
      w->fn(w->ud, x->snap, x->snap_len);
    } else {
      /* Ended and gone from memory: read its final result. */
      st_exec_row r;

      pthread_mutex_unlock(&e->mu);
      memset(&r, 0, sizeof(r));
      if (st_journal_exec_get(e->o.journal, w->plan_id, &r) == ST_OK) {
        pthread_mutex_lock(&e->mu);
        w->fn(w->ud, r.result, r.result_len);
      } else {
        pthread_mutex_lock(&e->mu);
        w->fn(w->ud, NULL, 0);
      }
      st_exec_row_clear(&r);
      pw = &e->waiters; /* The list may have changed. */
    }
    st_free(w);
  }
}

void st__service_waiters(st_engine *e) {
  pthread_mutex_lock(&e->mu);
  service_waiters_locked(e);
  pthread_mutex_unlock(&e->mu);
}

inbox_item *st__wait_inbox(st_engine *e, int64_t deadline_ns) {
  inbox_item *items;

  pthread_mutex_lock(&e->mu);
  if (e->in_head == NULL && !e->stop) {
    timed_wait(e, deadline_ns);
  }
  items = e->in_head;
  e->in_head = e->in_tail = NULL;
  service_waiters_locked(e);
  pthread_mutex_unlock(&e->mu);
  return items;
}

/* --- Executions. --- */

static void exec_free(execution *x) {
  if (x == NULL) {
    return;
  }
  st_plan_free(&x->plan);
  if (x->req != NULL) {
    settled__v1__execute_plan_request__free_unpacked(x->req, &st_pbc_allocator);
  }
  st_free(x->chains);
  st_free(x->snap);
  st_free(x);
}

/* Makes an execution for a validated plan: one chain per BUY and SELL
 * item, sells first. req is copied. */
static st_err exec_new(const Settled__V1__ExecutePlanRequest *req,
                       const st_plan_limits *lim, int64_t now_ns,
                       execution **out, st_errbuf *eb) {
  execution *x = st_calloc(1, sizeof(*x));
  size_t len, k = 0;
  uint8_t *buf;
  st_err err;

  *out = NULL;
  if (x == NULL) {
    return ST_ENOMEM;
  }
  err = st_plan_parse(req, lim, now_ns, &x->plan, &x->cfg, eb);
  if (err != ST_OK) {
    st_free(x);
    return err;
  }
  len = protobuf_c_message_get_packed_size(&req->base);
  buf = st_malloc(len == 0 ? 1 : len);
  if (buf == NULL) {
    exec_free(x);
    return ST_ENOMEM;
  }
  protobuf_c_message_pack(&req->base, buf);
  x->req =
      settled__v1__execute_plan_request__unpack(&st_pbc_allocator, len, buf);
  st_free(buf);
  x->chains = st_calloc(x->plan.n + 1, sizeof(chain));
  if (x->req == NULL || x->chains == NULL) {
    exec_free(x);
    return ST_ENOMEM;
  }
  for (int pass = 0; pass < 2; pass++) {
    st_action want = pass == 0 ? ST_ACTION_SELL : ST_ACTION_BUY;

    for (size_t i = 0; i < x->plan.n; i++) {
      st_plan_item *it = &x->plan.items[i];
      chain *c = &x->chains[k];

      if (it->action != want) {
        continue;
      }
      c->idx = i;
      snprintf(c->symbol, sizeof(c->symbol), "%s", it->symbol);
      c->side = want == ST_ACTION_SELL ? ST_SIDE_SELL : ST_SIDE_BUY;
      c->amount = st_dec_abs(it->trade_amount);
      c->liquidate = it->liquidate;
      c->fractionable = 1;
      k++;
    }
  }
  x->nchains = k;
  x->created_ns = now_ns;
  x->status = ES(QUEUED);
  x->dry_run = req->dry_run;
  *out = x;
  return ST_OK;
}

/* Asks the broker which assets are fractionable. */
static void load_assets(st_engine *e, execution *x) {
  for (size_t i = 0; i < x->nchains; i++) {
    st_asset a;

    if (e->o.broker->ops->get_asset(e->o.broker, x->chains[i].symbol, &a,
                                    NULL) == ST_OK) {
      x->chains[i].fractionable = a.fractionable;
    }
  }
}

/* Rebuilds x's chains from its journaled intents. */
static void restore_chains(st_engine *e, execution *x) {
  st_intent *ins = NULL;
  size_t n = 0;

  if (st_journal_intents_of(e->o.journal, x->plan.plan_id, &ins, &n) != ST_OK) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    st_intent *in = &ins[i];
    chain *c = NULL;
    st_dec qty = ST_DEC_ZERO, filled = ST_DEC_ZERO, avg = ST_DEC_ZERO,
           limit = ST_DEC_ZERO;
    int last = i + 1 == n || ins[i + 1].chain != in->chain;

    for (size_t k = 0; k < x->nchains; k++) {
      if (x->chains[k].idx == (size_t)in->chain) {
        c = &x->chains[k];
      }
    }
    if (c == NULL) {
      continue;
    }
    st_dec_parse(in->qty, &qty);
    st_dec_parse(in->filled_qty, &filled);
    st_dec_parse(in->filled_avg_price, &avg);
    st_dec_parse(in->limit_price, &limit);
    c->sized = 1;
    c->next_attempt = in->attempt + 1;
    if (in->state == ST_INTENT_ABANDONED) {
      if (last) {
        c->state = CH_DONE;
        c->failed = !st_dec_is_pos(c->prior_filled);
        c->success = !c->failed;
        snprintf(c->reason, sizeof(c->reason),
                 "order refused by the broker before a restart");
      }
      continue;
    }
    if (in->type == ST_OTYPE_LIMIT) {
      if (c->ntried < MAX_TRIED) {
        c->tried[c->ntried++] = limit;
      }
      if (in->attempt > 0 && c->norders > 0) {
        c->repegs++;
      }
    } else if (c->norders > 0) {
      c->escalated = 1;
    }
    if (in->broker_id[0] != '\0' && c->norders < MAX_CHAIN_ORDERS) {
      snprintf(c->order_ids[c->norders++], ST_ORDER_ID_LEN, "%s",
               in->broker_id);
    }
    if (!last) {
      /* An earlier order of the chain: its fills are final. */
      st_dec v;

      st_dec_add(c->prior_filled, filled, &c->prior_filled);
      if (st_dec_mul(filled, avg, ST_ROUND_HALF_EVEN, &v) == ST_OK) {
        st_dec_add(c->prior_value, v, &c->prior_value);
      }
      continue;
    }
    c->attempt = in->attempt;
    snprintf(c->coid, sizeof(c->coid), "%.48s", in->client_order_id);
    snprintf(c->order_id, sizeof(c->order_id), "%s", in->broker_id);
    c->type = (st_otype)in->type;
    c->limit = limit;
    c->status = (st_ostatus)in->status;
    st_dec_add(c->prior_filled, qty, &c->requested);
    c->placed_ns = in->created_ns;
    if (in->state == ST_INTENT_INTENDED) {
      /* Maybe sent: run() looks it up by client order id. */
      c->state = CH_WORKING;
      c->status = ST_OS_UNKNOWN;
    } else if (in->state == ST_INTENT_SENT) {
      c->state = CH_WORKING;
      c->cur_filled = filled;
      c->cur_avg = avg;
      if (c->status == ST_OS_UNKNOWN) {
        c->status = ST_OS_NEW;
      }
    } else {
      /* Terminal at the broker before the restart. */
      st_dec v;

      st_dec_add(c->prior_filled, filled, &c->prior_filled);
      if (st_dec_mul(filled, avg, ST_ROUND_HALF_EVEN, &v) == ST_OK) {
        st_dec_add(c->prior_value, v, &c->prior_value);
      }
      if (c->status == ST_OS_FILLED ||
          st_dec_cmp(c->prior_filled, c->requested) >= 0) {
        c->state = CH_DONE;
        c->success = 1;
      } else {
        c->state = CH_CANCELING;
        c->next = c->type == ST_OTYPE_MARKET ? NEXT_NONE : NEXT_MARKET;
        c->resume_continue = 1;
      }
    }
  }
  st_free(ins);
}

/* Loads the unfinished executions, oldest first, into the queue. */
static void recover(st_engine *e) {
  static const int live[] = {ES(QUEUED), ES(RUNNING)};
  st_exec_row *rows = NULL;
  size_t n = 0;
  execution *tail = NULL;

  if (st_journal_exec_list(e->o.journal, 0, 0, live, 2, &rows, &n) != ST_OK) {
    ST_ERROR("exec", "cannot read unfinished executions from the journal");
    return;
  }
  /* The list is newest first; queue oldest first. */
  for (size_t i = n; i > 0; i--) {
    st_exec_row *r = &rows[i - 1];
    Settled__V1__ExecutePlanRequest *req;
    execution *x = NULL;
    st_errbuf eb;

    req = settled__v1__execute_plan_request__unpack(&st_pbc_allocator,
                                                    r->request_len, r->request);
    if (req == NULL ||
        exec_new(req, &e->o.limits, r->created_ns, &x, &eb) != ST_OK) {
      ST_ERROR("exec", "%s: cannot restore the execution", r->plan_id);
    } else {
      x->resumed = 1;
      x->phase = r->phase;
      restore_chains(e, x);
      st__snapshot(e, x);
      if (tail != NULL) {
        tail->next = x;
      } else {
        e->queue = x;
      }
      tail = x;
      ST_INFO("exec", "%s: resuming (%s)", x->plan.plan_id,
              r->status == ES(RUNNING) ? "was running" : "was queued");
    }
    if (req != NULL) {
      settled__v1__execute_plan_request__free_unpacked(req, &st_pbc_allocator);
    }
  }
  for (size_t i = 0; i < n; i++) {
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
}

void st__reap_canceled(st_engine *e) {
  for (;;) {
    execution *x = NULL;

    pthread_mutex_lock(&e->mu);
    for (execution **pp = &e->queue; *pp != NULL; pp = &(*pp)->next) {
      if (*pp != e->current && (*pp)->cancel_requested && !(*pp)->terminal) {
        x = *pp;
        *pp = x->next;
        break;
      }
    }
    pthread_mutex_unlock(&e->mu);
    if (x == NULL) {
      return;
    }
    st__finish_canceled(e, x);
    st__service_waiters(e);
    exec_free(x);
  }
}

/* Emits ExecutionQueued for executions waiting behind the current one. */
void st__note_queued(st_engine *e, execution *cur) {
  for (;;) {
    execution *x = NULL;

    pthread_mutex_lock(&e->mu);
    for (execution *q = e->queue; q != NULL; q = q->next) {
      if (q != cur && !q->queued_emitted) {
        x = q;
        break;
      }
    }
    if (x != NULL) {
      x->queued_emitted = 1;
    }
    pthread_mutex_unlock(&e->mu);
    if (x == NULL) {
      return;
    }
    {
      Settled__V1__Event ev;
      Settled__V1__ExecutionQueued q = SETTLED__V1__EXECUTION_QUEUED__INIT;

      st__event_init(e, x, &ev, "exec.engine", x->plan.causation_id);
      q.waiting_for_plan_id = cur != NULL ? cur->plan.plan_id : "";
      ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_EXECUTION_QUEUED;
      ev.execution_queued = &q;
      st__begin(e);
      st__emit(e, x, &ev, "queued");
      st__commit(e);
    }
  }
}

static void *worker(void *arg) {
  st_engine *e = arg;

  for (;;) {
    execution *x;

    pthread_mutex_lock(&e->mu);
    while (e->queue == NULL && !e->stop) {
      inbox_item *it = e->in_head, *nx;

      /* Updates with no execution running: nothing to do with them. */
      e->in_head = e->in_tail = NULL;
      for (; it != NULL; it = nx) {
        nx = it->next;
        st_free(it);
      }
      service_waiters_locked(e);
      timed_wait(e, st__now(e) + 200 * ST_NS_PER_MS);
    }
    if (e->stop) {
      pthread_mutex_unlock(&e->mu);
      break;
    }
    pthread_mutex_unlock(&e->mu);
    st__reap_canceled(e);
    pthread_mutex_lock(&e->mu);
    if (e->queue == NULL) {
      pthread_mutex_unlock(&e->mu);
      continue;
    }
    x = e->queue;
    e->current = x;
    pthread_mutex_unlock(&e->mu);
    st__note_queued(e, x);
    if (!x->resumed) {
      load_assets(e, x);
    }
    st__run(e, x);
    pthread_mutex_lock(&e->mu);
    e->current = NULL;
    if (st__status_terminal(x->status)) {
      e->queue = x->next;
      x->terminal = 1;
      service_waiters_locked(e);
      pthread_mutex_unlock(&e->mu);
      exec_free(x);
    } else {
      pthread_mutex_unlock(&e->mu); /* Stopping: resumes next start. */
    }
  }
  return NULL;
}

/* --- API. --- */

st_err st_engine_create(const st_engine_opts *o, st_engine **out,
                        st_errbuf *eb) {
  st_engine *e;

  *out = NULL;
  if (o->broker == NULL || o->pricing == NULL || o->journal == NULL) {
    return st_errf(eb, ST_EINVAL, "engine needs a broker, pricing, journal");
  }
  e = st_calloc(1, sizeof(*e));
  if (e == NULL) {
    return ST_ENOMEM;
  }
  e->o = *o;
  if (e->o.limits.max_items == 0) {
    st_plan_limits_init(&e->o.limits);
  }
  pthread_mutex_init(&e->mu, NULL);
  pthread_cond_init(&e->cv, NULL);
  *out = e;
  return ST_OK;
}

st_err st_engine_start(st_engine *e, st_errbuf *eb) {
  st_broker_cbs cbs = {on_trade_update, on_quote, on_stream, e};
  st_brokerr be;
  st_err err;

  recover(e);
  memset(&be, 0, sizeof(be));
  err = e->o.broker->ops->start(e->o.broker, &cbs, &be);
  if (err != ST_OK) {
    return st_errf(eb, err, "cannot start the %s broker: %s", e->o.broker->name,
                   be.message);
  }
  if (pthread_create(&e->thread, NULL, worker, e) != 0) {
    return st_errf(eb, ST_EINTERNAL, "cannot start the engine thread");
  }
  e->running = 1;
  return ST_OK;
}

void st_engine_stop(st_engine *e) {
  if (e == NULL) {
    return;
  }
  pthread_mutex_lock(&e->mu);
  e->stop = 1;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  if (e->running) {
    pthread_join(e->thread, NULL);
    e->running = 0;
  }
}

void st_engine_free(st_engine *e) {
  execution *x, *nx;
  waiter *w, *nw;
  inbox_item *it, *ni;

  if (e == NULL) {
    return;
  }
  st_engine_stop(e);
  for (x = e->queue; x != NULL; x = nx) {
    nx = x->next;
    exec_free(x);
  }
  for (w = e->waiters; w != NULL; w = nw) {
    nw = w->next;
    w->fn(w->ud, NULL, 0);
    st_free(w);
  }
  for (it = e->in_head; it != NULL; it = ni) {
    ni = it->next;
    st_free(it);
  }
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  st_free(e);
}

st_broker *st_engine_broker(st_engine *e) {
  return e->o.broker;
}

static st_err copy_out(const uint8_t *src, size_t len, uint8_t **out,
                       size_t *olen) {
  *out = st_malloc(len == 0 ? 1 : len);
  if (*out == NULL) {
    return ST_ENOMEM;
  }
  if (len > 0) {
    memcpy(*out, src, len);
  }
  *olen = len;
  return ST_OK;
}

/* The current result of plan_id from memory (queued/running) or the
 * journal; *hash gets the stored plan hash. */
static st_err lookup(st_engine *e, const char *plan_id, uint8_t **out,
                     size_t *len, char *hash) {
  execution *x;
  st_exec_row r;
  st_err err;

  pthread_mutex_lock(&e->mu);
  x = find_locked(e, plan_id);
  if (x != NULL && x->snap != NULL) {
    if (hash != NULL) {
      snprintf(hash, ST_PLAN_HASH_LEN, "%s", x->plan.hash);
    }
    err = copy_out(x->snap, x->snap_len, out, len);
    pthread_mutex_unlock(&e->mu);
    return err;
  }
  pthread_mutex_unlock(&e->mu);
  memset(&r, 0, sizeof(r));
  err = st_journal_exec_get(e->o.journal, plan_id, &r);
  if (err == ST_OK) {
    if (hash != NULL) {
      snprintf(hash, ST_PLAN_HASH_LEN, "%.32s", r.plan_hash);
    }
    err = copy_out(r.result, r.result_len, out, len);
  }
  st_exec_row_clear(&r);
  return err;
}

st_err st_engine_get(st_engine *e, const char *plan_id, uint8_t **result,
                     size_t *len) {
  return lookup(e, plan_id, result, len, NULL);
}

/* Formats ns as a UTC time for messages. */
static void when(int64_t ns, char *buf, size_t cap) {
  time_t s = (time_t)(ns / ST_NS_PER_SEC);
  struct tm tm;

  gmtime_r(&s, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

st_err st_engine_submit(st_engine *e,
                        const Settled__V1__ExecutePlanRequest *req,
                        uint8_t **result, size_t *len, st_errbuf *eb) {
  execution *x = NULL;
  st_exec_row row;
  char hash[ST_PLAN_HASH_LEN];
  int64_t now = st__now(e);
  st_err err;

  *result = NULL;
  err = exec_new(req, &e->o.limits, now, &x, eb);
  if (err != ST_OK) {
    return err;
  }
  /* The same plan id: the same plan re-attaches, another is refused. */
  err = lookup(e, x->plan.plan_id, result, len, hash);
  if (err == ST_OK) {
    if (strcmp(hash, x->plan.hash) != 0) {
      st_free(*result);
      *result = NULL;
      err = st_errf(eb, ST_EEXIST,
                    "plan.plan_id: %s was already used for a different plan",
                    x->plan.plan_id);
    }
    exec_free(x);
    return err;
  }
  if (e->o.check_market_open || x->dry_run) {
    st_clock clk;

    if (e->o.broker->ops->get_clock(e->o.broker, &clk, NULL) == ST_OK &&
        !clk.is_open && e->o.check_market_open) {
      char next[40];

      when(clk.next_open_ns, next, sizeof(next));
      exec_free(x);
      return st_errf(eb, ST_EPRECOND,
                     "the market is closed; it next opens at %s", next);
    }
  }
  if (x->dry_run) {
    load_assets(e, x);
    st__dry_run(e, x);
    err = st__result_pack(x, result, len);
    exec_free(x);
    return err;
  }
  memset(&row, 0, sizeof(row));
  snprintf(row.plan_id, sizeof(row.plan_id), "%s", x->plan.plan_id);
  snprintf(row.correlation_id, sizeof(row.correlation_id), "%s",
           x->plan.correlation_id);
  snprintf(row.plan_hash, sizeof(row.plan_hash), "%s", x->plan.hash);
  row.status = x->status;
  row.created_ns = now;
  row.updated_ns = now;
  row.expires_ns = x->plan.expires_ns;
  row.request_len = protobuf_c_message_get_packed_size(&req->base);
  row.request = st_malloc(row.request_len == 0 ? 1 : row.request_len);
  if (row.request == NULL ||
      st__result_pack(x, &row.result, &row.result_len) != ST_OK) {
    st_exec_row_clear(&row);
    exec_free(x);
    return ST_ENOMEM;
  }
  protobuf_c_message_pack(&req->base, row.request);
  err = st_journal_exec_insert(e->o.journal, &row);
  st_exec_row_clear(&row);
  if (err == ST_EEXIST) {
    /* Another call with the same id got there first. */
    exec_free(x);
    return st_engine_submit(e, req, result, len, eb);
  }
  if (err != ST_OK) {
    exec_free(x);
    return st_errf(eb, err, "cannot journal the execution");
  }
  st__snapshot(e, x);
  pthread_mutex_lock(&e->mu);
  {
    execution **pp = &e->queue;

    while (*pp != NULL) {
      pp = &(*pp)->next;
    }
    *pp = x;
  }
  err = copy_out(x->snap, x->snap_len, result, len);
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  st_log_plan(ST_LOG_INFO, "exec", x->plan.plan_id, x->plan.correlation_id,
              "accepted: %zu items (%zu sells, %zu buys, %zu holds)", x->plan.n,
              x->plan.nsell, x->plan.nbuy, x->plan.nhold);
  return err;
}

st_err st_engine_await(st_engine *e, const char *plan_id, int64_t deadline_ns,
                       void (*fn)(void *ud, const uint8_t *result, size_t len),
                       void *ud, uint64_t *id) {
  waiter *w = st_calloc(1, sizeof(*w));
  st_exec_row r;
  int known;

  if (w == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_lock(&e->mu);
  known = find_locked(e, plan_id) != NULL;
  pthread_mutex_unlock(&e->mu);
  if (!known) {
    memset(&r, 0, sizeof(r));
    if (st_journal_exec_get(e->o.journal, plan_id, &r) != ST_OK) {
      st_free(w);
      return ST_ENOTFOUND;
    }
    st_exec_row_clear(&r);
  }
  snprintf(w->plan_id, sizeof(w->plan_id), "%s", plan_id);
  w->deadline_ns = deadline_ns;
  w->fn = fn;
  w->ud = ud;
  pthread_mutex_lock(&e->mu);
  w->id = ++e->next_waiter;
  *id = w->id;
  w->next = e->waiters;
  e->waiters = w;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  return ST_OK;
}

int st_engine_unawait(st_engine *e, uint64_t id) {
  int called = 1;

  pthread_mutex_lock(&e->mu);
  for (waiter **pw = &e->waiters; *pw != NULL; pw = &(*pw)->next) {
    if ((*pw)->id == id) {
      waiter *w = *pw;

      *pw = w->next;
      st_free(w);
      called = 0;
      break;
    }
  }
  pthread_mutex_unlock(&e->mu);
  return called;
}

st_err st_engine_cancel(st_engine *e, const char *plan_id, const char *reason) {
  execution *x;
  st_err err = ST_OK;

  pthread_mutex_lock(&e->mu);
  x = find_locked(e, plan_id);
  if (x == NULL) {
    st_exec_row r;

    pthread_mutex_unlock(&e->mu);
    memset(&r, 0, sizeof(r));
    err = st_journal_exec_get(e->o.journal, plan_id, &r);
    st_exec_row_clear(&r);
    return err == ST_OK ? ST_EPRECOND : err;
  }
  if (x->terminal) {
    err = ST_EPRECOND;
  } else {
    snprintf(
        x->cancel_reason, sizeof(x->cancel_reason), "%s",
        reason != NULL && reason[0] != '\0' ? reason : "canceled by request");
    x->cancel_requested = 1;
    pthread_cond_broadcast(&e->cv);
  }
  pthread_mutex_unlock(&e->mu);
  return err;
}

st_err st_engine_list(st_engine *e, int64_t before, int limit,
                      const int *statuses, size_t nstatuses, uint8_t ***results,
                      size_t **lens, int64_t **arrivals, size_t *n) {
  st_exec_row *rows = NULL;
  size_t k = 0;
  st_err err;

  *n = 0;
  err = st_journal_exec_list(e->o.journal, before, limit, statuses, nstatuses,
                             &rows, &k);
  if (err != ST_OK) {
    return err;
  }
  *results = st_calloc(k + 1, sizeof(uint8_t *));
  *lens = st_calloc(k + 1, sizeof(size_t));
  *arrivals = st_calloc(k + 1, sizeof(int64_t));
  if (*results == NULL || *lens == NULL || *arrivals == NULL) {
    err = ST_ENOMEM;
  }
  for (size_t i = 0; i < k; i++) {
    if (err == ST_OK) {
      uint8_t *snap = NULL;
      size_t slen = 0;

      (*arrivals)[i] = rows[i].arrival;
      /* Prefer the live snapshot of a running execution. */
      if (lookup(e, rows[i].plan_id, &snap, &slen, NULL) == ST_OK) {
        (*results)[i] = snap;
        (*lens)[i] = slen;
      } else {
        err = copy_out(rows[i].result, rows[i].result_len, &(*results)[i],
                       &(*lens)[i]);
      }
    }
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
  *n = k;
  return err;
}
