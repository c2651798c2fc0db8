/* api.h - the handlers of the settled.v1 services.
 *
 * Each handler decodes nothing itself (the rpc layer already did), checks
 * the request and answers INVALID_ARGUMENT naming the field, then calls the
 * engine, the pricing layer or the broker. Work that can block (the broker
 * is a network service) runs on the api's thread pool, never on a
 * completion-queue thread. Errors become gRPC statuses only here.
 */
#ifndef ST_API_API_H
#define ST_API_API_H

#include "server/broker/broker.h"
#include "server/events/hub.h"
#include "server/events/journal.h"
#include "server/exec/engine.h"
#include "server/pricing/pricing.h"
#include "server/rpc/server.h"
#include "server/util/pool.h"

/* What the handlers use; none of it is owned by the api. */
typedef struct st_api {
  st_engine *engine;
  st_pricing *pricing;
  st_broker *broker;
  st_pool *pool;
  st_journal *journal;
  st_hub *hub;
  int live; /* 1 when trading a live (real money) account. */
} st_api;

/* The engine's publish hook (st_publish_fn): hands a committed event to
 * the hub once, as one shared slice, for every live subscriber. ud is the
 * st_api. */
void st_api_publish(void *ud, const Settled__V1__Event *ev, const uint8_t *body,
                    size_t len);

/* Attaches the Executor, Pricing and Account handlers to srv (before
 * st_server_start). api must outlive the server's calls. */
st_err st_api_register(st_server *srv, st_api *api);

/* Internal, per service. */
st_err st__api_executor(st_server *srv, st_api *api);
st_err st__api_account(st_server *srv, st_api *api);
st_err st__api_pricing(st_server *srv, st_api *api);
st_err st__api_events(st_server *srv, st_api *api);
st_err st__api_quotes(st_server *srv, st_api *api);

/* Internal: runs fn(api, call, req) on the pool with a reference on call
 * (fn runs even if the call ended meanwhile). When it cannot be queued the
 * call is ended (UNAVAILABLE) and the error returned: fn will not run. */
st_err st__api_defer(st_api *api, st_call *call, const ProtobufCMessage *req,
                     void (*fn)(st_api *api, st_call *call,
                                const ProtobufCMessage *req));

/* Internal: ends call with the status for err and msg. */
void st__api_fail(st_call *call, st_err err, const char *msg);

#endif
