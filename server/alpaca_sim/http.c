/* http.c - requests, responses, routing and the lws HTTP glue. */
#include "server/alpaca_sim/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/alpaca_sim/control.h"
#include "server/alpaca_sim/data.h"
#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/rest.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define CHUNK 4096

struct st_asim_http_conn {
  st_asim_req rq;
  st_asim_resp rs;
  int waiting_body; /* Reading the body. */
  int too_large;    /* The body is being discarded (413). */
  int ready;        /* rs is complete and waits to be written. */
  int hdr_sent;
  size_t off; /* Body bytes written. */
};

typedef enum route_kind {
  ROUTE_OPEN = 0, /* /healthz, /_sim/: no auth, no limits. */
  ROUTE_REST,     /* /v2/: auth, rate limit, faults. */
} route_kind;

typedef struct route {
  st_asim_method method;
  const char *pattern; /* Segments; "*" captures one. */
  route_kind kind;
  st_asim_handler *fn;
} route;

static const route routes[] = {
    {ST_ASIM_GET, "/healthz", ROUTE_OPEN, st_asim_control_healthz},
    {ST_ASIM_GET, "/v2/account", ROUTE_REST, st_asim_rest_account},
    {ST_ASIM_GET, "/v2/assets", ROUTE_REST, st_asim_rest_assets},
    {ST_ASIM_GET, "/v2/assets/*", ROUTE_REST, st_asim_rest_asset},
    {ST_ASIM_GET, "/v2/positions", ROUTE_REST, st_asim_rest_positions},
    {ST_ASIM_GET, "/v2/positions/*", ROUTE_REST, st_asim_rest_position},
    {ST_ASIM_POST, "/v2/orders", ROUTE_REST, st_asim_rest_submit},
    {ST_ASIM_GET, "/v2/orders", ROUTE_REST, st_asim_rest_orders},
    {ST_ASIM_DELETE, "/v2/orders", ROUTE_REST, st_asim_rest_cancel_all},
    {ST_ASIM_GET, "/v2/orders:by_client_order_id", ROUTE_REST,
     st_asim_rest_order_by_coid},
    {ST_ASIM_GET, "/v2/orders/*", ROUTE_REST, st_asim_rest_order},
    {ST_ASIM_DELETE, "/v2/orders/*", ROUTE_REST, st_asim_rest_cancel},
    {ST_ASIM_PATCH, "/v2/orders/*", ROUTE_REST, st_asim_rest_replace},
    {ST_ASIM_GET, "/v2/clock", ROUTE_REST, st_asim_rest_clock},
    {ST_ASIM_GET, "/v2/stocks/quotes/latest", ROUTE_REST,
     st_asim_data_latest_quotes},
    {ST_ASIM_GET, "/v2/stocks/*/quotes/latest", ROUTE_REST,
     st_asim_data_latest_quote},
    {ST_ASIM_POST, "/_sim/quote", ROUTE_OPEN, st_asim_control_quote},
    {ST_ASIM_POST, "/_sim/orders/*/fill", ROUTE_OPEN, st_asim_control_fill},
    {ST_ASIM_POST, "/_sim/fill_delay", ROUTE_OPEN, st_asim_control_fill_delay},
    {ST_ASIM_POST, "/_sim/faults", ROUTE_OPEN, st_asim_control_faults},
    {ST_ASIM_GET, "/_sim/faults", ROUTE_OPEN, st_asim_control_get_faults},
    {ST_ASIM_POST, "/_sim/drop_streams", ROUTE_OPEN,
     st_asim_control_drop_streams},
    {ST_ASIM_GET, "/_sim/orders", ROUTE_OPEN, st_asim_control_orders},
    {ST_ASIM_GET, "/_sim/log", ROUTE_OPEN, st_asim_control_log},
    {ST_ASIM_POST, "/_sim/expire/*", ROUTE_OPEN, st_asim_control_expire},
    {ST_ASIM_GET, "/_sim/state", ROUTE_OPEN, st_asim_control_state},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

const char *st_asim_req_arg(const st_asim_req *rq, const char *name) {
  for (int i = 0; i < rq->nargs; i++) {
    if (strcmp(rq->arg_name[i], name) == 0) {
      return rq->arg_value[i];
    }
  }
  return NULL;
}

st_err st_asim_req_json(const st_asim_req *rq, st_asim_resp *rs, cJSON **out) {
  *out = rq->body.len == 0 ? cJSON_CreateObject()
                           : cJSON_ParseWithLength(rq->body.data, rq->body.len);
  if (*out == NULL || !cJSON_IsObject(*out)) {
    cJSON_Delete(*out);
    *out = NULL;
    st_asim_resp_error(rs, 400, 40010000, "request body format is invalid");
    return ST_EINVAL;
  }
  return ST_OK;
}

void st_asim_resp_json(st_asim_resp *rs, int status, cJSON *body) {
  char *text = body != NULL ? st_asim_json_print(body) : NULL;

  cJSON_Delete(body);
  st_asim_buf_reset(&rs->body);
  if (text == NULL) {
    rs->status = 500;
    (void)st_asim_buf_puts(&rs->body,
                           "{\"code\":50010000,\"message\":\"out of memory\"}");
    return;
  }
  rs->status = status;
  if (st_asim_buf_puts(&rs->body, text) != ST_OK) {
    rs->status = 500;
  }
  st_free(text);
}

void st_asim_resp_error(st_asim_resp *rs, int status, int code,
                        const char *message) {
  st_asim_resp_json(rs, status, st_asim_json_error(code, message));
}

void st_asim_resp_errinfo(st_asim_resp *rs, const st_sim_errinfo *ei) {
  if (ei->http_status == 0) {
    st_asim_resp_error(rs, 500, 50010000, st_strerror(ei->err));
    return;
  }
  st_asim_resp_json(rs, ei->http_status, st_asim_json_errinfo(ei));
}

void st_asim_resp_empty(st_asim_resp *rs, int status) {
  rs->status = status;
  st_asim_buf_reset(&rs->body);
}

/* Matches path against pattern segment by segment, capturing "*"
 * segments into rq->param. */
static int match(const char *pattern, st_asim_req *rq) {
  const char *p = pattern, *s = rq->path;
  char *seg = rq->segbuf;
  char *segend = rq->segbuf + sizeof(rq->segbuf);

  rq->nparams = 0;
  while (*p != '\0' && *s != '\0') {
    if (*p != '/' || *s != '/') {
      return 0;
    }
    p++;
    s++;
    if (*p == '*') {
      size_t n = strcspn(s, "/");

      if (n == 0 || rq->nparams == ST_ASIM_MAX_PARAMS ||
          (size_t)(segend - seg) < n + 1) {
        return 0;
      }
      memcpy(seg, s, n);
      seg[n] = '\0';
      rq->param[rq->nparams++] = seg;
      seg += n + 1;
      p++;
      s += n;
    } else {
      size_t pn = strcspn(p, "/"), sn = strcspn(s, "/");

      if (pn != sn || strncmp(p, s, pn) != 0) {
        return 0;
      }
      p += pn;
      s += sn;
    }
  }
  /* A trailing slash on the request is tolerated. */
  return *p == '\0' && (*s == '\0' || strcmp(s, "/") == 0);
}

/* Routes rq and fills rs: auth, rate limit and faults for /v2/. */
static void dispatch(st_asim *a, st_asim_req *rq, st_asim_resp *rs) {
  const route *r = NULL;
  int path_known = 0, after = 0, fault = 0;
  int64_t now_ns = st_asim_now_ns();

  rs->has_rl = 0;
  for (size_t i = 0; i < NROUTES; i++) {
    if (match(routes[i].pattern, rq)) {
      path_known = 1;
      if (routes[i].method == rq->method) {
        r = &routes[i];
        break;
      }
    }
  }
  if (r == NULL) {
    if (path_known) {
      st_asim_resp_error(rs, 405, 40510000, "method not allowed");
    } else {
      st_asim_resp_error(rs, 404, 40410000, "endpoint not found");
    }
    return;
  }
  if (r->kind == ROUTE_REST) {
    int ok = st_asim_ratelimit_take(&a->rl, rq->key_id, now_ns / 1000000000LL,
                                    &rs->rl);

    rs->has_rl = 1;
    if (strcmp(rq->key_id, a->cfg.key_id) != 0 ||
        strcmp(rq->secret_key, a->cfg.secret_key) != 0) {
      st_asim_resp_error(rs, 401, 40110000, "request is not authorized");
      return;
    }
    if (!ok) {
      st_asim_resp_error(rs, 429, 42910000, "rate limit exceeded");
      return;
    }
    fault = st_asim_faults_draw(&a->faults, &after);
    if (fault == 429) {
      st_asim_resp_error(rs, 429, 42910000, "rate limit exceeded");
      return;
    }
    if (fault != 0 && !after) {
      goto fail5xx;
    }
  }
  r->fn(a, rq, rs);
  st_asim_pump(a, st_asim_now_ns());
  if (fault == 0) {
    return;
  }
fail5xx:
  if (fault == 500) {
    st_asim_resp_error(rs, 500, 50010000, "internal server error");
  } else {
    st_asim_resp_error(rs, 503, 50310000, "service unavailable");
  }
}

/* Copies header name (lower case, with its colon) into dst, or "". */
static void custom_header(struct lws *wsi, const char *name, char *dst,
                          int len) {
  if (lws_hdr_custom_copy(wsi, dst, len, name, (int)strlen(name)) < 0) {
    dst[0] = '\0';
  }
}

/* Captures the query arguments of the request into rq. */
static void capture_args(struct lws *wsi, st_asim_req *rq) {
  char frag[1024];
  size_t used = 0;

  rq->nargs = 0;
  for (int i = 0; rq->nargs < ST_ASIM_MAX_ARGS; i++) {
    int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
                                  WSI_TOKEN_HTTP_URI_ARGS, i);
    char *eq;
    size_t nl;

    if (n < 0) {
      break;
    }
    if (used + (size_t)n + 2 > sizeof(rq->argbuf)) {
      break;
    }
    eq = strchr(frag, '=');
    nl = eq != NULL ? (size_t)(eq - frag) : (size_t)n;
    memcpy(rq->argbuf + used, frag, nl);
    rq->argbuf[used + nl] = '\0';
    rq->arg_name[rq->nargs] = rq->argbuf + used;
    used += nl + 1;
    if (eq != NULL) {
      size_t vl = (size_t)n - nl - 1;

      memcpy(rq->argbuf + used, eq + 1, vl);
      rq->argbuf[used + vl] = '\0';
      rq->arg_value[rq->nargs] = rq->argbuf + used;
      used += vl + 1;
    } else {
      rq->argbuf[used] = '\0';
      rq->arg_value[rq->nargs] = rq->argbuf + used;
      used += 1;
    }
    rq->nargs++;
  }
}

