/* alloc.c - allocation wrappers with a live-block counter. */
#include "server/util/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live;

void *st_malloc(size_t n) {
  void *p = malloc(n == 0 ? 1 : n);

  if (p != NULL) {
    atomic_fetch_add(&live, 1);
  }
  return p;
}

void *st_calloc(size_t count, size_t n) {
  void *p = calloc(count == 0 ? 1 : count, n == 0 ? 1 : n);

  if (p != NULL) {
    atomic_fetch_add(&live, 1);
  }
  return p;
}

void *st_realloc(void *p, size_t n) {
  void *q;

  if (p == NULL) {
    return st_malloc(n);
  }
  q = realloc(p, n == 0 ? 1 : n);
  return q;
}

void st_free(void *p) {
  if (p != NULL) {
    atomic_fetch_sub(&live, 1);
    free(p);
  }
}

char *st_strdup(const char *s) {
  if (s == NULL) {
    return NULL;
  }
  return st_strndup(s, strlen(s));
}

char *st_strndup(const char *s, size_t n) {
  char *d;

  if (s == NULL) {
    return NULL;
  }
  d = st_malloc(n + 1);
  if (d == NULL) {
    return NULL;
  }
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

long st_alloc_live(void) {
  return atomic_load(&live);
}

static void *pbc_alloc(void *data, size_t n) {
  return st_malloc(n);
}

static void pbc_free(void *data, void *p) {
  st_free(p);
}

ProtobufCAllocator st_pbc_allocator = {
    .alloc = pbc_alloc,
    .free = pbc_free,
    .allocator_data = NULL,
};
