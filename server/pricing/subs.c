/* subs.c - the quote subscription set: symbols claimed by owners with
 * priorities, under a symbol limit. */
#include "server/pricing/subs.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "server/pricing/symbol.h"
#include "server/util/alloc.h"

typedef struct claim {
  char owner[ST_PRICING_OWNER_LEN];
  double prio;
} claim;

typedef struct entry {
  char symbol[ST_SYMBOL_LEN];
  double prio;  /* Max over claims. */
  uint64_t seq; /* Order of subscription: ties evict the oldest first. */
  claim *claims;
  size_t nclaims, cap;
} entry;

struct st_pricing_subs {
  size_t limit;
  entry *e; /* Capacity limit; e[0..n) in the order added. */
  size_t n;
  uint64_t seq;
};

static st_err check_owner(const char *owner) {
  size_t len;

  if (owner == NULL) {
    return ST_EINVAL;
  }
  len = strnlen(owner, ST_PRICING_OWNER_LEN);
  return (len == 0 || len >= ST_PRICING_OWNER_LEN) ? ST_EINVAL : ST_OK;
}

static entry *find(const st_pricing_subs *s, const char *sym) {
  for (size_t i = 0; i < s->n; i++) {
    if (strcmp(s->e[i].symbol, sym) == 0) {
      return &s->e[i];
    }
  }
  return NULL;
}

static void recompute(entry *en) {
  en->prio = en->claims[0].prio;
  for (size_t i = 1; i < en->nclaims; i++) {
    if (en->claims[i].prio > en->prio) {
      en->prio = en->claims[i].prio;
    }
  }
}

/* Adds or raises owner's claim on en. */
static st_err claim_on(entry *en, const char *owner, double prio) {
  for (size_t i = 0; i < en->nclaims; i++) {
    if (strcmp(en->claims[i].owner, owner) == 0) {
      if (prio > en->claims[i].prio) {
        en->claims[i].prio = prio;
      }
      recompute(en);
      return ST_OK;
    }
  }
  if (en->nclaims == en->cap) {
    size_t cap = en->cap == 0 ? 2 : en->cap * 2;
    claim *c = st_realloc(en->claims, cap * sizeof(*c));

    if (c == NULL) {
      return ST_ENOMEM;
    }
    en->claims = c;
    en->cap = cap;
  }
  memset(&en->claims[en->nclaims], 0, sizeof(claim));
  strcpy(en->claims[en->nclaims].owner, owner);
  en->claims[en->nclaims].prio = prio;
  en->nclaims++;
  recompute(en);
  return ST_OK;
}

/* Removes s->e[i], freeing its claims; keeps the order of the rest. */
static void remove_at(st_pricing_subs *s, size_t i) {
  st_free(s->e[i].claims);
  memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(entry));
  s->n--;
}

/* Drops owner's claim from s->e[i]; removes the symbol when no claim is
 * left (and sets *changed). */
static void unclaim_at(st_pricing_subs *s, size_t i, const char *owner,
                       int *changed) {
  entry *en = &s->e[i];

  for (size_t k = 0; k < en->nclaims; k++) {
    if (strcmp(en->claims[k].owner, owner) == 0) {
      memmove(&en->claims[k], &en->claims[k + 1],
              (en->nclaims - k - 1) * sizeof(claim));
      en->nclaims--;
      break;
    }
  }
  if (en->nclaims == 0) {
    remove_at(s, i);
    *changed = 1;
  } else {
    recompute(en);
  }
}

st_err st_pricing_subs_create(size_t limit, st_pricing_subs **out) {
  st_pricing_subs *s;

  *out = NULL;
  if (limit == 0) {
    return ST_EINVAL;
  }
  s = st_calloc(1, sizeof(*s));
  if (s == NULL) {
    return ST_ENOMEM;
  }
  s->e = st_calloc(limit, sizeof(entry));
  if (s->e == NULL) {
    st_free(s);
    return ST_ENOMEM;
  }
  s->limit = limit;
  *out = s;
  return ST_OK;
}

