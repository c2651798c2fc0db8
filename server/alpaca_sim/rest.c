/* rest.c - the trading REST API over the simulator. */
#include "server/alpaca_sim/rest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/util/log.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500

/* True when s has the shape of a UUID (8-4-4-4-12 hex digits). */
static int is_uuid(const char *s) {
  if (strlen(s) != 36) {
    return 0;
  }
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') {
        return 0;
      }
    } else if (!isxdigit((unsigned char)s[i])) {
      return 0;
    }
  }
  return 1;
}

/* Finds the asset by symbol or asset id. */
static st_err find_asset(st_asim *a, const char *key, st_sim_asset *out) {
  st_sim_market *m = st_sim_get_market(a->sim);
  size_t n;

  if (st_sim_market_asset(m, key, out) == ST_OK) {
    return ST_OK;
  }
  n = st_sim_market_count(m);
  for (size_t i = 0; i < n; i++) {
    if (st_sim_market_at(m, i, out, NULL) == ST_OK &&
        strcasecmp(out->id, key) == 0) {
      return ST_OK;
    }
  }
  return ST_ENOTFOUND;
}

void st_asim_rest_account(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_account acct;
  st_err err = st_sim_get_account(a->sim, &acct);

  if (err != ST_OK) {
    st_asim_resp_error(rs, 500, 50010000, st_strerror(err));
    return;
  }
  st_asim_resp_json(rs, 200, st_asim_json_account(&acct, a->start_equity));
}

void st_asim_rest_assets(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_market *m = st_sim_get_market(a->sim);
  const char *status = st_asim_req_arg(rq, "status");
  const char *cls = st_asim_req_arg(rq, "asset_class");
  const char *exch = st_asim_req_arg(rq, "exchange");
  cJSON *arr = cJSON_CreateArray();
  size_t n = st_sim_market_count(m);

  if (arr == NULL) {
    st_asim_resp_json(rs, 500, NULL);
    return;
  }
  if ((status != NULL && status[0] != '\0' && strcmp(status, "active")) ||
      (cls != NULL && cls[0] != '\0' && strcmp(cls, "us_equity"))) {
    n = 0;
  }
  for (size_t i = 0; i < n; i++) {
    st_sim_asset asset;
    cJSON *j;

    if (st_sim_market_at(m, i, &asset, NULL) != ST_OK ||
        (exch != NULL && exch[0] != '\0' && strcmp(exch, asset.exchange))) {
      continue;
    }
    j = st_asim_json_asset(&asset);
    if (j == NULL || !cJSON_AddItemToArray(arr, j)) {
      cJSON_Delete(j);
      cJSON_Delete(arr);
      st_asim_resp_json(rs, 500, NULL);
      return;
    }
  }
  st_asim_resp_json(rs, 200, arr);
}

void st_asim_rest_asset(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_asset asset;

  if (find_asset(a, rq->param[0], &asset) != ST_OK) {
    st_asim_resp_error(rs, 404, 40410000, "asset not found");
    return;
  }
  st_asim_resp_json(rs, 200, st_asim_json_asset(&asset));
}

/* The Position object of p, with its asset's exchange. */
static cJSON *position_json(st_asim *a, const st_sim_position *p) {
  st_sim_asset asset;
  int have = st_sim_market_asset(st_sim_get_market(a->sim), p->symbol,
                                 &asset) == ST_OK;

  return st_asim_json_position(p, have ? &asset : NULL);
}

void st_asim_rest_positions(st_asim *a, const st_asim_req *rq,
                            st_asim_resp *rs) {
  cJSON *arr = cJSON_CreateArray();
  size_t n = st_sim_position_count(a->sim);

  if (arr == NULL) {
    st_asim_resp_json(rs, 500, NULL);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    st_sim_position p;
    cJSON *j;

    if (st_sim_position_at(a->sim, i, &p) != ST_OK) {
      continue;
    }
    j = position_json(a, &p);
    if (j == NULL || !cJSON_AddItemToArray(arr, j)) {
      cJSON_Delete(j);
      cJSON_Delete(arr);
      st_asim_resp_json(rs, 500, NULL);
      return;
    }
  }
  st_asim_resp_json(rs, 200, arr);
}

void st_asim_rest_position(st_asim *a, const st_asim_req *rq,
                           st_asim_resp *rs) {
  const char *key = rq->param[0];
  st_sim_asset asset;
  st_sim_position p;

  if (find_asset(a, key, &asset) == ST_OK) {
    key = asset.symbol;
  }
  if (st_sim_get_position(a->sim, key, &p) != ST_OK) {
    st_asim_resp_error(rs, 404, 40410000, "position does not exist");
    return;
  }
  st_asim_resp_json(rs, 200, position_json(a, &p));
}

