/* http.h - a small thread-safe HTTP client over libcurl for broker REST calls.
 *
 * An st_http owns a pool of curl easy handles (each keeps its connections
 * alive between requests); a request borrows a free handle, waiting if all
 * are busy, so any number of threads may call st_http_do at once. Fixed
 * headers (e.g. the broker's key headers) are sent with every request and
 * never logged. One attempt per call: retries belong to the caller.
 */
#ifndef ST_BROKER_HTTP_H
#define ST_BROKER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"

typedef struct st_http st_http;

typedef struct st_http_opts {
  const char *const *headers; /* "Name: value" lines, copied; may be NULL. */
  size_t nheaders;
  long connect_timeout_ms; /* 0: 5000. */
  long timeout_ms;         /* Whole request; 0: 15000. */
  size_t pool_size;        /* Concurrent requests; 0: 4. */
  size_t max_body;         /* Largest response body; 0: 16 MiB. */
} st_http_opts;

/* One response. The caller frees body with st_http_resp_free. */
typedef struct st_http_resp {
  long status; /* HTTP status, e.g. 200. */
  char *body;  /* NUL-terminated; NULL when empty. */
  size_t len;
  /* Rate-limit headers (X-Ratelimit-*); -1 when absent. */
  long rl_limit;
  long rl_remaining;
  int64_t rl_reset_s; /* Epoch seconds. */
} st_http_resp;

/* Creates a client (initializing libcurl once per process). Caller frees
 * *out with st_http_destroy. ST_ENOMEM or ST_EIO (curl failed to start),
 * with detail in *eb. */
st_err st_http_create(const st_http_opts *o, st_http **out, st_errbuf *eb);

/* Frees h and its handles; no request may be in progress. Header copies
 * are wiped before they are freed. */
void st_http_destroy(st_http *h);

/* Sends one request: method ("GET", "POST", "PATCH", "DELETE"), an absolute
 * url, and body (JSON, sent with Content-Type: application/json) or NULL.
 * ST_OK when any HTTP response arrived (whatever its status) and *resp was
 * filled; ST_ETRANSIENT for connection failures and timeouts (the request
 * may or may not have reached the server); ST_EPROTO when the body exceeded
 * max_body; ST_ENOMEM. *resp is cleared first and needs
 * st_http_resp_free in every case. Thread-safe; blocks. */
st_err st_http_do(st_http *h, const char *method, const char *url,
                  const char *body, st_http_resp *resp, st_errbuf *eb);

/* Frees the body of r and clears it. */
void st_http_resp_free(st_http_resp *r);

#endif
