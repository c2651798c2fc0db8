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
  int help;    /* --help was given. */
  int version; /* --version was given. */
} st_config;

/* Fills c from defaults, the environment (envp-style lookups through
 * getenv) and argv. On a bad flag or value returns ST_EINVAL with a
 * one-line message in eb. */
st_err st_config_parse(st_config *c, int argc, char **argv, st_errbuf *eb);

/* Writes the --help text. */
void st_config_usage(FILE *out);

#endif
