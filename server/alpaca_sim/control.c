/* control.c - the /_sim/ control API for tests. */
#include "server/alpaca_sim/control.h"

#include <string.h>

#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/alpaca_sim/ws.h"
#include "server/util/log.h"

#define NS_PER_MS 1000000LL

/* Reads an optional whole number field; 0 after answering 400. */
static int read_int(const cJSON *body, const char *key, int64_t *out,
                    int *present, st_asim_resp *rs) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  char msg[96];

  *present = 0;
  if (v == NULL || cJSON_IsNull(v)) {
    return 1;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
    snprintf(msg, sizeof(msg), "invalid %s", key);
    st_asim_resp_error(rs, 400, 40010000, msg);
    return 0;
  }
  *out = (int64_t)v->valuedouble;
  *present = 1;
  return 1;
}

/* Answers {"ok":true}. */
static void ok(st_asim_resp *rs) {
  cJSON *j = cJSON_CreateObject();

  if (j != NULL) {
    cJSON_AddBoolToObject(j, "ok", 1);
  }
  st_asim_resp_json(rs, 200, j);
}

void st_asim_control_healthz(st_asim *a, const st_asim_req *rq,
                             st_asim_resp *rs) {
  cJSON *j = cJSON_CreateObject();

  if (j != NULL) {
    cJSON_AddStringToObject(j, "status", "ok");
  }
  st_asim_resp_json(rs, 200, j);
}

void st_asim_control_quote(st_asim *a, const st_asim_req *rq,
                           st_asim_resp *rs) {
  st_dec bid = ST_DEC_ZERO, ask = ST_DEC_ZERO;
  int64_t bs = 100, as = 100;
  const char *sym = NULL;
  int has_bid, has_ask, has;
  cJSON *body;
  st_err err;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (st_asim_json_get_str(body, "symbol", &sym) != ST_OK || sym == NULL ||
      st_asim_json_get_dec(body, "bid", &bid, &has_bid) != ST_OK ||
      st_asim_json_get_dec(body, "ask", &ask, &has_ask) != ST_OK ||
      !read_int(body, "bid_size", &bs, &has, rs) ||
      !read_int(body, "ask_size", &as, &has, rs)) {
    if (rs->status != 400) {
      st_asim_resp_error(rs, 400, 40010000,
                         "expected {symbol, bid, ask, bid_size, ask_size}");
    }
    cJSON_Delete(body);
    return;
  }
  err = st_sim_market_set_quote(st_sim_get_market(a->sim), sym, bid, ask, bs,
                                as, st_asim_now_ns());
  cJSON_Delete(body);
  if (err == ST_ENOTFOUND) {
    st_asim_resp_error(rs, 404, 40410000, "unknown symbol");
    return;
  }
  if (err != ST_OK) {
    st_asim_resp_error(rs, 400, 40010000, "invalid quote");
    return;
  }
  ok(rs);
}

