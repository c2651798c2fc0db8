/* persist.c - saving and loading a whole simulator as line-oriented text.
 *
 * Format (version 1): a header line "settled-sim 1", then one record per
 * line, "<kind> key=value key=value ...", and a last line "end" that
 * catches truncation. Kinds: config, engine, market, asset (one per
 * symbol, universe order), position (one per position), order (one per
 * order, creation order). Values are decimals in plain notation, integers,
 * enum names, or strings with bytes outside '!'..'~' and '%' written as
 * %XX. Unknown keys are ignored and missing ones read as zero, so a field
 * can be added without a version bump. One table of fields per kind drives
 * both directions, so save and load cannot drift apart.
 */
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sim/internal.h"
#include "server/util/alloc.h"

#define HEADER "settled-sim 1"

typedef enum ftype {
  F_STR,
  F_DEC,
  F_I64,
  F_U64,
  F_I32,
  F_INT,
  F_SIDE,
  F_TYPE,
  F_TIF,
  F_STATUS,
  F_CLOCK,
} ftype;

typedef struct field {
  const char *key;
  ftype t;
  size_t off;
  size_t size; /* Of the member: the buffer size for F_STR. */
} field;

#define F(k, t, st, m) \
  { k, t, offsetof(st, m), sizeof(((st *)0)->m) }

static const field config_fields[] = {
    F("seed", F_U64, st_sim_config, seed),
    F("walk_interval_ns", F_I64, st_sim_config, walk.interval_ns),
    F("walk_vol_bps", F_I32, st_sim_config, walk.vol_bps),
    F("walk_spread_bps", F_I32, st_sim_config, walk.spread_bps),
    F("partial_share", F_DEC, st_sim_config, partial_share),
    F("ack_latency_ns", F_I64, st_sim_config, ack_latency_ns),
    F("fill_latency_ns", F_I64, st_sim_config, fill_latency_ns),
    F("market_buy_buffer", F_DEC, st_sim_config, market_buy_buffer),
    F("wash_trade_check", F_INT, st_sim_config, wash_trade_check),
    F("clock_mode", F_CLOCK, st_sim_config, clock_mode),
    {NULL, F_INT, 0, 0},
};

static const field engine_fields[] = {
    F("rng0", F_U64, struct st_sim, rng.s[0]),
    F("rng1", F_U64, struct st_sim, rng.s[1]),
    F("rng2", F_U64, struct st_sim, rng.s[2]),
    F("rng3", F_U64, struct st_sim, rng.s[3]),
    F("account_id", F_STR, struct st_sim, account_id),
    F("account_number", F_STR, struct st_sim, account_number),
    F("created_at_ns", F_I64, struct st_sim, created_at_ns),
    F("cash", F_DEC, struct st_sim, cash),
    F("last_now_ns", F_I64, struct st_sim, last_now_ns),
    F("hold_until_ns", F_I64, struct st_sim, hold_until_ns),
    F("reject_next", F_INT, struct st_sim, reject_next),
    F("reject_reason", F_STR, struct st_sim, reject_reason),
    F("event_seq", F_U64, struct st_sim, events.seq),
    {NULL, F_INT, 0, 0},
};

static const field market_fields[] = {
    F("rng0", F_U64, struct st_sim_market, rng.s[0]),
    F("rng1", F_U64, struct st_sim_market, rng.s[1]),
    F("rng2", F_U64, struct st_sim_market, rng.s[2]),
    F("rng3", F_U64, struct st_sim_market, rng.s[3]),
    F("last_ns", F_I64, struct st_sim_market, last_ns),
    {NULL, F_INT, 0, 0},
};

