/* order.c - order enum names and the broker's price increment rule. */
#include "server/sim/order.h"

#include <string.h>

static const char *const side_names[] = {"buy", "sell"};
static const char *const type_names[] = {"market", "limit"};
static const char *const tif_names[] = {"day", "gtc"};
static const char *const status_names[] = {
    "accepted", "pending_new", "new",      "partially_filled", "filled",
    "canceled", "expired",     "replaced", "rejected",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *name_of(const char *const *names, int n, int v) {
  if (v < 0 || v >= n) {
    return "?";
  }
  return names[v];
}

static st_err parse_name(const char *const *names, int n, const char *s,
                         int *out) {
  if (s == NULL) {
    return ST_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return ST_OK;
    }
  }
  return ST_EINVAL;
}

const char *st_sim_side_name(st_sim_side v) {
  return name_of(side_names, COUNT(side_names), (int)v);
}

const char *st_sim_type_name(st_sim_type v) {
  return name_of(type_names, COUNT(type_names), (int)v);
}

const char *st_sim_tif_name(st_sim_tif v) {
  return name_of(tif_names, COUNT(tif_names), (int)v);
}

const char *st_sim_status_name(st_sim_status v) {
  return name_of(status_names, COUNT(status_names), (int)v);
}

st_err st_sim_side_parse(const char *s, st_sim_side *out) {
  int v;
  st_err rv = parse_name(side_names, COUNT(side_names), s, &v);

  if (rv == ST_OK) {
    *out = (st_sim_side)v;
  }
  return rv;
}

st_err st_sim_type_parse(const char *s, st_sim_type *out) {
  int v;
  st_err rv = parse_name(type_names, COUNT(type_names), s, &v);

  if (rv == ST_OK) {
    *out = (st_sim_type)v;
  }
  return rv;
}

st_err st_sim_tif_parse(const char *s, st_sim_tif *out) {
  int v;
  st_err rv = parse_name(tif_names, COUNT(tif_names), s, &v);

  if (rv == ST_OK) {
    *out = (st_sim_tif)v;
  }
  return rv;
}

st_err st_sim_status_parse(const char *s, st_sim_status *out) {
  int v;
  st_err rv = parse_name(status_names, COUNT(status_names), s, &v);

  if (rv == ST_OK) {
    *out = (st_sim_status)v;
  }
  return rv;
}

int st_sim_status_is_terminal(st_sim_status v) {
  return v == ST_SIM_FILLED || v == ST_SIM_CANCELED || v == ST_SIM_EXPIRED ||
         v == ST_SIM_REPLACED || v == ST_SIM_REJECTED;
}

int st_sim_status_is_pending(st_sim_status v) {
  return v == ST_SIM_ACCEPTED || v == ST_SIM_PENDING_NEW;
}

st_dec st_sim_order_remaining(const st_sim_order *o) {
  st_dec rest;

  if (st_dec_is_zero(o->qty)) {
    return ST_DEC_ZERO;
  }
  if (st_dec_sub(o->qty, o->filled_qty, &rest) != ST_OK ||
      st_dec_is_neg(rest)) {
    return ST_DEC_ZERO;
  }
  return rest;
}

st_err st_sim_check_price(st_dec price, st_sim_errinfo *ei) {
  char buf[ST_DEC_STRLEN];
  int digits;

  if (!st_dec_is_pos(price)) {
    return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_INVALID,
                        "limit_price must be > 0");
  }
  digits = st_dec_cmp(price, st_dec_from_int(1)) >= 0 ? 2 : 4;
  if (st_dec_cmp(st_dec_round(price, digits, ST_ROUND_DOWN), price) == 0) {
    return ST_OK;
  }
  return st_sim__fail(ei, ST_EINVAL, 422, ST_SIM_CODE_UNPROC,
                      "invalid limit_price %s. sub-penny increment does not "
                      "fulfill minimum pricing criteria",
                      st_dec_format(price, 0, buf));
}