void st_asim_control_fill(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_dec qty = ST_DEC_ZERO, price = ST_DEC_ZERO;
  int has_qty, has_price;
  st_sim_errinfo ei;
  st_sim_order o;
  cJSON *body;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (st_asim_json_get_dec(body, "qty", &qty, &has_qty) != ST_OK ||
      st_asim_json_get_dec(body, "price", &price, &has_price) != ST_OK) {
    cJSON_Delete(body);
    st_asim_resp_error(rs, 400, 40010000, "expected {qty?, price?}");
    return;
  }
  cJSON_Delete(body);
  if (st_sim_get_order(a->sim, rq->param[0], &o) != ST_OK) {
    st_asim_resp_error(rs, 404, ST_SIM_CODE_NOTFOUND, "order not found");
    return;
  }
  if (!has_price) {
    st_sim_quote q;

    if (st_sim_market_quote(st_sim_get_market(a->sim), o.symbol, &q) == ST_OK) {
      price = o.side == ST_SIM_BUY ? q.ask : q.bid;
    }
    if (o.type == ST_SIM_LIMIT && !st_dec_is_zero(o.limit_price)) {
      price = o.limit_price;
    }
    if (st_dec_is_zero(price)) {
      (void)st_sim_market_mid(st_sim_get_market(a->sim), o.symbol, &price);
    }
  }
  st_sim_errinfo_clear(&ei);
  if (st_sim_force_fill(a->sim, o.id, qty, price, st_asim_now_ns(), &ei) !=
      ST_OK) {
    st_asim_resp_errinfo(rs, &ei);
    return;
  }
  (void)st_sim_get_order(a->sim, o.id, &o);
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

void st_asim_control_fill_delay(st_asim *a, const st_asim_req *rq,
                                st_asim_resp *rs) {
  const char *id = NULL;
  int64_t ms = 0;
  int has;
  cJSON *body;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (!read_int(body, "ms", &ms, &has, rs)) {
    cJSON_Delete(body);
    return;
  }
  if (st_asim_json_get_str(body, "order_id", &id) != ST_OK ||
      st_sim_delay_fills(a->sim, id, st_asim_now_ns() + ms * NS_PER_MS) !=
          ST_OK) {
    cJSON_Delete(body);
    st_asim_resp_error(rs, 404, ST_SIM_CODE_NOTFOUND, "order not found");
    return;
  }
  cJSON_Delete(body);
  ok(rs);
}

/* The current fault settings. */
static cJSON *faults_json(const st_asim_faults *f) {
  cJSON *j = cJSON_CreateObject();

  if (j == NULL) {
    return NULL;
  }
  cJSON_AddNumberToObject(j, "error_5xx_share",
                          (double)f->error_5xx_share.v / ST_DEC_SCALE);
  cJSON_AddBoolToObject(j, "error_5xx_after", f->error_5xx_after);
  cJSON_AddNumberToObject(j, "burst_429", (double)f->burst_429);
  cJSON_AddNumberToObject(j, "injected_5xx", (double)f->injected_5xx);
  cJSON_AddNumberToObject(j, "injected_429", (double)f->injected_429);
  return j;
}

void st_asim_control_faults(st_asim *a, const st_asim_req *rq,
                            st_asim_resp *rs) {
  st_dec share = ST_DEC_ZERO;
  int64_t burst = 0;
  int has_share, has_burst;
  const char *reason = NULL;
  const cJSON *after, *rj;
  cJSON *body;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (st_asim_json_get_dec(body, "error_5xx_share", &share, &has_share) !=
          ST_OK ||
      (has_share &&
       (st_dec_is_neg(share) || st_dec_cmp(share, st_dec_from_int(1)) > 0))) {
    cJSON_Delete(body);
    st_asim_resp_error(rs, 400, 40010000,
                       "error_5xx_share must be from 0 to 1");
    return;
  }
  if (!read_int(body, "burst_429", &burst, &has_burst, rs)) {
    cJSON_Delete(body);
    return;
  }
  rj = cJSON_GetObjectItemCaseSensitive(body, "reject_next");
  if (rj != NULL && !cJSON_IsNull(rj)) {
    if (cJSON_IsString(rj)) {
      reason = rj->valuestring[0] != '\0' ? rj->valuestring : NULL;
    } else if (!cJSON_IsTrue(rj)) {
      cJSON_Delete(body);
      st_asim_resp_error(rs, 400, 40010000, "reject_next must be a string");
      return;
    }
    (void)st_sim_reject_next(a->sim, reason);
  }
  after = cJSON_GetObjectItemCaseSensitive(body, "error_5xx_after");
  if (cJSON_IsBool(after)) {
    a->faults.error_5xx_after = cJSON_IsTrue(after);
  }
  if (has_share) {
    a->faults.error_5xx_share = share;
  }
  if (has_burst) {
    a->faults.burst_429 = burst;
  }
  cJSON_Delete(body);
  ST_INFO("asim", "faults: 5xx share %.3f%s, 429 burst %lld",
          (double)a->faults.error_5xx_share.v / ST_DEC_SCALE,
          a->faults.error_5xx_after ? " (after)" : "",
          (long long)a->faults.burst_429);
  st_asim_resp_json(rs, 200, faults_json(&a->faults));
}

void st_asim_control_get_faults(st_asim *a, const st_asim_req *rq,
                                st_asim_resp *rs) {
  st_asim_resp_json(rs, 200, faults_json(&a->faults));
}

void st_asim_control_drop_streams(st_asim *a, const st_asim_req *rq,
                                  st_asim_resp *rs) {
  const char *which = NULL;
  int trades, data, n = 0;
  cJSON *body, *j;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (st_asim_json_get_str(body, "which", &which) != ST_OK) {
    which = "";
  }
  if (which == NULL) {
    which = "all";
  }
  trades = strcmp(which, "trades") == 0 || strcmp(which, "all") == 0;
  data = strcmp(which, "data") == 0 || strcmp(which, "all") == 0;
  cJSON_Delete(body);
  if (!trades && !data) {
    st_asim_resp_error(rs, 400, 40010000, "which must be trades, data or all");
    return;
  }
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    if (!ws->dead && ((trades && ws->kind == ST_ASIM_WS_TRADES) ||
                      (data && ws->kind == ST_ASIM_WS_DATA))) {
      st_asim_ws_drop(ws);
      n++;
    }
  }
  ST_INFO("asim", "dropped %d stream connection(s)", n);
  j = cJSON_CreateObject();
  if (j != NULL) {
    cJSON_AddNumberToObject(j, "dropped", n);
  }
  st_asim_resp_json(rs, 200, j);
}

