/* alpaca_internal.h - the adapter's state shared by alpaca*.c; not an API. */
#ifndef ST_BROKER_ALPACA_INTERNAL_H
#define ST_BROKER_ALPACA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/broker/alpaca.h"
#include "server/broker/broker.h"
#include "server/broker/http.h"
#include "server/broker/order_cache.h"
#include "server/broker/ratelimit.h"

typedef struct st_alpaca_streams st_alpaca_streams;

typedef struct st_alpaca {
  st_broker base; /* First: an st_broker * is an st_alpaca *. */

  /* Configuration (owned copies). */
  char *key_id, *secret_key;
  char *base_url, *data_url, *stream_url, *data_stream_url, *feed;
  int max_attempts;
  int64_t backoff_base_ns, backoff_cap_ns, rate_wait_max_ns;
  int64_t reconnect_base_ms, reconnect_cap_ms, reconcile_margin_ns;
  int no_streams;
  int64_t created_ns; /* Wall clock at creation. */

  st_http *http;
  st_ratelimit *rl;
  st_ocache *ocache;

  /* Shutdown and interruptible sleeps (CLOCK_MONOTONIC condvar). */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stopping; /* Under mu. */
  uint64_t rng; /* Under mu: jitter. */
  int started;  /* Under mu. */

  /* Callbacks, set by start; deliveries hold deliver_mu. */
  st_broker_cbs cbs;
  pthread_mutex_t deliver_mu;

  st_alpaca_streams *streams;

  /* Assets change rarely: each symbol is asked for at most once per
   * ASSET_TTL (under mu). */
  struct {
    st_asset asset;
    int64_t at_ns; /* Monotonic time of the lookup; 0: free slot. */
  } assets[64];

  /* The reconciliation worker. */
  pthread_t rc_thread;
  int rc_running;
  pthread_cond_t rc_cv; /* Under mu. */
  int rc_pending;       /* Under mu. */
  int64_t rc_after_ns;  /* Under mu. */
} st_alpaca;

/* Request flags. */
#define ST_ALPACA__DATA 1u /* Market Data API (data_url), not trading. */
#define ST_ALPACA__ONCE 2u /* Not idempotent: no retry after 5xx/timeout. */

/* alpaca_rest.c: one REST call with rate limiting, retries and error
 * mapping. path starts with "/" and is already escaped; body is JSON or
 * NULL. On ST_OK, *out (if out is not NULL) is the parsed body (NULL for an
 * empty body, e.g. 204), freed by the caller with cJSON_Delete. On failure
 * *e describes it (e may be NULL). */
st_err st_alpaca__request(st_alpaca *a, const char *method, const char *path,
                          const char *body, unsigned flags, cJSON **out,
                          st_brokerr *e);

/* Sleeps ns unless the adapter is stopping (then ST_ECANCELED). */
st_err st_alpaca__sleep(st_alpaca *a, int64_t ns);

/* The jittered exponential delay before retry number attempt (1-based). */
int64_t st_alpaca__backoff_ns(st_alpaca *a, int attempt);

/* Wall-clock and monotonic time in ns. */
int64_t st_alpaca__real_ns(void);
int64_t st_alpaca__mono_ns(void);

/* Fills e (if not NULL) with a local failure: no HTTP status, our text. */
st_err st_alpaca__fail(st_brokerr *e, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Percent-encodes s into dst (cap bytes); ST_EINVAL if it does not fit. */
st_err st_alpaca__escape(const char *s, char *dst, size_t cap);

/* alpaca.c: passes u through the order cache and, if admitted, to
 * cbs.on_trade_update, in one critical section. Any thread. */
void st_alpaca__deliver(st_alpaca *a, const st_trade_update *u);

/* alpaca.c: list orders, oldest first when asc (for reconciliation). */
st_err st_alpaca__list_orders(st_alpaca *a, const st_order_query *q, int asc,
                              st_order **out, size_t *n, st_brokerr *e);

/* alpaca_reconcile.c: the worker thread. start/stop from create/destroy;
 * request from any thread (requests coalesce to the earliest after_ns). */
st_err st_alpaca__reconcile_start(st_alpaca *a, st_errbuf *eb);
void st_alpaca__reconcile_request(st_alpaca *a, int64_t after_ns);
void st_alpaca__reconcile_stop(st_alpaca *a);

/* alpaca_stream.c: both WebSocket streams. create from st_alpaca_create
 * (nothing connects), start from ops->start, destroy (joins the service
 * thread; no callback after it) from ops->destroy. */
st_err st_alpaca__streams_create(st_alpaca *a, st_errbuf *eb);
st_err st_alpaca__streams_start(st_alpaca *a, st_errbuf *eb);
void st_alpaca__streams_destroy(st_alpaca *a);
st_err st_alpaca__set_quote_symbols(st_alpaca *a, const char *const *symbols,
                                    size_t n, st_brokerr *e);
int st_alpaca__trade_stream_up(st_alpaca *a);

#endif
