/* journal_test.c - unit tests of server/events/journal: the SQLite journal. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/events/journal.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "tests/unit/cunit_main.h"

/* The test's own directory, made fresh by new_dir(). */
static char dir[512];
static long live_at_start;

/* Makes a new empty directory under $TEST_TMPDIR for one test. */
static void new_dir(void) {
  const char *base = getenv("TEST_TMPDIR");

  snprintf(dir, sizeof(dir), "%s/journal.XXXXXX",
           base != NULL && base[0] != '\0' ? base : "/tmp");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  live_at_start = st_alloc_live();
}

/* Checks that the test freed every block it allocated through st_malloc. */
static void check_live(void) {
  CU_ASSERT_EQUAL(st_alloc_live(), live_at_start);
}

static const char *path_of(const char *name) {
  static char p[600];

  snprintf(p, sizeof(p), "%s/%s", dir, name);
  return p;
}

static st_journal *open_journal(const char *name) {
  st_journal *j = NULL;
  st_errbuf eb = {{0}};
  st_err err = st_journal_open(path_of(name), &j, &eb);

  if (err != ST_OK) {
    fprintf(stderr, "open: %s: %s\n", st_strerror(err), eb.msg);
  }
  CU_ASSERT_EQUAL_FATAL(err, ST_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  return j;
}

/* An event with a BulkSettlementCompleted payload; the strings point into
 * static or caller storage. */
typedef struct test_event {
  Settled__V1__Event ev;
  Settled__V1__BulkSettlementCompleted bulk;
  Google__Protobuf__Timestamp ts;
} test_event;

static void make_event(test_event *t, const char *plan, int64_t ts_s) {
  Settled__V1__Event ev = SETTLED__V1__EVENT__INIT;
  Settled__V1__BulkSettlementCompleted bulk =
      SETTLED__V1__BULK_SETTLEMENT_COMPLETED__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

  t->ev = ev;
  t->bulk = bulk;
  t->ts = ts;
  t->ts.seconds = ts_s;
  t->ts.nanos = 5;
  t->bulk.total_buying_power_released = "1234.50";
  t->bulk.execution_plan_id = (char *)plan;
  t->bulk.timed_out = 1;
  t->ev.event_id = "evt-1";
  t->ev.correlation_id = "corr-1";
  t->ev.source_module = "exec.settlement";
  t->ev.plan_id = (char *)plan;
  t->ev.schema_version = "1.0.0";
  t->ev.timestamp = &t->ts;
  t->ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_BULK_SETTLEMENT_COMPLETED;
  t->ev.bulk_settlement_completed = &t->bulk;
}

/* Appends a BulkSettlementCompleted event of plan; returns its sequence. */
static uint64_t append(st_journal *j, const char *plan, const char *key,
                       int64_t ts_s, st_err want) {
  test_event t;

  make_event(&t, plan, ts_s);
  CU_ASSERT_EQUAL(st_journal_append(j, &t.ev, key), want);
  return t.ev.sequence;
}

static void make_exec(st_exec_row *r, const char *plan, int status) {
  memset(r, 0, sizeof(*r));
  snprintf(r->plan_id, sizeof(r->plan_id), "%s", plan);
  snprintf(r->correlation_id, sizeof(r->correlation_id), "corr-%s", plan);
  snprintf(r->plan_hash, sizeof(r->plan_hash), "hash-%s", plan);
  r->status = status;
  r->phase = 1;
  r->created_ns = 100;
  r->updated_ns = 200;
  r->expires_ns = 300;
}

static void insert_exec(st_journal *j, const char *plan, int status) {
  st_exec_row r;

  make_exec(&r, plan, status);
  CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_OK);
}

/* Collects the sequences read, and stops after stop_at rows (0: never). */
typedef struct collect {
  uint64_t seqs[1024];
  size_t n;
  size_t stop_at;
  st_journal *j; /* When set, the callback calls the journal. */
} collect;

static int collect_fn(void *ud, const st_event_row *row) {
  collect *c = ud;

  if (c->n < 1024) {
    c->seqs[c->n] = row->seq;
  }
  c->n++;
  if (c->j != NULL) {
    CU_ASSERT(st_journal_last_seq(c->j) >= row->seq);
  }
  return c->stop_at > 0 && c->n >= c->stop_at;
}