static const field asset_fields[] = {
    F("symbol", F_STR, st_sim__sym, asset.symbol),
    F("id", F_STR, st_sim__sym, asset.id),
    F("name", F_STR, st_sim__sym, asset.name),
    F("exchange", F_STR, st_sim__sym, asset.exchange),
    F("tradable", F_INT, st_sim__sym, asset.tradable),
    F("fractionable", F_INT, st_sim__sym, asset.fractionable),
    F("mid", F_DEC, st_sim__sym, mid),
    F("bid", F_DEC, st_sim__sym, quote.bid),
    F("ask", F_DEC, st_sim__sym, quote.ask),
    F("bid_size", F_I64, st_sim__sym, quote.bid_size),
    F("ask_size", F_I64, st_sim__sym, quote.ask_size),
    F("ts_ns", F_I64, st_sim__sym, quote.ts_ns),
    F("pinned", F_INT, st_sim__sym, quote.pinned),
    {NULL, F_INT, 0, 0},
};

static const field position_fields[] = {
    F("symbol", F_STR, st_sim__pos, symbol),
    F("qty", F_DEC, st_sim__pos, qty),
    F("avg_entry_price", F_DEC, st_sim__pos, avg_entry_price),
    {NULL, F_INT, 0, 0},
};

static const field order_fields[] = {
    F("id", F_STR, st_sim_order, id),
    F("client_order_id", F_STR, st_sim_order, client_order_id),
    F("symbol", F_STR, st_sim_order, symbol),
    F("asset_id", F_STR, st_sim_order, asset_id),
    F("side", F_SIDE, st_sim_order, side),
    F("type", F_TYPE, st_sim_order, type),
    F("time_in_force", F_TIF, st_sim_order, tif),
    F("status", F_STATUS, st_sim_order, status),
    F("qty", F_DEC, st_sim_order, qty),
    F("notional", F_DEC, st_sim_order, notional),
    F("limit_price", F_DEC, st_sim_order, limit_price),
    F("filled_qty", F_DEC, st_sim_order, filled_qty),
    F("filled_avg_price", F_DEC, st_sim_order, filled_avg_price),
    F("filled_value", F_DEC, st_sim_order, filled_value),
    F("created_at_ns", F_I64, st_sim_order, created_at_ns),
    F("updated_at_ns", F_I64, st_sim_order, updated_at_ns),
    F("submitted_at_ns", F_I64, st_sim_order, submitted_at_ns),
    F("filled_at_ns", F_I64, st_sim_order, filled_at_ns),
    F("canceled_at_ns", F_I64, st_sim_order, canceled_at_ns),
    F("expired_at_ns", F_I64, st_sim_order, expired_at_ns),
    F("failed_at_ns", F_I64, st_sim_order, failed_at_ns),
    F("replaced_at_ns", F_I64, st_sim_order, replaced_at_ns),
    F("expires_at_ns", F_I64, st_sim_order, expires_at_ns),
    F("replaces", F_STR, st_sim_order, replaces),
    F("replaced_by", F_STR, st_sim_order, replaced_by),
    F("reject_reason", F_STR, st_sim_order, reject_reason),
    F("hold_price", F_DEC, st_sim_order, hold_price),
    F("hold_qty", F_DEC, st_sim_order, hold_qty),
    F("eligible_at_ns", F_I64, st_sim_order, eligible_at_ns),
    F("reject_pending", F_INT, st_sim_order, reject_pending),
    {NULL, F_INT, 0, 0},
};

/* A growable output string; err sticks at the first failure. */
typedef struct sbuf {
  char *p;
  size_t n;
  size_t cap;
  st_err err;
} sbuf;

static void sb_grow(sbuf *b, size_t more) {
  size_t cap;
  char *p;

  if (b->err != ST_OK || b->cap - b->n > more) {
    return;
  }
  cap = b->cap == 0 ? 4096 : b->cap;
  while (cap - b->n <= more) {
    cap *= 2;
  }
  p = st_realloc(b->p, cap);
  if (p == NULL) {
    b->err = ST_ENOMEM;
    return;
  }
  b->p = p;
  b->cap = cap;
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  int len;

  va_start(ap, fmt);
  len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len < 0) {
    b->err = ST_EINTERNAL;
    return;
  }
  sb_grow(b, (size_t)len + 1);
  if (b->err != ST_OK) {
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
  va_end(ap);
  b->n += (size_t)len;
}

