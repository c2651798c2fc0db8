/* broker.h - the one interface between the engine and a broker.
 *
 * A broker is a struct of function pointers (st_broker_ops) behind an
 * st_broker handle; the in-process simulated broker (sim_broker.c) and the
 * Alpaca adapter (alpaca.c) implement it, and the engine sees nothing else.
 *
 * Values cross the interface as plain fixed-size structs (no pointers to
 * free) except for lists, which the caller frees with st_free. Money and
 * quantities are st_dec. Times are int64 nanoseconds since the Unix epoch
 * (UTC); 0 means "absent".
 *
 * Failures return an st_err and, if e is not NULL, fill *e with the
 * broker's own HTTP status, code and message (so that nothing the broker
 * said is lost): ST_EBUYPOWER, ST_EQTY (with e->available), ST_EDUPLICATE,
 * ST_ENOTFOUND, ST_ETERMINAL, ST_ERATELIMIT (with e->retry_at_ns),
 * ST_ETRANSIENT (5xx, timeout, connection), ST_EWASH, ST_EINVAL (the
 * broker refused the request as invalid, e.g. a sub-penny price),
 * ST_EREJECTED (any other refusal), ST_EPROTO (a malformed response).
 *
 * Threads: every op is thread-safe and may block for network I/O (never
 * call one from a network or completion-queue thread). Callbacks run on a
 * broker thread and must not block: hand the update to a queue.
 */
#ifndef ST_BROKER_BROKER_H
#define ST_BROKER_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/decimal.h"
#include "server/util/err.h"

#define ST_SYMBOL_LEN 16 /* Ticker plus NUL; tickers are 1..10 chars. */
#define ST_ORDER_ID_LEN 64
#define ST_CLIENT_ID_LEN 129 /* Alpaca allows 128; settled uses <= 48. */

/* Order side; values match settled.v1.TradeAction. */
typedef enum st_side {
  ST_SIDE_NONE = 0,
  ST_SIDE_BUY = 1,
  ST_SIDE_SELL = 2,
} st_side;

/* Order type; values match settled.v1.OrderType. */
typedef enum st_otype {
  ST_OTYPE_NONE = 0,
  ST_OTYPE_MARKET = 1,
  ST_OTYPE_LIMIT = 2,
} st_otype;

/* Order status; values match settled.v1.OrderStatus. */
typedef enum st_ostatus {
  ST_OS_UNKNOWN = 0,
  ST_OS_PENDING_NEW = 1,
  ST_OS_ACCEPTED = 2,
  ST_OS_NEW = 3,
  ST_OS_PARTIALLY_FILLED = 4,
  ST_OS_FILLED = 5,
  ST_OS_CANCELED = 6,
  ST_OS_EXPIRED = 7,
  ST_OS_REJECTED = 8,
  ST_OS_REPLACED = 9,
  ST_OS_PENDING_CANCEL = 10,
  ST_OS_PENDING_REPLACE = 11,
  ST_OS_DONE_FOR_DAY = 12,
} st_ostatus;

/* True for filled, canceled, expired, rejected and replaced. */
int st_ostatus_terminal(st_ostatus s);

/* Alpaca's lower-case name of s ("partially_filled"), and back.
 * st_ostatus_parse returns ST_OS_UNKNOWN for names it does not know. */
const char *st_ostatus_name(st_ostatus s);
st_ostatus st_ostatus_parse(const char *name);

/* An order as the broker reports it. */
typedef struct st_order {
  char id[ST_ORDER_ID_LEN];
  char client_order_id[ST_CLIENT_ID_LEN];
  char symbol[ST_SYMBOL_LEN];
  st_side side;
  st_otype type;
  char time_in_force[8];   /* "day" */
  st_dec qty;              /* Zero for a notional order. */
  st_dec notional;         /* Zero unless a notional order. */
  st_dec filled_qty;       /* Cumulative. */
  st_dec filled_avg_price; /* Zero when nothing filled. */
  st_dec limit_price;      /* Zero for market orders. */
  st_ostatus status;
  int64_t created_at_ns;
  int64_t updated_at_ns;
  int64_t submitted_at_ns;
  int64_t filled_at_ns;
  int64_t canceled_at_ns;
  char replaced_by[ST_ORDER_ID_LEN];
  char replaces[ST_ORDER_ID_LEN];
} st_order;

