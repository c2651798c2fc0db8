/* json.h - Alpaca's JSON bodies: Order, Account, Position, Asset, Clock,
 * quotes and error bodies; and lenient readers for request fields.
 *
 * Builders return a new cJSON tree that the caller owns and frees with
 * cJSON_Delete, or NULL when memory is short. Decimals are written as
 * strings, times as RFC3339 in UTC with nine fractional digits, absent
 * values (zero times and prices) as null, as Alpaca does. Quotes are the
 * exception: the market-data API writes prices as JSON numbers. Thread-safe
 * (no shared state) once st_asim_json_init has run.
 */
#ifndef ST_ASIM_JSON_H
#define ST_ASIM_JSON_H

#include <cjson/cJSON.h>

#include "server/sim/account.h"
#include "server/sim/clock.h"
#include "server/sim/errinfo.h"
#include "server/sim/market.h"
#include "server/sim/order.h"
#include "server/util/decimal.h"
#include "server/util/err.h"

/* Makes cJSON allocate through st_malloc/st_free. Call once at start,
 * before any thread uses cJSON. */
void st_asim_json_init(void);

/* Serializes j without blanks into a new string the caller frees with
 * st_free; NULL when memory is short. */
char *st_asim_json_print(const cJSON *j);

/* The Order object of o, every field present (null where absent). */
cJSON *st_asim_json_order(const st_sim_order *o);

/* The Account object of a; last_equity is the equity at start. */
cJSON *st_asim_json_account(const st_sim_account *a, st_dec last_equity);

/* The Position object of p; asset supplies the exchange (may be NULL). */
cJSON *st_asim_json_position(const st_sim_position *p,
                             const st_sim_asset *asset);

/* The Asset object of a. */
cJSON *st_asim_json_asset(const st_sim_asset *a);

/* The Clock object of c, times in New York time with their offset. */
cJSON *st_asim_json_clock(const st_sim_clock *c);

/* A latest-quote object (t, ax, ap, as, bx, bp, bs, c, z) of q; exch is
 * the one-letter exchange code put in ax and bx. */
cJSON *st_asim_json_quote(const st_sim_quote *q, const char *exch);

/* The one-letter exchange code of a listing exchange ("NASDAQ" -> "Q"),
 * or "V" (IEX) for the iex feed. Never NULL. */
const char *st_asim_json_exch_code(const char *exchange, int iex);

/* {"code":code,"message":message}. */
cJSON *st_asim_json_error(int code, const char *message);

/* The error body for a refusal the simulator described in ei: code and
 * message plus the extra keys of the buying power and quantity errors,
 * keys in alphabetical order as Alpaca writes them. */
cJSON *st_asim_json_errinfo(const st_sim_errinfo *ei);

/* Reads the decimal field key of obj into *out, accepting a JSON string
 * ("1.5") or number (1.5). Absent, null and "" leave *out untouched and
 * set *present to 0. ST_EINVAL for anything else or a malformed string. */
st_err st_asim_json_get_dec(const cJSON *obj, const char *key, st_dec *out,
                            int *present);

/* Reads the string field key of obj: *out points into obj (borrowed), or
 * is NULL when the field is absent, null or "". ST_EINVAL when it is
 * another type. */
st_err st_asim_json_get_str(const cJSON *obj, const char *key,
                            const char **out);

/* Adds d to obj under key as a string, or null when null_if_zero and d is
 * zero. Returns 0 when memory is short. */
int st_asim_json_add_dec(cJSON *obj, const char *key, st_dec d,
                         int null_if_zero);

/* Adds the time ns to obj under key as RFC3339 UTC, or null when ns is 0.
 * Returns 0 when memory is short. */
int st_asim_json_add_time(cJSON *obj, const char *key, int64_t ns);

#endif