static void sb_escaped(sbuf *b, const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
    if (*c > ' ' && *c <= '~' && *c != '%') {
      sb_printf(b, "%c", *c);
    } else {
      sb_printf(b, "%%%02X", *c);
    }
  }
}

static void write_record(sbuf *b, const char *kind, const field *fields,
                         const void *base) {
  const char *p = base;
  char dbuf[ST_DEC_STRLEN];

  sb_printf(b, "%s", kind);
  for (const field *f = fields; f->key != NULL; f++) {
    const void *m = p + f->off;

    sb_printf(b, " %s=", f->key);
    switch (f->t) {
      case F_STR:
        sb_escaped(b, (const char *)m);
        break;
      case F_DEC:
        sb_printf(b, "%s", st_dec_format(*(const st_dec *)m, 0, dbuf));
        break;
      case F_I64:
        sb_printf(b, "%lld", (long long)*(const int64_t *)m);
        break;
      case F_U64:
        sb_printf(b, "%llu", (unsigned long long)*(const uint64_t *)m);
        break;
      case F_I32:
        sb_printf(b, "%d", (int)*(const int32_t *)m);
        break;
      case F_INT:
        sb_printf(b, "%d", *(const int *)m);
        break;
      case F_SIDE:
        sb_printf(b, "%s", st_sim_side_name(*(const st_sim_side *)m));
        break;
      case F_TYPE:
        sb_printf(b, "%s", st_sim_type_name(*(const st_sim_type *)m));
        break;
      case F_TIF:
        sb_printf(b, "%s", st_sim_tif_name(*(const st_sim_tif *)m));
        break;
      case F_STATUS:
        sb_printf(b, "%s", st_sim_status_name(*(const st_sim_status *)m));
        break;
      case F_CLOCK:
        sb_printf(b, "%s",
                  st_sim_clock_mode_name(*(const st_sim_clock_mode *)m));
        break;
    }
  }
  sb_printf(b, "\n");
}

