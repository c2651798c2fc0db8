/* pool.h - a small fixed pool of worker threads for blocking work.
 *
 * gRPC completion-queue threads must never block; a handler that needs the
 * broker's REST API (which blocks on the network) hands the work to a pool.
 */
#ifndef ST_UTIL_POOL_H
#define ST_UTIL_POOL_H

#include <stddef.h>

#include "server/util/err.h"

typedef struct st_pool st_pool;

/* Starts n threads (1..64). *out is owned by the caller (st_pool_free). */
st_err st_pool_create(int n, st_pool **out);

/* Queues fn(ud) to run on a pool thread. ST_ECANCELED after st_pool_free
 * began; ST_ENOMEM. */
st_err st_pool_submit(st_pool *p, void (*fn)(void *ud), void *ud);

/* Runs the queued jobs, stops the threads and frees p. */
void st_pool_free(st_pool *p);

#endif
