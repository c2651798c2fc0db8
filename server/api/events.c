/* events.c - settled.v1.Executor SubscribeEvents and WatchExecution: the
 * journal first, then live from the hub, with no gap and no duplicate. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <grpc/slice.h>

#include "server/api/api.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"
#include "settled/v1/execution.pb-c.h"

#define MAX_TYPES 32
#define CATCHUP_BATCH 256

/* One SubscribeEvents or WatchExecution stream. Two holders: the call's
 * on_done and the catch-up job; the hub holds none (on_done leaves it
 * before releasing). */
typedef struct sub {
  st_api *api;
  st_call *call;
  pthread_mutex_t mu;
  char types[MAX_TYPES][64];
  size_t ntypes;
  char plan_id[72];
  char correlation_id[136];
  int watch;           /* WatchExecution: ends with the execution. */
  uint64_t cursor;     /* Every event <= cursor was sent or skipped. */
  uint64_t hub_id;     /* Non-zero while live. */
  int done;            /* on_done ran. */
  atomic_int finished; /* The stream was ended by us. */
  atomic_int holders;
} sub;

static void release(sub *s) {
  if (atomic_fetch_sub(&s->holders, 1) == 1) {
    st_call_unref(s->call);
    pthread_mutex_destroy(&s->mu);
    st_free(s);
  }
}

static int matches(const sub *s, const char *type, const char *plan,
                   const char *corr) {
  if (s->plan_id[0] != '\0' && strcmp(s->plan_id, plan) != 0) {
    return 0;
  }
  if (s->correlation_id[0] != '\0' && strcmp(s->correlation_id, corr) != 0) {
    return 0;
  }
  if (s->ntypes == 0) {
    return 1;
  }
  for (size_t i = 0; i < s->ntypes; i++) {
    if (strcmp(s->types[i], type) == 0) {
      return 1;
    }
  }
  return 0;
}

/* After the last event of a watched execution: end the stream OK. */
static int ends_watch(const sub *s, const char *type) {
  return s->watch && strcmp(type, "TradeExecuted") == 0;
}

static void too_slow(sub *s) {
  atomic_store(&s->finished, 1);
  st_call_abort_with_last(s->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                          "subscriber too slow: resume after sequence %llu");
}

/* Live delivery, on the engine's thread under the hub's lock. */
static int deliver(void *ud, const st_hub_msg *m) {
  sub *s = ud;
  st_err err;

  if (m->seq <= s->cursor ||
      !matches(s, m->type, m->plan_id, m->correlation_id)) {
    return 0;
  }
  err = st_call_send_slice(s->call, *(grpc_slice *)m->payload, m->seq);
  if (err == ST_EOVERFLOW) {
    too_slow(s);
    return 1;
  }
  if (err != ST_OK) {
    return 1; /* The call is over. */
  }
  if (ends_watch(s, m->type)) {
    atomic_store(&s->finished, 1);
    st_call_finish(s->call, GRPC_STATUS_OK, NULL);
    return 1;
  }
  return 0;
}

void st_api_publish(void *ud, const Settled__V1__Event *ev, const uint8_t *body,
                    size_t len) {
  st_api *api = ud;
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)body, len);
  st_hub_msg m;

  m.seq = ev->sequence;
  m.type = ev->event_type;
  m.plan_id = ev->plan_id;
  m.correlation_id = ev->correlation_id;
  m.payload = &slice;
  st_hub_publish(api->hub, &m);
  grpc_slice_unref(slice);
}

typedef struct batch {
  sub *s;
  int stop; /* The stream ended (finished, too slow, gone). */
  uint64_t scanned;
} batch;

/* Sends one journaled event if it matches; waits while the stream's queue
 * is full (the catch-up runs on a pool thread and may wait). */
