/* ws.c - WebSocket client connections that reconnect, on one service thread.
 */
#include "server/broker/ws.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libwebsockets.h>

#include "server/util/alloc.h"
#include "server/util/log.h"

#define MAX_CONNS 4
#define MAX_QUEUE 256

/* One queued outgoing message, with LWS_PRE bytes of headroom. */
typedef struct wsmsg {
  struct wsmsg *next;
  size_t len;
  unsigned char buf[];
} wsmsg;

typedef enum cstate {
  C_IDLE = 0,
  C_CONNECTING,
  C_OPEN,
} cstate;

struct st_ws_conn {
  lws_sorted_usec_list_t sul;       /* The reconnect timer. */
  lws_sorted_usec_list_t ready_sul; /* The handshake deadline. */
  st_ws_loop *loop;
  char *url, *name;
  char host[256];
  char host_hdr[300];
  char path[1024];
  int port, tls;
  st_ws_handler h;
  int64_t base_ms, cap_ms, stable_ms, ready_ms;
  size_t max_message;

  /* Service thread only. */
  struct lws *wsi;
  cstate state;
  int failures;
  int64_t opened_ms;
  int64_t min_next_ms;
  int gave_up;
  char *rx;
  size_t rxlen, rxcap;
  int rx_in_msg, rx_binary, rx_overflow;

  /* Under loop->mu. */
  int open;
  int drop_req;
  wsmsg *qhead, *qtail;
  size_t qlen;
};

struct st_ws_loop {
  struct lws_context *ctx;
  pthread_t thread;
  int started;
  pthread_mutex_t mu;
  int ctx_dead;    /* Under mu: no more lws_cancel_service. */
  atomic_int stop; /* The service thread should exit. */
  int stopping;    /* Service thread: no handler calls any more. */
  st_ws_conn *conns[MAX_CONNS];
  size_t nconns;
  lws_retry_bo_t policy;
  uint64_t rng;
};

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lws_emit(int level, const char *line) {
  char buf[512];
  size_t n;

  snprintf(buf, sizeof(buf), "%s", line);
  n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
    buf[--n] = '\0';
  }
  if (level & LLL_ERR) {
    ST_ERROR("ws", "libwebsockets: %s", buf);
  } else {
    ST_WARN("ws", "libwebsockets: %s", buf);
  }
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_init(void) {
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}

/* Splits a ws:// or wss:// URL into c's host, port, path and tls. */
static st_err parse_url(st_ws_conn *c, const char *url, st_errbuf *eb) {
  const char *p, *host, *hend, *path;
  size_t hn;

  if (strncasecmp(url, "ws://", 5) == 0) {
    c->tls = 0;
    c->port = 80;
    p = url + 5;
  } else if (strncasecmp(url, "wss://", 6) == 0) {
    c->tls = 1;
    c->port = 443;
    p = url + 6;
  } else {
    return st_errf(eb, ST_EINVAL, "stream URL \"%s\" is not ws:// or wss://",
                   url);
  }
  path = strchr(p, '/');
  if (path == NULL) {
    path = p + strlen(p);
  }
  host = p;
  if (*host == '[') {
    hend = memchr(host, ']', (size_t)(path - host));
    if (hend == NULL) {
      return st_errf(eb, ST_EINVAL, "stream URL \"%s\": bad IPv6 host", url);
    }
    host++;
    p = hend + 1;
  } else {
    hend = memchr(host, ':', (size_t)(path - host));
    if (hend == NULL) {
      hend = path;
    }
    p = hend;
  }
  hn = (size_t)(hend - host);
  if (hn == 0 || hn >= sizeof(c->host)) {
    return st_errf(eb, ST_EINVAL, "stream URL \"%s\": bad host", url);
  }
  memcpy(c->host, host, hn);
  c->host[hn] = '\0';
  if (*p == ':') {
    char *end;
    long port = strtol(p + 1, &end, 10);

    if (end != path || port < 1 || port > 65535) {
      return st_errf(eb, ST_EINVAL, "stream URL \"%s\": bad port", url);
    }
    c->port = (int)port;
  } else if (p != path) {
    return st_errf(eb, ST_EINVAL, "stream URL \"%s\": bad host", url);
  }
  if (snprintf(c->path, sizeof(c->path), "%s", *path != '\0' ? path : "/") >=
      (int)sizeof(c->path)) {
    return st_errf(eb, ST_EINVAL, "stream URL \"%s\": path too long", url);
  }
  if ((c->tls && c->port == 443) || (!c->tls && c->port == 80)) {
    snprintf(c->host_hdr, sizeof(c->host_hdr), "%s", c->host);
  } else {
    snprintf(c->host_hdr, sizeof(c->host_hdr), "%s:%d", c->host, c->port);
  }
  return ST_OK;
}

