/* call.c - one gRPC call: dispatch, unary replies, the bounded stream
 * writer, and cancellation reaching the handler. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>

#include "server/rpc/internal.h"
#include "server/rpc/utf8.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define CONTAINER(ptr, type, member) \
  ((type *)((char *)(ptr)-offsetof(type, member)))

static void on_close(st__tag *t, int ok);
static void on_send(st__tag *t, int ok);
static void on_recv(st__tag *t, int ok);

st_call *st__call_new(st_server *s, st__method *m, size_t qmax) {
  st_call *c = st_calloc(1, sizeof(*c));

  if (c == NULL) {
    return NULL;
  }
  c->srv = s;
  c->method = m;
  c->qmax = qmax;
  atomic_init(&c->refs, 1);
  pthread_mutex_init(&c->mu, NULL);
  grpc_metadata_array_init(&c->md);
  c->close_tag.fn = on_close;
  c->send_tag.fn = on_send;
  c->recv_tag.fn = on_recv;
  c->streaming = m->ds->server_streaming || m->ds->client_streaming;
  return c;
}

void st_call_ref(st_call *c) {
  atomic_fetch_add(&c->refs, 1);
}

static void drop_queue(st_call *c) {
  while (c->qlen > 0) {
    grpc_slice_unref(c->q[c->qhead].slice);
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
  }
}

void st_call_unref(st_call *c) {
  if (atomic_fetch_sub(&c->refs, 1) != 1) {
    return;
  }
  drop_queue(c);
  st_free(c->q);
  if (c->req != NULL) {
    protobuf_c_message_free_unpacked(c->req, &st_pbc_allocator);
  }
  if (c->payload != NULL) {
    grpc_byte_buffer_destroy(c->payload);
  }
  if (c->recv_buf != NULL) {
    grpc_byte_buffer_destroy(c->recv_buf);
  }
  if (c->send_buf != NULL) {
    grpc_byte_buffer_destroy(c->send_buf);
  }
  if (c->has_details) {
    grpc_slice_unref(c->status_details);
  }
  for (size_t i = 0; i < c->nhdrs; i++) {
    grpc_slice_unref(c->hdrs[i].key);
    grpc_slice_unref(c->hdrs[i].value);
  }
  grpc_metadata_array_destroy(&c->md);
  if (c->peer != NULL) {
    gpr_free(c->peer);
  }
  if (c->call != NULL) {
    st__server_call_freed(c->srv, c);
    grpc_call_unref(c->call);
  }
  pthread_mutex_destroy(&c->mu);
  st_free(c);
}

void st_call_set_data(st_call *c, void *data) {
  c->data = data;
}

void *st_call_data(const st_call *c) {
  return c->data;
}

const char *st_call_method(const st_call *c) {
  return c->method->ds->path;
}

const char *st_call_peer(const st_call *c) {
  return c->peer != NULL ? c->peer : "";
}

st_err st_call_metadata(const st_call *c, const char *key, char *buf,
                        size_t cap) {
  size_t klen = strlen(key);

  for (size_t i = 0; i < c->md.count; i++) {
    const grpc_metadata *m = &c->md.metadata[i];
    size_t vlen = GRPC_SLICE_LENGTH(m->value);

    if (GRPC_SLICE_LENGTH(m->key) != klen ||
        memcmp(GRPC_SLICE_START_PTR(m->key), key, klen) != 0) {
      continue;
    }
    if (vlen + 1 > cap) {
      return ST_EOVERFLOW;
    }
    memcpy(buf, GRPC_SLICE_START_PTR(m->value), vlen);
    buf[vlen] = '\0';
    return ST_OK;
  }
  return ST_ENOTFOUND;
}

int64_t st_call_deadline_ms(const st_call *c) {
  gpr_timespec now, d;

  if (gpr_time_cmp(c->deadline, gpr_inf_future(c->deadline.clock_type)) == 0) {
    return INT64_MAX;
  }
  now = gpr_now(c->deadline.clock_type);
  d = gpr_time_sub(c->deadline, now);
  return d.tv_sec * 1000 + d.tv_nsec / 1000000;
}

int st_call_is_done(const st_call *c) {
  st_call *m = (st_call *)c;
  int done;

  pthread_mutex_lock(&m->mu);
  done = m->done || m->status_sent || m->broken;
  pthread_mutex_unlock(&m->mu);
  return done;
}

/* Starts the next send batch if none is in flight: initial metadata (once),
 * the next queued message, and the status once the queue is empty. Called
 * with c->mu held; the caller holds a reference. */
