/* plan.h - plan validation, normalisation, settings and identity.
 *
 * Turns an ExecutePlanRequest into an st_plan (normalised items) and an
 * st_exec_config (every setting resolved to its value, defaults applied),
 * or refuses it with ST_EINVAL and a message that names the field, e.g.
 * "plan.items[2].symbol: must be 1-10 characters". Nothing is sent to a
 * broker for a plan this refuses.
 *
 * The plan hash identifies the plan's content for idempotency: the same
 * plan_id with a different hash is a different plan (ALREADY_EXISTS). It
 * covers the normalised items, the urgency and the resolved settings, not
 * the timestamp, causation id, metadata or dry_run/detach flags.
 */
#ifndef ST_EXEC_PLAN_H
#define ST_EXEC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "server/util/err.h"
#include "settled/v1/execution.pb-c.h"

#define ST_PLAN_ID_MAX 64
#define ST_PLAN_HASH_LEN 33 /* 32 hex digits and NUL. */

/* Execution style from the plan's urgency. */
typedef enum st_urgency {
  ST_URGENCY_LOW = 1,
  ST_URGENCY_NORMAL = 2,
  ST_URGENCY_HIGH = 3,   /* One re-peg, then market. */
  ST_URGENCY_URGENT = 4, /* Market orders only. */
} st_urgency;

/* Every setting of an execution, resolved. */
typedef struct st_exec_config {
  int smart;                     /* Smart limit orders (else market). */
  int market_open_delay_min;     /* Minutes held back after the open. */
  st_dec max_spread_pct;         /* Percent of mid, e.g. 0.50. */
  st_dec repeg_threshold_pct;    /* Percent move that triggers a re-peg. */
  int max_repegs;                /* Re-pegs before market. */
  int64_t fill_wait_ns;          /* A limit order's time before re-peg. */
  int64_t poll_interval_ns;      /* Order polling while the stream is down. */
  int64_t max_wait_ns;           /* One deadline per phase. */
  st_dec sell_failure_threshold; /* USD; zero disables the guard. */
  int cancel_open_orders;        /* Cancel open orders on plan symbols. */
  int market_without_quote;      /* Market orders when no usable quote. */
  int64_t quote_max_age_ns;      /* Oldest usable quote. */
  st_dec buy_buffer_pct;         /* Percent over the ask for sizing buys. */
  int allow_fractional;          /* Fractional qty where allowed. */
  st_urgency urgency;
} st_exec_config;

/* What the server allows (flags). */
typedef struct st_plan_limits {
  size_t max_items;          /* Most items in a plan (default 100). */
  st_dec max_order_notional; /* Largest |trade_amount| of an item; zero:
                                no limit. */
  st_dec max_plan_notional;  /* Largest sum of |trade_amount|; zero: no
                                limit. */
  int64_t default_ttl_ns;    /* Time to live when the plan sets none
                                (15 minutes). */
} st_plan_limits;

/* Fills l with the defaults. */
void st_plan_limits_init(st_plan_limits *l);

typedef enum st_action {
  ST_ACTION_BUY = 1,
  ST_ACTION_SELL = 2,
  ST_ACTION_HOLD = 3,
} st_action;

/* One normalised plan item. */
typedef struct st_plan_item {
  char symbol[ST_SYMBOL_LEN]; /* Upper-case. */
  st_action action;
  st_dec trade_amount; /* Signed dollars: + buy, - sell, 0 hold. */
  st_dec current_weight;
  st_dec target_weight;
  int liquidate; /* SELL with target weight 0: sell the whole position. */
  int priority;
  size_t index; /* Position in the request's items. */
} st_plan_item;

/* A normalised plan. */
typedef struct st_plan {
  char plan_id[ST_PLAN_ID_MAX + 1];
  char correlation_id[129]; /* Defaults to plan_id. */
  char causation_id[129];
  int64_t timestamp_ns; /* The plan's timestamp, or its arrival. */
  int64_t expires_ns;   /* timestamp + time to live. */
  st_plan_item *items;  /* Owned; n items. */
  size_t n;
  size_t nsell, nbuy, nhold;
  char max_drift_tolerance[40]; /* Echoed as given. */
  char hash[ST_PLAN_HASH_LEN];
} st_plan;

/* Validates req against lim at now_ns. On success fills *plan (free with
 * st_plan_free) and *cfg. On failure returns ST_EINVAL with the field and
 * reason in eb, and *plan needs no freeing. */
st_err st_plan_parse(const Settled__V1__ExecutePlanRequest *req,
                     const st_plan_limits *lim, int64_t now_ns, st_plan *plan,
                     st_exec_config *cfg, st_errbuf *eb);

/* Frees what st_plan_parse allocated in plan. */
void st_plan_free(st_plan *plan);

/* Resolves only the config (absent fields to defaults); used by
 * st_plan_parse and by recovery. ST_EINVAL with the field named in eb. */
st_err st_exec_config_resolve(const Settled__V1__ExecutionConfig *c,
                              int urgency, st_exec_config *out, st_errbuf *eb);

/* Seconds of slack the sell-phase deadline must leave beyond the whole
 * re-peg chain (fill_wait x (max_repegs + 1)). */
#define ST_PHASE_MARGIN_NS (5LL * 1000000000LL)

#endif
