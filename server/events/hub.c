/* hub.c - live fan-out of committed events. */
#include "server/events/hub.h"

#include <pthread.h>

#include "server/util/alloc.h"

typedef struct member {
  uint64_t id;
  st_hub_fn fn;
  void *ud;
  struct member *next;
} member;

struct st_hub {
  pthread_mutex_t mu;
  uint64_t last;
  uint64_t next_id;
  member *members;
  size_t n;
};

st_err st_hub_create(uint64_t last, st_hub **out) {
  st_hub *h = st_calloc(1, sizeof(*h));

  *out = NULL;
  if (h == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_init(&h->mu, NULL);
  h->last = last;
  *out = h;
  return ST_OK;
}

void st_hub_free(st_hub *h) {
  member *m, *next;

  if (h == NULL) {
    return;
  }
  for (m = h->members; m != NULL; m = next) {
    next = m->next;
    st_free(m);
  }
  pthread_mutex_destroy(&h->mu);
  st_free(h);
}

uint64_t st_hub_last(st_hub *h) {
  uint64_t v;

  pthread_mutex_lock(&h->mu);
  v = h->last;
  pthread_mutex_unlock(&h->mu);
  return v;
}

void st_hub_publish(st_hub *h, const st_hub_msg *msg) {
  member **pm;

  pthread_mutex_lock(&h->mu);
  if (msg->seq > h->last) {
    h->last = msg->seq;
  }
  pm = &h->members;
  while (*pm != NULL) {
    member *m = *pm;

    if (m->fn(m->ud, msg) != 0) {
      *pm = m->next;
      h->n--;
      st_free(m);
    } else {
      pm = &m->next;
    }
  }
  pthread_mutex_unlock(&h->mu);
}

st_err st_hub_join(st_hub *h, uint64_t cursor, st_hub_fn fn, void *ud,
                   uint64_t *id) {
  member *m;

  pthread_mutex_lock(&h->mu);
  if (h->last > cursor) {
    pthread_mutex_unlock(&h->mu);
    return ST_EPRECOND;
  }
  m = st_calloc(1, sizeof(*m));
  if (m == NULL) {
    pthread_mutex_unlock(&h->mu);
    return ST_ENOMEM;
  }
  m->id = ++h->next_id;
  m->fn = fn;
  m->ud = ud;
  m->next = h->members;
  h->members = m;
  h->n++;
  *id = m->id;
  pthread_mutex_unlock(&h->mu);
  return ST_OK;
}

void st_hub_leave(st_hub *h, uint64_t id) {
  pthread_mutex_lock(&h->mu);
  for (member **pm = &h->members; *pm != NULL; pm = &(*pm)->next) {
    if ((*pm)->id == id) {
      member *m = *pm;

      *pm = m->next;
      h->n--;
      st_free(m);
      break;
    }
  }
  pthread_mutex_unlock(&h->mu);
}

size_t st_hub_count(st_hub *h) {
  size_t n;

  pthread_mutex_lock(&h->mu);
  n = h->n;
  pthread_mutex_unlock(&h->mu);
  return n;
}
