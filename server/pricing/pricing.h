/* pricing.h - the pricing service: quote subscriptions with owners and
 * priorities over one broker, the quote book and quote listeners.
 *
 * Subscriptions (server/pricing/subs.h) are claims by owners such as
 * "exec:<plan_id>", "rpc" or "stream:<n>", each with a priority; at most
 * `limit` symbols are subscribed, and a bulk subscribe evicts only symbols
 * of strictly lower priority. Every change is one set_quote_symbols call
 * to the broker with the whole new set (never one call per symbol: each
 * call may restart the stream). Quotes arrive through st_pricing_on_quote,
 * land in the book (server/pricing/book.h: one-sided quotes kept as they
 * came) and go to the listeners (server/pricing/listeners.h).
 *
 * Threads: every function may be called from any thread. Subscription
 * changes are serialized by a lock of their own, which is the only lock
 * held across the broker call (that call may block on the network);
 * quotes, reads, waits and listeners never take it, so a slow broker never
 * holds up the quote stream. Nothing here calls the broker while holding
 * the book's or the listeners' lock.
 */
#ifndef ST_PRICING_PRICING_H
#define ST_PRICING_PRICING_H

#include <stddef.h>
#include <stdint.h>

#include "server/broker/broker.h"
#include "server/pricing/book.h"
#include "server/pricing/listeners.h"
#include "server/pricing/subs.h"
#include "server/util/err.h"

/* Priority of an execution's subscriptions: above any manual one, so an
 * execution can always take a slot from a manual subscription. */
#define ST_PRICING_EXEC_PRIORITY 1000.0
/* Default priority of a manual (RPC) subscription. */
#define ST_PRICING_RPC_PRIORITY 1.0

/* Defaults of st_pricing_opts. */
#define ST_PRICING_FETCH_MAX_AGE_NS (5 * 1000000000LL)   /* 5 s */
#define ST_PRICING_PRUNE_MAX_AGE_NS (300 * 1000000000LL) /* 300 s */
#define ST_PRICING_PRUNE_EVERY_NS (60 * 1000000000LL)    /* 60 s */

typedef struct st_pricing_opts {
  size_t limit;             /* Most symbols subscribed; 0: 30
                               (ST_BROKER_MAX_QUOTE_SYMBOLS). */
  int64_t fetch_max_age_ns; /* st_pricing_fetch uses a book quote received
                               within this; 0: 5 s. */
} st_pricing_opts;

/* What a bulk subscribe did. The arrays are owned by the report: free
 * with st_pricing_sub_report_free. */
typedef struct st_pricing_sub_report {
  st_pricing_sub_result *results; /* One row per input symbol, in order. */
  size_t nresults;
  size_t nrefused; /* Rows INVALID or FULL: not subscribed. */
  /* Claims dropped because their symbol was evicted (symbol, owner, that
   * owner's priority), so the caller can tell those owners. */
  st_pricing_claim *evicted;
  size_t nevicted;
} st_pricing_sub_report;

typedef struct st_pricing st_pricing;

/* Creates the service over broker b (borrowed: it must outlive the
 * service). o may be NULL for the defaults. The caller owns *out and frees
 * it with st_pricing_destroy. The broker's quote callback is wired by the
 * caller: cbs.on_quote = st_pricing_on_quote with cbs.ud = *out (or a
 * callback of the caller's that forwards to it). */
st_err st_pricing_create(st_broker *b, const st_pricing_opts *o,
                         st_pricing **out);

/* Wakes every st_pricing_wait with ST_ECANCELED, now and later. Call it
 * before stopping the threads that wait. */
void st_pricing_shutdown(st_pricing *p);

/* Frees p. Nothing may be in flight: no call from another thread and no
 * st_pricing_on_quote (stop the broker's callbacks first). Does not touch
 * the broker's subscription. NULL is ignored. */
void st_pricing_destroy(st_pricing *p);

/* Subscribes the n symbols for owner at priority (finite; executions use
 * ST_PRICING_EXEC_PRIORITY, manual subscriptions ST_PRICING_RPC_PRIORITY)
 * as one bulk: symbols already subscribed gain the claim (an owner's
 * priority only ever rises: max(old, new)); new symbols take free slots,
 * then evict the lowest-priority symbols strictly below priority; the rest
 * are refused (FULL), as are invalid symbols (INVALID). Then, if the set of
 * symbols changed, the broker gets the whole new set in one call.
 * ST_OK when the bulk was applied, even if some symbols were refused: read
 * rep (may be NULL; on success the caller frees it with
 * st_pricing_sub_report_free; on failure it is left empty).
 * ST_EINVAL for a bad owner or priority. When the broker refuses the new
 * set, nothing changes and its error is returned (detail in *e, which may
 * be NULL). */
st_err st_pricing_subscribe(st_pricing *p, const char *owner,
                            const char *const *symbols, size_t n,
                            double priority, st_pricing_sub_report *rep,
                            st_brokerr *e);

