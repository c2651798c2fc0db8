/* server.h - alpaca-sim's server: one libwebsockets vhost on one port
 * serving REST, the trade_updates stream, the market-data streams and the
 * /_sim/ control API over one simulated account.
 *
 * Threads. st_asim_start runs the lws service loop on its own thread; every
 * lws callback and the ticker (an lws timer every --tick-ms that steps the
 * simulator and flushes events and quotes to the streams) run there, under
 * the server's mutex `mu`. Other threads (main's periodic state save) take
 * `mu` before touching the simulator. The mutex is recursive because lws
 * may call back into the protocol handler from inside a call made by it.
 */
#ifndef ST_ASIM_SERVER_H
#define ST_ASIM_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "server/alpaca_sim/config.h"
#include "server/alpaca_sim/evlog.h"
#include "server/alpaca_sim/faults.h"
#include "server/alpaca_sim/ratelimit.h"
#include "server/sim/sim.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

typedef struct st_asim_ws st_asim_ws;

typedef struct st_asim {
  st_asim_config cfg;
  pthread_mutex_t mu; /* Recursive; guards everything below. */
  st_sim *sim;        /* Owned. */
  struct lws_context *ctx;
  struct lws_vhost *vh;
  lws_sorted_usec_list_t tick; /* The ticker's timer. */
  pthread_t thread;
  int thread_started;
  atomic_int stop; /* Set by st_asim_stop; read by the service loop. */
  int port;        /* The bound port. */
  st_asim_ratelimit rl;
  st_asim_faults faults;
  st_asim_evlog evlog;
  st_asim_ws *ws_head; /* Every open WebSocket session (ws.h). */
  int64_t *quote_ts;   /* Per asset index: time of the last quote sent. */
  size_t nquote_ts;
  int64_t fakepaca_next_ns; /* Next synthetic FAKEPACA quote (/v2/test). */
  st_dec start_equity;      /* Reported as last_equity. */
} st_asim;

/* Creates the server over sim (ownership passes to the server, also on
 * failure) with cfg (copied): binds the listening socket. The caller owns
 * *out and frees it with st_asim_free. ST_EIO (with a message in eb) when
 * the address cannot be bound, ST_ENOMEM. */
st_err st_asim_create(const st_asim_config *cfg, st_sim *sim, st_asim **out,
                      st_errbuf *eb);

/* Starts the service thread. ST_EIO if it cannot be created. */
st_err st_asim_start(st_asim *a);

/* Asks the service thread to stop and waits for it (no-op if it never
 * started). Open connections are then closed by st_asim_free. */
void st_asim_stop(st_asim *a);

/* Frees a (NULL is allowed): the lws context with its connections, the
 * simulator and every session. Call st_asim_stop first. */
void st_asim_free(st_asim *a);

/* Saves the simulator to path atomically (a temp file, then rename),
 * under the lock. ST_EIO with a message in eb. */
st_err st_asim_save(st_asim *a, const char *path, st_errbuf *eb);

/* Drains the simulator's events into trade_updates messages (and trades
 * on the data streams). Called with mu held, after anything that may have
 * queued events. */
void st_asim_pump(st_asim *a, int64_t now_ns);

#endif
