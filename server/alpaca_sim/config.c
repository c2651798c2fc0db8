/* config.c - alpaca-sim's flags and ALPACA_SIM_* environment variables. */
#include "server/alpaca_sim/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind {
  OPT_STR,
  OPT_INT,
  OPT_U64,
  OPT_LISTEN,
  OPT_DEC,
  OPT_SHARE,
  OPT_BOOL,
  OPT_PORTFOLIO,
  OPT_CLOCK,
  OPT_LEVEL,
} opt_kind;

typedef struct opt {
  const char *flag; /* Without the leading "--". */
  const char *env;
  opt_kind kind;
  size_t off;  /* Offset of the field in st_asim_config. */
  size_t size; /* For strings: the buffer size. */
  long min, max;
  const char *def;
  const char *help;
} opt;

#define F(field) \
  offsetof(st_asim_config, field), sizeof(((st_asim_config *)0)->field)

static const opt opts[] = {
    {"listen", "ALPACA_SIM_LISTEN", OPT_LISTEN, F(host), 0, 0, "127.0.0.1:8765",
     "address to serve on, HOST:PORT (port 0: a free port)"},
    {"ready-file", "ALPACA_SIM_READY_FILE", OPT_STR, F(ready_file), 0, 0, "",
     "once serving, write HOST:PORT to this file (atomically)"},
    {"seed", "ALPACA_SIM_SEED", OPT_U64, F(seed), 0, 0, "1",
     "seed of the simulation's random generators"},
    {"key-id", "ALPACA_SIM_KEY_ID", OPT_STR, F(key_id), 0, 0, "sim-key",
     "the accepted APCA-API-KEY-ID"},
    {"secret-key", "ALPACA_SIM_SECRET_KEY", OPT_STR, F(secret_key), 0, 0,
     "sim-secret", "the accepted APCA-API-SECRET-KEY"},
    {"portfolio", "ALPACA_SIM_PORTFOLIO", OPT_PORTFOLIO, F(portfolio), 0, 0,
     "demo", "starting account: demo (cash and positions) or cash"},
    {"cash", "ALPACA_SIM_CASH", OPT_DEC, F(cash), 0, 0, "100000",
     "starting cash in dollars, with --portfolio cash"},
    {"universe", "ALPACA_SIM_UNIVERSE", OPT_STR, F(universe), 0, 0, "",
     "symbols to list, SYM,SYM,... (default: the built-in universe)"},
    {"fill-latency-ms", "ALPACA_SIM_FILL_LATENCY_MS", OPT_INT,
     F(fill_latency_ms), 0, 86400000, "0",
     "no fill before an order is this old (ms)"},
    {"partial-fill-share", "ALPACA_SIM_PARTIAL_FILL_SHARE", OPT_SHARE,
     F(partial_fill_share), 0, 0, "0.10", "share of fills that are partial"},
    {"rate-limit", "ALPACA_SIM_RATE_LIMIT", OPT_INT, F(rate_limit), 1, 1000000,
     "200", "REST requests per minute and key before 429"},
    {"wash-trade-check", "ALPACA_SIM_WASH_TRADE_CHECK", OPT_BOOL,
     F(wash_trade_check), 0, 0, "0",
     "refuse orders opposite an open order on the same symbol"},
    {"clock", "ALPACA_SIM_CLOCK", OPT_CLOCK, F(clock), 0, 0, "open",
     "market clock: open (always open) or nyse (regular hours)"},
    {"tick-ms", "ALPACA_SIM_TICK_MS", OPT_INT, F(tick_ms), 1, 60000, "50",
     "simulation step and stream flush interval (ms)"},
    {"log-level", "ALPACA_SIM_LOG_LEVEL", OPT_LEVEL, F(log_level), 0, 0, "info",
     "lowest level logged: debug, info, warn or error"},
    {"state-file", "ALPACA_SIM_STATE_FILE", OPT_STR, F(state_file), 0, 0, "",
     "load the simulation from this file if present; save it there"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void st_asim_config_usage(FILE *out) {
  fprintf(out,
          "usage: alpaca-sim [flags]\n\n"
          "alpaca-sim: a loopback server speaking the Alpaca trading and\n"
          "market-data protocols (REST, trade_updates and data streams)\n"
          "over a simulated paper account, with a /_sim/ control API.\n"
          "Every flag can also be set with the environment variable shown;\n"
          "a flag wins over the environment.\n\n");
  for (size_t i = 0; i < NOPTS; i++) {
    fprintf(out, "  --%-20s %s\n  %-22s (env %s, default \"%s\")\n",
            opts[i].flag, opts[i].help, "", opts[i].env, opts[i].def);
  }
  fprintf(out, "  --%-20s print this help and exit\n", "help");
}

/* Splits "HOST:PORT" (or "[V6]:PORT") into c->host and c->port. */
static st_err set_listen(st_asim_config *c, const char *v, const char *from,
                         st_errbuf *eb) {
  const char *colon = strrchr(v, ':');
  const char *h = v;
  size_t hlen;
  char *end;
  long port;

  if (colon == NULL) {
    return st_errf(eb, ST_EINVAL, "%s: expected HOST:PORT, got \"%s\"", from,
                   v);
  }
  hlen = (size_t)(colon - v);
  if (hlen >= 2 && v[0] == '[' && v[hlen - 1] == ']') {
    h = v + 1;
    hlen -= 2;
  }
  errno = 0;
  port = strtol(colon + 1, &end, 10);
  if (hlen == 0 || hlen >= sizeof(c->host) || errno != 0 || end == colon + 1 ||
      *end != '\0' || port < 0 || port > 65535) {
    return st_errf(eb, ST_EINVAL, "%s: expected HOST:PORT, got \"%s\"", from,
                   v);
  }
  memcpy(c->host, h, hlen);
  c->host[hlen] = '\0';
  c->port = (int)port;
  return ST_OK;
}

static st_err set(st_asim_config *c, const opt *o, const char *v,
                  const char *from, st_errbuf *eb) {
  char *field = (char *)c + o->off;
  char *end;
  long n;
  unsigned long long u;
  st_dec d;

  switch (o->kind) {
    case OPT_STR:
      if (strlen(v) >= o->size) {
        return st_errf(eb, ST_EINVAL, "%s: value too long", from);
      }
      strcpy(field, v);
      return ST_OK;
    case OPT_LISTEN:
      return set_listen(c, v, from, eb);
    case OPT_INT:
      errno = 0;
      n = strtol(v, &end, 10);
      if (errno != 0 || end == v || *end != '\0' || n < o->min || n > o->max) {
        return st_errf(eb, ST_EINVAL,
                       "%s: expected a whole number from %ld to %ld, got "
                       "\"%s\"",
                       from, o->min, o->max, v);
      }
      *(int *)field = (int)n;
      return ST_OK;
    case OPT_U64:
      errno = 0;
      u = strtoull(v, &end, 10);
      if (errno != 0 || end == v || *end != '\0' || v[0] == '-') {
        return st_errf(eb, ST_EINVAL, "%s: expected a whole number, got \"%s\"",
                       from, v);
      }
      *(uint64_t *)field = (uint64_t)u;
      return ST_OK;
    case OPT_DEC:
    case OPT_SHARE:
      if (st_dec_parse(v, &d) != ST_OK || st_dec_is_neg(d) ||
          (o->kind == OPT_SHARE && st_dec_cmp(d, st_dec_from_int(1)) > 0)) {
        return st_errf(
            eb, ST_EINVAL, "%s: expected a %s, got \"%s\"", from,
            o->kind == OPT_SHARE ? "share from 0 to 1" : "non-negative decimal",
            v);
      }
      *(st_dec *)field = d;
      return ST_OK;
    case OPT_BOOL:
      if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
          strcmp(v, "yes") == 0) {
        *(int *)field = 1;
      } else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 ||
                 strcmp(v, "no") == 0 || v[0] == '\0') {
        *(int *)field = 0;
      } else {
        return st_errf(eb, ST_EINVAL, "%s: expected true or false, got \"%s\"",
                       from, v);
      }
      return ST_OK;
    case OPT_PORTFOLIO:
      if (strcmp(v, "demo") == 0) {
        *(st_asim_portfolio *)field = ST_ASIM_PORTFOLIO_DEMO;
      } else if (strcmp(v, "cash") == 0) {
        *(st_asim_portfolio *)field = ST_ASIM_PORTFOLIO_CASH;
      } else {
        return st_errf(eb, ST_EINVAL, "%s: expected demo or cash, got \"%s\"",
                       from, v);
      }
      return ST_OK;
    case OPT_CLOCK:
      if (strcmp(v, "open") == 0) {
        *(st_sim_clock_mode *)field = ST_SIM_CLOCK_ALWAYS_OPEN;
      } else if (strcmp(v, "nyse") == 0) {
        *(st_sim_clock_mode *)field = ST_SIM_CLOCK_NYSE;
      } else {
        return st_errf(eb, ST_EINVAL, "%s: expected open or nyse, got \"%s\"",
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

st_err st_asim_config_parse(st_asim_config *c, int argc, char **argv,
                            st_errbuf *eb) {
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
      val = "1";
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