static void test_create_reopen(void) {
  st_journal *j;
  st_exec_row r;
  char ns[9];

  new_dir();
  j = open_journal("j.db");
  snprintf(ns, sizeof(ns), "%s", st_journal_namespace(j));
  CU_ASSERT_EQUAL(strlen(ns), 8);
  CU_ASSERT_EQUAL(strspn(ns, "0123456789abcdef"), 8);
  insert_exec(j, "plan-1", 2);
  CU_ASSERT_EQUAL(append(j, "plan-1", NULL, 1, ST_OK), 1);
  st_journal_close(j);

  j = open_journal("j.db");
  CU_ASSERT_STRING_EQUAL(st_journal_namespace(j), ns);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "plan-1", &r), ST_OK);
  CU_ASSERT_STRING_EQUAL(r.correlation_id, "corr-plan-1");
  st_exec_row_clear(&r);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 1);
  st_journal_close(j);

  /* Another journal gets another namespace (with near certainty). */
  j = open_journal("other.db");
  CU_ASSERT_STRING_NOT_EQUAL(st_journal_namespace(j), ns);
  st_journal_close(j);
  st_journal_close(NULL);
  check_live();
}

static void test_exec(void) {
  static const uint8_t req[] = {1, 2, 3, 0, 4};
  static const uint8_t res[] = {9, 8};
  const int running[] = {1, 2};
  const int done[] = {3};
  st_exec_row r, *rows;
  st_journal *j;
  size_t n;
  char id[16];

  new_dir();
  j = open_journal("j.db");
  for (int i = 1; i <= 5; i++) {
    snprintf(id, sizeof(id), "p%d", i);
    make_exec(&r, id, i % 2 == 0 ? 2 : 3);
    r.request = (uint8_t *)req;
    r.request_len = sizeof(req);
    CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_OK);
    CU_ASSERT_EQUAL(r.arrival, i);
  }
  make_exec(&r, "p3", 1);
  CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_EEXIST);
  make_exec(&r, "", 1);
  CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_EINVAL);
  /* The refused insert did not use an arrival number. */
  make_exec(&r, "p6", 1);
  CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_OK);
  CU_ASSERT_EQUAL(r.arrival, 6);

  CU_ASSERT_EQUAL(st_journal_exec_get(j, "p2", &r), ST_OK);
  CU_ASSERT_STRING_EQUAL(r.plan_id, "p2");
  CU_ASSERT_STRING_EQUAL(r.plan_hash, "hash-p2");
  CU_ASSERT_EQUAL(r.arrival, 2);
  CU_ASSERT_EQUAL(r.status, 2);
  CU_ASSERT_EQUAL(r.phase, 1);
  CU_ASSERT_EQUAL(r.created_ns, 100);
  CU_ASSERT_EQUAL(r.updated_ns, 200);
  CU_ASSERT_EQUAL(r.expires_ns, 300);
  CU_ASSERT_EQUAL_FATAL(r.request_len, sizeof(req));
  CU_ASSERT_EQUAL(memcmp(r.request, req, sizeof(req)), 0);
  CU_ASSERT_PTR_NULL(r.result);
  st_exec_row_clear(&r);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "nope", &r), ST_ENOTFOUND);

  CU_ASSERT_EQUAL(st_journal_exec_update(j, "p2", 5, 2, 999, res, sizeof(res)),
                  ST_OK);
  CU_ASSERT_EQUAL(st_journal_exec_update(j, "p2", 6, 3, 1000, NULL, 0), ST_OK);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "p2", &r), ST_OK);
  CU_ASSERT_EQUAL(r.status, 6);
  CU_ASSERT_EQUAL(r.phase, 3);
  CU_ASSERT_EQUAL(r.updated_ns, 1000);
  CU_ASSERT_EQUAL_FATAL(r.result_len, sizeof(res));
  CU_ASSERT_EQUAL(memcmp(r.result, res, sizeof(res)), 0);
  st_exec_row_clear(&r);
  /* An empty (non-NULL) result is stored as empty, not as absent. */
  CU_ASSERT_EQUAL(st_journal_exec_update(j, "p4", 3, 0, 1, res, 0), ST_OK);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "p4", &r), ST_OK);
  CU_ASSERT_PTR_NOT_NULL(r.result);
  CU_ASSERT_EQUAL(r.result_len, 0);
  st_exec_row_clear(&r);
  CU_ASSERT_EQUAL(st_journal_exec_update(j, "nope", 3, 0, 1, NULL, 0),
                  ST_ENOTFOUND);

  /* Statuses now: p1 3, p2 6, p3 3, p4 3, p5 3, p6 1. */
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 0, 0, NULL, 0, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 6);
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL(rows[i].arrival, (int64_t)(6 - i));
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 0, 2, NULL, 0, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_STRING_EQUAL(rows[0].plan_id, "p6");
  CU_ASSERT_STRING_EQUAL(rows[1].plan_id, "p5");
  CU_ASSERT_EQUAL_FATAL(rows[1].request_len, sizeof(req));
  for (size_t i = 0; i < n; i++) {
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 5, 2, NULL, 0, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_STRING_EQUAL(rows[0].plan_id, "p4");
  CU_ASSERT_STRING_EQUAL(rows[1].plan_id, "p3");
  for (size_t i = 0; i < n; i++) {
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 0, 10, running, 2, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_STRING_EQUAL(rows[0].plan_id, "p6");
  st_exec_row_clear(&rows[0]);
  st_free(rows);
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 4, 10, done, 1, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_STRING_EQUAL(rows[0].plan_id, "p3");
  CU_ASSERT_STRING_EQUAL(rows[1].plan_id, "p1");
  for (size_t i = 0; i < n; i++) {
    st_exec_row_clear(&rows[i]);
  }
  st_free(rows);
  CU_ASSERT_EQUAL(st_journal_exec_list(j, 1, 10, NULL, 0, &rows, &n), ST_OK);
  CU_ASSERT_EQUAL(n, 0);
  st_free(rows);
  st_journal_close(j);
  check_live();
}

static void make_intent(st_intent *in, const char *coid, const char *plan,
                        int chain, int attempt) {
  memset(in, 0, sizeof(*in));
  snprintf(in->client_order_id, sizeof(in->client_order_id), "%s", coid);
  snprintf(in->plan_id, sizeof(in->plan_id), "%s", plan);
  snprintf(in->symbol, sizeof(in->symbol), "AAPL");
  snprintf(in->qty, sizeof(in->qty), "10");
  snprintf(in->limit_price, sizeof(in->limit_price), "100.05");
  snprintf(in->filled_qty, sizeof(in->filled_qty), "0");
  in->side = 2;
  in->chain = chain;
  in->attempt = attempt;
  in->type = 1;
  in->created_ns = 7;
  in->updated_ns = 8;
}

static void test_intents(void) {
  st_intent in, *all;
  st_journal *j;
  size_t n;

  new_dir();
  j = open_journal("j.db");
  make_intent(&in, "c-1-1", "A", 1, 1);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  make_intent(&in, "c-0-1", "A", 0, 1);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  make_intent(&in, "c-1-0", "A", 1, 0);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  make_intent(&in, "c-0-0", "A", 0, 0);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  make_intent(&in, "b-0-0", "B", 0, 0);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);

  /* Replace: the broker acknowledged c-0-0. */
  make_intent(&in, "c-0-0", "A", 0, 0);
  in.state = ST_INTENT_SENT;
  snprintf(in.broker_id, sizeof(in.broker_id), "broker-77");
  snprintf(in.filled_qty, sizeof(in.filled_qty), "4");
  snprintf(in.filled_avg_price, sizeof(in.filled_avg_price), "100.01");
  in.status = 3;
  in.updated_ns = 9;
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);

  memset(&in, 0, sizeof(in));
  CU_ASSERT_EQUAL(st_journal_intent_get(j, "c-0-0", &in), ST_OK);
  CU_ASSERT_STRING_EQUAL(in.plan_id, "A");
  CU_ASSERT_STRING_EQUAL(in.symbol, "AAPL");
  CU_ASSERT_STRING_EQUAL(in.broker_id, "broker-77");
  CU_ASSERT_STRING_EQUAL(in.qty, "10");
  CU_ASSERT_STRING_EQUAL(in.limit_price, "100.05");
  CU_ASSERT_STRING_EQUAL(in.filled_qty, "4");
  CU_ASSERT_STRING_EQUAL(in.filled_avg_price, "100.01");
  CU_ASSERT_EQUAL(in.state, ST_INTENT_SENT);
  CU_ASSERT_EQUAL(in.side, 2);
  CU_ASSERT_EQUAL(in.type, 1);
  CU_ASSERT_EQUAL(in.status, 3);
  CU_ASSERT_EQUAL(in.created_ns, 7);
  CU_ASSERT_EQUAL(in.updated_ns, 9);
  CU_ASSERT_EQUAL(st_journal_intent_get(j, "nope", &in), ST_ENOTFOUND);

  CU_ASSERT_EQUAL(st_journal_intents_of(j, "A", &all, &n), ST_OK);
  CU_ASSERT_EQUAL_FATAL(n, 4);
  CU_ASSERT_STRING_EQUAL(all[0].client_order_id, "c-0-0");
  CU_ASSERT_STRING_EQUAL(all[1].client_order_id, "c-0-1");
  CU_ASSERT_STRING_EQUAL(all[2].client_order_id, "c-1-0");
  CU_ASSERT_STRING_EQUAL(all[3].client_order_id, "c-1-1");
  st_free(all);
  CU_ASSERT_EQUAL(st_journal_intents_of(j, "none", &all, &n), ST_OK);
  CU_ASSERT_EQUAL(n, 0);
  st_free(all);
  st_journal_close(j);
  check_live();
}

