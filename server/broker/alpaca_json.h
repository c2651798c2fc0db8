/* alpaca_json.h - Alpaca's JSON bodies and stream messages to broker.h types.
 *
 * Every parser takes a cJSON tree (the caller keeps and frees it) and fills
 * a plain struct. Decimals are accepted as JSON strings ("105.89") or
 * numbers (105.89); null, a missing key and "" all mean "absent", which is
 * fine for optional fields and zero in the result. A required field that
 * is absent, a field of the wrong JSON type, a decimal or time that does
 * not parse (or is out of st_dec range), or a string too long for its
 * fixed-size field gives ST_EPROTO with the key named in *eb. Nothing here
 * ever crashes on hostile input. Pure functions; thread-safe.
 */
#ifndef ST_BROKER_ALPACA_JSON_H
#define ST_BROKER_ALPACA_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

/* Largest body st_alpaca_json_parse accepts. */
#define ST_ALPACA_JSON_MAX (16u << 20)

/* Parses len bytes of body (need not be NUL-terminated) into *out; the
 * caller frees *out with cJSON_Delete. ST_EPROTO for malformed, truncated
 * or trailing-garbage JSON and for bodies over ST_ALPACA_JSON_MAX;
 * ST_ENOMEM when cJSON runs out of memory is reported as ST_EPROTO too
 * (cJSON cannot tell them apart). */
st_err st_alpaca_json_parse(const char *body, size_t len, cJSON **out,
                            st_errbuf *eb);

/* An Order object (REST body, or "order" of a trade update). Required:
 * id, symbol, side ("buy"/"sell") and status. An unknown status becomes
 * ST_OS_UNKNOWN and an unknown type ST_OTYPE_NONE (not errors). */
st_err st_alpaca_json_order(const cJSON *j, st_order *out, st_errbuf *eb);

/* An array of Order objects. On success *out is an array of *n orders
 * (possibly empty, never NULL) that the caller frees with st_free; on
 * failure *out is NULL and *n is 0. */
st_err st_alpaca_json_orders(const cJSON *j, st_order **out, size_t *n,
                             st_errbuf *eb);

/* GET /v2/account. Required: id, cash, buying_power, equity. PDT fields
 * are ignored. portfolio_value falls back to equity when absent. */
st_err st_alpaca_json_account(const cJSON *j, st_account *out, st_errbuf *eb);

/* A Position object. Required: symbol, qty. */
st_err st_alpaca_json_position(const cJSON *j, st_position *out, st_errbuf *eb);

/* An array of Position objects; *out as for st_alpaca_json_orders. */
st_err st_alpaca_json_positions(const cJSON *j, st_position **out, size_t *n,
                                st_errbuf *eb);

/* An Asset object. Required: symbol; tradable and fractionable default
 * to 0 when absent. */
st_err st_alpaca_json_asset(const cJSON *j, st_asset *out, st_errbuf *eb);

/* GET /v2/clock. Required: timestamp, is_open, next_open, next_close.
 * last_open_ns is derived while open: the latest 09:30 in the local time
 * of timestamp's offset (Alpaca writes Eastern time) at or before now;
 * 0 when closed. */
st_err st_alpaca_json_clock(const cJSON *j, st_clock *out, st_errbuf *eb);

/* One quote object of the market-data API ({"t","ap","as","bp","bs",...},
 * prices as numbers or strings) for symbol (copied; it must fit
 * ST_SYMBOL_LEN). source is set to ST_QUOTE_REST, received_ns to 0. */
st_err st_alpaca_json_quote(const cJSON *j, const char *symbol, st_quote *out,
                            st_errbuf *eb);

/* A GET /v2/stocks/quotes/latest body ({"quotes":{"SYM":{...}}}): fills
 * out[i] for symbols[i]; a symbol the body does not mention gets its name,
 * zero prices and ts_ns = 0. Symbols in the body that were not asked for
 * are ignored. */
st_err st_alpaca_json_latest_quotes(const cJSON *j, const char *const *symbols,
                                    size_t n, st_quote *out, st_errbuf *eb);

/* One market-data stream message of type "q". Required: T == "q" and S.
 * source is ST_QUOTE_STREAM; received_ns is left 0 for the caller. */
st_err st_alpaca_json_stream_quote(const cJSON *j, st_quote *out,
                                   st_errbuf *eb);

/* The "data" object of a trade_updates message. Required: event (an
 * unknown name becomes ST_TE_OTHER) and a valid order. price, qty and
 * position_qty are read when present (fills); reconciled is 0. */
st_err st_alpaca_json_trade_update(const cJSON *data, st_trade_update *out,
                                   st_errbuf *eb);

/* An Alpaca error body: {"code":N,"message":"...", ...}. */
typedef struct st_alpaca_errbody {
  long code;         /* 0 when absent. */
  char message[256]; /* "" when absent; truncated if longer. */
  int has_available; /* 1 when "available" was present and parsed. */
  st_dec available;  /* The "available" key (insufficient qty). */
} st_alpaca_errbody;

/* Reads an error body of len bytes. Never fails: a body that is not a JSON
 * object leaves code 0 and copies its first printable bytes (at most 200)
 * into message, so that nothing the broker said is lost. */
void st_alpaca_json_errbody(const char *body, size_t len,
                            st_alpaca_errbody *out);

#endif
