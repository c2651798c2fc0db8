/* data.c - market data: latest-quote REST and the real-time stream. */
#include "server/alpaca_sim/data.h"

#include <string.h>

#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define FAKEPACA "FAKEPACA"
#define NS_PER_SEC 1000000000LL

/* Sends a one-element array [obj] to ws (takes obj). */
static void send_one(st_asim_ws *ws, cJSON *obj) {
  cJSON *arr = cJSON_CreateArray();

  if (arr == NULL || obj == NULL || !cJSON_AddItemToArray(arr, obj)) {
    cJSON_Delete(arr);
    cJSON_Delete(obj);
    return;
  }
  (void)st_asim_ws_send(ws, arr);
  cJSON_Delete(arr);
}

static void send_success(st_asim_ws *ws, const char *msg) {
  cJSON *o = cJSON_CreateObject();

  if (o != NULL) {
    cJSON_AddStringToObject(o, "T", "success");
    cJSON_AddStringToObject(o, "msg", msg);
  }
  send_one(ws, o);
}

static void send_error(st_asim_ws *ws, int code, const char *msg) {
  cJSON *o = cJSON_CreateObject();

  if (o != NULL) {
    cJSON_AddStringToObject(o, "T", "error");
    cJSON_AddNumberToObject(o, "code", code);
    cJSON_AddStringToObject(o, "msg", msg);
  }
  send_one(ws, o);
}

/* Authenticates ws with key/secret, or sends the error and closes. */
static void authenticate(st_asim *a, st_asim_ws *ws, const char *key,
                         const char *secret) {
  if (ws->authed) {
    send_error(ws, 403, "already authenticated");
    return;
  }
  if (key == NULL || secret == NULL || strcmp(key, a->cfg.key_id) != 0 ||
      strcmp(secret, a->cfg.secret_key) != 0) {
    send_error(ws, 402, "auth failed");
    st_asim_ws_close_after(ws);
    return;
  }
  for (st_asim_ws *o = a->ws_head; o != NULL; o = o->next) {
    if (o != ws && o->kind == ST_ASIM_WS_DATA && o->authed && !o->dead &&
        !o->closing && o->feed == ws->feed && strcmp(o->key_id, key) == 0) {
      send_error(ws, 406, "connection limit exceeded");
      st_asim_ws_close_after(ws);
      return;
    }
  }
  ws->authed = 1;
  snprintf(ws->key_id, sizeof(ws->key_id), "%s", key);
  send_success(ws, "authenticated");
}

void st_asim_data_open(st_asim *a, st_asim_ws *ws) {
  send_success(ws, "connected");
  if (ws->hdr_key[0] != '\0' || ws->hdr_secret[0] != '\0') {
    authenticate(a, ws, ws->hdr_key, ws->hdr_secret);
  }
}

/* Applies a subscribe (add = 1) or unsubscribe to ws and replies with the
 * whole set, or with an error (the set unchanged). */
static void subscribe(st_asim_ws *ws, const cJSON *msg, int add) {
  st_asim_subs next;
  const cJSON *item;

  if (!ws->authed) {
    send_error(ws, 401, "not authenticated");
    return;
  }
  if (st_asim_subs_copy(&next, &ws->subs) != ST_OK) {
    send_error(ws, 500, "internal error");
    return;
  }
  cJSON_ArrayForEach(item, msg) {
    int ch = -1;
    const cJSON *s;

    for (int c = 0; c < ST_ASIM_CH_COUNT; c++) {
      if (strcmp(item->string, st_asim_subs_channel_name(c)) == 0) {
        ch = c;
      }
    }
    if (ch < 0) {
      /* corrections and cancelErrors follow trades; other channels
       * (orderbooks, news, ...) do not exist on this feed, but an empty
       * list of them, as some SDKs send, is harmless. */
      if (strcmp(item->string, "action") == 0 ||
          strcmp(item->string, "corrections") == 0 ||
          strcmp(item->string, "cancelErrors") == 0 ||
          (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 0)) {
        continue;
      }
      st_asim_subs_free(&next);
      send_error(ws, 410, "invalid subscribe action for this feed");
      return;
    }
    if (!cJSON_IsArray(item)) {
      st_asim_subs_free(&next);
      send_error(ws, 400, "invalid syntax");
      return;
    }
    cJSON_ArrayForEach(s, item) {
      if (!cJSON_IsString(s) ||
          (add && st_asim_subs_add(&next, ch, s->valuestring) != ST_OK)) {
        st_asim_subs_free(&next);
        send_error(ws, 400, "invalid syntax");
        return;
      }
      if (!add) {
        st_asim_subs_remove(&next, ch, s->valuestring);
      }
    }
  }
  if (add && st_asim_subs_symbol_count(&next) > ST_ASIM_DATA_SYMBOL_LIMIT) {
    st_asim_subs_free(&next);
    send_error(ws, 405, "symbol limit exceeded");
    return;
  }
  st_asim_subs_free(&ws->subs);
  ws->subs = next;
  send_one(ws, st_asim_subs_json(&ws->subs));
}

