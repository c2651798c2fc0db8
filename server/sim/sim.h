/* sim.h - the simulated broker engine: account, orders, matching, events.
 *
 * One st_sim is one paper account over one st_sim_market. It is the model
 * shared by the in-process broker (server/broker) and by alpaca-sim; it has
 * no I/O, no threads and no clock of its own: every call that depends on
 * time takes `now_ns` (ns since the epoch), and everything random draws
 * from the simulator's own generators, so a run is reproducible from its
 * seed. NOT thread-safe: callers serialize all calls on one st_sim (one
 * lock around it); distinct st_sim objects are independent.
 *
 * Life of an order. st_sim_submit validates (symbol, qty xor notional,
 * sub-penny limit, fractional rules, client_order_id uniqueness, optional
 * wash-trade check, qty available for sells, buying power for buys) and
 * accepts the order in status `accepted`. st_sim_step(s, now) then advances
 * the quotes and, for each order in creation order: acknowledges it
 * (accepted -> new, after ack_latency_ns), expires day orders at the session
 * close (NYSE clock only), and matches working orders once fill_latency_ns
 * has passed since acceptance, while the market is open. Matching: a market
 * order fills at the far touch (buy at the ask, sell at the bid); a limit
 * order only when marketable (buy limit >= ask, sell limit <= bid), at the
 * touch. With probability partial_share a fill is partial: a random 10-90 %
 * of the remaining qty (whole shares for a whole-share order), the rest
 * keeps working and is matched again on a later step. Notional orders always
 * fill completely. Cancels and replaces take effect at once. Every state
 * change is queued as an st_sim_event (event.h), drained with
 * st_sim_next_event.
 *
 * Refusals return the st_err below and fill the optional caller-owned
 * st_sim_errinfo with Alpaca's HTTP status, code and message (errinfo.h):
 *   ST_EINVAL      validation ("qty must be > 0", "invalid symbol", sub-penny
 *                  limit_price, "fractional orders must be DAY orders",
 *                  `asset "X" is not fractionable`, ...)
 *   ST_EDUPLICATE  "client_order_id must be unique" (forever, even after the
 *                  order was canceled)
 *   ST_EBUYPOWER   "insufficient buying power"; buying_power and cost_basis
 *                  in the errinfo
 *   ST_EQTY        "insufficient qty available for order (requested: 10,
 *                  available: 0)"; available etc. in the errinfo
 *   ST_EREJECTED   "cost basis must be >= 1" (fractional or notional under
 *                  $1), `asset "X" is not tradable`, no quote for a market
 *                  buy
 *   ST_EWASH       "potential wash trade detected. use complex orders" when
 *                  the check is on and an open opposite-side order exists on
 *                  the symbol
 *   ST_ENOTFOUND   "order not found"
 *   ST_ETERMINAL   `order is already in "filled" state` (cancel, replace)
 *   ST_EPRECOND    replace while accepted/pending_new ("unable to replace
 *                  order, order isn't sent to exchange yet")
 *
 * Starting states. st_sim_start_demo describes the documented demo
 * portfolio over the default universe (market.h):
 *   cash  $25,000.00
 *   AAPL  50     @ 172.50        SPY  30  @ 480.00
 *   MSFT  20     @ 380.00        VTI  25  @ 240.00
 *   NVDA  40     @  95.00        AGG  60  @  96.50
 *   AMZN  15.5   @ 160.00 (a fractional position)
 * Starting quotes are around AAPL 190, MSFT 420, NVDA 120, AMZN 185,
 * SPY 540, VTI 270, AGG 98, so the demo account is worth about $79,400 and
 * an example plan has gains to sell. st_sim_start_cash gives cash and no
 * positions; any st_sim_start may list custom positions and a custom
 * universe.
 */
#ifndef ST_SIM_SIM_H
#define ST_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "server/sim/account.h"
#include "server/sim/clock.h"
#include "server/sim/errinfo.h"
#include "server/sim/event.h"
#include "server/sim/market.h"
#include "server/sim/order.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

typedef struct st_sim st_sim;