/* Resets c for a new request, keeping the buffers' memory. */
static void conn_reset(st_asim_http_conn *c) {
  st_asim_buf body = c->rq.body, out = c->rs.body;

  st_asim_buf_reset(&body);
  st_asim_buf_reset(&out);
  memset(c, 0, sizeof(*c));
  c->rq.body = body;
  c->rs.body = out;
}

/* The request is complete: route it and ask to write the answer. */
static int respond(st_asim *a, struct lws *wsi, st_asim_http_conn *c) {
  if (!c->too_large) {
    dispatch(a, &c->rq, &c->rs);
  }
  c->waiting_body = 0;
  c->ready = 1;
  lws_callback_on_writable(wsi);
  return 0;
}

static const char *method_name(st_asim_method m) {
  static const char *const names[] = {"GET",   "POST",   "PUT",
                                      "PATCH", "DELETE", "OTHER"};

  return m <= ST_ASIM_OTHER ? names[m] : "?";
}

/* Answers "Expect: 100-continue" (libcurl waits a second for it). */
static int send_continue(struct lws *wsi) {
  static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
  unsigned char buf[LWS_PRE + sizeof(line)];
  char expect[32];

  if (lws_hdr_copy(wsi, expect, sizeof(expect), WSI_TOKEN_HTTP_EXPECT) <= 0 ||
      strcasecmp(expect, "100-continue") != 0) {
    return 0;
  }
  memcpy(buf + LWS_PRE, line, sizeof(line) - 1);
  if (lws_write(wsi, buf + LWS_PRE, sizeof(line) - 1, LWS_WRITE_RAW) <
      (int)sizeof(line) - 1) {
    return -1;
  }
  return 0;
}