static void queue_clear(st_ws_conn *c) {
  wsmsg *m, *next;

  for (m = c->qhead; m != NULL; m = next) {
    next = m->next;
    st_free(m);
  }
  c->qhead = c->qtail = NULL;
  c->qlen = 0;
}

static void do_connect(st_ws_conn *c);

static void reconnect_cb(lws_sorted_usec_list_t *sul) {
  st_ws_conn *c = lws_container_of(sul, st_ws_conn, sul);

  if (!c->loop->stopping && !c->gave_up && c->state == C_IDLE) {
    do_connect(c);
  }
}

static uint64_t next_rand(st_ws_loop *l) {
  l->rng ^= l->rng << 13;
  l->rng ^= l->rng >> 7;
  l->rng ^= l->rng << 17;
  return l->rng;
}

/* A connection attempt failed or an open connection ended. */
static void conn_lost(st_ws_conn *c, const char *why) {
  st_ws_loop *l = c->loop;
  int64_t now = mono_ms(), delay;
  int shift;

  if (c->state == C_IDLE) {
    return;
  }
  c->state = C_IDLE;
  c->wsi = NULL;
  lws_sul_cancel(&c->ready_sul);
  c->rx_in_msg = 0;
  c->rxlen = 0;
  pthread_mutex_lock(&l->mu);
  c->open = 0;
  c->drop_req = 0;
  queue_clear(c);
  pthread_mutex_unlock(&l->mu);
  if (l->stopping) {
    return;
  }
  if (c->h.on_close != NULL) {
    c->h.on_close(c->h.ud, c, why);
  }
  if (c->gave_up) {
    ST_ERROR("ws", "%s: not reconnecting", c->name);
    return;
  }
  if (c->opened_ms != 0 && now - c->opened_ms >= c->stable_ms) {
    c->failures = 0;
  }
  c->opened_ms = 0;
  shift = c->failures < 20 ? c->failures : 20;
  delay = c->base_ms << shift;
  if (delay > c->cap_ms || delay <= 0) {
    delay = c->cap_ms;
  }
  /* Equal jitter: half fixed, half random. */
  delay = delay / 2 + (int64_t)(next_rand(l) % (uint64_t)(delay / 2 + 1));
  c->failures++;
  if (delay < c->min_next_ms) {
    delay = c->min_next_ms;
  }
  c->min_next_ms = 0;
  ST_INFO("ws", "%s: disconnected (%s); reconnecting in %lld ms", c->name, why,
          (long long)delay);
  lws_sul_schedule(l->ctx, 0, &c->sul, reconnect_cb,
                   (lws_usec_t)delay * LWS_US_PER_MS);
}

/* The handler did not finish its handshake in time: start over. */
static void ready_expired(lws_sorted_usec_list_t *sul) {
  st_ws_conn *c = lws_container_of(sul, st_ws_conn, ready_sul);

  if (c->state == C_OPEN && !c->loop->stopping) {
    ST_WARN("ws", "%s: no handshake reply within %lld ms; reconnecting",
            c->name, (long long)c->ready_ms);
    st_ws_conn_drop(c);
  }
}

void st_ws_conn_ready(st_ws_conn *c) {
  lws_sul_cancel(&c->ready_sul);
}

