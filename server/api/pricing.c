/* pricing.c - settled.v1.Pricing: SubscribeSymbols, UnsubscribeSymbols,
 * GetQuotes. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "server/api/api.h"
#include "server/api/convert.h"
#include "server/util/alloc.h"
#include "settled/v1/pricing.pb-c.h"

#define RPC_OWNER "rpc"
#define MAX_SYMBOLS 100

/* Checks and upper-cases symbols into out (n rows); 0 after answering
 * INVALID_ARGUMENT. */
static int symbols(st_call *call, char *const *in, size_t n, int need,
                   char (*out)[ST_SYMBOL_LEN]) {
  if (need && n == 0) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "symbols: at least one symbol is needed");
    return 0;
  }
  if (n > MAX_SYMBOLS) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "symbols: %zu symbols is more than %d", n, MAX_SYMBOLS);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(in[i]);

    if (len < 1 || len > 10) {
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "symbols[%zu]: must be 1-10 characters", i);
      return 0;
    }
    for (size_t k = 0; k < len; k++) {
      unsigned char c = (unsigned char)in[i][k];

      if (!isalnum(c) && c != '.' && c != '/') {
        st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                       "symbols[%zu]: \"%s\" is not a ticker", i, in[i]);
        return 0;
      }
      out[i][k] = (char)toupper(c);
    }
    out[i][len] = '\0';
  }
  return 1;
}

typedef struct sym_req {
  char syms[MAX_SYMBOLS][ST_SYMBOL_LEN];
  const char *ptrs[MAX_SYMBOLS];
  size_t n;
  double priority;
} sym_req;

static void subscribe(st_api *api, st_call *call, const ProtobufCMessage *m) {
  sym_req *sr = st_call_data(call);
  Settled__V1__SubscribeSymbolsResponse r =
      SETTLED__V1__SUBSCRIBE_SYMBOLS_RESPONSE__INIT;
  Settled__V1__SymbolSubscription *subs = NULL, **sp = NULL;
  char **evicted = NULL;
  st_pricing_sub_report rep;
  st_brokerr be;
  st_err err;

  memset(&rep, 0, sizeof(rep));
  memset(&be, 0, sizeof(be));
  err = st_pricing_subscribe(api->pricing, RPC_OWNER, sr->ptrs, sr->n,
                             sr->priority, &rep, &be);
  if (err != ST_OK) {
    st_call_finish(call, GRPC_STATUS_UNAVAILABLE, "broker: %s%s%s",
                   st_strerror(err), be.message[0] ? ": " : "", be.message);
    goto out;
  }
  subs = st_calloc(rep.nresults + 1, sizeof(*subs));
  sp = st_calloc(rep.nresults + 1, sizeof(*sp));
  evicted = st_calloc(rep.nevicted + 1, sizeof(*evicted));
  if (subs == NULL || sp == NULL || evicted == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < rep.nresults; i++) {
    st_pricing_sub_result *res = &rep.results[i];

    settled__v1__symbol_subscription__init(&subs[i]);
    subs[i].symbol = res->symbol;
    subs[i].subscribed = res->status == ST_PRICING_SUB_ADDED ||
                         res->status == ST_PRICING_SUB_KEPT;
    subs[i].priority = res->priority;
    subs[i].reason =
        res->status == ST_PRICING_SUB_FULL
            ? "subscription limit reached and no symbol of lower priority "
              "to replace"
            : (res->status == ST_PRICING_SUB_INVALID ? "invalid symbol" : "");
    sp[i] = &subs[i];
  }
  for (size_t i = 0; i < rep.nevicted; i++) {
    evicted[i] = rep.evicted[i].symbol;
  }
  r.n_results = rep.nresults;
  r.results = sp;
  r.n_evicted = rep.nevicted;
  r.evicted = evicted;
  st_call_reply(call, &r.base);
out:
  st_pricing_sub_report_free(&rep);
  st_free(subs);
  st_free(sp);
  st_free(evicted);
}

static void unsubscribe(st_api *api, st_call *call, const ProtobufCMessage *m) {
  sym_req *sr = st_call_data(call);
  Settled__V1__UnsubscribeSymbolsResponse r =
      SETTLED__V1__UNSUBSCRIBE_SYMBOLS_RESPONSE__INIT;
  char *removed[MAX_SYMBOLS];
  st_brokerr be;

  /* Which of them this owner held. */
  for (size_t i = 0; i < sr->n; i++) {
    st_pricing_claim *cl = NULL;
    size_t nc = 0;

    if (st_pricing_claims(api->pricing, &cl, &nc) == ST_OK) {
      for (size_t k = 0; k < nc; k++) {
        if (strcmp(cl[k].symbol, sr->syms[i]) == 0 &&
            strcmp(cl[k].owner, RPC_OWNER) == 0) {
          removed[r.n_removed++] = sr->syms[i];
          break;
        }
      }
      st_free(cl);
    }
  }
  memset(&be, 0, sizeof(be));
  if (st_pricing_unsubscribe(api->pricing, RPC_OWNER, sr->ptrs, sr->n, &be) !=
      ST_OK) {
    st_call_finish(call, GRPC_STATUS_UNAVAILABLE, "broker: %s", be.message);
    return;
  }
  r.removed = removed;
  st_call_reply(call, &r.base);
}

