/* journal.h - the durable journal: executions, order intents, broker
 * updates and events, in one SQLite file in WAL mode.
 *
 * Journal first: an order's intent is committed before it is sent; an
 * event is committed before it is published. Every write below runs in the
 * current transaction when one is open (st_journal_begin ... commit), so an
 * engine step groups its rows into one commit (one disk flush per step, not
 * one per row); without an open transaction each call commits by itself.
 *
 * Thread-safety: one st_journal may be used from several threads; calls are
 * serialized by an internal mutex. A transaction belongs to the thread that
 * began it: other threads' calls wait until it commits or rolls back.
 */
#ifndef ST_EVENTS_JOURNAL_H
#define ST_EVENTS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"
#include "settled/v1/events.pb-c.h"

typedef struct st_journal st_journal;

/* Opens (creating if needed) the journal at path, in WAL mode with
 * synchronous=FULL (each commit is flushed to disk, so a committed intent
 * survives a power loss, not only a crash). On first
 * creation it makes the per-installation namespace: 8 random lower-case hex
 * characters, kept forever. *out is owned by the caller (st_journal_close).
 * ST_EIO with detail in eb when the file cannot be opened or is not a
 * settled journal. */
st_err st_journal_open(const char *path, st_journal **out, st_errbuf *eb);

/* Closes j (NULL is fine). An open transaction is rolled back. */
void st_journal_close(st_journal *j);

/* The installation namespace (8 hex chars; owned by j). */
const char *st_journal_namespace(const st_journal *j);

/* Transactions. begin nests not; ST_EPRECOND if one is already open on
 * this thread. commit makes everything since begin durable; when it fails
 * (ST_EIO) the transaction is rolled back. commit (ST_EPRECOND) and
 * rollback (a no-op) do nothing on a thread that has no transaction open.
 * Sequence numbers assigned in a rolled-back transaction are assigned
 * again, so the sequence stays gapless. */
st_err st_journal_begin(st_journal *j);
st_err st_journal_commit(st_journal *j);
void st_journal_rollback(st_journal *j);

/* --- Executions: one per plan id. --- */

typedef struct st_exec_row {
  char plan_id[72];
  char correlation_id[136];
  int64_t arrival;    /* Order of arrival (assigned on insert). */
  char plan_hash[72]; /* Hash of the normalised items and config. */
  int status;         /* settled.v1.ExecutionStatus value. */
  int phase;          /* settled.v1.PhaseType value (0 none). */
  int64_t created_ns;
  int64_t updated_ns;
  int64_t expires_ns; /* When the plan's time to live ends. */
  uint8_t *request;   /* Serialized ExecutePlanRequest; owned. */
  size_t request_len;
  uint8_t *result; /* Serialized ExecutionResult; owned; or NULL. */
  size_t result_len;
} st_exec_row;

/* Frees the blobs of r (not r itself). */
void st_exec_row_clear(st_exec_row *r);

/* Inserts a new execution (request and result copied; arrival assigned
 * into r->arrival). ST_EEXIST when plan_id is already there. */
st_err st_journal_exec_insert(st_journal *j, st_exec_row *r);

/* Reads one execution; the blobs in *out are owned by the caller
 * (st_exec_row_clear). ST_ENOTFOUND. */
st_err st_journal_exec_get(st_journal *j, const char *plan_id,
                           st_exec_row *out);

/* Updates status, phase, updated_ns and the result blob (copied; NULL
 * keeps the stored one). ST_ENOTFOUND. */
st_err st_journal_exec_update(st_journal *j, const char *plan_id, int status,
                              int phase, int64_t updated_ns,
                              const uint8_t *result, size_t result_len);

/* Lists executions newest first (by arrival), at most limit (<= 0: no
 * limit), starting below arrival `before` (0: from the newest); statuses
 * filters when nstatuses > 0. *out is an array of *n rows owned by the caller:
 * clear each row, then st_free the array. */
st_err st_journal_exec_list(st_journal *j, int64_t before, int limit,
                            const int *statuses, size_t nstatuses,
                            st_exec_row **out, size_t *n);

/* --- Order intents: one per broker order the engine means to place. --- */

typedef enum st_intent_state {
  ST_INTENT_INTENDED = 0, /* Committed, maybe sent: look it up. */
  ST_INTENT_SENT = 1,     /* The broker acknowledged it (broker_id set). */
  ST_INTENT_DONE = 2,     /* Terminal at the broker. */
  ST_INTENT_ABANDONED = 3 /* Never reached the broker (refused). */
} st_intent_state;

