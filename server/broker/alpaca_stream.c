/* alpaca_stream.c - Alpaca's trade_updates and market-data WebSockets. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "server/broker/alpaca_internal.h"
#include "server/broker/alpaca_json.h"
#include "server/broker/ws.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define MAXSYM ST_BROKER_MAX_QUOTE_SYMBOLS
#define NS_PER_MS 1000000LL

struct st_alpaca_streams {
  st_alpaca *a;
  st_ws_loop *loop;
  st_ws_conn *trade, *data;
  atomic_int trade_up;

  /* Trade stream; service thread only. */
  int64_t last_rx_ns;     /* Last message on the stream (wall clock). */
  int64_t up_at_ns;       /* When it last started listening. */
  int64_t missed_from_ns; /* Updates may be missing from here on. */

  /* Market data; under mu. */
  pthread_mutex_t mu;
  int data_authed, data_up, data_dead;
  char want[MAXSYM][ST_SYMBOL_LEN];
  size_t nwant;
  char sent[MAXSYM][ST_SYMBOL_LEN];
  size_t nsent;
};

/* Sends o (consumed) as JSON text on c; wipes the text afterwards, since
 * auth messages carry the secret. */
static st_err send_json(st_ws_conn *c, cJSON *o) {
  char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
  st_err err = ST_ENOMEM;

  cJSON_Delete(o);
  if (s != NULL) {
    size_t n = strlen(s);

    err = st_ws_send(c, s, n);
    memset(s, 0, n);
    cJSON_free(s);
  }
  return err;
}

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

  return cJSON_IsString(it) && it->valuestring != NULL ? it->valuestring : "";
}

static void stream_event(st_alpaca *a, st_stream_kind k, int up) {
  if (a->cbs.on_stream != NULL) {
    a->cbs.on_stream(a->cbs.ud, k, up);
  }
}

/* ---- trade_updates ---------------------------------------------------- */

static void trade_open(void *ud, st_ws_conn *c) {
  st_alpaca_streams *s = ud;
  cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateObject();

  s->last_rx_ns = st_alpaca__real_ns();
  if (o == NULL || d == NULL ||
      cJSON_AddStringToObject(o, "action", "authenticate") == NULL ||
      cJSON_AddStringToObject(d, "key_id", s->a->key_id) == NULL ||
      cJSON_AddStringToObject(d, "secret_key", s->a->secret_key) == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(d);
    st_ws_conn_drop(c);
    return;
  }
  cJSON_AddItemToObject(o, "data", d);
  if (send_json(c, o) != ST_OK) {
    st_ws_conn_drop(c);
  }
}

static void send_listen(st_ws_conn *c) {
  cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateObject();
  cJSON *arr = cJSON_CreateArray(), *name = cJSON_CreateString("trade_updates");

  if (o == NULL || d == NULL || arr == NULL || name == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(d);
    cJSON_Delete(arr);
    cJSON_Delete(name);
    st_ws_conn_drop(c);
    return;
  }
  cJSON_AddItemToArray(arr, name);
  cJSON_AddItemToObject(d, "streams", arr);
  cJSON_AddStringToObject(o, "action", "listen");
  cJSON_AddItemToObject(o, "data", d);
  if (send_json(c, o) != ST_OK) {
    st_ws_conn_drop(c);
  }
}

static int lists_trade_updates(const cJSON *data) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(data, "streams"), *it;

  cJSON_ArrayForEach(it, arr) {
    if (cJSON_IsString(it) && strcmp(it->valuestring, "trade_updates") == 0) {
      return 1;
    }
  }
  return 0;
}

