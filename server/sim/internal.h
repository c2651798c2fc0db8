/* internal.h - struct layouts shared by the files of server/sim only.
 *
 * Not part of the API: other layers include sim.h and market.h and never
 * look inside these structs. Kept in one place so that persist.c can write
 * and read every field.
 */
#ifndef ST_SIM_INTERNAL_H
#define ST_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/sim/event.h"
#include "server/sim/market.h"
#include "server/sim/order.h"
#include "server/sim/rng.h"
#include "server/sim/sim.h"

/* One symbol of the market. */
typedef struct st_sim__sym {
  st_sim_asset asset;
  st_sim_quote quote;
  st_dec mid; /* The walk's state, kept at 9 digits between moves. */
} st_sim__sym;

struct st_sim_market {
  st_sim__sym *syms;
  size_t n;
  size_t cap;
  st_sim_walk walk;
  st_sim_rng rng;
  int64_t last_ns; /* Time of the last walk move (on the interval grid). */
};

/* One position (long only). */
typedef struct st_sim__pos {
  char symbol[ST_SIM_SYMBOL_LEN];
  st_dec qty;
  st_dec avg_entry_price;
} st_sim__pos;

struct st_sim {
  st_sim_config cfg;
  st_sim_market *market;
  st_sim_rng rng; /* Ids, partial fills; the walk has its own. */
  char account_id[ST_SIM_UUID_LEN];
  char account_number[ST_SIM_ACCOUNT_NUMBER_LEN];
  int64_t created_at_ns;
  st_dec cash;
  st_sim__pos *pos;
  size_t npos;
  size_t cappos;
  st_sim_order *orders; /* In creation order; never removed. */
  size_t norders;
  size_t caporders;
  st_sim__evq events;
  int64_t last_now_ns;   /* Latest time seen by st_sim_step. */
  int64_t hold_until_ns; /* No fills of any order before this. */
  int reject_next;
  char reject_reason[ST_SIM_REASON_LEN];
};

/* Market: grows the symbol array by one zeroed slot; ST_ENOMEM. */
st_err st_sim__market_push(st_sim_market *m, st_sim__sym **out);

/* Market: index of sym, or -1. */
long st_sim__market_find(const st_sim_market *m, const char *sym);

/* Engine: grows the order array by one zeroed slot at the end (which may
 * move the array); ST_ENOMEM. */
st_err st_sim__order_push(st_sim *s, st_sim_order **out);

/* Account: grows the position array by one zeroed slot; ST_ENOMEM. */
st_err st_sim__pos_push(st_sim *s, st_sim__pos **out);

/* Account: index of sym's position, or -1. */
long st_sim__pos_find(const st_sim *s, const char *sym);

/* Account: adds q shares of sym bought for value (q x price). ST_ENOMEM. */
st_err st_sim__pos_buy(st_sim *s, const char *sym, st_dec q, st_dec value);

/* Account: removes q shares of sym (q <= position qty); drops the position
 * when it reaches zero. ST_EINTERNAL when q exceeds the position. */
st_err st_sim__pos_sell(st_sim *s, const char *sym, st_dec q);

/* Account: the qty of sym's position (zero when none). */
st_dec st_sim__pos_qty(const st_sim *s, const char *sym);

/* Account: shares of sym held by open sell orders, skipping the order at
 * index skip (pass (size_t)-1 to skip none). */
st_dec st_sim__held_for_sells(const st_sim *s, const char *sym, size_t skip);

/* Account: buying power held by the open buy order o. */
st_dec st_sim__order_reserved(const st_sim_order *o);

/* Account: buying power held by all open buys, skipping index skip. */
st_dec st_sim__reserved(const st_sim *s, size_t skip);

/* Account: cash minus st_sim__reserved(s, skip), never below zero. */
st_dec st_sim__buying_power(const st_sim *s, size_t skip);

#endif
