/* server.c - the generic grpc core server: method table, accepts, the
 * UNIMPLEMENTED handler, completion-queue threads and graceful shutdown. */
#include "server/rpc/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "server/rpc/internal.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define CONTAINER(ptr, type, member) \
  ((type *)((char *)(ptr)-offsetof(type, member)))

#define MAX_THREADS 8
#define GENERIC_ACCEPTS 4

typedef struct drain_hook {
  void (*fn)(void *ud);
  void *ud;
} drain_hook;

/* One outstanding accept of an unknown (or handler-less) method. */
typedef struct generic_call {
  st_server *srv;
  st__tag accept_tag;
  st__tag done_tag;
  grpc_call *call;
  grpc_call_details details;
  grpc_metadata_array md;
  grpc_slice status;
  int cancelled;
} generic_call;

struct st_server {
  st_server_opts o;
  st_descset *ds;
  st__method *methods;
  size_t nmethods;
  grpc_server *srv;
  grpc_completion_queue *cq;
  int port;
  char address[300];
  pthread_t threads[MAX_THREADS];
  int nthreads;
  drain_hook hooks[8];
  int nhooks;
  st__tag shutdown_tag;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started;
  int shutting_down;
  int shutdown_done;
  st_call *live; /* Calls delivered by core and not yet freed. */
  size_t nlive;
};

void st_server_opts_init(st_server_opts *o) {
  memset(o, 0, sizeof(*o));
  o->listen_addr = "127.0.0.1:50051";
  o->cq_threads = 2;
  o->accepts_per_method = 8;
  o->keepalive_time_ms = 30000;
  o->keepalive_timeout_ms = 10000;
  o->max_message_bytes = 4 * 1024 * 1024;
  o->stream_queue = 1024;
}

/* While set, grpc core's errors are logged at debug level: the caller
 * reports the failure itself, in one line. */
static atomic_int grpc_quiet;

/* Routes grpc core's own log lines into settled's log: errors as warnings,
 * everything else at debug level. */
static void grpc_log_bridge(gpr_log_func_args *a) {
  const char *file = strrchr(a->file, '/');
  st_log_level lvl =
      a->severity == GPR_LOG_SEVERITY_ERROR && !atomic_load(&grpc_quiet)
          ? ST_LOG_WARN
          : ST_LOG_DEBUG;

  if (st_log_enabled(lvl)) {
    st_log(lvl, "grpc", "%s:%d: %s", file != NULL ? file + 1 : a->file, a->line,
           a->message);
  }
}

/* Checks that addr is host:port with a port in 0..65535 and writes the
 * length of the host part to *hostlen. */
static int valid_address(const char *addr, size_t *hostlen) {
  const char *colon = strrchr(addr, ':');
  char *end;
  long port;

  if (colon == NULL || colon == addr || colon[1] == '\0') {
    return 0;
  }
  port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '-' ||
      colon[1] == '+') {
    return 0;
  }
  *hostlen = (size_t)(colon - addr);
  return 1;
}

static const ProtobufCMethodDescriptor *find_pbc_method(
    const st_server_opts *o, const st_ds_method *dm) {
  for (size_t i = 0; i < o->nservices; i++) {
    const ProtobufCServiceDescriptor *sd = o->services[i];

    if (strcmp(sd->name, dm->service) != 0) {
      continue;
    }
    for (unsigned k = 0; k < sd->n_methods; k++) {
      if (strcmp(sd->methods[k].name, dm->name) == 0) {
        return &sd->methods[k];
      }
    }
  }
  return NULL;
}

/* Builds the method table: every method of the descriptor set, with the
 * protobuf-c descriptors of its request and response. */
static st_err build_methods(st_server *s, st_errbuf *eb) {
  size_t n = st_descset_nmethods(s->ds);

  s->methods = st_calloc(n, sizeof(st__method));
  if (s->methods == NULL) {
    return ST_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const st_ds_method *dm = st_descset_method(s->ds, i);
    const ProtobufCMethodDescriptor *pm = find_pbc_method(&s->o, dm);
    st__method *m = &s->methods[s->nmethods];

    if (pm == NULL) {
      /* A service we carry only for reflection (none today): it stays
       * UNIMPLEMENTED. */
      ST_DEBUG("rpc", "no protobuf-c descriptor for %s", dm->path);
      continue;
    }
    if (strcmp(pm->input->name, dm->input_type) != 0 ||
        strcmp(pm->output->name, dm->output_type) != 0) {
      return st_errf(eb, ST_EINTERNAL,
                     "%s: descriptor set and protobuf-c disagree on types",
                     dm->path);
    }
    m->ds = dm;
    m->in = pm->input;
    m->out = pm->output;
    s->nmethods++;
  }
  return ST_OK;
}

