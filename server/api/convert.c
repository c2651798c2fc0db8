/* convert.c - broker structs as settled.v1 messages. */
#include "server/api/convert.h"

#include "server/exec/quote_check.h"
#include "server/util/clock.h"

Google__Protobuf__Timestamp *st_ts_to_pb(int64_t ns,
                                         Google__Protobuf__Timestamp *ts) {
  if (ns <= 0) {
    return NULL;
  }
  google__protobuf__timestamp__init(ts);
  ts->seconds = ns / ST_NS_PER_SEC;
  ts->nanos = (int32_t)(ns % ST_NS_PER_SEC);
  return ts;
}

static char *dec(st_dec d, int frac, char *buf) {
  return st_dec_format(d, frac, buf);
}

static char *opt_dec(st_dec d, int frac, char *buf) {
  if (st_dec_is_zero(d)) {
    buf[0] = '\0';
    return buf;
  }
  return st_dec_format(d, frac, buf);
}

void st_order_to_pb(const st_order *o, Settled__V1__Order *m,
                    st_order_strs *s) {
  settled__v1__order__init(m);
  m->id = (char *)o->id;
  m->client_order_id = (char *)o->client_order_id;
  m->symbol = (char *)o->symbol;
  m->side = (Settled__V1__TradeAction)o->side;
  m->type = (Settled__V1__OrderType)o->type;
  m->time_in_force = (char *)o->time_in_force;
  m->qty = st_dec_is_zero(o->qty) ? opt_dec(o->notional, 2, s->qty)
                                  : dec(o->qty, 0, s->qty);
  m->filled_qty = dec(o->filled_qty, 0, s->filled);
  m->filled_avg_price = opt_dec(o->filled_avg_price, 2, s->avg);
  m->limit_price = opt_dec(o->limit_price, 2, s->limit);
  m->status = (Settled__V1__OrderStatus)o->status;
  m->created_at = st_ts_to_pb(o->created_at_ns, &s->created);
  m->updated_at = st_ts_to_pb(o->updated_at_ns, &s->updated);
  m->filled_at = st_ts_to_pb(o->filled_at_ns, &s->filled_at);
  m->canceled_at = st_ts_to_pb(o->canceled_at_ns, &s->canceled);
  m->replaced_by = (char *)o->replaced_by;
  m->replaces = (char *)o->replaces;
}

void st_position_to_pb(const st_position *p, Settled__V1__Position *m,
                       st_position_strs *s) {
  settled__v1__position__init(m);
  m->symbol = (char *)p->symbol;
  m->qty = dec(p->qty, 0, s->qty);
  m->qty_available = dec(p->qty_available, 0, s->avail);
  m->avg_entry_price = dec(p->avg_entry_price, 2, s->entry);
  m->market_value = dec(p->market_value, 2, s->value);
  m->current_price = dec(p->current_price, 2, s->price);
  m->side = st_dec_is_neg(p->qty) ? "short" : "long";
  m->cost_basis = dec(p->cost_basis, 2, s->cost);
}

void st_quote_to_pb(const st_quote *q, Settled__V1__Quote *m,
                    st_quote_strs *s) {
  st_dec mid;

  settled__v1__quote__init(m);
  m->symbol = (char *)q->symbol;
  m->bid_price = opt_dec(q->bid, 2, s->bid);
  m->ask_price = opt_dec(q->ask, 2, s->ask);
  m->bid_size = dec(q->bid_size, 0, s->bid_size);
  m->ask_size = dec(q->ask_size, 0, s->ask_size);
  if (st_quote_mid(q, &mid) == ST_OK) {
    m->mid_price = dec(mid, 2, s->mid);
  }
  m->timestamp = st_ts_to_pb(q->ts_ns, &s->ts);
  m->received_at = st_ts_to_pb(q->received_ns, &s->received);
  m->source = (Settled__V1__QuoteSource)q->source;
}
