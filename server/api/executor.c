/* executor.c - settled.v1.Executor: ExecutePlan, GetExecution,
 * ListExecutions, CancelExecution. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"
#include "settled/v1/execution.pb-c.h"

/* Answer a waiting ExecutePlan this long before the client's deadline, so
 * it gets the execution (RUNNING) instead of a bare DEADLINE_EXCEEDED. */
#define DEADLINE_MARGIN_MS 1000

/* One ExecutePlan call waiting for its execution. Two holders: the waiter
 * side (the engine's callback, or whoever removes the waiter) and the
 * call's on_done; the last one frees it and drops the call reference. */
typedef struct exec_call {
  pthread_mutex_t mu;
  st_call *call;
  st_api *api;
  uint64_t wid;
  int waiting; /* A waiter is registered with the engine. */
  int done;    /* on_done ran. */
  atomic_int holders;
} exec_call;

static void release(exec_call *ec) {
  if (atomic_fetch_sub(&ec->holders, 1) == 1) {
    st_call_unref(ec->call);
    pthread_mutex_destroy(&ec->mu);
    st_free(ec);
  }
}

/* The engine's callback: the execution ended or the deadline is near. */
static void on_result(void *ud, const uint8_t *res, size_t len) {
  exec_call *ec = ud;

  if (res != NULL) {
    st_call_reply_bytes(ec->call, res, len);
  } else {
    st_call_finish(ec->call, GRPC_STATUS_UNAVAILABLE,
                   "the engine stopped before the execution ended");
  }
  release(ec);
}

static void execute(st_api *api, st_call *call, const ProtobufCMessage *m) {
  const Settled__V1__ExecutePlanRequest *req =
      (const Settled__V1__ExecutePlanRequest *)m;
  exec_call *ec = st_call_data(call);
  uint8_t *res = NULL;
  size_t len = 0;
  st_errbuf eb = {{0}};
  st_err err;
  int64_t left = st_call_deadline_ms(call);
  Settled__V1__ExecutionResult *r;
  int terminal;

  err = st_engine_submit(api->engine, req, &res, &len, &eb);
  if (err != ST_OK) {
    st__api_fail(call, err, eb.msg);
    release(ec);
    return;
  }
  r = settled__v1__execution_result__unpack(NULL, len, res);
  terminal =
      r == NULL ||
      r->status >= SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_SUCCESS;
  if (r != NULL) {
    settled__v1__execution_result__free_unpacked(r, NULL);
  }
  if (req->detach || req->dry_run || terminal) {
    st_call_reply_bytes(call, res, len);
    st_free(res);
    release(ec);
    return;
  }
  st_free(res);
  /* Wait for the terminal result, within the client's deadline. */
  pthread_mutex_lock(&ec->mu);
  if (ec->done) {
    pthread_mutex_unlock(&ec->mu);
    release(ec);
    return;
  }
  {
    int64_t margin = left == INT64_MAX ? 0 : left / 10;
    int64_t deadline;

    if (margin > DEADLINE_MARGIN_MS) {
      margin = DEADLINE_MARGIN_MS;
    }
    deadline = left == INT64_MAX ? INT64_MAX
                                 : st_now_ns() + (left - margin) * ST_NS_PER_MS;
    err = st_engine_await(api->engine, req->plan->plan_id, deadline, on_result,
                          ec, &ec->wid);
  }
  if (err == ST_OK) {
    ec->waiting = 1;
    pthread_mutex_unlock(&ec->mu);
    return;
  }
  pthread_mutex_unlock(&ec->mu);
  st__api_fail(call, err, "cannot wait for the execution");
  release(ec);
}

static void on_execute(st_call *call, const ProtobufCMessage *req, void *ud) {
  st_api *api = ud;
  exec_call *ec = st_calloc(1, sizeof(*ec));

  if (ec == NULL) {
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  pthread_mutex_init(&ec->mu, NULL);
  ec->call = call;
  ec->api = api;
  atomic_init(&ec->holders, 2);
  st_call_ref(call);
  st_call_set_data(call, ec);
  if (st__api_defer(api, call, req, execute) != ST_OK) {
    release(ec); /* execute() will not run. */
  }
}

static void on_execute_done(st_call *call, int cancelled, void *ud) {
  exec_call *ec = st_call_data(call);
  int waiting;

  if (ec == NULL) {
    return;
  }
  pthread_mutex_lock(&ec->mu);
  ec->done = 1;
  waiting = ec->waiting;
  ec->waiting = 0;
  pthread_mutex_unlock(&ec->mu);
  /* A client that goes away does not stop the execution; it only stops
   * waiting for it. */
  if (waiting && st_engine_unawait(ec->api->engine, ec->wid) == 0) {
    release(ec); /* The waiter's share: it will never be called. */
  }
  release(ec);
}

static int check_plan_id(st_call *call, const char *plan_id) {
  if (plan_id == NULL || plan_id[0] == '\0') {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "plan_id: missing");
    return 0;
  }
  if (strlen(plan_id) > 64) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "plan_id: more than 64 characters");
    return 0;
  }
  return 1;
}

static void reply_result(st_call *call, st_err err, const char *plan_id,
                         uint8_t *res, size_t len) {
  if (err == ST_ENOTFOUND) {
    st_call_finish(call, GRPC_STATUS_NOT_FOUND, "no execution for plan_id %s",
                   plan_id);
  } else if (err != ST_OK) {
    st__api_fail(call, err, NULL);
  } else {
    st_call_reply_bytes(call, res, len);
  }
  st_free(res);
}

