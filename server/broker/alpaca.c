/* alpaca.c - the Alpaca broker adapter: options, lifecycle and REST ops. */
#include "server/broker/alpaca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/broker/alpaca_internal.h"
#include "server/broker/alpaca_json.h"
#include "server/broker/alpaca_time.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define NS_PER_MS 1000000LL
#define LATEST_QUOTES_BATCH 100 /* Symbols per latest-quotes request. */

static inline st_alpaca *A(st_broker *b) {
  return (st_alpaca *)b;
}

/* ---- Helpers ---------------------------------------------------------- */

/* Parses a JSON body with fn into out, mapping failures to ST_EPROTO. */
#define PARSE(j, fn, outp, e)                                             \
  do {                                                                    \
    st_errbuf eb_;                                                        \
    err = fn((j), (outp), &eb_);                                          \
    if (err != ST_OK) {                                                   \
      err = st_alpaca__fail((e), err, "malformed response: %s", eb_.msg); \
    }                                                                     \
  } while (0)

/* Checks a symbol: 1..15 bytes of A-Z, 0-9, '.', '/', '-'. */
static int valid_symbol(const char *s) {
  size_t n = 0;

  if (s == NULL) {
    return 0;
  }
  for (; s[n] != '\0'; n++) {
    char c = s[n];

    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-')) {
      return 0;
    }
  }
  return n > 0 && n < ST_SYMBOL_LEN;
}

/* Checks an order id or client order id for use in a path. */
static int valid_id(const char *s, size_t max) {
  size_t n = s != NULL ? strlen(s) : 0;

  return n > 0 && n < max;
}

/* Adds a decimal as a JSON string. */
static int add_dec(cJSON *o, const char *key, st_dec d) {
  char buf[ST_DEC_STRLEN];

  return cJSON_AddStringToObject(o, key, st_dec_format(d, 0, buf)) != NULL;
}

/* Prints o (consumed) into an st_malloc'd string, or NULL. */
static char *print_json(cJSON *o) {
  char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
  char *copy = st_strdup(s);

  cJSON_free(s);
  cJSON_Delete(o);
  return copy;
}

void st_alpaca__deliver(st_alpaca *a, const st_trade_update *u) {
  pthread_mutex_lock(&a->deliver_mu);
  if (st_ocache_admit(a->ocache, u)) {
    if (a->cbs.on_trade_update != NULL) {
      a->cbs.on_trade_update(a->cbs.ud, u);
    }
  } else {
    ST_DEBUG("alpaca", "dropped duplicate %s update for order %s%s",
             st_trade_event_name(u->event), u->order.id,
             u->reconciled ? " (reconciled)" : "");
  }
  pthread_mutex_unlock(&a->deliver_mu);
}

/* ---- Ops -------------------------------------------------------------- */

static st_err op_start(st_broker *b, const st_broker_cbs *cbs, st_brokerr *e) {
  st_alpaca *a = A(b);
  st_errbuf eb;
  st_err err;

  pthread_mutex_lock(&a->mu);
  if (a->started) {
    pthread_mutex_unlock(&a->mu);
    return st_alpaca__fail(e, ST_EPRECOND, "already started");
  }
  a->started = 1;
  pthread_mutex_unlock(&a->mu);
  if (cbs != NULL) {
    a->cbs = *cbs;
  }
  err = st_alpaca__reconcile_start(a, &eb);
  if (err == ST_OK && !a->no_streams) {
    err = st_alpaca__streams_start(a, &eb);
  }
  if (err != ST_OK) {
    return st_alpaca__fail(e, err, "%s", eb.msg);
  }
  ST_INFO("alpaca", "started: trading %s, data %s%s", a->base_url, a->data_url,
          a->no_streams ? " (no streams)" : "");
  return ST_OK;
}

static st_err op_get_account(st_broker *b, st_account *out, st_brokerr *e) {
  cJSON *j = NULL;
  st_err err;

  err = st_alpaca__request(A(b), "GET", "/v2/account", NULL, 0, &j, e);
  if (err == ST_OK) {
    PARSE(j, st_alpaca_json_account, out, e);
  }
  cJSON_Delete(j);
  return err;
}

#define ASSET_TTL_NS (15LL * 60 * 1000000000LL)

/* A cached asset of symbol if looked up within ASSET_TTL_NS. */
static int cached_asset(st_alpaca *a, const char *symbol, st_asset *out) {
  int64_t now = st_alpaca__mono_ns();
  int hit = 0;

  pthread_mutex_lock(&a->mu);
  for (size_t i = 0; i < sizeof(a->assets) / sizeof(a->assets[0]); i++) {
    if (a->assets[i].at_ns != 0 && now - a->assets[i].at_ns < ASSET_TTL_NS &&
        strcmp(a->assets[i].asset.symbol, symbol) == 0) {
      *out = a->assets[i].asset;
      hit = 1;
      break;
    }
  }
  pthread_mutex_unlock(&a->mu);
  return hit;
}

