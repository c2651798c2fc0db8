/* plan.c - validate and normalise a plan, resolve its settings. */
#include "server/exec/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util/alloc.h"

#define NS 1000000000LL

void st_plan_limits_init(st_plan_limits *l) {
  memset(l, 0, sizeof(*l));
  l->max_items = 100;
  l->default_ttl_ns = 15LL * 60 * NS;
}

static int empty(const char *s) {
  return s == NULL || s[0] == '\0';
}

/* Parses an optional decimal field: empty keeps *out (the default). */
static st_err opt_dec(const char *s, const char *field, st_dec *out,
                      st_errbuf *eb) {
  st_err err;

  if (empty(s)) {
    return ST_OK;
  }
  err = st_dec_parse(s, out);
  if (err == ST_EOVERFLOW) {
    return st_errf(eb, ST_EINVAL, "%s: \"%s\" is out of range", field, s);
  }
  if (err != ST_OK) {
    return st_errf(eb, ST_EINVAL,
                   "%s: \"%s\" is not a decimal number such as \"12.50\"",
                   field, s);
  }
  return ST_OK;
}

/* Parses an optional duration in seconds into ns; must be > 0. */
static st_err opt_secs(const char *s, const char *field, int64_t *out,
                       st_errbuf *eb) {
  st_dec d;
  st_dec ns;

  if (empty(s)) {
    return ST_OK;
  }
  if (st_dec_parse(s, &d) != ST_OK || !st_dec_is_pos(d)) {
    return st_errf(eb, ST_EINVAL,
                   "%s: \"%s\" must be a positive number of seconds", field, s);
  }
  if (st_dec_cmp(d, st_dec_from_int(86400)) > 0) {
    return st_errf(eb, ST_EINVAL, "%s: %s seconds is more than a day", field,
                   s);
  }
  /* d.v is in billionths: exactly nanoseconds. */
  ns = d;
  *out = ns.v;
  return ST_OK;
}

