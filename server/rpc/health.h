/* health.h - grpc.health.v1.Health: Check and Watch.
 *
 * Serves the overall status ("") and one status per service of the
 * descriptor set. Everything is SERVING once started; when shutdown
 * begins every status becomes NOT_SERVING and every Watch stream is told
 * so before the server ends it with UNAVAILABLE.
 */
#ifndef ST_RPC_HEALTH_H
#define ST_RPC_HEALTH_H

#include "server/rpc/server.h"

typedef struct st_health st_health;

/* Attaches Check and Watch to srv (before st_server_start) with every
 * service SERVING. *out is owned by the caller: free it with
 * st_health_free after st_server_shutdown, when no call can reach it. */
st_err st_health_create(st_server *srv, st_health **out);

/* Sets the status of service ("" for the whole server; NULL for every
 * service) and tells its watchers. ST_ENOTFOUND for an unknown service. */
st_err st_health_set(st_health *h, const char *service, int serving);

/* Frees h. */
void st_health_free(st_health *h);

#endif