static void test_fill_seen(void) {
  st_journal *j;

  new_dir();
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-1", "o-1"), ST_OK);
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-1", "o-1"), ST_EEXIST);
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-2", "o-1"), ST_OK);
  st_journal_close(j);
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-1", "o-1"), ST_EEXIST);
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-2", "o-1"), ST_EEXIST);
  CU_ASSERT_EQUAL(st_journal_fill_seen(j, "fill-3", "o-2"), ST_OK);
  st_journal_close(j);
  check_live();
}

/* Unpacks every body read and checks it against the row. */
typedef struct bodies {
  size_t n;
  int ok;
  char type[64];
} bodies;

static int body_fn(void *ud, const st_event_row *row) {
  bodies *b = ud;
  Settled__V1__Event *ev;

  ev = settled__v1__event__unpack(&st_pbc_allocator, row->len, row->body);
  b->n++;
  if (ev == NULL) {
    b->ok = 0;
    return 1;
  }
  if (ev->sequence != row->seq || strcmp(ev->plan_id, row->plan_id) != 0 ||
      strcmp(ev->event_type, row->type) != 0 ||
      strcmp(ev->correlation_id, row->correlation_id) != 0 ||
      ev->timestamp == NULL ||
      row->ts_ns !=
          ev->timestamp->seconds * ST_NS_PER_SEC + ev->timestamp->nanos) {
    b->ok = 0;
  }
  snprintf(b->type, sizeof(b->type), "%s", row->type);
  if (ev->payload_case ==
      SETTLED__V1__EVENT__PAYLOAD_BULK_SETTLEMENT_COMPLETED) {
    Settled__V1__BulkSettlementCompleted *bulk = ev->bulk_settlement_completed;

    if (strcmp(bulk->total_buying_power_released, "1234.50") != 0 ||
        strcmp(bulk->execution_plan_id, row->plan_id) != 0 ||
        !bulk->timed_out || strcmp(ev->source_module, "exec.settlement") != 0 ||
        strcmp(ev->schema_version, "1.0.0") != 0 ||
        strcmp(ev->event_id, "evt-1") != 0) {
      b->ok = 0;
    }
  }
  settled__v1__event__free_unpacked(ev, &st_pbc_allocator);
  return 0;
}

