/* rest.h - the trading REST API (/v2/account, assets, positions, orders,
 * clock) over the simulator, with Alpaca's bodies and error codes.
 *
 * Each function is an st_asim_handler (http.h): it reads the request,
 * calls the simulator and fills the response. Path parameters are in
 * rq->param[]. Run with the server lock held.
 */
#ifndef ST_ASIM_REST_H
#define ST_ASIM_REST_H

#include "server/alpaca_sim/http.h"

/* GET /v2/account. */
st_asim_handler st_asim_rest_account;
/* GET /v2/assets (?status, ?asset_class, ?exchange). */
st_asim_handler st_asim_rest_assets;
/* GET /v2/assets/{symbol or asset_id}; 404 when unknown. */
st_asim_handler st_asim_rest_asset;
/* GET /v2/positions. */
st_asim_handler st_asim_rest_positions;
/* GET /v2/positions/{symbol or asset_id}; 404 "position does not exist". */
st_asim_handler st_asim_rest_position;
/* POST /v2/orders: 200 with the new Order, or the simulator's error. */
st_asim_handler st_asim_rest_submit;
/* GET /v2/orders (status, limit, after, until, direction, symbols,
 * side). */
st_asim_handler st_asim_rest_orders;
/* GET /v2/orders/{id}. */
st_asim_handler st_asim_rest_order;
/* GET /v2/orders:by_client_order_id?client_order_id=X. */
st_asim_handler st_asim_rest_order_by_coid;
/* DELETE /v2/orders/{id}: 204, 404 or 422. */
st_asim_handler st_asim_rest_cancel;
/* DELETE /v2/orders: 207 with one result per open order. */
st_asim_handler st_asim_rest_cancel_all;
/* PATCH /v2/orders/{id}: 200 with the replacing Order. */
st_asim_handler st_asim_rest_replace;
/* GET /v2/clock. */
st_asim_handler st_asim_rest_clock;

#endif
