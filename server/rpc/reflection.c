/* reflection.c - server reflection (v1 and v1alpha) from the descriptor
 * set. The two versions are identical on the wire, so both are decoded and
 * answered with the v1 messages. */
#include "server/rpc/reflection.h"

#include <stdio.h>
#include <string.h>

#include "grpc/reflection/v1/reflection.pb-c.h"
#include "server/util/alloc.h"

#define REQ(x) \
  GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##x
#define RESP(x) \
  GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_##x

typedef Grpc__Reflection__V1__ServerReflectionRequest req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse resp_t;

static void send_files(st_call *call, const st_descset *ds, long idx,
                       resp_t *resp) {
  Grpc__Reflection__V1__FileDescriptorResponse fdr =
      GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
  size_t nf = st_descset_nfiles(ds);
  size_t *order = st_calloc(nf, sizeof(size_t));
  ProtobufCBinaryData *bins = st_calloc(nf, sizeof(ProtobufCBinaryData));

  if (order == NULL || bins == NULL) {
    st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  /* The requested file first, then everything it imports. */
  fdr.n_file_descriptor_proto = st_descset_closure(ds, (size_t)idx, order);
  for (size_t i = 0; i < fdr.n_file_descriptor_proto; i++) {
    const st_ds_file *f = st_descset_file(ds, order[i]);

    bins[i].data = (uint8_t *)f->data;
    bins[i].len = f->len;
  }
  fdr.file_descriptor_proto = bins;
  resp->message_response_case = RESP(FILE_DESCRIPTOR_RESPONSE);
  resp->file_descriptor_response = &fdr;
  if (st_call_send(call, &resp->base, 0) == ST_EOVERFLOW) {
    st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "too many requests");
  }
out:
  st_free(order);
  st_free(bins);
}

static void send_error(st_call *call, resp_t *resp, const char *what,
                       const char *name) {
  Grpc__Reflection__V1__ErrorResponse er =
      GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
  char msg[400];

  snprintf(msg, sizeof(msg), "%s not found: %s", what, name);
  er.error_code = GRPC_STATUS_NOT_FOUND;
  er.error_message = msg;
  resp->message_response_case = RESP(ERROR_RESPONSE);
  resp->error_response = &er;
  if (st_call_send(call, &resp->base, 0) == ST_EOVERFLOW) {
    st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "too many requests");
  }
}

static void list_services(st_call *call, const st_descset *ds, resp_t *resp) {
  Grpc__Reflection__V1__ListServiceResponse ls =
      GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
  size_t n = st_descset_nservices(ds);
  Grpc__Reflection__V1__ServiceResponse *svcs = st_calloc(n, sizeof(*svcs));
  Grpc__Reflection__V1__ServiceResponse **ptrs = st_calloc(n, sizeof(*ptrs));

  if (svcs == NULL || ptrs == NULL) {
    st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    grpc__reflection__v1__service_response__init(&svcs[i]);
    svcs[i].name = (char *)st_descset_service(ds, i);
    ptrs[i] = &svcs[i];
  }
  ls.n_service = n;
  ls.service = ptrs;
  resp->message_response_case = RESP(LIST_SERVICES_RESPONSE);
  resp->list_services_response = &ls;
  if (st_call_send(call, &resp->base, 0) == ST_EOVERFLOW) {
    st_call_abort(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "too many requests");
  }
out:
  st_free(svcs);
  st_free(ptrs);
}

static void on_call(st_call *call, const ProtobufCMessage *req, void *ud) {
  /* Everything happens per message. */
}

static void on_message(st_call *call, const ProtobufCMessage *msg, void *ud) {
  const st_descset *ds = ud;
  const req_t *r = (const req_t *)msg;
  resp_t resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
  long idx;

  if (msg == NULL) {
    st_call_finish(call, GRPC_STATUS_OK, NULL);
    return;
  }
  resp.valid_host = r->host;
  resp.original_request = (req_t *)r;
  switch (r->message_request_case) {
    case REQ(LIST_SERVICES):
      list_services(call, ds, &resp);
      break;
    case REQ(FILE_BY_FILENAME):
      idx = st_descset_find_file(ds, r->file_by_filename);
      if (idx < 0) {
        send_error(call, &resp, "file", r->file_by_filename);
      } else {
        send_files(call, ds, idx, &resp);
      }
      break;
    case REQ(FILE_CONTAINING_SYMBOL):
      idx = st_descset_find_symbol(ds, r->file_containing_symbol);
      if (idx < 0) {
        send_error(call, &resp, "symbol", r->file_containing_symbol);
      } else {
        send_files(call, ds, idx, &resp);
      }
      break;
    case REQ(FILE_CONTAINING_EXTENSION):
      send_error(call, &resp, "extension",
                 r->file_containing_extension != NULL &&
                         r->file_containing_extension->containing_type != NULL
                     ? r->file_containing_extension->containing_type
                     : "");
      break;
    case REQ(ALL_EXTENSION_NUMBERS_OF_TYPE):
      /* settled declares no extensions; known types have none. */
      if (st_descset_find_symbol(ds, r->all_extension_numbers_of_type) < 0) {
        send_error(call, &resp, "type", r->all_extension_numbers_of_type);
      } else {
        Grpc__Reflection__V1__ExtensionNumberResponse en =
            GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;

        en.base_type_name = r->all_extension_numbers_of_type;
        resp.message_response_case = RESP(ALL_EXTENSION_NUMBERS_RESPONSE);
        resp.all_extension_numbers_response = &en;
        st_call_send(call, &resp.base, 0);
      }
      break;
    default:
      st_call_abort(call, GRPC_STATUS_INVALID_ARGUMENT,
                    "reflection request has no message_request");
      break;
  }
}

st_err st_reflection_register(st_server *srv) {
  const st_descset *ds = st_server_descset(srv);
  st_handler h = {
      .on_call = on_call,
      .on_message = on_message,
      .request_desc =
          &grpc__reflection__v1__server_reflection_request__descriptor,
  };
  st_err err;

  err = st_server_handle(
      srv, "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", &h,
      (void *)ds);
  if (err != ST_OK) {
    return err;
  }
  return st_server_handle(
      srv, "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &h,
      (void *)ds);
}
