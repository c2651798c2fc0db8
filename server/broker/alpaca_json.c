/* alpaca_json.c - Alpaca's JSON bodies and stream messages to broker.h types.
 */
#include "server/broker/alpaca_json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/broker/alpaca_time.h"
#include "server/util/alloc.h"

#define NS_PER_SEC 1000000000LL
#define NS_PER_DAY (86400LL * NS_PER_SEC)

st_err st_alpaca_json_parse(const char *body, size_t len, cJSON **out,
                            st_errbuf *eb) {
  const char *end = NULL;
  cJSON *j;

  *out = NULL;
  if (body == NULL || len == 0) {
    return st_errf(eb, ST_EPROTO, "empty body where JSON was expected");
  }
  if (len > ST_ALPACA_JSON_MAX) {
    return st_errf(eb, ST_EPROTO, "JSON body of %zu bytes is too large", len);
  }
  j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (j == NULL) {
    return st_errf(eb, ST_EPROTO, "malformed JSON at byte %td",
                   end != NULL && end >= body ? end - body : (ptrdiff_t)0);
  }
  /* Anything but blanks after the value is garbage. */
  while (end != NULL && end < body + len && *end != '\0' &&
         isspace((unsigned char)*end)) {
    end++;
  }
  if (end != NULL && end < body + len && *end != '\0') {
    cJSON_Delete(j);
    return st_errf(eb, ST_EPROTO, "trailing data after JSON at byte %td",
                   end - body);
  }
  *out = j;
  return ST_OK;
}

/* True for a missing key, null or "": all mean "absent". */
static int absent(const cJSON *it) {
  return it == NULL || cJSON_IsNull(it) ||
         (cJSON_IsString(it) && it->valuestring != NULL &&
          it->valuestring[0] == '\0');
}

static const cJSON *item(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Copies string key of o into dst (cap bytes). */
static st_err get_str(const cJSON *o, const char *key, int required, char *dst,
                      size_t cap, st_errbuf *eb) {
  const cJSON *it = item(o, key);
  size_t n;

  dst[0] = '\0';
  if (absent(it)) {
    return required ? st_errf(eb, ST_EPROTO, "missing \"%s\"", key) : ST_OK;
  }
  if (!cJSON_IsString(it) || it->valuestring == NULL) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not a string", key);
  }
  n = strlen(it->valuestring);
  if (n >= cap) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is too long (%zu bytes)", key, n);
  }
  memcpy(dst, it->valuestring, n + 1);
  return ST_OK;
}

/* Reads a decimal given as a string or a number. */
static st_err dec_of(const cJSON *it, const char *key, st_dec *out,
                     st_errbuf *eb) {
  st_err err;

  if (cJSON_IsString(it) && it->valuestring != NULL) {
    err = st_dec_parse_lenient(it->valuestring, out);
  } else if (cJSON_IsNumber(it)) {
    err = st_dec_from_double(it->valuedouble, out);
  } else {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not a decimal", key);
  }
  if (err != ST_OK) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not a valid decimal (%s)", key,
                   st_strerror(err));
  }
  return ST_OK;
}

static st_err get_dec(const cJSON *o, const char *key, int required,
                      st_dec *out, st_errbuf *eb) {
  const cJSON *it = item(o, key);

  *out = ST_DEC_ZERO;
  if (absent(it)) {
    return required ? st_errf(eb, ST_EPROTO, "missing \"%s\"", key) : ST_OK;
  }
  return dec_of(it, key, out, eb);
}

static st_err get_time(const cJSON *o, const char *key, int required,
                       int64_t *out, int32_t *offset_s, st_errbuf *eb) {
  const cJSON *it = item(o, key);

  *out = 0;
  if (absent(it)) {
    return required ? st_errf(eb, ST_EPROTO, "missing \"%s\"", key) : ST_OK;
  }
  if (!cJSON_IsString(it) || it->valuestring == NULL) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not a string", key);
  }
  if (st_alpaca_time_parse(it->valuestring, out, offset_s) != ST_OK) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not an RFC 3339 time", key);
  }
  return ST_OK;
}

