/* order.h - a simulated order: its enums, its snapshot and its price rules.
 *
 * An st_sim_order is a plain value (fixed-size strings, no pointers), so a
 * snapshot can be copied into an event or out to a caller freely. Times are
 * ns since the epoch, 0 meaning null. Decimal fields that do not apply are
 * zero (qty of a notional order, limit_price of a market order,
 * filled_avg_price before the first fill).
 *
 * Statuses follow Alpaca: accepted (or pending_new) at submit, new once the
 * simulated venue acknowledges it, partially_filled, then one of the
 * terminal statuses filled, canceled, expired, replaced or rejected.
 *
 * Thread-safe (pure functions).
 */
#ifndef ST_SIM_ORDER_H
#define ST_SIM_ORDER_H

#include <stdint.h>

#include "server/sim/errinfo.h"
#include "server/sim/market.h"
#include "server/sim/rng.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

/* A client_order_id is at most 128 characters (Alpaca's newer limit; the
 * engine itself uses at most 48). */
#define ST_SIM_COID_MAX 128
#define ST_SIM_COID_LEN (ST_SIM_COID_MAX + 1)
#define ST_SIM_REASON_LEN 64

typedef enum st_sim_side {
  ST_SIM_BUY = 0,
  ST_SIM_SELL,
} st_sim_side;

typedef enum st_sim_type {
  ST_SIM_MARKET = 0,
  ST_SIM_LIMIT,
} st_sim_type;

typedef enum st_sim_tif {
  ST_SIM_DAY = 0, /* Expires at the session close (NYSE clock only). */
  ST_SIM_GTC,     /* Works until filled or canceled. */
} st_sim_tif;

typedef enum st_sim_status {
  ST_SIM_ACCEPTED = 0,
  ST_SIM_PENDING_NEW,
  ST_SIM_NEW,
  ST_SIM_PARTIALLY_FILLED,
  ST_SIM_FILLED,
  ST_SIM_CANCELED,
  ST_SIM_EXPIRED,
  ST_SIM_REPLACED,
  ST_SIM_REJECTED,
} st_sim_status;

/* One order of the simulated account. */
typedef struct st_sim_order {
  char id[ST_SIM_UUID_LEN];
  char client_order_id[ST_SIM_COID_LEN];
  char symbol[ST_SIM_SYMBOL_LEN];
  char asset_id[ST_SIM_UUID_LEN];
  st_sim_side side;
  st_sim_type type;
  st_sim_tif tif;
  st_sim_status status;
  st_dec qty;              /* Zero for a notional order. */
  st_dec notional;         /* Zero for a qty order. */
  st_dec limit_price;      /* Zero for a market order. */
  st_dec filled_qty;       /* "0" before any fill. */
  st_dec filled_avg_price; /* Zero (null) before any fill. */
  st_dec filled_value;     /* Sum of fill qty x price (9 digits). */
  int64_t created_at_ns;
  int64_t updated_at_ns;
  int64_t submitted_at_ns;
  int64_t filled_at_ns;
  int64_t canceled_at_ns;
  int64_t expired_at_ns;
  int64_t failed_at_ns;
  int64_t replaced_at_ns;
  int64_t expires_at_ns;             /* Day orders on the NYSE clock; else 0. */
  char replaces[ST_SIM_UUID_LEN];    /* "" when null. */
  char replaced_by[ST_SIM_UUID_LEN]; /* "" when null. */
  char reject_reason[ST_SIM_REASON_LEN];
  /* Engine bookkeeping (persisted; callers may ignore). */
  st_dec hold_price;      /* Buys: buying power held per remaining share. */
  st_dec hold_qty;        /* Notional sells: shares held while open. */
  int64_t eligible_at_ns; /* No fill before this time. */
  int reject_pending;     /* Forced rejection at acknowledgement. */
} st_sim_order;

/* Alpaca's names: "buy"/"sell", "market"/"limit", "day"/"gtc", and the
 * status strings ("accepted", "partially_filled", ...). Never NULL ("?" for
 * an unknown value). */
const char *st_sim_side_name(st_sim_side v);
const char *st_sim_type_name(st_sim_type v);
const char *st_sim_tif_name(st_sim_tif v);
const char *st_sim_status_name(st_sim_status v);

/* Parse the names above (exact, lower case) into *out; ST_EINVAL if
 * unknown. */
st_err st_sim_side_parse(const char *s, st_sim_side *out);
st_err st_sim_type_parse(const char *s, st_sim_type *out);
st_err st_sim_tif_parse(const char *s, st_sim_tif *out);
st_err st_sim_status_parse(const char *s, st_sim_status *out);

/* True for filled, canceled, expired, replaced and rejected. */
int st_sim_status_is_terminal(st_sim_status v);

/* True for accepted and pending_new (not yet acknowledged: replace is
 * refused in these states). */
int st_sim_status_is_pending(st_sim_status v);

/* The quantity not yet filled of a qty order (zero for notional orders). */
st_dec st_sim_order_remaining(const st_sim_order *o);

/* Checks a limit price against Alpaca's increments: > 0 (else
 * "limit_price must be > 0", 422/40010001), at most 2
 * decimals at or above $1, at most 4 below. On failure returns ST_EINVAL and
 * fills ei (if not NULL) with 422/42210000 and "invalid limit_price 290.123.
 * sub-penny increment does not fulfill minimum pricing criteria". */
st_err st_sim_check_price(st_dec price, st_sim_errinfo *ei);

#endif
