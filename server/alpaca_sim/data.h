/* data.h - market data: the latest-quote REST endpoints and the real-time
 * stream (/v2/iex, /v2/sip, /v2/test) with its auth, subscriptions, plan
 * limits and error codes, in JSON or msgpack framing.
 *
 * Quotes are the simulator's NBBO: every tick, each quote that changed
 * since the last tick is sent as a "q" message to the connections
 * subscribed to it (one array per connection per tick). Fills of the
 * simulated account are also printed as "t" trades. Runs on the service
 * thread with the server lock held.
 */
#ifndef ST_ASIM_DATA_H
#define ST_ASIM_DATA_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/alpaca_sim/http.h"
#include "server/alpaca_sim/server.h"
#include "server/alpaca_sim/ws.h"
#include "server/sim/event.h"

#define ST_ASIM_DATA_SYMBOL_LIMIT 30 /* trades + quotes, Basic plan. */
#define ST_ASIM_DATA_AUTH_TIMEOUT_NS (10 * 1000000000LL)

/* GET /v2/stocks/quotes/latest?symbols=A,B&feed=iex. */
st_asim_handler st_asim_data_latest_quotes;
/* GET /v2/stocks/{symbol}/quotes/latest. */
st_asim_handler st_asim_data_latest_quote;

/* A data connection was established: sends "connected", and authenticates
 * it when the upgrade carried valid APCA headers. */
void st_asim_data_open(st_asim *a, st_asim_ws *ws);

/* Handles one client message (msg may be NULL: it did not parse). */
void st_asim_data_message(st_asim *a, st_asim_ws *ws, const cJSON *msg);

/* Sends the quotes that changed since the last call, closes connections
 * that did not authenticate in time. */
void st_asim_data_tick(st_asim *a, int64_t now_ns);

/* Prints a fill of the simulated account as a trade to the subscribers of
 * its symbol. */
void st_asim_data_fill(st_asim *a, const st_sim_event *ev);

/* Marks every current quote as sent (at start, so nothing stale
 * floods). ST_ENOMEM. */
st_err st_asim_data_init(st_asim *a);

#endif