static st_err get_bool(const cJSON *o, const char *key, int required, int *out,
                       st_errbuf *eb) {
  const cJSON *it = item(o, key);

  *out = 0;
  if (it == NULL || cJSON_IsNull(it)) {
    return required ? st_errf(eb, ST_EPROTO, "missing \"%s\"", key) : ST_OK;
  }
  if (!cJSON_IsBool(it)) {
    return st_errf(eb, ST_EPROTO, "\"%s\" is not a boolean", key);
  }
  *out = cJSON_IsTrue(it) ? 1 : 0;
  return ST_OK;
}

static st_err need_object(const cJSON *j, const char *what, st_errbuf *eb) {
  if (!cJSON_IsObject(j)) {
    return st_errf(eb, ST_EPROTO, "%s is not a JSON object", what);
  }
  return ST_OK;
}

#define TRY(x)          \
  do {                  \
    err = (x);          \
    if (err != ST_OK) { \
      goto out;         \
    }                   \
  } while (0)

st_err st_alpaca_json_order(const cJSON *j, st_order *out, st_errbuf *eb) {
  char side[8], type[16], status[32];
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "order", eb));
  TRY(get_str(j, "id", 1, out->id, sizeof(out->id), eb));
  TRY(get_str(j, "client_order_id", 0, out->client_order_id,
              sizeof(out->client_order_id), eb));
  TRY(get_str(j, "symbol", 1, out->symbol, sizeof(out->symbol), eb));
  TRY(get_str(j, "side", 1, side, sizeof(side), eb));
  if (strcmp(side, "buy") == 0) {
    out->side = ST_SIDE_BUY;
  } else if (strcmp(side, "sell") == 0) {
    out->side = ST_SIDE_SELL;
  } else {
    err = st_errf(eb, ST_EPROTO, "unknown order side \"%s\"", side);
    goto out;
  }
  TRY(get_str(j, "type", 0, type, sizeof(type), eb));
  if (type[0] == '\0') {
    TRY(get_str(j, "order_type", 0, type, sizeof(type), eb));
  }
  out->type = strcmp(type, "market") == 0  ? ST_OTYPE_MARKET
              : strcmp(type, "limit") == 0 ? ST_OTYPE_LIMIT
                                           : ST_OTYPE_NONE;
  TRY(get_str(j, "time_in_force", 0, out->time_in_force,
              sizeof(out->time_in_force), eb));
  TRY(get_str(j, "status", 1, status, sizeof(status), eb));
  out->status = st_ostatus_parse(status);
  TRY(get_dec(j, "qty", 0, &out->qty, eb));
  TRY(get_dec(j, "notional", 0, &out->notional, eb));
  TRY(get_dec(j, "filled_qty", 0, &out->filled_qty, eb));
  TRY(get_dec(j, "filled_avg_price", 0, &out->filled_avg_price, eb));
  TRY(get_dec(j, "limit_price", 0, &out->limit_price, eb));
  if (st_dec_is_neg(out->qty) || st_dec_is_neg(out->filled_qty) ||
      st_dec_is_neg(out->notional)) {
    err = st_errf(eb, ST_EPROTO, "negative quantity in order %s", out->id);
    goto out;
  }
  TRY(get_time(j, "created_at", 0, &out->created_at_ns, NULL, eb));
  TRY(get_time(j, "updated_at", 0, &out->updated_at_ns, NULL, eb));
  TRY(get_time(j, "submitted_at", 0, &out->submitted_at_ns, NULL, eb));
  TRY(get_time(j, "filled_at", 0, &out->filled_at_ns, NULL, eb));
  TRY(get_time(j, "canceled_at", 0, &out->canceled_at_ns, NULL, eb));
  TRY(get_str(j, "replaced_by", 0, out->replaced_by, sizeof(out->replaced_by),
              eb));
  TRY(get_str(j, "replaces", 0, out->replaces, sizeof(out->replaces), eb));