/* Reads a decimal field, answering 422 when it is malformed. */
static int read_dec(const cJSON *body, const char *key, st_dec *out,
                    int *present, st_asim_resp *rs) {
  char msg[96];

  *out = ST_DEC_ZERO;
  if (st_asim_json_get_dec(body, key, out, present) != ST_OK) {
    snprintf(msg, sizeof(msg), "invalid %s", key);
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, msg);
    return 0;
  }
  return 1;
}

/* Reads a string field, answering 422 when it is not a string. */
static int read_str(const cJSON *body, const char *key, const char **out,
                    st_asim_resp *rs) {
  char msg[96];

  if (st_asim_json_get_str(body, key, out) != ST_OK) {
    snprintf(msg, sizeof(msg), "invalid %s", key);
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, msg);
    return 0;
  }
  return 1;
}

/* Refuses a field the simulator does not model when it is set. */
static int unsupported(const cJSON *body, const char *key, st_asim_resp *rs) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  char msg[128];

  if (v == NULL || cJSON_IsNull(v) ||
      (cJSON_IsString(v) && v->valuestring[0] == '\0')) {
    return 0;
  }
  snprintf(msg, sizeof(msg), "%s is not supported by the simulator", key);
  st_asim_resp_error(rs, 422, ST_SIM_CODE_UNPROC, msg);
  return 1;
}

/* Fills the order request from a POST /v2/orders body; 0 after filling
 * rs with the refusal. */
static int parse_order(const cJSON *body, st_sim_order_req *req,
                       st_asim_resp *rs) {
  const char *symbol, *side, *type, *tif, *coid, *cls;
  int has_qty, has_notional, has_limit;

  memset(req, 0, sizeof(*req));
  if (!read_str(body, "symbol", &symbol, rs) ||
      !read_str(body, "side", &side, rs) ||
      !read_str(body, "type", &type, rs) ||
      !read_str(body, "time_in_force", &tif, rs) ||
      !read_str(body, "client_order_id", &coid, rs) ||
      !read_str(body, "order_class", &cls, rs) ||
      !read_dec(body, "qty", &req->qty, &has_qty, rs) ||
      !read_dec(body, "notional", &req->notional, &has_notional, rs) ||
      !read_dec(body, "limit_price", &req->limit_price, &has_limit, rs)) {
    return 0;
  }
  if (type == NULL && !read_str(body, "order_type", &type, rs)) {
    return 0;
  }
  if (symbol == NULL) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "symbol is required");
    return 0;
  }
  if (side == NULL || st_sim_side_parse(side, &req->side) != ST_OK) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID,
                       side == NULL ? "side is required" : "invalid side");
    return 0;
  }
  if (type == NULL) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "type is required");
    return 0;
  }
  if (st_sim_type_parse(type, &req->type) != ST_OK) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID,
                       strcmp(type, "stop") == 0 ||
                               strcmp(type, "stop_limit") == 0 ||
                               strcmp(type, "trailing_stop") == 0
                           ? "order type is not supported by the simulator"
                           : "invalid order type");
    return 0;
  }
  if (tif == NULL) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID,
                       "time_in_force is required");
    return 0;
  }
  if (st_sim_tif_parse(tif, &req->tif) != ST_OK) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "invalid time_in_force");
    return 0;
  }
  if (cls != NULL && strcmp(cls, "simple") != 0) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_UNPROC,
                       "order_class is not supported by the simulator");
    return 0;
  }
  if (unsupported(body, "stop_price", rs) ||
      unsupported(body, "trail_price", rs) ||
      unsupported(body, "trail_percent", rs) ||
      unsupported(body, "take_profit", rs) ||
      unsupported(body, "stop_loss", rs) || unsupported(body, "legs", rs)) {
    return 0;
  }
  if (coid != NULL && strlen(coid) > ST_SIM_COID_MAX) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID,
                       "client_order_id must be no more than 128 characters");
    return 0;
  }
  req->symbol = symbol;
  req->client_order_id = coid;
  return 1;
}

