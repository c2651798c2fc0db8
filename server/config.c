/* config.c - flags and SETTLED_* environment variables. */
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind {
  OPT_STR,
  OPT_SECONDS,
  OPT_INT,
  OPT_FMT,
  OPT_LEVEL
} opt_kind;

typedef struct opt {
  const char *flag; /* Without the leading "--". */
  const char *env;
  opt_kind kind;
  size_t off;  /* Offset of the field in st_config. */
  size_t size; /* For strings: the buffer size. */
  long min, max;
  const char *def;
  const char *help;
} opt;

#define F(field) offsetof(st_config, field), sizeof(((st_config *)0)->field)

static const opt opts[] = {
    {"listen", "SETTLED_LISTEN", OPT_STR, F(listen), 0, 0, "127.0.0.1:50051",
     "address to serve gRPC on, host:port (port 0 picks a free port)"},
    {"ready-file", "SETTLED_READY_FILE", OPT_STR, F(ready_file), 0, 0, "",
     "once serving, write the bound host:port to this file"},
    {"data-dir", "SETTLED_DATA_DIR", OPT_STR, F(data_dir), 0, 0,
     "./settled-data", "directory for the journal and the simulated account"},
    {"log-format", "SETTLED_LOG_FORMAT", OPT_FMT, F(log_format), 0, 0, "text",
     "log line format: text or json"},
    {"log-level", "SETTLED_LOG_LEVEL", OPT_LEVEL, F(log_level), 0, 0, "info",
     "lowest level logged: debug, info, warn or error"},
    {"shutdown-timeout", "SETTLED_SHUTDOWN_TIMEOUT", OPT_SECONDS,
     F(shutdown_timeout_ms), 0, 3600, "5",
     "seconds to let calls end on SIGTERM before cancelling them"},
    {"keepalive-time", "SETTLED_KEEPALIVE_TIME", OPT_SECONDS,
     F(keepalive_time_ms), 1, 86400, "30",
     "seconds of idleness before the server pings a client"},
    {"keepalive-timeout", "SETTLED_KEEPALIVE_TIMEOUT", OPT_SECONDS,
     F(keepalive_timeout_ms), 1, 3600, "10",
     "seconds to wait for a ping ack before dropping the connection"},
    {"cq-threads", "SETTLED_CQ_THREADS", OPT_INT, F(cq_threads), 1, 8, "2",
     "threads serving the gRPC completion queue"},
    {"max-message-bytes", "SETTLED_MAX_MESSAGE_BYTES", OPT_INT,
     F(max_message_bytes), 1024, 64 * 1024 * 1024, "4194304",
     "largest request message accepted"},
    {"stream-queue", "SETTLED_STREAM_QUEUE", OPT_INT, F(stream_queue), 1,
     1000000, "1024",
     "messages queued per stream before a slow reader is cut off"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void st_config_usage(FILE *out) {
  fprintf(out,
          "usage: settled [flags]\n\n"
          "settled: settlement-aware trade execution over gRPC.\n"
          "Every flag can also be set with the environment variable shown;\n"
          "a flag wins over the environment.\n\n");
  for (size_t i = 0; i < NOPTS; i++) {
    fprintf(out, "  --%-20s %s\n  %-22s (env %s, default \"%s\")\n",
            opts[i].flag, opts[i].help, "", opts[i].env, opts[i].def);
  }
  fprintf(out,
          "  --%-20s print this help and exit\n"
          "  --%-20s print the version and exit\n",
          "help", "version");
}

static st_err set(st_config *c, const opt *o, const char *v, const char *from,
                  st_errbuf *eb) {
  char *field = (char *)c + o->off;
  char *end;
  long n;

  switch (o->kind) {
    case OPT_STR:
      if (strlen(v) >= o->size) {
        return st_errf(eb, ST_EINVAL, "%s: value too long", from);
      }
      strcpy(field, v);
      return ST_OK;
    case OPT_FMT:
      if (st_log_parse_format(v, (st_log_format *)field) != ST_OK) {
        return st_errf(eb, ST_EINVAL, "%s: expected text or json, got \"%s\"",
                       from, v);
      }
      return ST_OK;
    case OPT_LEVEL:
      if (st_log_parse_level(v, (st_log_level *)field) != ST_OK) {
        return st_errf(eb, ST_EINVAL,
                       "%s: expected debug, info, warn or error, got \"%s\"",
                       from, v);
      }
      return ST_OK;
    case OPT_INT:
    case OPT_SECONDS:
      errno = 0;
      n = strtol(v, &end, 10);
      if (errno != 0 || end == v || *end != '\0' || n < o->min || n > o->max) {
        return st_errf(eb, ST_EINVAL,
                       "%s: expected a whole number from %ld to %ld, got "
                       "\"%s\"",
                       from, o->min, o->max, v);
      }
      *(int *)field = o->kind == OPT_SECONDS ? (int)(n * 1000) : (int)n;
      return ST_OK;
  }
  return ST_EINVAL;
}

static const opt *find(const char *flag, size_t len) {
  for (size_t i = 0; i < NOPTS; i++) {
    if (strlen(opts[i].flag) == len && strncmp(opts[i].flag, flag, len) == 0) {
      return &opts[i];
    }
  }
  return NULL;
}

st_err st_config_parse(st_config *c, int argc, char **argv, st_errbuf *eb) {
  char from[300];
  st_err err;

  memset(c, 0, sizeof(*c));
  for (size_t i = 0; i < NOPTS; i++) {
    const char *env = getenv(opts[i].env);

    err = set(c, &opts[i], opts[i].def, opts[i].flag, eb);
    if (err != ST_OK) {
      return err;
    }
    if (env != NULL) {
      err = set(c, &opts[i], env, opts[i].env, eb);
      if (err != ST_OK) {
        return err;
      }
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *name, *eq, *val;
    const opt *o;
    size_t len;

    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      c->help = 1;
      continue;
    }
    if (strcmp(a, "--version") == 0) {
      c->version = 1;
      continue;
    }
    if (strncmp(a, "--", 2) != 0) {
      return st_errf(eb, ST_EINVAL, "unexpected argument \"%s\" (see --help)",
                     a);
    }
    name = a + 2;
    eq = strchr(name, '=');
    len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    o = find(name, len);
    if (o == NULL) {
      return st_errf(eb, ST_EINVAL, "unknown flag --%.*s (see --help)",
                     (int)len, name);
    }
    if (eq != NULL) {
      val = eq + 1;
    } else if (i + 1 < argc) {
      val = argv[++i];
    } else {
      return st_errf(eb, ST_EINVAL, "flag --%s needs a value", o->flag);
    }
    snprintf(from, sizeof(from), "--%s", o->flag);
    err = set(c, o, val, from, eb);
    if (err != ST_OK) {
      return err;
    }
  }
  return ST_OK;
}