out:
  return err;
}

st_err st_alpaca_json_orders(const cJSON *j, st_order **out, size_t *n,
                             st_errbuf *eb) {
  st_order *v = NULL;
  const cJSON *it;
  size_t cnt, i = 0;
  st_err err = ST_OK;

  *out = NULL;
  *n = 0;
  if (!cJSON_IsArray(j)) {
    return st_errf(eb, ST_EPROTO, "order list is not a JSON array");
  }
  cnt = (size_t)cJSON_GetArraySize(j);
  v = st_calloc(cnt == 0 ? 1 : cnt, sizeof(*v));
  if (v == NULL) {
    return st_errf(eb, ST_ENOMEM, "order list of %zu", cnt);
  }
  cJSON_ArrayForEach(it, j) {
    if (i >= cnt) {
      break;
    }
    TRY(st_alpaca_json_order(it, &v[i], eb));
    i++;
  }
  *out = v;
  *n = i;
  v = NULL;
out:
  st_free(v);
  return err;
}

st_err st_alpaca_json_account(const cJSON *j, st_account *out, st_errbuf *eb) {
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "account", eb));
  TRY(get_str(j, "id", 1, out->id, sizeof(out->id), eb));
  TRY(get_str(j, "status", 0, out->status, sizeof(out->status), eb));
  TRY(get_str(j, "currency", 0, out->currency, sizeof(out->currency), eb));
  TRY(get_dec(j, "cash", 1, &out->cash, eb));
  TRY(get_dec(j, "buying_power", 1, &out->buying_power, eb));
  TRY(get_dec(j, "equity", 1, &out->equity, eb));
  TRY(get_dec(j, "portfolio_value", 0, &out->portfolio_value, eb));
  if (absent(item(j, "portfolio_value"))) {
    out->portfolio_value = out->equity;
  }
  TRY(get_dec(j, "long_market_value", 0, &out->long_market_value, eb));
  TRY(get_dec(j, "multiplier", 0, &out->multiplier, eb));
  TRY(get_bool(j, "trading_blocked", 0, &out->trading_blocked, eb));
out:
  return err;
}

st_err st_alpaca_json_position(const cJSON *j, st_position *out,
                               st_errbuf *eb) {
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "position", eb));
  TRY(get_str(j, "symbol", 1, out->symbol, sizeof(out->symbol), eb));
  TRY(get_dec(j, "qty", 1, &out->qty, eb));
  TRY(get_dec(j, "qty_available", 0, &out->qty_available, eb));
  if (absent(item(j, "qty_available"))) {
    out->qty_available = out->qty;
  }
  TRY(get_dec(j, "avg_entry_price", 0, &out->avg_entry_price, eb));
  TRY(get_dec(j, "market_value", 0, &out->market_value, eb));
  TRY(get_dec(j, "current_price", 0, &out->current_price, eb));
  TRY(get_dec(j, "cost_basis", 0, &out->cost_basis, eb));
out:
  return err;
}

st_err st_alpaca_json_positions(const cJSON *j, st_position **out, size_t *n,
                                st_errbuf *eb) {
  st_position *v = NULL;
  const cJSON *it;
  size_t cnt, i = 0;
  st_err err = ST_OK;

  *out = NULL;
  *n = 0;
  if (!cJSON_IsArray(j)) {
    return st_errf(eb, ST_EPROTO, "position list is not a JSON array");
  }
  cnt = (size_t)cJSON_GetArraySize(j);
  v = st_calloc(cnt == 0 ? 1 : cnt, sizeof(*v));
  if (v == NULL) {
    return st_errf(eb, ST_ENOMEM, "position list of %zu", cnt);
  }
  cJSON_ArrayForEach(it, j) {
    if (i >= cnt) {
      break;
    }
    TRY(st_alpaca_json_position(it, &v[i], eb));
    i++;
  }
  *out = v;
  *n = i;
  v = NULL;
out:
  st_free(v);
  return err;
}

