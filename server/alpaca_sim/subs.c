/* subs.c - the subscription set of a market-data stream connection. */
#include "server/alpaca_sim/subs.h"

#include <string.h>

#include "server/util/alloc.h"

static const char *const names[ST_ASIM_CH_COUNT] = {
    "trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds",
};

const char *st_asim_subs_channel_name(st_asim_channel ch) {
  return ch < ST_ASIM_CH_COUNT ? names[ch] : "?";
}

static long find(const st_asim_symlist *l, const char *sym) {
  for (size_t i = 0; i < l->n; i++) {
    if (strcmp(l->s[i], sym) == 0) {
      return (long)i;
    }
  }
  return -1;
}

st_err st_asim_subs_add(st_asim_subs *s, st_asim_channel ch, const char *sym) {
  st_asim_symlist *l = &s->ch[ch];
  size_t len = strlen(sym);

  if (len == 0 || len >= ST_ASIM_SUB_SYM_LEN) {
    return ST_EINVAL;
  }
  if (find(l, sym) >= 0) {
    return ST_OK;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    void *p = st_realloc(l->s, cap * sizeof(*l->s));

    if (p == NULL) {
      return ST_ENOMEM;
    }
    l->s = p;
    l->cap = cap;
  }
  memcpy(l->s[l->n], sym, len + 1);
  l->n++;
  return ST_OK;
}

void st_asim_subs_remove(st_asim_subs *s, st_asim_channel ch, const char *sym) {
  st_asim_symlist *l = &s->ch[ch];
  long i = find(l, sym);

  if (i < 0) {
    return;
  }
  memmove(l->s[i], l->s[i + 1], (l->n - (size_t)i - 1) * sizeof(*l->s));
  l->n--;
}

int st_asim_subs_has(const st_asim_subs *s, st_asim_channel ch,
                     const char *sym) {
  return find(&s->ch[ch], sym) >= 0 || find(&s->ch[ch], "*") >= 0;
}

size_t st_asim_subs_symbol_count(const st_asim_subs *s) {
  const st_asim_symlist *t = &s->ch[ST_ASIM_CH_TRADES];
  const st_asim_symlist *q = &s->ch[ST_ASIM_CH_QUOTES];
  size_t n = t->n;

  for (size_t i = 0; i < q->n; i++) {
    if (find(t, q->s[i]) < 0) {
      n++;
    }
  }
  return n;
}

st_err st_asim_subs_copy(st_asim_subs *dst, const st_asim_subs *src) {
  memset(dst, 0, sizeof(*dst));
  for (int c = 0; c < ST_ASIM_CH_COUNT; c++) {
    for (size_t i = 0; i < src->ch[c].n; i++) {
      if (st_asim_subs_add(dst, (st_asim_channel)c, src->ch[c].s[i]) != ST_OK) {
        st_asim_subs_free(dst);
        return ST_ENOMEM;
      }
    }
  }
  return ST_OK;
}

void st_asim_subs_free(st_asim_subs *s) {
  for (int c = 0; c < ST_ASIM_CH_COUNT; c++) {
    st_free(s->ch[c].s);
  }
  memset(s, 0, sizeof(*s));
}

/* Adds the list l to j as an array named name. */
static int add_list(cJSON *j, const char *name, const st_asim_symlist *l) {
  cJSON *a = cJSON_AddArrayToObject(j, name);

  if (a == NULL) {
    return 0;
  }
  for (size_t i = 0; i < l->n; i++) {
    cJSON *s = cJSON_CreateString(l->s[i]);

    if (s == NULL || !cJSON_AddItemToArray(a, s)) {
      cJSON_Delete(s);
      return 0;
    }
  }
  return 1;
}

cJSON *st_asim_subs_json(const st_asim_subs *s) {
  cJSON *j = cJSON_CreateObject();
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddStringToObject(j, "T", "subscription") != NULL;
  for (int c = 0; c < ST_ASIM_CH_COUNT; c++) {
    ok &= add_list(j, names[c], &s->ch[c]);
  }
  ok &= add_list(j, "corrections", &s->ch[ST_ASIM_CH_TRADES]);
  ok &= add_list(j, "cancelErrors", &s->ch[ST_ASIM_CH_TRADES]);
  if (!ok) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}
