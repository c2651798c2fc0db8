/* alpaca_error.c - Alpaca's HTTP error replies to st_err and st_brokerr. */
#include "server/broker/alpaca_error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/broker/alpaca_json.h"

/* True when needle occurs in hay, ignoring case. */
static int has(const char *hay, const char *needle) {
  size_t n = strlen(needle);

  for (; *hay != '\0'; hay++) {
    if (strncasecmp(hay, needle, n) == 0) {
      return 1;
    }
  }
  return 0;
}

/* True for `already in "<terminal>" state` (also with "cancelled"). */
static int terminal_state_text(const char *msg) {
  static const char *const names[] = {"filled",      "canceled", "cancelled",
                                      "expired",     "replaced", "rejected",
                                      "done_for_day"};
  const char *p = msg;
  size_t i;

  while ((p = strstr(p, "already in")) != NULL) {
    const char *q = p + strlen("already in");

    while (*q == ' ' || *q == '"' || *q == '\'') {
      q++;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      size_t n = strlen(names[i]);

      if (strncasecmp(q, names[i], n) == 0 && !isalnum((unsigned char)q[n]) &&
          q[n] != '_') {
        /* done_for_day is not terminal; it stays listed so that its prefix
         * is not mistaken for something else. */
        return strcmp(names[i], "done_for_day") != 0;
      }
    }
    p = q;
  }
  return 0;
}

/* Reads X from "... available: X ..." in the message. */
static int available_from_text(const char *msg, st_dec *out) {
  const char *p = strstr(msg, "available:");
  char buf[ST_DEC_STRLEN];
  size_t n = 0;

  if (p == NULL) {
    return 0;
  }
  p += strlen("available:");
  while (*p == ' ') {
    p++;
  }
  while ((isdigit((unsigned char)*p) || *p == '.' || *p == '-') &&
         n + 1 < sizeof(buf)) {
    buf[n++] = *p++;
  }
  buf[n] = '\0';
  return n > 0 && st_dec_parse_lenient(buf, out) == ST_OK;
}

st_err st_alpaca_error_map(long http_status, const char *body, size_t len,
                           st_brokerr *e) {
  st_alpaca_errbody b;
  const char *m;
  st_dec avail = ST_DEC_ZERO;
  st_err err;

  st_alpaca_json_errbody(body, len, &b);
  m = b.message;
  if (http_status == 429) {
    err = ST_ERATELIMIT;
  } else if (http_status >= 500) {
    err = ST_ETRANSIENT;
  } else if (http_status == 401) {
    err = ST_EAUTH;
  } else if ((http_status == 403 || http_status == 422) &&
             has(m, "wash trade")) {
    err = ST_EWASH;
  } else if (http_status == 403 && has(m, "buying power")) {
    err = ST_EBUYPOWER;
  } else if (http_status == 403 && has(m, "insufficient qty")) {
    err = ST_EQTY;
    if (b.has_available) {
      avail = b.available;
    } else {
      available_from_text(m, &avail);
    }
  } else if (http_status == 403) {
    err = ST_EREJECTED;
  } else if (http_status == 404) {
    err = ST_ENOTFOUND;
  } else if (http_status == 422 && has(m, "client_order_id must be unique")) {
    err = ST_EDUPLICATE;
  } else if (http_status == 422 && terminal_state_text(m)) {
    err = ST_ETERMINAL;
  } else if (http_status == 400 || http_status == 422) {
    err = ST_EINVAL;
  } else {
    err = ST_EREJECTED;
  }
  if (e != NULL) {
    memset(e, 0, sizeof(*e));
    e->http_status = (int)http_status;
    e->code = b.code;
    if (b.message[0] != '\0') {
      snprintf(e->message, sizeof(e->message), "%s", b.message);
    } else {
      snprintf(e->message, sizeof(e->message), "HTTP %ld", http_status);
    }
    e->available = avail;
  }
  return err;
}
