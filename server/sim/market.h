/* market.h - the simulated symbol universe and its random-walk NBBO quotes.
 *
 * A market holds assets (symbol, name, tradable and fractionable flags) and
 * one quote per asset: bid and ask prices (st_dec, on the broker's price
 * grid: cents at or above $1, 1/100 cent below) and sizes in shares. The
 * caller advances it with st_sim_market_step(m, now_ns): every
 * walk_interval_ns of elapsed time, each mid price moves by a uniformly
 * random integer number of basis points in [-vol_bps, +vol_bps] (integer
 * math through st_dec; no floating point), and the quote is rebuilt around
 * it with spread_bps (at least one price increment). A quote set with
 * st_sim_market_set_quote is pinned: it stays exactly as set until
 * st_sim_market_unpin. Deterministic: the walk draws only from the market's
 * own generator, seeded at creation.
 *
 * No I/O, no threads. Not thread-safe: callers lock.
 */
#ifndef ST_SIM_MARKET_H
#define ST_SIM_MARKET_H

#include <stddef.h>
#include <stdint.h>

#include "server/sim/rng.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

#define ST_SIM_SYMBOL_LEN 16 /* Longest symbol is 15 characters. */
#define ST_SIM_NAME_LEN 64

/* One row of a universe given to st_sim_market_create. Strings are borrowed
 * for the call only (they are copied). */
typedef struct st_sim_asset_init {
  const char *symbol;   /* e.g. "AAPL"; 1..15 characters. */
  const char *name;     /* e.g. "Apple Inc."; may be NULL. */
  const char *exchange; /* e.g. "NASDAQ"; may be NULL ("NYSE"). */
  st_dec price;         /* Starting mid price, > 0. */
  int tradable;
  int fractionable;
} st_sim_asset_init;

/* An asset, as GET /v2/assets reports it. Plain value type. */
typedef struct st_sim_asset {
  char id[ST_SIM_UUID_LEN]; /* Deterministic from the market's seed. */
  char symbol[ST_SIM_SYMBOL_LEN];
  char name[ST_SIM_NAME_LEN];
  char exchange[ST_SIM_SYMBOL_LEN];
  int tradable;
  int fractionable;
} st_sim_asset;

/* The NBBO of one symbol. Plain value type. */
typedef struct st_sim_quote {
  st_dec bid;       /* Best bid; zero means no bid. */
  st_dec ask;       /* Best ask; zero means no ask. */
  int64_t bid_size; /* Shares. */
  int64_t ask_size; /* Shares. */
  int64_t ts_ns;    /* When the quote last changed. */
  int pinned;       /* 1 when set explicitly (the walk skips it). */
} st_sim_quote;

/* Random-walk parameters. */
typedef struct st_sim_walk {
  int64_t interval_ns; /* One move per interval; <= 0 disables the walk. */
  int32_t vol_bps;     /* Max move per interval, basis points (>= 0). */
  int32_t spread_bps;  /* Full bid-ask spread, basis points of mid (>= 0). */
} st_sim_walk;

typedef struct st_sim_market st_sim_market;

/* Fills *w with the defaults: a move every second of at most 5 bps, and a
 * 4 bps spread. */
void st_sim_walk_default(st_sim_walk *w);

/* Returns the built-in universe (about 40 well-known US tickers with
 * plausible prices; BRK.A and AMC are not fractionable) in *rows and its
 * length in *n. The table is static; do not free it. */
void st_sim_market_default_universe(const st_sim_asset_init **rows, size_t *n);

/* Creates a market over n rows of universe (NULL and 0 for the default
 * universe), with quotes built around each starting price at now_ns. On
 * success the caller owns *out and frees it with st_sim_market_free.
 * ST_EINVAL for a bad row (empty or too long symbol, duplicate symbol,
 * price <= 0) or bad walk parameters; ST_ENOMEM. */
st_err st_sim_market_create(const st_sim_asset_init *universe, size_t n,
                            const st_sim_walk *walk, uint64_t seed,
                            int64_t now_ns, st_sim_market **out);

/* Frees m (NULL is allowed). */
void st_sim_market_free(st_sim_market *m);

/* Advances the random walk to now_ns. A now_ns earlier than the last step
 * is ignored (time never goes back). At most 100 moves are applied per
 * symbol per call, so a long gap costs bounded time. */
st_err st_sim_market_step(st_sim_market *m, int64_t now_ns);

/* Sets and pins the quote of sym: bid and ask must be >= 0 (0 = no side),
 * on the price grid, and bid < ask when both are set; sizes >= 0.
 * ST_ENOTFOUND for an unknown symbol, ST_EINVAL for a bad quote. */
st_err st_sim_market_set_quote(st_sim_market *m, const char *sym, st_dec bid,
                               st_dec ask, int64_t bid_size, int64_t ask_size,
                               int64_t now_ns);

/* Unpins sym: the walk resumes from the mid of its current quote.
 * ST_ENOTFOUND for an unknown symbol. */
st_err st_sim_market_unpin(st_sim_market *m, const char *sym);

/* Copies the quote of sym into *out. ST_ENOTFOUND for an unknown symbol. */
st_err st_sim_market_quote(const st_sim_market *m, const char *sym,
                           st_sim_quote *out);

/* Copies the asset sym into *out. ST_ENOTFOUND for an unknown symbol. */
st_err st_sim_market_asset(const st_sim_market *m, const char *sym,
                           st_sim_asset *out);

/* Number of assets; they are indexed 0..count-1 in universe order. */
size_t st_sim_market_count(const st_sim_market *m);

/* Copies asset i and its quote (either out may be NULL). ST_ENOTFOUND when
 * i is out of range. */
st_err st_sim_market_at(const st_sim_market *m, size_t i, st_sim_asset *asset,
                        st_sim_quote *quote);

/* Sets the tradable and fractionable flags of sym. ST_ENOTFOUND for an
 * unknown symbol. */
st_err st_sim_market_set_flags(st_sim_market *m, const char *sym, int tradable,
                               int fractionable);

/* Adds one asset (row is copied) with a quote around its price at now_ns.
 * ST_EEXIST if the symbol is already listed, ST_EINVAL for a bad row,
 * ST_ENOMEM. */
st_err st_sim_market_add(st_sim_market *m, const st_sim_asset_init *row,
                         int64_t now_ns);

/* Writes the mid of sym's quote, rounded to the price grid, into *out (for
 * valuing positions); when one side is missing, the other side. ST_ENOTFOUND
 * for an unknown symbol. */
st_err st_sim_market_mid(const st_sim_market *m, const char *sym, st_dec *out);

#endif
