/* json.c - Alpaca's JSON bodies and lenient request-field readers. */
#include "server/alpaca_sim/json.h"

#include <string.h>

#include "server/alpaca_sim/timefmt.h"
#include "server/util/alloc.h"

void st_asim_json_init(void) {
  cJSON_Hooks hooks = {st_malloc, st_free};

  cJSON_InitHooks(&hooks);
}

char *st_asim_json_print(const cJSON *j) {
  return cJSON_PrintUnformatted(j);
}

int st_asim_json_add_dec(cJSON *obj, const char *key, st_dec d,
                         int null_if_zero) {
  char buf[ST_DEC_STRLEN];

  if (null_if_zero && st_dec_is_zero(d)) {
    return cJSON_AddNullToObject(obj, key) != NULL;
  }
  return cJSON_AddStringToObject(obj, key, st_dec_format(d, 0, buf)) != NULL;
}

int st_asim_json_add_time(cJSON *obj, const char *key, int64_t ns) {
  char buf[ST_ASIM_TIME_LEN];

  if (ns == 0) {
    return cJSON_AddNullToObject(obj, key) != NULL;
  }
  return cJSON_AddStringToObject(obj, key, st_asim_time_format(ns, 0, buf)) !=
         NULL;
}

/* Adds s, or null when s is "". */
static int add_str_or_null(cJSON *obj, const char *key, const char *s) {
  if (s[0] == '\0') {
    return cJSON_AddNullToObject(obj, key) != NULL;
  }
  return cJSON_AddStringToObject(obj, key, s) != NULL;
}

