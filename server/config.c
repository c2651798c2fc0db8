/* config.c - flags and SETTLED_* environment variables. */
#include "server/config.h"

#include "server/util/decimal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind {
  OPT_STR,
  OPT_SECONDS,
  OPT_INT,
  OPT_FMT,
  OPT_LEVEL,
  OPT_BOOL,
  OPT_CHOICE, /* A string from the list in `choices`. */
  OPT_DEC,    /* A decimal string ("" allowed). */
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
  const char *choices; /* OPT_CHOICE: "a|b|c". */
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
    {"broker", "SETTLED_BROKER", OPT_CHOICE, F(broker), 0, 0, "sim",
     "sim (the built-in simulated broker) or alpaca (APCA_API_* variables)",
     "sim|alpaca"},
    {"sim-seed", "SETTLED_SIM_SEED", OPT_INT, F(sim_seed), 0, 2147483647, "1",
     "seed of the simulated market (new accounts only)"},
    {"sim-fill-latency-ms", "SETTLED_SIM_FILL_LATENCY_MS", OPT_INT,
     F(sim_fill_latency_ms), 0, 600000, "200",
     "simulated delay before an order can fill"},
    {"sim-partial-fill-share", "SETTLED_SIM_PARTIAL_FILL_SHARE", OPT_DEC,
     F(sim_partial_share), 0, 0, "0.10",
     "share of simulated fills that are "
     "partial, 0..1"},
    {"sim-portfolio", "SETTLED_SIM_PORTFOLIO", OPT_CHOICE, F(sim_portfolio), 0,
     0, "demo",
     "starting simulated account: demo ($25,000 and seven positions) or "
     "cash (--sim-cash, no positions)",
     "demo|cash"},
    {"sim-cash", "SETTLED_SIM_CASH", OPT_DEC, F(sim_cash), 0, 0, "100000",
     "starting cash of a --sim-portfolio=cash account, USD"},
    {"alpaca-live", "SETTLED_ALPACA_LIVE", OPT_BOOL, F(alpaca_live), 0, 1,
     "false", "allow a live (real money) Alpaca endpoint"},
    {"alpaca-no-streams", "SETTLED_ALPACA_NO_STREAMS", OPT_BOOL,
     F(alpaca_no_streams), 0, 1, "false",
     "open no Alpaca WebSocket: orders are polled over REST (debugging, "
     "benchmarks)"},
    {"max-order-notional", "SETTLED_MAX_ORDER_NOTIONAL", OPT_DEC,
     F(max_order_notional), 0, 0, "",
     "largest |trade_amount| of a plan "
     "item, USD (empty: no limit)"},
    {"max-plan-notional", "SETTLED_MAX_PLAN_NOTIONAL", OPT_DEC,
     F(max_plan_notional), 0, 0, "",
     "largest total |trade_amount| of a "
     "plan, USD (empty: no limit)"},
    {"max-plan-items", "SETTLED_MAX_PLAN_ITEMS", OPT_INT, F(max_plan_items), 1,
     10000, "100", "most items in a plan"},
    {"plan-ttl", "SETTLED_PLAN_TTL", OPT_SECONDS, F(plan_ttl_ms), 1, 604800,
     "900", "seconds a plan stays valid when it sets no time_to_live"},
    {"allow-margin", "SETTLED_ALLOW_MARGIN", OPT_BOOL, F(allow_margin), 0, 1,
     "false", "size buys on margin buying power instead of cash"},
    {"api-threads", "SETTLED_API_THREADS", OPT_INT, F(api_threads), 1, 64, "8",
     "threads for handlers that wait on the broker or the journal"},
    {"event-retention-count", "SETTLED_EVENT_RETENTION_COUNT", OPT_INT,
     F(retention_count), 10, 2000000000, "1000000",
     "most events kept in the journal (those of running executions are "
     "always kept)"},
    {"event-retention-age", "SETTLED_EVENT_RETENTION_AGE", OPT_INT,
     F(retention_age_s), 60, 31536000, "2592000",
     "seconds events are kept in the journal (30 days)"},
    {"housekeeping-interval", "SETTLED_HOUSEKEEPING_INTERVAL", OPT_INT,
     F(housekeeping_s), 1, 3600, "60",
     "seconds between runs of event retention and quote pruning"},
    {"tokens-file", "SETTLED_TOKENS_FILE", OPT_STR, F(tokens_file), 0, 0, "",
     "file of bearer tokens (one a line, # comments): when set, every "
     "settled.v1 call needs 'authorization: Bearer <token>'"},
    {"tls-cert", "SETTLED_TLS_CERT", OPT_STR, F(tls_cert), 0, 0, "",
     "PEM certificate chain: serve TLS (with --tls-key)"},
    {"tls-key", "SETTLED_TLS_KEY", OPT_STR, F(tls_key), 0, 0, "",
     "PEM private key of --tls-cert"},
    {"tls-client-ca", "SETTLED_TLS_CLIENT_CA", OPT_STR, F(tls_client_ca), 0, 0,
     "", "PEM CA: clients must present a certificate it signed"},
    {"insecure", "SETTLED_INSECURE", OPT_BOOL, F(insecure), 0, 1, "false",
     "allow plaintext on an address beyond loopback"},
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
          "  --%-20s print the version and exit\n\n"
          "With --broker=alpaca, the Alpaca SDK variables configure the\n"
          "account: APCA_API_KEY_ID, APCA_API_SECRET_KEY, APCA_API_BASE_URL\n"
          "(default paper trading), APCA_API_DATA_URL, APCA_API_STREAM_URL\n"
          "(trade_updates), APCA_API_DATA_STREAM_URL and APCA_API_FEED (iex).\n"
          "A live endpoint is refused unless --alpaca-live is given.\n",
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
    case OPT_BOOL:
      if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
          strcmp(v, "yes") == 0) {
        *(int *)field = 1;
      } else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
                 strcmp(v, "no") == 0) {
        *(int *)field = 0;
      } else {
        return st_errf(eb, ST_EINVAL,
                       "%s: expected true or false, got "
                       "\"%s\"",
                       from, v);
      }
      return ST_OK;
    case OPT_CHOICE: {
      size_t n = strlen(v);
      const char *c = o->choices;

      while (c != NULL && *c != '\0') {
        const char *bar = strchr(c, '|');
        size_t len = bar != NULL ? (size_t)(bar - c) : strlen(c);

        if (len == n && strncmp(c, v, n) == 0 && n < o->size) {
          strcpy(field, v);
          return ST_OK;
        }
        c = bar != NULL ? bar + 1 : NULL;
      }
      return st_errf(eb, ST_EINVAL, "%s: expected one of %s, got \"%s\"", from,
                     o->choices, v);
    }
    case OPT_DEC: {
      st_dec d;

      if (v[0] != '\0' && (st_dec_parse(v, &d) != ST_OK || st_dec_is_neg(d))) {
        return st_errf(eb, ST_EINVAL,
                       "%s: expected a decimal number such as \"1000.50\", "
                       "got \"%s\"",
                       from, v);
      }
      if (strlen(v) >= o->size) {
        return st_errf(eb, ST_EINVAL, "%s: value too long", from);
      }
      strcpy(field, v);
      return ST_OK;
    }
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
    } else if (o->kind == OPT_BOOL) {
      val = "true"; /* A bare boolean flag turns it on. */
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
