/* control.h - the /_sim/ control API that tests drive: pin quotes, force
 * fills and expiries, delay fills, inject faults, drop streams, and read
 * back every order, every emitted event and the account state.
 *
 * JSON in and out, no authentication, no rate limit. Each function is an
 * st_asim_handler (http.h), run with the server lock held.
 */
#ifndef ST_ASIM_CONTROL_H
#define ST_ASIM_CONTROL_H

#include "server/alpaca_sim/http.h"

/* GET /healthz: {"status":"ok"}. */
st_asim_handler st_asim_control_healthz;
/* POST /_sim/quote {symbol,bid,ask,bid_size,ask_size}: pins a quote. */
st_asim_handler st_asim_control_quote;
/* POST /_sim/orders/{id}/fill {qty?,price?}: fills now (price defaults to
 * the far touch). */
st_asim_handler st_asim_control_fill;
/* POST /_sim/fill_delay {ms, order_id?}: no fill before now + ms. */
st_asim_handler st_asim_control_fill_delay;
/* POST /_sim/faults {error_5xx_share, error_5xx_after, burst_429,
 * reject_next}: each field optional; GET /_sim/faults reads them. */
st_asim_handler st_asim_control_faults;
st_asim_handler st_asim_control_get_faults;
/* POST /_sim/drop_streams {which: trades|data|all}: closes those
 * WebSocket connections abruptly; {"dropped":N}. */
st_asim_handler st_asim_control_drop_streams;
/* GET /_sim/orders: every order ever, oldest first. */
st_asim_handler st_asim_control_orders;
/* GET /_sim/log: every trade_updates message emitted, oldest first. */
st_asim_handler st_asim_control_log;
/* POST /_sim/expire/{id}: expires an open order now. */
st_asim_handler st_asim_control_expire;
/* GET /_sim/state: account, positions, counters and stream sessions. */
st_asim_handler st_asim_control_state;

#endif
