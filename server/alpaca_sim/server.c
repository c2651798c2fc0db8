/* server.c - the lws context, the protocol callback, the ticker and the
 * service thread of alpaca-sim. */
#include "server/alpaca_sim/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/alpaca_sim/data.h"
#include "server/alpaca_sim/http.h"
#include "server/alpaca_sim/stream.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/alpaca_sim/ws.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

/* Per-connection state: HTTP requests first, a session once upgraded. */
typedef struct pss {
  st_asim_http_conn *http;
  st_asim_ws *ws;
} pss;

/* Maps an upgrade path to a session kind and feed; 0 if not a stream. */
static int ws_path(const char *path, st_asim_ws_kind *kind,
                   st_asim_feed *feed) {
  static const struct {
    const char *path;
    st_asim_ws_kind kind;
    st_asim_feed feed;
  } paths[] = {
      {"/stream", ST_ASIM_WS_TRADES, ST_ASIM_FEED_IEX},
      {"/v2/iex", ST_ASIM_WS_DATA, ST_ASIM_FEED_IEX},
      {"/v2/sip", ST_ASIM_WS_DATA, ST_ASIM_FEED_SIP},
      {"/v2/test", ST_ASIM_WS_DATA, ST_ASIM_FEED_TEST},
  };
  size_t n = strlen(path);

  if (n > 1 && path[n - 1] == '/') {
    n--;
  }
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    if (strlen(paths[i].path) == n && strncmp(paths[i].path, path, n) == 0) {
      *kind = paths[i].kind;
      *feed = paths[i].feed;
      return 1;
    }
  }
  return 0;
}

/* Sets up a new session on LWS_CALLBACK_ESTABLISHED. */
static int on_established(st_asim *a, struct lws *wsi, pss *ps) {
  char path[256], ctype[128];
  st_asim_ws_kind kind;
  st_asim_feed feed;
  st_asim_ws *ws;

  if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 ||
      !ws_path(path, &kind, &feed)) {
    return -1;
  }
  st_asim_http_conn_free(ps->http);
  ps->http = NULL;
  ws = st_asim_ws_new(a, wsi, kind);
  if (ws == NULL) {
    return -1;
  }
  ps->ws = ws;
  ws->feed = feed;
  ws->connected_ns = st_asim_now_ns();
  if (lws_hdr_copy(wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) >
          0 &&
      strstr(ctype, "msgpack") != NULL) {
    ws->msgpack = 1;
  }
  if (lws_hdr_custom_copy(wsi, ws->hdr_key, sizeof(ws->hdr_key),
                          "apca-api-key-id:", 16) < 0) {
    ws->hdr_key[0] = '\0';
  }
  if (lws_hdr_custom_copy(wsi, ws->hdr_secret, sizeof(ws->hdr_secret),
                          "apca-api-secret-key:", 20) < 0) {
    ws->hdr_secret[0] = '\0';
  }
  ST_INFO("asim", "%s stream connected (%s)", path,
          ws->msgpack ? "msgpack" : "json");
  if (kind == ST_ASIM_WS_DATA) {
    st_asim_data_open(a, ws);
  }
  return 0;
}

/* Handles one received WebSocket fragment. */
static int on_receive(st_asim *a, struct lws *wsi, st_asim_ws *ws,
                      const void *in, size_t len) {
  int final =
      lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  int r = st_asim_ws_rx(ws, in, len, lws_frame_is_binary(wsi), final);
  cJSON *msg;

  if (r < 0) {
    return -1;
  }
  if (r == 0) {
    return 0;
  }
  st_asim_ws_take(ws, &msg);
  if (ws->kind == ST_ASIM_WS_TRADES) {
    st_asim_stream_message(a, ws, msg);
  } else {
    st_asim_data_message(a, ws, msg);
  }
  cJSON_Delete(msg);
  return 0;
}