static void test_append(void) {
  Settled__V1__ExecutionNotice note = SETTLED__V1__EXECUTION_NOTICE__INIT;
  bodies b = {0, 1, ""};
  test_event t;
  st_journal *j;
  uint64_t last;

  new_dir();
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 0);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 0);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 1);
  CU_ASSERT_EQUAL(append(j, "A", "", 1, ST_OK), 2);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 3);
  CU_ASSERT_EQUAL(append(j, "A", "step-1", 1, ST_OK), 4);
  CU_ASSERT_EQUAL(append(j, "A", "step-1", 2, ST_EEXIST), 4);
  CU_ASSERT_EQUAL(append(j, "B", "step-1", 2, ST_OK), 5);
  CU_ASSERT_EQUAL(append(j, "A", "step-2", 2, ST_OK), 6);
  CU_ASSERT_EQUAL(append(j, "A", "step-1", 3, ST_EEXIST), 4);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 6);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 1);

  make_event(&t, "A", 3);
  CU_ASSERT_EQUAL(st_journal_append(j, &t.ev, NULL), ST_OK);
  CU_ASSERT_EQUAL(t.ev.sequence, 7);
  CU_ASSERT_STRING_EQUAL(t.ev.event_type, "BulkSettlementCompleted");

  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, body_fn, &b, &last), ST_OK);
  CU_ASSERT_EQUAL(b.n, 7);
  CU_ASSERT_EQUAL(last, 7);
  CU_ASSERT(b.ok);
  CU_ASSERT_STRING_EQUAL(b.type, "BulkSettlementCompleted");

  /* Another payload, and an explicit event_type, are kept as given. */
  make_event(&t, "A", 4);
  t.ev.payload_case = SETTLED__V1__EVENT__PAYLOAD_EXECUTION_NOTICE;
  t.ev.execution_notice = &note;
  note.code = "no_quote";
  CU_ASSERT_EQUAL(st_journal_append(j, &t.ev, NULL), ST_OK);
  CU_ASSERT_STRING_EQUAL(t.ev.event_type, "ExecutionNotice");
  make_event(&t, "A", 4);
  t.ev.event_type = "Custom";
  CU_ASSERT_EQUAL(st_journal_append(j, &t.ev, NULL), ST_OK);
  CU_ASSERT_STRING_EQUAL(t.ev.event_type, "Custom");
  b.n = 0;
  CU_ASSERT_EQUAL(st_journal_read(j, 7, 1, NULL, body_fn, &b, &last), ST_OK);
  CU_ASSERT_EQUAL(b.n, 1);
  CU_ASSERT_EQUAL(last, 8);
  CU_ASSERT_STRING_EQUAL(b.type, "ExecutionNotice");
  CU_ASSERT_EQUAL(st_journal_read(j, 8, 0, NULL, body_fn, &b, &last), ST_OK);
  CU_ASSERT_STRING_EQUAL(b.type, "Custom");
  CU_ASSERT(b.ok);

  /* Without a timestamp the row gets the time of the append. */
  make_event(&t, "A", 4);
  t.ev.timestamp = NULL;
  CU_ASSERT_EQUAL(st_journal_append(j, &t.ev, NULL), ST_OK);
  CU_ASSERT_EQUAL(t.ev.sequence, 10);
  CU_ASSERT_EQUAL(st_journal_append(j, NULL, NULL), ST_EINVAL);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 10);
  st_journal_close(j);
  check_live();
}

