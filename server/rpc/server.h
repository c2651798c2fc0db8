/* server.h - a small generic gRPC server over grpc core.
 *
 * Methods come from the embedded descriptor set: every method of every
 * service in it is known, with its path, request and response types and
 * streaming flags, and protobuf-c descriptors found through the services'
 * protobuf-c service descriptors. A handler is attached by method name;
 * methods without a handler, and unknown methods, are answered
 * UNIMPLEMENTED at once by a generic handler.
 *
 * Threads: one completion queue drained by cq_threads threads. Handlers
 * run on those threads and must not block; a handler may finish its call
 * later from any thread (see call.h).
 *
 * Requests are decoded before the handler sees them: an undecodable body
 * or a string that is not valid UTF-8 is answered INVALID_ARGUMENT.
 *
 * Lifecycle: st_server_create -> st_server_handle... -> st_server_start ->
 * st_server_shutdown -> st_server_destroy.
 */
#ifndef ST_RPC_SERVER_H
#define ST_RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "server/rpc/call.h"
#include "server/rpc/descset.h"
#include "server/util/err.h"

typedef struct st_server st_server;

/* What a handler provides for one method. Called on completion-queue
 * threads; none may block. */
typedef struct st_handler {
  /* A call arrived. For unary and server-streaming methods req is the
   * decoded request, owned by the call and valid until on_done returns; for
   * client-streaming and bidi methods req is NULL and messages arrive
   * through on_message. The handler must end the call (st_call_reply,
   * st_call_finish or st_call_abort), now or later. */
  void (*on_call)(st_call *call, const ProtobufCMessage *req, void *ud);
  /* Bidi and client streaming only: one request message, owned by the
   * layer and freed after this returns; NULL when the client half-closed.
   * The next message is read after this returns. */
  void (*on_message)(st_call *call, const ProtobufCMessage *msg, void *ud);
  /* The call is over (finished, cancelled by the client, deadline,
   * disconnect, or shutdown); cancelled is 1 unless it ended with a status
   * the server sent. Called exactly once per call that reached on_call.
   * Free handler data here. May be NULL. */
  void (*on_done)(st_call *call, int cancelled, void *ud);
  /* Optional: decode requests with this descriptor instead of the method's
   * input type (for wire-identical messages such as reflection v1alpha). */
  const ProtobufCMessageDescriptor *request_desc;
} st_handler;

typedef struct st_server_opts {
  const char *listen_addr;  /* "host:port"; port 0 picks a free port. */
  int cq_threads;           /* Threads draining the queue, 1..8. */
  int accepts_per_method;   /* Outstanding accepts per method (8). */
  int keepalive_time_ms;    /* Server pings an idle connection. */
  int keepalive_timeout_ms; /* and drops it if no ack by then. */
  int max_message_bytes;    /* Largest request accepted. */
  size_t stream_queue;      /* Messages queued per stream. */
  const uint8_t *descset;   /* The embedded FileDescriptorSet... */
  size_t descset_len;       /* ...and its length. Not copied. */
  /* protobuf-c service descriptors used to find message descriptors. */
  const ProtobufCServiceDescriptor *const *services;
  size_t nservices;
  /* Optional: every call whose path starts with auth_prefix (e.g.
   * "/settled.") is first passed to authorize, on a completion-queue
   * thread (it must not block); a 0 return ends the call UNAUTHENTICATED
   * with the text written to why. Health and reflection stay open. */
  int (*authorize)(void *ud, const st_call *call, char *why, size_t cap);
  void *auth_ud;
  const char *auth_prefix;
  /* Optional TLS (PEM text, borrowed for st_server_create): a certificate
   * chain and its key; with client_ca_pem, clients must present a
   * certificate signed by it. NULL cert: plaintext. */
  const char *tls_cert_pem;
  const char *tls_key_pem;
  const char *tls_client_ca_pem;
} st_server_opts;

/* Fills o with the defaults (listen 127.0.0.1:50051, 2 threads, 8 accepts,
 * keepalive 30 s / 10 s, 4 MiB messages, 1024 queued messages). */
void st_server_opts_init(st_server_opts *o);

/* Creates a server and binds its port (so the port is known at once).
 * On success *out is owned by the caller: st_server_destroy. ST_EINVAL
 * when the address cannot be bound (detail in eb). Calls grpc_init. */
st_err st_server_create(const st_server_opts *o, st_server **out,
                        st_errbuf *eb);

/* The bound port and "host:port" address (owned by the server). */
int st_server_port(const st_server *s);
const char *st_server_address(const st_server *s);

/* The server's descriptor set (owned by the server). */
const st_descset *st_server_descset(const st_server *s);

/* Attaches handler h (copied) with user data ud to the method named
 * "pkg.Service/Method" or "/pkg.Service/Method". Before st_server_start
 * only. ST_ENOTFOUND for a method not in the descriptor set, ST_EEXIST if
 * it already has a handler. */
st_err st_server_handle(st_server *s, const char *method, const st_handler *h,
                        void *ud);

/* Registers a function called once when shutdown begins, before calls are
 * ended (health uses it to go NOT_SERVING). Before st_server_start only. */
st_err st_server_on_drain(st_server *s, void (*fn)(void *ud), void *ud);

/* Starts serving: registers methods, arms the accepts, starts the
 * threads. */
st_err st_server_start(st_server *s, st_errbuf *eb);

/* Graceful shutdown: runs the drain hooks, refuses new calls, ends every
 * open call with UNAVAILABLE (after its queued messages), waits up to
 * timeout_ms for calls to end, then cancels what is left. Returns when
 * every call is over. Idempotent. */
void st_server_shutdown(st_server *s, int timeout_ms);

/* Stops the threads and frees the server. Calls grpc_shutdown. Every
 * reference a handler took on a call must have been dropped. */
void st_server_destroy(st_server *s);

#endif
