/* status.c - map st_err to gRPC status codes. */
#include "server/rpc/status.h"

grpc_status_code st_status_from_err(st_err err) {
  switch (err) {
    case ST_OK:
      return GRPC_STATUS_OK;
    case ST_EINVAL:
    case ST_EPROTO:
      return GRPC_STATUS_INVALID_ARGUMENT;
    case ST_ENOTFOUND:
      return GRPC_STATUS_NOT_FOUND;
    case ST_EEXIST:
    case ST_EDUPLICATE:
      return GRPC_STATUS_ALREADY_EXISTS;
    case ST_ECANCELED:
      return GRPC_STATUS_CANCELLED;
    case ST_ETIMEDOUT:
      return GRPC_STATUS_DEADLINE_EXCEEDED;
    case ST_EUNAVAIL:
    case ST_ETRANSIENT:
      return GRPC_STATUS_UNAVAILABLE;
    case ST_EOVERFLOW:
    case ST_ERATELIMIT:
    case ST_ENOMEM:
      return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case ST_EUNIMPL:
      return GRPC_STATUS_UNIMPLEMENTED;
    case ST_EPRECOND:
    case ST_EBUYPOWER:
    case ST_EQTY:
    case ST_ETERMINAL:
    case ST_EWASH:
    case ST_EREJECTED:
      return GRPC_STATUS_FAILED_PRECONDITION;
    case ST_ERANGE:
      return GRPC_STATUS_OUT_OF_RANGE;
    case ST_EAUTH:
      return GRPC_STATUS_UNAUTHENTICATED;
    case ST_EPERM:
      return GRPC_STATUS_PERMISSION_DENIED;
    case ST_EIO:
    case ST_EINTERNAL:
    case ST_ERR_COUNT:
      return GRPC_STATUS_INTERNAL;
  }
  return GRPC_STATUS_UNKNOWN;
}

const char *st_status_name(grpc_status_code code) {
  static const char *const names[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };

  if ((int)code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0])) {
    return "UNKNOWN";
  }
  return names[code];
}
