/* order_cache.c - per-order memory that lets each fill reach the engine once.
 */
#include "server/broker/order_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "server/util/alloc.h"

#define NEXEC 16 /* Recent execution ids remembered per order. */

typedef struct oentry {
  char id[ST_ORDER_ID_LEN];
  st_ocache_state st;
  uint64_t exec[NEXEC]; /* Hashes of recent execution ids; 0 = empty. */
  unsigned exec_next;
  struct oentry *hnext;         /* Hash chain. */
  struct oentry *lprev, *lnext; /* Recency list, most recent at head. */
} oentry;

struct st_ocache {
  pthread_mutex_t mu;
  oentry **buckets;
  size_t nbuckets; /* A power of two. */
  size_t count, capacity;
  oentry *head, *tail;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;

  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

st_err st_ocache_create(size_t capacity, st_ocache **out) {
  st_ocache *c;

  *out = NULL;
  if (capacity == 0) {
    capacity = 4096;
  }
  c = st_calloc(1, sizeof(*c));
  if (c == NULL) {
    return ST_ENOMEM;
  }
  c->capacity = capacity;
  c->nbuckets = 16;
  while (c->nbuckets < capacity * 2) {
    c->nbuckets *= 2;
  }
  c->buckets = st_calloc(c->nbuckets, sizeof(*c->buckets));
  if (c->buckets == NULL) {
    st_free(c);
    return ST_ENOMEM;
  }
  pthread_mutex_init(&c->mu, NULL);
  *out = c;
  return ST_OK;
}

void st_ocache_destroy(st_ocache *c) {
  oentry *e, *next;

  if (c == NULL) {
    return;
  }
  for (e = c->head; e != NULL; e = next) {
    next = e->lnext;
    st_free(e);
  }
  st_free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  st_free(c);
}

static oentry **slot(st_ocache *c, const char *id) {
  return &c->buckets[fnv1a(id) & (c->nbuckets - 1)];
}

static oentry *find(st_ocache *c, const char *id) {
  oentry *e;

  for (e = *slot(c, id); e != NULL; e = e->hnext) {
    if (strcmp(e->id, id) == 0) {
      return e;
    }
  }
  return NULL;
}

static void list_unlink(st_ocache *c, oentry *e) {
  if (e->lprev != NULL) {
    e->lprev->lnext = e->lnext;
  } else {
    c->head = e->lnext;
  }
  if (e->lnext != NULL) {
    e->lnext->lprev = e->lprev;
  } else {
    c->tail = e->lprev;
  }
  e->lprev = e->lnext = NULL;
}

static void list_push_head(st_ocache *c, oentry *e) {
  e->lprev = NULL;
  e->lnext = c->head;
  if (c->head != NULL) {
    c->head->lprev = e;
  }
  c->head = e;
  if (c->tail == NULL) {
    c->tail = e;
  }
}

static void evict_tail(st_ocache *c) {
  oentry *e = c->tail, **pp;

  if (e == NULL) {
    return;
  }
  list_unlink(c, e);
  for (pp = slot(c, e->id); *pp != NULL; pp = &(*pp)->hnext) {
    if (*pp == e) {
      *pp = e->hnext;
      break;
    }
  }
  c->count--;
  st_free(e);
}

/* Finds or creates the entry for id; NULL when id is unusable or memory is
 * short. */
static oentry *get(st_ocache *c, const char *id) {
  oentry *e = find(c, id), **sp;
  size_t n = strlen(id);

  if (e != NULL) {
    return e;
  }
  if (n == 0 || n >= ST_ORDER_ID_LEN) {
    return NULL;
  }
  if (c->count >= c->capacity) {
    evict_tail(c);
  }
  e = st_calloc(1, sizeof(*e));
  if (e == NULL) {
    return NULL;
  }
  memcpy(e->id, id, n + 1);
  sp = slot(c, id);
  e->hnext = *sp;
  *sp = e;
  list_push_head(c, e);
  c->count++;
  return e;
}

static void touch(st_ocache *c, oentry *e) {
  if (c->head != e) {
    list_unlink(c, e);
    list_push_head(c, e);
  }
}

/* The status an event announces, or ST_OS_UNKNOWN for events that are not
 * plain status changes (fills, rejected cancels and replaces, others). */
static st_ostatus event_status(st_trade_event ev) {
  switch (ev) {
    case ST_TE_NEW:
      return ST_OS_NEW;
    case ST_TE_PENDING_NEW:
      return ST_OS_PENDING_NEW;
    case ST_TE_CANCELED:
      return ST_OS_CANCELED;
    case ST_TE_EXPIRED:
      return ST_OS_EXPIRED;
    case ST_TE_DONE_FOR_DAY:
      return ST_OS_DONE_FOR_DAY;
    case ST_TE_REPLACED:
      return ST_OS_REPLACED;
    case ST_TE_REJECTED:
      return ST_OS_REJECTED;
    case ST_TE_PENDING_CANCEL:
      return ST_OS_PENDING_CANCEL;
    case ST_TE_PENDING_REPLACE:
      return ST_OS_PENDING_REPLACE;
    default:
      return ST_OS_UNKNOWN;
  }
}

/* The event that announces status s (the inverse of event_status, plus the
 * fill statuses). */
static st_trade_event status_event(st_ostatus s) {
  switch (s) {
    case ST_OS_PENDING_NEW:
      return ST_TE_PENDING_NEW;
    case ST_OS_ACCEPTED:
    case ST_OS_NEW:
      return ST_TE_NEW;
    case ST_OS_PARTIALLY_FILLED:
      return ST_TE_PARTIAL_FILL;
    case ST_OS_FILLED:
      return ST_TE_FILL;
    case ST_OS_CANCELED:
      return ST_TE_CANCELED;
    case ST_OS_EXPIRED:
      return ST_TE_EXPIRED;
    case ST_OS_REJECTED:
      return ST_TE_REJECTED;
    case ST_OS_REPLACED:
      return ST_TE_REPLACED;
    case ST_OS_PENDING_CANCEL:
      return ST_TE_PENDING_CANCEL;
    case ST_OS_PENDING_REPLACE:
      return ST_TE_PENDING_REPLACE;
    case ST_OS_DONE_FOR_DAY:
      return ST_TE_DONE_FOR_DAY;
    default:
      return ST_TE_OTHER;
  }
}

/* How far along its life an order with status s is. */
static int rank(st_ostatus s) {
  if (st_ostatus_terminal(s)) {
    return 5;
  }
  switch (s) {
    case ST_OS_PENDING_NEW:
    case ST_OS_ACCEPTED:
      return 1;
    case ST_OS_NEW:
      return 2;
    case ST_OS_PARTIALLY_FILLED:
    case ST_OS_PENDING_CANCEL:
    case ST_OS_PENDING_REPLACE:
      return 3;
    case ST_OS_DONE_FOR_DAY:
      return 4;
    default:
      return 0;
  }
}

static int is_fill(st_trade_event ev) {
  return ev == ST_TE_FILL || ev == ST_TE_PARTIAL_FILL;
}

static int seen_exec(const oentry *e, uint64_t h) {
  unsigned i;

  for (i = 0; i < NEXEC; i++) {
    if (e->exec[i] == h) {
      return 1;
    }
  }
  return 0;
}

/* The admission rules of the header; e is the order's entry. */
static int admissible(const oentry *e, const st_trade_update *u, st_ostatus st,
                      uint64_t xh) {
  int cmp = st_dec_cmp(u->order.filled_qty, e->st.filled_qty);

  if (e->st.terminal) {
    return 0;
  }
  if (xh != 0 && seen_exec(e, xh)) {
    return 0;
  }
  if (cmp < 0) {
    return 0;
  }
  if (is_fill(u->event)) {
    return cmp > 0;
  }
  if (event_status(u->event) != ST_OS_UNKNOWN && cmp == 0 &&
      e->st.status != ST_OS_UNKNOWN &&
      (st == e->st.status || rank(st) < rank(e->st.status))) {
    return 0;
  }
  return 1;
}

int st_ocache_admit(st_ocache *c, const st_trade_update *u) {
  st_ostatus st = u->order.status;
  uint64_t xh = u->execution_id[0] != '\0' ? fnv1a(u->execution_id) : 0;
  oentry *e;
  int ok = 0;

  if (st == ST_OS_UNKNOWN) {
    st = event_status(u->event);
    if (u->event == ST_TE_FILL) {
      st = ST_OS_FILLED;
    } else if (u->event == ST_TE_PARTIAL_FILL) {
      st = ST_OS_PARTIALLY_FILLED;
    }
  }
  pthread_mutex_lock(&c->mu);
  e = get(c, u->order.id);
  if (e == NULL) {
    /* Unusable id or no memory: pass it on rather than lose it. */
    ok = u->order.id[0] != '\0';
    goto out;
  }
  if (!admissible(e, u, st, xh)) {
    goto out;
  }
  ok = 1;
  if (xh != 0) {
    e->exec[e->exec_next] = xh;
    e->exec_next = (e->exec_next + 1) % NEXEC;
  }
  e->st.filled_qty = u->order.filled_qty;
  if (st_dec_is_pos(u->order.filled_avg_price)) {
    e->st.filled_avg_price = u->order.filled_avg_price;
  }
  if (st != ST_OS_UNKNOWN) {
    e->st.status = st;
  }
  e->st.terminal = st_ostatus_terminal(e->st.status);
  touch(c, e);
out:
  pthread_mutex_unlock(&c->mu);
  return ok;
}

int st_ocache_lookup(st_ocache *c, const char *order_id, st_ocache_state *out) {
  oentry *e;
  int found = 0;

  pthread_mutex_lock(&c->mu);
  e = find(c, order_id);
  if (e != NULL) {
    *out = e->st;
    found = 1;
  }
  pthread_mutex_unlock(&c->mu);
  return found;
}

st_err st_ocache_track(st_ocache *c, const char *order_id) {
  size_t n = order_id != NULL ? strlen(order_id) : 0;
  st_err err = ST_OK;

  if (n == 0 || n >= ST_ORDER_ID_LEN) {
    return ST_EINVAL;
  }
  pthread_mutex_lock(&c->mu);
  if (get(c, order_id) == NULL) {
    err = ST_ENOMEM;
  }
  pthread_mutex_unlock(&c->mu);
  return err;
}

size_t st_ocache_open_ids(st_ocache *c, char (*ids)[ST_ORDER_ID_LEN],
                          size_t max) {
  oentry *e;
  size_t n = 0;

  pthread_mutex_lock(&c->mu);
  for (e = c->head; e != NULL && n < max; e = e->lnext) {
    if (!e->st.terminal) {
      memcpy(ids[n++], e->id, ST_ORDER_ID_LEN);
    }
  }
  pthread_mutex_unlock(&c->mu);
  return n;
}

/* The average price of the fills between cumulative (q0, p0) and (q1, p1):
 * (q1*p1 - q0*p0) / (q1 - q0), rounded to 9 digits; p1 if that fails or
 * comes out non-positive (inconsistent broker averages). */
static st_dec part_price(st_dec q0, st_dec p0, st_dec q1, st_dec p1) {
  st_dec a, b, diff, num, r;

  if (st_dec_mul(q1, p1, ST_ROUND_HALF_EVEN, &a) != ST_OK ||
      st_dec_mul(q0, p0, ST_ROUND_HALF_EVEN, &b) != ST_OK ||
      st_dec_sub(a, b, &num) != ST_OK || st_dec_sub(q1, q0, &diff) != ST_OK ||
      st_dec_div(num, diff, ST_ROUND_HALF_EVEN, &r) != ST_OK ||
      !st_dec_is_pos(r)) {
    return p1;
  }
  return r;
}

size_t st_ocache_reconcile(st_ocache *c, const st_order *o, int64_t now_ns,
                           st_trade_update out[2]) {
  st_ocache_state known = {ST_OS_UNKNOWN, {0}, {0}, 0};
  int64_t ts = o->updated_at_ns != 0 ? o->updated_at_ns : now_ns;
  char fq[ST_DEC_STRLEN];
  size_t n = 0;
  int cmp;

  st_ocache_lookup(c, o->id, &known);
  if (known.terminal || o->status == ST_OS_UNKNOWN) {
    return 0;
  }
  cmp = st_dec_cmp(o->filled_qty, known.filled_qty);
  if (cmp < 0) {
    return 0;
  }
  if (cmp > 0) {
    st_trade_update *f = &out[n++];

    memset(f, 0, sizeof(*f));
    f->order = *o;
    f->event = o->status == ST_OS_FILLED ? ST_TE_FILL : ST_TE_PARTIAL_FILL;
    if (o->status != ST_OS_FILLED) {
      f->order.status = ST_OS_PARTIALLY_FILLED;
    }
    st_dec_sub(o->filled_qty, known.filled_qty, &f->qty);
    f->price = part_price(known.filled_qty, known.filled_avg_price,
                          o->filled_qty, o->filled_avg_price);
    snprintf(f->execution_id, sizeof(f->execution_id), "rc:%.36s:%s", o->id,
             st_dec_format(o->filled_qty, 0, fq));
    f->ts_ns = ts;
    f->reconciled = 1;
    if (o->status == ST_OS_FILLED || o->status == ST_OS_PARTIALLY_FILLED) {
      return n;
    }
  } else if (o->status == known.status ||
             (known.status != ST_OS_UNKNOWN &&
              rank(o->status) < rank(known.status))) {
    return 0;
  }
  memset(&out[n], 0, sizeof(out[n]));
  out[n].order = *o;
  out[n].event = status_event(o->status);
  out[n].ts_ns = ts;
  out[n].reconciled = 1;
  return n + 1;
}
