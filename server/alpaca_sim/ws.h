/* ws.h - one WebSocket session: its kind, framing, write queue and the
 * reassembly of fragmented client messages.
 *
 * Sessions are created on LWS_CALLBACK_ESTABLISHED, linked into the
 * server's list and freed on LWS_CALLBACK_CLOSED. Messages are queued and
 * written one per LWS_CALLBACK_SERVER_WRITEABLE. A trade_updates session
 * sends JSON in binary frames (as paper does); a data session sends JSON
 * text frames, or msgpack binary frames when the upgrade asked for
 * Content-Type: application/msgpack. Runs on the service thread with the
 * server lock held.
 */
#ifndef ST_ASIM_WS_H
#define ST_ASIM_WS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "server/alpaca_sim/buf.h"
#include "server/alpaca_sim/server.h"
#include "server/alpaca_sim/subs.h"
#include "server/util/err.h"

#define ST_ASIM_WS_MAX_QUEUE 4096    /* Queued messages before "slow client". */
#define ST_ASIM_WS_MAX_MSG (1 << 20) /* Largest client message. */

typedef enum st_asim_ws_kind {
  ST_ASIM_WS_TRADES = 0, /* /stream */
  ST_ASIM_WS_DATA,       /* /v2/iex, /v2/sip, /v2/test */
} st_asim_ws_kind;

typedef enum st_asim_feed {
  ST_ASIM_FEED_IEX = 0,
  ST_ASIM_FEED_SIP,
  ST_ASIM_FEED_TEST,
} st_asim_feed;

typedef struct st_asim_wsmsg st_asim_wsmsg;

struct st_asim_ws {
  st_asim_ws *next, *prev; /* In st_asim.ws_head. */
  struct lws *wsi;
  st_asim_ws_kind kind;
  st_asim_feed feed;
  int msgpack;   /* Frames are msgpack (data streams). */
  int authed;    /* Authenticated. */
  int listening; /* trade_updates: listening. */
  int closing;   /* Close once the queue is written. */
  int dead;      /* Dropped: nothing more is written. */
  int64_t connected_ns;
  char key_id[128];     /* The authenticated key. */
  char hdr_key[128];    /* APCA-API-KEY-ID on the upgrade, or "". */
  char hdr_secret[128]; /* APCA-API-SECRET-KEY on the upgrade, or "". */
  st_asim_subs subs;    /* Data streams. */
  st_asim_buf rx;       /* The client message being reassembled. */
  int rx_binary;
  st_asim_wsmsg *qhead, *qtail;
  size_t qlen;
};

/* Creates a session for wsi, links it into a's list and returns it (NULL
 * when memory is short). Freed by st_asim_ws_free. */
st_asim_ws *st_asim_ws_new(st_asim *a, struct lws *wsi, st_asim_ws_kind kind);

/* Unlinks ws from a's list and frees it with its queue (NULL is
 * allowed). */
void st_asim_ws_free(st_asim *a, st_asim_ws *ws);

/* Queues msg (borrowed) for ws, encoded for the session (JSON, or msgpack
 * for a msgpack data session) and asks for a writable callback. A dead or
 * closing session drops it. When the queue is full the session is closed
 * as a slow client. ST_ENOMEM, ST_EOVERFLOW. */
st_err st_asim_ws_send(st_asim_ws *ws, const cJSON *msg);

/* Closes ws once what is queued has been written. */
void st_asim_ws_close_after(st_asim_ws *ws);

/* Closes ws abruptly (no close frame), as a network failure would. */
void st_asim_ws_drop(st_asim_ws *ws);

/* Adds one received fragment. Returns 1 when a whole message is ready
 * (read it with st_asim_ws_take), 0 when more is to come, -1 when the
 * message is too large (close the connection). */
int st_asim_ws_rx(st_asim_ws *ws, const void *in, size_t len, int binary,
                  int final);

/* Decodes the reassembled message (JSON text, or msgpack when the session
 * is msgpack and the frame binary) into *out (caller frees with
 * cJSON_Delete; NULL when it does not parse) and empties the buffer. */
void st_asim_ws_take(st_asim_ws *ws, cJSON **out);

/* Writes the next queued message on LWS_CALLBACK_SERVER_WRITEABLE.
 * Returns -1 when the connection must be closed, else 0. */
int st_asim_ws_writable(st_asim_ws *ws);

#endif