st_err st_exec_config_resolve(const Settled__V1__ExecutionConfig *c,
                              int urgency, st_exec_config *o, st_errbuf *eb) {
  st_err err = ST_OK;
  int explicit_wait = 0;
  int64_t need;

  memset(o, 0, sizeof(*o));
  o->smart = 1;
  o->market_open_delay_min = 5;
  o->max_spread_pct = st_dec_from_units(50, 2);
  o->repeg_threshold_pct = st_dec_from_units(10, 2);
  o->max_repegs = 5;
  o->fill_wait_ns = 10 * NS;
  o->poll_interval_ns = NS / 2;
  o->max_wait_ns = 60 * NS;
  o->sell_failure_threshold = st_dec_from_int(500);
  o->cancel_open_orders = 1;
  o->market_without_quote = 1;
  o->quote_max_age_ns = 5 * NS;
  o->buy_buffer_pct = st_dec_from_int(1);
  o->allow_fractional = 1;
  o->urgency =
      urgency >= 1 && urgency <= 4 ? (st_urgency)urgency : ST_URGENCY_NORMAL;
  if (c != NULL) {
    if (c->enable_smart_execution != NULL) {
      o->smart = c->enable_smart_execution->value != 0;
    }
    if (c->cancel_open_orders != NULL) {
      o->cancel_open_orders = c->cancel_open_orders->value != 0;
    }
    if (c->market_order_without_quote != NULL) {
      o->market_without_quote = c->market_order_without_quote->value != 0;
    }
    if (c->allow_fractional != NULL) {
      o->allow_fractional = c->allow_fractional->value != 0;
    }
    if (c->market_open_delay_minutes != NULL) {
      o->market_open_delay_min = c->market_open_delay_minutes->value;
      if (o->market_open_delay_min < 0 || o->market_open_delay_min > 390) {
        return st_errf(eb, ST_EINVAL,
                       "config.market_open_delay_minutes: %d is not in 0..390",
                       o->market_open_delay_min);
      }
    }
    if (c->max_repegs_per_order != NULL) {
      o->max_repegs = c->max_repegs_per_order->value;
      if (o->max_repegs < 0 || o->max_repegs > 50) {
        return st_errf(eb, ST_EINVAL,
                       "config.max_repegs_per_order: %d is not in 0..50",
                       o->max_repegs);
      }
    }
    if ((err = opt_dec(c->max_spread_percent, "config.max_spread_percent",
                       &o->max_spread_pct, eb)) != ST_OK ||
        (err = opt_dec(c->repeg_threshold_percent,
                       "config.repeg_threshold_percent",
                       &o->repeg_threshold_pct, eb)) != ST_OK ||
        (err =
             opt_dec(c->sell_failure_threshold, "config.sell_failure_threshold",
                     &o->sell_failure_threshold, eb)) != ST_OK ||
        (err = opt_dec(c->buy_price_buffer_percent,
                       "config.buy_price_buffer_percent", &o->buy_buffer_pct,
                       eb)) != ST_OK ||
        (err = opt_secs(c->fill_wait_seconds, "config.fill_wait_seconds",
                        &o->fill_wait_ns, eb)) != ST_OK ||
        (err = opt_secs(c->polling_interval_seconds,
                        "config.polling_interval_seconds", &o->poll_interval_ns,
                        eb)) != ST_OK ||
        (err =
             opt_secs(c->quote_max_age_seconds, "config.quote_max_age_seconds",
                      &o->quote_max_age_ns, eb)) != ST_OK ||
        (err = opt_secs(c->max_wait_seconds, "config.max_wait_seconds",
                        &o->max_wait_ns, eb)) != ST_OK) {
      return err;
    }
    explicit_wait = !empty(c->max_wait_seconds);
    if (!st_dec_is_pos(o->max_spread_pct) ||
        st_dec_cmp(o->max_spread_pct, st_dec_from_int(100)) > 0) {
      return st_errf(eb, ST_EINVAL,
                     "config.max_spread_percent: must be above 0 and at most "
                     "100");
    }
    if (!st_dec_is_pos(o->repeg_threshold_pct) ||
        st_dec_cmp(o->repeg_threshold_pct, st_dec_from_int(100)) > 0) {
      return st_errf(eb, ST_EINVAL,
                     "config.repeg_threshold_percent: must be above 0 and at "
                     "most 100");
    }
    if (st_dec_is_neg(o->sell_failure_threshold)) {
      return st_errf(eb, ST_EINVAL,
                     "config.sell_failure_threshold: must not be negative");
    }
    if (st_dec_is_neg(o->buy_buffer_pct) ||
        st_dec_cmp(o->buy_buffer_pct, st_dec_from_int(50)) > 0) {
      return st_errf(eb, ST_EINVAL,
                     "config.buy_price_buffer_percent: must be in 0..50");
    }
    if (o->poll_interval_ns >= o->max_wait_ns) {
      return st_errf(eb, ST_EINVAL,
                     "config.polling_interval_seconds: must be below "
                     "max_wait_seconds");
    }
  }
  /* Urgency shapes the chain. */
  if (o->urgency == ST_URGENCY_URGENT) {
    o->smart = 0;
  } else if (o->urgency == ST_URGENCY_HIGH && o->max_repegs > 1) {
    o->max_repegs = 1;
  }
  /* One deadline covers the sell phase's whole re-peg chain. */
  need = o->smart ? o->fill_wait_ns * (o->max_repegs + 1) + ST_PHASE_MARGIN_NS
                  : ST_PHASE_MARGIN_NS;
  if (o->max_wait_ns < need) {
    if (explicit_wait) {
      return st_errf(eb, ST_EINVAL,
                     "config.max_wait_seconds: %lld s is shorter than the "
                     "re-peg chain it must cover (fill_wait_seconds x "
                     "(max_repegs_per_order + 1) + %lld s = %lld s)",
                     (long long)(o->max_wait_ns / NS),
                     (long long)(ST_PHASE_MARGIN_NS / NS),
                     (long long)((need + NS - 1) / NS));
    }
    o->max_wait_ns = need; /* The default stretches to fit the chain. */
  }
  return ST_OK;
}

/* 128-bit FNV-1a over the canonical text of the plan's content. */
typedef struct hash128 {
  uint64_t a, b;
} hash128;

static void hash_bytes(hash128 *h, const void *p, size_t n) {
  const unsigned char *s = p;

  for (size_t i = 0; i < n; i++) {
    h->a = (h->a ^ s[i]) * 0x100000001b3ULL;
    h->b = (h->b ^ s[i]) * 0x100000001b3ULL;
    h->b ^= h->b >> 29;
  }
}

static void hash_str(hash128 *h, const char *s) {
  hash_bytes(h, s, strlen(s) + 1); /* The NUL separates fields. */
}

static void hash_dec(hash128 *h, st_dec d) {
  char buf[ST_DEC_STRLEN];

  hash_str(h, st_dec_format(d, 0, buf));
}

static void hash_int(hash128 *h, int64_t v) {
  char buf[32];

  snprintf(buf, sizeof(buf), "%lld", (long long)v);
  hash_str(h, buf);
}

