/* account.c - settled.v1.Account: GetAccount, ListPositions, ListOrders. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "server/api/api.h"
#include "server/api/convert.h"
#include "server/util/alloc.h"
#include "settled/v1/account.pb-c.h"

static void broker_fail(st_call *call, st_err err, const st_brokerr *be) {
  char msg[320];

  snprintf(msg, sizeof(msg), "broker: %s%s%s", st_strerror(err),
           be->message[0] ? ": " : "", be->message);
  /* A broker failure is the broker being unavailable to us. */
  st_call_finish(
      call,
      err == ST_ENOTFOUND ? GRPC_STATUS_NOT_FOUND : GRPC_STATUS_UNAVAILABLE,
      "%s", msg);
}

static void get_account(st_api *api, st_call *call, const ProtobufCMessage *m) {
  Settled__V1__AccountInfo a = SETTLED__V1__ACCOUNT_INFO__INIT;
  st_account acc;
  st_brokerr be;
  char cash[ST_DEC_STRLEN], bp[ST_DEC_STRLEN], eq[ST_DEC_STRLEN],
      pv[ST_DEC_STRLEN], lmv[ST_DEC_STRLEN], mult[ST_DEC_STRLEN];
  st_err err;

  memset(&be, 0, sizeof(be));
  err = api->broker->ops->get_account(api->broker, &acc, &be);
  if (err != ST_OK) {
    broker_fail(call, err, &be);
    return;
  }
  a.account_id = acc.id;
  a.status = acc.status;
  a.currency = acc.currency;
  a.cash = st_dec_format(acc.cash, 2, cash);
  a.buying_power = st_dec_format(acc.buying_power, 2, bp);
  a.equity = st_dec_format(acc.equity, 2, eq);
  a.portfolio_value = st_dec_format(acc.portfolio_value, 2, pv);
  a.long_market_value = st_dec_format(acc.long_market_value, 2, lmv);
  a.multiplier = st_dec_format(acc.multiplier, 0, mult);
  a.trading_blocked = acc.trading_blocked;
  a.broker = (char *)api->broker->name;
  a.paper = !api->live;
  st_call_reply(call, &a.base);
}

static void on_get_account(st_call *call, const ProtobufCMessage *m, void *ud) {
  st__api_defer(ud, call, m, get_account);
}

static void list_positions(st_api *api, st_call *call,
                           const ProtobufCMessage *m) {
  Settled__V1__ListPositionsResponse r =
      SETTLED__V1__LIST_POSITIONS_RESPONSE__INIT;
  st_position *ps = NULL;
  size_t n = 0;
  Settled__V1__Position *msgs = NULL, **ptrs = NULL;
  st_position_strs *strs = NULL;
  st_brokerr be;
  st_err err;

  memset(&be, 0, sizeof(be));
  err = api->broker->ops->list_positions(api->broker, &ps, &n, &be);
  if (err != ST_OK) {
    broker_fail(call, err, &be);
    return;
  }
  msgs = st_calloc(n + 1, sizeof(*msgs));
  ptrs = st_calloc(n + 1, sizeof(*ptrs));
  strs = st_calloc(n + 1, sizeof(*strs));
  if (msgs == NULL || ptrs == NULL || strs == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    st_position_to_pb(&ps[i], &msgs[i], &strs[i]);
    ptrs[i] = &msgs[i];
  }
  r.n_positions = n;
  r.positions = ptrs;
  st_call_reply(call, &r.base);
out:
  st_free(ps);
  st_free(msgs);
  st_free(ptrs);
  st_free(strs);
}

static void on_list_positions(st_call *call, const ProtobufCMessage *m,
                              void *ud) {
  st__api_defer(ud, call, m, list_positions);
}

static void list_orders(st_api *api, st_call *call, const ProtobufCMessage *m) {
  const Settled__V1__ListOrdersRequest *req =
      (const Settled__V1__ListOrdersRequest *)m;
  Settled__V1__ListOrdersResponse r = SETTLED__V1__LIST_ORDERS_RESPONSE__INIT;
  st_order_query q;
  st_order *os = NULL;
  size_t n = 0;
  Settled__V1__Order *msgs = NULL, **ptrs = NULL;
  st_order_strs *strs = NULL;
  char(*syms)[ST_SYMBOL_LEN] = NULL;
  const char **symp = NULL;
  st_brokerr be;
  st_err err;

  memset(&q, 0, sizeof(q));
  switch (req->status) {
    case SETTLED__V1__ORDER_QUERY_STATUS__ORDER_QUERY_STATUS_CLOSED:
      q.status = ST_ORDERS_CLOSED;
      break;
    case SETTLED__V1__ORDER_QUERY_STATUS__ORDER_QUERY_STATUS_ALL:
      q.status = ST_ORDERS_ALL;
      break;
    default:
      q.status = ST_ORDERS_OPEN;
  }
  q.limit = req->limit == 0 ? 50 : req->limit;
  if (req->n_symbols > 0) {
    syms = st_calloc(req->n_symbols, ST_SYMBOL_LEN);
    symp = st_calloc(req->n_symbols, sizeof(char *));
    if (syms == NULL || symp == NULL) {
      st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
      goto out;
    }
    for (size_t i = 0; i < req->n_symbols; i++) {
      for (size_t k = 0; req->symbols[i][k] != '\0' && k < 10; k++) {
        syms[i][k] = (char)toupper((unsigned char)req->symbols[i][k]);
      }
      symp[i] = syms[i];
    }
    q.symbols = symp;
    q.nsymbols = req->n_symbols;
  }
  memset(&be, 0, sizeof(be));
  err = api->broker->ops->list_orders(api->broker, &q, &os, &n, &be);
  if (err != ST_OK) {
    broker_fail(call, err, &be);
    goto out;
  }
  msgs = st_calloc(n + 1, sizeof(*msgs));
  ptrs = st_calloc(n + 1, sizeof(*ptrs));
  strs = st_calloc(n + 1, sizeof(*strs));
  if (msgs == NULL || ptrs == NULL || strs == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    st_order_to_pb(&os[i], &msgs[i], &strs[i]);
    ptrs[i] = &msgs[i];
  }
  r.n_orders = n;
  r.orders = ptrs;
  st_call_reply(call, &r.base);
out:
  st_free(os);
  st_free(msgs);
  st_free(ptrs);
  st_free(strs);
  st_free(syms);
  st_free(symp);
}

static void on_list_orders(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__ListOrdersRequest *req =
      (const Settled__V1__ListOrdersRequest *)m;

  if (req->limit < 0 || req->limit > 500) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "limit: %d is not in 0..500", req->limit);
    return;
  }
  if (req->status < 0 || req->status > 3) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "status: unknown value %d", (int)req->status);
    return;
  }
  for (size_t i = 0; i < req->n_symbols; i++) {
    size_t len = strlen(req->symbols[i]);

    if (len < 1 || len > 10) {
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "symbols[%zu]: must be 1-10 characters", i);
      return;
    }
  }
  st__api_defer(ud, call, m, list_orders);
}

st_err st__api_account(st_server *srv, st_api *api) {
  const st_handler a = {.on_call = on_get_account};
  const st_handler p = {.on_call = on_list_positions};
  const st_handler o = {.on_call = on_list_orders};
  st_err err;

  if ((err = st_server_handle(srv, "settled.v1.Account/GetAccount", &a, api)) !=
          ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Account/ListPositions", &p,
                              api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Account/ListOrders", &o, api)) !=
          ST_OK) {
    return err;
  }
  return ST_OK;
}