static void pump(st_call *c) {
  grpc_op ops[3];
  size_t n = 0;
  grpc_call_error rc;

  if (c->in_flight || c->status_sent || c->broken || c->done) {
    return;
  }
  memset(ops, 0, sizeof(ops));
  if (!c->headers_sent) {
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = c->nhdrs;
    ops[n].data.send_initial_metadata.metadata = c->nhdrs ? c->hdrs : NULL;
    n++;
  }
  if (c->qlen > 0) {
    st__qitem it = c->q[c->qhead];

    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
    c->send_buf = grpc_raw_byte_buffer_create(&it.slice, 1);
    grpc_slice_unref(it.slice);
    c->send_cookie = it.cookie;
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = c->send_buf;
    n++;
  }
  if (c->status_pending && c->qlen == 0) {
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = c->status_code;
    ops[n].data.send_status_from_server.status_details =
        c->has_details ? &c->status_details : NULL;
    n++;
    c->status_sent = 1;
  }
  if (n == 0) {
    return;
  }
  c->headers_sent = 1;
  c->in_flight = 1;
  st_call_ref(c);
  rc = grpc_call_start_batch(c->call, ops, n, &c->send_tag, NULL);
  if (rc != GRPC_CALL_OK) {
    ST_ERROR("rpc", "%s: start_batch (send) failed: %d", c->method->ds->path,
             (int)rc);
    c->in_flight = 0;
    c->broken = 1;
    if (c->send_buf != NULL) {
      grpc_byte_buffer_destroy(c->send_buf);
      c->send_buf = NULL;
    }
    drop_queue(c);
    /* The caller's reference keeps c alive: this cannot free it. */
    atomic_fetch_sub(&c->refs, 1);
  }
}

static void on_send(st__tag *t, int ok) {
  st_call *c = CONTAINER(t, st_call, send_tag);

  pthread_mutex_lock(&c->mu);
  if (c->send_buf != NULL) {
    grpc_byte_buffer_destroy(c->send_buf);
    c->send_buf = NULL;
    if (ok) {
      c->last_sent = c->send_cookie;
    }
  }
  c->in_flight = 0;
  if (!ok) {
    /* The stream is gone (cancelled, disconnected, aborted). */
    c->broken = 1;
    drop_queue(c);
  } else {
    pump(c);
  }
  pthread_mutex_unlock(&c->mu);
  st_call_unref(c);
}

/* Appends it to the queue; ST_EOVERFLOW when full. With c->mu held. */
static st_err enqueue(st_call *c, grpc_slice slice, uint64_t cookie) {
  if (c->qlen >= c->qmax) {
    return ST_EOVERFLOW;
  }
  if (c->qlen == c->qcap) {
    size_t ncap = c->qcap == 0 ? 4 : c->qcap * 2;
    st__qitem *nq;

    if (ncap > c->qmax) {
      ncap = c->qmax;
    }
    nq = st_malloc(ncap * sizeof(*nq));
    if (nq == NULL) {
      return ST_ENOMEM;
    }
    for (size_t i = 0; i < c->qlen; i++) {
      nq[i] = c->q[(c->qhead + i) % c->qcap];
    }
    st_free(c->q);
    c->q = nq;
    c->qcap = ncap;
    c->qhead = 0;
  }
  c->q[(c->qhead + c->qlen) % c->qcap] = (st__qitem){slice, cookie};
  c->qlen++;
  return ST_OK;
}

static int closed(const st_call *c) {
  return c->done || c->status_pending || c->broken;
}

static grpc_slice pack(const ProtobufCMessage *msg) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  grpc_slice s = grpc_slice_malloc(n);

  protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
  return s;
}