static void trade_message(void *ud, st_ws_conn *c, const char *buf, size_t len,
                          int binary) {
  st_alpaca_streams *s = ud;
  st_alpaca *a = s->a;
  const cJSON *data;
  const char *stream;
  st_trade_update u;
  cJSON *j = NULL;
  st_errbuf eb;

  s->last_rx_ns = st_alpaca__real_ns();
  if (st_alpaca_json_parse(buf, len, &j, &eb) != ST_OK || !cJSON_IsObject(j)) {
    ST_WARN("alpaca", "trade_updates: ignoring a malformed message: %s",
            j == NULL ? eb.msg : "not an object");
    goto out;
  }
  stream = str_of(j, "stream");
  data = cJSON_GetObjectItemCaseSensitive(j, "data");
  if (strcmp(stream, "trade_updates") == 0) {
    if (st_alpaca_json_trade_update(data, &u, &eb) != ST_OK) {
      ST_WARN("alpaca", "trade_updates: ignoring a malformed update: %s",
              eb.msg);
      goto out;
    }
    if (u.ts_ns == 0) {
      u.ts_ns = s->last_rx_ns;
    }
    st_alpaca__deliver(a, &u);
  } else if (strcmp(stream, "authorization") == 0) {
    if (strcmp(str_of(data, "status"), "authorized") == 0) {
      send_listen(c);
    } else {
      ST_ERROR("alpaca",
               "trade_updates: the server refused the API key (%s); check "
               "the key id and secret; retrying slowly",
               str_of(data, "status"));
      st_ws_conn_retry_after(c, a->reconnect_cap_ms);
      st_ws_conn_drop(c);
    }
  } else if (strcmp(stream, "listening") == 0) {
    if (!lists_trade_updates(data)) {
      ST_WARN("alpaca", "trade_updates: listening, but not to trade_updates");
      goto out;
    }
    st_ws_conn_ready(c);
    if (!atomic_exchange(&s->trade_up, 1)) {
      int64_t from = s->missed_from_ns;

      s->up_at_ns = s->last_rx_ns;
      ST_INFO("alpaca", "trade_updates: listening");
      stream_event(a, ST_STREAM_TRADES, 1);
      /* Catch up on what was missed, from a little before it began. */
      st_alpaca__reconcile_request(a, from - a->reconcile_margin_ns);
    }
  } else {
    ST_DEBUG("alpaca", "trade_updates: ignoring stream \"%s\"", stream);
  }
out:
  cJSON_Delete(j);
  (void)binary;
}

static void trade_close(void *ud, st_ws_conn *c, const char *why) {
  st_alpaca_streams *s = ud;

  if (atomic_exchange(&s->trade_up, 0)) {
    /* Anything after the last message heard may have been lost. */
    s->missed_from_ns =
        s->last_rx_ns > s->up_at_ns ? s->last_rx_ns : s->up_at_ns;
    ST_WARN("alpaca", "trade_updates: disconnected (%s)", why);
    stream_event(s->a, ST_STREAM_TRADES, 0);
  }
}

/* ---- Market data ------------------------------------------------------ */

/* Sends {"action":action,"quotes":[syms]} on the data stream. */
static st_err send_quotes_action(st_alpaca_streams *s, const char *action,
                                 char (*syms)[ST_SYMBOL_LEN], size_t n) {
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  size_t i;

  if (o == NULL || arr == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(arr);
    return ST_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    cJSON_AddItemToArray(arr, cJSON_CreateString(syms[i]));
  }
  cJSON_AddStringToObject(o, "action", action);
  cJSON_AddItemToObject(o, "quotes", arr);
  return send_json(s->data, o);
}

