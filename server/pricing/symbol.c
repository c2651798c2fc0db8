/* symbol.c - validation and normalization of ticker symbols. */
#include "server/pricing/symbol.h"

st_err st_pricing_symbol_norm(const char *in, char out[ST_SYMBOL_LEN]) {
  size_t i;

  out[0] = '\0';
  if (in == NULL) {
    return ST_EINVAL;
  }
  for (i = 0; in[i] != '\0'; i++) {
    char c = in[i];

    if (i >= ST_PRICING_SYMBOL_MAX) {
      out[0] = '\0';
      return ST_EINVAL;
    }
    if (c >= 'a' && c <= 'z') {
      c = (char)(c - 'a' + 'A');
    }
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')) {
      out[0] = '\0';
      return ST_EINVAL;
    }
    out[i] = c;
  }
  out[i] = '\0';
  return i == 0 ? ST_EINVAL : ST_OK;
}