void st_asim_rest_submit(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_order_req req;
  st_sim_errinfo ei;
  st_sim_order o;
  cJSON *body;

  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  if (!parse_order(body, &req, rs)) {
    cJSON_Delete(body);
    return;
  }
  st_sim_errinfo_clear(&ei);
  if (st_sim_submit(a->sim, &req, st_asim_now_ns(), &o, &ei) != ST_OK) {
    ST_INFO("asim", "order refused: %d %s", ei.http_status, ei.message);
    st_asim_resp_errinfo(rs, &ei);
    cJSON_Delete(body);
    return;
  }
  cJSON_Delete(body);
  ST_INFO("asim", "order %s accepted: %s %s %s", o.id, st_sim_side_name(o.side),
          o.symbol, o.client_order_id);
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

/* Whether order o passes the GET /v2/orders filters. */
static int order_matches(const st_sim_order *o, const char *status,
                         int64_t after, int64_t until, const char *symbols,
                         const char *side) {
  int terminal = st_sim_status_is_terminal(o->status);

  if ((strcmp(status, "open") == 0 && terminal) ||
      (strcmp(status, "closed") == 0 && !terminal)) {
    return 0;
  }
  if ((after != 0 && o->submitted_at_ns <= after) ||
      (until != 0 && o->submitted_at_ns >= until)) {
    return 0;
  }
  if (side != NULL && side[0] != '\0' &&
      strcmp(side, st_sim_side_name(o->side)) != 0) {
    return 0;
  }
  if (symbols != NULL && symbols[0] != '\0') {
    const char *p = symbols;
    size_t sl = strlen(o->symbol);

    while (*p != '\0') {
      size_t n = strcspn(p, ",");

      if (n == sl && strncmp(p, o->symbol, n) == 0) {
        return 1;
      }
      p += n;
      if (*p == ',') {
        p++;
      }
    }
    return 0;
  }
  return 1;
}

/* Parses an optional time argument; 0 after filling rs on a bad one. */
static int time_arg(const st_asim_req *rq, const char *name, int64_t *out,
                    st_asim_resp *rs) {
  const char *v = st_asim_req_arg(rq, name);
  char msg[96];

  *out = 0;
  if (v == NULL || v[0] == '\0') {
    return 1;
  }
  if (st_asim_time_parse(v, out) != ST_OK) {
    snprintf(msg, sizeof(msg), "invalid %s", name);
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, msg);
    return 0;
  }
  return 1;
}

void st_asim_rest_orders(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  const char *status = st_asim_req_arg(rq, "status");
  const char *dir = st_asim_req_arg(rq, "direction");
  const char *lim = st_asim_req_arg(rq, "limit");
  const char *symbols = st_asim_req_arg(rq, "symbols");
  const char *side = st_asim_req_arg(rq, "side");
  size_t n = st_sim_order_count(a->sim);
  int64_t after, until;
  long limit = DEFAULT_LIMIT, count = 0;
  int asc;
  cJSON *arr;

  if (status == NULL || status[0] == '\0') {
    status = "open";
  }
  if (strcmp(status, "open") && strcmp(status, "closed") &&
      strcmp(status, "all")) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "invalid status");
    return;
  }
  if (lim != NULL && lim[0] != '\0') {
    char *end;

    limit = strtol(lim, &end, 10);
    if (*end != '\0' || limit <= 0) {
      st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "invalid limit");
      return;
    }
    if (limit > MAX_LIMIT) {
      limit = MAX_LIMIT;
    }
  }
  if (dir != NULL && dir[0] != '\0' && strcmp(dir, "asc") &&
      strcmp(dir, "desc")) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "invalid direction");
    return;
  }
  asc = dir != NULL && strcmp(dir, "asc") == 0;
  if (!time_arg(rq, "after", &after, rs) ||
      !time_arg(rq, "until", &until, rs)) {
    return;
  }
  arr = cJSON_CreateArray();
  for (size_t k = 0; arr != NULL && k < n && count < limit; k++) {
    size_t i = asc ? k : n - 1 - k;
    st_sim_order o;
    cJSON *j;

    if (st_sim_order_at(a->sim, i, &o) != ST_OK ||
        !order_matches(&o, status, after, until, symbols, side)) {
      continue;
    }
    j = st_asim_json_order(&o);
    if (j == NULL || !cJSON_AddItemToArray(arr, j)) {
      cJSON_Delete(j);
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
    count++;
  }
  st_asim_resp_json(rs, 200, arr);
}

void st_asim_rest_order(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_order o;

  if (!is_uuid(rq->param[0])) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "order_id is missing");
    return;
  }
  if (st_sim_get_order(a->sim, rq->param[0], &o) != ST_OK) {
    st_asim_resp_error(rs, 404, ST_SIM_CODE_NOTFOUND, "order not found");
    return;
  }
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

