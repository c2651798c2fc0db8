/* status.h - st_err to gRPC status codes: the only place they meet. */
#ifndef ST_RPC_STATUS_H
#define ST_RPC_STATUS_H

#include <grpc/status.h>

#include "server/util/err.h"

/* The gRPC status code a handler's error becomes at the edge. */
grpc_status_code st_status_from_err(st_err err);

/* The canonical name of a status code ("INVALID_ARGUMENT"). */
const char *st_status_name(grpc_status_code code);

#endif