static grpc_arg int_arg(const char *key, int v) {
  grpc_arg a;

  memset(&a, 0, sizeof(a));
  a.type = GRPC_ARG_INTEGER;
  a.key = (char *)key;
  a.value.integer = v;
  return a;
}

st_err st_server_create(const st_server_opts *o, st_server **out,
                        st_errbuf *eb) {
  st_server *s;
  grpc_server_credentials *creds;
  grpc_channel_args args;
  grpc_arg a[10];
  size_t na = 0;
  size_t hostlen;
  st_err err;

  *out = NULL;
  if (o->cq_threads < 1 || o->cq_threads > MAX_THREADS) {
    return st_errf(eb, ST_EINVAL, "cq threads must be 1..%d", MAX_THREADS);
  }
  if (o->stream_queue < 1 || o->accepts_per_method < 1) {
    return st_errf(eb, ST_EINVAL, "stream queue and accepts must be >= 1");
  }
  if (!valid_address(o->listen_addr, &hostlen)) {
    return st_errf(eb, ST_EINVAL,
                   "listen address %s is not host:port with a port from 0 to "
                   "65535",
                   o->listen_addr);
  }
  s = st_calloc(1, sizeof(*s));
  if (s == NULL) {
    return ST_ENOMEM;
  }
  s->o = *o;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  gpr_set_log_function(grpc_log_bridge);
  gpr_set_log_verbosity(st_log_enabled(ST_LOG_DEBUG) ? GPR_LOG_SEVERITY_DEBUG
                                                     : GPR_LOG_SEVERITY_ERROR);
  grpc_init();
  err = st_descset_load(o->descset, o->descset_len, &s->ds, eb);
  if (err != ST_OK) {
    goto fail;
  }
  err = build_methods(s, eb);
  if (err != ST_OK) {
    goto fail;
  }
  a[na++] = int_arg(GRPC_ARG_ALLOW_REUSEPORT, 0);
  a[na++] = int_arg(GRPC_ARG_KEEPALIVE_TIME_MS, o->keepalive_time_ms);
  a[na++] = int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, o->keepalive_timeout_ms);
  a[na++] = int_arg(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  /* Go and Python clients may ping every 10 s; accept pings down to 5 s
   * apart so that they are never sent GOAWAY too_many_pings. */
  a[na++] =
      int_arg(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  a[na++] = int_arg(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  /* Keep pinging idle streams so that dead peers are reaped. */
  a[na++] = int_arg(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  a[na++] = int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, o->max_message_bytes);
  args.num_args = na;
  args.args = a;
  s->srv = grpc_server_create(&args, NULL);
  s->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(s->srv, s->cq, NULL);
  if (o->tls_cert_pem != NULL) {
    grpc_ssl_pem_key_cert_pair pair = {o->tls_key_pem, o->tls_cert_pem};

    creds = grpc_ssl_server_credentials_create_ex(
        o->tls_client_ca_pem, &pair, 1,
        o->tls_client_ca_pem != NULL
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
        NULL);
    if (creds == NULL) {
      err = st_errf(eb, ST_EINVAL, "the TLS certificate or key is not valid");
      goto fail;
    }
  } else {
    creds = grpc_insecure_server_credentials_create();
  }
  atomic_store(&grpc_quiet, 1);
  s->port = grpc_server_add_http2_port(s->srv, o->listen_addr, creds);
  atomic_store(&grpc_quiet, 0);
  grpc_server_credentials_release(creds);
  if (s->port == 0) {
    err = st_errf(eb, ST_EINVAL, "cannot listen on %s", o->listen_addr);
    goto fail;
  }
  snprintf(s->address, sizeof(s->address), "%.*s:%d", (int)hostlen,
           o->listen_addr, s->port);
  *out = s;
  return ST_OK;
fail:
  st_server_destroy(s);
  return err;
}

int st_server_port(const st_server *s) {
  return s->port;
}

const char *st_server_address(const st_server *s) {
  return s->address;
}

const st_descset *st_server_descset(const st_server *s) {
  return s->ds;
}

st_err st_server_handle(st_server *s, const char *method, const st_handler *h,
                        void *ud) {
  char path[300];

  snprintf(path, sizeof(path), "%s%s", method[0] == '/' ? "" : "/", method);
  for (size_t i = 0; i < s->nmethods; i++) {
    st__method *m = &s->methods[i];

    if (strcmp(m->ds->path, path) != 0) {
      continue;
    }
    if (m->has_handler) {
      return ST_EEXIST;
    }
    if (s->started || h->on_call == NULL) {
      return ST_EINVAL;
    }
    m->h = *h;
    m->ud = ud;
    m->has_handler = 1;
    return ST_OK;
  }
  return ST_ENOTFOUND;
}

st_err st_server_on_drain(st_server *s, void (*fn)(void *ud), void *ud) {
  if (s->started ||
      s->nhooks == (int)(sizeof(s->hooks) / sizeof(s->hooks[0]))) {
    return ST_EINVAL;
  }
  s->hooks[s->nhooks++] = (drain_hook){fn, ud};
  return ST_OK;
}

/* --- Accepting calls of registered methods. --- */

static void on_accept(st__tag *t, int ok);

/* Arms one accept of method m. Returns 0 on success. */
static int arm(st_server *s, st__method *m) {
  st_call *c;
  grpc_call_error rc;

  pthread_mutex_lock(&s->mu);
  if (s->shutting_down) {
    pthread_mutex_unlock(&s->mu);
    return -1;
  }
  pthread_mutex_unlock(&s->mu);
  c = st__call_new(s, m, s->o.stream_queue);
  if (c == NULL) {
    ST_ERROR("rpc", "out of memory arming %s", m->ds->path);
    return -1;
  }
  c->accept_tag.fn = on_accept;
  rc = grpc_server_request_registered_call(
      s->srv, m->reg, &c->call, &c->deadline, &c->md,
      m->ds->client_streaming ? NULL : &c->payload, s->cq, s->cq,
      &c->accept_tag);
  if (rc != GRPC_CALL_OK) {
    ST_ERROR("rpc", "request_registered_call(%s) failed: %d", m->ds->path,
             (int)rc);
    st_call_unref(c);
    return -1;
  }
  return 0;
}

static void on_accept(st__tag *t, int ok) {
  st_call *c = CONTAINER(t, st_call, accept_tag);
  st_server *s = c->srv;

  if (!ok) {
    /* Shutdown: the accept was never matched with a call. */
    st_call_unref(c);
    return;
  }
  arm(s, c->method);
  pthread_mutex_lock(&s->mu);
  c->next = s->live;
  if (s->live != NULL) {
    s->live->prev = c;
  }
  s->live = c;
  s->nlive++;
  pthread_mutex_unlock(&s->mu);
  ST_DEBUG("rpc", "call %s", c->method->ds->path);
  st__call_accepted(c);
}

int st__server_draining(st_server *s) {
  int d;

  pthread_mutex_lock(&s->mu);
  d = s->shutting_down;
  pthread_mutex_unlock(&s->mu);
  return d;
}

int st__server_authorize(st_server *s, const st_call *c, char *why,
                         size_t cap) {
  const char *prefix = s->o.auth_prefix != NULL ? s->o.auth_prefix : "";

  if (s->o.authorize == NULL ||
      strncmp(c->method->ds->path, prefix, strlen(prefix)) != 0) {
    return 1;
  }
  return s->o.authorize(s->o.auth_ud, c, why, cap);
}

void st__server_call_freed(st_server *s, st_call *c) {
  pthread_mutex_lock(&s->mu);
  if (c->prev != NULL) {
    c->prev->next = c->next;
  } else {
    s->live = c->next;
  }
  if (c->next != NULL) {
    c->next->prev = c->prev;
  }
  s->nlive--;
  if (s->nlive == 0) {
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

/* --- Unknown and unimplemented methods. --- */

static void generic_arm(st_server *s);

static void generic_free(generic_call *g) {
  grpc_call_details_destroy(&g->details);
  grpc_metadata_array_destroy(&g->md);
  if (g->call != NULL) {
    grpc_call_unref(g->call);
  }
  st_free(g);
}

static void on_generic_done(st__tag *t, int ok) {
  generic_call *g = CONTAINER(t, generic_call, done_tag);

  grpc_slice_unref(g->status);
  generic_free(g);
}

static void on_generic(st__tag *t, int ok) {
  generic_call *g = CONTAINER(t, generic_call, accept_tag);
  st_server *s = g->srv;
  grpc_op ops[3];
  char path[300], msg[400];
  const st_ds_method *dm;

  if (!ok) {
    generic_free(g);
    return;
  }
  generic_arm(s);
  snprintf(path, sizeof(path), "%.*s",
           (int)GRPC_SLICE_LENGTH(g->details.method),
           (const char *)GRPC_SLICE_START_PTR(g->details.method));
  dm = st_descset_find_method(s->ds, path);
  if (dm != NULL) {
    snprintf(msg, sizeof(msg), "method %s is not implemented", path);
  } else {
    snprintf(msg, sizeof(msg), "unknown method %s", path);
  }
  ST_DEBUG("rpc", "%s", msg);
  g->status = grpc_slice_from_copied_string(msg);
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[1].data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
  ops[1].data.send_status_from_server.status_details = &g->status;
  ops[2].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[2].data.recv_close_on_server.cancelled = &g->cancelled;
  g->done_tag.fn = on_generic_done;
  if (grpc_call_start_batch(g->call, ops, 3, &g->done_tag, NULL) !=
      GRPC_CALL_OK) {
    grpc_slice_unref(g->status);
    grpc_call_cancel(g->call, NULL);
    generic_free(g);
  }
}

static void generic_arm(st_server *s) {
  generic_call *g;

  pthread_mutex_lock(&s->mu);
  if (s->shutting_down) {
    pthread_mutex_unlock(&s->mu);
    return;
  }
  pthread_mutex_unlock(&s->mu);
  g = st_calloc(1, sizeof(*g));
  if (g == NULL) {
    ST_ERROR("rpc", "out of memory arming the generic handler");
    return;
  }
  g->srv = s;
  g->accept_tag.fn = on_generic;
  grpc_call_details_init(&g->details);
  grpc_metadata_array_init(&g->md);
  if (grpc_server_request_call(s->srv, &g->call, &g->details, &g->md, s->cq,
                               s->cq, &g->accept_tag) != GRPC_CALL_OK) {
    ST_ERROR("rpc", "grpc_server_request_call failed");
    generic_free(g);
  }
}

/* --- Threads, start and shutdown. --- */

static void *cq_thread(void *arg) {
  st_server *s = arg;

  for (;;) {
    grpc_event ev = grpc_completion_queue_next(
        s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);

    if (ev.type == GRPC_QUEUE_SHUTDOWN) {
      break;
    }
    if (ev.type == GRPC_OP_COMPLETE) {
      st__tag *t = ev.tag;

      t->fn(t, ev.success);
    }
  }
  return NULL;
}

static void on_shutdown(st__tag *t, int ok) {
  st_server *s = CONTAINER(t, st_server, shutdown_tag);

  pthread_mutex_lock(&s->mu);
  s->shutdown_done = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

st_err st_server_start(st_server *s, st_errbuf *eb) {
  for (size_t i = 0; i < s->nmethods; i++) {
    st__method *m = &s->methods[i];

    if (!m->has_handler) {
      continue; /* Answered UNIMPLEMENTED by the generic handler. */
    }
    m->reg = grpc_server_register_method(
        s->srv, m->ds->path, NULL,
        m->ds->client_streaming ? GRPC_SRM_PAYLOAD_NONE
                                : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
        0);
    if (m->reg == NULL) {
      return st_errf(eb, ST_EINTERNAL, "cannot register %s", m->ds->path);
    }
  }
  grpc_server_start(s->srv);
  s->started = 1;
  for (size_t i = 0; i < s->nmethods; i++) {
    if (!s->methods[i].has_handler) {
      continue;
    }
    for (int k = 0; k < s->o.accepts_per_method; k++) {
      arm(s, &s->methods[i]);
    }
  }
  for (int k = 0; k < GENERIC_ACCEPTS; k++) {
    generic_arm(s);
  }
  for (int i = 0; i < s->o.cq_threads; i++) {
    if (pthread_create(&s->threads[i], NULL, cq_thread, s) != 0) {
      return st_errf(eb, ST_EINTERNAL, "cannot start threads: %s",
                     strerror(errno));
    }
    s->nthreads++;
  }
  return ST_OK;
}

/* Waits on s->cv until *flag (or nlive == 0 when flag is NULL) or until
 * the absolute deadline; with s->mu held. Returns 1 if the condition
 * holds. */
static int wait_until(st_server *s, const int *flag,
                      const struct timespec *deadline) {
  for (;;) {
    if (flag != NULL ? *flag : s->nlive == 0) {
      return 1;
    }
    if (pthread_cond_timedwait(&s->cv, &s->mu, deadline) == ETIMEDOUT) {
      return flag != NULL ? *flag : s->nlive == 0;
    }
  }
}

static struct timespec deadline_in(int ms) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

void st_server_shutdown(st_server *s, int timeout_ms) {
  st_call **calls = NULL;
  size_t n = 0;
  struct timespec dl;
  int done;

  pthread_mutex_lock(&s->mu);
  if (!s->started || s->shutting_down) {
    pthread_mutex_unlock(&s->mu);
    return;
  }
  s->shutting_down = 1;
  pthread_mutex_unlock(&s->mu);
  ST_INFO("rpc", "shutting down: draining");
  for (int i = 0; i < s->nhooks; i++) {
    s->hooks[i].fn(s->hooks[i].ud);
  }
  s->shutdown_tag.fn = on_shutdown;
  grpc_server_shutdown_and_notify(s->srv, s->cq, &s->shutdown_tag);
  /* End the open calls with UNAVAILABLE once their queues are flushed. */
  pthread_mutex_lock(&s->mu);
  if (s->nlive > 0) {
    calls = st_calloc(s->nlive, sizeof(*calls));
  }
  for (st_call *c = s->live; calls != NULL && c != NULL; c = c->next) {
    st_call_ref(c);
    calls[n++] = c;
  }
  pthread_mutex_unlock(&s->mu);
  for (size_t i = 0; i < n; i++) {
    st_call_finish(calls[i], GRPC_STATUS_UNAVAILABLE,
                   "server is shutting down");
    st_call_unref(calls[i]);
  }
  st_free(calls);
  dl = deadline_in(timeout_ms);
  pthread_mutex_lock(&s->mu);
  done = wait_until(s, &s->shutdown_done, &dl);
  pthread_mutex_unlock(&s->mu);
  if (!done) {
    ST_WARN("rpc", "calls still open after %d ms: cancelling them", timeout_ms);
    grpc_server_cancel_all_calls(s->srv);
    dl = deadline_in(5000);
    pthread_mutex_lock(&s->mu);
    done = wait_until(s, &s->shutdown_done, &dl);
    pthread_mutex_unlock(&s->mu);
    if (!done) {
      ST_ERROR("rpc", "server did not shut down");
    }
  }
  /* Calls are freed once handlers drop their references. */
  dl = deadline_in(5000);
  pthread_mutex_lock(&s->mu);
  if (!wait_until(s, NULL, &dl)) {
    ST_ERROR("rpc", "%zu calls still referenced after shutdown", s->nlive);
  }
  pthread_mutex_unlock(&s->mu);
  ST_INFO("rpc", "shut down");
}

void st_server_destroy(st_server *s) {
  if (s == NULL) {
    return;
  }
  if (s->srv != NULL) {
    if (s->started && !s->shutting_down) {
      st_server_shutdown(s, 0);
    }
    if (!s->started) {
      /* Never started: shut down synchronously so that destroy is legal. */
      s->shutdown_tag.fn = on_shutdown;
      grpc_server_shutdown_and_notify(s->srv, s->cq, &s->shutdown_tag);
      for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);

        if (ev.type != GRPC_OP_COMPLETE || ev.tag == &s->shutdown_tag) {
          break;
        }
      }
    }
    grpc_server_destroy(s->srv);
  }
  if (s->cq != NULL) {
    grpc_completion_queue_shutdown(s->cq);
    for (int i = 0; i < s->nthreads; i++) {
      pthread_join(s->threads[i], NULL);
    }
    if (s->nthreads == 0) {
      while (grpc_completion_queue_next(
                 s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                 .type != GRPC_QUEUE_SHUTDOWN) {
      }
    }
    grpc_completion_queue_destroy(s->cq);
  }
  st_free(s->methods);
  st_descset_free(s->ds);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  st_free(s);
  grpc_shutdown();
}
