/* broker_contract_sim_test.c - the broker contract against the in-process
 * simulated broker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/broker/sim_broker.h"
#include "tests/unit/broker_contract.h"

static char dir[256];
static int seq;

static st_broker *sim_open(void) {
  st_sim_broker_opts o;
  st_sim_config cfg;
  st_broker *b = NULL;
  st_errbuf eb;
  char path[300];

  memset(&o, 0, sizeof(o));
  st_sim_config_default(&cfg);
  cfg.partial_share = ST_DEC_ZERO; /* Partial fills are forced by tests. */
  snprintf(path, sizeof(path), "%s/sim-%d.state", dir, ++seq);
  o.state_path = path;
  o.cfg = &cfg;
  o.tick_ms = 5;
  if (st_sim_broker_create(&o, &b, &eb) != ST_OK) {
    fprintf(stderr, "sim broker: %s\n", eb.msg);
    return NULL;
  }
  return b;
}

static void sim_close(st_broker *b) {
  b->ops->destroy(b);
}

typedef struct fill_args {
  const char *id;
  st_dec qty, price;
} fill_args;

static st_err do_fill(st_sim *s, int64_t now, void *ud) {
  fill_args *a = ud;

  return st_sim_force_fill(s, a->id, a->qty, a->price, now, NULL);
}

static st_err sim_fill(st_broker *b, const char *id, st_dec qty, st_dec price) {
  fill_args a = {id, qty, price};

  return st_sim_broker_with(b, do_fill, &a);
}

typedef struct quote_args {
  const char *sym;
  st_dec bid, ask;
} quote_args;

static st_err do_quote(st_sim *s, int64_t now, void *ud) {
  quote_args *a = ud;

  return st_sim_market_set_quote(st_sim_get_market(s), a->sym, a->bid, a->ask,
                                 300, 300, now);
}

static st_err sim_pin(st_broker *b, const char *sym, st_dec bid, st_dec ask) {
  quote_args a = {sym, bid, ask};

  return st_sim_broker_with(b, do_quote, &a);
}

int main(void) {
  const st_contract_backend be = {
      .name = "sim",
      .open = sim_open,
      .close = sim_close,
      .force_fill = sim_fill,
      .pin_quote = sim_pin,
  };
  const char *tmp = getenv("TEST_TMPDIR");

  snprintf(dir, sizeof(dir), "%s", tmp != NULL ? tmp : "/tmp");
  return st_contract_run(&be);
}