static int item_cmp(const void *x, const void *y) {
  return strcmp(((const st_plan_item *)x)->symbol,
                ((const st_plan_item *)y)->symbol);
}

static void plan_hash(const st_plan *p, const st_exec_config *c, char *out) {
  hash128 h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  st_plan_item *sorted = st_malloc(p->n * sizeof(*sorted));

  hash_str(&h, "settled.plan.v1");
  if (sorted != NULL) {
    memcpy(sorted, p->items, p->n * sizeof(*sorted));
    qsort(sorted, p->n, sizeof(*sorted), item_cmp);
    for (size_t i = 0; i < p->n; i++) {
      hash_str(&h, sorted[i].symbol);
      hash_int(&h, sorted[i].action);
      hash_dec(&h, sorted[i].trade_amount);
      hash_dec(&h, sorted[i].target_weight);
      hash_int(&h, sorted[i].liquidate);
    }
    st_free(sorted);
  }
  hash_int(&h, c->urgency);
  hash_int(&h, c->smart);
  hash_int(&h, c->market_open_delay_min);
  hash_dec(&h, c->max_spread_pct);
  hash_dec(&h, c->repeg_threshold_pct);
  hash_int(&h, c->max_repegs);
  hash_int(&h, c->fill_wait_ns);
  hash_int(&h, c->poll_interval_ns);
  hash_int(&h, c->max_wait_ns);
  hash_dec(&h, c->sell_failure_threshold);
  hash_int(&h, c->cancel_open_orders);
  hash_int(&h, c->market_without_quote);
  hash_int(&h, c->quote_max_age_ns);
  hash_dec(&h, c->buy_buffer_pct);
  hash_int(&h, c->allow_fractional);
  snprintf(out, ST_PLAN_HASH_LEN, "%016llx%016llx", (unsigned long long)h.a,
           (unsigned long long)h.b);
}

/* Checks a symbol and writes it upper-cased into out. */
static st_err symbol(const char *s, size_t idx, char *out, st_errbuf *eb) {
  size_t n = s != NULL ? strlen(s) : 0;

  if (n < 1 || n > 10) {
    return st_errf(eb, ST_EINVAL,
                   "plan.items[%zu].symbol: must be 1-10 characters, got "
                   "\"%s\"",
                   idx, s != NULL ? s : "");
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (!isalnum(c) && c != '.' && c != '/') {
      return st_errf(eb, ST_EINVAL,
                     "plan.items[%zu].symbol: \"%s\" has a character that is "
                     "not a letter, digit, '.' or '/'",
                     idx, s);
    }
    out[i] = (char)toupper(c);
  }
  out[n] = '\0';
  return ST_OK;
}

static st_err weight(const char *s, size_t idx, const char *name, st_dec *out,
                     st_errbuf *eb) {
  char field[64];

  snprintf(field, sizeof(field), "plan.items[%zu].%s", idx, name);
  *out = ST_DEC_ZERO;
  if (opt_dec(s, field, out, eb) != ST_OK) {
    return ST_EINVAL;
  }
  if (st_dec_is_neg(*out) || st_dec_cmp(*out, st_dec_from_int(1)) > 0) {
    return st_errf(eb, ST_EINVAL, "%s: %s is not in [0, 1]", field, s);
  }
  return ST_OK;
}

