/* listeners.c - callbacks that receive the stream's quotes of chosen
 * symbols. */
#include "server/pricing/listeners.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "server/pricing/symbol.h"
#include "server/util/alloc.h"

typedef struct listener {
  struct listener *prev, *next;
  int id;
  int dead;    /* Removed: no new call starts. */
  int active;  /* Calls running now. */
  int waiters; /* Removers waiting for active to drop. A dead listener is
                  freed by whoever sees active == 0 and waiters == 0. */
  st_pricing_quote_fn fn;
  void *ud;
  char (*syms)[ST_SYMBOL_LEN];
  size_t nsyms;
} listener;

struct st_pricing_listeners {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* Broadcast when a call of a dead listener ends. */
  listener *head;
  size_t n; /* Live (not dead) listeners. */
  int next_id;
};

/* The listener whose function this thread is running, if any. */
static _Thread_local listener *running;

static void unlink_free(st_pricing_listeners *ls, listener *l) {
  if (l->prev != NULL) {
    l->prev->next = l->next;
  } else {
    ls->head = l->next;
  }
  if (l->next != NULL) {
    l->next->prev = l->prev;
  }
  st_free(l->syms);
  st_free(l);
}

static listener *find(st_pricing_listeners *ls, int id) {
  for (listener *l = ls->head; l != NULL; l = l->next) {
    if (l->id == id && !l->dead) {
      return l;
    }
  }
  return NULL;
}

static int matches(const listener *l, const char *sym) {
  if (l->nsyms == 0) {
    return 1;
  }
  for (size_t i = 0; i < l->nsyms; i++) {
    if (strcmp(l->syms[i], sym) == 0) {
      return 1;
    }
  }
  return 0;
}

st_err st_pricing_listeners_create(st_pricing_listeners **out) {
  st_pricing_listeners *ls = st_calloc(1, sizeof(*ls));

  *out = NULL;
  if (ls == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_init(&ls->mu, NULL);
  pthread_cond_init(&ls->cv, NULL);
  ls->next_id = 1;
  *out = ls;
  return ST_OK;
}

void st_pricing_listeners_destroy(st_pricing_listeners *ls) {
  if (ls == NULL) {
    return;
  }
  while (ls->head != NULL) {
    unlink_free(ls, ls->head);
  }
  pthread_cond_destroy(&ls->cv);
  pthread_mutex_destroy(&ls->mu);
  st_free(ls);
}

st_err st_pricing_listeners_add(st_pricing_listeners *ls,
                                const char *const *symbols, size_t n,
                                st_pricing_quote_fn fn, void *ud, int *id) {
  listener *l;

  *id = 0;
  if (fn == NULL) {
    return ST_EINVAL;
  }
  l = st_calloc(1, sizeof(*l));
  if (l == NULL) {
    return ST_ENOMEM;
  }
  if (n > 0) {
    l->syms = st_calloc(n, ST_SYMBOL_LEN);
    if (l->syms == NULL) {
      st_free(l);
      return ST_ENOMEM;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (st_pricing_symbol_norm(symbols[i], l->syms[i]) != ST_OK) {
      st_free(l->syms);
      st_free(l);
      return ST_EINVAL;
    }
  }
  l->nsyms = n;
  l->fn = fn;
  l->ud = ud;
  pthread_mutex_lock(&ls->mu);
  l->id = ls->next_id;
  ls->next_id = ls->next_id == INT_MAX ? 1 : ls->next_id + 1;
  l->next = ls->head;
  if (ls->head != NULL) {
    ls->head->prev = l;
  }
  ls->head = l;
  ls->n++;
  *id = l->id;
  pthread_mutex_unlock(&ls->mu);
  return ST_OK;
}

st_err st_pricing_listeners_remove(st_pricing_listeners *ls, int id) {
  listener *l;
  int self;

  pthread_mutex_lock(&ls->mu);
  l = find(ls, id);
  if (l == NULL) {
    pthread_mutex_unlock(&ls->mu);
    return ST_ENOTFOUND;
  }
  l->dead = 1;
  ls->n--;
  /* Our own call (if we are inside fn) is not waited for: it ends when we
   * return to the dispatcher, which then frees the listener. */
  self = running == l;
  l->waiters++;
  while (l->active > self) {
    pthread_cond_wait(&ls->cv, &ls->mu);
  }
  l->waiters--;
  if (l->active == 0 && l->waiters == 0) {
    unlink_free(ls, l);
  }
  pthread_mutex_unlock(&ls->mu);
  return ST_OK;
}

void st_pricing_listeners_dispatch(st_pricing_listeners *ls,
                                   const st_quote *q) {
  listener *l, *next;

  pthread_mutex_lock(&ls->mu);
  for (l = ls->head; l != NULL; l = next) {
    listener *outer = running;

    if (l->dead || !matches(l, q->symbol)) {
      next = l->next;
      continue;
    }
    /* Pinned by active: l stays linked (so l->next stays valid) until the
     * call is over. */
    l->active++;
    pthread_mutex_unlock(&ls->mu);
    running = l;
    l->fn(l->ud, q);
    running = outer;
    pthread_mutex_lock(&ls->mu);
    l->active--;
    next = l->next;
    if (l->dead) {
      if (l->waiters > 0) {
        pthread_cond_broadcast(&ls->cv);
      } else if (l->active == 0) {
        unlink_free(ls, l);
      }
    }
  }
  pthread_mutex_unlock(&ls->mu);
}

size_t st_pricing_listeners_count(st_pricing_listeners *ls) {
  size_t n;

  pthread_mutex_lock(&ls->mu);
  n = ls->n;
  pthread_mutex_unlock(&ls->mu);
  return n;
}