st_err st_pricing_subs_clone(const st_pricing_subs *s, st_pricing_subs **out) {
  st_pricing_subs *c;
  st_err err;

  err = st_pricing_subs_create(s->limit, &c);
  if (err != ST_OK) {
    *out = NULL;
    return err;
  }
  c->seq = s->seq;
  for (size_t i = 0; i < s->n; i++) {
    entry *d = &c->e[i];

    *d = s->e[i];
    d->claims = st_malloc(s->e[i].nclaims * sizeof(claim));
    if (d->claims == NULL) {
      d->nclaims = d->cap = 0;
      c->n = i + 1;
      st_pricing_subs_destroy(c);
      *out = NULL;
      return ST_ENOMEM;
    }
    memcpy(d->claims, s->e[i].claims, s->e[i].nclaims * sizeof(claim));
    d->cap = d->nclaims;
    c->n = i + 1;
  }
  *out = c;
  return ST_OK;
}

void st_pricing_subs_destroy(st_pricing_subs *s) {
  if (s == NULL) {
    return;
  }
  for (size_t i = 0; i < s->n; i++) {
    st_free(s->e[i].claims);
  }
  st_free(s->e);
  st_free(s);
}

/* Appends the claims of en to the eviction list. */
static st_err report_evicted(const entry *en, st_pricing_claim **ev,
                             size_t *nev) {
  st_pricing_claim *c =
      st_realloc(*ev, (*nev + en->nclaims) * sizeof(st_pricing_claim));

  if (c == NULL) {
    return ST_ENOMEM;
  }
  *ev = c;
  for (size_t i = 0; i < en->nclaims; i++) {
    st_pricing_claim *r = &c[(*nev)++];

    memset(r, 0, sizeof(*r));
    strcpy(r->symbol, en->symbol);
    strcpy(r->owner, en->claims[i].owner);
    r->priority = en->claims[i].prio;
  }
  return ST_OK;
}

/* The index of the symbol to evict for a claim at prio: the lowest
 * priority strictly below prio, the oldest among equals; -1 when none. */
static long victim(const st_pricing_subs *s, double prio) {
  long best = -1;

  for (size_t i = 0; i < s->n; i++) {
    const entry *en = &s->e[i];

    if (!(en->prio < prio)) {
      continue;
    }
    if (best < 0 || en->prio < s->e[best].prio ||
        (en->prio == s->e[best].prio && en->seq < s->e[best].seq)) {
      best = (long)i;
    }
  }
  return best;
}

st_err st_pricing_subs_add(st_pricing_subs *s, const char *owner,
                           const char *const *symbols, size_t n,
                           double priority, st_pricing_sub_result *res,
                           st_pricing_claim **evicted, size_t *nevicted,
                           int *changed) {
  size_t *fresh = NULL; /* Indices of symbols not held, first occurrence. */
  size_t nfresh = 0;
  st_err err = ST_OK;

  *evicted = NULL;
  *nevicted = 0;
  *changed = 0;
  if (check_owner(owner) != ST_OK || !isfinite(priority)) {
    return ST_EINVAL;
  }
  if (n > 0) {
    fresh = st_malloc(n * sizeof(*fresh));
    if (fresh == NULL) {
      return ST_ENOMEM;
    }
  }
  /* Symbols already held gain the claim; others wait for a slot. */
  for (size_t i = 0; i < n; i++) {
    st_pricing_sub_result *r = &res[i];
    entry *en;
    int dup = 0;

    memset(r, 0, sizeof(*r));
    if (st_pricing_symbol_norm(symbols[i], r->symbol) != ST_OK) {
      r->status = ST_PRICING_SUB_INVALID;
      continue;
    }
    for (size_t k = 0; k < nfresh && !dup; k++) {
      dup = strcmp(res[fresh[k]].symbol, r->symbol) == 0;
    }
    en = dup ? NULL : find(s, r->symbol);
    if (en != NULL) {
      err = claim_on(en, owner, priority);
      if (err != ST_OK) {
        goto out;
      }
      r->status = ST_PRICING_SUB_KEPT;
    } else if (!dup) {
      fresh[nfresh++] = i;
    }
  }
  /* New symbols: free slots first, then evict strictly lower priorities. */
  for (size_t k = 0; k < nfresh; k++) {
    st_pricing_sub_result *r = &res[fresh[k]];
    entry *en;

    if (s->n == s->limit) {
      long v = victim(s, priority);

      if (v < 0) {
        for (; k < nfresh; k++) {
          res[fresh[k]].status = ST_PRICING_SUB_FULL;
        }
        break;
      }
      err = report_evicted(&s->e[v], evicted, nevicted);
      if (err != ST_OK) {
        goto out;
      }
      remove_at(s, (size_t)v);
    }
    en = &s->e[s->n];
    memset(en, 0, sizeof(*en));
    strcpy(en->symbol, r->symbol);
    en->seq = ++s->seq;
    err = claim_on(en, owner, priority);
    if (err != ST_OK) {
      goto out;
    }
    s->n++;
    r->status = ST_PRICING_SUB_ADDED;
    *changed = 1;
  }
  /* Priorities after the whole bulk (an eviction never hits these), and
   * repeated symbols share the fate of their first occurrence. */
  for (size_t i = 0; i < n; i++) {
    st_pricing_sub_result *r = &res[i];

    if (r->status == ST_PRICING_SUB_INVALID) {
      continue;
    }
    if (st_pricing_subs_priority(s, r->symbol, &r->priority) != ST_OK) {
      r->status = ST_PRICING_SUB_FULL;
      r->priority = 0;
    }
  }
out:
  st_free(fresh);
  if (err != ST_OK) {
    st_free(*evicted);
    *evicted = NULL;
    *nevicted = 0;
  }
  return err;
}

