/* config.h - settled's settings: defaults, SETTLED_* environment
 * variables, then command-line flags (a flag wins over the environment).
 */
#ifndef ST_CONFIG_H
#define ST_CONFIG_H

#include <stdio.h>

#include "server/util/err.h"
#include "server/util/log.h"

typedef struct st_config {
  char listen[256];      /* --listen, SETTLED_LISTEN */
  char ready_file[1024]; /* --ready-file, SETTLED_READY_FILE ("" = none) */
  char data_dir[1024];   /* --data-dir, SETTLED_DATA_DIR */
  st_log_format log_format;
  st_log_level log_level;
  int shutdown_timeout_ms; /* --shutdown-timeout (seconds) */
  int keepalive_time_ms;   /* --keepalive-time (seconds) */
  int keepalive_timeout_ms;
  int cq_threads;
  int max_message_bytes;
  int stream_queue;
  char broker[16];             /* --broker: sim or alpaca */
  int sim_seed;                /* --sim-seed */
  int sim_fill_latency_ms;     /* --sim-fill-latency-ms */
  char sim_partial_share[24];  /* --sim-partial-fill-share, 0..1 */
  char sim_portfolio[16];      /* --sim-portfolio: demo or cash */
  char sim_cash[32];           /* --sim-cash: starting cash (cash portfolio) */
  int alpaca_live;             /* --alpaca-live: allow a live endpoint */
  int alpaca_no_streams;       /* --alpaca-no-streams: REST polling only */
  char max_order_notional[32]; /* --max-order-notional ("" no limit) */
  char max_plan_notional[32];  /* --max-plan-notional ("" no limit) */
  int max_plan_items;          /* --max-plan-items */
  int plan_ttl_ms;             /* --plan-ttl (seconds) */
  int allow_margin;            /* --allow-margin */
  int api_threads;             /* --api-threads */
  int retention_count;         /* --event-retention-count */
  int retention_age_s;         /* --event-retention-age (seconds) */
  int housekeeping_s;          /* --housekeeping-interval (seconds) */
  char tokens_file[1024];      /* --tokens-file: bearer tokens, one a line */
  char tls_cert[1024];         /* --tls-cert: PEM certificate chain */
  char tls_key[1024];          /* --tls-key: PEM private key */
  char tls_client_ca[1024];    /* --tls-client-ca: require client certs */
  int insecure;                /* --insecure: plaintext beyond loopback */
  int help;                    /* --help was given. */
  int version;                 /* --version was given. */
} st_config;

/* Fills c from defaults, the environment (envp-style lookups through
 * getenv) and argv. On a bad flag or value returns ST_EINVAL with a
 * one-line message in eb. */
st_err st_config_parse(st_config *c, int argc, char **argv, st_errbuf *eb);

/* Writes the --help text. */
void st_config_usage(FILE *out);

#endif