static void test_read(void) {
  collect *c;
  st_journal *j;
  uint64_t last;

  new_dir();
  c = st_calloc(1, sizeof(*c));
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  j = open_journal("j.db");
  for (int i = 1; i <= 150; i++) {
    append(j, i % 3 == 0 ? "B" : "A", NULL, i, ST_OK);
  }
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, &last), ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, 150);
  for (size_t i = 0; i < c->n; i++) {
    CU_ASSERT_EQUAL(c->seqs[i], i + 1);
  }
  CU_ASSERT_EQUAL(last, 150);

  memset(c, 0, sizeof(*c));
  CU_ASSERT_EQUAL(st_journal_read(j, 3, 4, NULL, collect_fn, c, &last), ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, 4);
  CU_ASSERT_EQUAL(c->seqs[0], 4);
  CU_ASSERT_EQUAL(c->seqs[3], 7);
  CU_ASSERT_EQUAL(last, 7);

  memset(c, 0, sizeof(*c));
  CU_ASSERT_EQUAL(st_journal_read(j, 10, 100, "B", collect_fn, c, &last),
                  ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, 47); /* 12, 15, ..., 150. */
  CU_ASSERT_EQUAL(c->seqs[0], 12);
  CU_ASSERT_EQUAL(c->seqs[46], 150);
  CU_ASSERT_EQUAL(last, 150);

  /* Early stop, and a callback that calls the journal. */
  memset(c, 0, sizeof(*c));
  c->stop_at = 70;
  c->j = j;
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, &last), ST_OK);
  CU_ASSERT_EQUAL(c->n, 70);
  CU_ASSERT_EQUAL(last, 70);

  memset(c, 0, sizeof(*c));
  CU_ASSERT_EQUAL(st_journal_read(j, 150, 0, NULL, collect_fn, c, &last),
                  ST_OK);
  CU_ASSERT_EQUAL(c->n, 0);
  CU_ASSERT_EQUAL(last, 150);
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, "none", collect_fn, c, &last),
                  ST_OK);
  CU_ASSERT_EQUAL(c->n, 0);
  CU_ASSERT_EQUAL(last, 0);
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, NULL), ST_OK);
  CU_ASSERT_EQUAL(c->n, 150);
  st_journal_close(j);
  st_free(c);
  check_live();
}

