/* event.h - order state changes of the simulator, as the caller sees them.
 *
 * Every change of an order's state produces one event, queued in order of
 * occurrence; the caller drains the queue with st_sim_next_event (sim.h)
 * and turns each event into an Alpaca trade_updates message or an engine
 * callback. An event carries a snapshot of the order after the change and,
 * for fills, the fill's qty and price, a unique execution_id and the
 * position's qty after the fill.
 *
 * Not thread-safe: the queue belongs to one st_sim; callers lock.
 */
#ifndef ST_SIM_EVENT_H
#define ST_SIM_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "server/sim/order.h"
#include "server/sim/rng.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

typedef enum st_sim_event_kind {
  ST_SIM_EV_NEW = 0,      /* Acknowledged: accepted -> new. */
  ST_SIM_EV_FILL,         /* Completely filled. */
  ST_SIM_EV_PARTIAL_FILL, /* Partly filled; the rest keeps working. */
  ST_SIM_EV_CANCELED,
  ST_SIM_EV_EXPIRED,
  ST_SIM_EV_REPLACED, /* The old order of a replace. */
  ST_SIM_EV_REJECTED,
} st_sim_event_kind;

/* One event. Plain value type. */
typedef struct st_sim_event {
  uint64_t seq; /* 1, 2, 3... per simulator, gapless, kept across save. */
  st_sim_event_kind kind;
  int64_t ts_ns;
  st_sim_order order; /* The order after the change. */
  /* Fills and partial fills only ("" and zero otherwise): */
  char execution_id[ST_SIM_UUID_LEN];
  st_dec qty;          /* This fill's qty. */
  st_dec price;        /* This fill's price. */
  st_dec position_qty; /* The symbol's position qty after the fill. */
} st_sim_event;

/* Alpaca's event name: "new", "fill", "partial_fill", "canceled",
 * "expired", "replaced", "rejected". Never NULL ("?" if unknown). */
const char *st_sim_event_kind_name(st_sim_event_kind kind);

/* Internal: a growable FIFO of events owned by an st_sim. */
typedef struct st_sim__evq {
  st_sim_event *buf;
  size_t head; /* Index of the oldest queued event. */
  size_t n;    /* Index one past the newest. */
  size_t cap;
  uint64_t seq; /* Sequence of the last event pushed. */
} st_sim__evq;

/* Internal: assigns the next sequence to *ev and appends a copy of it.
 * ST_ENOMEM. */
st_err st_sim__evq_push(st_sim__evq *q, st_sim_event *ev);

/* Internal: makes room for n more events without allocating in push.
 * ST_ENOMEM. */
st_err st_sim__evq_reserve(st_sim__evq *q, size_t n);

/* Internal: moves the oldest event into *out; ST_ENOTFOUND when empty. */
st_err st_sim__evq_pop(st_sim__evq *q, st_sim_event *out);

/* Internal: number of queued events. */
size_t st_sim__evq_len(const st_sim__evq *q);

/* Internal: frees the queue's memory (the sequence is kept). */
void st_sim__evq_free(st_sim__evq *q);

#endif
