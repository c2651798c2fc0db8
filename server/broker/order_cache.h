/* order_cache.h - per-order memory that lets each fill reach the engine once.
 *
 * The trade_updates stream may repeat an update, deliver one late, or lose
 * some while disconnected; reconciliation then lists orders over REST and
 * synthesizes what was missed, possibly racing the stream. Both paths pass
 * every update through one st_ocache, which remembers per order id the
 * last status, the cumulative filled_qty (only grows; it is the truth), the
 * average fill price and the recent execution ids, and decides:
 *   - an order already in a terminal status takes nothing more;
 *   - a repeated execution_id is dropped;
 *   - an update whose filled_qty is below the known one is dropped;
 *   - a fill or partial_fill that does not raise filled_qty is dropped
 *     (its quantity was already reported, e.g. by reconciliation);
 *   - a status event (new, canceled, pending_cancel, ...) that repeats the
 *     known status, or goes back to an earlier one, at the same filled_qty,
 *     is dropped; other events (order_cancel_rejected, ...) pass.
 * The cache holds at most `capacity` orders; the least recently updated is
 * forgotten first. Thread-safe (one mutex); never calls out.
 */
#ifndef ST_BROKER_ORDER_CACHE_H
#define ST_BROKER_ORDER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "server/broker/broker.h"

typedef struct st_ocache st_ocache;

/* What the cache knows about one order. */
typedef struct st_ocache_state {
  st_ostatus status; /* ST_OS_UNKNOWN until an update was admitted. */
  st_dec filled_qty;
  st_dec filled_avg_price;
  int terminal;
} st_ocache_state;

/* Creates a cache for up to capacity orders (0: 4096). Caller frees *out
 * with st_ocache_destroy. ST_ENOMEM on allocation failure. */
st_err st_ocache_create(size_t capacity, st_ocache **out);

/* Frees c (NULL is fine). */
void st_ocache_destroy(st_ocache *c);

/* Decides whether u should be delivered to the engine; returns 1 (deliver;
 * the cache now reflects u) or 0 (drop; nothing changes). u is borrowed.
 * To keep deliveries in admission order, the caller holds its own lock
 * across this call and the delivery. */
int st_ocache_admit(st_ocache *c, const st_trade_update *u);

/* Copies what the cache knows about order_id into *out and returns 1, or
 * returns 0 if the order is unknown. */
int st_ocache_lookup(st_ocache *c, const char *order_id, st_ocache_state *out);

/* Remembers order_id (if not known yet) as an order to reconcile, with
 * status ST_OS_UNKNOWN and nothing filled; the adapter calls it for every
 * order it submits, so that reconciliation checks orders placed before the
 * window it lists. ST_EINVAL for an empty or too long id. */
st_err st_ocache_track(st_ocache *c, const char *order_id);

/* Copies the ids of up to max known non-terminal orders, most recently
 * updated first, into ids and returns how many. */
size_t st_ocache_open_ids(st_ocache *c, char (*ids)[ST_ORDER_ID_LEN],
                          size_t max);

/* Builds the updates that would bring the cache from what it knows of
 * o->id to the broker's snapshot o (from a REST listing), marked
 * reconciled = 1, into out and returns how many (0, 1 or 2):
 *   - filled_qty grew: a fill (o is filled) or partial_fill with qty = the
 *     growth, price = the average price of the new part (from the two
 *     cumulative averages) and execution_id "rc:<id>:<filled_qty>" (the
 *     id cut to 36 characters);
 *     then, if o ended otherwise (canceled, expired, ...) or is pending,
 *     a second update for that status;
 *   - else a status change: one update whose event names o's status.
 * Nothing when o is stale (lower filled_qty or an earlier status) or the
 * cache already has the order terminal. The updates are not admitted: the
 * caller passes each to st_ocache_admit (under its delivery lock) and
 * delivers those admitted. ts_ns is o's updated_at (else now_ns). */
size_t st_ocache_reconcile(st_ocache *c, const st_order *o, int64_t now_ns,
                           st_trade_update out[2]);

#endif