static void test_prune(void) {
  collect *c;
  st_journal *j;
  uint64_t deleted, last;

  new_dir();
  c = st_calloc(1, sizeof(*c));
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  j = open_journal("j.db");
  insert_exec(j, "P", 2); /* RUNNING: its events are kept. */
  insert_exec(j, "Q", 3); /* SUCCESS. */
  for (int i = 1; i <= 10; i++) {
    append(j, i % 2 == 1 ? "P" : "Q", NULL, i, ST_OK);
  }
  CU_ASSERT_EQUAL(st_journal_prune(j, 0, 0, &deleted), ST_OK);
  CU_ASSERT_EQUAL(deleted, 0);
  CU_ASSERT_EQUAL(st_journal_pruned_seq(j), 0);

  /* At most 6: Q's 2, 4, 6, 8 go; P's odd ones stay. */
  CU_ASSERT_EQUAL(st_journal_prune(j, 6, 0, &deleted), ST_OK);
  CU_ASSERT_EQUAL(deleted, 4);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 1);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 10);
  CU_ASSERT_EQUAL(st_journal_pruned_seq(j), 8);
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, &last), ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, 6);
  CU_ASSERT_EQUAL(c->seqs[0], 1);
  CU_ASSERT_EQUAL(c->seqs[4], 9);
  CU_ASSERT_EQUAL(c->seqs[5], 10);
  CU_ASSERT_EQUAL(append(j, "Q", NULL, 11, ST_OK), 11);

  /* By age: older than 10.5 s, only unprotected ones (Q's 10). */
  CU_ASSERT_EQUAL(st_journal_prune(j, 0, 10 * ST_NS_PER_SEC + 500, &deleted),
                  ST_OK);
  CU_ASSERT_EQUAL(deleted, 1);
  CU_ASSERT_EQUAL(st_journal_pruned_seq(j), 10);
  /* P ends: its events may go now. */
  CU_ASSERT_EQUAL(st_journal_exec_update(j, "P", 3, 0, 1, NULL, 0), ST_OK);
  CU_ASSERT_EQUAL(st_journal_prune(j, 0, 10 * ST_NS_PER_SEC + 500, NULL),
                  ST_OK);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 11);
  st_journal_close(j);

  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 11);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 11);
  CU_ASSERT_EQUAL(append(j, "Q", NULL, 12, ST_OK), 12);
  CU_ASSERT_EQUAL(st_journal_prune(j, 0, INT64_MAX, &deleted), ST_OK);
  CU_ASSERT_EQUAL(deleted, 2);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 0);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 12);
  CU_ASSERT_EQUAL(st_journal_pruned_seq(j), 12);
  st_journal_close(j);
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(append(j, "Q", NULL, 13, ST_OK), 13);
  CU_ASSERT_EQUAL(st_journal_oldest_seq(j), 13);
  st_journal_close(j);
  st_free(c);
  check_live();
}

static void test_transaction(void) {
  collect *c;
  st_exec_row r;
  st_journal *j;
  st_intent in;

  new_dir();
  c = st_calloc(1, sizeof(*c));
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_commit(j), ST_EPRECOND);
  st_journal_rollback(j); /* No transaction: nothing happens. */
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 1);

  CU_ASSERT_EQUAL(st_journal_begin(j), ST_OK);
  CU_ASSERT_EQUAL(st_journal_begin(j), ST_EPRECOND);
  insert_exec(j, "A", 2);
  make_exec(&r, "A", 2);
  CU_ASSERT_EQUAL(st_journal_exec_insert(j, &r), ST_EEXIST);
  make_intent(&in, "c-1", "A", 0, 0);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  CU_ASSERT_EQUAL(append(j, "A", "k", 1, ST_OK), 2);
  CU_ASSERT_EQUAL(append(j, "A", "k", 1, ST_EEXIST), 2);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 3);
  /* The owner sees its own writes, and does not deadlock reading them. */
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 3);
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, NULL), ST_OK);
  CU_ASSERT_EQUAL(c->n, 3);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "A", &r), ST_OK);
  st_exec_row_clear(&r);
  st_journal_rollback(j);

  CU_ASSERT_EQUAL(st_journal_exec_get(j, "A", &r), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_journal_intent_get(j, "c-1", &in), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 1);
  /* The numbers of the rolled-back events are assigned again. */
  CU_ASSERT_EQUAL(append(j, "A", "k", 1, ST_OK), 2);

  CU_ASSERT_EQUAL(st_journal_begin(j), ST_OK);
  insert_exec(j, "A", 2);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 3);
  CU_ASSERT_EQUAL(st_journal_commit(j), ST_OK);
  CU_ASSERT_EQUAL(st_journal_commit(j), ST_EPRECOND);
  st_journal_close(j);

  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 3);
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "A", &r), ST_OK);
  CU_ASSERT_EQUAL(r.arrival, 1); /* The rolled-back arrival came back too. */
  st_exec_row_clear(&r);
  memset(c, 0, sizeof(*c));
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, NULL), ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, 3);
  CU_ASSERT_EQUAL(c->seqs[2], 3);
  st_journal_close(j);
  st_free(c);
  check_live();
}

