/* err.h - the one error enum of settled, and its text.
 *
 * Every function that can fail returns an st_err; results go out through
 * pointer arguments. gRPC status codes are produced from these only at the
 * edge (server/rpc/status.c). Detail text that goes with an error is copied
 * into a caller-owned st_errbuf, never a heap string.
 */
#ifndef ST_UTIL_ERR_H
#define ST_UTIL_ERR_H

#include <stddef.h>

typedef enum st_err {
  ST_OK = 0,
  ST_ENOMEM,    /* Out of memory. */
  ST_EINVAL,    /* Invalid argument (bad input from a caller). */
  ST_ENOTFOUND, /* No such object. */
  ST_EEXIST,    /* Already exists (with different content). */
  ST_ECANCELED, /* Canceled by the caller or by shutdown. */
  ST_ETIMEDOUT, /* A deadline passed. */
  ST_EUNAVAIL,  /* Temporarily unavailable (shutting down, no peer). */
  ST_EOVERFLOW, /* A bounded resource is exhausted (queue full). */
  ST_EUNIMPL,   /* Not implemented. */
  ST_EPRECOND,  /* The system is not in a state that allows this. */
  ST_ERANGE,    /* Out of range (e.g. older than retained history). */
  ST_EAUTH,     /* Missing or wrong credentials. */
  ST_EPERM,     /* Authenticated but not allowed. */
  ST_EIO,       /* An I/O or storage error. */
  ST_EPROTO,    /* A peer sent something malformed. */
  ST_EINTERNAL, /* An invariant failed; a bug. */
  /* Broker failures (server/broker/broker.h keeps the broker's own code and
   * message next to these). */
  ST_EBUYPOWER,  /* Insufficient buying power. */
  ST_EQTY,       /* Insufficient quantity available. */
  ST_EDUPLICATE, /* Duplicate client_order_id. */
  ST_ETERMINAL,  /* The order is already in a terminal state. */
  ST_ERATELIMIT, /* Rate limited (429). */
  ST_ETRANSIENT, /* 5xx, timeout or connection failure; may be retried. */
  ST_EWASH,      /* Rejected as a potential wash trade. */
  ST_EREJECTED,  /* Rejected by the broker for another reason. */
  ST_ERR_COUNT
} st_err;

/* Size of a caller-owned buffer for error detail text. */
#define ST_ERRBUF_LEN 256

/* A caller-owned buffer for the detail text of an error. */
typedef struct st_errbuf {
  char msg[ST_ERRBUF_LEN];
} st_errbuf;

/* Returns a static, human-readable name for err (never NULL). */
const char *st_strerror(st_err err);

/* Formats detail text into eb (if eb is not NULL) and returns err, so that a
 * failure path can be `return st_errf(eb, ST_EINVAL, "plan_id: %s", why);`. */
st_err st_errf(st_errbuf *eb, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