st_err st_call_send_slice(st_call *c, grpc_slice slice, uint64_t cookie) {
  st_err err;

  pthread_mutex_lock(&c->mu);
  if (closed(c)) {
    err = ST_ECANCELED;
  } else {
    err = enqueue(c, grpc_slice_ref(slice), cookie);
    if (err != ST_OK) {
      grpc_slice_unref(slice);
    } else {
      pump(c);
    }
  }
  pthread_mutex_unlock(&c->mu);
  return err;
}

st_err st_call_send(st_call *c, const ProtobufCMessage *msg, uint64_t cookie) {
  grpc_slice s = pack(msg);
  st_err err = st_call_send_slice(c, s, cookie);

  grpc_slice_unref(s);
  return err;
}

uint64_t st_call_last_sent(const st_call *c) {
  st_call *m = (st_call *)c;
  uint64_t v;

  pthread_mutex_lock(&m->mu);
  v = m->last_sent;
  pthread_mutex_unlock(&m->mu);
  return v;
}

size_t st_call_queued(const st_call *c) {
  st_call *m = (st_call *)c;
  size_t n;

  pthread_mutex_lock(&m->mu);
  n = m->qlen;
  pthread_mutex_unlock(&m->mu);
  return n;
}

st_err st_call_add_header(st_call *c, const char *key, const char *value) {
  st_err err = ST_OK;

  pthread_mutex_lock(&c->mu);
  if (c->headers_sent) {
    err = ST_EPRECOND;
  } else if (c->nhdrs == sizeof(c->hdrs) / sizeof(c->hdrs[0])) {
    err = ST_EOVERFLOW;
  } else {
    memset(&c->hdrs[c->nhdrs], 0, sizeof(c->hdrs[0]));
    c->hdrs[c->nhdrs].key = grpc_slice_from_copied_string(key);
    c->hdrs[c->nhdrs].value = grpc_slice_from_copied_string(value);
    c->nhdrs++;
  }
  pthread_mutex_unlock(&c->mu);
  return err;
}

/* Sets the pending status; with c->mu held. */
static void set_status(st_call *c, grpc_status_code code, const char *msg) {
  c->status_pending = 1;
  c->status_code = code;
  if (msg != NULL && msg[0] != '\0') {
    c->status_details = grpc_slice_from_copied_string(msg);
    c->has_details = 1;
  }
}

static st_err reply_slice(st_call *c, grpc_slice s);

st_err st_call_reply(st_call *c, const ProtobufCMessage *msg) {
  return reply_slice(c, pack(msg));
}

st_err st_call_reply_bytes(st_call *c, const uint8_t *data, size_t len) {
  return reply_slice(c, grpc_slice_from_copied_buffer((const char *)data, len));
}

/* Sends s (taking the caller's reference) and status OK. */
static st_err reply_slice(st_call *c, grpc_slice s) {
  st_err err;

  pthread_mutex_lock(&c->mu);
  if (closed(c)) {
    grpc_slice_unref(s);
    err = ST_ECANCELED;
  } else {
    /* The reply bypasses the stream bound: a unary call has one message. */
    size_t qmax = c->qmax;

    c->qmax = c->qlen + 1;
    err = enqueue(c, s, 0);
    c->qmax = qmax;
    if (err != ST_OK) {
      grpc_slice_unref(s);
    } else {
      set_status(c, GRPC_STATUS_OK, NULL);
      pump(c);
    }
  }
  pthread_mutex_unlock(&c->mu);
  return err;
}

static st_err vfinish(st_call *c, int now, grpc_status_code code,
                      const char *fmt, va_list ap) {
  char msg[512] = "";

  if (fmt != NULL) {
    vsnprintf(msg, sizeof(msg), fmt, ap);
  }
  pthread_mutex_lock(&c->mu);
  if (c->done || c->status_sent || (c->status_pending && !now)) {
    pthread_mutex_unlock(&c->mu);
    return ST_ECANCELED;
  }
  if (!now) {
    set_status(c, code, msg);
    pump(c);
    pthread_mutex_unlock(&c->mu);
    return ST_OK;
  }
  /* Abort: drop the queue and let core deliver the status as trailers
   * right away, even past a stalled flow-control window. */
  drop_queue(c);
  c->status_pending = 1;
  c->status_sent = 1;
  pthread_mutex_unlock(&c->mu);
  grpc_call_cancel_with_status(c->call, code, msg, NULL);
  return ST_OK;
}