#define THREADS 4
#define PER_THREAD 100

static void *append_many(void *arg) {
  st_journal *j = arg;
  test_event t;
  int fails = 0;

  for (int i = 0; i < PER_THREAD; i++) {
    make_event(&t, "T", i);
    if (st_journal_append(j, &t.ev, NULL) != ST_OK) {
      fails++;
    }
  }
  return (void *)(intptr_t)fails;
}

static void test_threads(void) {
  collect *c;
  pthread_t th[THREADS];
  bodies b = {0, 1, ""};
  st_journal *j;
  void *ret;

  new_dir();
  c = st_calloc(1, sizeof(*c));
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  j = open_journal("j.db");
  for (int i = 0; i < THREADS; i++) {
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, append_many, j), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], &ret);
    CU_ASSERT_EQUAL(ret, NULL);
  }
  CU_ASSERT_EQUAL(st_journal_last_seq(j), THREADS * PER_THREAD);
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, collect_fn, c, NULL), ST_OK);
  CU_ASSERT_EQUAL_FATAL(c->n, THREADS * PER_THREAD);
  for (size_t i = 0; i < c->n; i++) {
    CU_ASSERT_EQUAL(c->seqs[i], i + 1);
  }
  /* Each stored body carries its own sequence. */
  CU_ASSERT_EQUAL(st_journal_read(j, 0, 0, NULL, body_fn, &b, NULL), ST_OK);
  CU_ASSERT(b.ok);
  st_journal_close(j);
  st_free(c);
  check_live();
}

typedef struct waiter {
  st_journal *j;
  atomic_int done;
  uint64_t seq;
} waiter;

static void *append_one(void *arg) {
  waiter *w = arg;
  test_event t;

  make_event(&t, "W", 1);
  if (st_journal_append(w->j, &t.ev, NULL) == ST_OK) {
    w->seq = t.ev.sequence;
  }
  atomic_store(&w->done, 1);
  return NULL;
}

static void test_tx_blocks_others(void) {
  waiter w = {NULL, 0, 0};
  pthread_t th;
  st_journal *j;

  new_dir();
  j = open_journal("j.db");
  w.j = j;
  CU_ASSERT_EQUAL_FATAL(st_journal_begin(j), ST_OK);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 1);
  CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, append_one, &w), 0);
  st_sleep_ms(200);
  CU_ASSERT_EQUAL(atomic_load(&w.done), 0);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 2);
  CU_ASSERT_EQUAL(st_journal_commit(j), ST_OK);
  pthread_join(th, NULL);
  CU_ASSERT_EQUAL(atomic_load(&w.done), 1);
  CU_ASSERT_EQUAL(w.seq, 3);

  /* A rollback lets the waiter in too, and its number fills the gap. */
  w.done = 0;
  w.seq = 0;
  CU_ASSERT_EQUAL_FATAL(st_journal_begin(j), ST_OK);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 4);
  CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, append_one, &w), 0);
  st_sleep_ms(100);
  CU_ASSERT_EQUAL(atomic_load(&w.done), 0);
  st_journal_rollback(j);
  pthread_join(th, NULL);
  CU_ASSERT_EQUAL(w.seq, 4);
  st_journal_close(j);
  check_live();
}

