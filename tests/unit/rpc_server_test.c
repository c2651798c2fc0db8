/* rpc_server_test.c - the rpc server end to end over loopback HTTP/2 with a
 * grpc core client: unary replies from another thread, UNIMPLEMENTED,
 * INVALID_ARGUMENT, cancellation reaching the handler, the bounded stream
 * writer cutting off a reader that does not read, and shutdown ending open
 * streams with UNAVAILABLE. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "server/rpc/health.h"
#include "server/rpc/reflection.h"
#include "server/rpc/server.h"
#include "server/util/alloc.h"
#include "server/util/log.h"
#include "settled/v1/account.pb-c.h"
#include "settled/v1/execution.pb-c.h"
#include "settled/v1/pricing.pb-c.h"
#include "tests/unit/cunit_main.h"

extern const unsigned char st_descriptor_set[];
extern const size_t st_descriptor_set_len;

static const ProtobufCServiceDescriptor *const services[] = {
    &settled__v1__executor__descriptor,
    &settled__v1__pricing__descriptor,
    &settled__v1__account__descriptor,
    &grpc__health__v1__health__descriptor,
    &grpc__reflection__v1__server_reflection__descriptor,
    &grpc__reflection__v1alpha__server_reflection__descriptor,
};

/* --- Test handlers on settled.v1 methods. --- */

static atomic_int done_calls, done_cancelled;

/* GetExecution: replies from another thread, echoing the plan id. */
static void *reply_later(void *arg) {
  st_call *call = arg;
  const Settled__V1__GetExecutionRequest *r = st_call_data(call);
  Settled__V1__ExecutionResult res = SETTLED__V1__EXECUTION_RESULT__INIT;

  usleep(20000);
  res.plan_id = r->plan_id;
  res.status = SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_RUNNING;
  st_call_reply(call, &res.base);
  st_call_unref(call);
  return NULL;
}

static void on_get(st_call *call, const ProtobufCMessage *req, void *ud) {
  pthread_t t;

  if (strcmp(((const Settled__V1__GetExecutionRequest *)req)->plan_id,
             "fail") == 0) {
    st_call_finish(call, GRPC_STATUS_NOT_FOUND, "no execution %s", "fail");
    return;
  }
  st_call_set_data(call, (void *)req);
  st_call_ref(call);
  pthread_create(&t, NULL, reply_later, call);
  pthread_detach(t);
}

static void on_done_count(st_call *call, int cancelled, void *ud) {
  atomic_fetch_add(&done_calls, 1);
  if (cancelled) {
    atomic_fetch_add(&done_cancelled, 1);
  }
}

/* WatchExecution: never replies; only cancellation ends it. */
static void on_hang(st_call *call, const ProtobufCMessage *req, void *ud) {
}

/* SubscribeEvents: floods 16 KiB events from a producer thread until the
 * queue overflows, then cuts the stream off naming the last sequence
 * sent. */
static atomic_int flood_overflowed;

static void *flood(void *arg) {
  st_call *call = arg;
  static char pad[16384];
  Settled__V1__Event ev = SETTLED__V1__EVENT__INIT;
  uint64_t seq = 0;

  memset(pad, 'x', sizeof(pad) - 1);
  ev.event_id = pad;
  for (;;) {
    st_err err;

    ev.sequence = ++seq;
    err = st_call_send(call, &ev.base, seq);
    if (err == ST_EOVERFLOW) {
      atomic_store(&flood_overflowed, 1);
      st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                    "subscriber too slow; resume after sequence %llu",
                    (unsigned long long)st_call_last_sent(call));
      break;
    }
    if (err != ST_OK) {
      break;
    }
  }
  st_call_unref(call);
  return NULL;
}

static void on_subscribe(st_call *call, const ProtobufCMessage *req, void *ud) {
  pthread_t t;

  st_call_ref(call);
  pthread_create(&t, NULL, flood, call);
  pthread_detach(t);
}

/* --- Server fixture. --- */

typedef struct fixture {
  st_server *srv;
  st_health *health;
  char addr[64];
} fixture;