st_err st_call_abort_with_last(st_call *c, grpc_status_code code,
                               const char *fmt) {
  char msg[512];

  pthread_mutex_lock(&c->mu);
  if (c->done || c->status_sent) {
    pthread_mutex_unlock(&c->mu);
    return ST_ECANCELED;
  }
  snprintf(msg, sizeof(msg), fmt, (unsigned long long)c->last_sent);
  drop_queue(c);
  c->status_pending = 1;
  c->status_sent = 1;
  pthread_mutex_unlock(&c->mu);
  grpc_call_cancel_with_status(c->call, code, msg, NULL);
  return ST_OK;
}

st_err st_call_finish(st_call *c, grpc_status_code code, const char *fmt, ...) {
  va_list ap;
  st_err err;

  va_start(ap, fmt);
  err = vfinish(c, 0, code, fmt, ap);
  va_end(ap);
  return err;
}

st_err st_call_abort(st_call *c, grpc_status_code code, const char *fmt, ...) {
  va_list ap;
  st_err err;

  va_start(ap, fmt);
  err = vfinish(c, 1, code, fmt, ap);
  va_end(ap);
  return err;
}

/* Runs the handler's on_done once, unless a handler callback is running on
 * another thread, in which case that thread runs it when it returns. */
static void maybe_done(st_call *c) {
  st__method *m = c->method;
  int run = 0;

  pthread_mutex_lock(&c->mu);
  if (c->done && c->dispatched && !c->done_called) {
    if (c->in_cb) {
      c->done_deferred = 1;
    } else {
      c->done_called = 1;
      run = 1;
    }
  }
  pthread_mutex_unlock(&c->mu);
  if (run) {
    if (m->h.on_done != NULL) {
      m->h.on_done(c, c->close_cancelled, m->ud);
    }
    st_call_unref(c); /* The handler's reference. */
  }
}

static void on_close(st__tag *t, int ok) {
  st_call *c = CONTAINER(t, st_call, close_tag);

  pthread_mutex_lock(&c->mu);
  c->done = 1;
  if (!ok) {
    c->close_cancelled = 1;
  }
  drop_queue(c);
  pthread_mutex_unlock(&c->mu);
  maybe_done(c);
  st_call_unref(c);
}

static void enter_cb(st_call *c) {
  pthread_mutex_lock(&c->mu);
  c->in_cb = 1;
  pthread_mutex_unlock(&c->mu);
}

static void leave_cb(st_call *c) {
  pthread_mutex_lock(&c->mu);
  c->in_cb = 0;
  c->done_deferred = 0;
  pthread_mutex_unlock(&c->mu);
  maybe_done(c);
}

/* Decodes bytes into a message of desc and checks its strings. On failure
 * writes why into why and returns NULL. */
static ProtobufCMessage *decode(grpc_byte_buffer *bb,
                                const ProtobufCMessageDescriptor *desc,
                                char *why, size_t cap) {
  grpc_byte_buffer_reader r;
  grpc_slice all;
  ProtobufCMessage *msg;
  char path[200];

  if (!grpc_byte_buffer_reader_init(&r, bb)) {
    snprintf(why, cap, "cannot read the request");
    return NULL;
  }
  all = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  msg =
      protobuf_c_message_unpack(desc, &st_pbc_allocator, GRPC_SLICE_LENGTH(all),
                                GRPC_SLICE_START_PTR(all));
  grpc_slice_unref(all);
  if (msg == NULL) {
    snprintf(why, cap, "the request is not a valid %s message", desc->name);
    return NULL;
  }
  if (!st_utf8_check_message(msg, path, sizeof(path))) {
    snprintf(why, cap, "field %s: string is not valid UTF-8", path);
    protobuf_c_message_free_unpacked(msg, &st_pbc_allocator);
    return NULL;
  }
  return msg;
}