st_err st_alpaca_json_asset(const cJSON *j, st_asset *out, st_errbuf *eb) {
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "asset", eb));
  TRY(get_str(j, "symbol", 1, out->symbol, sizeof(out->symbol), eb));
  TRY(get_bool(j, "tradable", 0, &out->tradable, eb));
  TRY(get_bool(j, "fractionable", 0, &out->fractionable, eb));
out:
  return err;
}

/* The latest 09:30 local time (offset off_s east of UTC) at or before
 * now_ns, in UTC ns. */
static int64_t last_0930(int64_t now_ns, int32_t off_s) {
  int64_t local = now_ns + (int64_t)off_s * NS_PER_SEC, day, open;

  day = local / NS_PER_DAY;
  if (local % NS_PER_DAY < 0) {
    day--;
  }
  open = day * NS_PER_DAY + (9 * 3600 + 30 * 60) * NS_PER_SEC;
  if (open > local) {
    open -= NS_PER_DAY;
  }
  return open - (int64_t)off_s * NS_PER_SEC;
}

st_err st_alpaca_json_clock(const cJSON *j, st_clock *out, st_errbuf *eb) {
  int32_t off = 0;
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "clock", eb));
  TRY(get_time(j, "timestamp", 1, &out->now_ns, &off, eb));
  TRY(get_bool(j, "is_open", 1, &out->is_open, eb));
  TRY(get_time(j, "next_open", 1, &out->next_open_ns, NULL, eb));
  TRY(get_time(j, "next_close", 1, &out->next_close_ns, NULL, eb));
  if (out->is_open) {
    out->last_open_ns = last_0930(out->now_ns, off);
  }
out:
  return err;
}

static st_err set_symbol(st_quote *q, const char *symbol, st_errbuf *eb) {
  size_t n = symbol != NULL ? strlen(symbol) : 0;

  if (n == 0 || n >= sizeof(q->symbol)) {
    return st_errf(eb, ST_EPROTO, "bad quote symbol");
  }
  memcpy(q->symbol, symbol, n + 1);
  return ST_OK;
}

/* The price and size keys shared by REST and stream quotes. */
static st_err quote_fields(const cJSON *j, st_quote *out, st_errbuf *eb) {
  st_err err;

  TRY(get_dec(j, "bp", 0, &out->bid, eb));
  TRY(get_dec(j, "ap", 0, &out->ask, eb));
  TRY(get_dec(j, "bs", 0, &out->bid_size, eb));
  TRY(get_dec(j, "as", 0, &out->ask_size, eb));
  if (st_dec_is_neg(out->bid) || st_dec_is_neg(out->ask) ||
      st_dec_is_neg(out->bid_size) || st_dec_is_neg(out->ask_size)) {
    err = st_errf(eb, ST_EPROTO, "negative price or size in quote");
    goto out;
  }
  TRY(get_time(j, "t", 0, &out->ts_ns, NULL, eb));
out:
  return err;
}

st_err st_alpaca_json_quote(const cJSON *j, const char *symbol, st_quote *out,
                            st_errbuf *eb) {
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "quote", eb));
  TRY(set_symbol(out, symbol, eb));
  TRY(quote_fields(j, out, eb));
  out->source = ST_QUOTE_REST;
out:
  return err;
}

st_err st_alpaca_json_latest_quotes(const cJSON *j, const char *const *symbols,
                                    size_t n, st_quote *out, st_errbuf *eb) {
  const cJSON *quotes;
  size_t i;
  st_err err = ST_OK;

  TRY(need_object(j, "latest quotes", eb));
  quotes = item(j, "quotes");
  if (quotes != NULL && !cJSON_IsNull(quotes) && !cJSON_IsObject(quotes)) {
    err = st_errf(eb, ST_EPROTO, "\"quotes\" is not an object");
    goto out;
  }
  for (i = 0; i < n; i++) {
    const cJSON *q = quotes != NULL ? item(quotes, symbols[i]) : NULL;

    if (q == NULL || cJSON_IsNull(q)) {
      memset(&out[i], 0, sizeof(out[i]));
      TRY(set_symbol(&out[i], symbols[i], eb));
      out[i].source = ST_QUOTE_REST;
      continue;
    }
    TRY(st_alpaca_json_quote(q, symbols[i], &out[i], eb));
  }
out:
  return err;
}

