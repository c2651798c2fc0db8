/* pricing.c - the pricing service: subscriptions over one broker, the
 * quote book and quote listeners. */
#include "server/pricing/pricing.h"

#include <pthread.h>
#include <string.h>

#include "server/pricing/symbol.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

struct st_pricing {
  st_broker *b;
  int64_t fetch_max_age_ns;
  /* Serializes subscription changes, each with its broker call, so that
   * the broker always ends up with the latest set. Held across the broker
   * call; nothing on the quote path takes it. */
  pthread_mutex_t op_mu;
  int dirty; /* Under op_mu: the broker may not have the current set. */
  /* Guards the subs pointer for readers. A change builds a new set under
   * op_mu and swaps it in under mu. */
  pthread_mutex_t mu;
  st_pricing_subs *subs;
  st_pricing_book *book;
  st_pricing_listeners *ls;
};

st_err st_pricing_create(st_broker *b, const st_pricing_opts *o,
                         st_pricing **out) {
  st_pricing *p;
  size_t limit =
      (o != NULL && o->limit > 0) ? o->limit : ST_BROKER_MAX_QUOTE_SYMBOLS;
  st_err err;

  *out = NULL;
  if (b == NULL) {
    return ST_EINVAL;
  }
  p = st_calloc(1, sizeof(*p));
  if (p == NULL) {
    return ST_ENOMEM;
  }
  p->b = b;
  p->fetch_max_age_ns = (o != NULL && o->fetch_max_age_ns > 0)
                            ? o->fetch_max_age_ns
                            : ST_PRICING_FETCH_MAX_AGE_NS;
  pthread_mutex_init(&p->op_mu, NULL);
  pthread_mutex_init(&p->mu, NULL);
  if ((err = st_pricing_subs_create(limit, &p->subs)) != ST_OK ||
      (err = st_pricing_book_create(&p->book)) != ST_OK ||
      (err = st_pricing_listeners_create(&p->ls)) != ST_OK) {
    goto fail;
  }
  *out = p;
  return ST_OK;
fail:
  st_pricing_destroy(p);
  return err;
}

void st_pricing_shutdown(st_pricing *p) {
  st_pricing_book_shutdown(p->book);
}

void st_pricing_destroy(st_pricing *p) {
  if (p == NULL) {
    return;
  }
  st_pricing_listeners_destroy(p->ls);
  st_pricing_book_destroy(p->book);
  st_pricing_subs_destroy(p->subs);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->op_mu);
  st_free(p);
}

/* Sends the whole symbol set of s to the broker, under op_mu only. */
static st_err push(st_pricing *p, const st_pricing_subs *s, st_brokerr *e) {
  size_t n = st_pricing_subs_count(s);
  const char **syms = NULL;
  st_err err;

  if (n > 0) {
    syms = st_malloc(n * sizeof(*syms));
    if (syms == NULL) {
      return ST_ENOMEM;
    }
  }
  for (size_t i = 0; i < n; i++) {
    syms[i] = st_pricing_subs_symbol(s, i);
  }
  err = p->b->ops->set_quote_symbols(p->b, syms, n, e);
  st_free(syms);
  if (err != ST_OK) {
    ST_WARN("pricing", "the broker refused %zu quote symbols: %s", n,
            st_strerror(err));
  }
  return err;
}

/* Makes next the current set (under op_mu) and frees the old one. */
static void swap_in(st_pricing *p, st_pricing_subs *next) {
  st_pricing_subs *old;

  pthread_mutex_lock(&p->mu);
  old = p->subs;
  p->subs = next;
  pthread_mutex_unlock(&p->mu);
  st_pricing_subs_destroy(old);
}

void st_pricing_sub_report_free(st_pricing_sub_report *rep) {
  if (rep == NULL) {
    return;
  }
  st_free(rep->results);
  st_free(rep->evicted);
  memset(rep, 0, sizeof(*rep));
}

