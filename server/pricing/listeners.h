/* listeners.h - callbacks that receive the stream's quotes of chosen
 * symbols (the StreamQuotes RPC).
 *
 * A listener is a function, its user data and a set of symbols.
 * st_pricing_listeners_dispatch calls every listener of a quote's symbol
 * with no lock held, so a listener may remove itself (or another listener)
 * from inside its function. Removal is synchronous: when
 * st_pricing_listeners_remove returns, the function is not running on any
 * other thread and will not be called again (when called from inside the
 * function itself, that one call is still running, and it is the last).
 *
 * Thread-safe.
 */
#ifndef ST_PRICING_LISTENERS_H
#define ST_PRICING_LISTENERS_H

#include <stddef.h>

#include "server/broker/broker.h"
#include "server/util/err.h"

/* A listener's function: called on the thread that dispatches the quote
 * (the broker's callback thread), so it must not block. q is borrowed for
 * the call. */
typedef void (*st_pricing_quote_fn)(void *ud, const st_quote *q);

typedef struct st_pricing_listeners st_pricing_listeners;

/* Creates an empty registry; the caller owns *out
 * (st_pricing_listeners_destroy). */
st_err st_pricing_listeners_create(st_pricing_listeners **out);

/* Frees ls and every listener left. No call may be in flight. NULL is
 * ignored. */
void st_pricing_listeners_destroy(st_pricing_listeners *ls);

/* Registers fn(ud, q) for the quotes of the n symbols (upper-cased and
 * copied; n == 0 means every symbol) and returns its id (> 0) in *id.
 * ud is borrowed until the listener is removed. ST_EINVAL for a NULL fn
 * or an invalid symbol. */
st_err st_pricing_listeners_add(st_pricing_listeners *ls,
                                const char *const *symbols, size_t n,
                                st_pricing_quote_fn fn, void *ud, int *id);

/* Removes listener id, waiting for calls of it running on other threads
 * to return (see the top of this file). ST_ENOTFOUND for an unknown id
 * (so a second removal is harmless). Two listeners must not remove each
 * other from inside their functions running at the same time on two
 * threads: each would wait for the other. */
st_err st_pricing_listeners_remove(st_pricing_listeners *ls, int id);

/* Calls every listener of q->symbol (upper-case) with q. */
void st_pricing_listeners_dispatch(st_pricing_listeners *ls, const st_quote *q);

/* Number of listeners registered. */
size_t st_pricing_listeners_count(st_pricing_listeners *ls);

#endif