void st_asim_data_message(st_asim *a, st_asim_ws *ws, const cJSON *msg) {
  const char *action = NULL;

  if (ws->dead || ws->closing) {
    return;
  }
  if (cJSON_IsArray(msg) && cJSON_GetArraySize(msg) == 1) {
    msg = cJSON_GetArrayItem(msg, 0);
  }
  if (msg == NULL || !cJSON_IsObject(msg) ||
      st_asim_json_get_str(msg, "action", &action) != ST_OK || action == NULL) {
    send_error(ws, 400, "invalid syntax");
    return;
  }
  if (strcmp(action, "auth") == 0) {
    const char *key = NULL, *secret = NULL;

    (void)st_asim_json_get_str(msg, "key", &key);
    (void)st_asim_json_get_str(msg, "secret", &secret);
    authenticate(a, ws, key, secret);
  } else if (strcmp(action, "subscribe") == 0) {
    subscribe(ws, msg, 1);
  } else if (strcmp(action, "unsubscribe") == 0) {
    subscribe(ws, msg, 0);
  } else {
    send_error(ws, 400, "invalid syntax");
  }
}

st_err st_asim_data_init(st_asim *a) {
  st_sim_market *m = st_sim_get_market(a->sim);
  size_t n = st_sim_market_count(m);

  a->quote_ts = st_calloc(n > 0 ? n : 1, sizeof(*a->quote_ts));
  if (a->quote_ts == NULL) {
    return ST_ENOMEM;
  }
  a->nquote_ts = n;
  for (size_t i = 0; i < n; i++) {
    st_sim_quote q;

    if (st_sim_market_at(m, i, NULL, &q) == ST_OK) {
      a->quote_ts[i] = q.ts_ns;
    }
  }
  return ST_OK;
}

/* A stream quote message {"T":"q","S":sym,...}. */
static cJSON *quote_msg(const char *sym, const st_sim_quote *q,
                        const char *exch) {
  cJSON *o = st_asim_json_quote(q, exch);

  if (o == NULL) {
    return NULL;
  }
  cJSON_AddItemToObjectCS(o, "T", cJSON_CreateString("q"));
  cJSON_AddItemToObjectCS(o, "S", cJSON_CreateString(sym));
  return o;
}

/* Adds obj (taken) to the batch of ws, creating it on first use. */
static void batch_add(cJSON **batch, cJSON *obj) {
  if (obj == NULL) {
    return;
  }
  if (*batch == NULL) {
    *batch = cJSON_CreateArray();
  }
  if (*batch == NULL || !cJSON_AddItemToArray(*batch, obj)) {
    cJSON_Delete(obj);
  }
}

/* Sends the quotes that changed, one array per connection. */
static void flush_quotes(st_asim *a, int64_t now_ns) {
  st_sim_market *m = st_sim_get_market(a->sim);
  size_t n = st_sim_market_count(m);
  int fakepaca = now_ns >= a->fakepaca_next_ns;

  if (fakepaca) {
    a->fakepaca_next_ns = now_ns + NS_PER_SEC;
  }
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    cJSON *batch = NULL;

    if (ws->kind != ST_ASIM_WS_DATA || !ws->authed || ws->dead || ws->closing ||
        ws->subs.ch[ST_ASIM_CH_QUOTES].n == 0) {
      continue;
    }
    for (size_t i = 0; i < n && i < a->nquote_ts; i++) {
      st_sim_asset asset;
      st_sim_quote q;

      if (st_sim_market_at(m, i, &asset, &q) != ST_OK ||
          q.ts_ns == a->quote_ts[i] ||
          !st_asim_subs_has(&ws->subs, ST_ASIM_CH_QUOTES, asset.symbol)) {
        continue;
      }
      batch_add(&batch,
                quote_msg(asset.symbol, &q,
                          st_asim_json_exch_code(
                              asset.exchange, ws->feed != ST_ASIM_FEED_SIP)));
    }
    if (fakepaca && ws->feed == ST_ASIM_FEED_TEST &&
        st_asim_subs_has(&ws->subs, ST_ASIM_CH_QUOTES, FAKEPACA)) {
      st_sim_quote q = {st_dec_from_int(100),
                        st_dec_from_units(10002, 2),
                        100,
                        100,
                        now_ns,
                        0};

      batch_add(&batch, quote_msg(FAKEPACA, &q, "V"));
    }
    if (batch != NULL) {
      (void)st_asim_ws_send(ws, batch);
      cJSON_Delete(batch);
    }
  }
  for (size_t i = 0; i < n && i < a->nquote_ts; i++) {
    st_sim_quote q;

    if (st_sim_market_at(m, i, NULL, &q) == ST_OK) {
      a->quote_ts[i] = q.ts_ns;
    }
  }
}