/* A new order. Strings are borrowed for the call. */
typedef struct st_order_req {
  const char *client_order_id; /* Required, caller-chosen, unique forever. */
  const char *symbol;
  st_side side;
  st_otype type;
  st_dec qty;                /* Shares (may be fractional for fractionable). */
  st_dec notional;           /* Dollars instead of qty (market only); else 0. */
  st_dec limit_price;        /* For limit orders. */
  const char *time_in_force; /* NULL means "day". */
} st_order_req;

/* A replace (PATCH): zero fields keep their values. */
typedef struct st_replace_req {
  st_dec qty;
  st_dec limit_price;
  const char *client_order_id; /* NULL: the broker makes one. */
} st_replace_req;

/* Which orders to list. */
typedef enum st_order_filter {
  ST_ORDERS_OPEN = 0,
  ST_ORDERS_CLOSED,
  ST_ORDERS_ALL,
} st_order_filter;

typedef struct st_order_query {
  st_order_filter status;
  const char *const *symbols; /* NULL/0: all symbols. */
  size_t nsymbols;
  int64_t after_ns; /* Only orders submitted after this; 0: no bound. */
  int limit;        /* 0: the broker's default (50); at most 500. */
} st_order_query;

typedef struct st_account {
  char id[64];
  char status[32]; /* "ACTIVE" */
  char currency[8];
  st_dec cash;
  st_dec buying_power;
  st_dec equity;
  st_dec portfolio_value;
  st_dec long_market_value;
  st_dec multiplier;
  int trading_blocked;
} st_account;

typedef struct st_position {
  char symbol[ST_SYMBOL_LEN];
  st_dec qty;           /* Negative when short. */
  st_dec qty_available; /* qty minus shares held for open orders. */
  st_dec avg_entry_price;
  st_dec market_value;
  st_dec current_price;
  st_dec cost_basis;
} st_position;

typedef struct st_asset {
  char symbol[ST_SYMBOL_LEN];
  int tradable;
  int fractionable;
} st_asset;

/* Where a quote came from; values match settled.v1.QuoteSource. */
typedef enum st_quote_source {
  ST_QUOTE_NONE = 0,
  ST_QUOTE_STREAM = 1,
  ST_QUOTE_REST = 2,
  ST_QUOTE_SIM = 3,
} st_quote_source;

typedef struct st_quote {
  char symbol[ST_SYMBOL_LEN];
  st_dec bid, ask;           /* Zero when that side is missing. */
  st_dec bid_size, ask_size; /* Shares. */
  int64_t ts_ns;             /* Exchange time; 0 when no quote. */
  int64_t received_ns;       /* When settled received it. */
  st_quote_source source;
} st_quote;

typedef struct st_clock {
  int64_t now_ns;
  int is_open;
  int64_t next_open_ns;
  int64_t next_close_ns;
  int64_t last_open_ns; /* When the current (or last) session opened. */
} st_clock;

/* The detail of a broker failure. Filled only on failure. */
typedef struct st_brokerr {
  int http_status;     /* 0 when no HTTP response. */
  long code;           /* The broker's code, e.g. 40310000; 0 if none. */
  char message[256];   /* The broker's message (or ours). */
  st_dec available;    /* ST_EQTY: the quantity available. */
  int64_t retry_at_ns; /* ST_ERATELIMIT: when the limit resets. */
} st_brokerr;

/* Trade-update events (Alpaca's trade_updates `event`). */
typedef enum st_trade_event {
  ST_TE_OTHER = 0,
  ST_TE_NEW,
  ST_TE_PARTIAL_FILL,
  ST_TE_FILL,
  ST_TE_CANCELED,
  ST_TE_EXPIRED,
  ST_TE_DONE_FOR_DAY,
  ST_TE_REPLACED,
  ST_TE_REJECTED,
  ST_TE_PENDING_NEW,
  ST_TE_PENDING_CANCEL,
  ST_TE_PENDING_REPLACE,
  ST_TE_CANCEL_REJECTED,
  ST_TE_REPLACE_REJECTED,
} st_trade_event;

/* Alpaca's name of an event ("partial_fill"), and back (ST_TE_OTHER for
 * names it does not know). */
