/* alpaca.h - the Alpaca broker adapter (REST v2, trade_updates, market data).
 *
 * st_alpaca_create returns an st_broker (broker.h) that talks to the Alpaca
 * Trading and Market Data APIs, or to anything speaking the same wire
 * protocol (alpaca-sim): REST over libcurl with the APCA key headers, the
 * trade_updates WebSocket and the market-data WebSocket over
 * libwebsockets. Every broker.h op is thread-safe and blocks for network
 * I/O; callbacks run on the adapter's threads (the WebSocket service thread
 * and the reconciliation worker) and must not block.
 *
 * Requests. One token bucket (opts.rate_limit_per_min) is shared by every
 * REST call, so that all callers together stay under the account's limit;
 * a call waits for a slot (at most opts.rate_wait_max_ms, else
 * ST_ERATELIMIT). The bucket also pauses until X-Ratelimit-Reset when a
 * response says X-Ratelimit-Remaining: 0. A 429 pauses every caller until
 * X-Ratelimit-Reset plus jitter (at most opts.rate_wait_max_ms) and
 * retries; when the 429 itself still reports requests remaining, the call
 * backs off like a 5xx instead. Once opts.max_attempts are spent the call
 * fails with ST_ERATELIMIT and e->retry_at_ns set to the reset. 5xx,
 * timeouts and connection failures of idempotent requests (GET, DELETE)
 * back off exponentially (equal jitter, capped at opts.backoff_cap_ms) up
 * to opts.max_attempts, then ST_ETRANSIENT; 400/401/403/404/422 are never
 * retried.
 *
 * submit_order is safe to call again with the same client_order_id, and is
 * never sent twice blindly: after a timeout or 5xx it looks the order up by
 * client_order_id — found: that order is returned as success (adopted);
 * 404: the same request is sent again. If the broker answers 422
 * "client_order_id must be unique", the existing order is looked up and
 * copied into *out and ST_EDUPLICATE is returned: the ENGINE adopts it
 * only after checking that its symbol, side and quantity match its intent
 * (if the lookup fails, *out is zeroed and ST_EDUPLICATE still returned).
 * (When the 422 answers this call's own resend after an ambiguous failure
 * and the order matches the request, it is returned as success.) A submit
 * that stays ambiguous after opts.max_attempts returns ST_ETRANSIENT: the
 * order may exist; look it up by client_order_id before sending again.
 *
 * submit_order and replace_order accept out == NULL (the order is then
 * not returned).
 *
 * replace_order after a timeout or 5xx reads the old order: replaced ->
 * returns the order that replaced it; still working -> sends again; ended
 * otherwise -> ST_ETERMINAL. cancel_order treats a 422 "already in
 * pending_cancel state" as success.
 *
 * Errors map as in alpaca_error.h, with the broker's HTTP status, code and
 * message kept in st_brokerr; malformed or truncated JSON and missing
 * required fields give ST_EPROTO.
 *
 * Streams (after start). trade_updates: authenticate, listen, parse each
 * update (text or binary frames); on_stream(TRADES, 1) once listening and
 * (…, 0) on loss; reconnect with exponential backoff (capped, reset after a
 * stable connection). After every (re)connect, a worker thread reconciles:
 * GET /v2/orders?status=all&after=<last traffic before the loss minus
 * opts.reconcile_margin_ms> (paged), plus GET /v2/orders/{id} for orders
 * this adapter submitted and still knows as working, and synthesizes
 * updates (reconciled = 1) for orders whose status or filled_qty changed.
 * Both paths pass through one order cache (order_cache.h), so each fill
 * reaches on_trade_update once and an order's filled_qty never goes down.
 * A reconciled fill's qty is the growth of filled_qty since the last update
 * this process delivered (the whole filled_qty for an order it has not seen
 * yet: after a restart the engine compares order.filled_qty with its
 * journal rather than adding qty blindly).
 *
 * Market data: connects to opts.data_stream_url, authenticates with
 * {"action":"auth",...}, subscribes to the symbols of set_quote_symbols
 * (subscribe/unsubscribe diffs; everything again after a reconnect), and
 * delivers each "q" message to on_quote (source ST_QUOTE_STREAM,
 * received_ns = now). set_quote_symbols refuses more than
 * ST_BROKER_MAX_QUOTE_SYMBOLS with ST_EOVERFLOW. Error 406 (connection
 * limit) backs off for a minute; 402/409/410/411 stop the data stream for
 * good (logged); 405 is logged.
 *
 * Secrets: the secret key goes only into request headers and the stream
 * auth messages; it never appears in logs or error messages.
 */
#ifndef ST_BROKER_ALPACA_H
#define ST_BROKER_ALPACA_H

#include "server/broker/broker.h"
#include "server/util/err.h"

#define ST_ALPACA_PAPER_URL "https://paper-api.alpaca.markets"
#define ST_ALPACA_LIVE_HOST "api.alpaca.markets"
#define ST_ALPACA_DATA_URL "https://data.alpaca.markets"

/* Options; strings are copied by st_alpaca_create. Zero or NULL means the
 * default given. */
typedef struct st_alpaca_opts {
  const char *key_id;     /* Required: APCA-API-KEY-ID. */
  const char *secret_key; /* Required: APCA-API-SECRET-KEY. Never logged. */
  /* Trading API: default ST_ALPACA_PAPER_URL. The live host
   * (api.alpaca.markets) is refused unless `live` is set. */
  const char *base_url;
  const char *data_url; /* Market Data API: default ST_ALPACA_DATA_URL. */
  /* trade_updates WebSocket: default base_url with http -> ws, https ->
   * wss, plus "/stream". */
  const char *stream_url;
  /* Market-data WebSocket: default wss://stream.data.alpaca.markets/v2/
   * <feed> for Alpaca's data host, else data_url with http -> ws, https ->
   * wss, plus "/v2/<feed>" (so a local alpaca-sim needs no extra URL). */
  const char *data_stream_url;
  const char *feed;        /* "iex" (default), "sip" or "test"... */
  int live;                /* 1 allows the live trading host. */
  int rate_limit_per_min;  /* Requests per minute for the account; 200. */
  int rate_wait_max_ms;    /* Longest wait for a request slot or a 429
                              reset; 30000. */
  int timeout_ms;          /* Whole REST request; 15000. */
  int connect_timeout_ms;  /* TCP + TLS connect; 5000. */
  int max_attempts;        /* Tries per request (1 = no retry); 4. */
  int backoff_base_ms;     /* First retry delay (5xx, timeout); 250. */
  int backoff_cap_ms;      /* Longest retry delay; 8000. */
  int reconnect_base_ms;   /* First stream reconnect delay; 500. */
  int reconnect_cap_ms;    /* Longest stream reconnect delay; 30000. */
  int reconcile_margin_ms; /* Reconcile from this long before the stream
                              went quiet; 60000. */
  int http_pool_size;      /* Concurrent REST requests; 4. */
  int no_streams;          /* 1: start() opens no WebSocket (REST only). */
} st_alpaca_opts;

/* Creates the adapter; nothing is connected until ops->start. On success
 * *out is an st_broker with name "alpaca" that the caller frees with
 * (*out)->ops->destroy(*out). ST_EINVAL (with the reason in *eb, never a
 * secret) for a missing key, a bad URL, or the live host without `live`;
 * ST_ENOMEM; ST_EIO if libcurl or libwebsockets cannot start. */
st_err st_alpaca_create(const st_alpaca_opts *o, st_broker **out,
                        st_errbuf *eb);

#endif