void st_asim_data_tick(st_asim *a, int64_t now_ns) {
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    if (ws->kind == ST_ASIM_WS_DATA && !ws->authed && !ws->closing &&
        !ws->dead && now_ns - ws->connected_ns > ST_ASIM_DATA_AUTH_TIMEOUT_NS) {
      send_error(ws, 404, "auth timeout");
      st_asim_ws_close_after(ws);
    }
  }
  flush_quotes(a, now_ns);
}

void st_asim_data_fill(st_asim *a, const st_sim_event *ev) {
  st_sim_asset asset;
  char ts[ST_ASIM_TIME_LEN];

  if (st_sim_market_asset(st_sim_get_market(a->sim), ev->order.symbol,
                          &asset) != ST_OK) {
    return;
  }
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    cJSON *t, *c;

    if (ws->kind != ST_ASIM_WS_DATA || !ws->authed || ws->dead ||
        !st_asim_subs_has(&ws->subs, ST_ASIM_CH_TRADES, asset.symbol)) {
      continue;
    }
    t = cJSON_CreateObject();
    if (t == NULL) {
      continue;
    }
    cJSON_AddStringToObject(t, "T", "t");
    cJSON_AddStringToObject(t, "S", asset.symbol);
    cJSON_AddNumberToObject(t, "i", (double)ev->seq);
    cJSON_AddStringToObject(
        t, "x",
        st_asim_json_exch_code(asset.exchange, ws->feed != ST_ASIM_FEED_SIP));
    cJSON_AddNumberToObject(t, "p", (double)ev->price.v / ST_DEC_SCALE);
    cJSON_AddNumberToObject(t, "s", (double)ev->qty.v / ST_DEC_SCALE);
    cJSON_AddStringToObject(t, "t", st_asim_time_format(ev->ts_ns, 0, ts));
    c = cJSON_AddArrayToObject(t, "c");
    if (c != NULL) {
      cJSON_AddItemToArray(c, cJSON_CreateString("@"));
    }
    cJSON_AddStringToObject(t, "z", "C");
    send_one(ws, t);
  }
}

/* Adds the latest quote of sym to obj under sym; 0 if sym is unknown. */
static int add_latest(st_asim *a, cJSON *obj, const char *sym, int iex) {
  st_sim_market *m = st_sim_get_market(a->sim);
  st_sim_asset asset;
  st_sim_quote q;
  cJSON *j;

  if (st_sim_market_asset(m, sym, &asset) != ST_OK ||
      st_sim_market_quote(m, sym, &q) != ST_OK) {
    return 0;
  }
  j = st_asim_json_quote(&q, st_asim_json_exch_code(asset.exchange, iex));
  if (j == NULL) {
    return 0;
  }
  cJSON_AddItemToObject(obj, sym, j);
  return 1;
}

/* True unless ?feed= asks for sip or otc. */
static int feed_is_iex(const st_asim_req *rq) {
  const char *feed = st_asim_req_arg(rq, "feed");

  return feed == NULL || strcmp(feed, "iex") == 0 || feed[0] == '\0';
}

void st_asim_data_latest_quotes(st_asim *a, const st_asim_req *rq,
                                st_asim_resp *rs) {
  const char *symbols = st_asim_req_arg(rq, "symbols");
  cJSON *body, *quotes;
  char sym[64];

  if (symbols == NULL || symbols[0] == '\0') {
    st_asim_resp_error(rs, 400, 40010001, "invalid symbols");
    return;
  }
  body = cJSON_CreateObject();
  quotes = cJSON_AddObjectToObject(body, "quotes");
  if (quotes == NULL) {
    st_asim_resp_json(rs, 500, body);
    return;
  }
  while (*symbols != '\0') {
    size_t n = strcspn(symbols, ",");

    if (n > 0 && n < sizeof(sym)) {
      memcpy(sym, symbols, n);
      sym[n] = '\0';
      (void)add_latest(a, quotes, sym, feed_is_iex(rq));
    }
    symbols += n;
    if (*symbols == ',') {
      symbols++;
    }
  }
  st_asim_resp_json(rs, 200, body);
}

void st_asim_data_latest_quote(st_asim *a, const st_asim_req *rq,
                               st_asim_resp *rs) {
  cJSON *body = cJSON_CreateObject();
  cJSON *tmp = cJSON_CreateObject();
  cJSON *q;

  if (body == NULL || tmp == NULL ||
      !add_latest(a, tmp, rq->param[0], feed_is_iex(rq))) {
    cJSON_Delete(body);
    cJSON_Delete(tmp);
    st_asim_resp_error(rs, 404, 40410000, "symbol not found");
    return;
  }
  q = cJSON_DetachItemFromObject(tmp, rq->param[0]);
  cJSON_Delete(tmp);
  cJSON_AddStringToObject(body, "symbol", rq->param[0]);
  cJSON_AddItemToObject(body, "quote", q);
  st_asim_resp_json(rs, 200, body);
}
