/* quotes.c - settled.v1.Pricing StreamQuotes: the symbols are subscribed
 * for the stream's lifetime and each quote is sent as it arrives. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "server/api/api.h"
#include "server/api/convert.h"
#include "server/util/alloc.h"
#include "settled/v1/pricing.pb-c.h"

#define MAX_SYMBOLS 30

typedef struct qstream {
  st_api *api;
  st_call *call;
  char owner[48];
  char syms[MAX_SYMBOLS][ST_SYMBOL_LEN];
  const char *ptrs[MAX_SYMBOLS];
  size_t n;
  double priority;
  pthread_mutex_t mu;
  int listen_id; /* 0 when not listening. */
  int done;
  atomic_int holders;
} qstream;

static atomic_ulong next_stream;

static void release(qstream *q) {
  if (atomic_fetch_sub(&q->holders, 1) == 1) {
    st_call_unref(q->call);
    pthread_mutex_destroy(&q->mu);
    st_free(q);
  }
}

/* A quote from the broker's thread: send it; cut off a reader that does
 * not keep up. */
static void on_quote(void *ud, const st_quote *q) {
  qstream *s = ud;
  Settled__V1__Quote m;
  st_quote_strs strs;

  st_quote_to_pb(q, &m, &strs);
  if (st_call_send(s->call, &m.base, 0) == ST_EOVERFLOW) {
    st_call_abort(s->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "quote reader too slow");
  }
}

static void open_stream(st_api *api, st_call *call, const ProtobufCMessage *m) {
  qstream *s = st_call_data(call);
  st_pricing_sub_report rep;
  st_brokerr be;
  int id = 0;

  memset(&rep, 0, sizeof(rep));
  memset(&be, 0, sizeof(be));
  if (st_pricing_subscribe(api->pricing, s->owner, s->ptrs, s->n, s->priority,
                           &rep, &be) != ST_OK) {
    st_call_finish(call, GRPC_STATUS_UNAVAILABLE, "broker: %s", be.message);
    goto out;
  }
  st_pricing_sub_report_free(&rep);
  pthread_mutex_lock(&s->mu);
  if (s->done) {
    /* The stream ended while we subscribed: undo it here. */
    pthread_mutex_unlock(&s->mu);
    st_pricing_unsubscribe_all(api->pricing, s->owner, NULL);
    goto out;
  }
  if (st_pricing_listen(api->pricing, s->ptrs, s->n, on_quote, s, &id) ==
      ST_OK) {
    s->listen_id = id;
  }
  pthread_mutex_unlock(&s->mu);
  /* What the book has now, so a quiet symbol still shows up. */
  for (size_t i = 0; i < s->n; i++) {
    st_quote q;

    if (st_pricing_get(api->pricing, s->syms[i], &q) == ST_OK) {
      on_quote(s, &q);
    }
  }
out:
  release(s);
}

static void close_stream(st_api *api, st_call *call,
                         const ProtobufCMessage *m) {
  qstream *s = st_call_data(call);

  st_pricing_unsubscribe_all(api->pricing, s->owner, NULL);
  release(s);
}

static void on_done(st_call *call, int cancelled, void *ud) {
  st_api *api = ud;
  qstream *s = st_call_data(call);
  int id;

  if (s == NULL) {
    return;
  }
  pthread_mutex_lock(&s->mu);
  s->done = 1;
  id = s->listen_id;
  s->listen_id = 0;
  pthread_mutex_unlock(&s->mu);
  if (id != 0) {
    st_pricing_unlisten(api->pricing, id);
  }
  /* Unsubscribing may call the broker: not on this thread. The deferred
   * job takes over this holder. */
  if (st__api_defer(api, call, NULL, close_stream) != ST_OK) {
    release(s);
  }
}

static void on_stream(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__StreamQuotesRequest *r =
      (const Settled__V1__StreamQuotesRequest *)m;
  st_api *api = ud;
  qstream *s;

  if (r->n_symbols == 0 || r->n_symbols > MAX_SYMBOLS) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "symbols: 1 to %d symbols are needed", MAX_SYMBOLS);
    return;
  }
  if (r->priority != NULL &&
      (r->priority->value < 0 || r->priority->value >= 1000)) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "priority: must be at least 0 and below 1000");
    return;
  }
  s = st_calloc(1, sizeof(*s));
  if (s == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  for (size_t i = 0; i < r->n_symbols; i++) {
    size_t len = strlen(r->symbols[i]);

    if (len < 1 || len > 10) {
      st_free(s);
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "symbols[%zu]: must be 1-10 characters", i);
      return;
    }
    for (size_t k = 0; k < len; k++) {
      s->syms[i][k] = (char)toupper((unsigned char)r->symbols[i][k]);
    }
    s->ptrs[i] = s->syms[i];
  }
  s->n = r->n_symbols;
  s->api = api;
  s->call = call;
  s->priority =
      r->priority != NULL ? r->priority->value : ST_PRICING_RPC_PRIORITY;
  snprintf(s->owner, sizeof(s->owner), "stream:%lu",
           (unsigned long)atomic_fetch_add(&next_stream, 1));
  pthread_mutex_init(&s->mu, NULL);
  atomic_init(&s->holders, 2); /* on_done, and the opening job. */
  st_call_ref(call);
  st_call_set_data(call, s);
  if (st__api_defer(api, call, NULL, open_stream) != ST_OK) {
    release(s);
  }
}

st_err st__api_quotes(st_server *srv, st_api *api) {
  const st_handler h = {.on_call = on_stream, .on_done = on_done};

  return st_server_handle(srv, "settled.v1.Pricing/StreamQuotes", &h, api);
}