static const ProtobufCMessageDescriptor *request_desc(const st_call *c) {
  return c->method->h.request_desc != NULL ? c->method->h.request_desc
                                           : c->method->in;
}

/* Starts the next RECV_MESSAGE (bidi / client streaming). */
static void start_recv(st_call *c) {
  grpc_op op;
  grpc_call_error rc;

  memset(&op, 0, sizeof(op));
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &c->recv_buf;
  st_call_ref(c);
  rc = grpc_call_start_batch(c->call, &op, 1, &c->recv_tag, NULL);
  if (rc != GRPC_CALL_OK) {
    ST_ERROR("rpc", "%s: start_batch (recv) failed: %d", c->method->ds->path,
             (int)rc);
    st_call_unref(c);
  }
}

static void on_recv(st__tag *t, int ok) {
  st_call *c = CONTAINER(t, st_call, recv_tag);
  st__method *m = c->method;
  grpc_byte_buffer *bb = c->recv_buf;
  ProtobufCMessage *msg = NULL;
  char why[300];

  c->recv_buf = NULL;
  if (!ok || st_call_is_done(c)) {
    if (bb != NULL) {
      grpc_byte_buffer_destroy(bb);
    }
    st_call_unref(c);
    return;
  }
  if (bb != NULL) {
    msg = decode(bb, request_desc(c), why, sizeof(why));
    grpc_byte_buffer_destroy(bb);
    if (msg == NULL) {
      st_call_abort(c, GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
      st_call_unref(c);
      return;
    }
  }
  enter_cb(c);
  if (m->h.on_message != NULL) {
    m->h.on_message(c, msg, m->ud);
  }
  leave_cb(c);
  if (msg != NULL) {
    protobuf_c_message_free_unpacked(msg, &st_pbc_allocator);
    start_recv(c);
  }
  st_call_unref(c);
}

void st__call_accepted(st_call *c) {
  st__method *m = c->method;
  grpc_op op;
  char why[300];

  c->peer = grpc_call_get_peer(c->call);
  memset(&op, 0, sizeof(op));
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->close_cancelled;
  st_call_ref(c);
  if (grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL) !=
      GRPC_CALL_OK) {
    ST_ERROR("rpc", "%s: cannot start RECV_CLOSE", m->ds->path);
    st_call_unref(c);
    grpc_call_cancel(c->call, NULL);
    st_call_unref(c);
    return;
  }
  if (st__server_draining(c->srv)) {
    /* Arrived after shutdown ended the open calls: refuse it now rather
     * than leave it to hang until its deadline. */
    st_call_finish(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
    st_call_unref(c);
    return;
  }
  if (!st__server_authorize(c->srv, c, why, sizeof(why))) {
    ST_DEBUG("rpc", "%s from %s: %s", m->ds->path, st_call_peer(c), why);
    st_call_finish(c, GRPC_STATUS_UNAUTHENTICATED, "%s", why);
    st_call_unref(c);
    return;
  }
  if (!m->ds->client_streaming) {
    if (c->payload == NULL) {
      st_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT,
                     "the request message is missing");
      st_call_unref(c);
      return;
    }
    c->req = decode(c->payload, request_desc(c), why, sizeof(why));
    grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
    if (c->req == NULL) {
      ST_DEBUG("rpc", "%s from %s: %s", m->ds->path, st_call_peer(c), why);
      st_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
      st_call_unref(c);
      return;
    }
  }
  pthread_mutex_lock(&c->mu);
  c->dispatched = 1;
  c->in_cb = 1;
  pthread_mutex_unlock(&c->mu);
  /* From here the accept reference is the handler's, dropped after
   * on_done. */
  st_call_ref(c);
  m->h.on_call(c, c->req, m->ud);
  if (c->streaming) {
    /* Initial metadata now (with what on_call added), so clients see the
     * stream open before the first message. */
    pthread_mutex_lock(&c->mu);
    pump(c);
    pthread_mutex_unlock(&c->mu);
  }
  leave_cb(c);
  st_call_unref(c);
  if (m->ds->client_streaming) {
    start_recv(c);
  }
}
