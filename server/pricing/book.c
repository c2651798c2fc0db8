/* book.c - the quote book: the latest quote per symbol, with waiters. */
#include "server/pricing/book.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "server/pricing/symbol.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"

struct st_pricing_book {
  pthread_mutex_t mu;
  pthread_cond_t cv;    /* Broadcast on every put and on shutdown. */
  st_pricing_record *r; /* Sorted by symbol. */
  size_t n, cap;
  int closed;
};

/* Binary search under mu: the index of symbol, or where it would go
 * (with *found = 0). */
static size_t search(const st_pricing_book *b, const char *sym, int *found) {
  size_t lo = 0, hi = b->n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(b->r[mid].quote.symbol, sym);

    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = 0;
  return lo;
}

st_err st_pricing_book_create(st_pricing_book **out) {
  st_pricing_book *b = st_calloc(1, sizeof(*b));

  *out = NULL;
  if (b == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  *out = b;
  return ST_OK;
}

void st_pricing_book_destroy(st_pricing_book *b) {
  if (b == NULL) {
    return;
  }
  pthread_cond_destroy(&b->cv);
  pthread_mutex_destroy(&b->mu);
  st_free(b->r);
  st_free(b);
}

st_err st_pricing_book_put(st_pricing_book *b, const st_quote *q,
                           int64_t now_ns, st_quote *stored) {
  st_quote c = *q;
  st_pricing_record *r;
  size_t i;
  int found;
  st_err err = ST_OK;

  if (st_pricing_symbol_norm(q->symbol, c.symbol) != ST_OK ||
      st_dec_is_neg(q->bid) || st_dec_is_neg(q->ask) ||
      st_dec_is_neg(q->bid_size) || st_dec_is_neg(q->ask_size) ||
      (st_dec_is_zero(q->bid) && st_dec_is_zero(q->ask))) {
    return ST_EINVAL;
  }
  if (c.received_ns == 0) {
    c.received_ns = now_ns;
  }
  pthread_mutex_lock(&b->mu);
  i = search(b, c.symbol, &found);
  if (found) {
    r = &b->r[i];
    if (c.ts_ns != 0 && r->quote.ts_ns != 0 && c.ts_ns < r->quote.ts_ns) {
      err = ST_ERANGE;
      goto out;
    }
  } else {
    if (b->n == b->cap) {
      size_t cap = b->cap == 0 ? 32 : b->cap * 2;
      st_pricing_record *nr = st_realloc(b->r, cap * sizeof(*nr));

      if (nr == NULL) {
        err = ST_ENOMEM;
        goto out;
      }
      b->r = nr;
      b->cap = cap;
    }
    memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(*b->r));
    b->n++;
    r = &b->r[i];
    memset(r, 0, sizeof(*r));
  }
  r->quote = c;
  if (st_dec_is_pos(c.bid)) {
    r->bid = c.bid;
    r->bid_size = c.bid_size;
    r->bid_received_ns = c.received_ns;
  }
  if (st_dec_is_pos(c.ask)) {
    r->ask = c.ask;
    r->ask_size = c.ask_size;
    r->ask_received_ns = c.received_ns;
  }
  pthread_cond_broadcast(&b->cv);
out:
  pthread_mutex_unlock(&b->mu);
  if (err == ST_OK && stored != NULL) {
    *stored = c;
  }
  return err;
}

st_err st_pricing_book_get(st_pricing_book *b, const char *symbol,
                           st_pricing_record *out) {
  size_t i;
  int found;

  pthread_mutex_lock(&b->mu);
  i = search(b, symbol, &found);
  if (found) {
    *out = b->r[i];
  }
  pthread_mutex_unlock(&b->mu);
  return found ? ST_OK : ST_ENOTFOUND;
}

st_err st_pricing_book_wait(st_pricing_book *b, const char *symbol,
                            int64_t after_ns, int64_t deadline_ns,
                            st_pricing_record *out) {
  struct timespec ts;
  st_err err;

  ts.tv_sec = (time_t)(deadline_ns / ST_NS_PER_SEC);
  ts.tv_nsec = (long)(deadline_ns % ST_NS_PER_SEC);
  pthread_mutex_lock(&b->mu);
  for (;;) {
    int found;
    size_t i = search(b, symbol, &found);
    int rc;

    if (found && b->r[i].quote.received_ns > after_ns) {
      *out = b->r[i];
      err = ST_OK;
      break;
    }
    if (b->closed) {
      err = ST_ECANCELED;
      break;
    }
    if (deadline_ns == 0) {
      pthread_cond_wait(&b->cv, &b->mu);
      continue;
    }
    rc = pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    if (rc == ETIMEDOUT) {
      /* One last look: a put may have raced the timeout. */
      i = search(b, symbol, &found);
      if (found && b->r[i].quote.received_ns > after_ns) {
        *out = b->r[i];
        err = ST_OK;
      } else {
        err = ST_ETIMEDOUT;
      }
      break;
    }
  }
  pthread_mutex_unlock(&b->mu);
  return err;
}

size_t st_pricing_book_prune(st_pricing_book *b, int64_t now_ns,
                             int64_t max_age_ns) {
  size_t k = 0, dropped;
  int64_t cutoff = now_ns - max_age_ns;

  pthread_mutex_lock(&b->mu);
  for (size_t i = 0; i < b->n; i++) {
    if (b->r[i].quote.received_ns >= cutoff) {
      b->r[k++] = b->r[i];
    }
  }
  dropped = b->n - k;
  b->n = k;
  pthread_mutex_unlock(&b->mu);
  return dropped;
}

size_t st_pricing_book_count(st_pricing_book *b) {
  size_t n;

  pthread_mutex_lock(&b->mu);
  n = b->n;
  pthread_mutex_unlock(&b->mu);
  return n;
}

void st_pricing_book_shutdown(st_pricing_book *b) {
  pthread_mutex_lock(&b->mu);
  b->closed = 1;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}
