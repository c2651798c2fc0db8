/* sim_broker.h - the in-process simulated broker: settled's default.
 *
 * An st_broker over one st_sim (server/sim/sim.h) behind a mutex, with a
 * ticker thread that advances the simulated market every tick, delivers
 * trade updates and quotes through the callbacks (in order, from that one
 * thread), and keeps the account, positions and orders in a state file so
 * that a restart of settled keeps the paper account and in-flight
 * executions can be recovered. The state file is rewritten (temp file +
 * rename) after every change, before the call that made it returns, so a
 * kill -9 never loses an order the engine was told about.
 */
#ifndef ST_BROKER_SIM_BROKER_H
#define ST_BROKER_SIM_BROKER_H

#include "server/broker/broker.h"
#include "server/sim/sim.h"

typedef struct st_sim_broker_opts {
  /* State file; loaded at start when it exists, else created. NULL: the
   * account lives in memory only. Borrowed for st_sim_broker_create. */
  const char *state_path;
  /* Simulator tunables for a new account (NULL: defaults). When a state
   * file is loaded its saved config is used, except that latency and
   * partial-fill settings given here (non-NULL cfg) replace it. */
  const st_sim_config *cfg;
  /* Starting state of a new account (NULL: the demo portfolio). */
  const st_sim_start *start;
  int tick_ms; /* Market step period; default 20. */
  /* Time source (ns since the epoch); NULL: the wall clock. Tests share
   * one fake clock between this broker and the engine. */
  int64_t (*now)(void *ud);
  void *now_ud;
  int max_quote_symbols; /* Default ST_BROKER_MAX_QUOTE_SYMBOLS. */
} st_sim_broker_opts;

/* Creates the simulated broker. On success *out is owned by the caller:
 * (*out)->ops->destroy(*out). ST_EIO / ST_EPROTO when the state file cannot
 * be read or parsed (detail in eb); nothing is overwritten then. */
st_err st_sim_broker_create(const st_sim_broker_opts *o, st_broker **out,
                            st_errbuf *eb);

/* Runs fn(sim, now_ns, ud) under the broker's lock (for tests and the
 * control paths: pin a quote, force a fill), then saves the state and wakes
 * the ticker so resulting events are delivered promptly. Returns fn's
 * result. b must be a simulated broker. */
st_err st_sim_broker_with(st_broker *b,
                          st_err (*fn)(st_sim *sim, int64_t now_ns, void *ud),
                          void *ud);

#endif
