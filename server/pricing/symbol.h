/* symbol.h - validation and normalization of ticker symbols.
 *
 * A symbol is 1..10 characters of [A-Z0-9.] after upper-casing ("aapl"
 * becomes "AAPL", "brk.b" becomes "BRK.B"). Every symbol that enters the
 * pricing layer goes through st_pricing_symbol_norm first.
 */
#ifndef ST_PRICING_SYMBOL_H
#define ST_PRICING_SYMBOL_H

#include "server/broker/broker.h"
#include "server/util/err.h"

#define ST_PRICING_SYMBOL_MAX 10 /* Longest symbol, in characters. */

/* Writes the upper-case form of in into out (ST_SYMBOL_LEN bytes, owned by
 * the caller). ST_EINVAL when in is NULL, empty, longer than 10 characters
 * or holds a character outside [A-Za-z0-9.]; out is then an empty string. */
st_err st_pricing_symbol_norm(const char *in, char out[ST_SYMBOL_LEN]);

#endif
