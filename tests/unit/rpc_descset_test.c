/* rpc_descset_test.c - descriptor-set walking, UTF-8 checks and status
 * mapping of the rpc layer. */
#include <string.h>

#include "server/rpc/descset.h"
#include "server/rpc/status.h"
#include "server/rpc/utf8.h"
#include "server/util/alloc.h"
#include "settled/v1/execution.pb-c.h"
#include "tests/unit/cunit_main.h"

extern const unsigned char st_descriptor_set[];
extern const size_t st_descriptor_set_len;

static st_descset *load(void) {
  st_descset *ds = NULL;
  st_errbuf eb;

  CU_ASSERT_EQUAL_FATAL(
      st_descset_load(st_descriptor_set, st_descriptor_set_len, &ds, &eb),
      ST_OK);
  return ds;
}

static void test_files_and_deps(void) {
  st_descset *ds = load();
  long plan = st_descset_find_file(ds, "settled/v1/plan.proto");
  size_t order[64], n;
  int has_ts = 0, has_types = 0;

  CU_ASSERT(plan >= 0);
  CU_ASSERT(st_descset_find_file(ds, "grpc/health/v1/health.proto") >= 0);
  CU_ASSERT(st_descset_find_file(ds, "google/protobuf/timestamp.proto") >= 0);
  CU_ASSERT_EQUAL(st_descset_find_file(ds, "nope.proto"), -1);
  CU_ASSERT_FATAL(st_descset_nfiles(ds) <= 64);
  n = st_descset_closure(ds, (size_t)plan, order);
  CU_ASSERT_EQUAL(order[0], (size_t)plan);
  for (size_t i = 0; i < n; i++) {
    const char *name = st_descset_file(ds, order[i])->name;

    has_ts |= strcmp(name, "google/protobuf/timestamp.proto") == 0;
    has_types |= strcmp(name, "settled/v1/types.proto") == 0;
    for (size_t k = 0; k < i; k++) {
      CU_ASSERT_NOT_EQUAL(order[k], order[i]); /* Each file once. */
    }
  }
  CU_ASSERT(has_ts && has_types);
  st_descset_free(ds);
}

static void test_symbols(void) {
  st_descset *ds = load();
  long events = st_descset_find_file(ds, "settled/v1/events.proto");
  long types = st_descset_find_file(ds, "settled/v1/types.proto");
  long exec = st_descset_find_file(ds, "settled/v1/execution.proto");

  /* Messages, nested map entries, enums, enum values, fields, oneofs,
   * services and methods all resolve to their file. */
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.Event"), events);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, ".settled.v1.Event"), events);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds,
                                         "settled.v1.BulkSettlementCompleted."
                                         "SettlementDetailsEntry"),
                  events);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.Event.payload"),
                  events);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.TradeAction"), types);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.TRADE_ACTION_BUY"),
                  types);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.Executor"), exec);
  CU_ASSERT_EQUAL(
      st_descset_find_symbol(ds, "settled.v1.Executor.SubscribeEvents"), exec);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.Quote.bid_price"),
                  types);
  CU_ASSERT(st_descset_find_symbol(
                ds, "grpc.health.v1.HealthCheckResponse.ServingStatus") >= 0);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1.Nope"), -1);
  CU_ASSERT_EQUAL(st_descset_find_symbol(ds, "settled.v1"), -1);
  st_descset_free(ds);
}

static void test_method_table(void) {
  st_descset *ds = load();
  const st_ds_method *m;
  int services = 0;

  m = st_descset_find_method(ds, "/settled.v1.Executor/ExecutePlan");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(m->input_type, "settled.v1.ExecutePlanRequest");
  CU_ASSERT_STRING_EQUAL(m->output_type, "settled.v1.ExecutionResult");
  CU_ASSERT_STRING_EQUAL(m->service, "settled.v1.Executor");
  CU_ASSERT(!m->client_streaming && !m->server_streaming);
  m = st_descset_find_method(ds, "/settled.v1.Executor/SubscribeEvents");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT(!m->client_streaming && m->server_streaming);
  m = st_descset_find_method(
      ds, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT(m->client_streaming && m->server_streaming);
  m = st_descset_find_method(ds, "/grpc.health.v1.Health/Watch");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT(m->server_streaming);
  CU_ASSERT_PTR_NULL(st_descset_find_method(ds, "/settled.v1.Executor/Nope"));
  for (size_t i = 0; i < st_descset_nservices(ds); i++) {
    const char *s = st_descset_service(ds, i);

    services += strcmp(s, "settled.v1.Executor") == 0 ||
                strcmp(s, "settled.v1.Pricing") == 0 ||
                strcmp(s, "settled.v1.Account") == 0 ||
                strcmp(s, "grpc.health.v1.Health") == 0;
  }
  CU_ASSERT_EQUAL(services, 4);
  /* Every method's request type matches the protobuf-c descriptor. */
  m = st_descset_find_method(ds, "/settled.v1.Executor/GetExecution");
  CU_ASSERT_STRING_EQUAL(m->input_type,
                         settled__v1__get_execution_request__descriptor.name);
  st_descset_free(ds);
}

static void test_bad_sets(void) {
  st_descset *ds = NULL;
  st_errbuf eb;
  const uint8_t junk[] = {0x12, 0x03, 'a', 'b', 'c'};
  const uint8_t truncated[] = {0x0a, 0x10, 0x0a};
  /* A file that imports a file missing from the set. */
  const uint8_t orphan[] = {0x0a, 0x0c, 0x0a, 0x03, 'a', '.', 'p',
                            0x1a, 0x05, 'b',  '.',  'p', 'r', 'o'};
  long live = st_alloc_live();

  CU_ASSERT_EQUAL(st_descset_load(junk, sizeof(junk), &ds, &eb), ST_EPROTO);
  CU_ASSERT_PTR_NULL(ds);
  CU_ASSERT_EQUAL(st_descset_load(truncated, sizeof(truncated), &ds, &eb),
                  ST_EPROTO);
  CU_ASSERT_EQUAL(st_descset_load(orphan, sizeof(orphan), &ds, &eb), ST_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "b.pro"));
  CU_ASSERT_EQUAL(st_descset_load(NULL, 0, &ds, &eb), ST_OK);
  CU_ASSERT_EQUAL(st_descset_nfiles(ds), 0);
  st_descset_free(ds);
  CU_ASSERT_EQUAL(st_alloc_live(), live);
}

