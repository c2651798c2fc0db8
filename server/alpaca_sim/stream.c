/* stream.c - the trade_updates stream: handshake and event messages. */
#include "server/alpaca_sim/stream.h"

#include <string.h>

#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

/* Sends {"stream":"authorization","data":{"status":..,"action":..}}. */
static void send_authorization(st_asim_ws *ws, const char *status,
                               const char *action) {
  cJSON *m = cJSON_CreateObject();
  cJSON *d = cJSON_CreateObject();

  if (m == NULL || d == NULL) {
    cJSON_Delete(m);
    cJSON_Delete(d);
    return;
  }
  cJSON_AddStringToObject(m, "stream", "authorization");
  cJSON_AddItemToObject(m, "data", d);
  cJSON_AddStringToObject(d, "status", status);
  cJSON_AddStringToObject(d, "action", action);
  (void)st_asim_ws_send(ws, m);
  cJSON_Delete(m);
}

/* Handles {"action":"authenticate","data":{"key_id","secret_key"}} (and
 * the {"action":"auth","key","secret"} form). */
static void authenticate(st_asim *a, st_asim_ws *ws, const cJSON *msg) {
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
  const cJSON *src = cJSON_IsObject(data) ? data : msg;
  const char *key = NULL, *secret = NULL;

  if (cJSON_IsObject(data)) {
    (void)st_asim_json_get_str(src, "key_id", &key);
    (void)st_asim_json_get_str(src, "secret_key", &secret);
  } else {
    (void)st_asim_json_get_str(src, "key", &key);
    (void)st_asim_json_get_str(src, "secret", &secret);
  }
  if (key != NULL && secret != NULL && strcmp(key, a->cfg.key_id) == 0 &&
      strcmp(secret, a->cfg.secret_key) == 0) {
    ws->authed = 1;
    snprintf(ws->key_id, sizeof(ws->key_id), "%s", key);
    send_authorization(ws, "authorized", "authenticate");
    return;
  }
  ws->authed = 0;
  ws->listening = 0;
  send_authorization(ws, "unauthorized", "authenticate");
}

/* Handles {"action":"listen","data":{"streams":[...]}}: the list replaces
 * the current set; only trade_updates exists. */
static void listen_streams(st_asim_ws *ws, const cJSON *msg) {
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
  const cJSON *streams = cJSON_GetObjectItemCaseSensitive(data, "streams");
  const cJSON *s;
  cJSON *m, *d, *list;

  if (!ws->authed) {
    send_authorization(ws, "unauthorized", "listen");
    return;
  }
  ws->listening = 0;
  cJSON_ArrayForEach(s, streams) {
    if (cJSON_IsString(s) && strcmp(s->valuestring, "trade_updates") == 0) {
      ws->listening = 1;
    }
  }
  m = cJSON_CreateObject();
  d = cJSON_CreateObject();
  list = cJSON_CreateArray();
  if (m == NULL || d == NULL || list == NULL) {
    cJSON_Delete(m);
    cJSON_Delete(d);
    cJSON_Delete(list);
    return;
  }
  if (ws->listening) {
    cJSON_AddItemToArray(list, cJSON_CreateString("trade_updates"));
  }
  cJSON_AddStringToObject(m, "stream", "listening");
  cJSON_AddItemToObject(m, "data", d);
  cJSON_AddItemToObject(d, "streams", list);
  (void)st_asim_ws_send(ws, m);
  cJSON_Delete(m);
}

void st_asim_stream_message(st_asim *a, st_asim_ws *ws, const cJSON *msg) {
  const char *action = NULL;

  if (msg == NULL || !cJSON_IsObject(msg) ||
      st_asim_json_get_str(msg, "action", &action) != ST_OK || action == NULL) {
    ST_DEBUG("asim", "trade stream: ignoring a malformed message");
    return;
  }
  if (strcmp(action, "authenticate") == 0 || strcmp(action, "auth") == 0) {
    authenticate(a, ws, msg);
  } else if (strcmp(action, "listen") == 0) {
    listen_streams(ws, msg);
  } else {
    ST_DEBUG("asim", "trade stream: ignoring action \"%s\"", action);
  }
}

/* Builds the trade_updates message of ev; NULL when memory is short. */
static cJSON *event_json(const st_sim_event *ev) {
  cJSON *m = cJSON_CreateObject();
  cJSON *d = cJSON_CreateObject();
  cJSON *order = st_asim_json_order(&ev->order);
  char ts[ST_ASIM_TIME_LEN];
  int ok = m != NULL && d != NULL && order != NULL;

  if (!ok) {
    cJSON_Delete(m);
    cJSON_Delete(d);
    cJSON_Delete(order);
    return NULL;
  }
  ok &= cJSON_AddStringToObject(m, "stream", "trade_updates") != NULL;
  cJSON_AddItemToObject(m, "data", d);
  ok &= cJSON_AddStringToObject(d, "event", st_sim_event_kind_name(ev->kind)) !=
        NULL;
  if (ev->execution_id[0] != '\0') {
    ok &= cJSON_AddStringToObject(d, "execution_id", ev->execution_id) != NULL;
  }
  cJSON_AddItemToObject(d, "order", order);
  ok &= cJSON_AddStringToObject(d, "timestamp",
                                st_asim_time_format(ev->ts_ns, 0, ts)) != NULL;
  if (ev->kind == ST_SIM_EV_FILL || ev->kind == ST_SIM_EV_PARTIAL_FILL) {
    ok &= st_asim_json_add_dec(d, "price", ev->price, 0);
    ok &= st_asim_json_add_dec(d, "qty", ev->qty, 0);
    ok &= st_asim_json_add_dec(d, "position_qty", ev->position_qty, 0);
  }
  if (!ok) {
    cJSON_Delete(m);
    return NULL;
  }
  return m;
}

st_err st_asim_stream_event(st_asim *a, const st_sim_event *ev,
                            int64_t now_ns) {
  cJSON *m = event_json(ev);
  char *text;
  st_err err;

  if (m == NULL) {
    return ST_ENOMEM;
  }
  text = st_asim_json_print(m);
  if (text == NULL) {
    cJSON_Delete(m);
    return ST_ENOMEM;
  }
  err = st_asim_evlog_add(&a->evlog, now_ns, text);
  st_free(text);
  ST_DEBUG("asim", "trade_updates %s %s", st_sim_event_kind_name(ev->kind),
           ev->order.id);
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    if (ws->kind == ST_ASIM_WS_TRADES && ws->authed && ws->listening) {
      (void)st_asim_ws_send(ws, m);
    }
  }
  cJSON_Delete(m);
  return err;
}
