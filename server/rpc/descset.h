/* descset.h - the embedded FileDescriptorSet: files, symbols and methods.
 *
 * settled embeds the descriptor set of every proto it serves (with imports
 * and source info). This module splits it into files, indexes every symbol
 * (packages' messages, nested messages, enums, enum values, fields,
 * services and methods) to the file that defines it, and lists every
 * method with its path, types and streaming flags. The method table of the
 * rpc server and the reflection service are both built from it, so nothing
 * is written by hand per method.
 */
#ifndef ST_RPC_DESCSET_H
#define ST_RPC_DESCSET_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"

/* One .proto file of the set. */
typedef struct st_ds_file {
  char *name;          /* Include-relative name, "settled/v1/plan.proto". */
  const uint8_t *data; /* Serialized FileDescriptorProto (in the set). */
  size_t len;
  size_t *deps; /* Indexes of the files it imports. */
  size_t ndeps;
} st_ds_file;

/* One RPC method. */
typedef struct st_ds_method {
  char *path;        /* "/settled.v1.Executor/ExecutePlan" */
  char *full_name;   /* "settled.v1.Executor.ExecutePlan" */
  char *service;     /* "settled.v1.Executor" */
  char *name;        /* "ExecutePlan" */
  char *input_type;  /* "settled.v1.ExecutePlanRequest" (no leading dot) */
  char *output_type; /* "settled.v1.ExecutionResult" */
  int client_streaming;
  int server_streaming;
} st_ds_method;

typedef struct st_descset st_descset;

/* Parses the serialized FileDescriptorSet data[0..len). data must outlive
 * the result (the embedded set is static). On success *out is owned by the
 * caller, freed with st_descset_free. ST_EPROTO (with detail in eb) when the
 * bytes are not a descriptor set. */
st_err st_descset_load(const uint8_t *data, size_t len, st_descset **out,
                       st_errbuf *eb);

/* Frees ds and everything it owns. NULL is fine. */
void st_descset_free(st_descset *ds);

/* Number of files, and file i (0 <= i < count). */
size_t st_descset_nfiles(const st_descset *ds);
const st_ds_file *st_descset_file(const st_descset *ds, size_t i);

/* Index of the file named name, or -1. */
long st_descset_find_file(const st_descset *ds, const char *name);

/* Index of the file defining the fully-qualified symbol (no leading dot:
 * "settled.v1.RebalancePlan", "settled.v1.Executor.ExecutePlan",
 * "settled.v1.TRADE_ACTION_BUY"), or -1. */
long st_descset_find_symbol(const st_descset *ds, const char *symbol);

/* Writes into order[] (capacity st_descset_nfiles) the file idx followed by
 * its transitive dependencies, each once; returns how many were written. */
size_t st_descset_closure(const st_descset *ds, size_t idx, size_t *order);

/* Number of services and the fully-qualified name of service i. */
size_t st_descset_nservices(const st_descset *ds);
const char *st_descset_service(const st_descset *ds, size_t i);

/* Number of methods and method i; methods are in file and declaration
 * order. */
size_t st_descset_nmethods(const st_descset *ds);
const st_ds_method *st_descset_method(const st_descset *ds, size_t i);

/* The method whose path is path ("/pkg.Svc/Method"), or NULL. */
const st_ds_method *st_descset_find_method(const st_descset *ds,
                                           const char *path);

#endif
