/* call.h - one gRPC call as seen by a handler.
 *
 * A call is created by the rpc server when a request arrives and handed to
 * the method's handler (server.h). Its memory is reference counted: the
 * server holds a reference for every operation it has started on the call
 * and one for the handler until the handler's on_done has returned. A
 * handler that keeps using a call after on_done, or from another thread,
 * takes its own reference with st_call_ref and drops it with st_call_unref.
 *
 * Every function here is thread-safe. After the call is over (on_done has
 * run, or the call was finished) sends fail with ST_ECANCELED and nothing
 * is sent.
 *
 * Server streaming: one SEND_MESSAGE is in flight at a time; further
 * messages wait in a bounded queue (the server's stream_queue option). A
 * full queue makes st_call_send* return ST_EOVERFLOW and queue nothing; the
 * handler then usually ends the stream with st_call_abort(...,
 * GRPC_STATUS_RESOURCE_EXHAUSTED, ...) naming where the client can resume.
 * Memory per stream is thus bounded by the queue; the message bytes are
 * shared slices, so fan-out to many streams does not copy them.
 */
#ifndef ST_RPC_CALL_H
#define ST_RPC_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "server/util/err.h"

typedef struct st_call st_call;

/* Takes a reference on c. */
void st_call_ref(st_call *c);

/* Drops a reference; the last one frees the call. */
void st_call_unref(st_call *c);

/* Attaches handler data to the call (not owned by the call: free it in
 * on_done) and returns it. */
void st_call_set_data(st_call *c, void *data);
void *st_call_data(const st_call *c);

/* The method's path, "/pkg.Svc/Method" (owned by the server). */
const char *st_call_method(const st_call *c);

/* The peer's address, e.g. "ipv4:127.0.0.1:4242" (owned by the call). */
const char *st_call_peer(const st_call *c);

/* Copies the value of request metadata key (lower-case) into buf (capacity
 * cap, NUL-terminated). ST_ENOTFOUND if absent, ST_EOVERFLOW if it does not
 * fit. */
st_err st_call_metadata(const st_call *c, const char *key, char *buf,
                        size_t cap);

/* Milliseconds until the client's deadline (INT64_MAX when it set none;
 * negative when it has passed). */
int64_t st_call_deadline_ms(const st_call *c);

/* True once the call is over: finished, cancelled by the client, past its
 * deadline, or ended by shutdown. */
int st_call_is_done(const st_call *c);

/* Adds one initial-metadata entry (key lower-case, both copied) to send
 * with the response headers. Only from the handler's on_call, before any
 * send: headers of streaming calls go out when on_call returns. At most 4
 * entries; ST_EOVERFLOW beyond, ST_EPRECOND once headers were sent. */
st_err st_call_add_header(st_call *c, const char *key, const char *value);

/* Unary: sends msg and status OK. msg is not kept (it is serialized before
 * this returns); the caller still owns it. */
st_err st_call_reply(st_call *c, const ProtobufCMessage *msg);

/* Unary: sends len bytes of an already-serialized response (copied) and
 * status OK. */
st_err st_call_reply_bytes(st_call *c, const uint8_t *data, size_t len);

/* Streaming: queues msg (serialized now; the caller keeps msg). cookie is
 * remembered and reported by st_call_last_sent once the message has been
 * handed to the transport (e.g. an event's sequence). ST_EOVERFLOW when the
 * queue is full (nothing queued). */
st_err st_call_send(st_call *c, const ProtobufCMessage *msg, uint64_t cookie);

/* Streaming: queues an already-serialized message. The call takes its own
 * reference to slice; the caller keeps its reference. */
st_err st_call_send_slice(st_call *c, grpc_slice slice, uint64_t cookie);

/* The cookie of the last message whose send completed (0 if none). */
uint64_t st_call_last_sent(const st_call *c);

/* Messages waiting in the queue (not counting the one in flight). */
size_t st_call_queued(const st_call *c);

/* Ends the call with code and a message (printf-style; may be NULL), after
 * every queued message has been sent. Later calls do nothing. */
st_err st_call_finish(st_call *c, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Ends the call with code and message at once: queued messages are
 * dropped and the status reaches the client even when flow control has
 * stalled the stream (a client that does not read). */
st_err st_call_abort(st_call *c, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like st_call_abort, with the message made from fmt (one %llu) and the
 * cookie of the last completed send, read under the same lock that stops
 * the stream: at most the one message in flight can arrive after it (for
 * "resume after sequence N"). */
st_err st_call_abort_with_last(st_call *c, grpc_status_code code,
                               const char *fmt);

#endif