static int dispatch(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len) {
  st_asim *a = lws_context_user(lws_get_context(wsi));
  pss *ps = user;
  st_asim_feed feed;
  st_asim_ws_kind kind;
  char path[256];

  switch (reason) {
    case LWS_CALLBACK_HTTP:
      if (ps == NULL) {
        return -1;
      }
      return st_asim_http_on_request(a, wsi, &ps->http, in);
    case LWS_CALLBACK_HTTP_BODY:
      return st_asim_http_on_body(a, wsi, ps->http, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return st_asim_http_on_body_done(a, wsi, ps->http);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return st_asim_http_on_writable(a, wsi, ps->http);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (ps != NULL) {
        st_asim_http_conn_free(ps->http);
        ps->http = NULL;
      }
      break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 ||
          !ws_path(path, &kind, &feed)) {
        return 1;
      }
      return 0;
    case LWS_CALLBACK_ESTABLISHED:
      return on_established(a, wsi, ps);
    case LWS_CALLBACK_RECEIVE:
      if (ps->ws == NULL) {
        return -1;
      }
      return on_receive(a, wsi, ps->ws, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (ps->ws == NULL) {
        return -1;
      }
      return st_asim_ws_writable(ps->ws);
    case LWS_CALLBACK_CLOSED:
      if (ps != NULL && ps->ws != NULL) {
        st_asim_ws_free(a, ps->ws);
        ps->ws = NULL;
      }
      if (ps != NULL) {
        st_asim_http_conn_free(ps->http);
        ps->http = NULL;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* The protocol callback: everything runs under the server lock. */
static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len) {
  st_asim *a = lws_context_user(lws_get_context(wsi));
  int r;

  if (a == NULL) {
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  pthread_mutex_lock(&a->mu);
  r = dispatch(wsi, reason, user, in, len);
  pthread_mutex_unlock(&a->mu);
  return r;
}

static const struct lws_protocols protocols[] = {
    {"alpaca", callback, sizeof(pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

void st_asim_pump(st_asim *a, int64_t now_ns) {
  st_sim_event ev;

  while (st_sim_next_event(a->sim, &ev) == ST_OK) {
    if (st_asim_stream_event(a, &ev, now_ns) != ST_OK) {
      ST_WARN("asim", "event %llu could not be sent (out of memory)",
              (unsigned long long)ev.seq);
    }
    if (ev.kind == ST_SIM_EV_FILL || ev.kind == ST_SIM_EV_PARTIAL_FILL) {
      st_asim_data_fill(a, &ev);
    }
  }
}

/* The ticker: steps the simulator, flushes events and quotes. */
static void on_tick(lws_sorted_usec_list_t *sul) {
  st_asim *a = lws_container_of(sul, st_asim, tick);
  int64_t now = st_asim_now_ns();
  st_err err;

  pthread_mutex_lock(&a->mu);
  err = st_sim_step(a->sim, now);
  if (err != ST_OK) {
    ST_WARN("asim", "simulator step failed: %s", st_strerror(err));
  }
  st_asim_pump(a, now);
  st_asim_data_tick(a, now);
  pthread_mutex_unlock(&a->mu);
  lws_sul_schedule(a->ctx, 0, &a->tick, on_tick,
                   (lws_usec_t)a->cfg.tick_ms * 1000);
}

/* Routes lws's own log lines into ours. */
static void lws_log_emit(int level, const char *line) {
  size_t n = strlen(line);

  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
    n--;
  }
  st_log(level == LLL_ERR ? ST_LOG_ERROR : ST_LOG_WARN, "lws", "%.*s", (int)n,
         line);
}

/* True for a dotted IPv4 literal. */
static int is_ipv4(const char *host) {
  unsigned a, b, c, d;
  char tail;

  return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4;
}

st_err st_asim_create(const st_asim_config *cfg, st_sim *sim, st_asim **out,
                      st_errbuf *eb) {
  struct lws_context_creation_info info;
  pthread_mutexattr_t attr;
  st_sim_account acct;
  st_asim *a;
  const char *iface;

  *out = NULL;
  a = st_calloc(1, sizeof(*a));
  if (a == NULL) {
    st_sim_free(sim);
    return st_errf(eb, ST_ENOMEM, "out of memory");
  }
  a->cfg = *cfg;
  a->sim = sim;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&a->mu, &attr);
  pthread_mutexattr_destroy(&attr);
  st_asim_ratelimit_init(&a->rl, cfg->rate_limit);
  st_asim_faults_init(&a->faults, cfg->seed);
  if (st_sim_get_account(sim, &acct) == ST_OK) {
    a->start_equity = acct.equity;
  }
  if (st_asim_data_init(a) != ST_OK) {
    st_asim_free(a);
    return st_errf(eb, ST_ENOMEM, "out of memory");
  }

  lws_set_log_level(cfg->log_level <= ST_LOG_DEBUG
                        ? LLL_ERR | LLL_WARN | LLL_NOTICE
                        : LLL_ERR | LLL_WARN,
                    lws_log_emit);
  iface = cfg->host;
  if (strcmp(iface, "localhost") == 0) {
    iface = "127.0.0.1";
  } else if (strcmp(iface, "0.0.0.0") == 0 || strcmp(iface, "*") == 0) {
    iface = NULL;
  }
  memset(&info, 0, sizeof(info));
  info.port = cfg->port;
  info.iface = iface;
  info.protocols = protocols;
  info.user = a;
  info.keepalive_timeout = 75;
  info.timeout_secs = 30;
  info.max_http_header_data = 8192;
  info.options = LWS_SERVER_OPTION_SKIP_SERVER_CANONICAL_NAME;
  if (iface != NULL && is_ipv4(iface)) {
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  info.vhost_name = "alpaca-sim";
  info.server_string = "alpaca-sim";
  a->ctx = lws_create_context(&info);
  if (a->ctx == NULL) {
    st_asim_free(a);
    return st_errf(eb, ST_EIO, "cannot listen on %s:%d", cfg->host, cfg->port);
  }
  a->vh = lws_get_vhost_by_name(a->ctx, "alpaca-sim");
  a->port = a->vh != NULL ? lws_get_vhost_listen_port(a->vh) : -1;
  if (a->port <= 0) {
    st_asim_free(a);
    return st_errf(eb, ST_EIO, "cannot listen on %s:%d", cfg->host, cfg->port);
  }
  *out = a;
  return ST_OK;
}

/* The service thread: runs lws until st_asim_stop. */
static void *service(void *arg) {
  st_asim *a = arg;

  lws_sul_schedule(a->ctx, 0, &a->tick, on_tick,
                   (lws_usec_t)a->cfg.tick_ms * 1000);
  while (!atomic_load(&a->stop)) {
    if (lws_service(a->ctx, 0) < 0) {
      break;
    }
  }
  lws_sul_cancel(&a->tick);
  return NULL;
}

st_err st_asim_start(st_asim *a) {
  if (pthread_create(&a->thread, NULL, service, a) != 0) {
    return ST_EIO;
  }
  a->thread_started = 1;
  return ST_OK;
}

void st_asim_stop(st_asim *a) {
  if (a == NULL || !a->thread_started) {
    return;
  }
  atomic_store(&a->stop, 1);
  lws_cancel_service(a->ctx);
  pthread_join(a->thread, NULL);
  a->thread_started = 0;
}

void st_asim_free(st_asim *a) {
  if (a == NULL) {
    return;
  }
  if (a->ctx != NULL) {
    lws_context_destroy(a->ctx);
  }
  while (a->ws_head != NULL) {
    st_asim_ws_free(a, a->ws_head);
  }
  st_sim_free(a->sim);
  st_asim_evlog_free(&a->evlog);
  st_free(a->quote_ts);
  pthread_mutex_destroy(&a->mu);
  st_free(a);
}

st_err st_asim_save(st_asim *a, const char *path, st_errbuf *eb) {
  char tmp[1100];
  FILE *f;
  st_err err;

  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  f = fopen(tmp, "w");
  if (f == NULL) {
    return st_errf(eb, ST_EIO, "cannot write %s: %s", tmp, strerror(errno));
  }
  pthread_mutex_lock(&a->mu);
  err = st_sim_save_file(a->sim, f);
  pthread_mutex_unlock(&a->mu);
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
    err = ST_EIO;
  }
  if (fclose(f) != 0) {
    err = ST_EIO;
  }
  if (err != ST_OK || rename(tmp, path) != 0) {
    unlink(tmp);
    return st_errf(eb, ST_EIO, "cannot save the state to %s: %s", path,
                   err != ST_OK ? st_strerror(err) : strerror(errno));
  }
  return ST_OK;
}
