/* ws.h - WebSocket client connections that reconnect, on one service thread.
 *
 * An st_ws_loop owns one libwebsockets context and the one thread that
 * services it. Each st_ws_conn added to it connects to a ws:// or wss://
 * URL, reassembles messages (text or binary frames) and hands them to its
 * handler, sends queued messages, pings when idle and hangs up on a dead
 * peer, and reconnects after any loss with exponential backoff and jitter
 * (reset once a connection has stayed up for stable_ms).
 *
 * Threads: handlers run on the service thread and must not block (no REST
 * calls there). st_ws_send, st_ws_conn_drop and st_ws_conn_is_open may be
 * called from any thread (they queue and wake the service thread);
 * st_ws_conn_retry_after and st_ws_conn_give_up only from a handler.
 */
#ifndef ST_BROKER_WS_H
#define ST_BROKER_WS_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"

typedef struct st_ws_loop st_ws_loop;
typedef struct st_ws_conn st_ws_conn;

/* What a connection reports, on the service thread. */
typedef struct st_ws_handler {
  /* The WebSocket handshake completed. */
  void (*on_open)(void *ud, st_ws_conn *c);
  /* One whole message; data is valid only during the call. */
  void (*on_message)(void *ud, st_ws_conn *c, const char *data, size_t len,
                     int binary);
  /* A connection attempt failed or an open connection ended (why is a
   * short text). A reconnect follows unless the handler gave up. */
  void (*on_close)(void *ud, st_ws_conn *c, const char *why);
  void *ud;
} st_ws_handler;

typedef struct st_ws_conn_opts {
  const char *url;           /* ws://host[:port]/path or wss://...; copied. */
  int64_t reconnect_base_ms; /* First reconnect delay; 0: 500. */
  int64_t reconnect_cap_ms;  /* Longest delay; 0: 30000. */
  int64_t stable_ms;         /* Up this long resets the backoff; 0: 30000. */
  size_t max_message;        /* Longer messages are dropped; 0: 4 MiB. */
  /* An open connection whose handler has not called st_ws_conn_ready
   * within this long (e.g. no reply to its auth message) is closed and
   * retried; 0: 15000. */
  int64_t ready_timeout_ms;
  const char *name; /* For logs ("trade_updates"); copied. */
} st_ws_conn_opts;

/* Creates a loop (the libwebsockets context, no thread yet). Caller frees
 * it with st_ws_loop_destroy. ST_EIO if libwebsockets fails. */
st_err st_ws_loop_create(st_ws_loop **out, st_errbuf *eb);

/* Adds a connection (before st_ws_loop_start). *out belongs to the loop and
 * stays valid until st_ws_loop_destroy. ST_EINVAL for a URL that is not
 * ws:// or wss://. h is copied. */
st_err st_ws_conn_add(st_ws_loop *l, const st_ws_conn_opts *o,
                      const st_ws_handler *h, st_ws_conn **out, st_errbuf *eb);

/* Starts the service thread; every connection connects at once. */
st_err st_ws_loop_start(st_ws_loop *l, st_errbuf *eb);

/* Stops the thread, closes the connections and frees everything. No
 * handler runs after it returns. NULL is fine. */
void st_ws_loop_destroy(st_ws_loop *l);

/* Queues one text message (copied) for c. ST_EUNAVAIL when c is not open
 * (messages never outlive a connection: a handler re-sends what it needs
 * in on_open), ST_EOVERFLOW when too many are queued, ST_ENOMEM. */
st_err st_ws_send(st_ws_conn *c, const char *msg, size_t len);

/* Closes c's current connection (if any); a reconnect follows. */
void st_ws_conn_drop(st_ws_conn *c);

/* True while c's connection is open (handshake done). */
int st_ws_conn_is_open(st_ws_conn *c);

/* The next reconnect of c waits at least min_delay_ms (e.g. after the
 * server said "connection limit exceeded"). Handler only. */
void st_ws_conn_retry_after(st_ws_conn *c, int64_t min_delay_ms);

/* The handler's own handshake (auth, subscribe) on c's current connection
 * is done: the ready timeout no longer applies. Handler only. */
void st_ws_conn_ready(st_ws_conn *c);

/* c never reconnects again (an unrecoverable refusal); its current
 * connection is closed. Handler only. */
void st_ws_conn_give_up(st_ws_conn *c);

#endif
