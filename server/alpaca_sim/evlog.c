/* evlog.c - the list of emitted trade_updates messages. */
#include "server/alpaca_sim/evlog.h"

#include "server/util/alloc.h"

st_err st_asim_evlog_add(st_asim_evlog *log, int64_t emitted_ns,
                         const char *json) {
  char *copy;

  if (log->n == log->cap) {
    size_t cap = log->cap ? log->cap * 2 : 64;
    st_asim_evlog_entry *e = st_realloc(log->e, cap * sizeof(*e));

    if (e == NULL) {
      return ST_ENOMEM;
    }
    log->e = e;
    log->cap = cap;
  }
  copy = st_strdup(json);
  if (copy == NULL) {
    return ST_ENOMEM;
  }
  log->e[log->n].emitted_ns = emitted_ns;
  log->e[log->n].json = copy;
  log->n++;
  return ST_OK;
}

void st_asim_evlog_free(st_asim_evlog *log) {
  for (size_t i = 0; i < log->n; i++) {
    st_free(log->e[i].json);
  }
  st_free(log->e);
  log->e = NULL;
  log->n = 0;
  log->cap = 0;
}
