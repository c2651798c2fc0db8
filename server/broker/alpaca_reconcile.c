/* alpaca_reconcile.c - catches up on trade updates missed while the stream
 * was down, from the REST order list, on a worker thread. */
#include <string.h>

#include "server/broker/alpaca_internal.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define PAGE 500     /* Orders per page (Alpaca's maximum). */
#define MAX_PAGES 20 /* At most 10000 orders per reconciliation. */
#define MAX_OPEN 100 /* Tracked working orders checked one by one. */

/* Passes one broker snapshot through the cache and on to the engine. */
static void deliver_snapshot(st_alpaca *a, const st_order *o) {
  st_trade_update ups[2];
  size_t i, n;

  /* Diff and admission under one lock, so that the stream cannot slip an
   * update in between. */
  pthread_mutex_lock(&a->deliver_mu);
  n = st_ocache_reconcile(a->ocache, o, st_alpaca__real_ns(), ups);
  for (i = 0; i < n; i++) {
    if (st_ocache_admit(a->ocache, &ups[i]) && a->cbs.on_trade_update != NULL) {
      a->cbs.on_trade_update(a->cbs.ud, &ups[i]);
    }
  }
  pthread_mutex_unlock(&a->deliver_mu);
}

static int listed(const st_order *v, size_t n, const char *id) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (strcmp(v[i].id, id) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Lists every order submitted after after_ns (oldest first, paged), then
 * checks the working orders the cache knows that the list did not hold. */
static st_err reconcile_once(st_alpaca *a, int64_t after_ns) {
  char(*ids)[ST_ORDER_ID_LEN] = NULL;
  st_order *all = NULL;
  size_t nall = 0, nids, i;
  int64_t after = after_ns;
  int page;
  st_brokerr e;
  st_err err = ST_OK;

  for (page = 0; page < MAX_PAGES; page++) {
    st_order_query q = {ST_ORDERS_ALL, NULL, 0, after, PAGE};
    st_order *v = NULL, *grown;
    size_t n = 0;

    err = st_alpaca__list_orders(a, &q, 1, &v, &n, &e);
    if (err != ST_OK) {
      ST_WARN("alpaca", "reconcile: listing orders failed: %s (%s)",
              st_strerror(err), e.message);
      goto out;
    }
    for (i = 0; i < n; i++) {
      deliver_snapshot(a, &v[i]);
    }
    grown = n > 0 ? st_realloc(all, (nall + n) * sizeof(*all)) : all;
    if (grown != NULL) {
      all = grown;
      memcpy(all + nall, v, n * sizeof(*v));
      nall += n;
    }
    /* The next page starts after the newest order of this one. */
    after = n > 0 ? v[n - 1].submitted_at_ns : 0;
    if (after == 0 && n > 0) {
      after = v[n - 1].created_at_ns;
    }
    st_free(v);
    if (n < PAGE || after == 0) {
      break;
    }
  }
  ids = st_calloc(MAX_OPEN, sizeof(*ids));
  if (ids == NULL) {
    err = ST_ENOMEM;
    goto out;
  }
  nids = st_ocache_open_ids(a->ocache, ids, MAX_OPEN);
  for (i = 0; i < nids; i++) {
    st_order o;
    st_err gerr;

    if (listed(all, nall, ids[i])) {
      continue;
    }
    gerr = a->base.ops->get_order(&a->base, ids[i], &o, &e);
    if (gerr == ST_OK) {
      deliver_snapshot(a, &o);
    } else if (gerr == ST_ECANCELED) {
      err = gerr;
      goto out;
    } else if (gerr != ST_ENOTFOUND) {
      ST_WARN("alpaca", "reconcile: order %s: %s (%s)", ids[i],
              st_strerror(gerr), e.message);
    }
  }
  ST_INFO("alpaca", "reconciled %zu listed and %zu tracked orders", nall, nids);
out:
  st_free(ids);
  st_free(all);
  return err;
}

static void *worker(void *arg) {
  st_alpaca *a = arg;
  int failures = 0;

  pthread_mutex_lock(&a->mu);
  while (!a->stopping) {
    int64_t after;
    st_err err;

    if (!a->rc_pending) {
      pthread_cond_wait(&a->rc_cv, &a->mu);
      continue;
    }
    after = a->rc_after_ns;
    a->rc_pending = 0;
    pthread_mutex_unlock(&a->mu);
    err = reconcile_once(a, after);
    if (err != ST_OK && err != ST_ECANCELED) {
      /* Try again later from the same point (or an earlier one). */
      failures++;
      st_alpaca__reconcile_request(a, after);
      st_alpaca__sleep(a, st_alpaca__backoff_ns(a, failures + 2));
    } else {
      failures = 0;
    }
    pthread_mutex_lock(&a->mu);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

st_err st_alpaca__reconcile_start(st_alpaca *a, st_errbuf *eb) {
  if (pthread_create(&a->rc_thread, NULL, worker, a) != 0) {
    return st_errf(eb, ST_EIO, "cannot start the reconciliation thread");
  }
  a->rc_running = 1;
  return ST_OK;
}

void st_alpaca__reconcile_request(st_alpaca *a, int64_t after_ns) {
  pthread_mutex_lock(&a->mu);
  if (!a->rc_pending || after_ns < a->rc_after_ns) {
    a->rc_after_ns = after_ns;
  }
  a->rc_pending = 1;
  pthread_cond_signal(&a->rc_cv);
  pthread_mutex_unlock(&a->mu);
}

void st_alpaca__reconcile_stop(st_alpaca *a) {
  if (!a->rc_running) {
    return;
  }
  pthread_mutex_lock(&a->mu);
  a->stopping = 1;
  pthread_cond_broadcast(&a->rc_cv);
  pthread_cond_broadcast(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->rc_thread, NULL);
  a->rc_running = 0;
}
