/* hub.h - live fan-out of committed events to subscribers.
 *
 * The engine publishes each event after it is committed to the journal, in
 * sequence order, from one thread. A subscriber first catches up from the
 * journal, then joins the hub at the sequence it has reached; joining is
 * refused while the hub is ahead of it, so the switch from journal to live
 * has no gap and no duplicate.
 *
 * The hub knows nothing of gRPC: a message's payload is opaque to it (the
 * api layer passes a shared, reference-counted slice).
 */
#ifndef ST_EVENTS_HUB_H
#define ST_EVENTS_HUB_H

#include <stdint.h>

#include "server/util/err.h"

typedef struct st_hub st_hub;

/* One published event. Everything is valid during delivery only. */
typedef struct st_hub_msg {
  uint64_t seq;
  const char *type;    /* Payload message name. */
  const char *plan_id; /* "" for server events. */
  const char *correlation_id;
  void *payload; /* Opaque to the hub. */
} st_hub_msg;

/* Delivers m to a subscriber. Runs on the publisher's thread under the
 * hub's lock: it must not block, and must not call st_hub_join or
 * st_hub_leave. Returns 0 to stay subscribed, non-zero to be dropped (the
 * hub then never calls it again). */
typedef int (*st_hub_fn)(void *ud, const st_hub_msg *m);

/* Creates a hub whose last published sequence is `last` (the journal's
 * high-water mark at start). *out is owned by the caller (st_hub_free). */
st_err st_hub_create(uint64_t last, st_hub **out);

/* Frees h; every subscriber must have left. */
void st_hub_free(st_hub *h);

/* The sequence of the last event published. */
uint64_t st_hub_last(st_hub *h);

/* Publishes m to every subscriber and records m->seq as the last. */
void st_hub_publish(st_hub *h, const st_hub_msg *m);

/* Joins a subscriber that has seen everything up to `cursor`. ST_EPRECOND
 * when events after cursor were already published (catch up from the
 * journal, then try again). On success *id names the subscription. */
st_err st_hub_join(st_hub *h, uint64_t cursor, st_hub_fn fn, void *ud,
                   uint64_t *id);

/* Removes subscription id (unknown ids are ignored). When it returns, fn is
 * not running and will not run again. */
void st_hub_leave(st_hub *h, uint64_t id);

/* Number of live subscribers. */
size_t st_hub_count(st_hub *h);

#endif
