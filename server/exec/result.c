/* result.c - an execution's state as a settled.v1.ExecutionResult. */
#include <stdio.h>
#include <string.h>

#include "server/exec/internal.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"

#define ES(x) SETTLED__V1__EXECUTION_STATUS__EXECUTION_STATUS_##x

const char *st__status_name(int s) {
  switch (s) {
    case ES(QUEUED):
      return "QUEUED";
    case ES(RUNNING):
      return "RUNNING";
    case ES(SUCCESS):
      return "SUCCESS";
    case ES(SUCCESS_WITH_SKIPS):
      return "SUCCESS_WITH_SKIPS";
    case ES(PARTIAL_SUCCESS):
      return "PARTIAL_SUCCESS";
    case ES(FAILURE):
      return "FAILURE";
    case ES(CANCELED):
      return "CANCELED";
  }
  return "UNSPECIFIED";
}

int st__status_terminal(int s) {
  return s >= ES(SUCCESS);
}

/* Strings of one OrderResult, kept until the result is packed. */
typedef struct order_strs {
  char trade_amount[ST_DEC_STRLEN], shares[ST_DEC_STRLEN];
  char price[ST_DEC_STRLEN], requested[ST_DEC_STRLEN];
  char filled_value[ST_DEC_STRLEN], limit[ST_DEC_STRLEN];
  char bp[ST_DEC_STRLEN];
  char *ids[MAX_CHAIN_ORDERS];
  Google__Protobuf__Timestamp ts, filled_at;
} order_strs;

static void fill_order(execution *x, chain *c, Settled__V1__OrderResult *r,
                       order_strs *s) {
  st_dec filled, value, avg = ST_DEC_ZERO;

  settled__v1__order_result__init(r);
  r->symbol = c->symbol;
  r->action = c->side == ST_SIDE_SELL
                  ? SETTLED__V1__TRADE_ACTION__TRADE_ACTION_SELL
                  : SETTLED__V1__TRADE_ACTION__TRADE_ACTION_BUY;
  st_dec_add(c->prior_filled, c->cur_filled, &filled);
  value = c->prior_value;
  if (st_dec_is_pos(c->cur_filled)) {
    st_dec v;

    if (st_dec_mul(c->cur_filled, c->cur_avg, ST_ROUND_HALF_EVEN, &v) ==
        ST_OK) {
      st_dec_add(value, v, &value);
    }
  }
  if (st_dec_is_pos(filled)) {
    st_dec_div(value, filled, ST_ROUND_HALF_EVEN, &avg);
    avg = st_dec_round(avg, 4, ST_ROUND_HALF_EVEN);
  }
  if (x->dry_run) {
    st_dec_format(c->amount, 2, s->trade_amount);
    st_dec_format(c->requested, 0, s->shares);
    st_dec_format(c->limit, 2, s->price);
  } else {
    st_dec_format(st_dec_round(value, 2, ST_ROUND_HALF_EVEN), 2,
                  s->trade_amount);
    st_dec_format(filled, 0, s->shares);
    if (st_dec_is_pos(filled)) {
      st_dec_format(avg, 2, s->price);
    } else {
      s->price[0] = '\0';
    }
  }
  r->trade_amount = s->trade_amount;
  r->shares = s->shares;
  r->price = s->price;
  r->order_id = c->order_id;
  r->client_order_id = c->coid;
  r->success = c->success;
  r->skipped = c->skipped;
  r->skip_reason = c->skipped ? c->reason : "";
  r->error_message = c->failed ? c->reason : "";
  google__protobuf__timestamp__init(&s->ts);
  google__protobuf__timestamp__init(&s->filled_at);
  s->ts.seconds =
      (x->finished_ns ? x->finished_ns : x->created_ns) / ST_NS_PER_SEC;
  r->timestamp = &s->ts;
  r->order_type = c->type == ST_OTYPE_MARKET
                      ? SETTLED__V1__ORDER_TYPE__ORDER_TYPE_MARKET
                      : (c->type == ST_OTYPE_LIMIT
                             ? SETTLED__V1__ORDER_TYPE__ORDER_TYPE_LIMIT
                             : SETTLED__V1__ORDER_TYPE__ORDER_TYPE_UNSPECIFIED);
  if (c->filled_at_ns > 0) {
    s->filled_at.seconds = c->filled_at_ns / ST_NS_PER_SEC;
    s->filled_at.nanos = (int32_t)(c->filled_at_ns % ST_NS_PER_SEC);
    r->filled_at = &s->filled_at;
  }
  r->status = (Settled__V1__OrderStatus)c->status;
  st_dec_format(c->requested, 0, s->requested);
  r->requested_shares = s->requested;
  st_dec_format(st_dec_round(value, 2, ST_ROUND_HALF_EVEN), 2, s->filled_value);
  r->filled_value = s->filled_value;
  r->repeg_count = c->repegs;
  r->escalated_to_market = c->escalated;
  for (size_t i = 0; i < c->norders; i++) {
    s->ids[i] = c->order_ids[i];
  }
  r->n_order_ids = c->norders;
  r->order_ids = s->ids;
  if (c->type == ST_OTYPE_LIMIT && st_dec_is_pos(c->limit)) {
    st_dec_format(c->limit, 2, s->limit);
    r->limit_price = s->limit;
  }
  if (c->side == ST_SIDE_BUY && st_dec_is_pos(c->need_bp)) {
    st_dec_format(st_dec_round(c->need_bp, 2, ST_ROUND_UP), 2, s->bp);
    r->buying_power_needed = s->bp;
  }
}