/* Returns j, or frees it and returns NULL when ok is 0. */
static cJSON *finish(cJSON *j, int ok) {
  if (!ok) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

cJSON *st_asim_json_order(const st_sim_order *o) {
  cJSON *j = cJSON_CreateObject();
  const char *type = st_sim_type_name(o->type);
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddStringToObject(j, "id", o->id) != NULL;
  ok &=
      cJSON_AddStringToObject(j, "client_order_id", o->client_order_id) != NULL;
  ok &= st_asim_json_add_time(j, "created_at", o->created_at_ns);
  ok &= st_asim_json_add_time(j, "updated_at", o->updated_at_ns);
  ok &= st_asim_json_add_time(j, "submitted_at", o->submitted_at_ns);
  ok &= st_asim_json_add_time(j, "filled_at", o->filled_at_ns);
  ok &= st_asim_json_add_time(j, "expired_at", o->expired_at_ns);
  ok &= st_asim_json_add_time(j, "canceled_at", o->canceled_at_ns);
  ok &= st_asim_json_add_time(j, "failed_at", o->failed_at_ns);
  ok &= st_asim_json_add_time(j, "replaced_at", o->replaced_at_ns);
  ok &= add_str_or_null(j, "replaced_by", o->replaced_by);
  ok &= add_str_or_null(j, "replaces", o->replaces);
  ok &= cJSON_AddStringToObject(j, "asset_id", o->asset_id) != NULL;
  ok &= cJSON_AddStringToObject(j, "symbol", o->symbol) != NULL;
  ok &= cJSON_AddStringToObject(j, "asset_class", "us_equity") != NULL;
  ok &= st_asim_json_add_dec(j, "notional", o->notional, 1);
  ok &= st_asim_json_add_dec(j, "qty", o->qty, 1);
  ok &= st_asim_json_add_dec(j, "filled_qty", o->filled_qty, 0);
  ok &= st_asim_json_add_dec(j, "filled_avg_price", o->filled_avg_price, 1);
  ok &= cJSON_AddStringToObject(j, "order_class", "") != NULL;
  ok &= cJSON_AddStringToObject(j, "order_type", type) != NULL;
  ok &= cJSON_AddStringToObject(j, "type", type) != NULL;
  ok &= cJSON_AddStringToObject(j, "side", st_sim_side_name(o->side)) != NULL;
  ok &= cJSON_AddStringToObject(
            j, "position_intent",
            o->side == ST_SIM_BUY ? "buy_to_open" : "sell_to_close") != NULL;
  ok &= cJSON_AddStringToObject(j, "time_in_force", st_sim_tif_name(o->tif)) !=
        NULL;
  ok &= st_asim_json_add_dec(j, "limit_price", o->limit_price, 1);
  ok &= cJSON_AddNullToObject(j, "stop_price") != NULL;
  ok &= cJSON_AddStringToObject(j, "status", st_sim_status_name(o->status)) !=
        NULL;
  ok &= cJSON_AddBoolToObject(j, "extended_hours", 0) != NULL;
  ok &= cJSON_AddNullToObject(j, "legs") != NULL;
  ok &= cJSON_AddNullToObject(j, "trail_percent") != NULL;
  ok &= cJSON_AddNullToObject(j, "trail_price") != NULL;
  ok &= cJSON_AddNullToObject(j, "hwm") != NULL;
  ok &= cJSON_AddNullToObject(j, "subtag") != NULL;
  ok &= cJSON_AddNullToObject(j, "source") != NULL;
  ok &= st_asim_json_add_time(j, "expires_at", o->expires_at_ns);
  return finish(j, ok);
}

cJSON *st_asim_json_account(const st_sim_account *a, st_dec last_equity) {
  cJSON *j = cJSON_CreateObject();
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddStringToObject(j, "id", a->id) != NULL;
  ok &= cJSON_AddStringToObject(j, "account_number", a->account_number) != NULL;
  ok &= cJSON_AddStringToObject(j, "status", "ACTIVE") != NULL;
  ok &= cJSON_AddStringToObject(j, "crypto_status", "INACTIVE") != NULL;
  ok &= cJSON_AddStringToObject(j, "currency", "USD") != NULL;
  ok &= st_asim_json_add_dec(j, "buying_power", a->buying_power, 0);
  ok &= st_asim_json_add_dec(j, "regt_buying_power", a->buying_power, 0);
  ok &= cJSON_AddStringToObject(j, "daytrading_buying_power", "0") != NULL;
  ok &= st_asim_json_add_dec(j, "effective_buying_power", a->buying_power, 0);
  ok &= st_asim_json_add_dec(j, "non_marginable_buying_power", a->buying_power,
                             0);
  ok &= st_asim_json_add_dec(j, "cash", a->cash, 0);
  ok &= cJSON_AddStringToObject(j, "accrued_fees", "0") != NULL;
  ok &= st_asim_json_add_dec(j, "portfolio_value", a->equity, 0);
  ok &= cJSON_AddBoolToObject(j, "pattern_day_trader", 0) != NULL;
  ok &= cJSON_AddBoolToObject(j, "trading_blocked", 0) != NULL;
  ok &= cJSON_AddBoolToObject(j, "transfers_blocked", 0) != NULL;
  ok &= cJSON_AddBoolToObject(j, "account_blocked", 0) != NULL;
  ok &= st_asim_json_add_time(j, "created_at", a->created_at_ns);
  ok &= cJSON_AddBoolToObject(j, "trade_suspended_by_user", 0) != NULL;
  ok &= cJSON_AddStringToObject(j, "multiplier", "1") != NULL;
  ok &= cJSON_AddBoolToObject(j, "shorting_enabled", 0) != NULL;
  ok &= st_asim_json_add_dec(j, "equity", a->equity, 0);
  ok &= st_asim_json_add_dec(j, "last_equity", last_equity, 0);
  ok &= st_asim_json_add_dec(j, "long_market_value", a->long_market_value, 0);
  ok &= cJSON_AddStringToObject(j, "short_market_value", "0") != NULL;
  ok &=
      st_asim_json_add_dec(j, "position_market_value", a->long_market_value, 0);
  ok &= cJSON_AddStringToObject(j, "initial_margin", "0") != NULL;
  ok &= cJSON_AddStringToObject(j, "maintenance_margin", "0") != NULL;
  ok &= cJSON_AddStringToObject(j, "last_maintenance_margin", "0") != NULL;
  ok &= cJSON_AddStringToObject(j, "sma", "0") != NULL;
  ok &= cJSON_AddNumberToObject(j, "daytrade_count", 0) != NULL;
  return finish(j, ok);
}

cJSON *st_asim_json_position(const st_sim_position *p,
                             const st_sim_asset *asset) {
  cJSON *j = cJSON_CreateObject();
  st_dec plpc = ST_DEC_ZERO;
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  if (!st_dec_is_zero(p->cost_basis)) {
    (void)st_dec_div(p->unrealized_pl, st_dec_abs(p->cost_basis),
                     ST_ROUND_HALF_EVEN, &plpc);
  }
  ok &= cJSON_AddStringToObject(j, "asset_id", p->asset_id) != NULL;
  ok &= cJSON_AddStringToObject(j, "symbol", p->symbol) != NULL;
  ok &= cJSON_AddStringToObject(
            j, "exchange", asset != NULL ? asset->exchange : "NYSE") != NULL;
  ok &= cJSON_AddStringToObject(j, "asset_class", "us_equity") != NULL;
  ok &= cJSON_AddBoolToObject(j, "asset_marginable", 0) != NULL;
  ok &= st_asim_json_add_dec(j, "qty", p->qty, 0);
  ok &= st_asim_json_add_dec(j, "qty_available", p->qty_available, 0);
  ok &= st_asim_json_add_dec(j, "avg_entry_price", p->avg_entry_price, 0);
  ok &= cJSON_AddStringToObject(
            j, "side", st_dec_is_neg(p->qty) ? "short" : "long") != NULL;
  ok &= st_asim_json_add_dec(j, "market_value", p->market_value, 0);
  ok &= st_asim_json_add_dec(j, "cost_basis", p->cost_basis, 0);
  ok &= st_asim_json_add_dec(j, "unrealized_pl", p->unrealized_pl, 0);
  ok &= st_asim_json_add_dec(j, "unrealized_plpc", plpc, 0);
  ok &= st_asim_json_add_dec(j, "unrealized_intraday_pl", p->unrealized_pl, 0);
  ok &= st_asim_json_add_dec(j, "unrealized_intraday_plpc", plpc, 0);
  ok &= st_asim_json_add_dec(j, "current_price", p->current_price, 0);
  ok &= st_asim_json_add_dec(j, "lastday_price", p->current_price, 0);
  ok &= cJSON_AddStringToObject(j, "change_today", "0") != NULL;
  return finish(j, ok);
}

cJSON *st_asim_json_asset(const st_sim_asset *a) {
  cJSON *j = cJSON_CreateObject();
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddStringToObject(j, "id", a->id) != NULL;
  ok &= cJSON_AddStringToObject(j, "class", "us_equity") != NULL;
  ok &= cJSON_AddStringToObject(j, "exchange", a->exchange) != NULL;
  ok &= cJSON_AddStringToObject(j, "symbol", a->symbol) != NULL;
  ok &= cJSON_AddStringToObject(j, "name", a->name) != NULL;
  ok &= cJSON_AddStringToObject(j, "status", "active") != NULL;
  ok &= cJSON_AddBoolToObject(j, "tradable", a->tradable) != NULL;
  ok &= cJSON_AddBoolToObject(j, "marginable", a->tradable) != NULL;
  ok &=
      cJSON_AddNumberToObject(j, "maintenance_margin_requirement", 100) != NULL;
  ok &= cJSON_AddBoolToObject(j, "shortable", 0) != NULL;
  ok &= cJSON_AddBoolToObject(j, "easy_to_borrow", 0) != NULL;
  ok &= cJSON_AddBoolToObject(j, "fractionable", a->fractionable) != NULL;
  ok &= cJSON_AddArrayToObject(j, "attributes") != NULL;
  return finish(j, ok);
}

cJSON *st_asim_json_clock(const st_sim_clock *c) {
  cJSON *j = cJSON_CreateObject();
  char buf[ST_ASIM_TIME_LEN];
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &=
      cJSON_AddStringToObject(
          j, "timestamp", st_asim_time_format_ny(c->timestamp_ns, buf)) != NULL;
  ok &= cJSON_AddBoolToObject(j, "is_open", c->is_open) != NULL;
  ok &=
      cJSON_AddStringToObject(
          j, "next_open", st_asim_time_format_ny(c->next_open_ns, buf)) != NULL;
  ok &= cJSON_AddStringToObject(
            j, "next_close", st_asim_time_format_ny(c->next_close_ns, buf)) !=
        NULL;
  return finish(j, ok);
}

const char *st_asim_json_exch_code(const char *exchange, int iex) {
  if (iex) {
    return "V";
  }
  if (strcmp(exchange, "NASDAQ") == 0) {
    return "Q";
  }
  if (strcmp(exchange, "ARCA") == 0 || strcmp(exchange, "NYSEARCA") == 0) {
    return "P";
  }
  if (strcmp(exchange, "BATS") == 0) {
    return "Z";
  }
  if (strcmp(exchange, "AMEX") == 0) {
    return "A";
  }
  return "N";
}

/* Money for the market-data API, which writes prices as JSON numbers. */
static double dec_to_double(st_dec d) {
  return (double)d.v / (double)ST_DEC_SCALE;
}

cJSON *st_asim_json_quote(const st_sim_quote *q, const char *exch) {
  cJSON *j = cJSON_CreateObject();
  cJSON *c;
  char buf[ST_ASIM_TIME_LEN];
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddStringToObject(j, "t",
                                st_asim_time_format(q->ts_ns, 0, buf)) != NULL;
  ok &= cJSON_AddStringToObject(j, "ax", exch) != NULL;
  ok &= cJSON_AddNumberToObject(j, "ap", dec_to_double(q->ask)) != NULL;
  ok &= cJSON_AddNumberToObject(j, "as", (double)q->ask_size) != NULL;
  ok &= cJSON_AddStringToObject(j, "bx", exch) != NULL;
  ok &= cJSON_AddNumberToObject(j, "bp", dec_to_double(q->bid)) != NULL;
  ok &= cJSON_AddNumberToObject(j, "bs", (double)q->bid_size) != NULL;
  c = cJSON_AddArrayToObject(j, "c");
  ok &= c != NULL && cJSON_AddItemToArray(c, cJSON_CreateString("R"));
  ok &= cJSON_AddStringToObject(j, "z", "C") != NULL;
  return finish(j, ok);
}

cJSON *st_asim_json_error(int code, const char *message) {
  cJSON *j = cJSON_CreateObject();
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  ok &= cJSON_AddNumberToObject(j, "code", code) != NULL;
  ok &= cJSON_AddStringToObject(j, "message", message) != NULL;
  return finish(j, ok);
}

cJSON *st_asim_json_errinfo(const st_sim_errinfo *ei) {
  cJSON *j = cJSON_CreateObject();
  int ok = j != NULL;

  if (!ok) {
    return NULL;
  }
  if (ei->err == ST_EQTY) {
    ok &= st_asim_json_add_dec(j, "available", ei->available, 0);
  }
  if (ei->err == ST_EBUYPOWER) {
    ok &= st_asim_json_add_dec(j, "buying_power", ei->buying_power, 0);
  }
  ok &= cJSON_AddNumberToObject(j, "code", ei->code) != NULL;
  if (ei->err == ST_EBUYPOWER) {
    ok &= st_asim_json_add_dec(j, "cost_basis", ei->cost_basis, 0);
  }
  if (ei->err == ST_EQTY) {
    ok &= st_asim_json_add_dec(j, "existing_qty", ei->existing_qty, 0);
    ok &= st_asim_json_add_dec(j, "held_for_orders", ei->held_for_orders, 0);
  }
  ok &= cJSON_AddStringToObject(j, "message", ei->message) != NULL;
  if (ei->err == ST_EQTY) {
    ok &= cJSON_AddStringToObject(j, "symbol", ei->symbol) != NULL;
  }
  return finish(j, ok);
}

st_err st_asim_json_get_dec(const cJSON *obj, const char *key, st_dec *out,
                            int *present) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

  *present = 0;
  if (v == NULL || cJSON_IsNull(v)) {
    return ST_OK;
  }
  if (cJSON_IsString(v)) {
    if (v->valuestring[0] == '\0') {
      return ST_OK;
    }
    if (st_dec_parse_lenient(v->valuestring, out) != ST_OK) {
      return ST_EINVAL;
    }
    *present = 1;
    return ST_OK;
  }
  if (cJSON_IsNumber(v)) {
    if (st_dec_from_double(v->valuedouble, out) != ST_OK) {
      return ST_EINVAL;
    }
    *present = 1;
    return ST_OK;
  }
  return ST_EINVAL;
}

st_err st_asim_json_get_str(const cJSON *obj, const char *key,
                            const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

  *out = NULL;
  if (v == NULL || cJSON_IsNull(v)) {
    return ST_OK;
  }
  if (!cJSON_IsString(v)) {
    return ST_EINVAL;
  }
  if (v->valuestring[0] != '\0') {
    *out = v->valuestring;
  }
  return ST_OK;
}
