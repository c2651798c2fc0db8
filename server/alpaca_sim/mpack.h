/* mpack.h - msgpack framing of the market-data stream (Content-Type:
 * application/msgpack on the upgrade), as conversions from and to cJSON.
 *
 * Encoding follows what Alpaca sends and alpaca-py expects: objects become
 * maps, arrays arrays, strings str; the value of a "t" key holding an
 * RFC3339 time becomes a msgpack Timestamp (ext type -1); numbers under
 * price keys (ap, bp, p, o, h, l, c, vw) and non-integral numbers become
 * float64, other numbers integers. Decoding maps msgpack back to cJSON
 * (bin as string, Timestamps as RFC3339 strings). Thread-safe (no shared
 * state).
 */
#ifndef ST_ASIM_MPACK_H
#define ST_ASIM_MPACK_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "server/alpaca_sim/buf.h"
#include "server/util/err.h"

/* Appends the msgpack encoding of j to out. ST_ENOMEM. */
st_err st_asim_mpack_encode(const cJSON *j, st_asim_buf *out);

/* Decodes one msgpack value from len bytes of data into a new cJSON tree
 * (*out, freed by the caller with cJSON_Delete). ST_EPROTO for malformed
 * input, ST_ENOMEM. */
st_err st_asim_mpack_decode(const char *data, size_t len, cJSON **out);

#endif
