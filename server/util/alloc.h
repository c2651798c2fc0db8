/* alloc.h - every allocation of settled goes through these.
 *
 * They abort on out-of-memory only in st_xmalloc-style helpers; the plain
 * ones return NULL so that callers can report ST_ENOMEM. A live-allocation
 * counter lets tests check that a module freed what it allocated.
 */
#ifndef ST_UTIL_ALLOC_H
#define ST_UTIL_ALLOC_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* malloc(3) and friends. The caller owns the result and frees it with
 * st_free. */
void *st_malloc(size_t n);
void *st_calloc(size_t count, size_t n);
void *st_realloc(void *p, size_t n);
void st_free(void *p);

/* Returns a copy of s (NULL if s is NULL or memory is short); caller frees
 * with st_free. */
char *st_strdup(const char *s);

/* Returns a copy of the first n bytes of s, NUL-terminated; caller frees. */
char *st_strndup(const char *s, size_t n);

/* Number of blocks allocated through this module and not yet freed. */
long st_alloc_live(void);

/* A protobuf-c allocator over st_malloc/st_free, for unpacking messages:
 * free what it made with protobuf_c_message_free_unpacked(msg,
 * &st_pbc_allocator). */
extern ProtobufCAllocator st_pbc_allocator;

#endif