typedef struct st_intent {
  char client_order_id[64]; /* Primary key. */
  char plan_id[72];
  char symbol[16];
  int side;     /* st_side */
  int chain;    /* Index of the plan item the chain belongs to. */
  int attempt;  /* 0 first order, n-th re-peg or escalation. */
  int type;     /* st_otype */
  char qty[40]; /* Decimal strings. */
  char limit_price[40];
  int state; /* st_intent_state */
  char broker_id[64];
  int status; /* st_ostatus of the last update. */
  char filled_qty[40];
  char filled_avg_price[40];
  int64_t created_ns;
  int64_t updated_ns;
} st_intent;

/* Inserts or replaces the intent with this client_order_id. */
st_err st_journal_intent_put(st_journal *j, const st_intent *in);

/* Reads one intent by client order id. ST_ENOTFOUND. */
st_err st_journal_intent_get(st_journal *j, const char *client_order_id,
                             st_intent *out);

/* All intents of a plan ordered by (chain, attempt); *out owned by the
 * caller (st_free). */
st_err st_journal_intents_of(st_journal *j, const char *plan_id,
                             st_intent **out, size_t *n);

/* --- Broker fills seen, for deduplication across restarts. --- */

/* Records execution_id (a fill) of order_id. ST_EEXIST when it was already
 * recorded (the fill must then be ignored). */
st_err st_journal_fill_seen(st_journal *j, const char *execution_id,
                            const char *order_id);

/* --- Events. --- */

/* Appends ev: assigns the next gapless server-wide sequence into
 * ev->sequence, serializes it and stores it keyed on (ev->plan_id,
 * step_key). When that key already exists (a resumed execution re-emitting
 * a step) nothing is stored, ev->sequence is set to the stored event's
 * sequence and ST_EEXIST is returned: the caller must not publish it again.
 * step_key NULL or "" means "no key" (always appended).
 * When ev->event_type is empty it is set to the payload's message name
 * (e.g. "BulkSettlementCompleted", "" without payload) before packing, so
 * that the stored body carries it. That string is static: reset
 * ev->event_type before freeing ev with protobuf_c_message_free_unpacked.
 * The ts_ns column is ev->timestamp, or now when it is NULL. On other
 * errors ev->sequence and ev->event_type are left as they were. */
st_err st_journal_append(st_journal *j, Settled__V1__Event *ev,
                         const char *step_key);

/* One stored event as read back. */
typedef struct st_event_row {
  uint64_t seq;
  const char *plan_id;        /* Valid during the callback only. */
  const char *correlation_id; /* Valid during the callback only. */
  const char *type;           /* Payload message name. */
  int64_t ts_ns;
  const uint8_t *body; /* Serialized Event; valid during the callback. */
  size_t len;
} st_event_row;

/* Calls fn for each stored event with seq > after_seq, in sequence order,
 * at most limit events (0: no limit), optionally only those of plan_id
 * (NULL: all). fn returns 0 to go on, non-zero to stop. *last (may be
 * NULL) is the last seq passed to fn (after_seq if none). Rows are copied
 * out in batches, and the lock is not held while fn runs (unless this
 * thread has a transaction open), so fn may call the journal. */
st_err st_journal_read(st_journal *j, uint64_t after_seq, size_t limit,
                       const char *plan_id,
                       int (*fn)(void *ud, const st_event_row *row), void *ud,
                       uint64_t *last);

/* The highest sequence assigned (0 when none ever), even when prune has
 * deleted it since, and the oldest retained (0 when none). */
uint64_t st_journal_last_seq(st_journal *j);
uint64_t st_journal_oldest_seq(st_journal *j);

/* The highest sequence prune ever deleted (0 when none). Because events
 * of running executions are kept, retained history can have holes: a
 * reader resuming after seq s has missed events exactly when
 * s < st_journal_pruned_seq(j) (then answer OUT_OF_RANGE). */
uint64_t st_journal_pruned_seq(st_journal *j);

/* Deletes the oldest events so that at most max_count remain (0: no count
 * limit) and none is older than min_ts_ns (0: no age limit); events of
 * executions that are not terminal (QUEUED, RUNNING) are kept, and count
 * towards max_count. Sequence numbers are never reused. Returns the number
 * deleted in *deleted (may be NULL). */
st_err st_journal_prune(st_journal *j, uint64_t max_count, int64_t min_ts_ns,
                        uint64_t *deleted);

#endif