static void do_connect(st_ws_conn *c) {
  struct lws_client_connect_info i;

  memset(&i, 0, sizeof(i));
  i.context = c->loop->ctx;
  i.address = c->host;
  i.port = c->port;
  i.path = c->path;
  i.host = c->host_hdr;
  i.origin = c->host_hdr;
  i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
  i.local_protocol_name = "st-ws";
  i.alpn = "http/1.1";
  i.opaque_user_data = c;
  i.retry_and_idle_policy = &c->loop->policy;
  c->state = C_CONNECTING;
  c->wsi = NULL;
  i.pwsi = &c->wsi;
  if (lws_client_connect_via_info(&i) == NULL && c->state == C_CONNECTING) {
    conn_lost(c, "cannot start connecting");
  }
}

/* Appends len bytes of a message fragment. */
static void rx_append(st_ws_conn *c, const void *in, size_t len) {
  if (c->rx_overflow) {
    return;
  }
  if (c->rxlen + len > c->max_message) {
    ST_WARN("ws", "%s: dropping a message over %zu bytes", c->name,
            c->max_message);
    c->rx_overflow = 1;
    return;
  }
  if (c->rxlen + len + 1 > c->rxcap) {
    size_t cap = c->rxcap == 0 ? 8192 : c->rxcap;
    char *b;

    while (cap < c->rxlen + len + 1) {
      cap *= 2;
    }
    b = st_realloc(c->rx, cap);
    if (b == NULL) {
      ST_WARN("ws", "%s: out of memory; dropping a message", c->name);
      c->rx_overflow = 1;
      return;
    }
    c->rx = b;
    c->rxcap = cap;
  }
  memcpy(c->rx + c->rxlen, in, len);
  c->rxlen += len;
  c->rx[c->rxlen] = '\0';
}

static int on_writeable(st_ws_conn *c, struct lws *wsi) {
  st_ws_loop *l = c->loop;
  wsmsg *m;
  int more, n;

  pthread_mutex_lock(&l->mu);
  if (c->drop_req) {
    c->drop_req = 0;
    pthread_mutex_unlock(&l->mu);
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1;
  }
  m = c->qhead;
  if (m != NULL) {
    c->qhead = m->next;
    if (c->qhead == NULL) {
      c->qtail = NULL;
    }
    c->qlen--;
  }
  more = c->qhead != NULL;
  pthread_mutex_unlock(&l->mu);
  if (m == NULL) {
    return 0;
  }
  n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
  st_free(m);
  if (n < 0) {
    return -1;
  }
  if (more) {
    lws_callback_on_writable(wsi);
  }
  return 0;
}