st_err st_pricing_subscribe(st_pricing *p, const char *owner,
                            const char *const *symbols, size_t n,
                            double priority, st_pricing_sub_report *rep,
                            st_brokerr *e) {
  st_pricing_sub_result *res = NULL;
  st_pricing_claim *ev = NULL;
  size_t nev = 0, refused = 0;
  st_pricing_subs *next = NULL;
  int changed = 0;
  st_err err;

  if (rep != NULL) {
    memset(rep, 0, sizeof(*rep));
  }
  if (n > 0 && (res = st_calloc(n, sizeof(*res))) == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_lock(&p->op_mu);
  /* Only op_mu holders change p->subs, so it can be read without mu. */
  err = st_pricing_subs_clone(p->subs, &next);
  if (err != ST_OK) {
    goto out;
  }
  err = st_pricing_subs_add(next, owner, symbols, n, priority, res, &ev, &nev,
                            &changed);
  if (err != ST_OK) {
    goto out;
  }
  if (changed || p->dirty) {
    err = push(p, next, e);
    if (err != ST_OK && changed) {
      goto out; /* Roll back: the broker keeps the old set, and so do we. */
    }
    /* Only a resend of an unchanged set failed: keep the claims. */
    p->dirty = err != ST_OK;
    err = ST_OK;
  }
  swap_in(p, next);
  next = NULL;
out:
  pthread_mutex_unlock(&p->op_mu);
  st_pricing_subs_destroy(next);
  if (err != ST_OK) {
    st_free(res);
    st_free(ev);
    return err;
  }
  for (size_t i = 0; i < n; i++) {
    if (res[i].status == ST_PRICING_SUB_INVALID ||
        res[i].status == ST_PRICING_SUB_FULL) {
      refused++;
    }
  }
  for (size_t i = 0; i < nev; i++) {
    ST_INFO("pricing", "%s evicted (owner %s, priority %g) for %s at %g",
            ev[i].symbol, ev[i].owner, ev[i].priority, owner, priority);
  }
  if (refused > 0) {
    ST_DEBUG("pricing", "%s: %zu of %zu symbols not subscribed", owner, refused,
             n);
  }
  if (rep == NULL) {
    st_free(res);
    st_free(ev);
    return ST_OK;
  }
  rep->results = res;
  rep->nresults = n;
  rep->nrefused = refused;
  rep->evicted = ev;
  rep->nevicted = nev;
  return ST_OK;
}

/* Applies a removal (of the n symbols, or of every claim of owner when
 * all is set) and sends the new set when it changed. */
static st_err unsubscribe(st_pricing *p, const char *owner, int all,
                          const char *const *symbols, size_t n, st_brokerr *e) {
  st_pricing_subs *next = NULL;
  int changed = 0;
  st_err err;

  pthread_mutex_lock(&p->op_mu);
  err = st_pricing_subs_clone(p->subs, &next);
  if (err != ST_OK) {
    goto out;
  }
  err = all ? st_pricing_subs_remove_owner(next, owner, &changed)
            : st_pricing_subs_remove(next, owner, symbols, n, &changed);
  if (err != ST_OK) {
    goto out;
  }
  if (changed || p->dirty) {
    /* A failed push keeps the removal: a broker streaming a few symbols
     * too many is harmless, and the set is sent again next time. */
    err = push(p, next, e);
    p->dirty = err != ST_OK;
  }
  swap_in(p, next);
  next = NULL;
out:
  pthread_mutex_unlock(&p->op_mu);
  st_pricing_subs_destroy(next);
  return err;
}

st_err st_pricing_unsubscribe(st_pricing *p, const char *owner,
                              const char *const *symbols, size_t n,
                              st_brokerr *e) {
  if (symbols == NULL && n > 0) {
    return ST_EINVAL;
  }
  return unsubscribe(p, owner, 0, symbols, n, e);
}

st_err st_pricing_unsubscribe_all(st_pricing *p, const char *owner,
                                  st_brokerr *e) {
  return unsubscribe(p, owner, 1, NULL, 0, e);
}

st_err st_pricing_claims(st_pricing *p, st_pricing_claim **out, size_t *n) {
  st_err err;

  pthread_mutex_lock(&p->mu);
  err = st_pricing_subs_claims(p->subs, out, n);
  pthread_mutex_unlock(&p->mu);
  return err;
}

st_err st_pricing_priority(st_pricing *p, const char *symbol,
                           double *priority) {
  char sym[ST_SYMBOL_LEN];
  st_err err;

  if (st_pricing_symbol_norm(symbol, sym) != ST_OK) {
    return ST_EINVAL;
  }
  pthread_mutex_lock(&p->mu);
  err = st_pricing_subs_priority(p->subs, sym, priority);
  pthread_mutex_unlock(&p->mu);
  return err;
}

void st_pricing_on_quote(void *pp, const st_quote *q) {
  st_pricing *p = pp;
  st_quote stored;
  st_err err = st_pricing_book_put(p->book, q, st_now_ns(), &stored);

  if (err == ST_OK) {
    st_pricing_listeners_dispatch(p->ls, &stored);
    return;
  }
  if (err == ST_EINVAL &&
      (st_dec_is_neg(q->bid) || st_dec_is_neg(q->ask) ||
       st_dec_is_neg(q->bid_size) || st_dec_is_neg(q->ask_size))) {
    ST_WARN("pricing", "quote for %.*s dropped: negative price or size",
            ST_SYMBOL_LEN - 1, q->symbol);
  } else {
    ST_DEBUG("pricing", "quote for %.*s dropped: %s", ST_SYMBOL_LEN - 1,
             q->symbol, st_strerror(err));
  }
}

st_err st_pricing_get_record(st_pricing *p, const char *symbol,
                             st_pricing_record *out) {
  char sym[ST_SYMBOL_LEN];

  if (st_pricing_symbol_norm(symbol, sym) != ST_OK) {
    return ST_EINVAL;
  }
  return st_pricing_book_get(p->book, sym, out);
}

st_err st_pricing_get(st_pricing *p, const char *symbol, st_quote *out) {
  st_pricing_record r;
  st_err err = st_pricing_get_record(p, symbol, &r);

  if (err == ST_OK) {
    *out = r.quote;
  }
  return err;
}

st_err st_pricing_wait(st_pricing *p, const char *symbol, int64_t after_ns,
                       int64_t deadline_ns, st_quote *out) {
  char sym[ST_SYMBOL_LEN];
  st_pricing_record r;
  st_err err;

  if (st_pricing_symbol_norm(symbol, sym) != ST_OK) {
    return ST_EINVAL;
  }
  err = st_pricing_book_wait(p->book, sym, after_ns, deadline_ns, &r);
  if (err == ST_OK) {
    *out = r.quote;
  }
  return err;
}

st_err st_pricing_fetch(st_pricing *p, const char *const *symbols, size_t n,
                        st_quote *out, st_brokerr *e) {
  char(*syms)[ST_SYMBOL_LEN] = NULL;
  const char **need = NULL; /* Symbols to ask the broker for. */
  size_t *at = NULL;        /* Their rows in out. */
  st_quote *rest = NULL;
  size_t nneed = 0;
  int64_t now = st_now_ns();
  st_err err = ST_OK;

  if (n == 0) {
    return ST_OK;
  }
  syms = st_calloc(n, ST_SYMBOL_LEN);
  need = st_calloc(n, sizeof(*need));
  at = st_calloc(n, sizeof(*at));
  if (syms == NULL || need == NULL || at == NULL) {
    err = ST_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (st_pricing_symbol_norm(symbols[i], syms[i]) != ST_OK) {
      err = ST_EINVAL;
      goto out;
    }
  }
  for (size_t i = 0; i < n; i++) {
    st_pricing_record r;

    if (st_pricing_book_get(p->book, syms[i], &r) == ST_OK) {
      out[i] = r.quote;
      if (now - r.quote.received_ns <= p->fetch_max_age_ns) {
        continue;
      }
    } else {
      memset(&out[i], 0, sizeof(out[i]));
      strcpy(out[i].symbol, syms[i]);
    }
    need[nneed] = syms[i];
    at[nneed++] = i;
  }
  if (nneed == 0) {
    goto out;
  }
  rest = st_calloc(nneed, sizeof(*rest));
  if (rest == NULL) {
    err = ST_ENOMEM;
    goto out;
  }
  err = p->b->ops->latest_quotes(p->b, need, nneed, rest, e);
  if (err != ST_OK) {
    ST_WARN("pricing", "REST quotes for %zu symbols failed: %s", nneed,
            st_strerror(err));
    goto out;
  }
  for (size_t k = 0; k < nneed; k++) {
    st_quote *q = &rest[k];

    if (q->ts_ns == 0) {
      continue; /* No quote at the broker: keep what the book had. */
    }
    strcpy(q->symbol, need[k]);
    q->source = ST_QUOTE_REST;
    if (q->received_ns == 0) {
      q->received_ns = now;
    }
    st_pricing_book_put(p->book, q, now, NULL);
    out[at[k]] = *q;
  }
out:
  st_free(rest);
  st_free(at);
  st_free(need);
  st_free(syms);
  return err;
}

size_t st_pricing_prune(st_pricing *p, int64_t now_ns, int64_t max_age_ns) {
  size_t n = st_pricing_book_prune(p->book, now_ns, max_age_ns);

  if (n > 0) {
    ST_DEBUG("pricing", "pruned %zu stale quotes", n);
  }
  return n;
}

st_err st_pricing_listen(st_pricing *p, const char *const *symbols, size_t n,
                         void (*fn)(void *ud, const st_quote *q), void *ud,
                         int *id) {
  return st_pricing_listeners_add(p->ls, symbols, n, fn, ud, id);
}

st_err st_pricing_unlisten(st_pricing *p, int id) {
  return st_pricing_listeners_remove(p->ls, id);
}