static int send_row(void *ud, const st_event_row *row) {
  batch *b = ud;
  sub *s = b->s;
  grpc_slice slice;
  st_err err;

  b->scanned = row->seq;
  if (!matches(s, row->type, row->plan_id, row->correlation_id)) {
    return 0;
  }
  slice = grpc_slice_from_copied_buffer((const char *)row->body, row->len);
  for (;;) {
    err = st_call_send_slice(s->call, slice, row->seq);
    if (err != ST_EOVERFLOW) {
      break;
    }
    if (st_call_is_done(s->call)) {
      break;
    }
    st_sleep_ms(2); /* Let the client read. */
  }
  grpc_slice_unref(slice);
  if (err != ST_OK) {
    b->stop = 1;
    return 1;
  }
  if (ends_watch(s, row->type)) {
    atomic_store(&s->finished, 1);
    st_call_finish(s->call, GRPC_STATUS_OK, NULL);
    b->stop = 1;
    return 1;
  }
  return 0;
}

/* Reads and sends what the journal holds after the cursor; returns 1 when
 * something was read, 0 when nothing, -1 when the stream is over. */
static int read_more(st_api *api, sub *s) {
  batch b = {s, 0, s->cursor};
  st_err err;

  err = st_journal_read(api->journal, s->cursor, CATCHUP_BATCH,
                        s->watch ? s->plan_id : NULL, send_row, &b, NULL);
  if (err != ST_OK) {
    st_call_abort(s->call, GRPC_STATUS_INTERNAL, "cannot read the journal");
    return -1;
  }
  if (b.stop) {
    return -1;
  }
  if (b.scanned > s->cursor) {
    s->cursor = b.scanned;
    return 1;
  }
  return 0;
}

/* The catch-up job: the journal from the cursor, then the hub. */
static void catch_up(st_api *api, st_call *call, const ProtobufCMessage *m) {
  sub *s = st_call_data(call);

  while (!st_call_is_done(call)) {
    uint64_t target;
    int rc;
    st_err err;

    rc = read_more(api, s);
    if (rc < 0) {
      break;
    }
    if (rc > 0) {
      continue;
    }
    /* Events are committed before they are published: once nothing more
     * is in the journal after the cursor, nothing up to the hub's last
     * sequence is missing, so the cursor may move there. Read once more
     * after taking the hub's mark to close the race with a new event. */
    target = st_hub_last(api->hub);
    rc = read_more(api, s);
    if (rc < 0) {
      break;
    }
    if (rc > 0) {
      continue;
    }
    if (target > s->cursor) {
      s->cursor = target;
    }
    pthread_mutex_lock(&s->mu);
    if (s->done) {
      pthread_mutex_unlock(&s->mu);
      break;
    }
    err = st_hub_join(api->hub, s->cursor, deliver, s, &s->hub_id);
    pthread_mutex_unlock(&s->mu);
    if (err == ST_OK) {
      break;
    }
    if (err != ST_EPRECOND) {
      st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    /* Published meanwhile: read it, then join. */
  }
  release(s);
}

static void on_done(st_call *call, int cancelled, void *ud) {
  st_api *api = ud;
  sub *s = st_call_data(call);
  uint64_t id;

  if (s == NULL) {
    return;
  }
  pthread_mutex_lock(&s->mu);
  s->done = 1;
  id = s->hub_id;
  pthread_mutex_unlock(&s->mu);
  if (id != 0) {
    st_hub_leave(api->hub, id);
  }
  release(s);
}

static sub *sub_new(st_api *api, st_call *call) {
  sub *s = st_calloc(1, sizeof(*s));

  if (s == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  s->api = api;
  s->call = call;
  pthread_mutex_init(&s->mu, NULL);
  atomic_init(&s->holders, 1);
  st_call_ref(call);
  st_call_set_data(call, s);
  return s;
}

/* Starts the catch-up of s (second holder). */
static void start(st_api *api, st_call *call, sub *s) {
  atomic_fetch_add(&s->holders, 1);
  if (st__api_defer(api, call, NULL, catch_up) != ST_OK) {
    release(s);
  }
}

static void on_subscribe(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__SubscribeEventsRequest *r =
      (const Settled__V1__SubscribeEventsRequest *)m;
  st_api *api = ud;
  sub *s;
  uint64_t pruned = st_journal_pruned_seq(api->journal);

  if (r->n_event_types > MAX_TYPES) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "event_types: more than %d types", MAX_TYPES);
    return;
  }
  for (size_t i = 0; i < r->n_event_types; i++) {
    size_t n = strlen(r->event_types[i]);

    if (n == 0 || n >= 64) {
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "event_types[%zu]: must be a payload message name such "
                     "as \"BulkSettlementCompleted\"",
                     i);
      return;
    }
  }
  if (strlen(r->plan_id) > 64 || strlen(r->correlation_id) > 128) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "%s: too long",
                   strlen(r->plan_id) > 64 ? "plan_id" : "correlation_id");
    return;
  }
  if (r->start_case ==
          SETTLED__V1__SUBSCRIBE_EVENTS_REQUEST__START_AFTER_SEQUENCE &&
      r->after_sequence < pruned) {
    st_call_finish(call, GRPC_STATUS_OUT_OF_RANGE,
                   "after_sequence %llu is older than the retained history; "
                   "the oldest sequence held is %llu",
                   (unsigned long long)r->after_sequence,
                   (unsigned long long)st_journal_oldest_seq(api->journal));
    return;
  }
  if (r->start_case ==
          SETTLED__V1__SUBSCRIBE_EVENTS_REQUEST__START_AFTER_SEQUENCE &&
      r->after_sequence > st_hub_last(api->hub)) {
    /* No sequence above the newest was ever handed out: this client saw
     * another journal (a data directory replaced). Say so rather than skip
     * events silently. */
    st_call_finish(call, GRPC_STATUS_OUT_OF_RANGE,
                   "after_sequence %llu is beyond the newest event %llu",
                   (unsigned long long)r->after_sequence,
                   (unsigned long long)st_hub_last(api->hub));
    return;
  }
  s = sub_new(api, call);
  if (s == NULL) {
    return;
  }
  for (size_t i = 0; i < r->n_event_types; i++) {
    snprintf(s->types[s->ntypes++], 64, "%s", r->event_types[i]);
  }
  snprintf(s->plan_id, sizeof(s->plan_id), "%s", r->plan_id);
  snprintf(s->correlation_id, sizeof(s->correlation_id), "%s",
           r->correlation_id);
  switch (r->start_case) {
    case SETTLED__V1__SUBSCRIBE_EVENTS_REQUEST__START_AFTER_SEQUENCE:
      s->cursor = r->after_sequence;
      break;
    case SETTLED__V1__SUBSCRIBE_EVENTS_REQUEST__START_FROM_OLDEST:
      s->cursor = pruned;
      break;
    default: /* Only new events. */
      s->cursor = st_hub_last(api->hub);
      break;
  }
  /* Where the stream starts, so a client that loses it before its first
   * event can resume from here instead of "only new" again. */
  {
    char cur[32];

    snprintf(cur, sizeof(cur), "%llu", (unsigned long long)s->cursor);
    st_call_add_header(call, "settled-start-after", cur);
  }
  start(api, call, s);
}

