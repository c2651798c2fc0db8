/* http.h - alpaca-sim's HTTP side: requests, responses, routing, and the
 * libwebsockets glue that reads requests (bodies in any number of chunks)
 * and writes responses on keep-alive connections.
 *
 * A request is captured whole (method, path, query arguments, credential
 * headers, body) before it is routed, so handlers never touch lws. Every
 * handler fills an st_asim_resp. Routes under /v2/ need the APCA key
 * headers, are rate limited and may get injected faults; /_sim/ and
 * /healthz are open. Runs on the service thread with the server lock held.
 */
#ifndef ST_ASIM_HTTP_H
#define ST_ASIM_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "server/alpaca_sim/buf.h"
#include "server/alpaca_sim/ratelimit.h"
#include "server/alpaca_sim/server.h"
#include "server/sim/errinfo.h"

#define ST_ASIM_MAX_ARGS 32
#define ST_ASIM_MAX_PARAMS 4
#define ST_ASIM_MAX_BODY (1 << 20)

typedef enum st_asim_method {
  ST_ASIM_GET = 0,
  ST_ASIM_POST,
  ST_ASIM_PUT,
  ST_ASIM_PATCH,
  ST_ASIM_DELETE,
  ST_ASIM_OTHER,
} st_asim_method;

/* One request. Strings point into the request's own storage. */
typedef struct st_asim_req {
  st_asim_method method;
  char path[1024];
  char argbuf[4096]; /* "name\0value\0" pairs, url-decoded. */
  const char *arg_name[ST_ASIM_MAX_ARGS];
  const char *arg_value[ST_ASIM_MAX_ARGS];
  int nargs;
  char segbuf[1024]; /* Path segments captured by "*" in the route. */
  const char *param[ST_ASIM_MAX_PARAMS];
  int nparams;
  char key_id[128];     /* APCA-API-KEY-ID, or "". */
  char secret_key[128]; /* APCA-API-SECRET-KEY, or "". */
  st_asim_buf body;
  long content_length;
} st_asim_req;

/* One response. */
typedef struct st_asim_resp {
  int status;
  st_asim_buf body; /* JSON text, or empty. */
  int has_rl;       /* Add the rate-limit headers. */
  st_asim_rl_info rl;
} st_asim_resp;

/* A route handler: reads rq, fills rs. Runs with the server lock held;
 * the server drains simulator events after it returns. */
typedef void st_asim_handler(st_asim *a, const st_asim_req *rq,
                             st_asim_resp *rs);

/* The HTTP state of one connection, reused across keep-alive requests. */
typedef struct st_asim_http_conn st_asim_http_conn;

/* Returns the value of query argument name, or NULL. */
const char *st_asim_req_arg(const st_asim_req *rq, const char *name);

/* Parses the request body as a JSON object into *out (caller frees with
 * cJSON_Delete). On failure fills rs with Alpaca's 400 and returns
 * ST_EINVAL. An empty body is an empty object. */
st_err st_asim_req_json(const st_asim_req *rq, st_asim_resp *rs, cJSON **out);

/* Sets rs to status with body (taken over and freed; NULL gives a 500). */
void st_asim_resp_json(st_asim_resp *rs, int status, cJSON *body);

/* Sets rs to status with {"code":code,"message":message}. */
void st_asim_resp_error(st_asim_resp *rs, int status, int code,
                        const char *message);

/* Sets rs to the error the simulator described in ei. */
void st_asim_resp_errinfo(st_asim_resp *rs, const st_sim_errinfo *ei);

/* Sets rs to status with no body (204). */
void st_asim_resp_empty(st_asim_resp *rs, int status);

/* lws glue, from the protocol callback. Each returns 0, or -1 when the
 * connection must be closed. *pc is the connection's state, created on the
 * first request and freed with st_asim_http_conn_free. */
int st_asim_http_on_request(st_asim *a, struct lws *wsi, st_asim_http_conn **pc,
                            const char *uri);
int st_asim_http_on_body(st_asim *a, struct lws *wsi, st_asim_http_conn *c,
                         const void *in, size_t len);
int st_asim_http_on_body_done(st_asim *a, struct lws *wsi,
                              st_asim_http_conn *c);
int st_asim_http_on_writable(st_asim *a, struct lws *wsi, st_asim_http_conn *c);

/* Frees a connection's HTTP state (NULL is allowed). */
void st_asim_http_conn_free(st_asim_http_conn *c);

#endif
