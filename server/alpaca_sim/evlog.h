/* evlog.h - every trade_updates message emitted, for GET /_sim/log.
 *
 * An append-only list of (emission time, message text) in emission order;
 * tests read it to check what a client should have seen. Not thread-safe:
 * callers lock.
 */
#ifndef ST_ASIM_EVLOG_H
#define ST_ASIM_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "server/util/err.h"

typedef struct st_asim_evlog_entry {
  int64_t emitted_ns;
  char *json; /* The whole trade_updates message; owned by the log. */
} st_asim_evlog_entry;

typedef struct st_asim_evlog {
  st_asim_evlog_entry *e;
  size_t n;
  size_t cap;
} st_asim_evlog;

/* Appends a copy of json emitted at emitted_ns. ST_ENOMEM. */
st_err st_asim_evlog_add(st_asim_evlog *log, int64_t emitted_ns,
                         const char *json);

/* Frees every entry and zeroes log. */
void st_asim_evlog_free(st_asim_evlog *log);

#endif
