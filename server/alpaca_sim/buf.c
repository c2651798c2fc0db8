/* buf.c - a growable byte buffer. */
#include "server/alpaca_sim/buf.h"

#include <string.h>

#include "server/util/alloc.h"

st_err st_asim_buf_append(st_asim_buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *d;

    while (cap < b->len + n + 1) {
      cap *= 2;
    }
    d = st_realloc(b->data, cap);
    if (d == NULL) {
      return ST_ENOMEM;
    }
    b->data = d;
    b->cap = cap;
  }
  if (n > 0) {
    memcpy(b->data + b->len, p, n);
  }
  b->len += n;
  b->data[b->len] = '\0';
  return ST_OK;
}

st_err st_asim_buf_puts(st_asim_buf *b, const char *s) {
  return st_asim_buf_append(b, s, strlen(s));
}

void st_asim_buf_reset(st_asim_buf *b) {
  b->len = 0;
  if (b->data != NULL) {
    b->data[0] = '\0';
  }
}

void st_asim_buf_free(st_asim_buf *b) {
  st_free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

char *st_asim_buf_take(st_asim_buf *b) {
  char *d = b->data;

  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  return d;
}