/* Tunables of a simulator. */
typedef struct st_sim_config {
  uint64_t seed;                /* Default 1. */
  st_sim_walk walk;             /* Quote random walk (market.h). */
  st_dec partial_share;         /* Share of partial fills, 0..1; 0.10. */
  int64_t ack_latency_ns;       /* accepted -> new delay; 0. */
  int64_t fill_latency_ns;      /* No fill before acceptance + this; 0. */
  st_dec market_buy_buffer;     /* Market buys hold ask x (1 + this); 0.03. */
  int wash_trade_check;         /* Refuse opposite-side orders; 0 (off). */
  st_sim_clock_mode clock_mode; /* ST_SIM_CLOCK_ALWAYS_OPEN. */
} st_sim_config;

/* A starting position. */
typedef struct st_sim_position_init {
  const char *symbol; /* Must be in the universe. */
  st_dec qty;         /* > 0; fractional only if the asset is fractionable. */
  st_dec avg_entry_price; /* > 0. */
} st_sim_position_init;

/* A starting state. Pointers are borrowed for st_sim_create only. */
typedef struct st_sim_start {
  st_dec cash;                           /* >= 0. */
  const st_sim_position_init *positions; /* May be NULL when 0. */
  size_t npositions;
  const st_sim_asset_init *universe; /* NULL: the default universe. */
  size_t nuniverse;
} st_sim_start;

/* A new order (POST /v2/orders). Zero decimals mean "absent". */
typedef struct st_sim_order_req {
  const char *symbol;
  st_sim_side side;
  st_sim_type type;
  st_sim_tif tif;
  st_dec qty;                  /* Exactly one of qty and notional. */
  st_dec notional;             /* Dollars; fractionable assets, day only. */
  st_dec limit_price;          /* Required for (only for) limit orders. */
  const char *client_order_id; /* NULL or "": a UUID is made up. */
} st_sim_order_req;

/* A replace (PATCH /v2/orders/{id}). Zero / NULL fields keep their value:
 * qty keeps the old order's remaining qty, limit_price and tif keep the old
 * ones; client_order_id is made up (a UUID) when NULL or "". */
typedef struct st_sim_replace_req {
  st_dec qty;         /* Whole shares. */
  st_dec limit_price; /* Limit orders only. */
  int has_tif;
  st_sim_tif tif;
  const char *client_order_id;
} st_sim_replace_req;

/* Fills *cfg with the defaults noted in st_sim_config. */
void st_sim_config_default(st_sim_config *cfg);

/* Fills *start with the demo portfolio (see the top of this file) over the
 * default universe. The position table is static. */
void st_sim_start_demo(st_sim_start *start);

/* Fills *start with `cash` and no positions over the default universe. */
void st_sim_start_cash(st_sim_start *start, st_dec cash);

/* Creates a simulator at now_ns from cfg (NULL: defaults) and start (NULL:
 * the demo portfolio). The caller owns *out and frees it with st_sim_free.
 * ST_EINVAL for a bad config or start (unknown or duplicate position
 * symbol, fractional qty of a non-fractionable asset, ...), ST_ENOMEM. */
st_err st_sim_create(const st_sim_config *cfg, const st_sim_start *start,
                     int64_t now_ns, st_sim **out);

/* Frees s and everything it owns (NULL is allowed). Undrained events are
 * dropped. */
void st_sim_free(st_sim *s);

/* Returns s's market, owned by s and valid until st_sim_free: use the
 * market.h functions on it to list assets, read or pin quotes. */
st_sim_market *st_sim_get_market(st_sim *s);

/* Copies s's configuration into *out. */
st_err st_sim_get_config(const st_sim *s, st_sim_config *out);

/* Changes the tunables of s: everything in cfg but the seed (ignored).
 * ST_EINVAL for out-of-range values (partial_share outside 0..1, negative
 * latency or buffer, bad walk). */
st_err st_sim_set_config(st_sim *s, const st_sim_config *cfg);

/* Fills *out with the market clock at now_ns in s's clock mode. */
st_err st_sim_get_clock(const st_sim *s, int64_t now_ns, st_sim_clock *out);

/* Submits a new order at now_ns. On success the order is `accepted` and a
 * copy is written to *out (may be NULL). On failure nothing changes and ei
 * (may be NULL) says why; see the error list at the top of this file. */
st_err st_sim_submit(st_sim *s, const st_sim_order_req *req, int64_t now_ns,
                     st_sim_order *out, st_sim_errinfo *ei);