/* Wakes connections with queued output or a drop request. */
static void on_cancelled(st_ws_loop *l) {
  size_t i;

  for (i = 0; i < l->nconns; i++) {
    st_ws_conn *c = l->conns[i];
    int want;

    pthread_mutex_lock(&l->mu);
    want = c->open && (c->qlen > 0 || c->drop_req);
    pthread_mutex_unlock(&l->mu);
    if (want && c->wsi != NULL) {
      lws_callback_on_writable(c->wsi);
    }
  }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len) {
  st_ws_conn *c = wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;
  char why[160];

  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      st_ws_loop *l = lws_context_user(lws_get_context(wsi));

      if (l != NULL && !l->stopping) {
        on_cancelled(l);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (c == NULL) {
        return 0;
      }
      c->wsi = wsi;
      c->state = C_OPEN;
      c->opened_ms = mono_ms();
      pthread_mutex_lock(&c->loop->mu);
      c->open = 1;
      pthread_mutex_unlock(&c->loop->mu);
      ST_INFO("ws", "%s: connected to %s", c->name, c->url);
      lws_sul_schedule(c->loop->ctx, 0, &c->ready_sul, ready_expired,
                       (lws_usec_t)c->ready_ms * LWS_US_PER_MS);
      if (!c->loop->stopping && c->h.on_open != NULL) {
        c->h.on_open(c->h.ud, c);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (c == NULL || c->wsi != wsi) {
        return 0;
      }
      lws_validity_confirmed(wsi);
      if (!c->rx_in_msg) {
        c->rx_in_msg = 1;
        c->rxlen = 0;
        c->rx_overflow = 0;
        c->rx_binary = lws_frame_is_binary(wsi);
      }
      rx_append(c, in, len);
      if (lws_is_final_fragment(wsi) &&
          lws_remaining_packet_payload(wsi) == 0) {
        c->rx_in_msg = 0;
        if (!c->rx_overflow && c->rxlen > 0 && !c->loop->stopping &&
            c->h.on_message != NULL) {
          c->h.on_message(c->h.ud, c, c->rx, c->rxlen, c->rx_binary);
        }
        c->rxlen = 0;
      }
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (c == NULL || c->wsi != wsi) {
        return 0;
      }
      return on_writeable(c, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (c != NULL && len >= 2) {
        const unsigned char *b = in;

        ST_INFO("ws", "%s: server closed the connection (code %d)", c->name,
                (b[0] << 8) | b[1]);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (c == NULL) {
        return 0;
      }
      snprintf(why, sizeof(why), "%s",
               in != NULL ? (const char *)in : "connection error");
      conn_lost(c, why);
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c == NULL) {
        return 0;
      }
      conn_lost(c, "closed");
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      /* Last word on a client wsi: make sure it is not left half-open. */
      if (c != NULL && c->wsi == wsi) {
        conn_lost(c, "connection ended");
      }
      return 0;
    default:
      return 0;
  }
}

static const struct lws_protocols protocols[] = {
    {"st-ws", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

st_err st_ws_loop_create(st_ws_loop **out, st_errbuf *eb) {
  struct lws_context_creation_info info;
  st_ws_loop *l;

  *out = NULL;
  pthread_once(&log_once, log_init);
  l = st_calloc(1, sizeof(*l));
  if (l == NULL) {
    return st_errf(eb, ST_ENOMEM, "ws loop");
  }
  pthread_mutex_init(&l->mu, NULL);
  l->rng = (uint64_t)mono_ms() * 2654435761ULL + (uint64_t)(uintptr_t)l;
  if (l->rng == 0) {
    l->rng = 88172645463325252ULL;
  }
  /* Ping after 20 s without traffic; hang up after 45 s. */
  l->policy.secs_since_valid_ping = 20;
  l->policy.secs_since_valid_hangup = 45;
  memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.gid = -1;
  info.uid = -1;
  info.fd_limit_per_thread = 64;
  info.user = l;
  l->ctx = lws_create_context(&info);
  if (l->ctx == NULL) {
    pthread_mutex_destroy(&l->mu);
    st_free(l);
    return st_errf(eb, ST_EIO, "lws_create_context failed");
  }
  *out = l;
  return ST_OK;
}

st_err st_ws_conn_add(st_ws_loop *l, const st_ws_conn_opts *o,
                      const st_ws_handler *h, st_ws_conn **out, st_errbuf *eb) {
  st_ws_conn *c;
  st_err err;

  *out = NULL;
  if (l->started || l->nconns >= MAX_CONNS) {
    return st_errf(eb, ST_EPRECOND, "ws loop is started or full");
  }
  c = st_calloc(1, sizeof(*c));
  if (c == NULL) {
    return st_errf(eb, ST_ENOMEM, "ws connection");
  }
  c->loop = l;
  err = parse_url(c, o->url, eb);
  if (err != ST_OK) {
    goto fail;
  }
  c->url = st_strdup(o->url);
  c->name = st_strdup(o->name != NULL ? o->name : o->url);
  if (c->url == NULL || c->name == NULL) {
    err = st_errf(eb, ST_ENOMEM, "ws connection");
    goto fail;
  }
  c->h = *h;
  c->base_ms = o->reconnect_base_ms > 0 ? o->reconnect_base_ms : 500;
  c->cap_ms = o->reconnect_cap_ms > 0 ? o->reconnect_cap_ms : 30000;
  if (c->cap_ms < c->base_ms) {
    c->cap_ms = c->base_ms;
  }
  c->stable_ms = o->stable_ms > 0 ? o->stable_ms : 30000;
  c->max_message = o->max_message != 0 ? o->max_message : (4u << 20);
  c->ready_ms = o->ready_timeout_ms > 0 ? o->ready_timeout_ms : 15000;
  l->conns[l->nconns++] = c;
  *out = c;
  return ST_OK;
fail:
  st_free(c->url);
  st_free(c->name);
  st_free(c);
  return err;
}

static void *run(void *arg) {
  st_ws_loop *l = arg;
  size_t i;

  for (i = 0; i < l->nconns; i++) {
    do_connect(l->conns[i]);
  }
  while (!atomic_load(&l->stop)) {
    if (lws_service(l->ctx, 0) < 0) {
      break;
    }
  }
  l->stopping = 1;
  pthread_mutex_lock(&l->mu);
  l->ctx_dead = 1;
  pthread_mutex_unlock(&l->mu);
  for (i = 0; i < l->nconns; i++) {
    lws_sul_cancel(&l->conns[i]->sul);
    lws_sul_cancel(&l->conns[i]->ready_sul);
  }
  lws_context_destroy(l->ctx);
  l->ctx = NULL;
  return NULL;
}

st_err st_ws_loop_start(st_ws_loop *l, st_errbuf *eb) {
  if (l->started) {
    return st_errf(eb, ST_EPRECOND, "ws loop already started");
  }
  if (pthread_create(&l->thread, NULL, run, l) != 0) {
    return st_errf(eb, ST_EIO, "cannot start the ws thread");
  }
  l->started = 1;
  return ST_OK;
}

void st_ws_loop_destroy(st_ws_loop *l) {
  size_t i;

  if (l == NULL) {
    return;
  }
  if (l->started) {
    atomic_store(&l->stop, 1);
    pthread_mutex_lock(&l->mu);
    lws_cancel_service(l->ctx);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
  } else if (l->ctx != NULL) {
    l->stopping = 1;
    lws_context_destroy(l->ctx);
  }
  for (i = 0; i < l->nconns; i++) {
    st_ws_conn *c = l->conns[i];

    queue_clear(c);
    st_free(c->rx);
    st_free(c->url);
    st_free(c->name);
    st_free(c);
  }
  pthread_mutex_destroy(&l->mu);
  st_free(l);
}

/* Wakes the service thread (any thread). */
static void wake(st_ws_loop *l) {
  pthread_mutex_lock(&l->mu);
  if (!l->ctx_dead && l->ctx != NULL && l->started) {
    lws_cancel_service(l->ctx);
  }
  pthread_mutex_unlock(&l->mu);
}

st_err st_ws_send(st_ws_conn *c, const char *msg, size_t len) {
  st_ws_loop *l = c->loop;
  wsmsg *m;

  m = st_malloc(sizeof(*m) + LWS_PRE + len);
  if (m == NULL) {
    return ST_ENOMEM;
  }
  m->next = NULL;
  m->len = len;
  memcpy(m->buf + LWS_PRE, msg, len);
  pthread_mutex_lock(&l->mu);
  if (!c->open || l->ctx_dead) {
    pthread_mutex_unlock(&l->mu);
    st_free(m);
    return ST_EUNAVAIL;
  }
  if (c->qlen >= MAX_QUEUE) {
    pthread_mutex_unlock(&l->mu);
    st_free(m);
    return ST_EOVERFLOW;
  }
  if (c->qtail != NULL) {
    c->qtail->next = m;
  } else {
    c->qhead = m;
  }
  c->qtail = m;
  c->qlen++;
  pthread_mutex_unlock(&l->mu);
  wake(l);
  return ST_OK;
}

void st_ws_conn_drop(st_ws_conn *c) {
  pthread_mutex_lock(&c->loop->mu);
  if (c->open) {
    c->drop_req = 1;
  }
  pthread_mutex_unlock(&c->loop->mu);
  wake(c->loop);
}

int st_ws_conn_is_open(st_ws_conn *c) {
  int open;

  pthread_mutex_lock(&c->loop->mu);
  open = c->open;
  pthread_mutex_unlock(&c->loop->mu);
  return open;
}

void st_ws_conn_retry_after(st_ws_conn *c, int64_t min_delay_ms) {
  if (min_delay_ms > c->min_next_ms) {
    c->min_next_ms = min_delay_ms;
  }
}

void st_ws_conn_give_up(st_ws_conn *c) {
  c->gave_up = 1;
  st_ws_conn_drop(c);
}