static void on_watch(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__WatchExecutionRequest *r =
      (const Settled__V1__WatchExecutionRequest *)m;
  st_api *api = ud;
  uint8_t *res = NULL;
  size_t len = 0;
  sub *s;

  if (r->plan_id[0] == '\0' || strlen(r->plan_id) > 64) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "plan_id: %s",
                   r->plan_id[0] ? "more than 64 characters" : "missing");
    return;
  }
  if (st_engine_get(api->engine, r->plan_id, &res, &len) != ST_OK) {
    st_call_finish(call, GRPC_STATUS_NOT_FOUND, "no execution for plan_id %s",
                   r->plan_id);
    return;
  }
  st_free(res);
  s = sub_new(api, call);
  if (s == NULL) {
    return;
  }
  snprintf(s->plan_id, sizeof(s->plan_id), "%s", r->plan_id);
  s->watch = 1;
  s->cursor = 0; /* From the execution's start. */
  start(api, call, s);
}

st_err st__api_events(st_server *srv, st_api *api) {
  const st_handler subscribe_h = {.on_call = on_subscribe, .on_done = on_done};
  const st_handler watch_h = {.on_call = on_watch, .on_done = on_done};
  st_err err;

  if ((err = st_server_handle(srv, "settled.v1.Executor/SubscribeEvents",
                              &subscribe_h, api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Executor/WatchExecution",
                              &watch_h, api)) != ST_OK) {
    return err;
  }
  return ST_OK;
}
