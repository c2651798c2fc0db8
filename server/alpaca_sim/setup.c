/* setup.c - the simulator of alpaca-sim from its configuration. */
#include "server/alpaca_sim/setup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/util/alloc.h"

#define NS_PER_MS 1000000LL
#define MAX_SYMBOLS 1024

/* The universe being built; rows point into sym[]. */
typedef struct universe {
  st_sim_asset_init rows[MAX_SYMBOLS];
  char sym[MAX_SYMBOLS][ST_SIM_SYMBOL_LEN];
  size_t n;
} universe;

/* A plausible starting price for an unknown symbol: $10.00 to $299.99,
 * fixed by the symbol's text. */
static st_dec plausible_price(const char *sym) {
  uint32_t h = 2166136261u;

  for (const char *p = sym; *p != '\0'; p++) {
    h = (h ^ (unsigned char)*p) * 16777619u;
  }
  return st_dec_from_units(1000 + (int64_t)(h % 29000u), 2);
}

/* Adds sym to u (from the default universe when listed there). */
static st_err add_symbol(universe *u, const char *sym, size_t len,
                         st_errbuf *eb) {
  const st_sim_asset_init *def;
  size_t ndef;

  if (len == 0) {
    return ST_OK;
  }
  if (len >= ST_SIM_SYMBOL_LEN) {
    return st_errf(eb, ST_EINVAL, "--universe: symbol \"%.*s\" is too long",
                   (int)len, sym);
  }
  for (size_t i = 0; i < u->n; i++) {
    if (strlen(u->sym[i]) == len && strncmp(u->sym[i], sym, len) == 0) {
      return ST_OK;
    }
  }
  if (u->n == MAX_SYMBOLS) {
    return st_errf(eb, ST_EINVAL, "--universe: more than %d symbols",
                   MAX_SYMBOLS);
  }
  memcpy(u->sym[u->n], sym, len);
  u->sym[u->n][len] = '\0';
  st_sim_market_default_universe(&def, &ndef);
  for (size_t i = 0; i < ndef; i++) {
    if (strcmp(def[i].symbol, u->sym[u->n]) == 0) {
      u->rows[u->n] = def[i];
      u->rows[u->n].symbol = u->sym[u->n];
      u->n++;
      return ST_OK;
    }
  }
  u->rows[u->n].symbol = u->sym[u->n];
  u->rows[u->n].name = u->sym[u->n];
  u->rows[u->n].exchange = "NYSE";
  u->rows[u->n].price = plausible_price(u->sym[u->n]);
  u->rows[u->n].tradable = 1;
  u->rows[u->n].fractionable = 1;
  u->n++;
  return ST_OK;
}

/* Loads path into *out; ST_ENOTFOUND when the file does not exist. */
static st_err load(const char *path, st_sim **out, st_errbuf *eb) {
  FILE *f = fopen(path, "r");
  st_err err;

  if (f == NULL) {
    if (errno == ENOENT) {
      return ST_ENOTFOUND;
    }
    return st_errf(eb, ST_EIO, "cannot read %s: %s", path, strerror(errno));
  }
  err = st_sim_load_file(f, out);
  fclose(f);
  if (err != ST_OK) {
    return st_errf(eb, err, "cannot load the state in %s: %s", path,
                   st_strerror(err));
  }
  return ST_OK;
}

/* Applies cfg's tunables to sc. */
static void tune(const st_asim_config *cfg, st_sim_config *sc) {
  sc->partial_share = cfg->partial_fill_share;
  sc->fill_latency_ns = (int64_t)cfg->fill_latency_ms * NS_PER_MS;
  sc->wash_trade_check = cfg->wash_trade_check;
  sc->clock_mode = cfg->clock;
}

st_err st_asim_setup_sim(const st_asim_config *cfg, int64_t now_ns,
                         st_sim **out, int *loaded, st_errbuf *eb) {
  st_sim_config sc;
  st_sim_start start;
  universe *u = NULL;
  st_err err;

  *out = NULL;
  *loaded = 0;
  if (cfg->state_file[0] != '\0') {
    err = load(cfg->state_file, out, eb);
    if (err == ST_OK) {
      *loaded = 1;
      (void)st_sim_get_config(*out, &sc);
      tune(cfg, &sc);
      err = st_sim_set_config(*out, &sc);
      if (err != ST_OK) {
        st_sim_free(*out);
        *out = NULL;
        return st_errf(eb, err, "bad simulator settings");
      }
      return ST_OK;
    }
    if (err != ST_ENOTFOUND) {
      return err;
    }
  }
  st_sim_config_default(&sc);
  sc.seed = cfg->seed;
  tune(cfg, &sc);
  if (cfg->portfolio == ST_ASIM_PORTFOLIO_DEMO) {
    st_sim_start_demo(&start);
  } else {
    st_sim_start_cash(&start, cfg->cash);
  }
  if (cfg->universe[0] != '\0') {
    const char *p = cfg->universe;

    u = st_calloc(1, sizeof(*u));
    if (u == NULL) {
      return st_errf(eb, ST_ENOMEM, "out of memory");
    }
    while (*p != '\0') {
      size_t n = strcspn(p, ",");

      err = add_symbol(u, p, n, eb);
      if (err != ST_OK) {
        goto out;
      }
      p += n;
      if (*p == ',') {
        p++;
      }
    }
    /* The demo positions must be listed. */
    for (size_t i = 0; i < start.npositions; i++) {
      const char *s = start.positions[i].symbol;

      err = add_symbol(u, s, strlen(s), eb);
      if (err != ST_OK) {
        goto out;
      }
    }
    start.universe = u->rows;
    start.nuniverse = u->n;
  }
  err = st_sim_create(&sc, &start, now_ns, out);
  if (err != ST_OK) {
    err = st_errf(eb, err, "cannot create the simulator: %s", st_strerror(err));
  }
out:
  st_free(u);
  return err;
}
