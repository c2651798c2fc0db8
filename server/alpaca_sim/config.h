/* config.h - alpaca-sim's settings: defaults, ALPACA_SIM_* environment
 * variables, then command-line flags (a flag wins over the environment).
 */
#ifndef ST_ASIM_CONFIG_H
#define ST_ASIM_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "server/sim/clock.h"
#include "server/util/decimal.h"
#include "server/util/err.h"
#include "server/util/log.h"

typedef enum st_asim_portfolio {
  ST_ASIM_PORTFOLIO_DEMO = 0, /* The documented demo account (sim.h). */
  ST_ASIM_PORTFOLIO_CASH,     /* Cash only (--cash). */
} st_asim_portfolio;

typedef struct st_asim_config {
  char host[256];        /* --listen host part, e.g. "127.0.0.1". */
  int port;              /* --listen port part; 0 picks a free port. */
  char ready_file[1024]; /* --ready-file ("" = none). */
  uint64_t seed;         /* --seed. */
  char key_id[128];      /* --key-id. */
  char secret_key[128];  /* --secret-key. */
  st_asim_portfolio portfolio;
  st_dec cash;               /* --cash, for the cash portfolio. */
  char universe[4096];       /* --universe, comma-separated ("" = all). */
  int fill_latency_ms;       /* --fill-latency-ms. */
  st_dec partial_fill_share; /* --partial-fill-share, 0..1. */
  int rate_limit;            /* --rate-limit, requests per minute. */
  int wash_trade_check;      /* --wash-trade-check. */
  st_sim_clock_mode clock;   /* --clock open|nyse. */
  int tick_ms;               /* --tick-ms. */
  st_log_level log_level;    /* --log-level. */
  char state_file[1024];     /* --state-file ("" = none). */
  int help;                  /* --help was given. */
} st_asim_config;

/* Fills c from defaults, the environment and argv. On a bad flag or value
 * returns ST_EINVAL with a one-line message in eb. */
st_err st_asim_config_parse(st_asim_config *c, int argc, char **argv,
                            st_errbuf *eb);

/* Writes the --help text to out. */
void st_asim_config_usage(FILE *out);

#endif