static void get_quotes(st_api *api, st_call *call, const ProtobufCMessage *m) {
  sym_req *sr = st_call_data(call);
  Settled__V1__GetQuotesResponse r = SETTLED__V1__GET_QUOTES_RESPONSE__INIT;
  st_quote *qs = st_calloc(sr->n, sizeof(*qs));
  Settled__V1__Quote *msgs = st_calloc(sr->n, sizeof(*msgs));
  Settled__V1__Quote **ptrs = st_calloc(sr->n, sizeof(*ptrs));
  st_quote_strs *strs = st_calloc(sr->n, sizeof(*strs));
  char *missing[MAX_SYMBOLS];
  st_brokerr be;

  memset(&be, 0, sizeof(be));
  if (qs == NULL || msgs == NULL || ptrs == NULL || strs == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  if (st_pricing_fetch(api->pricing, sr->ptrs, sr->n, qs, &be) != ST_OK &&
      be.message[0] != '\0') {
    /* Some quotes may still be there from the stream; say what is
     * missing rather than fail the whole call. */
  }
  for (size_t i = 0; i < sr->n; i++) {
    if (qs[i].ts_ns == 0) {
      missing[r.n_missing++] = sr->syms[i];
      continue;
    }
    st_quote_to_pb(&qs[i], &msgs[r.n_quotes], &strs[r.n_quotes]);
    ptrs[r.n_quotes] = &msgs[r.n_quotes];
    r.n_quotes++;
  }
  r.quotes = ptrs;
  r.missing = missing;
  st_call_reply(call, &r.base);
out:
  st_free(qs);
  st_free(msgs);
  st_free(ptrs);
  st_free(strs);
}

/* Parses the symbols of any of the three requests into call data. */
static sym_req *prepare(st_call *call, char *const *in, size_t n, int need) {
  sym_req *sr = st_calloc(1, sizeof(*sr));

  if (sr == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  if (!symbols(call, in, n, need, sr->syms)) {
    st_free(sr);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    sr->ptrs[i] = sr->syms[i];
  }
  sr->n = n;
  st_call_set_data(call, sr);
  return sr;
}

static void on_done(st_call *call, int cancelled, void *ud) {
  st_free(st_call_data(call));
}

static void on_subscribe(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__SubscribeSymbolsRequest *r =
      (const Settled__V1__SubscribeSymbolsRequest *)m;
  sym_req *sr;

  if (r->priority != NULL &&
      (r->priority->value < 0 || r->priority->value >= 1000)) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "priority: must be at least 0 and below 1000 (executions "
                   "use 1000)");
    return;
  }
  sr = prepare(call, r->symbols, r->n_symbols, 1);
  if (sr != NULL) {
    sr->priority =
        r->priority != NULL ? r->priority->value : ST_PRICING_RPC_PRIORITY;
    st__api_defer(ud, call, m, subscribe);
  }
}

static void on_unsubscribe(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__UnsubscribeSymbolsRequest *r =
      (const Settled__V1__UnsubscribeSymbolsRequest *)m;

  if (prepare(call, r->symbols, r->n_symbols, 1) != NULL) {
    st__api_defer(ud, call, m, unsubscribe);
  }
}

static void on_get_quotes(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__GetQuotesRequest *r =
      (const Settled__V1__GetQuotesRequest *)m;

  if (prepare(call, r->symbols, r->n_symbols, 1) != NULL) {
    st__api_defer(ud, call, m, get_quotes);
  }
}

st_err st__api_pricing(st_server *srv, st_api *api) {
  const st_handler s = {.on_call = on_subscribe, .on_done = on_done};
  const st_handler u = {.on_call = on_unsubscribe, .on_done = on_done};
  const st_handler q = {.on_call = on_get_quotes, .on_done = on_done};
  st_err err;

  if ((err = st_server_handle(srv, "settled.v1.Pricing/SubscribeSymbols", &s,
                              api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Pricing/UnsubscribeSymbols", &u,
                              api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Pricing/GetQuotes", &q, api)) !=
          ST_OK) {
    return err;
  }
  return ST_OK;
}