static st_err parse_item(const Settled__V1__RebalancePlanItem *it, size_t idx,
                         const st_plan_limits *lim, st_plan_item *o,
                         st_errbuf *eb) {
  char field[64];
  st_dec scratch;
  st_err err;

  memset(o, 0, sizeof(*o));
  o->index = idx;
  o->priority = it->priority;
  if ((err = symbol(it->symbol, idx, o->symbol, eb)) != ST_OK ||
      (err = weight(it->current_weight, idx, "current_weight",
                    &o->current_weight, eb)) != ST_OK ||
      (err = weight(it->target_weight, idx, "target_weight", &o->target_weight,
                    eb)) != ST_OK) {
    return err;
  }
  snprintf(field, sizeof(field), "plan.items[%zu].trade_amount", idx);
  if ((err = opt_dec(it->trade_amount, field, &o->trade_amount, eb)) != ST_OK) {
    return err;
  }
  snprintf(field, sizeof(field), "plan.items[%zu].weight_diff", idx);
  if ((err = opt_dec(it->weight_diff, field, &scratch, eb)) != ST_OK) {
    return err;
  }
  snprintf(field, sizeof(field), "plan.items[%zu].target_value", idx);
  if ((err = opt_dec(it->target_value, field, &scratch, eb)) != ST_OK) {
    return err;
  }
  snprintf(field, sizeof(field), "plan.items[%zu].current_value", idx);
  if ((err = opt_dec(it->current_value, field, &scratch, eb)) != ST_OK) {
    return err;
  }
  switch (it->action) {
    case SETTLED__V1__TRADE_ACTION__TRADE_ACTION_BUY:
      o->action = ST_ACTION_BUY;
      if (!st_dec_is_pos(o->trade_amount)) {
        return st_errf(eb, ST_EINVAL,
                       "plan.items[%zu].trade_amount: a BUY needs a positive "
                       "amount, got \"%s\"",
                       idx, empty(it->trade_amount) ? "" : it->trade_amount);
      }
      break;
    case SETTLED__V1__TRADE_ACTION__TRADE_ACTION_SELL:
      o->action = ST_ACTION_SELL;
      o->liquidate =
          !empty(it->target_weight) && st_dec_is_zero(o->target_weight);
      if (!st_dec_is_neg(o->trade_amount) &&
          !(o->liquidate && st_dec_is_zero(o->trade_amount))) {
        return st_errf(eb, ST_EINVAL,
                       "plan.items[%zu].trade_amount: a SELL needs a negative "
                       "amount, got \"%s\"",
                       idx, empty(it->trade_amount) ? "" : it->trade_amount);
      }
      break;
    case SETTLED__V1__TRADE_ACTION__TRADE_ACTION_HOLD:
      o->action = ST_ACTION_HOLD;
      if (!st_dec_is_zero(o->trade_amount)) {
        return st_errf(eb, ST_EINVAL,
                       "plan.items[%zu].trade_amount: a HOLD has no amount, "
                       "got \"%s\"",
                       idx, it->trade_amount);
      }
      break;
    default:
      return st_errf(eb, ST_EINVAL,
                     "plan.items[%zu].action: must be BUY, SELL or HOLD", idx);
  }
  if (st_dec_is_pos(lim->max_order_notional) &&
      st_dec_cmp(st_dec_abs(o->trade_amount), lim->max_order_notional) > 0) {
    char a[ST_DEC_STRLEN], m[ST_DEC_STRLEN];

    return st_errf(eb, ST_EINVAL,
                   "plan.items[%zu].trade_amount: %s is above the server's "
                   "limit per order of %s",
                   idx, st_dec_format(st_dec_abs(o->trade_amount), 2, a),
                   st_dec_format(lim->max_order_notional, 2, m));
  }
  return ST_OK;
}

