/* account.h - the simulated cash account and its positions.
 *
 * A cash account (multiplier 1, long only). buying_power is cash minus what
 * open buy orders hold: a limit buy holds limit_price x remaining qty, a
 * market buy holds ask x (1 + market_buy_buffer) x remaining qty (both
 * priced when the order is accepted), a notional buy holds its unfilled
 * notional. A buy's fill spends cash; a sell adds buying power only when it
 * fills. A position's qty_available is its qty minus the shares held by
 * open sell orders.
 *
 * The structs below are snapshots, computed on demand against the current
 * quotes; they hold no pointers. Not thread-safe: callers lock.
 */
#ifndef ST_SIM_ACCOUNT_H
#define ST_SIM_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "server/sim/market.h"
#include "server/sim/rng.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

#define ST_SIM_ACCOUNT_NUMBER_LEN 16

typedef struct st_sim st_sim;

/* GET /v2/account, as far as a cash account needs. */
typedef struct st_sim_account {
  char id[ST_SIM_UUID_LEN];
  char account_number[ST_SIM_ACCOUNT_NUMBER_LEN]; /* "PA" + 10 digits. */
  int64_t created_at_ns;
  st_dec cash;
  st_dec buying_power;      /* cash - held_for_orders, >= 0. */
  st_dec held_for_orders;   /* Buying power held by open buys. */
  st_dec long_market_value; /* Sum of position market values. */
  st_dec equity;            /* cash + long_market_value. */
} st_sim_account;

/* GET /v2/positions/{symbol}. */
typedef struct st_sim_position {
  char symbol[ST_SIM_SYMBOL_LEN];
  char asset_id[ST_SIM_UUID_LEN];
  st_dec qty;
  st_dec qty_available;   /* qty - held_for_orders. */
  st_dec held_for_orders; /* Shares held by open sells. */
  st_dec avg_entry_price;
  st_dec cost_basis;    /* qty x avg_entry_price, to the cent. */
  st_dec current_price; /* Mid of the current quote. */
  st_dec market_value;  /* qty x current_price, to the cent. */
  st_dec unrealized_pl; /* market_value - cost_basis. */
} st_sim_position;

/* Fills *out with the account now. ST_EINVAL for NULL arguments,
 * ST_EOVERFLOW if a sum does not fit an st_dec. */
st_err st_sim_get_account(const st_sim *s, st_sim_account *out);

/* Number of open positions; they are indexed 0..count-1, in the order they
 * were opened. */
size_t st_sim_position_count(const st_sim *s);

/* Fills *out with position i. ST_ENOTFOUND when i is out of range. */
st_err st_sim_position_at(const st_sim *s, size_t i, st_sim_position *out);

/* Fills *out with the position in sym. ST_ENOTFOUND when there is none
 * (Alpaca: 404 "position does not exist"). */
st_err st_sim_get_position(const st_sim *s, const char *sym,
                           st_sim_position *out);

#endif