st_err st__result_pack(execution *x, uint8_t **out, size_t *len) {
  Settled__V1__ExecutionResult r = SETTLED__V1__EXECUTION_RESULT__INIT;
  Settled__V1__OrderResult *orders = NULL, **optrs = NULL;
  order_strs *strs = NULL;
  char total[ST_DEC_STRLEN], released[ST_DEC_STRLEN], bp[ST_DEC_STRLEN];
  char **failed = NULL;
  Google__Protobuf__Timestamp started = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Google__Protobuf__Timestamp done = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  st_dec sum = ST_DEC_ZERO;
  st_err err = ST_ENOMEM;

  *out = NULL;
  if (x->nchains > 0) {
    orders = st_calloc(x->nchains, sizeof(*orders));
    optrs = st_calloc(x->nchains, sizeof(*optrs));
    strs = st_calloc(x->nchains, sizeof(*strs));
    failed = st_calloc(x->nchains, sizeof(*failed));
    if (orders == NULL || optrs == NULL || strs == NULL || failed == NULL) {
      goto out;
    }
  }
  for (size_t i = 0; i < x->nchains; i++) {
    chain *c = &x->chains[i];
    st_dec v = c->prior_value, cv;

    fill_order(x, c, &orders[i], &strs[i]);
    optrs[i] = &orders[i];
    if (c->order_id[0] != '\0') {
      r.orders_placed++;
    }
    r.orders_succeeded += c->success;
    r.orders_skipped += c->skipped;
    if (c->failed) {
      failed[r.n_failed_symbols++] = c->symbol;
      r.orders_failed++;
    }
    if (st_dec_mul(c->cur_filled, c->cur_avg, ST_ROUND_HALF_EVEN, &cv) ==
        ST_OK) {
      st_dec_add(v, cv, &v);
    }
    st_dec_add(sum, v, &sum);
  }
  r.n_orders = x->nchains;
  r.orders = optrs;
  r.failed_symbols = failed;
  r.status = (Settled__V1__ExecutionStatus)x->status;
  r.success = x->status == ES(SUCCESS) || x->status == ES(SUCCESS_WITH_SKIPS);
  r.plan_id = x->plan.plan_id;
  r.correlation_id = x->plan.correlation_id;
  r.causation_id = x->plan.causation_id;
  st_dec_format(st_dec_round(sum, 2, ST_ROUND_HALF_EVEN), 2, total);
  r.total_trade_value = total;
  started.seconds = x->created_ns / ST_NS_PER_SEC;
  started.nanos = (int32_t)(x->created_ns % ST_NS_PER_SEC);
  r.started_at = &started;
  if (x->finished_ns > 0) {
    done.seconds = x->finished_ns / ST_NS_PER_SEC;
    done.nanos = (int32_t)(x->finished_ns % ST_NS_PER_SEC);
    r.execution_timestamp = &done;
  }
  r.failure_reason = x->failure_reason;
  st_dec_format(st_dec_round(x->released, 2, ST_ROUND_HALF_EVEN), 2, released);
  r.buying_power_released = released;
  r.max_drift_tolerance = x->plan.max_drift_tolerance;
  r.execution_urgency = (Settled__V1__ExecutionUrgency)x->cfg.urgency;
  r.dry_run = x->dry_run;
  if (x->dry_run) {
    st_dec_format(st_dec_round(x->bp_needed, 2, ST_ROUND_UP), 2, bp);
    r.buying_power_needed = bp;
  }
  r.current_phase = st__status_terminal(x->status)
                        ? SETTLED__V1__PHASE_TYPE__PHASE_TYPE_UNSPECIFIED
                        : (Settled__V1__PhaseType)x->phase;
  r.last_sequence = x->last_seq;
  *len = protobuf_c_message_get_packed_size(&r.base);
  *out = st_malloc(*len == 0 ? 1 : *len);
  if (*out == NULL) {
    goto out;
  }
  protobuf_c_message_pack(&r.base, *out);
  err = ST_OK;
out:
  st_free(orders);
  st_free(optrs);
  st_free(strs);
  st_free(failed);
  return err;
}