void st_asim_rest_order_by_coid(st_asim *a, const st_asim_req *rq,
                                st_asim_resp *rs) {
  const char *coid = st_asim_req_arg(rq, "client_order_id");
  st_sim_order o;

  if (coid == NULL || coid[0] == '\0') {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID,
                       "client_order_id is required");
    return;
  }
  if (st_sim_get_order_by_client_id(a->sim, coid, &o) != ST_OK) {
    st_asim_resp_error(rs, 404, ST_SIM_CODE_NOTFOUND, "order not found");
    return;
  }
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

void st_asim_rest_cancel(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_errinfo ei;

  if (!is_uuid(rq->param[0])) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "order_id is missing");
    return;
  }
  st_sim_errinfo_clear(&ei);
  if (st_sim_cancel(a->sim, rq->param[0], st_asim_now_ns(), &ei) != ST_OK) {
    st_asim_resp_errinfo(rs, &ei);
    return;
  }
  st_asim_resp_empty(rs, 204);
}

void st_asim_rest_cancel_all(st_asim *a, const st_asim_req *rq,
                             st_asim_resp *rs) {
  size_t n = st_sim_order_count(a->sim);
  int64_t now = st_asim_now_ns();
  cJSON *arr = cJSON_CreateArray();

  for (size_t i = 0; arr != NULL && i < n; i++) {
    st_sim_errinfo ei;
    st_sim_order o;
    cJSON *r;

    if (st_sim_order_at(a->sim, i, &o) != ST_OK ||
        st_sim_status_is_terminal(o.status)) {
      continue;
    }
    st_sim_errinfo_clear(&ei);
    r = cJSON_CreateObject();
    if (r == NULL) {
      continue;
    }
    cJSON_AddStringToObject(r, "id", o.id);
    if (st_sim_cancel(a->sim, o.id, now, &ei) == ST_OK) {
      (void)st_sim_get_order(a->sim, o.id, &o);
      cJSON_AddNumberToObject(r, "status", 200);
      cJSON_AddItemToObject(r, "body", st_asim_json_order(&o));
    } else {
      cJSON_AddNumberToObject(r, "status", ei.http_status);
      cJSON_AddItemToObject(r, "body", st_asim_json_errinfo(&ei));
    }
    cJSON_AddItemToArray(arr, r);
  }
  st_asim_resp_json(rs, 207, arr);
}

void st_asim_rest_replace(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_replace_req req;
  st_sim_errinfo ei;
  st_sim_order o;
  const char *tif = NULL;
  int has;
  cJSON *body;

  if (!is_uuid(rq->param[0])) {
    st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "order_id is missing");
    return;
  }
  if (st_asim_req_json(rq, rs, &body) != ST_OK) {
    return;
  }
  memset(&req, 0, sizeof(req));
  if (!read_dec(body, "qty", &req.qty, &has, rs) ||
      !read_dec(body, "limit_price", &req.limit_price, &has, rs) ||
      !read_str(body, "time_in_force", &tif, rs) ||
      !read_str(body, "client_order_id", &req.client_order_id, rs) ||
      unsupported(body, "stop_price", rs) || unsupported(body, "trail", rs)) {
    cJSON_Delete(body);
    return;
  }
  if (tif != NULL) {
    if (st_sim_tif_parse(tif, &req.tif) != ST_OK) {
      st_asim_resp_error(rs, 422, ST_SIM_CODE_INVALID, "invalid time_in_force");
      cJSON_Delete(body);
      return;
    }
    req.has_tif = 1;
  }
  st_sim_errinfo_clear(&ei);
  if (st_sim_replace(a->sim, rq->param[0], &req, st_asim_now_ns(), &o, &ei) !=
      ST_OK) {
    st_asim_resp_errinfo(rs, &ei);
    cJSON_Delete(body);
    return;
  }
  cJSON_Delete(body);
  st_asim_resp_json(rs, 200, st_asim_json_order(&o));
}

void st_asim_rest_clock(st_asim *a, const st_asim_req *rq, st_asim_resp *rs) {
  st_sim_clock c;

  if (st_sim_get_clock(a->sim, st_asim_now_ns(), &c) != ST_OK) {
    st_asim_resp_error(rs, 500, 50010000, "clock unavailable");
    return;
  }
  st_asim_resp_json(rs, 200, st_asim_json_clock(&c));
}
