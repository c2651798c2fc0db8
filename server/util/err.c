/* err.c - names and detail text for st_err. */
#include "server/util/err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[ST_ERR_COUNT] = {
    [ST_OK] = "ok",
    [ST_ENOMEM] = "out of memory",
    [ST_EINVAL] = "invalid argument",
    [ST_ENOTFOUND] = "not found",
    [ST_EEXIST] = "already exists",
    [ST_ECANCELED] = "canceled",
    [ST_ETIMEDOUT] = "timed out",
    [ST_EUNAVAIL] = "unavailable",
    [ST_EOVERFLOW] = "resource exhausted",
    [ST_EUNIMPL] = "not implemented",
    [ST_EPRECOND] = "failed precondition",
    [ST_ERANGE] = "out of range",
    [ST_EAUTH] = "unauthenticated",
    [ST_EPERM] = "permission denied",
    [ST_EIO] = "i/o error",
    [ST_EPROTO] = "protocol error",
    [ST_EINTERNAL] = "internal error",
    [ST_EBUYPOWER] = "insufficient buying power",
    [ST_EQTY] = "insufficient quantity",
    [ST_EDUPLICATE] = "duplicate client order id",
    [ST_ETERMINAL] = "order already terminal",
    [ST_ERATELIMIT] = "rate limited",
    [ST_ETRANSIENT] = "transient broker failure",
    [ST_EWASH] = "potential wash trade",
    [ST_EREJECTED] = "rejected by broker",
};

const char *st_strerror(st_err err) {
  if ((int)err < 0 || err >= ST_ERR_COUNT || names[err] == NULL) {
    return "unknown error";
  }
  return names[err];
}

st_err st_errf(st_errbuf *eb, st_err err, const char *fmt, ...) {
  va_list ap;

  if (eb != NULL) {
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
    va_end(ap);
  }
  return err;
}