static void get(st_api *api, st_call *call, const ProtobufCMessage *m) {
  const Settled__V1__GetExecutionRequest *r =
      (const Settled__V1__GetExecutionRequest *)m;
  uint8_t *res = NULL;
  size_t len = 0;
  st_err err = st_engine_get(api->engine, r->plan_id, &res, &len);

  reply_result(call, err, r->plan_id, res, len);
}

static void on_get(st_call *call, const ProtobufCMessage *m, void *ud) {
  if (check_plan_id(call,
                    ((const Settled__V1__GetExecutionRequest *)m)->plan_id)) {
    st__api_defer(ud, call, m, get);
  }
}

static void cancel(st_api *api, st_call *call, const ProtobufCMessage *m) {
  const Settled__V1__CancelExecutionRequest *r =
      (const Settled__V1__CancelExecutionRequest *)m;
  uint8_t *res = NULL;
  size_t len = 0;
  st_err err = st_engine_cancel(api->engine, r->plan_id, r->reason);

  if (err == ST_EPRECOND) {
    st_call_finish(call, GRPC_STATUS_FAILED_PRECONDITION,
                   "the execution of %s already ended", r->plan_id);
    return;
  }
  if (err == ST_OK) {
    err = st_engine_get(api->engine, r->plan_id, &res, &len);
  }
  reply_result(call, err, r->plan_id, res, len);
}

static void on_cancel(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__CancelExecutionRequest *r =
      (const Settled__V1__CancelExecutionRequest *)m;

  if (!check_plan_id(call, r->plan_id)) {
    return;
  }
  if (r->reason != NULL && strlen(r->reason) > 200) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "reason: more than 200 characters");
    return;
  }
  st__api_defer(ud, call, m, cancel);
}

static void list(st_api *api, st_call *call, const ProtobufCMessage *m) {
  const Settled__V1__ListExecutionsRequest *r =
      (const Settled__V1__ListExecutionsRequest *)m;
  Settled__V1__ListExecutionsResponse resp =
      SETTLED__V1__LIST_EXECUTIONS_RESPONSE__INIT;
  Settled__V1__ExecutionResult **items = NULL;
  uint8_t **res = NULL;
  size_t *lens = NULL, n = 0;
  int64_t *arr = NULL, before = 0;
  int *sts = NULL;
  int limit = r->page_size == 0 ? 100 : r->page_size;
  char token[32] = "";
  st_err err;

  if (r->page_token != NULL && r->page_token[0] != '\0') {
    char *end;

    before = strtoll(r->page_token, &end, 10);
    if (*end != '\0' || before <= 0) {
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "page_token: not a token from a previous response");
      return;
    }
  }
  if (r->n_statuses > 0) {
    sts = st_calloc(r->n_statuses, sizeof(int));
    for (size_t i = 0; sts != NULL && i < r->n_statuses; i++) {
      sts[i] = r->statuses[i];
    }
  }
  err = st_engine_list(api->engine, before, limit, sts, r->n_statuses, &res,
                       &lens, &arr, &n);
  if (err != ST_OK) {
    st__api_fail(call, err, "cannot list executions");
    goto out;
  }
  items = st_calloc(n + 1, sizeof(*items));
  for (size_t i = 0; items != NULL && i < n; i++) {
    items[i] = settled__v1__execution_result__unpack(NULL, lens[i], res[i]);
  }
  resp.executions = items;
  resp.n_executions = 0;
  for (size_t i = 0; items != NULL && i < n; i++) {
    if (items[i] != NULL) {
      items[resp.n_executions++] = items[i];
    }
  }
  if (n == (size_t)limit && n > 0) {
    snprintf(token, sizeof(token), "%lld", (long long)arr[n - 1]);
  }
  resp.next_page_token = token;
  st_call_reply(call, &resp.base);
  for (size_t i = 0; items != NULL && i < resp.n_executions; i++) {
    settled__v1__execution_result__free_unpacked(items[i], NULL);
  }
out:
  for (size_t i = 0; res != NULL && i < n; i++) {
    st_free(res[i]);
  }
  st_free(res);
  st_free(lens);
  st_free(arr);
  st_free(items);
  st_free(sts);
}

static void on_list(st_call *call, const ProtobufCMessage *m, void *ud) {
  const Settled__V1__ListExecutionsRequest *r =
      (const Settled__V1__ListExecutionsRequest *)m;

  if (r->page_size < 0 || r->page_size > 1000) {
    st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                   "page_size: %d is not in 0..1000", r->page_size);
    return;
  }
  for (size_t i = 0; i < r->n_statuses; i++) {
    if (r->statuses[i] <= 0 || r->statuses[i] > 7) {
      st_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                     "statuses[%zu]: unknown status %d", i, r->statuses[i]);
      return;
    }
  }
  st__api_defer(ud, call, m, list);
}

st_err st__api_executor(st_server *srv, st_api *api) {
  const st_handler execute_h = {.on_call = on_execute,
                                .on_done = on_execute_done};
  const st_handler get_h = {.on_call = on_get};
  const st_handler cancel_h = {.on_call = on_cancel};
  const st_handler list_h = {.on_call = on_list};
  st_err err;

  if ((err = st_server_handle(srv, "settled.v1.Executor/ExecutePlan",
                              &execute_h, api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Executor/GetExecution", &get_h,
                              api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Executor/CancelExecution",
                              &cancel_h, api)) != ST_OK ||
      (err = st_server_handle(srv, "settled.v1.Executor/ListExecutions",
                              &list_h, api)) != ST_OK) {
    return err;
  }
  return ST_OK;
}