/* Frees the arrays of rep and empties it. */
void st_pricing_sub_report_free(st_pricing_sub_report *rep);

/* Drops owner's claims on the n symbols; a symbol with no claim left is
 * unsubscribed (other owners' claims on it stay). Idempotent. ST_EINVAL,
 * with nothing changed, for a bad owner or symbol. If the broker fails to
 * take the smaller set, the claims are dropped all the same (the stream
 * just carries extra symbols for a while), the error is returned, and the
 * next change (or a repeated unsubscribe) sends the set again. */
st_err st_pricing_unsubscribe(st_pricing *p, const char *owner,
                              const char *const *symbols, size_t n,
                              st_brokerr *e);

/* Drops every claim of owner (e.g. at the end of an execution); as
 * st_pricing_unsubscribe otherwise. */
st_err st_pricing_unsubscribe_all(st_pricing *p, const char *owner,
                                  st_brokerr *e);

/* Copies every claim (grouped by symbol, in subscription order) into *out,
 * *n rows (NULL when none); the caller frees *out with st_free. */
st_err st_pricing_claims(st_pricing *p, st_pricing_claim **out, size_t *n);

/* The priority of symbol's subscription; ST_ENOTFOUND when it is not
 * subscribed, ST_EINVAL for a bad symbol. */
st_err st_pricing_priority(st_pricing *p, const char *symbol, double *priority);

/* The broker's quote callback (an st_broker_cbs.on_quote, with p as ud):
 * stores q in the book (borrowed; copied) and calls the listeners of its
 * symbol. Cheap and non-blocking: a mutex and a copy, plus whatever the
 * listeners do. A quote with a negative price or size, a bad symbol or no
 * side at all is logged and dropped. */
void st_pricing_on_quote(void *p, const st_quote *q);

/* Copies the latest quote of symbol as received into *out (a missing side
 * is zero; st_pricing_get_record also has the last good value of each
 * side). ST_ENOTFOUND when the book has none, ST_EINVAL for a bad
 * symbol. */
st_err st_pricing_get(st_pricing *p, const char *symbol, st_quote *out);
st_err st_pricing_get_record(st_pricing *p, const char *symbol,
                             st_pricing_record *out);

/* Waits for a quote of symbol received after after_ns (wall clock,
 * st_now_ns) and copies it into *out; returns at once when the book
 * already has one. Any new quote wakes it, one-sided ones included: a
 * caller that needs both sides checks and waits again with after_ns =
 * out->received_ns. deadline_ns is wall-clock; 0 means none.
 * ST_ETIMEDOUT when the deadline passes, ST_ECANCELED after
 * st_pricing_shutdown, ST_EINVAL for a bad symbol. */
st_err st_pricing_wait(st_pricing *p, const char *symbol, int64_t after_ns,
                       int64_t deadline_ns, st_quote *out);

/* For each of the n symbols, out[i] (caller-owned, n rows) gets the book's
 * quote when it was received within the fetch max age, else the broker's
 * REST latest quote (source ST_QUOTE_REST), which is stored in the book
 * too. All the REST look-ups are one latest_quotes call, made with no lock
 * held. When the broker has no quote either, out[i] is the book's quote
 * however old, or, with none, just the symbol with ts_ns = 0. ST_EINVAL for
 * a bad symbol. When the REST call fails its error is returned and out is
 * still filled the same way. */
st_err st_pricing_fetch(st_pricing *p, const char *const *symbols, size_t n,
                        st_quote *out, st_brokerr *e);

/* Drops the book's quotes received before now_ns - max_age_ns (the owner
 * calls it periodically: every ST_PRICING_PRUNE_EVERY_NS with
 * ST_PRICING_PRUNE_MAX_AGE_NS). Returns how many were dropped. */
size_t st_pricing_prune(st_pricing *p, int64_t now_ns, int64_t max_age_ns);

/* Calls fn(ud, q) for every stream quote of the n symbols from now on
 * (n == 0: every symbol) and returns the listener's id in *id. fn runs on
 * the broker's callback thread with no lock of the service held: it must
 * not block (hand q to a queue) and must not call the broker or
 * subscribe; it may call st_pricing_unlisten, on itself too. ud is
 * borrowed until st_pricing_unlisten returns. Quotes already in the book
 * are not replayed (read them with st_pricing_get after listening).
 * Listening does not subscribe: subscribe the symbols too. */
st_err st_pricing_listen(st_pricing *p, const char *const *symbols, size_t n,
                         void (*fn)(void *ud, const st_quote *q), void *ud,
                         int *id);

/* Removes listener id. When it returns fn is not running (except the call
 * it is made from, when called from inside fn) and will not run again, so
 * ud may be freed. ST_ENOTFOUND for an unknown or already removed id. */
st_err st_pricing_unlisten(st_pricing *p, int id);

#endif