st_err st_pricing_subs_remove(st_pricing_subs *s, const char *owner,
                              const char *const *symbols, size_t n,
                              int *changed) {
  char sym[ST_SYMBOL_LEN];

  *changed = 0;
  if (check_owner(owner) != ST_OK) {
    return ST_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if (st_pricing_symbol_norm(symbols[i], sym) != ST_OK) {
      return ST_EINVAL;
    }
  }
  for (size_t i = 0; i < n; i++) {
    entry *en;

    st_pricing_symbol_norm(symbols[i], sym);
    en = find(s, sym);
    if (en != NULL) {
      unclaim_at(s, (size_t)(en - s->e), owner, changed);
    }
  }
  return ST_OK;
}

st_err st_pricing_subs_remove_owner(st_pricing_subs *s, const char *owner,
                                    int *changed) {
  *changed = 0;
  if (check_owner(owner) != ST_OK) {
    return ST_EINVAL;
  }
  for (size_t i = s->n; i > 0; i--) {
    unclaim_at(s, i - 1, owner, changed);
  }
  return ST_OK;
}

size_t st_pricing_subs_count(const st_pricing_subs *s) {
  return s->n;
}

size_t st_pricing_subs_limit(const st_pricing_subs *s) {
  return s->limit;
}

const char *st_pricing_subs_symbol(const st_pricing_subs *s, size_t i) {
  return i < s->n ? s->e[i].symbol : NULL;
}

st_err st_pricing_subs_priority(const st_pricing_subs *s, const char *symbol,
                                double *priority) {
  const entry *en = find(s, symbol);

  if (en == NULL) {
    return ST_ENOTFOUND;
  }
  *priority = en->prio;
  return ST_OK;
}

st_err st_pricing_subs_claims(const st_pricing_subs *s, st_pricing_claim **out,
                              size_t *n) {
  size_t total = 0, k = 0;
  st_pricing_claim *c;

  *out = NULL;
  *n = 0;
  for (size_t i = 0; i < s->n; i++) {
    total += s->e[i].nclaims;
  }
  if (total == 0) {
    return ST_OK;
  }
  c = st_calloc(total, sizeof(*c));
  if (c == NULL) {
    return ST_ENOMEM;
  }
  for (size_t i = 0; i < s->n; i++) {
    for (size_t j = 0; j < s->e[i].nclaims; j++, k++) {
      strcpy(c[k].symbol, s->e[i].symbol);
      strcpy(c[k].owner, s->e[i].claims[j].owner);
      c[k].priority = s->e[i].claims[j].prio;
    }
  }
  *out = c;
  *n = total;
  return ST_OK;
}