static void start(fixture *f, size_t queue) {
  st_server_opts o;
  st_errbuf eb;
  st_handler get = {.on_call = on_get, .on_done = on_done_count};
  st_handler hang = {.on_call = on_hang, .on_done = on_done_count};
  st_handler sub = {.on_call = on_subscribe, .on_done = on_done_count};

  st_server_opts_init(&o);
  o.listen_addr = "127.0.0.1:0";
  o.stream_queue = queue;
  o.descset = st_descriptor_set;
  o.descset_len = st_descriptor_set_len;
  o.services = services;
  o.nservices = sizeof(services) / sizeof(services[0]);
  CU_ASSERT_EQUAL_FATAL(st_server_create(&o, &f->srv, &eb), ST_OK);
  CU_ASSERT(st_server_port(f->srv) > 0);
  CU_ASSERT_EQUAL(
      st_server_handle(f->srv, "settled.v1.Executor/GetExecution", &get, NULL),
      ST_OK);
  CU_ASSERT_EQUAL(
      st_server_handle(f->srv, "/settled.v1.Executor/GetExecution", &get, NULL),
      ST_EEXIST);
  CU_ASSERT_EQUAL(
      st_server_handle(f->srv, "settled.v1.Executor/Nope", &get, NULL),
      ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_server_handle(f->srv, "settled.v1.Executor/WatchExecution",
                                   &hang, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(
      st_server_handle(f->srv, "settled.v1.Executor/SubscribeEvents", &sub,
                       NULL),
      ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_health_create(f->srv, &f->health), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_reflection_register(f->srv), ST_OK);
  CU_ASSERT_EQUAL_FATAL(st_server_start(f->srv, &eb), ST_OK);
  snprintf(f->addr, sizeof(f->addr), "%s", st_server_address(f->srv));
}

static void stop(fixture *f) {
  st_server_shutdown(f->srv, 2000);
  st_server_destroy(f->srv);
  st_health_free(f->health);
}

/* --- A minimal grpc core client. --- */

typedef struct client {
  grpc_channel *ch;
  grpc_completion_queue *cq;
} client;

static void client_open(client *c, const char *addr) {
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();

  c->ch = grpc_channel_create(addr, creds, NULL);
  grpc_channel_credentials_release(creds);
  c->cq = grpc_completion_queue_create_for_pluck(NULL);
}

static void client_close(client *c) {
  grpc_channel_destroy(c->ch);
  grpc_completion_queue_shutdown(c->cq);
  while (grpc_completion_queue_pluck(c->cq, NULL,
                                     gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
             .type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(c->cq);
}

static gpr_timespec in_ms(int ms) {
  return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                      gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void pluck(client *c, void *tag, int ms) {
  grpc_event ev = grpc_completion_queue_pluck(c->cq, tag, in_ms(ms), NULL);

  CU_ASSERT_EQUAL(ev.type, GRPC_OP_COMPLETE);
}

/* One unary call with raw request bytes; returns the status code and
 * copies the details and the response bytes. */
typedef struct result {
  grpc_status_code code;
  char details[256];
  char *resp;
  size_t resp_len;
  int64_t ms;
} result;

static void unary(client *c, const char *method, const void *req, size_t len,
                  int deadline_ms, result *out) {
  grpc_slice m = grpc_slice_from_static_string(method);
  grpc_call *call =
      grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, m,
                               NULL, in_ms(deadline_ms), NULL);
  grpc_slice body = grpc_slice_from_copied_buffer(req, len);
  grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body, 1);
  grpc_byte_buffer *recv = NULL;
  grpc_metadata_array imd, tmd;
  grpc_slice details;
  grpc_op ops[6];
  gpr_timespec t0 = gpr_now(GPR_CLOCK_MONOTONIC);

  grpc_metadata_array_init(&imd);
  grpc_metadata_array_init(&tmd);
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &imd;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &tmd;
  ops[5].data.recv_status_on_client.status = &out->code;
  ops[5].data.recv_status_on_client.status_details = &details;
  CU_ASSERT_EQUAL_FATAL(grpc_call_start_batch(call, ops, 6, call, NULL),
                        GRPC_CALL_OK);
  pluck(c, call, deadline_ms + 5000);
  out->ms = gpr_time_to_millis(gpr_time_sub(gpr_now(GPR_CLOCK_MONOTONIC), t0));
  snprintf(out->details, sizeof(out->details), "%.*s",
           (int)GRPC_SLICE_LENGTH(details),
           (const char *)GRPC_SLICE_START_PTR(details));
  out->resp = NULL;
  out->resp_len = 0;
  if (recv != NULL) {
    grpc_byte_buffer_reader r;
    grpc_slice all;

    grpc_byte_buffer_reader_init(&r, recv);
    all = grpc_byte_buffer_reader_readall(&r);
    out->resp_len = GRPC_SLICE_LENGTH(all);
    out->resp = st_malloc(out->resp_len + 1);
    memcpy(out->resp, GRPC_SLICE_START_PTR(all), out->resp_len);
    grpc_slice_unref(all);
    grpc_byte_buffer_reader_destroy(&r);
    grpc_byte_buffer_destroy(recv);
  }
  grpc_slice_unref(details);
  grpc_slice_unref(body);
  grpc_byte_buffer_destroy(send);
  grpc_metadata_array_destroy(&imd);
  grpc_metadata_array_destroy(&tmd);
  grpc_call_unref(call);
}

static size_t pack_get(const char *plan_id, uint8_t *buf) {
  Settled__V1__GetExecutionRequest r = SETTLED__V1__GET_EXECUTION_REQUEST__INIT;

  r.plan_id = (char *)plan_id;
  return protobuf_c_message_pack(&r.base, buf);
}

/* A server-streaming call that sends its request and waits only for the
 * status: it never reads a message. */
typedef struct stream {
  grpc_call *call;
  grpc_metadata_array imd, tmd;
  int received;
  grpc_status_code code;
  grpc_slice details;
  grpc_byte_buffer *send;
  grpc_slice body;
} stream;

static void stream_open(client *c, stream *s, const char *method,
                        const void *req, size_t len) {
  grpc_op ops[5];

  memset(s, 0, sizeof(*s));
  s->call = grpc_channel_create_call(
      c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
      grpc_slice_from_static_string(method), NULL, in_ms(30000), NULL);
  s->body = grpc_slice_from_copied_buffer(req, len);
  s->send = grpc_raw_byte_buffer_create(&s->body, 1);
  grpc_metadata_array_init(&s->imd);
  grpc_metadata_array_init(&s->tmd);
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = s->send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->imd;
  CU_ASSERT_EQUAL(grpc_call_start_batch(s->call, ops, 4, &s->imd, NULL),
                  GRPC_CALL_OK);
  pluck(c, &s->imd, 5000);
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[0].data.recv_status_on_client.trailing_metadata = &s->tmd;
  ops[0].data.recv_status_on_client.status = &s->code;
  ops[0].data.recv_status_on_client.status_details = &s->details;
  CU_ASSERT_EQUAL(grpc_call_start_batch(s->call, ops, 1, s, NULL),
                  GRPC_CALL_OK);
}

/* Reads every message until the end of the stream, then the status. */
static void stream_drain(client *c, stream *s) {
  for (;;) {
    grpc_byte_buffer *bb = NULL;
    grpc_op op;

    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &bb;
    if (grpc_call_start_batch(s->call, &op, 1, &bb, NULL) != GRPC_CALL_OK) {
      break;
    }
    pluck(c, &bb, 10000);
    if (bb == NULL) {
      break;
    }
    s->received++;
    grpc_byte_buffer_destroy(bb);
  }
  pluck(c, s, 10000);
}

static void stream_close(stream *s) {
  grpc_slice_unref(s->details);
  grpc_slice_unref(s->body);
  grpc_byte_buffer_destroy(s->send);
  grpc_metadata_array_destroy(&s->imd);
  grpc_metadata_array_destroy(&s->tmd);
  grpc_call_unref(s->call);
}

static int wait_for(atomic_int *v, int want, int ms) {
  for (int i = 0; i < ms / 5; i++) {
    if (atomic_load(v) >= want) {
      return 1;
    }
    usleep(5000);
  }
  return atomic_load(v) >= want;
}

/* --- Tests. --- */

static void test_unary_reply_from_thread(void) {
  fixture f;
  client c;
  result r;
  uint8_t buf[64];
  Settled__V1__ExecutionResult *res;

  start(&f, 16);
  client_open(&c, f.addr);
  unary(&c, "/settled.v1.Executor/GetExecution", buf, pack_get("p-42", buf),
        5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_OK);
  res = settled__v1__execution_result__unpack(NULL, r.resp_len,
                                              (uint8_t *)r.resp);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  CU_ASSERT_STRING_EQUAL(res->plan_id, "p-42");
  settled__v1__execution_result__free_unpacked(res, NULL);
  st_free(r.resp);
  unary(&c, "/settled.v1.Executor/GetExecution", buf, pack_get("fail", buf),
        5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_NOT_FOUND);
  CU_ASSERT_STRING_EQUAL(r.details, "no execution fail");
  st_free(r.resp);
  client_close(&c);
  stop(&f);
}

static void test_unknown_and_unimplemented(void) {
  fixture f;
  client c;
  result r;

  start(&f, 16);
  client_open(&c, f.addr);
  unary(&c, "/foo.Bar/Baz", "", 0, 5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_UNIMPLEMENTED);
  CU_ASSERT(r.ms < 2000); /* At once, never a hang to the deadline. */
  CU_ASSERT_PTR_NOT_NULL(strstr(r.details, "unknown method /foo.Bar/Baz"));
  st_free(r.resp);
  unary(&c, "/settled.v1.Account/GetAccount", "", 0, 5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_UNIMPLEMENTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.details, "not implemented"));
  st_free(r.resp);
  client_close(&c);
  stop(&f);
}

static void test_invalid_requests(void) {
  fixture f;
  client c;
  result r;
  /* Field 1 as a string holding invalid UTF-8. */
  const uint8_t bad_utf8[] = {0x0a, 0x02, 0xc3, 0x28};
  /* Length-delimited field claiming more bytes than there are. */
  const uint8_t truncated[] = {0x0a, 0x10, 'a'};

  start(&f, 16);
  client_open(&c, f.addr);
  unary(&c, "/settled.v1.Executor/GetExecution", bad_utf8, sizeof(bad_utf8),
        5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.details, "plan_id"));
  st_free(r.resp);
  unary(&c, "/settled.v1.Executor/GetExecution", truncated, sizeof(truncated),
        5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_INVALID_ARGUMENT);
  st_free(r.resp);
  unary(&c, "/grpc.health.v1.Health/Check", "\xff\xff\xff", 3, 5000, &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_INVALID_ARGUMENT);
  st_free(r.resp);
  client_close(&c);
  stop(&f);
}

static void test_deadline_reaches_handler(void) {
  fixture f;
  client c;
  result r;
  uint8_t buf[64];
  int before;

  start(&f, 16);
  client_open(&c, f.addr);
  before = atomic_load(&done_cancelled);
  unary(&c, "/settled.v1.Executor/WatchExecution", buf, pack_get("p", buf), 300,
        &r);
  CU_ASSERT_EQUAL(r.code, GRPC_STATUS_DEADLINE_EXCEEDED);
  st_free(r.resp);
  /* The handler hears about it. */
  CU_ASSERT(wait_for(&done_cancelled, before + 1, 5000));
  client_close(&c);
  stop(&f);
}

static void test_slow_reader_cut_off(void) {
  fixture f;
  client c;
  stream s;
  uint8_t buf[8] = {0};
  long live = st_alloc_live();

  atomic_store(&flood_overflowed, 0);
  start(&f, 8);
  client_open(&c, f.addr);
  stream_open(&c, &s, "/settled.v1.Executor/SubscribeEvents", buf, 0);
  /* The client reads nothing until the server has given up on it. */
  CU_ASSERT(wait_for(&flood_overflowed, 1, 20000));
  stream_drain(&c, &s);
  CU_ASSERT_EQUAL(s.code, GRPC_STATUS_RESOURCE_EXHAUSTED);
  CU_ASSERT_PTR_NOT_NULL(strstr((const char *)GRPC_SLICE_START_PTR(s.details),
                                "resume after sequence"));
  stream_close(&s);
  client_close(&c);
  stop(&f);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static void test_shutdown_ends_streams(void) {
  fixture f;
  client c;
  stream s[5];
  uint8_t buf[64];
  size_t n = pack_get("p", buf);

  start(&f, 16);
  client_open(&c, f.addr);
  for (int i = 0; i < 5; i++) {
    stream_open(&c, &s[i], "/settled.v1.Executor/WatchExecution", buf, n);
  }
  st_server_shutdown(f.srv, 2000);
  for (int i = 0; i < 5; i++) {
    stream_drain(&c, &s[i]);
    CU_ASSERT_EQUAL(s[i].received, 0);
    CU_ASSERT_EQUAL(s[i].code, GRPC_STATUS_UNAVAILABLE);
    stream_close(&s[i]);
  }
  client_close(&c);
  st_server_destroy(f.srv);
  st_health_free(f.health);
}

static const st_test tests[] = {
    {"unary_reply_from_thread", test_unary_reply_from_thread},
    {"unknown_and_unimplemented", test_unknown_and_unimplemented},
    {"invalid_requests", test_invalid_requests},
    {"deadline_reaches_handler", test_deadline_reaches_handler},
    {"slow_reader_cut_off", test_slow_reader_cut_off},
    {"shutdown_ends_streams", test_shutdown_ends_streams},
    {NULL, NULL},
};

static int init(void) {
  st_log_init(ST_LOG_TEXT, ST_LOG_WARN, 2);
  return 0;
}

ST_TEST_MAIN_WITH("rpc_server", tests, init, NULL)