st_err st_plan_parse(const Settled__V1__ExecutePlanRequest *req,
                     const st_plan_limits *lim, int64_t now_ns, st_plan *p,
                     st_exec_config *cfg, st_errbuf *eb) {
  const Settled__V1__RebalancePlan *rp = req->plan;
  st_dec total = ST_DEC_ZERO, scratch;
  int64_t ttl = lim->default_ttl_ns;
  st_err err;

  memset(p, 0, sizeof(*p));
  if (rp == NULL) {
    return st_errf(eb, ST_EINVAL, "plan: missing");
  }
  if (empty(rp->plan_id)) {
    return st_errf(eb, ST_EINVAL, "plan.plan_id: missing");
  }
  if (strlen(rp->plan_id) > ST_PLAN_ID_MAX) {
    return st_errf(eb, ST_EINVAL,
                   "plan.plan_id: %zu characters is more than %d",
                   strlen(rp->plan_id), ST_PLAN_ID_MAX);
  }
  for (const char *c = rp->plan_id; *c != '\0'; c++) {
    if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
      return st_errf(eb, ST_EINVAL,
                     "plan.plan_id: must be printable ASCII (letters, "
                     "digits, punctuation)");
    }
  }
  if (rp->correlation_id != NULL && strlen(rp->correlation_id) > 128) {
    return st_errf(eb, ST_EINVAL,
                   "plan.correlation_id: more than 128 "
                   "characters");
  }
  if (rp->causation_id != NULL && strlen(rp->causation_id) > 128) {
    return st_errf(eb, ST_EINVAL,
                   "plan.causation_id: more than 128 "
                   "characters");
  }
  if (rp->n_items == 0) {
    return st_errf(eb, ST_EINVAL, "plan.items: at least one item is needed");
  }
  if (rp->n_items > lim->max_items) {
    return st_errf(eb, ST_EINVAL,
                   "plan.items: %zu items is more than the server's limit of "
                   "%zu",
                   rp->n_items, lim->max_items);
  }
  if ((err = opt_dec(rp->total_portfolio_value, "plan.total_portfolio_value",
                     &scratch, eb)) != ST_OK ||
      (err = opt_dec(rp->total_trade_value, "plan.total_trade_value", &scratch,
                     eb)) != ST_OK ||
      (err = opt_dec(rp->max_drift_tolerance, "plan.max_drift_tolerance",
                     &scratch, eb)) != ST_OK) {
    return err;
  }
  if (rp->execution_urgency < 0 || rp->execution_urgency > 4) {
    return st_errf(eb, ST_EINVAL, "plan.execution_urgency: unknown value %d",
                   (int)rp->execution_urgency);
  }
  err =
      st_exec_config_resolve(req->config, (int)rp->execution_urgency, cfg, eb);
  if (err != ST_OK) {
    return err;
  }
  p->items = st_calloc(rp->n_items, sizeof(st_plan_item));
  if (p->items == NULL) {
    return st_errf(eb, ST_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < rp->n_items; i++) {
    st_plan_item *it = &p->items[i];

    err = parse_item(rp->items[i], i, lim, it, eb);
    if (err != ST_OK) {
      goto fail;
    }
    for (size_t k = 0; k < i; k++) {
      if (strcmp(p->items[k].symbol, it->symbol) == 0) {
        err = st_errf(eb, ST_EINVAL,
                      "plan.items[%zu].symbol: %s already appears in "
                      "plan.items[%zu]",
                      i, it->symbol, k);
        goto fail;
      }
    }
    p->nsell += it->action == ST_ACTION_SELL;
    p->nbuy += it->action == ST_ACTION_BUY;
    p->nhold += it->action == ST_ACTION_HOLD;
    if (st_dec_add(total, st_dec_abs(it->trade_amount), &total) != ST_OK) {
      err = st_errf(eb, ST_EINVAL, "plan.items: amounts too large");
      goto fail;
    }
    p->n++;
  }
  if (st_dec_is_pos(lim->max_plan_notional) &&
      st_dec_cmp(total, lim->max_plan_notional) > 0) {
    char a[ST_DEC_STRLEN], m[ST_DEC_STRLEN];

    err = st_errf(eb, ST_EINVAL,
                  "plan.items: the plan trades %s, above the server's limit "
                  "per plan of %s",
                  st_dec_format(total, 2, a),
                  st_dec_format(lim->max_plan_notional, 2, m));
    goto fail;
  }
  snprintf(p->plan_id, sizeof(p->plan_id), "%s", rp->plan_id);
  snprintf(p->correlation_id, sizeof(p->correlation_id), "%s",
           empty(rp->correlation_id) ? rp->plan_id : rp->correlation_id);
  snprintf(p->causation_id, sizeof(p->causation_id), "%s",
           empty(rp->causation_id) ? "" : rp->causation_id);
  snprintf(p->max_drift_tolerance, sizeof(p->max_drift_tolerance), "%s",
           empty(rp->max_drift_tolerance) ? "" : rp->max_drift_tolerance);
  p->timestamp_ns = now_ns;
  if (rp->timestamp != NULL) {
    int64_t ts = rp->timestamp->seconds * NS + rp->timestamp->nanos;

    if (rp->timestamp->nanos < 0 || rp->timestamp->nanos >= NS ||
        rp->timestamp->seconds <= 0) {
      err = st_errf(eb, ST_EINVAL, "plan.timestamp: not a valid time");
      goto fail;
    }
    if (ts > now_ns + 5 * 60 * NS) {
      err = st_errf(eb, ST_EINVAL,
                    "plan.timestamp: more than 5 minutes in the future");
      goto fail;
    }
    p->timestamp_ns = ts;
  }
  if (rp->time_to_live != NULL) {
    const Google__Protobuf__Duration *d = rp->time_to_live;

    if (d->seconds < 0 || d->nanos < 0 || d->nanos >= NS ||
        (d->seconds == 0 && d->nanos == 0) || d->seconds > 7 * 86400) {
      err = st_errf(eb, ST_EINVAL,
                    "plan.time_to_live: must be above 0 and at most 7 days");
      goto fail;
    }
    ttl = d->seconds * NS + d->nanos;
  }
  p->expires_ns = p->timestamp_ns + ttl;
  if (p->expires_ns <= now_ns) {
    err = st_errf(eb, ST_EINVAL,
                  "plan.timestamp: the plan expired (its time to live ended "
                  "%lld s ago)",
                  (long long)((now_ns - p->expires_ns) / NS));
    goto fail;
  }
  plan_hash(p, cfg, p->hash);
  return ST_OK;
fail:
  st_plan_free(p);
  return err;
}

void st_plan_free(st_plan *p) {
  st_free(p->items);
  p->items = NULL;
  p->n = 0;
}
