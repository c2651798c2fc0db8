/* alpaca_error.h - Alpaca's HTTP error replies to st_err and st_brokerr.
 *
 * The mapping (notes/alpaca-wire.md §1 and §4), first match wins:
 *   429                                   ST_ERATELIMIT
 *   5xx                                   ST_ETRANSIENT
 *   401                                   ST_EAUTH
 *   "wash trade" in the message (403/422) ST_EWASH
 *   403 "insufficient ... buying power"   ST_EBUYPOWER
 *   403 "insufficient qty"                ST_EQTY (e->available from the
 *                                         "available" key, else from the
 *                                         message text "available: X")
 *   403 other                             ST_EREJECTED
 *   404                                   ST_ENOTFOUND
 *   422 "client_order_id must be unique"  ST_EDUPLICATE
 *   422 `already in "<terminal>" state`   ST_ETERMINAL (filled, canceled,
 *                                         cancelled, expired, replaced,
 *                                         rejected)
 *   400, other 422                        ST_EINVAL
 *   any other status                      ST_EREJECTED
 * Message texts are matched case-insensitively, not just codes, because
 * Alpaca reuses codes across meanings. Pure; thread-safe.
 */
#ifndef ST_BROKER_ALPACA_ERROR_H
#define ST_BROKER_ALPACA_ERROR_H

#include <stddef.h>

#include "server/broker/broker.h"

/* Maps an HTTP reply with status http_status (>= 400) and its body (len
 * bytes, may be NULL) to an st_err. If e is not NULL it is cleared and
 * receives the status, the broker's code and message (or, for a body that
 * is not JSON, its first printable bytes), and e->available for ST_EQTY.
 * e->retry_at_ns is left 0; the caller knows the reset time. */
st_err st_alpaca_error_map(long http_status, const char *body, size_t len,
                           st_brokerr *e);

#endif
