/* engine.h - the execution engine: one execution per plan, one at a time
 * per account, sells first, settlement, then buys; journaled and resumable.
 *
 * The engine owns one worker thread. Executions are queued in arrival
 * order (others wait as QUEUED, so two plans never spend the same cash).
 * Broker trade updates and quotes reach the worker through a queue, so the
 * broker's threads never block. Every state change is an event: committed
 * to the journal (keyed on (plan, step), so a resumed execution never emits
 * a step twice), then handed to the publish hook.
 *
 * On start every execution that is not terminal is resumed from the
 * journal: each intended order is looked up at the broker by its client
 * order id (adopted only if symbol, side and quantity match the intent,
 * sent if absent), fills that arrived while settled was down are
 * reconciled, and the phases continue. No order is ever sent twice.
 *
 * Results are serialized settled.v1.ExecutionResult messages, handed out
 * as st_free-able byte buffers so that no protobuf memory crosses threads.
 */
#ifndef ST_EXEC_ENGINE_H
#define ST_EXEC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "server/broker/broker.h"
#include "server/events/journal.h"
#include "server/exec/plan.h"
#include "server/pricing/pricing.h"
#include "server/util/err.h"
#include "settled/v1/execution.pb-c.h"

typedef struct st_engine st_engine;

/* A time source, injectable for tests. now() is nanoseconds since the
 * epoch; wait() waits on cv/mu until signalled or until deadline_ns by
 * now(), returning 1 when the deadline passed. NULL members: real time. */
typedef struct st_time_src {
  int64_t (*now)(void *ud);
  int (*wait)(void *ud, void *cv, void *mu, int64_t deadline_ns);
  void *ud;
} st_time_src;

/* Receives every event after it is committed, in sequence order, on the
 * engine's thread: body is the serialized settled.v1.Event (valid during
 * the call). Must not block. */
typedef void (*st_publish_fn)(void *ud, const Settled__V1__Event *ev,
                              const uint8_t *body, size_t len);

typedef struct st_engine_opts {
  st_broker *broker;   /* Not owned; started by the engine. */
  st_pricing *pricing; /* Not owned. */
  st_journal *journal; /* Not owned. */
  st_plan_limits limits;
  st_time_src time;      /* Zeroed: real time. */
  st_publish_fn publish; /* May be NULL. */
  void *publish_ud;
  int allow_margin;      /* Size buys on buying power, not cash. */
  int check_market_open; /* Refuse plans while the market is closed (1). */
} st_engine_opts;

/* Creates the engine. *out is owned by the caller (st_engine_free). */
st_err st_engine_create(const st_engine_opts *o, st_engine **out,
                        st_errbuf *eb);

/* Starts the broker with the engine's callbacks, resumes the unfinished
 * executions and starts the worker thread. */
st_err st_engine_start(st_engine *e, st_errbuf *eb);

/* Stops the worker thread: executions in flight stay RUNNING in the
 * journal and resume at the next start. The broker may still call the
 * engine's callbacks (they only queue); destroy the broker before
 * st_engine_free. Idempotent. */
void st_engine_stop(st_engine *e);

/* Stops the worker if it runs and frees e. No broker callback may come
 * after this: destroy the broker first. */
void st_engine_free(st_engine *e);

/* Accepts a plan. Validation errors are ST_EINVAL (field named in eb);
 * a closed market is ST_EPRECOND (the next open named in eb); the same
 * plan_id with a different plan is ST_EEXIST. A dry run places nothing and
 * returns the orders that would be placed. Otherwise the execution is
 * created (or, for a plan_id already known with the same content, found:
 * nothing new is placed) and *result and *len get its current result
 * (serialized ExecutionResult, caller frees with st_free). */
st_err st_engine_submit(st_engine *e,
                        const Settled__V1__ExecutePlanRequest *req,
                        uint8_t **result, size_t *len, st_errbuf *eb);

/* The current result of plan_id (serialized; caller frees). ST_ENOTFOUND. */
st_err st_engine_get(st_engine *e, const char *plan_id, uint8_t **result,
                     size_t *len);

/* Calls fn once with the result of plan_id when it reaches a terminal state
 * or when deadline_ns passes (whichever is first; the result may then be
 * RUNNING), from the engine's thread; fn must not block and gets a buffer
 * it must not keep. Returns a waiter id for st_engine_unawait in *id.
 * ST_ENOTFOUND for an unknown plan. */
st_err st_engine_await(st_engine *e, const char *plan_id, int64_t deadline_ns,
                       void (*fn)(void *ud, const uint8_t *result, size_t len),
                       void *ud, uint64_t *id);

/* Forgets a waiter; after it returns fn will not be called (returns 0), or
 * it has already been called (returns 1). */
int st_engine_unawait(st_engine *e, uint64_t id);

/* Cancels plan_id: its open orders are canceled and it ends CANCELED.
 * Returns at once; the execution's result follows. ST_ENOTFOUND;
 * ST_EPRECOND when it already ended. */
st_err st_engine_cancel(st_engine *e, const char *plan_id, const char *reason);

/* Lists executions newest first (see st_journal_exec_list); each result is
 * serialized into results[i] (caller frees each and the array). */
st_err st_engine_list(st_engine *e, int64_t before, int limit,
                      const int *statuses, size_t nstatuses, uint8_t ***results,
                      size_t **lens, int64_t **arrivals, size_t *n);

/* The broker the engine trades on (for the Account RPCs). */
st_broker *st_engine_broker(st_engine *e);

#endif
