/* event.c - event names and the simulator's event FIFO. */
#include "server/sim/event.h"

#include <string.h>

#include "server/util/alloc.h"

const char *st_sim_event_kind_name(st_sim_event_kind kind) {
  switch (kind) {
    case ST_SIM_EV_NEW:
      return "new";
    case ST_SIM_EV_FILL:
      return "fill";
    case ST_SIM_EV_PARTIAL_FILL:
      return "partial_fill";
    case ST_SIM_EV_CANCELED:
      return "canceled";
    case ST_SIM_EV_EXPIRED:
      return "expired";
    case ST_SIM_EV_REPLACED:
      return "replaced";
    case ST_SIM_EV_REJECTED:
      return "rejected";
  }
  return "?";
}

st_err st_sim__evq_reserve(st_sim__evq *q, size_t n) {
  size_t cap;
  st_sim_event *p;

  if (q->cap - q->n >= n) {
    return ST_OK;
  }
  if (q->head > 0) {
    /* Reuse the drained front before growing. */
    memmove(q->buf, q->buf + q->head, (q->n - q->head) * sizeof(*q->buf));
    q->n -= q->head;
    q->head = 0;
    if (q->cap - q->n >= n) {
      return ST_OK;
    }
  }
  cap = q->cap == 0 ? 32 : q->cap;
  while (cap - q->n < n) {
    cap *= 2;
  }
  p = st_realloc(q->buf, cap * sizeof(*p));
  if (p == NULL) {
    return ST_ENOMEM;
  }
  q->buf = p;
  q->cap = cap;
  return ST_OK;
}

st_err st_sim__evq_push(st_sim__evq *q, st_sim_event *ev) {
  st_err rv = st_sim__evq_reserve(q, 1);

  if (rv != ST_OK) {
    return rv;
  }
  ev->seq = ++q->seq;
  q->buf[q->n++] = *ev;
  return ST_OK;
}

st_err st_sim__evq_pop(st_sim__evq *q, st_sim_event *out) {
  if (q->head == q->n) {
    return ST_ENOTFOUND;
  }
  *out = q->buf[q->head++];
  if (q->head == q->n) {
    q->head = 0;
    q->n = 0;
  }
  return ST_OK;
}

size_t st_sim__evq_len(const st_sim__evq *q) {
  return q->n - q->head;
}

void st_sim__evq_free(st_sim__evq *q) {
  st_free(q->buf);
  q->buf = NULL;
  q->head = 0;
  q->n = 0;
  q->cap = 0;
}