int st_asim_http_on_request(st_asim *a, struct lws *wsi, st_asim_http_conn **pc,
                            const char *uri) {
  st_asim_http_conn *c = *pc;
  char *uri_ptr = NULL;
  char cl[32];
  int uri_len = 0, m;

  if (c == NULL) {
    c = st_calloc(1, sizeof(*c));
    if (c == NULL) {
      return -1;
    }
    *pc = c;
  }
  conn_reset(c);
  m = lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_len);
  switch (m) {
    case LWSHUMETH_GET:
      c->rq.method = ST_ASIM_GET;
      break;
    case LWSHUMETH_POST:
      c->rq.method = ST_ASIM_POST;
      break;
    case LWSHUMETH_PUT:
      c->rq.method = ST_ASIM_PUT;
      break;
    case LWSHUMETH_PATCH:
      c->rq.method = ST_ASIM_PATCH;
      break;
    case LWSHUMETH_DELETE:
      c->rq.method = ST_ASIM_DELETE;
      break;
    default:
      c->rq.method = ST_ASIM_OTHER;
      break;
  }
  snprintf(c->rq.path, sizeof(c->rq.path), "%s", uri);
  capture_args(wsi, &c->rq);
  custom_header(wsi, "apca-api-key-id:", c->rq.key_id,
                (int)sizeof(c->rq.key_id));
  custom_header(wsi, "apca-api-secret-key:", c->rq.secret_key,
                (int)sizeof(c->rq.secret_key));
  if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
    c->rq.content_length = atol(cl);
  }
  ST_DEBUG("asim", "%s %s", method_name(c->rq.method), c->rq.path);
  if (c->rq.content_length > ST_ASIM_MAX_BODY) {
    c->too_large = 1;
    st_asim_resp_error(&c->rs, 413, 41310000, "request body too large");
  }
  if (c->rq.content_length > 0) {
    c->waiting_body = 1;
    return c->too_large ? 0 : send_continue(wsi);
  }
  return respond(a, wsi, c);
}