st_err st_alpaca_json_stream_quote(const cJSON *j, st_quote *out,
                                   st_errbuf *eb) {
  char t[4], sym[ST_SYMBOL_LEN];
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(j, "quote message", eb));
  TRY(get_str(j, "T", 1, t, sizeof(t), eb));
  if (strcmp(t, "q") != 0) {
    err = st_errf(eb, ST_EPROTO, "message type \"%s\" is not a quote", t);
    goto out;
  }
  TRY(get_str(j, "S", 1, sym, sizeof(sym), eb));
  memcpy(out->symbol, sym, sizeof(sym));
  TRY(quote_fields(j, out, eb));
  out->source = ST_QUOTE_STREAM;
out:
  return err;
}

st_err st_alpaca_json_trade_update(const cJSON *data, st_trade_update *out,
                                   st_errbuf *eb) {
  char event[32];
  const cJSON *order;
  st_err err;

  memset(out, 0, sizeof(*out));
  TRY(need_object(data, "trade update", eb));
  TRY(get_str(data, "event", 1, event, sizeof(event), eb));
  out->event = st_trade_event_parse(event);
  order = item(data, "order");
  if (order == NULL || cJSON_IsNull(order)) {
    err = st_errf(eb, ST_EPROTO, "trade update without an order");
    goto out;
  }
  TRY(st_alpaca_json_order(order, &out->order, eb));
  TRY(get_str(data, "execution_id", 0, out->execution_id,
              sizeof(out->execution_id), eb));
  TRY(get_dec(data, "price", 0, &out->price, eb));
  TRY(get_dec(data, "qty", 0, &out->qty, eb));
  TRY(get_dec(data, "position_qty", 0, &out->position_qty, eb));
  TRY(get_time(data, "timestamp", 0, &out->ts_ns, NULL, eb));
out:
  return err;
}

/* Copies up to 200 printable bytes of a non-JSON body. */
static void copy_printable(const char *body, size_t len, char *dst,
                           size_t cap) {
  size_t i, o = 0;

  for (i = 0; i < len && o + 1 < cap && o < 200; i++) {
    unsigned char c = (unsigned char)body[i];

    dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
  }
  while (o > 0 && dst[o - 1] == ' ') {
    o--;
  }
  dst[o] = '\0';
}

void st_alpaca_json_errbody(const char *body, size_t len,
                            st_alpaca_errbody *out) {
  cJSON *j = NULL;
  const cJSON *it;
  st_errbuf eb;

  memset(out, 0, sizeof(*out));
  if (body == NULL || len == 0) {
    return;
  }
  if (st_alpaca_json_parse(body, len, &j, &eb) != ST_OK || !cJSON_IsObject(j)) {
    copy_printable(body, len, out->message, sizeof(out->message));
    goto out;
  }
  it = item(j, "code");
  if (cJSON_IsNumber(it) && isfinite(it->valuedouble) &&
      fabs(it->valuedouble) < 1e15) {
    out->code = (long)it->valuedouble;
  } else if (cJSON_IsString(it) && it->valuestring != NULL) {
    out->code = strtol(it->valuestring, NULL, 10);
  }
  it = item(j, "message");
  if (cJSON_IsString(it) && it->valuestring != NULL) {
    snprintf(out->message, sizeof(out->message), "%s", it->valuestring);
  }
  it = item(j, "available");
  if (!absent(it) && dec_of(it, "available", &out->available, &eb) == ST_OK) {
    out->has_available = 1;
  }
out:
  cJSON_Delete(j);
}
