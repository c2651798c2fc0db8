/* errinfo.c - filling broker-style error detail. */
#include "server/sim/errinfo.h"

#include <stdio.h>
#include <string.h>

void st_sim_errinfo_clear(st_sim_errinfo *ei) {
  if (ei != NULL) {
    memset(ei, 0, sizeof(*ei));
  }
}

st_err st_sim__fail(st_sim_errinfo *ei, st_err err, int http, int code,
                    const char *fmt, ...) {
  va_list ap;

  if (ei == NULL) {
    return err;
  }
  st_sim_errinfo_clear(ei);
  ei->err = err;
  ei->http_status = http;
  ei->code = code;
  va_start(ap, fmt);
  vsnprintf(ei->message, sizeof(ei->message), fmt, ap);
  va_end(ap);
  return err;
}