static void test_utf8(void) {
  CU_ASSERT(st_utf8_valid("", 0));
  CU_ASSERT(st_utf8_valid("AAPL", 4));
  CU_ASSERT(st_utf8_valid("\xc3\xa9", 2));         /* é */
  CU_ASSERT(st_utf8_valid("\xe2\x82\xac", 3));     /* € */
  CU_ASSERT(st_utf8_valid("\xf0\x9f\x9a\x80", 4)); /* rocket */
  CU_ASSERT(!st_utf8_valid("\xc3\x28", 2));
  CU_ASSERT(!st_utf8_valid("\xc3", 1));             /* truncated */
  CU_ASSERT(!st_utf8_valid("\xc0\xaf", 2));         /* overlong */
  CU_ASSERT(!st_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
  CU_ASSERT(!st_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
  CU_ASSERT(!st_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  CU_ASSERT(!st_utf8_valid("\xff", 1));
  CU_ASSERT(!st_utf8_valid("\xe2\x82", 2));
}

static void test_utf8_message(void) {
  Settled__V1__ExecutePlanRequest req = SETTLED__V1__EXECUTE_PLAN_REQUEST__INIT;
  Settled__V1__RebalancePlan plan = SETTLED__V1__REBALANCE_PLAN__INIT;
  Settled__V1__RebalancePlanItem item = SETTLED__V1__REBALANCE_PLAN_ITEM__INIT;
  Settled__V1__RebalancePlanItem *items[] = {&item};
  Settled__V1__RebalancePlan__MetadataEntry meta =
      SETTLED__V1__REBALANCE_PLAN__METADATA_ENTRY__INIT;
  Settled__V1__RebalancePlan__MetadataEntry *metas[] = {&meta};
  char path[128];

  req.plan = &plan;
  plan.plan_id = "p1";
  plan.n_items = 1;
  plan.items = items;
  item.symbol = "AAPL";
  CU_ASSERT(st_utf8_check_message(&req.base, path, sizeof(path)));
  item.symbol = "AA\xffPL";
  CU_ASSERT(!st_utf8_check_message(&req.base, path, sizeof(path)));
  CU_ASSERT_STRING_EQUAL(path, "plan.items.symbol");
  item.symbol = "AAPL";
  meta.key = "k";
  meta.value = "\xc3\x28";
  plan.n_metadata = 1;
  plan.metadata = metas;
  CU_ASSERT(!st_utf8_check_message(&req.base, path, sizeof(path)));
  CU_ASSERT_STRING_EQUAL(path, "plan.metadata.value");
}

static void test_status_mapping(void) {
  CU_ASSERT_EQUAL(st_status_from_err(ST_OK), GRPC_STATUS_OK);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EINVAL), GRPC_STATUS_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(st_status_from_err(ST_ENOTFOUND), GRPC_STATUS_NOT_FOUND);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EEXIST), GRPC_STATUS_ALREADY_EXISTS);
  CU_ASSERT_EQUAL(st_status_from_err(ST_ERANGE), GRPC_STATUS_OUT_OF_RANGE);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EOVERFLOW),
                  GRPC_STATUS_RESOURCE_EXHAUSTED);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EUNAVAIL), GRPC_STATUS_UNAVAILABLE);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EAUTH), GRPC_STATUS_UNAUTHENTICATED);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EPRECOND),
                  GRPC_STATUS_FAILED_PRECONDITION);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EUNIMPL), GRPC_STATUS_UNIMPLEMENTED);
  CU_ASSERT_EQUAL(st_status_from_err(ST_ETIMEDOUT),
                  GRPC_STATUS_DEADLINE_EXCEEDED);
  CU_ASSERT_EQUAL(st_status_from_err(ST_EINTERNAL), GRPC_STATUS_INTERNAL);
  /* Every error maps to something other than OK. */
  for (int e = 1; e < ST_ERR_COUNT; e++) {
    CU_ASSERT_NOT_EQUAL(st_status_from_err((st_err)e), GRPC_STATUS_OK);
    CU_ASSERT_STRING_NOT_EQUAL(st_strerror((st_err)e), "unknown error");
  }
  CU_ASSERT_STRING_EQUAL(st_status_name(GRPC_STATUS_INVALID_ARGUMENT),
                         "INVALID_ARGUMENT");
  CU_ASSERT_STRING_EQUAL(st_status_name((grpc_status_code)99), "UNKNOWN");
}

static const st_test tests[] = {
    {"files_and_deps", test_files_and_deps},
    {"symbols", test_symbols},
    {"method_table", test_method_table},
    {"bad_sets", test_bad_sets},
    {"utf8", test_utf8},
    {"utf8_message", test_utf8_message},
    {"status_mapping", test_status_mapping},
    {NULL, NULL},
};

ST_TEST_MAIN("rpc_descset", tests)
