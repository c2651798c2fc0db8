/* api.c - registration and the shared helpers of the handlers. */
#include "server/api/api.h"

#include "server/rpc/status.h"
#include "server/util/alloc.h"

typedef struct deferred {
  st_api *api;
  st_call *call;
  const ProtobufCMessage *req;
  void (*fn)(st_api *, st_call *, const ProtobufCMessage *);
} deferred;

static void run_deferred(void *ud) {
  deferred *d = ud;

  /* Always run: a call that ended meanwhile makes replies no-ops, and the
   * handler may own state to release. */
  d->fn(d->api, d->call, d->req);
  st_call_unref(d->call);
  st_free(d);
}

st_err st__api_defer(st_api *api, st_call *call, const ProtobufCMessage *req,
                     void (*fn)(st_api *, st_call *,
                                const ProtobufCMessage *)) {
  deferred *d = st_malloc(sizeof(*d));

  if (d == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return ST_ENOMEM;
  }
  d->api = api;
  d->call = call;
  d->req = req; /* Owned by the call; the reference keeps it alive. */
  d->fn = fn;
  st_call_ref(call);
  if (st_pool_submit(api->pool, run_deferred, d) != ST_OK) {
    st_call_unref(call);
    st_free(d);
    st_call_finish(call, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
    return ST_ECANCELED;
  }
  return ST_OK;
}

void st__api_fail(st_call *call, st_err err, const char *msg) {
  st_call_finish(call, st_status_from_err(err), "%s",
                 msg != NULL && msg[0] != '\0' ? msg : st_strerror(err));
}

st_err st_api_register(st_server *srv, st_api *api) {
  st_err err;

  if ((err = st__api_executor(srv, api)) != ST_OK ||
      (err = st__api_account(srv, api)) != ST_OK ||
      (err = st__api_pricing(srv, api)) != ST_OK ||
      (err = st__api_events(srv, api)) != ST_OK ||
      (err = st__api_quotes(srv, api)) != ST_OK) {
    return err;
  }
  return ST_OK;
}
