/* internal.h - structures shared by server.c and call.c; not an API. */
#ifndef ST_RPC_INTERNAL_H
#define ST_RPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "server/rpc/server.h"

/* A completion-queue tag: the queue thread calls fn(tag, ok). */
typedef struct st__tag {
  void (*fn)(struct st__tag *t, int ok);
} st__tag;

/* One method of the table. */
typedef struct st__method {
  const st_ds_method *ds;
  const ProtobufCMessageDescriptor *in;  /* Request decoder. */
  const ProtobufCMessageDescriptor *out; /* Response type. */
  st_handler h;
  void *ud;
  int has_handler;
  void *reg; /* grpc_server_register_method handle. */
} st__method;

typedef struct st__qitem {
  grpc_slice slice;
  uint64_t cookie;
} st__qitem;

struct st_call {
  st_server *srv;
  st__method *method;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_byte_buffer *payload; /* Initial request bytes (unary, streaming). */
  ProtobufCMessage *req;     /* Decoded request; freed with the call. */
  char *peer;                /* gpr_malloc'd by core. */
  void *data;                /* Handler data; not owned. */
  atomic_int refs;
  pthread_mutex_t mu;

  st__tag accept_tag; /* Request delivered. */
  st__tag close_tag;  /* RECV_CLOSE_ON_SERVER done. */
  st__tag send_tag;   /* A send batch done. */
  st__tag recv_tag;   /* A RECV_MESSAGE done (bidi). */
  int close_cancelled;
  grpc_byte_buffer *recv_buf;

  /* Send pipeline, under mu. */
  grpc_byte_buffer *send_buf; /* In flight. */
  uint64_t send_cookie;
  uint64_t last_sent;
  st__qitem *q; /* Ring buffer, grown up to the server's stream_queue. */
  size_t qcap, qhead, qlen, qmax;
  grpc_status_code status_code;
  grpc_slice status_details;
  grpc_metadata hdrs[4]; /* Initial metadata the handler added. */
  size_t nhdrs;
  unsigned streaming : 1;
  unsigned headers_sent : 1;
  unsigned in_flight : 1;
  unsigned status_pending : 1;
  unsigned status_sent : 1;
  unsigned has_details : 1;
  unsigned broken : 1;
  unsigned done : 1;          /* RECV_CLOSE came back. */
  unsigned dispatched : 1;    /* on_call was called. */
  unsigned in_cb : 1;         /* A handler callback is running. */
  unsigned done_deferred : 1; /* on_done waits for in_cb to clear. */
  unsigned done_called : 1;

  struct st_call *prev, *next; /* The server's list of live calls. */
};

/* Server internals used by call.c. */
void st__server_call_freed(st_server *s, st_call *c);

/* 1 once shutdown began: calls that arrive then are refused. */
int st__server_draining(st_server *s);

/* 1 when the call may proceed; else writes why (auth hook of the opts). */
int st__server_authorize(st_server *s, const st_call *c, char *why, size_t cap);

/* call.c: make a call for method m of s (one reference); NULL on ENOMEM. */
st_call *st__call_new(st_server *s, st__method *m, size_t qmax);

/* call.c: the call was delivered by core; starts RECV_CLOSE, decodes the
 * request and dispatches the handler. */
void st__call_accepted(st_call *c);

#endif