/* Remembers asset (the oldest slot makes room). */
static void cache_asset(st_alpaca *a, const st_asset *asset) {
  size_t n = sizeof(a->assets) / sizeof(a->assets[0]), slot = 0;

  pthread_mutex_lock(&a->mu);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(a->assets[i].asset.symbol, asset->symbol) == 0 ||
        a->assets[i].at_ns < a->assets[slot].at_ns) {
      slot = i;
      if (strcmp(a->assets[i].asset.symbol, asset->symbol) == 0) {
        break;
      }
    }
  }
  a->assets[slot].asset = *asset;
  a->assets[slot].at_ns = st_alpaca__mono_ns();
  pthread_mutex_unlock(&a->mu);
}

static st_err op_get_asset(st_broker *b, const char *symbol, st_asset *out,
                           st_brokerr *e) {
  char path[128], esc[64];
  cJSON *j = NULL;
  st_err err;

  if (!valid_symbol(symbol) ||
      st_alpaca__escape(symbol, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad symbol");
  }
  if (cached_asset(A(b), symbol, out)) {
    return ST_OK;
  }
  snprintf(path, sizeof(path), "/v2/assets/%s", esc);
  err = st_alpaca__request(A(b), "GET", path, NULL, 0, &j, e);
  if (err == ST_OK) {
    PARSE(j, st_alpaca_json_asset, out, e);
  }
  cJSON_Delete(j);
  if (err == ST_OK) {
    cache_asset(A(b), out);
  }
  return err;
}

static st_err op_list_positions(st_broker *b, st_position **out, size_t *n,
                                st_brokerr *e) {
  cJSON *j = NULL;
  st_errbuf eb;
  st_err err;

  *out = NULL;
  *n = 0;
  err = st_alpaca__request(A(b), "GET", "/v2/positions", NULL, 0, &j, e);
  if (err == ST_OK) {
    err = st_alpaca_json_positions(j, out, n, &eb);
    if (err != ST_OK) {
      err = st_alpaca__fail(e, err, "malformed response: %s", eb.msg);
    }
  }
  cJSON_Delete(j);
  return err;
}

static st_err op_get_position(st_broker *b, const char *symbol,
                              st_position *out, st_brokerr *e) {
  char path[128], esc[64];
  cJSON *j = NULL;
  st_err err;

  if (!valid_symbol(symbol) ||
      st_alpaca__escape(symbol, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad symbol");
  }
  snprintf(path, sizeof(path), "/v2/positions/%s", esc);
  err = st_alpaca__request(A(b), "GET", path, NULL, 0, &j, e);
  if (err == ST_OK) {
    PARSE(j, st_alpaca_json_position, out, e);
  }
  cJSON_Delete(j);
  return err;
}

static st_err get_order_path(st_alpaca *a, const char *path, st_order *out,
                             st_brokerr *e) {
  cJSON *j = NULL;
  st_err err;

  err = st_alpaca__request(a, "GET", path, NULL, 0, &j, e);
  if (err == ST_OK) {
    PARSE(j, st_alpaca_json_order, out, e);
  }
  cJSON_Delete(j);
  return err;
}

static st_err op_get_order(st_broker *b, const char *id, st_order *out,
                           st_brokerr *e) {
  char path[256], esc[3 * ST_ORDER_ID_LEN];

  if (!valid_id(id, ST_ORDER_ID_LEN) ||
      st_alpaca__escape(id, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad order id");
  }
  snprintf(path, sizeof(path), "/v2/orders/%s", esc);
  return get_order_path(A(b), path, out, e);
}

static st_err op_get_order_by_client_id(st_broker *b,
                                        const char *client_order_id,
                                        st_order *out, st_brokerr *e) {
  char path[512], esc[3 * ST_CLIENT_ID_LEN];

  if (!valid_id(client_order_id, ST_CLIENT_ID_LEN) ||
      st_alpaca__escape(client_order_id, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad client_order_id");
  }
  snprintf(path, sizeof(path),
           "/v2/orders:by_client_order_id?client_order_id=%s", esc);
  return get_order_path(A(b), path, out, e);
}

/* True when the broker's order o is the one req asked for. */
static int order_matches(const st_order_req *req, const st_order *o) {
  if (strcmp(req->symbol, o->symbol) != 0 || req->side != o->side) {
    return 0;
  }
  if (st_dec_is_pos(req->notional)) {
    return st_dec_cmp(req->notional, o->notional) == 0;
  }
  return st_dec_cmp(req->qty, o->qty) == 0;
}

static char *order_body(const st_order_req *req) {
  cJSON *o = cJSON_CreateObject();
  int ok = o != NULL;

  ok = ok && cJSON_AddStringToObject(o, "symbol", req->symbol) != NULL;
  if (st_dec_is_pos(req->notional)) {
    ok = ok && add_dec(o, "notional", req->notional);
  } else {
    ok = ok && add_dec(o, "qty", req->qty);
  }
  ok = ok && cJSON_AddStringToObject(
                 o, "side", req->side == ST_SIDE_BUY ? "buy" : "sell") != NULL;
  ok = ok &&
       cJSON_AddStringToObject(
           o, "type", req->type == ST_OTYPE_LIMIT ? "limit" : "market") != NULL;
  ok = ok &&
       cJSON_AddStringToObject(
           o, "time_in_force",
           req->time_in_force != NULL ? req->time_in_force : "day") != NULL;
  if (req->type == ST_OTYPE_LIMIT) {
    ok = ok && add_dec(o, "limit_price", req->limit_price);
  }
  ok = ok && cJSON_AddStringToObject(o, "client_order_id",
                                     req->client_order_id) != NULL;
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return print_json(o);
}

static st_err check_order_req(const st_order_req *req, st_brokerr *e) {
  int has_qty, has_notional;

  if (req == NULL) {
    return st_alpaca__fail(e, ST_EINVAL, "no order request");
  }
  if (!valid_id(req->client_order_id, ST_CLIENT_ID_LEN)) {
    return st_alpaca__fail(e, ST_EINVAL,
                           "client_order_id is required (1..128 chars)");
  }
  if (!valid_symbol(req->symbol)) {
    return st_alpaca__fail(e, ST_EINVAL, "bad symbol");
  }
  if (req->side != ST_SIDE_BUY && req->side != ST_SIDE_SELL) {
    return st_alpaca__fail(e, ST_EINVAL, "side must be buy or sell");
  }
  if (req->type != ST_OTYPE_MARKET && req->type != ST_OTYPE_LIMIT) {
    return st_alpaca__fail(e, ST_EINVAL, "type must be market or limit");
  }
  has_qty = st_dec_is_pos(req->qty);
  has_notional = st_dec_is_pos(req->notional);
  if (has_qty == has_notional || st_dec_is_neg(req->qty) ||
      st_dec_is_neg(req->notional)) {
    return st_alpaca__fail(e, ST_EINVAL,
                           "exactly one of qty and notional must be > 0");
  }
  if (req->type == ST_OTYPE_LIMIT && !st_dec_is_pos(req->limit_price)) {
    return st_alpaca__fail(e, ST_EINVAL, "a limit order needs limit_price");
  }
  if (req->time_in_force != NULL &&
      (strlen(req->time_in_force) == 0 || strlen(req->time_in_force) > 7)) {
    return st_alpaca__fail(e, ST_EINVAL, "bad time_in_force");
  }
  return ST_OK;
}

static st_err op_submit_order(st_broker *b, const st_order_req *req,
                              st_order *out, st_brokerr *e) {
  st_alpaca *a = A(b);
  st_brokerr e2;
  st_order scratch;
  char *body = NULL;
  cJSON *j = NULL;
  int round, resent = 0;
  st_err err;

  if (out == NULL) {
    out = &scratch; /* The caller does not want the order back. */
  }
  memset(out, 0, sizeof(*out));
  err = check_order_req(req, e);
  if (err != ST_OK) {
    return err;
  }
  body = order_body(req);
  if (body == NULL) {
    return st_alpaca__fail(e, ST_ENOMEM, "order body");
  }
  for (round = 1;; round++) {
    st_err lerr;

    err = st_alpaca__request(a, "POST", "/v2/orders", body, ST_ALPACA__ONCE, &j,
                             e);
    if (err == ST_OK) {
      PARSE(j, st_alpaca_json_order, out, e);
      if (err == ST_EPROTO && op_get_order_by_client_id(b, req->client_order_id,
                                                        out, &e2) == ST_OK) {
        /* Accepted, but the reply was mangled: the lookup is the truth. */
        err = ST_OK;
      }
      break;
    }
    if (err == ST_EDUPLICATE) {
      lerr = op_get_order_by_client_id(b, req->client_order_id, out, &e2);
      if (lerr != ST_OK) {
        memset(out, 0, sizeof(*out));
        ST_WARN("alpaca",
                "order %s: duplicate client_order_id, and the lookup "
                "failed: %s",
                req->client_order_id, e2.message);
      } else if (resent && order_matches(req, out)) {
        /* Our own earlier attempt got through after all. */
        ST_INFO("alpaca", "order %s: adopted %s after a resend",
                req->client_order_id, out->id);
        err = ST_OK;
      }
      break;
    }
    if (err != ST_ETRANSIENT || round >= a->max_attempts) {
      break;
    }
    /* Ambiguous: the order may exist. Look before sending again. */
    ST_WARN("alpaca", "order %s: submit failed (%s); looking it up",
            req->client_order_id, e != NULL ? e->message : "transient");
    if (st_alpaca__sleep(a, st_alpaca__backoff_ns(a, round)) != ST_OK) {
      break;
    }
    lerr = op_get_order_by_client_id(b, req->client_order_id, out, &e2);
    if (lerr == ST_OK) {
      ST_INFO("alpaca", "order %s: found %s at the broker; adopted",
              req->client_order_id, out->id);
      err = ST_OK;
      break;
    }
    memset(out, 0, sizeof(*out));
    if (lerr != ST_ENOTFOUND) {
      /* Still unknown whether it exists: report the ambiguity. */
      break;
    }
    resent = 1;
  }
  if (err == ST_OK || err == ST_EDUPLICATE) {
    if (out->id[0] != '\0') {
      st_ocache_track(a->ocache, out->id);
    }
  }
  cJSON_Delete(j);
  st_free(body);
  return err;
}

/* Appends "&key=value" (value escaped unless raw) to buf. */
static st_err qappend(char *buf, size_t cap, const char *key,
                      const char *value) {
  size_t n = strlen(buf);
  char esc[4096];

  if (st_alpaca__escape(value, esc, sizeof(esc)) != ST_OK) {
    return ST_EINVAL;
  }
  if ((size_t)snprintf(buf + n, cap - n, "%s%s=%s",
                       strchr(buf, '?') != NULL ? "&" : "?", key,
                       esc) >= cap - n) {
    return ST_EINVAL;
  }
  return ST_OK;
}

st_err st_alpaca__list_orders(st_alpaca *a, const st_order_query *q, int asc,
                              st_order **out, size_t *n, st_brokerr *e) {
  static const char *const status[] = {"open", "closed", "all"};
  char path[4096] = "/v2/orders", num[16], ts[ST_ALPACA_TIME_STRLEN];
  char syms[2048] = "";
  cJSON *j = NULL;
  st_errbuf eb;
  size_t i;
  st_err err;

  *out = NULL;
  *n = 0;
  if ((unsigned)q->status > ST_ORDERS_ALL || q->limit < 0) {
    return st_alpaca__fail(e, ST_EINVAL, "bad order query");
  }
  for (i = 0; i < q->nsymbols; i++) {
    size_t len = strlen(syms);

    if (!valid_symbol(q->symbols[i]) ||
        (size_t)snprintf(syms + len, sizeof(syms) - len, "%s%s",
                         i > 0 ? "," : "",
                         q->symbols[i]) >= sizeof(syms) - len) {
      return st_alpaca__fail(e, ST_EINVAL, "bad or too many symbols");
    }
  }
  snprintf(num, sizeof(num), "%d", q->limit > 500 ? 500 : q->limit);
  if (qappend(path, sizeof(path), "status", status[q->status]) != ST_OK ||
      (q->limit > 0 && qappend(path, sizeof(path), "limit", num) != ST_OK) ||
      (q->after_ns != 0 &&
       qappend(path, sizeof(path), "after",
               st_alpaca_time_format(q->after_ns, ts)) != ST_OK) ||
      (syms[0] != '\0' &&
       qappend(path, sizeof(path), "symbols", syms) != ST_OK) ||
      qappend(path, sizeof(path), "direction", asc ? "asc" : "desc") != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "order query too long");
  }
  err = st_alpaca__request(a, "GET", path, NULL, 0, &j, e);
  if (err == ST_OK) {
    err = st_alpaca_json_orders(j, out, n, &eb);
    if (err != ST_OK) {
      err = st_alpaca__fail(e, err, "malformed response: %s", eb.msg);
    }
  }
  cJSON_Delete(j);
  return err;
}

static st_err op_list_orders(st_broker *b, const st_order_query *q,
                             st_order **out, size_t *n, st_brokerr *e) {
  if (q == NULL) {
    *out = NULL;
    *n = 0;
    return st_alpaca__fail(e, ST_EINVAL, "no order query");
  }
  return st_alpaca__list_orders(A(b), q, 0, out, n, e);
}

static st_err op_cancel_order(st_broker *b, const char *id, st_brokerr *e) {
  char path[256], esc[3 * ST_ORDER_ID_LEN];
  st_err err;

  if (!valid_id(id, ST_ORDER_ID_LEN) ||
      st_alpaca__escape(id, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad order id");
  }
  snprintf(path, sizeof(path), "/v2/orders/%s", esc);
  err = st_alpaca__request(A(b), "DELETE", path, NULL, 0, NULL, e);
  if (err == ST_EINVAL && e != NULL && e->http_status == 422 &&
      strstr(e->message, "pending_cancel") != NULL) {
    /* A cancel is already under way (perhaps our own retried request). */
    err = ST_OK;
  }
  return err;
}

static char *replace_body(const st_replace_req *r) {
  cJSON *o = cJSON_CreateObject();
  int ok = o != NULL;

  if (st_dec_is_pos(r->qty)) {
    ok = ok && add_dec(o, "qty", r->qty);
  }
  if (st_dec_is_pos(r->limit_price)) {
    ok = ok && add_dec(o, "limit_price", r->limit_price);
  }
  if (r->client_order_id != NULL) {
    ok = ok && cJSON_AddStringToObject(o, "client_order_id",
                                       r->client_order_id) != NULL;
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return print_json(o);
}

static st_err op_replace_order(st_broker *b, const char *id,
                               const st_replace_req *r, st_order *out,
                               st_brokerr *e) {
  st_alpaca *a = A(b);
  char path[256], esc[3 * ST_ORDER_ID_LEN];
  st_order scratch;
  char *body = NULL;
  cJSON *j = NULL;
  int round;
  st_err err;

  if (out == NULL) {
    out = &scratch;
  }
  memset(out, 0, sizeof(*out));
  if (!valid_id(id, ST_ORDER_ID_LEN) ||
      st_alpaca__escape(id, esc, sizeof(esc)) != ST_OK) {
    return st_alpaca__fail(e, ST_EINVAL, "bad order id");
  }
  if (r == NULL || st_dec_is_neg(r->qty) || st_dec_is_neg(r->limit_price) ||
      (!st_dec_is_pos(r->qty) && !st_dec_is_pos(r->limit_price)) ||
      (r->client_order_id != NULL &&
       !valid_id(r->client_order_id, ST_CLIENT_ID_LEN))) {
    return st_alpaca__fail(e, ST_EINVAL,
                           "a replace needs qty or limit_price > 0");
  }
  body = replace_body(r);
  if (body == NULL) {
    return st_alpaca__fail(e, ST_ENOMEM, "replace body");
  }
  snprintf(path, sizeof(path), "/v2/orders/%s", esc);
  for (round = 1;; round++) {
    st_order old;
    st_brokerr e2;
    st_err lerr;

    err = st_alpaca__request(a, "PATCH", path, body, ST_ALPACA__ONCE, &j, e);
    if (err == ST_OK) {
      PARSE(j, st_alpaca_json_order, out, e);
      break;
    }
    if (err != ST_ETRANSIENT || round >= a->max_attempts) {
      break;
    }
    /* Ambiguous: see whether the old order was replaced. */
    if (st_alpaca__sleep(a, st_alpaca__backoff_ns(a, round)) != ST_OK) {
      break;
    }
    lerr = op_get_order(b, id, &old, &e2);
    if (lerr != ST_OK) {
      break;
    }
    if (old.status == ST_OS_REPLACED && old.replaced_by[0] != '\0') {
      err = op_get_order(b, old.replaced_by, out, e);
      break;
    }
    if (old.status == ST_OS_PENDING_REPLACE) {
      continue; /* Look again after the next backoff (no resend). */
    }
    if (st_ostatus_terminal(old.status)) {
      err = st_alpaca__fail(e, ST_ETERMINAL, "order %s is %s", id,
                            st_ostatus_name(old.status));
      break;
    }
    /* Unchanged and working: the replace did not happen; send it again. */
  }
  if (err == ST_OK) {
    st_ocache_track(a->ocache, out->id);
  }
  cJSON_Delete(j);
  st_free(body);
  return err;
}

static st_err op_latest_quotes(st_broker *b, const char *const *symbols,
                               size_t n, st_quote *out, st_brokerr *e) {
  st_alpaca *a = A(b);
  size_t i, k;
  st_err err = ST_OK;

  for (i = 0; i < n; i++) {
    if (!valid_symbol(symbols[i])) {
      return st_alpaca__fail(e, ST_EINVAL, "bad symbol");
    }
  }
  for (i = 0; i < n && err == ST_OK; i += LATEST_QUOTES_BATCH) {
    size_t m = n - i < LATEST_QUOTES_BATCH ? n - i : LATEST_QUOTES_BATCH;
    char path[4096] = "/v2/stocks/quotes/latest", syms[2048] = "";
    cJSON *j = NULL;
    st_errbuf eb;

    for (k = 0; k < m; k++) {
      size_t len = strlen(syms);

      snprintf(syms + len, sizeof(syms) - len, "%s%s", k > 0 ? "," : "",
               symbols[i + k]);
    }
    if (qappend(path, sizeof(path), "symbols", syms) != ST_OK ||
        qappend(path, sizeof(path), "feed", a->feed) != ST_OK) {
      return st_alpaca__fail(e, ST_EINVAL, "quote query too long");
    }
    err = st_alpaca__request(a, "GET", path, NULL, ST_ALPACA__DATA, &j, e);
    if (err == ST_OK) {
      err = st_alpaca_json_latest_quotes(j, symbols + i, m, out + i, &eb);
      if (err != ST_OK) {
        err = st_alpaca__fail(e, err, "malformed response: %s", eb.msg);
      }
    }
    cJSON_Delete(j);
  }
  if (err == ST_OK) {
    int64_t now = st_alpaca__real_ns();

    for (i = 0; i < n; i++) {
      out[i].received_ns = now;
    }
  }
  return err;
}

static st_err op_get_clock(st_broker *b, st_clock *out, st_brokerr *e) {
  cJSON *j = NULL;
  st_err err;

  err = st_alpaca__request(A(b), "GET", "/v2/clock", NULL, 0, &j, e);
  if (err == ST_OK) {
    PARSE(j, st_alpaca_json_clock, out, e);
  }
  cJSON_Delete(j);
  return err;
}

static st_err op_set_quote_symbols(st_broker *b, const char *const *symbols,
                                   size_t n, st_brokerr *e) {
  size_t i;

  if (n > ST_BROKER_MAX_QUOTE_SYMBOLS) {
    return st_alpaca__fail(e, ST_EOVERFLOW,
                           "%zu quote symbols; the stream allows %d", n,
                           ST_BROKER_MAX_QUOTE_SYMBOLS);
  }
  for (i = 0; i < n; i++) {
    if (!valid_symbol(symbols[i])) {
      return st_alpaca__fail(e, ST_EINVAL, "bad symbol");
    }
  }
  return st_alpaca__set_quote_symbols(A(b), symbols, n, e);
}

static int op_trade_stream_up(st_broker *b) {
  return st_alpaca__trade_stream_up(A(b));
}

static void free_alpaca(st_alpaca *a);

static void op_destroy(st_broker *b) {
  st_alpaca *a = A(b);

  if (a == NULL) {
    return;
  }
  pthread_mutex_lock(&a->mu);
  a->stopping = 1;
  pthread_cond_broadcast(&a->cv);
  pthread_cond_broadcast(&a->rc_cv);
  pthread_mutex_unlock(&a->mu);
  /* The stream thread first (it requests reconciliations), then the
   * worker; after both, no callback can run. */
  st_alpaca__streams_destroy(a);
  st_alpaca__reconcile_stop(a);
  free_alpaca(a);
}

static const st_broker_ops alpaca_ops = {
    .start = op_start,
    .get_account = op_get_account,
    .get_asset = op_get_asset,
    .list_positions = op_list_positions,
    .get_position = op_get_position,
    .submit_order = op_submit_order,
    .get_order = op_get_order,
    .get_order_by_client_id = op_get_order_by_client_id,
    .list_orders = op_list_orders,
    .cancel_order = op_cancel_order,
    .replace_order = op_replace_order,
    .latest_quotes = op_latest_quotes,
    .get_clock = op_get_clock,
    .set_quote_symbols = op_set_quote_symbols,
    .trade_stream_up = op_trade_stream_up,
    .destroy = op_destroy,
};

/* ---- Creation --------------------------------------------------------- */

/* Wipes and frees a string that may be a secret. */
static void free_secret(char *s) {
  if (s != NULL) {
    volatile char *p = s;

    while (*p != '\0') {
      *p++ = '\0';
    }
    st_free(s);
  }
}

static void free_alpaca(st_alpaca *a) {
  st_http_destroy(a->http);
  st_ratelimit_destroy(a->rl);
  st_ocache_destroy(a->ocache);
  free_secret(a->key_id);
  free_secret(a->secret_key);
  st_free(a->base_url);
  st_free(a->data_url);
  st_free(a->stream_url);
  st_free(a->data_stream_url);
  st_free(a->feed);
  pthread_cond_destroy(&a->rc_cv);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->deliver_mu);
  pthread_mutex_destroy(&a->mu);
  st_free(a);
}

/* Returns a copy of url without trailing slashes, or NULL. */
static char *trim_url(const char *url) {
  size_t n = strlen(url);

  while (n > 0 && url[n - 1] == '/') {
    n--;
  }
  return st_strndup(url, n);
}

/* Copies the host of an http(s)/ws(s) URL into host; 0 if malformed. */
static int url_host(const char *url, char *host, size_t cap) {
  const char *p = strstr(url, "://"), *end;
  size_t n;

  if (p == NULL) {
    return 0;
  }
  p += 3;
  end = p + strcspn(p, ":/?#");
  n = (size_t)(end - p);
  if (n == 0 || n >= cap) {
    return 0;
  }
  memcpy(host, p, n);
  host[n] = '\0';
  return 1;
}

static int is_http_url(const char *url) {
  char host[256];

  return (strncasecmp(url, "http://", 7) == 0 ||
          strncasecmp(url, "https://", 8) == 0) &&
         url_host(url, host, sizeof(host));
}

/* http://x -> ws://x + suffix, https://x -> wss://x + suffix. */
static char *ws_of(const char *http_url, const char *suffix) {
  const char *rest;
  const char *scheme;
  size_t n;
  char *s;

  if (strncasecmp(http_url, "https://", 8) == 0) {
    scheme = "wss://";
    rest = http_url + 8;
  } else {
    scheme = "ws://";
    rest = http_url + 7;
  }
  n = strlen(scheme) + strlen(rest) + strlen(suffix) + 1;
  s = st_malloc(n);
  if (s != NULL) {
    snprintf(s, n, "%s%s%s", scheme, rest, suffix);
  }
  return s;
}

static int pos_or(int v, int dflt) {
  return v > 0 ? v : dflt;
}

st_err st_alpaca_create(const st_alpaca_opts *o, st_broker **out,
                        st_errbuf *eb) {
  st_alpaca *a = NULL;
  pthread_condattr_t ca;
  char host[256], suffix[64];
  char hdr_key[512], hdr_secret[512];
  const char *hdrs[2] = {hdr_key, hdr_secret};
  st_http_opts ho;
  st_err err;

  *out = NULL;
  if (o == NULL || o->key_id == NULL || o->key_id[0] == '\0' ||
      o->secret_key == NULL || o->secret_key[0] == '\0') {
    return st_errf(eb, ST_EINVAL,
                   "alpaca: an API key id and secret key are required");
  }
  if (strlen(o->key_id) > 256 || strlen(o->secret_key) > 256 ||
      strpbrk(o->key_id, "\r\n") != NULL ||
      strpbrk(o->secret_key, "\r\n") != NULL) {
    return st_errf(eb, ST_EINVAL, "alpaca: malformed API key");
  }
  a = st_calloc(1, sizeof(*a));
  if (a == NULL) {
    return st_errf(eb, ST_ENOMEM, "alpaca adapter");
  }
  pthread_mutex_init(&a->mu, NULL);
  pthread_mutex_init(&a->deliver_mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&a->cv, &ca);
  pthread_cond_init(&a->rc_cv, &ca);
  pthread_condattr_destroy(&ca);
  a->base.ops = &alpaca_ops;
  a->base.name = "alpaca";
  a->created_ns = st_alpaca__real_ns();
  a->rng = (uint64_t)a->created_ns ^ ((uint64_t)getpid() << 32) ^
           (uint64_t)(uintptr_t)a;
  if (a->rng == 0) {
    a->rng = 88172645463325252ULL;
  }
  a->key_id = st_strdup(o->key_id);
  a->secret_key = st_strdup(o->secret_key);
  a->base_url =
      trim_url(o->base_url != NULL ? o->base_url : ST_ALPACA_PAPER_URL);
  a->data_url =
      trim_url(o->data_url != NULL ? o->data_url : ST_ALPACA_DATA_URL);
  a->feed = st_strdup(o->feed != NULL && o->feed[0] != '\0' ? o->feed : "iex");
  if (a->key_id == NULL || a->secret_key == NULL || a->base_url == NULL ||
      a->data_url == NULL || a->feed == NULL) {
    err = st_errf(eb, ST_ENOMEM, "alpaca adapter");
    goto fail;
  }
  if (!is_http_url(a->base_url) || !is_http_url(a->data_url)) {
    err = st_errf(eb, ST_EINVAL,
                  "alpaca: base and data URLs must be http:// or https:// "
                  "(got \"%s\", \"%s\")",
                  a->base_url, a->data_url);
    goto fail;
  }
  url_host(a->base_url, host, sizeof(host));
  if (strcasecmp(host, ST_ALPACA_LIVE_HOST) == 0 && !o->live) {
    err = st_errf(eb, ST_EINVAL,
                  "alpaca: %s is the LIVE trading host (real money); set "
                  "live to use it, or use %s for paper trading",
                  a->base_url, ST_ALPACA_PAPER_URL);
    goto fail;
  }
  if (strspn(a->feed, "abcdefghijklmnopqrstuvwxyz") != strlen(a->feed) ||
      strlen(a->feed) > 16) {
    err = st_errf(eb, ST_EINVAL, "alpaca: bad feed \"%s\"", a->feed);
    goto fail;
  }
  a->stream_url = o->stream_url != NULL ? trim_url(o->stream_url)
                                        : ws_of(a->base_url, "/stream");
  snprintf(suffix, sizeof(suffix), "/v2/%s", a->feed);
  url_host(a->data_url, host, sizeof(host));
  if (o->data_stream_url != NULL) {
    a->data_stream_url = trim_url(o->data_stream_url);
  } else if (strcasecmp(host, "data.alpaca.markets") == 0) {
    a->data_stream_url = ws_of("https://stream.data.alpaca.markets", suffix);
  } else if (strcasecmp(host, "data.sandbox.alpaca.markets") == 0) {
    a->data_stream_url =
        ws_of("https://stream.data.sandbox.alpaca.markets", suffix);
  } else {
    a->data_stream_url = ws_of(a->data_url, suffix);
  }
  if (a->stream_url == NULL || a->data_stream_url == NULL) {
    err = st_errf(eb, ST_ENOMEM, "alpaca adapter");
    goto fail;
  }
  a->max_attempts = pos_or(o->max_attempts, 4);
  a->backoff_base_ns = (int64_t)pos_or(o->backoff_base_ms, 250) * NS_PER_MS;
  a->backoff_cap_ns = (int64_t)pos_or(o->backoff_cap_ms, 8000) * NS_PER_MS;
  if (a->backoff_cap_ns < a->backoff_base_ns) {
    a->backoff_cap_ns = a->backoff_base_ns;
  }
  a->rate_wait_max_ns = (int64_t)pos_or(o->rate_wait_max_ms, 30000) * NS_PER_MS;
  a->reconnect_base_ms = pos_or(o->reconnect_base_ms, 500);
  a->reconnect_cap_ms = pos_or(o->reconnect_cap_ms, 30000);
  a->reconcile_margin_ns =
      (int64_t)pos_or(o->reconcile_margin_ms, 60000) * NS_PER_MS;
  a->no_streams = o->no_streams;
  {
    int limit = pos_or(o->rate_limit_per_min, 200);
    int burst = limit / 20 > 1 ? limit / 20 : 1;

    err = st_ratelimit_create(limit, 60LL * 1000 * NS_PER_MS, burst, NULL,
                              &a->rl);
    if (err != ST_OK) {
      err = st_errf(eb, err, "alpaca: rate limiter");
      goto fail;
    }
  }
  err = st_ocache_create(0, &a->ocache);
  if (err != ST_OK) {
    err = st_errf(eb, err, "alpaca: order cache");
    goto fail;
  }
  snprintf(hdr_key, sizeof(hdr_key), "APCA-API-KEY-ID: %s", a->key_id);
  snprintf(hdr_secret, sizeof(hdr_secret), "APCA-API-SECRET-KEY: %s",
           a->secret_key);
  memset(&ho, 0, sizeof(ho));
  ho.headers = hdrs;
  ho.nheaders = 2;
  ho.connect_timeout_ms = pos_or(o->connect_timeout_ms, 5000);
  ho.timeout_ms = pos_or(o->timeout_ms, 15000);
  ho.pool_size = (size_t)pos_or(o->http_pool_size, 4);
  err = st_http_create(&ho, &a->http, eb);
  memset(hdr_secret, 0, sizeof(hdr_secret));
  if (err != ST_OK) {
    goto fail;
  }
  err = st_alpaca__streams_create(a, eb);
  if (err != ST_OK) {
    goto fail;
  }
  ST_INFO("alpaca", "adapter for %s (data %s, feed %s)%s", a->base_url,
          a->data_url, a->feed, o->live ? " LIVE TRADING" : "");
  *out = &a->base;
  return ST_OK;
fail:
  st_alpaca__streams_destroy(a);
  free_alpaca(a);
  return err;
}
