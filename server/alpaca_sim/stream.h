/* stream.h - the trade_updates stream (/stream): the authenticate/listen
 * handshake and one message per simulator event to every authenticated,
 * listening connection; each message is also kept in the event log.
 *
 * Runs on the service thread with the server lock held.
 */
#ifndef ST_ASIM_STREAM_H
#define ST_ASIM_STREAM_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/alpaca_sim/server.h"
#include "server/alpaca_sim/ws.h"
#include "server/sim/event.h"

/* Handles one client message (msg may be NULL: it did not parse). */
void st_asim_stream_message(st_asim *a, st_asim_ws *ws, const cJSON *msg);

/* Turns ev into a trade_updates message, logs it (emitted at now_ns) and
 * sends it to every listening connection. ST_ENOMEM. */
st_err st_asim_stream_event(st_asim *a, const st_sim_event *ev, int64_t now_ns);

#endif