void st_asim_control_orders(st_asim *a, const st_asim_req *rq,
                            st_asim_resp *rs) {
  size_t n = st_sim_order_count(a->sim);
  cJSON *arr = cJSON_CreateArray();

  for (size_t i = 0; arr != NULL && i < n; i++) {
    st_sim_order o;
    cJSON *j;

    if (st_sim_order_at(a->sim, i, &o) != ST_OK) {
      continue;
    }
    j = st_asim_json_order(&o);
    if (j == NULL || !cJSON_AddItemToArray(arr, j)) {
      cJSON_Delete(j);
      cJSON_Delete(arr);
      arr = NULL;
    }
  }
  st_asim_resp_json(rs, 200, arr);
}

void st_asim_control_log(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  cJSON *arr = cJSON_CreateArray();

  for (size_t i = 0; arr != NULL && i < a->evlog.n; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON *msg = cJSON_Parse(a->evlog.e[i].json);

    if (e == NULL || msg == NULL) {
      cJSON_Delete(e);
      cJSON_Delete(msg);
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
    cJSON_AddNumberToObject(e, "seq", (double)(i + 1));
    (void)st_asim_json_add_time(e, "emitted_at", a->evlog.e[i].emitted_ns);
    cJSON_AddItemToObject(e, "message", msg);
    cJSON_AddItemToArray(arr, e);
  }
  st_asim_resp_json(rs, 200, arr);
}

void st_asim_control_expire(st_asim *a, const st_asim_req *rq,
                            st_asim_resp *rs) {
  st_sim_errinfo ei;
  st_sim_order o;

  st_sim_errinfo_clear(&ei);
  if (st_sim_force_expire(a->sim, rq->param[0], st_asim_now_ns(), &ei) !=
      ST_OK) {
    st_asim_resp_errinfo(rs, &ei);
    return;
  }
  (void)st_sim_get_order(a->sim, rq->param[0], &o);
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

void st_asim_control_state(st_asim *a, const st_asim_req *rq,
                           st_asim_resp *rs) {
  st_sim_account acct;
  cJSON *j, *pos, *streams;
  int t_conn = 0, t_listen = 0, d_conn = 0, d_auth = 0, d_quotes = 0;
  size_t np = st_sim_position_count(a->sim);

  if (st_sim_get_account(a->sim, &acct) != ST_OK) {
    st_asim_resp_error(rs, 500, 50010000, "account unavailable");
    return;
  }
  j = cJSON_CreateObject();
  if (j == NULL) {
    st_asim_resp_json(rs, 500, NULL);
    return;
  }
  st_asim_json_add_dec(j, "cash", acct.cash, 0);
  st_asim_json_add_dec(j, "buying_power", acct.buying_power, 0);
  st_asim_json_add_dec(j, "held_for_orders", acct.held_for_orders, 0);
  st_asim_json_add_dec(j, "long_market_value", acct.long_market_value, 0);
  st_asim_json_add_dec(j, "equity", acct.equity, 0);
  pos = cJSON_AddArrayToObject(j, "positions");
  for (size_t i = 0; pos != NULL && i < np; i++) {
    st_sim_position p;
    cJSON *e;

    if (st_sim_position_at(a->sim, i, &p) != ST_OK) {
      continue;
    }
    e = cJSON_CreateObject();
    if (e == NULL) {
      continue;
    }
    cJSON_AddStringToObject(e, "symbol", p.symbol);
    st_asim_json_add_dec(e, "qty", p.qty, 0);
    st_asim_json_add_dec(e, "qty_available", p.qty_available, 0);
    cJSON_AddItemToArray(pos, e);
  }
  cJSON_AddNumberToObject(j, "orders", (double)st_sim_order_count(a->sim));
  cJSON_AddNumberToObject(j, "events", (double)a->evlog.n);
  for (st_asim_ws *ws = a->ws_head; ws != NULL; ws = ws->next) {
    if (ws->dead) {
      continue;
    }
    if (ws->kind == ST_ASIM_WS_TRADES) {
      t_conn++;
      t_listen += ws->authed && ws->listening;
    } else {
      d_conn++;
      d_auth += ws->authed;
      d_quotes += ws->authed && ws->subs.ch[ST_ASIM_CH_QUOTES].n > 0;
    }
  }
  streams = cJSON_AddObjectToObject(j, "streams");
  if (streams != NULL) {
    cJSON_AddNumberToObject(streams, "trades_connected", t_conn);
    cJSON_AddNumberToObject(streams, "trades_listening", t_listen);
    cJSON_AddNumberToObject(streams, "data_connected", d_conn);
    cJSON_AddNumberToObject(streams, "data_authenticated", d_auth);
    cJSON_AddNumberToObject(streams, "data_quote_subscribers", d_quotes);
  }
  cJSON_AddItemToObject(j, "faults", faults_json(&a->faults));
  st_asim_resp_json(rs, 200, j);
}