static int has_sym(char (*v)[ST_SYMBOL_LEN], size_t n, const char *sym) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (strcmp(v[i], sym) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Brings the server's subscription from sent to want. Under s->mu. */
static st_err sync_subscription(st_alpaca_streams *s) {
  char add[MAXSYM][ST_SYMBOL_LEN], rem[MAXSYM][ST_SYMBOL_LEN];
  size_t nadd = 0, nrem = 0, i;
  st_err err = ST_OK;

  for (i = 0; i < s->nsent; i++) {
    if (!has_sym(s->want, s->nwant, s->sent[i])) {
      memcpy(rem[nrem++], s->sent[i], ST_SYMBOL_LEN);
    }
  }
  for (i = 0; i < s->nwant; i++) {
    if (!has_sym(s->sent, s->nsent, s->want[i])) {
      memcpy(add[nadd++], s->want[i], ST_SYMBOL_LEN);
    }
  }
  if (nrem > 0) {
    err = send_quotes_action(s, "unsubscribe", rem, nrem);
  }
  if (err == ST_OK && nadd > 0) {
    err = send_quotes_action(s, "subscribe", add, nadd);
  }
  if (err == ST_OK) {
    memcpy(s->sent, s->want, sizeof(s->sent));
    s->nsent = s->nwant;
  }
  return err;
}

static void data_auth(st_alpaca_streams *s, st_ws_conn *c) {
  cJSON *o = cJSON_CreateObject();

  if (o == NULL || cJSON_AddStringToObject(o, "action", "auth") == NULL ||
      cJSON_AddStringToObject(o, "key", s->a->key_id) == NULL ||
      cJSON_AddStringToObject(o, "secret", s->a->secret_key) == NULL) {
    cJSON_Delete(o);
    st_ws_conn_drop(c);
    return;
  }
  if (send_json(c, o) != ST_OK) {
    st_ws_conn_drop(c);
  }
}

static void data_error(st_alpaca_streams *s, st_ws_conn *c, const cJSON *m) {
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(m, "code");
  int n = cJSON_IsNumber(code) ? code->valueint : 0;
  const char *msg = str_of(m, "msg");

  switch (n) {
    case 402: /* auth failed */
    case 409: /* insufficient subscription */
    case 410: /* invalid subscribe action for this feed */
    case 411: /* insufficient scope */
      ST_ERROR("alpaca",
               "market data: error %d (%s) cannot be fixed by retrying; the "
               "quote stream stays off (quotes come from REST)",
               n, msg);
      pthread_mutex_lock(&s->mu);
      s->data_dead = 1;
      pthread_mutex_unlock(&s->mu);
      st_ws_conn_give_up(c);
      break;
    case 405:
      ST_WARN("alpaca", "market data: symbol limit exceeded (%s)", msg);
      break;
    case 406:
      ST_WARN("alpaca",
              "market data: connection limit exceeded (%s): another client "
              "uses this key's stream; backing off",
              msg);
      st_ws_conn_retry_after(c, 60000);
      st_ws_conn_drop(c);
      break;
    case 401: /* not authenticated */
    case 404: /* auth timeout */
      ST_WARN("alpaca", "market data: error %d (%s); reconnecting", n, msg);
      st_ws_conn_drop(c);
      break;
    default:
      ST_WARN("alpaca", "market data: error %d (%s)", n, msg);
      break;
  }
}

static void data_one(st_alpaca_streams *s, st_ws_conn *c, const cJSON *m) {
  st_alpaca *a = s->a;
  const char *t = str_of(m, "T");
  st_errbuf eb;
  st_quote q;

  if (strcmp(t, "q") == 0) {
    if (st_alpaca_json_stream_quote(m, &q, &eb) != ST_OK) {
      ST_WARN("alpaca", "market data: ignoring a malformed quote: %s", eb.msg);
      return;
    }
    q.received_ns = st_alpaca__real_ns();
    if (a->cbs.on_quote != NULL) {
      a->cbs.on_quote(a->cbs.ud, &q);
    }
  } else if (strcmp(t, "success") == 0) {
    const char *msg = str_of(m, "msg");

    if (strcmp(msg, "connected") == 0) {
      data_auth(s, c);
    } else if (strcmp(msg, "authenticated") == 0) {
      int was_up;

      st_ws_conn_ready(c);
      pthread_mutex_lock(&s->mu);
      s->data_authed = 1;
      s->nsent = 0;
      if (sync_subscription(s) != ST_OK) {
        ST_WARN("alpaca", "market data: cannot send the subscription");
      }
      was_up = s->data_up;
      s->data_up = 1;
      pthread_mutex_unlock(&s->mu);
      if (!was_up) {
        ST_INFO("alpaca", "market data: authenticated");
        stream_event(a, ST_STREAM_QUOTES, 1);
      }
    }
  } else if (strcmp(t, "error") == 0) {
    data_error(s, c, m);
  } else if (strcmp(t, "subscription") == 0) {
    const cJSON *quotes = cJSON_GetObjectItemCaseSensitive(m, "quotes");

    ST_DEBUG("alpaca", "market data: subscribed to %d quote symbols",
             cJSON_GetArraySize(quotes));
  }
  /* Trades, bars and the rest are not used. */
}

static void data_message(void *ud, st_ws_conn *c, const char *buf, size_t len,
                         int binary) {
  st_alpaca_streams *s = ud;
  const cJSON *it;
  cJSON *j = NULL;
  st_errbuf eb;

  if (st_alpaca_json_parse(buf, len, &j, &eb) != ST_OK) {
    ST_WARN("alpaca", "market data: ignoring a malformed message: %s", eb.msg);
    return;
  }
  if (cJSON_IsArray(j)) {
    cJSON_ArrayForEach(it, j) {
      if (cJSON_IsObject(it)) {
        data_one(s, c, it);
      }
    }
  } else if (cJSON_IsObject(j)) {
    data_one(s, c, j);
  }
  cJSON_Delete(j);
  (void)binary;
}

static void data_close(void *ud, st_ws_conn *c, const char *why) {
  st_alpaca_streams *s = ud;
  int was_up;

  pthread_mutex_lock(&s->mu);
  was_up = s->data_up;
  s->data_up = 0;
  s->data_authed = 0;
  s->nsent = 0;
  pthread_mutex_unlock(&s->mu);
  if (was_up) {
    ST_WARN("alpaca", "market data: disconnected (%s)", why);
    stream_event(s->a, ST_STREAM_QUOTES, 0);
  }
}

/* ---- Lifecycle -------------------------------------------------------- */

st_err st_alpaca__streams_create(st_alpaca *a, st_errbuf *eb) {
  st_alpaca_streams *s = st_calloc(1, sizeof(*s));

  if (s == NULL) {
    return st_errf(eb, ST_ENOMEM, "alpaca streams");
  }
  s->a = a;
  s->missed_from_ns = a->created_ns;
  pthread_mutex_init(&s->mu, NULL);
  a->streams = s;
  return ST_OK;
}

st_err st_alpaca__streams_start(st_alpaca *a, st_errbuf *eb) {
  st_alpaca_streams *s = a->streams;
  st_ws_handler th = {trade_open, trade_message, trade_close, s};
  st_ws_handler dh = {NULL, data_message, data_close, s};
  st_ws_conn_opts to, dopt;
  st_err err;

  memset(&to, 0, sizeof(to));
  to.url = a->stream_url;
  to.name = "trade_updates";
  to.reconnect_base_ms = a->reconnect_base_ms;
  to.reconnect_cap_ms = a->reconnect_cap_ms;
  dopt = to;
  dopt.url = a->data_stream_url;
  dopt.name = "market data";
  err = st_ws_loop_create(&s->loop, eb);
  if (err == ST_OK) {
    err = st_ws_conn_add(s->loop, &to, &th, &s->trade, eb);
  }
  if (err == ST_OK) {
    err = st_ws_conn_add(s->loop, &dopt, &dh, &s->data, eb);
  }
  if (err == ST_OK) {
    err = st_ws_loop_start(s->loop, eb);
  }
  return err;
}

void st_alpaca__streams_destroy(st_alpaca *a) {
  st_alpaca_streams *s = a->streams;

  if (s == NULL) {
    return;
  }
  st_ws_loop_destroy(s->loop);
  pthread_mutex_destroy(&s->mu);
  st_free(s);
  a->streams = NULL;
}

st_err st_alpaca__set_quote_symbols(st_alpaca *a, const char *const *symbols,
                                    size_t n, st_brokerr *e) {
  st_alpaca_streams *s = a->streams;
  size_t i;
  st_err err = ST_OK;

  (void)e;
  pthread_mutex_lock(&s->mu);
  s->nwant = 0;
  for (i = 0; i < n && i < MAXSYM; i++) {
    if (!has_sym(s->want, s->nwant, symbols[i])) {
      snprintf(s->want[s->nwant++], ST_SYMBOL_LEN, "%s", symbols[i]);
    }
  }
  if (s->data_authed && s->data != NULL) {
    err = sync_subscription(s);
    if (err != ST_OK) {
      /* The connection is going away; the next one subscribes all. */
      err = ST_OK;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return err;
}

int st_alpaca__trade_stream_up(st_alpaca *a) {
  return a->streams != NULL && atomic_load(&a->streams->trade_up);
}