int st_asim_http_on_body(st_asim *a, struct lws *wsi, st_asim_http_conn *c,
                         const void *in, size_t len) {
  if (c == NULL || !c->waiting_body || c->too_large) {
    return 0;
  }
  if (c->rq.body.len + len > ST_ASIM_MAX_BODY ||
      st_asim_buf_append(&c->rq.body, in, len) != ST_OK) {
    c->too_large = 1;
    st_asim_resp_error(&c->rs, 413, 41310000, "request body too large");
  }
  return 0;
}

int st_asim_http_on_body_done(st_asim *a, struct lws *wsi,
                              st_asim_http_conn *c) {
  if (c == NULL || !c->waiting_body) {
    return 0;
  }
  return respond(a, wsi, c);
}

/* Writes the status line and headers of c's response. */
static int write_headers(struct lws *wsi, st_asim_http_conn *c) {
  unsigned char buf[LWS_PRE + 2048];
  unsigned char *start = buf + LWS_PRE, *p = start;
  unsigned char *end = buf + sizeof(buf) - 1;
  const st_asim_resp *rs = &c->rs;
  lws_filepos_t len = rs->body.len;
  char v[32];

  if (rs->status == 204) {
    /* No Content-Length on a 204 (RFC 9110), and the connection stays
     * open: lws's common-headers helper would mark it to close. */
    if (lws_add_http_header_status(wsi, 204, &p, end)) {
      return -1;
    }
  } else if (lws_add_http_common_headers(wsi, (unsigned int)rs->status,
                                         "application/json; charset=utf-8", len,
                                         &p, end)) {
    return -1;
  }
  if (rs->has_rl) {
    snprintf(v, sizeof(v), "%d", rs->rl.limit);
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"X-Ratelimit-Limit:",
            (const unsigned char *)v, (int)strlen(v), &p, end)) {
      return -1;
    }
    snprintf(v, sizeof(v), "%d", rs->rl.remaining);
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"X-Ratelimit-Remaining:",
            (const unsigned char *)v, (int)strlen(v), &p, end)) {
      return -1;
    }
    snprintf(v, sizeof(v), "%lld", (long long)rs->rl.reset_s);
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"X-Ratelimit-Reset:",
            (const unsigned char *)v, (int)strlen(v), &p, end)) {
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) {
    return -1;
  }
  return 0;
}

int st_asim_http_on_writable(st_asim *a, struct lws *wsi,
                             st_asim_http_conn *c) {
  unsigned char buf[LWS_PRE + CHUNK];
  size_t n;
  int final;

  if (c == NULL || !c->ready) {
    return 0;
  }
  if (!c->hdr_sent) {
    if (write_headers(wsi, c) != 0) {
      return -1;
    }
    c->hdr_sent = 1;
    if (c->rs.body.len > 0) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else {
    n = c->rs.body.len - c->off;
    if (n > CHUNK) {
      n = CHUNK;
    }
    final = c->off + n == c->rs.body.len;
    memcpy(buf + LWS_PRE, c->rs.body.data + c->off, n);
    if (lws_write(wsi, buf + LWS_PRE, n,
                  final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n) {
      return -1;
    }
    c->off += n;
    if (!final) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  c->ready = 0;
  if (lws_http_transaction_completed(wsi)) {
    return -1;
  }
  return 0;
}

void st_asim_http_conn_free(st_asim_http_conn *c) {
  if (c == NULL) {
    return;
  }
  st_asim_buf_free(&c->rq.body);
  st_asim_buf_free(&c->rs.body);
  st_free(c);
}