/* Replaces the working order `id` at now_ns: a new order (new id, new or
 * made-up client_order_id, `replaces` = id, status accepted, no fill yet)
 * takes its place and the old one becomes `replaced` (replaced_by,
 * replaced_at), with a `replaced` event. Buying power and shares held by
 * the old order count as available to the new one. The new order is
 * written to *out (may be NULL). ST_ENOTFOUND, ST_ETERMINAL (a filled,
 * canceled, expired, rejected or already replaced order), ST_EPRECOND
 * (accepted or pending_new), ST_EINVAL (notional order, fractional qty
 * change, nothing changed, bad values), ST_EDUPLICATE, ST_EBUYPOWER,
 * ST_EQTY. */
st_err st_sim_replace(st_sim *s, const char *id, const st_sim_replace_req *req,
                      int64_t now_ns, st_sim_order *out, st_sim_errinfo *ei);

/* Cancels the open order `id` at now_ns: status canceled and a `canceled`
 * event; what it held is released. ST_ENOTFOUND, or ST_ETERMINAL with
 * `order is already in "<status>" state`. */
st_err st_sim_cancel(st_sim *s, const char *id, int64_t now_ns,
                     st_sim_errinfo *ei);

/* Copies the order with id (or client_order_id) into *out. ST_ENOTFOUND. */
st_err st_sim_get_order(const st_sim *s, const char *id, st_sim_order *out);
st_err st_sim_get_order_by_client_id(const st_sim *s, const char *coid,
                                     st_sim_order *out);

/* Number of orders ever submitted; they are indexed 0..count-1 in creation
 * order (oldest first) and never removed. */
size_t st_sim_order_count(const st_sim *s);

/* Copies order i into *out. ST_ENOTFOUND when i is out of range. */
st_err st_sim_order_at(const st_sim *s, size_t i, st_sim_order *out);

/* Advances s to now_ns: the quote walk, acknowledgements, expiries and
 * matching, in that order, queuing one event per change. A now_ns before
 * the latest one seen is treated as that latest time. ST_ENOMEM (state
 * stays consistent; the step may be repeated). */
st_err st_sim_step(st_sim *s, int64_t now_ns);

/* Moves the oldest queued event into *out. ST_ENOTFOUND when none. */
st_err st_sim_next_event(st_sim *s, st_sim_event *out);

/* Number of queued events. */
size_t st_sim_pending_events(const st_sim *s);

/* Test helper: fills the open order `id` now, at `price`, for `qty` shares
 * (zero: all that remains; a notional order always fills completely), as
 * a partial fill when qty is less than the remainder. Ignores quotes,
 * latency and the clock. ST_ENOTFOUND, ST_ETERMINAL, ST_EINVAL (qty <= 0
 * or above the remainder, price <= 0). */
st_err st_sim_force_fill(st_sim *s, const char *id, st_dec qty, st_dec price,
                         int64_t now_ns, st_sim_errinfo *ei);

/* Test helper: no fill before until_ns, for order `id`, or for every order
 * when id is NULL. ST_ENOTFOUND for an unknown id. */
st_err st_sim_delay_fills(st_sim *s, const char *id, int64_t until_ns);

/* Test helper: the next submitted order is accepted, then rejected (event
 * `rejected`, reject_reason = reason or "rejected by simulator") at its
 * acknowledgement instead of becoming new. */
st_err st_sim_reject_next(st_sim *s, const char *reason);

/* Test helper: expires the open order `id` now (event `expired`).
 * ST_ENOTFOUND, ST_ETERMINAL. */
st_err st_sim_force_expire(st_sim *s, const char *id, int64_t now_ns,
                           st_sim_errinfo *ei);

/* Serializes the whole state of s (config, generators, market and quotes,
 * account, positions, every order with its client_order_id, the event
 * sequence; not the undrained events) as text into a new buffer: *buf
 * (NUL-terminated, owned by the caller, freed with st_free) of *len bytes.
 * ST_ENOMEM. */
st_err st_sim_save(const st_sim *s, char **buf, size_t *len);

/* Rebuilds a simulator from len bytes of st_sim_save output. The caller
 * owns *out (st_sim_free). ST_EPROTO for malformed or unknown-version
 * input, ST_ENOMEM. */
st_err st_sim_load(const char *buf, size_t len, st_sim **out);

/* st_sim_save into the caller's open stream f (not closed); ST_EIO on a
 * write error. */
st_err st_sim_save_file(const st_sim *s, FILE *f);

/* st_sim_load from the rest of the caller's open stream f (not closed);
 * ST_EIO on a read error. */
st_err st_sim_load_file(FILE *f, st_sim **out);

#endif
