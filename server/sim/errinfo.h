/* errinfo.h - broker-style detail for a refused simulator request.
 *
 * Besides the st_err it returns, every refusing call of the simulator can
 * fill a caller-owned st_sim_errinfo with what Alpaca would send: the HTTP
 * status, the 8-digit code, the exact message text, and the extra keys of
 * the insufficient buying power / quantity bodies. The in-process broker
 * keeps the message; alpaca-sim serializes the whole thing.
 *
 * Thread-safe (no shared state).
 */
#ifndef ST_SIM_ERRINFO_H
#define ST_SIM_ERRINFO_H

#include <stdarg.h>

#include "server/util/decimal.h"
#include "server/util/err.h"

/* Alpaca error codes. */
#define ST_SIM_CODE_INVALID 40010001   /* 422: validation, duplicate id. */
#define ST_SIM_CODE_FORBIDDEN 40310000 /* 403: buying power, qty, wash. */
#define ST_SIM_CODE_NOTFOUND 40410000  /* 404: order not found. */
#define ST_SIM_CODE_UNPROC 42210000    /* 422: sub-penny, terminal. */

typedef struct st_sim_errinfo {
  st_err err;      /* Same as the returned error; ST_OK when cleared. */
  int http_status; /* 403, 404 or 422 (500, code 0: ST_ENOMEM). */
  int code;        /* One of ST_SIM_CODE_*. */
  char message[ST_ERRBUF_LEN]; /* Alpaca's text. */
  /* ST_EBUYPOWER: the body's buying_power and cost_basis. */
  st_dec buying_power;
  st_dec cost_basis;
  /* ST_EQTY: the body's symbol, requested, available, existing_qty and
   * held_for_orders. */
  char symbol[16];
  st_dec requested;
  st_dec available;
  st_dec existing_qty;
  st_dec held_for_orders;
} st_sim_errinfo;

/* Clears *ei (NULL is allowed). */
void st_sim_errinfo_clear(st_sim_errinfo *ei);

/* Internal: clears ei, sets err, HTTP status, code and a formatted message,
 * and returns err (ei may be NULL). */
st_err st_sim__fail(st_sim_errinfo *ei, st_err err, int http, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