const char *st_trade_event_name(st_trade_event e);
st_trade_event st_trade_event_parse(const char *name);

/* One trade update: the order after the event. Fill fields are set only
 * for fill and partial_fill. Updates are delivered at most once per
 * execution_id, and an order's filled_qty never goes down. */
typedef struct st_trade_update {
  st_trade_event event;
  st_order order;
  char execution_id[64];
  st_dec price;        /* This fill's price. */
  st_dec qty;          /* This fill's quantity. */
  st_dec position_qty; /* Position after the fill. */
  int64_t ts_ns;
  int reconciled; /* 1 when made by reconciliation, not the stream. */
} st_trade_update;

/* Which stream a state change is about. */
typedef enum st_stream_kind {
  ST_STREAM_TRADES = 1,
  ST_STREAM_QUOTES = 2,
} st_stream_kind;

/* Callbacks from the broker's threads. None may block. */
typedef struct st_broker_cbs {
  void (*on_trade_update)(void *ud, const st_trade_update *u);
  void (*on_quote)(void *ud, const st_quote *q);
  /* A stream went up (up = 1, subscribed and listening) or down. While the
   * trade stream is down the engine falls back to polling. */
  void (*on_stream)(void *ud, st_stream_kind kind, int up);
  void *ud;
} st_broker_cbs;

typedef struct st_broker st_broker;

typedef struct st_broker_ops {
  /* Starts the streams and any background thread; callbacks begin. */
  st_err (*start)(st_broker *b, const st_broker_cbs *cbs, st_brokerr *e);
  st_err (*get_account)(st_broker *b, st_account *out, st_brokerr *e);
  st_err (*get_asset)(st_broker *b, const char *symbol, st_asset *out,
                      st_brokerr *e);
  /* *out is an array of *n positions; caller frees with st_free. */
  st_err (*list_positions)(st_broker *b, st_position **out, size_t *n,
                           st_brokerr *e);
  /* ST_ENOTFOUND when there is no position in symbol. */
  st_err (*get_position)(st_broker *b, const char *symbol, st_position *out,
                         st_brokerr *e);
  st_err (*submit_order)(st_broker *b, const st_order_req *req, st_order *out,
                         st_brokerr *e);
  st_err (*get_order)(st_broker *b, const char *id, st_order *out,
                      st_brokerr *e);
  st_err (*get_order_by_client_id)(st_broker *b, const char *client_order_id,
                                   st_order *out, st_brokerr *e);
  /* *out is an array of *n orders, newest first; caller frees. */
  st_err (*list_orders)(st_broker *b, const st_order_query *q, st_order **out,
                        size_t *n, st_brokerr *e);
  /* Requests a cancel; the canceled event follows on the stream.
   * ST_ETERMINAL when the order already ended. */
  st_err (*cancel_order)(st_broker *b, const char *id, st_brokerr *e);
  st_err (*replace_order)(st_broker *b, const char *id, const st_replace_req *r,
                          st_order *out, st_brokerr *e);
  /* Fills out[i] for symbols[i] (REST latest quotes); a symbol without a
   * quote gets ts_ns = 0. */
  st_err (*latest_quotes)(st_broker *b, const char *const *symbols, size_t n,
                          st_quote *out, st_brokerr *e);
  st_err (*get_clock)(st_broker *b, st_clock *out, st_brokerr *e);
  /* Sets the market-data stream's quote subscription to exactly these
   * symbols (the pricing layer owns priorities and the 30-symbol limit;
   * the broker refuses more than its own limit with ST_EOVERFLOW). */
  st_err (*set_quote_symbols)(st_broker *b, const char *const *symbols,
                              size_t n, st_brokerr *e);
  /* True while the trade-update stream is connected and listening. */
  int (*trade_stream_up)(st_broker *b);
  /* Stops threads and streams and frees b. No callback runs after it. */
  void (*destroy)(st_broker *b);
} st_broker_ops;

/* The handle every implementation embeds as its first member. */
struct st_broker {
  const st_broker_ops *ops;
  const char *name; /* "sim" or "alpaca". */
};

/* Most symbols a market-data subscription may hold (Alpaca's free IEX
 * feed allows 30 for trades and quotes together). */
#define ST_BROKER_MAX_QUOTE_SYMBOLS 30

#endif