st_err st_sim_save(const st_sim *s, char **buf, size_t *len) {
  sbuf b = {NULL, 0, 0, ST_OK};

  if (s == NULL || buf == NULL || len == NULL) {
    return ST_EINVAL;
  }
  sb_printf(&b, "%s\n", HEADER);
  write_record(&b, "config", config_fields, &s->cfg);
  write_record(&b, "engine", engine_fields, s);
  write_record(&b, "market", market_fields, s->market);
  for (size_t i = 0; i < s->market->n; i++) {
    write_record(&b, "asset", asset_fields, &s->market->syms[i]);
  }
  for (size_t i = 0; i < s->npos; i++) {
    write_record(&b, "position", position_fields, &s->pos[i]);
  }
  for (size_t i = 0; i < s->norders; i++) {
    write_record(&b, "order", order_fields, &s->orders[i]);
  }
  sb_printf(&b, "end\n");
  if (b.err != ST_OK) {
    st_free(b.p);
    return b.err;
  }
  *buf = b.p;
  *len = b.n;
  return ST_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

/* Decodes the n bytes at v into dst (size bytes with the NUL). */
static st_err unescape(const char *v, size_t n, char *dst, size_t size) {
  size_t o = 0;

  for (size_t i = 0; i < n; i++) {
    char c = v[i];

    if (c == '%') {
      int hi;
      int lo;

      if (i + 2 >= n) {
        return ST_EPROTO;
      }
      hi = hexval(v[i + 1]);
      lo = hexval(v[i + 2]);
      if (hi < 0 || lo < 0) {
        return ST_EPROTO;
      }
      c = (char)(hi * 16 + lo);
      i += 2;
    }
    if (o + 1 >= size) {
      return ST_EPROTO;
    }
    dst[o++] = c;
  }
  dst[o] = '\0';
  return ST_OK;
}

static st_err parse_i64(const char *s, int64_t *out) {
  long long v;
  char *end;

  if (*s == '\0') {
    return ST_EPROTO;
  }
  v = strtoll(s, &end, 10);
  if (*end != '\0') {
    return ST_EPROTO;
  }
  *out = (int64_t)v;
  return ST_OK;
}

/* Stores value text v (NUL-terminated, unescaped) into the member. */
static st_err store(const field *f, void *m, const char *v) {
  int64_t i;
  st_err rv;

  switch (f->t) {
    case F_STR:
      if (strlen(v) >= f->size) {
        return ST_EPROTO;
      }
      memcpy(m, v, strlen(v) + 1);
      return ST_OK;
    case F_DEC:
      return st_dec_parse(v, (st_dec *)m) == ST_OK ? ST_OK : ST_EPROTO;
    case F_U64: {
      char *end;
      unsigned long long u = strtoull(v, &end, 10);

      if (*v == '\0' || *end != '\0' || *v == '-') {
        return ST_EPROTO;
      }
      *(uint64_t *)m = (uint64_t)u;
      return ST_OK;
    }
    case F_I64:
    case F_I32:
    case F_INT:
      rv = parse_i64(v, &i);
      if (rv != ST_OK) {
        return rv;
      }
      if (f->t == F_I64) {
        *(int64_t *)m = i;
      } else if (f->t == F_I32) {
        *(int32_t *)m = (int32_t)i;
      } else {
        *(int *)m = (int)i;
      }
      return ST_OK;
    case F_SIDE:
      return st_sim_side_parse(v, (st_sim_side *)m) == ST_OK ? ST_OK
                                                             : ST_EPROTO;
    case F_TYPE:
      return st_sim_type_parse(v, (st_sim_type *)m) == ST_OK ? ST_OK
                                                             : ST_EPROTO;
    case F_TIF:
      return st_sim_tif_parse(v, (st_sim_tif *)m) == ST_OK ? ST_OK : ST_EPROTO;
    case F_STATUS:
      return st_sim_status_parse(v, (st_sim_status *)m) == ST_OK ? ST_OK
                                                                 : ST_EPROTO;
    case F_CLOCK:
      return st_sim_clock_mode_parse(v, (st_sim_clock_mode *)m) == ST_OK
                 ? ST_OK
                 : ST_EPROTO;
  }
  return ST_EPROTO;
}

/* Parses the "key=value ..." tokens of line (len bytes, after the kind)
 * into base through fields. */
static st_err read_record(const char *line, size_t len, const field *fields,
                          void *base) {
  char val[512];
  size_t i = 0;
  st_err rv;

  while (i < len) {
    size_t start;
    size_t eq = 0;
    size_t klen;
    const field *f;

    while (i < len && line[i] == ' ') {
      i++;
    }
    if (i == len) {
      break;
    }
    start = i;
    while (i < len && line[i] != ' ') {
      if (line[i] == '=' && eq == 0) {
        eq = i;
      }
      i++;
    }
    if (eq == 0) {
      return ST_EPROTO;
    }
    klen = eq - start;
    for (f = fields; f->key != NULL; f++) {
      if (strlen(f->key) == klen && memcmp(f->key, line + start, klen) == 0) {
        break;
      }
    }
    if (f->key == NULL) {
      continue; /* A field from a newer version. */
    }
    rv = unescape(line + eq + 1, i - eq - 1, val, sizeof(val));
    if (rv == ST_OK) {
      rv = store(f, (char *)base + f->off, val);
    }
    if (rv != ST_OK) {
      return rv;
    }
  }
  return ST_OK;
}

/* Handles one line (without its newline). *done is set by "end". */
static st_err load_line(st_sim *s, const char *line, size_t len, int *done) {
  size_t k = 0;
  st_sim__sym *sym;
  st_sim__pos *pos;
  st_sim_order *o;
  st_err rv;

  while (k < len && line[k] != ' ') {
    k++;
  }
#define KIND(name) (k == strlen(name) && memcmp(line, name, k) == 0)
  if (KIND("end")) {
    *done = 1;
    return ST_OK;
  }
  if (KIND("config")) {
    return read_record(line + k, len - k, config_fields, &s->cfg);
  }
  if (KIND("engine")) {
    return read_record(line + k, len - k, engine_fields, s);
  }
  if (KIND("market")) {
    return read_record(line + k, len - k, market_fields, s->market);
  }
  if (KIND("asset")) {
    rv = st_sim__market_push(s->market, &sym);
    if (rv != ST_OK) {
      return rv;
    }
    rv = read_record(line + k, len - k, asset_fields, sym);
    if (rv == ST_OK && (sym->asset.symbol[0] == '\0' ||
                        st_sim__market_find(s->market, sym->asset.symbol) !=
                            (long)s->market->n - 1)) {
      rv = ST_EPROTO;
    }
    return rv;
  }
  if (KIND("position")) {
    rv = st_sim__pos_push(s, &pos);
    if (rv != ST_OK) {
      return rv;
    }
    return read_record(line + k, len - k, position_fields, pos);
  }
  if (KIND("order")) {
    rv = st_sim__order_push(s, &o);
    if (rv != ST_OK) {
      return rv;
    }
    return read_record(line + k, len - k, order_fields, o);
  }
#undef KIND
  return ST_EPROTO;
}

st_err st_sim_load(const char *buf, size_t len, st_sim **out) {
  st_sim *s = NULL;
  size_t i = 0;
  size_t hlen = strlen(HEADER);
  int done = 0;
  st_err rv;

  if (buf == NULL || out == NULL) {
    return ST_EINVAL;
  }
  if (len < hlen + 1 || memcmp(buf, HEADER, hlen) != 0 || buf[hlen] != '\n') {
    return ST_EPROTO;
  }
  s = st_calloc(1, sizeof(*s));
  if (s == NULL) {
    return ST_ENOMEM;
  }
  s->market = st_calloc(1, sizeof(*s->market));
  if (s->market == NULL) {
    rv = ST_ENOMEM;
    goto fail;
  }
  i = hlen + 1;
  while (i < len && !done) {
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t end = nl != NULL ? (size_t)(nl - buf) : len;

    if (end > i) {
      rv = load_line(s, buf + i, end - i, &done);
      if (rv != ST_OK) {
        goto fail;
      }
    }
    i = end + 1;
  }
  if (!done) {
    rv = ST_EPROTO;
    goto fail;
  }
  s->market->walk = s->cfg.walk;
  rv = st_sim_set_config(s, &s->cfg);
  if (rv != ST_OK) {
    rv = ST_EPROTO;
    goto fail;
  }
  *out = s;
  return ST_OK;

fail:
  st_sim_free(s);
  return rv;
}

st_err st_sim_save_file(const st_sim *s, FILE *f) {
  char *buf;
  size_t len;
  st_err rv;

  if (f == NULL) {
    return ST_EINVAL;
  }
  rv = st_sim_save(s, &buf, &len);
  if (rv != ST_OK) {
    return rv;
  }
  if (fwrite(buf, 1, len, f) != len || fflush(f) != 0) {
    rv = ST_EIO;
  }
  st_free(buf);
  return rv;
}

st_err st_sim_load_file(FILE *f, st_sim **out) {
  char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  size_t got;
  st_err rv;

  if (f == NULL || out == NULL) {
    return ST_EINVAL;
  }
  do {
    if (cap - len < 4096) {
      char *p = st_realloc(buf, cap == 0 ? 65536 : cap * 2);

      if (p == NULL) {
        rv = ST_ENOMEM;
        goto out;
      }
      buf = p;
      cap = cap == 0 ? 65536 : cap * 2;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
  } while (got > 0);
  if (ferror(f)) {
    rv = ST_EIO;
    goto out;
  }
  rv = st_sim_load(buf, len, out);

out:
  st_free(buf);
  return rv;
}