static void test_not_a_journal(void) {
  char junk[8192];
  st_errbuf eb = {{0}};
  st_journal *j = (st_journal *)&eb;
  sqlite3 *db;
  sqlite3_stmt *s;
  FILE *f;

  new_dir();
  for (size_t i = 0; i < sizeof(junk); i++) {
    junk[i] = (char)(i * 7 + 3);
  }
  f = fopen(path_of("junk.db"), "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fwrite(junk, 1, sizeof(junk), f);
  fclose(f);
  CU_ASSERT_EQUAL(st_journal_open(path_of("junk.db"), &j, &eb), ST_EIO);
  CU_ASSERT_PTR_NULL(j);
  CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "not a settled journal"));

  /* A SQLite database of someone else: refused, and left as it was. */
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
  CU_ASSERT_EQUAL(
      sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)", NULL,
                   NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  memset(&eb, 0, sizeof(eb));
  CU_ASSERT_EQUAL(st_journal_open(path_of("other.db"), &j, &eb), ST_EIO);
  CU_ASSERT_PTR_NULL(j);
  CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "not a settled journal"));
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path_of("other.db"), &db), SQLITE_OK);
  CU_ASSERT_EQUAL(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL),
                  SQLITE_OK);
  CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
  CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(s, 0), "delete");
  sqlite3_finalize(s);
  sqlite3_close(db);

  memset(&eb, 0, sizeof(eb));
  CU_ASSERT_EQUAL(st_journal_open(path_of("no/such/dir.db"), &j, &eb), ST_EIO);
  CU_ASSERT_PTR_NULL(j);
  CU_ASSERT(eb.msg[0] != '\0');
  CU_ASSERT_EQUAL(st_journal_open("", &j, NULL), ST_EINVAL);

  /* An empty file becomes a journal. */
  f = fopen(path_of("empty.db"), "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fclose(f);
  j = open_journal("empty.db");
  st_journal_close(j);
  check_live();
}

static void test_crash(void) {
  st_exec_row r;
  st_journal *j;
  st_intent in;
  pid_t pid;
  int status = 0;

  new_dir();
  pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    st_journal *cj = NULL;
    st_exec_row cr;
    st_intent ci;
    test_event t;

    if (st_journal_open(path_of("j.db"), &cj, NULL) != ST_OK) {
      _exit(2);
    }
    make_exec(&cr, "A", 2);
    make_event(&t, "A", 1);
    if (st_journal_exec_insert(cj, &cr) != ST_OK ||
        st_journal_append(cj, &t.ev, "started") != ST_OK ||
        st_journal_begin(cj) != ST_OK) {
      _exit(3);
    }
    make_intent(&ci, "c-1", "A", 0, 0);
    make_event(&t, "A", 2);
    if (st_journal_intent_put(cj, &ci) != ST_OK ||
        st_journal_append(cj, &t.ev, NULL) != ST_OK) {
      _exit(4);
    }
    _exit(0); /* Dies with the transaction open, without closing. */
  }
  CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_exec_get(j, "A", &r), ST_OK);
  st_exec_row_clear(&r);
  CU_ASSERT_EQUAL(st_journal_intent_get(j, "c-1", &in), ST_ENOTFOUND);
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 1);
  CU_ASSERT_EQUAL(append(j, "A", "started", 1, ST_EEXIST), 1);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 2);

  /* Closing with a transaction open rolls it back. */
  CU_ASSERT_EQUAL_FATAL(st_journal_begin(j), ST_OK);
  CU_ASSERT_EQUAL(append(j, "A", NULL, 1, ST_OK), 3);
  make_intent(&in, "c-2", "A", 0, 0);
  CU_ASSERT_EQUAL(st_journal_intent_put(j, &in), ST_OK);
  st_journal_close(j);
  j = open_journal("j.db");
  CU_ASSERT_EQUAL(st_journal_last_seq(j), 2);
  CU_ASSERT_EQUAL(st_journal_intent_get(j, "c-2", &in), ST_ENOTFOUND);
  st_journal_close(j);
  check_live();
}

static const st_test tests[] = {
    {"create_reopen", test_create_reopen},
    {"exec", test_exec},
    {"intents", test_intents},
    {"fill_seen", test_fill_seen},
    {"append", test_append},
    {"read", test_read},
    {"prune", test_prune},
    {"transaction", test_transaction},
    {"threads", test_threads},
    {"tx_blocks_others", test_tx_blocks_others},
    {"not_a_journal", test_not_a_journal},
    {"crash", test_crash},
    {NULL, NULL},
};

ST_TEST_MAIN("journal", tests)
